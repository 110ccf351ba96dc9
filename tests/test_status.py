"""``relnotes status``: what is left across a release (issue 19)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from relnotes.fileio import sidecar_path
from relnotes.release import ReleaseFolder
from relnotes.status import release_status
from tests.helpers import run_cli
from tests.workflow_fixtures import LINK, WORKSHEET, decide, make_release

DONE = f"""# Release Notes worksheet mps

## mps
### bc breaking
- Removed `torch.mps.old` {LINK.format(n=301)}

  It was never documented.

  ```python
  # pytorch 2.7
  torch.mps.old()
  # pytorch 2.8
  torch.mps.new()
  ```
- Renamed the `x` argument {LINK.format(n=302)}

  Nobody used it.
### deprecation
- Deprecated `torch.mps.legacy` {LINK.format(n=303)}

  Use `torch.mps.modern`.

  no code: the replacement takes no arguments
### bug fixes
- Fix a kernel {LINK.format(n=304)}
### Untopiced
- Sort me {LINK.format(n=305)}
"""


@pytest.fixture
def release(tmp_path: Path) -> Path:
    """2.8.0: quantization in todo/ (one item decided), mps in done/ (three entries: code,
    no code, no code with a reason) beside an empty placeholder.md."""
    root = tmp_path / "2.8.0"
    path = make_release(root)
    decide(path, "pr:102", "accept", "new features")
    (root / "done").mkdir()
    (root / "done" / "result_mps.md").write_text(DONE)
    (root / "done" / "placeholder.md").write_text("")
    return root


def entries(report: dict[str, object], domain: str) -> dict[int, str]:
    (found,) = [d for d in report["domains"] if d["domain"] == domain]  # type: ignore[attr-defined]
    return {e["prs"][0]: e["state"] for e in found["entries"]}


def test_status_per_domain_and_totals(release: Path) -> None:
    report = release_status(ReleaseFolder.of(release)).to_json()
    assert [(d["domain"], d["state"], d["items"], d["untopiced"], d["unreviewed"])
            for d in report["domains"]] == [("mps", "done", 5, 1, None),
                                            ("quantization", "todo", 4, 3, 3)]
    assert entries(report, "mps") == {301: "unchecked", 302: "no-code", 303: "ok"}
    assert report["totals"] == {
        "domains": 2, "todo": 1, "done": 1, "set_aside": 0, "items": 9, "untopiced": 4,
        "unreviewed": 3, "entries": 3, "no_code": 1, "failing": 0, "unchecked": 1,
        "stale": 0, "ok": 1, "unreadable": 0}
    assert report["skipped"] == [{"file": str(release / "done" / "placeholder.md"),
                                  "why": "empty file"}]


def test_saved_checks_make_entries_failing_ok_or_stale(release: Path) -> None:
    done = release / "done" / "result_mps.md"
    check = sidecar_path(done, "check")
    check.parent.mkdir()
    check.write_text(json.dumps({"snippets": [
        {"line": 9, "verdict": "pass"}, {"line": 11, "verdict": "fail", "message": "boom"}]}))
    folder = ReleaseFolder.of(release)
    assert entries(release_status(folder).to_json(), "mps")[301] == "failing"
    check.write_text(json.dumps({"snippets": [{"line": 9, "verdict": "pass"},
                                              {"line": 11, "verdict": "skip"}]}))
    assert entries(release_status(folder).to_json(), "mps")[301] == "ok"
    later = check.stat().st_mtime + 10
    os.utime(done, (later, later))  # the worksheet changed after the check was saved
    assert entries(release_status(folder).to_json(), "mps")[301] == "stale"


def test_an_edited_item_is_unreviewed_again(release: Path) -> None:
    path = release / "todo" / "result_quantization.md"
    path.write_text(path.read_text().replace("[Quant] add foo", "[Quant] add foo and bar"))
    (quant,) = [d for d in release_status(ReleaseFolder.of(release)).domains
                if d.domain == "quantization"]
    assert quant.unreviewed == 4 and quant.decisions_file


def test_cli_text_json_and_the_release_from_the_working_directory(
        release: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = run_cli("status", str(release))
    lines = out.stdout.splitlines()
    assert lines[0] == f"2.8.0 ({release}): 1 of 2 domains done, 1 in todo/"
    assert lines[1].split() == ["domain", "state", "items", "untopiced", "unreviewed",
                                "entries", "no", "code", "failing", "unchecked"]
    assert lines[2].split() == ["mps", "done", "5", "1", "-", "3", "1", "0", "1"]
    assert lines[3].split() == ["quantization", "todo", "4", "3", "3", "0", "0", "0", "0"]
    assert lines[4].split() == ["total", "1/2", "done", "9", "4", "3", "3", "1", "0", "1"]
    assert out.stderr.count("placeholder.md") == 1
    monkeypatch.chdir(release / "done")
    data = json.loads(run_cli("status", "--format", "json").stdout)
    assert data["release"] == "2.8.0" and data["root"] == ".."
    assert data["domains"][0]["file"] == "../done/result_mps.md"
    monkeypatch.chdir(release.parent)
    assert "not in a release folder" in run_cli("status", expect=2).output


def test_an_unreadable_worksheet_is_named_and_exits_1(release: Path) -> None:
    (release / "todo" / "result_fx.md").write_text(
        WORKSHEET.replace("quantization", "fx") + "```\n")
    out = run_cli("status", str(release), expect=1)
    assert f"Error: {release / 'todo' / 'result_fx.md'}:14: code fence" in out.stderr
    assert out.stdout.splitlines()[2].split()[:3] == ["fx", "todo", "?"]


def test_a_folder_that_is_no_release_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# notes\n")
    out = run_cli("status", str(tmp_path), expect=2)
    assert "holds no todo/ or done/ folder" in out.stderr


def test_the_set_aside_file_is_not_work_left(release: Path) -> None:
    """result_skip.md is never finished: its row says so, and the totals (and review's
    domain list) are of the domains to finish."""
    (release / "todo" / "result_skip.md").write_text(
        "# Release Notes worksheet skip\n\n## skip\n### Untopiced\n"
        f"- Skipped {LINK.format(n=901)}\n- Skipped too {LINK.format(n=902)}\n")
    report = release_status(ReleaseFolder.of(release)).to_json()
    assert [d["state"] for d in report["domains"] if d["domain"] == "skip"] == ["set-aside"]
    totals = report["totals"]
    assert (totals["domains"], totals["set_aside"], totals["items"], totals["untopiced"]) \
        == (2, 1, 9, 4)  # as without the skip file
    from relnotes.review import known_domains

    assert "skip" not in known_domains(ReleaseFolder.of(release))
