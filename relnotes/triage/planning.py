"""Planning a triage run and suggesting each item.

A :class:`Plan` is what is the same for every item of one worksheet (history, decision
rule, API profiles, metadata, the written entries); :func:`suggest_items` assesses and
decides items of a plan. A :class:`Run` holds the worksheets triaged together and makes
each plan once, so that worker processes (:mod:`relnotes.triage.parallel`) and the
caller's process make the same ones.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relnotes.categories import HIGH_STAKES
from relnotes.config import Config
from relnotes.entries import extract_entries
from relnotes.github.fetch import item_prs
from relnotes.release import release_of
from relnotes.triage.apidiff import api_diff_for
from relnotes.triage.assessment import Assessment, Context, assess, known_domains_for
from relnotes.triage.domains import normalise_domain
from relnotes.triage.history import History
from relnotes.triage.learned import fitted_for
from relnotes.triage.metadata_signals import metadata_signals
from relnotes.triage.policy import Choice, Policy, decide
from relnotes.triage.reverts import RevertPairs
from relnotes.triage.stakes import Stakes
from relnotes.triage.textscan import without_refs
from relnotes.triage.titles import clean_title
from relnotes.triage.weights import WEIGHTS
from relnotes.versions import Version
from relnotes.worksheet import Item, Worksheet

__all__ = ["Advance", "Plan", "Run", "Suggestion", "history_for", "plan_worksheet",
           "suggest_items"]

Advance = Callable[[int], None]
"""``advance(n)``: ``n`` more items are done (the run's progress counter)."""


@dataclass
class Suggestion:
    """The proposal for one item: where it goes, how sure, why, and what else to consider."""

    item: Item
    section: str  # one of categories.SUGGESTABLE, never "Untopiced"
    domain: str | None  # target domain when section == "miscategorized"
    confidence: float
    reasons: list[str]
    clean_title: str
    consider: list[str] = field(default_factory=list)  # alternatives, each with its reason
    stakes: Stakes | None = field(default=None, repr=False)
    flagged: str | None = None  # "bc breaking"/"deprecation" when the detector fired

    @property
    def current(self) -> str:
        return self.item.placement

    @property
    def changes(self) -> bool:
        """True when applying it would move the item."""
        return self.section != self.current

    @property
    def high_stakes(self) -> bool:
        """Suggested for, kept in, or flagged for BC-breaking / deprecation."""
        return self.section in HIGH_STAKES or self.flagged is not None

    def to_json(self) -> dict[str, Any]:
        """The per-item object of ``relnotes triage --format json`` (see README)."""
        return {
            "line": self.item.line,
            "section": self.current,
            "prs": list(self.item.prs),
            "title": self.item.title,
            "clean_title": self.clean_title,
            "suggestion": {
                "section": self.section,
                "domain": self.domain,
                "confidence": round(self.confidence, 3),
                "reasons": list(self.reasons),
                "consider": list(self.consider),
                "flagged": self.flagged,
            },
        }


@dataclass
class Plan:
    """One worksheet ready to triage: its items and what is the same for all of them."""

    worksheet: Worksheet
    items: list[Item]
    ctx: Context
    domain: str
    written: set[int]  # lines of BC/deprecation items with a written entry
    policy: Policy


def _release(ws: Worksheet, config: Config | None, release: str | Version | None,
             ) -> Version | None:
    if isinstance(release, Version):
        return release
    return release_of(Path(ws.path), release or (config.release if config else ""))


def history_for(ws: Worksheet, history: History | None, *, config: Config | None = None,
                release: str | Version | None = None, older_only: bool = True,
                ) -> History | None:
    """The history triage uses for ``ws``: with ``older_only``, only the releases older
    than the worksheet's own (``release``, else the ``release`` setting, else its folder
    name), so no reason cites the answer being predicted; all of it when the worksheet's
    release is not known."""
    version = _release(ws, config, release)
    if history is None or version is None or not older_only:
        return history
    return history.older_than(version)


def plan_worksheet(ws: Worksheet, *, metadata: Mapping[int, Any] | None = None,
                   history: History | None = None, config: Config | None = None,
                   known_domains: Collection[str] | None = None,
                   release: str | Version | None = None, older_only: bool = True) -> Plan:
    """What triaging ``ws`` needs besides its items (see
    :func:`relnotes.triage.run.triage_worksheet`)."""
    history = history_for(ws, history, config=config, release=release, older_only=older_only)
    known = set(known_domains) if known_domains is not None else known_domains_for(history)
    fitted = fitted_for(history)
    ctx = Context(history=history, metadata=metadata or {}, known=known,
                  api=api_diff_for(_release(ws, config, release)), fate=fitted.model,
                  alpha=fitted.policy.alpha)
    written = {e.line for e in extract_entries(ws)
               if e.rationale.strip() and (e.parts or e.no_code_reason)}
    return Plan(ws, ws.items(), ctx, normalise_domain(ws.domain, known or ()), written,
                fitted.policy)


def suggest_items(plan: Plan, pairs: RevertPairs, items: list[Item] | None = None, *,
                  advance: Advance | None = None) -> list[Suggestion]:
    """Assess and decide each item of the plan (or ``items``, some of them)."""
    ctx, domain = plan.ctx, plan.domain
    out = []
    for item in plan.items if items is None else items:
        meta = metadata_signals([ctx.metadata[p] for p in item_prs(item, ctx.metadata)
                                 if p in ctx.metadata], domain=domain, known=ctx.known)
        title = without_refs(item.title)
        a = assess(title, domain, item.placement, ctx, meta=meta,
                   revert_note=pairs.partner.get(id(item)), has_entry=item.line in plan.written)
        choice = decide(a, item.placement, plan.policy)
        out.append(_suggestion(item, a, choice, domain))
        if advance is not None:
            advance(1)
    return out


def _suggestion(item: Item, a: Assessment, choice: Choice, domain: str) -> Suggestion:
    reasons = a.reasons + choice.reasons
    conf = choice.confidence
    if choice.section == "miscategorized" or (choice.flagged is not None
                                              and choice.section not in HIGH_STAKES):
        # Sending an item to another team, or placing an item flagged as BC-breaking or
        # a deprecation elsewhere, is never applied unreviewed: cap the confidence below
        # the default --min-confidence.
        conf = min(conf, WEIGHTS.move_confidence_cap)
    return Suggestion(item, choice.section, choice.domain, conf, reasons,
                      clean_title(item.title, domain=domain), list(choice.consider),
                      a.stakes, choice.flagged)


@dataclass
class Run:
    """The worksheets of one triage run and what they are triaged with."""

    worksheets: list[Worksheet]
    metadata: Mapping[int, Any] | None = None
    history: History | None = None
    config: Config | None = None
    release: str | Version | None = None
    known_domains: Collection[str] | None = None
    older_only: bool = True
    _plans: dict[int, Plan] = field(default_factory=dict, repr=False)
    _items: dict[int, list[Item]] = field(default_factory=dict, repr=False)

    def items(self, i: int) -> list[Item]:
        """The items of worksheet ``i`` (listed once)."""
        if i not in self._items:
            self._items[i] = self.worksheets[i].items()
        return self._items[i]

    def plan(self, i: int) -> Plan:
        """The plan of worksheet ``i`` (made once)."""
        if i not in self._plans:
            self._plans[i] = plan_worksheet(
                self.worksheets[i], metadata=self.metadata, history=self.history,
                config=self.config, release=self.release, known_domains=self.known_domains,
                older_only=self.older_only)
        return self._plans[i]

    def history_of(self, i: int) -> History | None:
        """The history worksheet ``i`` is triaged with (see :func:`history_for`)."""
        return history_for(self.worksheets[i], self.history, config=self.config,
                           release=self.release, older_only=self.older_only)
