"""Outcomes, history build/load and the backtest on a small synthetic release."""

from __future__ import annotations

from pathlib import Path

import pytest

from relnotes.errors import ConfigError
from relnotes.triage.evaluate import EvalRow, evaluate, score
from relnotes.triage.history import build_history, load_history, write_history
from relnotes.triage.outcomes import read_outcomes
from tests.triage_fixtures import link, write_release


@pytest.fixture
def release(tmp_path: Path) -> tuple[Path, Path]:
    todo = {
        "result_mps.md": {"mps": {
            "Untopiced": [f"[MPS] Fix crash in torch.cat {link(1)}",
                          f"[BE] tidy kernels {link(2)}",
                          f"[ROCm] Fix hip kernel {link(3)}"],
            "improvements": [f"Add bf16 to torch.lerp {link(4)}"]}},
        "result_rocm.md": {"rocm": {"Untopiced": [f"Tune rocm gemm {link(5)}"]}},
        "result_skip.md": {"skip": {"Untopiced": [f"whatever {link(6)}"]}},
    }
    done = {
        "result_mps.md": {"mps": {"bug fixes": [f"Fix crash in `torch.cat` {link(1)}"],
                                  "improvements": [f"Add bf16 to `torch.lerp` {link(4)}"]}},
        "result_rocm.md": {"rocm": {"performance": [f"Tune gemm {link(5)}"],
                                    "bug fixes": [f"Fix hip kernel {link(3)}"]}},
    }
    return write_release(tmp_path, todo, done)


def test_outcomes_follow_prs_across_files(release: tuple[Path, Path]) -> None:
    outcomes, unscored = read_outcomes(todo=release[0], done=release[1])
    fates = {o.item.prs[0]: (o.fate.section, o.fate.domain) for o in outcomes}
    assert unscored == ["result_skip.md"]
    assert fates[1] == ("bug fixes", None)
    assert fates[2] == ("not user facing", None)  # deleted by the maintainer
    assert fates[3] == ("miscategorized", "rocm")  # turned up in rocm's worksheet
    assert fates[5] == ("performance", None)


def test_history_round_trip_and_exclusion(release: tuple[Path, Path], tmp_path: Path) -> None:
    records = build_history([("9.9", release[0], release[1], None),
                             ("9.8", release[0], release[1], None)])
    path = write_history(records, tmp_path / "h.json.gz")
    assert len(load_history(path)) == len(records) == 10
    only = load_history(path, exclude=["9.9"])
    assert only.releases == ["9.8"] and len(only) == 5
    with pytest.raises(ConfigError):
        load_history(tmp_path / "missing.json.gz")


def test_score_counts_by_hand() -> None:
    s = score([EvalRow("bug fixes", None, 0.95, "bug fixes", None),
               EvalRow("not user facing", None, 0.99, "not user facing", None),
               EvalRow("improvements", None, 0.5, "not user facing", None),
               EvalRow("not user facing", None, 0.3, "docs", None),
               EvalRow("bc breaking", None, 0.6, "bc breaking", None, "bc breaking", True),
               EvalRow("improvements", None, 0.55, "deprecation", None, "improvements", True),
               EvalRow("bug fixes", None, 0.52, "bc breaking", None, "bc breaking", False)])
    assert s.fate_accuracy == pytest.approx(3 / 7, abs=1e-4)
    assert s.publish_precision == 0.8 and s.publish_recall == 0.8
    assert s.high_confidence_items == 2 and s.high_confidence_agreement == 1.0
    assert s.decided_at_95 == pytest.approx(3 / 7, abs=1e-4)
    hs = s.high_stakes
    # 3 published BC/deprecation items; 2 found (one suggested, one flagged only)
    assert (hs["published"], hs["found"], hs["flagged"], hs["suggested"]) == (3, 2, 2, 1)
    assert hs["suggested_recall"] == pytest.approx(1 / 3, abs=1e-4)
    # the last row was pre-sorted bc breaking, kept there by maintainers, and moved
    assert (hs["presorted_kept"], hs["presorted_kept_proposed_to_move"]) == (2, 1)
    by_bucket = {(b["low"], b["items"], b["agreement"]) for b in s.reliability}
    assert (0.0, 1, 0.0) in by_bucket and (0.5, 4, 0.25) in by_bucket
    assert (0.95, 2, 1.0) in by_bucket


def test_evaluate_scores_triage_and_baseline(release: tuple[Path, Path], tmp_path: Path) -> None:
    empty = write_history([], tmp_path / "empty.json.gz")
    report = evaluate(todo=release[0], done=release[1], history_path=empty)
    # baseline: right for #4 (kept in improvements) and #2 (Untopiced, deleted)
    assert report.baseline.items == report.triage.items == 5
    assert report.baseline.fate_accuracy == pytest.approx(2 / 5)
    assert report.unscored_files == ["result_skip.md"]
    assert report.triage.fate_accuracy >= report.baseline.fate_accuracy


def test_readme_tables_are_the_bench_results() -> None:
    """README's Triage tables are bench/bench_triage.py's (it writes both)."""
    from tests.helpers import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in ("eval.md", "triage.md"):
        rows = [line for line in (REPO / "bench" / "results" / name).read_text(
            encoding="utf-8").splitlines() if line.startswith("| ") and "---" not in line]
        assert rows
        missing = [row for row in rows if row not in readme]
        assert not missing, f"README lacks rows of bench/results/{name}: {missing[:3]}"


def test_backtests_use_the_releases_a_maintainer_had_and_hold_the_targets(tmp_path) -> None:
    """`relnotes eval ROOT --backtest chrono`: each release with the ones before it, the
    same figures as evaluating that release folder (whose default history is the older
    releases), and issue 18's acceptance table."""
    import json

    from tests.helpers import DATA, run_cli

    doc = json.loads(run_cli("eval", str(DATA), "--backtest", "chrono", "--format",
                             "json").stdout)
    runs = {(b["scored"], tuple(b["history"])): b for b in doc["backtests"]}
    assert set(runs) == {("2.8.0", ("2.7.0",)), ("2.9.0", ("2.7.0", "2.8.0"))}
    assert all(b["kind"] == "chronological" for b in runs.values())
    single = json.loads(run_cli("eval", str(DATA / "2.9.0"), "--no-grouping", "--format",
                                "json").stdout)
    assert single["history_releases"] == ["2.7.0", "2.8.0"]
    assert single["history_rule"] == "the releases older than 2.9.0"
    assert single["triage"]["fate_accuracy"] == \
        runs[("2.9.0", ("2.7.0", "2.8.0"))]["figures"]["accuracy"]
    names = [t["name"] for t in doc["acceptance"]]
    assert "BC+deprecation recall >= 0.80" in names and "devs recall >= 0.20" in names
    assert all(isinstance(t["met"], bool) for t in doc["acceptance"])
    text = run_cli("eval", str(DATA / "2.8.0"), "--no-grouping").stdout
    assert "issue 18's acceptance figures" in text and "history: 2.7.0 (the releases older" in text
