"""Learning the decision rule's numbers from history items assessed out of their release.

A :class:`Row` is one history item as a model that never saw its release assessed it:
the engine's probabilities, the fate model's, and the parts of the detector's score.
:func:`fit_across_releases` learns every number of a :class:`~relnotes.triage.policy.Policy`
from such rows:

- the fate model's weight ``alpha`` in the mixed probabilities: the grid value under
  which the rows' fates are likeliest (log-likelihood);
- the margin a pre-sorted item's alternative must beat it by, and the probability from
  which Untopiced items are published: the grid values with most agreement, each kept
  only if it agrees at least as often as staying (Untopiced: as dropping) in *every*
  release of the rows, else "never" (a rule that loses in one release is a habit of the
  others, not a rule);
- the detector's weights (history words, domain share, fate model) and thresholds, under
  a budget of flagged items;
- a calibration of confidence per kind of decision.

With one release of history there are no such rows: :func:`fit_one_release` learns only
the detector's numbers (on two halves of the release) and leaves the rule at "pre-sorted
items stay, Untopiced items get their likeliest place" -- learning margins from halves of
one release is what made triage worse than staying on a later release (README).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from relnotes.categories import HIGH_STAKES
from relnotes.triage.policy import NEVER, Calibration, Policy, decide
from relnotes.triage.stakes import Stakes, history_term

__all__ = ["ALPHAS", "FLAG_BUDGET", "Row", "fit_across_releases", "fit_one_release"]

# Share of all items the detector may flag (the issue allows 3%; keep a safety margin).
FLAG_BUDGET = 0.025
ALPHAS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)
ONE_RELEASE_ALPHA = 0.5  # nothing to learn it from: the engine and the model alike
_MARGINS = (*(round(0.05 * i, 2) for i in range(17)), NEVER)
_PUBLISH_AT = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9, NEVER)
_WORD_WEIGHTS = (0.0, 0.4, 0.8, 1.2, 1.6)
_DOMAIN_WEIGHTS = (0.0, 0.5, 1.0, 1.5, 2.0)
_MODEL_WEIGHTS = (0.0, 0.25, 0.5, 1.0)
_SUGGEST_MARGIN = 0.8  # suggestions must be this much more often right when no margin is


@dataclass(frozen=True)
class Row:
    """One history item assessed by a model that did not see its release."""

    release: str
    presorted: str
    fate: str
    probs: Mapping[str, float]  # the engine's (mixed with the model's by :meth:`mixed`)
    # the detector's evidence, history words, domain share, fate model's log-odds
    stakes_parts: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    model: Mapping[str, float] | None = field(default=None, compare=False)

    def mixed(self, alpha: float) -> Row:
        """The row with the fate model's probabilities mixed in at weight ``alpha``."""
        if self.model is None or not alpha:
            return self
        m = self.model
        return replace(self, probs={k: (1 - alpha) * v + alpha * m.get(k, 0.0)
                                    for k, v in self.probs.items()})


def fit_across_releases(rows: Sequence[Row], *, source: str) -> Policy:
    """Every number of the rule from rows of two or more releases (module doc)."""
    alpha = _fit_alpha(rows)
    mixed = [r.mixed(alpha) for r in rows]
    margin = _fit_margin([r for r in mixed if r.presorted in r.probs
                          and r.presorted not in HIGH_STAKES])
    publish_at = _fit_publish_at([r for r in mixed if r.presorted not in r.probs])
    has_model = any(r.model is not None for r in rows)
    detector = _fit_stakes(mixed, margin, _MODEL_WEIGHTS if has_model else (0.0,))
    base = replace(detector, margin=margin, publish_at=publish_at, alpha=alpha,
                   learned_from=source)
    return replace(base, calibration=_calibrate(mixed, base))


def fit_one_release(rows: Sequence[Row], *, source: str, has_model: bool) -> Policy:
    """The detector's numbers from two halves of one release; no margin, no publish
    threshold, raw confidence (module doc)."""
    detector = _fit_stakes(rows, NEVER, (0.0,))
    return replace(detector, alpha=ONE_RELEASE_ALPHA if has_model else 0.0,
                   learned_from=source)


def _fit_alpha(rows: Sequence[Row]) -> float:
    """The mix weight under which the rows' fates are likeliest."""
    if not any(r.model is not None for r in rows):
        return 0.0

    def loglik(alpha: float) -> float:
        total = 0.0
        for r in rows:
            p = r.probs.get(r.fate, 0.0)
            if r.model is not None:
                p = (1 - alpha) * p + alpha * r.model.get(r.fate, 0.0)
            total += math.log(max(p, 1e-4))
        return total

    return max(ALPHAS, key=loglik)


_PolicyOf = Callable[[float], Policy]
_Fate = Callable[[Row], str]


def _by_release(rows: Sequence[Row]) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        out[r.release].append(r)
    return out


def _choose(rows: Sequence[Row], grid: Sequence[float], policy_of: _PolicyOf,
            baseline: _Fate) -> float:
    """The grid value with most agreement on ``rows`` among those that agree at least as
    often as ``baseline`` in every release of the rows (ties: the higher value, which
    moves fewer items); NEVER when none does."""
    releases = _by_release(rows)
    floor = {rel: sum(baseline(r) == r.fate for r in rs) for rel, rs in releases.items()}
    best, best_ok = NEVER, -1
    for value in sorted(grid, reverse=True):
        policy = policy_of(value)
        ok = {rel: sum(_section(r, policy) == r.fate for r in rs)
              for rel, rs in releases.items()}
        if value < NEVER and any(ok[rel] < floor[rel] for rel in releases):
            continue
        if sum(ok.values()) > best_ok:
            best, best_ok = value, sum(ok.values())
    return best


def _fit_margin(rows: Sequence[Row]) -> float:
    """The margin with most agreement that never loses to staying in a release."""
    return _choose(rows, _MARGINS, lambda m: Policy(margin=m, flag_at=99.0, suggest_at=99.0),
                   lambda r: r.presorted)


def _fit_publish_at(rows: Sequence[Row]) -> float:
    """For Untopiced items: the published-probability threshold with most agreement
    that never loses to dropping them in a release (else: the likeliest place)."""
    return _choose(rows, _PUBLISH_AT,
                   lambda t: Policy(publish_at=t, flag_at=99.0, suggest_at=99.0),
                   lambda r: "not user facing")


def _section(row: Row, policy: Policy) -> str:
    return decide(_RowAssessment(row), row.presorted, policy).section


def _fit_stakes(rows: Sequence[Row], margin: float, model_weights: Sequence[float]) -> Policy:
    """The detector's weights and thresholds (a :class:`Policy` holding only those).

    The weights are those of a small grid whose score finds the most of the rows'
    BC-breaking/deprecation items within the budget (ties: the smaller weights); the
    flag threshold is the lowest score within the budget. Suggesting the section moves
    the item, so like any move it must beat staying by the margin: the suggest threshold
    is the lowest at which suggestions were right that much more often than not
    (precision >= (1 + margin) / 2, smoothed)."""
    budget = FLAG_BUDGET * len(rows)
    presorted = sum(r.presorted in HIGH_STAKES for r in rows)
    others = [r for r in rows if r.presorted not in HIGH_STAKES]
    best: tuple[int, float, float, float, float] | None = None  # found, -w, -d, -m, flag
    for w in _WORD_WEIGHTS:
        for d in _DOMAIN_WEIGHTS:
            for m in model_weights:
                scored = sorted(((_score(r, w, d, m), r.fate in HIGH_STAKES)
                                 for r in others), reverse=True)
                flag_at, found = _within_budget(scored, budget - presorted)
                key = (found, -w, -d, -m, flag_at)
                if best is None or key > best:
                    best = key
    assert best is not None
    _, w, d, m, flag_at = best
    w, d, m = -w, -d, -m
    scored_rows = [(_score(r, w, d, m), r.fate in HIGH_STAKES) for r in others]
    need = (1 + (margin if margin < NEVER else _SUGGEST_MARGIN)) / 2
    suggest_at, precision = 99.0, 0.5
    for t in sorted({s for s, _ in scored_rows if s >= flag_at}):
        hits = [ok for s, ok in scored_rows if s >= t]
        smoothed = (sum(hits) + 0.5) / (len(hits) + 1)
        if len(hits) >= 3 and smoothed >= need:
            suggest_at, precision = t, smoothed
            break
    return Policy(flag_at=flag_at, suggest_at=suggest_at, stakes_precision=precision,
                  stakes_words=w, stakes_domain=d, stakes_lr=m)


def _score(r: Row, words: float, domain: float, model: float) -> float:
    evidence, w, rate, lr = r.stakes_parts
    return evidence + history_term(w, words) + domain * rate + model * lr


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


def _calibrate(rows: Sequence[Row], policy: Policy) -> dict[str, Calibration]:
    """Per kind of decision, how often the policy's decisions on the rows were right."""
    samples: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for r in rows:
        choice = decide(_RowAssessment(r), r.presorted, policy)
        raw = r.probs.get(choice.section, 0.0)
        if choice.kind == "kept":
            raw = max(raw, 0.5)
        samples[choice.kind].append((raw, choice.section == r.fate))
    return {kind: Calibration.fit(pairs) for kind, pairs in sorted(samples.items())}


class _RowAssessment:
    """A :class:`Row` seen through the interface :func:`decide` reads."""

    def __init__(self, row: Row) -> None:
        self.probs = dict(row.probs)
        self.target: str | None = None
        self.strong_exit: str | None = None
        evidence, words, rate, lr = row.stakes_parts
        self.stakes = Stakes(evidence=evidence, words=words, domain_rate=rate, lr=lr)
