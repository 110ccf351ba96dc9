"""``relnotes final --check``: what hand edits changed, with file and line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from relnotes.config import Config
from relnotes.final_check import check_final, reconcile
from relnotes.final_sources import read_done
from relnotes.finalnotes import parse_final_notes
from relnotes.release import ReleaseFolder
from tests.final_fixtures import built
from tests.helpers import DATA, REPO, run_cli

GOLDEN = Path(__file__).parent / "data" / "final" / "2.9.0"
COMMENT = "# this comment line left its code fence\n"


@pytest.fixture()
def release(tmp_path: Path) -> Path:
    root = tmp_path / "2.9.0"
    shutil.copytree(GOLDEN / "done", root / "done")
    shutil.copy(GOLDEN / "expected-final.md", root / "final.md")
    return root


def _remove_three_and_comment(text: str, prs: list[int], after: str) -> str:
    """Delete the bullet lines of ``prs`` and put a top-level '# ' line after ``after``."""
    lines = [ln for ln in text.splitlines(keepends=True)
             if not any(ln.startswith("- ") and f"(#{pr})" in ln for pr in prs)]
    at = next(n for n, ln in enumerate(lines) if after in ln) + 1
    return "".join([*lines[:at], COMMENT, *lines[at:]])


def test_three_missing_and_one_structure_finding_exactly(release: Path) -> None:
    final = release / "final.md"
    final.write_text(_remove_three_and_comment(final.read_text(encoding="utf-8"),
                                               [1003, 2002, 3002], after="(#2004)"),
                     encoding="utf-8")
    comment_line = final.read_text(encoding="utf-8").splitlines().index(COMMENT.strip()) + 1
    result = run_cli("final", "--check", str(release), "--format", "json", expect=1)
    data = json.loads(result.stdout)
    assert data == {
        "final": str(final),
        "missing": [{"pr": 2002, "domain": "distributed", "section": "New Features"},
                    {"pr": 3002, "domain": "dynamo", "section": "Bug Fixes"},
                    {"pr": 1003, "domain": "nn_frontend", "section": "New Features"}],
        "extra": [], "misplaced": [],
        "structure": [{"line": comment_line, "message":
                       "unexpected top-level heading '# this comment line left its code "
                       "fence' (a code comment outside its fence?)"}],
        "ok": False,
    }
    text = run_cli("final", "--check", str(release), expect=1).output
    done = release / "done"
    assert f"{done / 'result_distributed.md'}:9: missing: #2002 (distributed, New Features)" \
        in text
    assert f"{done / 'result_dynamo.md'}:7: missing: #3002" in text
    assert f"{done / 'result_nn_frontend.md'}:29: missing: #1003" in text
    assert f"{final}:{comment_line}: structure: unexpected top-level heading" in text


def test_the_same_on_a_real_release() -> None:
    report = built("2.8.0")
    sources = read_done(DATA / "2.8.0" / "done")
    text = _remove_three_and_comment(report.text, [135968, 151436, 152583], after="(#150341)")
    result = reconcile(parse_final_notes(text, path="edited.md"), sources)
    assert sorted(m.pr for m in result.missing) == [135968, 151436, 152583]
    assert [(s.line, s.message.split("'")[1]) for s in result.structure] == [
        (text.splitlines().index(COMMENT.strip()) + 1, "# this comment line left its code fence")]
    assert (result.extra, result.misplaced) == ([], [])


def test_extra_is_an_error_unless_allowed(release: Path) -> None:
    final = release / "final.md"
    final.write_text(final.read_text(encoding="utf-8").replace(
        "- Add `nn.Baz` (#1003)\n", "- Add `nn.Baz` (#1003)\n- Added by hand (#9999)\n"),
        encoding="utf-8")
    text = run_cli("final", "--check", str(release), expect=1).output
    assert f"{final}:42: extra: #9999 is published by no done/ worksheet" in text
    allowed = run_cli("final", "--check", str(release), "--allow-extra", "--format", "json")
    data = json.loads(allowed.stdout)
    assert data["extra"] == [{"pr": 9999, "line": 42}] and data["ok"] is True


def test_a_moved_item_is_misplaced(release: Path) -> None:
    final = release / "final.md"
    text = final.read_text(encoding="utf-8").replace("- Add `nn.Baz` (#1003)\n", "")
    text = text.replace("- Faster `all_gather` on CPU (#2004)\n",
                        "- Faster `all_gather` on CPU (#2004)\n- Add `nn.Baz` (#1003)\n")
    final.write_text(text, encoding="utf-8")
    line = text.splitlines().index("- Add `nn.Baz` (#1003)") + 1
    data = json.loads(run_cli("final", "--check", str(release), "--format", "json",
                              expect=1).stdout)
    assert data["misplaced"] == [{"pr": 1003, "line": line, "final_section": "Improvements",
                                  "done_section": "New Features"}]
    assert data["missing"] == [] and data["structure"] == []


def test_a_missing_section_and_a_checked_file_elsewhere(release: Path, tmp_path: Path) -> None:
    text = (release / "final.md").read_text(encoding="utf-8")
    start, end = text.index("# Deprecations\n"), text.index("# New Features\n")
    other = tmp_path / "edited.md"
    other.write_text(text[:start] + text[end:], encoding="utf-8")
    result = check_final(ReleaseFolder(release, config=Config()), final=other)
    assert [m.pr for m in result.missing] == [1002]
    (finding,) = result.structure
    assert finding.message == ("no '# Deprecations' section, though done/ publishes 1 PR(s) "
                               "there")
    assert finding.line == text[:start].count("\n") + 1  # where it belongs


def test_real_final_notes_list_what_the_editors_changed() -> None:
    """Spot checks of the README's findings on the published 2.7.0 and 2.8.0 notes."""
    old = check_final(ReleaseFolder(DATA / "2.7.0", config=Config()))
    misplaced = {m.pr: (m.line, m.final_section, m.done_section) for m in old.misplaced}
    # the CUDA 12.4 removal was a deprecation in done/; the editors made it BC-breaking
    assert misplaced[148895] == (76, "Backwards Incompatible Changes", "Deprecations")
    assert {e.pr for e in old.extra} >= {142214, 141612}  # entries written into final.md
    assert {(s.line, s.message.split(":")[0]) for s in old.structure} >= {
        (332, "code fence after the bullet at line 331 is not indented under it")}
    new = check_final(ReleaseFolder(DATA / "2.8.0", config=Config()))
    assert len(new.misplaced) > 100 and len(new.missing) > 100  # a quarter moved by hand
    assert {e.pr for e in new.extra} >= {156181}  # the tracked regression
    assert not new.ok and not old.ok


def test_nothing_to_check_is_a_usage_error(release: Path) -> None:
    (release / "final.md").unlink()
    result = run_cli("final", "--check", str(release), expect=2)
    assert "no final notes to check" in result.output and "final.md" in result.output


@pytest.mark.torch
@pytest.mark.slow
def test_relnotes_check_reads_the_entries_of_final_notes() -> None:
    """`relnotes check final.md` checks the BC/deprecation code of the generated notes."""
    final = REPO / "tests" / "data" / "final" / "2.9.0" / "expected-final.md"
    result = run_cli("check", str(final), "--format", "json", expect=None)
    snippets = json.loads(result.stdout)["snippets"]
    assert [(s["line"], s["prs"], s["label"], s["role"]) for s in snippets] == [
        (20, [1001], "2.8", "before"), (25, [1001], "2.9", "after")]
    # torch.nn.Foo exists in no torch: the static check says so for both
    assert {s["verdict"] for s in snippets} == {"fail"}
