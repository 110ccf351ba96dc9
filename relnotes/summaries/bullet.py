"""The drafted bullet of a group: one clean sentence from the members' titles, then
every PR, linked the way the worksheet itself links PRs.

The sentence never invents words: it is the title of the member that best stands for
the group (the original of a revert/reland, the shared prefix of a series, else the
title closest to all the others), with internal tags (``[Inductor]``, ``[ez]``,
``[1/N]``), PR references and trailing periods removed. Maintainers rewrite it as they
like; it is a start, not an answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import fuzz

from relnotes.prrefs import LONG_PR_LINK
from relnotes.summaries.features import core_title
from relnotes.triage.titles import clean_title
from relnotes.worksheet import Item, Worksheet

__all__ = ["LinkStyle", "draft_bullet", "link_style", "sentence"]

_TAG = re.compile(r"\[[^\[\]]{1,40}\](?!\()")
_REVERT = re.compile(r'^\s*revert\s*"?|"\s*$', re.IGNORECASE)
_RELAND = re.compile(r"^\s*(?:re-?land(?:ed|ing)?\s*:?\s*)", re.IGNORECASE)
_LEADING = re.compile(r"^\s*(?:ci|cd|be|ez|easy|test|tests|bugfix|fix|nit)\s*:\s*", re.IGNORECASE)
_TRAILING_REFS = re.compile(r"\s*\(\s*#\d+(?:\s*,\s*#\d+)*\s*\)\s*$")
_SHORT = re.compile(r"(?<![\w\[])\(\s*#\d+")
_URL = re.compile(r"\[\\?#(\d+)\]\((https?://github\.com/[^)\s]+/pull/)\d+\)")


class LinkStyle:
    """How a worksheet writes a PR: ``([#N](URL))`` (the generator's) or ``(#N)``."""

    def __init__(self, *, long: bool, base: str = "https://github.com/pytorch/pytorch/pull/"):
        self.long = long
        self.base = base

    def render(self, prs: Sequence[int]) -> str:
        if self.long:
            return "(" + ", ".join(f"[#{n}]({self.base}{n})" for n in prs) + ")"
        return "(" + ", ".join(f"#{n}" for n in prs) + ")"


def link_style(ws: Worksheet) -> LinkStyle:
    """The style most of the worksheet's item titles use (long links when tied), with
    the URL base they use."""
    long = short = 0
    base = "https://github.com/pytorch/pytorch/pull/"
    for item in ws.items():
        found = _URL.search(item.title)
        if found:
            long += 1
            base = found.group(2)
        elif _SHORT.search(item.title):
            short += 1
    return LinkStyle(long=long >= short, base=base)


def _untag(text: str) -> str:
    """Remove ``[Tag]`` brackets outside code spans (``shifted_chebyshev_polynomial_[tuvw]``
    keeps its brackets)."""
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(p if p.startswith("`") else _TAG.sub(" ", p) for p in parts)


def sentence(title: str, *, domain: str | None = None) -> str:
    """A title as a release-note sentence: clean (see :func:`clean_title`), with every
    bracketed tag, PR reference and revert/reland wrapping removed."""
    text = LONG_PR_LINK.sub(lambda m: f"#{m.group(1)}", title)
    text = _TRAILING_REFS.sub("", text)
    text = _REVERT.sub("", text.strip()).strip()
    text = _TRAILING_REFS.sub("", text)
    text = _RELAND.sub("", text)
    text = _LEADING.sub("", _untag(text).strip())
    text = clean_title(text, domain=domain)
    text = _TRAILING_REFS.sub("", _untag(text))
    text = re.sub(r"\s+", " ", text).strip(" -:;,")
    while text.endswith("."):
        text = text[:-1].rstrip()
    return text[:1].upper() + text[1:] if text else text


def _common_prefix(texts: Sequence[str]) -> str:
    words = [t.split() for t in texts]
    out: list[str] = []
    for column in zip(*words):
        if len({w.lower().strip(",:") for w in column}) != 1:
            break
        out.append(column[0])
    return " ".join(out).strip(" ,:;-")


def _representative(items: Sequence[Item], texts: Sequence[str]) -> str:
    originals = [t for item, t in zip(items, texts)
                 if not re.match(r'^\s*(?:\[[^\]]*\]\s*)*(?:revert|re-?land)', item.title,
                                 re.IGNORECASE)]
    pool = originals or list(texts)
    prefix = _common_prefix(pool)
    if len(prefix.split()) >= 2:
        # "Update the pinned" + "audio hash", "vllm hash": one sentence naming each part
        tails = list(dict.fromkeys(
            " ".join(t.split()[len(prefix.split()):]).strip(" ,:;-") for t in pool))
        tails = [t for t in tails if t]
        joined = ", ".join(tails[:-1]) + (" and " if len(tails) > 1 else "") + tails[-1] \
            if tails else ""
        if joined and len(prefix) + len(joined) <= 140:
            return f"{prefix} {joined}"
        if len(prefix.split()) >= 3:
            return prefix
    if len(pool) == 1:
        return pool[0]
    cores = [core_title(t) for t in pool]

    def centrality(n: int) -> float:
        return sum(fuzz.token_set_ratio(cores[n], c) for m, c in enumerate(cores) if m != n)

    return pool[max(range(len(pool)), key=lambda n: (centrality(n), -n))]


def draft_bullet(items: Sequence[Item], *, style: LinkStyle, domain: str | None = None) -> str:
    """The bullet text (without ``- ``) for a group: a sentence and every member's PR."""
    texts = [sentence(item.title, domain=domain) for item in items]
    text = _representative(items, texts) or texts[0]
    prs = list(dict.fromkeys(pr for item in items for pr in item.prs))
    return f"{text} {style.render(prs)}"
