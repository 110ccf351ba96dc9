"""``relnotes final``: golden file, never overwriting hand edits, nothing dropped, real data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from relnotes.config import Config
from relnotes.entries import extract_entries_from_text
from relnotes.final_build import build_final
from relnotes.final_sources import read_done
from relnotes.finalnotes import parse_final_notes
from relnotes.prrefs import shorten_links
from relnotes.release import ReleaseFolder
from tests.final_fixtures import built
from tests.helpers import DATA, run_cli

RELEASES = sorted(p.parent.name for p in DATA.glob("*/done"))  # every release given

GOLDEN = Path(__file__).parent / "data" / "final" / "2.9.0"


@pytest.fixture()
def release(tmp_path: Path) -> Path:
    """A writable copy of the golden release folder (done/ only)."""
    root = tmp_path / "2.9.0"
    shutil.copytree(GOLDEN / "done", root / "done")
    shutil.copyfile(GOLDEN.parent / "areas-grouped.toml", tmp_path / "areas.toml")
    (tmp_path / "pyproject.toml").write_text('[tool.relnotes]\nfinal_areas = "areas.toml"\n')
    return root


def test_golden_file(release: Path) -> None:
    result = run_cli("final", str(release))
    written = (release / "final.md").read_text(encoding="utf-8")
    assert written == (GOLDEN / "expected-final.md").read_text(encoding="utf-8")
    # what it could not place is named with file and line, on stderr
    assert "result_nn_frontend.md:44: [not-placed] #1009 is still in Untopiced" in result.output
    assert ("result_distributed.md:24: [not-placed] #2006 is under the unknown section "
            "heading 'Removed because not released yet'") in result.output
    assert ("result_new_widget.md:5: [unknown-domain] domain 'new_widget' is not in the area "
            "table; using 'New Widget'") in result.output
    assert "check against done/: 0 missing, 0 extra, 0 misplaced, 0 structure: ok" \
        in result.output


def test_golden_report_counts_and_json(release: Path) -> None:
    data = json.loads(run_cli("final", str(release), "--format", "json").stdout)
    assert set(data) == {"final", "version", "written", "sections", "entries", "warnings",
                         "self_check"}
    assert data["written"] is True and data["version"] == "2.9.0"
    assert data["entries"] == {"template": 1, "verbatim": 1}
    features = next(s for s in data["sections"] if s["section"] == "New Features")
    assert features["items"] == 6
    assert {a["area"]: a["items"] for a in features["areas"]} == {
        "torch.nn": 1, "Distributed": 3, "torch.compile": 1, "New Widget": 1}
    assert data["self_check"]["ok"] is True
    assert [(w["line"], w["code"]) for w in data["warnings"]] == [
        (24, "not-placed"), (5, "unknown-domain"), (44, "not-placed")]


def test_an_existing_final_md_is_never_replaced_without_force(release: Path) -> None:
    final = release / "final.md"
    final.write_text("# PyTorch 2.9.0 Release Notes\ndays of hand edits\n", encoding="utf-8")
    result = run_cli("final", str(release), expect=2)
    assert "exists and may hold hand edits" in result.output and "--force" in result.output
    assert final.read_text(encoding="utf-8").endswith("days of hand edits\n")
    run_cli("final", str(release), "--force")
    (backup,) = release.glob("**/final.md.*.bak")  # beside it, or in .relnotes/
    assert backup.read_text(encoding="utf-8").endswith("days of hand edits\n")
    assert final.read_text(encoding="utf-8") == (GOLDEN / "expected-final.md").read_text(
        encoding="utf-8")
    assert not list(release.glob(".final.md.*.tmp"))  # written through a temporary file


def test_output_and_version(release: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere" / "notes.md"
    run_cli("final", str(release), "--output", str(out), "--version", "2.9.1")
    assert out.read_text(encoding="utf-8").startswith("# PyTorch 2.9.1 Release Notes\n")
    assert not (release / "final.md").exists()
    nameless = tmp_path / "next"
    shutil.copytree(release / "done", nameless / "done")
    result = run_cli("final", str(nameless), expect=2)
    assert "pass --version" in result.output
    result = run_cli("final", str(tmp_path / "empty"), "--version", "2.9.0", expect=2)
    assert "empty: no such file or folder" in result.output


def test_options_that_do_not_go_together(release: Path) -> None:
    assert "go with --check" in run_cli("final", str(release), "--allow-extra", expect=2).output
    assert "not --check" in run_cli("final", "--check", str(release), "--force",
                                    expect=2).output


def test_links_become_short_everywhere_but_code_and_other_repositories() -> None:
    text = ("- A ([#1](https://github.com/pytorch/pytorch/pull/1)) "
            "[\\#2](https://github.com/pytorch/pytorch/pull/2), "
            "https://github.com/pytorch/pytorch/pull/3 <https://github.com/pytorch/pytorch/pull/4>"
            " [#5](https://github.com/pytorch/ao/pull/5) `[#6](https://github.com/pytorch/pytorch/pull/6)`"
            " [the PR](https://github.com/pytorch/pytorch/pull/7) [#8](https://github.com/pytorch/pytorch/pull/8)/"
            "[#9](https://github.com/pytorch/pytorch/pull/9)\n"
            "```\nhttps://github.com/pytorch/pytorch/pull/10\n```\n")
    assert shorten_links(text) == (
        "- A (#1) #2, #3 #4 [#5](https://github.com/pytorch/ao/pull/5) "
        "`[#6](https://github.com/pytorch/pytorch/pull/6)` "
        "[the PR](https://github.com/pytorch/pytorch/pull/7) #8/ #9\n"
        "```\nhttps://github.com/pytorch/pytorch/pull/10\n```\n")
    assert shorten_links("[#1](https://github.com/me/notes/pull/1)", repo="me/notes") == "#1"


@pytest.mark.parametrize("name", RELEASES)
def test_real_release_every_published_pr_is_placed_and_passes_the_check(name: str) -> None:
    report = built(name)
    notes = parse_final_notes(report.text, path="generated.md")
    published = {pr for s in read_done(DATA / name / "done") for u in s.units if u.published
                 for pr in u.prs}
    assert published - set(notes.pr_places()) == set()
    assert report.self_check is not None and report.self_check.to_json() == {
        "final": report.output, "missing": [], "extra": [], "misplaced": [], "structure": [],
        "ok": True}
    assert notes.structure() == []
    assert notes.render() == report.text


@pytest.mark.parametrize("name", RELEASES)
def test_real_release_entries_keep_their_code_for_relnotes_check(name: str) -> None:
    """Every code part of every BC/deprecation entry of done/ is in the generated notes
    with its version label and role, as the entry extraction of final notes reads them."""
    report = built(name)

    def key(part) -> tuple[str, str, str]:  # lines as rendered: trailing blanks trimmed
        code = "\n".join(line.rstrip() for line in part.code.split("\n"))
        return (str(part.label), str(part.role), code)

    done = [u.entry for s in read_done(DATA / name / "done", release=name) for u in s.units
            if u.entry is not None and u.published]
    generated = extract_entries_from_text(report.text, release=name)
    assert len(generated) == len(done)
    assert sorted(key(p) for e in generated for p in e.parts if not p.is_output) == sorted(
        key(p) for e in done for p in e.parts if not p.is_output)


def test_a_heading_with_prs_is_an_item_not_a_section(tmp_path: Path) -> None:
    """2.7.0's ONNX worksheet wrote a new feature as '### `verify_onnx_program` (#148396)'."""
    done = tmp_path / "2.9.0" / "done"
    done.mkdir(parents=True)
    (done / "result_onnx.md").write_text(
        "## onnx\n### new features\n\n### `verify_onnx_program` ([#1](https://github.com/"
        "pytorch/pytorch/pull/1))\n\nA new verification API.\n\n- Custom axis names (#2)\n"
        "### improvements\n", encoding="utf-8")
    report = build_final(ReleaseFolder(tmp_path / "2.9.0", config=Config()))
    assert report.warnings == []  # the worksheet model reads it as an item of new features
    assert ("# New Features\n\n## ONNX\n- `verify_onnx_program` (#1)\n\n"
            "  A new verification API.\n\n- Custom axis names (#2)\n") in report.text
    assert report.self_check is not None and report.self_check.ok


def test_a_stray_backtick_in_done_is_reported_at_its_line_there(tmp_path: Path) -> None:
    """A backtick copied from a done/ file made ``final`` blame itself ("the generated
    notes fail their own check (a relnotes bug)"); the problem is in done/, at its line."""
    from tests.helpers import copy_data

    release = copy_data(DATA / "2.9.0" / "done", tmp_path / "2.9.0" / "done").parent
    sheet = release / "done" / "result_quantization.md"
    lines = sheet.read_text().splitlines(keepends=True)
    n = next(i for i, line in enumerate(lines) if "Enable cpu fp8 qlinear" in line)
    lines[n] = lines[n].replace("Enable cpu fp8", "Enable cpu `fp8")
    sheet.write_text("".join(lines))
    out = run_cli("final", str(release), "--output", str(tmp_path / "final.md"),
                  "--format", "json")
    warnings = json.loads(out.stdout)["warnings"]
    structure = [w for w in warnings if w["code"] == "structure"]
    assert [(Path(w["file"]).name, w["line"]) for w in structure] == \
        [("result_quantization.md", n + 1)]
    (check,) = [w for w in warnings if w["code"] == "self-check"]
    assert "relnotes bug" not in check["message"] and "done/" in check["message"]


def test_a_merged_bullets_note_stays_in_the_worksheet() -> None:
    """apply/summarize keep a merged bullet's original titles in an HTML comment for the
    maintainer; the published notes carry the bullet, not that record."""
    from relnotes.apply import merge_items
    from relnotes.final_render import render_bullet
    from relnotes.worksheet import parse_worksheet

    link = "([#{n}](https://github.com/pytorch/pytorch/pull/{n}))"
    ws = parse_worksheet("# Release Notes worksheet mps\n\n## mps\n### bug fixes\n"
                         f"- [MPS] Fix index_add for complex {link.format(n=1)}\n"
                         f"- Fix index_add for int64 {link.format(n=2)}\n", path="w.md")
    merged = merge_items(ws, ws.items(), section="bug fixes",
                         bullet=f"Fix `index_add` ({link.format(n=1)[1:-1]}, "
                                f"{link.format(n=2)[1:-1]})")
    assert "merged from" in merged.text  # the worksheet keeps the record
    assert render_bullet(merged, repo="pytorch/pytorch") == "- Fix `index_add` (#1, #2)\n"


def test_crlf_done_files_give_the_same_final_notes(tmp_path: Path) -> None:
    """The blank line between loose bullets was looked for as "\\n\\n" in CRLF text: 2.8.0's
    done/ with CRLF line endings lost 6 of them."""
    from tests.helpers import copy_data

    lf = copy_data(DATA / "2.8.0" / "done", tmp_path / "lf" / "2.8.0" / "done").parent
    crlf = copy_data(DATA / "2.8.0" / "done", tmp_path / "crlf" / "2.8.0" / "done").parent
    for path in (crlf / "done").rglob("*.md"):
        path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    want = build_final(ReleaseFolder(lf, config=Config())).text
    got = build_final(ReleaseFolder(crlf, config=Config())).text
    assert "\r" not in got
    assert got == want
