"""The interactive review, driven through its input: keys, order, undo, resuming."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from relnotes.decisions import DecisionStore
from relnotes.review import bulk_accept, order_suggestions, pending_suggestions, run_review
from relnotes.triage import Suggestion
from relnotes.worksheet import read_worksheet
from tests.helpers import run_cli
from tests.test_decisions import WORKSHEET, make_release

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


class Script:
    """An ``ask`` that answers from a list and records the prompts and screen."""

    def __init__(self, answers: list[str], *, interrupt_after: int | None = None) -> None:
        self.answers: Iterator[str] = iter(answers)
        self.asked = 0
        self.interrupt_after = interrupt_after
        self.screen: list[str] = []

    def ask(self, prompt: str) -> str | None:
        if self.interrupt_after is not None and self.asked == self.interrupt_after:
            raise KeyboardInterrupt
        self.asked += 1
        return next(self.answers, None)

    def say(self, text: str) -> None:
        self.screen.append(text)

    def shown_keys(self) -> list[str]:
        """Item keys in the order their blocks were shown."""
        return [line.split()[1] for line in self.screen if line.startswith("[")]


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
    assert "reason for 103" in text and "cleaned title: Clean title 103 (#103)" in text
    assert "unknown section '99'" in text and "undo the last decision" in text


def test_edit_title_adds_a_missing_link_and_refuses_a_wrong_one(tmp_path: Path) -> None:
    path = make_release(tmp_path)
    script, _ = review(path, ["e", "Rename bar", "a", "e", "Wrong link (#999)", "a", "q"])
    store = DecisionStore.for_worksheet(path)
    assert store.get("pr:103").title == "Rename bar (#103)"
    assert any("must keep every PR link" in line for line in script.screen)
    # accepting after a refused edit takes the suggestion's cleaned title
    assert store.get("pr:104").title == "Clean title 104 (#104)"


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
    out = run_cli("review", str(path), input="a\nr\nq\n")
    assert "[1/4]" in out.stdout and "[2/4]" in out.stdout
    assert "2 decided" in out.stderr and "2 pending" in out.stderr
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
