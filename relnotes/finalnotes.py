"""The final release notes (``final.md``): read losslessly, see sections, areas and PRs.

``final.md`` is the text of the GitHub release page. A release manager edits it by hand
for days after the merge, so relnotes reads it with the same lossless chunk model as the
worksheets (:mod:`relnotes.worksheet`): every chunk owns an exact slice of the lines and
:meth:`FinalNotes.render` gives the file back byte for byte. Structure comes from
markdown-it token line maps (:func:`relnotes.markdown.scan_blocks`), so ``# `` lines
inside code fences are code comments, not headings. Layout::

    # PyTorch X.Y.Z Release Notes     title, table of contents
    # Highlights                      front matter (also # Tracked Regressions)
    # Backwards Incompatible Changes  a section: canonical category "bc breaking"
    ## Python Frontend                an area
    ### Title (#N)                    an entry: rationale, code, bullets up to the next heading
    #### c10d                         a sub-area (a #### heading without PRs)
    - Item (#N)                       a bullet item with its body

Both ``relnotes parse`` and ``relnotes final --check`` read final notes through here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from relnotes.categories import canonical_category
from relnotes.errors import StructureError, WorksheetError
from relnotes.fileio import read_text, split_lines
from relnotes.markdown import Block, inline_pieces, parse_tokens, scan_blocks
from relnotes.prrefs import DEFAULT_REPO, line_naming, refs_of_pieces
from relnotes.versions import parse_version
from relnotes.worksheet import Chunk, Item, build_containers, make_item

__all__ = [
    "FRONT_MATTER",
    "SECTION_TITLES",
    "Area",
    "FinalItem",
    "FinalNotes",
    "FinalSection",
    "StructureFinding",
    "backtick_findings",
    "lenient_blocks",
    "looks_like_final_notes",
    "parse_final_notes",
    "read_final_notes",
    "section_category",
]

# Canonical category -> the top-level heading of the published notes, in published order.
SECTION_TITLES: dict[str, str] = {
    "bc breaking": "Backwards Incompatible Changes",
    "deprecation": "Deprecations",
    "new features": "New Features",
    "improvements": "Improvements",
    "bug fixes": "Bug Fixes",
    "performance": "Performance",
    "docs": "Documentation",
    "devs": "Developers",
    "security": "Security",
}
# Top-level headings that are not release-note sections; they come before them.
FRONT_MATTER: tuple[str, ...] = ("highlights", "tracked regressions")

_TITLE = re.compile(r"^[ \t]{0,3}#[ \t]+PyTorch[ \t]+(\S+)[ \t]+Release[ \t]+Notes[ \t]*#*[ \t]*$",
                    re.IGNORECASE)
_HEADING_LEVEL = re.compile(r"^[ \t]{0,3}(#{1,6})(?:[ \t]|$)")
_FENCE_OPEN = re.compile(r"^([ \t]*)(`{3,}|~{3,})")


def looks_like_final_notes(text: str) -> bool:
    """True when the first non-blank line is ``# PyTorch X.Y.Z Release Notes``."""
    for line in text.split("\n", 50)[:50]:
        if line.strip():
            match = _TITLE.match(line.rstrip("\r"))
            return bool(match and parse_version(match.group(1)))
    return False


def section_category(heading: str) -> str | None:
    """The canonical category of a top-level heading (``Bug fixes`` -> ``bug fixes``)."""
    category = canonical_category(heading)
    return category if category in SECTION_TITLES else None


@dataclass(eq=False, kw_only=True)
class FinalItem(Item):
    """A bullet, an entry (``###`` heading and what follows it) or a text block with PRs.

    ``refs`` maps each PR the chunk mentions (title and body, outside code) to the 1-based
    line it is on, in order. ``top``/``area``/``subarea`` name the headings it stands
    under; ``top_category`` is the canonical category of ``top`` (the worksheet-only
    ``Item.section`` is not used).
    """

    kind: str = "bullet"  # bullet | entry | text
    refs: dict[int, int] = field(default_factory=dict)
    top: str = ""  # the "# " heading it is under, as written
    top_category: str | None = None
    area: str | None = None
    subarea: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "line": self.line, "end_line": self.end_line,
            "title": self.title, "prs": list(self.refs),
            "refs": [{"pr": pr, "line": line} for pr, line in self.refs.items()],
            "commits": self.commits, "body": self.body,
        }


@dataclass(eq=False)
class Area:
    """A ``##`` area or a ``####`` sub-area and the items directly under it."""

    name: str
    line: int
    items: list[FinalItem] = field(default_factory=list)
    subareas: list[Area] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "line": self.line,
                "items": [i.to_json() for i in self.items],
                "subareas": [s.to_json() for s in self.subareas]}


@dataclass(eq=False)
class FinalSection:
    """A top-level ``#`` heading and what is under it."""

    name: str
    category: str | None
    line: int
    items: list[FinalItem] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)
    subareas: list[Area] = field(default_factory=list)  # #### directly under the section

    def all_items(self) -> list[FinalItem]:
        out = list(self.items)
        for sub in self.subareas:
            out.extend(sub.items)
        for area in self.areas:
            out.extend(area.items)
            for sub in area.subareas:
                out.extend(sub.items)
        return sorted(out, key=lambda i: i.start)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "category": self.category, "line": self.line,
                "items": [i.to_json() for i in self.items],
                "subareas": [s.to_json() for s in self.subareas],
                "areas": [a.to_json() for a in self.areas]}


@dataclass(frozen=True, order=True)
class StructureFinding:
    """A problem in the shape of the notes, at a 1-based line."""

    line: int
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "message": self.message}


class FinalNotes:
    """Parsed final notes: chunks (lossless) plus sections, areas and items."""

    def __init__(self, *, path: str, lines: list[str], chunks: list[Chunk],
                 sections: list[FinalSection], intro: list[FinalItem],
                 version: str | None, findings: list[StructureFinding]) -> None:
        self.path = path
        self.lines = lines
        self.chunks = chunks
        self.sections = sections
        self.intro = intro  # items before the first "# " heading (should be none)
        self.version = version
        self._findings = findings

    def render(self) -> str:
        return "".join(line for chunk in self.chunks for line in chunk.lines)

    def items(self) -> list[FinalItem]:
        return [*self.intro, *(i for s in self.sections for i in s.all_items())]

    def published(self) -> list[FinalItem]:
        """Items under a release-note section (not the title, TOC or highlights)."""
        return [i for s in self.sections if s.category for i in s.all_items()]

    def pr_places(self) -> dict[int, list[FinalItem]]:
        """Every PR mentioned anywhere, with the items that mention it, in file order."""
        places: dict[int, list[FinalItem]] = {}
        for item in self.items():
            for pr in item.refs:
                places.setdefault(pr, []).append(item)
        return places

    def structure(self) -> list[StructureFinding]:
        """Shape problems: unknown/duplicate/out-of-order top-level headings, open or
        leaked fences, unmatched backticks outside code (see :func:`parse_final_notes`)."""
        return list(self._findings)

    def to_json(self) -> dict[str, Any]:
        """The ``relnotes parse --format json`` shape of final notes (see the README)."""
        return {
            "file": self.path, "kind": "final", "version": self.version,
            "sections": [s.to_json() for s in self.sections],
            "intro": [i.to_json() for i in self.intro],
            "structure": [f.to_json() for f in self.structure()],
        }


# ----------------------------------------------------------------------------- parsing


def lenient_blocks(lines: list[str]) -> tuple[list[Block], list[StructureFinding]]:
    """:func:`scan_blocks` for files that may be broken: a fence or HTML comment that is
    never closed (which ``scan_blocks`` may refuse, as it hides what follows) becomes a
    finding, and the blocks are those of the lines with that opener blanked out. The line
    count stays the same, so the blocks still map onto the original lines."""
    work = list(lines)
    found: list[StructureFinding] = []
    while True:
        try:
            return scan_blocks(work), found
        except StructureError as exc:
            line = exc.line
            if line is None or not 1 <= line <= len(work) or not work[line - 1].strip():
                raise
            found.append(StructureFinding(line, exc.message))
            work[line - 1] = "\n" if work[line - 1].endswith("\n") else ""


def _level(chunk: Chunk) -> int:
    match = _HEADING_LEVEL.match(chunk.lines[0]) if chunk.lines else None
    return len(match.group(1)) if match else 0


def _as_final(item: Item, kind: str) -> FinalItem:
    values = {f.name: getattr(item, f.name) for f in fields(Item) if f.init}
    values.pop("kind", None)
    values.pop("section", None)
    return FinalItem(kind=kind, **values)


def _heading_item(lines: list[str], block: Block, kind: str, repo: str) -> FinalItem:
    item = _as_final(make_item(lines, block, repo=repo), kind)
    item.start = block.start
    return item


def _ref_lines(lines: list[str], repo: str) -> list[tuple[int, int]]:
    """(0-based line, PR) for every PR reference outside code, in file order.

    Worksheets tell an item's own PRs from those its title mentions; final notes have no
    links left (everything is ``#N``), so every number of ``repo`` counts
    (:attr:`relnotes.prrefs.Refs.named`), and a link to another repository's PR
    (``pytorch/ao``) is not a PR of this release.
    """
    found: list[tuple[int, int]] = []
    for tok in parse_tokens("".join(lines)):
        if tok.type != "inline" or tok.map is None:
            continue
        first, last = tok.map
        span = lines[first:max(last, first + 1)]
        for pr in refs_of_pieces(inline_pieces(tok.children or []), repo=repo).named:
            found.append((first + line_naming(span, pr), pr))
    return sorted(found)


def parse_final_notes(text: str, *, path: str | Path = "<final notes>",
                      repo: str = DEFAULT_REPO) -> FinalNotes:
    """Parse final release notes; every line stays in exactly one chunk.

    A ``# `` heading that is neither the title, nor front matter, nor a release-note
    section (typically a code comment outside its fence) does not start a section: it is
    a structure finding, and what follows it stays in the section before it.
    """
    file = str(path)
    lines = split_lines(text)
    if not text.strip():
        raise WorksheetError("empty file: final notes start with '# PyTorch X.Y.Z Release "
                             "Notes'", file=file, line=1)
    blocks, refused = lenient_blocks(lines)
    by_start = {b.start: b for b in blocks if b.kind == "heading"}
    intro_chunks, groups = build_containers(lines, blocks, 0, level=1, file=file, repo=repo)
    pos = 0
    for chunk in intro_chunks:
        chunk.start, pos = pos, pos + len(chunk.lines)
    merged: list[tuple[Chunk, list[Chunk]]] = []
    strays: list[Chunk] = []
    for n, (block, group) in enumerate(groups):
        heading = Chunk("heading", lines[block.start:block.end], block.start)
        pos = block.end
        for chunk in group:
            chunk.start, pos = pos, pos + len(chunk.lines)
        name = block.text.strip()
        known = (n == 0 and _TITLE.match(lines[block.start].rstrip("\r\n"))) or \
            section_category(name) or name.lower() in FRONT_MATTER
        if known:
            merged.append((heading, list(group)))
            continue
        heading.kind = "stray"
        strays.append(heading)
        target = merged[-1][1] if merged else intro_chunks
        target.extend([heading, *group])
    chunks: list[Chunk] = []
    intro: list[FinalItem] = []
    sections: list[FinalSection] = []
    _walk(intro_chunks, None, lines, by_start, chunks, intro, repo)
    for heading, group in merged:
        chunks.append(heading)
        name = chunk_text(heading)
        section = FinalSection(name=name, category=section_category(name),
                               line=heading.start + 1)
        sections.append(section)
        _walk(group, section, lines, by_start, chunks, section.items, repo)
    _fix_starts(chunks)
    _assign_refs(chunks, _ref_lines(lines, repo))
    title = None
    version = None
    if sections and _TITLE.match(lines[sections[0].line - 1].rstrip("\r\n")):
        title = sections[0]
        match = _TITLE.match(lines[title.line - 1].rstrip("\r\n"))
        parsed = parse_version(match.group(1)) if match else None
        version = str(parsed) if parsed else None
    notes = FinalNotes(path=file, lines=lines, chunks=chunks, sections=sections, intro=intro,
                       version=version, findings=[])
    notes._findings = _structure(notes, title, strays, refused)
    return notes


def _walk(group: list[Chunk], section: FinalSection | None, lines: list[str],
          by_start: dict[int, Block], chunks: list[Chunk], loose: list[FinalItem],
          repo: str) -> None:
    """Turn one section's chunks into areas, sub-areas, entries and items (in place)."""
    area: Area | None = None
    sub: Area | None = None
    entry: FinalItem | None = None
    top = section.name if section else ""
    category = section.category if section else None

    def place(item: FinalItem) -> None:
        item.top, item.top_category = top, category
        item.area = area.name if area else None
        item.subarea = sub.name if sub else None
        (sub.items if sub else area.items if area else loose).append(item)
        chunks.append(item)

    for chunk in group:
        if chunk.kind == "stray":
            (entry.lines.extend(chunk.lines) if entry is not None else chunks.append(chunk))
            continue
        level = _level(chunk) if chunk.kind in ("subheading", "item") else 0
        is_heading_item = chunk.kind == "item" and level > 0
        if chunk.kind == "subheading" or is_heading_item:
            block = by_start.get(chunk.start)
            if level == 3 and block is not None:  # an entry: everything up to the next heading
                entry = _heading_item(lines, block, "entry", repo)
                entry.lines = list(chunk.lines)
                place(entry)
                continue
            entry = None
            if level <= 2 and not is_heading_item:
                area = Area(chunk_text(chunk), chunk.start + 1)
                sub = None
                if section is not None:
                    section.areas.append(area)
                chunks.append(chunk)
                continue
            if not is_heading_item:  # #### without PRs: a sub-area
                sub = Area(chunk_text(chunk), chunk.start + 1)
                (area.subareas if area else section.subareas if section else []).append(sub)
                chunks.append(chunk)
                continue
            assert isinstance(chunk, Item)
            place(_as_final(chunk, "entry"))
            continue
        if entry is not None:
            entry.lines.extend(chunk.lines)
            continue
        if isinstance(chunk, Item):
            place(_as_final(chunk, "bullet"))
        elif chunk.kind == "text":
            place(FinalItem(kind="text", lines=list(chunk.lines), start=chunk.start,
                            marker="", title=""))
        else:
            chunks.append(chunk)


def chunk_text(chunk: Chunk) -> str:
    """A heading chunk's text without the ``#`` marks."""
    return re.sub(r"^[ \t]*#+[ \t]*|[ \t]+#+[ \t]*$", "", chunk.lines[0].rstrip("\r\n")).strip()


def _fix_starts(chunks: list[Chunk]) -> None:
    pos = 0
    for chunk in chunks:
        chunk.start = pos
        pos += len(chunk.lines)


def _assign_refs(chunks: list[Chunk], refs: list[tuple[int, int]]) -> None:
    n = 0
    for chunk in chunks:
        end = chunk.start + len(chunk.lines)
        while n < len(refs) and refs[n][0] < chunk.start:
            n += 1
        if not isinstance(chunk, FinalItem):
            continue
        while n < len(refs) and refs[n][0] < end:
            line, pr = refs[n]
            chunk.refs.setdefault(pr, line + 1)
            n += 1
        if chunk.kind == "text" and chunk.refs:
            first = chunk.lines[0].strip()
            chunk.title = first


# ----------------------------------------------------------------------------- structure


def _structure(notes: FinalNotes, title: FinalSection | None, strays: list[Chunk],
               refused: list[StructureFinding]) -> list[StructureFinding]:
    findings: list[StructureFinding] = list(refused)
    findings.extend(_top_level_findings(notes, title, strays))
    known = {f.line for f in refused}
    findings.extend(f for f in _fence_findings(notes) if f.line not in known)
    findings.extend(backtick_findings(notes.lines))
    return sorted(set(findings))


def _top_level_findings(notes: FinalNotes, title: FinalSection | None,
                        strays: list[Chunk]) -> list[StructureFinding]:
    out: list[StructureFinding] = []
    if title is None:
        line = notes.sections[0].line if notes.sections else 1
        out.append(StructureFinding(line, "the notes do not start with "
                                          "'# PyTorch X.Y.Z Release Notes'"))
    for stray in strays:
        name = chunk_text(stray)
        hint = " (a code comment outside its fence?)" if _looks_like_comment(name) else ""
        out.append(StructureFinding(stray.start + 1,
                                    f"unexpected top-level heading '# {name}'{hint}"))
    order = [*FRONT_MATTER, *SECTION_TITLES]
    last = -1
    seen: dict[str, int] = {}
    for section in notes.sections:
        if section is title:
            continue
        key = section.category or section.name.lower()
        if key in seen:
            out.append(StructureFinding(section.line, f"'# {section.name}' again (first at "
                                                      f"line {seen[key]})"))
            continue
        seen[key] = section.line
        rank = order.index(key)
        if rank < last:
            expected = ", ".join(SECTION_TITLES.get(k, k.title()) for k in order)
            out.append(StructureFinding(section.line, f"'# {section.name}' is out of order "
                                                      f"(expected order: {expected})"))
        last = max(last, rank)
    return out


def _looks_like_comment(text: str) -> bool:
    words = text.split()
    return bool(words) and (words[0][:1].islower() or "=" in text or "(" in text
                            or text.rstrip().endswith((":", ",", ".")) or len(words) > 6)


def _fence_findings(notes: FinalNotes) -> list[StructureFinding]:
    """Fences never closed, and fences at column 0 that belong to a bullet above them."""
    lines = notes.lines
    out: list[StructureFinding] = []
    for tok in parse_tokens("".join(lines)):
        if tok.type != "fence" or tok.map is None:
            continue
        start, end = tok.map
        opener = _FENCE_OPEN.match(lines[start]) if start < len(lines) else None
        if opener is None:
            continue
        mark = opener.group(2)
        closing = re.compile(rf"^[ \t]*{re.escape(mark[0])}{{{len(mark)},}}[ \t]*\r?\n?$")
        if not (start < end - 1 < len(lines) and closing.match(lines[end - 1])):
            out.append(StructureFinding(start + 1, "code fence is never closed (or a line "
                                                   "outdented out of its bullet ends it)"))
    for item in notes.items():
        if item.kind != "bullet":
            continue
        for block in lenient_blocks(item.lines)[0][1:]:
            if block.kind != "item" and _FENCE_OPEN.match(item.lines[block.start]) and \
                    not item.lines[block.start][:1].isspace():
                out.append(StructureFinding(
                    item.start + block.start + 1,
                    f"code fence after the bullet at line {item.line} is not indented "
                    "under it: it leaks out of the list"))
    return out


def _unescaped_backticks(line: str) -> int:
    return len(re.findall(r"(?<!\\)`", line))


def backtick_findings(lines: list[str]) -> list[StructureFinding]:
    """A backtick markdown-it left as text: an unmatched code span (odd count on a line).
    Lines are 1-based within ``lines``; ``final`` runs it on each done/ item it copies."""
    out: list[StructureFinding] = []
    if not any(_unescaped_backticks(line) % 2 for line in lines):
        return out  # no line with an odd count: nothing to parse for (most text)
    for tok in parse_tokens("".join(lines)):
        if tok.type != "inline" or tok.map is None:
            continue
        if not any(c.type == "text" and "`" in c.content for c in tok.children or []):
            continue
        first, last = tok.map
        odd = [n for n in range(first, max(last, first + 1))
               if n < len(lines) and _unescaped_backticks(lines[n]) % 2]
        if odd:
            out.append(StructureFinding(odd[0] + 1, "odd number of backticks outside code "
                                                    "(an unclosed `code span`)"))
    return out


def read_final_notes(path: str | Path, *, repo: str = DEFAULT_REPO) -> FinalNotes:
    """Read and parse a final notes file (errors name the file and line)."""
    return parse_final_notes(read_text(path), path=str(path), repo=repo)
