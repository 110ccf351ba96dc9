"""BC-breaking and deprecation entries as data: rationale, labelled code parts, lint.

Maintainers spend most of their effort on these entries and users copy the migration code
verbatim, so relnotes reads them into :class:`Entry` / :class:`CodePart` records that the
static check and the runner work from. The forms recognised are the ones real worksheets
and final notes use:

* the entry is a list item or a heading (``####`` in a worksheet, ``###`` in final notes)
  with PR links; what follows it up to the next entry belongs to it;
* a rationale: any paragraph that is not a version label;
* code as one fence with ``# pytorch 2.6`` / ``# pytorch 2.7`` marker comments, or as
  separate fences under label paragraphs (``Version 2.6``, ``Version 2.7.0:``,
  ``In 2.8.0``, ``2.7.0``), or untagged fences;
* output blocks: fences after an ``Output:`` / ``Users will see:`` paragraph, fences
  tagged ``text``/``output``, and untagged fences holding error text or prose;
* ``no code: <reason>`` (as a paragraph or an HTML comment) for entries without code.

Each code part gets its version label (``"2.7"``) and its role: ``before`` for the older of
the entry's labels, ``after`` for the newer (with a single label, the release decides).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from markdown_it.token import Token

from relnotes.categories import HIGH_STAKES, canonical_category
from relnotes.fileio import split_lines
from relnotes.markdown import parse_tokens, scan_blocks
from relnotes.prrefs import refs_of_block
from relnotes.versions import parse_version

if TYPE_CHECKING:
    from relnotes.worksheet import Worksheet

__all__ = [
    "ENTRY_KINDS",
    "CodePart",
    "Entry",
    "extract_code_parts",
    "extract_entries",
    "extract_entries_from_text",
    "parse_label",
    "pr_refs",
    "previous_minor",
]

# category -> Entry.kind
ENTRY_KINDS: dict[str, str] = dict(zip(HIGH_STAKES, ("bc", "deprecation"), strict=True))

PYTHON_LANGS = frozenset({"python", "py", "python3", "py3", "pycon", "ipython", "pytb-py"})
OUTPUT_LANGS = frozenset({"text", "txt", "output", "plaintext", "plain", "log", "pytb", "none"})

# A marker comment inside a fence: "# pytorch 2.6", "# Version 2.7.0:", "# 2.6".
_MARKER = re.compile(r"^\s*#\s*(?P<label>.*?)\s*$")
_OUTPUT_LABEL = re.compile(
    r"^(?:output|outputs|result|results|users will see|you will see|you'll see|error|warning|"
    r"the error|the warning|this (?:now )?(?:raises|prints|warns|shows))\b[^.]*:?$",
    re.IGNORECASE,
)
# "Before:" / "**After:**": a role without a version (the release supplies it).
_ROLE_LABEL = re.compile(r"^(before|after|old|new)(?:\s+(?:code|version))?\s*:?$", re.IGNORECASE)
_NO_CODE = re.compile(r"no code:\s*(.*?)\s*(?:-->)?\s*$", re.IGNORECASE | re.MULTILINE)
_ERRORISH = re.compile(
    r"^(?:Traceback \(most recent call last\)|[A-Za-z_][\w.]*(?:Error|Warning|Exception)\b)"
)
_CODEISH = re.compile(r"[=(\[{]|^\s*(?:import|from|def|class|return|with|for|if)\b|:\s*$",
                      re.MULTILINE)
_TODO = re.compile(r"<!--\s*TODO\b|\bTODO:")


@dataclass
class CodePart:
    """One piece of migration code (or output) of an entry.

    ``line`` is 1-based: the opening fence for the first part of a fence, the marker
    comment (``# pytorch 2.7``) for each later part of a fence that holds several.
    ``code_line`` is the worksheet line of the first line of ``code``, so an error at line
    *n* of the code is at worksheet line ``code_line + n - 1``.
    """

    file: str
    line: int
    prs: list[int]
    label: str | None
    role: str | None
    code: str
    lang: str | None
    is_output: bool
    entry_title: str
    code_line: int = 0
    label_line: int | None = None  # where the label was written (paragraph or marker)

    @property
    def is_python(self) -> bool:
        """Python code to check (untagged fences count: most notes leave them untagged)."""
        return not self.is_output and (self.lang is None or self.lang in PYTHON_LANGS)


@dataclass
class Entry:
    """A BC-breaking (``kind="bc"``) or deprecation entry."""

    kind: str
    title: str
    prs: list[int]
    line: int
    rationale: str
    parts: list[CodePart] = field(default_factory=list)
    no_code_reason: str | None = None
    file: str = ""
    end_line: int = 0
    has_todo: bool = False


def parse_label(text: str) -> str | None:
    """``"Version 2.7.0:"`` -> ``"2.7"``; None when the text is not just a version label."""
    version = parse_version(text)
    return version.mm if version else None


def previous_minor(version: str) -> str | None:
    """``"2.7"`` -> ``"2.6"``; None for ``X.0`` (the previous release is not derivable)."""
    parsed = parse_version(version)
    before = parsed.previous() if parsed else None
    return before.mm if before else None


def _vkey(label: str) -> tuple[int, int]:
    parsed = parse_version(label)
    return parsed.line if parsed else (0, 0)


# ----------------------------------------------------------------------------- parsing


def _looks_like_output(code: str) -> bool:
    """Untagged fence that is error text or prose rather than code."""
    first = next((ln for ln in code.splitlines() if ln.strip()), "")
    if first.lstrip().startswith(">>>"):
        return False
    if _ERRORISH.match(first.strip()):
        return True
    try:
        compile(code, "<fence>", "exec")
        return False
    except (SyntaxError, ValueError):
        return not _CODEISH.search(code)


def _split_markers(code: str) -> list[tuple[int, str | None, str]]:
    """Split a fence at marker comments: (offset of the part's first line, label, code).

    The offset is of the marker line (0 for text before the first marker); code starts
    on the line after a marker.
    """
    lines = code.splitlines(keepends=True)
    marks = [(i, _MARKER.match(ln)) for i, ln in enumerate(lines)]
    found = [(i, label) for i, m in marks if m and (label := parse_label(m.group("label")))]
    if not found:
        return [(0, None, code)]
    parts: list[tuple[int, str | None, str]] = []
    head = "".join(lines[: found[0][0]])
    if head.strip():
        parts.append((0, None, head))
    for n, (i, label) in enumerate(found):
        end = found[n + 1][0] if n + 1 < len(found) else len(lines)
        body = "".join(lines[i + 1:end]).rstrip("\n")  # the blank line before a marker
        parts.append((i, label, body + "\n" if body else ""))
    return parts


@dataclass
class _Walk:
    """State while reading one entry's blocks in order."""

    label: str | None = None
    label_line: int | None = None
    role: str | None = None  # from a "Before:" / "After:" label without a version
    output_mode: bool = False
    rationale: list[str] = field(default_factory=list)
    parts: list[CodePart] = field(default_factory=list)
    no_code_reason: str | None = None


def _build_entry(
    *, kind: str, title: str, prs: list[int], lines: list[str], start: int,
    title_lines: int, path: str,
) -> Entry:
    """An Entry from its lines (``start`` = 0-based index of its first line in the file)."""
    text = "".join(lines)
    walk = _Walk()
    if title_lines > 1:
        # "- Title (#1)\n**Before:**\n```" -- the label continues the title's paragraph
        last = lines[title_lines - 1].strip()
        _label_only(walk, last, start + title_lines)
        if (walk.label, walk.role) != (None, None):
            title = title[: title.rfind(last)].strip() if last in title else title
    tokens = parse_tokens(text)
    for i, tok in enumerate(tokens):
        if tok.map is None or tok.map[0] < title_lines:
            continue
        if tok.type == "paragraph_open":
            _paragraph(walk, tokens[i + 1].content, start + tok.map[0] + 1)
        elif tok.type in ("fence", "code_block"):
            _fence(walk, tok, start=start, path=path, prs=prs, title=title)
        elif tok.type == "html_block":
            walk.output_mode = False
            match = _NO_CODE.search(tok.content)
            if match:
                walk.no_code_reason = match.group(1) or ""
    if walk.no_code_reason is None:
        match = _NO_CODE.search("".join(lines[:title_lines]))
        if match:  # "- Foo (#1) no code: C++ only"
            walk.no_code_reason = match.group(1)
    if not walk.rationale:
        walk.rationale = _title_rationale(title)
    return Entry(
        kind=kind, title=title.strip(), prs=prs, line=start + 1,
        rationale="\n\n".join(walk.rationale), parts=walk.parts,
        no_code_reason=walk.no_code_reason, file=path, end_line=start + len(lines),
        has_todo=bool(_TODO.search(text)),
    )


def _title_rationale(title: str) -> list[str]:
    """Sentences after the first one of a long title: many entries put the "why" there."""
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z`*])", re.sub(r"\s+", " ", title).strip())
    rest = " ".join(sentences[1:]).strip()
    return [rest] if len(rest.split()) >= 4 else []


def _label_only(walk: _Walk, text: str, line: int) -> None:
    """Take ``text`` as a version or role label if it is one (else leave ``walk`` alone)."""
    label = parse_label(text)
    role = _ROLE_LABEL.match(re.sub(r"[*_`]", "", text).strip())
    if label is not None:
        walk.label, walk.label_line, walk.role = label, line, None
    elif role is not None:
        walk.label, walk.label_line = None, line
        walk.role = "before" if role.group(1).lower() in ("before", "old") else "after"


def _paragraph(walk: _Walk, content: str, line: int) -> None:
    stripped = content.strip()
    no_code = _NO_CODE.match(stripped)
    if no_code:
        walk.no_code_reason = no_code.group(1)
        return
    head, _, last = stripped.rpartition("\n")
    if head and (parse_label(last) or _ROLE_LABEL.match(re.sub(r"[*_`]", "", last).strip())):
        # "**Example:**\nVersion 2.6:" is one paragraph: a label on its last line counts.
        _paragraph(walk, head, line)
        _label_only(walk, last, line + head.count("\n") + 1)
        return
    plain = re.sub(r"[*_`]", "", stripped)
    if parse_label(stripped) or _ROLE_LABEL.match(plain):
        _label_only(walk, stripped, line)
        return
    if _OUTPUT_LABEL.match(plain):
        walk.output_mode = True
        return
    if re.fullmatch(r"(?:example|examples|for example|e\.g\.)\s*:?", plain, re.IGNORECASE):
        return
    walk.output_mode = False
    walk.label = walk.role = None
    walk.rationale.append(stripped)


def _fence(walk: _Walk, tok: Token, *, start: int, path: str, prs: list[int], title: str) -> None:
    assert tok.map is not None
    fence_line = start + tok.map[0] + 1
    is_fence = tok.type == "fence"
    words = tok.info.strip().split() if is_fence else []
    lang = words[0].lower() if words else None
    code_first = fence_line + 1 if is_fence else fence_line
    for n, (offset, marker_label, code) in enumerate(_split_markers(tok.content)):
        label = marker_label or (walk.label if n == 0 else None)
        # an explicit python tag always means code, even right after "Output:"
        output = lang not in PYTHON_LANGS and (
            walk.output_mode or lang in OUTPUT_LANGS
            or (lang is None and _looks_like_output(code))
        )
        line = fence_line if n == 0 else code_first + offset
        role = walk.role if n == 0 and marker_label is None else None
        walk.parts.append(CodePart(
            file=path, line=line, prs=list(prs), label=label, role=role, code=code,
            lang=lang, is_output=output, entry_title=title.strip(),
            code_line=code_first + offset + (1 if marker_label else 0),
            label_line=(code_first + offset) if marker_label else walk.label_line,
        ))


def _assign_roles(entries: Iterable[Entry], release: str | None) -> None:
    rel = _release_mm(release)
    for entry in entries:
        labels = sorted({p.label for p in entry.parts if p.label}, key=_vkey)
        for part in entry.parts:
            if part.label is None:
                if part.role is not None and rel is not None:  # "Before:" in a 2.7 worksheet
                    part.label = rel if part.role == "after" else previous_minor(rel)
                continue
            if len(labels) >= 2:
                if part.label == labels[0]:
                    part.role = "before"
                elif part.label == labels[-1]:
                    part.role = "after"
            elif rel is not None:
                part.role = "after" if _vkey(part.label) >= _vkey(rel) else "before"


def _release_mm(release: str | None) -> str | None:
    return parse_label(release) if release else None


def extract_entries(ws: Worksheet, *, release: str | None = None) -> list[Entry]:
    """Every BC-breaking and deprecation entry of a worksheet, in file order.

    Entries are the worksheet model's items in the ``bc breaking`` and ``deprecation``
    sections. ``release`` (e.g. ``"2.7.0"``) only decides the role of a part when its
    entry has a single version label.
    """
    entries: list[Entry] = []
    for section in ws.sections:
        kind = ENTRY_KINDS.get(section.category or "")
        if kind is None:
            continue
        for item in section.items:
            entries.append(_build_entry(
                kind=kind, title=item.title, prs=list(item.prs), lines=list(item.lines),
                start=item.start, title_lines=item.title_lines, path=str(ws.path),
            ))
    _assign_roles(entries, release)
    return entries


def extract_code_parts(ws: Worksheet, *, release: str | None = None) -> list[CodePart]:
    """Every code part (and output part) of every entry, in file order."""
    return [part for entry in extract_entries(ws, release=release) for part in entry.parts]


def extract_entries_from_text(
    text: str, *, path: str = "<text>", release: str | None = None
) -> list[Entry]:
    """Entries of final release notes (``# Backwards Incompatible Changes`` / ``# Deprecations``).

    Final notes are not worksheets: the kind comes from a heading at any level
    (``#`` in final notes, ``###`` in worksheets), ``##`` headings below it group domains,
    and each deeper heading (or, where there are none, each top-level list item) is an
    entry. Works on worksheets too.
    """
    lines = split_lines(text)
    blocks = scan_blocks(lines)
    entries: list[Entry] = []
    kind: str | None = None
    region_level = 0
    starts: list[tuple[int, str, list[int], int]] = []  # (block index, kind, prs, title_lines)
    bounds: list[int] = []
    heading_open = False
    for idx, block in enumerate(blocks):
        if block.kind == "heading" and (kind is None or block.level <= region_level):
            category = canonical_category(block.text)
            new_kind = ENTRY_KINDS.get(category or "")
            if kind is not None:
                bounds.append(idx)
            kind, region_level, heading_open = new_kind, block.level, False
            continue
        if kind is None:
            continue
        if block.kind == "heading":
            if block.level >= 3 and block.level > region_level:
                prs = list(refs_of_block(block)[0].prs)
                starts.append((idx, kind, prs, block.end - block.start))
                heading_open = True
            else:  # a domain grouping heading ("## Python Frontend") ends the entry
                bounds.append(idx)
                heading_open = False
        elif block.kind == "item" and not heading_open:
            prs = list(refs_of_block(block)[0].prs)
            starts.append((idx, kind, prs, block.title_end - block.start))
    bounds.append(len(blocks))
    for n, (idx, entry_kind, prs, title_lines) in enumerate(starts):
        stop = min(b for b in [*bounds, *(s[0] for s in starts[n + 1:])] if b > idx)
        first = blocks[idx].start
        last = blocks[stop - 1].end
        block = blocks[idx]
        entries.append(_build_entry(
            kind=entry_kind, title=block.text.replace("\n", " "), prs=prs,
            lines=lines[first:last], start=first, title_lines=title_lines, path=path,
        ))
    _assign_roles(entries, release)
    return entries


def pr_refs(prs: list[int]) -> str:
    """``#1, #2``: how notes name an entry's PRs."""
    return ", ".join(f"#{n}" for n in prs)
