"""``relnotes fetch``: fill the PR metadata cache for release files or PR numbers."""

from __future__ import annotations

import sys
from typing import IO

import click

from relnotes.cli.app import command, config_for, emit_json
from relnotes.cli.progress import isatty
from relnotes.errors import GitHubError, UsageError


class ProgressBar:
    """``fetch``'s progress: one line on stderr, redrawn in place after every batch."""

    def __init__(self, *, stream: IO[str] | None = None, width: int = 30,
                 label: str = "PR metadata") -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.label = label
        self.drawn = False

    def __call__(self, done: int, total: int, requests: int) -> None:
        if total <= 0:
            return
        filled = self.width * min(done, total) // total
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] "
                          f"{done}/{total} ({requests} requests)")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


_SHOWN = 30  # numbers listed per kind; the rest are counted


def _parse_prs(text: str | None) -> list[int]:
    numbers: list[int] = []
    for part in (text or "").replace(" ", "").split(","):
        if not part:
            continue
        digits = part.removeprefix("#")
        if not (digits.isascii() and digits.isdigit()) or int(digits) < 1:
            raise UsageError(f"--prs: {part!r} is not a PR number (1 or more)")
        numbers.append(int(digits))
    return numbers


def _listed(numbers: list[int]) -> str:
    """``#1, #2, ...`` for the first few, and how many more."""
    shown = ", ".join(f"#{n}" for n in numbers[:_SHOWN])
    return shown + (f" and {len(numbers) - _SHOWN} more" if len(numbers) > _SHOWN else "")


@command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--prs", metavar="N[,N...]", help="PR numbers to fetch (instead of or besides FILES).")
@click.option("--repo", metavar="OWNER/NAME", help="Repository of the PRs [setting: repo].")
@click.option("--api-url", metavar="URL",
              help="GitHub API base URL (GitHub Enterprise, the test server) [setting: api_url].")
@click.option("--refresh", is_flag=True, help="Fetch again even what is cached (labels change).")
@click.option("--offline", is_flag=True, help="Use only the cache; report what it lacks.")
def fetch(files: tuple[str, ...], prs: str | None, repo: str | None, api_url: str | None,
          refresh: bool, offline: bool, fmt: str) -> None:
    """Fetch PR metadata (labels, files, state, author, body) into the local cache.

    FILES are any release files: worksheets, miscategorized.md, cherrypicks.md, final
    notes (every PR they mention). Asks GitHub's GraphQL API for 50 PRs per request and
    only for PRs not cached yet, so a second run costs no request; an interrupted run
    resumes. Items that carry only a commit hash are tied to the PR that commit belongs
    to (one REST request per commit, cached too), and that PR is fetched with the rest:
    triage and review then see it. The token is read from
    $GITHUB_TOKEN (or the variable named by the token_env setting). A progress bar is
    shown on stderr when it is a terminal (never with --format json).

    \b
    Examples:
      relnotes fetch todo/quantization.md
      relnotes fetch 2.8.0/todo/result_*.md
      relnotes fetch 2.8.0/miscategorized.md 2.8.0/final.md
      relnotes fetch --prs 139505,144940 --format json
      relnotes fetch todo/*.md --refresh --api-url http://127.0.0.1:8765
    """
    from relnotes.github.commits import resolve_commits
    from relnotes.github.fetch import describe_failures, document_refs, fetch_metadata

    if not files and not prs:
        raise UsageError("give release FILES or --prs N[,N...]")
    config = config_for(files[0] if files else None).with_overrides(repo=repo, api_url=api_url)
    numbers, commits = document_refs(files, repo=config.repo)
    numbers += _parse_prs(prs)
    show = fmt != "json" and isatty(sys.stderr)
    bar = ProgressBar(label="commits") if show and commits else None
    try:
        tied = resolve_commits(commits, config=config, offline=offline, refresh=refresh,
                               progress=bar)
    finally:
        if bar is not None:
            bar.close()
    bar = ProgressBar() if show else None
    try:
        result = fetch_metadata([*numbers, *tied.tied.values()], config=config,
                                offline=offline, refresh=refresh, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    if fmt == "json":
        emit_json({**result.to_json(), "commits": {s: tied.prs.get(s) for s in commits
                                                   if s in tied.prs}})
    else:
        total = len(result.records) + len(result.failed) + len(result.missing)
        click.echo(f"{result.repo}: {total} PRs, {result.from_cache} from cache, "
                   f"{result.fetched} fetched in {result.requests} request(s)")
        if result.not_found:
            click.echo(f"not found ({len(result.not_found)}): {_listed(result.not_found)}")
        if result.missing:
            click.echo(f"not cached ({len(result.missing)}, offline): "
                       + _listed(sorted(result.missing)))
        if commits:
            click.echo(f"{len(commits)} commit(s) without a PR link: {len(tied.tied)} tied to "
                       f"a PR, {len(tied.prs) - len(tied.tied)} without one "
                       f"({tied.from_cache} from cache)"
                       + (f", {len(tied.missing)} not cached (offline)" if tied.missing else ""))
        click.echo(f"cache: {result.cache_path} (records of {result.api_url})")
    if tied.failed:
        shown = ", ".join(list(tied.failed)[:_SHOWN])
        raise GitHubError(f"could not ask GitHub about {len(tied.failed)} commit(s) ({shown}): "
                          f"{next(iter(tied.failed.values()))}; run again to resume")
    if result.failed:
        raise GitHubError(describe_failures(result.failed))
