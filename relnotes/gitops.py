"""Every git call relnotes makes goes through :func:`git`.

One function sets the timeout, the working directory and a predictable environment
(no prompts, C locale) and returns a typed result, so a failure always names the step
the user asked for ("push", "commit") and tests can fake git in one place. The helpers
below are the handful of questions and steps ``done`` and ``submit`` need.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from relnotes.errors import GitError

__all__ = [
    "GitResult",
    "branch_sha",
    "current_branch",
    "git",
    "has_staged_changes",
    "head_sha",
    "remote_url",
    "repo_root",
    "show_file",
]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 120.0


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


def git(*args: str, cwd: str | Path, step: str, check: bool = True,
        timeout: float = DEFAULT_TIMEOUT, env: Mapping[str, str] | None = None) -> GitResult:
    """Run ``git ARGS`` in ``cwd``; with ``check``, a failure raises GitError naming ``step``."""
    argv = ("git", *args)
    log.debug("git %s (in %s)", " ".join(args), cwd)
    try:
        proc = subprocess.run(argv, cwd=str(cwd), env=_env(env), capture_output=True,
                              text=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise GitError(f"{step} failed: git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"{step} failed: 'git {' '.join(args)}' took more than "
                       f"{timeout:g} s") from None
    result = GitResult(tuple(args), proc.returncode, proc.stdout, proc.stderr)
    if check and not result.ok:
        detail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
        raise GitError(f"{step} failed: 'git {' '.join(args)}' exited {proc.returncode}"
                       + (f": {detail[-1]}" if detail else ""))
    return result


def repo_root(path: str | Path) -> Path:
    """The top of the work tree that contains ``path``."""
    start = Path(path).resolve()
    folder = start if start.is_dir() else start.parent
    out = git("rev-parse", "--show-toplevel", cwd=folder, step="find the git repository")
    return Path(out.stdout.strip())


def current_branch(root: Path) -> str | None:
    """The checked-out branch, or None on a detached HEAD."""
    out = git("symbolic-ref", "--quiet", "--short", "HEAD", cwd=root, step="read the branch",
              check=False)
    return out.stdout.strip() or None if out.ok else None


def head_sha(root: Path) -> str:
    return git("rev-parse", "HEAD", cwd=root, step="read HEAD").stdout.strip()


def branch_sha(root: Path, ref: str) -> str | None:
    """The commit ``ref`` points at, or None when it does not exist."""
    out = git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=root,
              step="read a ref", check=False)
    return out.stdout.strip() or None if out.ok else None


def has_staged_changes(root: Path) -> bool:
    out = git("diff", "--cached", "--quiet", cwd=root, step="check the index", check=False)
    return out.returncode == 1


def remote_url(root: Path, remote: str) -> str:
    out = git("remote", "get-url", remote, cwd=root, step=f"read remote {remote!r}")
    return out.stdout.strip()


def show_file(root: Path, ref: str, path: str) -> str | None:
    """The text of ``path`` at ``ref``, or None when either does not exist."""
    out = git("show", f"{ref}:{path}", cwd=root, step="read a file from history", check=False)
    return out.stdout if out.ok else None
