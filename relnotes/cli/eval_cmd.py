"""``relnotes eval``: backtest triage against a release's curated worksheets."""

from __future__ import annotations

import click

from relnotes.cli.app import emit_json, format_option, handle_errors, main, verbose_option
from relnotes.triage.evaluate import evaluate, render_eval_text


@main.command(name="eval")
@verbose_option
@click.option("--todo", required=True, type=click.Path(file_okay=False, exists=True),
              help="Folder of generated worksheets.")
@click.option("--done", required=True, type=click.Path(file_okay=False, exists=True),
              help="Folder of the same worksheets as curated by maintainers.")
@click.option("--miscategorized", "misc", type=click.Path(dir_okay=False, exists=True),
              default=None, help="The release's miscategorized.md (items no domain claimed).")
@click.option("--exclude-history", multiple=True, metavar="RELEASE",
              help="Leave this release out of the history (the one evaluated). Repeatable.")
@click.option("--history", "history_path", type=click.Path(dir_okay=False), default=None,
              help="History data file (default: the one shipped with relnotes).")
@format_option("text", "json")
@handle_errors
def eval_cmd(todo: str, done: str, misc: str | None, exclude_history: tuple[str, ...],
             history_path: str | None, fmt: str) -> None:
    """Score triage against maintainers' decisions, next to the pre-sorting baseline.

    Items are matched by PR number across all done worksheets; todo files without a done
    counterpart are not scored. Always exclude the evaluated release from the history.

    \b
    Example:
      relnotes eval --todo 2.8.0/todo --done 2.8.0/done \\
          --miscategorized 2.8.0/miscategorized.md --exclude-history 2.8.0
    """
    report = evaluate(todo=todo, done=done, miscategorized=misc,
                      exclude_history=exclude_history, history_path=history_path)
    if fmt == "json":
        emit_json(report.to_json())
    else:
        click.echo(render_eval_text(report))
