"""The kinds of markdown file a release folder holds, told apart by what they are.

``todo/`` and ``done/`` hold domain **worksheets**; ``miscategorized.md`` is the **pool**
of items waiting for another domain; ``final.md`` is the **final notes**, the text of the
release page (``# PyTorch X.Y.Z Release Notes``); ``done/cherrypicks.md`` lists the
**cherry-picks** onto the release branch. Each has a lossless reader; this module picks
the reader from the file's content (its title), falling back to its name.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from relnotes import worksheet
from relnotes.errors import UsageError
from relnotes.fileio import read_text
from relnotes.prrefs import DEFAULT_REPO

__all__ = ["KINDS", "ReleaseFile", "detect_kind", "document_json", "parse_document",
           "read_document"]

KINDS = ("worksheet", "pool", "final", "cherrypicks")

_POOL_TITLE = re.compile(r"#\s+Miscategori[sz]ed\b", re.IGNORECASE)
_CHERRY_TITLE = re.compile(r"#\s+cherry[- ]?picks\b", re.IGNORECASE)
_FIRST_HEADING = re.compile(r"^#{1,6}\s.*$", re.MULTILINE)


def detect_kind(text: str, path: str | Path = "") -> str:
    """``worksheet``, ``pool``, ``final`` or ``cherrypicks`` for a file's text (its first
    heading), else its name (``miscategorized*.md``, ``cherrypicks*.md``, ``final*.md``),
    else ``worksheet``."""
    from relnotes.finalnotes import looks_like_final_notes

    if looks_like_final_notes(text):
        return "final"
    first = _FIRST_HEADING.search(text)
    heading = first.group(0) if first else ""
    if _POOL_TITLE.match(heading):
        return "pool"
    if _CHERRY_TITLE.match(heading):
        return "cherrypicks"
    name = Path(path).name.lower()
    if name.startswith("miscategori"):
        return "pool"
    if name.startswith("cherry"):
        return "cherrypicks"
    if name.startswith("final") and not heading.lower().startswith("# release notes worksheet"):
        return "final"
    return "worksheet"


# What a release-folder file parses into: a Worksheet, Miscategorized, FinalNotes or
# CherryPicks (each has ``render`` and ``to_json``). Not the class worksheet.Document,
# their common base; typed loosely because a caller that asked for a kind knows which.
ReleaseFile = Any


class CherryPicks(worksheet.Document):
    """``cherrypicks.md``: fixes picked onto the release branch, ``## <section>`` with
    ``### <domain>`` below; not a domain worksheet (its PRs repeat main's by design)."""

    def to_json(self) -> dict[str, Any]:
        from relnotes.categories import canonical_category
        from relnotes.miscategorized import with_subheadings

        return {"file": self.path, "kind": "cherrypicks", "sections": [{
            "name": section.name, "category": canonical_category(section.name),
            "line": section.line,
            "items": [{"line": i.line, "end_line": i.end_line, "title": i.title,
                       "prs": i.all_prs, "mentions": i.mentions, "commits": i.commits,
                       "domain": domain}
                      for i, domain in with_subheadings(section)],
        } for section in self.sections]}


def parse_document(text: str, *, path: str | Path, kind: str = "auto",
                   repo: str = DEFAULT_REPO) -> ReleaseFile:
    """Parse ``text`` with the reader for ``kind`` (``auto``: :func:`detect_kind`); PR
    numbers are ``repo``'s."""
    if kind == "auto":
        kind = detect_kind(text, path)
    if kind == "worksheet":
        from relnotes.worksheet import parse_worksheet

        return parse_worksheet(text, path=path, repo=repo)
    if kind == "pool":
        from relnotes.miscategorized import parse_miscategorized
        from relnotes.release import release_domains

        return parse_miscategorized(text, path=path, repo=repo,
                                    known_domains=release_domains(Path(path).parent))
    if kind == "final":
        from relnotes.finalnotes import parse_final_notes

        return parse_final_notes(text, path=path, repo=repo)
    if kind == "cherrypicks":
        from relnotes.miscategorized import parse_grouped

        return parse_grouped(text, path=path, cls=CherryPicks, repo=repo)
    raise UsageError(f"unknown kind {kind!r}; use one of auto, {', '.join(KINDS)}")


def read_document(path: str | Path, *, kind: str = "auto",
                  repo: str = DEFAULT_REPO) -> ReleaseFile:
    """Read and parse a release-folder file (errors name the file and line)."""
    return parse_document(read_text(path), path=str(path), kind=kind, repo=repo)


def document_json(doc: ReleaseFile) -> dict[str, Any]:
    """The documented ``parse --format json`` shape of any of the three kinds."""
    result: dict[str, Any] = doc.to_json()
    return result
