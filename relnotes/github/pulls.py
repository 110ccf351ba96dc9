"""Open or update the pull request of a pushed branch, through the one GitHub client.

Submission needs three REST calls (find the open pull request of ``owner:branch`` into
``base``, then edit it or create it); they go through :meth:`GitHubClient.rest`, so the
token, rate limits and retries are handled as for ``fetch``. Creating is the one call
that is not idempotent: when GitHub says a pull request already exists (the first try
went through but its answer was lost), it is looked up again and edited instead.

Errors name the repository and say what to do. :func:`check_repository` asks for the
repository before the branch is pushed; a failure after the push leaves the user to
finish by hand or run ``submit`` again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from relnotes.errors import GitHubError
from relnotes.github.client import GitHubClient, GitHubStatusError

__all__ = ["PullRequest", "check_repository", "open_pull_request"]


@dataclass(frozen=True)
class PullRequest:
    number: int
    url: str
    created: bool  # False: an open pull request of the same branch was updated


def _find(client: GitHubClient, head: str, base: str) -> dict[str, Any] | None:
    _, found = client.rest("GET", f"/repos/{client.repo}/pulls",
                           parameters={"state": "open", "head": head, "base": base})
    return found[0] if isinstance(found, list) and found else None


def _explain(exc: GitHubError, client: GitHubClient) -> str:
    """What a failure means for someone who wants a pull request in ``client.repo``."""
    repo, where = client.repo, client.api_url
    if isinstance(exc, GitHubStatusError):
        said = f"GitHub answered {exc.status}" + (f" ({exc.detail})" if exc.detail else "")
        if exc.status == 401:
            hint = f"set a valid token in ${client.token_env}"
        elif exc.status in (403, 404):
            hint = (f"check that {repo} exists at {where} and that the token in "
                    f"${client.token_env} may open pull requests there (or pass --repo)")
        elif exc.status == 422:
            hint = "check that the branch was pushed to the repository the pull request is for"
        else:
            hint = "try again later"
        return f"{said} for {repo}: {hint}"
    return f"{exc.message} (repository {repo}); try again when {where} can be reached"


def check_repository(client: GitHubClient) -> None:
    """Ask GitHub for the repository before anything is pushed: a wrong ``--repo``, a bad
    token or a host that cannot be reached stops the submission with nothing pushed."""
    try:
        client.rest("GET", f"/repos/{client.repo}")
    except GitHubError as exc:
        raise GitHubError(f"{_explain(exc, client)}; nothing was pushed") from None


def open_pull_request(client: GitHubClient, *, head_owner: str, branch: str, base: str,
                      title: str, body: str) -> PullRequest:
    """Edit the open pull request of ``head_owner:branch`` into ``base``, or create it."""
    head = f"{head_owner}:{branch}"
    try:
        pull = _find(client, head, base)
        if pull is None:
            try:
                _, pull = client.rest("POST", f"/repos/{client.repo}/pulls", input={
                    "title": title, "body": body, "head": head if head_owner != client.repo
                    .split("/")[0] else branch, "base": base})
                return PullRequest(int(pull["number"]), str(pull["html_url"]), True)
            except GitHubStatusError as exc:
                if exc.status != 422 or "already exists" not in exc.detail:
                    raise
                pull = _find(client, head, base)
                if pull is None:
                    raise
        _, pull = client.rest("PATCH", f"/repos/{client.repo}/pulls/{int(pull['number'])}",
                              input={"title": title, "body": body})
        return PullRequest(int(pull["number"]), str(pull["html_url"]), False)
    except GitHubError as exc:
        raise GitHubError(_explain(exc, client)) from None
