"""Edits through the model change only the lines concerned, and their results round-trip."""

from __future__ import annotations

import difflib

import pytest

from relnotes.errors import WorksheetError
from relnotes.fileio import read_text
from relnotes.worksheet import parse_worksheet
from tests.helpers import REPO

QUANT = REPO / "todo" / "quantization.md"


def _changes(before: str, after: str) -> tuple[list[str], list[str]]:
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(True), after.splitlines(True)):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


@pytest.fixture
def text() -> str:
    return read_text(QUANT)


def test_move_changes_only_the_item_lines(text: str) -> None:
    ws = parse_worksheet(text)
    item = ws.section("not user facing").items[7]
    moved = item.text
    ws.move(item, "new features")
    out = ws.render()
    removed, added = _changes(text, out)
    assert removed == [moved] and added == [moved]
    again = parse_worksheet(out)
    assert again.render() == out
    assert [i.prs for i in again.section("new features").items] == [[141421]]
    assert item.section.category == "new features" and item.line == again.find("pr:141421").line


def test_move_of_an_entry_carries_its_rationale_and_code(text: str) -> None:
    ws = parse_worksheet(text)
    entry = ws.section("bc breaking").items[0]
    assert "```python" in entry.body and entry.end_line - entry.line == 31
    ws.move(entry, "deprecation")
    out = ws.render()
    again = parse_worksheet(out)
    assert again.render() == out
    dep = again.section("deprecation").items
    assert [i.prs for i in dep] == [[144940], [139505]]
    assert dep[1].body == entry.body
    assert not again.section("bc breaking").items


def test_drop_goes_to_not_user_facing_never_away(text: str) -> None:
    ws = parse_worksheet(text)
    item = ws.section("docs").items[0]
    ws.drop(item)
    out = parse_worksheet(ws.render())
    assert out.find("pr:145412").section.category == "not user facing"
    assert len(out.items()) == len(parse_worksheet(text).items())


def test_set_title_rewrites_one_line(text: str) -> None:
    ws = parse_worksheet(text)
    item = ws.section("improvements").items[1]
    old = item.lines[0]
    ws.set_title(item, "Support meta tensors in FX graph mode quantization (#144726)")
    removed, added = _changes(text, ws.render())
    assert removed == [old]
    assert added == ["- Support meta tensors in FX graph mode quantization (#144726)\n"]
    assert item.prs == [144726]
    assert parse_worksheet(ws.render()).render() == ws.render()


def test_set_title_of_an_entry_keeps_its_body(text: str) -> None:
    ws = parse_worksheet(text)
    entry = ws.section("deprecation").items[0]
    body = entry.body
    ws.set_title(entry, "`XNNPACKQuantizer` moved to ExecuTorch (#144940)")
    assert entry.body == body
    assert parse_worksheet(ws.render()).section("deprecation").items[0].body == body


def test_append_adds_one_line_at_the_end_of_the_section(text: str) -> None:
    ws = parse_worksheet(text)
    ws.append("bug fixes", "Fix `prepare_pt2e` for shared weights (#150000)")
    removed, added = _changes(text, ws.render())
    assert removed == [] and added == ["- Fix `prepare_pt2e` for shared weights (#150000)\n"]
    assert parse_worksheet(ws.render()).section("bug fixes").items[0].prs == [150000]


def test_missing_section_is_created_in_canonical_order() -> None:
    text = "## fx\n### bc breaking\n### not user facing\n- a (#1)\n"
    ws = parse_worksheet(text)
    ws.move(ws.items()[0], "bug fixes")
    assert ws.render() == "## fx\n### bc breaking\n### bug fixes\n- a (#1)\n### not user facing\n"
    assert parse_worksheet(ws.render()).render() == ws.render()


def test_file_without_final_newline() -> None:
    ws = parse_worksheet("## fx\n### improvements\n- a (#1)\n### bug fixes\n- b (#2)")
    ws.move(ws.find("pr:1"), "bug fixes")
    assert ws.render() == "## fx\n### improvements\n### bug fixes\n- b (#2)\n- a (#1)\n"


def test_crlf_stays_crlf(text: str) -> None:
    crlf = text.replace("\n", "\r\n")
    ws = parse_worksheet(crlf)
    assert ws.render() == crlf
    ws.append("bug fixes", "Fix a thing (#7)")
    ws.move(ws.section("docs").items[0], "improvements")
    out = ws.render()
    assert "\n" not in out.replace("\r\n", "")
    assert parse_worksheet(out).render() == out


def test_title_must_be_one_line(text: str) -> None:
    ws = parse_worksheet(text)
    with pytest.raises(WorksheetError):
        ws.set_title(ws.items()[0], "two\nlines")


def test_item_forms() -> None:
    text = (
        "## onnx\n### improvements\n"
        "- Short (#1)\n"
        "- Long ([#2](https://github.com/pytorch/pytorch/pull/2))\n"
        "- Escaped [\\#3](https://github.com/pytorch/pytorch/pull/3)\n"
        "- Several ([#4](https://github.com/pytorch/pytorch/pull/4), [#5](https://github.com/pytorch/pytorch/pull/5))\n"
        "- Quotes another (#9) ([#6](https://github.com/pytorch/pytorch/pull/6))\n"
        "- Revert \"X (#10)\" (cd1b5924d53)\n"
        "- Group\n  - inner one (#11)\n  - inner two (#12)\n"
        "- Continued title\n  on two lines (#13)\n"
        "#### `torch.onnx.thing` is deprecated (#14, #15)\n\nBecause.\n\n```py\nx = 1\n```\n"
        "#### General\n- after a subheading (#16)\n"
    )
    ws = parse_worksheet(text)
    got = [(i.title, i.prs, i.commits, i.body_prs) for i in ws.items()]
    assert [g[1] for g in got] == [[1], [2], [3], [4, 5], [6], [], [], [13], [14, 15], [16]]
    assert got[5][2] == ["cd1b5924d53"]
    assert got[6][3] == [11, 12] and ws.items()[6].key == "pr:11"
    assert got[7][0] == "Continued title on two lines (#13)"
    heading_item = ws.items()[8]
    assert heading_item.is_heading and "x = 1" in heading_item.body
    assert heading_item.line == 14 and heading_item.end_line == 20
    assert ws.render() == text


def test_numbered_steps_after_an_entry_belong_to_it() -> None:
    text = ("## quantization\n### deprecation\n* `x` is deprecated (#153892)\n"
            "For migrations of users:\n1. Eager mode, use `quantize_`\n2. FX mode, use pt2e\n"
            "see the docs\n\n### new features\n1. A numbered item (#5)\n")
    ws = parse_worksheet(text)
    dep = ws.section("deprecation").items
    assert len(dep) == 1 and dep[0].end_line == 7 and "2. FX mode" in dep[0].body
    assert [i.prs for i in ws.section("new features").items] == [[5]]
    assert ws.render() == text


def test_apply_refuses_a_title_that_changes_the_prs(text: str) -> None:
    from relnotes.apply import Decision, apply_decisions

    ws = parse_worksheet(text)
    item = ws.section("improvements").items[0]
    result = apply_decisions(ws, [
        Decision(key=item.key, section="improvements", title="Add an option (#99, #141049)"),
        Decision(key="pr:144726", section="improvements",
                 title="Support meta tensors in FX quantization (#144726)"),
    ])
    assert result.title_refused == [item.key] and result.retitled == ["pr:144726"]
    assert ws.find(item.key).title == item.title


def test_an_item_moved_under_an_entry_is_set_apart_by_a_blank_line() -> None:
    text = ("## fx\n### deprecation\n- `a` is deprecated (#1)\n\n  Why.\n\n  ```python\n"
            "  a()\n  ```\n### not user facing\n- Remove a branch (#2)\n")
    ws = parse_worksheet(text)
    ws.move(ws.find("pr:2"), "deprecation")
    out = ws.render()
    assert "  ```\n\n- Remove a branch (#2)\n### not user facing\n" in out
    again = parse_worksheet(out)
    assert [i.key for i in again.section("deprecation").items] == ["pr:1", "pr:2"]
    assert again.render() == out


def test_an_item_between_files_takes_the_line_endings_of_the_file_it_joins() -> None:
    from relnotes.miscategorized import parse_miscategorized

    ws = parse_worksheet("## fx\r\n### bug fixes\r\n- Fix a (#1)\r\n  more\r\n### devs\r\n")
    pool = parse_miscategorized("# Miscategorized commits\n\n## not user facing\n")
    pool.add(ws.remove(ws.find("pr:1")), target="cuda", source="fx")
    assert "\r" not in pool.render()
    back = pool.remove(pool.items_for("cuda")[0])
    ws.insert_item("devs", back)
    assert ws.render().count("\r\n") == ws.render().count("\n")
    assert parse_worksheet(ws.render()).find("pr:1") is not None


def test_remove_refuses_an_item_of_another_file_and_names_its_line() -> None:
    """``remove`` and ``remove_many`` were two copies of one rule; both took an item of
    another worksheet out of that worksheet (its section was all they looked at), and
    ``remove_many`` said no line for an item it could not find."""
    text = "## fx\n### bug fixes\n- a (#1)\n\n  Body.\n\n- b (#2)\n- c (#3)\n"
    mine, other = parse_worksheet(text, path="a.md"), parse_worksheet(text, path="b.md")
    for remove in (lambda i: mine.remove(i), lambda i: mine.remove_many([i])):
        with pytest.raises(WorksheetError, match="not in this file") as exc:
            remove(other.items()[2])
        assert (exc.value.file, exc.value.line) == ("a.md", 8)
        assert other.render() == text and mine.render() == text
    # one rule for the blank lines: removing "a" (between two blank runs) leaves one
    one, many = parse_worksheet(text, path="a.md"), parse_worksheet(text, path="a.md")
    one.remove(one.items()[0])
    many.remove_many([many.items()[0]])
    assert one.render() == many.render() == "## fx\n### bug fixes\n\n- b (#2)\n- c (#3)\n"
