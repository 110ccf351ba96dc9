"""``miscategorized.md``: the shared pool of items that belong to another domain.

Pools are written by many hands and come in several shapes, sometimes mixed in one file:
a ``# Miscategorized commits`` header with instructions; items right under it; ``##``
groups by category (``## not user facing``, ``## Untopiced``); groups by target written
as people write them (``## ROCm``, ``## Inductor / AOTI``, ``## belongs to: distributed``);
and, as relnotes writes them, ``## <target> (from <source>)``. A group may have ``###``
category subheadings; an item may say where it came from (``(from: optimizer_frontend,
labeled ...)``, ``_(from nn_frontend worksheet)_``), which is kept verbatim.

:meth:`Miscategorized.describe` says what a group is: its category, its target as written,
the canonical domains that target maps to (matched against the domains of the release
folder's worksheets) and its source. Every command that reads a pool -- apply's adoption,
audit, eval, triage history, submit's summary -- reads it here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from relnotes.categories import canonical_category, normalise_heading
from relnotes.errors import WorksheetError
from relnotes.fileio import read_text, split_lines
from relnotes.final_areas import domains_by_display_name
from relnotes.prrefs import DEFAULT_REPO
from relnotes.release import ReleaseFolder, release_domains
from relnotes.worksheet import (
    Chunk,
    Document,
    Item,
    Section,
    build_containers,
    line_ending,
    scan,
)

D = TypeVar("D", bound=Document)

__all__ = [
    "DEFAULT_HEADER",
    "Group",
    "Miscategorized",
    "canonical_domains",
    "group_target",
    "item_source",
    "parse_grouped",
    "parse_miscategorized",
    "read_miscategorized",
    "read_pool",
    "with_subheadings",
]

DEFAULT_HEADER = (
    "# Miscategorized commits\n"
    "\n"
    "Welcome to the Pool of Miscategorized commits.\n"
    "Add any commits that were miscategorized for your domain below.\n"
    "Handle any commits that actually do belong to your domain and remove them from this list.\n"
)

_FROM = re.compile(r"^(?P<target>.+?)\s*\(from:?\s+(?P<source>[^()]+(?:\([^()]*\))?)\)\s*$",
                   re.IGNORECASE)
# "## belongs to: distributed", "## Move to: cuda", "## for ROCm", "## -> xpu"
_TARGET_PREFIX = re.compile(
    r"^(?:belongs?\s+(?:to|in)|moved?\s+to|send\s+to|for|to|->|=>)\s*:?\s*", re.IGNORECASE)
# "(from: optimizer_frontend, labeled ...)", "_(from nn_frontend worksheet)_", "(from x)"
_ITEM_FROM = re.compile(
    r"\(\s*from:?\s+(?P<source>[^,()]+?(?:\s*\([^()]*\))?)(?:\s+worksheet)?\s*(?:[,;)]|$)",
    re.IGNORECASE)
_QUALIFIED = re.compile(r"^(?P<base>.+?)\s*\((?P<qualifier>[^()]+)\)\s*$")  # "cpu (x86)"
_SPLIT_TARGETS = re.compile(r"\s*(?:/|,|&|\+|\band\b)\s*", re.IGNORECASE)


def group_target(name: str) -> tuple[str | None, str | None]:
    """(target as written, source domain) of a group heading; (None, None) for a
    category group such as ``## not user facing``."""
    text = name.strip()
    source = None
    match = _FROM.match(text)
    if match:
        text, source = match.group("target").strip(), match.group("source").strip()
    text = _TARGET_PREFIX.sub("", text).strip()
    if canonical_category(text) is not None or not text:
        return None, source
    return text, source


def _forms(domain: str) -> set[str]:
    """Ways a heading may name ``domain``: ``nn_frontend`` -> {"nn frontend", "nn"}."""
    key = normalise_heading(domain)
    forms = {key}
    if key.endswith(" frontend"):
        forms.add(key[: -len(" frontend")])
    return forms


def canonical_domains(target: str, known: Sequence[str]) -> list[str]:
    """The domains of ``known`` that a target as people write it stands for.

    ``"ROCm"`` -> ``rocm``; ``"Linear Algebra"`` -> ``linalg_frontend`` (the display names
    of the final notes' area table); ``"Inductor / AOTI"`` -> ``inductor``, ``inductor
    (aoti)`` (a part may name a domain's qualifier, ``aoti``, or its base, ``cpu`` for
    ``cpu (x86)`` and ``cpu (aarch64)``, where no domain has that exact name); several
    targets are joined by ``/``, ``,``, ``&`` or ``and``. Unknown parts map to nothing.
    """
    whole = normalise_heading(target)
    parts = [whole] + [normalise_heading(p) for p in _SPLIT_TARGETS.split(target) if p.strip()]
    found: list[str] = []
    for part in dict.fromkeys(parts):
        exact = [d for d in known if part in _forms(d)]
        shown = {normalise_heading(d) for d in domains_by_display_name().get(part, ())}
        displayed = [d for d in known if normalise_heading(d) in shown]
        qualified = [d for d in known if (m := _QUALIFIED.match(d))
                     and part in (normalise_heading(m.group("qualifier")),
                                  normalise_heading(m.group("base")))]
        for domain in exact or displayed or qualified:
            if domain not in found:
                found.append(domain)
        if part == whole and exact:
            break  # "distributed (checkpoint)" is one domain, not two parts
    return found


@lru_cache(maxsize=1)
def _table_domains() -> tuple[str, ...]:
    """Every domain the final notes' area table names (for pools beside few worksheets)."""
    return tuple(sorted({d for names in domains_by_display_name().values() for d in names}))


def item_source(item: Item) -> str | None:
    """The source domain an item's own annotation names, if any."""
    match = _ITEM_FROM.search(item.text)
    return match.group("source").strip() if match else None


@dataclass(frozen=True)
class Group:
    """What a ``##`` group of the pool is (see the module docstring)."""

    name: str
    line: int
    category: str | None = None
    target: str | None = None
    domains: list[str] = field(default_factory=list)
    source: str | None = None


class Miscategorized(Document):
    """The parsed pool; ``sections`` are its ``##`` groups, ``intro`` the items above them.

    ``known_domains`` are the domains of the release folder's worksheets, which targets
    are matched against; without them a target matches the domain it spells.
    """

    known_domains: list[str]

    def describe(self, section: Section) -> Group:
        if section is self.intro:
            return Group(name="", line=section.line)
        target, source = group_target(section.name)
        category = canonical_category(section.name) if target is None else None
        domains: list[str] = []
        if target is not None:
            domains = canonical_domains(target, self.known_domains) or canonical_domains(
                target, _table_domains())  # a domain this folder has no worksheet for
        return Group(name=section.name, line=section.line, category=category, target=target,
                     domains=domains, source=source)

    def group(self, name: str) -> Section | None:
        key = normalise_heading(name)
        return next((s for s in self.sections if normalise_heading(s.name) == key), None)

    def items_for(self, domain: str) -> list[Item]:
        """Items of the groups whose target stands for ``domain``."""
        key = normalise_heading(domain)
        found: list[Item] = []
        for section in self.sections:
            group = self.describe(section)
            targets = group.domains or ([group.target] if group.target else [])
            if any(normalise_heading(t) == key for t in targets):
                found.extend(section.items)
        return found

    def target_of(self, item: Item) -> str | None:
        """The target (as written) of the group ``item`` is in."""
        return self.describe(item.section).target if item.section is not None else None

    def remove(self, item: Item) -> Item:
        """Take ``item`` out; a target group it leaves empty goes too (its heading alone
        would tell the next maintainer there is something to adopt)."""
        section = item.section
        super().remove(item)
        if (section is not None and section in self.sections and not section.items
                and self.describe(section).target is not None
                and all(c.kind == "blank" for c in section.chunks)):
            self._drop_section(section)
        return item

    def _drop_section(self, section: Section) -> None:
        idx = self.sections.index(section)
        del self.sections[idx]
        self._renumber()

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

    def to_json(self) -> dict[str, Any]:
        """The documented ``parse --format json`` shape of a pool."""
        groups = []
        for section in [self.intro, *self.sections]:
            if section is self.intro and not section.items:
                continue
            group = self.describe(section)
            groups.append({
                "name": group.name, "line": group.line, "category": group.category,
                "target": group.target, "domains": group.domains, "source": group.source,
                "items": [{"line": i.line, "end_line": i.end_line, "title": i.title,
                           "prs": i.all_prs, "mentions": i.mentions, "commits": i.commits,
                           "source": item_source(i) or group.source,
                           "category": (canonical_category(sub) if sub else None)
                           or group.category}
                          for i, sub in with_subheadings(section)],
            })
        return {"file": self.path, "kind": "pool", "groups": groups}


def with_subheadings(section: Section) -> list[tuple[Item, str | None]]:
    """Items of a group with the text of the ``###`` subheading they are under."""
    out: list[tuple[Item, str | None]] = []
    sub: str | None = None
    for chunk in section.chunks:
        if chunk.kind == "subheading":
            sub = chunk.lines[0].strip().lstrip("#").strip()
        elif isinstance(chunk, Item):
            out.append((chunk, sub))
    return out


def parse_miscategorized(text: str, *, path: str | Path = "miscategorized.md",
                         known_domains: list[str] | None = None,
                         repo: str = DEFAULT_REPO) -> Miscategorized:
    """Parse the pool; an empty text gives the usual header and no groups."""
    pool = parse_grouped(text or DEFAULT_HEADER, path=path, cls=Miscategorized, repo=repo)
    pool.known_domains = list(known_domains or [])
    return pool


def parse_grouped(text: str, *, path: str | Path, cls: type[D],
                  repo: str = DEFAULT_REPO) -> D:
    """A ``# title``, then ``##`` groups of items (``###`` subheadings inside them): the
    pool's shape, also that of ``cherrypicks.md``. Items above the first group are the
    intro; a second ``#`` heading is an error (it would hide the groups after it)."""
    file = str(path)
    lines = split_lines(text)
    blocks = scan(lines, file=file)
    title = next((b for b in blocks if b.kind == "heading"), None)
    split = title.end if title is not None and title.level == 1 else 0
    extra = next((b for b in blocks if b.kind == "heading" and b.level == 1
                  and b.start >= split), None)
    if extra is not None:
        raise WorksheetError(
            "this file has one '#' title; this second '#' heading would hide the groups "
            "after it: make it '##'", file=file, line=extra.start + 1)
    head = [Chunk("text", lines[:split])] if split else []
    intro_chunks, groups = build_containers(lines, blocks, split, level=2, file=file,
                                            repo=repo)
    intro = Section(name="", category=None, heading=None, chunks=intro_chunks)
    sections = [
        Section(name=block.text, category=canonical_category(block.text),
                heading=Chunk("heading", lines[block.start:block.end]), chunks=chunks)
        for block, chunks in groups
    ]
    return cls(path=file, head=head, intro=intro, sections=sections, eol=line_ending(lines),
               repo=repo)


def read_pool(release: ReleaseFolder) -> Miscategorized:
    """The pool of ``release`` as every command reads it: where the ``miscategorized``
    setting puts it, targets matched against the release's domains, PR numbers the
    ``repo`` setting's (read beside a custom pool, the domains were those of its folder)."""
    return read_miscategorized(release.pool, known_domains=sorted(release.domains()),
                               repo=release.repo)


def read_miscategorized(path: str | Path, *, known_domains: list[str] | None = None,
                        repo: str = DEFAULT_REPO) -> Miscategorized:
    """Read the pool; a missing file starts from the usual header. Targets are matched
    against ``known_domains``, by default the domains of the worksheets beside it."""
    p = Path(path)
    text = read_text(p) if p.exists() else DEFAULT_HEADER
    known = known_domains if known_domains is not None else release_domains(p.parent)
    return parse_miscategorized(text, path=p, known_domains=known, repo=repo)
