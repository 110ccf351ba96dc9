"""``relnotes audit``: nothing lost, nothing twice, finished files finished."""

from __future__ import annotations

from typing import Any

import click

from relnotes.cli.app import command, emit_json, exit_with, note
from relnotes.release import ReleaseFolder


def _print_audit(report: Any) -> None:
    for finding in report.findings:
        click.echo(str(finding))
    for text in report.notes:
        note(text)
    if report.baseline:
        click.echo(f"generated worksheets: {report.baseline}", err=True)
    click.echo(report.summary(), err=True)


@command("audit")
@click.argument("folder", default=".", type=click.Path(file_okay=False, exists=True))
@click.option("--generated", type=click.Path(file_okay=False, exists=True),
              help="Folder of the worksheets as generated, whose PRs must all be accounted for.")
def audit_cmd(folder: str, generated: str | None, fmt: str) -> None:
    """Check a release folder: every PR once across todo/, done/ and miscategorized.md.

    Also, for worksheets in done/: nothing left in Untopiced, revert pairs both dropped,
    BC-breaking/deprecation entries complete, saved snippet check results passing.
    FOLDER is the release folder or its todo/ or done/; the pool is the miscategorized
    setting's file, else miscategorized.md beside todo/. Files that are no worksheet (an
    empty placeholder.md) are skipped with a note. Exit 1 when there is any problem.

    \b
    Example:
      relnotes audit 2.8.0 --generated /tmp/2.8.0-generated/todo
    """
    from relnotes.audit import audit

    report = audit(ReleaseFolder.of(folder), generated=generated)
    if fmt == "json":
        emit_json(report.to_json())
    else:
        _print_audit(report)
    exit_with(0 if report.ok else 1)
