"""Combine the signals into one suggestion per item, with a confidence and the reasons.

The model is small on purpose, so every number can be explained. :func:`assess` turns
one title into a probability for each place it can end up:

1. *Does it leave the domain?* A domain-owning title tag (or, with metadata, the changed
   paths) that points to another worksheet of the release gives ``p_move``, raised when
   maintainers moved many items between those two domains before; for domains that
   often gave items away, the title's words can say where.
2. *Is it published?* Log-odds that start from what happened to items of the same domain
   and pre-sorted section in past releases, plus the title rules, the words of the title
   (history), near-identical past items, labels and files (metadata) and revert pairs.
3. *Which section?* Votes of the pre-sorted section, the rules, metadata labels, the
   domain's usual sections and the title words' lean in past releases.

Besides, :mod:`relnotes.triage.stakes` adds up the evidence that the item is BC-breaking
or a deprecation. The decision rule (:mod:`relnotes.triage.policy`) then keeps the item
where it is unless moving beats staying by a margin learned from history, and lists the
alternatives as "consider".
"""

from __future__ import annotations

import logging
import math
import time
import weakref
import zlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from relnotes.categories import CATEGORIES, PUBLISHED, same_domain
from relnotes.config import Config
from relnotes.entries import extract_entries
from relnotes.github.fetch import item_prs
from relnotes.release import release_of
from relnotes.triage.apidiff import ApiDiff, api_diff_for
from relnotes.triage.domains import (
    normalise_domain,
    owner_from_paths,
    owner_from_tags,
    same_family,
    table_domains,
)
from relnotes.triage.history import History, HistoryRecord, top_words
from relnotes.triage.metadata_signals import MetadataSignals, metadata_signals
from relnotes.triage.policy import Choice, Policy, Row, decide, fit_policy
from relnotes.triage.reverts import RevertPairs, find_revert_pairs, short_title, title_keys
from relnotes.triage.rules import match_rules
from relnotes.triage.stakes import Stakes, assess_stakes
from relnotes.triage.textscan import without_refs
from relnotes.triage.titles import clean_title
from relnotes.versions import Version, parse_version
from relnotes.worksheet import Item, Worksheet

__all__ = [
    "OUTCOMES",
    "Assessment",
    "Plan",
    "Progress",
    "RevertPairs",
    "Run",
    "Suggestion",
    "assess",
    "find_revert_pairs",
    "known_domains_for",
    "plan_worksheet",
    "policy_for",
    "remember_policy",
    "suggest_items",
    "title_keys",
    "triage_worksheet",
    "triage_worksheets",
]

log = logging.getLogger(__name__)

# Without history: how often items of each pre-sorted section end up published.
_DEFAULT_PUBLISH = {"Untopiced": 0.45, "not user facing": 0.12}
_DEFAULT_PUBLISH_SORTED = 0.75
_DEFAULT_MOVE = 0.03
# Weight of the pre-sorted section in the section vote (labels were right for most
# items that the generator sorted into a published section).
PRESORTED_VOTE = 2.0
# How much the domain's usual mix of sections counts against the title's wording.
SECTION_PRIOR_WEIGHT = 0.6
# How much the title words' lean towards a section counts (history), and its clip.
SECTION_WORDS_WEIGHT = 0.5
MOVE_CONFIDENCE_CAP = 0.85
_ORDER = tuple(c for c in CATEGORIES if c in PUBLISHED)  # published sections, in sheet order
OUTCOMES: tuple[str, ...] = (*_ORDER, "not user facing", "miscategorized")


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
        return (self.section in ("bc breaking", "deprecation")
                or self.flagged is not None)

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


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


class Progress:
    """A progress line on stderr for long runs (a terminal, or 1,000 items or more):
    items done of all, at most once a second."""

    def __init__(self, total: int, stream: TextIO | None = None, *, every: float = 1.0) -> None:
        if stream is not None and total < 1000 and not stream.isatty():
            stream = None
        self.total, self.count, self.stream, self.every = total, 0, stream, every
        self._last = time.monotonic()
        self._shown = False

    def advance(self, n: int = 1) -> None:
        self.count += n
        now = time.monotonic()
        if self.stream is not None and now - self._last >= self.every:
            self._last = now
            self._shown = True
            print(f"triage: {self.count}/{self.total} items", file=self.stream, flush=True)

    def done(self) -> None:
        if self.stream is not None and self._shown:
            print(f"triage: {self.count}/{self.total} items, done", file=self.stream, flush=True)


@dataclass
class Assessment:
    """What the signals say about one item, before the decision rule."""

    probs: dict[str, float]  # every outcome of OUTCOMES -> probability
    target: str | None  # the domain it would move to
    reasons: list[str]
    stakes: Stakes
    strong_exit: str | None = None  # evidence strong enough to leave bc breaking/deprecation


@dataclass
class Context:
    """What is the same for every item of a triage run."""

    history: History | None = None
    metadata: Mapping[int, Any] = field(default_factory=dict)
    known: set[str] | None = None  # domains of the release
    api: ApiDiff | None = None
    policy: Policy = field(default_factory=Policy)


def assess(title: str, domain: str, presorted: str, ctx: Context, *,
           meta: MetadataSignals | None = None, revert_note: str | None = None,
           has_entry: bool = False) -> Assessment:
    """The probability of each outcome for one item (``title`` without PR links)."""
    history = ctx.history
    meta = meta or MetadataSignals()
    reasons: list[str] = []
    votes: dict[str, float] = dict.fromkeys(_ORDER, 0.0)
    strong_exit: str | None = None

    # -- prior -------------------------------------------------------------------------------
    prior = history.prior(domain, presorted) if history is not None else None
    if prior is not None:
        p0, move0 = prior.publish, prior.moved
        for sec, share in prior.sections.items():
            votes[sec] += SECTION_PRIOR_WEIGHT * math.log(max(share, 1e-3))
        if prior.n:
            reasons.append(f"pre-sorted in {presorted}; past releases published "
                           f"{p0:.0%} of {prior.n:.0f} such {domain} items")
        else:
            reasons.append(f"pre-sorted in {presorted}; no such {domain} items in past "
                           f"releases, {p0:.0%} published across domains")
    else:
        p0 = _DEFAULT_PUBLISH.get(presorted, _DEFAULT_PUBLISH_SORTED)
        move0 = _DEFAULT_MOVE
        reasons.append(f"pre-sorted in {presorted}")
    if presorted in PUBLISHED:
        votes[presorted] += PRESORTED_VOTE
    logodds = _logit(p0)

    # -- title rules ---------------------------------------------------------------------------
    for rule in match_rules(title, domain=domain):
        logodds += rule.publish
        if rule.section:
            votes[rule.section] += rule.vote
        reasons.append(f"{rule.id} {rule.reason}")

    # -- history: words and near-identical past items --------------------------------------------
    if history is not None and len(history):
        evidence, words = history.word_evidence(title, domain)
        evidence = max(-2.5, min(2.5, 0.35 * evidence))
        logodds += evidence
        if abs(evidence) >= 0.5:
            leaning = "published" if evidence > 0 else "dropped"
            reasons.append(f"title words lean {leaning} in past releases: "
                           f"{', '.join(top_words(words))}")
        leans: list[tuple[float, str]] = []
        for sec, (ev, scored) in history.section_evidence(title, domain).items():
            ev = max(-2.0, min(2.0, SECTION_WORDS_WEIGHT * ev))
            votes[sec] += ev
            if ev >= 0.75:
                leans.append((ev, f"{sec} ({', '.join(top_words(scored)[:2])})"))
        if leans:  # one line, the strongest two: a reason per section buried the others
            strongest = [text for _, text in sorted(leans, reverse=True)[:2]]
            reasons.append(f"title words lean towards {' and '.join(strongest)} "
                           "in past releases")
        neighbours = history.neighbours(title, domain)
        if neighbours:
            best = neighbours[0]
            fate = best.record.fate
            if fate in PUBLISHED:
                logodds += 1.5
                votes[fate] += 1.5
            elif fate == "not user facing":
                logodds -= 1.5
            reasons.append(f'like "{short_title(best.record.title)}" ({best.score:.0f}% similar), '
                           f"{fate} in {best.record.release}")

    # -- metadata --------------------------------------------------------------------------------
    logodds += meta.publish
    for sec, weight in meta.votes.items():
        votes[sec] += weight
    reasons += meta.reasons
    if meta.publish <= -3.0:
        strong_exit = "PR metadata says not user facing"

    # -- revert pairs ------------------------------------------------------------------------------
    if revert_note is not None:
        logodds -= 6.0
        reasons.append(revert_note + " are both in this release: drop both")
        strong_exit = "revert pair"

    # -- a written entry ------------------------------------------------------------------------
    # A maintainer already wrote the rationale and migration code: that is a decision.
    if presorted in ("bc breaking", "deprecation") and has_entry:
        logodds += 6.0
        votes[presorted] += 8.0
        strong_exit = None
        reasons.append(f"a written {presorted} entry (rationale and code) is already here")

    p_publish = _sigmoid(logodds)
    target, p_move = _ownership(title, domain, meta, ctx, move0, reasons)
    if target is None:
        p_move = 0.0
    top = max(votes.values())
    exps = {s: math.exp(v - top) for s, v in votes.items()}
    total = sum(exps.values())
    probs = {s: (1 - p_move) * p_publish * e / total for s, e in exps.items()}
    probs["not user facing"] = (1 - p_move) * (1 - p_publish)
    probs["miscategorized"] = p_move
    stakes = assess_stakes(title, domain, history=history, api=ctx.api, meta=meta)
    return Assessment(probs, target, reasons, stakes, strong_exit)


def _ownership(title: str, domain: str, meta: MetadataSignals, ctx: Context, move0: float,
               reasons: list[str]) -> tuple[str | None, float]:
    """(target domain, probability the item leaves) from tags, paths and past moves."""
    history, known = ctx.history, ctx.known
    owner = owner_from_tags(title, known=known)
    if owner is None and history is not None:
        by_words = _moved_by_words(title, domain, known, history, reasons)
        if by_words is not None:
            return by_words
    if meta.files:
        by_paths = owner_from_paths(meta.files, known=known)
        if by_paths is not None:
            owner = by_paths
    if owner is None or same_domain(owner.domain, domain):
        return None, move0
    # Sub-domains of one family (distributed / distributed (dtensor)) trade items both
    # ways; outside a family a tag is strong evidence. Past items with the same kind of
    # tag in the same worksheet say how often maintainers acted on it.
    base = 0.3 if same_family(owner.domain, domain) else 0.65
    p = base
    if history is not None and len(history):
        moved, seen = history.tag_moves(domain, owner.domain)
        p = (moved + 3 * base) / (seen + 3)
        reasons.append(f"{owner.evidence} -> {owner.domain}; past releases moved {moved:.0f} "
                       f"of {seen:.0f} such {domain} items there")
    else:
        reasons.append(f"{owner.evidence} -> {owner.domain}")
    return owner.domain, max(p, move0)


def _moved_by_words(title: str, domain: str, known: set[str] | None, history: History,
                    reasons: list[str]) -> tuple[str, float] | None:
    """A move suggested by the title's words, for domains that often gave items away."""
    best: tuple[str, float] | None = None
    for target, share, evidence, words in history.move_evidence(title, domain):
        if known is not None and target not in known:
            continue
        p = _sigmoid(_logit(share) + evidence)
        if p >= 0.3 and (best is None or p > best[1]):
            best = (target, p)
            reasons.append(f"past releases moved {share:.0%} of {domain} items to {target}; "
                           f"title words point there: {', '.join(words)}")
    return best


def known_domains_for(history: History | None) -> set[str]:
    """Domains a move may target: those of the history and of the ownership tables.

    Deliberately not the worksheets beside the file: a worksheet's suggestions depend
    only on it, the history and the metadata, never on which files share its folder.
    """
    found = set(table_domains())
    if history is not None:
        found |= {r.domain for r in history.records}
    return found


def _release(ws: Worksheet, config: Config | None, release: str | Version | None,
             ) -> Version | None:
    if isinstance(release, Version):
        return release
    return release_of(Path(ws.path), release or (config.release if config else ""))


def triage_worksheet(ws: Worksheet, *, metadata: Mapping[int, Any] | None = None,
                     history: History | None = None, config: Config | None = None,
                     revert_pairs: RevertPairs | None = None,
                     known_domains: Collection[str] | None = None,
                     release: str | Version | None = None,
                     progress: Progress | None = None) -> list[Suggestion]:
    """One :class:`Suggestion` per item of ``ws``, in file order.

    ``metadata`` maps PR numbers to :class:`relnotes.github.PRRecord` (or anything with the
    same attributes); ``history`` defaults to none (rules and priors only) so library use
    is explicit; ``revert_pairs`` lets a caller pair reverts across a release's worksheets;
    ``release`` (else ``config.release``, else the worksheet's folder name) picks the API
    profiles compared for BC evidence.
    """
    if revert_pairs is None:
        revert_pairs = find_revert_pairs(ws.items(), metadata)
    plan = plan_worksheet(ws, metadata=metadata, history=history, config=config,
                          known_domains=known_domains, release=release)
    return suggest_items(plan, revert_pairs, progress=progress)


@dataclass
class Plan:
    """One worksheet ready to triage: its items and what is the same for all of them."""

    worksheet: Worksheet
    items: list[Item]
    ctx: Context
    domain: str
    written: set[int]  # lines of BC/deprecation items with a written entry


def plan_worksheet(ws: Worksheet, *, metadata: Mapping[int, Any] | None = None,
                   history: History | None = None, config: Config | None = None,
                   known_domains: Collection[str] | None = None,
                   release: str | Version | None = None) -> Plan:
    """What triaging ``ws`` needs besides its items (see :func:`triage_worksheet`)."""
    known = set(known_domains) if known_domains is not None else known_domains_for(history)
    ctx = Context(history=history, metadata=metadata or {}, known=known,
                  api=api_diff_for(_release(ws, config, release)),
                  policy=policy_for(history))
    written = {e.line for e in extract_entries(ws)
               if e.rationale.strip() and (e.parts or e.no_code_reason)}
    return Plan(ws, ws.items(), ctx, normalise_domain(ws.domain, known or ()), written)


def suggest_items(plan: Plan, pairs: RevertPairs, items: list[Item] | None = None, *,
                  progress: Progress | None = None) -> list[Suggestion]:
    """Assess and decide each item of the plan (or ``items``, some of them)."""
    ctx, domain = plan.ctx, plan.domain
    out = []
    for item in plan.items if items is None else items:
        meta = metadata_signals([ctx.metadata[p] for p in item_prs(item, ctx.metadata)
                                 if p in ctx.metadata])
        title = without_refs(item.title)
        a = assess(title, domain, item.placement, ctx, meta=meta,
                   revert_note=pairs.partner.get(id(item)), has_entry=item.line in plan.written)
        choice = decide(a, item.placement, ctx.policy)
        out.append(_suggestion(item, a, choice, domain))
        if progress is not None:
            progress.advance()
    return out


def _suggestion(item: Item, a: Assessment, choice: Choice, domain: str) -> Suggestion:
    reasons = a.reasons + choice.reasons
    conf = choice.confidence
    if choice.section == "miscategorized":
        # Sending an item to another team is never applied unreviewed: cap the confidence
        # below the default --min-confidence.
        conf = min(conf, MOVE_CONFIDENCE_CAP)
    return Suggestion(item, choice.section, choice.domain, conf, reasons,
                      clean_title(item.title, domain=domain), list(choice.consider),
                      a.stakes, choice.flagged)


def triage_worksheets(worksheets: list[Worksheet], *, metadata: Mapping[int, Any] | None = None,
                      history: History | None = None, config: Config | None = None,
                      release: str | Version | None = None,
                      known_domains: Collection[str] | None = None,
                      progress: Progress | None = None,
                      jobs: int | None = None) -> list[list[Suggestion]]:
    """Triage several worksheets of one release, pairing reverts across all of them.

    Reverts are paired across all the worksheets given (the reason names the partner);
    nothing else depends on which worksheets are triaged together. Large runs use
    ``jobs`` processes (default: one per core; see :mod:`relnotes.triage.parallel`);
    the suggestions are the same as with one.
    """
    from relnotes.triage.parallel import triage_in_parallel  # it imports this module

    run = Run(worksheets, metadata, history, config, release, known_domains)
    done = triage_in_parallel(run, jobs=jobs, progress=progress)
    if done is not None:
        return done
    pairs = find_revert_pairs([i for ws in worksheets for i in ws.items()], metadata)
    return [suggest_items(run.plan(i), pairs, progress=progress)
            for i in range(len(worksheets))]


@dataclass
class Run:
    """The worksheets of one triage run and what they are triaged with."""

    worksheets: list[Worksheet]
    metadata: Mapping[int, Any] | None = None
    history: History | None = None
    config: Config | None = None
    release: str | Version | None = None
    known_domains: Collection[str] | None = None
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
                config=self.config, release=self.release, known_domains=self.known_domains)
        return self._plans[i]


_POLICIES: weakref.WeakKeyDictionary[History, Policy] = weakref.WeakKeyDictionary()


def remember_policy(history: History, policy: Policy) -> None:
    """Use ``policy`` as what :func:`policy_for` learns from ``history`` (learned by
    another process, from the same history)."""
    _POLICIES[history] = policy


def policy_for(history: History | None) -> Policy:
    """The decision rule's numbers learned from ``history`` (computed once per history).

    Each history item is assessed by a model built from the *other* items: with two or
    more releases the folds are the releases (so the margin and the confidence
    calibration measure how decisions transfer to a release the model has not seen);
    with one release, two halves of it (which is more optimistic).
    """
    if history is None or not len(history):
        return Policy()
    cached = _POLICIES.get(history)
    if cached is not None:
        return cached
    releases = history.releases
    if len(releases) >= 2:
        folds = {r.release: r.release for r in history.records}
        source = "leave-one-release-out over " + ", ".join(releases)
    else:
        folds = {}
        source = f"two halves of {releases[0]}"

    def fold_of(record: HistoryRecord) -> str:
        return folds.get(record.release) or str(zlib.crc32(record.title.encode()) % 2)

    rows: list[Row] = []
    for fold in sorted({fold_of(r) for r in history.records}):
        train = history.subset(lambda r, f=fold: fold_of(r) != f)  # type: ignore[misc]
        held = [r for r in history.records if fold_of(r) == fold]
        for release in sorted({r.release for r in held}):
            ctx = Context(history=train, known=known_domains_for(train) | history.domains_of[release],
                          api=api_diff_for(parse_version(release)))
            for r in held:
                if r.release != release:
                    continue
                a = assess(r.title, r.domain, r.presorted, ctx)
                st = a.stakes
                rows.append(Row(r.presorted, r.fate, a.probs, st.score,
                                stakes_parts=(st.evidence, st.words, st.domain_rate)))
    policy = fit_policy(rows, source=source)
    log.info("triage policy learned from %s: margin %.2f, flag at %.1f, suggest at %.1f",
             source, policy.margin, policy.flag_at, policy.suggest_at)
    _POLICIES[history] = policy
    return policy
