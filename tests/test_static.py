"""Static check of code parts: syntax at the worksheet line, torch names per version, BC claims."""

from __future__ import annotations

import pytest

from relnotes.entries import (
    CodePart,
    extract_code_parts,
    extract_entries,
    extract_entries_from_text,
)
from relnotes.snippets.static import api_references, bc_claim, runnable_source, static_check
from relnotes.worksheet import parse_worksheet, read_worksheet
from tests.helpers import DATA, REPO

HEAD = "# worksheet\n\n## quantization\n### bc breaking\n- Entry (#1)\n\nWhy.\n\n"


def parts_of(fences: str, release: str | None = "2.7.0") -> list[CodePart]:
    return extract_code_parts(parse_worksheet(HEAD + fences, path="w.md"), release=release)


def part(code: str, label: str | None, *, lang: str | None = "python") -> CodePart:
    return CodePart(file="w.md", line=10, prs=[1], label=label, role=None, code=code,
                    lang=lang, is_output=False, entry_title="t", code_line=11)


def test_syntax_error_is_reported_at_its_worksheet_line() -> None:
    fences = "```python\n# pytorch 2.6\nx = 1\ny = (\n# pytorch 2.7\nz = 2 +\n```\n"
    before, after = parts_of(fences)
    lines = (HEAD + fences).splitlines()
    r1, r2 = static_check(before), static_check(after)
    assert (r1.ok, r1.kind, r2.ok, r2.kind) == (False, "syntax", False, "syntax")
    assert lines[r2.line - 1] == "z = 2 +"
    assert "SyntaxError" in r2.message
    assert r1.line is not None and lines.index("y = (") + 1 <= r1.line <= lines.index("# pytorch 2.7") + 1


def test_c_style_comment_from_the_2_7_notes_is_a_syntax_error() -> None:
    code = "optim = ...\nlrsched = ReduceLROnPlateau(optim, verbose=True)\n// prints\n"
    result = static_check(part(code, "2.6"))
    assert (result.ok, result.kind, result.line) == (False, "syntax", 13)


@pytest.mark.parametrize("label,ok", [("2.10", True), ("2.11", False)])
def test_export_for_training_exists_up_to_2_10(label: str, ok: bool) -> None:
    code = "import torch\nfrom torch.export import export_for_training\nep = export_for_training(m, x)\n"
    result = static_check(part(code, label))
    assert result.ok is ok
    if not ok:
        assert result.kind == "missing-api" and result.line == 12
        assert "torch.export.export_for_training" in result.message and "2.11" in result.message


@pytest.mark.parametrize("label,ok", [("2.6", True), ("2.7", False)])
def test_capture_pre_autograd_graph_exists_up_to_2_6(label: str, ok: bool) -> None:
    code = "from torch._export import capture_pre_autograd_graph\n"
    assert static_check(part(code, label)).ok is ok


def test_dotted_paths_and_aliases_are_resolved() -> None:
    code = ("import torch.ao.quantization.quantize_pt2e as q\nimport torch\n\n"
            "prepared = q.prepare_pt2e(m, quantizer)\nep = torch.export.export_for_training(m, x)\n")
    assert static_check(part(code, "2.10")).ok
    result = static_check(part(code, "2.11"))
    # in 2.11 the quantize_pt2e module itself is gone: the import line is reported
    assert (result.ok, result.kind, result.line) == (False, "missing-api", 11)


def test_keyword_argument_that_a_version_does_not_take() -> None:
    code = "import torch\nsched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, verbose=True)\n"
    assert static_check(part(code, "2.6")).ok
    result = static_check(part(code, "2.7"))
    assert (result.ok, result.kind) == (False, "missing-api")
    assert "verbose" in result.message


def test_names_the_profile_cannot_see_are_not_reported() -> None:
    code = ("import torch\nfrom executorch.backends.xnnpack.quantizer.xnnpack_quantizer import X\n"
            "torch.some_function_made_at_run_time(1)\nt = torch.Tensor.new_tensor\n")
    assert static_check(part(code, "2.7")).ok


def test_torch_is_assumed_imported_unless_rebound() -> None:
    assert [r.name for r in api_references("torch.onnx.dynamo_export(m)\n")] == [
        "torch.onnx.dynamo_export"]
    assert api_references("torch = object()\ntorch.nothing\n") == []


def test_parts_that_are_not_checked() -> None:
    assert static_check(part("f(", None)).kind == "syntax"  # syntax needs no label
    no_label = static_check(part("from torch.export import nothing_at_all\n", None))
    assert no_label.ok and "no version label" in no_label.message
    assert static_check(part("int main() {}", "2.7", lang="cpp")).ok
    out = part("RuntimeError: boom", "2.7")
    out.is_output = True
    assert static_check(out).ok
    unknown = static_check(part("from torch.export import x\n", "1.0"))
    assert unknown.ok and "no API profile" in unknown.message


def test_doctest_code_keeps_line_numbers_and_turns_output_into_claims() -> None:
    code = (">>> from torch.ao.quantization.pt2e.graph_utils import get_control_flow_submodules\n"
            "ImportError: cannot import name 'get_control_flow_submodules'\n"
            ">>> from torch.ao.quantization.pt2e.graph_utils import _get_control_flow_submodules\n")
    source = runnable_source(code)
    assert source.splitlines()[1] == "# ImportError: cannot import name 'get_control_flow_submodules'"
    assert len(source.splitlines()) == 3
    assert static_check(part(code, "2.6")).kind == "missing-api"  # _private is 2.7's
    # in 2.7 the public name is gone, and the snippet says so: expected, not a failure
    assert static_check(part(code, "2.7")).ok
    unclaimed = code.replace("ImportError: cannot import name 'get_control_flow_submodules'\n", "")
    result = static_check(part(unclaimed, "2.7"))
    assert (result.kind, result.line) == ("missing-api", 11)
    assert runnable_source("optim = ...\n") == "optim = ...\n"  # Ellipsis is not a prompt


def test_bc_claim_on_the_repo_worksheet_is_confirmed() -> None:
    sheet = read_worksheet(REPO / "todo/quantization.md")
    bc = next(e for e in extract_entries(sheet, release="2.7.0") if e.kind == "bc")
    claim = bc_claim(bc)
    assert claim.status == "confirmed" and (claim.older, claim.newer) == ("2.6", "2.7")
    assert claim.gone == ["torch._export.capture_pre_autograd_graph"]


def _entry(before: str, after: str, old: str = "2.7", new: str = "2.8"):
    body = (f"```python\n# pytorch {old}\n{before}\n# pytorch {new}\n{after}\n```\n")
    (entry,) = extract_entries(parse_worksheet(HEAD + body, path="w.md"))
    return entry


def test_bc_claim_not_confirmed_when_the_code_does_not_show_a_break() -> None:
    claim = bc_claim(_entry("import torch\ntorch.export.export(m, x)",
                            "torch.export.export(m, x)", "2.8", "2.9"))
    assert claim.status == "not-confirmed" and not claim.gone and not claim.changed


def test_bc_claim_sees_a_changed_default() -> None:
    # export's strict default went from True (2.7) to False (2.8)
    claim = bc_claim(_entry("torch.export.export(m, x)", "torch.export.export(m, x, strict=True)"))
    assert claim.status == "confirmed" and claim.changed == ["torch.export.export"]


def test_bc_claim_unknown_without_before_code() -> None:
    body = "```python\nf()\n```\n"
    (entry,) = extract_entries(parse_worksheet(HEAD + body, path="w.md"))
    assert bc_claim(entry).status == "unknown"


@pytest.mark.parametrize("version,expected", [
    # 2.7.0: a C-style "//" comment inside the LRScheduler example
    ("2.7.0", [("syntax", "// lrsched")]),
    # 2.8.0: mis-indented autograd.Function example; DLDeviceType.kDLCUDA is only in 2.9+
    ("2.8.0", [("syntax", "a = torch.tensor"), ("missing-api", "d1 = DLDeviceType.kDLCUDA")]),
])
def test_published_final_notes(version: str, expected: list[tuple[str, str]]) -> None:
    text = (DATA / version / "final.md").read_text()
    lines = text.splitlines()
    parts = [p for e in extract_entries_from_text(text, path="final.md", release=version)
             for p in e.parts]
    failures = [r for r in map(static_check, parts) if not r.ok]
    assert [(r.kind, lines[r.line - 1].strip()[: len(snip)]) for r, (_, snip)
            in zip(failures, expected)] == expected
    assert len(failures) == len(expected)


def test_claimed_import_error_on_a_multiline_import_is_not_missing_api() -> None:
    from relnotes.snippets.static import static_check

    for code in (
        ("from torch._export import (\n    capture_pre_autograd_graph,\n)\n"
         "# ImportError: cannot import name 'capture_pre_autograd_graph'\n"),
        "from torch._export import capture_pre_autograd_graph  # ImportError: cannot import\n",
    ):
        part = CodePart(file="w.md", line=1, prs=[1], label="2.7", role="after", code=code,
                        lang="python", is_output=False, entry_title="t")
        assert static_check(part).ok, code
    part = CodePart(file="w.md", line=1, prs=[1], label="2.7", role="after",
                    code="from torch._export import capture_pre_autograd_graph\n",
                    lang="python", is_output=False, entry_title="t")
    assert static_check(part).kind == "missing-api"


def test_bc_claim_unknown_when_the_before_code_is_a_todo() -> None:
    """`entry new --write` leaves comment-only code; "every name exists unchanged"
    (not-confirmed) was a verdict on nothing."""
    claim = bc_claim(_entry("# TODO: code that works in 2.8 and breaks in 2.9",
                            "# TODO: the same code, updated", "2.8", "2.9"))
    assert claim.status == "unknown" and "comments only" in claim.message
