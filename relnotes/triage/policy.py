"""The decision rule: never worse than staying when unsure.

A pre-sorted item moves only when the probability of its best alternative beats its
pre-sorted section's by a *margin*; otherwise it stays and the alternative is listed as
"consider". Pre-sorted BC-breaking and deprecation items (their authors labelled them on
purpose) leave only on strong evidence (a revert pair, PR metadata that says not user
facing). Untopiced items have no stay: they are published from a learned probability on,
else they get the likeliest place. The high-stakes detector's score flags an item for
BC-breaking/deprecation from ``flag_at`` on (listed as "consider") and suggests the
section from ``suggest_at`` on.

Every number of a :class:`Policy` is learned by :mod:`relnotes.triage.fitting` on
history items assessed by a model that did not see their release, and each is kept only
if it does at least as well as staying in every such release; with one release of
history no margin or threshold is learned (pre-sorted items stay, Untopiced items get
their likeliest place): the habits of one release are not a rule. Confidence is
calibrated on the same items (isotonic, per kind of decision, interpolated), so that
"0.9" means "maintainers agreed 9 times in 10 on releases the model had not seen".
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from relnotes.categories import HIGH_STAKES
from relnotes.triage.stakes import HISTORY_SCALE, history_term

__all__ = [
    "NEVER",
    "PUBLISHED_OUTCOMES",
    "Calibration",
    "Choice",
    "Policy",
    "decide",
    "describe_number",
]

# Published sections a section vote may pick (BC/deprecation are the detector's call).
PUBLISHED_OUTCOMES = frozenset({"new features", "improvements", "bug fixes", "performance",
                                "docs", "devs", "security"})
# An alternative is worth a "consider" line from this probability on.
CONSIDER_AT = 0.2
# A margin or threshold no probability reaches: "never move" / "the likeliest place".
NEVER = 1.01


def describe_number(value: float) -> str:
    return "never" if value >= NEVER else f"{value:.2f}"


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
    lr: float


@dataclass(frozen=True)
class Calibration:
    """An increasing map from a raw probability to observed agreement: isotonic blocks
    (mean raw probability, agreement), interpolated between them so that items inside a
    block keep their order (a block of a hundred tied confidences is decided as one)."""

    xs: tuple[float, ...] = ()
    ys: tuple[float, ...] = ()

    def __call__(self, raw: float) -> float:
        if not self.xs:
            return raw
        i = bisect.bisect_right(self.xs, raw)
        if i == 0:
            return self.ys[0]
        if i == len(self.xs):
            return self.ys[-1]
        x0, x1, y0, y1 = self.xs[i - 1], self.xs[i], self.ys[i - 1], self.ys[i]
        return y0 + (y1 - y0) * (raw - x0) / (x1 - x0) if x1 > x0 else y1

    @staticmethod
    def fit(pairs: Iterable[tuple[float, bool]], *, prior: float = 1.0) -> Calibration:
        """Pool-adjacent-violators on (raw, agreed); each block's value is smoothed
        towards 1/2 by ``prior`` pseudo-counts so a block of three never says 100%."""
        data = sorted(pairs)
        if len(data) < 20:
            return Calibration()
        blocks: list[list[float]] = []  # [sum agreed, count, sum raw]
        for raw, ok in data:
            blocks.append([float(ok), 1.0, raw])
            while len(blocks) > 1 and (blocks[-2][0] / blocks[-2][1]
                                       >= blocks[-1][0] / blocks[-1][1]):
                s, n, r = blocks.pop()
                blocks[-1][0] += s
                blocks[-1][1] += n
                blocks[-1][2] += r
        xs = tuple(b[2] / b[1] for b in blocks)
        ys = tuple((b[0] + prior / 2) / (b[1] + prior) for b in blocks)
        ys = tuple(max(ys[:i + 1]) for i in range(len(ys)))  # keep it increasing
        return Calibration(xs, ys)


@dataclass(frozen=True)
class Policy:
    """The learned numbers of the decision rule (defaults: nothing learned, no history:
    pre-sorted items stay, Untopiced items get their likeliest place)."""

    margin: float = NEVER  # a pre-sorted item moves when an alternative beats it by this
    publish_at: float = NEVER  # Untopiced items are published from this probability on
    flag_at: float = 2.5
    suggest_at: float = 4.0
    calibration: Mapping[str, Calibration] = field(default_factory=dict)
    stakes_precision: float = 0.5  # share of suggested-from-detector items that were right
    learned_from: str = "defaults (no history)"
    # weights of the history's words and of the domain's usual share in the detector's
    # score (defaults: the words as stakes.assess_stakes counts them, no domain share)
    stakes_words: float = HISTORY_SCALE
    stakes_domain: float = 0.0
    # the fate model (relnotes.triage.model): its weight in the mixed probabilities, and
    # the weight of its log-odds of BC-breaking/deprecation in the detector's score (not
    # centred: centring it on the history's median raised 2.9.0's flagged share from
    # 2.4% to 3.4% at the same recall, measured)
    alpha: float = 0.0
    stakes_lr: float = 0.0

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
                + self.stakes_domain * stakes.domain_rate
                + self.stakes_lr * stakes.lr)

    def describe(self) -> str:
        """The rule in one line (``relnotes eval``, the README)."""
        publish = ("the likeliest place" if self.publish_at >= NEVER
                   else f"published from p={self.publish_at:.2f}")
        return (f"margin {describe_number(self.margin)}, Untopiced {publish}, fate model "
                f"weight {self.alpha:.2f}, flag at {self.flag_at:.1f}, suggest at "
                f"{self.suggest_at:.1f}, BC/deprecation score = evidence + "
                f"{self.stakes_words:.1f} x history words + {self.stakes_domain:.1f} x domain "
                f"share + {self.stakes_lr:.2f} x fate model (learned from {self.learned_from})")


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
        rule = ("no publish threshold learned: the likeliest place"
                if policy.publish_at >= NEVER else f"publish from {policy.publish_at:.2f}")
        reasons.append(f"not sorted yet: best is {best} (p={probs[best]:.2f}; published "
                       f"p={published:.2f}, {rule})")
    elif best != presorted and probs[best] - probs[presorted] >= policy.margin:
        section, kind = best, "move"
        reasons.append(f"{best} p={probs[best]:.2f} beats {presorted} p={probs[presorted]:.2f} "
                       f"by the learned margin {policy.margin:.2f}")
    else:
        section, kind = presorted, "stay"
        if best != presorted and policy.margin >= NEVER:
            reasons.append(f"stays: {best} p={probs[best]:.2f} against {presorted} "
                           f"p={probs[presorted]:.2f}, but no margin is learned "
                           f"({policy.learned_from}): pre-sorted items stay")
        elif best != presorted:
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
    model = policy.stakes_lr * stakes.lr
    if abs(model) >= 0.3:
        reasons.append(f"the fate model's odds of BC-breaking/deprecation ({model:+.1f})")
    return reasons


