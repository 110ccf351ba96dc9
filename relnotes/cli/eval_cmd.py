"""``relnotes eval``: backtest triage against a release's curated worksheets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from relnotes.cli.app import command, emit_json, print_notes
from relnotes.errors import UsageError
from relnotes.release import ReleaseFolder, scan_folder
from relnotes.triage.history import DEFAULT_RECENCY
from relnotes.versions import require_version

if TYPE_CHECKING:
    from relnotes.summaries.evaluate import Quality


@command("eval")
@click.argument("release_dir", required=False, type=click.Path(file_okay=False, exists=True))
@click.option("--todo", type=click.Path(file_okay=False, exists=True),
              help="Folder of generated worksheets (default: RELEASE_DIR/todo).")
@click.option("--done", type=click.Path(file_okay=False, exists=True),
              help="Folder of the same worksheets as curated by maintainers (default: "
                   "RELEASE_DIR/done).")
@click.option("--miscategorized", "misc", type=click.Path(dir_okay=False, exists=True),
              default=None, help="The release's miscategorized.md (items no domain claimed).")
@click.option("--exclude-history", multiple=True, metavar="RELEASE",
              help="Leave this release out of the history (then the others are used, newer "
                   "ones too: a leave-one-release-out backtest). Repeatable.")
@click.option("--history", "history_path", type=click.Path(dir_okay=False), default=None,
              help="History data file (default: the history setting, else the one shipped "
                   "with relnotes).")
@click.option("--history-release", "include_history", multiple=True, metavar="RELEASE",
              help="Use exactly these releases of the history (default: those older than "
                   "the release evaluated). Repeatable.")
@click.option("--recency", type=click.FloatRange(0, 1), default=DEFAULT_RECENCY,
              show_default=True,
              help="Weight of each history release relative to the next newer one.")
@click.option("--release", default=None, metavar="X.Y.Z",
              help="Release evaluated, for the API profiles (default: the todo folder's "
                   "parent name).")
@click.option("--grouping/--no-grouping", default=True, show_default=True,
              help="Also score summaries' grouping (pair precision, bullet recall).")
@click.option("--grouping-weights", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Pair-model weights for the grouping (default: the shipped ones).")
@click.option("--backtest", "backtests", multiple=True,
              type=click.Choice(["chrono", "loro", "curve", "all"]),
              help="Instead: backtests over every release of the history that has a folder "
                   "under RELEASE_DIR (chronological, leave-one-release-out, one release of "
                   "history), with issue 18's acceptance table. Repeatable.")
def eval_cmd(release_dir: str | None, todo: str | None, done: str | None, misc: str | None,
             exclude_history: tuple[str, ...], history_path: str | None,
             include_history: tuple[str, ...], recency: float, release: str | None,
             grouping: bool, grouping_weights: str | None, backtests: tuple[str, ...],
             fmt: str) -> None:
    """Score triage against maintainers' decisions, next to the pre-sorting baseline.

    Items are matched by PR number across all done worksheets; todo files without a done
    counterpart are not scored. The history holds the releases older than the one
    evaluated (what its maintainers had), unless --history-release/--exclude-history
    choose. The text report ends with the reliability table: per confidence bucket, how
    often maintainers agreed; the high-stakes line (BC-breaking + deprecation recall, items
    flagged for them); and issue 18's acceptance figures. Then summaries' grouping of the
    todo worksheets, scored against the multi-PR bullets of done/ (``--no-grouping``
    leaves it out). With --backtest, RELEASE_DIR is the folder of release folders.

    \b
    Example:
      relnotes eval 2.9.0
      relnotes eval --todo 2.8.0/todo --done 2.8.0/done \\
          --miscategorized 2.8.0/miscategorized.md --exclude-history 2.8.0
      relnotes eval data/torch-release-notes --backtest all
    """
    if release is not None:
        require_version(release, what="release")
    if backtests:
        _backtests(release_dir or ".", backtests, history_path, recency, fmt)
        return
    from relnotes.triage.evaluate import evaluate, render_eval_text  # not for --help

    if release_dir is not None:
        root = Path(release_dir)
        todo, done = todo or str(root / "todo"), done or str(root / "done")
        if misc is None and (root / "miscategorized.md").is_file():
            misc = str(root / "miscategorized.md")
    if todo is None or done is None:
        raise UsageError("give a release folder (RELEASE_DIR) or both --todo and --done")
    for given in (todo, done):
        if not Path(given).is_dir():
            raise UsageError(f"not a folder: {given}")
    folder = ReleaseFolder.of(todo)
    for scanned in (todo, done):  # files that are no worksheet are not scored: say so
        folder.skip(scan_folder(scanned).skipped.items())
    report = evaluate(todo=todo, done=done, miscategorized=misc,
                      exclude_history=exclude_history, include_history=include_history,
                      recency=recency, history_path=history_path or folder.history,
                      release=release)
    scores: list[Quality] = []
    trained_on: tuple[str, ...] = ()
    if grouping:
        from relnotes.summaries.evaluate import grouping_quality
        from relnotes.summaries.model import load_weights

        weights = load_weights(grouping_weights)
        trained_on = weights.trained_on
        scores = grouping_quality(folder.root, weights=weights, todo=todo, done=done)
    if fmt == "json":
        from relnotes.summaries.evaluate import quality_json

        emit_json({**report.to_json(), **(quality_json(scores) if grouping else {})})
    else:
        click.echo(render_eval_text(report))
        if grouping:
            from relnotes.summaries.evaluate import render_quality_text

            click.echo("\n" + render_quality_text(scores, trained_on=trained_on))
    print_notes(folder)


_KINDS = {"chrono": ("chronological",), "loro": ("leave-one-release-out",),
          "curve": ("one release", "chronological", "leave-one-release-out"),
          "all": ("chronological", "leave-one-release-out", "one release")}


def _backtests(data: str, chosen: tuple[str, ...], history_path: str | None, recency: float,
               fmt: str) -> None:
    """``--backtest``: every direction asked for, its table and the acceptance table."""
    import sys
    from dataclasses import asdict

    from relnotes.triage.backtest import (
        acceptance,
        figures,
        render_text,
        run_backtests,
    )

    kinds = tuple(dict.fromkeys(k for c in chosen for k in _KINDS[c]))
    folder = ReleaseFolder.of(data)

    def progress(d: Any, n: int, total: int) -> None:
        print(f"eval: {d.name} ({n}/{total})", file=sys.stderr, flush=True)

    results = run_backtests(data, history_path=history_path or folder.history, kinds=kinds,
                            recency=recency, progress=progress)
    if not results:
        raise UsageError(f"{data}: no release folder (todo/ and done/) of a history release")
    if fmt == "json":
        emit_json({"backtests": [{"scored": b.direction.scored,
                                  "history": list(b.direction.history),
                                  "kind": b.direction.kind, "figures": figures(b.report),
                                  "policy": b.report.policy} for b in results],
                   "acceptance": [asdict(t) for t in acceptance(
                       [b for b in results if len(b.direction.history) >= 2])]})
    else:
        click.echo(render_text(results))
