"""A GitHub-compatible HTTP server for tests, benchmarks and demos.

It is a real server on 127.0.0.1 that PyGithub talks to unchanged: ``POST /graphql`` runs
the queries relnotes sends against fixture PRs (graphql-core over GitHub's schema, in
:mod:`tests.github_server.graphql_api`), and the REST endpoints PR submission needs
(:mod:`tests.github_server.rest`: repository, branches, git refs, contents, pulls, issue
labels and comments, the user) keep their state in memory. Faults can be injected
for the next N requests (rate limits, 5xx, malformed bodies, slowness, hangs) from Python
(:meth:`FakeGitHub.inject`) or over HTTP (``POST /_fake/inject``), and every request is
logged (method, path, status, the number of PRs a GraphQL query asked for, the time the
server took to answer; never headers, so never a token).

Run on its own (from the repository root): ``python -m tests.github_server --help``.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

from tests.github_server.graphql_api import execute
from tests.github_server.rest import (
    RepoSettings,
    Response,
    RestMixin,
    json_response,
    not_found,
    sha_of,
)

__all__ = [
    "FAULTS",
    "FIXTURES_DIR",
    "FakeGitHub",
    "RunningServer",
    "load_fixtures",
    "start_server",
]

FIXTURES_DIR = Path(__file__).parent / "fixtures"

# canonical fault name -> aliases accepted by inject()
FAULTS = {
    "rate_limit": ("403",),
    "retry_after": ("429", "secondary_rate_limit"),
    "bad_gateway": ("502",),
    "gateway_timeout": ("504",),
    "server_error": ("500",),
    "malformed": ("malformed_json",),
    "slow": ("latency",),
    "hang": ("timeout",),
}
_ALIASES = {alias: name for name, aliases in FAULTS.items() for alias in (name, *aliases)}



def load_fixtures(folder: str | Path = FIXTURES_DIR) -> dict[str, dict[int, dict[str, Any]]]:
    """PR fixtures by repo and number from every ``*.json`` in ``folder``.

    Each file holds ``{"repo": "owner/name", "pulls": [{number, title, body, state,
    merged, mergedAt, updatedAt, author, labels: [names], files: [paths]}, ...]}``.
    """
    out: dict[str, dict[int, dict[str, Any]]] = {}
    for path in sorted(Path(folder).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        repo_prs = out.setdefault(data["repo"], {})
        for pr in data["pulls"]:
            repo_prs[int(pr["number"])] = pr
    return out


@dataclass
class _Fault:
    kind: str
    remaining: int
    path: str | None
    params: dict[str, Any]


class FakeGitHub(RestMixin):
    """Server state and behaviour, independent of the HTTP plumbing."""

    def __init__(
        self,
        *,
        fixtures: dict[str, dict[int, dict[str, Any]]] | None = None,
        latency_ms: float = 0.0,
        log_path: str | Path | None = None,
        token: str | None = None,
        login: str = "relnotes-bot",
    ) -> None:
        self.fixtures = fixtures if fixtures is not None else load_fixtures()
        self.latency_ms = latency_ms
        self.log_path = Path(log_path) if log_path else None
        self.required_token = token
        self.login = login
        self.requests: list[dict[str, Any]] = []
        self.pulls: dict[int, dict[str, Any]] = {}  # PRs created or edited through REST
        self.branches: dict[str, dict[str, str]] = {}  # repo -> branch -> sha
        self.repos: dict[str, RepoSettings] = {}  # configured by add_repo()
        self.contents: dict[tuple[str, str, str], str] = {}  # (repo, branch, path) -> text
        self._faults: list[_Fault] = []
        # PR number -> how many more times resolving it fails with an INTERNAL error
        # (GitHub's "Something went wrong" for one alias while the rest of the query works)
        self.pr_errors: dict[int, int] = {}
        self._lock = threading.RLock()

    # -- control -----------------------------------------------------------------------

    def inject(self, fault: str, count: int = 1, *, path: str | None = None,
               **params: Any) -> None:
        """Make the next ``count`` requests (whose path starts with ``path``) fail.

        Faults: rate_limit (403, reset in ``reset_in`` s), retry_after (429,
        ``retry_after`` s), bad_gateway (502), gateway_timeout (504), server_error (500),
        malformed (truncated JSON with 200), slow (``ms`` extra), hang (``seconds``).
        """
        kind = _ALIASES.get(str(fault))
        if kind is None:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(FAULTS)}")
        with self._lock:
            self._faults.append(_Fault(kind, int(count), path, params))

    def clear(self) -> None:
        """Forget faults and the request log (not the pulls)."""
        with self._lock:
            self._faults.clear()
            self.requests.clear()

    def add_repo(self, repo: str, *, default_branch: str = "main",
                 git_dir: str | Path | None = None) -> None:
        """Answer for ``repo`` (``owner/name``) with this default branch; with ``git_dir``
        (e.g. the bare remote a test pushes to) its branches and pull-request files come
        from that git repository."""
        if repo.count("/") != 1:
            raise ValueError(f"repository must be owner/name, got {repo!r}")
        with self._lock:
            self.repos[repo] = RepoSettings(default_branch,
                                            Path(git_dir).resolve() if git_dir else None)

    def add_branch(self, repo: str, name: str, sha: str | None = None) -> str:
        with self._lock:
            sha = sha or sha_of(repo, name, time.time())
            self._branches(repo)[name] = sha
            return sha

    # -- dispatch ----------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Any, raw: bytes, base: str) -> Response:
        """Answer one HTTP request; ``base`` is the URL the client reached us at."""
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        split = urlsplit(target)
        path, query = split.path, parse_qs(split.query)
        entry: dict[str, Any] = {"method": method, "path": target}
        if path.rstrip("/").endswith("graphql"):
            # PRs asked, counted in the query text so faulted requests are counted too
            entry["prs"] = len(re.findall(rb"\bpullRequest\s*\(", raw))
        if path.startswith("/_fake/"):
            return self._control(method, path, raw)
        response = self._apply_fault(path, entry)
        if response is None:
            response = self._auth(headers)
        if response is None:
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                response = json_response(400, {"message": "Problems parsing JSON"})
            else:
                started = time.perf_counter()
                response = self._route(method, path, query, body, base, entry)
                # the server's own work, so benchmarks can tell it from the client's
                entry["server_ms"] = round((time.perf_counter() - started) * 1000, 1)
        entry["status"] = response[0]
        self._log(entry)
        return response

    def _log(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(entry)
            if self.log_path:
                with self.log_path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(entry) + "\n")

    def _control(self, method: str, path: str, raw: bytes) -> Response:
        if path == "/_fake/inject" and method == "POST":
            spec = json.loads(raw or b"{}")
            try:
                self.inject(spec.pop("fault"), spec.pop("count", 1), path=spec.pop("path", None),
                            **spec)
            except (KeyError, ValueError) as exc:
                return json_response(400, {"message": str(exc)})
            return json_response(200, {"ok": True})
        if path == "/_fake/requests":
            return json_response(200, self.requests)
        if path == "/_fake/pulls":
            return json_response(200, list(self.pulls.values()))
        if path == "/_fake/reset" and method == "POST":
            self.clear()
            return json_response(200, {"ok": True})
        return json_response(404, {"message": "Not Found"})

    def _auth(self, headers: Any) -> Response | None:
        if self.required_token is None:
            return None
        given = (headers.get("Authorization") or "").split(" ", 1)
        if len(given) == 2 and given[1] == self.required_token:
            return None
        return json_response(401, {"message": "Bad credentials",
                           "documentation_url": "https://docs.github.com/rest"})

    def _apply_fault(self, path: str, entry: dict[str, Any]) -> Response | None:
        with self._lock:
            fault = next((f for f in self._faults
                          if f.path is None or path.startswith(f.path)), None)
            if fault is None:
                return None
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
        entry["fault"] = fault.kind
        p = fault.params
        if fault.kind == "slow":
            time.sleep(float(p.get("ms", 200)) / 1000)
            return None
        if fault.kind == "hang":
            time.sleep(float(p.get("seconds", 5)))
            return None
        if fault.kind == "rate_limit":
            reset = int(time.time() + float(p.get("reset_in", 1)))
            return json_response(403, {"message": "API rate limit exceeded for user ID 1.",
                               "documentation_url": "https://docs.github.com/rest/rate-limit"},
                         {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0",
                          "X-RateLimit-Used": "5000", "X-RateLimit-Reset": str(reset)})
        if fault.kind == "retry_after":
            return json_response(429, {"message": "You have exceeded a secondary rate limit."},
                         {"Retry-After": str(p.get("retry_after", 1))})
        if fault.kind == "malformed":
            return 200, {"Content-Type": "application/json"}, b'{"data": {"repository": {"p1'
        status = {"bad_gateway": 502, "gateway_timeout": 504, "server_error": 500}[fault.kind]
        return status, {"Content-Type": "text/html"}, f"<h1>{status} Server Error</h1>".encode()

    _ROUTES: ClassVar[list[tuple[str, str, str]]] = [
        ("POST", r"/(?:api/)?graphql", "_graphql"),
        *RestMixin.REST_ROUTES,
    ]

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any,
               base: str, entry: dict[str, Any]) -> Response:
        path = "/" + path.strip("/")
        if path.startswith("/api/v3/"):
            path = path[len("/api/v3"):]
        for verb, pattern, handler in self._ROUTES:
            match = re.fullmatch(pattern, path)
            if match and verb == method:
                args = {k: unquote(v) for k, v in match.groupdict().items()}
                answer: Callable[..., Response] = getattr(self, handler)
                with self._lock:
                    return answer(base=base, query=query, body=body, entry=entry, **args)
        return not_found()

    # -- GraphQL -----------------------------------------------------------------------

    def _graphql(self, *, body: Any, **_: Any) -> Response:
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return json_response(400, {"message": "A query attribute must be specified"})
        return json_response(200, execute(self, body["query"],
                                          variables=body.get("variables") or {}))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as GitHub: PyGithub reuses connections
    server: _Server

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes; without NODELAY the second one waits
        # for a delayed ACK (~40 ms per request), which would swamp latency benchmarks.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
        status, headers, body = self.server.fake.handle(
            self.command, self.path, self.headers, raw, f"http://{host}")
        try:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # client gave up (timeout test)
            self.close_connection = True

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # the fake logs on its own
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], fake: FakeGitHub) -> None:
        super().__init__(address, _Handler)
        self.fake = fake


@dataclass
class RunningServer:
    """A started server: its URL, its state and a way to stop it."""

    fake: FakeGitHub
    server: _Server
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The request log: ``{method, path, status[, prs][, fault][, server_ms]}`` per request."""
        return self.fake.requests

    @property
    def pulls(self) -> dict[int, dict[str, Any]]:
        """PRs created or edited through REST, by number (REST JSON shape)."""
        return self.fake.pulls

    def inject(self, fault: str, count: int = 1, **params: Any) -> None:
        self.fake.inject(fault, count, **params)

    def add_repo(self, repo: str, *, default_branch: str = "main",
                 git_dir: str | Path | None = None) -> None:
        """Answer for ``repo`` too (see :meth:`FakeGitHub.add_repo`)."""
        self.fake.add_repo(repo, default_branch=default_branch, git_dir=git_dir)

    def config(self, *, cache_path: str | Path, **overrides: Any) -> Any:
        """A relnotes Config pointed at this server and at ``cache_path``."""
        from relnotes.config import Config

        # token_env names a variable nobody sets, so a developer's real token stays home.
        overrides.setdefault("token_env", "RELNOTES_FAKE_GITHUB_TOKEN")
        overrides.setdefault("api_url", self.url)
        return Config().with_overrides(cache_path=str(cache_path), **overrides)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start_server(fake: FakeGitHub | None = None, *, port: int = 0) -> RunningServer:
    """Serve ``fake`` on 127.0.0.1 (an ephemeral port by default) in a daemon thread."""
    fake = fake or FakeGitHub()
    server = _Server(("127.0.0.1", port), fake)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="fake-github", daemon=True)
    thread.start()
    return RunningServer(fake, server, thread)
