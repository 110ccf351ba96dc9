"""``relnotes check``: static-check and run the migration code of BC/deprecation entries."""

from __future__ import annotations

import click

from relnotes.cli.app import command, config_for, emit_json, exit_with


@command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="S",
    help="Seconds each snippet may run (default: the snippet_timeout setting, 120).",
)
@click.option(
    "--python",
    "python",
    metavar="PATH",
    type=click.Path(exists=True, dir_okay=False),
    help="Interpreter with torch and torchao to run snippets (default: this one).",
)
@click.option(
    "--memory",
    "memory_mb",
    type=click.IntRange(min=1),
    default=None,
    metavar="MB",
    help="Address-space cap of each snippet (default: the snippet_memory_mb setting, 4096).",
)
@click.option("--release", metavar="X.Y.Z", help="Release the worksheet is for (decides roles).")
@click.option("--no-warm", is_flag=True, help="Start a fresh process per snippet (slower).")
@click.option("--no-isolation", is_flag=True,
              help="Run snippets without an OS sandbox when none is available (bwrap "
                   "missing, macOS). Only for worksheets you trust: the code can then read "
                   "your files and reach the network.")
@click.option("--save", is_flag=True,
              help="Also save each file's results as .relnotes/<name>.check.json beside it, "
                   "where `relnotes audit` and `submit` read them.")
def check(
    files: tuple[str, ...],
    timeout: float | None,
    python: str | None,
    memory_mb: int | None,
    release: str | None,
    no_warm: bool,
    no_isolation: bool,
    save: bool,
    fmt: str,
) -> None:
    """Check the code of every BC-breaking and deprecation entry in FILES.

    Each code part is parsed, its torch names are checked against the API of the version
    it is labelled with (e.g. "# pytorch 2.6"), and it is run on the installed torch in an
    OS sandbox (bubblewrap: no network, read-only files, no secrets, a private scratch
    directory, time, memory, process and output limits) with that version's API emulated
    where it has since moved. Claimed outcomes written as "# SomeError: message" after a
    statement are confirmed. Free names such as `m` and `example_inputs` come from a
    fixture registry. Exit status 1 if any part fails. Without bwrap, code is not run
    (static checks still are) and check exits 1 with one error, unless --no-isolation.

    \b
    Examples:
      relnotes check todo/quantization.md
      relnotes check 2.8.0/done/result_quantization.md 2.8.0/final.md
      relnotes check done/*.md --format json --timeout 30
      relnotes check done/quantization.md --save   # for relnotes audit
      relnotes check mine.md --no-isolation        # no bwrap here, my own worksheet
    """
    from relnotes.errors import SnippetError
    from relnotes.snippets.check import check_files, render_text, results_json, save_results

    def progress(message: str) -> None:
        click.echo(message, err=True)

    config = config_for(files[0]).with_overrides(
        snippet_timeout=timeout, snippet_memory_mb=memory_mb, release=release)
    report = check_files(
        files,
        timeout=config.snippet_timeout,
        python=python,
        memory_mb=config.snippet_memory_mb,
        release=config.release or None,
        warm=not no_warm,
        no_isolation=no_isolation,
        progress=progress,
    )
    results = report.results
    if save:
        for path in save_results(files, results):
            click.echo(f"saved {path}", err=True)
    if fmt == "json":
        emit_json(results_json(results))
    else:
        click.echo(render_text(results, report.claims), nl=False)
    if report.not_run is not None:
        raise SnippetError(report.not_run)
    if any(r.verdict == "fail" for r in results):
        exit_with(1)
