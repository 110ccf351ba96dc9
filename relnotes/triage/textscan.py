"""Fast and exact tests of many regular expressions against short titles.

Triage runs some forty patterns (rules, BC/deprecation wording) over every title; most
of them are alternations of words that ``re`` tries at every position, which made the
patterns most of triage's time. Most titles contain none of a pattern's words, though,
and that is cheap to see: :func:`needles` reads a compiled pattern and derives a set of
literal strings one of which *every* match must contain (``\\bci\\b|\\bdocker\\b`` ->
``{"ci", "docker"}``). :class:`Gate` runs the pattern only when the lower-cased title
contains one of them. The answer is always the pattern's own: a needle set is a
necessary condition, never a guess, and patterns without one (or non-ASCII titles, where
case folding is not plain lower-casing) always run the pattern.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from relnotes.prrefs import strip_pr_refs

# The parser behind re.compile (named sre_parse before Python 3.11; relnotes needs 3.11).
_p: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

__all__ = ["Gate", "GateSet", "lowered", "needles", "without_refs"]

_REPEATS = tuple(getattr(_c, name) for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
                 if hasattr(_c, name))
_ZERO_WIDTH = tuple(getattr(_c, name) for name in ("AT", "ASSERT", "ASSERT_NOT")
                    if hasattr(_c, name))


def _need(items: Sequence[tuple[Any, Any]]) -> frozenset[str] | None:
    """Strings one of which every match of the node sequence ``items`` contains (lower
    case), or None when no such set is known. Any mandatory part of a sequence gives
    one; the most selective is kept (longest shortest string, then fewest strings)."""
    candidates: list[frozenset[str]] = []
    run: set[str] = set()  # the literal text just before: one of these strings

    def flush() -> None:
        if run:
            candidates.append(frozenset(run))
            run.clear()

    for op, arg in items:
        chars = _chars(op, arg)
        if chars is not None and len(run or {""}) * len(chars) <= _MAX_NEEDLES:
            grown = {r + c for r in (run or {""}) for c in chars}
            run.clear()
            run.update(grown)
            continue
        flush()
        if chars is not None:  # too many combinations: start again from here
            run.update(chars)
            continue
        if op in _ZERO_WIDTH:
            continue  # matches no text: neither helps nor hurts
        if op is _c.SUBPATTERN:
            found = _need(arg[-1])
        elif op is _c.BRANCH:
            parts = [_need(branch) for branch in arg[1]]
            found = None if any(p is None for p in parts) else frozenset().union(*parts)  # type: ignore[arg-type]
        elif op in _REPEATS and arg[0] >= 1:
            found = _need(arg[2])
        else:
            found = None
        if found:
            candidates.append(found)
    flush()
    if not candidates:
        return None
    return max(candidates, key=lambda s: (min(map(len, s)), -len(s)))


_MAX_NEEDLES = 16


def _chars(op: Any, arg: Any) -> set[str] | None:
    """The lower-case characters one node matches: a literal, or a small class of
    literals (``[eE]``); None for anything else."""
    if op is _c.LITERAL:
        return {chr(arg).lower()}
    if op is _c.IN and len(arg) <= 4 and all(o is _c.LITERAL for o, _ in arg):
        return {chr(a).lower() for _, a in arg}
    return None


def needles(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Lower-case strings one of which every match of ``pattern`` contains, or None."""
    found = _need(list(_p.parse(pattern.pattern, pattern.flags)))
    if not found or not all(n.isascii() for n in found):
        return None  # a non-ASCII literal may match ASCII text under IGNORECASE
    # "update" in the text already says what "update " would: keep the shortest
    return frozenset(n for n in found if not any(m != n and m in n for m in found))


def lowered(text: str) -> str | None:
    """The lower-cased text a :class:`Gate` checks, or None where that check would not
    be exact (non-ASCII text: case-insensitive matching is more than ``str.lower``)."""
    return text.lower() if text.isascii() else None


@dataclass(frozen=True)
class Gate:
    """A pattern with its needles: ``search`` answers exactly as ``pattern.search``."""

    pattern: re.Pattern[str]
    needles: tuple[str, ...] | None = field(default=None)

    @classmethod
    def of(cls, pattern: re.Pattern[str]) -> Gate:
        found = needles(pattern)
        return cls(pattern, None if found is None else tuple(sorted(found)))

    def may_match(self, low: str | None) -> bool:
        """False when no part of the text ``low`` (:func:`lowered`) can match."""
        if low is None or self.needles is None:
            return True
        for needle in self.needles:
            if needle in low:
                return True
        return False

    def search(self, text: str, low: str | None) -> re.Match[str] | None:
        """``pattern.search(text)``; ``low`` is :func:`lowered` of ``text``."""
        if low is not None and self.needles is not None:
            for needle in self.needles:
                if needle in low:
                    break
            else:
                return None
        return self.pattern.search(text)


class GateSet:
    """Several patterns asked of the same text: which of them occur (one loop, no call
    per pattern; the answer is exactly ``[p.search(text) is not None for p in ...]``)."""

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        self._gates = tuple((i, Gate.of(p)) for i, p in enumerate(patterns))

    def matching(self, text: str) -> tuple[int, ...]:
        """Indices of the patterns that occur in ``text``."""
        low = lowered(text)
        hits = []
        for i, gate in self._gates:
            needles = gate.needles
            if low is not None and needles is not None:
                for needle in needles:
                    if needle in low:
                        break
                else:
                    continue
            if gate.pattern.search(text) is not None:
                hits.append(i)
        return tuple(hits)


@lru_cache(maxsize=1 << 16)
def without_refs(title: str) -> str:
    """:func:`relnotes.prrefs.strip_pr_refs`, once per title: rules, history and the
    revert pairing all read a title without its PR links. A title with no ``#``, ``(``
    or URL and single spaces only (what stripping leaves) is returned as it is, which
    is what stripping would give."""
    if ("#" in title or "(" in title or "http" in title or title.endswith((' "', " '"))
            or " ".join(title.split()) != title):
        return strip_pr_refs(title)
    return title
