"""The interactive review of triage suggestions, independent of any terminal.

A maintainer goes through the pending items (lowest confidence first, or in section
order) and for each one accepts the suggestion, keeps the item where it is, picks
another section, edits the title, sends it to another domain, skips, undoes or quits.
Every answer (a letter, then Enter) that decides something is written to the sidecar at
once (:mod:`relnotes.decisions`), so quitting or a crash loses nothing and the next run
starts with what is still pending; ``revisit`` reopens decided items. Bulk acceptance is
one write, however many items it decides.

Cleaned titles are opt-in: accepting takes the suggestion's section (and domain) and
keeps the title as written unless ``clean_titles`` is on (the cleaned title is shown in
the item's block before it is accepted) or the maintainer takes it with ``c``.

Input and output are two callables (``ask(prompt) -> str | None``, ``None`` meaning end
of input, and ``say(text)``), so the CLI wires them to the terminal and tests script them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relnotes.categories import CATEGORIES, normalise_heading
from relnotes.decisions import DecisionStore, Record, safe_title
from relnotes.errors import UsageError
from relnotes.github.fetch import item_prs
from relnotes.miscategorized import read_pool
from relnotes.prrefs import LONG_PR_LINK
from relnotes.release import SET_ASIDE, ReleaseFolder, domain_of_file, worksheet_files
from relnotes.review_groups import (
    Ask,
    GroupOffer,
    GroupReview,
    Say,
    UndoLog,
    key_help,
    run_group_session,
)

if TYPE_CHECKING:
    from relnotes.triage import Suggestion
    from relnotes.triage.history import History

__all__ = [
    "KEYS",
    "ORDERS",
    "GroupReview",
    "ReviewResult",
    "bulk_accept",
    "describe",
    "groups_json",
    "known_domains",
    "order_suggestions",
    "pending_json",
    "pending_suggestions",
    "run_review",
]

KEYS: dict[str, str] = {
    "a": "accept the suggestion (section, domain; the cleaned title only with --clean-titles)",
    "r": "reject: keep the item where it is (not for Untopiced: that decides nothing)",
    "p": "pick another section",
    "e": "edit the title",
    "c": "use the cleaned title (then decide where the item goes)",
    "d": "send to another domain (miscategorized.md): pick one of the release's domains",
    "s": "skip for now",
    "g": "go to the groups now (when groups are offered; the items left stay pending)",
    "u": "undo the last decision (first a title edit not yet decided)",
    "q": "quit (decisions so far are saved)",
    "?": "help",
}
_HELP = key_help(KEYS)
ORDERS = ("confidence", "section")
_PICKABLE = tuple(c for c in CATEGORIES if c != "Untopiced")
_PROMPT = "[a]ccept [r]eject [p]ick [e]dit [c]lean [d]omain [s]kip [u]ndo [q]uit [?] > "


@dataclass
class ReviewResult:
    """What one run did. Every item (one per key) is counted once in :meth:`counts`."""

    decided: list[str] = field(default_factory=list)   # keys decided by hand in this run
    skipped: list[str] = field(default_factory=list)   # still pending, skipped in this run
    bulk_accepted: list[str] = field(default_factory=list)
    remaining: int = 0        # pending after this run
    quit: bool = False        # stopped by q or end of input before the end
    items: int = 0            # items of the worksheet to decide (one per key)
    repeats: int = 0          # further items with the key of an earlier one: not reviewed
    groups_offered: bool = False
    groups_decided: list[str] = field(default_factory=list)  # group ids decided in this run
    groups_skipped: list[str] = field(default_factory=list)
    groups_pending: int = 0   # groups offered and still without a decision

    def counts(self) -> dict[str, int]:
        """items = decided_now + decided_before + pending; skipped and bulk are parts."""
        now = set(self.decided) | set(self.bulk_accepted)
        return {"items": self.items, "decided_now": len(now),
                "bulk_accepted": len(set(self.bulk_accepted) - set(self.decided)),
                "decided_before": self.items - len(now) - self.remaining,
                "pending": self.remaining, "skipped": len(self.skipped),
                "repeats": self.repeats}

    def summary(self) -> str:
        c = self.counts()
        repeats = (f" (and {c['repeats']} repeating an earlier item's PR, not reviewed: "
                   "relnotes lint lists them)" if c["repeats"] else "")
        groups = (f"; groups: {len(self.groups_decided)} decided in this run, "
                  f"{self.groups_pending} pending ({len(self.groups_skipped)} of them skipped)"
                  if self.groups_offered else "")
        return (f"{c['items']} items{repeats}: {c['decided_now']} decided in this run "
                f"({c['bulk_accepted']} of them in bulk), {c['decided_before']} decided "
                f"before, {c['pending']} pending ({c['skipped']} of them skipped){groups}")

    def to_json(self) -> dict[str, Any]:
        return {"decided": self.decided, "skipped": self.skipped,
                "bulk_accepted": self.bulk_accepted, "remaining": self.remaining,
                "quit": self.quit, "counts": self.counts(),
                "groups_decided": self.groups_decided, "groups_pending": self.groups_pending}


def known_domains(release: ReleaseFolder, *, worksheet: str | Path | None = None,
                  own: str = "", history: History | None = None) -> list[str]:
    """The domains an item can be sent to, sorted, without ``own`` (any spelling of it).

    Those of the release's worksheets (``todo/`` and ``done/``; for a ``worksheet``
    outside both, those beside it) and those named by the groups of its pool; the
    history's only when there is no other (a domain of a past release may have no
    worksheet now). Spellings of one domain (``nn_frontend``, ``NN frontend``) are one,
    named as its worksheet file is, else as first written.
    """
    files = {d for d, path in release.domains().items()  # todo/ and done/, sub-folders
             if path.name not in SET_ASIDE}  # not the generator's set-aside file
    if worksheet is not None and release.where(worksheet)[0] is None:
        beside = Path(worksheet).parent  # a worksheet outside todo/ and done/
        files.update(domain_of_file(p, beside) for p in worksheet_files(beside))
    named: set[str] = set()
    if release.pool.is_file():
        pool = read_pool(release)
        for section in pool.sections:
            group = pool.describe(section)
            named.update(group.domains or ([group.target] if group.target else []))
            named.update([group.source] if group.source else [])
    if not {normalise_heading(d) for d in files | named} - {normalise_heading(own)} \
            and history is not None:  # no other worksheet: past releases' domains
        named.update(r.domain for r in history.records)
        named.update(r.target for r in history.records if r.target)
    by_norm: dict[str, str] = {}
    for name in [*sorted(files), *sorted(named)]:
        by_norm.setdefault(normalise_heading(name), name.replace("\\", "").strip())
    by_norm.pop(normalise_heading(own), None)
    return sorted(by_norm.values(), key=str.casefold)


def order_suggestions(suggestions: Iterable[Suggestion],
                      order: str = "confidence") -> list[Suggestion]:
    """Lowest confidence first (ties in file order), or by section as in the file."""
    if order == "confidence":
        return sorted(suggestions, key=lambda s: (s.confidence, s.item.line))
    if order == "section":
        return sorted(suggestions, key=lambda s: s.item.line)
    raise ValueError(f"unknown order {order!r}; use one of {', '.join(ORDERS)}")


def pending_suggestions(suggestions: Sequence[Suggestion], store: DecisionStore, *,
                        order: str = "confidence") -> list[Suggestion]:
    """Suggestions of items that still need a decision, in review order."""
    pending = {id(item) for item in store.pending(s.item for s in suggestions)}
    return order_suggestions([s for s in suggestions if id(s.item) in pending], order)


def _record(sug: Suggestion, action: str, *, section: str, domain: str | None = None,
            title: str | None = None) -> Record:
    return Record(key=sug.item.key, hash=sug.item.text_hash, action=action, section=section,
                  domain=domain, title=safe_title(sug.item, title), suggested=sug.section,
                  confidence=round(float(sug.confidence), 4))


def _accept(sug: Suggestion, title: str | None = None, *, clean_titles: bool = False) -> Record:
    if title is None and clean_titles:
        title = sug.clean_title
    return _record(sug, "accept", section=sug.section,
                   domain=sug.domain if sug.section == "miscategorized" else None, title=title)


def bulk_accept(suggestions: Sequence[Suggestion], store: DecisionStore, *,
                threshold: float, clean_titles: bool = False) -> list[str]:
    """Accept every pending suggestion with confidence >= ``threshold``; return their keys.

    Titles stay as written unless ``clean_titles``. The sidecar is written once.
    """
    records = [_accept(sug, clean_titles=clean_titles)
               for sug in pending_suggestions(suggestions, store)
               if sug.confidence >= threshold and (sug.section != "miscategorized" or sug.domain)]
    store.put_many(records)
    return [r.key for r in records]


def pending_json(suggestions: Sequence[Suggestion], store: DecisionStore, *,
                 order: str = "confidence") -> list[dict[str, Any]]:
    """The documented ``review --format json`` items: what still needs a decision."""
    out = []
    for sug in pending_suggestions(suggestions, store, order=order):
        record = store.get(sug.item.key)
        out.append({"key": sug.item.key, "hash": sug.item.text_hash,
                    "changed_since_decision": record is not None, **sug.to_json()})
    return out


def _decision_text(record: Record) -> str:
    where = record.section + (f" -> {record.domain}" if record.domain else "")
    return f"{record.action} ({where})" + (", applied" if record.applied else "")


def describe(sug: Suggestion, *, index: int, total: int,
             metadata: Mapping[int, Any] | None = None, title: str | None = None,
             clean_titles: bool = False, record: Record | None = None) -> str:
    """The block shown for one item: what a key press would do is on screen first."""
    item = sug.item
    target = sug.section + (f" -> {sug.domain}" if sug.domain else "")
    lines = [f"[{index}/{total}] {item.key}  line {item.line}  current: {item.placement}",
             f"  {item.title}",
             f"  suggestion: {target}  (confidence {sug.confidence:.2f})"]
    lines += [f"    - {reason}" for reason in sug.reasons]
    if record is not None:
        state = ("earlier answer (keeps it Untopiced: no decision)"
                 if record.section == "Untopiced" else
                 "decided" if record.hash == item.text_hash else "decided before an edit")
        lines.append(f"  {state}: {_decision_text(record)}")
    if title is not None:
        lines.append(f"  new title: {title}")
    elif sug.clean_title != item.title:
        usable = safe_title(item, sug.clean_title) is not None
        how = ("a accepts it" if clean_titles else "c to use it") if usable else \
            "not used: it would change the PR links"
        lines.append(f"  cleaned title ({how}): {sug.clean_title}")
    for pr in item_prs(item, metadata or {}):
        meta = (metadata or {}).get(pr)
        if meta is None or not getattr(meta, "found", True):
            continue  # no metadata: the CLI says so once, not once per PR
        files = list(getattr(meta, "files", []) or [])
        more = f" (+{len(files) - 3})" if len(files) > 3 else ""
        of = "" if item.prs else f" (of commit {', '.join(item.commits)})"
        lines.append(f"  PR #{pr}{of}: {meta.title}" + (f"  by {meta.author}" if meta.author else ""))
        if meta.labels:
            lines.append(f"    labels: {', '.join(meta.labels)}")
        if files:
            lines.append(f"    files: {', '.join(files[:3])}{more}")
    return "\n".join(lines)


def _columns(names: Sequence[str], width: int = 78) -> str:
    """``1. name`` entries in as many columns as fit."""
    cells = [f"{n:>2}. {name}" for n, name in enumerate(names, 1)]
    cell = max(len(c) for c in cells) + 2
    per_row = max(1, width // cell)
    rows = ["".join(c.ljust(cell) for c in cells[i:i + per_row]).rstrip()
            for i in range(0, len(cells), per_row)]
    return "\n".join("  " + r for r in rows)


class _Session:
    """State of one interactive run: where we are and what can be undone."""

    def __init__(self, queue: list[Suggestion], store: DecisionStore, ask: Ask, say: Say, *,
                 metadata: Mapping[int, Any] | None, domains: Sequence[str],
                 own_domain: str, clean_titles: bool, groups: bool = False) -> None:
        self.groups = groups  # groups follow: g goes to them at once
        self.to_groups = False
        self.queue = queue
        self.store = store
        self.ask = ask
        self.say = say
        self.metadata = metadata
        self.domains = list(domains)
        self.own_domain = own_domain
        self.clean_titles = clean_titles
        self.log = UndoLog(store.restore)
        self.result = ReviewResult(decided=self.log.decided)

    def decide(self, index: int, record: Record) -> None:
        self.log.record(index, record.key, self.store.put(record))
        self.say(f"  -> {record.action}: {record.section}"
                 + (f" ({record.domain})" if record.domain else "")
                 + (f"; title: {record.title}" if record.title else ""))

    def undo(self) -> int | None:
        back = self.log.undo()
        if back is None:
            self.say("  nothing to undo in this session")
            return None
        self.say(f"  undone: {back[1]}")
        return back[0]

    def choose_section(self) -> str | None:
        for n, name in enumerate(_PICKABLE, 1):
            self.say(f"  {n:>2}. {name}")
        while True:
            answer = self.ask("section number or name (empty: back) > ")
            if answer is None or not answer.strip():
                return None
            answer = answer.strip()
            if answer.isdigit() and 1 <= int(answer) <= len(_PICKABLE):
                return _PICKABLE[int(answer) - 1]
            matches = [c for c in _PICKABLE if c.lower() == answer.lower()]
            if matches:
                return matches[0]
            self.say(f"  unknown section {answer!r}")

    def choose_domain(self, suggested: str | None) -> str | None:
        """A domain of the release by number or name; any other name only when confirmed."""
        if self.domains:
            self.say(_columns(self.domains))
        default = f"empty: {suggested}, - back" if suggested else "empty: back"
        known = {normalise_heading(d): d for d in self.domains}
        while True:
            answer = self.ask(f"domain number or name ({default}) > ")
            if answer is None:
                return None
            answer = answer.strip()
            if answer == "-" or (not answer and not suggested):
                return None
            if not answer:
                return suggested
            if answer.isdigit() and self.domains:
                if 1 <= int(answer) <= len(self.domains):
                    return self.domains[int(answer) - 1]
                self.say(f"  no domain number {answer}: 1 to {len(self.domains)}")
                continue
            if normalise_heading(answer) == normalise_heading(self.own_domain):
                self.say(f"  {answer!r} is this worksheet's own domain")
                continue
            if normalise_heading(answer) in known:
                return known[normalise_heading(answer)]
            sure = self.ask(f"  {answer!r} is not a domain of this release (no worksheet or "
                            "miscategorized.md group has it); send it there anyway? [y/N] > ")
            if sure is None:
                return None
            if sure.strip().lower() in ("y", "yes"):
                return answer

    def edit_title(self, sug: Suggestion, current: str) -> str | None:
        self.say(f"  now: {current}")
        answer = self.ask("new title (empty: keep) > ")
        if answer is None or not answer.strip():
            return None
        title = answer.strip()
        if sug.item.prs and "#" not in title:
            # typing the link again is tedious and easy to get wrong: add it, in the style
            # the item has (a long link stays long, so one worksheet keeps one style)
            links = [m.group(0) for m in LONG_PR_LINK.finditer(sug.item.title)]
            title += " (" + ", ".join(links or [f"#{pr}" for pr in sug.item.prs]) + ")"
        if safe_title(sug.item, title) is None and title != sug.item.title:
            self.say("  a title must keep every PR link of the item, e.g. (#N); not changed")
            return None
        return title

    def run(self) -> ReviewResult:
        index = 0
        title: str | None = None  # a new title waiting for a placement decision
        while index < len(self.queue):
            sug = self.queue[index]
            self.say(describe(sug, index=index + 1, total=len(self.queue),
                              metadata=self.metadata, title=title,
                              clean_titles=self.clean_titles,
                              record=self.store.get(sug.item.key)))
            answer = self.ask(_PROMPT.replace("[u]ndo", "[g]roups [u]ndo") if self.groups
                              else _PROMPT)
            if answer is None:
                self.result.quit = True
                break
            key = answer.strip().lower()[:1]
            if key == "q":
                self.result.quit = True
                break
            if key == "g" and self.groups:
                self.to_groups = True
                break
            if key == "a":
                self.decide(index, _accept(sug, title, clean_titles=self.clean_titles))
            elif key == "r":
                if sug.item.placement == "Untopiced":
                    self.say("  it is Untopiced: keeping it there decides nothing. Accept (a), "
                             "pick a section (p; 'not user facing' drops it), send it to "
                             "another domain (d), or skip (s)")
                    continue
                self.decide(index, _record(sug, "reject", section=sug.item.placement,
                                           title=title))
            elif key == "p":
                section = self.choose_section()
                if section is None:
                    continue
                self.decide(index, _record(sug, "section", section=section, title=title))
            elif key == "d":
                domain = self.choose_domain(sug.domain)
                if domain is None:
                    continue
                self.decide(index, _record(sug, "domain", section="miscategorized",
                                           domain=domain, title=title))
            elif key == "e":
                edited = self.edit_title(sug, title or sug.item.title)
                title = edited if edited is not None else title
                continue
            elif key == "c":
                if safe_title(sug.item, sug.clean_title) is None:
                    self.say("  no cleaner title for this item")
                else:
                    title = sug.clean_title
                continue
            elif key == "s":
                if sug.item.key not in self.result.skipped:
                    self.result.skipped.append(sug.item.key)
            elif key == "u":
                if title is not None:  # a title edited (or cleaned) but not yet decided
                    title = None
                    self.say("  title edit undone")
                    continue
                back = self.undo()
                if back is not None:
                    index, title = back, None
                continue
            else:
                self.say(_HELP)
                continue
            index += 1
            title = None
        return self.result


def _revisited(suggestions: Sequence[Suggestion], store: DecisionStore,
               revisit: Collection[str]) -> list[Suggestion]:
    """Decided items named in ``revisit`` (``all``: every decided one)."""
    keys = {s.item.key for s in suggestions}
    unknown = sorted(set(revisit) - keys - {"all"})
    if unknown:
        raise UsageError(f"not an item of this worksheet: {', '.join(unknown)} "
                         "(keys look like pr:12345)")
    seen: set[str] = set()
    out = []
    for sug in suggestions:
        key = sug.item.key
        if key in seen or store.get(key) is None or not store.is_decided(sug.item):
            continue
        seen.add(key)
        if "all" in revisit or key in revisit:
            out.append(sug)
    return out


def run_review(suggestions: Sequence[Suggestion], store: DecisionStore, *, ask: Ask, say: Say,
               metadata: Mapping[int, Any] | None = None, order: str = "confidence",
               accept_above: float | None = None, clean_titles: bool = False,
               domains: Sequence[str] = (), own_domain: str = "",
               revisit: Collection[str] = (), groups: GroupReview | None = None
               ) -> ReviewResult:
    """Review the pending suggestions (and the decided ones in ``revisit``), then the
    pending ``groups`` (see :mod:`relnotes.review_groups`); decisions are saved as they
    are made.

    ``domains`` are offered by number for ``d``; another name needs a confirmation.
    """
    again = _revisited(suggestions, store, revisit)
    bulk = bulk_accept(suggestions, store, threshold=accept_above, clean_titles=clean_titles) \
        if accept_above is not None else []
    if bulk:
        say(f"accepted {len(bulk)} suggestion(s) with confidence >= {accept_above:g}")
        for key in bulk:
            record = store.get(key)
            if record is not None and record.title:
                say(f"  {key}: title becomes: {record.title}")
    queue = order_suggestions([*pending_suggestions(suggestions, store, order=order), *again],
                              order)
    if not queue:
        say("nothing to review: every item has a decision")
    session = _Session(queue, store, ask, say, metadata=metadata, domains=domains,
                       own_domain=own_domain, clean_titles=clean_titles,
                       groups=groups is not None)
    result = session.run() if queue else ReviewResult()
    if groups is not None:
        result.groups_offered = True
        if not result.quit:
            done = run_group_session(groups, store, ask=ask, say=say)
            result.quit = done.quit
            result.groups_decided, result.groups_skipped = done.decided, done.skipped
        result.groups_pending = len(groups.pending(store))
    result.bulk_accepted = bulk
    pending = pending_suggestions(suggestions, store)
    result.remaining = len(pending)
    still = {s.item.key for s in pending}
    result.skipped = [k for k in result.skipped if k in still]
    result.items = len({s.item.key for s in suggestions})
    result.repeats = len(suggestions) - result.items
    return result


def groups_json(groups: GroupReview, store: DecisionStore) -> dict[str, Any]:
    """The documented ``groups`` of ``review --format json``: why they are offered, the
    pending ones, how many are decided and how many not offered."""
    offered, not_offered = groups.offers(store)
    pending: list[GroupOffer] = groups.pending(store, offered)
    return {"why": groups.why, "pending": [o.to_json() for o in pending],
            "decided": len(offered) - len(pending),
            "not_offered": [{"id": o.id, "items": [i.key for i in o.drafted.group.items],
                             "left": [{"key": k, "why": why} for k, why in o.left]}
                            for o in not_offered]}
