"""Drafting a BC-breaking or deprecation entry from its pull request (``entry new``).

The draft is filled only with what the PR says -- its title and the "BC-breaking note"
its author wrote -- and rendered through the worksheet templates; the rationale, the
message users see and both code blocks are left as TODOs, because relnotes never invents
migration code. Which releases the before/after labels name comes from the ``release``
setting unless given.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from relnotes.config import Config
from relnotes.entries import pr_refs
from relnotes.errors import GitHubError, UsageError
from relnotes.github import lookup_metadata
from relnotes.templating import render
from relnotes.versions import require_version

__all__ = ["Draft", "draft_context", "draft_entry", "pr_note"]

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
                template_dir: str | Path | None = None) -> Draft:
    """Draft the entry of PR ``number``: versions from the arguments or the ``release``
    setting (``from`` defaults to the release before ``to``), metadata cache first."""
    if kind not in TEMPLATES:
        raise UsageError(f"kind must be bc or deprecation, not {kind!r}")
    if number <= 0:
        raise UsageError(f"not a pull request number: {number}")
    if not (to_version or config.release):
        raise UsageError("give --to X.Y (or set the release setting in [tool.relnotes])")
    to_v = require_version(to_version or config.release)
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
