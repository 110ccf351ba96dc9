"""Applying decisions to a worksheet and ``miscategorized.md``, and writing them safely.

One mechanism serves ``triage --write`` (suggestions above a confidence) and ``apply``
(a maintainer's reviewed decisions): each decision names an item by its key and says
where it goes (or :data:`KEEP`: where it is), and optionally its new title. Items are
moved, never deleted: a dropped item goes to ``not user facing``; an item for another
domain is filed in ``miscategorized.md`` under ``## <target> (from <domain>)``. Groups
(:class:`GroupDecision`, from ``review`` or ``summarize --write``) are merged after the
moves, each into one bullet carrying every PR of its items (:func:`merge_items`).

Writing touches several files, and any one write may fail. :func:`write_changes` orders
them so that a failure at any point leaves every item in at least one file: pools with
their additions only, then the worksheets, then the pools without the items taken from
them. A failure can list an item twice (``relnotes audit`` finds it), never lose one.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from relnotes.categories import CATEGORIES
from relnotes.errors import UsageError, WorksheetError
from relnotes.fileio import atomic_write, check_writable
from relnotes.markdown import MERGE_NOTE
from relnotes.miscategorized import Miscategorized, read_miscategorized
from relnotes.prrefs import refs_of_title
from relnotes.worksheet import Document, Item, Worksheet

__all__ = [
    "KEEP",
    "ApplyResult",
    "Decision",
    "GroupDecision",
    "Progress",
    "Written",
    "acceptable_title",
    "apply_decisions",
    "apply_to_files",
    "merge_items",
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


@dataclass(frozen=True)
class GroupDecision:
    """Merge the items with ``keys`` into one bullet, ``bullet``, in ``section``: after
    the moves, so the group lands where its members were decided to go.

    ``placed``: the members whose own decision places them. One that ended up in another
    section (or another domain, or another group) has left the group since it was
    decided: the group is not merged, and is reviewed again.
    """

    id: str
    keys: tuple[str, ...]
    bullet: str
    section: str
    placed: frozenset[str] = frozenset()


Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: how far a long apply got; the CLI draws it."""


@dataclass
class ApplyResult:
    moved: list[dict[str, Any]] = field(default_factory=list)     # key, from, to
    dropped: list[str] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)      # key, domain
    retitled: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)             # decided, left as it was
    missing: list[str] = field(default_factory=list)              # keys not found
    title_refused: list[str] = field(default_factory=list)        # would change its PRs
    merged: list[dict[str, Any]] = field(default_factory=list)    # group, key, keys, prs, section
    groups_refused: list[dict[str, Any]] = field(default_factory=list)  # group, why

    @property
    def changed(self) -> bool:
        return bool(self.moved or self.dropped or self.sent or self.retitled or self.merged)

    def summary(self) -> str:
        return (f"{len(self.moved)} moved, {len(self.dropped)} dropped, "
                f"{len(self.sent)} sent to other domains, {len(self.retitled)} retitled, "
                f"{len(self.unchanged)} unchanged"
                + (f", {len(self.title_refused)} new title(s) refused: they would change "
                   "the PR links" if self.title_refused else "")
                + (f", {len(self.missing)} not found" if self.missing else "")
                + (f", {len(self.merged)} group(s) merged into one bullet each "
                   f"({sum(len(m['keys']) for m in self.merged)} items)"
                   if self.merged else "")
                + (f", {len(self.groups_refused)} group(s) not merged"
                   if self.groups_refused else ""))

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
                    misc: Miscategorized | None = None,
                    groups: Sequence[GroupDecision] = (),
                    progress: Progress | None = None) -> ApplyResult:
    """Carry out ``decisions`` on ``ws`` (and ``misc``) in memory, then merge ``groups``
    (each in its section, after the moves); nothing is written.

    ``progress(stage, done, total)`` is told how far it got (the CLI draws it).
    """
    with ws.batch(), misc.batch() if misc is not None else nullcontext():
        by_key: dict[str, Item] = {}
        for each in ws.items():  # one index, not a scan per decision
            by_key.setdefault(each.key, each)
        result = _apply(ws, list(decisions), misc, by_key, progress)
        for n, group in enumerate(groups, 1):
            _apply_group(ws, group, result, by_key)
            if progress is not None and (n % _EVERY == 0 or n == len(groups)):
                progress("groups", n, len(groups))
        return result


_EVERY = 1000  # decisions between two progress reports


def _apply(ws: Worksheet, decisions: Sequence[Decision], misc: Miscategorized | None,
           by_key: Mapping[str, Item], progress: Progress | None) -> ApplyResult:
    """Retitle and sort out the decisions, take every item that goes elsewhere out in one
    pass, then put each where it goes, in the order of the decisions: linear in the
    worksheet and the decisions (one removal at a time was quadratic)."""
    result = ApplyResult()
    planned: dict[int, Decision] = {}  # id(item) -> where it goes (its last decision)
    order: list[tuple[Item, Decision]] = []
    for n, decision in enumerate(decisions, 1):
        if progress is not None and n % _EVERY == 0:
            progress("decisions", n, len(decisions))
        item = by_key.get(decision.key)
        before_plan = planned.get(id(item)) if item is not None else None
        if item is None or item.section is None or (
                before_plan is not None and before_plan.section == "miscategorized"):
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
        elif decision.section != KEEP and decision.section not in CATEGORIES:
            raise UsageError(f"{decision.key}: unknown section {decision.section!r}")
        before = before_plan.section if before_plan is not None else item.section.category
        if decision.section == KEEP or before == decision.section:
            if decision.key not in result.retitled:
                result.unchanged.append(decision.key)
            continue
        planned[id(item)] = decision
        order.append((item, decision))
        if decision.section == "miscategorized":
            result.sent.append({"key": decision.key, "domain": decision.domain})
        elif decision.section == "not user facing":
            result.dropped.append(decision.key)
        else:
            result.moved.append({"key": decision.key, "from": before, "to": decision.section})
    if progress is not None and decisions:
        progress("decisions", len(decisions), len(decisions))
    ws.remove_many({id(item): item for item, _ in order}.values())
    held: dict[str, set[tuple[str, str]]] = {}  # per target domain, read once
    for item, decision in order:
        if planned[id(item)] is not decision:
            continue  # an item decided twice goes where its last decision says
        if decision.section != "miscategorized":
            ws.insert_item(decision.section, item)
            continue
        if misc is None or decision.domain is None:  # checked above
            raise UsageError(f"{decision.key}: miscategorized needs a pool and a domain")
        there = held.get(decision.domain)
        if there is None:
            there = held[decision.domain] = {
                (i.key, i.text_hash) for i in misc.items_for(decision.domain)}
        if (item.key, item.text_hash) not in there:  # not after a failed write
            misc.add(item, target=decision.domain, source=ws.domain)
            there.add((item.key, item.text_hash))
    return result


def _apply_group(ws: Worksheet, group: GroupDecision, result: ApplyResult,
                 by_key: Mapping[str, Item]) -> None:
    """Merge one group after the moves, or say why not (nothing is changed then)."""
    members: list[Item] = []
    for key in dict.fromkeys(group.keys):
        item = by_key.get(key)
        if item is None:
            result.groups_refused.append({"group": group.id,
                                          "why": f"{key} is not in the worksheet"})
            return
        why = None
        if item.section is None:
            merged = next((m["group"] for m in result.merged if key in m["keys"]), None)
            why = f"{key} is in group {merged}" if merged else f"{key} went to another domain"
        elif key in group.placed and item.placement != group.section:
            why = f"{key} was decided for {item.placement}"
        if why is not None:
            result.groups_refused.append({"group": group.id, "why": why})
            return
        members.append(item)
    refs = refs_of_title(group.bullet, repo=ws.repo)
    prs, commits = refs.prs, refs.commits
    wanted = list(dict.fromkeys(pr for item in members for pr in item.prs))
    if len(members) < 2 or set(prs) != set(wanted) or commits or "\n" in group.bullet:
        result.groups_refused.append({"group": group.id, "why": (
            "a group needs two items" if len(members) < 2 else
            "the bullet must be one line linking exactly the PRs "
            + ", ".join(f"#{pr}" for pr in wanted))})
        return
    head = merge_items(ws, members, bullet=group.bullet, section=group.section)
    result.merged.append({"group": group.id, "key": head.key, "keys": list(group.keys),
                          "prs": wanted, "section": group.section})


def merge_items(ws: Worksheet, members: Sequence[Item], *, bullet: str, section: str) -> Item:
    """Merge ``members`` of ``ws`` into one bullet in ``section``, losslessly; returns it.

    The first member (in file order) keeps its place in the chunk list and takes
    ``bullet`` as its title; every other member is removed. Under the bullet go the
    members' original titles, verbatim, in an HTML comment (markdown does not render it,
    a maintainer reading the file sees it) and then every member's body (nested bullets,
    paragraphs, code), so no PR and no written line is lost. The bullet then moves to
    ``section``. ``summarize --write`` and ``apply`` both merge here.
    """
    members = sorted(members, key=lambda i: i.start)
    for item in members:
        if item.section is None or item not in item.section.chunks:
            raise WorksheetError("a group member is no longer in the worksheet",
                                 file=ws.path, line=item.line)
    head, rest = members[0], members[1:]
    eol = ws.eol
    pad = "" if head.is_heading else " " * len(head.marker)
    kept = [f"{pad}{MERGE_NOTE}{eol}"]
    for item in members:
        kept.extend(pad + line.rstrip("\r\n").replace("-->", "-- >") + eol
                    for line in item.lines[:item.title_lines])
    kept.append(f"{pad}-->{eol}")
    bodies: list[str] = []
    for item in members:
        if item is not head:
            ws.remove(item)
        bodies.extend(line if line.endswith("\n") else line + eol
                      for line in item.lines[item.title_lines:])
    head.lines[:] = [head.lines[0] if head.lines[0].endswith("\n") else head.lines[0] + eol,
                     *kept, *bodies]
    head.title_lines = 1
    ws.set_title(head, bullet)
    missing = [pr for item in members for pr in item.prs if pr not in head.prs]
    if missing:
        raise WorksheetError(f"the bullet lost PR(s) {missing}", file=ws.path, line=head.line)
    head.body_prs = list(dict.fromkeys(
        pr for item in rest for pr in item.body_prs if pr not in head.prs)) + [
        pr for pr in head.body_prs if pr not in head.prs]
    return ws.move(head, section) if section != head.placement else head


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
        misc = pools.get(path) or pools.setdefault(path, read_miscategorized(path, repo=ws.repo))
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
