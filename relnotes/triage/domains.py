"""Domain ownership: which worksheet domain a title tag or a changed path belongs to.

Domain names are spelled the way the worksheets spell them (``## <domain>``), e.g.
``inductor``, ``inductor (aoti)``, ``distributed (checkpoint)``, ``rocm``. A release may not
have every domain (2.7.0 had no ``inductor (aoti)`` worksheet), so each tag names a list of
candidates, most specific first; :func:`owner_from_tags` picks the first one the release has.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from relnotes.categories import normalise_heading, same_domain
from relnotes.triage.tables import normalise_tag, tables

__all__ = [
    "Ownership",
    "normalise_domain",
    "normalise_tag",
    "owner_from_paths",
    "owner_from_tags",
    "same_family",
    "table_domains",
    "tags_repeating_domain",
    "title_tags",
]

# The tag and path tables are data: relnotes/data/triage_domains.toml and triage_paths.toml.

_TAG_RE = re.compile(r"\[([^\[\]]{1,40})\](?!\()")


def normalise_domain(domain: str, known: Collection[str] = ()) -> str:
    """The domain as triage spells it: the spelling of ``known`` (the history's, the
    tables') that names the same domain (:func:`relnotes.categories.same_domain`:
    ``NN frontend`` is ``nn_frontend``), else the heading without escapes
    (``build\\_frontend``)."""
    clean = domain.replace("\\", "").strip()
    return next((k for k in sorted(known) if same_domain(k, clean)), clean)


def title_tags(title: str) -> list[str]:
    """The bracketed tags of a title, as written (``[BE][Ez]`` -> ``["BE", "Ez"]``).

    Markdown links (``[#123](...)``) are not tags. A tag like ``[MPS/Inductor]`` is split
    into its parts by :func:`owner_from_tags`, not here, so clean-up can remove it whole.
    """
    return [m.group(1) for m in _TAG_RE.finditer(title) if not m.group(1).startswith("#")]


@dataclass(frozen=True)
class Ownership:
    """A domain that owns the item and the evidence for it (a tag or paths)."""

    domain: str
    evidence: str


def _tag_parts(tag: str) -> list[str]:
    parts = [tag] + re.split(r"[/,+]", tag)
    return [normalise_tag(p) for p in parts if p.strip()]


def _pick(candidates: Iterable[str], known: Collection[str] | None) -> str | None:
    candidates = list(candidates)
    if known is None:
        return candidates[0] if candidates else None
    return next((c for c in candidates if c in known), None)


def owner_from_tags(title: str, *, known: Collection[str] | None = None) -> Ownership | None:
    """The domain the title's first domain-naming tag points to (among ``known`` domains)."""
    if "[" not in title:
        return None
    tags = tables().tags
    for tag in title_tags(title):
        for part in _tag_parts(tag):
            candidates = tags.get(part)
            if candidates is not None:
                domain = _pick(candidates, known)
                if domain is not None:
                    return Ownership(domain, f"title tag [{tag}]")
    return None


def owner_from_paths(files: Iterable[str], *, known: Collection[str] | None = None,
                     ) -> Ownership | None:
    """The domain owning most of the non-test files changed, if one owns a clear majority.

    Each file counts for the domain of the first rule (in table order) it matches among
    the ``known`` domains: a rule for a domain the release has no worksheet for is
    skipped, so the next, more general one applies."""
    counts: dict[str, int] = {}
    total = 0
    t = tables()
    for path in files:
        if t.test_files.search(path):
            continue
        total += 1
        for prefix, domain in t.paths:
            if path.startswith(prefix) and (known is None or domain in known):
                counts[domain] = counts.get(domain, 0) + 1
                break
    if not counts:
        return None
    domain, count = max(counts.items(), key=lambda kv: kv[1])
    if count * 3 < total * 2:  # less than two thirds of the files: shared work
        return None
    return Ownership(domain, f"{count} of {total} changed files under {domain} paths")


def family(domain: str) -> str:
    """``distributed (dtensor)`` -> ``distributed``: sub-domains share their maintainers."""
    return domain.split(" (", 1)[0].strip()


def same_family(a: str, b: str) -> bool:
    return family(normalise_heading(a)) == family(normalise_heading(b))


def tags_repeating_domain(tags: Iterable[str], domain: str) -> set[str]:
    """Tags that only restate the worksheet's domain (``[MPS]`` in the mps worksheet)."""
    fam = family(domain)
    tags_table = tables().tags
    out: set[str] = set()
    for tag in tags:
        parts = _tag_parts(tag)[1:] or _tag_parts(tag)
        if all(fam == family(tags_table.get(p, ("",))[0]) or p == normalise_tag(fam)
               for p in parts):
            out.add(tag)
    return out


def table_domains() -> frozenset[str]:
    """Every domain the tag and path tables can point to."""
    t = tables()
    return frozenset({d for ds in t.tags.values() for d in ds} | {d for _, d in t.paths})
