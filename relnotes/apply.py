"""Applying decisions to a worksheet and ``miscategorized.md``.

One mechanism serves ``triage --write`` (suggestions above a confidence) and ``apply``
(a maintainer's reviewed decisions): each decision names an item by its key and says
where it goes, and optionally its new title. Items are moved, never deleted: a dropped
item goes to ``not user facing``; an item for another domain is filed in
``miscategorized.md`` under ``## <target> (from <domain>)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from relnotes.categories import CATEGORIES
from relnotes.config import Config
from relnotes.errors import UsageError
from relnotes.fileio import atomic_write
from relnotes.markdown import parse_inline, refs_in_inline
from relnotes.miscategorized import Miscategorized
from relnotes.worksheet import Worksheet

__all__ = [
    "ApplyResult",
    "Decision",
    "acceptable_title",
    "apply_decisions",
    "default_miscategorized_path",
    "same_references",
    "write_documents",
]


@dataclass(frozen=True)
class Decision:
    """Where the item with ``key`` goes: a category, or ``miscategorized`` with a domain."""

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
    unchanged: list[str] = field(default_factory=list)
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
    pa, ca = refs_in_inline(parse_inline(a))
    pb, cb = refs_in_inline(parse_inline(b))
    return (set(pa), set(ca)) == (set(pb), set(cb))


def acceptable_title(new: str, old: str) -> bool:
    """One line, not blank, and the same PR and commit references as ``old``."""
    return bool(new.strip()) and "\n" not in new and "\r" not in new and \
        same_references(new, old)


def apply_decisions(ws: Worksheet, decisions: Iterable[Decision], *,
                    misc: Miscategorized | None = None) -> ApplyResult:
    """Carry out ``decisions`` on ``ws`` (and ``misc``) in memory; nothing is written."""
    result = ApplyResult()
    for decision in decisions:
        item = ws.find(decision.key)
        if item is None:
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
            misc.add(ws.remove(item), target=decision.domain, source=ws.domain)
            result.sent.append({"key": decision.key, "domain": decision.domain})
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


def default_miscategorized_path(worksheet_path: str | Path, config: Config | None = None) -> Path:
    """``miscategorized.md`` beside the ``todo/`` (or ``done/``) folder of the worksheet."""
    configured = config.path(config.miscategorized) if config is not None else None
    if configured is not None:
        return configured
    folder = Path(worksheet_path).resolve().parent
    if folder.name in ("todo", "done"):
        folder = folder.parent
    return folder / "miscategorized.md"


def write_documents(*docs: Worksheet | Miscategorized, backup: bool = False) -> list[Path]:
    """Write each document atomically; return the backups made."""
    backups = []
    for doc in docs:
        made = atomic_write(doc.path, doc.render(), backup=backup)
        if made is not None:
            backups.append(made)
    return backups
