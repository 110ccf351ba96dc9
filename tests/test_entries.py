"""BC-breaking and deprecation entries: every form real notes use, roles, lint, drafts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relnotes.drafts import draft_context, pr_note
from relnotes.entries import (
    extract_code_parts,
    extract_entries,
    extract_entries_from_text,
    parse_label,
)
from relnotes.final_render import final_context
from relnotes.lint import lint_entries, lint_entry_list
from relnotes.templating import render
from relnotes.worksheet import parse_worksheet, read_worksheet
from tests.helpers import DATA, REPO

HEAD = "# Release Notes worksheet quantization\n\n## quantization\n"


def ws(body: str):
    return parse_worksheet(HEAD + body, path="w.md")


def line_of(text: str, needle: str, nth: int = 0) -> int:
    """1-based line of the nth line containing ``needle`` in HEAD + text."""
    lines = (HEAD + text).splitlines()
    hits = [i + 1 for i, ln in enumerate(lines) if needle in ln]
    return hits[nth]


MARKERS = """### bc breaking
- Use `export_for_training` (#139505)

Because it is the long-term API.

```python
# pytorch 2.6
from torch._export import capture_pre_autograd_graph
m = capture_pre_autograd_graph(m, *example_inputs)

# pytorch 2.7
from torch.export import export_for_training
m = export_for_training(m, example_inputs)
```
### deprecation
"""


def test_one_fence_with_markers_splits_into_before_and_after() -> None:
    (entry,) = extract_entries(ws(MARKERS))
    assert entry.kind == "bc" and entry.prs == [139505]
    assert entry.rationale == "Because it is the long-term API."
    before, after = entry.parts
    assert (before.label, before.role, after.label, after.role) == ("2.6", "before", "2.7", "after")
    # first part: the fence's line; later parts: their marker comment's line
    assert before.line == line_of(MARKERS, "```python")
    assert after.line == line_of(MARKERS, "# pytorch 2.7")
    assert before.code_line == line_of(MARKERS, "from torch._export")
    assert after.code_line == line_of(MARKERS, "from torch.export import")
    assert "capture_pre_autograd_graph(m" in before.code and "# pytorch" not in before.code
    assert after.code.startswith("from torch.export import export_for_training")
    assert not before.is_output and before.is_python


@pytest.mark.parametrize("label", ["Version 2.6", "Version 2.6.0:", "In 2.6.0", "2.6.0",
                                   "**Version 2.6**", "PyTorch 2.6 and earlier"])
def test_separate_fences_under_labels(label: str) -> None:
    after_label = label.replace("2.6", "2.7")
    body = (f"### bc breaking\n#### `f` now raises (#1)\n\nIt was wrong before.\n\n{label}\n\n"
            f"```py\nf(1)\n```\n\n{after_label}\n```py\nf(2)\n```\n")
    (entry,) = extract_entries(ws(body))
    assert entry.title.startswith("`f` now raises")
    assert [(p.label, p.role, p.code) for p in entry.parts] == [
        ("2.6", "before", "f(1)\n"), ("2.7", "after", "f(2)\n")]
    assert entry.parts[0].line == line_of(body, "```py")
    assert entry.parts[0].label_line == line_of(body, label.strip("*"))


def test_output_blocks_are_not_code() -> None:
    body = """### bc breaking
- Leaf view check (#153094)

Now raises.

```
a = torch.ones(2)
```
Output:

Version 2.7.0
```
Runs without error, but leaks memory
```
Version 2.8.0
```
RuntimeError: a view of a leaf Variable that requires grad is being used
```

A label covers the fences after it until the next paragraph, like this one.

```
ValueError: untagged error text is output too
```

```text
anything tagged text
```
"""
    parts = extract_code_parts(ws(body))
    assert [p.is_output for p in parts] == [False, True, True, True, True]
    assert [p.label for p in parts] == [None, "2.7", "2.8", None, None]
    assert [p.role for p in parts] == [None, "before", "after", None, None]
    assert parts[0].lang is None and parts[0].is_python


def test_python_tag_after_output_label_is_code_again() -> None:
    body = ("### bc breaking\n- x (#1)\n\nWhy.\n\nUsers will see:\n\n```\nFooError: no\n```\n\n"
            "<!-- how to update -->\n\n```python\n# pytorch 2.6\nf()\n# pytorch 2.7\ng()\n```\n")
    parts = extract_code_parts(ws(body))
    assert [(p.is_output, p.label) for p in parts] == [(True, None), (False, "2.6"), (False, "2.7")]


def test_doctest_fence_label_on_last_line_of_a_paragraph() -> None:
    # 2.7.0 final notes: "**Example:**\nVersion 2.6:" is one paragraph
    body = ("### bc breaking\n#### g is private (#141612)\nWe make it private.\n\n"
            "**Example:**\nVersion 2.6:\n```python\n>>> from m import g\n```\n\n"
            "Version 2.7:\n```python\n>>> from m import g\nImportError: cannot import name 'g'\n```\n")
    (entry,) = extract_entries(ws(body))
    assert [(p.label, p.role, p.is_output) for p in entry.parts] == [
        ("2.6", "before", False), ("2.7", "after", False)]
    assert entry.rationale == "We make it private."


def test_no_code_reason_as_paragraph_or_comment() -> None:
    body = ("### bc breaking\n- Drop CUDA 12.4 (#2)\n\nUse 12.8.\n\nno code: build change\n"
            "- Hide symbols (#3)\n\nLinker errors.\n\n<!-- no code: C++ only -->\n"
            "- Nothing at all (#4)\n\nWhy.\n")
    entries = extract_entries(ws(body))
    assert [e.no_code_reason for e in entries] == ["build change", "C++ only", None]
    codes = [(f.line, f.code) for f in lint_entry_list(entries, release="2.7.0")]
    assert codes == [(entries[2].line, "entry-no-code")]


def test_single_label_role_comes_from_the_release() -> None:
    body = "### deprecation\n- f is deprecated (#5)\n\nUse g.\n\nIn 2.7\n```python\ng()\n```\n"
    (part,) = extract_code_parts(ws(body), release="2.7.0")
    assert (part.label, part.role) == ("2.7", "after")
    (part,) = extract_code_parts(ws(body), release="2.8.0")
    assert part.role == "before"
    (part,) = extract_code_parts(ws(body))
    assert part.role is None


def test_lint_findings_each_kind() -> None:
    body = ("### bc breaking\n- No rationale (#1)\n\n```python\n# pytorch 2.6\nf()\n"
            "# pytorch 2.7\ng()\n```\n"
            "- Wrong labels (#2)\n\nWhy.\n\n```python\n# pytorch 2.5\nf()\n# pytorch 2.7\ng()\n```\n"
            "- Unlabelled (#3)\n\nWhy.\n\n```python\nf()\n```\n\n```python\ng()\n```\n"
            "### deprecation\n- Draft (#4)\n\n<!-- TODO: why -->\n\nno code: none\n")
    sheet = ws(body)
    found = {(f.code, f.line) for f in lint_entries(sheet, release="2.7.0")}
    assert ("entry-no-rationale", line_of(body, "No rationale")) in found
    assert ("entry-label", line_of(body, "# pytorch 2.5")) in found
    assert ("entry-unlabelled", line_of(body, "```python", 2)) in found
    assert ("entry-todo", line_of(body, "Draft")) in found
    assert ("entry-no-rationale", line_of(body, "Draft")) in found
    assert len(found) == 5
    # without a release, labels are not judged
    assert "entry-label" not in {f.code for f in lint_entries(sheet, release=None)}
    # 2.6 -> 2.7 is right for 2.7.0 and wrong for 2.8.0
    assert not any(f.code == "entry-label" and f.line == line_of(body, "# pytorch 2.6")
                   for f in lint_entries(sheet, release="2.7.0"))
    assert any(f.code == "entry-label" and f.line == line_of(body, "# pytorch 2.6")
               for f in lint_entries(sheet, release="2.8.0"))


def test_repo_quantization_worksheet() -> None:
    sheet = read_worksheet(REPO / "todo/quantization.md")
    entries = extract_entries(sheet, release="2.7.0")
    assert [(e.kind, e.prs) for e in entries] == [("bc", [139505]), ("deprecation", [144940])]
    for entry in entries:
        assert entry.rationale
        assert [(p.label, p.role) for p in entry.parts] == [("2.6", "before"), ("2.7", "after")]
        assert all(p.file.endswith("quantization.md") for p in entry.parts)
    assert lint_entries(sheet, release="2.7.0") == []
    text = (REPO / "todo/quantization.md").read_text().splitlines()
    for part in extract_code_parts(sheet):
        assert text[part.code_line - 1].strip() == part.code.splitlines()[0].strip()


def test_final_notes_2_8_counts() -> None:
    text = (DATA / "2.8.0/final.md").read_text()
    entries = extract_entries_from_text(text, path="final.md", release="2.8.0")
    bc = [e for e in entries if e.kind == "bc"]
    no_code = [e for e in bc if not [p for p in e.parts if not p.is_output]]
    # the count: 6 of 16 BC entries in 2.8.0 have no code at all
    assert (len(bc), len(no_code)) == (16, 6)
    assert len(entries) - len(bc) == 3
    labels = {p.label for e in entries for p in e.parts if p.label}
    assert labels == {"2.7", "2.8"}


def test_final_notes_domain_groupings_end_entries() -> None:
    text = ("# Notes\n# Backwards Incompatible Changes\n\n## CUDA\n### Drop sm50 (#1)\nWhy.\n\n"
            "## Python Frontend\n### Raises now (#2)\nBecause.\n\nIn 2.7.0\n```\nf()\n```\n"
            "- a bullet that belongs to the entry\n\n# Deprecations\n### Old thing (#3)\nUse new.\n"
            "# New Features\n### Not an entry (#4)\n")
    entries = extract_entries_from_text(text, path="f.md")
    assert [(e.kind, e.prs) for e in entries] == [("bc", [1]), ("bc", [2]), ("deprecation", [3])]
    assert "bullet that belongs" in entries[1].rationale
    assert entries[0].end_line < text.splitlines().index("## Python Frontend") + 1


def test_parse_label() -> None:
    assert parse_label("Version 2.7.0:") == "2.7"
    assert parse_label("In 2.8.0") == "2.8"
    assert parse_label("In 2.8.0, if a custom Function mutates a view it raises") is None
    assert parse_label("2.10") == "2.10"


def test_pr_note_from_pr_body() -> None:
    body = "Summary: x\n\nBC-breaking note: use `g` now.\nMore.\n\nTest Plan:\nrun\n\ncc @a"
    assert pr_note(body) == "use `g` now.\nMore."
    assert pr_note("## Deprecation\nWill go in 2.9\n## Testing\n") == "Will go in 2.9"
    assert pr_note("nothing relevant") is None


@pytest.mark.parametrize("kind,template", [("bc", "worksheet_bc.md.j2"),
                                           ("deprecation", "worksheet_deprecation.md.j2")])
def test_draft_round_trips_and_lint_flags_its_todos(kind: str, template: str) -> None:
    ctx = draft_context(kind=kind, number=139505, title="[export] Remove capture_pre_autograd_graph",
                        body="BC-breaking note: removed.\n", from_version="2.6", to_version="2.7")
    text = render(template, ctx)
    section = "bc breaking" if kind == "bc" else "deprecation"
    sheet = ws(f"### {section}\n{text}")
    (entry,) = extract_entries(sheet, release="2.7.0")
    assert entry.kind == kind and entry.prs == [139505]
    assert entry.title.startswith("Remove capture_pre_autograd_graph")
    assert "removed." in text  # the PR's note is quoted for the maintainer
    code = [p for p in entry.parts if not p.is_output]
    assert [(p.label, p.role) for p in code] == [("2.6", "before"), ("2.7", "after")]
    assert all(p.code.strip().startswith("# TODO:") for p in code)  # no invented code
    codes = {f.code for f in lint_entries(sheet, release="2.7.0")}
    assert codes == {"entry-todo", "entry-no-rationale"}


def test_final_form_keeps_code_labels_and_roles() -> None:
    (entry,) = extract_entries(ws(MARKERS))
    final = render("final_entry.md.j2", final_context(entry))
    assert final.startswith("### Use `export_for_training` (#139505)\n")
    assert "Version 2.6.0\n```python\n" in final and "Version 2.7.0\n```python\n" in final
    (again,) = extract_entries_from_text("# Backwards Incompatible Changes\n" + final)
    assert again.rationale == entry.rationale and again.prs == entry.prs
    assert [(p.label, p.role, p.code) for p in again.parts] == [
        (p.label, p.role, p.code) for p in entry.parts]


code_lines = st.lists(
    st.from_regex(r"[a-z_]{1,8} = [0-9]{1,3}", fullmatch=True), min_size=1, max_size=6)


@given(before=code_lines, after=code_lines)
def test_marker_split_keeps_every_code_line(before: list[str], after: list[str]) -> None:
    body = ("### bc breaking\n- x (#1)\n\nWhy.\n\n```python\n# pytorch 2.6\n" + "\n".join(before)
            + "\n# pytorch 2.7\n" + "\n".join(after) + "\n```\n")
    first, second = extract_code_parts(ws(body))
    assert first.code.splitlines() == before and second.code.splitlines() == after
    lines = (HEAD + body).splitlines()
    assert lines[second.code_line - 1] == after[0]


def test_before_after_labels_take_versions_from_the_release() -> None:
    # 2.7.0 inductor worksheet: "**Before:**" / "**After:**" and the why inside the title
    body = ("### bc breaking\n - New interface for `Observer`. To update your subclasses, "
            "override the new hooks instead (#144277).\n**Before:**\n```python\nold()\n```\n"
            "**After:**\n```python\nnew()\n```\n")
    (entry,) = extract_entries(ws(body), release="2.7.0")
    assert [(p.label, p.role) for p in entry.parts] == [("2.6", "before"), ("2.7", "after")]
    assert entry.rationale.startswith("To update your subclasses")
    (entry,) = extract_entries(ws(body))
    assert [(p.label, p.role) for p in entry.parts] == [(None, "before"), (None, "after")]
    assert not any(f.code == "entry-unlabelled"
                   for f in lint_entries(ws(body), release="2.7.0"))


def test_one_sentence_title_is_not_a_rationale() -> None:
    body = "### deprecation\n- Deprecated: `use_mixed_mm` (#152071)\n\nno code: config flag\n"
    (entry,) = extract_entries(ws(body))
    assert entry.rationale == ""
    assert [f.code for f in lint_entries(ws(body), release="2.8.0")] == ["entry-no-rationale"]


def test_heading_without_pr_in_bc_section_is_reported() -> None:
    body = "### bc breaking\n#### Something changed\n\nWhy.\n\n```python\nf()\n```\n"
    sheet = ws(body)
    assert extract_entries(sheet) == []
    findings = lint_entries(sheet, release="2.7.0")
    assert [(f.code, f.line) for f in findings] == [("entry-no-pr", line_of(body, "#### Some"))]


def test_code_part_lines_survive_a_lone_carriage_return() -> None:
    from relnotes.entries import extract_code_parts
    from relnotes.worksheet import parse_worksheet

    text = ("## fx\n### bc breaking\n- Change x (#1)\n\nBecause\rreasons.\n\n"
            "```python\n# pytorch 2.6\nx = 1\n# pytorch 2.7\ny = 2\n```\n")
    parts = extract_code_parts(parse_worksheet(text, path="w.md"))
    assert [p.line for p in parts] == [7, 10]  # the fence, then the second marker


def test_draft_without_the_pr_title_has_a_todo_title_that_lint_reports() -> None:
    """Offline and not cached: the warning says "title left as TODO", so the title must
    hold one -- even when the maintainer has filled in everything else."""
    ctx = draft_context(kind="bc", number=139505, title="", body="", from_version="2.6",
                        to_version="2.7")
    text = render("worksheet_bc.md.j2", ctx)
    assert text.startswith("- TODO: ") and text.splitlines()[0].endswith("(#139505)")
    filled = ("- TODO: what changed, in one line users understand (#139505)\n\n"
              "The default changed because the old one was wrong.\n\n"
              "```python\n# pytorch 2.6\nf(old=True)\n# pytorch 2.7\nf()\n```\n")
    sheet = ws(f"### bc breaking\n{filled}")
    (entry,) = extract_entries(sheet, release="2.7.0")
    assert entry.prs == [139505]
    assert {f.code for f in lint_entries(sheet, release="2.7.0")} == {"entry-todo"}
