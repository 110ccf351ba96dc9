"""The interactive review, driven through its input: keys, order, undo, resuming."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relnotes.decisions import DecisionStore, Record
from relnotes.release import ReleaseFolder
from relnotes.review import bulk_accept, order_suggestions, pending_suggestions, run_review
from relnotes.triage import Suggestion
from relnotes.worksheet import read_worksheet
from tests.helpers import run_cli
from tests.workflow_fixtures import LINK, WORKSHEET, Script, make_release

# confidence per PR: review goes lowest first -> 103, 104, 102, 101
CONF = {101: 0.95, 102: 0.6, 103: 0.2, 104: 0.4}
SUGGEST = {101: "bug fixes", 102: "new features", 103: "not user facing", 104: "miscategorized"}


def suggestions(path: Path) -> list[Suggestion]:
    ws = read_worksheet(path)
    out = []
    for item in ws.items():
        pr = item.prs[0]
        out.append(Suggestion(
            item=item, section=SUGGEST[pr], domain="cuda" if pr == 104 else None,
            confidence=CONF[pr], reasons=[f"reason for {pr}"],
            clean_title=f"Clean title {pr} (#{pr})"))
    return out


def review(path: Path, answers: list[str], **kw: object) -> tuple[Script, object]:
    script = Script(answers)
    store = DecisionStore.for_worksheet(path)
    result = run_review(suggestions(path), store, ask=script.ask, say=script.say, **kw)
    return script, result


def test_lowest_confidence_first_or_section_order(tmp_path: Path) -> None:
    sugs = suggestions(make_release(tmp_path))
    assert [s.item.prs[0] for s in order_suggestions(sugs)] == [103, 104, 102, 101]
    assert [s.item.prs[0] for s in order_suggestions(sugs, "section")] == [101, 102, 103, 104]


def test_every_key(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    # 103: ? help, x unknown, e edit title, then p pick by number (4 = improvements)
    # 104: d send to the suggested domain (empty answer takes the default)
    # 102: s skip; 101: r reject (stays in bug fixes)
    script, result = review(path, ["?", "x", "e", "Renamed bar (#103)", "p", "99", "4",
                                   "d", "", "s", "r"])
    assert result.decided == ["pr:103", "pr:104", "pr:101"]
    assert result.skipped == ["pr:102"]
    assert not result.quit and result.remaining == 1
    store = DecisionStore.for_worksheet(path)
    r103 = store.get("pr:103")
    assert (r103.action, r103.section, r103.title) == ("section", "improvements",
                                                       "Renamed bar (#103)")
    r104 = store.get("pr:104")
    assert (r104.action, r104.section, r104.domain) == ("domain", "miscategorized", "cuda")
    assert store.get("pr:101").action == "reject"
    text = "\n".join(script.screen)
    assert "suggestion: not user facing  (confidence 0.20)" in text
    assert "reason for 103" in text and "cleaned title (c to use it): Clean title 103 (#103)" in text
    assert "unknown section '99'" in text and "undo the last decision" in text


def test_edit_title_adds_a_missing_link_and_refuses_a_wrong_one(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    script, _ = review(path, ["e", "Rename bar", "a", "e", "Wrong link (#999)", "a", "q"])
    store = DecisionStore.for_worksheet(path)
    # the link is added in the style the item has: long links stay long
    assert store.get("pr:103").title == f"Rename bar {LINK.format(n=103)}"
    assert any("must keep every PR link" in line for line in script.screen)
    # accepting after a refused edit keeps the title as written (cleaning is opt-in)
    assert store.get("pr:104").title is None


def test_undo_goes_back_and_restores_the_sidecar(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    script, result = review(path, ["a", "u", "p", "docs", "q"])
    assert script.shown_keys() == ["pr:103", "pr:104", "pr:103", "pr:104"]
    store = DecisionStore.for_worksheet(path)
    assert store.get("pr:103").section == "docs"
    assert result.decided == ["pr:103"] and result.quit


def test_undo_with_nothing_to_undo(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    script, _ = review(path, ["u", "q"])
    assert any("nothing to undo" in line for line in script.screen)


def test_resumes_where_it_stopped_and_shows_changed_items_again(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    # first run: two decisions, then the session is killed at the third prompt
    script = Script(["a", "a"], interrupt_after=2)
    with pytest.raises(KeyboardInterrupt):
        run_review(suggestions(path), DecisionStore.for_worksheet(path), ask=script.ask,
                   say=script.say)
    assert script.shown_keys() == ["pr:103", "pr:104", "pr:102"]
    # second run starts at the item it stopped on; the decided two are not shown
    script, result = review(path, ["q"])
    assert script.shown_keys() == ["pr:102"]
    assert result.remaining == 2
    # a decided item edited by hand is shown again, in its place by confidence
    path.write_text(WORKSHEET.replace("rename bar", "rename bar to qux"), encoding="utf-8")
    script, result = review(path, ["q"])
    assert script.shown_keys() == ["pr:103"]
    assert result.remaining == 3
    out = json.loads(run_cli("review", str(path), "--format", "json").stdout)
    changed = {p["key"]: p["changed_since_decision"] for p in out["pending"]}
    assert changed["pr:103"] is True


def test_end_of_input_is_quit(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    _, result = review(path, ["a"])
    assert result.quit and result.decided == ["pr:103"] and result.remaining == 3


def test_bulk_accept_above_threshold(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    store = DecisionStore.for_worksheet(path)
    assert bulk_accept(suggestions(path), store, threshold=0.5) == ["pr:102", "pr:101"]
    assert [s.item.key for s in pending_suggestions(suggestions(path), store)] == [
        "pr:103", "pr:104"]
    script, result = review(path, [], accept_above=0.3)
    assert result.bulk_accepted == ["pr:104"]
    assert script.shown_keys() == ["pr:103"]


def test_cli_review_driven_through_stdin(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    out = run_cli("review", str(path), input="a\ns\np\n2\nq\n")
    assert "[1/4]" in out.stdout and "[3/4]" in out.stdout
    assert "4 items: 2 decided in this run (0 of them in bulk), 0 decided before, " \
        "2 pending (1 of them skipped)" in out.stderr
    data = json.loads(run_cli("review", str(path), "--format", "json").stdout)
    assert len(data["pending"]) == 2
    assert all("suggestion" in p and "key" in p for p in data["pending"])
    assert data["decisions_file"].endswith(".relnotes/result_quantization.decisions.json")


def test_cached_pr_metadata_is_shown(tmp_path: Path) -> None:
    from relnotes.github import PRRecord

    path = make_release(tmp_path)
    meta = {103: PRRecord(number=103, title="[BE] rename bar", author="alice",
                          labels=["topic: not user facing"],
                          files=["torch/a.py", "torch/b.py", "torch/c.py", "torch/d.py"])}
    script = Script(["q"])
    run_review(suggestions(path), DecisionStore.for_worksheet(path), ask=script.ask,
               say=script.say, metadata=meta)
    text = "\n".join(script.screen)
    assert "PR #103: [BE] rename bar  by alice" in text
    assert "labels: topic: not user facing" in text
    assert "files: torch/a.py, torch/b.py, torch/c.py (+1)" in text


# --- issue 11, review: domains, revisiting, help, no answers, clean titles, counts ---------

DOMAINS = ["cuda", "inductor", "quantization"]


def test_d_offers_the_known_domains_by_number(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    # 103: d, pick number 2 (inductor)
    script, _ = review(path, ["d", "2", "q"], domains=["cuda", "inductor"],
                            own_domain="quantization")
    record = DecisionStore.for_worksheet(path).get("pr:103")
    assert (record.section, record.domain) == ("miscategorized", "inductor")
    assert any(" 1. cuda" in line and " 2. inductor" in line for line in script.screen)


def test_d_refuses_an_unknown_domain_unless_confirmed(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    # 103: "foo" refused (n), own domain refused, then "CUDA" matches cuda
    # 104: "newdomain" confirmed with y
    script, _ = review(path, ["d", "foo", "n", "quantization", "CUDA",
                              "d", "newdomain", "y", "q"],
                       domains=["cuda", "inductor"], own_domain="quantization")
    store = DecisionStore.for_worksheet(path)
    assert store.get("pr:103").domain == "cuda"
    assert store.get("pr:104").domain == "newdomain"
    text = "\n".join(script.screen)
    assert "'quantization' is this worksheet's own domain" in text
    assert sum("'foo' is not a domain of this release" in q for q in script.prompts) == 1
    assert sum("'newdomain' is not a domain" in q for q in script.prompts) == 1


def test_d_back_out_and_end_of_input(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    # 103 has no suggested domain: empty answer goes back; 104: "-" goes back although
    # there is a default; then "foo" and end of input: nothing decided
    _, result = review(path, ["d", "", "s", "d", "-", "d", "foo"], domains=DOMAINS,
                       own_domain="quantization")
    assert result.decided == [] and result.quit
    assert DecisionStore.for_worksheet(path).records == {}


def test_known_domains_of_a_release(tmp_path: Path) -> None:
    from relnotes.review import known_domains

    path = make_release(tmp_path, misc="# Miscategorized commits\n\n## export (from fx)\n"
                                        "- x (#9)\n\n## not user facing\n")
    (tmp_path / "todo" / "result_cuda.md").write_text("# w\n\n## cuda\n### bug fixes\n")
    # domains come from the file names (newer worksheets have "##" steps before the domain)
    (tmp_path / "todo" / "result_build_frontend.md").write_text(
        "# w\n\n## 1. Sort\n\n## build\\_frontend\n")
    (tmp_path / "done").mkdir()
    (tmp_path / "done" / "result_mps.md").write_text("# w\n\n## mps\n")
    assert known_domains(ReleaseFolder.of(path), own="quantization") \
        == ["build_frontend", "cuda", "export", "fx", "mps"]


def test_cli_d_lists_the_release_domains_and_refuses_others(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    (tmp_path / "todo" / "result_cuda.md").write_text("# w\n\n## cuda\n### bug fixes\n")
    (tmp_path / "todo" / "result_mps.md").write_text("# w\n\n## mps\n### bug fixes\n")
    out = run_cli("review", str(path), "--order", "section", input="d\nfoo\n\nmps\nq\n")
    assert "cuda" in out.stdout and "mps" in out.stdout
    assert "'foo' is not a domain of this release" in out.stdout
    record = DecisionStore.for_worksheet(path).get("pr:101")
    assert (record.action, record.domain) == ("domain", "mps")


def test_r_on_an_untopiced_item_decides_nothing(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    script, result = review(path, ["r", "q"])  # 103 is Untopiced
    assert result.decided == [] and DecisionStore.for_worksheet(path).get("pr:103") is None
    assert any("keeping it there decides nothing" in line for line in script.screen)
    # a keep-in-Untopiced record left by an older version leaves the item pending
    item = read_worksheet(path).find("pr:103")
    DecisionStore.for_worksheet(path).put(Record(key="pr:103", hash=item.text_hash,
                                                 action="reject", section="Untopiced"))
    script, _ = review(path, ["q"])
    assert script.shown_keys() == ["pr:103"]
    assert any("no decision" in line for line in script.screen)


def test_every_decision_can_be_revisited(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    review(path, ["r"], order="section")  # 101 (bug fixes) kept where it is
    script, _ = review(path, ["q"], order="section")
    assert script.shown_keys() == ["pr:102"]
    # --revisit KEY shows it again with its decision, and a new answer replaces it
    script, _ = review(path, ["p", "docs", "q"], order="section", revisit=["pr:101"])
    assert script.shown_keys()[0] == "pr:101"
    assert any("decided: reject (bug fixes)" in line for line in script.screen)
    assert DecisionStore.for_worksheet(path).get("pr:101").section == "docs"
    # all: every decided item; unknown keys are a usage error
    script, _ = review(path, ["q"], order="section", revisit=["all"])
    assert script.shown_keys() == ["pr:101"]
    from relnotes.errors import UsageError
    with pytest.raises(UsageError, match="pr:999"):
        review(path, [], revisit=["pr:999"])
    out = run_cli("review", str(path), "--order", "section", "--revisit", "pr:101",
                  input="a\nq\n")
    assert "[1/4] pr:101" in out.stdout
    assert DecisionStore.for_worksheet(path).get("pr:101").action == "accept"


def test_help_and_behaviour_agree_about_enter(tmp_path: Path) -> None:
    out = run_cli("review", "--help")
    assert "key press" not in out.stdout and "Enter" in out.stdout
    script, _ = review(make_release(tmp_path), ["?", "q"])
    assert any("press Enter" in line for line in script.screen)


def test_no_answers_on_a_non_terminal_is_a_usage_error(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    out = run_cli("review", str(path), input="", expect=2)
    assert "standard input is not a terminal" in out.stderr
    assert DecisionStore.for_worksheet(path).records == {}
    # answers that end early are fine: what was decided is saved
    run_cli("review", str(path), input="a\n")
    # nothing to review: no question asked, no error
    run_cli("review", str(path), "--accept-above", "0", input="")
    run_cli("review", str(path), input="")


def test_accept_keeps_the_title_unless_clean_titles(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    script, _ = review(path, ["a", "q"])
    assert DecisionStore.for_worksheet(path).get("pr:103").title is None
    # opted in: the block says what accepting will do before the key is pressed
    script, _ = review(path, ["a", "q"], clean_titles=True)
    shown = script.screen.index(next(s for s in script.screen if s.startswith("[1/")))
    assert "cleaned title (a accepts it): Clean title 104 (#104)" in script.screen[shown]
    assert DecisionStore.for_worksheet(path).get("pr:104").title == "Clean title 104 (#104)"
    # c takes the cleaned title for one item, whatever is decided next
    review(path, ["c", "p", "docs", "q"])
    record = DecisionStore.for_worksheet(path).get("pr:102")
    assert (record.section, record.title) == ("docs", "Clean title 102 (#102)")


def test_bulk_accept_keeps_titles_unless_clean_titles(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    store = DecisionStore.for_worksheet(path)
    bulk_accept(suggestions(path), store, threshold=0.5)
    assert {k: r.title for k, r in store.records.items()} == {"pr:101": None, "pr:102": None}
    script, result = review(path, ["q"], accept_above=0.3, clean_titles=True)
    assert result.bulk_accepted == ["pr:104"]
    assert "  pr:104: title becomes: Clean title 104 (#104)" in script.screen
    # the CLI: --accept-above then apply leaves every title as written
    path2 = make_release(tmp_path / "b")
    run_cli("review", str(path2), "--accept-above", "0", "--format", "json")
    out = json.loads(run_cli("apply", str(path2), "--format", "json").stdout)
    assert out["retitled"] == []


def test_bulk_accept_writes_the_sidecar_once(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import relnotes.decisions

    path = make_release(tmp_path)
    calls = []
    real = relnotes.decisions.atomic_write
    monkeypatch.setattr(relnotes.decisions, "atomic_write",
                        lambda *a, **kw: calls.append(a[0]) or real(*a, **kw))
    keys = bulk_accept(suggestions(path), DecisionStore.for_worksheet(path), threshold=0.0)
    assert len(keys) == 4 and len(calls) == 1
    assert len(DecisionStore.for_worksheet(path).records) == 4


def test_summary_counts_add_up(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    # bulk takes 101 (0.95); then 103 accepted, 104 skipped, 102 accepted, quit
    _, result = review(path, ["a", "s", "a"], accept_above=0.9)
    c = result.counts()
    assert c == {"items": 4, "decided_now": 3, "bulk_accepted": 1, "decided_before": 0,
                 "pending": 1, "skipped": 1, "repeats": 0}
    # second run: one decided, three decided before, none pending
    _, result = review(path, ["a"])
    c = result.counts()
    assert c["decided_now"] + c["decided_before"] + c["pending"] == c["items"] == 4
    assert (c["decided_now"], c["decided_before"], c["pending"]) == (1, 3, 0)
    # a skip undone and skipped again is one skipped item, not two
    path3 = make_release(tmp_path / "c")
    _, result = review(path3, ["a", "s", "u", "a", "s", "q"])
    assert result.skipped == ["pr:104"] and result.counts()["pending"] == 3


def test_items_repeating_a_pr_are_counted_apart(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    path.write_text(WORKSHEET.replace("### not user facing\n", "### not user facing\n"
                                      "- [BE] rename bar again ([#103](https://github.com/"
                                      "pytorch/pytorch/pull/103))\n"), encoding="utf-8")
    sugs = suggestions(path)
    script = Script(["q"])
    result = run_review(sugs, DecisionStore.for_worksheet(path), ask=script.ask, say=script.say)
    assert result.summary().startswith("4 items (and 1 repeating an earlier item's PR")
    out = run_cli("apply", str(path))
    assert "4 items (and 1 repeating an earlier item's PR, left as they are)" in out.stdout


def test_known_domains_fall_back_to_the_history_for_a_lone_worksheet(tmp_path: Path) -> None:
    from relnotes.review import known_domains
    from relnotes.triage.history import load_history

    path = make_release(tmp_path / "alone")
    found = known_domains(ReleaseFolder.of(path), own="quantization", history=load_history())
    assert "cuda" in found and "quantization" not in found
    path = make_release(tmp_path / "with_mps")
    (path.parent / "result_mps.md").write_text("# w\n\n## mps\n")
    assert known_domains(ReleaseFolder.of(path), own="quantization",
                         history=load_history()) == ["mps"]


def test_accept_above_in_a_script_is_the_whole_request(tmp_path: Path) -> None:
    """Bulk accepting from a script (no terminal, no answers) succeeds; what is left is
    reported as pending, not as a usage error."""
    path = make_release(tmp_path)
    out = run_cli("review", str(path), "--accept-above", "0.99", input="")
    assert "pending" in out.stderr and "not a terminal" not in out.stderr


# --- issue 19: review's defects, each from its failing case ----------------------------


def _pr_fixture(number: int, title: str, author: str) -> dict:
    return {"number": number, "title": title, "body": "", "state": "MERGED", "merged": True,
            "mergedAt": "2025-03-01T00:00:00Z", "updatedAt": "2025-03-01T00:00:00Z",
            "author": author, "labels": ["release notes: quantization"], "files": ["torch/a.py"]}


def test_review_offline_uses_only_the_cache(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """``review --offline`` asks no server; without it review fetches what is missing."""
    from tests.github_server import FakeGitHub, start_server

    running = start_server(FakeGitHub(fixtures={"pytorch/pytorch": {
        101: _pr_fixture(101, "Fix a thing", "alice")}}))
    try:
        path = make_release(tmp_path)
        monkeypatch.setenv("RELNOTES_CACHE", str(tmp_path / "cache.sqlite"))
        monkeypatch.setenv("GITHUB_API_URL", running.url)
        out = run_cli("review", str(path), "--offline", "--order", "section", input="q\n")
        assert running.requests == []
        assert "by alice" not in out.stdout
        out = run_cli("review", str(path), "--order", "section", input="q\n")
        assert running.requests, "without --offline review fetches the missing metadata"
        assert "PR #101: Fix a thing  by alice" in out.stdout
        # now cached: offline shows it, still without asking the server
        running.requests.clear()
        out = run_cli("review", str(path), "--offline", "--order", "section", input="q\n")
        assert running.requests == [] and "by alice" in out.stdout
    finally:
        running.stop()


def test_undo_after_an_edit_undoes_the_edit(tmp_path: Path) -> None:
    """``e`` then ``u`` takes back the edited title, not the previous item's decision."""
    path = make_release(tmp_path)
    # 103 accepted; 104: edit the title, undo, accept
    script, _ = review(path, ["a", "e", "Edited (#104)", "u", "a", "q"])
    store = DecisionStore.for_worksheet(path)
    assert store.get("pr:103") is not None and store.get("pr:103").action == "accept"
    assert store.get("pr:104").title is None
    assert script.shown_keys() == ["pr:103", "pr:104", "pr:104", "pr:104", "pr:102"]
    assert any("title edit undone" in line for line in script.screen)
    # c (the cleaned title) is undone the same way
    path2 = make_release(tmp_path / "c")
    review(path2, ["c", "u", "a", "q"], clean_titles=False)
    assert DecisionStore.for_worksheet(path2).get("pr:103").title is None


def test_no_question_mark_for_an_unknown_author(tmp_path: Path) -> None:
    """A PR whose metadata has no author (or was not found) never shows "by ?"."""
    from relnotes.github import PRRecord

    path = make_release(tmp_path)
    meta = {103: PRRecord(number=103, title="[BE] rename bar", author=None, labels=["x"]),
            104: PRRecord(number=104, found=False)}
    script = Script(["s", "q"])
    run_review(suggestions(path), DecisionStore.for_worksheet(path), ask=script.ask,
               say=script.say, metadata=meta)
    text = "\n".join(script.screen)
    assert "by ?" not in text
    assert "PR #103: [BE] rename bar" in text
    assert "PR #104" not in text  # not found: there is nothing to show


def test_cli_says_once_when_metadata_is_missing(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    out = run_cli("review", str(path), "--offline", input="s\ns\nq\n")
    assert out.stderr.count("no PR metadata") == 1
    assert "relnotes fetch" in out.stderr and "by ?" not in out.stdout


def test_review_of_a_big_worksheet_shows_triage_progress(tmp_path: Path) -> None:
    """Bulk review of thousands of items is mostly triage: its progress is on stderr."""
    lines = ["# Release Notes worksheet quantization", "", "## quantization", "### Untopiced"]
    lines += [f"- item {i} {LINK.format(n=100000 + i)}" for i in range(1200)]
    (tmp_path / "todo").mkdir()
    path = tmp_path / "todo" / "result_quantization.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = run_cli("review", str(path), "--offline", "--accept-above", "0", "--format", "json")
    assert "review: triage 1200/1200" in out.stderr
    assert len(json.loads(out.stdout)["bulk_accepted"]) == 1200


def test_review_says_what_history_it_triages_with(tmp_path: Path) -> None:
    """review chooses its history as triage does (only releases older than the
    worksheet's) and says so once when there is none."""
    path = make_release(tmp_path / "2.7.0")
    out = run_cli("review", str(path), "--offline", "--format", "json")
    assert out.stderr.count("the history has no release older than 2.7.0") == 1


def test_review_suggests_apply_only_after_deciding_and_quotes_paths(tmp_path: Path) -> None:
    """Paths with spaces are real (`result_cpu (x86).md`): the commands review suggests
    paste as they are; a run that decided nothing suggests no apply."""
    path = make_release(tmp_path)
    spaced = path.with_name("result_cpu (x86).md")
    path.rename(spaced)
    out = run_cli("review", str(spaced), "--offline", input="a\nq\n")
    assert f"next: relnotes apply '{spaced}'" in out.stderr
    assert f"relnotes fetch '{spaced}'" in out.stderr
    again = run_cli("review", str(spaced), "--offline", input="q\n")
    assert "next: relnotes apply" not in again.stderr
