"""The PR metadata relnotes keeps: one flat record per pull request.

The record is what triage and the entry writer read and what the cache stores as JSON, so
it holds plain types only. Revert and reland links are derived here from the title and body,
because GitHub has no field for them: PyTorch's bots write them into text.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

__all__ = ["PRRecord", "find_relands", "find_reverts"]

# "Revert "Some title (#12345)"" is how pytorchbot and GitHub's revert button title reverts.
_REVERT_TITLE = re.compile(r'^\s*Revert\s+"(?P<inner>.*)"\s*$', re.IGNORECASE | re.DOTALL)
_TRAILING_PR = re.compile(r"\(#(\d+)\)\s*$")
_PR_REF = r"(?:#|https?://github\.com/[\w.-]+/[\w.-]+/pull/)(\d+)"
# Body phrases: "Reverted https://github.com/pytorch/pytorch/pull/N on behalf of ...",
# "This reverts #N", "Reverts #N".
_REVERT_BODY = re.compile(r"\b(?:Reverted|This reverts|Reverts)\s+(?:PR\s+)?" + _PR_REF,
                          re.IGNORECASE)
_RELAND_TITLE = re.compile(r"^\s*(?:\[\s*reland\s*\]|reland\b|re-land\b)", re.IGNORECASE)
# "Reland of #N", "Relanding #N", "Reland #N", "Original PR: #N" (in reland bodies).
_RELAND_BODY = re.compile(
    r"\b(?:re-?land(?:ing|s)?(?:\s+of)?|original\s+PR:?)\s+" + _PR_REF, re.IGNORECASE
)


def find_reverts(title: str, body: str) -> list[int]:
    """PR numbers this PR reverts, read from a ``Revert "... (#N)"`` title and the body."""
    found: list[int] = []
    match = _REVERT_TITLE.match(title or "")
    if match:
        inner = _TRAILING_PR.search(match.group("inner"))
        if inner:
            found.append(int(inner.group(1)))
    found.extend(int(n) for n in _REVERT_BODY.findall(body or ""))
    return _unique(found)


def find_relands(title: str, body: str) -> list[int]:
    """PR numbers this PR relands; only read when the title or body says "reland"."""
    text = body or ""
    found = [int(n) for n in _RELAND_BODY.findall(text)]
    if _RELAND_TITLE.match(title or ""):
        inner = _TRAILING_PR.search(title)
        if inner:
            found.insert(0, int(inner.group(1)))
    return _unique(found)


def _unique(numbers: list[int]) -> list[int]:
    return list(dict.fromkeys(numbers))


@dataclass
class PRRecord:
    """Metadata of one PR as relnotes uses it.

    ``state`` is lower case: ``open``, ``closed`` or ``merged``. ``files`` may be shorter
    than ``changed_files`` only when GitHub itself caps the list (3,000 paths).
    ``found`` is False for a number the repository does not have (or that is an issue);
    such a record is cached too, so it is not asked for again.
    """

    number: int
    title: str = ""
    body: str = ""
    state: str = ""
    merged: bool = False
    merged_at: str | None = None
    author: str | None = None
    labels: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    changed_files: int = 0
    reverts: list[int] = field(default_factory=list)
    relands: list[int] = field(default_factory=list)
    updated_at: str | None = None
    fetched_at: str | None = None
    found: bool = True

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict with every field (the stable shape of ``fetch --format json``)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PRRecord:
        """Inverse of :meth:`to_json`; unknown keys (from newer versions) are ignored."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["labels"] = list(values.get("labels") or [])
        values["files"] = list(values.get("files") or [])
        values["reverts"] = [int(n) for n in values.get("reverts") or []]
        values["relands"] = [int(n) for n in values.get("relands") or []]
        return cls(**values)

    @classmethod
    def not_found(cls, number: int, *, fetched_at: str | None = None) -> PRRecord:
        """The record of a number GitHub says does not exist."""
        return cls(number=number, found=False, fetched_at=fetched_at)
