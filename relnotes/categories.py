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
    "same_domain",
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

# The sections whose items need an entry (rationale and migration code): what a wrong
# call costs most. Their order is the worksheets'.
HIGH_STAKES: tuple[str, str] = ("bc breaking", "deprecation")

# Sections whose items are published in the release notes.
PUBLISHED: frozenset[str] = frozenset(CATEGORIES) - {"Untopiced", "not user facing"}

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
    """The key two spellings of a section heading or a domain name compare by: lower
    case, backslash escapes gone, underscores and runs of white space as one space, no
    trailing colon. ``nn_frontend``, ``NN frontend`` and ``nn\\_frontend`` are one domain;
    ``Bug Fixes:`` is ``bug fixes``. The one normaliser of names: pools, review, the
    final notes' area table and triage all compare domains with it."""
    text = text.replace("\\", "").strip().rstrip(":").replace("_", " ")
    return re.sub(r"\s+", " ", text).strip().lower()


def same_domain(a: str, b: str) -> bool:
    """Whether two spellings name one domain (:func:`normalise_heading`)."""
    return normalise_heading(a) == normalise_heading(b)


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
