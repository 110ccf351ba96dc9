"""Markdown structure of notes files, from markdown-it-py token line maps.

Worksheets and ``miscategorized.md`` are both a run of headings, list items and other
blocks. This module turns a file's lines into :class:`Block` records (what kind of block,
which lines) and extracts PR numbers and commit hashes from inline tokens. Nothing here
decides what a block *means*; :mod:`relnotes.worksheet` and :mod:`relnotes.miscategorized`
do that.

Lines are the file's own lines with their endings (see :func:`relnotes.fileio.split_lines`),
so every block maps to an exact slice of the input and rendering is lossless.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = [
    "ITEM_MARKER",
    "LONG_PR_LINK",
    "Block",
    "normalise_title",
    "parse_inline",
    "parse_tokens",
    "refs_in_inline",
    "scan_blocks",
    "strip_pr_refs",
]

# A list item's marker with its indentation and following spaces: "- ", "  * ", "1. ".
ITEM_MARKER = re.compile(r"^([ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|(?=\r?\n?$)))")
_PR_URL = re.compile(r"github\.com/[\w.-]+/[\w.-]+/pull/(\d+)")
_PR_HASH = re.compile(r"(?<![\w&/])#(\d{1,7})\b")
_COMMIT = re.compile(r"\(([0-9a-f]{7,40})\)")
_TRAILING_COMMIT = re.compile(r"\(([0-9a-f]{7,40})\)\W*$")
# "[#123](https://github.com/o/r/pull/123)" and "[\#123](...)": what "#N" replaces.
LONG_PR_LINK = re.compile(r"\[\\?#(\d+)\]\(https?://github\.com/[^)\s]+/pull/\d+\)")
# A PR reference as titles carry it: a long link, "#N", or a pull URL.
_ANY_PR_REF = re.compile(
    r"\[\\?#\d+\]\([^)\s]*\)|https?://github\.com/[\w.-]+/[\w.-]+/pull/\d+(?:[/#?][^\s)]*)?"
    r"|(?<![\w&/])#\d{1,7}\b")
# What is left of "(#1, #2)" or "([#1](...))" once the references are gone.
_EMPTY_GROUP = re.compile(r"\(\s*(?:[,;&]|and\b|\s)*\)")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # commonmark + tables: the worksheets are GitHub markdown; tables occur in final notes.
    return MarkdownIt("commonmark").enable("table")


@dataclass
class Block:
    """One top-level block: ``start``/``end`` are 0-based line indexes, end exclusive.

    ``kind`` is ``heading`` (with ``level`` and ``text``), ``item`` (a top-level list
    item, with ``title_start``/``title_end`` the lines of its first paragraph and
    ``inline`` its inline tokens) or ``other`` (paragraph, fence, table, ...).
    """

    kind: str
    start: int
    end: int
    level: int = 0
    text: str = ""
    title_start: int = 0
    title_end: int = 0
    inline: list[Token] = field(default_factory=list)
    nested_inline: list[list[Token]] = field(default_factory=list)
    ordered: bool = False


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


def scan_blocks(lines: list[str]) -> list[Block]:
    """The top-level blocks of ``lines`` in order; lines in no block are blank."""
    tokens = parse_tokens("".join(lines))
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
                      inline=inline.children or [])
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
        blocks.append(Block("other", start, _trim_blank_end(lines, start, end)))
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


def _item_block(lines: list[str], tokens: list[Token], j: int) -> Block:
    item_tok = tokens[j]
    assert item_tok.map is not None
    start, end = item_tok.map
    end = _trim_blank_end(lines, start, end)
    block = Block("item", start, end, title_start=start, title_end=start + 1)
    nxt = tokens[j + 1] if j + 1 < len(tokens) else None
    if nxt is not None and nxt.type == "paragraph_open" and nxt.map and nxt.level == 2:
        block.title_start, block.title_end = nxt.map
        inline = tokens[j + 2]
        block.text = inline.content
        block.inline = inline.children or []
    # inline runs of nested list items: a grouping bullet ("- c10d") carries its PRs there
    depth = 0
    for tok in tokens[j + 1:]:
        if tok.type == "list_item_open":
            depth += 1
        elif tok.type == "list_item_close":
            if depth == 0:
                break
            depth -= 1
        elif tok.type == "inline" and depth > 0:
            block.nested_inline.append(tok.children or [])
    return block


def parse_inline(text: str) -> list[Token]:
    """Inline tokens of one line of markdown (used after a title is rewritten)."""
    toks = _parser().parseInline(text)
    return toks[0].children or [] if toks else []


def refs_in_inline(children: list[Token]) -> tuple[list[int], list[str]]:
    """PR numbers and (where there is no PR) commit hashes referenced by inline tokens.

    When the item has PR links, only the links count; otherwise bare ``#N`` do.
    Recognised: ``(#N)``, ``[#N](.../pull/N)``, ``[\\#N]`` (markdown-it unescapes it to
    text ``#N``), bare ``.../pull/N`` URLs and several of them in one item. Code spans
    are not references.
    """
    linked: list[int] = []
    mentioned: list[int] = []
    texts: list[str] = []
    for tok in children:
        if tok.type == "link_open":
            match = _PR_URL.search(str(tok.attrs.get("href", "")))
            if match:
                linked.append(int(match.group(1)))
        elif tok.type == "text":
            texts.append(tok.content)
            for match in _PR_URL.finditer(tok.content):
                linked.append(int(match.group(1)))
            for match in _PR_HASH.finditer(tok.content):
                mentioned.append(int(match.group(1)))
        elif tok.type in ("softbreak", "hardbreak"):
            texts.append(" ")
    # Links are authoritative: generated titles quote other PRs in their text, e.g.
    # 'Back out "Fix ... (#142372)" ([#143356](.../pull/143356))' is PR 143356; likewise
    # an item that ends in a commit hash is that commit ('Revert "X (#139903)" (6356690b3d2)').
    joined = "".join(texts).rstrip()
    trailing = _TRAILING_COMMIT.search(joined)
    if linked:
        return list(dict.fromkeys(linked)), []
    if trailing:
        return [], [trailing.group(1)]
    unique = list(dict.fromkeys(mentioned))
    commits: list[str] = []
    if not unique:
        commits = list(dict.fromkeys(_COMMIT.findall(joined)))
    return unique, commits


def strip_pr_refs(title: str) -> str:
    """``title`` without its PR references (links, ``#N``, URLs) and the brackets around
    them, nor a trailing commit hash: the words a person wrote."""
    text = _ANY_PR_REF.sub("", title)
    text = _EMPTY_GROUP.sub("", _TRAILING_COMMIT.sub("", text))
    return re.sub(r"\s+([\"'])$", r"\1", re.sub(r"\s+", " ", text).strip())


def normalise_title(title: str) -> str:
    """The one key under which two spellings of a title match (items without a PR,
    revert pairs, history): no PR references, lower case, punctuation and underscores as
    single spaces. ``"Fix  Foo_bar. (#12, #13)"`` -> ``"fix foo bar"``."""
    words = re.sub(r"[\W_]+", " ", strip_pr_refs(title).lower())
    return words.strip()
