"""What one finished worksheet changed: the counts of its pull request, and its pool edits.

Two questions ``submit`` asks, answered from documents only (no git, no GitHub):

- :func:`summarise_changes`: against the worksheet *as generated* (not against whatever
  the remote's default branch holds, which may already contain the finished file), how
  many items were moved, dropped, sent to other domains (only those the pool holds),
  adopted (only those the pool gave up), retitled, grouped into multi-PR bullets, and how
  many BC-breaking/deprecation entries were written. A generated item that is neither in
  the worksheet nor in the pool is *removed*: reported as a problem, never counted as sent.

Items are matched by every identity they stand for (:attr:`relnotes.worksheet.Item.keys`):
a bullet ``Title (#1, #2)`` is where the generated items ``pr:1`` and ``pr:2`` went, so
each of them counts (moved, retitled, ...) as the item it was. An item that went into a
nested bullet of a grouping bullet (``- c10d``) is compared with that nested bullet's own
line, and only a bullet whose own PRs are several generated items counts as grouping them.
- :func:`pool_update`: of everything in the local ``miscategorized.md``, the changes that
  belong to this worksheet -- the items it sent (``## <target> (from <domain>)``) and
  the items it adopted from the pool -- applied to the pool as it is on the remote, so
  a pull request carries neither another domain's pending edits nor reverts of what
  others merged meanwhile.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from relnotes.categories import HIGH_STAKES, normalise_heading
from relnotes.markdown import ITEM_MARKER
from relnotes.miscategorized import Miscategorized, group_target, parse_miscategorized
from relnotes.prrefs import DEFAULT_REPO, line_naming, refs_of_title
from relnotes.worksheet import Item, Worksheet

__all__ = ["ChangeSummary", "PoolUpdate", "pool_update", "summarise_changes"]


@dataclass
class ChangeSummary:
    """What the maintainer changed, measured against the worksheet as generated."""

    baseline: str | None = None  # where the generated worksheet came from; None: not found
    moved: list[dict[str, str]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    sent: list[dict[str, str]] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)    # new, and not from the pool
    removed: list[str] = field(default_factory=list)  # generated, now nowhere to be seen
    retitled: list[str] = field(default_factory=list)
    # bullets holding several generated items: {"key", "prs", "items" (generated keys)}
    grouped: list[dict[str, Any]] = field(default_factory=list)
    entries: int = 0
    checks: dict[str, int] | None = None  # {"results", "failed"} of the saved check run

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def markdown(self) -> str:
        """The change table of the pull request body, with the items in a fold."""
        by_domain = Counter(sent["domain"] for sent in self.sent)
        domains = ", ".join(f"{d}: {n}" for d, n in sorted(by_domain.items()))
        if self.checks is None:
            checks = "no check results"
        else:
            checks = (f"{self.checks['results'] - self.checks['failed']} passed, "
                      f"{self.checks['failed']} failed")
        lines = ["| change | count |", "| --- | --- |",
                 f"| moved to another section | {len(self.moved)} |",
                 f"| dropped to not user facing | {len(self.dropped)} |",
                 f"| sent to other domains (miscategorized.md) | {len(self.sent)}"
                 + (f" ({domains})" if domains else "") + " |",
                 f"| adopted from miscategorized.md | {len(self.adopted)} |",
                 f"| items added (not generated, not from the pool) | {len(self.added)} |",
                 f"| titles rewritten | {len(self.retitled)} |",
                 f"| items grouped into multi-PR bullets | "
                 f"{sum(len(g['items']) for g in self.grouped)}"
                 + (f" (in {len(self.grouped)} bullet{'s' * (len(self.grouped) > 1)})"
                    if self.grouped else "") + " |",
                 f"| BC-breaking / deprecation entries written | {self.entries} |",
                 f"| snippet checks | {checks} |"]
        if self.baseline is None:
            lines.append("\n(the generated worksheet was not found: only entries and checks "
                         "are counted)")
        else:
            lines.append(f"\nCounted against the generated worksheet ({self.baseline}).")
        if self.removed:
            lines.append(f"\n**Problem: {len(self.removed)} item(s) of the generated worksheet "
                         "are neither in it nor in miscategorized.md:** "
                         + ", ".join(f"`{k}`" for k in self.removed))
        details = [f"- {m['key']}: {m['from']} -> {m['to']}" for m in self.moved]
        details += [f"- {k}: dropped" for k in self.dropped]
        details += [f"- {s['key']}: sent to {s['domain']}" for s in self.sent]
        details += [f"- {', '.join(g['items'])}: one bullet ({g['key']})" for g in self.grouped]
        details += [f"- {k}: adopted" for k in self.adopted]
        details += [f"- {k}: added" for k in self.added]
        if details:
            lines += ["", "<details><summary>Items</summary>", "", *details, "", "</details>"]
        return "\n".join(lines)


def _first_by_key(items: list[Item]) -> dict[str, Item]:
    out: dict[str, Item] = {}
    for item in items:
        out.setdefault(item.key, item)
    return out


def _by_every_key(items: Iterable[Item]) -> dict[str, Item]:
    """Each identity an item stands for -> the first item standing for it."""
    out: dict[str, Item] = {}
    for item in items:
        for key in item.keys:
            out.setdefault(key, item)
    return out


def _holder(index: dict[str, Item], item: Item) -> Item | None:
    """The item of ``index`` that stands for (one of) what ``item`` stands for."""
    return next((index[key] for key in item.keys if key in index), None)


class _Bullet(NamedTuple):
    """A bullet of the finished worksheet: an item's title, or a nested bullet of a
    grouping bullet (``- c10d``) by its line, with its text and own PRs."""

    item: Item
    at: int  # index of its line in ``item.lines`` (0: the title)
    title: str
    prs: list[int]


def _bullet_of(new: Item, old: Item, repo: str) -> _Bullet:
    """The bullet of ``new`` that holds the generated item ``old``: its title, unless
    ``old``'s PRs stand only in a nested bullet -- then that bullet's own line, which is
    what the maintainer wrote for it (the group's title, "c10d", is not)."""
    nested = [pr for pr in old.all_prs if pr in new.body_prs]
    if not nested or set(old.all_prs) & set(new.prs):
        return _Bullet(new, 0, new.title, new.prs)
    at = line_naming(new.lines, nested[0])
    line = new.lines[at].rstrip("\r\n")
    marker = ITEM_MARKER.match(line)
    title = line[marker.end():] if marker else line.strip()
    return _Bullet(new, at, title, list(refs_of_title(title, repo=repo).prs))


def _pool_targets(pool: Miscategorized | None) -> dict[str, str]:
    targets: dict[str, str] = {}
    for section in pool.sections if pool is not None else []:
        target = group_target(section.name)[0] or section.name
        for item in section.items:
            for key in item.keys:
                targets.setdefault(key, target)
    return targets


def summarise_changes(generated: Worksheet | None, after: Worksheet, *,
                      pool: Miscategorized | None = None, adopted: Iterable[str] = (),
                      baseline: str | None = None,
                      checks: tuple[int, int] | None = None) -> ChangeSummary:
    """Compare the generated worksheet with the finished one, item by item (by key).

    ``pool`` is the pool as submitted: a generated item that left the worksheet counts
    as sent only when the pool holds it (its group tells where), else it is removed.
    ``adopted`` are the keys the pool gave up to this worksheet; other new items are
    added. ``checks`` is (results, failed) of the saved snippet check. Without
    ``generated`` only entries and checks are counted.
    """
    summary = ChangeSummary(baseline=baseline if generated is not None else None)
    if checks is not None:
        summary.checks = {"results": checks[0], "failed": checks[1]}
    before = _first_by_key(generated.items()) if generated is not None else {}
    old_index = _by_every_key(before.values())
    for item in after.items():
        if item.category in HIGH_STAKES and item.body.strip():
            old = _holder(old_index, item)
            if old is None or old.body.strip() != item.body.strip():
                summary.entries += 1
    if generated is None:
        return summary
    now = _by_every_key(after.items())
    targets = _pool_targets(pool)
    holding: dict[tuple[int, int], list[str]] = {}  # bullet -> generated keys it holds
    bullets: dict[tuple[int, int], _Bullet] = {}
    for key, old in before.items():
        new = _holder(now, old)
        if new is None:
            target = next((targets[k] for k in old.keys if k in targets), None)
            if target is not None:
                summary.sent.append({"key": key, "domain": target})
            else:
                summary.removed.append(key)
            continue
        bullet = _bullet_of(new, old, after.repo)
        holding.setdefault((id(new), bullet.at), []).append(key)
        bullets.setdefault((id(new), bullet.at), bullet)
        was, is_ = old.placement, new.placement
        if is_ != was and is_ == "not user facing":
            summary.dropped.append(key)
        elif is_ != was:
            summary.moved.append({"key": key, "from": was, "to": is_})
        if bullet.title.strip() != old.title.strip():
            summary.retitled.append(key)
    # adopted: what the pool gave up, wherever it now stands (a bullet of its own or
    # one it shares with generated items); added: items standing for nothing else
    summary.adopted = [k for k in dict.fromkeys(adopted) if k in now and k not in old_index]
    from_pool = set(summary.adopted)
    # grouped: bullets that hold several generated items, by their own PRs (a grouping
    # bullet's title holds none; its nested bullets may)
    for where, bullet in sorted(bullets.items(), key=lambda b: (b[1].item.start, b[1].at)):
        if len(holding[where]) > 1:
            key = f"pr:{bullet.prs[0]}" if bullet.prs else bullet.item.key
            summary.grouped.append({"key": key, "prs": bullet.prs, "items": holding[where]})
    held_by = {id(bullet.item) for bullet in bullets.values()}
    for item in _first_by_key(after.items()).values():
        if id(item) not in held_by and not from_pool & set(item.keys):
            summary.added.append(item.key)
    return summary


@dataclass
class PoolUpdate:
    """The pool as it should be on the submitted branch."""

    text: str | None  # None: this worksheet changes nothing in the pool
    pool: Miscategorized  # the pool as submitted (the remote's when ``text`` is None)
    sent: list[str] = field(default_factory=list)     # keys sent to the pool
    adopted: list[str] = field(default_factory=list)  # keys taken from the remote's pool
    verbatim: bool = True  # the local file as it is (else rebuilt: it holds other changes)


def _entries(pool: Miscategorized) -> Counter[tuple[str, str]]:
    return Counter((normalise_heading(s.name), i.key) for s in pool.sections for i in s.items)


def pool_update(domain: str, after: Worksheet, *, remote_text: str | None,
                local_text: str | None, path: str = "miscategorized.md",
                local: Miscategorized | None = None, repo: str = DEFAULT_REPO) -> PoolUpdate:
    """This worksheet's changes to the pool, applied to the remote's pool.

    Sent items are those the local pool files under ``## <target> (from <domain>)`` that
    the remote's pool lacks; adopted ones are items of the remote's pool that now stand
    in the worksheet (matched by every PR they stand for: a multi-PR bullet holds each). When the result holds the same items in the same groups as the
    local file, the local file is used byte for byte. ``local``: ``local_text`` already
    parsed.
    """
    remote = parse_miscategorized(remote_text or "", path=path, repo=repo)
    if local is None and local_text is not None:
        local = parse_miscategorized(local_text, path=path, repo=repo)
    mine = normalise_heading(domain)
    remote_keys = {key for item in remote.items() for key in item.keys}
    sent: list[tuple[str, Item]] = []
    for section in local.sections if local is not None else []:
        target, source = group_target(section.name)
        if target is None or source is None or normalise_heading(source) != mine:
            continue
        sent += [(target, item) for item in section.items
                 if not remote_keys & set(item.keys)]
    in_worksheet = {key for item in after.items() for key in item.keys}
    # adopted, also when the worksheet wrote it into a bullet with other PRs
    adopted = [item for item in remote.items() if in_worksheet & set(item.keys)]
    if not sent and not adopted:
        return PoolUpdate(None, remote)
    local_entries = _entries(local) if local is not None else None
    emptied = {id(item.section) for item in adopted}
    for item in adopted:
        remote.remove(item)
    # a group this worksheet emptied goes too, as when ``apply`` adopts locally
    remote.sections[:] = [sec for sec in remote.sections
                          if id(sec) not in emptied or sec.items]
    for target, item in sent:
        remote.add(item, target=target, source=domain)
    update = PoolUpdate(remote.render(), remote, sent=[item.key for _, item in sent],
                        adopted=[item.key for item in adopted], verbatim=False)
    if local_text is not None and local_entries == _entries(remote):
        update.text, update.verbatim = local_text, True
    return update
