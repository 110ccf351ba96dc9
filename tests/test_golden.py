"""Golden files: what ``parse``, ``lint`` and ``triage --offline`` print, on real files.

Every folder in tests/data/golden/ holds one input file, ``case.toml`` (where the input
comes from, the release, which commands apply) and one expected file per command:
``<command>.json`` = ``{"command", "exit_code", "stderr", "stdout"}``, stdout decoded from
JSON. A test runs the command on a copy of the input in an empty folder, by its bare file
name, so no path in an output depends on the machine, and compares the whole record. Any
change of visible output is a diff of these files; after an intended one, regenerate them:

    RELNOTES_UPDATE_GOLDEN=1 python -m pytest -q -p no:cacheprovider tests/test_golden.py

(see CONTRIBUTING.md). ``triage`` uses the history shipped with relnotes and no PR
metadata (``--offline`` with an empty cache), so rebuilding the history shows here too.
"""

from __future__ import annotations

import json
import os
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO, run_cli

GOLDEN = REPO / "tests/data/golden"
UPDATE = os.environ.get("RELNOTES_UPDATE_GOLDEN") == "1"
COMMANDS = ("parse", "lint", "triage")
CASES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())


def _case(name: str) -> tuple[dict[str, Any], Path]:
    folder = GOLDEN / name
    case = tomllib.loads((folder / "case.toml").read_text(encoding="utf-8"))
    return case, folder / case["input"]


def _args(command: str, case: dict[str, Any], file: str) -> list[str]:
    release = ["--release", case["release"]] if case.get("release") else []
    return {"parse": ["parse", file, "--format", "json"],
            "lint": ["lint", file, "--format", "json", *release],
            "triage": ["triage", file, "--offline", "--format", "json", *release]}[command]


def _record(args: list[str]) -> dict[str, Any]:
    result = run_cli(*args, expect=None)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"relnotes {' '.join(args)} crashed: {result.exception!r}")
    try:
        stdout: Any = json.loads(result.stdout) if result.stdout.strip() else None
    except ValueError:
        stdout = result.stdout  # not JSON: kept as text, and the diff shows it
    return {"command": "relnotes " + " ".join(args), "exit_code": result.exit_code,
            "stderr": result.stderr, "stdout": stdout}


def _dump(record: dict[str, Any]) -> str:
    return json.dumps(record, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize(("name", "command"),
                         [(n, c) for n in CASES for c in _case(n)[0].get("commands", COMMANDS)])
def test_golden_output(name: str, command: str, tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    case, source = _case(name)
    shutil.copyfile(source, tmp_path / source.name)
    monkeypatch.chdir(tmp_path)  # bare file names in, bare file names out
    got = _dump(_record(_args(command, case, source.name)))
    expected = GOLDEN / name / f"{command}.json"
    if UPDATE:
        if not expected.exists() or expected.read_text(encoding="utf-8") != got:
            expected.write_text(got, encoding="utf-8")
        return
    assert expected.exists(), f"{expected} is missing: RELNOTES_UPDATE_GOLDEN=1 writes it"
    assert got == expected.read_text(encoding="utf-8"), (
        f"relnotes {command} on {name} changed its output; if intended, run "
        "RELNOTES_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py and review the diff")


@pytest.mark.parametrize("name", CASES)
def test_golden_case_is_complete_and_real(name: str) -> None:
    """Each case states its source; a real file's input is a verbatim copy or excerpt of
    it (its lines, in order), and no expected file is left over from a dropped command."""
    case, source = _case(name)
    assert source.is_file() and case["source"], case
    real = REPO / case["source"]
    assert real.is_file(), f"{name}: source {case['source']} does not exist"
    if case["source"].startswith("data/torch-release-notes/"):
        lines = iter(real.read_text(encoding="utf-8").splitlines())
        missing = [line for line in source.read_text(encoding="utf-8").splitlines()
                   if not any(line == candidate for candidate in lines)]
        assert not missing, f"{name}: not a verbatim excerpt of {case['source']}: {missing[:3]}"
    commands = set(case.get("commands", COMMANDS))
    assert commands <= set(COMMANDS)
    present = {p.stem for p in (GOLDEN / name).glob("*.json")}
    assert present <= commands, f"{name}: stale expected files {sorted(present - commands)}"
