"""Cache-first PR metadata: what triage, check and review call.

The cache answers first; only the numbers it lacks (or all of them with ``refresh``) go
to GitHub, and every batch is stored as soon as it arrives, so a run that is interrupted
or fails half-way keeps what it got and the next run asks only for the rest.

Items that carry only a commit hash get the PR ``relnotes fetch`` found for their commit
(:mod:`relnotes.github.commits`): :func:`metadata_for` returns a :class:`Metadata` that
knows it, and :func:`item_prs` is an item's PRs for metadata purposes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relnotes.config import Config
from relnotes.errors import GitHubError
from relnotes.github.cache import MetadataCache, resolve_cache_path
from relnotes.github.commits import cached_commit_prs
from relnotes.github.records import PRRecord
from relnotes.prrefs import DEFAULT_REPO

if TYPE_CHECKING:
    from relnotes.github.client import GitHubClient
    from relnotes.worksheet import Item

__all__ = ["FetchResult", "Metadata", "MetadataLookup", "Progress", "cached_metadata",
           "document_prs", "document_refs", "fetch_metadata", "item_prs",
           "lookup_metadata", "metadata_for", "unlinked_commits"]

log = logging.getLogger(__name__)


@dataclass
class FetchResult:
    """Records by number plus how they were obtained (for ``relnotes fetch`` reports)."""

    repo: str
    records: dict[int, PRRecord] = field(default_factory=dict)
    from_cache: int = 0
    fetched: int = 0
    requests: int = 0
    failed: dict[int, str] = field(default_factory=dict)
    missing: list[int] = field(default_factory=list)  # not cached and not fetched (offline)
    cache_path: str = ""
    waited: float = 0.0  # seconds spent waiting for rate limits and retries
    api_url: str = ""  # where the records come from (part of the cache key)

    @property
    def not_found(self) -> list[int]:
        return sorted(n for n, r in self.records.items() if not r.found)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape of ``relnotes fetch --format json``."""
        return {
            "repo": self.repo,
            "requested": len(self.records) + len(self.failed) + len(self.missing),
            "from_cache": self.from_cache,
            "fetched": self.fetched,
            "requests": self.requests,
            "waited_seconds": round(self.waited, 1),
            "not_found": self.not_found,
            "failed": {str(n): why for n, why in sorted(self.failed.items())},
            "missing": sorted(self.missing),
            "cache": self.cache_path,
            "prs": [self.records[n].to_json() for n in sorted(self.records)],
        }


Progress = Callable[[int, int, int], None]
"""``progress(done, total, requests)``: called after every stored batch; the CLI draws it."""


def fetch_metadata(
    numbers: Iterable[int],
    *,
    config: Config,
    offline: bool = False,
    refresh: bool = False,
    progress: Progress | None = None,
    client: GitHubClient | None = None,
) -> FetchResult:
    """Cache first, then GitHub for the rest; never raises for PRs that failed.

    ``client`` lets tests and benchmarks pass a :class:`GitHubClient` with their own
    sleep, clock and page sizes. Records are cached under the API URL they came from, so
    a test server's answers are never served for api.github.com.
    """
    from relnotes.github.client import resolve_api_url

    wanted = list(dict.fromkeys(int(n) for n in numbers))
    cache_path = resolve_cache_path(config)
    repo = client.repo if client is not None else config.repo
    source = client.api_url if client is not None else resolve_api_url(config)
    result = FetchResult(repo=repo, cache_path=str(cache_path), api_url=source)
    with MetadataCache(cache_path) as cache:
        if not refresh:
            result.records = cache.get_many(repo, wanted, api_url=source)
            result.from_cache = len(result.records)
        todo = [n for n in wanted if n not in result.records]
        if not todo:
            return result
        if offline:
            result.missing = todo
            return result
        if client is None:
            from relnotes.github.client import GitHubClient

            client = GitHubClient.from_config(config)
        start = client.requests
        active = client

        def store(records: list[PRRecord]) -> None:
            cache.put_many(repo, records, api_url=source)
            for record in records:
                result.records[record.number] = record
            result.fetched += len(records)
            if progress is not None:
                progress(result.fetched, len(todo), active.requests - start)

        try:
            report = client.fetch(todo, on_batch=store)
        finally:
            result.requests = client.requests - start
        result.failed = report.failed
        result.waited = report.waited
    return result


def describe_failures(failed: dict[int, str]) -> str:
    """One message listing the failed numbers, grouped by reason."""
    by_reason: dict[str, list[int]] = {}
    for number, reason in sorted(failed.items()):
        by_reason.setdefault(reason, []).append(number)
    parts = [f"{reason}: " + ", ".join(f"#{n}" for n in nums[:20])
             + (f" and {len(nums) - 20} more" if len(nums) > 20 else "")
             for reason, nums in by_reason.items()]
    return (f"could not fetch {len(failed)} PR(s) ({'; '.join(parts)}); "
            "what was fetched is cached, run again to resume")


def cached_metadata(numbers: Iterable[int], *, config: Config) -> dict[int, PRRecord]:
    """Only what the cache has; never touches the network (nor creates a cache file)."""
    from relnotes.github.client import resolve_api_url

    path = resolve_cache_path(config)
    if not path.exists():
        return {}
    with MetadataCache(path) as cache:
        return cache.get_many(config.repo, numbers, api_url=resolve_api_url(config))


@dataclass
class MetadataLookup:
    """What :func:`lookup_metadata` found, and the one warning to show when incomplete."""

    records: dict[int, PRRecord]
    missing: list[int]  # neither cached nor fetched
    warning: str | None = None


def lookup_metadata(numbers: Iterable[int], *, config: Config, offline: bool = False,
                    sources: Sequence[str | Path] = ()) -> MetadataLookup:
    """Cache, then GitHub for the rest; what cannot be had is reported, never raised.

    The helper for commands that work better with metadata but can work without it
    (triage, review, audit, entry new). When GitHub cannot be reached, is rate limited
    beyond patience, refuses the token, or the cache cannot be read, the result holds
    what the cache had and ``warning`` is one line naming what is missing and how to
    fetch it (``sources``: the worksheets, for the command to suggest). Offline, the
    missing numbers are listed but not warned about: the user asked for it.
    """
    wanted = list(dict.fromkeys(int(n) for n in numbers))
    if not wanted:
        return MetadataLookup({}, [])
    if offline:  # never creates a cache file, never warns: the user asked for the cache only
        try:
            found = cached_metadata(wanted, config=config)
        except (GitHubError, OSError) as exc:
            log.info("no cached PR metadata: %s", exc)
            found = {}
        return MetadataLookup(found, [n for n in wanted if n not in found])
    try:
        result = fetch_metadata(wanted, config=config)
    except (GitHubError, OSError) as exc:  # the cache (or the repo setting) is unusable
        reason = exc.message if isinstance(exc, GitHubError) else str(exc)
        cached: dict[int, PRRecord] = {}
        try:
            cached = cached_metadata(wanted, config=config)
        except (GitHubError, OSError):
            pass
        missing = [n for n in wanted if n not in cached]
        return MetadataLookup(cached, missing, _warning(reason, missing, wanted, sources))
    missing = sorted(result.failed)
    if not result.failed:
        return MetadataLookup(result.records, missing)
    reasons = [r for r in result.failed.values() if not r.startswith("not tried")]
    reason = reasons[0] if reasons else next(iter(result.failed.values()))
    return MetadataLookup(result.records, missing, _warning(reason, missing, wanted, sources))


def _warning(reason: str, missing: list[int], wanted: list[int],
             sources: Sequence[str | Path]) -> str:
    shown = ", ".join(f"#{n}" for n in missing[:5]) + (" ..." if len(missing) > 5 else "")
    if sources:
        command = "relnotes fetch " + " ".join(_quote(str(s)) for s in sources)
    else:
        command = "relnotes fetch --prs " + ",".join(str(n) for n in missing[:20]) + \
            (",..." if len(missing) > 20 else "")
    return (f"no PR metadata for {len(missing)} of {len(wanted)} PR(s) ({shown}): {reason}; "
            f"using the cache and titles only; fetch it with `{command}`")


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


class Metadata(dict[int, PRRecord]):
    """PR records by number, and ``commit_prs``: the PR each commit of a commit-only item
    belongs to, as far as the cache knows (what ``relnotes fetch`` found)."""

    def __init__(self, records: Mapping[int, PRRecord] | None = None, *,
                 commit_prs: Mapping[str, int] | None = None) -> None:
        super().__init__(records or {})
        self.commit_prs = dict(commit_prs or {})


def item_prs(item: Item, metadata: Mapping[int, Any]) -> list[int]:
    """The PRs whose metadata speaks for ``item``: its own links, else the PRs its commit
    hashes belong to (when ``metadata`` is a :class:`Metadata` that knows them)."""
    if item.prs:
        return list(item.prs)
    tied: Mapping[str, int] = getattr(metadata, "commit_prs", {})
    return list(dict.fromkeys(tied[c.lower()] for c in item.commits if c.lower() in tied))


def unlinked_commits(items: Iterable[Item]) -> list[str]:
    """The commit hashes of the items that link no PR (lower case, each once)."""
    return list(dict.fromkeys(c.lower() for item in items if not item.all_prs
                              for c in item.commits))


def metadata_for(numbers: Iterable[int], *, config: Config, offline: bool = False,
                 sources: Sequence[str | Path] = (), commits: Iterable[str] = ()) -> Metadata:
    """The records :func:`lookup_metadata` found; its warning, if any, logged once.

    The one cache-then-GitHub helper of the commands: never raises because GitHub cannot
    be reached; not-found PRs are in the result with ``found=False``. ``commits`` (of
    items without a PR link) are looked up in the cache only -- ``relnotes fetch`` asks
    GitHub, one request each -- and their PRs' records are looked up with the rest.
    """
    wanted = list(dict.fromkeys(c.lower() for c in commits))
    try:
        known = cached_commit_prs(wanted, config=config) if wanted else {}
    except (GitHubError, OSError) as exc:
        log.info("no cached commits: %s", exc)
        known = {}
    tied = {sha: pr for sha, pr in known.items() if pr is not None}
    if len(known) < len(wanted):
        log.info("%d of %d commit(s) of items without a PR link are not resolved yet: "
                 "`relnotes fetch` ties them to their PRs", len(wanted) - len(known),
                 len(wanted))
    lookup = lookup_metadata([*numbers, *tied.values()], config=config, offline=offline,
                             sources=sources)
    if lookup.warning:
        log.warning("%s", lookup.warning)
    return Metadata(lookup.records, commit_prs=tied)


def document_refs(paths: Iterable[str | Path], *, repo: str = DEFAULT_REPO
                  ) -> tuple[list[int], list[str]]:
    """(PR numbers of ``repo``, commit hashes) the given release files reference, each
    file read once: :func:`document_prs`, and the hashes of the items that link no PR
    (final notes have none: their items are all PRs)."""
    from relnotes.documents import read_document
    from relnotes.finalnotes import FinalNotes

    numbers: list[int] = []
    commits: list[str] = []
    for path in paths:
        doc = read_document(path, repo=repo)
        if isinstance(doc, FinalNotes):
            numbers.extend(doc.pr_places())
            continue
        items = doc.items()
        for item in items:
            numbers.extend(item.all_prs)
        commits += unlinked_commits(items)
    return list(dict.fromkeys(numbers)), list(dict.fromkeys(commits))


def document_prs(paths: Iterable[str | Path], *, repo: str = DEFAULT_REPO) -> list[int]:
    """Every PR number of ``repo`` the given release files reference, in file order: the
    items of worksheets, ``miscategorized.md`` and ``cherrypicks.md`` (the PRs each stands
    for, nested bullets' too; not those a title only mentions), and every PR final notes
    mention (entries and text, outside code). The kind of each file comes from
    :func:`relnotes.documents.read_document`."""
    return document_refs(paths, repo=repo)[0]
