"""What a pull-request branch holds besides your last submission, and how yours goes on top.

Reviewers commit to the branch of a pull request ("Apply suggestions from code review"),
so the branch ``submit`` pushes to can hold edits your copy of the worksheet does not
have. Replacing the files with your copy would undo them without a word. Instead:

* every commit ``submit`` makes carries a ``Relnotes-Submission: <worksheet>`` trailer,
  and its files are your copy as submitted: a *snapshot*;
* when the branch's files differ from the last snapshot (someone committed, or an
  earlier submission kept someone's edits), the submission is a three-way merge of your
  copy and the branch against that snapshot, line by line: what only one side changed is
  taken, what both changed alike is taken once, and where both changed the same lines
  differently nothing is pushed and the clash is shown (commit, author, file, the lines);
* the merge is pushed as a merge commit of the branch and a new snapshot of your copy
  (its ``Relnotes-Snapshot`` trailer names it), so their commits stay on the branch with
  their authors, and the next submission merges against what you had, not against what
  was merged -- their edits are never reverted later either.

Lines next to each other are not a clash (two people editing neighbouring bullets is the
common case in a worksheet), unlike ``git merge``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relnotes.fileio import split_lines
from relnotes.gitops import (
    Commit,
    build_commit,
    first_parents,
    is_ancestor,
    log_commits,
    merge_base,
    read_blob,
)

__all__ = ["SNAPSHOT", "TRAILER", "BranchEdits", "Clash", "commit_merge", "merge3",
           "read_branch"]

TRAILER = "Relnotes-Submission"
SNAPSHOT = "Relnotes-Snapshot"
_SHOWN = 6  # lines shown per side of a clash


@dataclass(frozen=True)
class Clash:
    """Lines both sides changed differently: ``line`` (1-based, in your copy) and what
    the last snapshot, yours and the branch have there."""

    line: int
    base: list[str]
    ours: list[str]
    theirs: list[str]

    def describe(self) -> str:
        def shown(lines: list[str]) -> str:
            rows = [ln.rstrip("\r\n") for ln in lines[:_SHOWN]] or ["(nothing)"]
            rows += [f"... {len(lines) - _SHOWN} more line(s)"] if len(lines) > _SHOWN else []
            return "\n                ".join(rows)

        return (f"  line {self.line} of your copy\n"
                f"    submitted:  {shown(self.base)}\n"
                f"    the branch: {shown(self.theirs)}\n"
                f"    yours:      {shown(self.ours)}")


_Hunk = tuple[int, int, list[str]]  # base[i1:i2] becomes the lines


_SIMILAR = 0.6  # two lines this alike are one line edited, not one removed and one added
_REFINED = 2500  # pairs of lines compared at most to refine one replaced block


def _pairs(old: list[str], new: list[str]) -> list[tuple[int, int]]:
    """Which lines of a replaced block are edits of which: the most alike pair first,
    then the same on each side of it (as ``difflib.Differ`` does)."""
    if not old or not new or len(old) * len(new) > _REFINED:
        return []
    score, i, j = max((difflib.SequenceMatcher(None, a, b, autojunk=False).ratio(), i, j)
                      for i, a in enumerate(old) for j, b in enumerate(new))
    if score < _SIMILAR:
        return []
    after = _pairs(old[i + 1:], new[j + 1:])
    return [*_pairs(old[:i], new[:j]), (i, j), *((i + 1 + a, j + 1 + b) for a, b in after)]


def _hunks(base: list[str], side: list[str]) -> list[_Hunk]:
    """What ``side`` changed in ``base``, as small as it can be said: a block replaced
    by a block of another length is split into its edited lines and the lines removed
    or added around them, so a change beside someone else's is not taken for a clash."""
    hunks: list[_Hunk] = []
    matcher = difflib.SequenceMatcher(None, base, side, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag != "replace":
            hunks.append((i1, i2, side[j1:j2]))
            continue
        a, b = i1, j1
        for i, j in [*_pairs(base[i1:i2], side[j1:j2]), (i2 - i1, j2 - j1)]:
            if (a, b) != (i1 + i, j1 + j):
                hunks.append((a, i1 + i, side[b:j1 + j]))  # what lies between two edits
            if i1 + i < i2 and base[i1 + i] != side[j1 + j]:
                hunks.append((i1 + i, i1 + i + 1, [side[j1 + j]]))
            a, b = i1 + i + 1, j1 + j + 1
    return hunks


def _overlaps(hunk: _Hunk, start: int, end: int) -> bool:
    """Whether ``hunk`` touches the base range [start, end) of a cluster of hunks. An
    insertion goes before the lines at its position, so it overlaps only a range it is
    strictly inside, or another insertion at the same place."""
    i1, i2, _ = hunk
    if i1 == i2 and start == end:
        return i1 == start
    if i1 == i2:
        return start < i1 < end
    if start == end:
        return i1 < start < i2
    return i1 < end and start < i2


def _apply(base: list[str], hunks: list[_Hunk], start: int, end: int) -> list[str]:
    out: list[str] = []
    pos = start
    for i1, i2, lines in hunks:
        out += base[pos:i1] + lines
        pos = i2
    return out + base[pos:end]


def merge3(base: str, ours: str, theirs: str) -> tuple[str, list[Clash]]:
    """Three-way merge of texts, line by line (see the module doc): the merged text
    (ours where they clash) and the clashes."""
    lines = split_lines(base)  # "\n" only: line numbers as the worksheet counts them
    tagged = sorted([(h, 0) for h in _hunks(lines, split_lines(ours))]
                    + [(h, 1) for h in _hunks(lines, split_lines(theirs))],
                    key=lambda t: (t[0][0], t[0][1]))
    clusters: list[list[tuple[_Hunk, int]]] = []
    bounds: list[tuple[int, int]] = []
    for hunk, side in tagged:
        if clusters and _overlaps(hunk, *bounds[-1]):
            clusters[-1].append((hunk, side))
            bounds[-1] = (min(bounds[-1][0], hunk[0]), max(bounds[-1][1], hunk[1]))
        else:
            clusters.append([(hunk, side)])
            bounds.append((hunk[0], hunk[1]))
    out: list[str] = []
    clashes: list[Clash] = []
    pos = shift = 0  # shift: lines your copy gained before this point
    for cluster, (start, end) in zip(clusters, bounds, strict=True):
        mine = _apply(lines, [h for h, s in cluster if s == 0], start, end)
        other = _apply(lines, [h for h, s in cluster if s == 1], start, end)
        sides = {s for _, s in cluster}
        out += lines[pos:start]
        if sides == {0} or mine == other:
            out += mine
        elif sides == {1}:
            out += other
        else:
            clashes.append(Clash(start + 1 + shift, lines[start:end], mine, other))
            out += mine
        shift += len(mine) - (end - start)
        pos = end
    return "".join(out + lines[pos:]), clashes


@dataclass
class BranchEdits:
    """The branch holds edits your last snapshot does not: what to submit instead.

    ``snapshot`` is the commit with your copy as last submitted (the merge base; the
    branch's fork point when relnotes never committed there), ``others`` the commits
    since relnotes' last one that change the submission's files, ``files`` the merged
    contents of those files (None: deleted), ``merged`` the paths where the branch's
    edits are kept, ``conflicts`` why nothing can be merged (each with what to do).
    """

    snapshot: str | None
    others: list[Commit] = field(default_factory=list)
    files: dict[str, bytes | None] = field(default_factory=dict)
    merged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    up_to_date: bool = False  # the branch already has exactly ``files``

    def to_json(self) -> dict[str, Any]:
        return {"snapshot": self.snapshot, "merged": self.merged,
                "others": [{"commit": c.sha, "author": c.author, "subject": c.subject,
                            "files": list(c.files)} for c in self.others]}

    def describe(self) -> str:
        """What happens to the branch's edits; nothing when they clash (nothing is merged
        then, and the conflict names the commits)."""
        if self.conflicts:
            return ""
        said = [f"keeps:   {c} ({', '.join(c.files)}): their edits are kept, yours go on top\n"
                for c in self.others]
        if self.merged and not self.others:
            said.append(f"keeps:   edits on the branch your copy does not have "
                        f"({', '.join(self.merged)}): kept, yours go on top\n")
        if self.up_to_date:
            said.append("note:    the branch already holds all of this: nothing to push\n")
        return "".join(said)


def _ours(commit: Commit, title: str) -> bool:
    """A commit ``submit`` made (older relnotes left no trailer: its subject is the
    pull request's title)."""
    return commit.trailer(TRAILER) is not None or commit.subject == title


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def read_branch(root: Path, *, base_sha: str, existing: str, wanted: dict[str, bytes | None],
                title: str, remote: str, branch: str) -> BranchEdits | None:
    """What to submit on ``existing`` given ``wanted`` (every file of the submission, as
    your copy has it; None: deleted). None when the branch's files are your last
    snapshot's: nothing to keep, the submission is your copy."""
    chain = first_parents(root, existing, stop=base_sha)
    last = next((c for c in chain if _ours(c, title)), None)
    if last is not None:
        snapshot: str | None = last.trailer(SNAPSHOT) or last.sha
        since = [f"{last.sha}..{existing}"]
    else:
        snapshot = merge_base(root, base_sha, existing)
        since = [f"{base_sha}..{existing}"]
    paths = list(wanted)
    theirs = {p: read_blob(root, existing, p) for p in paths}
    base = {p: read_blob(root, snapshot, p) if snapshot else None for p in paths}
    if theirs == base:
        return None
    others = [c for c in log_commits(root, since, paths=paths) if not _ours(c, title)]
    edits = BranchEdits(snapshot, others)
    for path in paths:
        mine, old, new = wanted[path], base[path], theirs[path]
        if mine == new or old == new:
            edits.files[path] = mine
            continue
        edits.merged.append(path)
        if old == mine:
            edits.files[path] = new
            continue
        if None in (old, mine, new):
            clashes = [Clash(1, [] if old is None else ["(the file)"],
                             ["(deleted)" if mine is None else "(the file)"],
                             ["(deleted)" if new is None else "(the file)"])]
        else:
            assert old is not None and mine is not None and new is not None
            text, clashes = merge3(_text(old), _text(mine), _text(new))
            edits.files[path] = text.encode("utf-8", "surrogateescape")
        if clashes:
            edits.conflicts.append(_conflict(path, clashes, edits, remote=remote,
                                             branch=branch))
    edits.up_to_date = not edits.conflicts and all(
        edits.files[p] == theirs[p] for p in paths)
    return edits


def _conflict(path: str, clashes: list[Clash], edits: BranchEdits, *, remote: str,
              branch: str) -> str:
    touching = [c for c in edits.others if path in c.files]
    who = ("; ".join(str(c) for c in touching) if touching
           else "an earlier submission that kept edits made on the branch")
    since = edits.snapshot[:12] if edits.snapshot else remote + "/<default branch>"
    return (f"{remote}/{branch} has edits to {path} that clash with yours (by {who}):\n"
            + "\n".join(c.describe() for c in clashes)
            + f"\nNothing was merged. Take their edits into your copy (`git fetch {remote} "
            f"{branch}`, then `git diff {since} {remote}/{branch} -- {path}` shows them) and "
            "submit again -- lines you both changed alike are no clash -- or submit to "
            "another branch with --branch NAME")


def commit_merge(root: Path, *, base_sha: str, existing: str, edits: BranchEdits,
                 wanted: dict[str, bytes | None], files: dict[str, bytes | None],
                 message: str, worksheet: str) -> str:
    """The commit to push when the branch holds others' edits: a snapshot of your copy
    (``wanted``) on your last one -- or on ``base_sha`` when the default branch moved --
    merged with ``existing`` into ``base_sha``'s tree with ``files`` (the merge)."""
    moved = not is_ancestor(root, base_sha, existing)
    parent = edits.snapshot if edits.snapshot and not moved else base_sha
    snapshot, _ = build_commit(root, base=parent, files=wanted, parents=[parent],
                               message=f"relnotes: {worksheet} as submitted from your copy\n\n"
                                       f"{TRAILER}: {worksheet}\n")
    merge, _ = build_commit(root, base=base_sha, files=files, parents=[existing, snapshot],
                            message=f"{message.rstrip()}\n{SNAPSHOT}: {snapshot}\n")
    return merge
