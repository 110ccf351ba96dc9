"""The decisions sidecar and ``apply``: placement, retitling, sending, adoption, staleness."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relnotes.decisions import (
    DecisionStore,
    apply_recorded,
    safe_title,
    to_decisions,
)
from relnotes.errors import WorksheetError
from relnotes.fileio import sidecar_path
from relnotes.miscategorized import read_miscategorized
from relnotes.worksheet import read_worksheet
from tests.helpers import run_cli
from tests.workflow_fixtures import LINK, MISC, WORKSHEET, decide, make_release


def test_sidecar_beside_worksheet(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    assert sidecar_path(path, "decisions") == tmp_path / "todo" / ".relnotes" / "result_quantization.decisions.json"
    decide(path, "pr:102", "section", "new features")
    data = json.loads(sidecar_path(path, "decisions").read_text())
    assert data["decisions"]["pr:102"]["section"] == "new features"
    assert data["decisions"]["pr:102"]["hash"] == read_worksheet(path).find("pr:102").text_hash
    again = DecisionStore.for_worksheet(path)
    assert again.get("pr:102").action == "section"


def test_broken_sidecar_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    sidecar_path(path, "decisions").parent.mkdir()
    sidecar_path(path, "decisions").write_text("{not json")
    with pytest.raises(WorksheetError, match="decisions"):
        DecisionStore.for_worksheet(path)


def test_pending_until_decided_and_again_after_an_edit(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    store = DecisionStore.for_worksheet(path)
    assert [i.key for i in store.pending(read_worksheet(path).items())] == [
        "pr:101", "pr:102", "pr:103", "pr:104"]
    decide(path, "pr:102", "accept", "new features")
    store = DecisionStore.for_worksheet(path)
    assert "pr:102" not in [i.key for i in store.pending(read_worksheet(path).items())]
    path.write_text(WORKSHEET.replace("add foo", "add foo and more"), encoding="utf-8")
    assert "pr:102" in [i.key for i in store.pending(read_worksheet(path).items())]


def test_safe_title_keeps_exactly_the_same_references(tmp_path: Path) -> None:
    item = read_worksheet(make_release(tmp_path)).find("pr:102")
    assert safe_title(item, "Add foo (#102)") == "Add foo (#102)"
    assert safe_title(item, "Add foo") is None                 # lost the PR
    assert safe_title(item, "Add foo (#99, #102)") is None      # gained one
    assert safe_title(item, "Add foo [#99](https://github.com/pytorch/pytorch/pull/99) "
                            "(#102)") is None                   # gained a link
    # a number the title only mentions is not the item's PR (relnotes.prrefs)
    assert safe_title(item, "Add foo, see #99 (#102)") == "Add foo, see #99 (#102)"
    assert safe_title(item, "two\nlines (#102)") is None
    assert safe_title(item, item.title) is None                 # no change


def test_apply_moves_drops_sends_retitles_and_backs_up(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    decide(path, "pr:102", "accept", "new features", title="Add `foo` (#102)")
    decide(path, "pr:103", "accept", "not user facing")
    decide(path, "pr:104", "domain", "miscategorized", domain="cuda")
    decide(path, "pr:101", "reject", "bug fixes")
    report = apply_recorded(path)
    assert report.written
    assert [m["key"] for m in report.result.moved] == ["pr:102"]
    assert report.result.dropped == ["pr:103"]
    assert report.result.sent == [{"key": "pr:104", "domain": "cuda"}]
    assert report.result.retitled == ["pr:102"]
    ws = read_worksheet(path)
    assert ws.find("pr:102").section.category == "new features"
    assert ws.find("pr:102").title == "Add `foo` (#102)"
    assert ws.find("pr:103").section.category == "not user facing"
    assert ws.find("pr:101").section.category == "bug fixes"
    assert ws.find("pr:104") is None
    misc = read_miscategorized(tmp_path / "miscategorized.md")
    assert [i.key for i in misc.items_for("cuda")] == ["pr:104"]
    assert misc.group("cuda (from quantization)") is not None
    (backup,) = (tmp_path / "todo" / ".relnotes").glob("result_quantization.md.*.bak")
    assert backup.read_text() == WORKSHEET
    # applied decisions are not pending again (the retitled item has a new hash)
    store = DecisionStore.for_worksheet(path)
    assert [i.key for i in store.pending(ws.items())] == []
    assert all(r.applied for r in store.records.values())
    assert report.result.unchanged == ["pr:101"]  # the reject: decided, left where it was
    # applying again changes nothing
    before = path.read_text()
    again = apply_recorded(path)
    assert not again.written and path.read_text() == before


def test_applied_decision_does_not_undo_a_later_hand_move(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    decide(path, "pr:102", "section", "new features")
    apply_recorded(path)
    ws = read_worksheet(path)
    ws.move(ws.find("pr:102"), "improvements")
    path.write_text(ws.render())
    apply_recorded(path)
    assert read_worksheet(path).find("pr:102").section.category == "improvements"


def test_edited_item_is_stale_and_not_applied(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    decide(path, "pr:102", "section", "new features")
    path.write_text(WORKSHEET.replace("add foo", "add foo (edited)"), encoding="utf-8")
    decisions, stale = to_decisions(read_worksheet(path), DecisionStore.for_worksheet(path))
    assert decisions == [] and stale == ["pr:102"]
    report = apply_recorded(path)
    assert report.stale == ["pr:102"] and not report.written
    assert read_worksheet(path).find("pr:102").section.category == "Untopiced"


def test_adoption_only_when_asked(tmp_path: Path) -> None:
    path = make_release(tmp_path, MISC)
    report = apply_recorded(path)
    assert report.adopted == [] and read_worksheet(path).find("pr:201") is None
    out = run_cli("apply", str(path), "--format", "json")
    data = json.loads(out.stdout)
    assert data["offered"] == [{"key": "pr:201", "title": f"Quantized cuda kernel {LINK.format(n=201)}"}]
    out = run_cli("apply", str(path), "--adopt", "all", "--format", "json")
    assert json.loads(out.stdout)["adopted"] == ["pr:201"]
    ws = read_worksheet(path)
    assert ws.find("pr:201").section.category == "Untopiced"
    misc = read_miscategorized(tmp_path / "miscategorized.md")
    assert [i.key for i in misc.items()] == ["pr:202"]


def test_apply_cli_dry_run_writes_nothing(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    decide(path, "pr:103", "accept", "not user facing")
    out = run_cli("apply", str(path), "--dry-run")
    assert "would write" in out.stdout and "1 dropped" in out.stdout
    assert path.read_text() == WORKSHEET


# --- issue 11, apply: counts that say what happened, the diff, no decisions file ----------

def test_apply_counts_kept_items_and_where_the_rest_stand(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    decide(path, "pr:101", "reject", "bug fixes")
    decide(path, "pr:102", "section", "new features")
    out = run_cli("apply", str(path))
    assert ("written: 1 moved, 0 dropped, 0 sent to other domains, 0 retitled, 1 unchanged; "
            "4 items, 2 without a decision") in out.stdout
    decide(path, "pr:103", "accept", "not user facing")
    out = run_cli("apply", str(path))
    assert ("written: 0 moved, 1 dropped, 0 sent to other domains, 0 retitled, 0 unchanged; "
            "4 items, 2 applied by an earlier run, 1 without a decision") in out.stdout
    out = run_cli("apply", str(path))
    assert "nothing written: 0 moved" in out.stdout and "3 applied by an earlier run" in out.stdout


def test_apply_without_decisions_says_so_and_writes_nothing(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    out = run_cli("apply", str(path))
    assert "written:" not in out.stdout.replace("nothing written:", "")
    assert "no decisions recorded" in out.stdout and "relnotes review" in out.stdout
    assert "nothing written" in out.stdout and "4 without a decision" in out.stdout
    assert path.read_text() == WORKSHEET and not (tmp_path / "miscategorized.md").exists()
    data = json.loads(run_cli("apply", str(path), "--format", "json").stdout)
    assert data["has_decisions"] is False and data["written"] is False


def test_apply_dry_run_shows_the_diff(tmp_path: Path) -> None:
    path = make_release(tmp_path, MISC)
    decide(path, "pr:103", "accept", "not user facing")
    decide(path, "pr:104", "domain", "miscategorized", domain="cuda")
    before_misc = (tmp_path / "miscategorized.md").read_text()
    out = run_cli("apply", str(path), "--dry-run", "--adopt", "all")
    diff = out.stdout
    assert f"--- {path}\n+++ {path}\n" in diff
    misc = tmp_path / "miscategorized.md"
    assert f"--- {misc}\n+++ {misc}\n" in diff
    assert f"-- [CUDA] speed up baz {LINK.format(n=104)}" in diff   # out of the worksheet
    assert f"+- [CUDA] speed up baz {LINK.format(n=104)}" in diff   # into the pool
    assert "+## cuda (from quantization)" in diff
    assert f"-- Quantized cuda kernel {LINK.format(n=201)}" in diff  # adopted: out of the
    assert f"+- Quantized cuda kernel {LINK.format(n=201)}" in diff  # pool, into Untopiced
    assert "would write: 0 moved, 1 dropped, 1 sent to other domains" in diff
    assert path.read_text() == WORKSHEET
    assert (tmp_path / "miscategorized.md").read_text() == before_misc
    assert not sidecar_path(path, "decisions").with_name("x").exists()
    assert DecisionStore.for_worksheet(path).get("pr:103").applied is False


def test_adopt_of_an_unknown_key_is_reported(tmp_path: Path) -> None:
    path = make_release(tmp_path, MISC)
    out = run_cli("apply", str(path), "--adopt", "pr:999")
    assert "pr:999: not in" in out.stderr
    data = json.loads(run_cli("apply", str(path), "--adopt", "pr:999", "--format",
                              "json").stdout)
    assert data["not_adopted"] == ["pr:999"] and data["adopted"] == []


def test_worksheet_in_a_sub_folder_uses_the_release_pool_and_domains(tmp_path: Path) -> None:
    """``2.7.0/todo/result_package/deploy.md`` (real): its pool is the release's, not one
    inside todo/, and the domains it can send to are the whole release's."""
    from relnotes.release import ReleaseFolder, release_parts
    from relnotes.review import known_domains

    make_release(tmp_path, MISC)
    sub = tmp_path / "todo" / "result_package" / "deploy.md"
    sub.parent.mkdir()
    sub.write_text(WORKSHEET.replace("quantization", "package/deploy"), encoding="utf-8")
    assert release_parts(sub) == (tmp_path.resolve(), "todo",
                                  Path("result_package/deploy.md"))
    assert release_parts(tmp_path / "done" / "x.md")[:2] == (tmp_path.resolve(), "done")
    assert release_parts(tmp_path / "loose.md") == (tmp_path.resolve(), None,
                                                    Path("loose.md"))
    assert ReleaseFolder.of(sub).pool.resolve() == tmp_path.resolve() / "miscategorized.md"
    (tmp_path / "done").mkdir()
    (tmp_path / "done" / "result_mps.md").write_text(WORKSHEET.replace("quantization", "mps"))
    # the release's worksheets and the domains its pool names
    assert known_domains(ReleaseFolder.of(sub), worksheet=sub, own="package/deploy") == [
        "cuda", "inductor", "mps", "quantization"]
    decide(sub, "pr:104", "domain", "miscategorized", domain="cuda")
    apply_recorded(sub)
    assert not (tmp_path / "todo" / "miscategorized.md").exists()
    misc = read_miscategorized(tmp_path / "miscategorized.md")
    assert "pr:104" in [i.key for i in misc.items()]
