"""``review`` and ``apply``: a maintainer's decisions on triage suggestions, written."""

from __future__ import annotations

import logging
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from relnotes.cli.app import command, emit_json, note
from relnotes.cli.progress import StageProgress
from relnotes.config import Config
from relnotes.errors import UsageError
from relnotes.github import metadata_for, unlinked_commits
from relnotes.release import ReleaseFolder
from relnotes.worksheet import Worksheet

if TYPE_CHECKING:
    from relnotes.review_groups import GroupReview
    from relnotes.triage import Suggestion
    from relnotes.triage.history import History

log = logging.getLogger(__name__)


def _suggestions(ws: Worksheet, config: Config, metadata: dict[int, Any],
                 history: History) -> list[Suggestion]:
    from relnotes.triage import triage_worksheets

    bar = StageProgress("review", items=len(ws.items()))  # triage is most of review's time
    found = triage_worksheets([ws], metadata=metadata, history=history, config=config,
                              progress=bar.of("triage"))[0]
    bar.close()
    return found


def _shown(path: str) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path


class _StdinAnswers:
    """``ask`` reading answers from standard input, one line each (a letter, then Enter).

    Counts what it read: a non-terminal input that gave no answer at all is a usage
    error, not a review that quietly ended.
    """

    def __init__(self) -> None:
        self.answers = 0

    def __call__(self, prompt: str) -> str | None:
        click.echo(prompt, nl=False)
        line = sys.stdin.readline()
        if not line:
            click.echo("")
            return None
        self.answers += 1
        return line.rstrip("\r\n")


@command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--order", type=click.Choice(["confidence", "section"]), default="confidence",
              show_default=True, help="Lowest confidence first, or in section order.")
@click.option("--accept-above", type=click.FloatRange(0, 1), default=None,
              help="First accept every pending suggestion with at least this confidence.")
@click.option("--clean-titles", is_flag=True,
              help="Accepting (a, --accept-above) also takes the cleaned title; each one is "
                   "shown first. Without it titles stay as written (c takes one by hand).")
@click.option("--revisit", multiple=True, metavar="KEY|all",
              help="Also go through this decided item again (e.g. pr:1234), or all of them.")
@click.option("--summaries/--no-summaries", default=None,
              help="Offer the groups relnotes summarize finds, after the items [default: "
                   "when the worksheet's preamble asks for summaries].")
@click.option("--offline", is_flag=True, help="Use no network: only cached PR metadata.")
def review(file: str, order: str, accept_above: float | None, clean_titles: bool,
           revisit: tuple[str, ...], summaries: bool | None, offline: bool, fmt: str) -> None:
    """Go through the triage suggestions of a worksheet and decide each one, then the
    groups of one change's PRs.

    Answer each item with a letter and Enter: a accept, r reject (keep where it is), p pick
    a section, e edit the title, c use the cleaned title, d send to another domain (the
    release's domains are listed by number), s skip, u undo, q quit, ? help. Each decision
    is saved at once in .relnotes/<name>.decisions.json beside the worksheet; the next run
    shows only undecided items and items edited since (--revisit reopens decided ones).

    Then, where the worksheet's preamble asks for summaries (or with --summaries), the
    groups relnotes summarize finds: a accept the group and its bullet, e edit the bullet,
    x split a member off, r reject, s skip, u undo, q quit (g goes to them before the items
    are done). Items decided for another section or domain leave their group.

    Answers can be piped; with standard input not a terminal and no answers, review stops
    with exit 2. --format json does not ask anything: it lists the pending items and groups
    (after --accept-above, if given).

    \b
    Example:
      relnotes review todo/result_quantization.md --accept-above 0.95
      printf 'a\\nr\\nq\\n' | relnotes review todo/quantization.md
      printf 'g\\na\\nq\\n' | relnotes review todo/result_mps.md --summaries --offline
    """
    from relnotes.cli.triage_cmd import history_for
    from relnotes.decisions import DecisionStore
    from relnotes.review import (
        bulk_accept,
        groups_json,
        known_domains,
        pending_json,
        run_review,
    )

    release = ReleaseFolder.of(file)
    config = release.config
    ws = release.read_worksheet(file)
    prs = sorted({p for i in ws.items() for p in i.all_prs})
    metadata = metadata_for(prs, config=config, offline=offline, sources=[file],
                            commits=unlinked_commits(ws.items()))
    unknown = sum(1 for p in prs if p not in metadata or not metadata[p].found)
    if offline and unknown:  # online, a failed fetch has said so already
        note(f"no PR metadata cached for {unknown} of {len(prs)} PR(s): authors, labels "
             f"and files are not shown (run relnotes fetch {shlex.quote(file)})")
    history = history_for(release.history, [ws], [release.release_of(file)], exclude=())
    suggestions = _suggestions(ws, config, metadata, history)
    store = DecisionStore.for_worksheet(file)
    groups = _groups(ws, metadata, summaries)
    if fmt == "json":
        bulk = bulk_accept(suggestions, store, threshold=accept_above,
                           clean_titles=clean_titles) if accept_above is not None else []
        emit_json({"worksheet": file, "decisions_file": str(store.path), "bulk_accepted": bulk,
                   "pending": pending_json(suggestions, store, order=order),
                   "groups": groups_json(groups, store) if groups is not None else None})
        return
    domains = known_domains(release, worksheet=file, own=ws.domain, history=history)
    ask = _StdinAnswers()
    result = run_review(suggestions, store, ask=ask, say=click.echo, metadata=metadata,
                        order=order, accept_above=accept_above, clean_titles=clean_titles,
                        domains=domains, own_domain=ws.domain, revisit=revisit,
                        groups=groups)
    click.echo(f"{result.summary()}; saved in {store.path}", err=True)
    # --accept-above in a script is a complete request: the bulk decisions are its work
    if ask.answers == 0 and result.quit and not sys.stdin.isatty() and accept_above is None:
        raise UsageError("standard input is not a terminal and gave no answers: run review "
                         "in a terminal, pipe the answers (e.g. printf 'a\\nq\\n' | relnotes "
                         "review FILE), or use --format json to list what is pending")
    if result.decided or result.bulk_accepted or result.groups_decided:  # something to write
        click.echo(f"next: relnotes apply {shlex.quote(file)}", err=True)


def _groups(ws: Worksheet, metadata: dict[int, Any], asked: bool | None) -> GroupReview | None:
    """summarize's groups, when review offers them: asked, or (not told) when the
    worksheet's preamble asks for summaries."""
    from relnotes.review_groups import GroupReview
    from relnotes.summaries import asks_for_summaries, load_weights, summarize_worksheet

    if asked is False or (asked is None and not asks_for_summaries(ws)):
        return None
    found = summarize_worksheet(ws, load_weights(None), meta=metadata)
    return GroupReview(ws, found.groups, why="asked" if asked else "preamble")


@command("apply")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--adopt", "adopt", multiple=True, metavar="KEY|all",
              help="Take this miscategorized.md item for the domain (e.g. pr:1234), or all.")
@click.option("--no-adopt", is_flag=True, help="Do not ask about miscategorized.md items.")
@click.option("--dry-run", is_flag=True,
              help="Show the diff of what would change; write nothing.")
@click.option("--backup/--no-backup", default=True, show_default=True,
              help="Keep the previous worksheet and miscategorized.md as "
                   ".relnotes/<file>.<time>.bak beside each (git ignores them).")
def apply_cmd(file: str, adopt: tuple[str, ...], no_adopt: bool, dry_run: bool, backup: bool,
              fmt: str) -> None:
    """Write the reviewed decisions into the worksheet and miscategorized.md.

    Items for other domains go to miscategorized.md under "## <domain> (from <this
    domain>)". Accepted groups are merged after the moves, each into one bullet in its
    section carrying every PR of its items (their titles kept in a comment, their bodies
    under it). Items of miscategorized.md filed for this domain are offered for adoption:
    in a terminal you are asked about each; otherwise they are listed and taken only with
    --adopt KEY or --adopt all. Adopted items land in Untopiced for the next review.

    \b
    Examples:
      relnotes apply todo/quantization.md --dry-run
      relnotes apply todo/result_quantization.md --adopt all
    """
    from relnotes.decisions import apply_recorded
    from relnotes.miscategorized import read_pool

    release = ReleaseFolder.of(file)
    misc_path = release.pool
    ws, pool = release.read_worksheet(file), read_pool(release)  # read once, for both
    offered = [] if no_adopt else pool.items_for(ws.domain)
    chosen = list(adopt)
    if offered and not adopt and not no_adopt and fmt == "text" and sys.stdin.isatty():
        click.echo(f"{len(offered)} item(s) in {_shown(str(misc_path))} are filed for this "
                   "domain:")
        for item in offered:
            if click.confirm(f"  adopt {item.key}: {item.title}?", default=False):
                chosen.append(item.key)
    bar = StageProgress("apply", items=len(ws.items()))
    try:
        report = apply_recorded(file, release=release, adopt=chosen, backup=backup,
                                dry_run=dry_run, progress=bar, documents=(ws, pool))
    finally:
        bar.close()
    not_taken = [{"key": i.key, "title": i.title} for i in offered
                 if i.key not in report.adopted]
    if fmt == "json":
        emit_json({**report.to_json(), "offered": not_taken})
        return
    if not report.has_decisions:
        click.echo(f"{file}: no decisions recorded ({report.decisions_file} does not exist); "
                   f"decide first with: relnotes review {shlex.quote(file)}")
    if dry_run:
        click.echo(report.diff, nl=False)
        verb = "would write" if report.written else "nothing to write"
    else:
        verb = "written" if report.written else "nothing written"
    click.echo(f"{file}: {verb}: {report.summary()}")
    if report.written:
        click.echo(f"  files: {', '.join(_shown(p) for p in report.written)}")
    for key in report.not_adopted:
        click.echo(f"  {key}: not in {_shown(str(misc_path))} for this domain; not adopted",
                   err=True)
    for key in report.stale:
        click.echo(f"  {key}: edited since it was reviewed; review it again", err=True)
    for merged in report.result.merged:
        click.echo(f"  group {merged['group']}: {', '.join(merged['keys'])} merged into one "
                   f"bullet in {merged['section']}")
    for refused in report.result.groups_refused:
        click.echo(f"  group {refused['group']}: not merged: {refused['why']}; review it "
                   "again", err=True)
    for gid in report.groups_stale:
        click.echo(f"  group {gid}: an item was edited since the group was reviewed; "
                   "review it again", err=True)
    if not_taken:
        click.echo(f"{len(not_taken)} item(s) of {_shown(str(misc_path))} belong to this domain "
                   "(take them with --adopt KEY or --adopt all):")
        for entry in not_taken:
            click.echo(f"  {entry['key']}: {entry['title']}")
