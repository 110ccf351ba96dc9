"""Groups: sets of two or more items of one worksheet that are one change.

Every candidate pair gets a probability from the learned pair model; clusters are then
merged average-link: two clusters join while the mean probability over all their cross
pairs (missing pairs count as 0) stays at or above the learned threshold. Average link,
not single link, because a chain of look-alike titles (``[MPS] add x``, ``[MPS] add y``)
would otherwise swallow a whole section; the mean is also what pair precision measures,
so a group's confidence is the expected share of its pairs that are truly one change.
An item is in at most one group, and so is a PR.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

from relnotes.categories import CATEGORIES, PUBLISHED
from relnotes.summaries.features import ItemFeatures, Vocabulary, features_of
from relnotes.summaries.model import Weights
from relnotes.summaries.signals import Meta, PairSignals, candidate_pairs, pair_signals
from relnotes.worksheet import Item, Worksheet

__all__ = ["GROUPED_SECTIONS", "Group", "PairScore", "best_place", "best_section",
           "group_items", "groupable_items"]

# BC-breaking changes and deprecations are written in full, one change each.
GROUPED_SECTIONS: tuple[str, ...] = tuple(
    c for c in CATEGORIES if c not in ("bc breaking", "deprecation"))
# A large group is a topic, not one change: the biggest maintainers' bullets hold ~15.
MAX_GROUP = 16


@dataclass(frozen=True)
class PairScore:
    """One scored pair: its signals and the model's probability."""

    signals: PairSignals
    probability: float


@dataclass(frozen=True)
class Group:
    """Items of one worksheet to be written as one bullet (the bullet is drafted later)."""

    section: str
    items: tuple[Item, ...]
    confidence: float
    reasons: tuple[str, ...]

    @property
    def prs(self) -> list[int]:
        return list(dict.fromkeys(pr for item in self.items for pr in item.prs))

    @property
    def keys(self) -> list[str]:
        return [item.key for item in self.items]


def groupable_items(ws: Worksheet, *, sections: Collection[str] = GROUPED_SECTIONS
                    ) -> list[Item]:
    """Items with PRs in the sections to group (an item outside any known section is
    ``Untopiced``)."""
    return [item for item in ws.items() if item.prs and item.placement in sections]


def best_section(items: Sequence[Item]) -> str:
    """Where the group's bullet goes: the published section most members are in (ties:
    the more prominent one); with none published, the first member's place."""
    return best_place([i.placement for i in items])


def best_place(places: Sequence[str]) -> str:
    """:func:`best_section` of members that are (or will be) in ``places``: review asks
    it with the sections the members' own decisions send them to."""
    published = Counter(p for p in places if p in PUBLISHED)
    if published:
        return min(published, key=lambda c: (-published[c], CATEGORIES.index(c)))
    return places[0]


def score_pairs(items: Sequence[Item], weights: Weights,
                meta: Mapping[int, Meta] | None = None) -> dict[tuple[int, int], PairScore]:
    """The model's probability for every candidate pair of ``items`` (by index)."""
    feats: list[ItemFeatures] = features_of(items)
    vocab = Vocabulary.of(feats, common=weights.common, corpus=weights.corpus)
    scored: dict[tuple[int, int], PairScore] = {}
    for a, b in candidate_pairs(feats, vocab):
        sig = pair_signals(feats[a], feats[b], vocab, section_a=items[a].placement,
                           section_b=items[b].placement, meta=meta)
        scored[(a, b)] = PairScore(sig, weights.probability(sig.names))
    return scored


def _cluster(n: int, prob: Mapping[tuple[int, int], float], threshold: float
             ) -> list[list[int]]:
    """Average-link agglomeration over ``n`` nodes with sparse pair probabilities: the
    closest pair of clusters (by mean cross-pair probability) merges first, until none
    reaches ``threshold``. A heap with version stamps keeps it near O(E log E)."""
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    adj: dict[int, dict[int, float]] = {}
    for (a, b), p in prob.items():
        if p > 0:
            adj.setdefault(a, {})[b] = adj.setdefault(a, {}).get(b, 0.0) + p
            adj.setdefault(b, {})[a] = adj.setdefault(b, {}).get(a, 0.0) + p
    version = dict.fromkeys(range(n), 0)
    heap: list[tuple[float, int, int, int, int]] = []

    def push(a: int, b: int) -> None:
        a, b = min(a, b), max(a, b)
        if len(members[a]) + len(members[b]) > MAX_GROUP:
            return
        mean = adj[a][b] / (len(members[a]) * len(members[b]))
        if mean >= threshold:
            heapq.heappush(heap, (-mean, a, b, version[a], version[b]))

    for a, nbrs in adj.items():
        for b in nbrs:
            if a < b:
                push(a, b)
    while heap:
        _, a, b, va, vb = heapq.heappop(heap)
        if a not in members or b not in members or version[a] != va or version[b] != vb:
            continue
        members[a].extend(members.pop(b))
        version[a] += 1
        for c, total in adj.pop(b).items():
            if c == a:
                continue
            adj[a][c] = adj[a].get(c, 0.0) + total
            adj[c][a] = adj[a][c]
            del adj[c][b]
        adj[a].pop(b, None)
        for c in adj[a]:
            push(a, c)
    return [sorted(m) for m in members.values() if len(m) >= 2]


def group_items(items: Sequence[Item], weights: Weights, *,
                meta: Mapping[int, Meta] | None = None,
                scored: Mapping[tuple[int, int], PairScore] | None = None) -> list[Group]:
    """The groups among ``items`` (one worksheet's), most confident first (``scored``:
    :func:`score_pairs` of the same items and weights, when already computed)."""
    if scored is None:
        scored = score_pairs(items, weights, meta)
    clusters = _cluster(len(items), {k: s.probability for k, s in scored.items()},
                        weights.threshold)
    groups: list[Group] = []
    taken: set[int] = set()
    for cluster in clusters:
        members = [items[i] for i in cluster if not set(items[i].prs) & taken]
        if len(members) < 2:
            continue
        taken.update(pr for item in members for pr in item.prs)
        index = {id(item): n for n, item in enumerate(items)}
        idx = [index[id(m)] for m in members]
        pairs = list(combinations(idx, 2))
        confidence = sum(scored[p].probability if p in scored else 0.0
                         for p in pairs) / len(pairs)
        reasons: list[str] = []
        for p in pairs:
            if p in scored:
                reasons.extend(e for e in scored[p].signals.evidence if e not in reasons)
        groups.append(Group(section=best_section(members), items=tuple(members),
                            confidence=round(confidence, 3), reasons=tuple(reasons[:8])))
    groups.sort(key=lambda g: (-g.confidence, g.items[0].line))
    return groups
