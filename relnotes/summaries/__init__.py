"""Summaries: group one change's PRs, pick the key ones, draft the bullet (issue 17).

Modules, lowest first: ``truth`` (what maintainers did, from done/), ``features`` (one
item's title, read once), ``signals`` (pairwise evidence), ``model`` (the learned pair
model), ``grouping`` (average-link groups), ``bullet`` (the drafted sentence and links),
``keys`` (key PRs), ``preamble`` (does the worksheet ask?), ``merge`` (writing a group),
``summarize`` (the command's data), ``evaluate`` (pair precision, bullet recall,
backtests).
"""

from __future__ import annotations

from relnotes.summaries.evaluate import Quality, backtest, grouping_quality, learn
from relnotes.summaries.grouping import GROUPED_SECTIONS, Group, group_items
from relnotes.summaries.merge import DraftedGroup, merge_group, merge_groups
from relnotes.summaries.model import Weights, load_weights
from relnotes.summaries.preamble import asks_for_summaries, summary_sections
from relnotes.summaries.summarize import (
    WorksheetSummary,
    render_text,
    summarize_worksheet,
    summary_json,
)

__all__ = [
    "GROUPED_SECTIONS",
    "DraftedGroup",
    "Group",
    "Quality",
    "Weights",
    "WorksheetSummary",
    "asks_for_summaries",
    "backtest",
    "group_items",
    "grouping_quality",
    "learn",
    "load_weights",
    "merge_group",
    "merge_groups",
    "render_text",
    "summarize_worksheet",
    "summary_json",
    "summary_sections",
]
