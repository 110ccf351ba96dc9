"""Drafting a BC-breaking or deprecation entry from its pull request (``entry new``).

The draft is filled only with what the PR says -- its title and the "BC-breaking note"
its author wrote -- and rendered through the worksheet templates; the rationale, the
message users see and both code blocks are left as TODOs, because relnotes never invents
migration code. Which releases the before/after labels name comes from ``--to``, else
the ``release`` setting, else the release folder the worksheet (or the current folder)
is in, as for every other command.

:func:`place_entry` writes a draft into its item (``entry new --write``): the item that
links the PR keeps its title and gets the draft's rationale, message and code under it,
in the section of its kind; nothing else of the worksheet changes.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from relnotes.config import Config
from relnotes.entries import ENTRY_KINDS, pr_refs
from relnotes.errors import GitHubError, UsageError, WorksheetError
from relnotes.fileio import atomic_write, read_text, split_lines
from relnotes.github import lookup_metadata
from relnotes.prrefs import line_naming
from relnotes.release import ReleaseFolder, display
from relnotes.templating import render
from relnotes.versions import require_version
from relnotes.worksheet import Item, Worksheet, parse_worksheet

__all__ = ["Draft", "Placement", "draft_context", "draft_entry", "find_worksheet",
           "place_entry", "pr_note"]

TEMPLATES = {"bc": "worksheet_bc.md.j2", "deprecation": "worksheet_deprecation.md.j2"}


_PR_NOTE_HEAD = re.compile(
    r"^[ \t]*(?:#+[ \t]*|\*\*)?(?:bc[- ]?breaking(?: notes?| changes?)?|"
    r"backwards?[- ]incompatible(?: changes?)?|deprecations?(?: notes?)?)[ \t]*(?:\*\*)?[ \t]*:?"
    r"[ \t]*(?:\*\*)?",
    re.IGNORECASE | re.MULTILINE,
)
# Where the note ends: the next heading, bold line, "Test Plan:"-like line, cc list.
_PR_NOTE_END = re.compile(
    r"^[ \t]*(?:#+\s|\*\*[^*]+\*\*\s*$|[A-Z][\w ]{1,30}:\s*$|cc\s@|Differential Revision:)",
    re.MULTILINE,
)
_TITLE_TAGS = re.compile(r"^(?:\s*\[[^\]]{1,40}\]\s*)+")


def pr_note(body: str) -> str | None:
    """The "BC-breaking note" / "Deprecation" section of a PR description, if it has one.

    PyTorch PR templates ask authors for one; it is the best first draft of a rationale,
    but it is written for reviewers, so the draft quotes it in a comment to rewrite.
    """
    match = _PR_NOTE_HEAD.search(body or "")
    if not match:
        return None
    rest = body[match.end():]
    stop = _PR_NOTE_END.search(rest)
    note = (rest[: stop.start()] if stop else rest).strip()
    return note.replace("-->", "-- >") or None


_NO_TITLE = "TODO: what changed, in one line users understand"


def draft_context(
    *, kind: str, number: int, title: str, body: str, from_version: str, to_version: str
) -> dict[str, object]:
    """Context of ``worksheet_bc.md.j2`` / ``worksheet_deprecation.md.j2`` for a new entry.

    Only what the PR says is filled in; rationale, message, how-to-update and both code
    blocks stay empty so the templates mark them TODO. Code is never generated.
    """
    if kind not in ("bc", "deprecation"):
        raise ValueError(f"kind must be bc or deprecation, not {kind!r}")
    # without a title (offline, not cached) a TODO lint reports (entry-todo) until it is
    # written, even once the body's placeholders are filled in
    clean_title = _TITLE_TAGS.sub("", title or "").strip() or _NO_TITLE
    return {"entry": {
        "kind": kind,
        "title": clean_title,
        "pr_refs": pr_refs([number]),
        "rationale": None,
        "pr_note": pr_note(body),
        "message": None,
        "how_to_update": None,
        "before": {"label": from_version, "code": None},
        "after": {"label": to_version, "code": None},
    }}


@dataclass
class Draft:
    """A rendered draft and what it was made from (``warning``: why fields are TODO)."""

    pr: int
    kind: str
    from_version: str
    to_version: str
    template: str
    found: bool
    text: str
    warning: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["from"], data["to"] = data.pop("from_version"), data.pop("to_version")
        data["todo"] = self.text.count("TODO")
        return data


def draft_entry(*, number: int, kind: str, config: Config, from_version: str | None = None,
                to_version: str | None = None, offline: bool = False,
                template_dir: str | Path | None = None, where: str | Path | None = None
                ) -> Draft:
    """Draft the entry of PR ``number``: ``to`` from the argument, the ``release`` setting
    or the release folder of ``where`` (a worksheet; default: the current folder), ``from``
    the release before it unless given; metadata cache first."""
    if kind not in TEMPLATES:
        raise UsageError(f"kind must be bc or deprecation, not {kind!r}")
    if number <= 0:
        raise UsageError(f"not a pull request number: {number}")
    folder = ReleaseFolder.of(Path(where) if where else Path.cwd(), config=config).version
    if not (to_version or folder):
        raise UsageError("give --to X.Y: no release setting in [tool.relnotes], and no "
                         "release folder (like 2.7.0/) around the worksheet or here")
    to_v = require_version(to_version) if to_version else folder
    assert to_v is not None
    from_v = require_version(from_version) if from_version else to_v.previous()
    if from_v is None:
        raise UsageError(f"cannot tell the release before {to_v.mm}: give --from X.Y")
    lookup = lookup_metadata([number], config=config, offline=offline)
    record = lookup.records.get(number)
    if record is not None and not record.found:
        raise GitHubError(f"PR #{number} does not exist in {config.repo} (GitHub says so; "
                          "check the number, or the repo setting)")
    warning = lookup.warning
    if warning is None and record is None:  # offline and not cached
        warning = (f"PR #{number} is not in the PR metadata cache: title left as TODO; "
                   f"fetch it with `relnotes fetch --prs {number}`")
    context = draft_context(kind=kind, number=number, title=record.title if record else "",
                            body=record.body if record else "", from_version=from_v.mm,
                            to_version=to_v.mm)
    template = TEMPLATES[kind]
    text = render(template, context, template_dir=template_dir, config=config)
    return Draft(pr=number, kind=kind, from_version=from_v.mm, to_version=to_v.mm,
                 template=template, found=bool(record and record.found), text=text,
                 warning=warning)


@dataclass
class Placement:
    """Where ``place_entry`` wrote a draft: the item's first line, its section now and
    the one it was moved from (None: it was there already)."""

    file: str
    line: int
    section: str
    moved_from: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def find_worksheet(number: int, *, start: str | Path | None = None) -> Path:
    """The one worksheet (``todo/`` or ``done/`` of the release folder around ``start``,
    default the current folder) with an item that links PR ``number``."""
    here = Path(start) if start else Path.cwd()
    folder = ReleaseFolder.of(here)
    release = folder.root
    found = []
    for path in folder.worksheets():
        text = read_text(path)  # read once; parsed only when the number is in it
        # a nested item of a grouping bullet counts too: place_entry says why it refuses
        if str(number) in text and any(
                number in item.all_prs
                for item in parse_worksheet(text, path=str(path), repo=folder.repo).items()):
            found.append(display(path))
    if len(found) != 1:
        where = (f"in {', '.join(str(p) for p in found)}" if found else
                 f"in no worksheet of {display(release / 'todo')} or "
                 f"{display(release / 'done')}")
        raise UsageError(f"PR #{number} is {where}: give the worksheet "
                         "(relnotes entry new --pr N --kind K WORKSHEET --write)")
    return found[0]


def _item_of(ws: Worksheet, pr: int, path: Path) -> Item:
    """The item whose title stands for ``pr``. A PR that only a nested bullet of a
    grouping bullet (``- c10d``) carries is refused: the entry would go under the whole
    group, and moving it would move the group."""
    item = next((i for i in ws.items() if pr in i.prs), None)
    if item is not None:
        return item
    group = next((i for i in ws.items() if pr in i.body_prs), None)
    if group is None:
        raise WorksheetError(f"no item with PR #{pr}: add it to the worksheet first, or "
                             "give the worksheet that has it", file=path)
    nested = group.line + line_naming(group.lines, pr)
    raise WorksheetError(
        f"PR #{pr} is a nested item (line {nested}) of the grouping bullet "
        f"`{group.lines[0].strip()}` here: an entry goes under an item of its own; move "
        f"#{pr} out of the group into a bullet of its own first (nothing written)",
        file=path, line=group.line)


def place_entry(draft: Draft, worksheet: str | Path, *, repo: str,
                force: bool = False) -> Placement:
    """Write ``draft`` into the item of ``worksheet`` that links its PR (see the module
    doc); ``repo``: whose PR numbers the worksheet links (the ``repo`` setting). An item
    with text under it already is refused unless ``force``, which adds the draft below
    that text; nothing is ever removed. The file is written atomically."""
    path = Path(worksheet)
    text = read_text(path)
    ws = parse_worksheet(text, path=str(path), repo=repo)
    item = _item_of(ws, draft.pr, path)
    if item.body.strip() and not force:
        raise WorksheetError(f"the item of #{draft.pr} has text under it already (an "
                             "entry?): nothing written; --force adds the draft below it "
                             "(nothing is removed)", file=path, line=item.line)
    lines = split_lines(text)
    start, end = item.start, item.start + len(item.lines)
    own = lines[start:end]
    own[-1] = own[-1].rstrip("\r\n") + ws.eol
    # the item keeps its title; the draft's lines end in the worksheet's line ending
    body = [line.rstrip("\r\n") + ws.eol for line in split_lines(draft.text)[1:]]
    if body and not body[0].strip() and not own[-1].strip():
        body = body[1:]
    section = next(c for c, k in ENTRY_KINDS.items() if k == draft.kind)
    moving = item.category != section
    # a blank line after the entry, so what follows is not read as part of it (a moved
    # item gets its blank lines where it lands)
    after = [ws.eol] if not moving and end < len(lines) and lines[end].strip() else []
    placed = parse_worksheet("".join(lines[:start] + own + body + after + lines[end:]),
                             path=str(path), repo=repo)
    entry = next(i for i in placed.items() if draft.pr in i.prs)
    kept = [i.text for i in placed.items() if i is not entry]
    if kept != [i.text for i in ws.items() if i is not item]:
        raise WorksheetError("relnotes could not place the entry without changing other "
                             "items (a relnotes bug); nothing written", file=path,
                             line=item.line)
    moved_from = entry.placement if moving else None
    if moving:
        placed.move(entry, section)
    atomic_write(path, placed.render())
    return Placement(str(display(path)), entry.line, section, moved_from)
