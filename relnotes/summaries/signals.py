"""Why two items of one worksheet may be one change: pairwise signals and their evidence.

Each signal is a named yes/no fact about a pair (the names are the model's features) with
a line of evidence a maintainer can check. Pairs that share nothing but common words are
never compared further: candidates come from an index of rare words and identifiers,
mentions, and title similarity (rapidfuzz, in C), so a 1,000-item worksheet costs well
under a second.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Protocol

from rapidfuzz import fuzz, process

from relnotes.summaries.features import ItemFeatures, Vocabulary

__all__ = ["SIGNAL_NAMES", "Meta", "PairSignals", "candidate_pairs", "pair_signals"]

# Every feature a pair can have; the model learns one weight per name.
SIGNAL_NAMES: tuple[str, ...] = (
    "revert", "same_core", "title_85", "title_70", "series", "series_same_total",
    "mention", "rare_1", "rare_2", "rare_3", "rare_df2", "rare_df4", "ident",
    "ident_df2", "novel", "novel_topic", "scarce", "near_5", "near_50", "near_5_rare", "near_50_rare", "same_tags",
    "same_section", "same_author", "shared_files", "files_half", "body_xref",
)


class Meta(Protocol):
    """The part of a PR's metadata grouping reads (:class:`relnotes.github.PRRecord`)."""

    author: str | None
    files: list[str]
    body: str
    found: bool


@dataclass(frozen=True)
class PairSignals:
    """The signals of one pair (indices into the features list) and their evidence."""

    a: int
    b: int
    names: frozenset[str]
    evidence: tuple[str, ...]


def _rare_shared(fa: ItemFeatures, fb: ItemFeatures, vocab: Vocabulary) -> list[str]:
    shared = (fa.words | fa.idents) & (fb.words | fb.idents)
    return sorted((w for w in shared if vocab.rare(w)),
                  key=lambda w: (min(vocab.past(w), 6), vocab.df.get(w, 0), w))


def candidate_pairs(feats: Sequence[ItemFeatures], vocab: Vocabulary,
                    *, min_similarity: float = 70.0) -> set[tuple[int, int]]:
    """Pairs worth scoring: a shared rare word or identifier, a mention of the other's
    PR, or similar titles."""
    pairs: set[tuple[int, int]] = set()
    index: dict[str, list[int]] = defaultdict(list)
    for f in feats:
        for w in f.words | f.idents:
            if vocab.rare(w):
                index[w].append(f.index)
    for members in index.values():
        if len(members) >= 2:
            pairs.update(combinations(sorted(members), 2))
    by_pr = {pr: f.index for f in feats for pr in f.prs}
    for f in feats:
        for pr in f.mentions:
            other = by_pr.get(pr)
            if other is not None and other != f.index:
                pairs.add((min(f.index, other), max(f.index, other)))
    if len(feats) >= 2:
        texts = [f.core for f in feats]
        scores = process.cdist(texts, texts, scorer=fuzz.token_set_ratio,
                               score_cutoff=min_similarity, workers=1)
        for i, j in zip(*scores.nonzero()):
            if i < j:
                pairs.add((int(i), int(j)))
    return pairs


def pair_signals(fa: ItemFeatures, fb: ItemFeatures, vocab: Vocabulary, *,
                 section_a: str | None = None, section_b: str | None = None,
                 meta: Mapping[int, Meta] | None = None) -> PairSignals:
    """Every signal that holds for the pair, each with its evidence."""
    names: set[str] = set()
    evidence: list[str] = []
    pa, pb = fa.pr, fb.pr
    ref_a, ref_b = (f"#{pa}" if pa else "item"), (f"#{pb}" if pb else "item")
    same = fuzz.ratio(fa.core, fb.core) if fa.core and fb.core else 0.0
    if (fa.revert != fb.revert) and same >= 90:
        names.add("revert")
        rev, orig = (ref_a, ref_b) if fa.revert else (ref_b, ref_a)
        evidence.append(f"{rev} reverts {orig}")
    if same >= 90:
        names.add("same_core")
        if "revert" not in names:
            kind = "relands" if (fa.reland or fb.reland) else "repeats the title of"
            evidence.append(f"{ref_b} {kind} {ref_a}")
    sim = fuzz.ratio(fa.clean.lower(), fb.clean.lower())
    if sim >= 85:
        names.add("title_85")
    elif fuzz.token_set_ratio(fa.core, fb.core) >= 70:
        names.add("title_70")
        evidence.append(f"similar titles ({fuzz.token_set_ratio(fa.core, fb.core):.0f}%)")
    rare = _rare_shared(fa, fb, vocab)
    if fa.series and fb.series:
        names.add("series")
        if fa.series[1] == fb.series[1] and fa.series[0] != fb.series[0] and rare:
            names.add("series_same_total")
        evidence.append(f"one series ({fa.series[0]}/{fa.series[1]}, "
                        f"{fb.series[0]}/{fb.series[1]})")
    if (pb is not None and set(fb.prs) & fa.mentions) or (pa is not None
                                                          and set(fa.prs) & fb.mentions):
        names.add("mention")
        evidence.append(f"{ref_a if set(fb.prs) & fa.mentions else ref_b} names the other PR")
    if rare:
        names.add(f"rare_{min(len(rare), 3)}")
        low = vocab.df.get(rare[0], 0)
        if low <= 2:
            names.add("rare_df2")
        elif low <= 4:
            names.add("rare_df4")
        past = vocab.past(rare[0])
        if past == 0:
            names.add("novel")
            if low >= 3:
                names.add("novel_topic")
        elif past <= 5:
            names.add("scarce")
        shown = ", ".join(f"`{w}`" for w in rare[:3])
        evidence.append(f"both name {shown}")
        idents = [w for w in rare if w in fa.idents and w in fb.idents]
        if idents:
            names.add("ident")
            if vocab.df.get(idents[0], 0) <= 2:
                names.add("ident_df2")
    if pa is not None and pb is not None:
        gap = abs(pa - pb)
        if gap <= 5:
            names.add("near_5")
        if gap <= 50:
            names.add("near_50")
        if rare and gap <= 5:
            names.add("near_5_rare")
            evidence.append(f"adjacent PRs ({gap} apart)")
        elif rare and gap <= 50:
            names.add("near_50_rare")
    if fa.tags and fa.tags == fb.tags:
        names.add("same_tags")
    if section_a is not None and section_a == section_b:
        names.add("same_section")
    if meta is not None and pa is not None and pb is not None:
        _meta_signals(meta.get(pa), meta.get(pb), pa, pb, names, evidence)
    return PairSignals(a=fa.index, b=fb.index, names=frozenset(names),
                       evidence=tuple(evidence))


def _meta_signals(ma: Meta | None, mb: Meta | None, pa: int, pb: int, names: set[str],
                  evidence: list[str]) -> None:
    """Author, changed files and cross-references in bodies, where metadata was fetched."""
    if ma is None or mb is None or not ma.found or not mb.found:
        return
    if ma.author and ma.author == mb.author:
        names.add("same_author")
        evidence.append(f"same author (@{ma.author})")
    files_a, files_b = set(ma.files), set(mb.files)
    shared = files_a & files_b
    if shared:
        names.add("shared_files")
        if len(shared) * 2 >= min(len(files_a), len(files_b)):
            names.add("files_half")
        evidence.append(f"{len(shared)} changed file(s) in common")
    if _names(ma.body, pb) or _names(mb.body, pa):
        names.add("body_xref")
        evidence.append("one PR's description links the other")


def _names(body: str | None, pr: int) -> bool:
    """Whether a PR description refers to ``pr`` (``#N`` or a pull URL, not ``#N1``)."""
    return bool(body) and re.search(rf"(?:#|/pull/){pr}(?!\d)", body or "") is not None
