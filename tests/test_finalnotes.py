"""The final-notes reader: lossless, sections/areas/entries/items, PRs with lines, shape."""

from __future__ import annotations

import re

import pytest

from relnotes.errors import WorksheetError
from relnotes.finalnotes import (
    looks_like_final_notes,
    parse_final_notes,
    read_final_notes,
)
from tests.helpers import DATA

REAL = [DATA / "2.7.0" / "final.md", DATA / "2.8.0" / "final.md"]

SMALL = """# PyTorch 2.9.0 Release Notes
- [Highlights](#highlights)

# Highlights
The big thing (#1)

# Backwards Incompatible Changes

## Python Frontend
### `foo` now raises (#10, #11)

Because it was wrong.

```python
# pytorch 2.8 -- a comment, not a heading
foo()
```

### Several options were renamed
- `a` is now `b` (#12)

# New Features
## Distributed
- Faster gloo (#20)

#### c10d
- Add `shrink` (#21)
  - with a nested note (#22)

## torch.compile
#### Dynamo
- Trace generators (#30); see
#31 as well
"""


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.parent.name)
def test_real_final_notes_render_back_byte_for_byte(path) -> None:
    text = path.read_text(encoding="utf-8")
    notes = read_final_notes(path)
    assert notes.render() == text
    crlf = text.replace("\n", "\r\n")
    again = parse_final_notes(crlf, path="crlf.md")
    assert again.render() == crlf
    assert [s.name for s in again.sections] == [s.name for s in notes.sections]


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.parent.name)
def test_real_top_level_sections_ignore_code_comments(path) -> None:
    """2.8.0 has '# RuntimeError: ...' and '# opset_version=17' lines inside fences."""
    notes = read_final_notes(path)
    names = [s.name.lower() for s in notes.sections]
    assert names[0].startswith("pytorch 2.")
    assert names[1] == "highlights"
    assert [s.category for s in notes.sections if s.category] == [
        "bc breaking", "deprecation", "new features", "improvements", "bug fixes",
        "performance", "docs", "devs"]
    assert not any(f.message.startswith("unexpected top-level heading")
                   for f in notes.structure())


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.parent.name)
def test_every_pr_number_outside_code_is_found_on_its_line(path) -> None:
    """Cross-check the token-based reader with a plain scan of the non-code lines."""
    notes = read_final_notes(path)
    in_code = False
    expected: dict[int, int] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if re.match(r"^\s*```", line):
            in_code = not in_code
            continue
        if in_code:
            continue
        line = re.sub(r"`[^`]*`", "", line)  # code spans
        for match in re.finditer(r"(?<![\w&/])#(\d{1,7})\b", line):
            expected.setdefault(int(match.group(1)), n)
    found = {pr: items[0].refs[pr] for pr, items in notes.pr_places().items()}
    assert found == expected


def test_sections_areas_subareas_entries_and_items() -> None:
    notes = parse_final_notes(SMALL, path="small.md")
    assert notes.version == "2.9.0"
    bc = next(s for s in notes.sections if s.category == "bc breaking")
    (area,) = bc.areas
    assert area.name == "Python Frontend" and area.line == 9
    first, second = area.items
    assert (first.kind, first.line, first.end_line, list(first.refs)) == ("entry", 10, 18, [10, 11])
    assert first.title == "`foo` now raises (#10, #11)"
    assert "# pytorch 2.8" in first.body
    assert (second.kind, second.refs, second.line) == ("entry", {12: 20}, 19)
    features = next(s for s in notes.sections if s.category == "new features")
    dist, compile_ = features.areas
    assert [i.refs for i in dist.items] == [{20: 24}]
    (c10d,) = dist.subareas
    assert c10d.name == "c10d" and c10d.items[0].refs == {21: 27, 22: 28}
    (dynamo,) = compile_.subareas
    (trace,) = dynamo.items
    assert trace.refs == {30: 32, 31: 33}  # a continuation line keeps its own line
    assert (trace.top, trace.top_category, trace.area, trace.subarea) == (
        "New Features", "new features", "torch.compile", "Dynamo")
    assert notes.structure() == []
    # the highlights table is front matter: its PR is in the file but not published
    assert 1 in notes.pr_places() and all(1 not in i.refs for i in notes.published())


def test_to_json_shape() -> None:
    data = parse_final_notes(SMALL, path="small.md").to_json()
    assert set(data) == {"file", "kind", "version", "sections", "intro", "structure"}
    assert data["kind"] == "final"
    section = data["sections"][2]
    assert set(section) == {"name", "category", "line", "items", "areas", "subareas"}
    area = section["areas"][0]
    assert set(area) == {"name", "line", "items", "subareas"}
    item = area["items"][0]
    assert set(item) == {"kind", "line", "end_line", "title", "prs", "refs", "commits", "body"}
    assert item["prs"] == [10, 11] and item["refs"] == [{"pr": 10, "line": 10},
                                                        {"pr": 11, "line": 10}]


def test_looks_like_final_notes() -> None:
    assert all(looks_like_final_notes(p.read_text(encoding="utf-8")) for p in REAL)
    assert looks_like_final_notes("\n\n# PyTorch 2.10.0 Release Notes\n")
    assert not looks_like_final_notes("# Release Notes worksheet nn\n\n## nn\n### bug fixes\n")
    assert not looks_like_final_notes("# PyTorch next Release Notes\n")
    worksheet = (DATA / "2.8.0" / "done" / "result_nn_frontend.md").read_text(encoding="utf-8")
    assert not looks_like_final_notes(worksheet)


def test_a_stray_top_level_line_is_a_finding_and_does_not_move_items() -> None:
    text = SMALL.replace("- Add `shrink` (#21)\n",
                         "- Add `shrink` (#21)\n# does not error, but gradients are lost\n")
    notes = parse_final_notes(text, path="x.md")
    assert notes.render() == text
    (finding,) = notes.structure()
    assert finding.line == 28
    assert "unexpected top-level heading '# does not error" in finding.message
    assert "code comment" in finding.message
    assert notes.pr_places()[30][0].top_category == "new features"  # still in its section


def test_fence_findings_open_and_leaked_out_of_a_bullet() -> None:
    text = ("# PyTorch 2.9.0 Release Notes\n\n# New Features\n## ONNX\n"
            "- Symbolic ops (#1); use them like this:\n\n```python\nx = 1\n```\n"
            "- Other (#2)\n  ```python\n  y = 2\n# outdented comment\n  ```\n")
    found = parse_final_notes(text, path="x.md").structure()
    assert [f.line for f in found] == [7, 11, 13, 14]
    assert found[0].message.startswith(
        "code fence after the bullet at line 5 is not indented under it")
    assert "never closed" in found[1].message  # the outdented line ended it
    assert found[2].message.startswith("unexpected top-level heading '# outdented comment'")
    assert "never closed" in found[3].message  # its closer opened a new one


def test_backticks_order_and_duplicates() -> None:
    text = ("# PyTorch 2.9.0 Release Notes\n\n# Improvements\n- Use `foo (#1)\n"
            "- Fine `code` and \\` escaped (#2)\n\n# New Features\n- x (#3)\n"
            "\n# Improvements\n- y (#4)\n")
    found = {(f.line, f.message) for f in parse_final_notes(text, path="x.md").structure()}
    assert (4, "odd number of backticks outside code (an unclosed `code span`)") in found
    assert not any(line == 5 for line, _ in found)
    assert any(line == 7 and "out of order" in m for line, m in found)
    assert any(line == 10 and "again (first at line 3)" in m for line, m in found)


def test_title_must_come_first_and_empty_is_an_error() -> None:
    notes = parse_final_notes("# Improvements\n- x (#1)\n", path="x.md")
    assert notes.structure()[0].message.startswith("the notes do not start with")
    with pytest.raises(WorksheetError, match="empty file"):
        parse_final_notes("\n", path="x.md")
