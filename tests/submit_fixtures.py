"""A release repository with a bare remote (default branch ``master``) and the GitHub test
server, for the ``done``/``submit`` tests: the maintainer's clone on a branch of their own
with unrelated committed, staged, unstaged and untracked work; what curating writes;
someone else pushing to a branch."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from relnotes.miscategorized import read_miscategorized
from relnotes.worksheet import read_worksheet
from tests.github_server import RunningServer
from tests.helpers import run_cli
from tests.workflow_fixtures import REPO, new_release, published, sh

LINK = "([#{n}](https://github.com/pytorch/pytorch/pull/{n}))"
NAME = "result_quantization.md"
BRANCH = "relnotes/2.8.0-quantization"

WORKSHEET = f"""# Release Notes worksheet quantization

The main goal of this process is to rephrase all the commit messages below.

## quantization
### bc breaking
### deprecation
### new features
### improvements
### bug fixes
- Fix observer reset {LINK.format(n=5101)}
### performance
### docs
### devs
### Untopiced
- [Quant] add per-channel observer {LINK.format(n=5102)}
- [Quant][PT2E] speed up the x86 lowering {LINK.format(n=5103)}
- [CUDA] faster cudnn conv selection {LINK.format(n=5104)}
- [BE] rename internal helper {LINK.format(n=5105)}
### not user facing
"""
CUDA = f"""# Release Notes worksheet cuda

## cuda
### bug fixes
### Untopiced
- Fix cuda stream {LINK.format(n=6101)}
### not user facing
"""
MISC = """# Miscategorized commits

Welcome to the Pool of Miscategorized commits.

## Untopiced

## not user facing
"""


def release_repo(tmp_path: Path, fake_github: RunningServer,
                 monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """(The ``repo`` fixture of the submit tests.) A bare remote (default branch master) with the generated worksheets, a clone on the
    maintainer's own branch with another domain's work committed (not pushed), a staged
    change, an unstaged change and an untracked file; settings pointing at the server."""

    def fill(work: Path) -> None:
        new_release(work, "2.8.0", {NAME: WORKSHEET, "result_cuda.md": CUDA}, MISC)

    remote, work = published(tmp_path, fake_github, monkeypatch, fill)
    release = work / "2.8.0"
    generated = tmp_path / "generated"
    shutil.copytree(release / "todo", generated)
    # on the maintainer's own branch: work that is none of the submission's business
    cuda = release / "todo" / "result_cuda.md"
    cuda.write_text(CUDA.replace("### Untopiced\n- Fix cuda stream",
                                 "### Untopiced\n### bug fixes\n- Fix cuda stream"))
    sh("git", "commit", "-q", "-am", "cuda: half-way", cwd=work)
    (work / "NOTES.txt").write_text("team notes\nstaged line\n")
    sh("git", "add", "NOTES.txt", cwd=work)
    (work / "NOTES.txt").write_text("team notes\nstaged line\nunstaged line\n")
    (work / "scratch.txt").write_text("untracked\n")
    return {"work": work, "remote": remote, "release": release, "generated": generated}


def curate(release: Path) -> None:
    """What triage/review/apply write: two items moved, one dropped, one sent to cuda,
    one retitled."""
    from relnotes.apply import write_changes

    ws = read_worksheet(release / "todo" / NAME)
    pool = read_miscategorized(release / "miscategorized.md")
    ws.move(ws.find("pr:5102"), "new features")
    ws.move(ws.find("pr:5103"), "performance")
    ws.drop(ws.find("pr:5105"))
    pool.add(ws.remove(ws.find("pr:5104")), target="cuda", source="quantization")
    ws.set_title(ws.find("pr:5101"), f"Fixed the observer reset {LINK.format(n=5101)}")
    write_changes([ws], [pool])


def finished(release: Path) -> Path:
    """Curated and moved to done/ by hand (no ``done``, nothing committed)."""
    curate(release)
    done = release / "done" / NAME
    (release / "todo" / NAME).rename(done)
    return done


def local_state(work: Path) -> dict[str, Any]:
    """Branch, HEAD, index, working tree (tracked and untracked) and local branches."""
    files = {p.relative_to(work).as_posix(): p.read_bytes()
             for p in sorted(work.rglob("*")) if p.is_file() and ".git" not in p.parts}
    return {"branch": sh("git", "symbolic-ref", "HEAD", cwd=work),
            "head": sh("git", "rev-parse", "HEAD", cwd=work),
            "index": sh("git", "ls-files", "-s", cwd=work),
            "staged": sh("git", "diff", "--cached", cwd=work),
            "unstaged": sh("git", "diff", cwd=work),
            "status": sh("git", "status", "--porcelain", "--untracked-files=all", cwd=work),
            "branches": sh("git", "for-each-ref", "refs/heads", cwd=work),
            "files": files}


def push_commit(remote: Path, clone: Path, branch: str, files: dict[str, str], *,
                author: str = "Other", message: str = "other work") -> None:
    """Someone else commits ``files`` on ``branch`` of the remote (through a clone)."""
    sh("git", "clone", "-q", "-b", branch, str(remote), str(clone), cwd=clone.parent)
    for name, text in files.items():
        (clone / name).write_text(text)
    sh("git", "add", "-A", cwd=clone)
    sh("git", "-c", f"user.name={author}", "-c", "user.email=o@example.com", "commit", "-q",
       "-m", message, cwd=clone)
    sh("git", "push", "-q", "origin", branch, cwd=clone)


def remote_diff(remote: Path, branch: str = BRANCH, base: str = "master") -> list[str]:
    out = sh("git", "diff", "--name-status", "--no-renames", f"{base}...{branch}", cwd=remote)
    return sorted(out.splitlines())


def submit(ws: Path, *args: str, expect: int = 0) -> Any:
    out = run_cli("submit", str(ws), "--repo", REPO, *args, "--format", "json", expect=expect)
    return json.loads(out.stdout) if out.stdout.strip() else out
