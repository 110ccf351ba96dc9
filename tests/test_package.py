"""The package surface: cheap import, help everywhere, a wheel that carries its data."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from relnotes.cli import main
from tests.helpers import REPO, run_cli


def test_import_relnotes_imports_neither_torch_nor_github() -> None:
    code = ("import relnotes, relnotes.cli, sys; "
            "bad = [m for m in ('torch', 'github') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def _commands(group, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        yield prefix + (name,), cmd
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, prefix + (name,))


@pytest.mark.parametrize("path", [p for p, _ in _commands(main)], ids=" ".join)
def test_every_command_has_help_with_an_example(path) -> None:
    out = run_cli(*path, "--help").output
    assert "Usage:" in out and "Example" in out, out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """The wheel ``pip wheel`` builds from this checkout (once for the module)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(REPO)],
        check=True, capture_output=True,
    )
    return zipfile.ZipFile(next(out.glob("relnotes-*.whl")))


def test_wheel_carries_templates_and_package_data(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    shipped_templates = {p.name for p in (REPO / "templates").glob("*.j2")}
    assert shipped_templates, "templates/ should hold the shipped templates"
    assert shipped_templates <= {Path(n).name for n in names if n.startswith("relnotes/templates/")}
    assert "relnotes/py.typed" in names
    assert any(n.startswith("relnotes/data/") for n in names)


# What only the tests use: the test runner, the test server and its GraphQL library.
TEST_ONLY = {"pytest", "_pytest", "hypothesis", "graphql", "tests"}


def test_wheel_carries_no_test_support(wheel: zipfile.ZipFile) -> None:
    """The test server lives in tests/github_server; nothing shipped may need it, pytest
    or graphql-core (none is a runtime dependency)."""
    sources = {n: wheel.read(n).decode("utf-8") for n in wheel.namelist() if n.endswith(".py")}
    assert "relnotes/cli/__init__.py" in sources  # the walk below sees the package
    assert not [n for n in wheel.namelist()
                if n.startswith(("relnotes/testing/", "tests/")) or "github_server" in n]
    wrong = []
    for name, text in sorted(sources.items()):
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules = [node.module]
            else:
                continue
            wrong += [f"{name}:{node.lineno}: {m}" for m in modules
                      if m.split(".")[0] in TEST_ONLY]
    assert not wrong, wrong


FILE_COMMANDS = ["parse", "lint", "triage", "check", "fetch", "review", "apply", "done",
                 "submit"]


@pytest.mark.parametrize("name", FILE_COMMANDS)
def test_help_examples_show_both_worksheet_names(name: str) -> None:
    """The bundled worksheet is todo/quantization.md; real release folders hold
    result_<domain>.md: a maintainer copying an example must find their shape."""
    out = run_cli(name, "--help").output
    examples = out[out.index("Example"):]
    assert "quantization.md" in examples.replace("result_quantization.md", "")
    assert "result_" in examples


@pytest.mark.parametrize("path", [p for p, c in _commands(main) if not hasattr(c, "commands")],
                         ids=" ".join)
def test_every_command_takes_verbose_and_json(path) -> None:
    """The README promises -v/-vv and --format json on every command."""
    out = run_cli(*path, "--help").output
    assert "-v, --verbose" in out and "json" in out[out.index("--format"):]


def test_verbose_after_the_command_name_turns_on_debug(tmp_path: Path) -> None:
    sheet = tmp_path / "w.md"
    sheet.write_text("## fx\n### bug fixes\n- Fix (#1)\n", encoding="utf-8")
    code = ("import logging, sys; from relnotes.cli import main; "
            "sys.argv = ['relnotes', 'parse', sys.argv[1], '-vv']; "
            "main(standalone_mode=False); "
            "print(logging.getLogger('relnotes').getEffectiveLevel())")
    out = subprocess.run([sys.executable, "-c", code, str(sheet)], capture_output=True,
                         text=True, check=True, cwd=REPO).stdout
    assert out.strip().splitlines()[-1] == str(10)  # logging.DEBUG
