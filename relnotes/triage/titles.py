"""Title clean-up: what a maintainer does to every title before publishing it.

Only ever removes noise or adds markup around words already there: internal tags
(``[BE]``, ``[Ez]``, ``[codemod]``, series ``[2/N]``, ...), tags that restate the
worksheet's domain, long PR links of the repository (-> ``(#N)``; another repository's
link stays long, see :func:`relnotes.prrefs.shorten_title`), a trailing period; the first
letter is capitalised and code identifiers get backticks. It never rewords: meaning stays
the author's.
"""

from __future__ import annotations

import re

from relnotes.prrefs import DEFAULT_REPO, shorten_title
from relnotes.triage.domains import normalise_tag, tags_repeating_domain, title_tags
from relnotes.triage.textscan import Gate, lowered

__all__ = ["INTERNAL_TAGS", "clean_title", "short_links"]

# Tags that say something about how the change was made, not what it does for users.
INTERNAL_TAGS = frozenset(normalise_tag(t) for t in (
    "BE", "Ez", "Easy", "EZ", "codemod", "CI", "CD", "reland", "Reland", "fb", "fbcode",
    "OSS", "internal", "nit", "trivial", "refactor", "cleanup", "BE][Ez", "ez-cleanup",
    "testing", "test", "tests", "skip ci", "ghstack", "WIP", "RFC", "draft", "PT2",
    "easy", "Feat", "FIX", "Fix", "Bugfix", "BugFix", "Bug", "Feature",
))

_SERIES_TAG = re.compile(r"^\s*(\d+|n)\s*/\s*(\d+|n)\s*$", re.IGNORECASE)
_LINK_GROUP = re.compile(r"\s*\((#\d+(?:,\s*#\d+)*)\)\s*$")
_CODE_SPANS = re.compile(r"`[^`]*`|\[[^\]]*\]\([^)]*\)|https?://\S+")
_IDENTIFIER = re.compile(
    r"(?<![\w`.\-/])("
    r"__\w+__"  # dunders
    r"|[A-Za-z_]\w*(?:::\w+)+(?:\(\))?"  # c10::string_view
    r"|[A-Za-z_]\w+(?:\.[A-Za-z_]\w*)+(?:\(\))?"  # torch.compile, ir.py
    r"|[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?:\(\))?"  # snake_case
    r"|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+"  # UPPER_SNAKE
    r"|\w+\(\)"  # call()
    r")(?![\w`\-/])"
)
_IDENTIFIER_GATE = Gate.of(_IDENTIFIER)
_LEADING_TAG = re.compile(r"^\s*(?:(?:BE|Ez|Easy)\s*:|[:\-](?=\s))\s*")
_SPACES = re.compile(r"\s+")


def short_links(title: str, *, repo: str = DEFAULT_REPO) -> str:
    """``([#12](https://github.com/<repo>/pull/12))`` -> ``(#12)``: the number is what
    readers need. Only ``repo``'s links, and only where the title still stands for the
    same PRs (:func:`relnotes.prrefs.shorten_title`)."""
    if "#" not in title:
        return title
    return shorten_title(title, repo=repo)


def _strip_tags(text: str, domain: str | None) -> str:
    tags = title_tags(text) if "[" in text else []
    repeating = tags_repeating_domain(tags, domain) if domain else set()
    for tag in tags:
        norm = normalise_tag(tag)
        if tag in repeating or norm in INTERNAL_TAGS or _SERIES_TAG.match(tag):
            text = text.replace(f"[{tag}]", " ", 1)
    # "[BE]: Fix x" leaves ": Fix x"; "BE: Fix x" is a tag without brackets. A separator
    # counts only before a space: "Easy-to-use", "-1 as dim" keep every character.
    text = _LEADING_TAG.sub("", text.strip())
    return _SPACES.sub(" ", text).strip()


def _backtick(text: str) -> str:
    """Put identifiers in backticks, leaving existing code spans and links alone."""
    if not _IDENTIFIER_GATE.may_match(lowered(text)):
        return text  # not a character an identifier needs: nothing to mark
    out: list[str] = []
    pos = 0
    for m in _CODE_SPANS.finditer(text):
        out.append(_IDENTIFIER.sub(r"`\1`", text[pos:m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_IDENTIFIER.sub(r"`\1`", text[pos:]))
    return "".join(out)


def clean_title(title: str, *, domain: str | None = None, repo: str = DEFAULT_REPO) -> str:
    """The title as a release note would print it (see the module docstring)."""
    text = short_links(title.strip(), repo=repo)
    links = ""
    m = _LINK_GROUP.search(text)
    if m:
        links, text = f" ({m.group(1)})", text[:m.start()]
    text = _strip_tags(text, domain)
    text = text.rstrip()
    while text.endswith(".") and not text.endswith(".."):
        text = text[:-1].rstrip()
    text = _backtick(text)
    if text and text[0].isalpha() and text[0].islower():
        text = text[0].upper() + text[1:]
    return (text + links).strip()
