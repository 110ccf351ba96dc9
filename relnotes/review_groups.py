"""Groups in review: the groups ``relnotes summarize`` finds, decided like items.

Items come first, then groups. A maintainer sorts a worksheet before summarising it
(the 2.10+ preamble's step 1 comes before its step 3), and where the items go decides
what a group can be: a member whose own decision sends it to another domain, or to
another section than the group's, leaves the group (the group's block says so), the
group's section is where most of its members will be (:func:`best_place` over their
decided sections), and its bullet is drafted for the members that stay. A group left
with fewer than two members is not offered. ``g`` in the item review goes to the groups
at once.

For each group: ``a`` accepts it with the bullet shown, ``e`` edits the bullet (it must
link exactly the members' PRs; typed without links, they are added in the worksheet's
link style), ``x`` splits a member off (it stays an item of its own; the bullet keeps
the edit and loses that PR's link, or is drafted again), ``r`` rejects it (the items
stay apart), ``s`` skips, ``u`` undoes (an edit or split of this group first, then the
last group decision), ``q`` quits. Each decision is saved at once as a
:class:`relnotes.decisions.GroupRecord`, so review resumes where it stopped; a group
decided before one of its members was edited is offered again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from relnotes.decisions import DecisionStore, GroupRecord
from relnotes.prrefs import refs_of_title
from relnotes.summaries.bullet import draft_bullet, link_style
from relnotes.summaries.grouping import best_place
from relnotes.summaries.merge import DraftedGroup, group_id
from relnotes.worksheet import Item, Worksheet

__all__ = ["GROUP_KEYS", "Ask", "GroupOffer", "GroupResult", "GroupReview", "Say", "UndoLog",
           "key_help", "run_group_session"]

Ask = Callable[[str], "str | None"]
Say = Callable[[str], None]

GROUP_KEYS: dict[str, str] = {
    "a": "accept: merge the group's items into the bullet shown (apply writes it)",
    "e": "edit the bullet (typed without PR links, the group's links are added)",
    "x": "split a member off: it stays an item of its own",
    "r": "reject: keep the items apart",
    "s": "skip for now",
    "u": "undo (an edit or split of this group first, then the last group decision)",
    "q": "quit (decisions so far are saved)",
    "?": "help",
}
def key_help(keys: dict[str, str]) -> str:
    """The ``?`` text of a review session: how to answer, then one line per key."""
    return ("  Type a letter and press Enter; each decision is saved at once.\n"
            + "\n".join(f"  {k}  {text}" for k, text in keys.items()))


_HELP = key_help(GROUP_KEYS)
_PROMPT = "[a]ccept [e]dit bullet [x] split off [r]eject [s]kip [u]ndo [q]uit [?] > "


@dataclass
class GroupOffer:
    """A group as review offers it, after the items' own decisions."""

    id: str
    drafted: DraftedGroup          # as summarize found it
    members: list[Item]            # those that stay
    left: list[tuple[str, str]]    # (key, why) of those that left
    section: str
    bullet: str                    # drafted for the members that stay
    record: GroupRecord | None = None

    @property
    def keys(self) -> list[str]:
        return [m.key for m in self.members]

    @property
    def prs(self) -> list[int]:
        return list(dict.fromkeys(pr for m in self.members for pr in m.prs))

    def to_json(self) -> dict[str, Any]:
        """One entry of ``review --format json``'s ``groups.pending``."""
        return {"id": self.id, "section": self.section, "prs": self.prs,
                "bullet": self.bullet, "confidence": self.drafted.confidence,
                "reasons": list(self.drafted.group.reasons), "items": self.keys,
                "titles": [m.title for m in self.members],
                "lines": [m.line for m in self.members],
                "left": [{"key": k, "why": why} for k, why in self.left],
                "changed_since_decision": self.record is not None}


class GroupReview:
    """What review needs to offer groups: the worksheet, summarize's groups, and why they
    are offered (``preamble``: the worksheet asks for summaries; ``asked``: --summaries)."""

    def __init__(self, worksheet: Worksheet, groups: Sequence[DraftedGroup], *,
                 why: str) -> None:
        self.worksheet = worksheet
        self.groups = list(groups)
        self.why = why
        self.style = link_style(worksheet)
        self.by_key: dict[str, Item] = {}
        for item in worksheet.items():
            self.by_key.setdefault(item.key, item)

    def redraft(self, members: Sequence[Item]) -> str:
        return draft_bullet(members, style=self.style, domain=self.worksheet.domain)

    def links(self, prs: Sequence[int]) -> str:
        """The PR links of a bullet, written as the worksheet writes them."""
        return self.style.render(prs)

    def offers(self, store: DecisionStore) -> tuple[list[GroupOffer], list[GroupOffer]]:
        """Every group as it stands after the items' decisions: those offered, and those
        with fewer than two members left (not offered: their ``left`` says why)."""
        taken: dict[str, str] = {}  # item key -> another accepted group still to apply
        apart: dict[tuple[str, str], str] = {}  # (key, key) kept apart -> by which group
        for gid, record in store.groups.items():
            if not record.applied and not record.current(self.by_key):
                continue  # edited since: that group is offered again
            if record.action == "accept" and not record.applied:
                taken.update(dict.fromkeys(record.members, gid))
            together = record.members if record.action == "reject" else []
            pairs = [(a, b) for a in record.split for b in record.members] + \
                [(a, b) for a in together for b in together if a != b]
            for a, b in pairs:
                apart[(a, b)] = apart[(b, a)] = gid
        offers = [self._offer(drafted, store, taken, apart) for drafted in self.groups]
        return ([o for o in offers if len(o.members) >= 2],
                [o for o in offers if len(o.members) < 2])

    def _offer(self, drafted: DraftedGroup, store: DecisionStore, taken: dict[str, str],
               apart: dict[tuple[str, str], str]) -> GroupOffer:
        gid = group_id(drafted.keys)
        left: list[tuple[str, str]] = []
        staying: list[tuple[Item, str | None]] = []  # item, its decided section
        for item in drafted.group.items:
            split = next((k for k, _ in staying if apart.get((item.key, k.key), gid) != gid),
                         None)
            record = store.get(item.key)
            decided = record if record is not None and store.is_decided(item) else None
            if self.by_key.get(item.key) is not item:  # decisions name the first of a key
                left.append((item.key, f"repeats the PR of line {self.by_key[item.key].line}"))
            elif split is not None:
                left.append((item.key, (f"kept apart from {split.key} by the group "
                                        f"decision {apart[(item.key, split.key)]}")))
            elif taken.get(item.key, gid) != gid:
                left.append((item.key, f"in the accepted group {taken[item.key]}"))
            elif decided is not None and decided.section == "miscategorized":
                left.append((item.key, f"sent to {decided.domain}"))
            else:
                staying.append((item, decided.section if decided is not None else None))
        section = best_place([place or item.placement for item, place in staying]) \
            if staying else drafted.section
        members: list[Item] = []
        for item, place in staying:
            if place is not None and place != section:
                left.append((item.key, f"decided for {place}"))
            else:
                members.append(item)
        bullet = drafted.bullet if len(members) == len(drafted.group.items) else \
            self.redraft(members) if len(members) >= 2 else ""
        return GroupOffer(id=gid, drafted=drafted, members=members, left=left,
                          section=section, bullet=bullet, record=store.groups.get(gid))

    def pending(self, store: DecisionStore, offered: Sequence[GroupOffer] | None = None
                ) -> list[GroupOffer]:
        """The offers (``offered``: :meth:`offers`' first list, when the caller has it)
        without a current decision."""
        offered = self.offers(store)[0] if offered is None else offered
        return [o for o in offered if not self.decided(o, store)]

    def decided(self, offer: GroupOffer, store: DecisionStore) -> bool:
        """Decided, no member edited since, and (accepted) the same members still stay."""
        record = store.groups.get(offer.id)
        if record is None or record.applied:
            return record is not None
        if not record.current(self.by_key):
            return False
        return record.action == "reject" or \
            set(record.members) == set(offer.keys) - set(record.split)


def describe_group(offer: GroupOffer, *, index: int, total: int, bullet: str,
                   members: Sequence[Item], store: DecisionStore) -> str:
    """The block shown for one group: its bullet, members (numbered for ``x``), who left
    and why, and the reasons it was found."""
    lines = [(f"group [{index}/{total}] {offer.section}, confidence "
              f"{offer.drafted.confidence:.2f}, {len(members)} items"),
             f"  - {bullet}"]
    for n, item in enumerate(members, 1):
        record = store.get(item.key)
        place = item.placement
        if record is not None and store.is_decided(item) and record.section != place:
            place += f" -> {record.section}"
        lines.append(f"   {n:>2}. {item.key}  line {item.line}  [{place}] {item.title}")
    if offer.left:
        lines.append("  left the group: " + "; ".join(f"{k} ({why})" for k, why in offer.left))
    if offer.drafted.group.reasons:
        lines.append("  because: " + "; ".join(offer.drafted.group.reasons))
    if offer.record is not None:
        lines.append(f"  decided before an edit: {offer.record.action}")
    return "\n".join(lines)


class UndoLog:
    """The decisions of one review session, newest last, with what each replaced: ``u``
    puts that back (``restore``). ``decided`` lists the keys decided in the session."""

    def __init__(self, restore: Callable[[str, Any], None]) -> None:
        self.restore = restore
        self.entries: list[tuple[int, str, Any]] = []  # queue index, key, previous
        self.decided: list[str] = []

    def record(self, index: int, key: str, previous: Any) -> None:
        self.entries.append((index, key, previous))
        if key in self.decided:
            self.decided.remove(key)
        self.decided.append(key)

    def undo(self) -> tuple[int, str] | None:
        """Take back the newest decision; returns its queue index and key (None: none)."""
        if not self.entries:
            return None
        index, key, previous = self.entries.pop()
        self.restore(key, previous)
        if key in self.decided and not any(k == key for _, k, _ in self.entries):
            self.decided.remove(key)
        return index, key


@dataclass
class GroupResult:
    """What one run did with the groups."""

    decided: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    quit: bool = False


@dataclass
class _Draft:
    """A group's bullet and members while it is being edited and split."""

    members: list[Item]
    bullet: str
    split: list[str] = field(default_factory=list)
    edited: bool = False


class _GroupSession:
    def __init__(self, review: GroupReview, queue: list[GroupOffer], store: DecisionStore,
                 ask: Ask, say: Say) -> None:
        self.review, self.queue, self.store, self.ask, self.say = review, queue, store, ask, say
        self.log = UndoLog(store.restore_group)
        self.result = GroupResult(decided=self.log.decided)

    def decide(self, index: int, record: GroupRecord) -> None:
        self.log.record(index, record.id, self.store.put_group(record))
        what = f"merge {len(record.members)} items into: {record.bullet}" \
            if record.action == "accept" else "keep the items apart"
        self.say(f"  -> {record.action}: {what}")

    def undo(self) -> int | None:
        back = self.log.undo()
        if back is None:
            self.say("  nothing to undo among the groups of this session")
            return None
        self.say(f"  undone: group {back[1]}")
        return back[0]

    def edit(self, draft: _Draft) -> str | None:
        answer = self.ask("bullet (empty: keep) > ")
        if answer is None or not answer.strip():
            return None
        text = answer.strip()
        prs = list(dict.fromkeys(pr for m in draft.members for pr in m.prs))
        refs = refs_of_title(text, repo=self.review.worksheet.repo)
        found, commits = list(refs.prs), list(refs.commits)
        if not found and not commits:
            text += " " + self.review.links(prs)  # typing every link again is error-prone
            found = prs
        if set(found) != set(prs) or commits or "\n" in text or "\r" in text:
            self.say("  a bullet is one line linking exactly the group's PRs ("
                     + ", ".join(f"#{pr}" for pr in prs) + "); not changed")
            return None
        return text

    def split(self, draft: _Draft) -> _Draft | None:
        if len(draft.members) <= 2:
            self.say("  two items: splitting one off leaves no group; reject it (r) instead")
            return None
        answer = self.ask(f"member to split off, 1-{len(draft.members)} (empty: back) > ")
        if answer is None or not answer.strip():
            return None
        if not answer.strip().isdigit() or not 1 <= int(answer) <= len(draft.members):
            self.say(f"  no member {answer.strip()!r}")
            return None
        gone = draft.members[int(answer) - 1]
        members = [m for m in draft.members if m is not gone]
        old = self.review.links(list(dict.fromkeys(p for m in draft.members for p in m.prs)))
        new = self.review.links(list(dict.fromkeys(p for m in members for p in m.prs)))
        keep = draft.edited and draft.bullet.endswith(old)
        bullet = draft.bullet[:-len(old)] + new if keep else self.review.redraft(members)
        self.say(f"  split off: {gone.key}" + (
            "; the bullet is drafted again without it" if draft.edited and not keep else ""))
        return _Draft(members, bullet, [*draft.split, gone.key], edited=keep)

    def record(self, offer: GroupOffer, draft: _Draft, action: str) -> GroupRecord:
        members = draft.members if action == "accept" else offer.members
        return GroupRecord(
            id=offer.id, action=action, members=[m.key for m in members],
            hashes={m.key: m.text_hash for m in members}, section=offer.section,
            bullet=draft.bullet if action == "accept" else None, drafted=offer.bullet,
            split=draft.split if action == "accept" else [],
            left=[k for k, _ in offer.left], confidence=offer.drafted.confidence)

    def run(self) -> GroupResult:
        index = 0
        drafts: list[_Draft] = []
        while index < len(self.queue):
            offer = self.queue[index]
            if not drafts:
                drafts = [_Draft(list(offer.members), offer.bullet)]
            draft = drafts[-1]
            self.say(describe_group(offer, index=index + 1, total=len(self.queue),
                                    bullet=draft.bullet, members=draft.members,
                                    store=self.store))
            answer = self.ask(_PROMPT)
            key = (answer or "q").strip().lower()[:1]
            if key == "q":
                self.result.quit = True
                break
            if key in ("a", "r"):
                self.decide(index, self.record(offer, draft, "accept" if key == "a" else "reject"))
            elif key == "e":
                bullet = self.edit(draft)
                if bullet is not None:
                    drafts.append(_Draft(draft.members, bullet, draft.split, edited=True))
                continue
            elif key == "x":
                smaller = self.split(draft)
                if smaller is not None:
                    drafts.append(smaller)
                continue
            elif key == "s":
                if offer.id not in self.result.skipped:
                    self.result.skipped.append(offer.id)
            elif key == "u":
                if len(drafts) > 1:
                    drafts.pop()
                    self.say("  undone: the last edit or split of this group")
                    continue
                back = self.undo()
                if back is not None:
                    index, drafts = back, []
                continue
            else:
                self.say(_HELP)
                continue
            index += 1
            drafts = []
        return self.result


def run_group_session(review: GroupReview, store: DecisionStore, *, ask: Ask,
                      say: Say) -> GroupResult:
    """Offer the pending groups one by one; returns what was done."""
    offered, not_offered = review.offers(store)
    queue = review.pending(store, offered)
    if queue:
        why = ("the worksheet asks for summaries" if review.why == "preamble"
               else "asked with --summaries")
        say(f"groups of one change's PRs ({why}): {len(queue)} to review"
            + (f"; {len(not_offered)} more not offered: fewer than two of their items stay "
               "together (decided for other sections or domains, or kept apart before)"
               if not_offered else ""))
    result = _GroupSession(review, queue, store, ask, say).run() if queue else GroupResult()
    still = {o.id for o in review.pending(store)}
    result.skipped = [g for g in result.skipped if g in still]
    return result
