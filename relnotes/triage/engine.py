"""Combine the signals into one suggestion per item, with a confidence and the reasons.

The model is small on purpose, so every number can be explained:

1. *Does it leave the domain?* A domain-owning title tag (or, with metadata, the changed
   paths) that points to another worksheet of the release gives ``p_move``, raised when
   maintainers moved many items between those two domains before.
2. *Is it published?* Log-odds that start from what happened to items of the same domain
   and pre-sorted section in past releases, plus the title rules, the words of the title
   (history), near-identical past items, labels and files (metadata) and revert pairs.
3. *Which section?* Votes of the pre-sorted section, the rules, metadata labels and the
   domain's usual sections.

The suggestion is the section (published when ``p_publish >= PUBLISH_AT``), ``not user
facing`` or ``miscategorized``; its confidence is the estimated probability that the
maintainers decide the same, so items at 0.9 or more can be applied without review.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from relnotes.categories import CATEGORIES, PUBLISHED
from relnotes.triage.domains import normalise_domain, owner_from_paths, owner_from_tags, same_family
from relnotes.triage.history import History, strip_links
from relnotes.triage.metadata_signals import MetadataSignals, metadata_signals
from relnotes.triage.rules import match_rules, reverted_title
from relnotes.triage.titles import clean_title
from relnotes.worksheet import Item, Worksheet

__all__ = [
    "PUBLISH_AT",
    "RevertPairs",
    "Suggestion",
    "find_revert_pairs",
    "triage_worksheet",
    "triage_worksheets",
]

# Publish when the estimated probability reaches this. Below 0.5 on purpose: a maintainer
# finds a wrongly proposed item at a glance, a missed one only by reading every dropped line.
PUBLISH_AT = 0.42

# Without history: how often items of each pre-sorted section end up published.
_DEFAULT_PUBLISH = {"Untopiced": 0.45, "not user facing": 0.12}
_DEFAULT_PUBLISH_SORTED = 0.75
_DEFAULT_MOVE = 0.03
# Weight of the pre-sorted section in the section vote (labels were right for most
# items that the generator sorted into a published section).
PRESORTED_VOTE = 2.0
# How much the domain's usual mix of sections counts against the title's wording.
SECTION_PRIOR_WEIGHT = 0.6
# Propose leaving the domain from this probability on.
MOVE_AT = 0.6
MOVE_CONFIDENCE_CAP = 0.85
_ORDER = tuple(c for c in CATEGORIES if c in PUBLISHED)  # published sections, in sheet order


@dataclass
class Suggestion:
    """The proposal for one item: where it goes, how sure, and why."""

    item: Item
    section: str  # one of categories.SUGGESTABLE, never "Untopiced"
    domain: str | None  # target domain when section == "miscategorized"
    confidence: float
    reasons: list[str]
    clean_title: str
    p_publish: float = field(default=0.0, repr=False)

    @property
    def current(self) -> str:
        sec = self.item.section
        return (sec.category or sec.name) if sec is not None else "Untopiced"

    @property
    def changes(self) -> bool:
        """True when applying it would move the item."""
        return self.section != self.current

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
            },
        }


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


@dataclass
class RevertPairs:
    """Items of a release that revert, or are reverted by, another item of the release."""

    partner: dict[int, str] = field(default_factory=dict)  # id(item) -> description

    def add(self, a: Item, b: Item) -> None:
        self.partner[id(a)] = f'revert pair: "{_short(a.title)}" and "{_short(b.title)}"'
        self.partner[id(b)] = self.partner[id(a)]


def _short(title: str, limit: int = 60) -> str:
    text = strip_links(title)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _norm(title: str) -> str:
    return re.sub(r"\W+", " ", strip_links(title).lower()).strip()


def find_revert_pairs(items: Iterable[Item], metadata: Mapping[int, Any] | None = None,
                      ) -> RevertPairs:
    """Pair ``Revert "X"`` items with X (by title, or by PR number from metadata)."""
    items = list(items)
    by_title: dict[str, list[Item]] = {}
    by_pr: dict[int, Item] = {}
    for item in items:
        by_title.setdefault(_norm(item.title), []).append(item)
        for pr in item.prs:
            by_pr.setdefault(pr, item)
    pairs = RevertPairs()
    for item in items:
        inner = reverted_title(strip_links(item.title))
        targets: list[Item] = []
        if inner:
            targets += [t for t in by_title.get(_norm(inner), []) if t is not item]
        for pr in item.prs:
            record = (metadata or {}).get(pr)
            for reverted in getattr(record, "reverts", None) or []:
                if reverted in by_pr and by_pr[reverted] is not item:
                    targets.append(by_pr[reverted])
        for target in targets[:1]:
            pairs.add(item, target)
    return pairs


def _known_domains(ws: Worksheet, history: History | None) -> set[str] | None:
    """Domains of this release: sibling worksheets' headings, else history's domains."""
    from relnotes.triage.siblings import sibling_domains

    found = sibling_domains(ws.path)
    if found:
        return found
    if history is not None and len(history):
        return {r.domain for r in history.records}
    return None


def triage_worksheet(ws: Worksheet, *, metadata: Mapping[int, Any] | None = None,
                     history: History | None = None, config: Any = None,
                     revert_pairs: RevertPairs | None = None,
                     known_domains: Collection[str] | None = None) -> list[Suggestion]:
    """One :class:`Suggestion` per item of ``ws``, in file order.

    ``metadata`` maps PR numbers to :class:`relnotes.github.PRRecord` (or anything with the
    same attributes); ``history`` defaults to none (rules and priors only) so library use
    is explicit; ``revert_pairs`` lets a caller pair reverts across a release's worksheets.
    """
    domain = normalise_domain(ws.domain)
    items = ws.items()
    if revert_pairs is None:
        revert_pairs = find_revert_pairs(items, metadata)
    known = set(known_domains) if known_domains is not None else _known_domains(ws, history)
    written = _written_entries(ws)
    return [_suggest(item, domain, metadata or {}, history, revert_pairs, known,
                     item.line in written)
            for item in items]


def triage_worksheets(worksheets: list[Worksheet], *, metadata: Mapping[int, Any] | None = None,
                      history: History | None = None, config: Any = None,
                      ) -> list[list[Suggestion]]:
    """Triage several worksheets of one release, pairing reverts across all of them."""
    pairs = find_revert_pairs([i for ws in worksheets for i in ws.items()], metadata)
    return [triage_worksheet(ws, metadata=metadata, history=history, config=config,
                             revert_pairs=pairs) for ws in worksheets]


def _written_entries(ws: Worksheet) -> set[int]:
    """First lines of BC/deprecation entries that already have a rationale and code (or an
    explicit ``no code:`` reason): a maintainer has decided those."""
    from relnotes.entries import extract_entries

    return {e.line for e in extract_entries(ws)
            if e.rationale.strip() and (e.parts or e.no_code_reason)}


def _suggest(item: Item, domain: str, metadata: Mapping[int, Any], history: History | None,
             pairs: RevertPairs, known: set[str] | None, has_entry: bool = False,
             ) -> Suggestion:
    presorted = item.section.category if item.section and item.section.category else "Untopiced"
    title = strip_links(item.title)
    reasons: list[str] = []
    votes: dict[str, float] = dict.fromkeys(_ORDER, 0.0)
    meta: MetadataSignals = metadata_signals([metadata[p] for p in item.prs if p in metadata])

    # -- prior -------------------------------------------------------------------------------
    prior = history.prior(domain, presorted) if history is not None else None
    if prior is not None:
        p0, move0 = prior.publish, prior.moved
        for sec, share in prior.sections.items():
            votes[sec] += SECTION_PRIOR_WEIGHT * math.log(max(share, 1e-3))
        if prior.n:
            reasons.append(f"pre-sorted in {presorted}; past releases published "
                           f"{p0:.0%} of {prior.n} such {domain} items")
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
            reasons.append(f"title words lean {leaning} in past releases: {', '.join(words)}")
        neighbours = history.neighbours(title, domain)
        if neighbours:
            best = neighbours[0]
            fate = best.record.fate
            if fate in PUBLISHED:
                logodds += 1.5
                votes[fate] += 1.5
            elif fate == "not user facing":
                logodds -= 1.5
            reasons.append(f'like "{_short(best.record.title)}" ({best.score:.0f}% similar), '
                           f"{fate} in {best.record.release}")

    # -- metadata --------------------------------------------------------------------------------
    logodds += meta.publish
    for sec, weight in meta.votes.items():
        votes[sec] += weight
    reasons += meta.reasons

    # -- revert pairs ------------------------------------------------------------------------------
    if id(item) in pairs.partner:
        logodds -= 6.0
        reasons.append(pairs.partner[id(item)] + " are both in this release: drop both")

    # -- a written entry ------------------------------------------------------------------------
    # A maintainer already wrote the rationale and migration code: that is a decision.
    if presorted in ("bc breaking", "deprecation") and has_entry:
        logodds += 6.0
        votes[presorted] += 8.0
        reasons.append(f"a written {presorted} entry (rationale and code) is already here")

    p_publish = _sigmoid(logodds)

    # -- ownership -------------------------------------------------------------------------------
    target, p_move = _ownership(item, domain, meta, known, history, move0, reasons)

    cleaned = clean_title(item.title, domain=domain)
    if target is not None and p_move >= MOVE_AT:
        # Sending an item to another team is never applied unreviewed: cap the confidence
        # below the default --min-confidence.
        conf = min(p_move, MOVE_CONFIDENCE_CAP)
        return Suggestion(item, "miscategorized", target, conf, reasons, cleaned, p_publish)
    stay = 1.0 - p_move
    if p_publish >= PUBLISH_AT:
        section, share = _pick_section(votes)
        conf = p_publish * share * stay
        reasons.append(f"published with p={p_publish:.2f}; {section} gets {share:.0%} of votes")
        return Suggestion(item, section, None, conf, reasons, cleaned, p_publish)
    conf = (1.0 - p_publish) * stay
    reasons.append(f"dropped: p(published)={p_publish:.2f}")
    return Suggestion(item, "not user facing", None, conf, reasons, cleaned, p_publish)


def _pick_section(votes: dict[str, float]) -> tuple[str, float]:
    """The section with most votes and its softmax share (how clear the choice is)."""
    exps = {s: math.exp(v) for s, v in votes.items()}
    total = sum(exps.values())
    best = max(_ORDER, key=lambda s: (votes[s], -_ORDER.index(s)))
    return best, exps[best] / total


def _ownership(item: Item, domain: str, meta: MetadataSignals, known: set[str] | None,
               history: History | None, move0: float, reasons: list[str],
               ) -> tuple[str | None, float]:
    """(target domain, probability the item leaves) from tags, paths and past moves."""
    owner = owner_from_tags(item.title, known=known)
    if owner is None and history is not None:
        by_words = _moved_by_words(item, domain, known, history, reasons)
        if by_words is not None:
            return by_words
    if meta.files:
        by_paths = owner_from_paths(meta.files, known=known)
        if by_paths is not None:
            owner = by_paths
    if owner is None or normalise_domain(owner.domain) == domain:
        return None, move0
    # Sub-domains of one family (distributed / distributed (dtensor)) trade items both
    # ways; outside a family a tag is strong evidence. Past items with the same kind of
    # tag in the same worksheet say how often maintainers acted on it.
    base = 0.3 if same_family(owner.domain, domain) else 0.65
    p = base
    if history is not None and len(history):
        moved, seen = history.tag_moves(domain, owner.domain)
        p = (moved + 3 * base) / (seen + 3)
        reasons.append(f"{owner.evidence} -> {owner.domain}; past releases moved {moved} of "
                       f"{seen} such {domain} items there")
    else:
        reasons.append(f"{owner.evidence} -> {owner.domain}")
    return owner.domain, max(p, move0)


def _moved_by_words(item: Item, domain: str, known: set[str] | None, history: History,
                    reasons: list[str]) -> tuple[str, float] | None:
    """A move suggested by the title's words, for domains that often gave items away."""
    best: tuple[str, float] | None = None
    for target, share, evidence, words in history.move_evidence(strip_links(item.title), domain):
        if known is not None and target not in known:
            continue
        p = _sigmoid(_logit(share) + evidence)
        if p >= MOVE_AT and (best is None or p > best[1]):
            best = (target, p)
            reasons.append(f"past releases moved {share:.0%} of {domain} items to {target}; "
                           f"title words point there: {', '.join(words)}")
    return best
