"""Every git call relnotes makes goes through :func:`git` (or :func:`git_bytes`).

One function sets the timeout, the working directory and a predictable environment
(no prompts, C locale) and returns a typed result, so a failure always names the step
the user asked for ("push", "commit") and tests can fake git in one place.

Submission builds its commit with plumbing, never by checking anything out: the files
are hashed into the object store, a tree is written through a *temporary* index cut from
the remote's default branch, and ``commit-tree`` makes the commit that is pushed. The
user's branch, index and working tree are not touched; what stays behind is a few
unreferenced objects (git's gc removes them) and the remote-tracking refs git itself
updates on fetch and push.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from relnotes.errors import GitError

__all__ = [
    "Commit",
    "GitResult",
    "branch_changes",
    "build_commit",
    "commit_exists",
    "commits_touching",
    "fetch_branch",
    "first_adding_commit",
    "first_parents",
    "git",
    "git_bytes",
    "head_sha",
    "is_ancestor",
    "log_commits",
    "merge_base",
    "push",
    "read_blob",
    "read_folder",
    "remote_default_branch",
    "remote_heads",
    "remote_url",
    "repo_root",
    "tree_of",
]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 120.0
NETWORK_TIMEOUT = 300.0


@dataclass(frozen=True)
class GitResult:
    """What one git invocation did."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def _env(extra: Mapping[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    # Never wait for a password prompt or an editor; keep messages parseable.
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_EDITOR": "true", "LC_ALL": "C",
                "GIT_PAGER": "cat"})
    env.update(extra or {})
    return env


def _run(args: tuple[str, ...], *, cwd: str | Path, step: str, check: bool, timeout: float,
         env: Mapping[str, str] | None, input: bytes | None
         ) -> tuple[int, bytes, str]:
    log.debug("git %s (in %s)", " ".join(args), cwd)
    try:
        proc = subprocess.run(("git", *args), cwd=str(cwd), env=_env(env), capture_output=True,
                              input=input, timeout=timeout, check=False)
    except FileNotFoundError:
        raise GitError(f"{step} failed: git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"{step} failed: 'git {' '.join(args)}' took more than "
                       f"{timeout:g} s") from None
    stderr = proc.stderr.decode("utf-8", "replace")
    if check and proc.returncode != 0:
        detail = (stderr.strip() or proc.stdout.decode("utf-8", "replace").strip()).splitlines()
        raise GitError(f"{step} failed: 'git {' '.join(args)}' exited {proc.returncode}"
                       + (f": {detail[-1]}" if detail else ""))
    return proc.returncode, proc.stdout, stderr


def git(*args: str, cwd: str | Path, step: str, check: bool = True,
        timeout: float = DEFAULT_TIMEOUT, env: Mapping[str, str] | None = None,
        input: str | None = None) -> GitResult:
    """Run ``git ARGS`` in ``cwd``; with ``check``, a failure raises GitError naming ``step``."""
    code, out, err = _run(tuple(args), cwd=cwd, step=step, check=check, timeout=timeout,
                          env=env, input=input.encode() if input is not None else None)
    return GitResult(tuple(args), code, out.decode("utf-8", "replace"), err)


def git_bytes(*args: str, cwd: str | Path, step: str, input: bytes | None = None,
              env: Mapping[str, str] | None = None) -> bytes | None:
    """``git ARGS`` with raw bytes in and out (file contents: CRLF stays CRLF); None when
    git fails."""
    code, out, _ = _run(tuple(args), cwd=cwd, step=step, check=False, timeout=DEFAULT_TIMEOUT,
                        env=env, input=input)
    return out if code == 0 else None


def repo_root(path: str | Path) -> Path:
    """The top of the work tree that contains ``path``."""
    start = Path(path).resolve()
    folder = start if start.is_dir() else start.parent
    out = git("rev-parse", "--show-toplevel", cwd=folder, step="find the git repository",
              check=False)
    if not out.ok:
        raise GitError(f"{path} is not in a git repository (clone the release-notes "
                       "repository and work there)")
    return Path(out.stdout.strip())


def head_sha(root: Path) -> str:
    return git("rev-parse", "HEAD", cwd=root, step="read HEAD").stdout.strip()


def remote_url(root: Path, remote: str) -> str:
    out = git("remote", "get-url", remote, cwd=root, step=f"read remote {remote!r}")
    return out.stdout.strip()


def read_blob(root: Path, ref: str, path: str) -> bytes | None:
    """The bytes of ``path`` at ``ref`` (no filters), or None when either does not exist."""
    return git_bytes("cat-file", "blob", f"{ref}:{path}", cwd=root, step="read a file")


def read_folder(root: Path, ref: str, folder: str) -> dict[str, bytes]:
    """``{path: bytes}`` of every file below ``folder`` (repository-relative) at ``ref``,
    read in one ``cat-file --batch``; empty when the folder or ``ref`` does not exist."""
    listing = git_bytes("ls-tree", "-r", "-z", ref, "--", folder.rstrip("/") + "/", cwd=root,
                        step="read a folder")
    blobs: list[tuple[str, str]] = []
    for entry in (listing or b"").split(b"\0"):
        meta, _, name = entry.partition(b"\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == b"blob":
            blobs.append((name.decode("utf-8", "surrogateescape"), parts[2].decode()))
    if not blobs:
        return {}
    out = git_bytes("cat-file", "--batch", cwd=root, step="read a folder",
                    input="".join(f"{sha}\n" for _, sha in blobs).encode())
    if out is None:
        raise GitError(f"cannot read {folder} at {ref[:12]}")
    files: dict[str, bytes] = {}
    pos = 0
    for path, _ in blobs:  # "<sha> blob <size>\n<bytes>\n" per object, in order
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        files[path] = out[header_end + 1:header_end + 1 + size]
        pos = header_end + 1 + size + 1
    return files


def first_adding_commit(root: Path, path: str, refs: list[str]) -> str | None:
    """The oldest commit that added ``path``, in the history of the first of ``refs``
    that has one."""
    for ref in refs:
        out = git("log", "--format=%H", "--diff-filter=A", ref, "--", path, cwd=root,
                  step="find the generated worksheet", check=False)
        commits = out.stdout.split()
        if out.ok and commits:
            return commits[-1]
    return None


def branch_changes(root: Path, base: str, branch: str) -> list[str]:
    """The paths ``branch`` changed since it left ``base`` (from their merge base, so what
    ``base`` itself gained meanwhile is not counted)."""
    out = git_bytes("diff", "--no-renames", "--name-only", "-z", f"{base}...{branch}",
                    cwd=root, step="read the submission branch")
    if out is None:
        raise GitError(f"cannot compare {branch[:12]} with {base[:12]}")
    return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]


@dataclass(frozen=True)
class Commit:
    """One commit as :func:`log` reads it; ``files``: the paths asked about it changed."""

    sha: str
    author: str
    email: str
    subject: str
    message: str
    parents: tuple[str, ...]
    files: tuple[str, ...] = ()

    def trailer(self, key: str) -> str | None:
        """The value of the last ``Key: value`` line of the message with that key."""
        found = None
        for line in self.message.splitlines():
            name, sep, value = line.partition(":")
            if sep and name.strip() == key:
                found = value.strip()
        return found

    def __str__(self) -> str:
        return f"{self.sha[:12]} {self.author}: {self.subject}"


# one record per commit: \x1e, fields split by \x1f, \x1d, then --name-only's names
_FIELDS = "%x1e%H%x1f%an%x1f%ae%x1f%P%x1f%s%x1f%B%x1d"


def log_commits(root: Path, revisions: list[str], *, paths: list[str] | None = None,
        first_parent: bool = False) -> list[Commit]:
    """The commits of ``git log REVISIONS [-- PATHS]``, newest first; with ``paths``, each
    one's ``files`` are those of ``paths`` it changed."""
    args = ["log", f"--format={_FIELDS}", *(["--first-parent"] if first_parent else []),
            *revisions]
    if paths:
        args += ["--name-only", "--no-renames", "--", *paths]
    out = git(*args, cwd=root, step="read the submission branch")
    commits: list[Commit] = []
    for record in out.stdout.split("\x1e")[1:]:
        fields, _, names = record.partition("\x1d")
        sha, author, email, parents, subject, message = fields.split("\x1f", 5)
        commits.append(Commit(sha, author, email, subject, message, tuple(parents.split()),
                              tuple(n for n in names.split("\n") if n.strip())))
    return commits


def commits_touching(root: Path, base: str, branch: str, paths: list[str]) -> list[str]:
    """``<sha12> <author>: <subject>`` of the commits of ``branch`` not in ``base`` that
    change ``paths``, newest first."""
    return [str(c) for c in log_commits(root, [f"{base}..{branch}"], paths=paths)]


def first_parents(root: Path, tip: str, *, stop: str) -> list[Commit]:
    """The first-parent chain of ``tip`` down to what ``stop`` has, newest first."""
    return log_commits(root, [f"{stop}..{tip}"], first_parent=True)


def merge_base(root: Path, a: str, b: str) -> str | None:
    out = git("merge-base", a, b, cwd=root, step="compare commits", check=False)
    return out.stdout.strip() or None


def commit_exists(root: Path, sha: str) -> bool:
    return git("cat-file", "-e", f"{sha}^{{commit}}", cwd=root, step="look up a commit",
               check=False).ok


def tree_of(root: Path, commit: str) -> str:
    return git("rev-parse", f"{commit}^{{tree}}", cwd=root, step="read a tree").stdout.strip()


def is_ancestor(root: Path, ancestor: str, commit: str) -> bool:
    return git("merge-base", "--is-ancestor", ancestor, commit, cwd=root,
               step="compare commits", check=False).ok


def remote_default_branch(root: Path, remote: str) -> str:
    """The branch the remote's HEAD names (``main``, ``master``, ...), asked of the remote.

    Falls back to the local ``refs/remotes/<remote>/HEAD`` when the remote does not say
    (some servers do not advertise symbolic refs).
    """
    out = git("ls-remote", "--symref", remote, "HEAD", cwd=root, timeout=NETWORK_TIMEOUT,
              step=f"ask {remote!r} for its default branch")
    for line in out.stdout.splitlines():
        if line.startswith("ref: ") and line.endswith("\tHEAD"):
            ref = line[len("ref: "):-len("\tHEAD")]
            if ref.startswith("refs/heads/"):
                return ref[len("refs/heads/"):]
    local = git("symbolic-ref", "--quiet", f"refs/remotes/{remote}/HEAD", cwd=root,
                step="read the remote's default branch", check=False)
    prefix = f"refs/remotes/{remote}/"
    if local.ok and local.stdout.strip().startswith(prefix):
        return local.stdout.strip()[len(prefix):]
    raise GitError(f"{remote!r} does not say which branch is its default; pass --base BRANCH")


def remote_heads(root: Path, remote: str, *branches: str) -> dict[str, str]:
    """``{branch: sha}`` of those ``branches`` the remote has (asked of the remote)."""
    if not branches:
        return {}
    refs = [f"refs/heads/{b}" for b in branches]
    out = git("ls-remote", remote, *refs, cwd=root, timeout=NETWORK_TIMEOUT,
              step=f"read branches of {remote!r}")
    found: dict[str, str] = {}
    for line in out.stdout.splitlines():
        sha, _, ref = line.partition("\t")
        if ref in refs:  # ls-remote patterns match by suffix; keep exact names only
            found[ref[len("refs/heads/"):]] = sha
    return found


def fetch_branch(root: Path, remote: str, branch: str) -> None:
    """Bring the remote's ``branch`` into the object store (a normal fetch: it updates
    ``<remote>/<branch>`` and nothing of the user's)."""
    git("fetch", "-q", "--no-tags", remote, f"refs/heads/{branch}", cwd=root,
        timeout=NETWORK_TIMEOUT, step=f"fetch {branch!r} from {remote!r}")


def build_commit(root: Path, *, base: str, files: Mapping[str, bytes | None],
                 parents: Sequence[str], message: str) -> tuple[str, str]:
    """(commit, tree): ``base``'s tree with ``files`` written (bytes) or removed (None),
    committed on top of ``parents`` (two: a merge). Uses a temporary index; touches no
    ref."""
    step = "commit"
    with tempfile.TemporaryDirectory(prefix="relnotes-index-") as scratch:
        env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        git("read-tree", base, cwd=root, step=step, env=env)
        for path, data in files.items():
            if data is None:
                git("update-index", "--force-remove", "--", path, cwd=root, step=step, env=env)
                continue
            blob = git_bytes("hash-object", "-w", "--stdin", f"--path={path}", cwd=root,
                             step=step, input=data)
            if blob is None:
                raise GitError(f"{step} failed: cannot store {path} in the repository")
            git("update-index", "--add", "--cacheinfo",
                f"100644,{blob.decode().strip()},{path}", cwd=root, step=step, env=env)
        tree = git("write-tree", cwd=root, step=step, env=env).stdout.strip()
    linked = [arg for parent in parents for arg in ("-p", parent)]
    commit = git("commit-tree", tree, *linked, "-F", "-", cwd=root, step=step,
                 input=message).stdout.strip()
    return commit, tree


def push(root: Path, remote: str, commit: str, branch: str, *, expect: str | None) -> None:
    """Set the remote's ``branch`` to ``commit`` if it is still at ``expect`` (None: must
    not exist yet); never pushes anything else."""
    lease = f"--force-with-lease=refs/heads/{branch}:{expect or ''}"
    git("push", "-q", lease, remote, f"{commit}:refs/heads/{branch}", cwd=root,
        timeout=NETWORK_TIMEOUT, step="push")
