"""What maintainers decided: the fate of every generated item, read from todo/done pairs.

Both the backtest (:mod:`relnotes.triage.evaluate`) and the history builder
(:mod:`relnotes.triage.history`) need the same answer to "where did this todo item end
up?", so it is computed once, here.

Matching is by PR number across *all* done worksheets (maintainers move items between
domains and nest them under group bullets), then by commit hash, then by normalised title.
A fate is a canonical section, ``not user facing`` (dropped: moved there or deleted), or
``miscategorized`` with the target domain when the item turned up in another domain's
worksheet (or in ``miscategorized.md``, target unknown).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from relnotes.categories import PUBLISHED
from relnotes.errors import RelnotesError, UsageError
from relnotes.miscategorized import group_target, read_miscategorized
from relnotes.prrefs import normalise_title
from relnotes.release import worksheet_files
from relnotes.triage.domains import normalise_domain
from relnotes.worksheet import Item, Worksheet, read_worksheet

__all__ = ["DoneIndex", "Fate", "Outcome", "fate_of", "read_outcomes"]

log = logging.getLogger(__name__)

_PR_IN_TEXT = re.compile(r"github\.com/[\w.-]+/[\w.-]+/pull/(\d+)|\(#(\d+)\)")


@dataclass(frozen=True)
class Fate:
    """Where an item ended up: ``section`` (canonical) and, if it left, the new ``domain``."""

    section: str
    domain: str | None = None


@dataclass
class Outcome:
    """One todo item with the maintainers' decision."""

    file: str  # path of the todo worksheet, relative to the todo folder
    domain: str
    item: Item
    fate: Fate
    worksheet: Worksheet


def _read_all(folder: str | Path) -> Iterator[tuple[Path, Worksheet]]:
    root = Path(folder)
    if not root.is_dir():
        raise UsageError(f"not a folder: {root}")
    for path in worksheet_files(root):
        try:
            yield path.relative_to(root), read_worksheet(path)
        except RelnotesError as exc:
            log.warning("skipped, not a worksheet: %s", exc)


class DoneIndex:
    """Curated items by PR number, commit and normalised title, with their place."""

    def __init__(self) -> None:
        self.by_pr: dict[int, list[Fate]] = {}
        self.by_body_pr: dict[int, list[Fate]] = {}
        self.by_commit: dict[str, list[Fate]] = {}
        self.by_title: dict[str, list[Fate]] = {}
        self.misc_prs: dict[int, str | None] = {}  # PR -> target domain, if named

    def add_worksheet(self, ws: Worksheet) -> None:
        domain = normalise_domain(ws.domain)
        for item in ws.items():
            cat = item.category
            # Unknown headings ("Removed because not released yet") and leftovers in
            # Untopiced are not published.
            section = cat if cat in PUBLISHED else "not user facing"
            fate = Fate(section, domain)
            for pr in item.prs:
                self.by_pr.setdefault(pr, []).append(fate)
            for a, b in _PR_IN_TEXT.findall(item.body):
                self.by_body_pr.setdefault(int(a or b), []).append(fate)
            for commit in item.commits:
                self.by_commit.setdefault(commit[:10], []).append(fate)
            self.by_title.setdefault(normalise_title(item.title), []).append(fate)

    def add_miscategorized(self, path: str | Path) -> None:
        # An item still sitting in miscategorized.md left its domain and no maintainer
        # claimed it; its group heading may name the domain it was sent to.
        pool = read_miscategorized(path)
        for section in pool.sections:
            target, _ = group_target(section.name)
            for item in section.items:
                for pr in item.all_prs:
                    self.misc_prs.setdefault(
                        pr, normalise_domain(target) if target else None)

    def hits(self, item: Item) -> list[Fate]:
        found: list[Fate] = []
        for pr in item.prs:
            found += self.by_pr.get(pr, [])
        if not found:
            for pr in item.prs:
                found += self.by_body_pr.get(pr, [])
        if not found and not item.prs:
            for commit in item.commits:
                found += self.by_commit.get(commit[:10], [])
            if not found:
                found += self.by_title.get(normalise_title(item.title), [])
        return found


def fate_of(item: Item, domain: str, index: DoneIndex) -> Fate:
    """The decision for one todo item of ``domain`` (see the module docstring)."""
    hits = index.hits(item)
    same = [h for h in hits if h.domain == domain]
    if same:
        published = [h for h in same if h.section != "not user facing"]
        return Fate((published or same)[0].section)
    if hits:
        return Fate("miscategorized", hits[0].domain)
    for pr in item.prs:
        if pr in index.misc_prs:
            return Fate("miscategorized", index.misc_prs[pr])
    return Fate("not user facing")


def read_outcomes(*, todo: str | Path, done: str | Path, miscategorized: str | Path | None = None,
                  ) -> tuple[list[Outcome], list[str]]:
    """Fates of every item of every todo worksheet that has a curated counterpart.

    Returns the outcomes and the todo files left out because ``done`` has no file of the
    same name (e.g. ``result_skip.md``: items the generator set aside).
    """
    index = DoneIndex()
    done_names: set[Path] = set()
    for rel, ws in _read_all(done):
        index.add_worksheet(ws)
        done_names.add(rel)
    if miscategorized is not None and Path(miscategorized).is_file():
        index.add_miscategorized(miscategorized)
    outcomes: list[Outcome] = []
    unscored: list[str] = []
    for rel, ws in _read_all(todo):
        if rel not in done_names:
            unscored.append(str(rel))
            continue
        domain = normalise_domain(ws.domain)
        for item in ws.items():
            outcomes.append(Outcome(str(rel), domain, item, fate_of(item, domain, index), ws))
    return outcomes, unscored
