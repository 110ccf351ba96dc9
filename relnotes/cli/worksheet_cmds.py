"""``relnotes parse`` and ``relnotes lint``: read release-folder files, report their structure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from relnotes.cli.app import command, config_for, emit_json, exit_with, print_notes
from relnotes.documents import KINDS, document_json, read_document
from relnotes.lint import lint_paths
from relnotes.release import ReleaseFolder, collect_worksheets


def _outline(data: dict[str, Any]) -> list[str]:
    """Text outline of a parsed file from its JSON shape (one shape, two renderings)."""
    kind = data["kind"]
    if kind == "worksheet":
        head = f"worksheet, domain {data['domain']!r} (line {data['domain_line']})"
        return _sections(data, head, _worksheet_section)
    if kind == "pool":
        count = sum(len(g["items"]) for g in data["groups"])
        out = [f"{data['file']}: pool, {len(data['groups'])} groups, {count} items"]
        for g in data["groups"]:
            what = (f"category {g['category']}" if g["category"] else
                    f"for {', '.join(g['domains']) or g['target'] + ' (unknown domain)'}"
                    if g["target"] else "no target")
            source = f", from {g['source']}" if g["source"] else ""
            out.append(f"  {g['line']:>5}  {g['name'] or '(above the groups)'} [{what}"
                       f"{source}]: {len(g['items'])} items")
        return out
    if kind == "cherrypicks":
        return _sections(data, "cherry-picks", lambda s: s["name"])
    sections = data["sections"]
    total = sum(_count(s) for s in sections)
    out = [f"{data['file']}: final notes, {len(sections)} sections, {total} items"]
    out += [f"  {s['line']:>5}  {s['name']}: {len(s['areas'])} areas, {_count(s)} items"
            for s in sections]
    return out


def _worksheet_section(section: dict[str, Any]) -> str:
    """``bug fixes``; ``Deprecations [deprecation]``; ``Removed stuff [unknown: ...]``."""
    name: str = section["name"]
    category: str | None = section["category"]
    if not name:
        return "(before sections)"
    return name + ("" if category == name else f" [{category or 'unknown: ' + repr(name)}]")


def _sections(data: dict[str, Any], head: str,
              name: Callable[[dict[str, Any]], str]) -> list[str]:
    """A worksheet's or cherry-pick list's outline: one line per section, with its items."""
    total = sum(len(s["items"]) for s in data["sections"])
    return [f"{data['file']}: {head}, {total} items",
            *(f"  {s['line']:>5}  {name(s)}: {len(s['items'])} items" for s in data["sections"])]


def _count(node: dict[str, Any]) -> int:
    """Items of a final-notes section or area, its sub-areas included."""
    return len(node["items"]) + sum(_count(a) for a in [*node.get("areas", []),
                                                        *node.get("subareas", [])])


@command(formats=("text", "json", "markdown"))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--kind", type=click.Choice(["auto", *KINDS]), default="auto", show_default=True,
              help="What the file is; auto tells worksheets, miscategorized.md pools and "
                   "final notes apart by their title.")
def parse(file: str, kind: str, fmt: str) -> None:
    """Parse a worksheet, a miscategorized.md pool, final notes or cherry-picks.

    markdown re-renders the file (byte-identical when valid); json gives, for a
    worksheet, domain, sections and items with their lines, the PRs each stands for and
    the numbers its title only mentions (of the repo setting's repository); for a pool,
    its groups (target as written, canonical domains, source) and items; for final
    notes, sections, areas and items.

    \b
    Examples:
      relnotes parse todo/quantization.md --format json
      relnotes parse 2.8.0/todo/result_nn_frontend.md
      relnotes parse miscategorized.md
      relnotes parse final.md --format json
    """
    doc = read_document(file, kind=kind, repo=config_for(file).repo)
    if fmt == "markdown":
        click.echo(doc.render(), nl=False)
    elif fmt == "json":
        emit_json(document_json(doc))
    else:
        click.echo("\n".join(_outline(document_json(doc))))


@command()
@click.argument("paths", metavar="PATH...", nargs=-1, required=True,
                type=click.Path(exists=True))
@click.option("--release", help="Release being curated (e.g. 2.7.0), to check version labels.")
def lint(paths: tuple[str, ...], release: str | None, fmt: str) -> None:
    """Report structural problems a maintainer must fix: exit 1 when there are any.

    Items still in Untopiced, a PR listed twice, long PR links where the worksheet asks
    for #N, unknown sections, BC/deprecation entries without rationale or code. A PATH
    that is a folder means every worksheet below it (a release folder: todo/ and done/);
    files there that are no worksheet (an empty placeholder.md) are skipped with a note.

    \b
    Examples:
      relnotes lint todo/quantization.md --release 2.7.0
      relnotes lint 2.8.0/done/result_*.md
      relnotes lint 2.8.0/done
    """
    config = config_for(paths[0]).with_overrides(release=release)
    scan = collect_worksheets(paths)
    folder = ReleaseFolder.of(paths[0], config=config)
    folder.skip(scan.skipped.items())
    findings = lint_paths(list(scan.worksheets), config=config)
    if fmt == "json":
        emit_json({"findings": [f.to_json() for f in findings]})
    else:
        for finding in findings:
            click.echo(str(finding))
        click.echo(f"{len(findings)} finding(s) in {len(scan.worksheets)} file(s)", err=True)
    print_notes(folder)
    exit_with(1 if findings else 0)
