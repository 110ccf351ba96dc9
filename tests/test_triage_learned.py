"""The decision rule as an artefact: stored beside the history, used when it matches,
learned again only for another history, selection or recency."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from relnotes.errors import ConfigError
from relnotes.triage import learned
from relnotes.triage.history import HistoryRecord, default_history_path, load_history, write_history
from relnotes.triage.learned import (
    fit_from_history,
    policy_for,
    policy_path,
    read_policies,
    selections_to_store,
    write_policies,
)
from relnotes.triage.policy import Calibration, Policy


def _records(n: int = 120) -> list[HistoryRecord]:
    fates = ("not user facing", "bug fixes", "improvements", "not user facing", "docs")
    return [HistoryRecord(release, "mps", ("Untopiced", "not user facing")[i % 2],
                          fates[i % len(fates)], None, f"Fix kernel {i} of mps ops")
            for release in ("1.0.0", "1.1.0") for i in range(n)]


@pytest.fixture
def small_history(tmp_path: Path) -> Path:
    path = tmp_path / "h.json.gz"
    write_history(_records(), path)
    return path


def _no_fitting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make learning the rule fail loudly; returns the list it records calls in."""
    calls: list[str] = []

    def refuse(history):  # type: ignore[no-untyped-def]
        calls.append(", ".join(history.releases))
        return Policy(learned_from="fitted in the test")

    monkeypatch.setattr(learned, "fit_from_history", refuse)
    return calls


def test_policy_file_sits_beside_the_history() -> None:
    assert policy_path("a/history.json.gz") == Path("a/history.policy.json")
    assert policy_path("h.json") == Path("h.policy.json")
    assert policy_path(default_history_path()).is_file()


def test_selections_cover_all_the_past_of_each_release_and_all_but_each() -> None:
    assert selections_to_store(["2.8.0", "2.7.0", "2.10.0"]) == [
        ("2.10.0", "2.7.0", "2.8.0"), ("2.7.0",), ("2.7.0", "2.8.0"), ("2.10.0", "2.8.0"),
        ("2.10.0", "2.7.0")]
    assert selections_to_store(["1.0"]) == [("1.0",)]


def test_policy_json_round_trips_exactly() -> None:
    policy = Policy(margin=0.35, flag_at=3.1678969082223487, learned_from="x",
                    calibration={"stay": Calibration((0.0, 0.4928088807275205), (0.1, 0.7))})
    assert Policy.from_json(json.loads(json.dumps(policy.to_json()))) == policy
    with pytest.raises(ValueError):
        Policy.from_json({"margin": 1})


def test_shipped_history_uses_its_stored_rule_without_learning(monkeypatch) -> None:
    calls = _no_fitting(monkeypatch)
    history = load_history()
    policy = policy_for(history)
    assert not calls and policy.learned_from.startswith("leave-one-release-out")
    # a backtest's selection (2.8.0 left out) is stored too
    assert policy_for(load_history(exclude=["2.8.0"])).learned_from == "two halves of 2.7.0"
    assert not calls


def test_stored_rule_is_the_one_learning_gives() -> None:
    """The shipped rule is current: what the code learns from the shipped history now
    (a change of weights or tables needs `relnotes history fit`)."""
    history = load_history()
    _, stored = read_policies(policy_path(default_history_path()))
    entry = next(e for e in stored if e.releases == tuple(history.releases))
    assert entry.recency == history.recency
    assert fit_from_history(history) == entry.policy


def test_other_recency_or_custom_history_is_learned_again(monkeypatch, small_history) -> None:
    calls = _no_fitting(monkeypatch)
    policy_for(load_history(recency=0.7))  # not stored: learned
    assert calls == ["2.7.0, 2.8.0"]
    policy_for(load_history(small_history))  # no policy file beside it
    assert calls[-1] == "1.0.0, 1.1.0"
    subset = load_history().subset(lambda r: r.domain == "mps")  # not whole releases
    policy_for(subset)
    assert len(calls) == 3


def test_build_stores_rules_that_are_used(tmp_path: Path, small_history: Path) -> None:
    path, n = write_policies(small_history)
    assert path == tmp_path / "h.policy.json" and n == 3
    history = load_history(small_history, include=["1.1.0"])
    assert policy_for(history) == fit_from_history(history)
    sha, stored = read_policies(path)
    assert [e.releases for e in stored] == [("1.0.0", "1.1.0"), ("1.0.0",), ("1.1.0",)]
    assert sha == history.origin.sha256


def test_a_stale_rule_is_not_used(monkeypatch, caplog, tmp_path: Path,
                                  small_history: Path) -> None:
    write_policies(small_history)
    write_history(_records(130), small_history)  # the history changed since
    calls = _no_fitting(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="relnotes.triage.learned"):
        policy_for(load_history(small_history))
    assert calls and "learned from another version" in caplog.text


def test_a_damaged_policy_file_is_an_error_naming_it(tmp_path: Path,
                                                     small_history: Path) -> None:
    path = policy_path(small_history)
    path.write_text('{\n  "format": 1,\n  "policies": [\n', encoding="utf-8")
    with pytest.raises(ConfigError) as bad:
        policy_for(load_history(small_history))
    assert bad.value.file is not None and Path(bad.value.file) == path and bad.value.line
    path.write_text(json.dumps({"format": 1, "history_sha256": "x", "policies": [{}]}))
    with pytest.raises(ConfigError, match="history fit"):
        read_policies(path)


def test_the_shipped_history_and_rule_can_be_copied_together(tmp_path: Path,
                                                             monkeypatch) -> None:
    """A history moved with its policy file keeps using it (keyed by content, not path)."""
    copy = tmp_path / "history.json.gz"
    shutil.copy(default_history_path(), copy)
    shutil.copy(policy_path(default_history_path()), policy_path(copy))
    calls = _no_fitting(monkeypatch)
    policy_for(load_history(copy))
    assert not calls


@pytest.mark.slow
def test_every_stored_rule_is_the_one_learning_gives() -> None:
    """Each selection stored with the shipped history (backtests use them) is current."""
    _, stored = read_policies(policy_path(default_history_path()))
    assert len(stored) == len(selections_to_store(load_history().releases))
    for entry in stored:
        history = load_history(include=entry.releases, recency=entry.recency)
        assert fit_from_history(history) == entry.policy, entry.releases
