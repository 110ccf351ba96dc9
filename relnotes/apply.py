"""Applying decisions to a worksheet and ``miscategorized.md``, and writing them safely.

One mechanism serves ``triage --write`` (suggestions above a confidence) and ``apply``
(a maintainer's reviewed decisions): each decision names an item by its key and says
where it goes (or :data:`KEEP`: where it is), and optionally its new title. Items are
moved, never deleted: a dropped item goes to ``not user facing``; an item for another
domain is filed in ``miscategorized.md`` under ``## <target> (from <domain>)``.

Writing touches several files, and any one write may fail. :func:`write_changes` orders
them so that a failure at any point leaves every item in at least one file: pools with
their additions only, then the worksheets, then the pools without the items taken from
them. A failure can list an item twice (``relnotes audit`` finds it), never lose one.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from relnotes.categories import CATEGORIES
from relnotes.errors import UsageError, WorksheetError
from relnotes.fileio import atomic_write, check_writable
from relnotes.miscategorized import Miscategorized, read_miscategorized
from relnotes.prrefs import refs_of_title
from relnotes.worksheet import Document, Item, Worksheet

__all__ = [
    "KEEP",
    "ApplyResult",
    "Decision",
    "Written",
    "acceptable_title",
    "apply_decisions",
    "apply_to_files",
    "same_references",
    "take_from_pool",
    "write_changes",
]

# A decision's section meaning "where it is now" (a reviewed "keep", perhaps retitled).
KEEP = "keep"


@dataclass(frozen=True)
class Decision:
    """Where the item with ``key`` goes: a category, :data:`KEEP`, or ``miscategorized``
    with a domain."""

    key: str
    section: str
    domain: str | None = None
    title: str | None = None


@dataclass
class ApplyResult:
    moved: list[dict[str, Any]] = field(default_factory=list)     # key, from, to
    dropped: list[str] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)      # key, domain
    retitled: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)             # decided, left as it was
    missing: list[str] = field(default_factory=list)              # keys not found
    title_refused: list[str] = field(default_factory=list)        # would change its PRs

    @property
    def changed(self) -> bool:
        return bool(self.moved or self.dropped or self.sent or self.retitled)

    def summary(self) -> str:
        return (f"{len(self.moved)} moved, {len(self.dropped)} dropped, "
                f"{len(self.sent)} sent to other domains, {len(self.retitled)} retitled, "
                f"{len(self.unchanged)} unchanged"
                + (f", {len(self.title_refused)} new title(s) refused: they would change "
                   "the PR links" if self.title_refused else "")
                + (f", {len(self.missing)} not found" if self.missing else ""))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def same_references(a: str, b: str) -> bool:
    """Whether two titles reference the same PRs and commits.

    The title is where an item's PR link lives: a rewrite that lost one would lose the
    item, one that gained one (a ``#N`` quoted in the text counts once long links are
    shortened) would list a PR twice.
    """
    ra, rb = refs_of_title(a), refs_of_title(b)
    return (set(ra.prs), set(ra.commits)) == (set(rb.prs), set(rb.commits))


def acceptable_title(new: str, old: str) -> bool:
    """One line, not blank, and the same PR and commit references as ``old``."""
    return bool(new.strip()) and "\n" not in new and "\r" not in new and \
        same_references(new, old)


def apply_decisions(ws: Worksheet, decisions: Iterable[Decision], *,
                    misc: Miscategorized | None = None) -> ApplyResult:
    """Carry out ``decisions`` on ``ws`` (and ``misc``) in memory; nothing is written."""
    with ws.batch(), misc.batch() if misc is not None else nullcontext():
        return _apply(ws, decisions, misc)


def _apply(ws: Worksheet, decisions: Iterable[Decision],
           misc: Miscategorized | None) -> ApplyResult:
    result = ApplyResult()
    by_key: dict[str, Item] = {}
    for each in ws.items():  # one index, not a scan per decision
        by_key.setdefault(each.key, each)
    for decision in decisions:
        item = by_key.get(decision.key)
        if item is None or item.section is None:
            result.missing.append(decision.key)
            continue
        if decision.title is not None and decision.title != item.title:
            if acceptable_title(decision.title, item.title):
                ws.set_title(item, decision.title)
                result.retitled.append(decision.key)
            else:
                result.title_refused.append(decision.key)
        if decision.section == "miscategorized":
            if not decision.domain:
                raise UsageError(f"{decision.key}: miscategorized needs a target domain")
            if misc is None:
                raise UsageError("no miscategorized.md to send items to")
            ws.remove(item)
            if not _holds(misc.items_for(decision.domain), item):  # not after a failed write
                misc.add(item, target=decision.domain, source=ws.domain)
            result.sent.append({"key": decision.key, "domain": decision.domain})
            continue
        if decision.section == KEEP:
            if decision.key not in result.retitled:
                result.unchanged.append(decision.key)
            continue
        if decision.section not in CATEGORIES:
            raise UsageError(f"{decision.key}: unknown section {decision.section!r}")
        before = item.section.category if item.section else None
        if before == decision.section:
            if decision.key not in result.retitled:
                result.unchanged.append(decision.key)
            continue
        ws.move(item, decision.section)
        if decision.section == "not user facing":
            result.dropped.append(decision.key)
        else:
            result.moved.append({"key": decision.key, "from": before, "to": decision.section})
    return result


def _holds(items: Iterable[Item], item: Item) -> bool:
    """Whether an item with the same key and text is among ``items`` (a doubled copy left
    by an interrupted earlier run)."""
    return any(i.key == item.key and i.text_hash == item.text_hash for i in items)


def apply_to_files(plans: Sequence[tuple[Worksheet, Sequence[Decision]]], *,
                   pool_path: Callable[[Worksheet], Path], backup: bool = False,
                   ) -> list[ApplyResult]:
    """Carry out each worksheet's decisions and write the worksheets and their pools.

    Worksheets that share a ``miscategorized.md`` (``pool_path`` says which) share one
    parsed pool, read and written once; the writes go through :func:`write_changes`, so
    a failure can double an item but never lose one. Used by ``triage --write``.
    """
    pools: dict[Path, Miscategorized] = {}
    results = []
    for ws, chosen in plans:
        path = pool_path(ws)
        misc = pools.get(path) or pools.setdefault(path, read_miscategorized(path))
        results.append(apply_decisions(ws, chosen, misc=misc))
    write_changes([ws for ws, _ in plans], list(pools.values()), backup=backup)
    return results


def take_from_pool(ws: Worksheet, item: Item, category: str = "Untopiced") -> Item | None:
    """Put a copy of the pool item ``item`` into ``ws`` (section ``category``) and return
    it; None when ``ws`` already holds the same item (left there by an interrupted run).

    The original stays in its pool until :func:`write_changes` removes it, after the
    worksheet holding the copy is on disk; pass it in ``taken``.
    """
    if _holds(ws.items(), item):
        return None
    copy = dataclasses.replace(item, lines=list(item.lines), prs=list(item.prs),
                               commits=list(item.commits), body_prs=list(item.body_prs),
                               section=None)
    return ws.insert_item(category, copy)


@dataclass
class Written:
    """What :func:`write_changes` wrote (or, dry, would write), in the order written."""

    paths: list[Path] = field(default_factory=list)
    backups: list[Path] = field(default_factory=list)
    diff: str = ""  # unified diff of every file against its state on disk (dry runs)


def _on_disk(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return None


def _differs(doc: Document) -> bool:
    """The document's text is not what its file holds (a missing pool: only if it has items)."""
    current = _on_disk(Path(doc.path))
    if current is None:
        return not isinstance(doc, Miscategorized) or bool(doc.items())
    return current != doc.render()


def _diff(doc: Document) -> str:
    before = _on_disk(Path(doc.path)) or ""
    lines = list(difflib.unified_diff(before.splitlines(keepends=True),
                                      doc.render().splitlines(keepends=True),
                                      fromfile=doc.path, tofile=doc.path))
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in lines)


def write_changes(worksheets: Sequence[Worksheet], pools: Sequence[Miscategorized] = (), *,
                  taken: Iterable[Item] = (), backup: bool = False,
                  dry_run: bool = False) -> Written:
    """Write edited worksheets and the ``miscategorized.md`` pool(s) they share, so that a
    failure of any single write can double an item but never lose one.

    ``worksheets`` and ``pools`` are in their edited state, except that items adopted from
    a pool are still in it: they are listed in ``taken`` (the originals, whose copies
    :func:`take_from_pool` put into a worksheet). The order is: each pool with its
    additions, then each worksheet, then each pool without the ``taken`` items. Documents
    whose text equals their file are not written. ``dry_run`` carries out the removals in
    memory and returns the diff instead of writing. A failed write raises
    :class:`WorksheetError` naming the file and what was already written.
    """
    removals: dict[int, list[Item]] = {}
    for item in taken:
        pool = next((p for p in pools if item.section is not None and
                     item.section in p.sections), None)
        if pool is None:
            raise UsageError(f"{item.key}: a taken item must still be in one of the pools")
        removals.setdefault(id(pool), []).append(item)
    out = Written()
    if dry_run:
        for pool in pools:
            for item in removals.get(id(pool), []):
                pool.remove(item)
        changed = [d for d in [*worksheets, *pools] if _differs(d)]
        out.paths = [Path(d.path) for d in changed]
        out.diff = "".join(_diff(d) for d in changed)
        return out
    # a read-only worksheet or pool is refused before anything is written
    check_writable(*(d.path for d in [*worksheets, *pools]
                     if _differs(d) or removals.get(id(d))))
    backed_up: set[str] = set()

    def write(doc: Document) -> None:
        if not _differs(doc):
            return
        try:
            made = atomic_write(doc.path, doc.render(),
                                backup=backup and doc.path not in backed_up)
        except (OSError, WorksheetError) as exc:
            why = (exc.message if isinstance(exc, WorksheetError)
                   else f"cannot write: {exc.strerror or exc}")
            done = ", ".join(str(p) for p in out.paths) or "nothing"
            raise WorksheetError(
                f"{why}; already written: {done}. No item is lost, but one may now be "
                "listed twice: run relnotes audit", file=doc.path,
            ) from None
        backed_up.add(doc.path)
        out.paths.append(Path(doc.path))
        if made is not None:
            out.backups.append(made)

    for pool in pools:
        write(pool)          # additions only: the taken items are still there
    for ws in worksheets:
        write(ws)            # now the sent items are in both files, the taken ones too
    for pool in pools:
        if removals.get(id(pool)):
            for item in removals[id(pool)]:
                pool.remove(item)
            write(pool)
    return out
