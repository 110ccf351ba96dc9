"""The triage engine: suggestions, reasons, metadata, revert pairs, JSON shape."""

from __future__ import annotations

from relnotes.categories import SUGGESTABLE
from relnotes.github import PRRecord
from relnotes.triage import Suggestion, triage_worksheet
from relnotes.triage.history import History, HistoryRecord
from relnotes.worksheet import parse_worksheet
from tests.triage_fixtures import link, worksheet_text


def ws_of(items: dict[str, list[str]], domain: str = "quantization"):
    return parse_worksheet(worksheet_text(domain, items), path="todo/result_x.md")


def by_pr(suggestions: list[Suggestion]) -> dict[int, Suggestion]:
    return {s.item.prs[0]: s for s in suggestions}


def test_one_suggestion_per_item_in_file_order_never_untopiced() -> None:
    ws = ws_of({"Untopiced": [f"Fix crash in torch.cat {link(1)}", f"[BE] tidy {link(2)}"],
                "not user facing": [f"remove allow-untyped-defs from a.py {link(3)}"]})
    out = triage_worksheet(ws, known_domains={"quantization"})
    assert [s.item.prs[0] for s in out] == [1, 2, 3]
    for s in out:
        assert s.section in SUGGESTABLE and s.section != "Untopiced"
        assert 0.0 <= s.confidence <= 1.0
        assert s.reasons
    assert out[1].section == "not user facing" and out[2].section == "not user facing"
    assert any("T01" in r for r in out[1].reasons)


def test_metadata_tests_only_pr_becomes_not_user_facing_with_the_reason() -> None:
    ws = ws_of({"improvements": [
        f"Add support for int4 weights in torch.ao.quantize {link(10)}"]})
    without = triage_worksheet(ws, known_domains={"quantization"})[0]
    assert without.section == "improvements"  # no history: pre-sorted items stay
    meta = {10: PRRecord(number=10, title="x", files=["test/quantization/test_x.py"],
                         changed_files=1)}
    with_meta = triage_worksheet(ws, metadata=meta, known_domains={"quantization"})[0]
    assert with_meta.section == "not user facing"
    assert any("only tests" in r for r in with_meta.reasons)


def test_metadata_bc_breaking_label_moves_to_bc_breaking() -> None:
    ws = ws_of({"improvements": [f"Change default of weights_only {link(20)}"]})
    before = triage_worksheet(ws, known_domains={"quantization"})[0]
    assert before.section == "improvements"
    meta = {20: PRRecord(number=20, labels=["topic: bc breaking"], files=["torch/serialization.py"])}
    after = triage_worksheet(ws, metadata=meta, known_domains={"quantization"})[0]
    assert after.section == "bc breaking"
    assert any("topic: bc breaking" in r for r in after.reasons)


def test_revert_pair_both_dropped_and_named() -> None:
    ws = ws_of({"improvements": [f"Add fast path for torch.add {link(30)}"],
                "Untopiced": [f'Revert "Add fast path for torch.add (#30)" {link(31)}']})
    out = by_pr(triage_worksheet(ws, known_domains={"quantization"}))
    assert out[30].section == out[31].section == "not user facing"
    assert any("revert pair" in r and "Add fast path" in r for r in out[30].reasons)


def test_tag_of_another_domain_proposes_miscategorized() -> None:
    ws = ws_of({"Untopiced": [f"[ROCm] Improve softmax performance {link(40)}"]}, domain="cuda")
    s = triage_worksheet(ws, known_domains={"cuda", "rocm"})[0]
    assert s.section == "miscategorized" and s.domain == "rocm"
    # without a rocm worksheet in the release there is nowhere to send it
    s = triage_worksheet(ws, known_domains={"cuda"})[0]
    assert s.section != "miscategorized"


def test_history_changes_the_decision_and_says_so() -> None:
    ws = ws_of({"Untopiced": [f"Frobnicate the quux kernel {link(50)}"]}, domain="mps")
    past = [HistoryRecord("1.0", "mps", "Untopiced", "bug fixes", None, f"Frobnicate quux {i}")
            for i in range(40)]
    published = triage_worksheet(ws, history=History(past), known_domains={"mps"})[0]
    dropped_past = [HistoryRecord("1.0", "mps", "Untopiced", "not user facing", None,
                                  f"Frobnicate quux {i}") for i in range(40)]
    dropped = triage_worksheet(ws, history=History(dropped_past), known_domains={"mps"})[0]
    assert published.section == "bug fixes"
    assert dropped.section == "not user facing"
    assert any("past releases" in r for r in published.reasons)


def test_to_json_shape() -> None:
    ws = ws_of({"Untopiced": [f"[MPS] Fix foo_bar {link(60)}"]}, domain="mps")
    doc = triage_worksheet(ws, known_domains={"mps"})[0].to_json()
    assert set(doc) == {"line", "section", "prs", "title", "clean_title", "suggestion"}
    assert set(doc["suggestion"]) == {"section", "domain", "confidence", "reasons", "consider",
                                      "flagged"}
    assert doc["section"] == "Untopiced" and doc["prs"] == [60]
    assert doc["clean_title"] == "Fix `foo_bar` (#60)"
    assert doc["line"] == ws.items()[0].line


def test_reasons_never_cite_a_rate_of_zero_items() -> None:
    """One past mps performance item, of the older release (weight 0.5): its rate is
    not "of 0 such items"; a tag with no such past items says so."""
    past = [HistoryRecord("2.0.0", "mps", "not user facing", "not user facing", None,
                          f"Tidy mps kernel {i}") for i in range(30)]
    past.append(HistoryRecord("1.0.0", "mps", "performance", "performance", None,
                              "Speed up mps matmul"))
    ws = ws_of({"performance": [f"Speed up mps conv {link(70)}"],
                "Untopiced": [f"[ROCm] Tune softmax {link(71)}"]}, domain="mps")
    out = by_pr(triage_worksheet(ws, history=History(past), known_domains={"mps", "rocm"}))
    reasons = [r for s in out.values() for r in s.reasons]
    assert not [r for r in reasons if " of 0 " in r], reasons
    assert "pre-sorted in performance; 1 such mps item in older releases only, " in \
        out[70].reasons[0]
    assert any(r.endswith("-> rocm; no such mps items in past releases") for r in out[71].reasons)
