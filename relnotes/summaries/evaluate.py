"""Grouping quality against what maintainers did (issue 17, part 4).

- **pair precision**: of the PR pairs put in one group where both PRs were published
  by the maintainers, the share that one maintainers' multi-PR bullet holds together;
- **bullet recall**: of the maintainers' multi-PR bullets (see
  :mod:`relnotes.summaries.truth`), the share of which one group holds at least two PRs
  and at least half of them.

Groups are made from the ``todo/`` worksheets as generated, every section but
BC-breaking and deprecation, as ``relnotes summarize`` makes them. Weights are learned
from other releases only (:func:`learn`); :func:`grouping_quality` scores one release
with given weights, :func:`backtest` runs leave-one-release-out and chronological
splits. The naive baseline groups titles at least 85% alike (rapidfuzz ratio).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from itertools import combinations
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from relnotes.release import worksheet_files
from relnotes.summaries.features import features_of
from relnotes.summaries.grouping import group_items, groupable_items, score_pairs
from relnotes.summaries.model import Weights, fit_logistic, learn_common_words, learn_corpus
from relnotes.summaries.truth import Truth, read_truth
from relnotes.worksheet import Item, Worksheet, read_worksheet

__all__ = ["Quality", "backtest", "grouping_quality", "learn", "naive_groups", "quality_json",
           "render_quality_text", "score_groups"]

Grouper = Callable[[Sequence[Item]], list[list[int]]]


@dataclass(frozen=True)
class Quality:
    """Scores of one grouping of one release."""

    release: str
    method: str
    pair_precision: float | None  # None: no scored pair
    bullet_recall: float
    pairs: int  # scored pairs (both PRs published)
    pairs_right: int
    bullets: int
    bullets_found: int
    groups: int
    grouped_prs: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _todo(todo: Path) -> list[Worksheet]:
    """The generated worksheets of a ``todo/`` folder."""
    return [read_worksheet(p) for p in worksheet_files(todo)]


def score_groups(groups: Sequence[Sequence[int]], truth: Truth, *, release: str,
                 method: str) -> Quality:
    """Pair precision and bullet recall of PR groups against ``truth``."""
    seen: set[int] = set()
    for group in groups:
        overlap = seen & set(group)
        if overlap:
            raise ValueError(f"PR(s) {sorted(overlap)} in two groups")
        seen.update(group)
    pairs = right = 0
    for group in groups:
        for a, b in combinations(sorted(set(group)), 2):
            if a in truth.published and b in truth.published:
                pairs += 1
                right += truth.same_bullet(a, b)
    found = 0
    for bullet in truth.bullets:
        best = max((len(bullet & set(g)) for g in groups), default=0)
        if best >= 2 and 2 * best >= len(bullet):
            found += 1
    return Quality(release=release, method=method,
                   pair_precision=round(right / pairs, 4) if pairs else None,
                   bullet_recall=round(found / len(truth.bullets), 4) if truth.bullets else 0.0,
                   pairs=pairs, pairs_right=right, bullets=len(truth.bullets),
                   bullets_found=found, groups=len(groups),
                   grouped_prs=sum(len(set(g)) for g in groups))


def naive_groups(items: Sequence[Item], *, cutoff: float = 85.0) -> list[list[int]]:
    """The baseline: join items whose cleaned titles are at least ``cutoff``% alike
    (single link, each item in one group)."""
    feats = features_of(items)
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    texts = [f.clean.lower() for f in feats]
    for a, b in combinations(range(len(items)), 2):
        if fuzz.ratio(texts[a], texts[b], score_cutoff=cutoff):
            parent[root(b)] = root(a)
    clusters: dict[int, list[int]] = {}
    for i in range(len(items)):
        clusters.setdefault(root(i), []).append(i)
    return [c for c in clusters.values() if len(c) >= 2]


def _unique(groups: Sequence[Sequence[int]]) -> list[list[int]]:
    """A PR listed in two worksheets stays in the first group that has it."""
    seen: set[int] = set()
    unique: list[list[int]] = []
    for group in groups:
        kept = [pr for pr in dict.fromkeys(group) if pr not in seen]
        seen.update(kept)
        if len(kept) >= 2:
            unique.append(kept)
    return unique


def _release_groups(todo: Path, grouper: Grouper) -> list[list[int]]:
    out: list[list[int]] = []
    for ws in _todo(todo):
        items = groupable_items(ws)
        for cluster in grouper(items):
            out.append([pr for i in cluster for pr in items[i].prs])
    return _unique(out)


def _model_groups(worksheets: Sequence[tuple[list[Item], Any]], weights: Weights
                  ) -> list[list[int]]:
    """PR groups of already scored worksheets at ``weights.threshold``."""
    out: list[list[int]] = []
    for items, scored in worksheets:
        out.extend(g.prs for g in group_items(items, weights, scored=scored))
    return _unique(out)


def _scored(todo: Path, weights: Weights) -> list[tuple[list[Item], Any]]:
    out: list[tuple[list[Item], Any]] = []
    for ws in _todo(todo):
        items = groupable_items(ws)
        out.append((items, score_pairs(items, weights)))
    return out


def grouping_quality(release: str | Path, *, weights: Weights | None = None,
                     baseline: bool = True, todo: str | Path | None = None,
                     done: str | Path | None = None) -> list[Quality]:
    """Scores of a release folder (its ``todo/`` and ``done/``, or the folders given):
    the model's grouping with ``weights`` (default: the shipped ones, which may have
    seen this release: pass weights learned without it for a fair score) and, with
    ``baseline``, the naive one. ``relnotes eval`` reports this; :func:`quality_json`
    is its JSON."""
    from relnotes.summaries.model import load_weights

    folder = Path(release)
    todo_dir = Path(todo) if todo is not None else folder / "todo"
    truth = read_truth(Path(done) if done is not None else folder / "done")
    chosen = weights or load_weights()
    out = [score_groups(_model_groups(_scored(todo_dir, chosen), chosen), truth,
                        release=folder.name, method="summaries")]
    if baseline:
        out.append(score_groups(_release_groups(todo_dir, naive_groups), truth,
                                release=folder.name, method="naive (titles >= 85% alike)"))
    return out


def render_quality_text(scores: Sequence[Quality], *, trained_on: Sequence[str] = ()) -> str:
    """The grouping lines of ``relnotes eval``'s text report; says when the weights were
    learned from the release scored (an in-sample figure, not an estimate)."""
    lines = ["Grouping (summaries) against the maintainers' multi-PR bullets of done/:"]
    for q in scores:
        precision = "-" if q.pair_precision is None else f"{q.pair_precision:.2f}"
        lines.append(f"  {q.method}: pair precision {precision} ({q.pairs_right}/{q.pairs} "
                     f"pairs), bullet recall {q.bullet_recall:.2f} ({q.bullets_found}/"
                     f"{q.bullets} bullets), {q.groups} groups")
    release = scores[0].release if scores else ""
    if release and release in trained_on:
        lines.append(f"  note: the weights were learned from {release} itself "
                     f"({', '.join(trained_on)}): in-sample; bench/bench_summaries.py gives "
                     "the leave-one-release-out figures")
    return "\n".join(lines)


def quality_json(scores: Sequence[Quality]) -> dict[str, Any]:
    """``{"grouping": [{release, method, pair_precision, bullet_recall, ...}]}``."""
    return {"grouping": [q.to_json() for q in scores]}


def _title_words(release: Path) -> list[frozenset[str]]:
    return [f.words | f.idents for ws in _todo(release / "todo") for f in features_of(ws.items())]


def _training_pairs(releases: Sequence[Path], common: frozenset[str]
                    ) -> list[tuple[frozenset[str], bool]]:
    """Labelled pairs of each training release, its words' past counted from the other
    training releases (as the scored release's are counted from the training ones)."""
    words = {r: _title_words(r) for r in releases}
    samples: list[tuple[frozenset[str], bool]] = []
    for release in releases:
        corpus = learn_corpus(w for r in releases if r != release for w in words[r])
        base = Weights(bias=0.0, coef={}, threshold=1.0, common=common, corpus=corpus)
        truth = read_truth(release / "done")
        for ws in _todo(release / "todo"):
            items = groupable_items(ws)
            for (a, b), s in score_pairs(items, base).items():
                pa, pb = items[a].prs[0], items[b].prs[0]
                if pa in truth.published and pb in truth.published:
                    samples.append((s.signals.names, truth.same_bullet(pa, pb)))
    return samples


def learn(releases: Sequence[str | Path], *, min_precision: float = 0.6,
          thresholds: Sequence[float] = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6,
                                         0.7)
          ) -> Weights:
    """Weights learned from ``releases`` only: common words, past words, the pair model,
    and the lowest merge threshold whose grouping of those releases keeps pair precision
    at or above ``min_precision`` (lower thresholds find more bullets)."""
    folders = [Path(r) for r in releases]
    common = learn_common_words([
        {w for f in features_of(ws.items()) for w in f.words}
        for release in folders for ws in _todo(release / "todo")])
    bias, coef = fit_logistic(_training_pairs(folders, common))
    corpus = learn_corpus(w for r in folders for w in _title_words(r))
    names = tuple(f.name for f in folders)
    model = Weights(bias=bias, coef=coef, threshold=1.0, common=common, corpus=corpus,
                    trained_on=names)
    prepared = [(read_truth(f / "done"), f.name, _scored(f / "todo", model)) for f in folders]
    chosen = max(thresholds)
    for t in sorted(thresholds, reverse=True):
        weights = replace(model, threshold=t)
        scores = [score_groups(_model_groups(scored, weights), truth, release=name,
                               method="summaries") for truth, name, scored in prepared]
        pairs = sum(q.pairs for q in scores)
        right = sum(q.pairs_right for q in scores)
        if pairs and right / pairs >= min_precision:
            chosen = t
    return replace(model, threshold=chosen)


def backtest(releases: Sequence[str | Path]) -> list[tuple[str, list[str], list[Quality]]]:
    """Leave-one-release-out, then chronological (each release learned from the older
    ones): ``(split, training releases, [model, naive])`` per scored release."""
    folders = sorted((Path(r) for r in releases), key=lambda p: _version_key(p.name))
    runs: list[tuple[str, list[Path], Path]] = []
    for held in folders:
        runs.append(("leave-one-out", [f for f in folders if f != held], held))
    for n, held in enumerate(folders[1:], start=1):
        if n < len(folders) - 1 or len(folders) > 2:
            runs.append(("chronological", folders[:n], held))
    out: list[tuple[str, list[str], list[Quality]]] = []
    cache: dict[tuple[str, ...], Weights] = {}
    for split, train, held in runs:
        key = tuple(str(t) for t in train)
        if key not in cache:
            cache[key] = learn(train)
        out.append((split, [t.name for t in train],
                    grouping_quality(held, weights=cache[key])))
    return out


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in name.split("."))
