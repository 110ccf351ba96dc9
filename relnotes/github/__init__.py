"""PR metadata from GitHub: GraphQL client, sqlite cache, cache-first fetching.

Importing this package does not import PyGithub; only building a client does.
"""

from __future__ import annotations

from relnotes.github.fetch import (
    FetchResult,
    cached_metadata,
    fetch_metadata,
    load_metadata,
    worksheet_prs,
)
from relnotes.github.records import PRRecord

__all__ = [
    "FetchResult",
    "PRRecord",
    "cached_metadata",
    "fetch_metadata",
    "load_metadata",
    "worksheet_prs",
]
