"""The lossless worksheet model: parse, render, edit.

A worksheet is kept as an ordered list of *chunks*, each owning an exact slice of the
file's lines (endings included). Structure (domain, sections, items) is read from
markdown-it-py's token line maps (:mod:`relnotes.markdown`); rendering concatenates the
chunks, so an unchanged worksheet renders back byte for byte, and an edit touches only
the chunks it moves or rewrites. Maintainers edit these files by hand between runs, so
this is the property everything else relies on.

Layout of a worksheet::

    preamble (verbatim)         # instructions, up to the domain heading
    ## <domain>
    [intro blocks]              # rare: anything before the first ### heading
    ### <section>               # name as written + canonical category (or None)
    - item (#N)                 # a list item, or a #### heading that carries PR links
      body...                   # nested bullets, paragraphs and fences that follow it
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relnotes.categories import CATEGORIES, canonical_category, normalise_heading
from relnotes.errors import StructureError, WorksheetError
from relnotes.fileio import read_text, split_lines
from relnotes.markdown import ITEM_MARKER, Block, scan_blocks
from relnotes.prrefs import DEFAULT_REPO, Refs, normalise_title, refs_of_block, refs_of_title

__all__ = [
    "Chunk",
    "Document",
    "Item",
    "Section",
    "Worksheet",
    "build_containers",
    "line_ending",
    "make_item",
    "parse_worksheet",
    "read_worksheet",
]


@dataclass(eq=False)
class Chunk:
    """A slice of the file: ``kind`` is heading, subheading, item, text or blank."""

    kind: str
    lines: list[str]
    start: int = 0  # 0-based index of the first line in the rendered file

    @property
    def line(self) -> int:
        """1-based first line."""
        return self.start + 1


@dataclass(eq=False, kw_only=True)
class Item(Chunk):
    """One release-notes item: a list item (or ``####`` heading) and the body under it."""

    kind: str = "item"
    marker: str = "- "
    title_lines: int = 1  # how many of ``lines`` hold the title paragraph
    title: str = ""
    prs: list[int] = field(default_factory=list)  # the PRs it stands for (own links)
    commits: list[str] = field(default_factory=list)
    body_prs: list[int] = field(default_factory=list)  # PRs of nested bullets
    mentions: list[int] = field(default_factory=list)  # PRs its title only names
    section: Section | None = None

    @property
    def all_prs(self) -> list[int]:
        """Title PRs, then those of nested bullets (grouping items like "- c10d")."""
        return list(dict.fromkeys([*self.prs, *self.body_prs]))

    def set_refs(self, refs: Refs) -> None:
        """Take the references of a (re)written title."""
        self.prs, self.mentions, self.commits = (list(refs.prs), list(refs.mentions),
                                                 list(refs.commits))

    @property
    def end_line(self) -> int:
        """1-based last line (inclusive)."""
        return self.start + len(self.lines)

    @property
    def body(self) -> str:
        """The lines after the title that belong to the item, as written."""
        return "".join(self.lines[self.title_lines:])

    @property
    def text(self) -> str:
        return "".join(self.lines)

    @property
    def key(self) -> str:
        """A stable identity across runs and files: first PR, else commit, else title."""
        return self.keys[0]

    @property
    def keys(self) -> list[str]:
        """Every identity the item stands for: ``pr:<N>`` for each of its PRs (a bullet of
        several PRs stands for each), else ``commit:<hash>`` for each commit, else its
        ``title:<normalised title>``. Two items are the same work when they share one."""
        if self.all_prs:
            return [f"pr:{pr}" for pr in self.all_prs]
        if self.commits:
            return [f"commit:{commit}" for commit in self.commits]
        return ["title:" + normalise_title(self.title)]

    @property
    def category(self) -> str | None:
        """Canonical category of the item's section; None before the first section or
        under a heading relnotes does not know."""
        return self.section.category if self.section is not None else None

    @property
    def placement(self) -> str:
        """Where the item stands now, for triage, review and decisions: its category, or
        ``Untopiced`` when it is in no known section (nobody has sorted it yet)."""
        return self.category or "Untopiced"

    @property
    def text_hash(self) -> str:
        """Hash of the item's text without line endings: changes when a person edits it."""
        norm = "\n".join(line.rstrip("\r\n") for line in self.lines)
        return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:16]

    @property
    def is_heading(self) -> bool:
        return self.marker.lstrip().startswith("#")


@dataclass(eq=False)
class Section:
    """A ``### <name>`` heading and the chunks under it (``heading`` is None for the intro)."""

    name: str
    category: str | None
    heading: Chunk | None
    chunks: list[Chunk] = field(default_factory=list)

    @property
    def line(self) -> int:
        if self.heading is not None:
            return self.heading.line
        return self.chunks[0].line if self.chunks else 0

    @property
    def items(self) -> list[Item]:
        return [c for c in self.chunks if isinstance(c, Item)]

    def all_chunks(self) -> list[Chunk]:
        return ([self.heading] if self.heading else []) + self.chunks


def make_item(lines: list[str], block: Block, *, repo: str = DEFAULT_REPO) -> Item:
    """An :class:`Item` from the block (list item, heading or paragraph) it came from;
    its PRs are those of ``repo`` (:mod:`relnotes.prrefs`)."""
    lines = lines[block.start:block.end]
    if block.kind != "item":  # a heading ("#### Title (#N)") or a paragraph naming PRs
        marker_match = re.match(r"^\s*#+[ \t]*", lines[0])
        marker = marker_match.group(0) if marker_match else ""
        title_lines = block.end - block.start
        title = block.text.replace("\n", " ")
    else:
        marker_match = ITEM_MARKER.match(lines[0])
        marker = marker_match.group(1) if marker_match else ""
        title_lines = max(1, block.title_end - block.start) if block.text else 1
        title = block.text.replace("\n", " ")
    refs, body_prs = refs_of_block(block, repo=repo)
    item = Item(lines=lines, marker=marker, title_lines=title_lines, title=title,
                body_prs=body_prs)
    item.set_refs(refs)
    return item


def build_containers(
    lines: list[str], blocks: list[Block], start: int, *, level: int, file: str,
    repo: str = DEFAULT_REPO,
) -> tuple[list[Chunk], list[tuple[Block, list[Chunk]]]]:
    """Chunks of ``lines[start:]``: those before the first heading of ``level``, then one
    (heading block, chunks) pair per heading of that level.

    Other blocks after an item (paragraphs, fences, tables) belong to that item as its
    body, with the blank lines between them; headings deeper than ``level`` are
    subheadings, or items when they carry PR links; a heading of ``level`` itself that
    carries PR links and names no section is an item of the group before it.
    """
    intro: list[Chunk] = []
    groups: list[tuple[Block, list[Chunk]]] = []
    current = intro
    last_item: Item | None = None
    pos = start
    for block in blocks:
        if block.end <= start:
            continue
        if block.start > pos:
            current.append(Chunk("blank", lines[pos:block.start]))
        pos = block.end
        if block.kind == "heading" and block.level < level:
            raise WorksheetError(
                f"unexpected level-{block.level} heading {block.text!r} inside the body",
                file=file, line=block.start + 1,
            )
        if block.kind == "heading" and block.level == level:
            candidate = make_item(lines, block, repo=repo) if groups else None
            if candidate is not None and (candidate.prs or candidate.commits) \
                    and canonical_category(block.text) is None:
                # "### `verify_onnx_program` (#148396)" under "### new features": an item
                # written as a heading (it names PRs, not a section), not a section
                last_item = candidate
                current.append(last_item)
                continue
            current = []
            groups.append((block, current))
            last_item = None
            continue
        if block.kind == "heading":
            candidate = make_item(lines, block, repo=repo)
            if (candidate.prs or candidate.commits) and canonical_category(block.text) is None:
                last_item = candidate
                current.append(last_item)
            else:
                current.append(Chunk("subheading", lines[block.start:block.end]))
                last_item = None
            continue
        if block.kind == "item" and not (last_item is not None and _is_step(block, repo)):
            last_item = make_item(lines, block, repo=repo)
            current.append(last_item)
            continue
        if last_item is None and block.text:
            # a paragraph naming PRs that belongs to no item ("**`print_lr()` is
            # removed** (#147301)" opening a section) is an item: nothing hides a PR
            candidate = make_item(lines, block, repo=repo)
            if candidate.prs or candidate.commits:
                last_item = candidate
                current.append(last_item)
                continue
        if last_item is not None:
            # absorb blank chunks between the item and this block into the item
            while current and current[-1] is not last_item:
                gap = current.pop()
                last_item.lines.extend(gap.lines)
            last_item.lines.extend(lines[block.start:block.end])
        else:
            current.append(Chunk("text", lines[block.start:block.end]))
    if pos < len(lines):
        current.append(Chunk("blank", lines[pos:]))
    return intro, groups


def _is_step(block: Block, repo: str) -> bool:
    """A numbered list item without any PR or commit: the steps of the entry above it
    ("For migrations: 1. ... 2. ..."), not an item of its own."""
    if not block.ordered:
        return False
    refs, body_prs = refs_of_block(block, repo=repo)
    return not refs.prs and not refs.commits and not body_prs


def line_ending(lines: list[str]) -> str:
    """The file's dominant line ending, used for lines relnotes adds."""
    crlf = sum(1 for line in lines if line.endswith("\r\n"))
    return "\r\n" if crlf > len(lines) / 2 else "\n"


class Document:
    """Chunks before the sections (``head``), an intro, then sections: render, find, edit.

    Shared by worksheets (sections are ``###`` headings) and ``miscategorized.md``
    (groups are ``##`` headings).
    """

    def __init__(self, *, path: str, head: list[Chunk], intro: Section,
                 sections: list[Section], eol: str, repo: str = DEFAULT_REPO) -> None:
        self.path = path
        self.repo = repo  # whose PR numbers the items hold (edits read titles for it)
        self.head = head
        self.intro = intro
        self.sections = sections
        self.eol = eol
        self._index: dict[str, Item] | None = None
        self._batching = 0
        self._renumber()

    def chunks(self) -> list[Chunk]:
        out = [*self.head, *self.intro.chunks]
        for section in self.sections:
            out.extend(section.all_chunks())
        return out

    def render(self) -> str:
        return "".join(line for chunk in self.chunks() for line in chunk.lines)

    def items(self) -> list[Item]:
        return [*self.intro.items, *(i for s in self.sections for i in s.items)]

    def find(self, key: str) -> Item | None:
        """The first item (in file order) with ``key``."""
        if self._index is None:
            self._index = {}
            for item in self.items():
                self._index.setdefault(item.key, item)
        return self._index.get(key)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Many edits, one renumbering: line numbers are stale inside the block (sections
        and :meth:`find` are not). Without it, n moves cost n times the file."""
        self._batching += 1
        try:
            yield
        finally:
            self._batching -= 1
            if not self._batching:
                self._renumber()

    def _renumber(self) -> None:
        self._index = None
        if self._batching:
            return
        pos = 0
        for chunk in self.chunks():
            chunk.start = pos
            pos += len(chunk.lines)
        for section in [self.intro, *self.sections]:
            for item in section.items:
                item.section = section

    def remove(self, item: Item) -> Item:
        """Take ``item`` out (the caller puts it somewhere else)."""
        self.remove_many([item])
        return item

    def remove_many(self, items: Iterable[Item]) -> None:
        """Take every one of ``items`` out (the caller puts them somewhere else), in one
        pass over each section they are in (thousands in linear time); an item between
        two blank runs (a loose body) leaves one. Nothing changes if one is not here."""
        mine = {id(section) for section in [self.intro, *self.sections]}
        gone: dict[int, Item] = {}
        for item in items:
            if item.section is None or id(item.section) not in mine:
                raise WorksheetError("item is not in this file", file=self.path, line=item.line)
            gone[id(item)] = item
        kept_by: list[tuple[Section, list[Chunk]]] = []
        for section in {id(i.section): i.section for i in gone.values() if i.section}.values():
            chunks, kept, skip = section.chunks, [], -1
            for idx, chunk in enumerate(chunks):
                if idx != skip and id(chunk) not in gone:
                    kept.append(chunk)
                elif idx != skip and kept and kept[-1].kind == "blank" \
                        and chunks[idx + 1:idx + 2] and chunks[idx + 1].kind == "blank":
                    skip = idx + 1  # the blank run after it goes with it
            kept_by.append((section, kept))
        held = {id(c) for section, _ in kept_by for c in section.chunks}
        if lost := [item for key, item in gone.items() if key not in held]:
            raise WorksheetError("item is not in this file", file=self.path, line=lost[0].line)
        for section, kept in kept_by:
            section.chunks[:] = kept
        for item in gone.values():
            item.section = None
        self._renumber()

    def _insert(self, section: Section, item: Item) -> None:
        """Put ``item`` after the last non-blank chunk of ``section``."""
        chunks = section.chunks
        idx = len(chunks)
        while idx > 0 and chunks[idx - 1].kind == "blank":  # from the end: O(1) per insert
            idx -= 1
        _ensure_newline(self._chunk_before(section, idx), self.eol)
        loose = any(not line.strip() for line in item.lines)
        # an item from a CRLF file in an LF one (or back) takes this file's line endings
        item.lines = [line.rstrip("\r\n") + self.eol for line in item.lines]
        new: list[Chunk] = [item]
        prev = chunks[idx - 1] if idx > 0 else section.heading
        # a blank line between loose items (a body with paragraphs or code): an item
        # right under an entry's closing fence reads as part of the entry
        prev_loose = isinstance(prev, Item) and any(not line.strip() for line in prev.lines)
        if (loose or prev_loose) and prev is not None and prev.kind != "blank" \
                and prev is not section.heading:
            new.insert(0, Chunk("blank", [self.eol]))
        nxt = chunks[idx] if idx < len(chunks) else None
        if loose and nxt is not None and nxt.kind != "blank":
            new.append(Chunk("blank", [self.eol]))
        chunks[idx:idx] = new
        item.section = section
        self._renumber()

    def _chunk_before(self, section: Section, idx: int) -> Chunk | None:
        if idx > 0:
            return section.chunks[idx - 1]
        if section.heading is not None:
            return section.heading
        return self.head[-1] if self.head else None

    def _add_at(self, section: Section, idx: int) -> Section:
        """Insert a new section at position ``idx`` of ``self.sections``."""
        if idx > 0:
            before: Chunk | None = self.sections[idx - 1].all_chunks()[-1]
        elif self.intro.chunks:
            before = self.intro.chunks[-1]
        else:
            before = self.head[-1] if self.head else None
        _ensure_newline(before, self.eol)
        self.sections.insert(idx, section)
        self._renumber()
        return section


class Worksheet(Document):
    """A parsed worksheet; edits keep every untouched line as it was."""

    def __init__(self, *, path: str, preamble: list[Chunk], domain: str, domain_chunk: Chunk,
                 intro: Section, sections: list[Section], eol: str,
                 repo: str = DEFAULT_REPO) -> None:
        self.preamble = preamble
        self.domain = domain
        self.domain_chunk = domain_chunk
        super().__init__(path=path, head=[*preamble, domain_chunk], intro=intro,
                         sections=sections, eol=eol, repo=repo)

    @property
    def domain_line(self) -> int:
        return self.domain_chunk.line

    def to_json(self) -> dict[str, Any]:
        """The documented ``parse --format json`` shape of a worksheet."""
        sections = ([self.intro] if self.intro.items else []) + self.sections
        return {
            "file": self.path, "kind": "worksheet", "domain": self.domain,
            "domain_line": self.domain_line,
            "sections": [{
                "name": section.name, "category": section.category, "line": section.line,
                "items": [{"line": i.line, "end_line": i.end_line, "title": i.title,
                           "prs": i.all_prs, "mentions": i.mentions, "commits": i.commits,
                           "body": i.body}
                          for i in section.items],
            } for section in sections],
        }

    def section(self, category: str) -> Section | None:
        """The first section of a canonical category (or with that exact name)."""
        for section in self.sections:
            if section.category == category or section.name == category:
                return section
        return None

    def move(self, item: Item, category: str) -> Item:
        """Move ``item`` to the end of the items of ``category``'s section."""
        target = self.section(category) or self._add_section(category)
        if item.section is target:
            return item
        self.remove(item)
        self._insert(target, item)
        return item

    def drop(self, item: Item) -> Item:
        """Dropped items go to ``not user facing``: they never disappear."""
        return self.move(item, "not user facing")

    def set_title(self, item: Item, title: str) -> Item:
        """Rewrite the title paragraph as one line; keep the marker and the body."""
        if "\n" in title or "\r" in title:
            raise WorksheetError("a title is one line", file=self.path, line=item.line)
        old_last = item.lines[item.title_lines - 1]
        ending = old_last[len(old_last.rstrip("\r\n")):] or (self.eol if item.body else "")
        item.lines[: item.title_lines] = [item.marker + title + ending]
        item.title_lines = 1
        item.title = title
        item.set_refs(refs_of_title(title, repo=self.repo))
        self._renumber()
        return item

    def append(self, category: str, text: str) -> Item:
        """Add ``- text`` at the end of ``category``'s section and return the new item."""
        if "\n" in text or "\r" in text:
            raise WorksheetError("an item title is one line", file=self.path)
        item = Item(lines=[f"- {text}{self.eol}"], title=text)
        item.set_refs(refs_of_title(text, repo=self.repo))
        return self.insert_item(category, item)

    def insert_item(self, category: str, item: Item) -> Item:
        """Insert an item taken from elsewhere (another worksheet, miscategorized.md)."""
        target = self.section(category) or self._add_section(category)
        self._insert(target, item)
        return item

    def _add_section(self, category: str) -> Section:
        """Create ``### category`` where the canonical order puts it."""
        if category not in CATEGORIES:
            raise WorksheetError(f"unknown section {category!r}", file=self.path)
        rank = CATEGORIES.index(category)
        idx = len(self.sections)
        for i, section in enumerate(self.sections):
            if section.category in CATEGORIES and CATEGORIES.index(section.category) > rank:
                idx = i
                break
        heading = Chunk("heading", [f"### {category}{self.eol}"])
        return self._add_at(Section(name=category, category=category, heading=heading), idx)


def _ensure_newline(chunk: Chunk | None, eol: str) -> None:
    if chunk is not None and chunk.lines and not chunk.lines[-1].endswith("\n"):
        chunk.lines[-1] += eol


def parse_worksheet(text: str, *, path: str | Path = "<worksheet>",
                    repo: str = DEFAULT_REPO) -> Worksheet:
    """Parse worksheet text; raise :class:`WorksheetError` naming the line when it is not one.
    ``repo``: whose PR numbers the items hold (the ``repo`` setting)."""
    file = str(path)
    lines = split_lines(text)
    if not lines or not text.strip():
        raise WorksheetError("empty file: a worksheet needs a '## <domain>' heading", file=file,
                             line=1)
    blocks = scan(lines, file=file)
    domain_block = find_domain_heading(blocks, file=file)
    domain = domain_block.text.strip().replace("\\", "")
    if not domain:
        raise WorksheetError("the '## <domain>' heading is empty", file=file,
                             line=domain_block.start + 1)
    for block in blocks:
        if block.kind == "heading" and block.level <= 2 and block.start > domain_block.start:
            raise WorksheetError(
                f"a worksheet has one '## <domain>' heading ({domain!r}, line "
                f"{domain_block.start + 1}); the level-{block.level} heading {block.text!r} "
                "after it would split its sections: make it '###' or move it above",
                file=file, line=block.start + 1)
    preamble = [Chunk("text", lines[: domain_block.start])] if domain_block.start else []
    domain_chunk = Chunk("heading", lines[domain_block.start:domain_block.end])
    intro_chunks, groups = build_containers(lines, blocks, domain_block.end, level=3, file=file,
                                            repo=repo)
    intro = Section(name="", category=None, heading=None, chunks=intro_chunks)
    sections = [
        Section(name=block.text, category=canonical_category(block.text),
                heading=Chunk("heading", lines[block.start:block.end]), chunks=chunks)
        for block, chunks in groups
    ]
    return Worksheet(path=file, preamble=preamble, domain=domain, domain_chunk=domain_chunk,
                     intro=intro, sections=sections, eol=line_ending(lines), repo=repo)


def scan(lines: list[str], *, file: str) -> list[Block]:
    """:func:`relnotes.markdown.scan_blocks`, with structure errors naming ``file``."""
    try:
        return scan_blocks(lines)
    except StructureError as exc:
        raise WorksheetError(exc.message, file=file, line=exc.line) from None


_TITLE = re.compile(r"^release notes worksheet\s+(?P<domain>.+?)\s*$", re.IGNORECASE)


def find_domain_heading(blocks: list[Block], *, file: str) -> Block:
    """The ``## <domain>`` heading, found by what it is rather than by being the only
    ``##``: newer generators put numbered ``##`` steps in the preamble.

    It is the ``##`` whose text is the domain the ``# Release Notes worksheet <domain>``
    title names; else the last ``##`` before the first section heading (``### bc
    breaking`` ...); else the only ``##``.
    """
    headings = [b for b in blocks if b.kind == "heading"]
    level2 = [b for b in headings if b.level == 2]
    if not level2:
        first_h3 = next((b for b in headings if b.level == 3), None)
        raise WorksheetError("no '## <domain>' heading: not a release-notes worksheet",
                             file=file, line=first_h3.start + 1 if first_h3 else 1)
    first_section = next((b for b in headings if b.level >= 3
                          and canonical_category(b.text) is not None), None)
    before = [b for b in level2 if first_section is None or b.start < first_section.start]
    title = next((m.group("domain") for b in headings if b.level == 1
                  and (m := _TITLE.match(b.text.replace("\\", "")))), None)
    if title is not None:
        named = [b for b in before if normalise_heading(b.text) == normalise_heading(title)]
        if named:
            return named[-1]
    if first_section is not None and before:
        return before[-1]
    if len(level2) == 1:
        return level2[0]
    raise WorksheetError(
        f"cannot tell which '##' heading names the domain: {len(level2)} of them and no "
        "'### <section>' heading after any; the title '# Release Notes worksheet <domain>' "
        "or a '### bc breaking' section would tell", file=file, line=level2[1].start + 1)


def read_worksheet(path: str | Path, *, repo: str = DEFAULT_REPO) -> Worksheet:
    """Read and parse a worksheet file (errors name the file and line)."""
    return parse_worksheet(read_text(path), path=str(path), repo=repo)

