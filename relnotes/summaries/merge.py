"""A group with its drafted bullet, and writing it: its items become one bullet carrying
every PR, losslessly, by :func:`relnotes.apply.merge_items`, the code ``apply`` merges
reviewed groups with (the first member keeps its place and takes the bullet; the
members' titles are kept verbatim in an HTML comment under it, then every body).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from relnotes.apply import merge_items
from relnotes.summaries.grouping import Group
from relnotes.worksheet import Item, Worksheet

__all__ = ["DraftedGroup", "group_id", "merge_group", "merge_groups"]


@dataclass(frozen=True)
class DraftedGroup:
    """A group with its drafted bullet: what review, apply and ``--write`` take."""

    group: Group
    bullet: str

    @property
    def section(self) -> str:
        return self.group.section

    @property
    def prs(self) -> list[int]:
        return self.group.prs

    @property
    def confidence(self) -> float:
        return self.group.confidence

    @property
    def keys(self) -> list[str]:
        """The item keys the group merges (as review decisions name items)."""
        return self.group.keys

    def to_json(self) -> dict[str, object]:
        return {"section": self.section, "prs": self.prs, "bullet": self.bullet,
                "confidence": self.confidence, "reasons": list(self.group.reasons),
                "items": self.keys,
                "titles": [i.title for i in self.group.items],
                "lines": [i.line for i in self.group.items]}


def merge_group(ws: Worksheet, drafted: DraftedGroup) -> Item:
    """Merge one group's items in ``ws`` into one bullet; returns it."""
    return merge_items(ws, drafted.group.items, bullet=drafted.bullet,
                       section=drafted.section)


def group_id(keys: Sequence[str]) -> str:
    """A group's identity in review decisions: its items' keys, in file order."""
    return "+".join(keys)


def merge_groups(ws: Worksheet, groups: Sequence[DraftedGroup], *,
                 min_confidence: float) -> list[DraftedGroup]:
    """Merge the groups at or above ``min_confidence``; returns those merged (the others
    are left for review)."""
    chosen = [g for g in groups if g.confidence >= min_confidence]
    with ws.batch():
        for drafted in chosen:
            merge_group(ws, drafted)
    return chosen
