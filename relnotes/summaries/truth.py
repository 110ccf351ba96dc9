"""What maintainers did: their multi-PR bullets and the PRs they published, from done/.

A *multi-PR bullet* is an item whose own title carries two or more PRs, or a nested
bullet under a grouping item (``- c10d``) that carries two or more. A grouping item whose
nested bullets carry one PR each is a topic heading, not a summary of one change: its
nested bullets count as separate bullets, so it does not tie their PRs together.
Only published sections count (see :data:`relnotes.categories.PUBLISHED`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from relnotes.categories import PUBLISHED
from relnotes.markdown import ITEM_MARKER
from relnotes.prrefs import refs_of_title
from relnotes.release import worksheet_files
from relnotes.worksheet import Worksheet, read_worksheet

__all__ = ["Truth", "read_truth", "truth_of"]


@dataclass(frozen=True)
class Truth:
    """Published PRs and the maintainers' multi-PR bullets of a release (or part of one)."""

    published: frozenset[int]
    bullets: tuple[frozenset[int], ...]

    def bullet_of(self) -> dict[int, int]:
        """PR -> index of the (first) multi-PR bullet holding it."""
        out: dict[int, int] = {}
        for n, bullet in enumerate(self.bullets):
            for pr in bullet:
                out.setdefault(pr, n)
        return out

    def same_bullet(self, a: int, b: int) -> bool:
        """Whether some maintainers' bullet holds both PRs."""
        return any(a in bullet and b in bullet for bullet in self.bullets)


def _nested_bullets(body: str) -> list[list[int]]:
    """PR lists of the nested bullets of an item's body, one per line that carries any."""
    found: list[list[int]] = []
    for line in body.splitlines():
        if line.strip():
            prs = refs_of_title(ITEM_MARKER.sub("", line, count=1).strip()).prs
            if prs:
                found.append(list(prs))
    return found


def truth_of(worksheets: Iterable[Worksheet]) -> Truth:
    """The published PRs and multi-PR bullets of finished worksheets."""
    published: set[int] = set()
    bullets: list[frozenset[int]] = []
    for ws in worksheets:
        for item in ws.items():
            if item.category not in PUBLISHED:
                continue
            published.update(item.all_prs)
            if len(item.prs) >= 2:
                bullets.append(frozenset(item.prs))
            elif not item.prs:
                bullets.extend(frozenset(prs) for prs in _nested_bullets(item.body)
                               if len(prs) >= 2)
    return Truth(published=frozenset(published), bullets=tuple(bullets))


def read_truth(done: str | Path) -> Truth:
    """:func:`truth_of` the worksheets of a ``done/`` folder."""
    return truth_of(read_worksheet(p) for p in worksheet_files(done))
