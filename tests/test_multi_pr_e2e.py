"""Multi-PR bullets through the whole flow: done -> submit -> final (issue 17, part 3).

Maintainers write one bullet for several PRs of one change (issue 17 counts 118 such
bullets in the done/ files of 2.7.0-2.9.0). Reported on a 2.11.0 worksheet: a hand-written bullet ``(#171628, #163487)``
and a 4-PR deprecation bullet made ``submit``'s change table report "3 item(s) neither in
it nor in miscategorized.md" (while ``done``'s audit said 0 lost) and count 2 moves
instead of 6. Here the generated worksheet is made of real 2.9.0 releng items and the
finished one of the real 2.9.0 bullets that group them; every count must be true.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relnotes.fileio import read_text, split_lines
from relnotes.worksheet import read_worksheet
from tests.github_server import RunningServer
from tests.helpers import DATA, run_cli
from tests.workflow_fixtures import REPO, new_release, published

NAME = "result_releng.md"
TODO = DATA / "2.9.0" / "todo" / NAME
DONE = DATA / "2.9.0" / "done" / NAME
# real multi-PR bullets of 2.9.0/done/result_releng.md and the PRs they group
DEPRECATION = (161427, 162265, 162297, 160852)
WINDOWS = (148753, 161504)
B200 = (158011, 157341)
SENT = 161916  # "[CD] Add cuda 13.0 libtorch builds, ...": sent to the pool here
DROPPED = 158889  # "MI355X": dropped to not user facing here
MISC = """# Miscategorized commits

Welcome to the Pool of Miscategorized commits.

## Untopiced

## not user facing
"""


def _line_with(lines: list[str], pr: int) -> str:
    (line,) = [line for line in lines if f"/pull/{pr})" in line and line.startswith("- ")]
    return line


def _generated() -> str:
    """The real preamble and sections of 2.9.0's releng worksheet with only the real
    generated items of the chosen PRs, each in the section the generator put it."""
    lines = split_lines(read_text(TODO))
    wanted = {*DEPRECATION, *WINDOWS, *B200, SENT, DROPPED}
    out = []
    for line in lines:
        if line.startswith("- "):
            if any(f"/pull/{pr})" in line for pr in wanted):
                out.append(line)
        else:
            out.append(line)
    return "".join(out)


def _finished(generated: str) -> str:
    """What the maintainer wrote: the real grouped bullets (the Windows one in the short
    form of a hand-written bullet), the deprecation with its rationale, one item dropped;
    the item sent to the pool is gone from the worksheet."""
    done = split_lines(read_text(DONE))
    body = ("\n  Python 3.9 reached its end of life: CD builds and CI use Python 3.10 or "
            "newer.\n\n  no code: install Python 3.10 or newer\n\n")
    head = generated[:generated.index("### bc breaking")]
    return (head + "### bc breaking\n### deprecation\n" + _line_with(done, DEPRECATION[0])
            + body + "### new features\n### improvements\n"
            + "- Enable Windows ARM64 CI testing (#148753, #161504)\n"
            + "### bug fixes\n### performance\n" + _line_with(done, B200[0])
            + "### docs\n### devs\n### Untopiced\n### not user facing\n"
            + _line_with(split_lines(generated), DROPPED) + "### security\n")


@pytest.fixture
def release(tmp_path: Path, fake_github: RunningServer,
            monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    generated = _generated()

    remote, work = published(tmp_path, fake_github, monkeypatch, lambda work: new_release(
        work, "2.9.0", {NAME: generated}, MISC))
    return {"work": work, "remote": remote, "folder": work / "2.9.0"}


def test_grouped_bullets_go_through_done_submit_and_final_with_true_counts(
        release: dict[str, Path], fake_github: RunningServer) -> None:
    folder = release["folder"]
    todo = folder / "todo" / NAME
    generated = read_text(todo)
    assert len(read_worksheet(todo).items()) == 10  # one generated item per PR
    # the maintainer's work: the grouped bullets written, one item sent to the pool
    todo.write_text(_finished(generated))
    pool = read_text(folder / "miscategorized.md") + \
        f"\n## cuda (from releng)\n{_line_with(split_lines(generated), SENT)}"
    (folder / "miscategorized.md").write_text(pool)
    ws = read_worksheet(todo)
    grouped = [item for item in ws.items() if len(item.prs) > 1]
    assert [tuple(item.prs) for item in grouped] == [DEPRECATION, WINDOWS, B200]

    done = json.loads(run_cli("done", str(todo), "--format", "json").stdout)
    audit = done["audit"]
    assert done["moved"] and audit["ok"], audit
    assert audit["lost"] == [] and audit["duplicated"] == [] and audit["accounted"] == 10

    target = folder / "done" / NAME
    out = json.loads(run_cli("submit", str(target), "--repo", REPO, "--yes",
                             "--format", "json").stdout)
    summary = out["summary"]
    assert summary["removed"] == [] and summary["added"] == []
    assert summary["sent"] == [{"key": f"pr:{SENT}", "domain": "cuda"}]
    # every PR of a grouped bullet was a generated item of its own, moved from where the
    # generator put it (Untopiced or not user facing) into the bullet's section
    assert sorted(m["key"] for m in summary["moved"]) == sorted(
        f"pr:{pr}" for pr in (*DEPRECATION, *WINDOWS, *B200))
    assert summary["dropped"] == [f"pr:{DROPPED}"]
    assert [g["prs"] for g in summary["grouped"]] == [list(DEPRECATION), list(WINDOWS),
                                                      list(B200)]
    assert summary["entries"] == 1
    body = fake_github.pulls[out["pr_number"]]["body"]
    assert "| moved to another section | 8 |" in body, body
    assert "| items grouped into multi-PR bullets | 8 (in 3 bullets) |" in body
    assert "| sent to other domains (miscategorized.md) | 1 (cuda: 1) |" in body
    assert "neither in it nor in miscategorized.md" not in body

    built = json.loads(run_cli("final", str(folder), "--format", "json").stdout)
    assert built["self_check"]["ok"], built["self_check"]
    final = read_text(folder / "final.md")
    for pr in (*DEPRECATION, *WINDOWS, *B200):
        assert f"#{pr}" in final
    check = json.loads(run_cli("final", "--check", str(folder), "--format", "json").stdout)
    assert check["ok"] and check["missing"] == [] and check["extra"] == [], check
    # a hand edit that loses one PR of a grouped bullet is caught, with its bullet's place
    (folder / "final.md").write_text(final.replace(", #161504", "").replace("#161504", ""))
    lost = json.loads(run_cli("final", "--check", str(folder), "--format", "json",
                              expect=1).stdout)
    assert [m["pr"] for m in lost["missing"]] == [161504]

