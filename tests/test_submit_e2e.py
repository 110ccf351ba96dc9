"""End to end in real git repositories with a bare remote and the GitHub test server.

The remote's default branch is ``master``; the maintainer works on a branch of their own
with unrelated committed, staged, unstaged and untracked work. ``done`` then ``submit``
must open one pull request whose diff against ``master`` is exactly the listed files,
leave the maintainer's branch, index and working tree as they were, and a second
``submit`` must update the same pull request.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from relnotes.miscategorized import read_miscategorized
from relnotes.worksheet import read_worksheet
from tests.github_server import RunningServer
from tests.helpers import run_cli
from tests.submit_fixtures import (
    BRANCH,
    CUDA,
    LINK,
    NAME,
    curate,
    finished,
    local_state,
    push_commit,
    release_repo,
    remote_diff,
    submit,
)
from tests.workflow_fixtures import REPO, TOKEN_ENV, published, sh


@pytest.fixture
def repo(tmp_path: Path, fake_github: RunningServer,
         monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    return release_repo(tmp_path, fake_github, monkeypatch)


def test_done_then_submit_opens_one_pull_request_of_exactly_the_listed_files(
        repo: dict[str, Path], fake_github: RunningServer) -> None:
    work, release, remote = repo["work"], repo["release"], repo["remote"]
    curate(release)
    done = json.loads(run_cli("done", str(release / "todo" / NAME), "--generated",
                              str(repo["generated"]), "--format", "json").stdout)
    target = release / "done" / NAME
    assert done["moved"] and Path(done["target"]).resolve() == target.resolve()
    before = local_state(work)
    assert "staged line" in before["staged"] and "unstaged line" in before["unstaged"]

    dry = run_cli("submit", str(target), "--repo", REPO)
    assert "pull request into master" in dry.stdout and fake_github.pulls == {}
    assert local_state(work) == before

    first = submit(target, "--yes")
    listed = {"2.8.0/done/" + NAME: "write", "2.8.0/todo/" + NAME: "delete",
              "2.8.0/miscategorized.md": "write"}
    assert first["changes"] == listed and first["base"] == "master"
    assert first["created"] and first["pushed"] and first["branch"] == BRANCH
    # exactly the listed files: not the cuda commit, not NOTES.txt, not scratch.txt
    assert remote_diff(remote) == sorted([f"A\t2.8.0/done/{NAME}", f"D\t2.8.0/todo/{NAME}",
                                          "M\t2.8.0/miscategorized.md"])
    assert sh("git", "show", f"{BRANCH}:2.8.0/done/{NAME}", cwd=remote) == \
        target.read_text()
    assert sh("git", "rev-parse", f"{BRANCH}^", cwd=remote) == \
        sh("git", "rev-parse", "master", cwd=remote)
    assert local_state(work) == before  # branch, index, working tree untouched

    (pull,) = fake_github.pulls.values()
    assert pull["base"]["ref"] == "master" and pull["head"]["ref"] == BRANCH
    # the server sees the same diff (its files come from the bare remote)
    files = fake_github.fake.handle("GET", f"/repos/{REPO}/pulls/{pull['number']}/files",
                                    {}, b"", fake_github.url)
    assert sorted(f["filename"] for f in json.loads(files[2])) == sorted(listed)
    body = pull["body"]
    for row in ("| moved to another section | 2 |", "| dropped to not user facing | 1 |",
                "| sent to other domains (miscategorized.md) | 1 (cuda: 1) |",
                "| titles rewritten | 1 |", "| BC-breaking / deprecation entries written | 0 |"):
        assert row in body, body
    assert "--force" not in body

    audit = json.loads(run_cli("audit", str(release), "--generated", str(repo["generated"]),
                               "--format", "json").stdout)
    assert audit["ok"] and audit["lost"] == [] and audit["duplicated"] == []

    # a second pass: submit again updates the same branch (one more commit) and pull request
    ws = read_worksheet(target)
    ws.set_title(ws.find("pr:5102"), f"Add a per-channel observer {LINK.format(n=5102)}")
    target.write_text(ws.render())
    before = local_state(work)
    second = submit(target, "--yes")
    assert not second["created"] and second["pr_number"] == first["pr_number"]
    assert second["committed"] and second["commit"] != first["commit"]
    assert sh("git", "rev-parse", f"{BRANCH}^", cwd=remote).strip() == first["commit"]
    assert len(fake_github.pulls) == 1
    assert "| titles rewritten | 2 |" in fake_github.pulls[first["pr_number"]]["body"]
    assert [r["method"] for r in fake_github.requests
            if r["path"].startswith(f"/repos/{REPO}/pulls")].count("POST") == 1
    assert local_state(work) == before
    # nothing new: no commit, no push, the pull request is still up to date
    third = submit(target, "--yes")
    assert not third["committed"] and not third["pushed"] and third["commit"] == second["commit"]


def test_submit_alone_after_editing_in_done(repo: dict[str, Path],
                                            fake_github: RunningServer) -> None:
    """Without ``done``: the worksheet moved to done/ by hand, nothing committed."""
    work, release = repo["work"], repo["release"]
    finished(release)
    before = local_state(work)
    out = submit(release / "done" / NAME, "--yes")
    assert out["created"] and sorted(out["paths"]) == sorted(
        ["2.8.0/done/" + NAME, "2.8.0/todo/" + NAME, "2.8.0/miscategorized.md"])
    assert local_state(work) == before
    assert len(remote_diff(repo["remote"])) == 3


def test_todo_worksheet_is_refused_then_forced(repo: dict[str, Path],
                                               fake_github: RunningServer) -> None:
    work, release = repo["work"], repo["release"]
    curate(release)
    todo = release / "todo" / NAME
    before = local_state(work)
    refused = run_cli("submit", str(todo), "--repo", REPO, "--yes", expect=1)
    assert "[not-done]" in refused.stderr and "still in todo/" in refused.stderr
    assert "not submitted" in refused.stderr and "--force" in refused.stderr
    assert fake_github.pulls == {} and local_state(work) == before
    assert sh("git", "ls-remote", "--heads", str(repo["remote"]), BRANCH, cwd=work) == ""
    dry = run_cli("submit", str(todo), "--repo", REPO, expect=1)  # the dry run says so too
    assert "[not-done]" in dry.stderr

    forced = submit(todo, "--yes", "--force")
    assert forced["forced"] and forced["created"]
    body = fake_github.pulls[forced["pr_number"]]["body"]
    assert "Submitted with `--force` despite 1 problem(s)" in body and "[not-done]" in body
    assert remote_diff(repo["remote"]) == sorted(
        [f"M\t2.8.0/todo/{NAME}", "M\t2.8.0/miscategorized.md"])
    assert local_state(work) == before


def test_lint_check_and_audit_problems_are_refused(repo: dict[str, Path],
                                                   fake_github: RunningServer) -> None:
    from relnotes.fileio import sidecar_path

    release = repo["release"]
    curate(release)
    done = release / "done" / NAME
    (release / "todo" / NAME).rename(done)
    text = done.read_text()
    # an item left in Untopiced and a PR the generated worksheet has once, twice here
    done.write_text(text.replace("### Untopiced\n", f"### Untopiced\n- Leftover {LINK.format(n=5199)}\n"
                                 f"- Twice {LINK.format(n=5101)}\n"))
    sidecar_path(done, "check").parent.mkdir(exist_ok=True)
    sidecar_path(done, "check").write_text(json.dumps({"snippets": [
        {"file": str(done), "line": 12, "verdict": "fail", "kind": "missing-api",
         "message": "torch.ao.nothing does not exist in 2.8"}]}))
    out = run_cli("submit", str(done), "--repo", REPO, "--yes", expect=1)
    for code in ("[untopiced]", "[duplicated]", "[check-failed]"):
        assert code in out.stderr, out.stderr
    assert f"done/{NAME}:12: [check-failed]" in out.stderr  # at the snippet, not the heading
    assert fake_github.pulls == {}
    data = json.loads(run_cli("submit", str(done), "--repo", REPO, "--format", "json",
                              expect=1).stdout)
    assert not data["submitted"] and {p["code"] for p in data["problems"]} >= {
        "untopiced", "duplicated", "check-failed"}


def test_counts_are_real_when_the_default_branch_already_has_the_done_commit(
        repo: dict[str, Path], fake_github: RunningServer) -> None:
    work, release = repo["work"], repo["release"]
    curate(release)
    run_cli("done", str(release / "todo" / NAME))
    sh("git", "push", "-q", "origin", "HEAD:master", cwd=work)  # master has the done commit
    target = release / "done" / NAME
    ws = read_worksheet(target)
    ws.set_title(ws.find("pr:5103"), f"Faster x86 lowering {LINK.format(n=5103)}")
    target.write_text(ws.render())
    out = submit(target, "--yes")
    assert out["paths"] == ["2.8.0/done/" + NAME]
    summary = out["summary"]
    assert summary["baseline"].startswith(f"2.8.0/todo/{NAME} as first committed")
    assert len(summary["moved"]) == 2 and summary["dropped"] == ["pr:5105"]
    assert summary["sent"] == [{"key": "pr:5104", "domain": "cuda"}]
    assert sorted(summary["retitled"]) == ["pr:5101", "pr:5103"]
    body = fake_github.pulls[out["pr_number"]]["body"]
    assert "| moved to another section | 2 |" in body
    # and nothing at all to submit is said plainly
    sh("git", "push", "-q", "origin", f"{out['commit']}:refs/heads/master", cwd=work)
    nothing = run_cli("submit", str(target), "--repo", REPO, "--yes", expect=1)
    assert "nothing to submit" in nothing.stderr


def test_only_this_worksheets_pool_changes_are_submitted(repo: dict[str, Path],
                                                         fake_github: RunningServer) -> None:
    release = repo["release"]
    curate(release)
    misc = release / "miscategorized.md"
    pool = read_miscategorized(misc)
    cuda_ws = read_worksheet(release / "todo" / "result_cuda.md")
    pool.add(cuda_ws.remove(cuda_ws.find("pr:6101")), target="inductor", source="cuda")
    misc.write_text(pool.render())  # another domain's pending change, not submitted
    (release / "todo" / NAME).rename(release / "done" / NAME)
    out = submit(release / "done" / NAME, "--yes")
    assert any("only quantization's changes" in n for n in out["notes"])
    sent = sh("git", "show", f"{BRANCH}:2.8.0/miscategorized.md", cwd=repo["remote"])
    assert "## cuda (from quantization)" in sent and "#5104" in sent
    assert "inductor (from cuda)" not in sent and "#6101" not in sent


def test_branch_is_rebuilt_when_the_default_branch_moved(repo: dict[str, Path],
                                                         fake_github: RunningServer,
                                                         tmp_path: Path) -> None:
    release, remote = repo["release"], repo["remote"]
    finished(release)
    first = submit(release / "done" / NAME, "--yes")
    # someone merges another domain into master meanwhile
    push_commit(remote, tmp_path / "other", "master", {"2.8.0/done/result_cuda.md": CUDA})
    second = submit(release / "done" / NAME, "--yes")
    assert second["pr_number"] == first["pr_number"] and second["pushed"]
    assert sh("git", "rev-parse", f"{BRANCH}^", cwd=remote) == \
        sh("git", "rev-parse", "master", cwd=remote)
    assert len(remote_diff(remote)) == 3  # still exactly the listed files


def test_error_after_the_push_names_the_repository(repo: dict[str, Path],
                                                   fake_github: RunningServer) -> None:
    """GitHub answered for the repository, then refused the pull request (a rate limit
    that lasts an hour): the branch is pushed, and the error says so and what to do.
    (A repository GitHub does not know stops before the push: test_submit_branch.py.)"""
    work, release = repo["work"], repo["release"]
    finished(release)
    before = local_state(work)
    fake_github.inject("rate_limit", 20, path=f"/repos/{REPO}/pulls", reset_in=3600)
    out = run_cli("submit", str(release / "done" / NAME), "--repo", REPO, "--yes", expect=1)
    assert "pushed relnotes/2.8.0-quantization to origin" in out.stderr
    assert REPO in out.stderr and "rate limited" in out.stderr
    assert "relnotes submit" in out.stderr and "--yes" in out.stderr  # what to do
    assert local_state(work) == before
    assert "test-token-not-secret" not in out.output


def test_pull_request_goes_through_the_shared_client_with_retries(
        repo: dict[str, Path], fake_github: RunningServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    waits: list[float] = []
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:  # record the client's waits; let git's polls run
        if seconds >= 0.5:
            waits.append(seconds)
        else:
            real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    release = repo["release"]
    finished(release)
    fake_github.inject("server_error", 2, path=f"/repos/{REPO}/pulls")
    fake_github.inject("retry_after", 1, path=f"/repos/{REPO}/pulls", retry_after=3)
    out = submit(release / "done" / NAME, "--yes")
    assert out["created"] and len(fake_github.pulls) == 1
    assert waits == [1.0, 2.0, 3.0]  # backoff twice, then what Retry-After asked


def test_failed_push_changes_nothing(repo: dict[str, Path], fake_github: RunningServer) -> None:
    work, release, remote = repo["work"], repo["release"], repo["remote"]
    finished(release)
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'branch protection: pushes refused' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = local_state(work)
    out = run_cli("submit", str(release / "done" / NAME), "--repo", REPO, "--yes", expect=1)
    assert "push failed" in out.stderr
    assert local_state(work) == before and fake_github.pulls == {}
    assert sh("git", "for-each-ref", "refs/heads", cwd=remote).count("\n") == 1  # master only


def test_missing_token_changes_nothing(repo: dict[str, Path], fake_github: RunningServer,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    work, release = repo["work"], repo["release"]
    finished(release)
    monkeypatch.delenv(TOKEN_ENV)
    before = local_state(work)
    out = run_cli("submit", str(release / "done" / NAME), "--repo", REPO, "--yes", expect=1)
    assert f"${TOKEN_ENV}" in out.stderr and "nothing was pushed" in out.stderr
    assert local_state(work) == before
    assert sh("git", "ls-remote", "--heads", str(repo["remote"]), BRANCH, cwd=work) == ""


def test_done_refuses_an_unfinished_worksheet(repo: dict[str, Path]) -> None:
    ws = repo["release"] / "todo" / NAME
    out = run_cli("done", str(ws), "--generated", str(repo["generated"]), expect=1)
    assert "[untopiced]" in out.stdout and "stays in todo/" in out.stdout
    assert ws.exists() and not (repo["release"] / "done" / ws.name).exists()


def test_done_keeps_other_staged_work_staged(repo: dict[str, Path]) -> None:
    work, release = repo["work"], repo["release"]
    curate(release)
    run_cli("done", str(release / "todo" / NAME))
    changed = sh("git", "show", "--no-renames", "--name-only", "--format=", "HEAD", cwd=work).split()
    assert sorted(changed) == sorted(["2.8.0/done/" + NAME, "2.8.0/todo/" + NAME,
                                      "2.8.0/miscategorized.md"])
    assert "staged line" in sh("git", "diff", "--cached", cwd=work)
    assert "unstaged line" in sh("git", "diff", cwd=work)


def test_done_reports_check_failures_at_the_snippet_with_one_kind_of_path(
        repo: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from relnotes.fileio import sidecar_path

    release = repo["release"]
    curate(release)
    todo = release / "todo" / NAME
    todo.write_text(todo.read_text().replace(
        "### bc breaking\n", f"### bc breaking\n- Renamed the observer {LINK.format(n=5106)}\n"))
    sidecar_path(todo, "check").parent.mkdir(exist_ok=True)
    sidecar_path(todo, "check").write_text(json.dumps({"snippets": [
        {"line": 17, "verdict": "fail", "kind": "snippet-bug", "message": "NameError: m"}]}))
    monkeypatch.chdir(release)
    out = run_cli("done", f"todo/{NAME}", "--generated", str(repo["generated"]), expect=1)
    assert f"todo/{NAME}:17: [check-failed] snippet check failed: snippet-bug: NameError: m" \
        in out.stdout
    places = [line.split(":", 1)[0] for line in out.stdout.splitlines() if ": [" in line]
    assert places and set(places) == {f"todo/{NAME}"}  # no absolute path beside relative ones
    monkeypatch.chdir(release / "todo")
    again = run_cli("done", NAME, expect=1)
    assert {line.split(":", 1)[0] for line in again.stdout.splitlines()
            if ": [" in line} == {f"../todo/{NAME}"}


def test_bad_input_is_named_and_changes_nothing(repo: dict[str, Path], tmp_path: Path,
                                                fake_github: RunningServer) -> None:
    work, release = repo["work"], repo["release"]
    curate(release)
    done = release / "done" / NAME
    (release / "todo" / NAME).rename(done)
    before = local_state(work)
    bad_repo = run_cli("submit", str(done), "--repo", "nope", "--yes", expect=2)
    assert "--repo 'nope' must be OWNER/NAME" in bad_repo.stderr
    no_remote = run_cli("submit", str(done), "--repo", REPO, "--remote", "upstream", expect=1)
    assert "'upstream'" in no_remote.stderr
    no_base = run_cli("submit", str(done), "--repo", REPO, "--base", "main", expect=1)
    assert "has no branch 'main'" in no_base.stderr
    outside = tmp_path / "outside" / NAME
    outside.parent.mkdir()
    outside.write_text(done.read_text())
    not_git = run_cli("submit", str(outside), "--repo", REPO, expect=1)
    assert "is not in a git repository" in not_git.stderr
    assert local_state(work) == before and fake_github.pulls == {}


def test_reviewed_decisions_follow_the_worksheet_to_done_and_stay_out_of_git(
        repo: dict[str, Path]) -> None:
    from relnotes.decisions import DecisionStore

    work, release = repo["work"], repo["release"]
    curate(release)
    todo = release / "todo" / NAME
    store = DecisionStore.for_worksheet(todo)
    run_cli("review", str(todo), "--accept-above", "0.0", input="")
    assert store.path.exists()
    before = sh("git", "status", "--porcelain", "--untracked-files=all", cwd=work)
    assert ".relnotes" not in before
    run_cli("done", str(todo))
    moved = DecisionStore.for_worksheet(release / "done" / NAME).path
    assert moved.exists() and not store.path.exists()
    after = sh("git", "status", "--porcelain", "--untracked-files=all", cwd=work)
    assert ".relnotes" not in after


# ----------------------------------------------------------------------------------------
# Real worksheets: 2.8.0 and 2.7.0 as generated, committed on master.


@pytest.fixture
def real(tmp_path: Path, fake_github: RunningServer,
         monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """The real generated todo/ folders of 2.8.0 and 2.7.0 (with its sub-folder
    ``result_package/deploy.md``) and their pools on master of a bare remote; a clone on
    the maintainer's branch with other work staged and untracked."""
    from tests.helpers import DATA, copy_data

    if not (DATA / "2.8.0" / "todo").is_dir():
        pytest.skip("real data not available")

    def fill(work: Path) -> None:
        for release in ("2.8.0", "2.7.0"):
            copy_data(DATA / release / "todo", work / release / "todo")
            copy_data(DATA / release / "miscategorized.md",
                      work / release / "miscategorized.md")
            (work / release / "done").mkdir()
            (work / release / "done" / ".gitkeep").write_text("")

    remote, work = published(tmp_path, fake_github, monkeypatch, fill)
    (work / "NOTES.txt").write_text("team notes\nstaged line\n")
    sh("git", "add", "NOTES.txt", cwd=work)
    (work / "scratch.txt").write_text("untracked\n")
    return {"work": work, "remote": remote, "data": DATA}


def test_real_2_8_0_quantization_lost_items_are_found_and_its_own_repeats_kept(
        real: dict[str, Path], fake_github: RunningServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The real finished 2.8.0 quantization worksheet deletes three PRs outright (no
    --generated: the baseline is todo/ as first committed) and keeps three repeats the
    generator wrote into it; once the three are back it is submittable without --force."""
    from tests.helpers import copy_data

    work = real["work"]
    monkeypatch.chdir(work)
    todo = work / "2.8.0" / "todo" / "result_quantization.md"
    copy_data(real["data"] / "2.8.0" / "done" / "result_quantization.md", todo)
    out = run_cli("done", str(todo), "--format", "json", expect=1)
    report = json.loads(out.stdout)["audit"]
    assert report["lost"] == ["#149576", "#151788", "#151824"]
    assert report["duplicated"] == [] and report["baseline"].startswith(
        "2.8.0/todo/ as first committed")
    lost = [f for f in report["findings"] if f["code"] == "lost"]
    assert [f["line"] for f in lost] == [42, 52, 53]  # where the generated worksheet has them
    assert all(f["file"].startswith("2.8.0/todo/result_quantization.md@") for f in lost)

    done = work / "2.8.0" / "done" / "result_quantization.md"
    shutil.copy(todo, done)  # finished by hand, without `done`
    todo.unlink()
    dry = submit(done, expect=1)
    assert {p["code"] for p in dry["problems"]} == {"lost", "entry-no-code"}
    assert dry["summary"]["removed"] == ["pr:149576", "pr:151824", "pr:151788"]
    assert dry["summary"]["sent"] == [] and "?" not in dry["body"].split("Counted")[0]
    assert "| sent to other domains (miscategorized.md) | 0 |" in dry["body"]
    assert "3 item(s) of the generated worksheet are neither in it nor in" in dry["body"]
    assert "duplicate-pr" not in json.dumps(dry["problems"])

    # the maintainer puts the three back (not user facing) and says why there is no code
    generated = read_worksheet(real["data"] / "2.8.0" / "todo" / "result_quantization.md")
    ws = read_worksheet(done)
    for key in ("pr:149576", "pr:151824", "pr:151788"):
        ws.append("not user facing", generated.find(key).title)
    text = ws.render().replace("for more details\n",
                               "for more details\n\n<!-- no code: the migration moves to torchao -->\n")
    done.write_text(text)
    out = submit(done, "--yes")  # no --force: the generator's own repeats are not problems
    assert out["created"] and out["problems"] == [] and not out["forced"]
    assert out["summary"]["removed"] == [] and {"pr:149576", "pr:151824", "pr:151788"} <= \
        set(out["summary"]["dropped"])
    assert "--force" not in fake_github.pulls[out["pr_number"]]["body"]


def test_real_repeat_across_generated_files_is_not_a_duplicate(
        real: dict[str, Path]) -> None:
    """#152288 is an item of 2.8.0's generated result_distributed.md, and result_jit.md's
    "Partilally revert https://github.com/pytorch/pytorch/pull/152288 ([#152909](...))"
    names it: a mention, so finishing jit neither doubles nor loses it (the baseline is
    the whole generated folder)."""
    work = real["work"]
    todo = work / "2.8.0" / "todo" / "result_jit.md"
    assert "#152288" in (work / "2.8.0" / "todo" / "result_distributed.md").read_text()
    ws = read_worksheet(todo)
    assert ws.find("pr:152288") is None and ws.find("pr:152909").mentions == [152288]
    for item in ws.items():
        if item.category in ("Untopiced", "bc breaking", "deprecation"):
            ws.drop(item)
    todo.write_text(ws.render())
    out = json.loads(run_cli("done", str(todo), "--format", "json").stdout)
    assert out["moved"] and out["audit"]["duplicated"] == [] and out["audit"]["lost"] == []


def test_real_2_7_0_worksheet_in_a_sub_folder_is_done_and_submitted(
        real: dict[str, Path], fake_github: RunningServer) -> None:
    """2.7.0/todo/result_package/deploy.md: done moves it to done/result_package/, submit
    finds its todo/ path and the release's pool."""
    work, remote = real["work"], real["remote"]
    todo = work / "2.7.0" / "todo" / "result_package" / "deploy.md"
    out = json.loads(run_cli("done", str(todo), "--format", "json").stdout)
    target = work / "2.7.0" / "done" / "result_package" / "deploy.md"
    assert out["moved"] and Path(out["target"]).resolve() == target.resolve()
    assert out["audit"]["baseline"].startswith("2.7.0/todo/ as first committed")
    assert not todo.exists() and target.exists()
    before = local_state(work)
    sub = submit(target, "--yes")
    assert sub["created"] and sub["branch"] == "relnotes/2.7.0-package-deploy"
    assert sub["summary"]["baseline"].startswith(
        "2.7.0/todo/result_package/deploy.md as first committed")
    assert remote_diff(remote, sub["branch"]) == sorted(
        ["A\t2.7.0/done/result_package/deploy.md", "D\t2.7.0/todo/result_package/deploy.md"])
    assert local_state(work) == before


def test_someone_elses_commit_on_the_branch_is_never_undone(
        repo: dict[str, Path], fake_github: RunningServer, tmp_path: Path) -> None:
    """A reviewer adds 2.8.0/REVIEW.md to the pull request's branch: the next submit
    (branch on top of master, or rebuilt after master moved) refuses, naming the file and
    the commit, and leaves the branch as the reviewer left it; --force does not help."""
    work, release, remote = repo["work"], repo["release"], repo["remote"]
    done = finished(release)
    first = submit(done, "--yes")
    push_commit(remote, tmp_path / "reviewer", BRANCH,
                {"2.8.0/REVIEW.md": "looks good, one question\n"},
                author="Reviewer", message="review notes")
    tip = sh("git", "rev-parse", BRANCH, cwd=remote)
    ws = read_worksheet(done)
    ws.set_title(ws.find("pr:5102"), f"Add a per-channel observer {LINK.format(n=5102)}")
    done.write_text(ws.render())
    before = local_state(work)
    dry = submit(done, expect=1)
    assert dry["conflicts"] and "2.8.0/REVIEW.md" in dry["conflicts"][0]
    for extra in ((), ("--force",)):
        out = run_cli("submit", str(done), "--repo", REPO, "--yes", *extra, expect=1)
        assert "2.8.0/REVIEW.md" in out.stderr and "Reviewer: review notes" in out.stderr
        assert "--branch NAME" in out.stderr  # what to do instead
        assert sh("git", "rev-parse", BRANCH, cwd=remote) == tip
    # master moves: the branch would be rebuilt from it, which would drop the commit too
    push_commit(remote, tmp_path / "other", "master", {"2.8.0/done/result_cuda.md": CUDA})
    out = run_cli("submit", str(done), "--repo", REPO, "--yes", expect=1)
    assert "2.8.0/REVIEW.md" in out.stderr and "2.8.0/done/result_cuda.md" not in out.stderr
    assert sh("git", "rev-parse", BRANCH, cwd=remote) == tip
    assert local_state(work) == before and len(fake_github.pulls) == 1
    # another branch is fine
    elsewhere = submit(done, "--yes", "--branch", "relnotes/quantization-take-2")
    assert elsewhere["created"] and elsewhere["pr_number"] != first["pr_number"]


def test_failed_done_commit_leaves_the_index_as_it_was(repo: dict[str, Path]) -> None:
    """A pre-commit hook refuses the commit: the worksheet is back in todo/ and status,
    index and files are byte for byte what they were, also for an untracked pool."""
    work, release = repo["work"], repo["release"]
    curate(release)
    hook = work / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'pre-commit: refused' >&2\nexit 1\n")
    hook.chmod(0o755)
    todo = release / "todo" / NAME
    for pool in ("tracked", "untracked"):
        if pool == "untracked":
            sh("git", "rm", "-q", "--cached", "2.8.0/miscategorized.md", cwd=work)
        before = local_state(work)
        out = run_cli("done", str(todo), expect=1)
        assert "commit failed" in out.stderr and "refused" in out.stderr
        assert local_state(work) == before, pool
        assert todo.exists() and not (release / "done" / NAME).exists()


def test_done_without_git_history_says_what_it_could_not_check(repo: dict[str, Path]) -> None:
    """A worksheet in no commit yet (staged only): no baseline to find lost items in, so
    the audit checks duplicates only, and says so."""
    work, release = repo["work"], repo["release"]
    new = release / "todo" / "result_mps.md"
    new.write_text(CUDA.replace("cuda", "mps").replace("6101", "7101")
                   .replace("### Untopiced\n", ""))
    sh("git", "add", str(new), cwd=work)
    out = run_cli("done", str(new), "--format", "json")
    data = json.loads(out.stdout)
    assert data["moved"] and data["audit"]["baseline"] is None
    (note,) = data["audit"]["notes"]
    assert "2.8.0/todo/result_mps.md is in no commit" in note and "--generated" in note
    assert sh("git", "show", "--name-status", "--format=", "HEAD", cwd=work).split() == \
        ["A", "2.8.0/done/result_mps.md"]
