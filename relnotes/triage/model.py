"""The fate model: where maintainers put items like this one, learned from past releases.

A multinomial logistic regression over every place an item can end up (each section,
not user facing, another domain), from what the worksheet shows: the pre-sorted section,
the domain, the two together, the title's words and ``tag:`` tokens, each word with the
pre-sorted kind (Untopiced / not user facing / sorted) and with the domain, and the ids of
the title rules that fire. The engine's signals (:mod:`relnotes.triage.assessment`) are
few and each explains itself; this model weighs thousands of word-and-context features at
once, which is where most of triage's gain over the pre-sort comes from (measured in the
README). Its probabilities are mixed into the engine's with a weight learned across
releases (:mod:`relnotes.triage.learned`).

Fitting needs numpy and happens once, when the history is built (``relnotes history
build`` / ``history fit``); the result is an artefact stored beside the history. Using it
is pure Python (:meth:`FateModel.probs`: a sum of a few dozen weight rows), so triage
never needs numpy.
"""

from __future__ import annotations

import base64
import math
import sys
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from relnotes.categories import CATEGORIES, PUBLISHED
from relnotes.errors import RelnotesError
from relnotes.triage.history import HistoryRecord, title_words
from relnotes.triage.rules import match_rules

__all__ = ["DEFAULT_L2", "OUTCOMES", "FateModel", "features", "fit_fate_model",
           "high_stakes_logodds"]

# Published sections in worksheet order, then the two ways out of the published notes.
OUTCOMES: tuple[str, ...] = (*(c for c in CATEGORIES if c in PUBLISHED),
                             "not user facing", "miscategorized")
# L2 penalty of the fit. Chosen among 3e-4, 1e-3 and 3e-3 by the research of issue 18
# after seeing leave-one-release-out results on the three given releases (not learned
# inside a history; the README says so).
DEFAULT_L2 = 1e-3
_SCALE = 10_000  # weights are stored as integers of 1e-4 (what 4 decimals keep)
_CACHE_SIZE = 1 << 15


def features(title: str, domain: str, presorted: str) -> list[str]:
    """The model's features of one item (``title`` without PR links)."""
    kind = "U" if presorted == "Untopiced" else "N" if presorted == "not user facing" else "S"
    words = sorted(title_words(title))
    out = ["b", "p=" + presorted, "d=" + domain, f"dp={domain}|{presorted}"]
    out += ["w=" + w for w in words]
    out += [f"w{kind}=" + w for w in words]
    out += [f"wd={domain}|" + w for w in words]
    out += ["r=" + rule.id for rule in match_rules(title, domain=domain)]
    return out


def high_stakes_logodds(probs: Mapping[str, float]) -> float:
    """Log-odds of "BC-breaking or deprecation" under ``probs`` (the detector's term)."""
    q = min(max(probs.get("bc breaking", 0.0) + probs.get("deprecation", 0.0), 1e-6), 1 - 1e-6)
    return math.log(q / (1 - q))


@dataclass
class FateModel:
    """A fitted model: per feature, one weight per outcome of :data:`OUTCOMES`."""

    releases: tuple[str, ...]  # what it was fitted on
    index: dict[str, int]  # feature -> its row
    weights: array[int]  # ints of 1e-4, row-major: len(index) x len(OUTCOMES)
    l2: float = DEFAULT_L2
    _cache: dict[tuple[str, str, str], dict[str, float]] = field(
        default_factory=dict, repr=False, compare=False)
    _by_row: list[tuple[int, ...]] | None = field(default=None, repr=False, compare=False)

    def _rows(self) -> list[tuple[int, ...]]:
        """Each feature's weights as one tuple (made on first use: summing tuples
        column-wise is what makes an item's probabilities cheap)."""
        if self._by_row is None:
            k, w = len(OUTCOMES), self.weights
            self._by_row = [tuple(w[i:i + k]) for i in range(0, len(w), k)]
        return self._by_row

    def probs(self, title: str, domain: str, presorted: str) -> dict[str, float]:
        """Probability of each outcome for one item (cached per title and place)."""
        key = (title, domain, presorted)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        rows = self._rows()
        index = self.index
        found = [rows[i] for i in map(index.get, features(title, domain, presorted))
                 if i is not None]
        z = [sum(col) / _SCALE for col in zip(*found)] if found else [0.0] * len(OUTCOMES)
        top = max(z)
        e = [math.exp(v - top) for v in z]
        total = sum(e)
        out = {o: x / total for o, x in zip(OUTCOMES, e)}
        if len(self._cache) >= _CACHE_SIZE:
            self._cache.clear()
        self._cache[key] = out
        return out

    def to_json(self) -> dict[str, Any]:
        """The model as JSON data: feature names, and the weights as base64 of
        little-endian 32-bit integers in units of 1e-4 (compact, read in milliseconds)."""
        ints = array("i", self.weights)
        if sys.byteorder != "little":  # pragma: no cover - big-endian machines
            ints.byteswap()
        names = sorted(self.index, key=self.index.__getitem__)
        return {"releases": list(self.releases), "outcomes": list(OUTCOMES), "l2": self.l2,
                "features": names, "weights": base64.b64encode(ints.tobytes()).decode("ascii")}

    @classmethod
    def from_json(cls, data: Any) -> FateModel:
        """A model from :meth:`to_json` data; ValueError when it is not one."""
        try:
            if list(data["outcomes"]) != list(OUTCOMES):
                raise ValueError(f"outcomes {data['outcomes']} are not {list(OUTCOMES)}")
            names = [str(n) for n in data["features"]]
            ints = array("i")
            ints.frombytes(base64.b64decode(data["weights"]))
            releases = tuple(str(r) for r in data["releases"])
            l2 = float(data["l2"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a fate model: {exc}") from None
        if sys.byteorder != "little":  # pragma: no cover
            ints.byteswap()
        if len(ints) != len(names) * len(OUTCOMES):
            raise ValueError("fate model: weights do not match its features")
        return cls(releases, {n: i for i, n in enumerate(names)}, ints, l2)


def fit_fate_model(records: Sequence[HistoryRecord], *, l2: float = DEFAULT_L2,
                   epochs: int = 300, rate: float = 0.1, prune: float = 1e-3) -> FateModel:
    """Fit the model on ``records`` (full-batch Adam with an L2 penalty; numpy).

    Deterministic: the same records give the same weights. Features whose weights all
    stay below ``prune`` are left out of the artefact.
    """
    try:
        import numpy as np
    except ImportError:
        raise RelnotesError("fitting the fate model needs numpy, which is not installed: "
                            "pip install 'relnotes[learn]' (triage itself does not need it)"
                            ) from None
    vocab: dict[str, int] = {}
    cols: list[int] = []
    offsets = [0]
    for r in records:
        for name in features(r.title, r.domain, r.presorted):
            cols.append(vocab.setdefault(name, len(vocab)))
        offsets.append(len(cols))
    n, k, d = len(records), len(OUTCOMES), len(vocab)
    col = np.asarray(cols, dtype=np.int64)
    starts = np.asarray(offsets[:-1], dtype=np.int64)
    row_of = np.repeat(np.arange(n), np.diff(np.asarray(offsets)))
    by_feature = np.argsort(col, kind="stable")  # entries grouped by feature, for X^T G
    feature_starts = np.searchsorted(col[by_feature], np.arange(d))
    rows_by_feature = row_of[by_feature]
    y = np.asarray([OUTCOMES.index(r.fate) for r in records])
    w = np.zeros((d, k))
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t in range(1, epochs + 1):
        z = np.add.reduceat(w[col], starts, axis=0)  # X W, each item's features summed
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(n), y] -= 1.0
        p /= n
        grad = np.add.reduceat(p[rows_by_feature], feature_starts, axis=0) + l2 * w
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad ** 2
        w -= rate * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    names = list(vocab)
    keep = [i for i in range(d) if float(np.abs(w[i]).max()) >= prune]
    ints = np.round(w[keep] * _SCALE).astype(np.int64).ravel().tolist()
    return FateModel(tuple(sorted({r.release for r in records})),
                     {names[i]: j for j, i in enumerate(keep)}, array("i", ints), l2)
