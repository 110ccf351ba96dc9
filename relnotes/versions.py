"""Torch versions, parsed in one place.

Versions reach relnotes as settings (``2.8.0``), as wheel versions (``2.13.0+cpu``), as
tags (``v2.7.0``) and as labels people write above migration code (``Version 2.7.0:``,
``In 2.8.0``, ``# pytorch 2.6``, ``**2.7**``, ``PyTorch 2.6 and earlier``). Every one of
them means a ``major.minor`` release line; the patch number is kept when written.

A text is a version only when the whole of it is one: ``"fixed in 2.7 for users"`` is
not, so a sentence that happens to contain a number never becomes a label.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from relnotes.errors import UsageError

__all__ = ["Version", "parse_version", "require_version"]

# Words people put around a version in a label: "Version 2.7.0:", "In 2.8", "torch 2.6".
_WORDS = r"(?:version|in|pytorch|torch|before|after|old|new|previously|now|since|until)"
_NUMBER = r"v?(?P<major>\d{1,3})\.(?P<minor>\d{1,3})(?:\.(?P<patch>\d{1,3}))?"
_LOCAL = r"(?:[+.\-a-z][\w.+\-]*)?"  # "+cpu", ".dev20250101", "-rc1", "a0"
_TAIL = r"(?:\s+and\s+(?:earlier|before|older|later|after|newer))?"
_VERSION = re.compile(
    rf"^(?:{_WORDS}\s*[:(]?\s*)*{_NUMBER}{_LOCAL}\)?{_TAIL}\s*[:.]?$", re.IGNORECASE)


class Version(NamedTuple):
    """A release line, ``(2, 7)``; ``patch`` is None when the text had none."""

    major: int
    minor: int
    patch: int | None = None

    @property
    def line(self) -> tuple[int, int]:
        """``(major, minor)``: what compares two releases of the same line as equal."""
        return self.major, self.minor

    @property
    def mm(self) -> str:
        """``"2.7"``."""
        return f"{self.major}.{self.minor}"

    def previous(self) -> Version | None:
        """The release line before this one (``2.7`` -> ``2.6``); None for ``X.0``."""
        return Version(self.major, self.minor - 1) if self.minor > 0 else None

    def __str__(self) -> str:
        return self.mm if self.patch is None else f"{self.mm}.{self.patch}"


def parse_version(text: str | None) -> Version | None:
    """The version ``text`` is, or None when it is anything else (see the module doc).

    Markdown emphasis and code marks around it are ignored: ``**2.7**`` is 2.7.
    """
    if not text:
        return None
    cleaned = re.sub(r"[*_`]", "", text).strip()
    match = _VERSION.match(cleaned)
    if not match:
        return None
    patch = match.group("patch")
    return Version(int(match.group("major")), int(match.group("minor")),
                   int(patch) if patch is not None else None)


def require_version(text: str, *, what: str = "version") -> Version:
    """Like :func:`parse_version`, but a text that is not a version is a usage error."""
    version = parse_version(text)
    if version is None:
        raise UsageError(f"not a torch {what}: {text!r} (expected X.Y or X.Y.Z, e.g. 2.8.0)")
    return version
