"""Signals from PR metadata (labels, changed files, body), when it is cached.

Labels are the strongest evidence there is: PyTorch authors add ``release notes: <area>``
and ``topic: <kind>`` labels for exactly this process. Changed files tell tests-only and
docs-only work apart from code, and which domain's paths the change touches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "TOPIC_SECTIONS",
    "MetadataSignals",
    "is_doc_path",
    "is_test_path",
    "metadata_signals",
]

# "topic: <x>" label -> (section, weight of the vote, publish log-odds)
TOPIC_SECTIONS: dict[str, tuple[str | None, float, float]] = {
    "bc breaking": ("bc breaking", 4.0, 2.5),
    "bc-breaking": ("bc breaking", 4.0, 2.5),
    "deprecation": ("deprecation", 4.0, 2.5),
    "new features": ("new features", 2.5, 1.5),
    "new feature": ("new features", 2.5, 1.5),
    "improvements": ("improvements", 2.5, 1.5),
    "bug fixes": ("bug fixes", 2.5, 1.5),
    "bug fix": ("bug fixes", 2.5, 1.5),
    "performance": ("performance", 2.5, 1.5),
    "perf": ("performance", 2.5, 1.5),
    "docs": ("docs", 2.5, 1.2),
    "documentation": ("docs", 2.5, 1.2),
    "devs": ("devs", 2.5, 1.0),
    "developer feature": ("devs", 2.5, 1.0),
    "security": ("security", 4.0, 2.5),
    "not user facing": (None, 0.0, -3.5),
}

_TEST_PATH = re.compile(r"(^|/)(test|tests|testing|benchmarks?)/|(^|/)test_[^/]*\.py$|_test\.(py|cpp)$")
_DOC_PATH = re.compile(r"^docs?/|\.(md|rst)$")


def is_test_path(path: str) -> bool:
    return bool(_TEST_PATH.search(path)) or path.startswith((".ci/", ".github/"))


def is_doc_path(path: str) -> bool:
    return bool(_DOC_PATH.search(path))


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
    labels = [str(label).strip().lower() for label in getattr(record, "labels", []) or []]
    for label in labels:
        if label.startswith("topic:"):
            topic = label.split(":", 1)[1].strip()
            if topic in TOPIC_SECTIONS:
                section, weight, publish = TOPIC_SECTIONS[topic]
                out.publish += publish
                if section:
                    out.vote(section, weight)
                out.reasons.append(f"#{record.number}: label '{label}'")
        elif label in ("module: bc-breaking", "bc-breaking", "module: bc breaking"):
            out.vote("bc breaking", 4.0)
            out.publish += 2.5
            out.reasons.append(f"#{record.number}: label '{label}'")
        elif label == "module: deprecation":
            out.vote("deprecation", 4.0)
            out.publish += 2.5
            out.reasons.append(f"#{record.number}: label '{label}'")
        elif label == "reverted":
            out.publish -= 1.5
            out.reasons.append(f"#{record.number}: label 'Reverted' (was reverted at least once)")
        elif label.startswith("release notes:") and "not user facing" in label:
            out.publish -= 3.0
            out.reasons.append(f"#{record.number}: label '{label}'")


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
