"""Writing a worksheet and its pool(s): a failed write may double an item, never lose one."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import relnotes.apply
from relnotes.apply import Decision, apply_decisions, take_from_pool, write_changes
from relnotes.decisions import apply_recorded
from relnotes.errors import WorksheetError
from relnotes.miscategorized import read_miscategorized
from relnotes.worksheet import read_worksheet
from tests.workflow_fixtures import LINK, MISC, WORKSHEET, decide, make_release

ALL = {101, 102, 103, 104, 201, 202}


def prs_on_disk(*paths: Path) -> Counter[int]:
    """How often each PR is linked in the files (the audit's view of the release)."""
    found: Counter[int] = Counter()
    for path in paths:
        if path.exists():
            found.update(int(n) for n in re.findall(r"\[#(\d+)\]", path.read_text()))
    return found


def failing_on(call: int, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make the ``call``-th atomic_write of relnotes.apply raise; return the paths written."""
    real: Callable[..., Any] = relnotes.apply.atomic_write
    calls: list[str] = []

    def flaky(path: Any, text: Any, **kw: Any) -> Any:
        calls.append(str(path))
        if len(calls) == call:
            raise OSError(28, "No space left on device")
        return real(path, text, **kw)

    monkeypatch.setattr(relnotes.apply, "atomic_write", flaky)
    return calls


@pytest.mark.parametrize("call", [1, 2, 3])
def test_apply_that_sends_and_adopts_loses_nothing_when_a_write_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: int) -> None:
    path = make_release(tmp_path, MISC)
    pool = tmp_path / "miscategorized.md"
    decide(path, "pr:104", "domain", "miscategorized", domain="cuda")  # sent to the pool
    decide(path, "pr:103", "accept", "not user facing")
    calls = failing_on(call, monkeypatch)
    with pytest.raises(WorksheetError, match="cannot write.*No item is lost"):
        apply_recorded(path, adopt=["all"])           # and pr:201 adopted from it
    assert len(calls) == call
    found = prs_on_disk(path, pool)
    assert set(found) == ALL, f"lost: {ALL - set(found)}"
    # the decisions were not marked applied: running again finishes the job
    monkeypatch.undo()
    apply_recorded(path, adopt=["all"])
    assert prs_on_disk(path, pool) == Counter(ALL)


def test_apply_writes_pool_additions_then_worksheet_then_pool_removals(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_release(tmp_path, MISC)
    decide(path, "pr:104", "domain", "miscategorized", domain="cuda")
    calls = failing_on(0, monkeypatch)  # never fails, records the order
    report = apply_recorded(path, adopt=["all"])
    pool = str(tmp_path / "miscategorized.md")
    assert calls == [pool, str(path), pool]
    assert prs_on_disk(path, Path(pool)) == Counter(ALL)
    # the backup of the pool is the file before apply, not the intermediate state
    (pool_backup,) = (tmp_path / ".relnotes").glob("miscategorized.md.*.bak")
    (sheet_backup,) = (path.parent / ".relnotes").glob(path.name + ".*.bak")
    assert pool_backup.read_text() == MISC
    assert sorted(report.backups) == sorted([str(pool_backup), str(sheet_backup)])


def test_several_worksheets_share_one_pool(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``triage --write`` case: two worksheets send items to one pool."""
    path = make_release(tmp_path, MISC)
    other = tmp_path / "todo" / "result_cuda.md"
    other.write_text(f"# w\n\n## cuda\n### Untopiced\n- [Quant] thing {LINK.format(n=301)}\n")
    pool_path = tmp_path / "miscategorized.md"
    for call in (1, 2, 3, None):
        ws_a, ws_b = read_worksheet(path), read_worksheet(other)
        pool = read_miscategorized(pool_path)
        apply_decisions(ws_a, [Decision("pr:104", "miscategorized", "cuda")], misc=pool)
        apply_decisions(ws_b, [Decision("pr:301", "miscategorized", "quantization")],
                        misc=pool)
        take_from_pool(ws_a, pool.items_for("quantization")[0])
        calls = failing_on(call or 0, monkeypatch)
        if call is None:
            written = write_changes([ws_a, ws_b], [pool],
                                    taken=[pool.items_for("quantization")[0]])
            assert calls == [str(pool_path), str(path), str(other), str(pool_path)]
            assert written.paths == [pool_path, path, other, pool_path]
        else:
            with pytest.raises(WorksheetError):
                write_changes([ws_a, ws_b], [pool], taken=[pool.items_for("quantization")[0]])
        found = prs_on_disk(path, other, pool_path)
        assert set(found) == ALL | {301}
        monkeypatch.undo()
        # start again from the files as they are: nothing sent twice, nothing lost
        path.write_text(WORKSHEET)
        other.write_text(f"# w\n\n## cuda\n### Untopiced\n- [Quant] thing "
                         f"{LINK.format(n=301)}\n")
        pool_path.write_text(MISC)


def test_write_changes_dry_run_writes_nothing(tmp_path: Path) -> None:
    path = make_release(tmp_path, MISC)
    ws, pool = read_worksheet(path), read_miscategorized(tmp_path / "miscategorized.md")
    item = pool.items_for("quantization")[0]
    take_from_pool(ws, item)
    written = write_changes([ws], [pool], taken=[item], dry_run=True)
    assert written.paths == [path, tmp_path / "miscategorized.md"]
    assert "-- Quantized cuda kernel" in written.diff and "+- Quantized cuda kernel" in written.diff
    assert path.read_text() == WORKSHEET


def test_unchanged_documents_are_not_written(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_release(tmp_path)
    calls = failing_on(0, monkeypatch)
    ws = read_worksheet(path)
    assert write_changes([ws], [read_miscategorized(tmp_path / "miscategorized.md")]).paths == []
    assert calls == [] and not (tmp_path / "miscategorized.md").exists()


# Needs the lead's half: Miscategorized.remove dropping a relnotes-made group it empties.
def test_adoption_leaves_no_empty_group(tmp_path: Path) -> None:
    path = make_release(tmp_path, MISC)
    apply_recorded(path, adopt=["all"])
    text = (tmp_path / "miscategorized.md").read_text()
    assert "## quantization (from cuda)" not in text
    assert "## inductor (from cuda)" in text
    assert [i.key for i in read_miscategorized(tmp_path / "miscategorized.md").items()] == [
        "pr:202"]


def test_a_read_only_pool_is_refused_before_the_worksheet_is_written(tmp_path: Path) -> None:
    import stat

    path = make_release(tmp_path, MISC)
    decide(path, "pr:104", "domain", "miscategorized", domain="cuda")
    pool = tmp_path / "miscategorized.md"
    pool.chmod(stat.S_IRUSR)
    before = (path.read_text(), pool.read_text())
    with pytest.raises(WorksheetError) as err:
        apply_recorded(path, adopt=["all"])
    assert err.value.file == str(pool) and "read-only" in err.value.message
    assert (path.read_text(), pool.read_text()) == before


# --- issue 19: apply of many decisions is linear and says how far it got -----------------


def test_remove_many_is_remove_one_by_one(tmp_path: Path) -> None:
    """One pass per section gives exactly what removing the items one at a time gives, in
    file order or any other (real curated files: bodies, blank-separated entries)."""
    import random

    from tests.helpers import data_files

    files = data_files("2.7.0/done/result_*.md", "2.8.0/done/result_*.md",
                       "2.9.0/todo/result_*.md")
    assert len(files) > 60
    for n, path in enumerate(files):
        rng = random.Random(n)
        batched, single = read_worksheet(path), read_worksheet(path)
        picks = [i for i in range(len(batched.items())) if rng.random() < 0.4]
        batched.remove_many([batched.items()[i] for i in picks])
        items = single.items()
        rng.shuffle(picks)
        for i in picks:
            single.remove(items[i])
        assert batched.render() == single.render(), path
        assert all(item.section is None for item in items if items.index(item) in picks)


def _big_release(tmp_path: Path, n: int) -> Path:
    lines = ["# Release Notes worksheet quantization", "", "## quantization", "### Untopiced"]
    lines += [f"- item {i} {LINK.format(n=100000 + i)}" for i in range(n)]
    (tmp_path / "todo").mkdir(parents=True)
    path = tmp_path / "todo" / "result_quantization.md"
    path.write_text("\n".join(lines) + "\n### not user facing\n", encoding="utf-8")
    return path


def test_apply_reports_its_progress(tmp_path: Path) -> None:
    from relnotes.decisions import DecisionStore, Record

    path = _big_release(tmp_path, 2500)
    ws = read_worksheet(path)
    DecisionStore.for_worksheet(path).put_many(
        Record(key=i.key, hash=i.text_hash, action="section",
               section="bug fixes" if n % 3 else "not user facing")
        for n, i in enumerate(ws.items()))
    calls: list[tuple[str, int, int]] = []
    report = apply_recorded(path, progress=lambda *a: calls.append(a))
    assert len(report.result.moved) + len(report.result.dropped) == 2500
    assert calls == [("decisions", 1000, 2500), ("decisions", 2000, 2500),
                     ("decisions", 2500, 2500), ("write", 0, 1), ("write", 1, 1)]


def test_cli_apply_of_many_decisions_shows_progress_on_stderr(tmp_path: Path) -> None:
    path = _big_release(tmp_path, 1200)
    from tests.helpers import run_cli

    run_cli("review", str(path), "--offline", "--accept-above", "0", "--format", "json")
    out = run_cli("apply", str(path), "--no-adopt")
    assert "apply: decisions 1200/1200" in out.stderr
    assert "apply: write 1/1" in out.stderr and "apply:" not in out.stdout
    # a small apply stays quiet
    small = make_release(tmp_path / "small")
    decide(small, "pr:101", "reject", "bug fixes")
    assert "apply:" not in run_cli("apply", str(small), "--no-adopt").stderr


def test_progress_lines_at_most_once_a_second_off_a_terminal() -> None:
    import io

    from relnotes.cli.progress import StageProgress

    now = [0.0]
    stream = io.StringIO()
    bar = StageProgress("apply", items=5000, stream=stream, clock=lambda: now[0])
    for done in range(1000, 5001, 1000):
        now[0] += 0.6
        bar("decisions", done, 5000)
    assert stream.getvalue().splitlines() == [
        "apply: decisions 2000/5000", "apply: decisions 4000/5000", "apply: decisions 5000/5000"]
    quiet = io.StringIO()
    StageProgress("apply", items=999, stream=quiet)("decisions", 999, 999)
    assert quiet.getvalue() == ""
