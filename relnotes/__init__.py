"""relnotes: curate PyTorch release-notes worksheets.

Importing the package is cheap: torch and PyGithub are only imported by the modules that
need them (snippet checks and GitHub access), never here.
"""

from __future__ import annotations

from relnotes.categories import CATEGORIES, canonical_category
from relnotes.errors import (
    ConfigError,
    GitError,
    GitHubError,
    RelnotesError,
    SnippetError,
    UsageError,
    WorksheetError,
)
from relnotes.worksheet import Item, Section, Worksheet, parse_worksheet, read_worksheet

__version__ = "0.1.0"

__all__ = [
    "CATEGORIES",
    "ConfigError",
    "GitError",
    "GitHubError",
    "Item",
    "RelnotesError",
    "Section",
    "SnippetError",
    "UsageError",
    "Worksheet",
    "WorksheetError",
    "__version__",
    "canonical_category",
    "parse_worksheet",
    "read_worksheet",
]
