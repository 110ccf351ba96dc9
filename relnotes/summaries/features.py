"""What one worksheet item says about the change it belongs to, read from its title.

Grouping compares items pairwise, so everything that needs parsing is read once per item
here: the title without tags and PR references, its words and code identifiers, its
series position (``[2/N]``), whether it reverts or relands something, and the PRs its
title merely mentions (``follow-up to #N``). A word's rarity is a property of the
worksheet the item is in (:class:`Vocabulary`): ``pallas`` is rare in inductor, ``fix``
is not rare anywhere.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from relnotes.prrefs import strip_pr_refs
from relnotes.triage.domains import normalise_tag, title_tags
from relnotes.triage.titles import INTERNAL_TAGS
from relnotes.worksheet import Item

__all__ = ["ItemFeatures", "Vocabulary", "core_title", "features_of", "tokens"]

_SERIES = re.compile(
    r"\[\s*(\d+)\s*/\s*(\d+|n)\s*\]|\(\s*(\d+)\s*/\s*(\d+|n)\s*\)|\b(\d+)\s*/\s*(n)\b"
    r"|\bpart\s*(\d+)\b|\bstep\s*(\d+)\b|\b(\d+)\s+of\s+(\d+)\b", re.IGNORECASE)
_REVERT = re.compile(r'^\s*(?:\[[^\]]*\]\s*)*revert\b\s*"?', re.IGNORECASE)
_RELAND = re.compile(r"\b(?:re-?land(?:ed|ing)?|take\s*\d+|again|second\s+attempt|"
                     r"try\s+again|redo|re-?apply|v\d+)\b", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w/])#(\d{4,7})\b")
_TOKEN = re.compile(r"[a-z0-9]+(?:[._][a-z0-9]+)*")
_IDENT = re.compile(r"`([^`]+)`|\b([A-Za-z_]\w*(?:\.\w+)+|[a-z]\w*_\w+|_\w+|[a-z]+[A-Z]\w*"
                    r"|[A-Z][a-z0-9]+[A-Z]\w*)\b")
_TAG = re.compile(r"\[[^\[\]]{1,40}\](?!\()")
# Words that say how a change was made or what kind it is, never which change: they tie
# every fix to every other fix. Kept short: rarity within the worksheet does the rest.
STOPWORDS = frozenset("""
a an the and or of to in on for with from by as at is are be it its this that into
via when if not no non do does dont don t s use using used add adds added adding
fix fixes fixed fixing support supports supported make makes made update updates
updated remove removes removed removing enable enables enabled disable disables
disabled allow allows improve improves improved change changes changed new more
less some all any only also should can cannot now after before unused up out
""".split())


@dataclass(frozen=True)
class ItemFeatures:
    """One item's title, read for grouping."""

    index: int  # position in the worksheet's list of grouped items
    pr: int | None  # the first own PR
    prs: tuple[int, ...]
    title: str
    clean: str  # no tags, no PR references
    core: str  # lower-case words of ``clean`` without revert/reland wrapping
    words: frozenset[str]
    idents: frozenset[str]
    tags: frozenset[str]  # normalised, internal ones left out
    series: tuple[int, str] | None  # (position, total as written: "4", "n")
    revert: bool
    reland: bool
    mentions: frozenset[int]  # PRs the title names that are not the item's own


_VERSIONED = re.compile(r"\b([a-z]+)[\s\-]?(\d+(?:\.\d+)*)(?:[a-z]\w*)?\b")
_VERSION = re.compile(r"(?<![\w.])(\d+(?:\.\d+)+)")


def _version(number: str) -> str:
    """``13.0`` -> ``13``, ``3.14.0`` -> ``3.14``: one spelling per version."""
    parts = number.split(".")
    while len(parts) > 1 and parts[-1] == "0":
        parts.pop()
    return ".".join(parts)


def tokens(text: str) -> list[str]:
    """Lower-case word tokens; ``int8pack_mm`` and ``torch.compile`` stay whole and
    also give their parts (``int8pack``, ``compile``): API names are matched either way.
    Versions get one spelling each: ``CUDA 13``, ``CUDA 13.0`` and ``CUDA13`` all give
    ``cuda13``; ``py3.14`` and ``Python 3.14`` both give ``3.14``."""
    low = text.lower()
    out: list[str] = []
    for tok in _TOKEN.findall(low):
        out.append(tok)
        if "_" in tok or "." in tok:
            out.extend(p for p in re.split(r"[._]", tok) if len(p) >= 3)
    for m in _VERSION.finditer(low.replace("py3", "py 3")):
        out.append(_version(m.group(1)))
    for m in _VERSIONED.finditer(low):
        if m.group(1) not in STOPWORDS:
            out.append(m.group(1) + _version(m.group(2)).split(".")[0]
                       if m.group(1) in ("cuda", "rocm", "sm", "mi", "gfx", "cudnn", "nccl")
                       else m.group(1) + _version(m.group(2)))
    return out


def core_title(title: str) -> str:
    """The words of a title that survive reverting and relanding it: ``Revert "[x] Foo
    bar (#12)"`` and ``[reland] Foo bar`` both give ``foo bar``."""
    text = strip_pr_refs(title)
    text = _REVERT.sub("", text)
    text = _TAG.sub(" ", text)
    text = re.sub(r"\b(?:re-?land(?:ed|ing)?|take\s*\d+|again|v\d+)\b", " ", text,
                  flags=re.IGNORECASE)
    return " ".join(re.sub(r"[\W_]+", " ", text.lower()).split())


def _series(text: str) -> tuple[int, str] | None:
    m = _SERIES.search(text)
    if not m:
        return None
    groups = [g for g in m.groups()]
    pairs = [(groups[0], groups[1]), (groups[2], groups[3]), (groups[4], groups[5]),
             (groups[6], "n"), (groups[7], "n"), (groups[8], groups[9])]
    for pos, total in pairs:
        if pos is not None:
            return int(pos), (total or "n").lower()
    return None


def features_of(items: Sequence[Item]) -> list[ItemFeatures]:
    """Features of ``items`` in order (``index`` is the position in ``items``)."""
    out: list[ItemFeatures] = []
    for n, item in enumerate(items):
        title = item.title
        own = set(item.prs)
        bare = strip_pr_refs(title)
        clean = " ".join(_TAG.sub(" ", bare).split())
        tags = frozenset(t for t in (normalise_tag(tag) for tag in title_tags(title))
                         if t and t not in INTERNAL_TAGS and not re.fullmatch(r"\d+n?|n", t))
        idents = frozenset(
            (m.group(1) or m.group(2)).strip("`()").lower() for m in _IDENT.finditer(clean)
            if len((m.group(1) or m.group(2)).strip("`()")) >= 4)
        words = frozenset(w for w in tokens(clean) if w not in STOPWORDS and len(w) >= 2
                          and not w.isdigit())
        mentions = frozenset(int(x) for x in _MENTION.findall(title.replace("\\#", "#"))
                             if int(x) not in own)
        out.append(ItemFeatures(
            index=n, pr=item.prs[0] if item.prs else None, prs=tuple(item.prs), title=title,
            clean=clean, core=core_title(title), words=words, idents=idents, tags=tags,
            series=_series(bare), revert=bool(_REVERT.match(bare)),
            reland=bool(_RELAND.search(bare)) or "reland" in tags, mentions=mentions))
    return out


@dataclass(frozen=True)
class Vocabulary:
    """How many items of the worksheet use each word, and how often past releases'
    titles did: rarity is relative to the file (``pallas`` is rare in inductor), and a
    word past releases never used names something new (``nvshmem``, ``cuda13``)."""

    df: dict[str, int]
    size: int
    common: frozenset[str]  # words common in most worksheets (learned, see model)
    corpus: Mapping[str, int] = field(default_factory=dict)  # word -> past titles using it

    @classmethod
    def of(cls, feats: Iterable[ItemFeatures], *, common: Iterable[str] = (),
           corpus: Mapping[str, int] | None = None) -> Vocabulary:
        feats = list(feats)
        df: Counter[str] = Counter()
        for f in feats:
            df.update(f.words | f.idents)
        return cls(df=dict(df), size=len(feats), common=frozenset(common),
                   corpus=corpus or {})

    def rare(self, word: str) -> bool:
        """A word that names something: not common anywhere, and used by few items here."""
        return word not in self.common and self.df.get(word, 0) <= max(8, self.size // 25)

    def past(self, word: str) -> int:
        """How many past titles used the word (0: new in this release)."""
        return self.corpus.get(word, 0)
