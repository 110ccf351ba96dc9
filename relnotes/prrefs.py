"""PR references: which PRs an item stands for, which it only mentions, and their short form.

One rule, used by every reader (worksheets, the pool, cherry-picks, final notes) and
every writer (clean titles, final notes):

- An item's **own** PRs are the links it is made of: every markdown link to a pull
  request of the repository (``[#152909](https://github.com/pytorch/pytorch/pull/152909)``,
  wherever it stands: ``` `scatter_add_` ([#1](..)), `matrix_exp` ([#2](..))```), plus
  ``#N`` written after such a link in the trailing references (``([#1](..)) (#2)``).
  Without links, its own PRs are the **trailing** references of the title (``Title (#171628,
  #163487)``, ``... https://github.com/pytorch/pytorch/pull/5``, also before a note: ``Title
  #149033 -- added to be with ...``) and parenthesised groups that start with one
  (```addmv` (#143792) New meta ...``) -- unless the title ends in a commit hash, which is
  then what the item is.
- Every other PR number of the repository in the title is a **mention**: the revert's
  target in ``Revert "Foo (#123)" ([#456](..))``, ``Partially revert
  https://github.com/pytorch/pytorch/pull/152288 ([#152909](..))``, ``Fix #155016 for ...``.
  References inside a quoted title (``"..."``) are always mentions.
- A PR of **another repository** (``https://github.com/pytorch/ao/pull/5``,
  ``pytorch/test-infra/pull/7561``) is never the repository's PR, neither own nor a
  mention, and is never shortened to ``#5``.

The repository is the ``repo`` setting (:data:`DEFAULT_REPO` when none is given).
Reading happens on :mod:`relnotes.markdown`'s inline pieces, so code spans are never
references and the fast path for plain bullets reads exactly what markdown-it reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from relnotes.fileio import split_lines
from relnotes.markdown import (
    Block,
    Piece,
    inline_pieces,
    parse_inline,
    parse_tokens,
)

__all__ = [
    "DEFAULT_REPO",
    "LONG_PR_LINK",
    "Refs",
    "line_naming",
    "long_links",
    "normalise_title",
    "refs_in_text",
    "refs_of_block",
    "refs_of_pieces",
    "refs_of_title",
    "shorten_links",
    "shorten_title",
    "strip_pr_refs",
]

DEFAULT_REPO = "pytorch/pytorch"

# "[#123](https://github.com/o/r/pull/123)" and "[\#123](...)", any repository: the
# long links of a title as written (review carries them into an edited title).
LONG_PR_LINK = re.compile(r"\[\\?#(\d+)\]\(https?://github\.com/[^)\s]+/pull/\d+\)")

_PULL = r"(?:https?://)?(?:www\.)?github\.com/([\w.-]+/[\w.-]+)/pull/(\d+)"
_PULL_HREF = re.compile(_PULL, re.IGNORECASE)
# "[#N](https://github.com/o/r/issues/N)": an issue's number, named but never a PR's
_ISSUE_LINK = re.compile(r"\\?#(?P<n>\d{1,7}) (?:https?://)?(?:www\.)?github\.com/"
                         r"(?P<owner>[\w.-]+/[\w.-]+)/(?:issues|discussions)/(?P=n)\b.*",
                         re.IGNORECASE)
_LINK, _OPAQUE, _REF = "\ue000", "\ue001", "\ue002"  # stand-ins in the flat text
_NO_MARKS = str.maketrans({_LINK: " ", _OPAQUE: " ", _REF: " "})
_TEXT_REF = re.compile(
    rf"(?P<link>{_LINK})"
    r"|(?P<url>(?:https?://)?(?:www\.)?github\.com/(?P<owner>[\w.-]+/[\w.-]+)/pull/(?P<pr>\d+)"
    r"(?:[/#?][^\s()<>\[\]\"]*)?)"
    # "#N" not glued to a word ("issue#5", "&#35;", "a/#5"); "_" is emphasis, not a word
    r"|(?<![^\W_])(?<![&/])#(?P<hash>\d{1,7})(?![^\W_])", re.IGNORECASE)
# The trailing references: parenthesised groups that start with one ("(#1, #2)", "([#1](..))
# and ([#2](..)).", "(#1, #2m  #3)"; in "(see #1) (#2)" only the last); else, where the
# title does not end in such a group, a run of references ("Title #5", "([#153150]https://
# ...))"). "Fix #1 (#2)" stands for #2. Matched from the end, on the reversed text: a
# search for "...\Z" is quadratic.
_SEP = r"[\s,;.:&*_!?\\/+|-]|(?<![A-Za-z0-9])dna(?![A-Za-z0-9])"  # "and", reversed
_OPENS = r"[\s,;&*_#\[\]]*"  # what may stand between "(" and a group's first reference
_TRAILING_GROUPS = re.compile(rf"(?:{_SEP})*(?:\)[^()]*{_REF}{_OPENS}\((?:{_SEP})*)+")
_TRAILING_RUN = re.compile(rf"(?:{_SEP}|[()\[\]#]|{_REF})*")
# A note after the title: "Fix pin_memory() ... #149033 -- added to be with 145752".
_NOTE = re.compile(r"\s(?:--|\u2014)\s")
# A parenthesised group that starts with a reference: "(#143792)", "(#1, #2m  #3)".
_GROUP = re.compile(rf"\({_OPENS}{_REF}[^()]*\)")
_QUOTES = re.compile("[\"\u201c\u201d]")
_COMMIT = re.compile(r"\(([0-9a-f]{7,40})\)")
_TRAILING_COMMIT = re.compile(r"\(([0-9a-f]{7,40})\)\W*$")


class Refs(NamedTuple):
    """The references of one title (or one run of inline markdown).

    ``prs``: the PRs of the repository the item stands for, in order. ``mentions``: PRs of
    the repository it names without standing for them. ``commits``: commit hashes, only
    where it has no PR of its own. ``elsewhere``: other repositories' PRs, as
    ``owner/name#N``. ``named``: every PR number of the repository, own or mentioned, in
    order -- what final notes count, where every ``#N`` is a reference.
    """

    prs: tuple[int, ...] = ()
    mentions: tuple[int, ...] = ()
    commits: tuple[str, ...] = ()
    elsewhere: tuple[str, ...] = ()
    named: tuple[int, ...] = ()


class _Ref(NamedTuple):
    kind: str  # link | url | hash | label (an issue link's number: never own)
    number: int
    repo: str  # "" for "#N": always the repository's
    at: int  # index of its stand-in in the shape string


def refs_of_pieces(pieces: Sequence[Piece], *, repo: str = DEFAULT_REPO) -> Refs:
    """The references of inline pieces (see the module docstring for the rule)."""
    flat, links, labels, joined = _flatten(pieces)
    ours_repo = repo.lower()
    if "#" not in flat and "pull/" not in flat and not _QUOTES.search(flat):
        # only links can be references, none quoted: the generator's "Title ([#N](..))"
        linked = [ref for href, label in zip(links, labels)
                  if (ref := _link_ref(href, label, ours_repo, 0)) is not None]
        prs = _unique(r.number for r in linked if r.kind == "link" and r.repo == ours_repo)
        named = _unique(r.number for r in linked if r.repo in ("", ours_repo))
        return Refs(prs=prs, mentions=tuple(n for n in named if n not in prs),
                    commits=() if prs else _commits_only(joined),
                    elsewhere=_elsewhere(linked, ours_repo), named=named)
    found: list[_Ref] = []
    shape: list[str] = []  # flat, with one _REF per reference: what the rule reads
    pos = at = link_no = 0
    for match in _TEXT_REF.finditer(flat):
        before = flat[pos:match.start()]
        shape.append(before)
        at += len(before)
        pos = match.end()
        if match.group("link"):
            ref = _link_ref(links[link_no], labels[link_no], ours_repo, at)
            link_no += 1
            if ref is None:
                shape.append(_OPAQUE)  # a link to anything else is words
                at += 1
                continue
        elif match.group("url"):
            ref = _Ref("url", int(match.group("pr")), match.group("owner").lower(), at)
        else:
            ref = _Ref("hash", int(match.group("hash")), "", at)
        found.append(ref)
        shape.append(_REF)
        at += 1
    shape.append(flat[pos:])
    text = "".join(shape)
    ours = [r for r in found if r.repo in ("", ours_repo)]
    if all(r.kind == "link" for r in ours) and not _QUOTES.search(text):
        own = {id(r) for r in ours}  # the generator's shape: links, nothing quoted
    else:
        own = _own([r for r in ours if r.kind != "label"], text, _quoted(text),
                   has_commit=bool(_TRAILING_COMMIT.search(joined.rstrip())))
    prs = _unique(r.number for r in ours if id(r) in own)
    named = _unique(r.number for r in ours)
    return Refs(
        prs=prs,
        mentions=tuple(n for n in named if n not in prs),
        commits=() if prs else _commits_only(joined),
        elsewhere=_elsewhere(found, ours_repo), named=named)


def _elsewhere(found: list[_Ref], repo: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f"{r.repo}#{r.number}" for r in found
                               if r.repo not in ("", repo)))


def _link_ref(href: str, label: str, repo: str, at: int) -> _Ref | None:
    """A link's reference: a pull request (any repository's), or a number of ``repo``'s
    issue named by its label (``see issue [#157921](.../issues/157921)``), else None."""
    pull = _PULL_HREF.search(href)
    if pull is not None:
        return _Ref("link", int(pull.group(2)), pull.group(1).lower(), at)
    issue = _ISSUE_LINK.fullmatch(f"{label} {href}") if "#" in label else None
    if issue is not None and issue.group("owner").lower() == repo:
        return _Ref("label", int(issue.group("n")), "", at)
    return None


def _flatten(pieces: Sequence[Piece]) -> tuple[str, list[str], list[str], str]:
    """(flat text with one stand-in per link and code span, link targets and labels in
    order, the text with link labels but without code: what commit hashes are read
    from)."""
    flat: list[str] = []
    links: list[str] = []
    labels: list[str] = []
    joined: list[str] = []
    for kind, text, href in pieces:
        if kind == "text":
            flat.append(text)
            joined.append(text)
        elif kind == "link":
            flat.append(_LINK)
            links.append(href)
            labels.append(text)
            joined.append(text)
        else:
            flat.append(_OPAQUE)
    text = "".join(flat)
    if (text.count(_LINK) != len(links) or _REF in text
            or text.count(_OPAQUE) != len(flat) - len(joined)):
        # a stand-in character written in the text itself: read it as a space
        return _flatten([(kind, t.translate(_NO_MARKS), href) for kind, t, href in pieces])
    return text, links, labels, "".join(joined)


def _quoted(text: str) -> tuple[int, int]:
    """The span between the first and the last double quote (a quoted title, perhaps with
    quotes inside: ``Revert "Reapply "X (#1)" (#2)"``); empty with fewer than two."""
    quotes = [m.start() for m in _QUOTES.finditer(text)]
    return (quotes[0], quotes[-1]) if len(quotes) >= 2 else (0, 0)


def _own(ours: list[_Ref], text: str, quoted: tuple[int, int], *, has_commit: bool) -> set[int]:
    """ids of the references the item stands for."""
    def inside(ref: _Ref) -> bool:
        return quoted[0] < ref.at < quoted[1]

    trailing = _trailing_spans(text)

    def at_end(ref: _Ref) -> bool:
        return any(start <= ref.at < end for start, end in trailing)

    links = [r for r in ours if r.kind == "link" and not inside(r)]
    if links:  # links win; "#N" after the first of them in the trailing run count too
        first = links[0].at
        return {id(r) for r in links} | {id(r) for r in ours if r.kind != "link"
                                         and at_end(r) and r.at > first}
    if has_commit:  # 'Revert "X (#139903)" (6356690b3d2)' is that commit
        return set()
    grouped: set[int] = set()
    for group in _GROUP.finditer(text):
        if not quoted[0] < group.start() < quoted[1]:
            grouped.update(range(group.start(), group.end()))
    return {id(r) for r in ours if not inside(r) and (at_end(r) or r.at in grouped)}


def _trailing_spans(text: str) -> list[tuple[int, int]]:
    """Where the trailing references stand: at the end of the title, and at the end of
    what comes before a note (`` -- ...``) when there is one."""
    ends = [len(text)]
    note = _NOTE.search(text)
    if note is not None:
        ends.append(note.start())
    spans = []
    for end in ends:
        backwards = text[end - 1::-1] if end else ""
        match = _TRAILING_GROUPS.match(backwards) or _TRAILING_RUN.match(backwards)
        if match is not None and match.end():
            spans.append((end - match.end(), end))
    return spans


def _unique(numbers: Iterable[int]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(numbers))


def _commits_only(joined: str) -> tuple[str, ...]:
    trailing = _TRAILING_COMMIT.search(joined.rstrip())
    if trailing:
        return (trailing.group(1),)
    return tuple(dict.fromkeys(_COMMIT.findall(joined)))


def refs_of_title(title: str, *, repo: str = DEFAULT_REPO) -> Refs:
    """The references of one line of markdown (a title as written or rewritten)."""
    return refs_of_pieces(inline_pieces(parse_inline(title)), repo=repo)


def refs_of_block(block: Block, *, repo: str = DEFAULT_REPO) -> tuple[Refs, list[int]]:
    """The references of a block's title, and the own PRs of its nested bullets (a
    grouping bullet such as ``- c10d`` carries its PRs there), not repeating the title's."""
    refs = refs_of_pieces(block.pieces, repo=repo)
    nested = [pr for run in block.nested_pieces
              for pr in refs_of_pieces(run, repo=repo).prs]
    return refs, [pr for pr in dict.fromkeys(nested) if pr not in refs.prs]


def line_naming(lines: Sequence[str], pr: int, *, default: int = 0) -> int:
    """The index of the first of ``lines`` that names ``pr`` (``#N`` or ``/pull/N``), else
    ``default``: where a reference stands, for messages that point at it."""
    pattern = re.compile(rf"(?:#|/pull/){pr}(?!\d)")
    return next((n for n, line in enumerate(lines) if pattern.search(line)), default)


# ----------------------------------------------------------------------------- short form


def shorten_links(text: str, *, repo: str = DEFAULT_REPO) -> str:
    """``[#N](https://github.com/<repo>/pull/N)``, ``<url>`` and bare pull URLs of ``repo``
    as ``#N``, outside code fences and code spans (what the final notes use, whatever the
    worksheet wrote). Links to other repositories are left alone: ``#N`` would name the
    wrong PR."""
    if "pull/" not in text:
        return text
    lines = split_lines(text)
    # one line that is not indented code holds no fence: markdown-it need not look
    code = _code_lines(text) if len(lines) > 1 or text[:1] in " \t" else set()
    pull = rf"https?://github\.com/{re.escape(repo)}/pull/(\d+)(?:[/#?][^\s)>]*)?"
    link = re.compile(rf"\[\\?#\d+\]\({pull}\)|<{pull}>|(?<![(<\w/]){pull}", re.IGNORECASE)

    def short(match: re.Match[str]) -> str:
        number = next(g for g in match.groups() if g)
        # "#1/#2": a "#" right after "/" or a letter is not read as a reference
        glued = match.start() > 0 and re.match(r"[\w&/]", match.string[match.start() - 1])
        return (" #" if glued else "#") + number

    def one(line: str) -> str:
        parts = re.split(r"(`+[^`]*`+)", line)  # leave code spans alone
        return "".join(p if p.startswith("`") else link.sub(short, p) for p in parts)

    return "".join(line if n in code else one(line) for n, line in enumerate(lines))


def refs_in_text(text: str, *, repo: str = DEFAULT_REPO) -> set[int]:
    """Every PR number of ``repo`` a piece of markdown names outside code, own or
    mentioned: what final notes count as referenced (:attr:`Refs.named`)."""
    found: set[int] = set()
    for tok in parse_tokens(text):
        if tok.type == "inline":
            found.update(refs_of_pieces(inline_pieces(tok.children or []), repo=repo).named)
    return found


def _code_lines(text: str) -> set[int]:
    out: set[int] = set()
    for tok in parse_tokens(text):
        if tok.type in ("fence", "code_block") and tok.map:
            out.update(range(tok.map[0], tok.map[1]))
    return out


def shorten_title(title: str, *, repo: str = DEFAULT_REPO) -> str:
    """``title`` with its long links of ``repo`` as ``#N``, when that keeps what the item
    stands for; else ``title`` as it is. ``Reapply "X (#1)" (#2) ([#3](..))`` stays long:
    ``(#2) (#3)`` would make it stand for two PRs."""
    short = shorten_links(title, repo=repo)
    if short == title:
        return title
    before, after = refs_of_title(title, repo=repo), refs_of_title(short, repo=repo)
    if set(before.prs) != set(after.prs) or set(before.commits) != set(after.commits):
        return title
    return short


def long_links(text: str, *, repo: str = DEFAULT_REPO) -> list[str]:
    """The long PR links of ``repo`` in ``text`` (what the short form would replace)."""
    pull = re.compile(rf"github\.com/{re.escape(repo)}/pull/", re.IGNORECASE)
    return [m.group(0) for m in LONG_PR_LINK.finditer(text) if pull.search(m.group(0))]


# ----------------------------------------------------------------------------- title key

# A PR reference as titles carry it: a long link, "#N", or a pull URL.
_ANY_PR_REF = re.compile(
    r"\[\\?#\d+\]\([^)\s]*\)|https?://github\.com/[\w.-]+/[\w.-]+/pull/\d+(?:[/#?][^\s)]*)?"
    r"|(?<![\w&/])#\d{1,7}\b")
# What is left of "(#1, #2)" or "([#1](...))" once the references are gone.
_EMPTY_GROUP = re.compile(r"\(\s*(?:[,;&]|and\b|\s)*\)")


def strip_pr_refs(title: str) -> str:
    """``title`` without its PR references (links, ``#N``, URLs, of any repository) and
    the brackets around them, nor a trailing commit hash: the words a person wrote."""
    text = _ANY_PR_REF.sub("", title)
    text = _EMPTY_GROUP.sub("", _TRAILING_COMMIT.sub("", text))
    return re.sub(r"\s+([\"'])$", r"\1", re.sub(r"\s+", " ", text).strip())


def normalise_title(title: str) -> str:
    """The one key under which two spellings of a title match (items without a PR,
    revert pairs, history): no PR references, lower case, punctuation and underscores as
    single spaces. ``"Fix  Foo_bar. (#12, #13)"`` -> ``"fix foo bar"``."""
    words = re.sub(r"[\W_]+", " ", strip_pr_refs(title).lower())
    return words.strip()
