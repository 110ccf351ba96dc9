"""relnotes summarize: truth from done/, grouping, drafted bullets, key PRs, the
preamble check, the metrics, and the command (no write without --write; --write loses
nothing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relnotes.release import worksheet_files
from relnotes.summaries import (
    asks_for_summaries,
    group_items,
    load_weights,
    summary_sections,
)
from relnotes.summaries.bullet import draft_bullet, link_style, sentence
from relnotes.summaries.evaluate import grouping_quality, naive_groups, score_groups
from relnotes.summaries.grouping import groupable_items
from relnotes.summaries.keys import key_score
from relnotes.summaries.truth import Truth, truth_of
from relnotes.worksheet import parse_worksheet, read_worksheet
from tests.helpers import DATA, copy_data, run_cli

URL = "https://github.com/pytorch/pytorch/pull/"
HEAD = "# Release Notes worksheet foo\n\nSome instructions.\n\n## foo\n"


def link(n: int) -> str:
    return f"([#{n}]({URL}{n}))"


def sheet(lines: list[str], *, head: str = HEAD) -> str:
    return head + "\n".join(lines) + "\n"


SERIES = sheet([
    "### bc breaking",
    "### improvements",
    f"- [inductor][1/3] pallas backend: lower pointwise ops {link(150001)}",
    f"- Fix typo in README {link(150500)}",
    f"- [inductor][2/3] pallas backend: lower reductions {link(150002)}",
    "  with a body line that must survive",
    f"- [inductor][3/3] pallas backend: lower matmul {link(150003)}",
    "  - a nested note naming #150777",
    "",
    "    ```python",
    "    x = 1",
    "    ```",
    "### Untopiced",
    f"- Add `torch.foo` for sparse tensors {link(151000)}",
    f"- Speed up dataloader shutdown {link(152000)}",
    "### not user facing",
])


def test_truth_counts_own_multi_pr_bullets_and_nested_ones_not_topic_headings() -> None:
    ws = parse_worksheet(sheet([
        "### improvements",
        "- Add X (#1, #2, #3)",
        "- c10d",
        "  - Fix a (#4)",
        "  - Fix b (#5)",
        "- DTensor",
        "  - Ops (#6, #7)",
        "### not user facing",
        "- Internal (#8, #9)",
    ]))
    truth = truth_of([ws])
    assert set(truth.bullets) == {frozenset({1, 2, 3}), frozenset({6, 7})}
    assert truth.published == frozenset({1, 2, 3, 4, 5, 6, 7})
    assert truth.same_bullet(1, 3) and not truth.same_bullet(4, 5)


def test_pair_precision_and_bullet_recall() -> None:
    truth = Truth(published=frozenset(range(1, 20)),
                  bullets=(frozenset({1, 2, 3, 4}), frozenset({5, 6}), frozenset({7, 8})))
    q = score_groups([[1, 2], [5, 9], [7, 8, 30]], truth, release="r", method="m")
    # pairs with both published: (1,2) right, (5,9) wrong, (7,8) right; 30 is unpublished
    assert (q.pairs, q.pairs_right, q.pair_precision) == (3, 2, round(2 / 3, 4))
    # {1,2,3,4}: 2 of 4 (half) found; {5,6}: 1 only; {7,8}: both
    assert (q.bullets_found, q.bullet_recall) == (2, round(2 / 3, 4))
    with pytest.raises(ValueError, match="two groups"):
        score_groups([[1, 2], [2, 3]], truth, release="r", method="m")


def test_a_series_is_one_group_with_a_clean_bullet_in_the_worksheets_link_style() -> None:
    ws = parse_worksheet(SERIES)
    groups = group_items(groupable_items(ws), load_weights())
    assert [sorted(g.prs) for g in groups] == [[150001, 150002, 150003]]
    group = groups[0]
    assert group.section == "improvements"
    assert any("series" in r for r in group.reasons)
    bullet = draft_bullet(group.items, style=link_style(ws), domain=ws.domain)
    assert bullet.startswith("Pallas backend")
    assert "[inductor]" not in bullet.lower() and "1/3" not in bullet
    for pr in (150001, 150002, 150003):
        assert f"[#{pr}]({URL}{pr})" in bullet


def test_link_style_follows_the_worksheet() -> None:
    short = parse_worksheet(sheet(["### improvements", "- Add a (#11)", "- Add b (#12)"]))
    assert link_style(short).render([11, 12]) == "(#11, #12)"
    long = parse_worksheet(SERIES)
    assert link_style(long).render([5]) == f"([#5]({URL}5))"


def test_revert_and_reland_are_grouped_and_the_bullet_is_the_original() -> None:
    ws = parse_worksheet(sheet([
        "### improvements",
        f"- [dynamo] Support tracing through itertools.groupby {link(160001)}",
        f'- Revert "[dynamo] Support tracing through itertools.groupby (#160001)" '
        f"{link(160050)}",
        f"- [reland][dynamo] Support tracing through itertools.groupby {link(160100)}",
        f"- Add a new CUDA allocator knob {link(161000)}",
    ]))
    groups = group_items(groupable_items(ws), load_weights())
    assert [sorted(g.prs) for g in groups] == [[160001, 160050, 160100]]
    assert any("reverts" in r for r in groups[0].reasons)
    bullet = draft_bullet(groups[0].items, style=link_style(ws))
    assert bullet.startswith("Support tracing through `itertools.groupby`") or \
        bullet.startswith("Support tracing through itertools.groupby")


def test_sentence_strips_tags_series_and_refs_but_not_code() -> None:
    assert sentence(f"[MPS][ez] Add `polygamma_[xy]` op {link(3)}") == "Add `polygamma_[xy]` op"
    assert sentence("[inductor][2/N] triton support post-#5512, kernels (#7)") == \
        "Triton support post-#5512, kernels"
    assert sentence("ci: switch the linter image.") == "Switch the linter image"


def test_preamble_asking_for_summaries() -> None:
    asking = parse_worksheet(
        "# Release Notes worksheet foo\n\n## 1. Ensure commit categorization is correct\n\n"
        "Move items.\n\n## 3. Summarize the other sections\n\nFor improvements, bug fixes, "
        "performance, documentation, developers, not user facing, use your judgement to "
        "summarize the key PRs.\n\n## foo\n### improvements\n- Add a (#1)\n")
    assert asks_for_summaries(asking)
    assert summary_sections(asking) == ("improvements", "bug fixes", "performance", "docs",
                                        "devs", "not user facing")
    old = read_worksheet(DATA / "2.9.0/todo/result_releng.md")
    assert not asks_for_summaries(old) and summary_sections(old) == ()


def test_key_score_ranks_public_api_and_new_capability_above_internal_work() -> None:
    api, _ = key_score("Add `torch.foo` for sparse tensors", section="improvements")
    internal, why = key_score("[BE] refactor test helpers", section="improvements")
    assert api > internal and "internal wording" in why


def test_no_pr_in_two_groups_on_real_worksheets() -> None:
    weights = load_weights()
    for path in worksheet_files(DATA / "2.9.0/todo")[:12]:
        ws = read_worksheet(path)
        groups = group_items(groupable_items(ws), weights)
        prs = [pr for g in groups for pr in g.prs]
        assert len(prs) == len(set(prs)), path
        assert all(len(g.items) >= 2 for g in groups)


def test_naive_baseline_groups_near_identical_titles() -> None:
    ws = parse_worksheet(sheet(["### improvements", "- Update the pinned audio hash (#1)",
                                "- Update the pinned audio hash (#2)", "- Add x (#3)"]))
    assert naive_groups(groupable_items(ws)) == [[0, 1]]


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.rglob("*")
            if p.is_file()}


def test_summarize_json_shape_and_no_file_changes_without_write(tmp_path: Path) -> None:
    todo = copy_data(DATA / "2.9.0/todo/result_releng.md", tmp_path / "todo/result_releng.md")
    before = _snapshot(tmp_path)
    result = run_cli("summarize", str(todo), "--offline", "--format", "json")
    assert _snapshot(tmp_path) == before
    data = json.loads(result.stdout)
    (sheet_json,) = data["worksheets"]
    assert sheet_json["file"] == str(todo)
    assert sheet_json["groups"], "the 2.9.0 releng worksheet has groups"
    seen: set[int] = set()
    for group in sheet_json["groups"]:
        assert isinstance(group["section"], str) and group["section"] not in (
            "bc breaking", "deprecation")
        assert all(isinstance(p, int) for p in group["prs"]) and group["prs"]
        assert not seen & set(group["prs"])
        seen.update(group["prs"])
        assert isinstance(group["bullet"], str) and 0 <= group["confidence"] <= 1
        assert all(isinstance(r, str) for r in group["reasons"])
        for pr in group["prs"]:
            assert f"#{pr}]" in group["bullet"]
    for key in sheet_json["key"]:
        assert set(key) >= {"pr", "section", "score"}
    text = run_cli("summarize", str(todo), "--offline").stdout
    assert "key PRs" in text and "fold into a group or drop" in text
    assert _snapshot(tmp_path) == before


def test_summarize_write_merges_losslessly(tmp_path: Path) -> None:
    path = tmp_path / "todo/result_foo.md"
    path.parent.mkdir()
    path.write_text(SERIES, encoding="utf-8")
    run_cli("summarize", str(path), "--offline", "--write", "--min-confidence", "0")
    after = read_worksheet(path)
    before = parse_worksheet(SERIES)
    assert sorted(p for i in after.items() for p in i.all_prs) == \
        sorted(p for i in before.items() for p in i.all_prs)
    merged = [i for i in after.items() if len(i.prs) == 3]
    assert len(merged) == 1 and merged[0].category == "improvements"
    body = merged[0].body
    assert "with a body line that must survive" in body  # a title line, kept verbatim
    assert "<!-- relnotes summarize: merged from" in body
    for line in SERIES.splitlines()[7:16]:
        if "150500" not in line:
            assert line.strip() in body, line
    assert len(after.items()) == len(before.items()) - 2
    assert list((tmp_path / "todo/.relnotes").glob("result_foo.md.*.bak"))
    # a second run finds nothing left to merge and changes nothing
    text = path.read_bytes()
    run_cli("summarize", str(path), "--offline", "--write", "--min-confidence", "0")
    assert path.read_bytes() == text


def test_summarize_refuses_bc_breaking_sections() -> None:
    result = run_cli("summarize", str(DATA / "2.9.0/todo/result_releng.md"), "--offline",
                     "--sections", "bc breaking", expect=2)
    assert "never grouped" in result.stderr


@pytest.mark.slow
def test_learned_on_older_releases_scores_2_9_0_at_the_targets() -> None:
    from relnotes.summaries import learn

    weights = learn([DATA / "2.7.0", DATA / "2.8.0"])
    assert "2.9.0" not in weights.trained_on
    model, naive = grouping_quality(DATA / "2.9.0", weights=weights)
    assert model.pair_precision is not None and model.pair_precision >= 0.6
    assert model.bullet_recall >= 0.35
    assert naive.bullet_recall < model.bullet_recall


def test_metadata_signals_author_files_and_body_links() -> None:
    from relnotes.github import PRRecord
    from relnotes.summaries.features import Vocabulary, features_of
    from relnotes.summaries.signals import pair_signals

    ws = parse_worksheet(sheet(["### improvements", "- Speed up the allocator (#170001)",
                                "- Handle empty caches (#170002)"]))
    items = groupable_items(ws)
    feats = features_of(items)
    meta = {
        170001: PRRecord(number=170001, author="ann", files=["c10/a.cpp", "c10/b.cpp"],
                         body="Part one; the rest is in #170002.", found=True),
        170002: PRRecord(number=170002, author="ann", files=["c10/a.cpp"], body="",
                         found=True),
    }
    vocab = Vocabulary.of(feats)
    with_meta = pair_signals(feats[0], feats[1], vocab, meta=meta)
    assert {"same_author", "shared_files", "files_half", "body_xref"} <= with_meta.names
    assert "same author (@ann)" in with_meta.evidence
    without = pair_signals(feats[0], feats[1], vocab)
    assert not without.names & {"same_author", "shared_files", "body_xref"}
    # "#1700021" is another PR, not a link to #170002
    meta[170001] = PRRecord(number=170001, author="bob", body="see #1700021", found=True)
    assert "body_xref" not in pair_signals(feats[0], feats[1], vocab, meta=meta).names
