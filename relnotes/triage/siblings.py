"""The domains of a release: the ``## <domain>`` headings of the worksheets beside one.

Triage proposes ``miscategorized`` only towards a domain the release has a worksheet for;
reading the sibling files' domain lines (not whole worksheets) keeps that cheap.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from relnotes.triage.domains import normalise_domain

__all__ = ["sibling_domains"]


@lru_cache(maxsize=32)
def _domains_in(folder: str) -> frozenset[str]:
    found: set[str] = set()
    root = Path(folder)
    for path in root.rglob("result_*.md"):
        try:
            with path.open(encoding="utf-8") as fh:
                for line in fh:
                    if line.startswith("## "):
                        found.add(normalise_domain(line[3:].strip()))
                        break
        except (OSError, UnicodeDecodeError):
            continue
    return frozenset(found)


def sibling_domains(path: str | Path) -> set[str]:
    """Domains of the ``result_*.md`` worksheets in ``path``'s folder (and sub-folders)."""
    folder = Path(path).resolve().parent
    if folder.name.startswith("result_"):  # result_package/deploy.md lives one level down
        folder = folder.parent
    if not folder.is_dir():
        return set()
    return set(_domains_in(str(folder)))
