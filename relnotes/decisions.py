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
file is rewritten atomically after every interactive decision, so an interrupted review
loses nothing; a bulk of decisions (``review --accept-above``) is one write.

``action`` is ``accept`` (the suggestion; its cleaned title only when asked for),
``reject`` (keep the item where it is), ``section`` (another section picked by hand),
``domain`` (send to ``miscategorized.md`` for ``domain``) or ``group`` (the bullet a
reviewed group was merged into: it stays where the group put it). ``section`` is always
where the item ends up (``miscategorized`` for ``domain``). A record that leaves an item
in ``Untopiced`` is no decision: the item stays pending.

Decisions about groups (``relnotes summarize``'s, offered by ``review``) are a kind of
their own, under ``"groups"``, by the group's id (its items' keys, ``+``-joined)::

    "groups": {"pr:167143+pr:167428+pr:169494": {
        "action": "accept", "members": ["pr:167143", "pr:167428"],
        "hashes": {"pr:167143": "9c1e...", "pr:167428": "02ab..."},
        "section": "improvements", "bullet": "Add Pallas CI ... (#167143, #167428)",
        "drafted": "...", "split": ["pr:169494"], "left": [], "confidence": 0.71,
        "applied": false, "at": "..."}}

``members`` are the items merged (the offered ones less those split off and those that
left because their own decision sends them elsewhere); ``hashes`` their text when
decided: when one changes, the decision is stale and the group is offered again.
``reject`` keeps the items apart. ``apply`` merges accepted groups after the moves and
marks them applied.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from relnotes.apply import (
    KEEP,
    ApplyResult,
    Decision,
    GroupDecision,
    Progress,
    acceptable_title,
    apply_decisions,
    take_from_pool,
    write_changes,
)
from relnotes.errors import WorksheetError
from relnotes.fileio import atomic_write, read_text, sidecar_path
from relnotes.miscategorized import Miscategorized, read_pool
from relnotes.release import ReleaseFolder
from relnotes.worksheet import Item, Worksheet

__all__ = [
    "ACTIONS",
    "GROUP_ACTIONS",
    "ApplyReport",
    "DecisionStore",
    "GroupRecord",
    "Record",
    "apply_recorded",
    "safe_title",
    "to_decisions",
    "to_group_decisions",
]

ACTIONS = ("accept", "reject", "section", "domain", "group")
GROUP_ACTIONS = ("accept", "reject")
_VERSION = 2  # 2: groups; a version-1 file (no groups) reads as it is


_R = TypeVar("_R")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


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
    at: str = field(default_factory=_now)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["key"]
        return data


@dataclass
class GroupRecord:
    """One decision about one group (see the module docstring for the fields)."""

    id: str
    action: str
    members: list[str]
    hashes: dict[str, str]
    section: str
    bullet: str | None = None
    drafted: str | None = None
    split: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    confidence: float | None = None
    applied: bool = False
    at: str = field(default_factory=_now)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["id"]
        return data

    def current(self, by_key: Mapping[str, Item]) -> bool:
        """Every member is there with the text it had when the group was decided."""
        return all((item := by_key.get(k)) is not None and item.text_hash == h
                   for k, h in self.hashes.items())


class DecisionStore:
    """The sidecar in memory; every change is written through at once (a batch: once)."""

    def __init__(self, path: str | Path, *, worksheet: str = "",
                 records: dict[str, Record] | None = None,
                 groups: dict[str, GroupRecord] | None = None) -> None:
        self.path = Path(path)
        self.worksheet = worksheet
        self.records: dict[str, Record] = records or {}
        self.groups: dict[str, GroupRecord] = groups or {}

    @classmethod
    def for_worksheet(cls, worksheet: str | Path) -> DecisionStore:
        return cls.load(sidecar_path(worksheet, "decisions"), worksheet=Path(worksheet).name)

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
            groups = {gid: GroupRecord(id=gid, **value)
                      for gid, value in data.get("groups", {}).items()}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise WorksheetError(f"not a decisions file ({exc}); delete it to start over",
                                 file=p) from None
        return cls(p, worksheet=data.get("worksheet", worksheet), records=records,
                   groups=groups)

    def save(self) -> None:
        data: dict[str, Any] = {
            "version": _VERSION, "worksheet": self.worksheet,
            "decisions": {k: r.to_json() for k, r in self.records.items()}}
        if self.groups:
            data["groups"] = {g: r.to_json() for g, r in self.groups.items()}
        atomic_write(self.path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    def get(self, key: str) -> Record | None:
        return self.records.get(key)

    def exists(self) -> bool:
        """Whether the sidecar file is there (a review has recorded something)."""
        return self.path.exists()

    def put(self, record: Record) -> Record | None:
        """Store ``record`` (replacing the item's earlier one, which is returned) and save."""
        return self.put_many([record])[0]

    def put_many(self, records: Iterable[Record]) -> list[Record | None]:
        """Store every record, then save once; return what each replaced."""
        records = list(records)
        for record in records:
            if record.action not in ACTIONS:
                raise ValueError(f"unknown action {record.action!r}")
        previous = []
        for record in records:
            previous.append(self.records.get(record.key))
            self.records[record.key] = record
        if records:
            self.save()
        return previous

    def restore(self, key: str, previous: Record | None) -> None:
        """Undo: put back what was there before (or nothing) and save."""
        self._restore(self.records, key, previous)

    def _restore(self, table: dict[str, _R], key: str, previous: _R | None) -> None:
        if previous is None:
            table.pop(key, None)
        else:
            table[key] = previous
        self.save()

    def put_group(self, record: GroupRecord) -> GroupRecord | None:
        """Store a group decision (replacing the group's earlier one, returned) and save."""
        if record.action not in GROUP_ACTIONS:
            raise ValueError(f"unknown group action {record.action!r}")
        previous = self.groups.get(record.id)
        self.groups[record.id] = record
        self.save()
        return previous

    def restore_group(self, gid: str, previous: GroupRecord | None) -> None:
        """Undo a group decision: put back what was there before (or nothing) and save."""
        self._restore(self.groups, gid, previous)

    def is_decided(self, item: Item) -> bool:
        """Decided, and the item's text is still what it was when decided.

        Keeping an item in ``Untopiced`` (recorded by older versions' reject) decides
        nothing: such an item stays pending.
        """
        record = self.records.get(item.key)
        return record is not None and record.hash == item.text_hash and \
            record.section != "Untopiced"

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

    Stale: the item was edited after the decision (it is pending again in review). A
    reject keeps the item where it is (:data:`~relnotes.apply.KEEP`), whatever its
    section's heading; a record that leaves it in ``Untopiced`` is no decision.
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
        if not store.is_decided(item):
            continue
        # titles are checked where they are applied (apply_decisions), and refusals reported
        section = KEEP if record.action in ("reject", "group") else record.section
        out.append(Decision(key=key, section=section, domain=record.domain, title=record.title))
    return out, stale


def to_group_decisions(ws: Worksheet, store: DecisionStore
                       ) -> tuple[list[GroupDecision], list[str]]:
    """The store's accepted, unapplied group decisions for ``ws``; and the ids gone stale
    (a member edited or gone since: the group is offered again in review).

    A member with a decision of its own is ``placed``: if that decision put it in another
    section than the group's, the group is not merged (see :class:`GroupDecision`).
    """
    by_key: dict[str, Item] = {}
    for each in ws.items():
        by_key.setdefault(each.key, each)
    out: list[GroupDecision] = []
    stale: list[str] = []
    for gid, record in store.groups.items():
        if record.applied or record.action != "accept":
            continue
        if not record.current(by_key):
            stale.append(gid)
            continue
        placed = frozenset(k for k in record.members if store.is_decided(by_key[k]))
        out.append(GroupDecision(id=gid, keys=tuple(record.members), bullet=record.bullet or "",
                                 section=record.section, placed=placed))
    return out, stale


@dataclass
class ApplyReport:
    """What ``apply`` did (or, dry, would do), for printing and for JSON (``to_json``).

    Every item of the worksheet is counted once: applied now (moved, dropped, sent,
    retitled or kept as it was), applied by an earlier run, edited since its decision
    (stale), or without a decision yet.
    """

    worksheet: str
    miscategorized: str
    decisions_file: str
    result: ApplyResult
    has_decisions: bool = True
    adopted: list[str] = field(default_factory=list)
    not_adopted: list[str] = field(default_factory=list)  # asked for, not in the pool
    stale: list[str] = field(default_factory=list)
    groups_stale: list[str] = field(default_factory=list)  # a member edited since review
    applied_before: int = 0
    undecided: int = 0
    items: int = 0           # one per key: what decisions are about
    repeats: int = 0         # further items with an earlier item's key: left as they are
    backups: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # files written (dry: would be)
    dry_run: bool = False
    diff: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.result.changed or self.adopted)

    def summary(self) -> str:
        """One line: what changed, then where the other items stand."""
        text = self.result.summary()
        if self.adopted:
            text += f", {len(self.adopted)} adopted from miscategorized.md"
        rest = [f"{self.items} items" + (f" (and {self.repeats} repeating an earlier "
                                          "item's PR, left as they are)"
                                          if self.repeats else "")]
        if self.applied_before:
            rest.append(f"{self.applied_before} applied by an earlier run")
        if self.stale:
            rest.append(f"{len(self.stale)} edited since review (review again)")
        rest.append(f"{self.undecided} without a decision")
        if self.groups_stale:
            rest.append(f"{len(self.groups_stale)} group(s) with an item edited since review "
                        "(review again)")
        return text + "; " + ", ".join(rest)

    def to_json(self) -> dict[str, Any]:
        return {"worksheet": self.worksheet, "miscategorized": self.miscategorized,
                "decisions_file": self.decisions_file, "has_decisions": self.has_decisions,
                **self.result.to_json(), "adopted": self.adopted,
                "not_adopted": self.not_adopted, "stale": self.stale,
                "groups_stale": self.groups_stale,
                "applied_before": self.applied_before, "undecided": self.undecided,
                "items": self.items, "repeats": self.repeats, "backups": self.backups,
                "written": bool(self.written) and not self.dry_run,
                "files": self.written, "dry_run": self.dry_run, "diff": self.diff}


def apply_recorded(worksheet: str | Path, *, release: ReleaseFolder | None = None,
                   adopt: Sequence[str] = (), backup: bool = True,
                   dry_run: bool = False, progress: Progress | None = None,
                   documents: tuple[Worksheet, Miscategorized] | None = None) -> ApplyReport:
    """Write the reviewed decisions into the worksheet and ``miscategorized.md``.

    ``release``: the release folder (default: the one ``worksheet`` is in), whose pool is
    written. ``adopt`` names keys of ``miscategorized.md`` items for this domain to take in (``all``
    takes every one); they land in ``Untopiced`` so the next review places them. Accepted
    groups are merged after the moves (:func:`relnotes.apply.apply_decisions`). The
    files are written by :func:`relnotes.apply.write_changes`, so a failed write cannot
    lose an item; ``dry_run`` writes nothing and puts the diff in the report.
    ``progress(stage, done, total)`` hears how far it got. ``documents``: the worksheet
    and the pool as the caller has just read them (unchanged), not read again.
    """
    folder = release or ReleaseFolder.of(worksheet)
    ws, misc = documents or (folder.read_worksheet(worksheet), read_pool(folder))
    misc_path = folder.pool
    store = DecisionStore.for_worksheet(worksheet)
    every = ws.items()
    by_key: dict[str, Item] = {}
    for each in every:
        by_key.setdefault(each.key, each)
    decisions, stale = to_decisions(ws, store)
    groups, groups_stale = to_group_decisions(ws, store)  # before any edit changes a hash
    result = apply_decisions(ws, decisions, misc=misc, groups=groups, progress=progress)
    taken: list[Item] = []
    wanted = set(adopt)
    for item in misc.items_for(ws.domain):
        if "all" in wanted or item.key in wanted:
            take_from_pool(ws, item)
            taken.append(item)
    adopted = [item.key for item in taken]
    now = {d.key for d in decisions} | {k for m in result.merged for k in m["keys"]}
    before = {key for key, item in by_key.items() if key not in now
              and (r := store.get(key)) is not None and r.applied
              and r.hash == item.text_hash}
    report = ApplyReport(
        worksheet=str(worksheet), miscategorized=str(misc_path),
        decisions_file=str(store.path), result=result, has_decisions=store.exists(),
        adopted=adopted, not_adopted=sorted(wanted - {"all"} - set(adopted)), stale=stale,
        groups_stale=groups_stale, applied_before=len(before), items=len(by_key),
        repeats=len(every) - len(by_key),
        undecided=len(set(by_key) - now - before - set(stale)), dry_run=dry_run)
    if progress is not None:
        progress("write", 0, 1)
    written = write_changes([ws], [misc], taken=taken, backup=backup, dry_run=dry_run)
    if progress is not None:
        progress("write", 1, 1)
    report.written = [str(p) for p in written.paths]
    report.backups = [str(p) for p in written.backups]
    report.diff = written.diff
    if dry_run:
        return report
    _mark_applied(ws, store, decisions, result, by_key)
    return report


def _mark_applied(ws: Worksheet, store: DecisionStore, decisions: Sequence[Decision],
                  result: ApplyResult, by_key: Mapping[str, Item]) -> None:
    """Re-stamp what was applied so applying does not reopen it: item decisions get the
    hash of the item as written, merged groups are marked applied, and each merged bullet
    gets a ``group`` record (it is decided: the group put it where it is)."""
    gone = set(result.missing)
    for decision in decisions:
        if decision.key not in gone:
            record = store.records[decision.key]
            record.hash = by_key[decision.key].text_hash  # the same object, moved or retitled
            record.applied = True
    for merged in result.merged:
        store.groups[merged["group"]].applied = True
        head = ws.find(merged["key"])
        if head is not None:
            store.records[head.key] = Record(key=head.key, hash=head.text_hash, action="group",
                                             section=merged["section"], applied=True)
    if decisions or result.merged:
        store.save()
