"""The canonical worksheet sections and the spellings real files use for them."""

from __future__ import annotations

import re

__all__ = [
    "CATEGORIES",
    "HIGH_STAKES",
    "PUBLISHED",
    "SUGGESTABLE",
    "canonical_category",
    "normalise_heading",
]

# In worksheet order. "Untopiced" keeps its capital: that is how the generator writes it.
CATEGORIES: tuple[str, ...] = (
    "bc breaking",
    "deprecation",
    "new features",
    "improvements",
    "bug fixes",
    "performance",
    "docs",
    "devs",
    "Untopiced",
    "not user facing",
    "security",
)

# Sections whose items are published in the release notes.
PUBLISHED: frozenset[str] = frozenset(CATEGORIES) - {"Untopiced", "not user facing"}

# The two sections whose entries need a rationale and migration code (BC-breaking, deprecation).
HIGH_STAKES: tuple[str, str] = ("bc breaking", "deprecation")

# What triage may suggest: every category but Untopiced, plus leaving the domain.
SUGGESTABLE: tuple[str, ...] = tuple(c for c in CATEGORIES if c != "Untopiced") + (
    "miscategorized",
)

_ALIASES: dict[str, str] = {
    "bc breaking": "bc breaking",
    "bc-breaking": "bc breaking",
    "bc breaking changes": "bc breaking",
    "backwards incompatible changes": "bc breaking",
    "deprecation": "deprecation",
    "deprecations": "deprecation",
    "new features": "new features",
    "new feature": "new features",
    "features": "new features",
    "improvements": "improvements",
    "improvement": "improvements",
    "bug fixes": "bug fixes",
    "bug fix": "bug fixes",
    "bugfixes": "bug fixes",
    "performance": "performance",
    "perf": "performance",
    "docs": "docs",
    "doc": "docs",
    "documentation": "docs",
    "devs": "devs",
    "dev": "devs",
    "developer": "devs",
    "developers": "devs",
    "untopiced": "Untopiced",
    "not user facing": "not user facing",
    "not user-facing": "not user facing",
    "security": "security",
}


def normalise_heading(text: str) -> str:
    """Lower-case, underscores and runs of spaces as one space, no trailing colon."""
    text = text.strip().rstrip(":").replace("_", " ").replace("\\", "")
    return re.sub(r"\s+", " ", text).lower()


def canonical_category(heading: str) -> str | None:
    """The canonical category a section heading stands for, or ``None`` if unknown.

    A heading that starts with "not user facing" (e.g. "not user facing - cleanup") is
    still a place for dropped items.
    """
    key = normalise_heading(heading)
    if key in _ALIASES:
        return _ALIASES[key]
    if key.startswith("not user facing"):
        return "not user facing"
    return None
