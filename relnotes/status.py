"""What is left across a release: ``relnotes status``.

A release manager asks, days before the release, which domains are still in ``todo/``,
how many items nobody has sorted (``Untopiced``) or reviewed, and which BC-breaking and
deprecation entries still lack migration code or a passing snippet check. Each answer is
already on disk; this module only reads it, so it is quick enough to run any time:

- a domain is ``done`` when ``done/`` has its worksheet, else ``todo``; the generator's
  ``result_skip.md`` (PRs it set aside, never meant for ``done/``) is ``set-aside``;
- unreviewed: items of a ``todo/`` worksheet without a current decision in the review
  sidecar (:mod:`relnotes.decisions`; an item edited since its decision counts again).
  Triage is not run: an item without a decision is one whose suggestion nobody has
  looked at. A ``done/`` worksheet is finished, reviewed or not: None;
- entries (:mod:`relnotes.entries`), each ``ok``, ``no-code`` (no migration code and no
  ``no code: <reason>``), ``failing`` (a saved snippet check failed), ``unchecked`` (no
  saved result for its code: ``relnotes check --save``) or ``stale`` (results saved
  before the worksheet last changed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relnotes.audit import CheckResults, read_check_results
from relnotes.decisions import DecisionStore
from relnotes.entries import Entry, extract_entries
from relnotes.errors import WorksheetError
from relnotes.fileio import sidecar_path
from relnotes.release import SET_ASIDE, ReleaseFolder
from relnotes.worksheet import Worksheet

__all__ = ["DOMAIN_STATES", "ENTRY_STATES", "DomainStatus", "EntryStatus", "ReleaseStatus", "release_status"]

# The states of a domain.
DOMAIN_STATES = ("todo", "done", "set-aside")
# The states of an entry, in the order of what most needs doing.
ENTRY_STATES = ("no-code", "failing", "unchecked", "stale", "ok")


@dataclass(frozen=True)
class EntryStatus:
    """One BC-breaking (``bc``) or deprecation entry and where it stands."""

    kind: str
    line: int
    title: str
    prs: list[int]
    state: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "line": self.line, "title": self.title, "prs": self.prs,
                "state": self.state}


@dataclass
class DomainStatus:
    """One domain of the release: its worksheet (the done/ one when both exist)."""

    domain: str
    state: str  # one of DOMAIN_STATES
    file: str
    items: int = 0
    untopiced: int = 0
    unreviewed: int | None = None
    decisions_file: bool = False
    entries: list[EntryStatus] = field(default_factory=list)
    error: str | None = None  # the file cannot be read: "file:line: message"

    def count(self, state: str) -> int:
        """Entries in ``state``."""
        return sum(1 for e in self.entries if e.state == state)

    def to_json(self) -> dict[str, Any]:
        return {"domain": self.domain, "state": self.state, "file": self.file,
                "items": self.items, "untopiced": self.untopiced,
                "unreviewed": self.unreviewed, "decisions_file": self.decisions_file,
                "entries": [e.to_json() for e in self.entries], "error": self.error}


@dataclass
class ReleaseStatus:
    """Every domain of a release, and the totals."""

    release: str
    root: str
    domains: list[DomainStatus] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # file -> why it is no worksheet

    @property
    def errors(self) -> list[str]:
        return [d.error for d in self.domains if d.error]

    def totals(self) -> dict[str, int]:
        """Domains per state; then, over the domains to finish (not the set-aside file,
        which is never finished), domains, items, untopiced, unreviewed and entries."""
        work = [d for d in self.domains if d.state != "set-aside"]
        out = {"domains": len(work),
               **{state.replace("-", "_"): sum(1 for d in self.domains if d.state == state)
                  for state in DOMAIN_STATES},
               "items": sum(d.items for d in work),
               "untopiced": sum(d.untopiced for d in work),
               "unreviewed": sum(d.unreviewed or 0 for d in work),
               "entries": sum(len(d.entries) for d in work)}
        out.update({state.replace("-", "_"): sum(d.count(state) for d in work)
                    for state in ENTRY_STATES})
        out["unreadable"] = len(self.errors)
        return out

    def to_json(self) -> dict[str, Any]:
        return {"release": self.release, "root": self.root,
                "domains": [d.to_json() for d in self.domains], "totals": self.totals(),
                "skipped": [{"file": f, "why": why} for f, why in self.skipped.items()]}


def _entry_state(entry: Entry, checks: CheckResults | None, stale: bool) -> str:
    code = [p for p in entry.parts if not p.is_output]
    if not code:
        return "ok" if entry.no_code_reason else "no-code"
    if checks is None:
        return "unchecked"
    if stale:
        return "stale"
    last = max(entry.end_line, entry.line)
    if any(line is not None and entry.line <= line <= last for line, _ in checks.failed):
        return "failing"
    if not {p.line for p in code} & checks.lines:
        return "unchecked"
    return "ok"


def _saved_before_edit(worksheet: Path) -> bool:
    """Whether the saved check results are older than the worksheet's last change."""
    try:
        return sidecar_path(worksheet, "check").stat().st_mtime < worksheet.stat().st_mtime
    except OSError:
        return False


def _domain_status(domain: str, state: str, path: Path, release: str | None, *,
                   folder: ReleaseFolder) -> DomainStatus:
    status = DomainStatus(domain=domain, state=state, file=str(path))
    try:
        ws: Worksheet = folder.read_worksheet(path)
        checks = read_check_results(path)
    except WorksheetError as exc:
        status.error = str(exc)
        return status
    items = ws.items()
    status.items = len(items)
    status.untopiced = sum(1 for i in items if i.category == "Untopiced")
    if state == "todo":
        store = DecisionStore.for_worksheet(path)
        status.decisions_file = store.exists()
        status.unreviewed = len(store.pending(items))
    stale = checks is not None and _saved_before_edit(path)
    status.entries = [EntryStatus(e.kind, e.line, e.title, e.prs, _entry_state(e, checks, stale))
                      for e in extract_entries(ws, release=release)]
    return status


def release_status(release: ReleaseFolder) -> ReleaseStatus:
    """Where every domain of ``release`` stands (see the module docstring)."""
    report = ReleaseStatus(release=release.name, root=str(release.root))
    done = release.domains("done")
    todo = {d: p for d, p in release.domains("todo").items() if d not in done}
    version = str(release.version) if release.version else None
    for domain in sorted({**todo, **done}, key=str.casefold):
        state = "done" if domain in done else "todo"
        path = done[domain] if state == "done" else todo[domain]
        if path.name in SET_ASIDE:
            state = "set-aside"
        report.domains.append(_domain_status(domain, state, path, version, folder=release))
    report.skipped = {str(p): why for p, why in release.skipped.items()}
    return report
