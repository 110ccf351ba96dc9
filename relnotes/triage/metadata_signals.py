"""Signals from PR metadata (labels, changed files, body), when it is cached.

Labels are the strongest evidence there is: PyTorch authors add ``release notes: <area>``
and ``topic: <kind>`` labels for exactly this process. Changed files tell tests-only and
docs-only work apart from code, and which domain's paths the change touches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from relnotes.triage.tables import tables

__all__ = [
    "MetadataSignals",
    "is_doc_path",
    "is_test_path",
    "metadata_signals",
]


def is_test_path(path: str) -> bool:
    """A tests or CI file (``test_files`` of relnotes/data/triage_paths.toml)."""
    return bool(tables().test_files.search(path))


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

    def vote(self, section: str, weight: float) -> None:
        self.votes[section] = self.votes.get(section, 0.0) + weight


def metadata_signals(records: Iterable[Any]) -> MetadataSignals:
    """Signals from the PR records of one item (usually one; reverts of it are separate)."""
    out = MetadataSignals()
    for record in records:
        if record is None or not getattr(record, "found", True):
            continue
        _labels(record, out)
        _files(record, out)
        body = (getattr(record, "body", "") or "").lower()
        if "bc-breaking" in body or "bc breaking" in body or "backwards incompatible" in body:
            out.vote("bc breaking", 1.5)
            out.publish += 0.8
            out.reasons.append(f"#{record.number}: the PR body talks about BC-breaking changes")
    return out


def _labels(record: Any, out: MetadataSignals) -> None:
    """The label table's effects (relnotes/data/triage_labels.toml), in label order."""
    t = tables()
    labels = [str(label).strip().lower() for label in getattr(record, "labels", []) or []]
    for label in labels:
        if label.startswith("topic:"):
            effect = t.topics.get(label.split(":", 1)[1].strip())
        elif label.startswith("release notes:"):
            effect = next((e for words, e in t.release_notes.items() if words in label), None)
        else:
            effect = t.labels.get(label)
        if effect is None:
            continue
        out.publish += effect.publish
        if effect.section:
            out.vote(effect.section, effect.vote)
        reason = effect.reason or f"label '{label}'"
        out.reasons.append(f"#{record.number}: {reason}")


def _files(record: Any, out: MetadataSignals) -> None:
    files = list(getattr(record, "files", []) or [])
    out.files += files
    if not files:
        return
    if all(is_test_path(f) for f in files):
        out.publish -= 3.0
        out.reasons.append(f"#{record.number}: changes only tests/CI files ({len(files)}): "
                           "not user facing")
    elif all(is_doc_path(f) for f in files):
        out.vote("docs", 3.0)
        out.reasons.append(f"#{record.number}: changes only documentation ({len(files)} files)")
