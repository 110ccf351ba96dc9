"""The decision rule: never worse than staying when unsure.

A pre-sorted item moves only when the probability of its best alternative beats its
pre-sorted section's by a *margin*; otherwise it stays and the alternative is listed as
"consider". Pre-sorted BC-breaking and deprecation items (their authors labelled them on
purpose) leave only on strong evidence (a revert pair, PR metadata that says not user
facing). Untopiced items have no stay: they get the best section. The high-stakes
detector's score flags an item for BC-breaking/deprecation from ``flag_at`` on (listed
as "consider") and suggests the section from ``suggest_at`` on.

Every number of a :class:`Policy` is learned from history by :func:`fit_policy`, on
items the model did not see (cross-validation, ``learned.fit_from_history``): the margin
that maximises agreement with maintainers, the detector thresholds under a budget of
flagged items, and a calibration of confidence (isotonic, per kind of decision), so
that "0.9" means "maintainers agreed 9 times in 10 on releases the model had not seen".
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from relnotes.categories import HIGH_STAKES
from relnotes.triage.stakes import HISTORY_SCALE, history_term

__all__ = [
    "FLAG_BUDGET",
    "Calibration",
    "Choice",
    "Policy",
    "Row",
    "decide",
    "fit_policy",
]

# Published sections a section vote may pick (BC/deprecation are the detector's call).
PUBLISHED_OUTCOMES = frozenset({"new features", "improvements", "bug fixes", "performance",
                                "docs", "devs", "security"})
# Share of all items the detector may flag (the issue allows 3%; keep a safety margin).
FLAG_BUDGET = 0.025
# An alternative is worth a "consider" line from this probability on.
CONSIDER_AT = 0.2
_MARGINS = tuple(round(0.05 * i, 2) for i in range(17))


class AssessmentLike(Protocol):
    probs: dict[str, float]
    target: str | None
    strong_exit: str | None

    @property
    def stakes(self) -> StakesLike: ...


class StakesLike(Protocol):
    score: float
    kind: str
    reasons: list[str]
    labelled: bool
    evidence: float
    words: float
    domain_rate: float
    words_note: str


@dataclass(frozen=True)
class Calibration:
    """An increasing map from a raw probability to observed agreement (isotonic)."""

    xs: tuple[float, ...] = ()
    ys: tuple[float, ...] = ()

    def __call__(self, raw: float) -> float:
        if not self.xs:
            return raw
        i = bisect.bisect_right(self.xs, raw) - 1
        return self.ys[max(0, i)]

    @staticmethod
    def fit(pairs: Iterable[tuple[float, bool]], *, prior: float = 1.0) -> Calibration:
        """Pool-adjacent-violators on (raw, agreed); each block's value is smoothed
        towards 1/2 by ``prior`` pseudo-counts so a block of three never says 100%."""
        data = sorted(pairs)
        if len(data) < 20:
            return Calibration()
        blocks: list[list[float]] = []  # [sum agreed, count, first raw]
        for raw, ok in data:
            blocks.append([float(ok), 1.0, raw])
            while len(blocks) > 1 and (blocks[-2][0] / blocks[-2][1]
                                       >= blocks[-1][0] / blocks[-1][1]):
                s, n, _ = blocks.pop()
                blocks[-1][0] += s
                blocks[-1][1] += n
        xs = tuple(b[2] for b in blocks)
        ys = tuple((b[0] + prior / 2) / (b[1] + prior) for b in blocks)
        ys = tuple(max(ys[:i + 1]) for i in range(len(ys)))  # keep it increasing
        return Calibration((0.0, *xs[1:]), ys)


@dataclass(frozen=True)
class Policy:
    """The learned numbers of the decision rule (defaults: no history)."""

    margin: float = 0.2
    publish_at: float = 0.5  # Untopiced items are published from this probability on
    flag_at: float = 2.5
    suggest_at: float = 4.0
    calibration: Mapping[str, Calibration] = field(default_factory=dict)
    stakes_precision: float = 0.5  # share of suggested-from-detector items that were right
    learned_from: str = "defaults (no history)"
    # weights of the history's words and of the domain's usual share in the detector's
    # score (defaults: the words as stakes.assess_stakes counts them, no domain share)
    stakes_words: float = HISTORY_SCALE
    stakes_domain: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The policy as JSON data (floats round-trip exactly: the same suggestions)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["calibration"] = {kind: {"xs": list(cal.xs), "ys": list(cal.ys)}
                               for kind, cal in self.calibration.items()}
        return data

    @classmethod
    def from_json(cls, data: Any) -> Policy:
        """A policy from :meth:`to_json` data; ValueError when it is not one."""
        names = {f.name for f in fields(cls)}
        if not isinstance(data, dict) or set(data) != names:
            raise ValueError(f"a policy has the keys {', '.join(sorted(names))}")
        try:
            cal = {kind: Calibration(tuple(map(float, c["xs"])), tuple(map(float, c["ys"])))
                   for kind, c in dict(data["calibration"]).items()}
            numbers = {k: float(v) for k, v in data.items()
                       if k not in ("calibration", "learned_from")}
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a policy: {exc}") from None
        if any(len(c.xs) != len(c.ys) for c in cal.values()):
            raise ValueError("calibration xs and ys differ in length")
        return cls(**numbers, calibration=cal, learned_from=str(data["learned_from"]))

    def confidence(self, kind: str, raw: float) -> float:
        cal = self.calibration.get(kind)
        return cal(raw) if cal is not None else raw

    def stakes_score(self, stakes: StakesLike) -> float:
        """The detector's score: its evidence, the history's words and the domain's
        usual share of BC-breaking/deprecation items, with the learned weights."""
        return (stakes.evidence + history_term(stakes.words, self.stakes_words)
                + self.stakes_domain * stakes.domain_rate)


@dataclass
class Choice:
    section: str
    domain: str | None
    confidence: float
    kind: str  # "stay", "move", "untopiced", "stakes", "kept"
    reasons: list[str]
    consider: list[str]
    flagged: str | None = None


def _best(probs: Mapping[str, float], exclude: Sequence[str] = ()) -> str:
    return max((s for s in probs if s not in exclude), key=lambda s: probs[s])


def decide(a: AssessmentLike, presorted: str, policy: Policy) -> Choice:
    """Where the item goes, how sure, and what else to consider (see the module doc)."""
    probs = a.probs
    stakes = a.stakes
    # BC-breaking and deprecation are the detector's call, never the section vote's.
    best = _best(probs, HIGH_STAKES)
    reasons: list[str] = []
    score = policy.stakes_score(stakes)
    flagged = stakes.kind if score >= policy.flag_at or stakes.labelled else None
    if presorted in HIGH_STAKES:
        if a.strong_exit is None:
            section, kind = presorted, "kept"
            reasons.append(f"pre-sorted {presorted} items leave only on strong evidence; "
                           "none here")
            flagged = flagged or presorted
        else:
            section, kind = _best(probs, HIGH_STAKES), "move"
            reasons.append(f"leaves {presorted}: {a.strong_exit}")
    elif a.strong_exit is not None and best != presorted:
        section, kind = best, "move"
        reasons.append(f"leaves {presorted}: {a.strong_exit}")
    elif flagged is not None and (score >= policy.suggest_at or stakes.labelled):
        section, kind = flagged, "stakes"
        reasons.append(f"{flagged} evidence {score:.1f} >= {policy.suggest_at:.1f}: "
                       + "; ".join(_stakes_reasons(stakes, policy)))
    elif presorted not in probs:  # Untopiced or an unknown heading: no stay
        published = sum(p for s, p in probs.items() if s in PUBLISHED_OUTCOMES)
        if published >= policy.publish_at and best not in PUBLISHED_OUTCOMES:
            best = _best({s: p for s, p in probs.items() if s in PUBLISHED_OUTCOMES})
        section, kind = best, "untopiced"
        reasons.append(f"not sorted yet: best is {best} (p={probs[best]:.2f}; published "
                       f"p={published:.2f}, publish from {policy.publish_at:.2f})")
    elif best != presorted and probs[best] - probs[presorted] >= policy.margin:
        section, kind = best, "move"
        reasons.append(f"{best} p={probs[best]:.2f} beats {presorted} p={probs[presorted]:.2f} "
                       f"by the learned margin {policy.margin:.2f}")
    else:
        section, kind = presorted, "stay"
        if best != presorted:
            reasons.append(f"stays: {best} p={probs[best]:.2f} does not beat {presorted} "
                           f"p={probs[presorted]:.2f} by the learned margin {policy.margin:.2f}")
    domain = a.target if section == "miscategorized" else None
    if kind == "stakes":
        conf = policy.stakes_precision
    else:
        raw = probs.get(section, 0.0) if kind != "kept" else max(probs.get(section, 0.0), 0.5)
        conf = policy.confidence(kind, raw)
    consider = []
    if flagged is not None and section not in HIGH_STAKES:
        consider.append(f"{flagged} (score {score:.1f}, flagged from {policy.flag_at:.1f}): "
                        + "; ".join(_stakes_reasons(stakes, policy)))
    for alt in sorted(probs, key=lambda s: -probs[s]):
        if alt != section and probs[alt] >= CONSIDER_AT:
            where = f" -> {a.target}" if alt == "miscategorized" and a.target else ""
            consider.append(f"{alt}{where} (p={probs[alt]:.2f})")
    return Choice(section, domain, conf, kind, reasons, consider[:3], flagged)


def _stakes_reasons(stakes: StakesLike, policy: Policy) -> list[str]:
    """The detector's reasons with the learned parts as they count in the score."""
    reasons = list(stakes.reasons)
    words = history_term(stakes.words, policy.stakes_words)
    if abs(words) >= 0.3 and stakes.words_note:
        reasons.append(f"{stakes.words_note} ({words:+.1f})")
    domain = policy.stakes_domain * stakes.domain_rate
    if abs(domain) >= 0.3:
        reasons.append(f"past releases filed {'more' if domain > 0 else 'fewer'} of this "
                       f"domain's items as BC-breaking/deprecation than average ({domain:+.1f})")
    return reasons


@dataclass(frozen=True)
class Row:
    """One history item assessed by a model that did not see it."""

    presorted: str
    fate: str
    probs: Mapping[str, float]
    stakes: float  # the detector's score with the default weights
    strong_exit: bool = False
    stakes_parts: tuple[float, float, float] = (0.0, 0.0, 0.0)  # evidence, words, domain


def fit_policy(rows: Sequence[Row], *, source: str) -> Policy:
    """The margin, detector thresholds and calibration that fit ``rows`` best."""
    if len(rows) < 50:
        return Policy(learned_from=f"defaults ({source}: too few items)")
    movable = [r for r in rows if r.presorted in r.probs and r.presorted not in HIGH_STAKES]
    margin = _fit_margin(movable)
    publish_at = _fit_publish_at([r for r in rows if r.presorted not in r.probs])
    flag_at, suggest_at, precision, words, domain = _fit_stakes(rows, margin)
    base = Policy(margin=margin, publish_at=publish_at, flag_at=flag_at,
                  suggest_at=suggest_at, stakes_precision=precision, stakes_words=words,
                  stakes_domain=domain)
    # Calibrate with the decisions this policy makes on the same unseen items.
    samples: dict[str, list[tuple[float, bool]]] = {}
    for r in rows:
        choice = decide(_RowAssessment(r), r.presorted, base)
        raw = r.probs.get(choice.section, 0.0)
        if choice.kind == "kept":
            raw = max(raw, 0.5)
        samples.setdefault(choice.kind, []).append((raw, choice.section == r.fate))
    calibration = {kind: Calibration.fit(pairs) for kind, pairs in samples.items()}
    return Policy(margin=margin, publish_at=publish_at, flag_at=flag_at,
                  suggest_at=suggest_at, calibration=calibration,
                  stakes_precision=precision, learned_from=source, stakes_words=words,
                  stakes_domain=domain)


def _fit_margin(rows: Sequence[Row]) -> float:
    """The margin with most agreement; ties go to the larger margin (stay when unsure)."""
    # per row: (how much the best alternative beats the stay, move right?, stay right?)
    gaps = []
    for r in rows:
        top = _best(r.probs, HIGH_STAKES)
        if top != r.presorted:
            gaps.append((r.probs[top] - r.probs[r.presorted], top == r.fate,
                         r.presorted == r.fate))
        else:
            gaps.append((-1.0, False, r.presorted == r.fate))
    best_margin, best_ok = _MARGINS[-1], -1
    for m in reversed(_MARGINS):
        ok = sum((move_ok if gap >= m else stay_ok) for gap, move_ok, stay_ok in gaps)
        if ok > best_ok:
            best_margin, best_ok = m, ok
    return best_margin


def _fit_publish_at(rows: Sequence[Row]) -> float:
    """For unsorted items: the published-probability threshold with most agreement."""
    best_t, best_ok = 0.5, -1
    for t in (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6):
        policy = Policy(publish_at=t, flag_at=99.0, suggest_at=99.0)
        ok = sum(decide(_RowAssessment(r), r.presorted, policy).section == r.fate for r in rows)
        if ok > best_ok:
            best_t, best_ok = t, ok
    return best_t


def _fit_stakes(rows: Sequence[Row], margin: float,
                ) -> tuple[float, float, float, float, float]:
    """(flag_at, suggest_at, precision of suggestions, words weight, domain weight).

    The weights are the pair of a small grid whose score finds the most of the history's
    BC-breaking/deprecation items within the budget (ties: the smaller weights); the
    flag threshold is the lowest score within the budget. Suggesting the section moves
    the item, so like any move it must beat staying by the margin: the suggest threshold
    is the lowest at which suggestions were right that much more often than not
    (precision >= (1 + margin) / 2, smoothed)."""
    budget = FLAG_BUDGET * len(rows)
    presorted = sum(r.presorted in HIGH_STAKES for r in rows)
    others = [r for r in rows if r.presorted not in HIGH_STAKES]
    best: tuple[int, float, float, float] | None = None  # (found, -w, -d, flag_at)
    for w in _WORD_WEIGHTS:
        for d in _DOMAIN_WEIGHTS:
            scored = sorted(((_score(r, w, d), r.fate in HIGH_STAKES) for r in others),
                            reverse=True)
            flag_at, found = _within_budget(scored, budget - presorted)
            key = (found, -w, -d, flag_at)
            if best is None or key > best:
                best = key
    assert best is not None
    _, w, d, flag_at = best
    w, d = -w, -d
    others_scored = [(_score(r, w, d), r.fate in HIGH_STAKES) for r in others]
    suggest_at, precision = 99.0, 0.5
    for t in sorted({s for s, _ in others_scored if s >= flag_at}):
        hits = [ok for s, ok in others_scored if s >= t]
        smoothed = (sum(hits) + 0.5) / (len(hits) + 1)
        if len(hits) >= 3 and smoothed >= (1 + margin) / 2:
            suggest_at, precision = t, smoothed
            break
    return flag_at, suggest_at, precision, w, d


_WORD_WEIGHTS = (0.0, 0.4, 0.8, 1.2, 1.6)
_DOMAIN_WEIGHTS = (0.0, 0.5, 1.0, 1.5, 2.0)


def _score(r: Row, words: float, domain: float) -> float:
    evidence, w, rate = r.stakes_parts
    return evidence + history_term(w, words) + domain * rate


def _within_budget(scored: Sequence[tuple[float, bool]], budget: float) -> tuple[float, int]:
    """(lowest threshold flagging at most ``budget`` items, at least 1.0; items of the
    sections found there) for (score, is BC/deprecation) sorted best first."""
    flag_at, found, hits = 99.0, 0, 0
    for i, (s, ok) in enumerate(scored):
        hits += ok
        if s <= 0 or i + 1 > budget:
            break
        if i + 1 == len(scored) or scored[i + 1][0] < s:  # ties are flagged together
            flag_at, found = s, hits
    return max(flag_at, 1.0), found


class _RowAssessment:
    """A :class:`Row` seen through the interface :func:`decide` reads."""

    def __init__(self, row: Row) -> None:
        self.probs = dict(row.probs)
        self.target: str | None = None
        self.strong_exit: str | None = "metadata" if row.strong_exit else None
        self.stakes = _RowStakes(row.stakes, evidence=row.stakes_parts[0],
                                 words=row.stakes_parts[1], domain_rate=row.stakes_parts[2])


@dataclass
class _RowStakes:
    score: float
    kind: str = HIGH_STAKES[0]
    reasons: list[str] = field(default_factory=list)
    labelled: bool = False
    evidence: float = 0.0
    words: float = 0.0
    domain_rate: float = 0.0
    words_note: str = ""

