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
from relnotes.fileio import split_lines
from relnotes.finalnotes import inline_refs
from relnotes.markdown import parse_tokens
from relnotes.release import worksheet_files
from relnotes.worksheet import Chunk, Item, parse_worksheet, read_worksheet

__all__ = ["CHERRYPICKS", "Source", "Unit", "read_done", "refs_in_text", "shorten_links"]

CHERRYPICKS = "cherrypicks.md"

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
        """The PRs the item stands for (links win over numbers quoted in titles)."""
        return self.item.all_prs if self.item is not None else []

    @property
    def published(self) -> bool:
        return self.category in PUBLISHED

    def pr_line(self, pr: int) -> int:
        """The 1-based line of ``pr`` in the file (a nested bullet's own line)."""
        pattern = re.compile(rf"(?:#|/pull/){pr}\b")
        for offset, text in enumerate(self.chunk.lines):
            if pattern.search(text):
                return self.chunk.line + offset
        return self.chunk.line


@dataclass
class Source:
    """One file of done/ and its units, in file order."""

    file: str
    domain: str
    units: list[Unit] = field(default_factory=list)


def shorten_links(text: str, *, repo: str = "pytorch/pytorch") -> str:
    """``[#N](https://github.com/<repo>/pull/N)`` and bare pull URLs of ``repo`` as ``#N``,
    outside code fences and code spans (what the final notes use, whatever the worksheet
    wrote). Links to other repositories are left alone: ``#N`` would mean the wrong PR."""
    lines = split_lines(text)
    code = _code_lines(text)
    pull = rf"https?://github\.com/{re.escape(repo)}/pull/(\d+)(?:[/#?][^\s)>]*)?"
    link = re.compile(rf"\[\\?#\d+\]\({pull}\)|<{pull}>|(?<![(<\w/]){pull}")

    def short(match: re.Match[str]) -> str:
        number = next(g for g in match.groups() if g)
        # "#1/#2": a "#" right after "/" or a letter is not read as a reference
        glued = match.start() > 0 and re.match(r"[\w&/]", match.string[match.start() - 1])
        return (" #" if glued else "#") + number

    def one(line: str) -> str:
        parts = re.split(r"(`+[^`]*`+)", line)  # leave code spans alone
        return "".join(p if p.startswith("`") else link.sub(short, p) for p in parts)

    return "".join(line if n in code else one(line) for n, line in enumerate(lines))


def _code_lines(text: str) -> set[int]:
    out: set[int] = set()
    for tok in parse_tokens(text):
        if tok.type in ("fence", "code_block") and tok.map:
            out.update(range(tok.map[0], tok.map[1]))
    return out


def refs_in_text(text: str, *, repo: str = "pytorch/pytorch") -> set[int]:
    """Every PR number a piece of markdown references outside code, counted as the
    final-notes reader counts them (:func:`relnotes.finalnotes.inline_refs`)."""
    found: set[int] = set()
    for tok in parse_tokens(text):
        if tok.type == "inline":
            found.update(inline_refs(tok.children or [], repo=repo))
    return found


def read_done(done: str | Path, *, release: str | None = None,
              files: Sequence[Path] | None = None) -> list[Source]:
    """Every worksheet under ``done`` (``files``, else found there: sub-folders too) and
    ``cherrypicks.md``."""
    folder = Path(done)
    if not folder.is_dir():
        raise UsageError(f"no done/ folder: {folder} is not a directory", file=folder)
    found = worksheet_files(folder) if files is None else files
    sources = [_worksheet_source(path, release) for path in found]
    picks = folder / CHERRYPICKS
    if picks.is_file():
        sources.append(_cherrypick_source(picks, release))
    if not sources:
        raise UsageError("done/ holds no worksheets (result_<domain>.md)", file=folder)
    for source in sources:
        log.info("%s: %s, %d chunk(s)", source.file, source.domain, len(source.units))
    return sources


def _worksheet_source(path: Path, release: str | None) -> Source:
    ws = read_worksheet(path)
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


def _cherrypick_source(path: Path, release: str | None) -> Source:
    """``## <section>`` groups of ``### <domain>`` lists (the domain may be a display name),
    read by the one cherry-picks reader (:mod:`relnotes.documents`)."""
    file = str(path)
    picks = read_document(path, kind="cherrypicks")
    source = Source(file=file, domain="cherry picks")
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
            entry = _entry_of(chunk, category, file, release)
            source.units.append(Unit(domain=domain or source.domain, category=category,
                                     heading=section.name, file=file, chunk=chunk,
                                     entry=entry))
    return source


def _entry_of(chunk: Chunk, category: str | None, file: str, release: str | None) -> Entry | None:
    """The entry of a cherry-picked BC/deprecation item, read as a one-item worksheet."""
    if category not in HIGH_STAKES or not isinstance(chunk, Item):
        return None
    text = f"## cherry picks\n### {category}\n" + "".join(chunk.lines)
    found = extract_entries(parse_worksheet(text, path=file), release=release)
    if not found:
        return None
    entry = found[0]
    entry.line = chunk.line
    return entry
