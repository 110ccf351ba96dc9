"""The interactive review of triage suggestions, independent of any terminal.

A maintainer goes through the pending items (lowest confidence first, or in section
order) and for each one accepts the suggestion, keeps the item where it is, picks
another section, edits the title, sends it to another domain, skips, undoes or quits.
Every decision is written to the sidecar at once (:mod:`relnotes.decisions`), so quitting
or a crash loses nothing and the next run starts with what is still pending.

Input and output are two callables (``ask(prompt) -> str | None``, ``None`` meaning end
of input, and ``say(text)``), so the CLI wires them to the terminal and tests script them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from relnotes.categories import CATEGORIES
from relnotes.decisions import DecisionStore, Record, safe_title
from relnotes.worksheet import Item

__all__ = [
    "KEYS",
    "ORDERS",
    "ReviewResult",
    "bulk_accept",
    "describe",
    "order_suggestions",
    "pending_json",
    "pending_suggestions",
    "run_review",
]

Ask = Callable[[str], "str | None"]
Say = Callable[[str], None]

KEYS: dict[str, str] = {
    "a": "accept the suggestion (section, domain and cleaned title)",
    "r": "reject: keep the item where it is",
    "p": "pick another section",
    "e": "edit the title",
    "d": "send to another domain (miscategorized.md)",
    "s": "skip for now",
    "u": "undo the last decision",
    "q": "quit (decisions so far are saved)",
    "?": "help",
}
ORDERS = ("confidence", "section")
_PICKABLE = tuple(c for c in CATEGORIES if c != "Untopiced")
_PROMPT = "[a]ccept [r]eject [p]ick [e]dit [d]omain [s]kip [u]ndo [q]uit [?] > "


@dataclass
class ReviewResult:
    decided: list[str] = field(default_factory=list)   # keys decided in this run
    skipped: list[str] = field(default_factory=list)
    bulk_accepted: list[str] = field(default_factory=list)
    remaining: int = 0        # pending after this run
    quit: bool = False        # stopped by q or end of input before the end

    def to_json(self) -> dict[str, Any]:
        return {"decided": self.decided, "skipped": self.skipped,
                "bulk_accepted": self.bulk_accepted, "remaining": self.remaining,
                "quit": self.quit}


def _current(item: Item) -> str:
    if item.section is None:
        return "Untopiced"
    return item.section.category or item.section.name


def order_suggestions(suggestions: Sequence[Any], order: str = "confidence") -> list[Any]:
    """Lowest confidence first (ties in file order), or by section as in the file."""
    if order == "confidence":
        return sorted(suggestions, key=lambda s: (s.confidence, s.item.line))
    if order == "section":
        return sorted(suggestions, key=lambda s: s.item.line)
    raise ValueError(f"unknown order {order!r}; use one of {', '.join(ORDERS)}")


def pending_suggestions(suggestions: Sequence[Any], store: DecisionStore, *,
                        order: str = "confidence") -> list[Any]:
    """Suggestions of items that still need a decision, in review order."""
    pending = {id(item) for item in store.pending(s.item for s in suggestions)}
    return order_suggestions([s for s in suggestions if id(s.item) in pending], order)


def _record(sug: Any, action: str, *, section: str, domain: str | None = None,
            title: str | None = None) -> Record:
    return Record(key=sug.item.key, hash=sug.item.text_hash, action=action, section=section,
                  domain=domain, title=safe_title(sug.item, title), suggested=sug.section,
                  confidence=round(float(sug.confidence), 4))


def _accept(sug: Any, title: str | None = None) -> Record:
    return _record(sug, "accept", section=sug.section,
                   domain=sug.domain if sug.section == "miscategorized" else None,
                   title=title if title is not None else sug.clean_title)


def bulk_accept(suggestions: Sequence[Any], store: DecisionStore, *,
                threshold: float) -> list[str]:
    """Accept every pending suggestion with confidence >= ``threshold``; return their keys."""
    keys = []
    for sug in pending_suggestions(suggestions, store):
        if sug.confidence >= threshold and (sug.section != "miscategorized" or sug.domain):
            store.put(_accept(sug))
            keys.append(sug.item.key)
    return keys


def pending_json(suggestions: Sequence[Any], store: DecisionStore, *,
                 order: str = "confidence") -> list[dict[str, Any]]:
    """The documented ``review --format json`` items: what still needs a decision."""
    out = []
    for sug in pending_suggestions(suggestions, store, order=order):
        record = store.get(sug.item.key)
        out.append({"key": sug.item.key, "hash": sug.item.text_hash,
                    "changed_since_decision": record is not None, **sug.to_json()})
    return out


def describe(sug: Any, *, index: int, total: int,
             metadata: Mapping[int, Any] | None = None, title: str | None = None) -> str:
    """The block shown for one item."""
    item = sug.item
    target = sug.section + (f" -> {sug.domain}" if sug.domain else "")
    lines = [f"[{index}/{total}] {item.key}  line {item.line}  current: {_current(item)}",
             f"  {item.title}",
             f"  suggestion: {target}  (confidence {sug.confidence:.2f})"]
    lines += [f"    - {reason}" for reason in sug.reasons]
    shown = title if title is not None else sug.clean_title
    if shown != item.title:
        lines.append(f"  {'edited' if title is not None else 'cleaned'} title: {shown}")
    for pr in item.prs:
        record = (metadata or {}).get(pr)
        if record is None:
            continue
        files = list(getattr(record, "files", []) or [])
        more = f" (+{len(files) - 3})" if len(files) > 3 else ""
        lines.append(f"  PR #{pr}: {record.title}  by {record.author or '?'}")
        if record.labels:
            lines.append(f"    labels: {', '.join(record.labels)}")
        if files:
            lines.append(f"    files: {', '.join(files[:3])}{more}")
    return "\n".join(lines)


class _Session:
    """State of one interactive run: where we are and what can be undone."""

    def __init__(self, queue: list[Any], store: DecisionStore, ask: Ask, say: Say,
                 metadata: Mapping[int, Any] | None) -> None:
        self.queue = queue
        self.store = store
        self.ask = ask
        self.say = say
        self.metadata = metadata
        self.history: list[tuple[int, str, Record | None]] = []  # index, key, previous
        self.result = ReviewResult()

    def decide(self, index: int, record: Record) -> None:
        previous = self.store.put(record)
        self.history.append((index, record.key, previous))
        self.result.decided.append(record.key)
        self.say(f"  -> {record.action}: {record.section}"
                 + (f" ({record.domain})" if record.domain else ""))

    def undo(self) -> int | None:
        if not self.history:
            self.say("  nothing to undo in this session")
            return None
        index, key, previous = self.history.pop()
        self.store.restore(key, previous)
        self.result.decided.remove(key)
        self.say(f"  undone: {key}")
        return index

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

    def edit_title(self, sug: Any, current: str) -> str | None:
        self.say(f"  now: {current}")
        answer = self.ask("new title (empty: keep) > ")
        if answer is None or not answer.strip():
            return None
        title = answer.strip()
        if sug.item.prs and "#" not in title:
            # typing the link again is tedious and easy to get wrong: add it
            title += " (" + ", ".join(f"#{pr}" for pr in sug.item.prs) + ")"
        if safe_title(sug.item, title) is None and title != sug.item.title:
            self.say("  a title must keep every PR link of the item, e.g. (#N); not changed")
            return None
        return title

    def run(self) -> ReviewResult:
        index = 0
        title: str | None = None  # an edited title waiting for a placement decision
        while index < len(self.queue):
            sug = self.queue[index]
            self.say(describe(sug, index=index + 1, total=len(self.queue),
                              metadata=self.metadata, title=title))
            answer = self.ask(_PROMPT)
            if answer is None:
                self.result.quit = True
                break
            key = answer.strip().lower()[:1]
            current = _current(sug.item)
            if key == "q":
                self.result.quit = True
                break
            if key == "a":
                self.decide(index, _accept(sug, title))
            elif key == "r":
                self.decide(index, _record(sug, "reject", section=current, title=title))
            elif key == "p":
                section = self.choose_section()
                if section is None:
                    continue
                self.decide(index, _record(sug, "section", section=section, title=title))
            elif key == "d":
                default = sug.domain or ""
                answer = self.ask(f"domain{f' [{default}]' if default else ''} > ")
                domain = (answer or "").strip() or default
                if answer is None or not domain:
                    continue
                self.decide(index, _record(sug, "domain", section="miscategorized",
                                           domain=domain, title=title))
            elif key == "e":
                edited = self.edit_title(sug, title or sug.clean_title)
                title = edited if edited is not None else title
                continue
            elif key == "s":
                self.result.skipped.append(sug.item.key)
            elif key == "u":
                back = self.undo()
                if back is not None:
                    index, title = back, None
                continue
            else:
                self.say("\n".join(f"  {k}  {text}" for k, text in KEYS.items()))
                continue
            index += 1
            title = None
        return self.result


def run_review(suggestions: Sequence[Any], store: DecisionStore, *, ask: Ask, say: Say,
               metadata: Mapping[int, Any] | None = None, order: str = "confidence",
               accept_above: float | None = None) -> ReviewResult:
    """Review the pending suggestions; decisions are saved as they are made."""
    bulk = bulk_accept(suggestions, store, threshold=accept_above) if accept_above is not None \
        else []
    if bulk:
        say(f"accepted {len(bulk)} suggestion(s) with confidence >= {accept_above:g}")
    queue = pending_suggestions(suggestions, store, order=order)
    if not queue:
        say("nothing to review: every item has a decision")
    result = _Session(queue, store, ask, say, metadata).run() if queue else ReviewResult()
    result.bulk_accepted = bulk
    result.remaining = len(pending_suggestions(suggestions, store))
    return result
