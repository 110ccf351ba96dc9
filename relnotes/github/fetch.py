"""Cache-first PR metadata: what triage, check and review call.

The cache answers first; only the numbers it lacks (or all of them with ``refresh``) go
to GitHub, and every batch is stored as soon as it arrives, so a run that is interrupted
or fails half-way keeps what it got and the next run asks only for the rest.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from relnotes.config import Config
from relnotes.errors import GitHubError
from relnotes.github.cache import MetadataCache, resolve_cache_path
from relnotes.github.records import PRRecord

__all__ = ["FetchResult", "cached_metadata", "fetch_metadata", "load_metadata", "worksheet_prs"]

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


class _Progress:
    """A one-line bar on stderr, redrawn in place; does nothing when disabled."""

    def __init__(self, total: int, *, enabled: bool, stream: IO[str] | None = None) -> None:
        self.total = total
        self.done = 0
        self.enabled = enabled and total > 0
        self.stream = stream or sys.stderr

    def advance(self, count: int, requests: int) -> None:
        self.done += count
        if not self.enabled:
            return
        width = 30
        filled = width * min(self.done, self.total) // self.total
        self.stream.write(f"\rPR metadata [{'#' * filled}{'.' * (width - filled)}] "
                          f"{self.done}/{self.total} ({requests} requests)")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def fetch_metadata(
    numbers: Iterable[int],
    *,
    config: Config,
    offline: bool = False,
    refresh: bool = False,
    progress: bool | None = None,
    api_url: str | None = None,
    client: Any = None,
) -> FetchResult:
    """Cache first, then GitHub for the rest; never raises for PRs that failed.

    ``progress=None`` shows the bar only when stderr is a terminal. ``client`` lets tests
    and benchmarks pass a :class:`~relnotes.github.client.GitHubClient` with their own
    sleep, clock and page sizes.
    """
    wanted = list(dict.fromkeys(int(n) for n in numbers))
    cache_path = resolve_cache_path(config)
    repo = client.repo if client is not None else config.repo
    result = FetchResult(repo=repo, cache_path=str(cache_path))
    with MetadataCache(cache_path) as cache:
        if not refresh:
            result.records = cache.get_many(repo, wanted)
            result.from_cache = len(result.records)
        todo = [n for n in wanted if n not in result.records]
        if not todo:
            return result
        if offline:
            result.missing = todo
            return result
        if client is None:
            from relnotes.github.client import GitHubClient

            client = GitHubClient.from_config(config, api_url=api_url)
        bar = _Progress(len(todo), enabled=_stderr_is_tty() if progress is None else progress)
        start = client.requests

        def store(records: list[PRRecord]) -> None:
            cache.put_many(repo, records)
            for record in records:
                result.records[record.number] = record
            result.fetched += len(records)
            bar.advance(len(records), client.requests - start)

        try:
            report = client.fetch(todo, on_batch=store)
        finally:
            bar.close()
            result.requests = client.requests - start
        result.failed = report.failed
        result.waited = report.waited
    return result


def load_metadata(
    numbers: Iterable[int],
    *,
    config: Config,
    offline: bool = False,
    refresh: bool = False,
    progress: bool | None = None,
    api_url: str | None = None,
) -> dict[int, PRRecord]:
    """Records for ``numbers`` (not-found ones have ``found=False``).

    Raises :class:`GitHubError` naming the numbers that could not be fetched; everything
    that was fetched is in the cache by then. Offline, numbers missing from the cache are
    simply absent from the result.
    """
    result = fetch_metadata(numbers, config=config, offline=offline, refresh=refresh,
                            progress=progress, api_url=api_url)
    if result.failed:
        raise GitHubError(describe_failures(result.failed))
    return result.records


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
    path = resolve_cache_path(config)
    if not path.exists():
        return {}
    with MetadataCache(path) as cache:
        return cache.get_many(config.repo, numbers)


def worksheet_prs(paths: Iterable[str | Path]) -> list[int]:
    """Every PR number referenced by the items of the given worksheets, in file order."""
    from relnotes.worksheet import read_worksheet

    numbers: list[int] = []
    for path in paths:
        for item in read_worksheet(path).items():
            numbers.extend(item.all_prs)  # title PRs and those of nested bullets
    return list(dict.fromkeys(numbers))
