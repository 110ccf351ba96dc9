"""Markdown structure of notes files, from markdown-it-py token line maps.

Worksheets and ``miscategorized.md`` are both a run of headings, list items and other
blocks. This module turns a file's lines into :class:`Block` records (what kind of block,
which lines) and a title's inline tokens into :data:`Piece` records (text, code, links).
Nothing here decides what a block *means*: which PRs a title stands for is
:mod:`relnotes.prrefs`'s rule; :mod:`relnotes.worksheet` and :mod:`relnotes.miscategorized`
build items.

Lines are the file's own lines with their endings (see :func:`relnotes.fileio.split_lines`),
so every block maps to an exact slice of the input and rendering is lossless.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from relnotes.errors import StructureError

__all__ = [
    "ITEM_MARKER",
    "MERGE_NOTE",
    "Block",
    "Piece",
    "StructureError",
    "inline_pieces",
    "parse_inline",
    "parse_tokens",
    "scan_blocks",
    "without_merge_notes",
]

# A list item's marker with its indentation and following spaces: "- ", "  * ", "1. ".
ITEM_MARKER = re.compile(r"^([ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|(?=\r?\n?$)))")
# The HTML comment a merged bullet keeps its members' original titles in (apply, summarize
# --write): for the maintainer reading the worksheet, not for the published notes.
MERGE_NOTE = "<!-- relnotes summarize: merged from"
_MERGE_NOTE_BLOCK = re.compile(r"^[ \t]*" + re.escape(MERGE_NOTE) + r".*?-->[ \t]*\r?\n",
                               re.MULTILINE | re.DOTALL)


def without_merge_notes(text: str) -> str:
    """``text`` without the merge notes relnotes wrote into it (the published notes keep
    the bullet, not the titles it was merged from)."""
    return _MERGE_NOTE_BLOCK.sub("", text) if MERGE_NOTE in text else text


# One piece of a title's inline markdown, in order: ("text", text, ""), ("code", "", "")
# for a code span (never a reference), ("link", label text, href). Autolinks are text.
Piece = tuple[str, str, str]


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # commonmark + tables: the worksheets are GitHub markdown; tables occur in final notes.
    return MarkdownIt("commonmark").enable("table")


@dataclass
class Block:
    """One top-level block: ``start``/``end`` are 0-based line indexes, end exclusive.

    ``kind`` is ``heading`` (with ``level`` and ``text``), ``item`` (a top-level list
    item, with ``title_start``/``title_end`` the lines of its first paragraph and
    ``inline`` its inline tokens) or ``other`` (paragraph, fence, table, ...; a
    paragraph has its ``text`` and ``inline`` too).
    """

    kind: str
    start: int
    end: int
    level: int = 0
    text: str = ""
    title_start: int = 0
    title_end: int = 0
    nested_inline: list[list[Token]] = field(default_factory=list)
    ordered: bool = False
    _inline: list[Token] | None = field(default=None, repr=False)
    _pieces: list[Piece] | None = field(default=None, repr=False)

    @property
    def inline(self) -> list[Token]:
        """Inline tokens of the title (parsed on first use for fast-path items)."""
        if self._inline is None:
            self._inline = parse_inline(self.text) if self.text else []
        return self._inline

    @property
    def pieces(self) -> list[Piece]:
        """The title as :data:`Piece` records (read without markdown-it on the fast path,
        where that gives the same references; see :func:`_plain_pieces`)."""
        if self._pieces is None:
            self._pieces = inline_pieces(self.inline)
        return self._pieces

    @property
    def nested_pieces(self) -> list[list[Piece]]:
        """The pieces of each nested bullet's inline run."""
        return [inline_pieces(run) for run in self.nested_inline]


def _for_markdown_it(text: str) -> str:
    # markdown-it treats a lone "\r" as a line break, which would shift every line map
    # after it; our lines split on "\n" only, so make lone "\r" a plain space for parsing.
    return re.sub(r"\r(?!\n)", " ", text)


def _trim_blank_end(lines: list[str], start: int, end: int) -> int:
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return end


def parse_tokens(text: str) -> list[Token]:
    """markdown-it tokens of ``text`` whose line maps count lines as relnotes does."""
    return _parser().parse(_for_markdown_it(text))


def scan_blocks(lines: list[str], *, fast: bool = True) -> list[Block]:
    """The top-level blocks of ``lines`` in order; lines in no block are blank.

    Raises :class:`StructureError` for a code fence or HTML comment that is never closed:
    markdown would swallow every line after it, items included.

    With ``fast`` (the default), runs of plain one-line bullets -- most of a generated
    worksheet -- are parsed without markdown-it, which costs ~0.3 ms a line; the result is
    the same as without (``tests/test_markdown_fast.py`` checks it on every real file and
    on generated ones), so a 50,000-item worksheet parses in about a second.
    """
    if fast:
        blocks = _scan_fast(lines)
        if blocks is not None:
            return blocks
    return _scan_tokens(lines, parse_tokens("".join(lines)))


def _scan_tokens(lines: list[str], tokens: list[Token]) -> list[Block]:
    _check_structure(lines, tokens)
    blocks: list[Block] = []
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        if tok.level != 0 or tok.map is None or tok.nesting == -1:
            i += 1
            continue
        start, end = tok.map
        if tok.type == "heading_open":
            inline = tokens[i + 1]
            blocks.append(
                Block("heading", start, end, level=int(tok.tag[1]), text=inline.content,
                      _inline=inline.children or [])
            )
            i += 3
            continue
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            depth = 0
            j = i
            while j < n:
                t = tokens[j]
                if t.type in ("bullet_list_open", "ordered_list_open"):
                    depth += 1
                elif t.type in ("bullet_list_close", "ordered_list_close"):
                    depth -= 1
                    if depth == 0:
                        break
                elif t.type == "list_item_open" and t.level == 1 and t.map:
                    blocks.append(_item_block(lines, tokens, j))
                    blocks[-1].ordered = tok.type == "ordered_list_open"
                j += 1
            i = j + 1
            continue
        block = Block("other", start, _trim_blank_end(lines, start, end))
        if tok.type == "paragraph_open":  # its text and references: it may be an item
            block.text = tokens[i + 1].content
            block._inline = tokens[i + 1].children or []
        blocks.append(block)
        # skip to the matching close token of this block
        if tok.nesting == 1:
            depth = 0
            while i < n:
                depth += tokens[i].nesting
                i += 1
                if depth == 0:
                    break
        else:
            i += 1
    return blocks


_FENCE_LINE = re.compile(r"^[\s>]*")


def _check_structure(lines: list[str], tokens: list[Token]) -> None:
    """Refuse what would hide the rest of a file: unclosed fences and HTML comments.

    markdown-it closes an unclosed fence at the end of its container (the file, or the
    list item) without a word; a maintainer's next closing fence then opens a new one.
    """
    for tok in tokens:
        if tok.map is None:
            continue
        start, end = tok.map
        if tok.type == "fence":
            last = _FENCE_LINE.sub("", lines[end - 1]).rstrip() if end - 1 > start else ""
            char = tok.markup[:1]
            if not (last and set(last) == {char} and len(last) >= len(tok.markup)):
                raise StructureError(
                    f"code fence {tok.markup}{tok.info.strip()} opened here is never closed "
                    f"(add a closing {tok.markup} line; everything after it would be code)",
                    line=start + 1)
        elif tok.type == "html_block" and tok.content.lstrip().startswith("<!--") \
                and "-->" not in tok.content:
            raise StructureError("HTML comment <!-- opened here is never closed with -->",
                                 line=start + 1)


def _item_block(lines: list[str], tokens: list[Token], j: int) -> Block:
    item_tok = tokens[j]
    assert item_tok.map is not None
    start, end = item_tok.map
    end = _trim_blank_end(lines, start, end)
    block = Block("item", start, end, title_start=start, title_end=start + 1, _inline=[])
    nxt = tokens[j + 1] if j + 1 < len(tokens) else None
    if nxt is not None and nxt.type == "paragraph_open" and nxt.map and nxt.level == 2:
        block.title_start, block.title_end = nxt.map
        inline = tokens[j + 2]
        block.text = inline.content
        block._inline = inline.children or []
    # inline runs of nested list items: a grouping bullet ("- c10d") carries its PRs there
    depth = 0
    for k in range(j + 1, len(tokens)):  # an index walk: slicing here made parsing quadratic
        tok = tokens[k]
        if tok.type == "list_item_open":
            depth += 1
        elif tok.type == "list_item_close":
            if depth == 0:
                break
            depth -= 1
        elif tok.type == "inline" and depth > 0:
            block.nested_inline.append(tok.children or [])
    return block


# ----------------------------------------------------------------------------- fast path
#
# A "plain bullet" is a line "- text" at column 0 whose text cannot start a block of its
# own (heading, quote, HTML, fence, nested list, link definition, thematic break).
# Consecutive plain bullets with the same marker are sibling items of one list whenever
# the first of them is: nothing in a one-paragraph item can swallow the next "- " line.
# So markdown-it parses the file with each run reduced to its first line; where that line
# comes out as a one-line top-level item, the rest of the run are one-line items too,
# and their titles are read by _plain_pieces. Anything else falls back to markdown-it.

_PLAIN_BULLET = re.compile(r"([-*+])( {1,4})(\S.*?)[ ]*\r?\n?")
_BLOCK_START = re.compile(
    r"#|>|<|```|~~~|[-*+](?:\s|$)|\d{1,9}[.)](?:\s|$)|\[[^\]]*\]:|[-*_=]+\s*$")


def _plain_bullet(line: str) -> tuple[str, str] | None:
    """(marker, title text) of a plain bullet line, else None. The marker includes the
    spaces after it: lines of one run must give the line after the run the same content
    indent, or a following indented fence would belong to one and not the other. A
    thematic break ("- - -") is not a plain bullet: its text starts like a nested one."""
    if line[:1] not in "-*+" or "\t" in line or "\0" in line or "\r" in line[:-2]:
        return None
    match = _PLAIN_BULLET.fullmatch(line)
    if match is None or _BLOCK_START.match(match.group(3)):
        return None
    return match.group(1) + match.group(2), match.group(3)


def _scan_fast(lines: list[str]) -> list[Block] | None:
    plain = [_plain_bullet(line) for line in lines]
    markers = [p[0] if p else None for p in plain]
    keep: list[int] = []          # original index of each line of the reduced text
    runs: dict[int, int] = {}     # original first line of a run -> its length
    i, n = 0, len(lines)
    while i < n:
        keep.append(i)
        mark = markers[i]
        if mark is None:
            i += 1
            continue
        j = i + 1
        while j < n and markers[j] == mark:
            j += 1
        if j - i > 1:
            runs[i] = j - i
        i = j
    if not runs:
        return None
    reduced = [lines[k] for k in keep]
    env: dict[str, Any] = {}
    try:
        blocks = _scan_tokens(reduced, _parser().parse(_for_markdown_it("".join(reduced)), env))
    except StructureError:
        return None  # broken input: markdown-it alone says where, on the whole text
    literal = not env.get("references")  # "[BE]" is text unless "[BE]: url" exists
    out: list[Block] = []
    expanded = 0
    for block in blocks:
        first = keep[block.start]
        length = runs.get(first)
        if length is None:
            last = keep[block.end - 1]
            block.start, block.end = first, last + 1
            if block.kind == "item":
                block.title_start, block.title_end = (keep[block.title_start],
                                                      keep[block.title_end - 1] + 1)
            out.append(block)
            continue
        if not (block.kind == "item" and block.end - block.start == 1 and block.text
                and not block.nested_inline):
            return None  # the run is inside something else: let markdown-it decide
        block.start, block.end, block.title_start, block.title_end = (
            first, first + 1, first, first + 1)
        out.append(block)
        expanded += 1
        for k in range(first + 1, first + length):
            text = plain[k][1]  # type: ignore[index]
            pieces = _plain_pieces(text, literal_brackets=literal)
            # otherwise markdown-it, with the file's link references ("[ref]: url")
            inline = parse_inline(text, env=env) if pieces is None else None
            out.append(Block("item", k, k + 1, text=text, title_start=k, title_end=k + 1,
                             _inline=inline, _pieces=pieces))
    if expanded != len(runs):
        return None  # a run inside an HTML block or a paragraph: not items at all
    return out


_CODE_RUN = re.compile(r"`+")
_CODE_OR_LINK = re.compile(r"`+|\[")
_PLAIN_LINK = re.compile(r"\[([^\[\]`\\]*)\]\(([^()\s<>]*)\)")
# Escapes, HTML and autolinks, entities: left to markdown-it (images too, see below).
_UNSAFE = re.compile(r"[\\<&]")
# "_" that may open or close emphasis, next to what a reference is made of ("#", digits,
# the parentheses of a commit hash); "*" may be emphasis too, but it is not a word
# character, so whether markdown-it keeps it cannot change "#N" or "(abc1234)".
_LOOSE_UNDERSCORE = re.compile(
    r"(?:(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))(?:(?<=[#()0-9]_)|(?=[#()0-9]))")
_BAD_SCHEME = re.compile(r"(?i)^(?:javascript|vbscript|file|data):")


def _plain_pieces(text: str, *, literal_brackets: bool = True) -> list[Piece] | None:
    """The pieces of ``text`` read without markdown-it, for which the references
    (:func:`relnotes.prrefs.refs_of_pieces`) are those of markdown-it's inline tokens;
    None (parse it properly) for anything beyond text, emphasis, code spans, plain
    ``[label](url)`` links and -- when the file defines no link references -- bracketed
    tags such as ``[BE]``, which markdown-it leaves as text. Emphasis marks stay in the
    text, as :func:`inline_pieces` keeps them."""
    pieces: list[Piece] = []
    pos = plain_start = 0
    while (found := _CODE_OR_LINK.search(text, pos)) is not None:
        pos = found.start()
        if found.group(0)[0] == "`":
            width = len(found.group(0))
            close = next((m for m in _CODE_RUN.finditer(text, found.end())
                          if len(m.group(0)) == width), None)
            if close is None:
                return None  # a lone backtick run is literal text: leave it to markdown-it
            pieces += [("text", text[plain_start:pos], ""), ("code", "", "")]
            pos = plain_start = close.end()
            continue
        if pos and text[pos - 1] == "!":
            return None  # an image
        link = _PLAIN_LINK.match(text, pos)
        if link is not None:
            if _BAD_SCHEME.match(link.group(2)):
                return None
            pieces += [("text", text[plain_start:pos], ""),
                       ("link", link.group(1), link.group(2))]
            pos = plain_start = link.end()
            continue
        end = text.find("]", pos + 1)
        if not literal_brackets or "`" in text[pos + 1:end] or "[" in text[pos + 1:end] \
                or text[end + 1:end + 2] == "(":
            return None  # a reference, a link of another form, or code in the brackets
        pos = pos + 1 if end == -1 else end + 1  # "[BE]": text, kept in this piece
    pieces.append(("text", text[plain_start:], ""))
    joined = "\0".join(content for kind, content, _ in pieces if kind != "code")
    if _UNSAFE.search(joined) or _LOOSE_UNDERSCORE.search(joined) or (
            "/pull/" in joined and re.search(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", joined)):
        return None
    return pieces


def parse_inline(text: str, *, env: dict[str, Any] | None = None) -> list[Token]:
    """Inline tokens of one line of markdown (used after a title is rewritten); ``env``
    carries the link reference definitions of the file it stands in."""
    toks = _parser().parseInline(text, env if env is not None else {})
    return toks[0].children or [] if toks else []


def inline_pieces(children: list[Token]) -> list[Piece]:
    """A title's inline tokens as :data:`Piece` records: text (line breaks as spaces,
    emphasis marks as written), code spans, links with their label text; HTML and images
    are dropped. An autolink (``<https://...>``) is its URL as text, like a bare URL."""
    pieces: list[Piece] = []
    href: str | None = None  # inside a link: its target, and its label so far
    label: list[str] = []
    for tok in children:
        kind = tok.type
        if kind == "link_open":
            if tok.markup != "autolink":
                href, label = str(tok.attrs.get("href", "")), []
        elif kind == "link_close":
            if href is not None:
                pieces.append(("link", "".join(label), href))
                href = None
        elif kind in ("text", "softbreak", "hardbreak"):
            text = tok.content if kind == "text" else " "
            if href is not None:
                label.append(text)
            else:
                pieces.append(("text", text, ""))
        elif kind == "code_inline" and href is None:
            pieces.append(("code", "", ""))
        elif kind in _EMPHASIS and href is None:
            # the marks as written: the fast path keeps them too, and "*#7*a" must not
            # read as "#7a"
            pieces.append(("text", tok.markup, ""))
    return pieces


_EMPHASIS = frozenset({"em_open", "em_close", "strong_open", "strong_close", "s_open",
                       "s_close"})
