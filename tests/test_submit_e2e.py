"""End to end in a real git repository with a bare remote and the GitHub test server.

triage -> review (through its input) -> apply -> audit -> done -> submit, twice; plus the
dry run and failures that must leave the local repository as it was.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from relnotes.miscategorized import read_miscategorized
from relnotes.worksheet import read_worksheet
from tests.helpers import run_cli

REPO = "acme/release-notes"
TOKEN_ENV = "RELNOTES_E2E_TOKEN"
LINK = "([#{n}](https://github.com/pytorch/pytorch/pull/{n}))"

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
MISC = """# Miscategorized commits

Welcome to the Pool of Miscategorized commits.

## Untopiced

## not user facing
"""


def sh(*args: str, cwd: Path) -> str:
    return subprocess.run(args, cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path, fake_github, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A clone with todo/, done/, miscategorized.md pushed to a bare remote; settings
    pointing at the test server; the generated worksheets kept outside the repo."""
    remote = tmp_path / "remote.git"
    work = tmp_path / "work"
    sh("git", "init", "-q", "--bare", "-b", "main", str(remote), cwd=tmp_path)
    sh("git", "init", "-q", "-b", "main", str(work), cwd=tmp_path)
    for key, value in (("user.name", "Maintainer"), ("user.email", "m@example.com"),
                       ("commit.gpgsign", "false")):
        sh("git", "config", key, value, cwd=work)
    release = work / "2.8.0"
    (release / "todo").mkdir(parents=True)
    (release / "done").mkdir()
    (release / "done" / ".gitkeep").write_text("")
    (release / "todo" / "result_quantization.md").write_text(WORKSHEET)
    (release / "miscategorized.md").write_text(MISC)
    (work / "pyproject.toml").write_text(
        f'[tool.relnotes]\napi_url = "{fake_github.url}"\ntoken_env = "{TOKEN_ENV}"\n')
    sh("git", "add", "-A", cwd=work)
    sh("git", "commit", "-q", "-m", "generated worksheets", cwd=work)
    sh("git", "remote", "add", "origin", str(remote), cwd=work)
    sh("git", "push", "-q", "origin", "main", cwd=work)
    sh("git", "fetch", "-q", "origin", cwd=work)
    generated = tmp_path / "generated"
    shutil.copytree(release / "todo", generated)
    fake_github.fake.add_branch(REPO, "main")
    monkeypatch.setenv(TOKEN_ENV, "test-token-not-secret")
    monkeypatch.delenv("RELNOTES_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return {"work": work, "remote": remote, "release": release, "generated": generated}


def review_everything(ws: Path) -> dict:
    """Triage + review through stdin: send one item to cuda, place the rest by hand."""
    pending = json.loads(run_cli("review", str(ws), "--format", "json").stdout)["pending"]
    assert len(pending) == 5 and all("suggestion" in p for p in pending)
    answers = []
    for entry in pending:  # the order review shows them in
        if entry["prs"] == [5104]:
            answers += ["d", "cuda"]
        elif entry["prs"] == [5105]:
            answers += ["p", "not user facing"]
        elif entry["prs"] == [5101]:
            answers += ["r"]
        else:
            answers += ["p", "improvements"]
    out = run_cli("review", str(ws), input="\n".join(answers) + "\n")
    assert "5 decided" in out.stderr and "0 pending" in out.stderr
    return json.loads(run_cli("apply", str(ws), "--format", "json").stdout)


def test_triage_review_apply_audit_done_submit_twice(repo: dict[str, Path], fake_github) -> None:
    work, release, generated = repo["work"], repo["release"], repo["generated"]
    todo = release / "todo" / "result_quantization.md"

    applied = review_everything(todo)
    assert applied["written"] and applied["sent"] == [{"key": "pr:5104", "domain": "cuda"}]
    assert applied["dropped"] == ["pr:5105"]
    assert sorted(m["key"] for m in applied["moved"]) == ["pr:5102", "pr:5103"]
    pool = read_miscategorized(release / "miscategorized.md")
    assert [i.key for i in pool.items_for("cuda")] == ["pr:5104"]

    audit = json.loads(run_cli("audit", str(release), "--generated", str(generated),
                               "--format", "json").stdout)
    assert audit["ok"] and audit["accounted"] == audit["generated_refs"] == 5
    assert audit["counts"] == {"todo": 4, "miscategorized": 1}

    done = json.loads(run_cli("done", str(todo), "--generated", str(generated),
                              "--format", "json").stdout)
    target = release / "done" / "result_quantization.md"
    assert done["moved"] and Path(done["target"]) == target
    assert not todo.exists() and target.exists()
    assert (release / "done" / ".relnotes" / "result_quantization.decisions.json").exists()
    assert sh("git", "status", "--porcelain", "--untracked-files=no", cwd=work) == ""
    assert "release notes done" in sh("git", "log", "-1", "--format=%s", cwd=work)

    # dry run: shows the plan, changes nothing
    head = sh("git", "rev-parse", "HEAD", cwd=work)
    dry = run_cli("submit", str(target), "--repo", REPO)
    assert "branch:  relnotes/2.8.0-quantization" in dry.stdout
    assert "title:   2.8.0 release notes: quantization" in dry.stdout
    assert "| moved to another section | 2 |" in dry.stdout
    assert sh("git", "rev-parse", "HEAD", cwd=work) == head and fake_github.pulls == {}

    first = json.loads(run_cli("submit", str(target), "--repo", REPO, "--yes",
                               "--format", "json").stdout)
    assert first["created"] and first["branch"] == "relnotes/2.8.0-quantization"
    remote_sha = sh("git", "ls-remote", str(repo["remote"]), "refs/heads/" + first["branch"],
                    cwd=work).split()[0]
    assert remote_sha == first["commit"]
    (pull,) = fake_github.pulls.values()
    assert pull["title"] == "2.8.0 release notes: quantization"
    assert pull["head"]["ref"] == first["branch"] and pull["base"]["ref"] == "main"
    assert "| sent to other domains (miscategorized.md) | 1 (cuda: 1) |" in pull["body"]
    assert "| dropped to not user facing | 1 |" in pull["body"]
    assert "| snippet checks | no check results |" in pull["body"]

    # a later change: submit again updates the same branch and pull request
    ws = read_worksheet(target)
    ws.set_title(ws.find("pr:5102"), "Add a per-channel observer (#5102)")
    target.write_text(ws.render())
    second = json.loads(run_cli("submit", str(target), "--repo", REPO, "--yes",
                                "--format", "json").stdout)
    assert not second["created"] and second["pr_number"] == first["pr_number"]
    assert second["committed"] and second["commit"] != first["commit"]
    assert len(fake_github.pulls) == 1
    assert "| titles rewritten | 1 |" in fake_github.pulls[first["pr_number"]]["body"]
    remote_sha = sh("git", "ls-remote", str(repo["remote"]), "refs/heads/" + first["branch"],
                    cwd=work).split()[0]
    assert remote_sha == second["commit"]
    assert [r["method"] for r in fake_github.requests if "/pulls" in r["path"]].count("POST") == 1

    final = json.loads(run_cli("audit", str(release), "--generated", str(generated),
                               "--format", "json").stdout)
    assert final["ok"] and final["lost"] == [] and final["duplicated"] == []
    assert final["accounted"] == 5 and final["counts"] == {"done": 4, "miscategorized": 1}


def local_state(work: Path) -> tuple[str, str, str, str]:
    return (sh("git", "rev-parse", "--abbrev-ref", "HEAD", cwd=work),
            sh("git", "rev-parse", "HEAD", cwd=work),
            sh("git", "status", "--porcelain", cwd=work),
            sh("git", "branch", "--list", cwd=work))


def test_failed_push_leaves_the_repository_as_it_was(repo: dict[str, Path]) -> None:
    work, release = repo["work"], repo["release"]
    ws = release / "todo" / "result_quantization.md"
    ws.write_text(WORKSHEET.replace("add per-channel", "Add per-channel"))
    sh("git", "remote", "set-url", "origin", str(work.parent / "missing.git"), cwd=work)
    before = local_state(work)
    out = run_cli("submit", str(ws), "--repo", REPO, "--yes", expect=1)
    assert "step 'push'" in out.stderr and "as it was" in out.stderr
    assert local_state(work) == before
    assert "Add per-channel" in ws.read_text()


def test_failed_pull_request_says_so_and_restores(repo: dict[str, Path], fake_github) -> None:
    work, release = repo["work"], repo["release"]
    ws = release / "todo" / "result_quantization.md"
    ws.write_text(WORKSHEET.replace("add per-channel", "Add per-channel"))
    before = local_state(work)
    fake_github.inject("server_error", 5, path="/repos")
    out = run_cli("submit", str(ws), "--repo", REPO, "--yes", expect=1)
    assert "step 'open pull request' (the branch was pushed)" in out.stderr
    assert local_state(work) == before
    assert fake_github.pulls == {}
    assert "test-token-not-secret" not in out.output


def test_missing_token_changes_nothing(repo: dict[str, Path], monkeypatch) -> None:
    work = repo["work"]
    ws = repo["release"] / "todo" / "result_quantization.md"
    monkeypatch.delenv(TOKEN_ENV)
    before = local_state(work)
    out = run_cli("submit", str(ws), "--repo", REPO, "--yes", expect=1)
    assert f"${TOKEN_ENV}" in out.stderr
    assert local_state(work) == before


def test_done_refuses_an_unfinished_worksheet(repo: dict[str, Path]) -> None:
    ws = repo["release"] / "todo" / "result_quantization.md"
    out = run_cli("done", str(ws), "--generated", str(repo["generated"]), expect=1)
    assert "[untopiced]" in out.stdout and "stays in todo/" in out.stdout
    assert ws.exists() and not (repo["release"] / "done" / ws.name).exists()
