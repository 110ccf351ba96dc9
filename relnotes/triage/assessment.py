"""The model: what the signals say about one item, as a probability for each place.

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

Then the fate model (:mod:`relnotes.triage.model`), when the history has one, gives its
own probability for each place; the two are mixed with a weight learned across releases.
Besides, :mod:`relnotes.triage.stakes` adds up the evidence that the item is BC-breaking
or a deprecation. How much each signal counts is one named table
(:mod:`relnotes.triage.weights`). The decision rule (:mod:`relnotes.triage.policy`)
then keeps the item where it is unless moving beats staying by a margin learned from
history, and lists the alternatives as "consider".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from relnotes.categories import HIGH_STAKES, PUBLISHED, same_domain
from relnotes.triage.apidiff import ApiDiff
from relnotes.triage.domains import (
    owner_from_paths,
    owner_from_tags,
    same_family,
    table_domains,
)
from relnotes.triage.history import History, Prior, top_words
from relnotes.triage.metadata_signals import MetadataSignals
from relnotes.triage.model import OUTCOMES, FateModel, high_stakes_logodds
from relnotes.triage.reverts import short_title
from relnotes.triage.rules import match_rules
from relnotes.triage.stakes import Stakes, assess_stakes
from relnotes.triage.weights import WEIGHTS

__all__ = ["OUTCOMES", "Assessment", "Context", "assess", "known_domains_for"]

_ORDER = OUTCOMES[:-2]  # published sections, in sheet order


@dataclass
class Assessment:
    """What the signals say about one item, before the decision rule."""

    probs: dict[str, float]  # every outcome of OUTCOMES -> probability
    target: str | None  # the domain it would move to
    reasons: list[str]
    stakes: Stakes
    strong_exit: str | None = None  # evidence strong enough to leave bc breaking/deprecation
    engine: dict[str, float] | None = None  # the engine's probabilities, before the mix
    model: dict[str, float] | None = None  # the fate model's (places the item can go)


@dataclass
class Context:
    """What is the same for every item assessed together."""

    history: History | None = None
    metadata: Mapping[int, Any] = field(default_factory=dict)
    known: set[str] | None = None  # domains a move may target
    api: ApiDiff | None = None
    fate: FateModel | None = None  # the history's fate model, if it has one
    alpha: float = 0.0  # its weight in the mix (learned with the decision rule)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def assess(title: str, domain: str, presorted: str, ctx: Context, *,
           meta: MetadataSignals | None = None, revert_note: str | None = None,
           has_entry: bool = False) -> Assessment:
    """The probability of each outcome for one item (``title`` without PR links)."""
    w = WEIGHTS
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
            votes[sec] += w.section_prior_weight * math.log(max(share, w.section_share_floor))
        reasons.append(_prior_reason(prior, presorted, domain))
    else:
        p0 = {"Untopiced": w.default_publish_untopiced,
              "not user facing": w.default_publish_dropped,
              }.get(presorted, w.default_publish_sorted)
        move0 = w.default_move
        reasons.append(f"pre-sorted in {presorted}")
    if presorted in PUBLISHED:
        votes[presorted] += w.presorted_vote
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
        clip = w.publish_words_clip
        evidence = max(-clip, min(clip, w.publish_words_weight * evidence))
        logodds += evidence
        if abs(evidence) >= w.publish_words_reason_at:
            leaning = "published" if evidence > 0 else "dropped"
            reasons.append(f"title words lean {leaning} in past releases: "
                           f"{', '.join(top_words(words))}")
        leans: list[tuple[float, str]] = []
        clip = w.section_words_clip
        for sec, (ev, scored) in history.section_evidence(title, domain).items():
            ev = max(-clip, min(clip, w.section_words_weight * ev))
            votes[sec] += ev
            if ev >= w.section_words_reason_at:
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
                logodds += w.neighbour
                votes[fate] += w.neighbour
            elif fate == "not user facing":
                logodds -= w.neighbour
            reasons.append(f'like "{short_title(best.record.title)}" ({best.score:.0f}% similar), '
                           f"{fate} in {best.record.release}")

    # -- metadata --------------------------------------------------------------------------------
    logodds += meta.publish
    for sec, weight in meta.votes.items():
        votes[sec] += weight
    reasons += meta.reasons
    if meta.publish <= w.metadata_exit_at:
        strong_exit = "PR metadata says not user facing"
    if meta.owner is not None and not same_domain(meta.owner, domain):
        strong_exit = f"its PR label names domain {meta.owner}"

    # -- revert pairs ------------------------------------------------------------------------------
    if revert_note is not None:
        logodds -= w.revert_pair
        reasons.append(revert_note + " are both in this release: drop both")
        strong_exit = "revert pair"

    # -- a written entry ------------------------------------------------------------------------
    # A maintainer already wrote the rationale and migration code: that is a decision.
    if presorted in HIGH_STAKES and has_entry:
        logodds += w.entry_publish
        votes[presorted] += w.entry_vote
        strong_exit = None
        reasons.append(f"a written {presorted} entry (rationale and code) is already here")

    p_publish = _sigmoid(logodds)
    target, p_move, moved_by_meta = _ownership(title, domain, meta, ctx, move0, reasons)
    if target is None:
        p_move = 0.0
    top = max(votes.values())
    exps = {s: math.exp(v - top) for s, v in votes.items()}
    total = sum(exps.values())
    probs = {s: (1 - p_move) * p_publish * e / total for s, e in exps.items()}
    probs["not user facing"] = (1 - p_move) * (1 - p_publish)
    probs["miscategorized"] = p_move
    stakes = assess_stakes(title, domain, history=history, api=ctx.api, meta=meta)
    if ctx.fate is None:
        return Assessment(probs, target, reasons, stakes, strong_exit, probs)
    model = ctx.fate.probs(title, domain, presorted)
    stakes.lr = high_stakes_logodds(model)
    if target is None:  # no domain to send it to: the places it can go
        rest = 1.0 - model.get("miscategorized", 0.0)
        model = {k: (0.0 if k == "miscategorized" else v / rest) for k, v in model.items()}
    model = _with_metadata(model, meta, probs["miscategorized"] if moved_by_meta else 0.0)
    mixed = _mix(probs, model, ctx.alpha)
    mixed_best = _top(mixed)
    if mixed_best != _top(probs) and mixed_best == _top(model):  # the model changed it
        releases = ctx.fate.releases
        span = releases[0] if len(releases) == 1 else f"{releases[0]}-{releases[-1]}"
        reasons.append(f"a model of {span}'s decisions: {mixed_best} "
                       f"p={model.get(mixed_best, 0.0):.2f} (weight {ctx.alpha:.1f})")
    return Assessment(mixed, target, reasons, stakes, strong_exit, probs, model)


def _with_metadata(p: dict[str, float], meta: MetadataSignals, p_move: float,
                   ) -> dict[str, float]:
    """The fate model's probabilities with what the PR metadata says applied the way the
    engine applies it (the model learned from titles only): section votes, publish
    log-odds, and a move a label or the changed files decide (``p_move``, the engine's
    probability of it; 0: none)."""
    if not (meta.votes or meta.publish or p_move):
        return p
    out = dict(p)
    published = [s for s in _ORDER if s in out]
    mass = sum(out[s] for s in published)
    if meta.votes and mass > 0:
        raw = {s: out[s] * math.exp(meta.votes.get(s, 0.0)) for s in published}
        total = sum(raw.values())
        out.update({s: mass * v / total for s, v in raw.items()})
    if meta.publish:
        kept = mass + out["not user facing"]
        odds = (mass / max(out["not user facing"], 1e-9)) * math.exp(meta.publish)
        new_mass = kept * odds / (1 + odds)
        out.update({s: out[s] * new_mass / mass for s in published} if mass > 0 else {})
        out["not user facing"] = kept - new_mass
    if p_move > out["miscategorized"]:
        scale = (1 - p_move) / max(1 - out["miscategorized"], 1e-9)
        out = {k: v * scale for k, v in out.items()}
        out["miscategorized"] = p_move
    return out


def _mix(engine: dict[str, float], model: dict[str, float], alpha: float) -> dict[str, float]:
    if not alpha:
        return engine
    return {k: (1 - alpha) * v + alpha * model.get(k, 0.0) for k, v in engine.items()}


def _top(probs: dict[str, float]) -> str:
    """The likeliest place but BC-breaking/deprecation (the detector's call)."""
    return max((s for s in probs if s not in HIGH_STAKES), key=lambda s: probs[s])


def _prior_reason(prior: Prior, presorted: str, domain: str) -> str:
    """What past releases did with items like this one. A rate is cited with the number
    of items behind it only when that number is at least one: items of older releases
    weigh less, and "71% of 0 such items" (one item at weight 0.5) said nothing true."""
    if round(prior.n) >= 1:
        return (f"pre-sorted in {presorted}; past releases published "
                f"{prior.publish:.0%} of {prior.n:.0f} such {domain} items")
    if prior.count:
        return (f"pre-sorted in {presorted}; {_items(prior.count, domain)} in older releases "
                f"only, {prior.publish:.0%} published across domains")
    return (f"pre-sorted in {presorted}; no such {domain} items in past "
            f"releases, {prior.publish:.0%} published across domains")


def _items(n: int, domain: str) -> str:
    return f"{n} such {domain} item" + ("" if n == 1 else "s")


def _ownership(title: str, domain: str, meta: MetadataSignals, ctx: Context, move0: float,
               reasons: list[str]) -> tuple[str | None, float, bool]:
    """(target domain, probability the item leaves, whether PR metadata decided it) from
    a label, changed paths, tags and past moves, in that order of strength."""
    w = WEIGHTS
    history, known = ctx.history, ctx.known
    if meta.owner is not None and not same_domain(meta.owner, domain):
        # the author's `release notes:` label: whose item it is, stronger than any guess
        reasons.append(f"label '{meta.owner_label}' -> {meta.owner}")
        return meta.owner, max(w.move_by_label, move0), True
    if meta.labelled_here:  # the label names this worksheet: no tag or file says otherwise
        return None, move0, False
    if meta.files and not meta.ci_only:  # CI work is dropped where it is, not sent away
        by_paths = owner_from_paths(meta.files, known=known)
        if by_paths is not None:
            if same_domain(by_paths.domain, domain):
                return None, move0, False  # the files are this worksheet's
            reasons.append(f"{by_paths.evidence} -> {by_paths.domain}")
            return by_paths.domain, max(w.move_by_paths, move0), True
    owner = owner_from_tags(title, known=known)
    if owner is None and history is not None:
        by_words = _moved_by_words(title, domain, known, history, reasons)
        if by_words is not None:
            return (*by_words, False)
    if owner is None or same_domain(owner.domain, domain):
        return None, move0, False
    # Sub-domains of one family (distributed / distributed (dtensor)) trade items both
    # ways; outside a family a tag is strong evidence. Past items with the same kind of
    # tag in the same worksheet say how often maintainers acted on it.
    base = w.move_in_family if same_family(owner.domain, domain) else w.move_by_tag
    p = base
    if history is not None and len(history):
        past = history.tag_moves(domain, owner.domain)
        k = w.move_pseudocount
        p = (past.moved + k * base) / (past.seen + k)
        if round(past.seen) >= 1:
            told = (f"past releases moved {past.moved:.0f} of {past.seen:.0f} such {domain} "
                    "items there")
        elif past.count:
            told = (f"{_items(past.count, domain)} in older releases only, "
                    f"{past.moved_count} moved there")
        else:
            told = f"no such {domain} items in past releases"
        reasons.append(f"{owner.evidence} -> {owner.domain}; {told}")
    else:
        reasons.append(f"{owner.evidence} -> {owner.domain}")
    return owner.domain, max(p, move0), False


def _moved_by_words(title: str, domain: str, known: set[str] | None, history: History,
                    reasons: list[str]) -> tuple[str, float] | None:
    """A move suggested by the title's words, for domains that often gave items away."""
    best: tuple[str, float] | None = None
    for target, share, evidence, words in history.move_evidence(title, domain):
        if known is not None and target not in known:
            continue
        p = _sigmoid(_logit(share) + evidence)
        if p >= WEIGHTS.move_by_words_at and (best is None or p > best[1]):
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
