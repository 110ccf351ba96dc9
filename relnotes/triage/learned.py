"""What triage learns from a history, fitted once and stored beside it.

For a selection of a history's releases, triage needs a :class:`Fitted`: the fate model
fitted on those releases (:mod:`relnotes.triage.model`) and the decision rule's numbers
(:mod:`relnotes.triage.fitting`), learned on each release of the selection assessed by
the engine and fate model of the *other* releases. That takes a fate model per subset and
seconds of assessment, so ``relnotes history build`` (and ``history fit``) does it once
and stores it beside the history file (``history.json.gz`` ->):

- ``history.policy.json``: per stored selection (and recency), the rule's numbers, keyed
  to the history file's content hash;
- ``history.model-<releases>.json.gz``: the fate model of each stored selection.

Stored selections: every release alone, the releases before each one (a worksheet is
triaged with the releases older than its own), all but each one (leave-one-release-out
backtests) and all of them. :func:`fitted_for` takes the stored rule when one matches the
history in use and learns the rule in the run otherwise (a history that is not a file's
whole releases, a recency that was not stored, a stored file made for another history --
a warning says so), with whatever stored fate models there are: numpy is needed only to
fit fate models, never to triage.
"""

from __future__ import annotations

import gzip
import json
import logging
import weakref
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from relnotes.errors import ConfigError
from relnotes.fileio import atomic_write
from relnotes.triage.apidiff import api_diff_for
from relnotes.triage.assessment import Context, assess, known_domains_for
from relnotes.triage.fitting import Row, fit_across_releases, fit_one_release
from relnotes.triage.history import (
    DEFAULT_RECENCY,
    History,
    HistoryRecord,
    load_history,
    release_key,
)
from relnotes.triage.model import FateModel, fit_fate_model
from relnotes.triage.policy import Policy
from relnotes.versions import parse_version

__all__ = [
    "FORMAT_VERSION",
    "Fitted",
    "StoredPolicy",
    "fitted_for",
    "learn_fitted",
    "model_path",
    "policy_for",
    "policy_path",
    "read_policies",
    "remember_fitted",
    "selections_to_store",
    "write_fitted",
]

log = logging.getLogger(__name__)

FORMAT_VERSION = 2
Selection = tuple[str, ...]  # releases, in release order


@dataclass(frozen=True)
class Fitted:
    """What triage learned from one selection of releases."""

    policy: Policy
    model: FateModel | None = None


_FITTED: weakref.WeakKeyDictionary[History, Fitted] = weakref.WeakKeyDictionary()


def remember_fitted(history: History, fitted: Fitted) -> None:
    """Use ``fitted`` as what :func:`fitted_for` learns from ``history`` (learned by
    another process, from the same history)."""
    _FITTED[history] = fitted


def fitted_for(history: History | None) -> Fitted:
    """The fate model and decision rule for ``history``: stored beside its file when they
    match it, else learned from it (once per history object)."""
    if history is None or not len(history):
        return Fitted(Policy())
    cached = _FITTED.get(history)
    if cached is None:
        cached = _stored(history)
        if cached is None:
            log.info("learning the decision rule from the history (%d items)", len(history))
            cached = learn_fitted(history, models=_stored_models(history))
        _FITTED[history] = cached
    return cached


def policy_for(history: History | None) -> Policy:
    """The decision rule's numbers for ``history`` (see :func:`fitted_for`)."""
    return fitted_for(history).policy


def selection_of(releases: Iterable[str]) -> Selection:
    return tuple(sorted(set(releases), key=release_key))


# -- learning ---------------------------------------------------------------------------

RowCache = dict[tuple[str, Selection, float], list[Row]]


def learn_fitted(history: History, *, models: Mapping[Selection, FateModel],
                 rows: RowCache | None = None) -> Fitted:
    """The rule for ``history``'s releases, learned from its records, with the fate
    models given for its releases and the subsets it is learned on (those missing: the
    engine alone). ``rows`` caches assessments across calls (one build)."""
    releases = selection_of(history.releases)
    model = models.get(releases)
    cache: RowCache = {} if rows is None else rows
    if len(releases) >= 2:
        found: list[Row] = []
        for held in releases:
            others = tuple(r for r in releases if r != held)
            found += _rows_for(history, held, others, models.get(others), cache)
        source = "leave-one-release-out over " + ", ".join(releases)
        policy = fit_across_releases(found, source=source)
    else:
        policy = fit_one_release(_halves_rows(history), has_model=model is not None,
                                 source=f"one release, {releases[0]}: detector from two "
                                        "halves of it, no margin")
    log.info("triage rule learned from %s: %s", policy.learned_from, policy.describe())
    return Fitted(policy, model)


def _rows_for(history: History, held: str, others: Selection, model: FateModel | None,
              cache: RowCache) -> list[Row]:
    """Each item of release ``held`` assessed by the engine and fate model of ``others``."""
    key = (held, others, history.recency)
    if key not in cache:
        train = history.subset(lambda r: r.release in others)
        records = [r for r in history.records if r.release == held]
        cache[key] = _assessed(records, train, held, history.domains_of[held], model)
    return cache[key]


def _halves_rows(history: History) -> list[Row]:
    """Each item of a one-release history assessed by a model of the other half."""
    def half(record: HistoryRecord) -> int:
        return zlib.crc32(record.title.encode()) % 2

    out: list[Row] = []
    release = history.releases[0]
    for side in (0, 1):
        train = history.subset(lambda r, s=side: half(r) != s)  # type: ignore[misc]
        held = [r for r in history.records if half(r) == side]
        out += _assessed(held, train, release, history.domains_of[release], None)
    return out


def _assessed(records: Sequence[HistoryRecord], train: History, release: str,
              domains: set[str], model: FateModel | None) -> list[Row]:
    ctx = Context(history=train, known=known_domains_for(train) | domains,
                  api=api_diff_for(parse_version(release)), fate=model)
    out = []
    for r in records:
        a = assess(r.title, r.domain, r.presorted, ctx)
        st = a.stakes
        out.append(Row(release, r.presorted, r.fate, a.probs,
                       (st.evidence, st.words, st.domain_rate, st.lr), a.model))
    return out


# -- the stored artefact ----------------------------------------------------------------


@dataclass(frozen=True)
class StoredPolicy:
    """One stored rule and what it was learned from."""

    releases: Selection
    recency: float
    policy: Policy
    model: bool  # a fate model of these releases is stored beside it


def policy_path(history_path: str | Path) -> Path:
    """Where the rules learned from a history file are stored: beside it, same stem
    (``history.json.gz`` -> ``history.policy.json``)."""
    return _beside(history_path, ".policy.json")


def model_path(history_path: str | Path, releases: Sequence[str]) -> Path:
    """Where the fate model of a selection of a history's releases is stored."""
    return _beside(history_path, f".model-{'+'.join(selection_of(releases))}.json.gz")


def _beside(history_path: str | Path, suffix: str) -> Path:
    p = Path(history_path)
    name = p.name
    for ending in (".gz", ".json"):
        name = name.removesuffix(ending)
    return p.with_name(name + suffix)


def read_policies(path: Path) -> tuple[str, list[StoredPolicy]]:
    """(the history file's content hash, the stored rules) of a policy file."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not a relnotes policy file: {exc.msg}", file=path,
                          line=exc.lineno) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the policy file: {exc}", file=path) from None
    try:
        if doc["format"] != FORMAT_VERSION:
            raise ValueError(f"format {doc['format']!r} is not {FORMAT_VERSION}")
        stored = [StoredPolicy(tuple(str(r) for r in entry["releases"]),
                               float(entry["recency"]), Policy.from_json(entry["policy"]),
                               bool(entry["model"]))
                  for entry in doc["policies"]]
        return str(doc["history_sha256"]), stored
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"not a relnotes policy file ({exc}); rebuild it with "
                          "`relnotes history fit HISTORY`", file=path) from None


@lru_cache(maxsize=16)
def _read_model(path: Path, sha256: str) -> FateModel | None:
    """A stored fate model (None: none there, or made for another history)."""
    if not path.is_file():
        return None
    try:
        doc = json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"not a relnotes fate model: {exc}", file=path) from None
    if doc.get("history_sha256") != sha256:
        log.warning("%s was fitted on another version of the history: not used (fit it "
                    "again with `relnotes history fit`)", path)
        return None
    try:
        return FateModel.from_json(doc["model"])
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"{exc}; rebuild it with `relnotes history fit HISTORY`",
                          file=path) from None


def _stored(history: History) -> Fitted | None:
    """The stored rule (and model) for exactly this history, if its file has one."""
    origin = history.origin
    if origin is None:
        return None
    path = policy_path(origin.path)
    if not path.is_file():
        log.info("no stored decision rule beside %s", origin.path)
        return None
    sha256, stored = read_policies(path)
    if sha256 != origin.sha256:
        log.warning("%s was learned from another version of %s: learning the decision "
                    "rule again (store it with `relnotes history fit %s`)",
                    path, origin.path, origin.path)
        return None
    key = (selection_of(history.releases), history.recency)
    for entry in stored:
        if (entry.releases, entry.recency) == key:
            model = (_read_model(model_path(origin.path, entry.releases), sha256)
                     if entry.model else None)
            return Fitted(entry.policy, model)
    log.info("%s has no decision rule for releases %s at recency %s", path,
             ", ".join(history.releases), history.recency)
    return None


def _stored_models(history: History) -> dict[Selection, FateModel]:
    """The stored fate models of every subset of ``history``'s releases."""
    origin = history.origin
    if origin is None:
        return {}
    releases = selection_of(history.releases)
    out: dict[Selection, FateModel] = {}
    for subset in [releases, *(tuple(r for r in releases if r != x) for x in releases)]:
        model = _read_model(model_path(origin.path, subset), origin.sha256) if subset else None
        if model is not None:
            out[subset] = model
    return out


def selections_to_store(releases: Sequence[str]) -> list[Selection]:
    """The release selections worth storing: all of them, the releases before each one
    (chronological backtests, triage of a release's worksheets), all but each one
    (leave-one-release-out backtests) and each one alone (the learning curve); each once,
    in that order."""
    ordered = selection_of(releases)
    found: list[Selection] = [ordered]
    found += [ordered[:i] for i in range(1, len(ordered))]
    found += [tuple(r for r in ordered if r != left) for left in ordered]
    found += [(r,) for r in ordered]
    return list(dict.fromkeys(s for s in found if s))


def _needed_models(selections: Iterable[Selection]) -> list[Selection]:
    """Every subset a fate model is fitted on: each selection, and each selection less
    one of its releases (what its rule is learned with)."""
    out: list[Selection] = []
    for s in selections:
        out.append(s)
        if len(s) >= 2:
            out += [tuple(r for r in s if r != x) for x in s]
    return list(dict.fromkeys(out))


Progress = Callable[[str, int, int], None]


def write_fitted(history_path: str | Path, *, recency: float = DEFAULT_RECENCY,
                 selections: Iterable[Sequence[str]] | None = None,
                 progress: Progress | None = None) -> tuple[Path, int]:
    """Fit the fate models and learn the rule for each selection of the history's
    releases (default: :func:`selections_to_store`), and store them beside the history
    file; ``progress`` is called with (what, its number from 1, how many) before each
    step. Needs numpy (the fate models). Returns the policy file and how many rules."""
    everything = load_history(history_path, recency=recency)
    origin = everything.origin
    assert origin is not None, "a history read from a file has an origin"
    chosen = [selection_of(s) for s in (selections_to_store(everything.releases)
                                        if selections is None else selections)]
    needed = _needed_models(chosen)
    steps = len(needed) + len(chosen)
    models: dict[Selection, FateModel] = {}
    for n, subset in enumerate(needed, 1):
        if progress is not None:
            progress(f"fitting the fate model of {', '.join(subset)}", n, steps)
        models[subset] = fit_fate_model([r for r in everything.records if r.release in subset])
    rows: RowCache = {}
    entries: list[dict[str, Any]] = []
    for n, selection in enumerate(chosen, len(needed) + 1):
        if progress is not None:
            progress(f"learning the decision rule from {', '.join(selection)}", n, steps)
        history = load_history(history_path, include=selection, recency=recency)
        fitted = learn_fitted(history, models=models, rows=rows)
        entries.append({"releases": list(selection), "recency": recency, "model": True,
                        "policy": fitted.policy.to_json()})
        stored = {"history_sha256": origin.sha256, "model": models[selection].to_json()}
        atomic_write(model_path(origin.path, selection),
                     gzip.compress(json.dumps(stored, separators=(",", ":")).encode("utf-8"),
                                   mtime=0))
    doc = {"format": FORMAT_VERSION, "history_file": origin.path.name,
           "history_sha256": origin.sha256, "policies": entries}
    path = policy_path(origin.path)
    atomic_write(path, json.dumps(doc, indent=1) + "\n")
    _read_model.cache_clear()
    return path, len(entries)
