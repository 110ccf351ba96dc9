"""``relnotes final``: merge the ``done/`` worksheets into ``final.md``.

When every domain is done, the release manager needs one file, the text of the GitHub
release page: sections in the published order, each grouped by area (the area table,
:mod:`relnotes.final_areas`), BC-breaking and deprecation entries as ``###`` blocks, every
link as ``#N``. Then they edit it by hand for days, so the file is written atomically and
an existing one is never replaced without ``force``. Nothing is silently dropped: an item
that cannot be placed (Untopiced, an unknown section heading) is a warning with its file
and line, and the result is checked against ``done/`` with the same reconciliation as
``relnotes final --check`` before it is written.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relnotes.categories import HIGH_STAKES, PUBLISHED
from relnotes.errors import UsageError
from relnotes.fileio import atomic_write, split_lines
from relnotes.final_areas import AreaTable, Place, load_area_table
from relnotes.final_check import Reconciliation, done_sources, reconcile
from relnotes.final_render import (
    document,
    group_title,
    is_group,
    render_bullet,
    render_entry,
    render_group_body,
    render_text,
)
from relnotes.final_sources import CHERRY_PICKS_DOMAIN, Source, Unit
from relnotes.finalnotes import (
    SECTION_TITLES,
    backtick_findings,
    lenient_blocks,
    parse_final_notes,
)
from relnotes.findings import Finding
from relnotes.release import ReleaseFolder
from relnotes.versions import parse_version

if TYPE_CHECKING:
    from relnotes.config import Config

__all__ = ["BuildReport", "build_final", "write_final"]

log = logging.getLogger(__name__)


@dataclass
class _Block:
    kind: str  # bullet | entry | text
    text: str
    prs: list[int]
    items: int = 1  # a grouping bullet's body holds several

    def __post_init__(self) -> None:
        # one line ending from here on: a CRLF done/ file's blank lines between loose
        # bullets are "\r\n\r\n", which _join would not see
        self.text = self.text.replace("\r\n", "\n")


@dataclass
class _Area:
    name: str | None
    blocks: list[_Block] = field(default_factory=list)
    subs: dict[str, tuple[str, list[_Block]]] = field(default_factory=dict)  # key -> (name, blocks)

    def add(self, sub: str | None, block: _Block) -> None:
        if sub is None:
            self.blocks.append(block)
            return
        key = sub.lower()
        self.subs.setdefault(key, (sub, []))[1].append(block)

    def all_blocks(self) -> list[_Block]:
        return [*self.blocks, *(b for _name, blocks in self.subs.values() for b in blocks)]


@dataclass
class BuildReport:
    """What ``relnotes final`` did: the text, where it goes, counts and warnings (codes
    ``not-placed``, ``unknown-domain``, ``no-pr``, ``self-check``)."""

    version: str
    output: str
    text: str
    counts: dict[str, dict[str, dict[str, int]]]  # section -> area -> {"items", "prs"}
    warnings: list[Finding]
    entries_templated: int = 0
    entries_verbatim: int = 0
    written: bool = False
    self_check: Reconciliation | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "final": self.output, "version": self.version, "written": self.written,
            "sections": [
                {"section": section, "items": sum(a["items"] for a in areas.values()),
                 "areas": [{"area": name, **numbers} for name, numbers in areas.items()]}
                for section, areas in self.counts.items()
            ],
            "entries": {"template": self.entries_templated, "verbatim": self.entries_verbatim},
            "warnings": [w.to_json() for w in self.warnings],
            "self_check": self.self_check.to_json() if self.self_check else None,
        }


def _version(folder: ReleaseFolder, version: str | None) -> str:
    if version:
        parsed = parse_version(version)
        if parsed is None or parsed.patch is None:
            raise UsageError(f"--version {version!r} is not a release such as 2.8.0")
        return str(parsed)
    found = folder.version
    if found is None:
        raise UsageError("cannot tell the release from the folder name: pass --version X.Y.Z",
                         file=folder.root)
    return str(found) if found.patch is not None else f"{found}.0"


def build_final(folder: ReleaseFolder, *, version: str | None = None,
                output: str | Path | None = None,
                areas: AreaTable | None = None) -> BuildReport:
    """The final notes of the release's ``done/`` (not written: see :func:`write_final`)."""
    config = folder.config
    release = _version(folder, version)
    table = areas or load_area_table(folder.final_areas)
    repo = config.repo
    sources = done_sources(folder, release=release)
    warnings: list[Finding] = []
    layout: dict[str, dict[str, _Area]] = {c: {} for c in SECTION_TITLES}
    stats = {"template": 0, "verbatim": 0}
    ordered = sorted(sources, key=lambda s: (s.file.endswith("cherrypicks.md"),
                                             table.domain_rank(s.domain), s.file))
    for source in ordered:
        _place_source(source, table, layout, warnings, stats, repo=repo, config=config)
    context = _context(release, layout, table)
    # a new file: one line ending throughout, whatever the worksheets used
    text = document(context, config=config).replace("\r\n", "\n")
    counts = {
        SECTION_TITLES[cat]: {
            (area.name or "(no area)"): {
                "items": sum(b.items for b in area.all_blocks() if b.kind != "text"),
                "prs": len({p for b in area.all_blocks() for p in b.prs}),
            }
            for area in _sorted_areas(areas_of, table)
        }
        for cat, areas_of in layout.items() if areas_of
    }
    report = BuildReport(version=release, output=str(Path(output) if output else folder.final),
                         text=text, counts=counts, warnings=sorted(set(warnings)),
                         entries_templated=stats["template"], entries_verbatim=stats["verbatim"])
    report.self_check = reconcile(parse_final_notes(text, path=report.output, repo=repo),
                                  sources, repo=repo)
    if not report.self_check.ok:
        report.warnings.append(_self_check_warning(report.output, report.self_check, warnings))
    return report


def _self_check_warning(output: str, check: Reconciliation, warnings: list[Finding]
                        ) -> Finding:
    """Why the generated notes fail their own check: structure problems copied from
    done/ (each already warned about at its line there), else a relnotes bug."""
    copied = sum(1 for w in warnings if w.code == "structure")
    if copied and not (check.missing or check.extra or check.misplaced) \
            and len(check.structure) <= copied:
        return Finding(output, 1, "self-check", f"the generated notes carry {copied} "
                       "structure problem(s) of done/ (warned about above, at their lines in "
                       "done/): fix them there and build again")
    return Finding(output, 1, "self-check", "the generated notes fail their own check (a "
                   "relnotes bug): see self_check")


def _place_source(source: Source, table: AreaTable, layout: dict[str, dict[str, _Area]],
                  warnings: list[Finding], stats: dict[str, int], *, repo: str,
                  config: Config | None) -> None:
    """Put every unit of one done/ file into ``layout``, or warn why it is not published."""
    sub: str | None = None
    section_key: tuple[str, str | None] | None = None
    grouped = _grouped_sections(source)
    for unit in source.units:
        if (unit.heading, unit.category) != section_key:
            section_key, sub = (unit.heading, unit.category), None
        if unit.category not in PUBLISHED:
            _warn_unplaced(unit, warnings)
            continue
        problem: str | None
        if unit.domain == CHERRY_PICKS_DOMAIN:  # a cherry-pick before any "### <domain>"
            place, problem = Place(""), ("a cherry-pick under no '### <domain>' heading: "
                                         "placed first, without an area (name its domain "
                                         "there)")
        else:
            place, problem = table.place(unit.domain)
        if problem:
            warnings.append(Finding(unit.file, unit.line, "unknown-domain", problem))
        entries = unit.category in HIGH_STAKES
        area_name = place.area if (table.entries_by_area or not entries) else None
        area = layout[unit.category].setdefault(area_name or "", _Area(area_name or None))
        home = None if entries else place.sub
        chunk = unit.chunk
        if chunk.kind == "subheading":
            if entries:  # a heading without a PR in an entries section: keep it as text
                area.add(None, _Block("text", render_text(chunk, repo=repo), []))
            else:
                sub = re.sub(r"^\s*#+\s*", "", chunk.lines[0]).strip() or None
            continue
        for found in backtick_findings(chunk.lines):  # copied as it is into final.md
            warnings.append(Finding(unit.file, unit.line + found.line - 1, "structure",
                                    found.message))
        item = unit.item
        if item is not None and not item.all_prs and not item.commits:
            warnings.append(Finding(unit.file, unit.line, "no-pr", "published without a PR "
                                    "link: --check cannot follow this item"))
        if item is None:
            area.add(sub or home, _Block("text", render_text(chunk, repo=repo, entry=entries),
                                         []))
            continue
        if entries:
            text, templated = render_entry(item, unit.entry, config=config, repo=repo)
            stats["template" if templated else "verbatim"] += 1
            area.add(None, _Block("entry", text, unit.prs))
        elif is_group(item) and home is None and (unit.heading, unit.category) in grouped:
            body = render_group_body(item, repo=repo)
            nested = sum(1 for b in lenient_blocks(split_lines(body))[0] if b.kind == "item")
            area.add(group_title(item), _Block("bullet", body, unit.prs, nested))
        else:
            area.add(sub or home, _Block("bullet", render_bullet(item, repo=repo), unit.prs))


def _grouped_sections(source: Source) -> set[tuple[str, str | None]]:
    """Sections of ``source`` organised by sub-area: every item with a PR is a grouping
    bullet (``- c10d`` with its items nested). Mixed sections keep their bullets."""
    kinds: dict[tuple[str, str | None], set[bool]] = {}
    for unit in source.units:
        item = unit.item
        if item is not None and item.all_prs:
            kinds.setdefault((unit.heading, unit.category), set()).add(is_group(item))
    return {key for key, found in kinds.items() if found == {True}}


def _warn_unplaced(unit: Unit, warnings: list[Finding]) -> None:
    """Say why a unit of an unpublished place is not in the notes (dropped items in
    ``not user facing`` are meant to be left out and are not reported)."""
    item = unit.item
    if unit.category == "not user facing" or unit.chunk.kind == "subheading":
        return
    if item is None and not unit.heading:
        return  # text between the domain heading and the first section
    what = "text" if item is None else (
        "#" + ", #".join(map(str, item.all_prs)) if item.all_prs else "an item without a PR")
    if unit.category == "Untopiced":
        why = "is still in Untopiced: sort it into a section"
    elif unit.heading:
        why = f"is under the unknown section heading '{unit.heading}'"
    else:
        why = "is before the first section heading"
    warnings.append(Finding(unit.file, unit.line, "not-placed", f"{what} {why}"))


def _sorted_areas(areas: dict[str, _Area], table: AreaTable) -> list[_Area]:
    # items of no area first: after an area's items they would read as that area's
    return sorted(areas.values(),
                  key=lambda a: (0, 0, "") if a.name is None else (1, *table.area_rank(a.name)))


def _join(blocks: list[_Block]) -> str:
    """Bullets one per line (a blank line around multi-paragraph ones), other blocks
    separated by a blank line."""
    out = ""
    prev: _Block | None = None
    for block in blocks:
        if prev is not None:
            tight = prev.kind == block.kind == "bullet" and "\n\n" not in prev.text.strip() \
                and "\n\n" not in block.text.strip()
            out += "\n" if tight else "\n\n"
        out += block.text.rstrip("\n")
        prev = block
    return out


def _anchor(title: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation gone, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def _context(version: str, layout: dict[str, dict[str, _Area]],
             table: AreaTable) -> dict[str, Any]:
    sections: list[dict[str, Any]] = []
    for category, areas in layout.items():
        if not any(a.all_blocks() for a in areas.values()):
            continue
        sections.append({
            "title": SECTION_TITLES[category],
            "areas": [
                {"name": area.name, "body": _join(area.blocks),
                 "subareas": [{"name": name, "body": _join(blocks)}
                              for name, blocks in area.subs.values()]}
                for area in _sorted_areas(areas, table)
            ],
        })
    titles = ["Highlights", *(str(s["title"]) for s in sections)]
    toc = [{"title": t, "anchor": _anchor(t)} for t in titles]
    return {"version": version, "toc": toc, "sections": sections}


def write_final(report: BuildReport, *, force: bool = False) -> Path | None:
    """Write ``report.text`` atomically; refuse to replace an existing file unless
    ``force`` (it holds days of hand edits; the old one is kept as a backup, see
    :func:`relnotes.fileio.atomic_write`, whose path is returned)."""
    path = Path(report.output)
    if path.exists() and not force:
        raise UsageError("exists and may hold hand edits: pass --force to replace it (the "
                         "old file is kept as a backup) or --output to write elsewhere", file=path)
    backup = atomic_write(path, report.text, backup=force)
    report.written = True
    return backup
