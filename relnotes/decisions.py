"""A maintainer's review decisions, kept beside the worksheet so review can resume.

The sidecar is ``<worksheet dir>/.relnotes/<worksheet stem>.decisions.json``::

    {"version": 1, "worksheet": "result_quantization.md",
     "decisions": {"pr:149043": {"hash": "3f2a...", "action": "accept",
                                 "section": "bug fixes", "domain": null, "title": "...",
                                 "suggested": "bug fixes", "confidence": 0.93,
                                 "applied": false, "at": "2025-07-01T10:00:00Z"}}}

A decision belongs to an item by its key (first PR, else commit, else title) and the
hash of its text when it was decided. When a person edits the item afterwards the hash
no longer matches and the item is pending again; ``apply`` re-stamps the hash of the
items it rewrote and marks the decision applied, so applying does not reopen them. The
file is rewritten atomically after every decision: an interrupted review loses nothing.

``action`` is ``accept`` (the suggestion, with its cleaned title), ``reject`` (keep the
item where it is), ``section`` (another section picked by hand) or ``domain`` (send to
``miscategorized.md`` for ``domain``). ``section`` is always where the item ends up
(``miscategorized`` for ``domain``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from relnotes.apply import (
    ApplyResult,
    Decision,
    acceptable_title,
    apply_decisions,
    default_miscategorized_path,
    write_documents,
)
from relnotes.categories import CATEGORIES
from relnotes.errors import WorksheetError
from relnotes.fileio import atomic_write, read_text
from relnotes.miscategorized import read_miscategorized
from relnotes.worksheet import Item, Worksheet, read_worksheet

__all__ = [
    "ACTIONS",
    "ApplyReport",
    "DecisionStore",
    "Record",
    "adoption_candidates",
    "apply_recorded",
    "safe_title",
    "sidecar_path",
    "to_decisions",
]

ACTIONS = ("accept", "reject", "section", "domain")
_VERSION = 1


def sidecar_path(worksheet: str | Path, kind: str = "decisions") -> Path:
    """``.relnotes/<stem>.<kind>.json`` beside the worksheet (kinds: decisions, check)."""
    p = Path(worksheet)
    return p.parent / ".relnotes" / f"{p.stem}.{kind}.json"


@dataclass
class Record:
    """One decision about one item (see the module docstring for the fields)."""

    key: str
    hash: str
    action: str
    section: str
    domain: str | None = None
    title: str | None = None
    suggested: str | None = None
    confidence: float | None = None
    applied: bool = False
    at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["key"]
        return data


class DecisionStore:
    """The sidecar in memory; every change is written through at once."""

    def __init__(self, path: str | Path, *, worksheet: str = "",
                 records: dict[str, Record] | None = None) -> None:
        self.path = Path(path)
        self.worksheet = worksheet
        self.records: dict[str, Record] = records or {}

    @classmethod
    def for_worksheet(cls, worksheet: str | Path) -> DecisionStore:
        return cls.load(sidecar_path(worksheet), worksheet=Path(worksheet).name)

    @classmethod
    def load(cls, path: str | Path, *, worksheet: str = "") -> DecisionStore:
        """Read the sidecar; a missing file is an empty store."""
        p = Path(path)
        if not p.exists():
            return cls(p, worksheet=worksheet)
        try:
            data = json.loads(read_text(p))
            raw = data["decisions"]
            records = {key: Record(key=key, **value) for key, value in raw.items()}
        except (ValueError, KeyError, TypeError) as exc:
            raise WorksheetError(f"not a decisions file ({exc}); delete it to start over",
                                 file=p) from None
        return cls(p, worksheet=data.get("worksheet", worksheet), records=records)

    def save(self) -> None:
        data = {"version": _VERSION, "worksheet": self.worksheet,
                "decisions": {k: r.to_json() for k, r in self.records.items()}}
        atomic_write(self.path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    def get(self, key: str) -> Record | None:
        return self.records.get(key)

    def put(self, record: Record) -> Record | None:
        """Store ``record`` (replacing the item's earlier one, which is returned) and save."""
        if record.action not in ACTIONS:
            raise ValueError(f"unknown action {record.action!r}")
        previous = self.records.get(record.key)
        self.records[record.key] = record
        self.save()
        return previous

    def restore(self, key: str, previous: Record | None) -> None:
        """Undo: put back what was there before (or nothing) and save."""
        if previous is None:
            self.records.pop(key, None)
        else:
            self.records[key] = previous
        self.save()

    def is_decided(self, item: Item) -> bool:
        """Decided, and the item's text is still what it was when decided."""
        record = self.records.get(item.key)
        return record is not None and record.hash == item.text_hash

    def pending(self, items: Iterable[Item]) -> list[Item]:
        """Items without a current decision (never decided, or edited since); one per key."""
        seen: set[str] = set()
        out = []
        for item in items:
            if item.key in seen:
                continue
            seen.add(item.key)
            if not self.is_decided(item):
                out.append(item)
        return out


def safe_title(item: Item, title: str | None) -> str | None:
    """``title`` if it is a real change that references exactly the item's PRs and commits.

    A title is where the PR link lives: a rewrite that lost one would lose the item, one
    that gained one (``#N`` mentioned in the text becomes a reference once long links are
    shortened) would count a PR twice. Such a rewrite is refused rather than applied.
    """
    if title is None or title == item.title or not acceptable_title(title, item.title):
        return None
    return title


def to_decisions(ws: Worksheet, store: DecisionStore) -> tuple[list[Decision], list[str]]:
    """The store's current, unapplied decisions for ``ws``; and the keys gone stale.

    Stale: the item was edited after the decision (it is pending again in review).
    """
    out: list[Decision] = []
    stale: list[str] = []
    by_key: dict[str, Item] = {}
    for each in ws.items():
        by_key.setdefault(each.key, each)
    for key, record in store.records.items():
        item = by_key.get(key)
        if item is None or record.applied:
            continue
        if record.hash != item.text_hash:
            stale.append(key)
            continue
        # titles are checked where they are applied (apply_decisions), and refusals reported
        section = record.section
        if record.action == "reject":
            section = (item.section.category if item.section else None) or ""
            if not record.title or section not in CATEGORIES:
                continue
        out.append(Decision(key=key, section=section, domain=record.domain, title=record.title))
    return out, stale


@dataclass
class ApplyReport:
    """What ``apply`` did, for printing and for JSON (``to_json``)."""

    worksheet: str
    miscategorized: str
    result: ApplyResult
    adopted: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    backups: list[str] = field(default_factory=list)
    written: bool = False

    def summary(self) -> str:
        text = self.result.summary()
        if self.adopted:
            text += f", {len(self.adopted)} adopted from miscategorized.md"
        if self.stale:
            text += f", {len(self.stale)} edited since review (review again)"
        return text

    def to_json(self) -> dict[str, Any]:
        return {"worksheet": self.worksheet, "miscategorized": self.miscategorized,
                **self.result.to_json(), "adopted": self.adopted, "stale": self.stale,
                "backups": self.backups, "written": self.written}


def adoption_candidates(ws: Worksheet, misc_path: str | Path) -> list[Item]:
    """Items of ``miscategorized.md`` filed for this worksheet's domain."""
    return read_miscategorized(misc_path).items_for(ws.domain)


def apply_recorded(worksheet: str | Path, *, config: Any = None,
                   adopt: Sequence[str] = (), backup: bool = True,
                   dry_run: bool = False) -> ApplyReport:
    """Write the reviewed decisions into the worksheet and ``miscategorized.md``.

    ``adopt`` names keys of ``miscategorized.md`` items for this domain to take in (``all``
    takes every one); they land in ``Untopiced`` so the next review places them.
    """
    ws = read_worksheet(worksheet)
    misc_path = default_miscategorized_path(worksheet, config)
    misc = read_miscategorized(misc_path)
    store = DecisionStore.for_worksheet(worksheet)
    decisions, stale = to_decisions(ws, store)
    result = apply_decisions(ws, decisions, misc=misc)
    adopted: list[str] = []
    wanted = set(adopt)
    for item in misc.items_for(ws.domain):
        if "all" in wanted or item.key in wanted:
            ws.insert_item("Untopiced", misc.remove(item))
            adopted.append(item.key)
    report = ApplyReport(worksheet=str(worksheet), miscategorized=str(misc_path),
                         result=result, adopted=adopted, stale=stale)
    if dry_run:
        return report
    if result.changed or adopted:
        # miscategorized.md first: should the second write fail, an item is doubled
        # (the audit finds it), never lost
        docs = [misc, ws] if result.sent else [ws, misc] if adopted else [ws]
        report.backups = [str(p) for p in write_documents(*docs, backup=backup)]
        report.written = True
    done = {d.key for d in decisions} - set(result.missing)
    for key in done:
        record = store.records[key]
        moved = ws.find(key)
        if moved is not None:
            record.hash = moved.text_hash
        record.applied = True
    if done:
        store.save()
    return report
