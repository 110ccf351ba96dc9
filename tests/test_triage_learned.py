"""What triage learns from a history, as an artefact: fate models and decision rules
stored beside the history, used when they match it, learned again only for another
history, selection or recency (and then without numpy, from the stored fate models)."""

from __future__ import annotations

import builtins
import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest

from relnotes.errors import ConfigError, RelnotesError
from relnotes.triage import learned
from relnotes.triage.history import HistoryRecord, default_history_path, load_history, write_history
from relnotes.triage.learned import (
    Fitted,
    fitted_for,
    learn_fitted,
    model_path,
    policy_for,
    policy_path,
    read_policies,
    selections_to_store,
    write_fitted,
)
from relnotes.triage.model import FateModel, fit_fate_model
from relnotes.triage.policy import NEVER, Calibration, Policy
from relnotes.versions import parse_version


def _records(n: int = 60) -> list[HistoryRecord]:
    fates = ("not user facing", "bug fixes", "improvements", "not user facing", "docs")
    return [HistoryRecord(release, "mps", ("Untopiced", "not user facing")[i % 2],
                          fates[i % len(fates)], None, f"Fix kernel {i} of mps ops")
            for release in ("1.0.0", "1.1.0") for i in range(n)]


@pytest.fixture
def small_history(tmp_path: Path) -> Path:
    path = tmp_path / "h.json.gz"
    write_history(_records(), path)
    return path


def _no_learning(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make learning the rule in the run visible; returns the list it records calls in."""
    calls: list[str] = []

    def record(history: Any, **kwargs: Any) -> Fitted:
        calls.append(", ".join(history.releases))
        return Fitted(Policy(learned_from="learned in the test"))

    monkeypatch.setattr(learned, "learn_fitted", record)
    return calls


def test_the_artefacts_sit_beside_the_history() -> None:
    assert policy_path("a/history.json.gz") == Path("a/history.policy.json")
    assert model_path("a/history.json.gz", ["2.8.0", "2.10.0", "2.7.0"]) == \
        Path("a/history.model-2.7.0+2.8.0+2.10.0.json.gz")
    assert policy_path(default_history_path()).is_file()


def test_the_shipped_history_holds_every_given_release_and_their_artefacts() -> None:
    history = load_history()
    assert history.releases == ["2.7.0", "2.8.0", "2.9.0"]
    _, stored = read_policies(policy_path(default_history_path()))
    assert [e.releases for e in stored] == selections_to_store(history.releases)
    for entry in stored:
        assert entry.model and model_path(default_history_path(), entry.releases).is_file()


def test_selections_cover_each_past_all_but_each_and_each_alone() -> None:
    assert selections_to_store(["2.8.0", "2.7.0", "2.10.0"]) == [
        ("2.7.0", "2.8.0", "2.10.0"), ("2.7.0",), ("2.7.0", "2.8.0"), ("2.8.0", "2.10.0"),
        ("2.7.0", "2.10.0"), ("2.8.0",), ("2.10.0",)]
    assert selections_to_store(["1.0"]) == [("1.0",)]


def test_policy_json_round_trips_exactly() -> None:
    policy = Policy(margin=0.35, flag_at=3.1678969082223487, learned_from="x", alpha=0.7,
                    calibration={"stay": Calibration((0.0, 0.4928088807275205), (0.1, 0.7))})
    assert Policy.from_json(json.loads(json.dumps(policy.to_json()))) == policy
    with pytest.raises(ValueError):
        Policy.from_json({"margin": 1})


def test_fate_model_json_round_trips_exactly() -> None:
    model = fit_fate_model(_records(), epochs=20)
    again = FateModel.from_json(json.loads(json.dumps(model.to_json())))
    assert again.index == model.index and again.weights == model.weights
    title = "Fix kernel 3 of mps ops"
    assert again.probs(title, "mps", "Untopiced") == model.probs(title, "mps", "Untopiced")


def test_shipped_history_uses_its_stored_artefacts_without_learning(monkeypatch) -> None:
    calls = _no_learning(monkeypatch)
    fitted = fitted_for(load_history())
    assert not calls and fitted.model is not None
    assert fitted.policy.learned_from.startswith("leave-one-release-out")
    assert fitted.model.releases == ("2.7.0", "2.8.0", "2.9.0")
    # what a 2.9.0 worksheet is triaged with (the releases before it) is stored too
    before = fitted_for(load_history(before=parse_version("2.9.0")))
    assert before.model is not None and before.model.releases == ("2.7.0", "2.8.0")
    one = fitted_for(load_history(include=["2.8.0"]))
    assert one.policy.margin == NEVER and one.policy.publish_at == NEVER
    assert not calls


def test_stored_rule_is_the_one_learning_gives() -> None:
    """The shipped rule is current: what the code learns now from the shipped history and
    its stored fate models (a change of weights or tables needs `relnotes history fit`)."""
    history = load_history(include=["2.8.0", "2.9.0"])
    stored = fitted_for(history)
    again = learn_fitted(history, models=learned._stored_models(history))
    assert again.policy == stored.policy


def test_other_recency_or_custom_history_is_learned_again(monkeypatch, small_history) -> None:
    calls = _no_learning(monkeypatch)
    policy_for(load_history(recency=0.7))  # not stored: learned
    assert calls == ["2.7.0, 2.8.0, 2.9.0"]
    policy_for(load_history(small_history))  # no policy file beside it
    assert calls[-1] == "1.0.0, 1.1.0"
    subset = load_history().subset(lambda r: r.domain == "mps")  # not whole releases
    policy_for(subset)
    assert len(calls) == 3


def test_learning_in_the_run_uses_the_stored_fate_models(monkeypatch) -> None:
    """Another recency: the rule is learned in the run, with the stored fate models of
    the selection and of the releases less each one; no model is fitted (no numpy)."""
    def refuse(*args: Any, **kwargs: Any) -> FateModel:
        raise AssertionError("a fate model was fitted in the run")

    monkeypatch.setattr(learned, "fit_fate_model", refuse)
    history = load_history(include=["2.7.0", "2.8.0"], recency=0.7)
    fitted = fitted_for(history)
    assert fitted.model is not None and fitted.policy.alpha > 0


def test_build_stores_artefacts_that_are_used(tmp_path: Path, small_history: Path) -> None:
    path, n = write_fitted(small_history)
    assert path == tmp_path / "h.policy.json" and n == 3
    history = load_history(small_history, include=["1.1.0"])
    assert fitted_for(history).model is not None
    sha, stored = read_policies(path)
    assert [e.releases for e in stored] == [("1.0.0", "1.1.0"), ("1.0.0",), ("1.1.0",)]
    assert sha == history.origin.sha256
    assert policy_for(load_history(small_history)).learned_from.startswith("leave-one")


def test_fitting_without_numpy_is_one_clear_error(monkeypatch) -> None:
    real = builtins.__import__

    def no_numpy(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "numpy":
            raise ImportError("no numpy here")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_numpy)
    with pytest.raises(RelnotesError, match=r"needs numpy.*relnotes\[learn\]"):
        fit_fate_model(_records())


def test_a_stale_artefact_is_not_used(monkeypatch, caplog, small_history: Path) -> None:
    write_fitted(small_history)
    write_history(_records(70), small_history)  # the history changed since
    calls = _no_learning(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="relnotes.triage.learned"):
        policy_for(load_history(small_history))
    assert calls and "learned from another version" in caplog.text


def test_a_damaged_policy_file_is_an_error_naming_it(small_history: Path) -> None:
    path = policy_path(small_history)
    path.write_text('{\n  "format": 2,\n  "policies": [\n', encoding="utf-8")
    with pytest.raises(ConfigError) as bad:
        policy_for(load_history(small_history))
    assert bad.value.file is not None and Path(bad.value.file) == path and bad.value.line
    path.write_text(json.dumps({"format": 2, "history_sha256": "x", "policies": [{}]}))
    with pytest.raises(ConfigError, match="history fit"):
        read_policies(path)


def test_the_shipped_history_and_artefacts_can_be_copied_together(tmp_path: Path,
                                                                  monkeypatch) -> None:
    """A history moved with its artefacts keeps using them (keyed by content, not path)."""
    source = default_history_path()
    copy = tmp_path / "history.json.gz"
    for p in source.parent.glob("history*"):
        shutil.copy(p, tmp_path / p.name)
    calls = _no_learning(monkeypatch)
    assert fitted_for(load_history(copy)).model is not None
    assert not calls


@pytest.mark.slow
def test_every_stored_artefact_is_what_fitting_gives_now() -> None:
    """Each fate model and rule stored with the shipped history is current (numpy)."""
    everything = load_history()
    _, stored = read_policies(policy_path(default_history_path()))
    models = {}
    for entry in stored:
        records = [r for r in everything.records if r.release in entry.releases]
        models[entry.releases] = fit_fate_model(records)
        stored_model = fitted_for(load_history(include=entry.releases)).model
        assert stored_model is not None
        assert models[entry.releases].weights == stored_model.weights, entry.releases
    for entry in stored:
        history = load_history(include=entry.releases, recency=entry.recency)
        assert learn_fitted(history, models=models).policy == entry.policy, entry.releases
