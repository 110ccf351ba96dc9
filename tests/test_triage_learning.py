"""Issue 18 end to end: the history a worksheet is triaged with (only the releases older
than its own), API-profile evidence in the detector, and summaries' groups in triage."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from relnotes.triage import triage_worksheet
from relnotes.triage.apidiff import api_diff_for
from relnotes.triage.history import load_history
from relnotes.triage.stakes import assess_stakes
from relnotes.versions import parse_version
from relnotes.worksheet import read_worksheet
from tests.helpers import DATA, REPO, copy_data, run_cli
from tests.triage_fixtures import link, worksheet_text

PT2E = "Delete pt2e flow from pytorch/pytorch since it's migrated to torchao"
NEWER_PREAMBLE = (REPO / "tests/data/shapes/newer_worksheet.md").read_text(encoding="utf-8")


def _triage_json(*args: str) -> dict:
    return json.loads(run_cli("triage", *args, "--offline", "--format", "json").stdout)


def _cited(doc: dict, releases: tuple[str, ...]) -> list[str]:
    pattern = re.compile("|".join(re.escape(r) for r in releases))
    return [text for ws in doc["worksheets"] for item in ws["items"]
            for text in item["suggestion"]["reasons"] + item["suggestion"]["consider"]
            if pattern.search(text)]


@pytest.fixture
def sheet_28(tmp_path: Path) -> Path:
    """The generated 2.8.0 quantization worksheet, in a folder named 2.8.0."""
    return copy_data(DATA / "2.8.0/todo/result_quantization.md",
                     tmp_path / "2.8.0/todo/result_quantization.md")


def test_a_worksheet_is_triaged_with_the_releases_before_its_own(sheet_28: Path) -> None:
    """A 2.8.0 worksheet: no reason cites 2.8.0's or 2.9.0's decisions, and the
    suggestions are those of a history of 2.7.0 alone."""
    doc = _triage_json(str(sheet_28))
    assert not _cited(doc, ("2.8.0", "2.9.0"))
    assert _cited(doc, ("2.7.0",))  # the history it had is cited
    only_older = _triage_json(str(sheet_28), "--history-release", "2.7.0")
    assert doc == only_older
    # the library's default is the same (review calls triage_worksheet with all history)
    ws = read_worksheet(sheet_28)
    lib = triage_worksheet(ws, history=load_history())
    assert [s.to_json()["suggestion"] for s in lib] == \
        [i["suggestion"] for i in doc["worksheets"][0]["items"]]


@pytest.mark.slow
def test_its_suggestions_equal_those_of_a_history_built_without_later_releases(
        sheet_28: Path, tmp_path: Path) -> None:
    """The same as with a history file built from 2.7.0 alone by `relnotes history build`
    (its own fate model and rule, fitted with numpy)."""
    release = DATA / "2.7.0"
    built = tmp_path / "h27" / "history.json.gz"
    built.parent.mkdir()
    run_cli("history", "build", "--pair",
            f"2.7.0={release / 'todo'}:{release / 'done'}:{release / 'miscategorized.md'}",
            "--out", str(built))
    assert _triage_json(str(sheet_28)) == _triage_json(str(sheet_28), "--history", str(built))


def test_a_worksheet_of_no_known_release_uses_all_history_and_says_so(tmp_path: Path) -> None:
    ws = tmp_path / "quantization.md"
    ws.write_text(worksheet_text("quantization", {"Untopiced": [f"Fix a crash {link(1)}"]}))
    result = run_cli("triage", str(ws), "--offline")
    assert result.stderr.count("no release known") == 1
    assert "triage uses every history release (2.7.0, 2.8.0, 2.9.0)" in result.stderr
    older = run_cli("triage", str(ws), "--offline", "--release", "2.7.0")
    assert "no release older than 2.7.0: triage keeps the pre-sort" in older.stderr


def test_removed_pt2e_flow_is_flagged_from_the_api_profiles(tmp_path: Path) -> None:
    """Issue 18's case: on a 2.11.0 quantization worksheet (the shipped profiles go to
    torch 2.15), the title names a public module 2.10 has and 2.11 lacks."""
    sheet = tmp_path / "2.11.0/todo/result_quantization.md"
    sheet.parent.mkdir(parents=True)
    sheet.write_text(worksheet_text("quantization", {
        "Untopiced": [f"{PT2E} {link(169151)}"], "not user facing": [f"{PT2E} {link(169152)}"]}))
    for item in _triage_json(str(sheet))["worksheets"][0]["items"]:
        s = item["suggestion"]
        assert s["flagged"] == "bc breaking" or s["section"] == "bc breaking", s
        assert any("module torch.ao.quantization.pt2e exists in torch 2.10 and not in 2.11"
                   in text for text in s["reasons"] + s["consider"]), s
        if s["section"] != "bc breaking":  # flagged but placed elsewhere: never unreviewed
            assert s["confidence"] < 0.9


def test_removal_evidence_needs_removal_wording_and_a_public_name() -> None:
    api_211 = api_diff_for(parse_version("2.11.0"))
    api_29 = api_diff_for(parse_version("2.9.0"))
    assert api_211 is not None and api_29 is not None
    assert assess_stakes(PT2E, "quantization", api=api_211).api_removed
    assert not assess_stakes("Speed up the pt2e flow", "quantization", api=api_211).api_removed
    # a public re-export (defined in a private module) the title removes
    onnx = assess_stakes("[ONNX] Remove enable_fake_mode and exporter_legacy", "onnx",
                         api=api_29)
    assert any("public name torch.onnx.enable_fake_mode exists in torch 2.8 and not in 2.9"
               in r for r in onnx.reasons), onnx.reasons
    # names that happen to be gone, without removal wording or in private modules
    assert not api_29.removals_in("Fix docs format error in `torch.nn`")
    assert not [c for c in api_29.removals_in("[ONNX] Create deprecation warning")
                if "._" in c.name]


def _newer_preamble_sheet(tmp_path: Path, *, newer: bool) -> Path:
    """2.9.0's generated mps worksheet, under the 2.10+ preamble (which asks for
    summaries) when ``newer``, else as generated."""
    real = (DATA / "2.9.0/todo/result_mps.md").read_text(encoding="utf-8")
    body = real[real.index("\n## ") + 1:]
    head = NEWER_PREAMBLE[:NEWER_PREAMBLE.index("## autograd_frontend")].replace(
        "autograd_frontend", "mps") if newer else real[:real.index("\n## ") + 1]
    sheet = tmp_path / "2.9.0/todo/result_mps.md"
    sheet.parent.mkdir(parents=True, exist_ok=True)
    sheet.write_text(head + body, encoding="utf-8")
    return sheet


def test_triage_offers_summaries_groups_where_the_preamble_asks(tmp_path: Path) -> None:
    sheet = _newer_preamble_sheet(tmp_path, newer=True)
    doc = _triage_json(str(sheet))
    groups = doc["worksheets"][0]["groups"]
    assert groups and all(set(g) >= {"section", "prs", "bullet", "confidence", "reasons"}
                          for g in groups)
    prs = [p for g in groups for p in g["prs"]]
    assert len(prs) == len(set(prs))  # a PR is in at most one group
    text = run_cli("triage", str(sheet), "--offline").stdout
    assert text.index("summary at confidence") < text.index("summaries' groups")
    assert groups[0]["bullet"] in text
    assert "groups" not in _triage_json(str(sheet), "--no-summaries")["worksheets"][0]


def test_older_preambles_get_groups_only_when_asked(tmp_path: Path) -> None:
    sheet = _newer_preamble_sheet(tmp_path, newer=False)
    assert "groups" not in _triage_json(str(sheet))["worksheets"][0]
    assert "summaries' groups" not in run_cli("triage", str(sheet), "--offline").stdout
    assert _triage_json(str(sheet), "--summaries")["worksheets"][0]["groups"]


def test_the_release_setting_picks_the_history_too(tmp_path: Path) -> None:
    """No release folder, but `release = "2.8.0"` in pyproject.toml: the history is 2.7.0."""
    (tmp_path / "pyproject.toml").write_text('[tool.relnotes]\nrelease = "2.8.0"\n')
    sheet = copy_data(DATA / "2.8.0/todo/result_quantization.md", tmp_path / "quantization.md")
    doc = _triage_json(str(sheet))
    assert not _cited(doc, ("2.8.0", "2.9.0")) and _cited(doc, ("2.7.0",))
    assert doc == _triage_json(str(sheet), "--history-release", "2.7.0")
