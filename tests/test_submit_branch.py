"""``submit`` on a pull-request branch other people commit to, and before it pushes.

Issue 19: a reviewer pushed "Apply suggestions from code review" (one title) to the
branch; the next ``submit --yes`` committed the old title back and its dry run said only
"updates <sha>". Their edits are kept (yours applied on top) or, where both of you
changed the same lines, the submission is refused with what they changed; the dry run
says which. GitHub is asked before anything is pushed; the body's check counts are true.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relnotes.worksheet import read_worksheet
from tests.github_server import RunningServer
from tests.helpers import run_cli
from tests.submit_fixtures import (
    BRANCH,
    CUDA,
    LINK,
    NAME,
    REPO,
    finished,
    local_state,
    push_commit,
    release_repo,
    remote_diff,
    sh,
    submit,
)

OLD_TITLE = f"[Quant] add per-channel observer {LINK.format(n=5102)}"
REVIEWED = f"Added a per-channel observer {LINK.format(n=5102)}"


def retitle(done: Path, key: str, title: str) -> None:
    ws = read_worksheet(done)
    ws.set_title(ws.find(key), title)
    done.write_text(ws.render())


def on_branch(remote: Path, path: str = f"2.8.0/done/{NAME}") -> str:
    return sh("git", "show", f"{BRANCH}:{path}", cwd=remote)


def review(remote: Path, clone: Path, old: str, new: str) -> str:
    """The reviewer's "Apply suggestions from code review" on the branch: ``old`` -> ``new``
    in the worksheet; returns the commit."""
    text = on_branch(remote)
    assert old in text
    push_commit(remote, clone, BRANCH, {f"2.8.0/done/{NAME}": text.replace(old, new)},
                author="Reviewer", message="Apply suggestions from code review")
    return sh("git", "rev-parse", BRANCH, cwd=remote).strip()


@pytest.fixture
def repo(tmp_path: Path, fake_github: RunningServer,
         monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    return release_repo(tmp_path, fake_github, monkeypatch)


def test_a_reviewers_commit_on_the_branch_is_kept_and_said(
        repo: dict[str, Path], fake_github: RunningServer, tmp_path: Path) -> None:
    work, release, remote = repo["work"], repo["release"], repo["remote"]
    done = finished(release)
    first = submit(done, "--yes")
    reviewed = review(remote, tmp_path / "reviewer", OLD_TITLE, REVIEWED)

    # the maintainer goes on with another item, not knowing of the review
    retitle(done, "pr:5103", f"Faster x86 lowering {LINK.format(n=5103)}")
    before = local_state(work)
    dry = submit(done)
    (other,) = dry["others"]
    assert other["commit"] == reviewed and other["author"] == "Reviewer"
    assert other["subject"] == "Apply suggestions from code review"
    assert other["files"] == [f"2.8.0/done/{NAME}"]
    assert dry["merged"] == [f"2.8.0/done/{NAME}"] and dry["conflicts"] == []
    text = run_cli("submit", str(done), "--repo", REPO).stdout
    assert "Reviewer: Apply suggestions from code review" in text and "kept" in text

    second = submit(done, "--yes")
    tip = sh("git", "rev-parse", BRANCH, cwd=remote).strip()
    assert second["pushed"] and second["pr_number"] == first["pr_number"]
    assert sh("git", "merge-base", "--is-ancestor", reviewed, tip, cwd=remote) == ""
    content = on_branch(remote)
    assert REVIEWED in content and OLD_TITLE not in content  # their title kept
    assert f"Faster x86 lowering {LINK.format(n=5103)}" in content  # yours on top
    assert "[Quant] add per-channel observer" in done.read_text()  # your copy untouched
    assert local_state(work) == before
    assert remote_diff(remote) == sorted([f"A\t2.8.0/done/{NAME}", f"D\t2.8.0/todo/{NAME}",
                                          "M\t2.8.0/miscategorized.md"])

    # nothing new here: nothing is pushed, and the reviewer's title is not reverted later
    third = submit(done, "--yes")
    assert not third["pushed"] and third["commit"] == tip and third["others"] == []
    retitle(done, "pr:5101", f"Fixed observer reset for good {LINK.format(n=5101)}")
    fourth = submit(done, "--yes")
    content = on_branch(remote)
    assert fourth["pushed"] and REVIEWED in content and "for good" in content


def test_both_changing_the_same_line_is_refused_with_what_they_changed(
        repo: dict[str, Path], fake_github: RunningServer, tmp_path: Path) -> None:
    work, release, remote = repo["work"], repo["release"], repo["remote"]
    done = finished(release)
    submit(done, "--yes")
    reviewed = review(remote, tmp_path / "reviewer", OLD_TITLE, REVIEWED)
    retitle(done, "pr:5102", f"Per-channel observers {LINK.format(n=5102)}")
    before = local_state(work)
    dry = submit(done, expect=1)
    (conflict,) = dry["conflicts"]
    assert reviewed[:12] in conflict and "Reviewer" in conflict
    assert f"2.8.0/done/{NAME}" in conflict
    line = done.read_text().splitlines().index(f"- Per-channel observers {LINK.format(n=5102)}")
    assert f"line {line + 1} of your copy" in conflict  # the lines
    assert "submitted:  - [Quant] add per-channel" in conflict
    assert f"the branch: - {REVIEWED}" in conflict
    assert "yours:      - Per-channel observers" in conflict
    assert "--branch NAME" in conflict and "git fetch" in conflict  # how to go on
    # the text says one true thing: not "their edits are kept" beside the refusal, and
    # each clash once (it was said on stdout and again on stderr)
    out = run_cli("submit", str(done), "--repo", REPO, expect=1)
    said = out.stdout + out.stderr
    assert "keeps:" not in said and "their edits are kept" not in said
    assert said.count("submitted:  - [Quant] add per-channel") == 1
    assert said.count("Apply suggestions from code review") == 1
    assert "not submitted:" in out.stderr
    for extra in ((), ("--force",)):
        out = run_cli("submit", str(done), "--repo", REPO, "--yes", *extra, expect=1)
        assert "Apply suggestions from code review" in out.stderr
        assert sh("git", "rev-parse", BRANCH, cwd=remote).strip() == reviewed
    assert local_state(work) == before

    # taking their title into the worksheet settles it: both made the same change, and
    # the branch already holds everything
    retitle(done, "pr:5102", REVIEWED)
    out = submit(done, "--yes")
    assert out["conflicts"] == [] and not out["pushed"] and out["commit"] == reviewed
    assert REVIEWED in on_branch(remote)


def test_reviewer_edits_are_kept_when_the_default_branch_moved(
        repo: dict[str, Path], fake_github: RunningServer, tmp_path: Path) -> None:
    release, remote = repo["release"], repo["remote"]
    done = finished(release)
    submit(done, "--yes")
    review(remote, tmp_path / "reviewer", OLD_TITLE, REVIEWED)
    push_commit(remote, tmp_path / "other", "master", {"2.8.0/done/result_cuda.md": CUDA})
    retitle(done, "pr:5103", f"Faster x86 lowering {LINK.format(n=5103)}")
    out = submit(done, "--yes")
    content = on_branch(remote)
    assert out["pushed"] and REVIEWED in content and "Faster x86 lowering" in content
    # still exactly the listed files against the moved master
    assert remote_diff(remote) == sorted([f"A\t2.8.0/done/{NAME}", f"D\t2.8.0/todo/{NAME}",
                                          "M\t2.8.0/miscategorized.md"])


def test_github_is_asked_before_anything_is_pushed(
        repo: dict[str, Path], fake_github: RunningServer, tmp_path: Path) -> None:
    work, release = repo["work"], repo["release"]
    done = finished(release)
    before = local_state(work)
    out = run_cli("submit", str(done), "--repo", "acme/no-such-repo", "--yes", expect=1)
    assert "acme/no-such-repo" in out.stderr and "404" in out.stderr
    assert "nothing was pushed" in out.stderr
    assert sh("git", "ls-remote", "--heads", str(repo["remote"]), BRANCH, cwd=work) == ""
    (work / "pyproject.toml").write_text(
        '[tool.relnotes]\napi_url = "http://127.0.0.1:9"\ntoken_env = "RELNOTES_E2E_TOKEN"\n')
    out = run_cli("submit", str(done), "--repo", REPO, "--yes", expect=1)
    assert "cannot connect" in out.stderr and "nothing was pushed" in out.stderr
    assert sh("git", "ls-remote", "--heads", str(repo["remote"]), BRANCH, cwd=work) == ""
    assert local_state(work)["head"] == before["head"] and fake_github.pulls == {}


def test_the_body_counts_passes_failures_and_skips(
        repo: dict[str, Path], fake_github: RunningServer) -> None:
    from relnotes.fileio import sidecar_path

    done = finished(repo["release"])
    sidecar_path(done, "check").parent.mkdir(exist_ok=True)
    sidecar_path(done, "check").write_text(json.dumps({"snippets": [
        {"line": 12, "verdict": "pass", "kind": None, "message": "ran without error"},
        {"line": 20, "verdict": "skip", "kind": "needs-cuda", "message": "needs cuSOLVER"}]}))
    out = submit(done, "--yes")
    body = fake_github.pulls[out["pr_number"]]["body"]
    assert "2 passed" not in body
    assert "| snippet checks | 1 passed, 0 failed |" in body
    assert "Snippet checks: 1 pass, 0 fail, 1 skip (needs-cuda: 1)" in body


def test_merge3_takes_each_sides_lines_and_finds_real_clashes() -> None:
    from relnotes.submit_branch import merge3

    base = "- a (#1)\n- b (#2)\n- c (#3)\n- d (#4)\n"
    # neighbouring bullets edited by each side: no clash (git merge-file would call it one)
    merged, clashes = merge3(base, base.replace("- b", "- B"), base.replace("- c", "- C"))
    assert (merged, clashes) == ("- a (#1)\n- B (#2)\n- C (#3)\n- d (#4)\n", [])
    # the same change on both sides, an insertion and a deletion
    ours = "- new (#5)\n- a (#1)\n- b (#2)\n- C (#3)\n- d (#4)\n"
    theirs = "- a (#1)\n- C (#3)\n- d (#4)\n"
    assert merge3(base, ours, theirs) == ("- new (#5)\n- a (#1)\n- C (#3)\n- d (#4)\n", [])
    # different insertions at one place, and one line changed two ways, clash (yours kept)
    merged, clashes = merge3(base, base + "- x (#6)\n", base + "- y (#7)\n")
    assert merged == base + "- x (#6)\n" and [c.line for c in clashes] == [5]
    merged, clashes = merge3(base, base.replace("- d", "- D1"), base.replace("- d", "- D2"))
    (clash,) = clashes
    assert (clash.line, clash.base, clash.ours, clash.theirs) == (
        4, ["- d (#4)\n"], ["- D1 (#4)\n"], ["- D2 (#4)\n"])
    # the line is where it is in your copy
    _, (moved,) = merge3(base, "- new (#0)\n" + base.replace("- d", "- D1"),
                         base.replace("- d", "- D2"))
    assert moved.line == 5
    # CRLF stays CRLF
    crlf = base.replace("\n", "\r\n")
    assert merge3(crlf, crlf.replace("- b", "- B"), crlf)[0] == crlf.replace("- b", "- B")
    # lines end at "\n" only, as the worksheet's lines do: a form feed or a line
    # separator inside a title is no line break (a clash on line 4 was reported at 5)
    odd = "- a (#1)\n- b\x0c more (#2)\n- c\u2028 more (#3)\n- d (#4)\n"
    merged, (clash,) = merge3(odd, odd.replace("- d", "- D1"), odd.replace("- d", "- D2"))
    assert clash.line == 4 and clash.base == ["- d (#4)\n"]
    assert merged == odd.replace("- d", "- D1")


def test_the_json_keys_are_the_ones_the_readme_lists(
        repo: dict[str, Path], fake_github: RunningServer) -> None:
    """The README's list left out ``summary.grouped`` and the ``snapshot`` key (which was
    there only when the branch held others' edits)."""
    import re

    from tests.helpers import REPO as SOURCE

    readme = (SOURCE / "README.md").read_text()
    doc = readme[readme.index("`relnotes submit FILE --format json`"):]
    doc = doc[:doc.index("\n")]
    plan, outcome = doc.split("plus the outcome with `--yes`")
    summary = plan[plan.index('`"summary"`: `{'):]
    summary = re.sub(r"\[\{[^\]]*\}\]", "", summary[:summary.index("}`")])  # nested shapes
    done = finished(repo["release"])
    dry, real = submit(done), submit(done, "--yes")
    assert set(dry) == set(re.findall(r'`"(\w+)"', plan))
    assert set(real) == set(dry) | set(re.findall(r'`"(\w+)"', outcome))
    assert set(dry["summary"]) == set(re.findall(r'"(\w+)"', summary)) - {"summary"}
    assert dry["snapshot"] is None and "grouped" in dry["summary"]
