"""``relnotes summarize`` as data: per worksheet, its groups with drafted bullets and
its key PRs, as JSON and as text. The command only reads options and prints."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from relnotes.summaries.bullet import draft_bullet, link_style
from relnotes.summaries.grouping import GROUPED_SECTIONS, group_items, groupable_items
from relnotes.summaries.keys import KeyPR, key_prs
from relnotes.summaries.merge import DraftedGroup
from relnotes.summaries.model import Weights
from relnotes.summaries.preamble import (
    DEFAULT_SUMMARY_SECTIONS,
    asks_for_summaries,
    summary_sections,
)
from relnotes.summaries.signals import Meta
from relnotes.worksheet import Worksheet

__all__ = ["WorksheetSummary", "render_text", "summarize_worksheet", "summary_json"]


@dataclass(frozen=True)
class WorksheetSummary:
    """What ``summarize`` found in one worksheet."""

    worksheet: Worksheet
    groups: tuple[DraftedGroup, ...]
    key: tuple[KeyPR, ...]
    asked: bool  # the preamble asks for summaries

    def to_json(self) -> dict[str, Any]:
        return {"file": self.worksheet.path, "preamble_asks": self.asked,
                "groups": [g.to_json() for g in self.groups],
                "key": [k.to_json() for k in self.key]}


def summarize_worksheet(ws: Worksheet, weights: Weights, *,
                        sections: Collection[str] = GROUPED_SECTIONS,
                        meta: Mapping[int, Meta] | None = None) -> WorksheetSummary:
    """Groups of ``ws``'s items in ``sections`` with drafted bullets, and its key PRs in
    the sections the preamble asks to summarise (the 2.10+ list when it does not ask)
    and in Untopiced."""
    items = groupable_items(ws, sections=sections)
    groups = group_items(items, weights, meta=meta)
    style = link_style(ws)
    drafted = tuple(DraftedGroup(g, draft_bullet(g.items, style=style, domain=ws.domain))
                    for g in groups)
    asked = asks_for_summaries(ws)
    # Untopiced items are not sorted yet: they will land in one of those sections
    key_sections = [s for s in (*(summary_sections(ws) if asked else DEFAULT_SUMMARY_SECTIONS),
                                "Untopiced") if s in sections]
    ranked = key_prs(groupable_items(ws, sections=key_sections), groups,
                     sections=key_sections)
    return WorksheetSummary(worksheet=ws, groups=drafted, key=tuple(ranked), asked=asked)


def summary_json(results: Sequence[WorksheetSummary]) -> dict[str, Any]:
    """The documented ``summarize --format json`` shape."""
    return {"worksheets": [r.to_json() for r in results]}


def render_text(results: Sequence[WorksheetSummary], *, min_confidence: float,
                top: int = 10) -> str:
    """Groups (bullet, members, confidence, reasons), then the key PRs per section."""
    out: list[str] = []
    for r in results:
        out.append(f"{r.worksheet.path}: {len(r.groups)} group(s)"
                   + ("" if r.asked else " (the preamble does not ask for summaries)"))
        for n, g in enumerate(r.groups, 1):
            mark = "write" if g.confidence >= min_confidence else "review"
            out.append(f"  [{n}] {g.section}, confidence {g.confidence:.2f} ({mark})")
            out.append(f"      - {g.bullet}")
            for item in g.group.items:
                out.append(f"        line {item.line} [{item.placement}] {item.title}")
            if g.group.reasons:
                out.append("      because: " + "; ".join(g.group.reasons))
        section = None
        shown = 0
        tail = 0
        for k in r.key:
            if k.section != section:
                if tail:
                    out.append(f"    ... {tail} more: fold into a group or drop")
                section, shown, tail = k.section, 0, 0
                out.append(f"  key PRs, {section}:")
            if k.tail or shown >= top:
                tail += 1
                continue
            shown += 1
            size = f" (group of {k.group_size})" if k.group_size > 1 else ""
            out.append(f"    {k.score:.2f} #{k.pr}{size} {k.title}")
        if tail:
            out.append(f"    ... {tail} more: fold into a group or drop")
        out.append("")
    return "\n".join(out)
