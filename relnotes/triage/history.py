"""What maintainers decided for similar items in past releases.

``relnotes history build`` reads todo/done pairs and stores, per release, one compact
record per generated item: domain, pre-sorted section, fate, target domain and title
(without its PR link). That file ships as package data (``relnotes/data/history.json.gz``),
with the decision rule learned from it beside it (:mod:`relnotes.triage.learned`): the
learned parts of triage. From the records, :class:`History` derives at load time:

- how often items of a domain and pre-sorted section were published, dropped or moved
  (with smoothing towards the section's rate over all domains);
- how strongly each title word leans towards "published", towards each published
  section, and towards "BC-breaking or deprecation" (naive-Bayes log-odds, clipped and
  shrunk by support, so rare words cannot dominate);
- near-duplicate titles, found with rapidfuzz among the same domain's records.

Habits shift between releases, so records are weighted by recency: the newest release
in the history counts 1, the one before ``recency``, then ``recency**2``... The user
chooses which releases the history holds (``include``/``exclude`` at load time), so a
backtest on release R never sees R.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from relnotes.categories import HIGH_STAKES, PUBLISHED
from relnotes.errors import ConfigError
from relnotes.fileio import atomic_write
from relnotes.prrefs import strip_pr_refs
from relnotes.triage.domains import owner_from_tags
from relnotes.triage.outcomes import read_outcomes
from relnotes.triage.similar import TitleIndex
from relnotes.triage.textscan import without_refs
from relnotes.versions import Version, parse_version

__all__ = [
    "DEFAULT_RECENCY",
    "History",
    "HistoryOrigin",
    "HistoryRecord",
    "Prior",
    "TagMoves",
    "build_history",
    "default_history_path",
    "load_history",
    "release_key",
    "title_words",
    "top_words",
    "write_history",
]

FORMAT_VERSION = 1
# How many past items of a domain it takes to pull its rate halfway from the section's rate.
PRIOR_PSEUDOCOUNT = 8.0
# Past items of a domain it takes to pull its BC/deprecation share halfway to the overall.
STAKES_PSEUDOCOUNT = 50.0
# Weight of a release relative to the next newer one in the history.
DEFAULT_RECENCY = 0.5
# Keys of History.leans besides the published sections.
_PUBLISH, _STAKES = "publish", "stakes"
_WORD = re.compile(r"[a-z][a-z0-9_+]{1,}")
_TAG = re.compile(r"\[([^\]]{1,30})\]")
_NOT_WORD = re.compile(r"\W+")
_STOP = frozenset(["the", "a", "an", "of", "to", "in", "for", "and", "or", "on", "with", "by",
                   "from", "is", "be", "as", "at", "it", "this", "that"])


@functools.lru_cache(maxsize=1 << 16)
def title_words(title: str) -> frozenset[str]:
    """Lower-case words and ``tag:`` tokens of a title: the features history counts."""
    text = without_refs(title).lower()
    words = {w for w in _WORD.findall(text) if w not in _STOP}
    if "[" in text:
        words |= {"tag:" + _NOT_WORD.sub("", t) for t in _TAG.findall(text)}
    return frozenset(words)


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
    n: float  # how many past items of this domain and section there were (weighted)
    sections: dict[str, float]  # published section -> share among published
    count: int = 0  # how many there were (each counts 1, whatever its release)


@dataclass(frozen=True)
class TagMoves:
    """Past items of a domain whose title tag pointed at another domain."""

    moved: float  # moved there (weighted by release)
    seen: float  # all of them (weighted)
    moved_count: int = 0  # the same, each item counting 1
    count: int = 0


@dataclass(frozen=True)
class Neighbour:
    score: float
    record: HistoryRecord


Tally = defaultdict[str, float]  # weighted counts
Scored = list[tuple[str, float]]  # (word, log-odds) of a title's words


def _tally() -> Tally:
    return defaultdict(float)


Polarity = Callable[[HistoryRecord], "bool | None"]


class WordModel:
    """Weighted naive-Bayes log-odds of each word for one yes/no question."""

    def __init__(self, rows: Iterable[tuple[frozenset[str], float, bool | None]]) -> None:
        yes: Tally = defaultdict(float)
        no: Tally = defaultdict(float)
        n_yes = n_no = 0.0
        for words, weight, side in rows:
            if side is None:
                continue
            if side:
                n_yes += weight
                for w in words:
                    yes[w] += weight
            else:
                n_no += weight
                for w in words:
                    no[w] += weight
        self.logodds: dict[str, float] = {}
        for word in set(yes) | set(no):
            a, b = yes[word], no[word]
            if a + b < 2.5:
                continue
            lo = math.log((a + 0.5) / (n_yes + 1)) - math.log((b + 0.5) / (n_no + 1))
            # Shrink towards 0 by support: a word seen 3 times says little.
            self.logodds[word] = max(-2.0, min(2.0, lo)) * (a + b) / (a + b + 10)

    def evidence(self, words: Iterable[str], fallback: WordModel | None = None,
                 ) -> list[tuple[str, float]]:
        """(word, log-odds) for the words this model (else ``fallback``) has seen."""
        out = []
        for w in words:
            if w in self.logodds:
                out.append((w, self.logodds[w]))
            elif fallback is not None and w in fallback.logodds:
                out.append((w, fallback.logodds[w]))
        return out


def _is_published(r: HistoryRecord) -> bool | None:
    return True if r.fate in PUBLISHED else False if r.fate == "not user facing" else None


def _high_stakes(r: HistoryRecord) -> bool:
    return r.fate in HIGH_STAKES


def _section_is(section: str) -> Polarity:
    def polarity(r: HistoryRecord) -> bool | None:
        return None if r.fate not in PUBLISHED else r.fate == section
    return polarity


def _moved_to(target: str) -> Polarity:
    def polarity(r: HistoryRecord) -> bool:
        return r.fate == "miscategorized" and r.target == target
    return polarity


def release_key(release: str) -> tuple[int, int, int]:
    """Sort key of a release name (``2.10.0`` after ``2.9.0``)."""
    v = parse_version(release)
    return (v.major, v.minor, v.patch or 0) if v else (0, 0, 0)


def release_weights(releases: Iterable[str], recency: float) -> dict[str, float]:
    """Newest release 1.0, each older one ``recency`` times the next newer one."""
    ordered = sorted(set(releases), key=release_key, reverse=True)
    return {rel: recency ** i for i, rel in enumerate(ordered)}


@dataclass(frozen=True)
class HistoryOrigin:
    """The file a history was loaded from, and its content hash (what the stored
    decision rule beside it was learned from: :mod:`relnotes.triage.learned`)."""

    path: Path
    sha256: str


class History:
    """Past decisions, queried by the triage model (:mod:`relnotes.triage.assessment`).

    ``origin`` is the file the records are whole releases of (as :func:`load_history`
    reads them), None for records from anywhere else.
    """

    def __init__(self, records: Iterable[HistoryRecord], *,
                 recency: float = DEFAULT_RECENCY, origin: HistoryOrigin | None = None,
                 ) -> None:
        self.records = list(records)
        self.recency = recency
        self.origin = origin
        self.releases = sorted({r.release for r in self.records}, key=release_key)
        self.weights = release_weights(self.releases, recency)
        w = [self.weights[r.release] for r in self.records]
        words = [title_words(r.title) for r in self.records]
        self._by_key: dict[tuple[str, str], Tally] = defaultdict(_tally)
        self._count_by_key: Counter[tuple[str, str]] = Counter()
        self._by_section: dict[str, Tally] = defaultdict(_tally)
        self._sections_by_domain: dict[str, Tally] = defaultdict(_tally)
        self._sections_all: Tally = _tally()
        self._by_domain: dict[str, list[int]] = defaultdict(list)
        self._moves: dict[str, Tally] = defaultdict(_tally)
        self.domains_of: dict[str, set[str]] = defaultdict(set)
        for i, r in enumerate(self.records):
            self._by_key[(r.domain, r.presorted)][r.fate] += w[i]
            self._count_by_key[(r.domain, r.presorted)] += 1
            self._by_section[r.presorted][r.fate] += w[i]
            self._by_domain[r.domain].append(i)
            self.domains_of[r.release].add(r.domain)
            if r.fate in PUBLISHED:
                self._sections_by_domain[r.domain][r.fate] += w[i]
                self._sections_all[r.fate] += w[i]
            if r.fate == "miscategorized" and r.target:
                self._moves[r.domain][r.target] += w[i]

        self._words, self._w = words, w
        everything = range(len(self.records))
        self._publish = self._model(everything, _is_published)
        self._stakes = self._model(everything, _high_stakes)
        self._section = {s: self._model(everything, _section_is(s)) for s in PUBLISHED
                         if self._sections_all[s] >= 5}
        # Each domain's own models, made when the domain is first asked about (a
        # worksheet needs its own domain's only): see _local.
        self._locals: dict[str, _Local | None] = {}
        self._domain_size = {d: sum(self.weights[self.records[i].release] for i in ix)
                             for d, ix in self._by_domain.items()}
        self._tag_moves: dict[str, dict[str, TagMoves]] = {}
        self._fates: Tally = _tally()
        self._by_domain_fate: defaultdict[tuple[str, str], float] = defaultdict(float)
        for i, r in enumerate(self.records):
            self._fates[r.fate] += w[i]
            self._by_domain_fate[(r.domain, r.fate)] += w[i]
        self._stakes_rates: dict[str, tuple[float, str | None]] = {}
        # Word look-ups per domain, computed once (see _table), and the last answer.
        self._tables: dict[str | None, dict[str, tuple[tuple[str, float], ...]]] = {}
        self._last: tuple[tuple[str, str], dict[str, tuple[float, Scored]]] | None = None
        self._priors: dict[tuple[str, str], Prior | None] = {}
        self._older: dict[tuple[str, ...], History] = {}

    def __len__(self) -> int:
        return len(self.records)

    def _model(self, idx: Iterable[int], polarity: Polarity) -> WordModel:
        return WordModel((self._words[i], self._w[i], polarity(self.records[i])) for i in idx)

    def _local(self, domain: str) -> _Local | None:
        """The word models and past titles of one domain (None: the history has none)."""
        if domain not in self._locals:
            ix = self._by_domain.get(domain)
            self._locals[domain] = None if ix is None else _Local(
                publish=self._model(ix, _is_published),
                stakes=self._model(ix, _high_stakes),
                sections={s: self._model(ix, _section_is(s)) for s in PUBLISHED
                          if self._sections_by_domain[domain][s] >= 3},
                # words that made maintainers move items to another domain (3+ moves)
                moves=[(t, self._model(ix, _moved_to(t)))
                       for t, n in self._moves.get(domain, {}).items() if n >= 3],
                titles=TitleIndex([self.records[i].title.lower() for i in ix]))
        return self._locals[domain]

    def subset(self, keep: Callable[[HistoryRecord], bool]) -> History:
        """A history of the records ``keep`` accepts (same recency)."""
        return History([r for r in self.records if keep(r)], recency=self.recency)

    def older_than(self, release: Version) -> History:
        """The releases of this history older than ``release`` (this history itself when
        it holds no other); whole releases of the same file, so their stored rule is
        found (:mod:`relnotes.triage.learned`)."""
        keep = [r for r in self.releases if release_key(r) < _version_key(release)]
        if keep == self.releases:
            return self
        cached = self._older.get(tuple(keep))
        if cached is None:
            cached = self._older[tuple(keep)] = History(
                [r for r in self.records if r.release in keep], recency=self.recency,
                origin=self.origin)
        return cached

    def prior(self, domain: str, presorted: str) -> Prior | None:
        """Publish/move rates for (domain, pre-sorted section), shrunk towards the section's."""
        key = (domain, presorted)
        if key not in self._priors:
            self._priors[key] = self._prior(domain, presorted)
        return self._priors[key]

    def _prior(self, domain: str, presorted: str) -> Prior | None:
        overall = self._by_section.get(presorted)
        if not overall:
            return None
        n_all = sum(overall.values())
        p_all = sum(v for k, v in overall.items() if k in PUBLISHED) / n_all
        m_all = overall["miscategorized"] / n_all
        here = self._by_key.get((domain, presorted), _tally())
        n = sum(here.values())
        k = PRIOR_PSEUDOCOUNT
        pub = (sum(v for f, v in here.items() if f in PUBLISHED) + k * p_all) / (n + k)
        moved = (here["miscategorized"] + k * m_all) / (n + k)
        secs = self._sections_by_domain.get(domain, _tally())
        total = sum(secs.values())
        all_total = sum(self._sections_all.values()) or 1
        sections = {s: (secs[s] + 4.0 * self._sections_all[s] / all_total) / (total + 4.0)
                    for s in PUBLISHED}
        return Prior(publish=pub, moved=moved, n=n, sections=sections,
                     count=self._count_by_key[(domain, presorted)])

    def word_evidence(self, title: str, domain: str | None = None) -> tuple[float, Scored]:
        """Sum of per-word log-odds towards "published", and each word's (for
        :func:`top_words`).

        A word's lean in the item's own domain counts where that domain has seen it
        ("CI" is noise in most worksheets and the content of releng's).
        """
        return self.leans(title, domain or "").get(_PUBLISH, (0, []))

    def section_evidence(self, title: str, domain: str) -> dict[str, tuple[float, Scored]]:
        """Per published section that the title has words for: word log-odds that a
        published item of ``domain`` with this title goes there rather than to another
        published section (sum, each word's)."""
        leans = self.leans(title, domain)
        return {s: leans[s] for s in self._section if s in leans}

    def stakes_evidence(self, title: str, domain: str) -> tuple[float, Scored]:
        """Word log-odds that the item ends up BC-breaking or deprecation (sum, each)."""
        return self.leans(title, domain).get(_STAKES, (0, []))

    def leans(self, title: str, domain: str) -> dict[str, tuple[float, Scored]]:
        """Every word lean of the title at once (one look-up per word): "publish",
        "stakes" and each published section -> (sum of log-odds, each word's); a
        question none of the words speak to is left out. The last answer is kept, as
        the model asks the three methods above in turn for the same item."""
        if self._last is not None and self._last[0] == (title, domain):
            return self._last[1]
        table = self._table(domain)
        totals: dict[str, float] = {}
        scored: dict[str, Scored] = {}
        for w in sorted(title_words(title)):  # sorted: sums and ties the same in every run
            for question, v in table[w]:
                if question in totals:
                    totals[question] += v
                    scored[question].append((w, v))
                else:
                    totals[question] = v
                    scored[question] = [(w, v)]
        out = {q: (totals[q], scored[q]) for q in totals}
        self._last = ((title, domain), out)
        return out

    def _table(self, domain: str) -> dict[str, tuple[tuple[str, float], ...]]:
        """Word -> ((question, log-odds), ...) for ``domain``: per question the domain's
        own model where it has seen the word, else the overall model's (what
        ``WordModel.evidence`` with a fallback gives). Words no model of the domain has
        seen share the overall table."""
        table = self._tables.get(domain)
        if table is None:
            local = self._local(domain) if domain is not None else None
            models = [(_PUBLISH, self._publish, local.publish if local else None),
                      (_STAKES, self._stakes, local.stakes if local else None)]
            models += [(s, m, local.sections.get(s) if local else None)
                       for s, m in self._section.items()]
            overall = self._tables.get(None) if domain is not None else None
            if overall is None:
                overall = self._tables[None] = _entries(
                    [(q, m.logodds) for q, m, _ in models], None)
            own = {w for _, _, local in models if local is not None for w in local.logodds}
            table = self._tables[domain] = _ChainTable(
                _entries([(q, (local or m).logodds) for q, m, local in models], own,
                         fallback=[m.logodds for _, m, _ in models]),
                overall)
        return table

    def stakes_rate(self, domain: str) -> tuple[float, str | None]:
        """(log-odds of the domain's share of BC-breaking/deprecation items minus the
        overall one, smoothed; the kind most of them were, or None without any)."""
        cached = self._stakes_rates.get(domain)
        if cached is None:
            hs = sum(self._by_domain_fate[(domain, f)] for f in HIGH_STAKES)
            n = self._domain_size.get(domain, 0.0)
            all_hs = sum(self._fates[f] for f in HIGH_STAKES)
            overall = (all_hs + 0.5) / (sum(self._fates.values()) + 1.0)
            rate = (hs + STAKES_PSEUDOCOUNT * overall) / (n + STAKES_PSEUDOCOUNT)
            bc, dep = (self._by_domain_fate[(domain, f)] for f in HIGH_STAKES)
            kind = None if not hs else HIGH_STAKES[1] if dep > bc else HIGH_STAKES[0]
            cached = self._stakes_rates[domain] = (_logodds(rate) - _logodds(overall), kind)
        return cached

    def neighbours(self, title: str, domain: str, *, limit: int = 3, cutoff: float = 88.0,
                   ) -> list[Neighbour]:
        """Past items of the same domain with a near-identical title."""
        local = self._local(domain)
        if local is None:
            return []
        found = local.titles.similar(without_refs(title).lower(), limit=limit, cutoff=cutoff)
        ix = self._by_domain[domain]
        return [Neighbour(score, self.records[ix[idx]]) for score, idx in found]

    def domain_size(self, domain: str) -> float:
        return self._domain_size.get(domain, 0)

    def move_evidence(self, title: str, domain: str) -> list[tuple[str, float, float, list[str]]]:
        """For each domain that often took items from ``domain``: (target, share of past
        items moved there, word log-odds of this title moving there, strongest words)."""
        words = title_words(title)
        n = self.domain_size(domain) or 1.0
        out = []
        local = self._local(domain)
        for target, lo in local.moves if local is not None else ():
            scored = sorted(lo.evidence(words), key=lambda wv: (-wv[1], wv[0]))
            out.append((target, self._moves[domain][target] / n, sum(v for _, v in scored),
                        [f"{w} ({v:+.1f})" for w, v in scored[:3]]))
        return out

    def tag_moves(self, domain: str, target: str) -> TagMoves:
        """Past items of ``domain`` whose title tag points at ``target``: how many were
        moved there, of how many (counted for the domain when first asked)."""
        moves = self._tag_moves.get(domain)
        if moves is None:
            counts: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0, 0])
            for i in self._by_domain.get(domain, ()):
                r = self.records[i]
                owner = owner_from_tags(r.title, known=self.domains_of[r.release])
                if owner is None or owner.domain == r.domain:
                    continue
                entry = counts[owner.domain]
                weight = self.weights[r.release]
                entry[1] += weight
                entry[3] += 1
                if r.fate == "miscategorized" and r.target == owner.domain:
                    entry[0] += weight
                    entry[2] += 1
            moves = self._tag_moves[domain] = {
                t: TagMoves(v[0], v[1], int(v[2]), int(v[3])) for t, v in counts.items()}
        return moves.get(target, _NO_TAG_MOVES)


_NO_TAG_MOVES = TagMoves(0.0, 0.0)


@dataclass
class _Local:
    """One domain's word models (see History.__init__) and past titles."""

    publish: WordModel
    stakes: WordModel
    sections: dict[str, WordModel]  # published sections with 3+ items in the domain
    moves: list[tuple[str, WordModel]]  # target domains with 3+ moves
    titles: TitleIndex


def _entries(models: list[tuple[str, dict[str, float]]], words: Iterable[str] | None, *,
             fallback: list[dict[str, float]] | None = None,
             ) -> dict[str, tuple[tuple[str, float], ...]]:
    """Word -> ((question, log-odds), ...) over ``models`` (in their order), for
    ``words`` (default: every word a model has); where a model lacks a word, the
    matching ``fallback`` model's value counts."""
    if words is None:
        words = {w for _, lo in models for w in lo}
    out: dict[str, tuple[tuple[str, float], ...]] = {}
    for w in words:
        row = []
        for i, (question, lo) in enumerate(models):
            v = lo.get(w)
            if v is None and fallback is not None:
                v = fallback[i].get(w)
            if v is not None:
                row.append((question, v))
        out[w] = tuple(row)
    return out


class _ChainTable(dict[str, tuple[tuple[str, float], ...]]):
    """A domain's own rows, falling back to the overall table for other words."""

    def __init__(self, own: dict[str, tuple[tuple[str, float], ...]],
                 overall: dict[str, tuple[tuple[str, float], ...]]) -> None:
        super().__init__(own)
        self._overall = overall

    def __missing__(self, word: str) -> tuple[tuple[str, float], ...]:
        return self._overall.get(word, ())


def _logodds(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def top_words(scored: Scored, n: int = 3) -> list[str]:
    """The ``n`` words that lean most, as "word (+1.2)", for reasons."""
    return [f"{w} ({v:+.1f})" for w, v in sorted(scored, key=lambda wv: (-abs(wv[1]), wv[0]))[:n]]


def build_history(pairs: Iterable[tuple[str, str | Path, str | Path, str | Path | None]],
                  ) -> list[HistoryRecord]:
    """Records from ``(release, todo_dir, done_dir, miscategorized_or_None)`` pairs."""
    records: list[HistoryRecord] = []
    for release, todo, done, misc in pairs:
        outcomes, _ = read_outcomes(todo=todo, done=done, miscategorized=misc)
        for o in outcomes:
            records.append(HistoryRecord(release, o.domain, o.item.placement,
                                         o.fate.section, o.fate.domain,
                                         strip_pr_refs(o.item.title)))
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


def _version_key(v: Version) -> tuple[int, int, int]:
    return (v.major, v.minor, v.patch or 0)


def load_history(path: str | Path | None = None, *, exclude: Collection[str] = (),
                 include: Collection[str] = (), recency: float = DEFAULT_RECENCY,
                 before: Version | None = None) -> History:
    """Load history: only the ``include``d releases when given, never the ``exclude``d
    ones (e.g. the one being evaluated), only releases older than ``before`` when given
    (a worksheet's own release: never its answers, nor later ones); older releases weigh
    ``recency`` times less."""
    p = Path(path) if path else default_history_path()
    if not p.is_file():
        if path:
            raise ConfigError(f"history file not found: {p}", file=p)
        return History([], recency=recency)
    try:
        raw = p.read_bytes()
        doc = json.loads(gzip.decompress(raw).decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"not a relnotes history file: {exc}", file=p) from None
    if doc.get("version") != FORMAT_VERSION:
        raise ConfigError(f"history format {doc.get('version')!r} is not {FORMAT_VERSION}", file=p)
    stored = set(doc["releases"])
    unknown = set(include) - stored
    if unknown:
        raise ConfigError(f"history has no release {', '.join(sorted(unknown))} "
                          f"(it holds {', '.join(sorted(stored)) or 'none'})", file=p)
    records = [HistoryRecord(release, *row)
               for release, rows in doc["releases"].items()
               if release not in exclude and (not include or release in include)
               and (before is None or release_key(release) < _version_key(before))
               for row in rows]
    return History(records, recency=recency,
                   origin=HistoryOrigin(p, hashlib.sha256(raw).hexdigest()))
