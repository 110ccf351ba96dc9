"""How one worksheet item reads in the final notes: bullets, entries, sub-area groups.

The final notes are what users read, so every item keeps its words and only its form
changes: links become ``#N``; a bullet's continuation lines, nested bullets and fences
stay indented under it (a fence at column 0 would leak out of the list and turn its
``# `` code comments into headings); a BC-breaking or deprecation entry becomes a
``### <title> (#N)`` block with its rationale and labelled code, rendered from the entry
data through ``final_entry.md.j2`` when the template can say all of it, else kept as
written under the same ``###`` title.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

from relnotes.entries import PYTHON_LANGS, Entry, pr_refs
from relnotes.finalnotes import lenient_blocks
from relnotes.markdown import ITEM_MARKER, parse_tokens, without_merge_notes
from relnotes.prrefs import shorten_links
from relnotes.templating import render
from relnotes.worksheet import Chunk, Item

if TYPE_CHECKING:
    from relnotes.config import Config

__all__ = [
    "final_context",
    "group_title",
    "is_group",
    "render_bullet",
    "render_entry",
    "render_group_body",
    "render_text",
    "template_entry",
]

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")


def final_context(entry: Entry, *, repo: str = "pytorch/pytorch") -> dict[str, object]:
    """Context of ``final_entry.md.j2``: the entry as the published notes show it.

    Version labels are written ``X.Y.0`` (``Version 2.6.0``), as in the final notes; links
    in the title and rationale become ``#N``.
    """
    parts = [
        {
            "version": f"{p.label}.0" if p.label else None,
            "lang": "" if p.is_output else ("python" if p.lang in (None, *PYTHON_LANGS)
                                            else p.lang),
            "code": p.code.rstrip("\n"),
            "is_output": p.is_output,
        }
        for p in entry.parts
    ]
    title = shorten_links(entry.title, repo=repo).strip()
    refs = "" if any(re.search(rf"#{n}\b", title) for n in entry.prs) else pr_refs(entry.prs)
    return {"entry": {
        "kind": entry.kind, "title": title, "pr_refs": refs,
        "rationale": shorten_links(entry.rationale, repo=repo),
        "no_code_reason": entry.no_code_reason, "parts": parts,
    }}


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _ensure_eol(lines: list[str]) -> list[str]:
    return [ln if ln.endswith("\n") else ln + "\n" for ln in lines]


def _strip_blank_edges(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    while lines and not lines[0].strip():
        lines = lines[1:]
    return lines


def render_text(chunk: Chunk, *, repo: str, entry: bool = False) -> str:
    """A free paragraph (or table, or HTML) of a section, as written, links shortened.

    In a BC-breaking or deprecation section (``entry``), text that opens with a bold line
    (``**Title**``) is an entry written without a bullet: the line becomes its ``###``.
    """
    lines = _strip_blank_edges(_ensure_eol(_lines(shorten_links("".join(chunk.lines),
                                                                repo=repo))))
    bold = re.match(r"^\*\*(.+?)\*\*[ \t]*$", lines[0].rstrip("\r\n")) if lines else None
    if entry and bold:
        lines = [f"### {bold.group(1).strip()}\n", *(["\n"] if len(lines) > 1 and
                                                     lines[1].strip() else []), *lines[1:]]
    return "".join(lines)


def render_bullet(item: Item, *, repo: str) -> str:
    """The item as a bullet: its own lines, then what the worksheet model gave it after its
    list item (paragraphs, fences at column 0) indented under the marker."""
    lines = _ensure_eol(list(item.lines))
    blocks, _ = lenient_blocks(lines)
    own_end = blocks[0].end if blocks and blocks[0].kind in ("item", "heading") else 1
    indent = " " * _marker_width(item)
    out = lines[:own_end]
    for line in lines[own_end:]:
        out.append(indent + line if line.strip() else line)
    if item.is_heading:  # a "####" item in a normal section: a bullet in the notes
        out[0] = "- " + out[0][len(item.marker):]
    text = without_merge_notes("".join(out))  # the worksheet's record of a merge
    return "".join(_strip_blank_edges(_lines(shorten_links(text, repo=repo))))


def _marker_width(item: Item) -> int:
    if item.is_heading:
        return 2
    match = ITEM_MARKER.match(item.lines[0])
    return len(match.group(1)) if match else 2


def is_group(item: Item) -> bool:
    """A grouping bullet (``- c10d`` with the items nested under it): no PR of its own."""
    return not item.is_heading and not item.prs and not item.commits and bool(item.body_prs)


def group_title(item: Item) -> str:
    """The sub-area name a grouping bullet stands for (``- c10d:`` -> ``c10d``)."""
    return re.sub(r"[*_]{2}", "", item.title).strip().rstrip(":").strip()


def render_group_body(item: Item, *, repo: str) -> str:
    """The nested bullets of a grouping bullet, moved out one level (they become the
    items of its ``####`` sub-area)."""
    body = _ensure_eol(item.lines[item.title_lines:])
    width = min((len(ln) - len(ln.lstrip(" ")) for ln in body if ln.strip()), default=0)
    out = [ln[min(width, len(ln) - len(ln.lstrip(" "))):] if ln.strip() else ln for ln in body]
    return "".join(_strip_blank_edges(_lines(shorten_links("".join(out), repo=repo))))


def _unbold(text: str) -> str:
    """A title a maintainer wrote in bold (``**Title.** (#1)``): a ``###`` is bold already."""
    return text.replace("**", "") if text.lstrip().startswith("**") else text


def template_entry(item: Item, entry: Entry) -> Entry | None:
    """``entry`` with the ``###`` title and rationale to render it with through
    ``final_entry.md.j2``, or None when the template cannot say everything it says.

    The template can when the body is only rationale paragraphs, then labelled fences (no
    lists, tables, quotes, headings or HTML, and no rationale after the code, which it
    would move above it). An entry whose "why" is in the sentences after the first one of
    its title gets that first sentence as its title, so the "why" is not printed twice.
    """
    text = "".join(item.lines)
    rationale = [p.strip() for p in entry.rationale.split("\n\n") if p.strip()]
    seen_fence = False
    found: list[str] = []
    for tok in parse_tokens(text):
        if tok.map is None:
            continue
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            if not item.is_heading and tok.level == 0 and tok.map[0] == 0:
                continue  # the item's own bullet
            return None
        if tok.map[0] < item.title_lines:
            continue
        if tok.type in ("table_open", "blockquote_open", "heading_open", "hr"):
            return None
        if tok.type == "html_block" and "no code" not in tok.content.lower():
            return None
        if tok.type in ("fence", "code_block"):
            seen_fence = True
        elif tok.type == "inline" and tok.content.strip() in rationale:
            if seen_fence:
                return None
            found.append(tok.content.strip())
    if found == rationale:
        return dataclasses.replace(entry, title=_unbold(entry.title))
    bold = entry.title.lstrip().startswith("**")
    title, why = (re.sub(r"\s+", " ", t.replace("**", "") if bold else t).strip()
                  for t in (entry.title, entry.rationale))
    if not found and why and title.endswith(why) and len(title) > len(why):
        return dataclasses.replace(entry, title=title[: -len(why)].strip(), rationale=why)
    return None


def render_entry(item: Item, entry: Entry | None, *, config: Config | None,
                 repo: str) -> tuple[str, bool]:
    """The ``###`` block of a BC/deprecation item; True when it went through the template."""
    ready = template_entry(item, entry) if entry is not None else None
    if ready is not None:
        context = final_context(ready, repo=repo)
        text = render("final_entry.md.j2", context, config=config)
        return "".join(_strip_blank_edges(_ensure_eol(_lines(text)))), True
    return _verbatim_entry(item, entry, repo=repo), False


def _verbatim_entry(item: Item, entry: Entry | None, *, repo: str) -> str:
    """``### <title> (#N)`` and the item's body as written (out of its bullet).

    The heading is the title's first line; further lines of the title paragraph (often
    the rationale, run on without a blank line) open the body.
    """
    lines = _ensure_eol(list(item.lines))
    first = lines[0].removeprefix(item.marker)
    title = _unbold(shorten_links(first.strip() if item.title_lines > 1 else item.title,
                                  repo=repo)).strip()
    prs = item.all_prs if entry is None else entry.prs
    if prs and not any(re.search(rf"#{n}\b", title) for n in prs):
        title += f" ({pr_refs(prs)})"
    blocks, _ = lenient_blocks(lines)
    own_end = blocks[0].end if blocks and blocks[0].kind == "item" else item.title_lines
    width = _marker_width(item)
    body = []
    for n, line in enumerate(lines[1:], start=1):
        if n < own_end and line.strip():
            lead = len(line) - len(line.lstrip(" "))
            line = line[min(lead, width):]
        body.append(line)
    text = shorten_links("".join(body), repo=repo)
    out = [f"### {title}\n"]
    body_lines = _strip_blank_edges(_lines(text))
    if body_lines:
        out += ["\n", *body_lines]
    return "".join(_ensure_eol(out))


def document(context: dict[str, Any], *, config: Config | None) -> str:
    """The whole file from ``final_notes.md.j2``."""
    return render("final_notes.md.j2", context, config=config)
