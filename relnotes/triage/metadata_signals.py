"""Signals from PR metadata (labels, changed files, body), when it is cached.

Labels are the strongest evidence there is: PyTorch authors add ``release notes: <area>``
and ``topic: <kind>`` labels for exactly this process; a ``release notes:`` label naming
another domain of the release says whose item it is, one naming the worksheet's own
domain wins over the files. Changed files tell tests-only, CI-only and docs-only work
apart from code, and which domain's paths the change touches. A BC-breaking or
deprecation note in the body is evidence for the detector. What each says is data
(``relnotes/data/triage_labels.toml``, ``triage_paths.toml``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from relnotes.categories import same_domain
from relnotes.triage.tables import tables

__all__ = [
    "MetadataSignals",
    "is_ci_path",
    "is_doc_path",
    "is_test_path",
    "metadata_signals",
]


def is_test_path(path: str) -> bool:
    """A tests file (``test_files`` of relnotes/data/triage_paths.toml)."""
    return bool(tables().test_files.search(path))


def is_ci_path(path: str) -> bool:
    """A CI file (``ci_files`` of relnotes/data/triage_paths.toml)."""
    return bool(tables().ci_files.search(path))


def is_doc_path(path: str) -> bool:
    """A documentation file (``doc_files`` of relnotes/data/triage_paths.toml)."""
    return bool(tables().doc_files.search(path))


@dataclass
class MetadataSignals:
    """What an item's PR records say: publish log-odds, section votes, reasons, files."""

    publish: float = 0.0
    votes: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    owner: str | None = None  # the domain a `release notes:` label names, if another
    owner_label: str = ""  # that label
    labelled_here: bool = False  # a `release notes:` label names the worksheet's domain
    ci_only: bool = False  # every changed file is CI (or tests): no domain owns it

    def vote(self, section: str, weight: float) -> None:
        self.votes[section] = self.votes.get(section, 0.0) + weight


def metadata_signals(records: Iterable[Any], *, domain: str = "",
                     known: Collection[str] | None = None) -> MetadataSignals:
    """Signals from the PR records of one item (usually one; reverts of it are separate)
    of the worksheet of ``domain``, whose items may move to the ``known`` domains."""
    out = MetadataSignals()
    t = tables()
    for record in records:
        if record is None or not getattr(record, "found", True):
            continue
        _labels(record, out, domain, known)
        _files(record, out, domain)
        body = getattr(record, "body", "") or ""
        if t.bc_note.search(body):
            out.vote("bc breaking", BODY_BC_NOTE)
            out.publish += 0.8
            out.reasons.append(f"#{record.number}: the PR body has a BC-breaking note")
        elif t.deprecation_note.search(body):
            out.vote("deprecation", BODY_DEPRECATION_NOTE)
            out.publish += 0.8
            out.reasons.append(f"#{record.number}: the PR body has a deprecation note")
    return out


BODY_BC_NOTE = 2.0  # vote (and detector evidence) of a BC-breaking note in the body
BODY_DEPRECATION_NOTE = 1.5


def area_domain(area: str, known: Collection[str]) -> str | None:
    """The domain of ``known`` a ``release notes: <area>`` label names: the area itself
    (``inductor (aoti)``), its ``_frontend`` worksheet (``nn`` -> ``nn_frontend``, the
    generator's naming), or a domain whose area in the final notes it is."""
    for name in (area, f"{area}_frontend"):
        found = next((k for k in sorted(known) if same_domain(k, name)), None)
        if found is not None:
            return found
    from relnotes.final_areas import domains_by_display_name

    for display, domains in domains_by_display_name().items():
        if display.lower() == area.lower():
            return next((d for d in domains if d in known), None)
    return None


def _labels(record: Any, out: MetadataSignals, domain: str,
            known: Collection[str] | None) -> None:
    """The label table's effects (relnotes/data/triage_labels.toml), in label order."""
    t = tables()
    labels = [str(label).strip().lower() for label in getattr(record, "labels", []) or []]
    for label in labels:
        if label.startswith("topic:"):
            effect = t.topics.get(label.split(":", 1)[1].strip())
        elif label.startswith("release notes:"):
            effect = next((e for words, e in t.release_notes.items() if words in label), None)
            if effect is None:
                _area(record, label, out, domain, known)
                continue
        else:
            effect = t.labels.get(label)
        if effect is None:
            continue
        out.publish += effect.publish
        if effect.section:
            out.vote(effect.section, effect.vote)
        reason = effect.reason or f"label '{label}'"
        out.reasons.append(f"#{record.number}: {reason}")


def _area(record: Any, label: str, out: MetadataSignals, domain: str,
          known: Collection[str] | None) -> None:
    """A ``release notes: <area>`` label: this worksheet's, or another domain's."""
    area = label.split(":", 1)[1].strip()
    if domain and same_domain(area, domain):
        out.labelled_here = True
        out.reasons.append(f"#{record.number}: label '{label}' names this worksheet's domain")
        return
    target = area_domain(area, known) if known is not None and area else None
    if target is not None and not same_domain(target, domain) and out.owner is None:
        out.owner, out.owner_label = target, label
        out.reasons.append(f"#{record.number}: label '{label}' names domain {target}")


def _files(record: Any, out: MetadataSignals, domain: str) -> None:
    files = list(getattr(record, "files", []) or [])
    out.files += files
    if not files:
        return
    if all(is_test_path(f) for f in files):
        out.publish -= 3.0
        out.reasons.append(f"#{record.number}: changes only tests ({len(files)} files): "
                           "not user facing")
    elif all(is_ci_path(f) or is_test_path(f) for f in files):
        out.ci_only = True
        if domain not in tables().infrastructure:  # CI is releng's own subject
            out.publish -= 3.0
            out.reasons.append(f"#{record.number}: changes only CI files ({len(files)}): "
                               "not user facing")
    elif all(is_doc_path(f) for f in files):
        # documentation users read: the docs section is for exactly this
        out.vote("docs", 3.0)
        out.publish += 2.0
        out.reasons.append(f"#{record.number}: changes only documentation ({len(files)} files)")
