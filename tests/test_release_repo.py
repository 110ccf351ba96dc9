"""The ``repo`` setting says whose PR numbers a release's files link; every command that
reads the release folder reads them so (the audit, status and submit took pytorch's)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import run_cli

FORK = "https://github.com/acme/fork/pull/{n}"


def _release(tmp_path: Path) -> tuple[Path, Path]:
    generated = tmp_path / "generated"
    generated.mkdir()
    head = "# Release Notes worksheet widgets\n\n## widgets\n"
    (generated / "result_widgets.md").write_text(
        head + "### Untopiced\n"
        f"- Add frobnicate ([#5]({FORK.format(n=5)}))\n"
        f"- Fix a typo ([#6]({FORK.format(n=6)}))\n")
    release = tmp_path / "3.0.0"
    (release / "done").mkdir(parents=True)
    (release / "done" / "result_widgets.md").write_text(
        head + "### new features\n"
        f"- `frobnicate` turns widgets inside out ([#5]({FORK.format(n=5)}))\n"
        "### not user facing\n"
        f"- Fix a typo ([#6]({FORK.format(n=6)}))\n")
    (tmp_path / "pyproject.toml").write_text('[tool.relnotes]\nrepo = "acme/fork"\n')
    return release, generated


def test_audit_reads_pr_numbers_of_the_repo_setting(tmp_path: Path) -> None:
    release, generated = _release(tmp_path)
    out = run_cli("audit", str(release), "--generated", str(generated), "--format", "json")
    report = json.loads(out.stdout)
    assert report["ok"] and report["lost"] == []
    assert "2 of 2 generated PRs accounted for" in report["summary"]
    # the same files read as pytorch/pytorch's link no PR at all: nothing to account for
    (tmp_path / "pyproject.toml").write_text('[tool.relnotes]\nrepo = "pytorch/pytorch"\n')
    out = run_cli("audit", str(release), "--generated", str(generated), "--format", "json",
                  expect=1)
    assert [f["code"] for f in json.loads(out.stdout)["findings"]] == ["no-generated"]


def test_status_names_the_repo_settings_prs(tmp_path: Path) -> None:
    release, _ = _release(tmp_path)
    sheet = release / "done" / "result_widgets.md"
    sheet.write_text(sheet.read_text().replace(
        "### new features\n", f"### bc breaking\n- Remove `wobble` ([#7]({FORK.format(n=7)}))\n"
        "### new features\n"))
    data = json.loads(run_cli("status", str(release), "--format", "json").stdout)
    (widgets,) = data["domains"]
    assert [e["prs"] for e in widgets["entries"]] == [[7]]  # read as pytorch's: []


def test_review_lists_the_repo_settings_prs(tmp_path: Path) -> None:
    _, generated = _release(tmp_path)
    todo = tmp_path / "3.0.0" / "todo"
    todo.mkdir()
    (todo / "result_widgets.md").write_text((generated / "result_widgets.md").read_text())
    out = run_cli("review", str(todo / "result_widgets.md"), "--offline", "--format", "json")
    assert sorted(pr for item in json.loads(out.stdout)["pending"] for pr in item["prs"]) \
        == [5, 6]
