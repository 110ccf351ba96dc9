"""Whether a worksheet's preamble asks for summaries, and for which sections.

Since 2.10 the generator's preamble has a numbered step such as ``## 3. Summarize the
other sections``: "for improvements, bug fixes, performance, documentation, developers,
not user facing, use your judgement to summarize the key PRs". ``triage`` and ``review``
call :func:`asks_for_summaries` to offer groups unprompted there; on older preambles
groups are made only when asked (``relnotes summarize``).
"""

from __future__ import annotations

import re

from relnotes.categories import canonical_category
from relnotes.worksheet import Worksheet

__all__ = ["DEFAULT_SUMMARY_SECTIONS", "asks_for_summaries", "summary_sections"]

# What 2.10+ preambles list; used when a preamble asks without naming sections.
DEFAULT_SUMMARY_SECTIONS: tuple[str, ...] = (
    "improvements", "bug fixes", "performance", "docs", "devs", "not user facing")
_ASK = re.compile(r"\bsummari[sz]e\b", re.IGNORECASE)
_LIST = re.compile(r"\bfor\s+(?P<list>[^.:\n]*?)\s*(?:,\s*)?(?:use your judg|summari[sz]e|:|$)",
                   re.IGNORECASE | re.MULTILINE)


def _preamble(ws: Worksheet) -> str:
    return "".join(line for chunk in ws.preamble for line in chunk.lines)


def asks_for_summaries(ws: Worksheet) -> bool:
    """Whether the preamble (not the items) asks maintainers to summarise sections."""
    return _ASK.search(_preamble(ws)) is not None


def summary_sections(ws: Worksheet) -> tuple[str, ...]:
    """The sections the preamble asks to summarise (canonical names, in its order); the
    2.10+ list when it asks without naming any; empty when it does not ask."""
    text = _preamble(ws)
    for line in text.splitlines():
        if not _ASK.search(line):
            continue
        found: list[str] = []
        for m in _LIST.finditer(line):
            for piece in re.split(r",|\band\b", m.group("list")):
                category = canonical_category(piece.strip(" *`_"))
                if category and category not in found:
                    found.append(category)
        if found:
            return tuple(found)
    return DEFAULT_SUMMARY_SECTIONS if _ASK.search(text) else ()
