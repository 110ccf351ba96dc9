"""The release folder as one object (relnotes.release) and release folders as they are.

Written from the cases where commands disagreed (issue 20): a relative ``history`` setting
worked in ``triage`` and not in ``review`` when run from another folder; ``audit``
ignored the ``miscategorized`` setting. And from issue 19: an empty ``done/placeholder.md``
(how 2.11.0 keeps done/ in git) stopped ``done``, ``final``, ``audit`` and ``lint``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from relnotes.config import Config
from relnotes.errors import UsageError
from relnotes.release import (
    ReleaseFolder,
    collect_worksheets,
    not_a_worksheet,
    release_of,
    scan_folder,
)
from relnotes.versions import Version
from tests.helpers import DATA, copy_data, run_cli
from tests.workflow_fixtures import LINK, MISC, WORKSHEET, decide, make_release

PLACEHOLDER = "placeholder.md"


def sh(*args: str, cwd: Path) -> str:
    return subprocess.run(args, cwd=cwd, check=True, capture_output=True, text=True).stdout


def git_repo(path: Path) -> Path:
    """``path`` as a git repository with everything in it committed."""
    sh("git", "init", "-q", "-b", "main", str(path), cwd=path.parent)
    for key, value in (("user.name", "Maintainer"), ("user.email", "m@example.com"),
                       ("commit.gpgsign", "false")):
        sh("git", "config", key, value, cwd=path)
    sh("git", "add", "-A", cwd=path)
    sh("git", "commit", "-q", "-m", "generated worksheets", cwd=path)
    return path


def mentions(output: str, name: str = PLACEHOLDER) -> int:
    return sum(line.count(name) for line in output.splitlines())


# ------------------------------------------------------------------------------ the object


def test_release_of_setting_then_folder(tmp_path: Path) -> None:
    sheet = tmp_path / "2.8.0" / "todo" / "result_nn.md"
    sheet.parent.mkdir(parents=True)
    assert release_of(sheet) == Version(2, 8, 0)
    assert release_of(sheet, "2.9.0") == Version(2, 9, 0)
    assert release_of(tmp_path / "notes" / "todo" / "x.md") is None


def test_built_from_any_path_inside_a_release(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    release = tmp_path / "2.8.0"
    deep = release / "todo" / "result_package" / "deploy.md"
    deep.parent.mkdir(parents=True)
    deep.write_text(WORKSHEET.replace("quantization", "package/deploy"))
    (release / "todo" / "result_fx.md").write_text(WORKSHEET.replace("quantization", "fx"))
    (release / "done").mkdir()
    (release / "done" / "result_mps.md").write_text(WORKSHEET.replace("quantization", "mps"))
    for start in (deep, release, release / "todo", release / "done",
                  release / "todo" / "result_package", release / "done" / "result_mps.md"):
        folder = ReleaseFolder.of(start)
        assert folder.root.resolve() == release.resolve(), start
        assert folder.version == Version(2, 8, 0) and folder.name == "2.8.0"
        assert folder.pool.resolve() == release.resolve() / "miscategorized.md"
        assert folder.domains() == {"fx": release / "todo" / "result_fx.md",
                                    "package/deploy": deep,
                                    "mps": release / "done" / "result_mps.md"}
    # paths keep the form they were given in: messages name files as the user does
    monkeypatch.chdir(tmp_path)
    assert ReleaseFolder.of("2.8.0/done/result_mps.md").root == Path("2.8.0")
    monkeypatch.chdir(release / "done")
    assert ReleaseFolder.from_cwd().root == Path("..")
    assert ReleaseFolder.of(".").done == Path("../done")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match="not in a release folder"):
        ReleaseFolder.from_cwd()
    with pytest.raises(UsageError, match="no such file or folder"):
        ReleaseFolder.of(tmp_path / "nowhere")


def test_path_settings_are_resolved_once_against_the_settings_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.relnotes]\nhistory = "h.json.gz"\nmiscategorized = "pools/misc.md"\n'
        'final_areas = "areas.toml"\nrelease = "2.9.1"\n')
    path = make_release(tmp_path / "notes")
    monkeypatch.chdir(path.parent)  # settings found from the worksheet, paths from the file
    folder = ReleaseFolder.of(path.name)
    assert folder.history == tmp_path / "h.json.gz"
    assert folder.pool == tmp_path / "pools" / "misc.md"
    assert folder.final_areas == tmp_path / "areas.toml"
    assert folder.version == Version(2, 9, 1)  # the setting wins over the folder name
    default = ReleaseFolder.of(path.parent.parent / "todo", config=Config())
    assert default.history is default.final_areas is None
    assert default.pool == path.parent.parent / "miscategorized.md"


def test_history_setting_works_in_triage_and_review_from_another_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 20: with ``history = "h.json.gz"`` and relnotes run from another folder,
    triage worked and review failed ("history file not found"). Both read it."""
    from relnotes.triage.history import build_history, write_history

    project = tmp_path / "project"
    path = make_release(project)
    past = copy_data(project / "todo", tmp_path / "past" / "done")  # a small history
    write_history(build_history([("9.9", project / "todo", past, None)]), project / "h.json.gz")
    (project / "pyproject.toml").write_text('[tool.relnotes]\nhistory = "h.json.gz"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    triaged = json.loads(run_cli("triage", str(path), "--offline", "--format", "json").stdout)
    reviewed = json.loads(run_cli("review", str(path), "--format", "json").stdout)
    assert len(triaged["worksheets"][0]["items"]) == len(reviewed["pending"]) == 4
    (project / "h.json.gz").unlink()  # and both say so when it is not there
    for command in (["triage", str(path), "--offline"], ["review", str(path)]):
        out = run_cli(*command, expect=2).output
        assert "history file not found" in out and str(project / "h.json.gz") in out


def test_audit_honours_the_miscategorized_setting(tmp_path: Path) -> None:
    """Issue 20: after ``apply`` filed #104 into ``pools/misc.md`` (the setting), ``audit
    --generated`` reported ``[lost] #104``: it read miscategorized.md beside todo/."""
    project = tmp_path / "project"
    path = make_release(project)
    (project / "pyproject.toml").write_text('[tool.relnotes]\nmiscategorized = "pools/misc.md"\n')
    generated = copy_data(project / "todo", tmp_path / "generated")
    decide(path, "pr:104", "domain", "miscategorized", domain="cuda")
    run_cli("apply", str(path))
    assert "#104" in (project / "pools" / "misc.md").read_text()
    assert not (project / "miscategorized.md").exists()
    out = run_cli("audit", str(project), "--generated", str(generated), "--format", "json")
    report = json.loads(out.stdout)
    assert report["ok"] and report["lost"] == [] and report["counts"]["miscategorized"] == 1


# ------------------------------------------------------------------- files that are none


@pytest.mark.parametrize(("text", "why"), [
    ("", "empty file"),
    ("\n  \n\t\n", "empty file"),
    ("# Done worksheets go here\n\nKeep this folder.\n", "no '##' heading and no list item"),
    ("<!-- keeps the folder in git -->\n", "no '##' heading and no list item"),
])
def test_what_is_no_worksheet(text: str, why: str) -> None:
    assert not_a_worksheet(text) == why


@pytest.mark.parametrize("text", [
    "## fx\n### bug fixes\n- Fix (#1)\n",
    "### bug fixes\n- Fix (#1)\n",                      # no domain heading: an error
    "- Fix (#1)\n",                                      # an item: never dropped
    "```\n## fx\n### bug fixes\n- Fix (#1)\n",           # unclosed fence: an error
    "# Release Notes worksheet fx\n",                    # a worksheet's title
    "1. Fix (#1)\n",
])
def test_what_is_parsed_and_reported_when_broken(text: str) -> None:
    assert not_a_worksheet(text) is None


def test_a_broken_worksheet_is_an_error_never_skipped(tmp_path: Path) -> None:
    release = tmp_path / "2.9.0"
    (release / "done").mkdir(parents=True)
    (release / "done" / "result_fx.md").write_text(
        f"## fx\n### bug fixes\n```python\n- Fix {LINK.format(n=1)}\n")
    (release / "done" / PLACEHOLDER).write_text("")
    scan = scan_folder(release / "done")
    assert scan.worksheets == [release / "done" / "result_fx.md"]
    assert list(scan.skipped) == [release / "done" / PLACEHOLDER]
    out = run_cli("lint", str(release / "done"), expect=1)
    assert f"{release / 'done' / 'result_fx.md'}:3: [parse-error] code fence" in out.stdout
    out = run_cli("final", str(release), "--output", str(tmp_path / "f.md"), expect=1)
    assert f"Error: {release / 'done' / 'result_fx.md'}:3: code fence" in out.stderr


def test_lint_takes_folders_and_files(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    (tmp_path / "done").mkdir()
    (tmp_path / "done" / PLACEHOLDER).write_text("\n")
    (tmp_path / "done" / "result_mps.md").write_text(WORKSHEET.replace("quantization", "mps"))
    scan = collect_worksheets([tmp_path, path])
    assert scan.worksheets == [tmp_path / "done" / "result_mps.md", path, path]
    out = run_cli("lint", str(tmp_path), expect=1)
    assert out.stderr.splitlines()[0] == "6 finding(s) in 2 file(s)"
    assert f"note: {tmp_path / 'done' / PLACEHOLDER}: skipped: empty file" in out.stderr
    assert mentions(out.output) == 1
    named = run_cli("lint", str(tmp_path / "done" / PLACEHOLDER), expect=1)  # a file named
    assert "[parse-error] empty file" in named.stdout


# ----------------------------------------------- a real release folder with a placeholder


def real_worksheets(kind: str) -> int:
    """Worksheets of the real 2.9.0 folder's todo/ or done/ (sub-folders too)."""
    return sum(1 for p in (DATA / "2.9.0" / kind).rglob("*.md") if p.name != "cherrypicks.md")


@pytest.fixture(scope="module")
def real_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the real 2.9.0 folder with an empty done/placeholder.md, as 2.11.0 has."""
    release = copy_data(DATA / "2.9.0", tmp_path_factory.mktemp("real") / "2.9.0")
    (release / "done" / PLACEHOLDER).write_text("")
    return release


def test_final_skips_the_placeholder_with_one_note(real_release: Path, tmp_path: Path) -> None:
    out = run_cli("final", str(real_release), "--output", str(tmp_path / "final.md"))
    assert (tmp_path / "final.md").read_text().startswith("# PyTorch 2.9.0 Release Notes")
    assert mentions(out.output) == 1 and "skipped: empty file, not a worksheet" in out.stderr


def test_final_check_skips_the_placeholder_with_one_note(real_release: Path) -> None:
    out = run_cli("final", "--check", str(real_release), "--format", "json", expect=None)
    assert out.exit_code in (0, 1) and "Error" not in out.stderr  # the real final.md's findings
    assert json.loads(out.stdout)["final"] == str(real_release / "final.md")
    assert mentions(out.output) == 1


def test_audit_skips_the_placeholder_with_one_note(real_release: Path) -> None:
    out = run_cli("audit", str(real_release), "--format", "json", expect=None)
    report = json.loads(out.stdout)
    assert not [f for f in report["findings"] if f["code"] == "parse-error"]
    assert report["files"]["done"] == real_worksheets("done")
    assert mentions(out.output) == 1  # in the report's notes (JSON), not on stderr too
    assert [n for n in report["notes"] if PLACEHOLDER in n] == [
        f"{real_release / 'done' / PLACEHOLDER}: skipped: empty file, not a worksheet"]
    text = run_cli("audit", str(real_release), expect=None)
    assert mentions(text.output) == 1


def test_lint_of_done_skips_the_placeholder_with_one_note(real_release: Path) -> None:
    out = run_cli("lint", str(real_release / "done"), expect=None)
    assert out.exit_code in (0, 1) and "parse-error" not in out.stdout
    assert f"in {real_worksheets('done')} file(s)" in out.stderr and mentions(out.output) == 1


def test_done_works_beside_a_placeholder(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    release = copy_data(DATA / "2.9.0", work / "2.9.0")
    (release / "done" / PLACEHOLDER).write_text("")
    git_repo(work)
    monkeypatch.chdir(work)
    name = "result_package.md"  # a todo-only worksheet with nothing left to sort
    assert not (release / "done" / name).exists()
    out = run_cli("done", f"2.9.0/todo/{name}")
    assert f"moved 2.9.0/todo/{name} -> 2.9.0/done/{name}" in out.stdout
    assert mentions(out.output) == 1
    assert "2.9.0/done/placeholder.md: skipped: empty file, not a worksheet" in out.stderr
    assert sh("git", "show", "--name-status", "--format=", "HEAD", cwd=work).split() == [
        "R100", f"2.9.0/todo/{name}", f"2.9.0/done/{name}"]


def test_eval_notes_a_skipped_file_once(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    (tmp_path / "done").mkdir()
    shutil.copyfile(path, tmp_path / "done" / path.name)
    (tmp_path / "done" / PLACEHOLDER).write_text("")
    out = run_cli("eval", "--todo", str(tmp_path / "todo"), "--done", str(tmp_path / "done"),
                  "--format", "json")
    assert json.loads(out.stdout)["triage"]["items"] == 4
    assert mentions(out.stderr) == 1 and "skipped, not a worksheet" not in out.stderr


def test_a_placeholder_in_the_committed_todo_is_no_parse_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The generated baseline (todo/ as first committed) skips files that are none too."""
    work = tmp_path / "work"
    path = make_release(work / "2.8.0", MISC)
    (work / "2.8.0" / "todo" / PLACEHOLDER).write_text("")
    git_repo(work)
    monkeypatch.chdir(work)
    folder = ReleaseFolder.of("2.8.0")
    baseline = folder.generated_baseline(Path(path.name), refs=["HEAD"])
    assert baseline.generated is not None and not baseline.generated.errors
    assert list(baseline.generated.worksheets) == [path.name]
    assert baseline.label is not None and "as first committed" in baseline.label


def test_a_worksheet_beside_todo_belongs_to_that_release(tmp_path: Path) -> None:
    """2.7.0/in-review/x.md is 2.7.0's: its pool and domains are the release's, not a
    folder of its own (review listed no domains; apply would have made a new pool)."""
    path = make_release(tmp_path / "2.7.0")
    review = tmp_path / "2.7.0" / "in-review"
    review.mkdir()
    (review / path.name).write_text(path.read_text())
    folder = ReleaseFolder.of(review / path.name)
    assert folder.root == tmp_path / "2.7.0"
    assert folder.pool == tmp_path / "2.7.0" / "miscategorized.md"
    assert "quantization" in folder.domains()


def test_a_pool_anywhere_maps_targets_to_the_releases_domains(tmp_path: Path) -> None:
    """`## CPU` in a pool the `miscategorized` setting puts in pools/ is `cpu (x86)`'s,
    as beside todo/: apply offered nothing to adopt there (the pool's own folder was read
    for domains), while audit and review read the release's."""
    from relnotes.miscategorized import read_pool

    release = tmp_path / "2.9.0"
    (release / "todo").mkdir(parents=True)
    sheet = release / "todo" / "result_cpu (x86).md"
    sheet.write_text("# Release Notes worksheet cpu (x86)\n\n## cpu (x86)\n### Untopiced\n")
    (tmp_path / "pools").mkdir()
    (tmp_path / "pools" / "misc.md").write_text(
        f"# Miscategorized commits\n\n## CPU\n- Faster gemm {LINK.format(n=7)}\n")
    (tmp_path / "pyproject.toml").write_text('[tool.relnotes]\nmiscategorized = "pools/misc.md"\n')
    folder = ReleaseFolder.of(sheet)
    offered = read_pool(folder).items_for(folder.read_worksheet(sheet).domain)
    assert [item.prs for item in offered] == [[7]]
