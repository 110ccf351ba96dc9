"""Every shape of file a release folder holds: newer preambles, pools, broken input.

Files in tests/data/shapes/ are written in the shapes the newer generator and newer
maintainers use (numbered ``##`` steps before the domain heading, summarised done files,
pools in several shapes mixed in one file); they must round-trip byte for byte, in LF and
CRLF, and every linked PR must be found exactly where it is.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from collections import Counter
from pathlib import Path

import pytest

from relnotes.documents import detect_kind, parse_document
from relnotes.errors import WorksheetError
from relnotes.fileio import atomic_write, read_text
from relnotes.miscategorized import parse_miscategorized
from relnotes.worksheet import parse_worksheet, read_worksheet
from tests.helpers import REPO, run_cli

SHAPES = REPO / "tests" / "data" / "shapes"
FILES = sorted(SHAPES.glob("*.md"))


def _kind(path: Path) -> str:
    return "pool" if path.name.startswith("pool") else "worksheet"


def _linked(text: str) -> Counter[int]:
    return Counter(int(n) for n in re.findall(r"/pull/(\d+)\)|\(#(\d+)\)", text) for n in n if n)


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_shape_round_trips_and_finds_every_pr(path: Path, eol: str,
                                                    tmp_path: Path) -> None:
    text = read_text(path).replace("\n", eol)
    copy = tmp_path / path.name
    copy.write_bytes(text.encode())
    out = run_cli("parse", str(copy), "--kind", _kind(path), "--format", "markdown")
    assert out.stdout_bytes == text.encode()
    doc = parse_document(text, path=str(copy), kind=_kind(path))
    assert doc.render() == text
    found = Counter(pr for item in doc.items() for pr in item.all_prs)
    assert found == _linked(text)


def test_the_domain_heading_is_found_after_numbered_preamble_steps() -> None:
    ws = read_worksheet(SHAPES / "newer_worksheet.md")
    assert ws.domain == "autograd_frontend" and ws.domain_line == 26
    preamble = "".join(line for chunk in ws.preamble for line in chunk.lines)
    assert "## 3. Summarize the other sections" in preamble
    assert [s.category for s in ws.sections][:3] == ["bc breaking", "deprecation",
                                                     "new features"]
    assert [i.line for i in ws.items()] == [
        n for n, line in enumerate(read_text(SHAPES / "newer_worksheet.md").split("\n"), 1)
        if line.startswith("- ")]


def test_the_domain_heading_without_a_title_is_the_last_before_the_sections() -> None:
    text = "## Step one\n\ntext\n\n## Step two\n\n## fx\n### bug fixes\n- a (#1)\n"
    ws = parse_worksheet(text, path="w.md")
    assert ws.domain == "fx" and ws.domain_line == 7 and ws.render() == text


def test_a_title_naming_a_domain_picks_that_heading() -> None:
    text = "# Release Notes worksheet build_frontend\n## build\\_frontend\n\n## Notes\n" \
           "### improvements\n- a (#1)\n"
    # "## Notes" is the last ## before the sections, but the title names build_frontend
    with pytest.raises(WorksheetError) as err:
        parse_worksheet(text, path="w.md")
    assert err.value.line == 4 and "'Notes'" in err.value.message


def test_ambiguous_structure_is_an_error_with_the_line() -> None:
    with pytest.raises(WorksheetError) as err:
        parse_worksheet("## one\n\ntext\n\n## two\n- a (#1)\n", path="w.md")
    assert err.value.line == 5 and "cannot tell which" in err.value.message


def test_summarised_done_file_keeps_multi_pr_grouping_and_multi_line_bullets() -> None:
    ws = read_worksheet(SHAPES / "newer_done.md")
    improvements = ws.section("improvements")
    assert improvements is not None
    first, grouping = improvements.items
    assert first.prs == [180004, 180005] and first.end_line == first.line + 1
    assert grouping.prs == [] and grouping.all_prs == [180011, 180012]
    bc = ws.section("bc breaking")
    assert bc is not None and "Version 2.10:" in bc.items[0].body


def test_pool_groups_say_target_domains_and_source() -> None:
    known = ["cuda", "rocm", "inductor", "inductor (aoti)", "cpu (x86)", "cpu (aarch64)",
             "linalg_frontend", "distributed", "xpu", "quantization", "nn_frontend"]
    pool = parse_miscategorized(read_text(SHAPES / "pool_mixed.md"), path="miscategorized.md",
                                known_domains=known)
    data = pool.to_json()
    groups = {g["name"]: g for g in data["groups"]}
    assert groups[""]["items"][0]["prs"] == [180002]  # an item right under the header
    assert groups["ROCm"]["domains"] == ["rocm"]
    assert groups["ROCm"]["items"][0]["source"] == "cuda"
    assert groups["Inductor / AOTI"]["domains"] == ["inductor", "inductor (aoti)"]
    assert groups["Inductor / AOTI"]["items"] == []
    cpu = groups["CPU / Linear algebra"]
    assert cpu["domains"] == ["cpu (x86)", "cpu (aarch64)", "linalg_frontend"]
    assert cpu["items"][0]["source"] == "optimizer_frontend"
    assert "labeled `release notes: optimizer`" in cpu["items"][0]["title"]  # kept verbatim
    dist = groups["belongs to: distributed"]
    assert (dist["target"], dist["domains"]) == ("distributed", ["distributed"])
    assert dist["items"][0]["source"] == "nn_frontend"
    xpu = groups["xpu (from quantization)"]
    assert (xpu["domains"], xpu["source"]) == (["xpu"], "quantization")
    assert [i["category"] for i in xpu["items"]] == ["bug fixes", "improvements"]
    assert groups["Untopiced"]["category"] == "Untopiced"
    assert groups["not user facing"]["target"] is None
    assert [i.key for i in pool.items_for("rocm")] == ["pr:180020"]
    assert [i.key for i in pool.items_for("xpu")] == ["pr:180022", "pr:180023"]


def test_a_pool_without_a_title_still_has_its_items(tmp_path: Path) -> None:
    path = tmp_path / "miscategorized.md"
    shutil.copy(SHAPES / "pool_headerless.md", path)
    assert detect_kind(read_text(path), path) == "pool"
    data = json.loads(run_cli("parse", str(path), "--format", "json").output)
    assert [i["prs"] for g in data["groups"] for i in g["items"]] == [[180002], [180040]]


def test_adopting_the_last_item_of_a_target_group_removes_the_group() -> None:
    pool = parse_miscategorized(read_text(SHAPES / "pool_mixed.md"), path="m.md",
                                known_domains=["rocm", "xpu"])
    (item,) = pool.items_for("rocm")
    pool.remove(item)
    assert "## ROCm" not in pool.render()
    assert "## Inductor / AOTI" in pool.render()  # empty before: not ours to remove
    pool = parse_miscategorized(read_text(SHAPES / "pool_categories.md"), path="m.md")
    pool.remove(pool.sections[0].items[0])
    assert "## Untopiced" in pool.render()  # category groups are part of the template


def test_the_real_pools_parse_as_pools() -> None:
    from tests.helpers import data_files

    for path in data_files("*/miscategorized.md"):
        out = run_cli("parse", str(path), "--format", "json").output
        assert json.loads(out)["kind"] == "pool"
        assert run_cli("parse", str(path), "--format", "markdown").output == read_text(path)


# ----------------------------------------------------------------------------- broken input

@pytest.mark.parametrize("text, line, words", [
    ("## fx\n### bc breaking\n- a (#1)\n\n  ```python\n  x = 1\n### bug fixes\n- b (#2)\n",
     5, "never closed"),
    ("## fx\n### bug fixes\n```\ncode\n- b (#2)\n", 3, "never closed"),
    ("## fx\n### bug fixes\n<!-- a note\n- b (#2)\n", 3, "never closed with -->"),
])
def test_structure_that_would_hide_items_is_an_error(tmp_path: Path, text: str, line: int,
                                                     words: str) -> None:
    path = tmp_path / "w.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(WorksheetError) as err:
        read_worksheet(path)
    assert err.value.line == line and words in err.value.message
    out = run_cli("parse", str(path), expect=1).output
    assert out.strip() == f"Error: {path}:{line}: {err.value.message}"
    lint = json.loads(run_cli("lint", str(path), "--format", "json", expect=1).output)
    assert [(f["line"], f["code"]) for f in lint["findings"]] == [(line, "parse-error")]


@pytest.mark.skipif(os.name != "posix", reason="permission bits")
def test_a_read_only_worksheet_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    target = tmp_path / "w.md"
    target.write_text("## fx\n", encoding="utf-8")
    target.chmod(stat.S_IRUSR | stat.S_IRGRP)
    with pytest.raises(WorksheetError) as err:
        atomic_write(target, "changed\n")
    assert err.value.file == str(target) and "read-only" in err.value.message
    assert target.read_text() == "## fx\n"
    folder = tmp_path / "locked"
    folder.mkdir()
    (folder / "w.md").write_text("## fx\n", encoding="utf-8")
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(WorksheetError) as err:
            atomic_write(folder / "w.md", "changed\n")
        assert err.value.file == str(folder) and "read-only" in err.value.message
        assert sorted(p.name for p in folder.iterdir()) == ["w.md"]
    finally:
        folder.chmod(stat.S_IRWXU)


def test_backups_and_sidecars_stay_out_of_git(tmp_path: Path) -> None:
    target = tmp_path / "todo" / "w.md"
    target.parent.mkdir()
    target.write_text("old\n", encoding="utf-8")
    backup = atomic_write(target, "new\n", backup=True)
    assert backup is not None and backup.parent == tmp_path / "todo" / ".relnotes"
    assert backup.name.startswith("w.md.") and backup.read_text() == "old\n"
    # a second write keeps the first backup: it may hold days of hand edits
    second = atomic_write(target, "newer\n", backup=True)
    assert second is not None and second != backup
    assert (backup.read_text(), second.read_text()) == ("old\n", "new\n")
    ignore = (tmp_path / "todo" / ".relnotes" / ".gitignore").read_text()
    assert "*" in ignore.splitlines()
    assert sorted(p.name for p in target.parent.iterdir()) == [".relnotes", "w.md"]


def test_pool_targets_written_as_display_names_map_to_domains() -> None:
    from relnotes.miscategorized import canonical_domains

    known = ["linalg_frontend", "nn_frontend", "dynamo", "inductor", "releng",
             "nested tensor_frontend", "distributed", "distributed (dtensor)"]
    assert canonical_domains("Linear Algebra", known) == ["linalg_frontend"]
    assert canonical_domains("torch.nn", known) == ["nn_frontend"]
    assert canonical_domains("torch.compile", known) == ["dynamo", "inductor"]
    assert canonical_domains("Release Engineering", known) == ["releng"]
    assert canonical_domains("Distributed", known) == ["distributed"]
    assert canonical_domains("Something new", known) == []


def test_a_new_file_gets_the_usual_mode_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        atomic_write(tmp_path / "new.md", "x\n")
        assert stat.S_IMODE((tmp_path / "new.md").stat().st_mode) == 0o644
        kept = tmp_path / "kept.md"
        kept.write_text("x\n")
        kept.chmod(0o640)
        atomic_write(kept, "y\n")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    finally:
        os.umask(old_umask)


def test_a_pool_beside_few_worksheets_still_maps_the_domains_people_name(
        tmp_path: Path) -> None:
    (tmp_path / "todo").mkdir()
    shutil.copy(SHAPES / "newer_worksheet.md", tmp_path / "todo" / "result_autograd_frontend.md")
    shutil.copy(SHAPES / "pool_mixed.md", tmp_path / "miscategorized.md")
    data = json.loads(run_cli("parse", str(tmp_path / "miscategorized.md"),
                              "--format", "json").output)
    domains = {g["name"]: g["domains"] for g in data["groups"]}
    assert domains["ROCm"] == ["rocm"]
    assert domains["CPU / Linear algebra"] == ["intel", "linalg_frontend"]


@pytest.mark.parametrize("locked", ["file", "folder"])
def test_writing_commands_refuse_read_only_input_with_one_error_line(
        tmp_path: Path, locked: str) -> None:
    todo = tmp_path / "todo"
    todo.mkdir()
    sheet = todo / "result_fx.md"
    sheet.write_text("## fx\n### Untopiced\n- [BE] Refactor tests for fx (#1)\n"
                     "### not user facing\n", encoding="utf-8")
    target = sheet if locked == "file" else todo
    target.chmod(stat.S_IRUSR | (stat.S_IXUSR if locked == "folder" else 0))
    try:
        before = sorted(p.name for p in todo.iterdir()), sheet.read_bytes()
        result = run_cli("triage", str(sheet), "--write", "--min-confidence", "0",
                         "--offline", expect=1)
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and "read-only" in errors[0] and str(target) in errors[0]
        assert "Traceback" not in result.output
        assert (sorted(p.name for p in todo.iterdir()), sheet.read_bytes()) == before
    finally:
        todo.chmod(stat.S_IRWXU)
        sheet.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_a_section_level_heading_that_names_prs_is_an_item_of_the_section() -> None:
    """2.7.0's ONNX done file: '### `verify_onnx_program` (#148396, ...)' under
    '### new features', then more bullets: items of new features, not a section."""
    text = ("## onnx\n### new features\n\n### `verify_onnx_program` (#148396, #148706)\n\n"
            "A new verification API.\n\n- Support custom axis names (#146321)\n"
            "### improvements\n- Better shapes (#144801)\n")
    ws = parse_worksheet(text, path="w.md")
    assert ws.render() == text
    assert [s.category for s in ws.sections] == ["new features", "improvements"]
    features = ws.section("new features")
    assert features is not None
    assert [(i.prs, i.is_heading) for i in features.items] == [
        ([148396, 148706], True), ([146321], False)]
    assert "A new verification API." in features.items[0].body
    assert lint_paths_codes(text) == []


def lint_paths_codes(text: str) -> list[str]:
    from relnotes.lint import lint_worksheet

    return [f.code for f in lint_worksheet(parse_worksheet(text, path="w.md"))]


def test_a_paragraph_naming_prs_that_belongs_to_no_item_is_an_item() -> None:
    """2.7.0 optim wrote its BC entry as a bold paragraph: it is an entry with its code."""
    from relnotes.entries import extract_entries

    text = ("## optim\n### bc breaking\n**`print_lr()` is removed** (#147301)\n\n"
            "It was confusing.\n\n```python\nsched.print_lr()\n```\n### improvements\n"
            "- Faster (#2)\n\n  see also #3 in the text\n")
    ws = parse_worksheet(text, path="w.md")
    assert ws.render() == text
    bc = ws.section("bc breaking")
    assert bc is not None and [i.prs for i in bc.items] == [[147301]]
    (entry,) = extract_entries(ws)
    assert entry.rationale.strip() == "It was confusing." and len(entry.parts) == 1
    assert [i.prs for i in ws.items()] == [[147301], [2]]  # a paragraph after an item is its body
