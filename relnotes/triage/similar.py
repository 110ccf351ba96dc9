"""Near-identical titles: a domain's past titles, searched for one like a new item's.

History cites a past item whose title is near-identical to the one triaged ("like ...
(96% similar), bug fixes in 2.8.0"); the search is rapidfuzz's ``ratio`` over the
domain's past titles, restricted to the titles whose length can reach the cutoff.
"""

from __future__ import annotations

import bisect

from rapidfuzz import fuzz, process

__all__ = ["TitleIndex"]


class TitleIndex:
    """One domain's past titles, for near-duplicate search.

    ``fuzz.ratio`` is 200 * common / (len(a) + len(b)), so a title can only reach the
    cutoff against titles of similar length: only those are scored (sorted by length,
    a window found by bisection), and the result is what scoring every title gives
    (best first, ties in the original order).
    """

    def __init__(self, titles: list[str]) -> None:
        order = sorted(range(len(titles)), key=lambda i: len(titles[i]))
        self._index = order
        self._titles = [titles[i] for i in order]
        self._lengths = [len(t) for t in self._titles]

    def similar(self, query: str, *, limit: int, cutoff: float) -> list[tuple[float, int]]:
        """(score, original index) of up to ``limit`` titles scoring ``cutoff`` or more."""
        n = len(query)
        if 0 < cutoff <= 100 and n:
            # a shorter title of length m needs 200m/(n+m) >= cutoff; a longer one
            # 200n/(n+m) >= cutoff; one character of slack against rounding
            lo = int(n * cutoff / (200 - cutoff)) - 1
            hi = int(n * (200 - cutoff) / cutoff) + 1
        else:
            lo, hi = 0, max(self._lengths, default=0)
        a = bisect.bisect_left(self._lengths, lo)
        b = bisect.bisect_right(self._lengths, hi)
        if a >= b:
            return []
        found = process.extract(query, self._titles[a:b], scorer=fuzz.ratio, limit=None,
                                score_cutoff=cutoff)
        hits = sorted(((score, self._index[a + pos]) for _, score, pos in found),
                      key=lambda h: (-h[0], h[1]))
        return hits[:limit]
