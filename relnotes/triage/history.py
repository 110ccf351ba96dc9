"""What maintainers decided for similar items in past releases.

``relnotes history build`` reads todo/done pairs and stores, per release, one compact
record per generated item: domain, pre-sorted section, fate, target domain and title
(without its PR link). That file ships as package data (``relnotes/data/history.json.gz``)
and is the only learned part of triage. From the records, :class:`History` derives at
load time:

- how often items of a domain and pre-sorted section were published, dropped or moved
  (with smoothing towards the section's rate over all domains);
- how strongly each title word leans towards "published" (a naive-Bayes log-odds,
  clipped, so rare words cannot dominate);
- near-duplicate titles, found with rapidfuzz among the same domain's records.

Releases can be excluded at load time, so a backtest on release R never sees R.
"""

from __future__ import annotations

import functools
import gzip
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from relnotes.categories import PUBLISHED
from relnotes.errors import ConfigError
from relnotes.fileio import atomic_write
from relnotes.triage.domains import owner_from_tags
from relnotes.triage.outcomes import read_outcomes

__all__ = [
    "History",
    "HistoryRecord",
    "build_history",
    "default_history_path",
    "load_history",
    "strip_links",
    "title_words",
    "write_history",
]

FORMAT_VERSION = 1
# How many past items of a domain it takes to pull its rate halfway from the section's rate.
PRIOR_PSEUDOCOUNT = 8.0
_LINK = re.compile(r"\s*\(\[#\d+\]\([^)]*\)(,\s*\[#\d+\]\([^)]*\))*\)|\s*\(#\d+(,\s*#\d+)*\)")
_WORD = re.compile(r"[a-z][a-z0-9_+]{1,}")
_STOP = frozenset(["the", "a", "an", "of", "to", "in", "for", "and", "or", "on", "with", "by", "from", "is", "be", "as", "at", "it", "this", "that"])


def strip_links(title: str) -> str:
    """Title without its trailing PR links (``([#N](url))`` or ``(#N)``)."""
    return _LINK.sub("", title).strip()


def title_words(title: str) -> set[str]:
    """Lower-case words and ``tag:`` tokens of a title: the features history counts."""
    text = strip_links(title).lower()
    words = {w for w in _WORD.findall(text) if w not in _STOP}
    words |= {"tag:" + re.sub(r"\W+", "", t) for t in re.findall(r"\[([^\]]{1,30})\]", text)}
    return words


@dataclass(frozen=True)
class HistoryRecord:
    release: str
    domain: str
    presorted: str  # canonical section the generator put it in
    fate: str  # canonical section, "not user facing" or "miscategorized"
    target: str | None  # domain it moved to, for miscategorized
    title: str


@dataclass(frozen=True)
class Prior:
    """Smoothed rates for items like this one (same domain and pre-sorted section)."""

    publish: float
    moved: float
    n: int  # how many past items of this domain and section there were
    sections: dict[str, float]  # published section -> share among published


@dataclass(frozen=True)
class Neighbour:
    score: float
    record: HistoryRecord


class History:
    """Past decisions, queried by the triage engine."""

    def __init__(self, records: Iterable[HistoryRecord]) -> None:
        self.records = list(records)
        self.releases = sorted({r.release for r in self.records})
        self._by_key: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        self._by_section: dict[str, Counter[str]] = defaultdict(Counter)
        self._sections_by_domain: dict[str, Counter[str]] = defaultdict(Counter)
        self._sections_all: Counter[str] = Counter()
        self._by_domain: dict[str, list[HistoryRecord]] = defaultdict(list)
        self._moves: dict[str, Counter[str]] = defaultdict(Counter)
        for r in self.records:
            self._by_key[(r.domain, r.presorted)][r.fate] += 1
            self._by_section[r.presorted][r.fate] += 1
            self._by_domain[r.domain].append(r)
            if r.fate in PUBLISHED:
                self._sections_by_domain[r.domain][r.fate] += 1
                self._sections_all[r.fate] += 1
            if r.fate == "miscategorized" and r.target:
                self._moves[r.domain][r.target] += 1
        self._word_logodds = _word_logodds(self.records, _is_published)
        self._domain_word_logodds = {d: _word_logodds(rs, _is_published)
                                     for d, rs in self._by_domain.items()}
        # Words that made maintainers move items from a domain to another (5+ moves).
        self._move_words = {
            (d, t): _word_logodds(self._by_domain[d], functools.partial(_moved_to, t))
            for d, targets in self._moves.items() for t, n in targets.items() if n >= 5}
        self._titles_by_domain = {d: [r.title.lower() for r in rs]
                                  for d, rs in self._by_domain.items()}
        self._tag_moves: dict[tuple[str, str], tuple[int, int]] | None = None

    def __len__(self) -> int:
        return len(self.records)

    def prior(self, domain: str, presorted: str) -> Prior | None:
        """Publish/move rates for (domain, pre-sorted section), shrunk towards the section's."""
        overall = self._by_section.get(presorted)
        if not overall:
            return None
        n_all = sum(overall.values())
        p_all = sum(v for k, v in overall.items() if k in PUBLISHED) / n_all
        m_all = overall["miscategorized"] / n_all
        here = self._by_key.get((domain, presorted), Counter())
        n = sum(here.values())
        k = PRIOR_PSEUDOCOUNT
        pub = (sum(v for f, v in here.items() if f in PUBLISHED) + k * p_all) / (n + k)
        moved = (here["miscategorized"] + k * m_all) / (n + k)
        secs = self._sections_by_domain.get(domain, Counter())
        total = sum(secs.values())
        all_total = sum(self._sections_all.values()) or 1
        sections = {s: (secs[s] + 4.0 * self._sections_all[s] / all_total) / (total + 4.0)
                    for s in PUBLISHED}
        return Prior(publish=pub, moved=moved, n=n, sections=sections)

    def word_evidence(self, title: str, domain: str | None = None) -> tuple[float, list[str]]:
        """Sum of per-word log-odds towards "published", and the strongest words.

        A word's lean in the item's own domain counts where that domain has seen it
        ("CI" is noise in most worksheets and the content of releng's).
        """
        local = self._domain_word_logodds.get(domain or "", {})
        scored = []
        for w in title_words(title):
            if w in local:
                scored.append((w, local[w]))
            elif w in self._word_logodds:
                scored.append((w, self._word_logodds[w]))
        total = sum(v for _, v in scored)
        top = sorted(scored, key=lambda wv: -abs(wv[1]))[:3]
        return total, [f"{w} ({v:+.1f})" for w, v in top]

    def neighbours(self, title: str, domain: str, *, limit: int = 3, cutoff: float = 88.0,
                   ) -> list[Neighbour]:
        """Past items of the same domain with a near-identical title."""
        choices = self._titles_by_domain.get(domain)
        if not choices:
            return []
        found = process.extract(strip_links(title).lower(), choices, scorer=fuzz.ratio,
                                limit=limit, score_cutoff=cutoff)
        return [Neighbour(score, self._by_domain[domain][idx]) for _, score, idx in found]

    def move_evidence(self, title: str, domain: str) -> list[tuple[str, float, float, list[str]]]:
        """For each domain that often took items from ``domain``: (target, share of past
        items moved there, word log-odds of this title moving there, strongest words)."""
        words = title_words(title)
        n = len(self._by_domain.get(domain, ())) or 1
        out = []
        for (d, target), lo in self._move_words.items():
            if d != domain:
                continue
            scored = sorted(((w, lo[w]) for w in words if w in lo), key=lambda wv: -wv[1])
            out.append((target, self._moves[d][target] / n, sum(v for _, v in scored),
                        [f"{w} ({v:+.1f})" for w, v in scored[:3]]))
        return out

    def tag_moves(self, domain: str, target: str) -> tuple[int, int]:
        """Past items of ``domain`` whose title tag points at ``target``: (moved there, all)."""
        if self._tag_moves is None:
            by_release: dict[str, set[str]] = defaultdict(set)
            for r in self.records:
                by_release[r.release].add(r.domain)
            counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
            for r in self.records:
                owner = owner_from_tags(r.title, known=by_release[r.release])
                if owner is None or owner.domain == r.domain:
                    continue
                entry = counts[(r.domain, owner.domain)]
                entry[1] += 1
                entry[0] += r.fate == "miscategorized" and r.target == owner.domain
            self._tag_moves = {k: (v[0], v[1]) for k, v in counts.items()}
        return self._tag_moves.get((domain, target), (0, 0))


def _moved_to(target: str, r: HistoryRecord) -> bool:
    return r.fate == "miscategorized" and r.target == target


def _is_published(r: HistoryRecord) -> bool | None:
    return True if r.fate in PUBLISHED else False if r.fate == "not user facing" else None


def _word_logodds(records: Iterable[HistoryRecord],
                  positive: Callable[[HistoryRecord], bool | None]) -> dict[str, float]:
    """Per-word log-odds of ``positive`` records vs the others (``None``: left out),
    clipped to +-2 and shrunk towards 0 by how often the word was seen."""
    pub_words: Counter[str] = Counter()
    drop_words: Counter[str] = Counter()
    n_pub = n_drop = 0
    for r in records:
        side = positive(r)
        if side is None:
            continue
        words = title_words(r.title)
        if side:
            pub_words.update(words)
            n_pub += 1
        else:
            drop_words.update(words)
            n_drop += 1
    out: dict[str, float] = {}
    for word in set(pub_words) | set(drop_words):
        a, b = pub_words[word], drop_words[word]
        if a + b < 3:
            continue
        lo = math.log((a + 0.5) / (n_pub + 1)) - math.log((b + 0.5) / (n_drop + 1))
        # Shrink towards 0 by support: a word seen 3 times says little.
        out[word] = max(-2.0, min(2.0, lo)) * (a + b) / (a + b + 10)
    return out


def build_history(pairs: Iterable[tuple[str, str | Path, str | Path, str | Path | None]],
                  ) -> list[HistoryRecord]:
    """Records from ``(release, todo_dir, done_dir, miscategorized_or_None)`` pairs."""
    records: list[HistoryRecord] = []
    for release, todo, done, misc in pairs:
        outcomes, _ = read_outcomes(todo=todo, done=done, miscategorized=misc)
        for o in outcomes:
            presorted = o.item.section.category if o.item.section else None
            records.append(HistoryRecord(release, o.domain, presorted or "Untopiced",
                                         o.fate.section, o.fate.domain,
                                         strip_links(o.item.title)))
    return records


def write_history(records: Iterable[HistoryRecord], path: str | Path) -> Path:
    """Store records compactly: one row list per release, gzip'd JSON."""
    by_release: dict[str, list[list[Any]]] = defaultdict(list)
    for r in records:
        by_release[r.release].append([r.domain, r.presorted, r.fate, r.target, r.title])
    doc = {"version": FORMAT_VERSION,
           "columns": ["domain", "presorted", "fate", "target", "title"],
           "releases": dict(sorted(by_release.items()))}
    raw = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    atomic_write(Path(path), gzip.compress(raw, mtime=0))
    return Path(path)


def default_history_path() -> Path:
    return Path(str(resources.files("relnotes") / "data" / "history.json.gz"))


def load_history(path: str | Path | None = None, *, exclude: Collection[str] = (),
                 ) -> History:
    """Load history, leaving out ``exclude``d releases (e.g. the one being evaluated)."""
    p = Path(path) if path else default_history_path()
    if not p.is_file():
        if path:
            raise ConfigError(f"history file not found: {p}", file=p)
        return History([])
    try:
        doc = json.loads(gzip.decompress(p.read_bytes()).decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"not a relnotes history file: {exc}", file=p) from None
    if doc.get("version") != FORMAT_VERSION:
        raise ConfigError(f"history format {doc.get('version')!r} is not {FORMAT_VERSION}", file=p)
    records = [HistoryRecord(release, *row)
               for release, rows in doc["releases"].items() if release not in exclude
               for row in rows]
    return History(records)
