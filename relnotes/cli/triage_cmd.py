"""``relnotes triage``: suggest a section for every item, with confidence and reasons."""

from __future__ import annotations

import logging
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from relnotes.apply import apply_decisions, apply_to_files
from relnotes.cli.app import command, emit_json, note, warn
from relnotes.cli.progress import StageProgress
from relnotes.config import Config
from relnotes.errors import UsageError
from relnotes.github import metadata_for, unlinked_commits
from relnotes.release import ReleaseFolder
from relnotes.triage.history import DEFAULT_RECENCY, History, load_history, release_key
from relnotes.versions import Version, parse_version, require_version
from relnotes.worksheet import Worksheet, read_worksheet

if TYPE_CHECKING:  # the model is imported when the command runs, not for --help
    from relnotes.summaries import WorksheetSummary
    from relnotes.triage.report import WorksheetTriage

log = logging.getLogger(__name__)


@command(formats=("text", "json", "markdown"))
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False))
@click.option("--offline", is_flag=True, help="Use no network: only cached PR metadata.")
@click.option("--write", is_flag=True,
              help="Apply suggestions at or above --min-confidence to the files.")
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=None,
              help="Threshold for --write/markdown (default: the min_confidence setting, "
                   "0.9); when given, also for the moves the text report lists.")
@click.option("--miscategorized", "misc_path", type=click.Path(dir_okay=False), default=None,
              help="miscategorized.md for items of other domains (default: beside todo/).")
@click.option("--clean-titles", is_flag=True,
              help="With --write/markdown, also replace titles by their cleaned form.")
@click.option("--history", "history_path", type=click.Path(dir_okay=False), default=None,
              help="History data file (default: the one shipped with relnotes).")
@click.option("--exclude-history", "exclude", multiple=True, metavar="RELEASE",
              help="Leave a release out of the history. Repeatable.")
@click.option("--history-release", "include", multiple=True, metavar="RELEASE",
              help="Use exactly these releases of the history (default: those older than "
                   "the worksheet's release; all when it is not known). Repeatable.")
@click.option("--recency", type=click.FloatRange(0, 1), default=DEFAULT_RECENCY,
              show_default=True,
              help="Weight of each history release relative to the next newer one "
                   "(1: all alike).")
@click.option("--release", default=None, metavar="X.Y.Z",
              help="Release being triaged: picks the history releases (those older than it) "
                   "and the API profiles compared for BC evidence (default: the release "
                   "setting, else the worksheet's folder name).")
@click.option("--moves-only", is_flag=True, help="Text report: list only proposed changes.")
@click.option("--jobs", type=click.IntRange(1), default=None,
              help="Processes for runs of 10,000 items or more (default: one per core; "
                   "1: this process only). The suggestions are the same.")
@click.option("--summaries/--no-summaries", default=None,
              help="Also offer summaries' groups (as `relnotes summarize`); default: where "
                   "the worksheet's preamble asks for summaries.")
def triage(files: tuple[str, ...], offline: bool, fmt: str, write: bool,
           min_confidence: float | None, misc_path: str | None, clean_titles: bool,
           history_path: str | None, exclude: tuple[str, ...], include: tuple[str, ...],
           recency: float, release: str | None, moves_only: bool, jobs: int | None,
           summaries: bool | None) -> None:
    """Suggest a section for every item, with confidence and reasons.

    text lists the proposed moves grouped by target section, then what stays, each with
    its confidence and reasons; json gives every item's
    suggestion (see README); markdown prints the worksheet with the suggestions at or above
    --min-confidence applied; --write applies them to the files (dropped items go to
    "not user facing", items of other domains to miscategorized.md).

    The history used is the releases older than the worksheet's own (never its answers);
    where the preamble asks for summaries, the groups of `relnotes summarize` follow.

    \b
    Example:
      relnotes triage todo/quantization.md --offline
      relnotes triage 2.8.0/todo/result_nn_frontend.md --release 2.8.0
      relnotes triage todo/*.md --format json > triage.json
      relnotes triage todo/mps.md --write --min-confidence 0.95
    """
    from relnotes.triage.report import WorksheetTriage, render_text, triage_json
    from relnotes.triage.run import triage_worksheets

    folder = ReleaseFolder.of(files[0])
    config = folder.config
    if release is not None:
        config = config.with_overrides(release=str(require_version(release, what="release")))
    threshold = config.min_confidence if min_confidence is None else min_confidence
    if fmt == "markdown" and len(files) != 1 and not write:
        raise UsageError("--format markdown prints one worksheet: give one file")
    worksheets = [read_worksheet(f) for f in files]
    versions = [folder.release_of(f) if release is None else _config_release(config)
                for f in files]
    history = history_for(history_path or folder.history, worksheets, versions,
                       exclude=exclude, include=include, recency=recency)
    metadata = metadata_for(sorted({pr for ws in worksheets for item in ws.items()
                                    for pr in item.all_prs}),
                            config=config, offline=offline, sources=files,
                            commits=unlinked_commits(i for ws in worksheets for i in ws.items()))
    progress = StageProgress("triage", items=sum(len(ws.items()) for ws in worksheets))
    results = [WorksheetTriage(ws, s) for ws, s in
               zip(worksheets, triage_worksheets(worksheets, metadata=metadata, history=history,
                                                 config=config, progress=progress.of("items"),
                                                 jobs=jobs, older_only=not include))]
    progress.close()
    if write or fmt == "markdown":
        _apply(results, threshold=threshold, write=write, misc_path=misc_path,
               clean_titles=clean_titles, fmt=fmt)
        if fmt != "json":
            below = sum(1 for r in results for s in r.suggestions
                        if s.changes and s.confidence < threshold)
            print(f"{below} suggested change(s) below confidence {threshold:.2f} left for "
                  "review (relnotes review)", file=sys.stderr)
        return
    groups = _groups(worksheets, metadata, summaries)
    if fmt == "json":
        doc = triage_json(results)
        for entry, ws in zip(doc["worksheets"], worksheets):
            if id(ws) in groups:
                entry["groups"] = [g.to_json() for g in groups[id(ws)].groups]
        emit_json(doc)
    else:
        # every proposed move is listed unless --min-confidence is given; the summary
        # always says what applying at the threshold would do
        click.echo(render_text(results, min_confidence=threshold,
                               list_from=0.0 if min_confidence is None else threshold,
                               show_stays=not moves_only), nl=False)
        if groups:
            from relnotes.summaries import render_text as render_groups

            click.echo("\nsummaries' groups (relnotes summarize; review them with "
                       "relnotes review):")
            click.echo(render_groups(list(groups.values()), min_confidence=threshold), nl=False)


def _config_release(config: Config) -> Version | None:
    """The release the settings (with ``--release``) name."""
    return parse_version(config.release) if config.release else None


def history_for(path: str | Path | None, worksheets: list[Worksheet],
             versions: list[Version | None], *, exclude: tuple[str, ...],
             include: tuple[str, ...] = (), recency: float = DEFAULT_RECENCY) -> History:
    """The history the worksheets are triaged with (``triage`` and ``review``): the releases ``include`` names, else
    all (each worksheet then uses the releases older than its own; when they share one
    release, only those are loaded). Says once what a worksheet of no known release or
    no older history gets."""
    known = [v for v in versions if v is not None]
    one = known[0] if known and len(known) == len(versions) and len(set(known)) == 1 else None
    history = load_history(path, exclude=exclude, include=include, recency=recency,
                           before=None if include else one)
    if include:
        for ws, v in zip(worksheets, versions):
            late = [r for r in history.releases
                    if v is not None and release_key(r) >= release_key(str(v))]
            if late:
                warn(f"{ws.path}: the history holds {', '.join(late)}, not older than its "
                     f"release {v}: its reasons may cite the answers")
        return history
    for ws, v in zip(worksheets, versions):  # (one is None: the whole history is loaded)
        if v is None:
            note(f"{ws.path}: no release known (no folder named like one, no --release or "
                 f"release setting): triage uses every history release "
                 f"({', '.join(history.releases) or 'none'})")
        elif not [r for r in history.releases if release_key(r) < release_key(str(v))]:
            note(f"{ws.path}: the history has no release older than {v}: triage keeps the "
                 "pre-sort (Untopiced items get their likeliest place, from the title "
                 "rules alone)")
    return history


def _groups(worksheets: list[Worksheet], metadata: Any, asked: bool | None,
            ) -> dict[int, WorksheetSummary]:
    """Summaries' groups of the worksheets whose preamble asks for summaries (or of all,
    or none, as ``--summaries`` says), by worksheet id."""
    if asked is False:
        return {}
    from relnotes.summaries import asks_for_summaries, load_weights, summarize_worksheet

    chosen = [ws for ws in worksheets if asked or asks_for_summaries(ws)]
    if not chosen:
        return {}
    weights = load_weights()
    out = {}
    for ws in chosen:
        found = summarize_worksheet(ws, weights, meta=metadata)
        out[id(ws)] = replace(found, key=())  # groups only: key PRs are summarize's
    return out


def _apply(results: list[WorksheetTriage], *, threshold: float, write: bool,
           misc_path: str | None, clean_titles: bool, fmt: str) -> None:
    from relnotes.triage.report import decisions

    plans = [(r.worksheet, decisions(r.suggestions, min_confidence=threshold,
                                     clean_titles=clean_titles, include_moves_out=write))
             for r in results]
    if not write:  # printing one document to stdout cannot also file items elsewhere
        for ws, chosen in plans:
            outcome = apply_decisions(ws, chosen)
            click.echo(ws.render(), nl=False)
            print(f"{ws.path}: {outcome.summary()}", file=sys.stderr)
        return
    outcomes = apply_to_files(plans, pool_path=lambda ws: Path(
        misc_path or ReleaseFolder.of(ws.path).pool))
    done = [(ws, outcome) for (ws, _), outcome in zip(plans, outcomes)]
    if fmt == "json":
        emit_json({"worksheets": [{"file": ws.path, **outcome.to_json()} for ws, outcome in done]})
    else:
        for ws, outcome in done:
            click.echo(f"{ws.path}: {outcome.summary()}")
