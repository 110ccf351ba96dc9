"""The decision rule, the high-stakes detector and the history's releases and recency."""

from __future__ import annotations

from pathlib import Path

import pytest

from relnotes.errors import ConfigError
from relnotes.triage import triage_worksheet
from relnotes.triage.apidiff import api_diff_for
from relnotes.triage.fitting import Row, fit_across_releases, fit_one_release
from relnotes.triage.history import History, HistoryRecord, load_history, write_history
from relnotes.triage.policy import NEVER, Calibration, Policy, decide
from relnotes.triage.stakes import BC, DEPRECATION, Stakes, assess_stakes
from relnotes.versions import parse_version
from relnotes.worksheet import parse_worksheet
from tests.helpers import run_cli
from tests.triage_fixtures import link, worksheet_text


class _A:
    """An assessment with chosen probabilities and detector score."""

    def __init__(self, probs: dict[str, float], score: float = 0.0, *, kind: str = BC,
                 strong_exit: str | None = None, labelled: bool = False) -> None:
        full = dict.fromkeys(("bc breaking", "deprecation", "new features", "improvements",
                              "bug fixes", "performance", "docs", "devs", "security",
                              "not user facing", "miscategorized"), 0.0)
        full.update(probs)
        self.probs = full
        self.target: str | None = "rocm"
        self.strong_exit = strong_exit
        self.stakes = Stakes(score=score, kind=kind, reasons=["why"], labelled=labelled,
                             evidence=score)
        self.engine = self.model = None


POLICY = Policy(margin=0.3, publish_at=0.5, flag_at=2.0, suggest_at=5.0)


def test_stays_unless_the_alternative_beats_it_by_the_margin() -> None:
    close = decide(_A({"improvements": 0.35, "bug fixes": 0.55}), "improvements", POLICY)
    assert close.section == "improvements" and close.kind == "stay"
    assert any(c.startswith("bug fixes") for c in close.consider)
    clear = decide(_A({"improvements": 0.1, "bug fixes": 0.8}), "improvements", POLICY)
    assert clear.section == "bug fixes" and clear.kind == "move"


def test_presorted_bc_item_leaves_only_on_strong_evidence() -> None:
    weak = decide(_A({"bc breaking": 0.01, "improvements": 0.9}), "bc breaking", POLICY)
    assert weak.section == "bc breaking" and weak.kind == "kept"
    strong = decide(_A({"bc breaking": 0.01, "not user facing": 0.9},
                       strong_exit="revert pair"), "bc breaking", POLICY)
    assert strong.section == "not user facing"


def test_untopiced_gets_the_best_section_and_bc_evidence_is_flagged_or_suggested() -> None:
    best = decide(_A({"not user facing": 0.45, "bug fixes": 0.3, "docs": 0.25}), "Untopiced",
                  POLICY)
    assert best.section == "bug fixes"  # published p=0.55 >= publish_at
    flagged = decide(_A({"not user facing": 0.9}, 3.0), "not user facing", POLICY)
    assert flagged.section == "not user facing" and flagged.flagged == BC
    assert flagged.consider[0].startswith("bc breaking (score 3.0, flagged from 2.0): why")
    suggested = decide(_A({"not user facing": 0.9}, 6.0, kind=DEPRECATION), "Untopiced", POLICY)
    assert suggested.section == DEPRECATION
    labelled = decide(_A({"improvements": 0.9}, 0.5, labelled=True), "improvements", POLICY)
    assert labelled.section == BC


def _lead_rows(release: str, moves_from: float) -> list[Row]:
    """Items whose alternative leads by 0.1..0.9; maintainers moved those leading by
    more than ``moves_from``."""
    return [Row(release, "improvements", "bug fixes" if lead > moves_from else "improvements",
                {"improvements": 0.5 - lead / 2, "bug fixes": 0.5 + lead / 2,
                 "not user facing": 0.0})
            for lead in (0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9) for _ in range(10)]


def test_the_margin_is_learned_across_releases_and_kept_only_where_it_beats_staying() -> None:
    # moving pays off in both releases when the alternative leads by a lot
    policy = fit_across_releases(_lead_rows("1.0", 0.5) + _lead_rows("1.1", 0.5),
                                 source="synthetic")
    assert 0.4 < policy.margin <= 0.6 and policy.learned_from == "synthetic"
    # in one of the two releases maintainers never moved: any margin loses to staying
    # there, so none is learned, though it would win on the two taken together
    never = _lead_rows("1.1", 1.0)[-20:]  # leads 0.8 and 0.9, never moved
    guarded = fit_across_releases(_lead_rows("1.0", 0.5) * 3 + never, source="synthetic")
    assert guarded.margin == NEVER
    stays = decide(_A({"improvements": 0.05, "bug fixes": 0.95}), "improvements", guarded)
    assert stays.section == "improvements" and "no margin is learned" in stays.reasons[0]


def test_one_release_of_history_learns_no_margin_and_no_publish_threshold() -> None:
    policy = fit_one_release(_lead_rows("1.0", 0.5), source="one", has_model=True)
    assert policy.margin == NEVER and policy.publish_at == NEVER and not policy.calibration
    assert policy.alpha == 0.5  # nothing to learn the mix from
    untopiced = decide(_A({"not user facing": 0.45, "bug fixes": 0.3, "docs": 0.25}),
                       "Untopiced", policy)
    assert untopiced.section == "not user facing"  # the likeliest place


def test_calibration_is_increasing_and_smoothed() -> None:
    pairs = [(x / 100, x % 3 != 0 or x > 80) for x in range(100)]
    cal = Calibration.fit(pairs)
    values = [cal(x / 100) for x in range(100)]
    assert values == sorted(values) and 0.0 < values[0] and values[-1] < 1.0


def test_api_profiles_give_bc_evidence_for_a_removed_name() -> None:
    api = api_diff_for(parse_version("2.8.0"))
    assert api is not None
    stakes = assess_stakes("Remove torch.export.export_for_inference", "export", api=api)
    assert stakes.api_removed and stakes.kind == BC
    assert any("exists in torch 2.7 and not in 2.8" in r for r in stakes.reasons)
    # the same title against 2.7 (where it still exists): no removal evidence
    older = assess_stakes("Remove torch.export.export_for_inference", "export",
                          api=api_diff_for(parse_version("2.7.0")))
    assert not older.api_removed and older.score < stakes.score


def test_wording_flags_support_drops_not_internal_clean_ups() -> None:
    drop = assess_stakes("Drop support for Python 3.9", "python_frontend")
    tidy = assess_stakes("[BE] Remove unused helper from tests", "python_frontend")
    dep = assess_stakes("Deprecate `torch.foo_bar` in favour of `torch.baz`", "python_frontend")
    assert drop.score >= 3.0 and tidy.score < drop.score / 2
    assert dep.kind == DEPRECATION


def test_release_option_picks_the_profiles(tmp_path: Path) -> None:
    ws = tmp_path / "export.md"
    ws.write_text(worksheet_text("export", {"Untopiced": [
        f"Remove torch.export.export_for_inference {link(7)}"]}))
    with_release = run_cli("triage", str(ws), "--offline", "--release", "2.8.0").output
    without = run_cli("triage", str(ws), "--offline").output
    assert "API profiles: torch.export.export_for_inference exists in torch 2.7" in with_release
    assert "API profiles" not in without
    assert "Error" in run_cli("triage", str(ws), "--release", "two", expect=2).output


def test_suggestions_do_not_depend_on_the_files_beside_the_worksheet(tmp_path: Path) -> None:
    text = worksheet_text("cuda", {"Untopiced": [f"[ROCm] Improve softmax {link(1)}",
                                                 f"Fix crash in torch.cuda.x {link(2)}"]})
    alone, beside = tmp_path / "alone", tmp_path / "beside"
    for folder in (alone, beside):
        folder.mkdir()
        (folder / "result_cuda.md").write_text(text)
    (beside / "result_rocm.md").write_text(worksheet_text("rocm", {}))
    history = History([])
    a = triage_worksheet(parse_worksheet(text, path=str(alone / "result_cuda.md")),
                         history=history)
    b = triage_worksheet(parse_worksheet(text, path=str(beside / "result_cuda.md")),
                         history=history)
    assert [(s.section, s.domain, s.confidence) for s in a] == \
        [(s.section, s.domain, s.confidence) for s in b]
    assert a[0].section == "miscategorized" and a[0].domain == "rocm"


def test_history_releases_can_be_chosen_and_older_ones_weigh_less(tmp_path: Path) -> None:
    def rec(release: str, fate: str) -> HistoryRecord:
        return HistoryRecord(release, "mps", "Untopiced", fate, None, "Fix a crash")
    records = [rec("2.7.0", "not user facing")] * 10 + [rec("2.8.0", "bug fixes")] * 10
    path = write_history(records, tmp_path / "h.json.gz")
    assert load_history(path, include=["2.8.0"]).releases == ["2.8.0"]
    with pytest.raises(ConfigError, match="no release 2.6.0"):
        load_history(path, include=["2.6.0"])
    recent = load_history(path, recency=0.25).prior("mps", "Untopiced")
    even = load_history(path, recency=1.0).prior("mps", "Untopiced")
    assert recent is not None and even is not None
    assert recent.publish > even.publish  # the newer release (published) counts more


def test_domain_share_of_bc_items_is_learned_and_weighed() -> None:
    def rec(domain: str, fate: str, i: int) -> HistoryRecord:
        return HistoryRecord("2.8.0", domain, "not user facing", fate, None, f"Change thing {i}")
    records = ([rec("releng", "deprecation", i) for i in range(12)]
               + [rec("releng", "not user facing", i) for i in range(38)]
               + [rec("mps", "not user facing", i) for i in range(200)])
    history = History(records)
    rate, kind = history.stakes_rate("releng")
    assert rate > 1.0 and kind == DEPRECATION
    assert history.stakes_rate("mps")[0] < 0 and history.stakes_rate("mps")[1] is None
    only_domain = assess_stakes("Change the runner image", "releng", history=history)
    assert only_domain.kind == DEPRECATION and only_domain.domain_rate == rate
    # a history where the domain's share alone finds the BC/deprecation items:
    # the fitted weight of the share is above zero and flags within the budget
    rows = [Row(f"1.{i % 2}", "not user facing",
                "deprecation" if i < 10 else "not user facing",
                {"not user facing": 0.9, "improvements": 0.1},
                stakes_parts=(0.0, 0.0, 2.0 if i < 12 else -0.5, 0.0)) for i in range(600)]
    policy = fit_across_releases(rows, source="synthetic")
    assert policy.stakes_domain > 0
    flagged = [r for r in rows if policy.stakes_score(_A({}, 0.0).stakes) >= policy.flag_at]
    assert not flagged  # nothing but the share: an average domain's item is not flagged
    assert sum(policy.stakes_domain * r.stakes_parts[2] >= policy.flag_at for r in rows) \
        <= 0.03 * len(rows)


def test_toolchain_migrations_are_deprecation_evidence() -> None:
    moved = assess_stakes("Migrate the rest of CUDA 12.1 jobs to 12.4", "releng")
    assert moved.kind == DEPRECATION and any(r.startswith("B13") for r in moved.reasons)
    assert not any(r.startswith("B13")
                   for r in assess_stakes("Move helper to utils", "releng").reasons)
