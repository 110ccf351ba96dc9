"""The integrity audit: lost, duplicated, unfinished, revert pairs, entries, check results."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from relnotes.audit import audit
from relnotes.decisions import DecisionStore, apply_recorded
from relnotes.fileio import sidecar_path
from relnotes.release import ReleaseFolder
from relnotes.review import bulk_accept
from relnotes.worksheet import read_worksheet
from tests.helpers import DATA, copy_data, run_cli
from tests.workflow_fixtures import LINK, WORKSHEET

HEAD = "# Release Notes worksheet {d}\n\nInstructions.\n\n## {d}\n"


def sheet(domain: str, sections: dict[str, list[str]]) -> str:
    body = "".join(f"### {name}\n" + "".join(f"- {i}\n" for i in items)
                   for name, items in sections.items())
    return HEAD.format(d=domain) + body


CUDA = sheet("cuda", {"bug fixes": [f"Fix cuda {LINK.format(n=301)}"],
                      "Untopiced": [f"Speed up cuda {LINK.format(n=302)}"]})


@pytest.fixture
def release(tmp_path: Path) -> tuple[Path, Path]:
    """A release folder (todo/ with two worksheets, done/, misc) and its generated copy."""
    root = tmp_path / "2.8.0"
    (root / "todo").mkdir(parents=True)
    (root / "done").mkdir()
    (root / "todo" / "result_quantization.md").write_text(WORKSHEET)
    (root / "todo" / "result_cuda.md").write_text(CUDA)
    generated = tmp_path / "generated"
    shutil.copytree(root / "todo", generated)
    return root, generated


def codes(report) -> list[str]:
    return [f.code for f in report.findings]


def test_untouched_release_is_clean(release: tuple[Path, Path]) -> None:
    root, generated = release
    report = audit(ReleaseFolder.of(root), generated=generated)
    assert report.ok, report.findings
    assert report.generated_refs == 6 and report.accounted == 6
    assert report.counts == {"todo": 6}


def test_lost_item_is_found(release: tuple[Path, Path]) -> None:
    root, generated = release
    path = root / "todo" / "result_cuda.md"
    path.write_text(CUDA.replace(f"- Speed up cuda {LINK.format(n=302)}\n", ""))
    report = audit(ReleaseFolder.of(root), generated=generated)
    assert codes(report) == ["lost"] and report.lost == ["#302"]
    assert report.findings[0].file.endswith("generated/result_cuda.md")


def test_duplicate_in_misc_is_found_with_or_without_generated(release: tuple[Path, Path]) -> None:
    root, generated = release
    (root / "miscategorized.md").write_text(
        f"# Miscategorized commits\n\n## inductor (from cuda)\n- Fix cuda {LINK.format(n=301)}\n")
    for gen in (generated, None):
        report = audit(ReleaseFolder.of(root), generated=gen)
        assert codes(report) == ["duplicated"] and report.duplicated == ["#301"]


def test_generator_repeats_are_not_duplicates(release: tuple[Path, Path]) -> None:
    root, generated = release
    twice = CUDA + f"- Fix cuda {LINK.format(n=301)}\n"
    (generated / "result_cuda.md").write_text(twice)
    (root / "todo" / "result_cuda.md").write_text(twice)
    assert audit(ReleaseFolder.of(root), generated=generated).ok
    (root / "todo" / "result_cuda.md").write_text(twice + f"- again {LINK.format(n=301)}\n")
    assert audit(ReleaseFolder.of(root), generated=generated).duplicated == ["#301"]


def test_done_checks_untopiced_reverts_entries_and_check_results(
        release: tuple[Path, Path]) -> None:
    root, generated = release
    (root / "todo" / "result_cuda.md").unlink()
    done = root / "done" / "result_cuda.md"
    done.write_text(sheet("cuda", {
        "bc breaking": [f"Change cuda default {LINK.format(n=301)}"],
        "bug fixes": [f'Revert "Speed up cuda" {LINK.format(n=303)}'],
        "improvements": [f"Speed up cuda {LINK.format(n=302)}"],
        "Untopiced": [f"Something new {LINK.format(n=304)}"]}))
    report = audit(ReleaseFolder.of(root), generated=generated)
    found = codes(report)
    assert "untopiced" in found
    # a published revert is a problem; what it reverts, published, may have been relanded
    # under the same number (PyTorch does that): a note at its line, not a problem
    assert found.count("revert-pair") == 1
    assert any(n.startswith(f"{done}:") and "relanded?" in n for n in report.notes)
    assert "entry-no-rationale" in found and "entry-no-code" in found
    assert report.added == ["#303", "#304"]          # not generated: info, not a problem
    sidecar_path(done, "check").parent.mkdir()
    sidecar_path(done, "check").write_text(json.dumps({"snippets": [
        {"verdict": "pass", "line": 7}, {"verdict": "fail", "line": 9, "message": "boom"}]}))
    report = audit(ReleaseFolder.of(root), generated=generated)
    assert "check-failed" in codes(report)
    assert report.checks[str(done)] == {"results": 2, "failed": 1}
    (failed,) = [f for f in report.findings if f.code == "check-failed"]
    assert (failed.file, failed.line) == (str(done), 9)  # the snippet, not the ## heading
    assert failed.message == "snippet check failed: boom"
    # the same problems in todo/ are work in progress, not findings
    done.rename(root / "todo" / "result_cuda.md")
    assert codes(audit(ReleaseFolder.of(root), generated=generated)) == []


def test_non_domain_files(release: tuple[Path, Path]) -> None:
    root, generated = release
    # cherrypicks.md repeats PRs on purpose and is not a worksheet: never read
    (root / "done" / "cherrypicks.md").write_text(
        f"# cherry picks\n## bc breaking\n## bug fixes\n- Fix cuda {LINK.format(n=301)}\n")
    # result_skip.md stays in todo/ and keeps Untopiced items: counted, not checked
    skip = sheet("skip", {"Untopiced": [f"Skipped {LINK.format(n=401)}"]})
    (root / "todo" / "result_skip.md").write_text(skip)
    (generated / "result_skip.md").write_text(skip)
    report = audit(ReleaseFolder.of(root), generated=generated)
    assert report.ok, report.findings
    assert report.accounted == 7


def test_cli_exit_codes_and_json(release: tuple[Path, Path]) -> None:
    root, generated = release
    out = run_cli("audit", str(root), "--generated", str(generated), "--format", "json")
    data = json.loads(out.stdout)
    assert data["ok"] and data["accounted"] == data["generated_refs"] == 6
    (root / "todo" / "result_cuda.md").unlink()
    out = run_cli("audit", str(root), "--generated", str(generated), expect=1)
    assert "[lost]" in out.stdout and "2 lost" in out.stderr


@pytest.mark.slow
def test_every_confident_suggestion_on_all_of_2_8_0_keeps_every_pr_once(tmp_path: Path) -> None:
    """Acceptance: apply every confident suggestion to the real 2.8.0 worksheets."""
    from relnotes.triage import triage_worksheet
    from relnotes.triage.history import load_history

    source = DATA / "2.8.0"
    if not (source / "todo").is_dir():
        pytest.skip("real data not available")
    root = tmp_path / "2.8.0"
    copy_data(source / "todo", root / "todo")
    copy_data(source / "miscategorized.md", root / "miscategorized.md")
    (root / "done").mkdir()
    history = load_history()
    accepted = moved = sent = 0
    for path in sorted((root / "todo").glob("*.md")):
        ws = read_worksheet(path)
        sugs = triage_worksheet(ws, history=history)
        store = DecisionStore.for_worksheet(path)
        accepted += len(bulk_accept(sugs, store, threshold=0.9))
        # cross-domain suggestions are capped below 0.9; take them all as well, so items
        # really travel to miscategorized.md
        bulk_accept([s for s in sugs if s.section == "miscategorized"], store, threshold=0.0)
        report = apply_recorded(path)
        moved += len(report.result.moved) + len(report.result.dropped)
        sent += len(report.result.sent)
    assert accepted > 1000 and moved > 50 and sent > 10  # the suggestions really did things
    report = audit(ReleaseFolder.of(root), generated=source / "todo")
    assert report.ok, report.findings[:10]
    assert report.lost == [] and report.duplicated == []
    assert report.accounted == report.generated_refs > 3000
    assert report.counts["miscategorized"] == sent


def test_real_published_originals_of_reverts_do_not_stop_done(tmp_path: Path) -> None:
    """2.9.0's generated mps worksheet has #157488 and #162007 in improvements, both
    reverted and relanded in the release (a revert in result_skip.md names each; the
    maintainers published both): `done` on it must not be refused for that."""
    from tests.helpers import DATA, copy_data

    root = tmp_path / "2.9.0"
    copy_data(DATA / "2.9.0" / "todo" / "result_mps.md", root / "done" / "result_mps.md")
    copy_data(DATA / "2.9.0" / "todo" / "result_skip.md", root / "todo" / "result_skip.md")
    report = audit(ReleaseFolder.of(root))
    assert [f for f in report.findings if f.code == "revert-pair"] == []
    relanded = [n for n in report.notes if "relanded?" in n]
    assert len(relanded) >= 2 and all("result_mps.md" in n for n in relanded)


def test_a_revert_github_pairs_is_the_problem_whatever_its_title(tmp_path: Path) -> None:
    """PR metadata says #2 reverts #1 though its title is no "Revert ...": the revert is
    the problem (stops done), what it reverts a note. The side comes from the pairing."""
    from types import SimpleNamespace

    done = tmp_path / "2.8.0" / "done"
    done.mkdir(parents=True)
    (done / "result_cuda.md").write_text(sheet("cuda", {
        "new features": [f"Add foo {LINK.format(n=1)}"],
        "bug fixes": [f'Back out the foo change {LINK.format(n=2)}']}))
    meta = {2: SimpleNamespace(reverts=[1])}
    report = audit(ReleaseFolder.of(tmp_path / "2.8.0"), metadata=meta)
    (finding,) = [f for f in report.findings if f.code == "revert-pair"]
    assert finding.line == 9  # the "Back out" line
    assert any(":7: " in n and "relanded?" in n for n in report.notes)


def test_saved_check_results_count_verdicts_and_skip_kinds(tmp_path: Path) -> None:
    """One reader of ``check --save``'s sidecar for audit, status and submit: submit had
    its own copy (the same file read twice per plan, its error text copied) for the
    verdict and skip-kind counts of its body."""
    from relnotes.audit import read_check_results
    from relnotes.errors import WorksheetError

    ws = tmp_path / "result_fx.md"
    ws.write_text(CUDA)
    assert read_check_results(ws) is None
    sidecar_path(ws, "check").parent.mkdir(exist_ok=True)
    sidecar_path(ws, "check").write_text(json.dumps({"snippets": [
        {"line": 12, "verdict": "pass", "kind": None, "message": "ran"},
        {"line": 14, "verdict": "fail", "kind": "snippet-bug", "message": "NameError: m"},
        {"line": 20, "verdict": "skip", "kind": "needs-cuda", "message": "cuSOLVER"},
        {"line": 30, "verdict": "skip", "kind": None, "message": "?"},
        {"line": 40, "verdict": "skip", "kind": "needs-cuda", "message": "cuBLAS"}]}))
    checks = read_check_results(ws)
    assert checks is not None and checks.total == 5
    assert (checks.passed, len(checks.failed), checks.skipped) == (1, 1, 3)
    assert checks.skip_kinds == {"needs-cuda": 2, "other": 1}
    assert checks.summary() == "Snippet checks: 1 pass, 1 fail, 3 skip (needs-cuda: 2, other: 1)"
    sidecar_path(ws, "check").write_text("{")
    with pytest.raises(WorksheetError, match="check results are not JSON"):
        read_check_results(ws)
