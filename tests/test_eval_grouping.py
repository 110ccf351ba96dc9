"""`relnotes eval` scores summaries' grouping next to triage (issue 17, part 4)."""

from __future__ import annotations

import json

from tests.helpers import DATA, run_cli


def test_eval_reports_grouping_quality_of_a_release_folder() -> None:
    release = DATA / "2.9.0"
    out = run_cli("eval", "--todo", str(release / "todo"), "--done", str(release / "done"),
                  "--exclude-history", "2.9.0", "--format", "json").stdout
    grouping = {g["method"]: g for g in json.loads(out)["grouping"]}
    ours, naive = grouping["summaries"], grouping["naive (titles >= 85% alike)"]
    for g in (ours, naive):
        assert g["release"] == "2.9.0" and g["bullets"] == 35  # 2.9.0's multi-PR bullets
        assert 0 <= g["bullets_found"] <= g["bullets"] and 0 <= g["pairs_right"] <= g["pairs"]
        assert abs(g["bullet_recall"] - g["bullets_found"] / g["bullets"]) < 1e-3
    # the grouping finds more of the maintainers' bullets than near-identical titles do
    assert ours["bullets_found"] > naive["bullets_found"]


def test_eval_text_says_when_the_grouping_weights_saw_the_release() -> None:
    release = DATA / "2.9.0"
    text = run_cli("eval", "--todo", str(release / "todo"), "--done", str(release / "done"),
                   "--exclude-history", "2.9.0").stdout
    assert "bullet recall" in text and "in-sample" in text  # shipped weights learned 2.7-2.9
    quiet = run_cli("eval", "--todo", str(release / "todo"), "--done", str(release / "done"),
                    "--exclude-history", "2.9.0", "--no-grouping", "--format", "json").stdout
    assert "grouping" not in json.loads(quiet)
