"""The decision rule learned from a history: fitted once, stored beside the history.

Learning the rule assesses every history item with a model that did not see it
(seconds for a few thousand items), so it is not done on every run: ``relnotes history
build`` (and ``history fit``) stores the rules beside the history file
(``history.json.gz`` -> ``history.policy.json``), keyed to the history file's content
hash and to the releases and recency each was learned with. :func:`policy_for` takes
the stored rule when one matches the history in use, and learns it again otherwise: for
a history that is not a file's whole releases, a selection of releases or a recency
that was not stored, or a stored file made for another history (a warning says so).
"""

from __future__ import annotations

import json
import logging
import weakref
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relnotes.errors import ConfigError
from relnotes.fileio import atomic_write
from relnotes.triage.apidiff import api_diff_for
from relnotes.triage.assessment import Context, assess, known_domains_for
from relnotes.triage.history import DEFAULT_RECENCY, History, HistoryRecord, load_history
from relnotes.triage.policy import Policy, Row, fit_policy
from relnotes.versions import parse_version

__all__ = [
    "FORMAT_VERSION",
    "StoredPolicy",
    "fit_from_history",
    "policy_for",
    "policy_path",
    "read_policies",
    "remember_policy",
    "selections_to_store",
    "write_policies",
]

log = logging.getLogger(__name__)

FORMAT_VERSION = 1

_POLICIES: weakref.WeakKeyDictionary[History, Policy] = weakref.WeakKeyDictionary()


def remember_policy(history: History, policy: Policy) -> None:
    """Use ``policy`` as what :func:`policy_for` learns from ``history`` (learned by
    another process, from the same history)."""
    _POLICIES[history] = policy


def policy_for(history: History | None) -> Policy:
    """The decision rule's numbers for ``history``: stored beside its file when they
    match it, else learned from it (once per history object)."""
    if history is None or not len(history):
        return Policy()
    cached = _POLICIES.get(history)
    if cached is None:
        cached = _stored(history)
        if cached is None:
            log.info("learning the decision rule from the history (%d items)", len(history))
            cached = fit_from_history(history)
        _POLICIES[history] = cached
    return cached


def fit_from_history(history: History) -> Policy:
    """The decision rule's numbers learned from ``history``.

    Each history item is assessed by a model built from the *other* items: with two or
    more releases the folds are the releases (so the margin and the confidence
    calibration measure how decisions transfer to a release the model has not seen);
    with one release, two halves of it (which is more optimistic).
    """
    releases = history.releases
    if len(releases) >= 2:
        folds = {r.release: r.release for r in history.records}
        source = "leave-one-release-out over " + ", ".join(releases)
    else:
        folds = {}
        source = f"two halves of {releases[0]}"

    def fold_of(record: HistoryRecord) -> str:
        return folds.get(record.release) or str(zlib.crc32(record.title.encode()) % 2)

    rows: list[Row] = []
    for fold in sorted({fold_of(r) for r in history.records}):
        train = history.subset(lambda r, f=fold: fold_of(r) != f)  # type: ignore[misc]
        held = [r for r in history.records if fold_of(r) == fold]
        for release in sorted({r.release for r in held}):
            ctx = Context(history=train, known=known_domains_for(train) | history.domains_of[release],
                          api=api_diff_for(parse_version(release)))
            for r in held:
                if r.release != release:
                    continue
                a = assess(r.title, r.domain, r.presorted, ctx)
                st = a.stakes
                rows.append(Row(r.presorted, r.fate, a.probs, st.score,
                                stakes_parts=(st.evidence, st.words, st.domain_rate)))
    policy = fit_policy(rows, source=source)
    log.info("triage policy learned from %s: margin %.2f, flag at %.1f, suggest at %.1f",
             source, policy.margin, policy.flag_at, policy.suggest_at)
    return policy


# -- the stored rules ---------------------------------------------------------------------


@dataclass(frozen=True)
class StoredPolicy:
    """One stored rule and what it was learned from."""

    releases: tuple[str, ...]
    recency: float
    policy: Policy


def policy_path(history_path: str | Path) -> Path:
    """Where the rules learned from a history file are stored: beside it, same stem
    (``history.json.gz`` -> ``history.policy.json``)."""
    p = Path(history_path)
    name = p.name
    for suffix in (".gz", ".json"):
        name = name.removesuffix(suffix)
    return p.with_name(name + ".policy.json")


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
                               float(entry["recency"]), Policy.from_json(entry["policy"]))
                  for entry in doc["policies"]]
        return str(doc["history_sha256"]), stored
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"not a relnotes policy file ({exc}); rebuild it with "
                          "`relnotes history fit HISTORY`", file=path) from None


def _stored(history: History) -> Policy | None:
    """The stored rule for exactly this history, if its file has one."""
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
    key = (tuple(history.releases), history.recency)
    for entry in stored:
        if (entry.releases, entry.recency) == key:
            return entry.policy
    log.info("%s has no decision rule for releases %s at recency %s", path,
             ", ".join(history.releases), history.recency)
    return None


def selections_to_store(releases: Sequence[str]) -> list[tuple[str, ...]]:
    """The release selections worth storing a rule for: all of them, the releases
    before each one (chronological backtests, triage of a past release) and all but
    each one (leave-one-release-out backtests); each once, in that order."""
    ordered = sorted(releases, key=_release_key)
    found: list[tuple[str, ...]] = [tuple(ordered)]
    found += [tuple(ordered[:i]) for i in range(1, len(ordered))]
    found += [tuple(r for r in ordered if r != left) for left in ordered]
    out: list[tuple[str, ...]] = []
    for selection in found:
        key = tuple(sorted(selection))
        if selection and key not in out:
            out.append(key)
    return out


def _release_key(release: str) -> tuple[int, int, int]:
    v = parse_version(release)
    return (v.major, v.minor, v.patch or 0) if v else (0, 0, 0)


def write_policies(history_path: str | Path, *,
                   selections: Iterable[Sequence[str]] | None = None,
                   recency: float = DEFAULT_RECENCY,
                   progress: Callable[[Sequence[str], int, int], None] | None = None,
                   ) -> tuple[Path, int]:
    """Learn the decision rule for each selection of the history's releases (default:
    :func:`selections_to_store`) and store them beside the history file; ``progress``
    is called with (selection, its number from 1, how many) before each is learned.
    Returns the policy file and how many rules it holds."""
    everything = load_history(history_path, recency=recency)
    origin = everything.origin
    assert origin is not None, "a history read from a file has an origin"
    chosen = [tuple(s) for s in (selections_to_store(everything.releases)
                                 if selections is None else selections)]
    entries: list[dict[str, Any]] = []
    for n, selection in enumerate(chosen, 1):
        if progress is not None:
            progress(selection, n, len(chosen))
        history = load_history(history_path, include=selection, recency=recency)
        entries.append({"releases": list(history.releases), "recency": recency,
                        "policy": fit_from_history(history).to_json()})
    doc = {"format": FORMAT_VERSION, "history_file": origin.path.name,
           "history_sha256": origin.sha256, "policies": entries}
    path = policy_path(origin.path)
    atomic_write(path, json.dumps(doc, indent=1) + "\n")
    return path, len(entries)
