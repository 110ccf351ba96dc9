"""Triage results for whole worksheets: JSON document, text report, decisions to apply.

Kept apart from the engine so that the CLI stays an adapter and other callers (review,
benchmarks) can produce the same documents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from relnotes.apply import Decision
from relnotes.triage.planning import Suggestion
from relnotes.worksheet import Worksheet

__all__ = ["WorksheetTriage", "decisions", "render_text", "summary_counts", "triage_json"]


@dataclass
class WorksheetTriage:
    worksheet: Worksheet
    suggestions: list[Suggestion]


def triage_json(results: Iterable[WorksheetTriage]) -> dict[str, Any]:
    """The documented ``triage --format json`` document."""
    return {"worksheets": [
        {"file": r.worksheet.path, "domain": r.worksheet.domain,
         "items": [s.to_json() for s in r.suggestions]}
        for r in results]}


def summary_counts(suggestions: Iterable[Suggestion], *, min_confidence: float = 0.0,
                   ) -> dict[str, int]:
    """What applying the suggestions at or above ``min_confidence`` would do: how many
    items stay, move to another section, drop, or leave the domain; ``review``: the
    changes below the threshold, left where they are for a person to decide."""
    counts = {"stay": 0, "move": 0, "drop": 0, "leave": 0, "review": 0}
    for s in suggestions:
        if s.changes and s.confidence < min_confidence:
            counts["review"] += 1
        elif s.section == "miscategorized":
            counts["leave"] += 1
        elif not s.changes:
            counts["stay"] += 1
        elif s.section == "not user facing":
            counts["drop"] += 1
        else:
            counts["move"] += 1
    return counts


def _summary(suggestions: list[Suggestion], summary_at: float, *, short: bool) -> str:
    """What applying at ``summary_at`` would do, in words (``short``: one worksheet of
    several, whose threshold the total states)."""
    c = summary_counts(suggestions, min_confidence=summary_at)
    flagged = sum(1 for s in suggestions if s.high_stakes)
    if short:
        return (f"{c['stay']} stay, {c['move']} move, {c['drop']} drop, {c['leave']} leave, "
                f"{c['review']} for review; {flagged} BC/deprecation")
    return (f"{c['stay']} stay, {c['move']} move, {c['drop']} drop, {c['leave']} leave the "
            f"domain, {c['review']} changes below the threshold left for review; "
            f"{flagged} suggested or flagged for BC-breaking/deprecation")


def render_text(results: Iterable[WorksheetTriage], *, min_confidence: float = 0.0,
                list_from: float | None = None, show_stays: bool = True) -> str:
    """Per worksheet: proposed moves grouped by target section, then what stays (least
    confident first), each with its reasons, then a summary line; for several
    worksheets, short summaries and a total at the end.

    Moves are listed from ``list_from`` (default: ``min_confidence``) on; the summary says
    what applying the suggestions at ``min_confidence`` would do."""
    summary_at = min_confidence
    min_confidence = summary_at if list_from is None else list_from
    results = list(results)
    several = len(results) > 1
    out: list[str] = []
    for r in results:
        out.append(f"{r.worksheet.path} ({r.worksheet.domain}): {len(r.suggestions)} items")
        groups: dict[str, list[Suggestion]] = defaultdict(list)
        for s in r.suggestions:
            if s.changes and s.confidence >= min_confidence:
                label = f"miscategorized -> {s.domain}" if s.domain else s.section
                groups[label].append(s)
        for label in sorted(groups, key=lambda g: (g.startswith("not user"), g)):
            items = sorted(groups[label], key=lambda s: -s.confidence)
            out.append(f"  -> {label} ({len(items)})")
            for s in items:
                out.append(f"    {s.item.line:>5}  {s.confidence:.2f}  {s.clean_title}")
                out.append(f"           from {s.current}; " + "; ".join(s.reasons))
                out += [f"           consider {c}" for c in s.consider]
        if show_stays:
            stays: dict[str, list[Suggestion]] = defaultdict(list)
            for s in r.suggestions:
                if not (s.changes and s.confidence >= min_confidence):
                    stays[s.current].append(s)
            for label, items in stays.items():
                out.append(f"  = stay in {label} ({len(items)})")
                for s in sorted(items, key=lambda s: s.confidence):
                    moved = "" if not s.changes else (
                        f" [below threshold: {s.section}"
                        + (f" -> {s.domain}" if s.domain else "") + "]")
                    out.append(f"    {s.item.line:>5}  {s.confidence:.2f}  {s.clean_title}{moved}")
                    out.append("           " + "; ".join(s.reasons))
                    out += [f"           consider {c}" for c in s.consider]
        if several:
            out.append(f"  summary: {_summary(r.suggestions, summary_at, short=True)}")
        else:
            out.append(f"  summary at confidence >= {summary_at:.2f}: "
                       f"{_summary(r.suggestions, summary_at, short=False)}")
        out.append("")
    if several:
        everything = [s for r in results for s in r.suggestions]
        out.append(f"total of {len(results)} worksheets, {len(everything)} items, at "
                   f"confidence >= {summary_at:.2f}: "
                   f"{_summary(everything, summary_at, short=False)}")
    return "\n".join(out).rstrip() + "\n"


def decisions(suggestions: Iterable[Suggestion], *, min_confidence: float,
              clean_titles: bool = False, include_moves_out: bool = True) -> list[Decision]:
    """Decisions for the suggestions at or above ``min_confidence``.

    Confident stays are decisions too (applying them changes nothing), so the summary of
    ``triage --write`` counts them as unchanged instead of reporting none.
    """
    out: list[Decision] = []
    for s in suggestions:
        if s.confidence < min_confidence:
            continue
        if s.section == "miscategorized" and not include_moves_out:
            continue
        title = s.clean_title if clean_titles and s.clean_title != s.item.title else None
        out.append(Decision(key=s.item.key, section=s.section,
                            domain=s.domain, title=title))
    return out
