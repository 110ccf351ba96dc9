"""Revert pairs: ``Revert "X"`` and X in the same release, both to be dropped.

Items are paired by title (the reverted title inside the revert's), by the PR a revert's
title names (``Revert "X (#123)" ([#456](..))`` mentions #123: :attr:`Item.mentions`) or,
when PR metadata is cached, by the PR numbers GitHub says a revert reverts. Triage, eval
and audit use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from relnotes.prrefs import normalise_title
from relnotes.triage.rules import reverted_title
from relnotes.triage.textscan import without_refs
from relnotes.worksheet import Item

__all__ = ["RevertPairs", "TitleKeys", "find_revert_pairs", "short_title", "title_keys"]


@dataclass
class RevertPairs:
    """Items of a release that revert, or are reverted by, another item of the release."""

    partner: dict[int, str] = field(default_factory=dict)  # id(item) -> description
    reverts: set[int] = field(default_factory=set)  # id() of the items that are the revert

    def add(self, revert: Item, reverted: Item) -> None:
        text = f'revert pair: "{short_title(revert.title)}" and "{short_title(reverted.title)}"'
        self.partner[id(revert)] = self.partner[id(reverted)] = text
        self.reverts.add(id(revert))


def short_title(title: str, limit: int = 60) -> str:
    text = without_refs(title)
    return text if len(text) <= limit else text[: limit - 1] + "…"


TitleKeys = tuple[str, "str | None"]  # a title's key, and that of the title it reverts


def title_keys(items: Iterable[Item]) -> list[TitleKeys]:
    """What revert pairing compares, per item (see :func:`find_revert_pairs`)."""
    out: list[TitleKeys] = []
    for item in items:
        inner = reverted_title(without_refs(item.title))
        out.append((_title_key(item.title), normalise_title(inner) if inner else None))
    return out


def find_revert_pairs(items: Iterable[Item], metadata: Mapping[int, Any] | None = None, *,
                      keys: list[TitleKeys] | None = None) -> RevertPairs:
    """Pair ``Revert "X"`` items with X (by title, or by PR number from metadata);
    ``keys``: :func:`title_keys` of the items, when computed elsewhere."""
    items = list(items)
    keys = title_keys(items) if keys is None else keys
    by_title: dict[str, list[Item]] = {}
    by_pr: dict[int, Item] = {}
    for item, (key, _) in zip(items, keys):
        by_title.setdefault(key, []).append(item)
        for pr in item.prs:
            by_pr.setdefault(pr, item)
    pairs = RevertPairs()
    for item, (_, inner) in zip(items, keys):
        targets: list[Item] = []
        if inner is not None:
            targets += [t for t in by_title.get(inner, []) if t is not item]
            targets += [by_pr[pr] for pr in item.mentions
                        if pr in by_pr and by_pr[pr] is not item]
        for pr in item.prs:
            record = (metadata or {}).get(pr)
            for reverted in getattr(record, "reverts", None) or []:
                if reverted in by_pr and by_pr[reverted] is not item:
                    targets.append(by_pr[reverted])
        for target in targets[:1]:
            pairs.add(item, target)
    return pairs


_NOT_WORDS = re.compile(r"[\W_]+")


def _title_key(title: str) -> str:
    """``normalise_title(title)``, from the cached title without PR references."""
    return _NOT_WORDS.sub(" ", without_refs(title).lower()).strip()
