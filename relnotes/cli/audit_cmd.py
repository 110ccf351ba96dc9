"""``relnotes audit``: nothing lost, nothing twice, finished files finished."""

from __future__ import annotations

from typing import Any

import click

from relnotes.cli.app import command, config_for, emit_json, exit_with


def _print_audit(report: Any) -> None:
    for finding in report.findings:
        click.echo(str(finding))
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
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
    Exit 1 when there is any problem.

    \b
    Example:
      relnotes audit 2.8.0 --generated /tmp/2.8.0-generated/todo
    """
    from relnotes.audit import audit

    report = audit(folder, generated=generated, config=config_for(folder))
    if fmt == "json":
        emit_json(report.to_json())
    else:
        _print_audit(report)
    exit_with(0 if report.ok else 1)
