"""``relnotes eval``: backtest triage against a release's curated worksheets."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from relnotes.cli.app import command, emit_json, print_notes
from relnotes.release import ReleaseFolder, scan_folder
from relnotes.triage.history import DEFAULT_RECENCY
from relnotes.versions import require_version

if TYPE_CHECKING:
    from relnotes.summaries.evaluate import Quality


@command("eval")
@click.option("--todo", required=True, type=click.Path(file_okay=False, exists=True),
              help="Folder of generated worksheets.")
@click.option("--done", required=True, type=click.Path(file_okay=False, exists=True),
              help="Folder of the same worksheets as curated by maintainers.")
@click.option("--miscategorized", "misc", type=click.Path(dir_okay=False, exists=True),
              default=None, help="The release's miscategorized.md (items no domain claimed).")
@click.option("--exclude-history", multiple=True, metavar="RELEASE",
              help="Leave this release out of the history (the one evaluated). Repeatable.")
@click.option("--history", "history_path", type=click.Path(dir_okay=False), default=None,
              help="History data file (default: the history setting, else the one shipped "
                   "with relnotes).")
@click.option("--history-release", "include_history", multiple=True, metavar="RELEASE",
              help="Use only these releases of the history (default: all). Repeatable.")
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
def eval_cmd(todo: str, done: str, misc: str | None, exclude_history: tuple[str, ...],
             history_path: str | None, include_history: tuple[str, ...], recency: float,
             release: str | None, grouping: bool, grouping_weights: str | None,
             fmt: str) -> None:
    """Score triage against maintainers' decisions, next to the pre-sorting baseline.

    Items are matched by PR number across all done worksheets; todo files without a done
    counterpart are not scored. Always exclude the evaluated release from the history.
    The text report ends with the reliability table: per confidence bucket, how often
    maintainers agreed; and the high-stakes line (BC-breaking + deprecation recall, items
    flagged for them). Then summaries' grouping of the todo worksheets, scored against
    the multi-PR bullets of done/ (``--no-grouping`` leaves it out).

    \b
    Example:
      relnotes eval --todo 2.8.0/todo --done 2.8.0/done \\
          --miscategorized 2.8.0/miscategorized.md --exclude-history 2.8.0
    """
    from relnotes.triage.evaluate import evaluate, render_eval_text  # not for --help

    if release is not None:
        require_version(release, what="release")
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
