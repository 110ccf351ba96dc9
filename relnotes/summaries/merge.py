"""Writing a group: its items become one bullet carrying every PR, losslessly.

Through the worksheet edit API: the first member (in file order) keeps its place in the
chunk list and takes the drafted bullet as its title; every other member is removed. Under
the bullet go the members' original titles, verbatim, in an HTML comment (markdown does
not render it, a maintainer reading the file sees it) and then every member's body
(nested bullets, paragraphs, code), so no PR and no written line is lost. The bullet then
moves to the group's section.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from relnotes.errors import WorksheetError
from relnotes.summaries.grouping import Group
from relnotes.worksheet import Item, Worksheet

__all__ = ["DraftedGroup", "merge_group", "merge_groups"]


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
    members = sorted(drafted.group.items, key=lambda i: i.line)
    for item in members:
        if item.section is None or item not in item.section.chunks:
            raise WorksheetError("a group member is no longer in the worksheet",
                                 file=ws.path, line=item.line)
    head, rest = members[0], members[1:]
    eol = ws.eol
    # the replaced titles, kept verbatim in a comment markdown does not render
    pad = "" if head.is_heading else " " * len(head.marker)
    kept = [f"{pad}<!-- relnotes summarize: merged from{eol}"]
    for item in members:
        kept.extend(pad + line.rstrip("\r\n").replace("-->", "-- >") + eol
                    for line in item.lines[:item.title_lines])
    kept.append(f"{pad}-->{eol}")
    bodies: list[str] = []
    for item in members:
        if item is not head:
            ws.remove(item)
        bodies.extend(line if line.endswith("\n") else line + eol
                      for line in item.lines[item.title_lines:])
    head.lines[:] = [head.lines[0] if head.lines[0].endswith("\n") else head.lines[0] + eol,
                     *kept, *bodies]
    head.title_lines = 1
    ws.set_title(head, drafted.bullet)
    missing = [pr for pr in drafted.prs if pr not in head.prs]
    if missing:
        raise WorksheetError(f"the bullet lost PR(s) {missing}", file=ws.path, line=head.line)
    head.body_prs = list(dict.fromkeys(
        pr for item in rest for pr in item.body_prs if pr not in head.prs)) + [
        pr for pr in head.body_prs if pr not in head.prs]
    return ws.move(head, drafted.section) if drafted.section != head.placement else head


def merge_groups(ws: Worksheet, groups: Sequence[DraftedGroup], *,
                 min_confidence: float) -> list[DraftedGroup]:
    """Merge the groups at or above ``min_confidence``; returns those merged (the others
    are left for review)."""
    chosen = [g for g in groups if g.confidence >= min_confidence]
    for drafted in chosen:
        merge_group(ws, drafted)
    return chosen
