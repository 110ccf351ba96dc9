"""Which pull request a commit belongs to, for items that carry only a commit hash.

The generator writes a commit hash where it found no PR number in the commit message
(hundreds of such items in a release's generated ``todo/``, a few left in ``done/``).
GitHub answers which pull requests hold a commit (``GET /repos/{repo}/commits/{sha}/pulls``,
one request per commit); the answer is cached beside the PR metadata, "no pull request"
included, so ``relnotes fetch`` asks once and triage and review read the cache.

Of several pull requests holding a commit, the one that merged it is taken (its merge
commit is this commit), else a merged one, else the first; none is ever invented.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from relnotes.config import Config
from relnotes.errors import GitHubError
from relnotes.github.cache import MetadataCache, resolve_cache_path

if TYPE_CHECKING:
    from relnotes.github.client import GitHubClient

__all__ = ["CommitLookup", "cached_commit_prs", "pick_pull", "resolve_commits"]

Progress = Callable[[int, int, int], None]


@dataclass
class CommitLookup:
    """``prs``: the PR of each commit (None: GitHub knows none); ``failed``: commits
    GitHub could not be asked about, with why; ``missing``: not cached (offline)."""

    prs: dict[str, int | None] = field(default_factory=dict)
    from_cache: int = 0
    fetched: int = 0
    requests: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    @property
    def tied(self) -> dict[str, int]:
        """The commits that belong to a PR, and that PR."""
        return {sha: pr for sha, pr in self.prs.items() if pr is not None}


def pick_pull(sha: str, pulls: list[dict[str, Any]]) -> int | None:
    """The pull request a commit belongs to, of those GitHub lists (see the module doc)."""
    def merged_it(pull: dict[str, Any]) -> bool:
        return str(pull.get("merge_commit_sha") or "").lower().startswith(sha.lower())

    for wanted in (merged_it, lambda p: bool(p.get("merged_at")), lambda p: True):
        for pull in pulls:
            if wanted(pull) and isinstance(pull.get("number"), int):
                return int(pull["number"])
    return None


def _source(config: Config, client: GitHubClient | None) -> tuple[str, str]:
    from relnotes.github.client import resolve_api_url

    if client is not None:
        return client.repo, client.api_url
    return config.repo, resolve_api_url(config)


def cached_commit_prs(shas: Iterable[str], *, config: Config) -> dict[str, int | None]:
    """What the cache knows of ``shas``; never touches the network nor creates a cache."""
    path = resolve_cache_path(config)
    if not path.exists():
        return {}
    repo, api_url = _source(config, None)
    with MetadataCache(path) as cache:
        return cache.get_commits(repo, shas, api_url=api_url)


def resolve_commits(shas: Iterable[str], *, config: Config, offline: bool = False,
                    refresh: bool = False, progress: Progress | None = None,
                    client: GitHubClient | None = None) -> CommitLookup:
    """The cache first, then GitHub for the rest, one request per commit; each answer is
    stored at once, so an interrupted run keeps what it got. Never raises because GitHub
    failed for a commit: it is in ``failed``; one that cannot be reached at all stops
    the asking (the rest are ``failed`` too)."""
    from relnotes.github.client import GitHubClient, GitHubStatusError

    wanted = list(dict.fromkeys(s.lower() for s in shas))
    repo, api_url = _source(config, client)
    lookup = CommitLookup()
    if not wanted:
        return lookup
    with MetadataCache(resolve_cache_path(config)) as cache:
        if not refresh:
            lookup.prs = cache.get_commits(repo, wanted, api_url=api_url)
            lookup.from_cache = len(lookup.prs)
        todo = [s for s in wanted if s not in lookup.prs]
        if offline or not todo:
            lookup.missing = todo if offline else []
            return lookup
        client = client or GitHubClient.from_config(config)
        start = client.requests
        for n, sha in enumerate(todo):
            try:
                _, pulls = client.rest("GET", f"/repos/{repo}/commits/{sha}/pulls")
                pr = pick_pull(sha, pulls if isinstance(pulls, list) else [])
            except GitHubStatusError as exc:
                if exc.status != 422:  # 422: GitHub has no such commit -- no PR either
                    lookup.failed[sha] = exc.message
                    continue
                pr = None
            except GitHubError as exc:
                lookup.failed.update((s, exc.message) for s in todo[n:])
                break
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            cache.put_commits(repo, {sha: pr}, api_url=api_url, fetched_at=now)
            lookup.prs[sha] = pr
            lookup.fetched += 1
            if progress is not None:
                progress(lookup.fetched, len(todo), client.requests - start)
        lookup.requests = client.requests - start
    return lookup
