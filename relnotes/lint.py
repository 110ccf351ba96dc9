"""Structural lint of worksheets: what a maintainer still has to fix before ``done``."""

from __future__ import annotations

from pathlib import Path

from relnotes.categories import PUBLISHED
from relnotes.config import Config
from relnotes.entries import ENTRY_KINDS, Entry, extract_entries, parse_label, previous_minor
from relnotes.errors import WorksheetError
from relnotes.findings import Finding
from relnotes.prrefs import long_links, shorten_title
from relnotes.release import release_of
from relnotes.worksheet import Worksheet, read_worksheet

__all__ = [
    "asks_for_short_links",
    "lint_entries",
    "lint_entry_list",
    "lint_paths",
    "lint_worksheet",
]



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
        if (short_links and category in PUBLISHED and long_links(item.lines[0], repo=ws.repo)
                and shorten_title(item.title, repo=ws.repo) != item.title):
            # a title whose short form would stand for other PRs stays long
            # ("(#144120) ([#146372](..))"): nothing to ask for
            add(Finding(file, item.line, "long-link",
                        "use #N instead of a long PR link, as the worksheet asks"))
    findings.extend(lint_entries(ws, release=release))
    return sorted(findings)


def lint_paths(paths: list[str | Path], *, config: Config | None = None) -> list[Finding]:
    """Lint several worksheet files (folders: :func:`relnotes.release.collect_worksheets`);
    a file that cannot be parsed is a finding, not a crash.

    The release of each file is the ``release`` setting or its folder's name (``2.8.0/``);
    long links are reported where the worksheet asks for ``#N`` and ``short_pr_links``
    is on.
    """
    config = config or Config()
    findings: list[Finding] = []
    for path in paths:
        version = release_of(path, config.release)
        try:
            ws = read_worksheet(path, repo=config.repo)
        except WorksheetError as exc:
            findings.append(Finding(exc.file or str(path), exc.line or 1, "parse-error",
                                    exc.message))
            continue
        short_links = config.short_pr_links and asks_for_short_links(ws)
        findings.extend(lint_worksheet(ws, release=str(version) if version else None,
                                       short_links=short_links))
    return findings


# ----------------------------------------------------------------------------- entries


def lint_entries(ws: Worksheet, *, release: str | None) -> list[Finding]:
    """Findings for BC/deprecation entries of ``ws`` (see :func:`lint_entry_list`).

    Also ``entry-no-pr``: a heading in these sections without a PR link is not an item
    in the worksheet model, so its code would never be checked.
    """
    findings = lint_entry_list(extract_entries(ws, release=release), release=release)
    for section in ws.sections:
        if section.category not in ENTRY_KINDS:
            continue
        for chunk in section.chunks:
            if chunk.kind == "subheading":
                findings.append(Finding(
                    str(ws.path), chunk.line, "entry-no-pr",
                    "heading has no PR link, so it is not an entry: add (#N) to it",
                ))
    return findings


def lint_entry_list(entries: list[Entry], *, release: str | None) -> list[Finding]:
    """What a release manager would send back.

    Codes: ``entry-no-rationale``; ``entry-no-code`` (unless ``no code: <reason>``);
    ``entry-label`` (a label that is not the release or the one before it);
    ``entry-unlabelled`` (before/after code without version labels);
    ``entry-todo`` (a draft placeholder left in).
    """
    findings: list[Finding] = []
    after = parse_label(release) if release else None
    before = previous_minor(after) if after else None
    for entry in entries:
        what = "BC-breaking entry" if entry.kind == "bc" else "deprecation entry"
        if not entry.rationale.strip():
            findings.append(Finding(entry.file, entry.line, "entry-no-rationale",
                                    f"{what} has no rationale paragraph"))
        code = [p for p in entry.parts if not p.is_output]
        if not code and entry.no_code_reason is None:
            findings.append(Finding(
                entry.file, entry.line, "entry-no-code",
                f"{what} has no migration code (write `no code: <reason>` if none applies)",
            ))
        elif entry.no_code_reason == "":
            findings.append(Finding(entry.file, entry.line, "entry-no-code",
                                    "`no code:` needs a reason"))
        if entry.has_todo:
            findings.append(Finding(entry.file, entry.line, "entry-todo",
                                    f"{what} still has TODO placeholders"))
        if len(code) >= 2 and not any(p.label for p in code):
            findings.append(Finding(
                entry.file, code[0].line, "entry-unlabelled",
                f"{what} has {len(code)} code blocks but no version labels "
                "(e.g. `# pytorch 2.6` / `# pytorch 2.7`)",
            ))
        if after is None:
            continue
        allowed = {after} | ({before} if before else set())
        for part in entry.parts:
            if part.label is None or part.label in allowed:
                continue
            want = f"{before} (before) or {after} (after)" if before else after
            findings.append(Finding(
                entry.file, part.label_line or part.line, "entry-label",
                f"version label {part.label} does not match release {release}: use {want}",
            ))
    return findings
