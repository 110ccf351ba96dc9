"""Key PRs: in each section the preamble asks to summarise, what users will care about
first, and the long tail to fold into a group or drop.

The score (0-1) adds up plain, checkable evidence from the title: a public API named
(``torch.x``, ``nn.Module``, a backticked name), new-capability wording ("add",
"support", "enable", ...), user-visible failure words in a fix ("crash", "wrong"), and
the size of the item's group; internal wording ("[BE]", "refactor", "test", "CI",
"typo") counts against. Items below :data:`TAIL` are the long tail.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from relnotes.summaries.grouping import Group
from relnotes.worksheet import Item

__all__ = ["TAIL", "KeyPR", "key_prs", "key_score"]

TAIL = 0.35
_API = re.compile(r"`[^`]+`|\btorch\.\w+|\b(?:nn|F|optim|distributed|cuda|mps|xpu|fx|export|"
                  r"compile|autograd|linalg|fft|special|sparse|onnx)\.[A-Za-z_]\w*"
                  r"|\b[A-Z][a-z]+[A-Z]\w+\b|\b\w+\(\)")
_NEW = re.compile(r"\b(?:add(?:s|ed)?|support(?:s|ed)?|enabl(?:e|es|ed)|introduc(?:e|es|ed)|"
                  r"new|implement(?:s|ed)?|expose[sd]?|allow(?:s|ed)?|extend(?:s|ed)?)\b",
                  re.IGNORECASE)
_USER_FIX = re.compile(r"\b(?:crash|segfault|wrong|incorrect|regression|hang|leak|nan|"
                       r"silent(?:ly)?|accuracy|overflow|error)\b", re.IGNORECASE)
_INTERNAL = re.compile(r"\[(?:BE|ez|easy|ci|cd|codemod|test|tests|skip ci)\]|\b(?:refactor|"
                       r"clean ?up|test(?:s|ing)?|ci|lint|typo|rename|nit|internal|"
                       r"flaky|unused|skip|bump|mypy|ruff)\b", re.IGNORECASE)


@dataclass(frozen=True)
class KeyPR:
    """One ranked entry: an item, or a group by its first PR."""

    pr: int
    section: str
    score: float
    title: str
    reasons: tuple[str, ...]
    group_size: int = 1

    @property
    def tail(self) -> bool:
        return self.score < TAIL

    def to_json(self) -> dict[str, object]:
        return {"pr": self.pr, "section": self.section, "score": self.score,
                "title": self.title, "reasons": list(self.reasons),
                "group_size": self.group_size, "tail": self.tail}


def key_score(title: str, *, section: str, group_size: int = 1) -> tuple[float, list[str]]:
    """The score of one title and why."""
    score, why = 0.3, []
    if _API.search(title):
        score += 0.25
        why.append("names a public API")
    if _NEW.search(title):
        score += 0.2
        why.append("new-capability wording")
    if section == "bug fixes" and _USER_FIX.search(title):
        score += 0.15
        why.append("user-visible failure")
    if group_size > 1:
        score += min(0.3, 0.1 * (group_size - 1))
        why.append(f"group of {group_size}")
    if _INTERNAL.search(title):
        score -= 0.3
        why.append("internal wording")
    return round(max(0.0, min(1.0, score)), 3), why


def key_prs(items: Sequence[Item], groups: Sequence[Group], *,
            sections: Collection[str]) -> list[KeyPR]:
    """Ranked entries of the items in ``sections``: each group once (in its section), each
    other item alone; best first within each section, sections in the order given."""
    grouped = {id(i) for g in groups for i in g.items}
    entries: list[KeyPR] = []
    for group in groups:
        if group.section in sections:
            title = " / ".join(i.title for i in group.items)
            score, why = key_score(title, section=group.section,
                                   group_size=len(group.items))
            entries.append(KeyPR(pr=group.prs[0], section=group.section, score=score,
                                 title=group.items[0].title, reasons=tuple(why),
                                 group_size=len(group.items)))
    for item in items:
        if id(item) in grouped or not item.prs or item.placement not in sections:
            continue
        score, why = key_score(item.title, section=item.placement)
        entries.append(KeyPR(pr=item.prs[0], section=item.placement, score=score,
                             title=item.title, reasons=tuple(why)))
    order = list(sections)
    entries.sort(key=lambda e: (order.index(e.section), -e.score, e.pr))
    return entries
