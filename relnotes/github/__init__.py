"""PR metadata from GitHub: GraphQL client, sqlite cache, cache-first fetching.

Importing this package does not import PyGithub; only building a client does.
"""

from __future__ import annotations

from relnotes.github.fetch import (
    FetchResult,
    Metadata,
    MetadataLookup,
    cached_metadata,
    document_prs,
    fetch_metadata,
    item_prs,
    lookup_metadata,
    metadata_for,
    unlinked_commits,
)
from relnotes.github.records import PRRecord

__all__ = [
    "FetchResult",
    "Metadata",
    "MetadataLookup",
    "PRRecord",
    "cached_metadata",
    "document_prs",
    "fetch_metadata",
    "item_prs",
    "lookup_metadata",
    "metadata_for",
    "unlinked_commits",
]
