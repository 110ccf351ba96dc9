"""The pair model: how likely two items are one maintainers' bullet, learned from past
releases.

A logistic regression over the yes/no signals of :mod:`relnotes.summaries.signals`
(plain Python: a few thousand pairs, two dozen features), trained on the pairs of
earlier releases' ``todo/`` worksheets whose PRs maintainers published, labelled by
whether one of the maintainers' multi-PR bullets holds both. Also learned: the words
common to most worksheets (``test``, ``cuda``), which never make two items one change,
and the grouping threshold. Nothing here looks at the release being scored: callers
pass the releases to learn from. The shipped :data:`DEFAULT_WEIGHTS` were learned from
every release in ``data/`` (``bench/bench_summaries.py --save`` rewrites them).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relnotes.errors import ConfigError
from relnotes.fileio import atomic_write, read_text
from relnotes.summaries.signals import SIGNAL_NAMES

__all__ = ["DEFAULT_WEIGHTS", "Weights", "fit_logistic", "learn_common_words", "learn_corpus",
           "load_weights"]

DEFAULT_WEIGHTS = Path(__file__).with_name("weights.json")
# A word used by items of at least this share of worksheets says nothing about one change.
COMMON_SHARE = 0.3


@dataclass(frozen=True)
class Weights:
    """A learned pair model: ``p = sigmoid(bias + sum(coef[s] for s in signals))``."""

    bias: float
    coef: dict[str, float]
    threshold: float  # average pair probability at which two clusters merge
    common: frozenset[str] = field(default_factory=frozenset)
    corpus: dict[str, int] = field(default_factory=dict)  # word -> past titles using it
    trained_on: tuple[str, ...] = ()

    def probability(self, names: Iterable[str]) -> float:
        z = self.bias + sum(self.coef.get(n, 0.0) for n in names)
        return 1.0 / (1.0 + math.exp(-z))

    def to_json(self) -> dict[str, Any]:
        return {"bias": round(self.bias, 4),
                "coef": {k: round(v, 4) for k, v in sorted(self.coef.items())},
                "threshold": round(self.threshold, 4), "common": sorted(self.common),
                "corpus": dict(sorted(self.corpus.items())),
                "trained_on": list(self.trained_on)}

    @classmethod
    def from_json(cls, data: dict[str, Any], *, file: str = "<weights>") -> Weights:
        try:
            return cls(bias=float(data["bias"]),
                       coef={str(k): float(v) for k, v in data["coef"].items()},
                       threshold=float(data["threshold"]),
                       common=frozenset(str(w) for w in data.get("common", [])),
                       corpus={str(k): int(v) for k, v in data.get("corpus", {}).items()},
                       trained_on=tuple(str(r) for r in data.get("trained_on", [])))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"not a summaries weights file: {exc}", file=file) from None

    def save(self, path: str | Path) -> None:
        atomic_write(path, json.dumps(self.to_json(), indent=1) + "\n")


def load_weights(path: str | Path | None = None) -> Weights:
    """The shipped weights, or those of ``path``."""
    file = Path(path) if path is not None else DEFAULT_WEIGHTS
    try:
        data = json.loads(read_text(file))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not JSON: {exc.msg}", file=str(file), line=exc.lineno) from None
    return Weights.from_json(data, file=str(file))


def learn_common_words(worksheet_words: Sequence[Iterable[str]],
                       *, share: float = COMMON_SHARE) -> frozenset[str]:
    """Words found in at least ``share`` of the worksheets (each given as its words)."""
    seen: Counter[str] = Counter()
    for words in worksheet_words:
        seen.update(set(words))
    need = max(2, math.ceil(share * len(worksheet_words)))
    return frozenset(w for w, n in seen.items() if n >= need)


def learn_corpus(titles: Iterable[Iterable[str]], *, keep: int = 2) -> dict[str, int]:
    """How many past titles (each given as its words) use each word; words used fewer
    than ``keep`` times are left out (the model only asks "new or nearly new?")."""
    seen: Counter[str] = Counter()
    for words in titles:
        seen.update(set(words))
    return {w: n for w, n in seen.items() if n >= keep}


def fit_logistic(samples: Sequence[tuple[frozenset[str], bool]], *, l2: float = 1.0,
                 steps: int = 400, rate: float = 0.5) -> tuple[float, dict[str, float]]:
    """Bias and one coefficient per signal name, by full-batch gradient descent on the
    L2-regularised log loss. Features are binary and few, so this converges quickly and
    needs no numeric library; signals that never fire keep a zero weight."""
    names = [n for n in SIGNAL_NAMES if any(n in s for s, _ in samples)]
    col = {n: k for k, n in enumerate(names)}
    rows = [([col[n] for n in s if n in col], 1.0 if y else 0.0) for s, y in samples]
    if not rows:
        return -5.0, {}
    w = [0.0] * len(names)
    positives = sum(y for _, y in rows)
    prior = min(max(positives / len(rows), 1e-3), 1 - 1e-3)
    bias = math.log(prior / (1 - prior))
    m = float(len(rows))
    for _ in range(steps):
        grad = [0.0] * len(names)
        gbias = 0.0
        for idx, y in rows:
            z = bias + sum(w[k] for k in idx)
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            err = p - y
            gbias += err
            for k in idx:
                grad[k] += err
        bias -= rate * gbias / m
        for k in range(len(w)):
            w[k] -= rate * (grad[k] / m + l2 * w[k] / m)
    return bias, {n: w[col[n]] for n in names}
