"""What ``done/`` publishes: every item of every finished worksheet, with its place.

Both halves of ``relnotes final`` read ``done/`` the same way: building ``final.md``
places these units, and ``--check`` reconciles a hand-edited ``final.md`` against them.
A unit is one chunk of a worksheet section (an item, a free paragraph, a ``####``
sub-heading) together with the domain and section it came from. ``done/cherrypicks.md``
(release-branch cherry-picks, ``## <section>`` then ``### <domain>``) is read too: its
items are published like any other.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from relnotes.categories import HIGH_STAKES, PUBLISHED, canonical_category
from relnotes.documents import read_document
from relnotes.entries import Entry, extract_entries
from relnotes.errors import UsageError
from relnotes.prrefs import DEFAULT_REPO, line_naming
from relnotes.release import worksheet_files
from relnotes.worksheet import Chunk, Item, parse_worksheet, read_worksheet

__all__ = ["CHERRYPICKS", "CHERRY_PICKS_DOMAIN", "Source", "Unit", "read_done"]

CHERRYPICKS = "cherrypicks.md"
# the domain of a cherry-pick listed before any "### <domain>" heading (it has none)
CHERRY_PICKS_DOMAIN = "cherry picks"

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Unit:
    """One chunk of a done/ worksheet section: where it came from and what it is."""

    domain: str
    category: str | None  # canonical category of its section; None: unknown heading
    heading: str  # the section heading as written
    file: str
    chunk: Chunk
    entry: Entry | None = None  # for items of bc breaking / deprecation sections

    @property
    def line(self) -> int:
        return self.chunk.line

    @property
    def item(self) -> Item | None:
        return self.chunk if isinstance(self.chunk, Item) else None

    @property
    def prs(self) -> list[int]:
        """The PRs the item stands for, every one of a multi-PR bullet; not those its
        title only mentions (:mod:`relnotes.prrefs`)."""
        return self.item.all_prs if self.item is not None else []

    @property
    def published(self) -> bool:
        return self.category in PUBLISHED

    def pr_line(self, pr: int) -> int:
        """The 1-based line of ``pr`` in the file (a nested bullet's own line)."""
        return self.chunk.line + line_naming(self.chunk.lines, pr)


@dataclass
class Source:
    """One file of done/ and its units, in file order."""

    file: str
    domain: str
    units: list[Unit] = field(default_factory=list)


def read_done(done: str | Path, *, release: str | None = None,
              files: Sequence[Path] | None = None, repo: str = DEFAULT_REPO) -> list[Source]:
    """Every worksheet under ``done`` (``files``, else found there: sub-folders too) and
    ``cherrypicks.md``; PR numbers are ``repo``'s."""
    folder = Path(done)
    if not folder.is_dir():
        raise UsageError(f"no done/ folder: {folder} is not a directory", file=folder)
    found = worksheet_files(folder) if files is None else files
    sources = [_worksheet_source(path, release, repo) for path in found]
    picks = folder / CHERRYPICKS
    if picks.is_file():
        sources.append(_cherrypick_source(picks, release, repo))
    if not sources:
        raise UsageError("done/ holds no worksheets (result_<domain>.md)", file=folder)
    for source in sources:
        log.info("%s: %s, %d chunk(s)", source.file, source.domain, len(source.units))
    return sources


def _worksheet_source(path: Path, release: str | None, repo: str) -> Source:
    ws = read_worksheet(path, repo=repo)
    entries = {e.line: e for e in extract_entries(ws, release=release)}
    source = Source(file=str(path), domain=ws.domain)
    # "### heading (#N)" inside a section is an item there: the worksheet model says so
    for section in [ws.intro, *ws.sections]:
        for chunk in section.chunks:
            if chunk.kind == "blank":
                continue
            source.units.append(Unit(domain=ws.domain, category=section.category,
                                     heading=section.name, file=str(path), chunk=chunk,
                                     entry=entries.get(chunk.line)))
    return source


def _cherrypick_source(path: Path, release: str | None, repo: str) -> Source:
    """``## <section>`` groups of ``### <domain>`` lists (the domain may be a display name),
    read by the one cherry-picks reader (:mod:`relnotes.documents`)."""
    file = str(path)
    picks = read_document(path, kind="cherrypicks", repo=repo)
    source = Source(file=file, domain=CHERRY_PICKS_DOMAIN)
    # items above the first "## <section>" have no section: reported as not placed
    for section in [picks.intro, *picks.sections]:
        category = canonical_category(section.name) if section.name else None
        domain = ""
        for chunk in section.chunks:
            if chunk.kind == "subheading":
                domain = re.sub(r"^\s*#+\s*", "", chunk.lines[0]).strip()
                continue
            if chunk.kind == "blank":
                continue
            # an item before any "### <domain>" has the file's own name as its domain
            entry = _entry_of(chunk, category, file, release, repo)
            source.units.append(Unit(domain=domain or source.domain, category=category,
                                     heading=section.name, file=file, chunk=chunk,
                                     entry=entry))
    return source


def _entry_of(chunk: Chunk, category: str | None, file: str, release: str | None,
              repo: str) -> Entry | None:
    """The entry of a cherry-picked BC/deprecation item, read as a one-item worksheet."""
    if category not in HIGH_STAKES or not isinstance(chunk, Item):
        return None
    text = f"## cherry picks\n### {category}\n" + "".join(chunk.lines)
    found = extract_entries(parse_worksheet(text, path=file, repo=repo), release=release)
    if not found:
        return None
    entry = found[0]
    entry.line = chunk.line
    return entry
