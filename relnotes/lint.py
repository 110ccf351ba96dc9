"""Structural lint of worksheets: what a maintainer still has to fix before ``done``."""

from __future__ import annotations

from pathlib import Path

from relnotes.categories import PUBLISHED
from relnotes.config import Config
from relnotes.entries import lint_entries
from relnotes.errors import WorksheetError
from relnotes.findings import Finding
from relnotes.markdown import LONG_PR_LINK
from relnotes.versions import release_of
from relnotes.worksheet import Worksheet, read_worksheet

__all__ = ["asks_for_short_links", "lint_paths", "lint_worksheet"]



def asks_for_short_links(ws: Worksheet) -> bool:
    """Whether the preamble asks for ``#N`` instead of long PR links (2.7.0 worksheets do)."""
    preamble = "".join(line for chunk in ws.preamble for line in chunk.lines)
    return "#PR_NUM" in preamble


def lint_worksheet(ws: Worksheet, *, release: str | None = None,
                   short_links: bool | None = None) -> list[Finding]:
    """Findings for one parsed worksheet, in line order."""
    findings: list[Finding] = []
    add = findings.append
    file = ws.path
    if short_links is None:
        short_links = asks_for_short_links(ws)
    for item in ws.intro.items:
        add(Finding(file, item.line, "outside-section",
                    "item before the first ### section heading"))
    seen: dict[int, int] = {}
    for section in ws.sections:
        if section.category is None:
            add(Finding(file, section.line, "unknown-section",
                        f"unknown section heading {section.name!r}"))
    for item in ws.items():
        category = item.section.category if item.section else None
        if category == "Untopiced":
            add(Finding(file, item.line, "untopiced", "item still in Untopiced"))
        if not item.all_prs and not item.commits:
            add(Finding(file, item.line, "no-reference", "item has no PR link or commit hash"))
        for pr in item.all_prs:
            if pr in seen:
                add(Finding(file, item.line, "duplicate-pr",
                            f"PR #{pr} is also listed at line {seen[pr]}"))
            else:
                seen[pr] = item.line
        if short_links and category in PUBLISHED and LONG_PR_LINK.search(item.lines[0]):
            add(Finding(file, item.line, "long-link",
                        "use #N instead of a long PR link, as the worksheet asks"))
    findings.extend(lint_entries(ws, release=release))
    return sorted(findings)


def lint_paths(paths: list[str | Path], *, config: Config | None = None) -> list[Finding]:
    """Lint several files; a file that cannot be parsed is a finding, not a crash.

    The release of each file is the ``release`` setting or its folder's name (``2.8.0/``);
    long links are reported where the worksheet asks for ``#N`` and ``short_pr_links``
    is on.
    """
    config = config or Config()
    findings: list[Finding] = []
    for path in paths:
        version = release_of(path, config.release)
        try:
            ws = read_worksheet(path)
        except WorksheetError as exc:
            findings.append(Finding(exc.file or str(path), exc.line or 1, "parse-error",
                                    exc.message))
            continue
        short_links = config.short_pr_links and asks_for_short_links(ws)
        findings.extend(lint_worksheet(ws, release=str(version) if version else None,
                                       short_links=short_links))
    return findings
