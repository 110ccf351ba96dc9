"""The sandbox's contract: backends, settings the OS enforces, clear errors, typed outcomes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from relnotes.errors import SnippetError
from relnotes.snippets import isolation, sandbox
from relnotes.snippets.check import SnippetResult, render_text
from relnotes.snippets.expect import Expectation
from relnotes.snippets.interpreter import Interpreter, probe
from relnotes.snippets.outcome import Failure, Outcome
from tests.helpers import run_cli

HEAD = "# Release Notes worksheet quantization\n\n## quantization\n### bc breaking\n"


def entry(pr: int, code: str, label: str = "2.13") -> str:
    code = textwrap.dedent(code).strip("\n")
    return f"- Entry {pr} (#{pr})\n\nWhy.\n\n```python\n# pytorch {label}\n{code}\n```\n\n"


def worksheet(folder: Path, *entries: str) -> str:
    path = folder / "ws.md"
    path.write_text(HEAD + "".join(entries) + "### new features\n", encoding="utf-8")
    return str(path)


def by_pr(stdout: str) -> dict[int, dict[str, object]]:
    return {int(s["prs"][0]): s for s in json.loads(stdout)["snippets"]}


@pytest.fixture
def no_bwrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH on which bwrap cannot be found (the interpreter is used by absolute path)."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


# ------------------------------------------------------------------ no torch needed


def test_outcome_round_trip_and_distrust() -> None:
    outcome = Outcome(
        "error", returncode=0, duration=0.5, stdout="out", emulated=["a"],
        expectations=[Expectation(3, 2, "ValueError", "bad", ok=False, stmt_end=2, detail="d")],
        error=Failure("ValueError", "bad", line=2, via=["f"]), limit="memory",
        limit_message="memory limit of 10 MB reached",
    )
    assert Outcome.from_json(json.loads(json.dumps(outcome.to_json()))) == outcome
    # what crosses the sandbox boundary is not trusted
    assert Outcome.from_json(["not", "an", "outcome"]).status == "crash"
    assert Outcome.from_json({"status": "pass!"}).status == "crash"
    odd = Outcome.from_json({"status": "ok", "returncode": "0", "emulated": ["x", 3],
                             "limit": "cpu", "expectations": [{"stmt_line": "?"}, 7]})
    assert (odd.returncode, odd.emulated, odd.limit, odd.expectations) == (None, ["x"], None, [])


def test_choose_takes_the_first_available_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    class Missing(isolation.Backend):
        name = "missing"

        @classmethod
        def unavailable(cls) -> str | None:
            return "missing is not installed"

        def launch(self, command: list[str], *, interpreter: Interpreter,
                   scratch_mb: int) -> isolation.Launch:
            raise AssertionError("never launched")

    class Present(Missing):
        name = "present"

        @classmethod
        def unavailable(cls) -> str | None:
            return None

    monkeypatch.setattr(isolation, "BACKENDS", {"missing": Missing, "present": Present})
    assert isolation.choose().name == "present"
    assert isolation.choose(no_isolation=True).name == "none"
    monkeypatch.setattr(isolation, "BACKENDS", {"missing": Missing})
    with pytest.raises(SnippetError, match="missing is not installed.*--no-isolation"):
        isolation.choose()


def test_without_bwrap_the_error_says_how_to_get_it(no_bwrap: None) -> None:
    why = isolation.Bubblewrap.unavailable()
    assert why is not None and "apt install bubblewrap" in why
    with pytest.raises(SnippetError, match="no OS sandbox.*bubblewrap.*--no-isolation"):
        isolation.choose()


def test_bwrap_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    venv = home / "work" / "venv" / "lib"
    venv.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    interp = Interpreter(str(home / "work" / "venv" / "bin" / "python"), "3.11",
                         (str(venv), "/usr/lib/python3.11"), "2.13.0", None, None)
    launch = isolation.Bubblewrap().launch(["python", "-m", "worker"], interpreter=interp,
                                           scratch_mb=512)
    argv = launch.argv

    def has(*seq: str) -> bool:
        return any(argv[i:i + len(seq)] == list(seq) for i in range(len(argv)))

    assert argv[-3:] == ["python", "-m", "worker"]
    assert "--unshare-net" in argv or "--unshare-all" in argv
    assert "--unshare-pid" in argv or "--unshare-all" in argv
    assert {"--die-with-parent", "--new-session"} <= set(argv)
    assert has("--ro-bind", "/", "/") and has("--proc", "/proc") and has("--dev", "/dev")
    assert has("--size", str(512 * 1024 * 1024), "--tmpfs", "/tmp")  # the scratch, capped
    assert has("--tmpfs", str(home)) and has("--remount-ro", str(home))  # home hidden
    assert has("--ro-bind", str(venv), str(venv))  # the interpreter's files bound back
    assert has("--perms", "0755", "--dir", str(home / "work"))
    assert launch.own_pids and launch.scratch == "/tmp"


def test_probe_asks_the_interpreter_not_the_parent(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    env = sandbox.safe_env(str(tmp_path))
    bare = probe(python, env=env)
    assert bare.torch is None and str(venv) in bare.paths
    with pytest.raises(SnippetError, match="has no torch"):
        bare.installed()  # never "torch 0.0"
    site = next((venv / "lib").glob("python3.*")) / "site-packages"
    meta = site / "torch-2.9.0.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text("Metadata-Version: 2.1\nName: torch\nVersion: 2.9.0\n")
    (meta / "RECORD").write_text("")
    assert probe(python, env=env).installed().torch == (2, 9)
    with pytest.raises(SnippetError, match="cannot run|not a Python"):
        probe(str(tmp_path / "no-such-python"), env=env)


def test_without_bwrap_check_runs_no_code_says_so_once(tmp_path: Path, no_bwrap: None) -> None:
    ws = worksheet(tmp_path, entry(1, "x = (1,\n"), entry(2, "x = 1\n"))
    result = run_cli("check", ws, "--format", "json", expect=1)
    found = by_pr(result.stdout)
    assert (found[1]["verdict"], found[1]["kind"]) == ("fail", "syntax")  # static: still run
    assert (found[2]["verdict"], found[2]["kind"]) == ("skip", "not-run")
    assert found[1]["isolation"] is None and found[2]["isolation"] is None
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1 and "bubblewrap" in errors[0] and "--no-isolation" in errors[0]


def test_a_bwrap_that_cannot_start_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "bwrap").write_text("#!/bin/sh\necho 'bwrap: No permissions to create a new "
                                "namespace' >&2\nexit 1\n")
    (fake / "bwrap").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    ws = worksheet(tmp_path, entry(1, "x = 1\n"))
    result = run_cli("check", ws, "--format", "json", expect=1)
    assert (by_pr(result.stdout)[1]["kind"]) == "not-run"
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1 and "No permissions to create" in errors[0], result.stderr
    assert "--no-isolation" in errors[0]


def test_unsandboxed_results_say_so_in_text() -> None:
    results = [SnippetResult("ws.md", 3, [1], "2.7", None, "pass", None, "ran",
                             isolation="none")]
    text = render_text(results)
    assert "ws.md:3: PASS (pytorch 2.7; #1) [isolation: none]" in text
    assert "NOT sandboxed" in text
    boxed = render_text([SnippetResult("ws.md", 3, [1], "2.7", None, "pass", None, "ran",
                                       isolation="bwrap")])
    assert "isolation: none" not in boxed and "sandbox: bwrap" in boxed


# ------------------------------------------------------------------ with torch


@pytest.mark.torch
@pytest.mark.slow
def test_settings_are_enforced_by_the_os(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.relnotes]\nsnippet_timeout = 3\nsnippet_memory_mb = 2048\n", encoding="utf-8")
    ws = worksheet(
        tmp_path,
        entry(1, "import time\ntime.sleep(6)\n"),
        entry(2, "block = bytearray(3 * 1024 ** 3)\n"),
        entry(3, "import torch\nbig = torch.ones(2 ** 30)\n"),
        entry(4, "x = 1\n"),
        entry(5, "import sys\nfor _ in range(100):\n    sys.stdout.write('x' * (1 << 20))\n"),
    )
    found = by_pr(run_cli("check", ws, "--format", "json", expect=1).stdout)
    assert (found[1]["kind"], found[1]["message"]) == ("timeout", "did not finish within 3s")
    for pr in (2, 3):
        assert found[pr]["kind"] == "crash", found[pr]
        assert str(found[pr]["message"]).startswith("memory limit of 2048 MB reached"), found[pr]
    assert found[4]["verdict"] == "pass"
    assert found[5]["kind"] == "crash", found[5]
    assert str(found[5]["message"]).startswith("output limit of 64 MB reached"), found[5]
    assert {s["isolation"] for s in found.values()} == {"bwrap"}


@pytest.mark.torch
@pytest.mark.slow
def test_a_memory_limit_below_what_torch_takes_is_named(tmp_path: Path) -> None:
    ws = worksheet(tmp_path, entry(1, "x = 1\n"))
    found = by_pr(run_cli("check", ws, "--format", "json", "--memory", "300", expect=1).stdout)
    message = str(found[1]["message"])
    assert found[1]["kind"] == "crash" and message.startswith("memory limit of 300 MB reached")
    assert "torch and torchao take" in message and "raise snippet_memory_mb" in message


@pytest.mark.torch
@pytest.mark.slow
def test_import_noise_is_not_the_snippets_output() -> None:
    from relnotes.snippets.run import Runner

    code = ("import os, signal, sys\nprint('the snippet speaks', file=sys.stderr, flush=True)\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    with Runner(timeout=60, warm=False) as fresh:  # a fresh process imports torchao itself
        outcome = fresh.run(code, label=None, fixture_names=[])
        verdict = fresh.judge(outcome, code=code, label=None, code_line=1)
    assert outcome.stderr.strip() == "the snippet speaks", outcome.stderr
    assert verdict.kind == "crash" and verdict.message.endswith("the snippet speaks")


@pytest.mark.torch
@pytest.mark.slow
def test_no_isolation_runs_and_says_none(tmp_path: Path, no_bwrap: None) -> None:
    ws = worksheet(tmp_path, entry(1, "import torch\nx = torch.ones(2)\n"))
    found = by_pr(run_cli("check", ws, "--format", "json", "--no-isolation").stdout)
    assert (found[1]["verdict"], found[1]["isolation"]) == ("pass", "none")


def test_python_without_torch_is_one_clear_error(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    ws = worksheet(tmp_path, entry(1, "x = 1\n"), entry(2, "from torch.export import nope\n"))
    result = run_cli("check", ws, "--python", str(venv / "bin" / "python"), expect=1)
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1 and "has no torch" in errors[0], result.stderr
    assert str(venv) in errors[0]
    assert "SKIP [not-run]" in result.stdout and "FAIL [missing-api]" in result.stdout
