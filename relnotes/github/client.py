"""GitHub GraphQL client: many PRs per request, pagination, retries, token hygiene.

PyGithub does authentication and transport (so GitHub Enterprise, proxies and the test
server all work through one code path); this module builds the queries and decides what
to do with each answer. One request asks for up to ``batch_size`` PRs through aliases
(``p123: pullRequest(number: 123)``); labels and files longer than a page are fetched in
follow-up requests that again cover every PR of the batch that needs more. A number the
repository does not have comes back as ``null`` with a ``NOT_FOUND`` error for that alias
only, so it becomes a not-found record and the rest of the batch is kept.

Faults: rate limits (403 with ``X-RateLimit-Remaining: 0``, 429 with ``Retry-After``)
wait for as long as GitHub asks, up to ``max_wait``; 5xx and malformed bodies retry with
exponential backoff; 502/504 and timeouts also halve the batch, because that is what a
too-expensive query looks like. The token is only ever handed to PyGithub; every message
that could echo server text goes through :meth:`GitHubClient.redact`. A server that
cannot be connected to at all (connection refused, unknown host, no answer to connect)
is given up on at once: retrying would only make the user wait for the same answer.

This is the one place a PyGithub client is built: pull-request submission
(:mod:`relnotes.github.pulls`) sends its REST calls through :meth:`GitHubClient.rest`,
with the same token handling, waits and retries as the metadata queries.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from relnotes.config import Config, repo_problem
from relnotes.errors import GitHubError
from relnotes.github.records import PRRecord, find_relands, find_reverts

__all__ = ["DEFAULT_API_URL", "FetchReport", "GitHubClient", "GitHubStatusError", "build_query",
           "resolve_api_url", "unreachable_reason"]

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"

_T = TypeVar("_T")

_PR_FIELDS = "number title body state merged mergedAt updatedAt changedFiles author { login }"
_PAGE = "totalCount pageInfo { hasNextPage endCursor } nodes { %s }"


def resolve_api_url(config: Config) -> str:
    """The ``api_url`` setting (``--api-url`` sets it) > ``$GITHUB_API_URL`` >
    api.github.com.

    An explicit setting beats the environment so that a test or a project pinned to a
    server is never silently redirected by a variable left in someone's shell.
    """
    for candidate in (config.api_url, os.environ.get("GITHUB_API_URL")):
        if candidate:
            return candidate.rstrip("/")
    return DEFAULT_API_URL


def _connection(name: str, first: int, after: str | None, node: str) -> str:
    args = f"first: {first}" + (f", after: {json.dumps(after)}" if after else "")
    return f"{name}({args}) {{ {_PAGE % node} }}"


def build_query(repo: str, wanted: dict[int, dict[str, str | None] | None], *,
                label_page: int, file_page: int) -> str:
    """One GraphQL document asking for every PR in ``wanted`` under alias ``p<N>``.

    ``wanted[n] is None`` asks for the whole record (first pages); otherwise it maps
    ``labels``/``files`` to the cursor after which the next page is wanted.
    """
    owner, name = repo.split("/", 1)
    parts = []
    for number, cursors in wanted.items():
        if cursors is None:
            body = "...pr"
        else:
            body = "number " + " ".join(
                _connection(conn, label_page if conn == "labels" else file_page, cursor,
                            "name" if conn == "labels" else "path")
                for conn, cursor in cursors.items()
            )
        parts.append(f"p{number}: pullRequest(number: {int(number)}) {{ {body} }}")
    query = (f"query {{ repository(owner: {json.dumps(owner)}, name: {json.dumps(name)}) "
             f"{{ {' '.join(parts)} }} }}")
    if any(c is None for c in wanted.values()):
        query += (f" fragment pr on PullRequest {{ {_PR_FIELDS} "
                  f"{_connection('labels', label_page, None, 'name')} "
                  f"{_connection('files', file_page, None, 'path')} }}")
    return query


class _Transient(Exception):
    """A failure worth retrying; ``wait`` is what the server asked for, if anything."""

    def __init__(self, reason: str, *, wait: float | None = None, halve: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait
        self.halve = halve


class _GaveUp(Exception):
    pass


class _Unreachable(_GaveUp):
    """Nothing answers at the API URL: give up without retrying."""


class GitHubStatusError(GitHubError):
    """GitHub answered with a status that retrying will not change (a 4xx).

    ``status`` is the HTTP status and ``detail`` GitHub's own message, so that callers
    (submission) can say what it means for them.
    """

    def __init__(self, message: str, *, status: int, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


def unreachable_reason(exc: BaseException) -> str | None:
    """Why ``exc`` (a requests/urllib3 error) means nothing can be reached, or None.

    Connection refused, a host name that does not resolve and a connect timeout are not
    worth retrying; a connection reset half-way through a request is (it is transient).
    The cause sits somewhere in the exception chain (requests wraps urllib3 wraps socket).
    """
    import requests

    if isinstance(exc, requests.ConnectTimeout):
        return "no answer to connect"
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        err = stack.pop()
        if id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, ConnectionRefusedError):
            return "connection refused"
        if isinstance(err, socket.gaierror):
            return "host name not found"
        if type(err).__name__ == "NameResolutionError":  # urllib3 2.x, without its socket error
            return "host name not found"
        nested = [err.__cause__, err.__context__, getattr(err, "reason", None), *err.args]
        stack.extend(e for e in nested if isinstance(e, BaseException))
    return None


@dataclass
class FetchReport:
    """What a fetch did: request count and the numbers that could not be fetched."""

    requests: int = 0
    failed: dict[int, str] = field(default_factory=dict)
    waited: float = 0.0


class GitHubClient:
    """Talks to one repository: PR records through GraphQL, submission through REST."""

    def __init__(
        self,
        *,
        repo: str,
        api_url: str = DEFAULT_API_URL,
        token: str | None = None,
        token_env: str = "GITHUB_TOKEN",
        batch_size: int = 50,
        label_page: int = 100,
        file_page: int = 100,
        timeout: int = 30,
        max_attempts: int = 6,
        max_wait: float = 600.0,
        backoff: float = 1.0,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        problem = repo_problem(repo)
        if problem:
            raise GitHubError(f"repository {problem}, got {repo!r}")
        from github import Auth, Github  # PyGithub is imported only when GitHub is used

        self.repo = repo
        self.api_url = api_url.rstrip("/")
        self._token = token or None
        self.token_env = token_env
        self.batch_size = max(1, batch_size)
        self.label_page = label_page
        self.file_page = file_page
        self.max_attempts = max_attempts
        self.max_wait = max_wait
        self.backoff = backoff
        self._sleep = sleep or (lambda seconds: time.sleep(seconds))
        self._clock = clock
        self.requests = 0
        self.waited = 0.0
        auth = Auth.Token(self._token) if self._token else None
        # retry=None: PyGithub must not retry behind our back; this module decides.
        # PyGithub spaces POSTs 1 s apart (advice for writes); GraphQL queries only read
        # and are sent one at a time, so no spacing.
        self._github = Github(auth=auth, base_url=self.api_url, timeout=timeout, retry=None,
                              per_page=100, seconds_between_requests=None,
                              seconds_between_writes=None)
        self._requester = self._github.requester

    @classmethod
    def from_config(cls, config: Config, *, repo: str | None = None,
                    **kwargs: Any) -> GitHubClient:
        """A client for ``repo`` (default ``config.repo``) with the token read from
        ``$<config.token_env>``."""
        token_env = config.token_env or "GITHUB_TOKEN"
        return cls(repo=repo or config.repo, api_url=resolve_api_url(config),
                   token=os.environ.get(token_env), token_env=token_env, **kwargs)

    @property
    def has_token(self) -> bool:
        return self._token is not None

    def redact(self, text: str) -> str:
        """``text`` with the token (if any) replaced; used on every message we build."""
        if self._token:
            text = text.replace(self._token, "***")
        return text

    def __repr__(self) -> str:  # never show the token, even in a debugger
        return f"GitHubClient(repo={self.repo!r}, api_url={self.api_url!r})"

    # -- one request -------------------------------------------------------------------

    def _send(self, verb: str, url: str, *, parameters: dict[str, Any] | None = None,
              input: Any = None) -> tuple[int, dict[str, Any], str]:
        """One HTTP request through PyGithub's requester; transport failures classified."""
        import requests

        self.requests += 1
        try:
            status, headers, body = self._requester.requestJson(
                verb, url, parameters=parameters, input=input)
        except requests.ConnectionError as exc:
            reason = unreachable_reason(exc)
            if reason is not None:  # refused, DNS: retrying only makes the user wait
                raise _Unreachable(f"cannot connect to {self.api_url}: {reason}") from None
            # a reset half-way through: transient, and not about the batch size
            raise _Transient(f"network error: {type(exc).__name__}") from None
        except requests.Timeout as exc:  # a read timeout: the query may be too expensive
            raise _Transient(f"network error: {type(exc).__name__}", halve=True) from None
        return status, headers, body

    def _post(self, query: str) -> dict[str, Any]:
        """One GraphQL POST; returns the decoded payload or raises _Transient/GitHubError."""
        status, headers, body = self._send("POST", self._requester.graphql_url,
                                           input={"query": query})
        if status == 200:
            try:
                payload = json.loads(body)
            except ValueError:
                raise _Transient("malformed JSON in the response") from None
            if not isinstance(payload, dict) or not ({"data", "errors"} & payload.keys()):
                raise _Transient("response is not a GraphQL result")
            if payload.get("data") is None:
                self._whole_query_failed(payload.get("errors") or [], headers)
            return payload
        self._http_error(status, headers, body)
        raise AssertionError("unreachable")

    def rest(self, verb: str, path: str, *, parameters: dict[str, Any] | None = None,
             input: Any = None) -> tuple[int, Any]:
        """One REST call (``path`` relative to the API URL) with the waits and retries of
        the metadata queries: (status, decoded JSON) for a 2xx answer.

        Raises :class:`GitHubStatusError` for an answer retrying cannot change (4xx) and
        :class:`GitHubError` when GitHub stayed unavailable or cannot be reached.
        """
        def once() -> tuple[int, Any]:
            status, headers, body = self._send(verb, path, parameters=parameters, input=input)
            if 200 <= status < 300:
                try:
                    return status, (json.loads(body) if body else None)
                except ValueError:
                    raise _Transient("malformed JSON in the response") from None
            self._http_error(status, headers, body)
            raise AssertionError("unreachable")

        try:
            return self._retrying(once, can_halve=False)
        except _GaveUp as exc:
            raise GitHubError(self.redact(str(exc))) from None

    def _whole_query_failed(self, errors: list[dict[str, Any]], headers: dict[str, Any]) -> None:
        types = {str(e.get("type", "")) for e in errors if isinstance(e, dict)}
        message = "; ".join(str(e.get("message", "")) for e in errors if isinstance(e, dict))
        if "RATE_LIMITED" in types:
            raise _Transient("GraphQL rate limit", wait=self._reset_wait(headers) or 60.0)
        if types & {"NOT_FOUND", "FORBIDDEN", "UNAUTHORIZED"}:
            raise GitHubError(self.redact(f"{self.repo}: {message or 'not accessible'}"))
        raise _Transient(self.redact(f"query failed: {message or 'no data'}"), halve=True)

    def _reset_wait(self, headers: dict[str, Any]) -> float | None:
        if str(headers.get("x-ratelimit-remaining", "")) != "0":
            return None
        try:
            reset = float(headers["x-ratelimit-reset"])
        except (KeyError, ValueError):
            return 60.0
        return max(0.0, reset - self._clock()) + 1.0

    def _http_error(self, status: int, headers: dict[str, Any], body: str) -> None:
        snippet = self.redact(" ".join(str(body)[:200].split()))
        if status in (403, 429):
            wait = self._reset_wait(headers)
            if wait is None and "retry-after" in headers:
                try:
                    wait = max(0.0, float(headers["retry-after"]))
                except ValueError:
                    wait = 60.0
            if wait is None and "rate limit" in snippet.lower():
                wait = 60.0  # secondary rate limit without a hint: GitHub suggests a minute
            if wait is not None:
                raise _Transient(f"rate limited (HTTP {status})", wait=wait)
        detail = _message_of(body)
        if status == 401:
            raise GitHubStatusError(
                f"{self.api_url} refused the credentials (HTTP 401); set a valid token in "
                f"${self.token_env}", status=status, detail=detail)
        if status in (502, 504):
            raise _Transient(f"HTTP {status}", halve=True)
        if status >= 500:
            raise _Transient(f"HTTP {status}")
        raise GitHubStatusError(f"{self.api_url} answered HTTP {status}: {snippet}",
                                status=status, detail=self.redact(detail))

    def _call(self, query: str, *, can_halve: bool) -> dict[str, Any]:
        """``_post`` with waits and retries; raises _Transient only to ask for halving."""
        return self._retrying(lambda: self._post(query), can_halve=can_halve)

    def _retrying(self, send: Callable[[], _T], *, can_halve: bool) -> _T:
        """``send()`` with waits and retries; raises _Transient only to ask for halving,
        _GaveUp when retrying is over (or pointless: nothing answers)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return send()
            except _Transient as exc:
                if exc.halve and can_halve:
                    raise
                if attempt >= self.max_attempts:
                    raise _GaveUp(f"{exc.reason} (after {attempt} attempts)") from None
                wait = exc.wait if exc.wait is not None else self.backoff * 2 ** (attempt - 1)
                if wait > self.max_wait:
                    until = datetime.fromtimestamp(self._clock() + wait, UTC)
                    raise _GaveUp(f"{exc.reason}; GitHub asks to wait until "
                                  f"{until:%H:%M:%S} UTC, longer than {self.max_wait:.0f}s"
                                  ) from None
                log.warning("GitHub: %s; retrying in %.1fs", exc.reason, wait)
                self.waited += wait
                self._sleep(wait)

    # -- a batch -----------------------------------------------------------------------

    def _now(self) -> str:
        return datetime.fromtimestamp(self._clock(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def fetch_batch(self, numbers: list[int], *, can_halve: bool = True
                    ) -> tuple[list[PRRecord], dict[int, dict[str, Any]], list[int]]:
        """One request for ``numbers``: the finished records (not-found ones included),
        the PRs whose labels or files continue on further pages, and the numbers to retry.
        """
        payload = self._call(build_query(self.repo, {n: None for n in numbers},
                                         label_page=self.label_page, file_page=self.file_page),
                             can_halve=can_halve)
        repo_data = payload["data"].get("repository")
        errors = _errors_by_alias(payload.get("errors"))
        if repo_data is None:
            raise GitHubError(f"repository {self.repo} not found at {self.api_url}")
        records: list[PRRecord] = []
        partial: dict[int, dict[str, Any]] = {}
        retry: list[int] = []
        now = self._now()
        for number in numbers:
            node = repo_data.get(f"p{number}")
            if node is None:
                error = errors.get(f"p{number}")
                if error is None or error.get("type") == "NOT_FOUND":
                    records.append(PRRecord.not_found(number, fetched_at=now))
                else:
                    log.info("PR #%s: %s; will retry", number, error.get("message"))
                    retry.append(number)
            elif _next_cursors(node):
                partial[number] = node
            else:
                records.append(_record(node, now))
        return records, partial, retry

    def complete(self, partial: dict[int, dict[str, Any]]) -> list[PRRecord]:
        """Follow ``hasNextPage`` of labels and files until every node is whole.

        One request per round for up to ``batch_size`` PRs, whichever batches they came
        from: long lists are rare, so pooling them saves most pagination requests.
        """
        while True:
            wanted = [(n, cursors) for n, node in partial.items()
                      if (cursors := _next_cursors(node))]
            if not wanted:
                break
            for start in range(0, len(wanted), self.batch_size):
                chunk: dict[int, dict[str, str | None] | None] = dict(
                    wanted[start:start + self.batch_size])
                payload = self._call(build_query(self.repo, chunk, label_page=self.label_page,
                                                 file_page=self.file_page), can_halve=False)
                repo_data = payload["data"].get("repository") or {}
                for number, asked in chunk.items():
                    page = repo_data.get(f"p{number}")
                    for conn in asked or {}:
                        if page is None or page.get(conn) is None:
                            raise _GaveUp(f"PR #{number}: no next page of {conn}")
                        partial[number][conn]["nodes"].extend(page[conn]["nodes"])
                        partial[number][conn]["pageInfo"] = page[conn]["pageInfo"]
        now = self._now()
        return [_record(node, now) for node in partial.values()]

    # -- many batches ------------------------------------------------------------------

    def fetch(self, numbers: Iterable[int], *,
              on_batch: Callable[[list[PRRecord]], None]) -> FetchReport:
        """Fetch every number, handing finished records to ``on_batch`` (the cache).

        Never raises for a batch that fails: its numbers land in ``report.failed`` and the
        rest goes on, so one bad stretch cannot cost what was already fetched.
        """
        todo = list(dict.fromkeys(int(n) for n in numbers))
        start_requests, start_waited = self.requests, self.waited
        report = FetchReport()
        queue: deque[tuple[list[int], int]] = deque(
            (todo[i:i + self.batch_size], 0) for i in range(0, len(todo), self.batch_size))
        partial: dict[int, dict[str, Any]] = {}

        def finish_partial() -> None:
            try:
                records = self.complete(partial)
            except _GaveUp as exc:
                report.failed.update((n, self.redact(str(exc))) for n in partial)
            else:
                on_batch(records)
            partial.clear()

        while queue:
            batch, rounds = queue.popleft()
            try:
                records, more, retry = self.fetch_batch(batch, can_halve=len(batch) > 1)
            except _Transient as exc:  # asked to halve
                half = len(batch) // 2
                log.info("GitHub: %s for %d PRs; splitting the batch", exc.reason, len(batch))
                queue.appendleft((batch[half:], rounds))
                queue.appendleft((batch[:half], rounds))
                continue
            except _GaveUp as exc:
                # GitHub stayed unavailable through every retry: the next batches would
                # only wait as long again, so stop and report; the cache keeps the rest.
                report.failed.update((n, self.redact(str(exc))) for n in batch)
                skipped = [n for left, _ in queue for n in left] + list(partial)
                report.failed.update((n, "not tried after an earlier failure") for n in skipped)
                queue.clear()
                partial.clear()
                break
            if records:
                on_batch(records)
            partial.update(more)
            if len(partial) >= self.batch_size:
                finish_partial()
            if retry:
                if rounds + 1 >= self.max_attempts:
                    report.failed.update((n, "GitHub returned an error for it") for n in retry)
                else:
                    queue.append((retry, rounds + 1))
        if partial:
            finish_partial()
        report.requests = self.requests - start_requests
        report.waited = self.waited - start_waited
        return report


def _message_of(body: str) -> str:
    """GitHub's ``message`` (plus validation details) from an error body, else ''."""
    try:
        data = json.loads(body)
    except (ValueError, TypeError):
        return ""
    if not isinstance(data, dict):
        return ""
    message = str(data.get("message") or "")
    details = [str(e.get("message") or e.get("code") or "") for e in data.get("errors") or []
               if isinstance(e, dict)]
    details = [d for d in details if d]
    return message + (f" ({'; '.join(details)})" if details else "")


def _next_cursors(node: dict[str, Any]) -> dict[str, str | None]:
    """``{connection: endCursor}`` of the labels/files lists that have another page."""
    return {conn: node[conn]["pageInfo"]["endCursor"] for conn in ("labels", "files")
            if (node.get(conn) or {}).get("pageInfo", {}).get("hasNextPage")}


def _errors_by_alias(errors: Any) -> dict[str, dict[str, Any]]:
    """GraphQL errors keyed by the alias in their path (``["repository", "p123"]``)."""
    out: dict[str, dict[str, Any]] = {}
    for error in errors or []:
        path = error.get("path") if isinstance(error, dict) else None
        if isinstance(path, list) and len(path) >= 2 and isinstance(path[1], str):
            out.setdefault(path[1], error)
    return out


def _record(node: dict[str, Any], fetched_at: str) -> PRRecord:
    title = node.get("title") or ""
    body = node.get("body") or ""
    labels = [n["name"] for n in (node.get("labels") or {}).get("nodes", [])]
    files = [n["path"] for n in (node.get("files") or {}).get("nodes", [])]
    changed = int(node.get("changedFiles") or 0)
    if len(files) < changed:
        log.info("PR #%s lists %d of %d changed files (GitHub caps the list)",
                 node.get("number"), len(files), changed)
    author = (node.get("author") or {}).get("login")
    return PRRecord(
        number=int(node["number"]), title=title, body=body,
        state=str(node.get("state") or "").lower(), merged=bool(node.get("merged")),
        merged_at=node.get("mergedAt"), author=author, labels=labels, files=files,
        changed_files=changed, reverts=find_reverts(title, body),
        relands=find_relands(title, body), updated_at=node.get("updatedAt"),
        fetched_at=fetched_at,
    )
