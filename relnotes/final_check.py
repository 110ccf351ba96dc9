"""``relnotes final --check``: reconcile a hand-edited ``final.md`` with ``done/``.

After the merge the release manager edits ``final.md`` for days: items move between
sections, get merged, reworded, added. Before publishing they need to know what that
cost: a PR ``done/`` publishes that is gone (missing), a PR nobody published (extra,
allowed with ``--allow-extra`` for hand-added items), a PR now under another top-level
section (misplaced), and shape problems (structure: unexpected or out-of-order top-level
headings, fences left open or leaked out of a bullet, unmatched backticks). ``final.md``
is read with the one final-notes reader (:mod:`relnotes.finalnotes`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relnotes.errors import UsageError
from relnotes.final_sources import Source, read_done
from relnotes.finalnotes import (
    SECTION_TITLES,
    FinalNotes,
    StructureFinding,
    read_final_notes,
)
from relnotes.prrefs import DEFAULT_REPO, refs_in_text, shorten_links
from relnotes.release import ReleaseFolder

__all__ = ["Extra", "Misplaced", "Missing", "Reconciliation", "check_final", "done_sources",
           "reconcile"]


@dataclass(frozen=True)
class Missing:
    pr: int
    domain: str
    section: str
    file: str
    line: int


@dataclass(frozen=True)
class Extra:
    pr: int
    line: int


@dataclass(frozen=True)
class Misplaced:
    pr: int
    line: int
    final_section: str
    done_section: str
    file: str
    done_line: int


@dataclass
class Reconciliation:
    """The findings of one check, and whether the notes pass."""

    final: str
    missing: list[Missing] = field(default_factory=list)
    extra: list[Extra] = field(default_factory=list)
    misplaced: list[Misplaced] = field(default_factory=list)
    structure: list[StructureFinding] = field(default_factory=list)
    allow_extra: bool = False

    @property
    def ok(self) -> bool:
        return not (self.missing or self.misplaced or self.structure
                    or (self.extra and not self.allow_extra))

    def to_json(self) -> dict[str, Any]:
        """The documented shape (issue 10): nothing more, nothing less."""
        return {
            "final": self.final,
            "missing": [{"pr": m.pr, "domain": m.domain, "section": m.section}
                        for m in self.missing],
            "extra": [{"pr": e.pr, "line": e.line} for e in self.extra],
            "misplaced": [{"pr": m.pr, "line": m.line, "final_section": m.final_section,
                           "done_section": m.done_section} for m in self.misplaced],
            "structure": [s.to_json() for s in self.structure],
            "ok": self.ok,
        }

    def lines(self) -> list[str]:
        """One line per finding, ``file:line: kind: what``, in reading order."""
        out = [f"{m.file}:{m.line}: missing: #{m.pr} ({m.domain}, {m.section}) is not in "
               f"{self.final}" for m in self.missing]
        rows: list[tuple[int, str]] = []
        note = " (allowed)" if self.allow_extra else ""
        rows += [(e.line, f"extra{note}: #{e.pr} is published by no done/ worksheet")
                 for e in self.extra]
        rows += [(m.line, (f"misplaced: #{m.pr} is under '{m.final_section}'; done/ has it "
                          f"under '{m.done_section}' ({m.file}:{m.done_line})"))
                 for m in self.misplaced]
        rows += [(s.line, f"structure: {s.message}") for s in self.structure]
        out += [f"{self.final}:{line}: {text}" for line, text in sorted(rows)]
        return out

    def summary(self) -> str:
        return (f"{len(self.missing)} missing, {len(self.extra)} extra"
                f"{' (allowed)' if self.allow_extra and self.extra else ''}, "
                f"{len(self.misplaced)} misplaced, {len(self.structure)} structure: "
                + ("ok" if self.ok else "not ok"))


@dataclass
class _Published:
    domain: str
    category: str
    file: str
    line: int
    categories: set[str] = field(default_factory=set)


def _published(sources: list[Source], *, repo: str) -> tuple[dict[int, _Published], set[int]]:
    """PR -> where done/ first publishes it (with every section it is in: each PR of a
    multi-PR bullet), and every number the published text names (a title that says
    "merging #1" publishes #1 as text, a mention)."""
    first: dict[int, _Published] = {}
    mentioned: set[int] = set()
    for source in sources:
        for unit in source.units:
            if not unit.published or unit.category is None:
                continue
            mentioned |= refs_in_text(shorten_links("".join(unit.chunk.lines), repo=repo),
                                      repo=repo)
            for pr in unit.prs:
                first.setdefault(pr, _Published(unit.domain, unit.category, unit.file,
                                                unit.pr_line(pr))).categories.add(unit.category)
    return first, mentioned | set(first)


def reconcile(notes: FinalNotes, sources: list[Source], *, repo: str = DEFAULT_REPO,
              allow_extra: bool = False) -> Reconciliation:
    """Compare final notes with what ``sources`` publish (see the module docstring)."""
    published, mentioned = _published(sources, repo=repo)
    places = notes.pr_places()
    result = Reconciliation(final=notes.path, allow_extra=allow_extra)
    for pr, where in sorted(published.items(), key=lambda kv: (kv[1].file, kv[1].line, kv[0])):
        found = places.get(pr)
        if not found:
            result.missing.append(Missing(pr, where.domain, SECTION_TITLES[where.category],
                                          where.file, where.line))
            continue
        if not {item.top_category for item in found} & where.categories:
            item = found[0]
            result.misplaced.append(Misplaced(
                pr, item.refs[pr], item.top or "(before any section)",
                SECTION_TITLES[where.category], where.file, where.line))
    for pr, found in places.items():
        if pr not in mentioned:
            result.extra.append(Extra(pr, found[0].refs[pr]))
    result.extra.sort(key=lambda e: (e.line, e.pr))
    result.misplaced.sort(key=lambda m: (m.line, m.pr))
    result.structure = sorted(set(notes.structure()) | set(
        _section_findings(notes, published, allow_extra)))
    return result


def _section_findings(notes: FinalNotes, published: dict[int, _Published],
                      allow_extra: bool) -> list[StructureFinding]:
    """Top-level sections done/ publishes in but final.md lacks (and, unless hand-added
    items are allowed, sections final.md has that done/ publishes nothing in)."""
    expected = {c for p in published.values() for c in p.categories}
    present = {s.category: s for s in notes.sections if s.category}
    out: list[StructureFinding] = []
    order = list(SECTION_TITLES)
    for category in sorted(expected - set(present), key=order.index):
        later = [s.line for c, s in present.items() if order.index(c) > order.index(category)]
        line = min(later) if later else len(notes.lines)
        count = sum(1 for p in published.values() if category in p.categories)
        out.append(StructureFinding(line, f"no '# {SECTION_TITLES[category]}' section, "
                                          f"though done/ publishes {count} PR(s) there"))
    if not allow_extra:
        for category, section in present.items():
            if category not in expected and section.all_items():
                out.append(StructureFinding(section.line, f"'# {section.name}' is not "
                                                          "expected: done/ publishes nothing "
                                                          "there"))
    return out


def done_sources(folder: ReleaseFolder, *, release: str | None) -> list[Source]:
    """What ``done/`` publishes (its worksheets, files that are none skipped, and
    ``cherrypicks.md``): the one reading of done/ both halves of ``final`` share."""
    return read_done(folder.done, release=release, files=folder.worksheets("done"),
                     repo=folder.config.repo)


def check_final(folder: ReleaseFolder, *, final: str | Path | None = None,
                allow_extra: bool = False, release: str | None = None) -> Reconciliation:
    """Read the release's ``done/`` and ``final`` (default its ``final.md``); reconcile."""
    repo = folder.config.repo
    path = Path(final) if final else folder.final
    if not path.is_file():
        raise UsageError("no final notes to check (build them with `relnotes final`)",
                         file=path)
    notes = read_final_notes(path, repo=repo)
    sources = done_sources(folder, release=release or notes.version)
    return reconcile(notes, sources, repo=repo, allow_extra=allow_extra)
