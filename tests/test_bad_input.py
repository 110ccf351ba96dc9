"""Malformed input gives an error naming file and line, or is handled: never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from relnotes.errors import WorksheetError
from relnotes.lint import lint_worksheet
from relnotes.worksheet import parse_worksheet, read_worksheet
from tests.helpers import run_cli

GOOD = "## fx\n### improvements\n- Add a thing (#1)\n"


def _write(tmp_path: Path, data: bytes | str, name: str = "w.md") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


@pytest.mark.parametrize(
    "content, line, words",
    [
        ("", 1, "empty file"),
        ("   \n\n", 1, "empty file"),
        ("# Title\n\nno domain here\n", 1, "no '## <domain>' heading"),
        ("# Title\n\n### bc breaking\n- x (#1)\n", 3, "no '## <domain>' heading"),
        ("## fx\n### bug fixes\n- x (#1)\n## inductor\n", 4, "one '## <domain>' heading"),
        ("## fx\n### bug fixes\n# Big\n", 3, "level-1 heading"),
    ],
)
def test_structural_errors_name_file_and_line(tmp_path: Path, content: str, line: int,
                                              words: str) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(WorksheetError) as err:
        read_worksheet(path)
    assert err.value.file == str(path) and err.value.line == line
    assert words in err.value.message
    result = run_cli("parse", str(path), expect=1)
    assert result.output.strip() == f"Error: {path}:{line}: {err.value.message}"


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, b"## fx\n### bug fixes\n- caf\xe9 (#1)\n")
    with pytest.raises(WorksheetError) as err:
        read_worksheet(path)
    assert err.value.line == 3 and "invalid UTF-8" in err.value.message
    assert "Traceback" not in run_cli("parse", str(path), expect=1).output


@pytest.mark.parametrize("command", ["parse", "lint", "triage", "check", "apply", "review"])
def test_a_missing_input_file_is_a_usage_error_in_every_command(tmp_path: Path,
                                                                command: str) -> None:
    """One rule: a file named on the command line that does not exist exits 2."""
    out = run_cli(command, str(tmp_path / "nope.md"), expect=2).output
    assert "does not exist" in out and "Traceback" not in out


def test_a_file_that_vanishes_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(WorksheetError, match="no such file"):
        read_worksheet(tmp_path / "nope.md")


def test_unknown_section_is_handled_and_linted(tmp_path: Path) -> None:
    ws = parse_worksheet("## fx\n### Removed because not released yet\n- a (#1)\n", path="w.md")
    assert ws.sections[0].category is None and ws.items()[0].prs == [1]
    codes = [(f.line, f.code) for f in lint_worksheet(ws)]
    assert (2, "unknown-section") in codes


def test_item_without_reference_is_kept_and_linted() -> None:
    ws = parse_worksheet("## fx\n### bug fixes\n- something with no link\n", path="w.md")
    assert ws.items()[0].title == "something with no link"
    assert [(f.line, f.code) for f in lint_worksheet(ws)] == [(3, "no-reference")]


def test_pr_listed_twice_is_linted_with_both_lines() -> None:
    ws = parse_worksheet("## fx\n### bug fixes\n- a (#5)\n### improvements\n- b (#5)\n",
                         path="w.md")
    findings = [f for f in lint_worksheet(ws) if f.code == "duplicate-pr"]
    assert [(f.line, f.message) for f in findings] == [(5, "PR #5 is also listed at line 3")]


def test_untopiced_and_long_links_are_linted() -> None:
    text = ("Please use #PR_NUM to link to the PR\n## fx\n### improvements\n"
            "- a ([#7](https://github.com/pytorch/pytorch/pull/7))\n### Untopiced\n- b (#8)\n")
    codes = sorted((f.line, f.code) for f in lint_worksheet(parse_worksheet(text, path="w")))
    assert codes == [(4, "long-link"), (6, "untopiced")]


def test_lint_exit_codes(tmp_path: Path) -> None:
    clean = _write(tmp_path, GOOD, "clean.md")
    run_cli("lint", str(clean), expect=0)
    dirty = _write(tmp_path, GOOD + "### Untopiced\n- b (#2)\n", "dirty.md")
    out = run_cli("lint", str(dirty), expect=1).output
    assert f"{dirty}:5: [untopiced] item still in Untopiced" in out
    broken = _write(tmp_path, "nothing\n", "broken.md")
    out = run_cli("lint", str(clean), str(broken), "--format", "json", expect=1).output
    assert '"parse-error"' in out


def test_usage_error_exits_2() -> None:
    assert run_cli("parse", expect=2).exit_code == 2
    assert run_cli("parse", "x.md", "--format", "yaml", expect=2).exit_code == 2
