"""One exception family for everything relnotes reports to a person.

The CLI turns a :class:`RelnotesError` into a single ``Error: ...`` line on stderr and
its ``exit_code``; library callers catch the family or one of its members. Every error
carries the file and 1-based line it is about when there is one, so a message can always
point at the place to fix.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ConfigError",
    "GitError",
    "GitHubError",
    "RelnotesError",
    "SnippetError",
    "StructureError",
    "UsageError",
    "WorksheetError",
]


class RelnotesError(Exception):
    """Base of every error relnotes raises on purpose."""

    exit_code: int = 1

    def __init__(
        self, message: str, *, file: str | Path | None = None, line: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = self.file + (f":{self.line}" if self.line is not None else "") + ": "
        return where + self.message


class UsageError(RelnotesError):
    """The command was asked for something it cannot do as asked (exit 2)."""

    exit_code = 2


class ConfigError(UsageError):
    """A setting in ``[tool.relnotes]`` or on the command line is invalid (exit 2)."""


class WorksheetError(RelnotesError):
    """A worksheet or ``miscategorized.md`` cannot be read or understood."""


class StructureError(WorksheetError):
    """Markdown that parses, but in a way that hides what follows: a code fence or HTML
    comment that is never closed (``line`` is where it opens). Raised while reading
    blocks, before the file is known; readers add it (see ``relnotes.worksheet.scan``)."""


class GitHubError(RelnotesError):
    """GitHub (or the cache in front of it) could not give what was asked."""


class SnippetError(RelnotesError):
    """A snippet check could not be run at all (not: a snippet that failed)."""


class GitError(RelnotesError):
    """A git step failed; the message names the step."""
