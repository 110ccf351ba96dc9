"""``miscategorized.md``: the shared pool of items that belong to another domain.

Real files have a ``# Miscategorized commits`` header with instructions, then ``##``
groups: by category (``## not user facing``, ``## Untopiced``), by target domain, or, as
relnotes writes them, ``## <target domain> (from <source domain>)``. A group may have
``###`` category subheadings. The model is the same lossless chunk list as worksheets.
"""

from __future__ import annotations

import re
from pathlib import Path

from relnotes.categories import canonical_category, normalise_heading
from relnotes.errors import WorksheetError
from relnotes.fileio import read_text, split_lines
from relnotes.markdown import scan_blocks
from relnotes.worksheet import Chunk, Document, Item, Section, build_containers, line_ending

__all__ = [
    "DEFAULT_HEADER",
    "Miscategorized",
    "group_target",
    "parse_miscategorized",
    "read_miscategorized",
]

DEFAULT_HEADER = (
    "# Miscategorized commits\n"
    "\n"
    "Welcome to the Pool of Miscategorized commits.\n"
    "Add any commits that were miscategorized for your domain below.\n"
    "Handle any commits that actually do belong to your domain and remove them from this list.\n"
)

_FROM = re.compile(r"^(?P<target>.+?)\s*\(from (?P<source>[^()]+)\)\s*$")


def group_target(name: str) -> tuple[str | None, str | None]:
    """(target domain, source domain) of a group heading; (None, None) for a category group."""
    match = _FROM.match(name.strip())
    if match:
        return match.group("target").strip(), match.group("source").strip()
    if canonical_category(name) is not None:
        return None, None
    return name.strip(), None


class Miscategorized(Document):
    """The parsed pool; ``sections`` are its ``##`` groups."""

    def group(self, name: str) -> Section | None:
        key = normalise_heading(name)
        return next((s for s in self.sections if normalise_heading(s.name) == key), None)

    def items_for(self, domain: str) -> list[Item]:
        """Items whose group names ``domain`` as their target."""
        key = normalise_heading(domain)
        return [
            item for section in self.sections
            if (target := group_target(section.name)[0]) and normalise_heading(target) == key
            for item in section.items
        ]

    def add(self, item: Item, *, target: str, source: str) -> Item:
        """File ``item`` under ``## <target> (from <source>)``, creating the group if needed."""
        name = f"{target} (from {source})"
        section = self.group(name)
        if section is None:
            self._separate_end()
            heading = Chunk("heading", [f"## {name}{self.eol}"])
            section = self._add_at(Section(name=name, category=None, heading=heading),
                                   len(self.sections))
        self._insert(section, item)
        return item


    def _separate_end(self) -> None:
        """Make the file end in a blank line, so a new ``##`` group stands apart."""
        chunks = self.chunks()
        if not chunks or not chunks[-1].lines[-1].strip():
            return
        owner = self.sections[-1].chunks if self.sections else self.intro.chunks
        if not chunks[-1].lines[-1].endswith("\n"):
            chunks[-1].lines[-1] += self.eol
        owner.append(Chunk("blank", [self.eol]))
        self._renumber()


def parse_miscategorized(text: str, *, path: str | Path = "miscategorized.md") -> Miscategorized:
    """Parse the pool; an empty text gives the usual header and no groups."""
    file = str(path)
    if not text:
        text = DEFAULT_HEADER
    lines = split_lines(text)
    blocks = scan_blocks(lines)
    first = next((b for b in blocks if b.kind == "heading" and b.level <= 2 and
                  not (b.level == 1 and b.start == 0)), None)
    if first is not None and first.level == 1:
        raise WorksheetError("unexpected '#' heading after the header", file=file,
                             line=first.start + 1)
    split = first.start if first is not None else len(lines)
    head = [Chunk("text", lines[:split])] if split else []
    intro_chunks, groups = build_containers(lines, blocks, split, level=2, file=file)
    intro = Section(name="", category=None, heading=None, chunks=intro_chunks)
    sections = [
        Section(name=block.text, category=canonical_category(block.text),
                heading=Chunk("heading", lines[block.start:block.end]), chunks=chunks)
        for block, chunks in groups
    ]
    return Miscategorized(path=file, head=head, intro=intro, sections=sections, eol=line_ending(lines))


def read_miscategorized(path: str | Path) -> Miscategorized:
    """Read the pool; a missing file starts from the usual header."""
    p = Path(path)
    text = read_text(p) if p.exists() else DEFAULT_HEADER
    return parse_miscategorized(text, path=p)
