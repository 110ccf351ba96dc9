"""``relnotes parse`` and ``relnotes lint``: read worksheets, report their structure."""

from __future__ import annotations

from typing import Any

import click

from relnotes.cli.app import (
    config_for,
    emit_json,
    exit_with,
    format_option,
    handle_errors,
    main,
    verbose_option,
)
from relnotes.lint import lint_paths
from relnotes.worksheet import Section, Worksheet, read_worksheet


def worksheet_json(ws: Worksheet) -> dict[str, Any]:
    """The documented ``parse --format json`` shape."""

    def section_json(section: Section) -> dict[str, Any]:
        return {
            "name": section.name,
            "category": section.category,
            "line": section.line,
            "items": [
                {"line": i.line, "end_line": i.end_line, "title": i.title, "prs": i.all_prs,
                 "commits": i.commits, "body": i.body}
                for i in section.items
            ],
        }

    sections = ([ws.intro] if ws.intro.items else []) + ws.sections
    return {"file": ws.path, "domain": ws.domain, "sections": [section_json(s) for s in sections]}


@main.command()
@verbose_option
@click.argument("file", type=click.Path(dir_okay=False))
@format_option("text", "json", "markdown")
@handle_errors
def parse(file: str, fmt: str) -> None:
    """Parse a worksheet and show its structure.

    markdown re-renders the worksheet (byte-identical when valid); json gives domain,
    sections and items with their lines and PR numbers.

    \b
    Example:
      relnotes parse todo/quantization.md --format json
    """
    ws = read_worksheet(file)
    if fmt == "markdown":
        click.echo(ws.render(), nl=False)
    elif fmt == "json":
        emit_json(worksheet_json(ws))
    else:
        click.echo(f"{ws.path}: domain {ws.domain!r}, {len(ws.items())} items")
        for section in ([ws.intro] if ws.intro.items else []) + ws.sections:
            label = section.category or f"unknown: {section.name!r}"
            click.echo(f"  {section.line:>5}  {section.name or '(before sections)'}"
                       f"{'' if section.category == section.name else f' [{label}]'}:"
                       f" {len(section.items)} items")


@main.command()
@verbose_option
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--release", help="Release being curated (e.g. 2.7.0), to check version labels.")
@format_option("text", "json")
@handle_errors
def lint(files: tuple[str, ...], release: str | None, fmt: str) -> None:
    """Report structural problems a maintainer must fix: exit 1 when there are any.

    Items still in Untopiced, a PR listed twice, long PR links where the worksheet asks
    for #N, unknown sections, BC/deprecation entries without rationale or code.

    \b
    Example:
      relnotes lint todo/quantization.md --release 2.7.0
    """
    config = config_for(files[0]).with_overrides(release=release)
    findings = lint_paths(list(files), config=config)
    if fmt == "json":
        emit_json({"findings": [f.to_json() for f in findings]})
    else:
        for finding in findings:
            click.echo(str(finding))
        click.echo(f"{len(findings)} finding(s) in {len(files)} file(s)", err=True)
    exit_with(1 if findings else 0)
