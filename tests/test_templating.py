"""The one Jinja2 Environment: search order, strictness, both places shipped templates live."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from relnotes.config import load_config
from relnotes.errors import ConfigError
from relnotes.templating import environment, render, shipped_template_dir, template_search_path
from tests.helpers import REPO, run_cli

SHIPPED = {"_entry.j2", "worksheet_bc.md.j2", "worksheet_deprecation.md.j2", "final_entry.md.j2"}

DRAFT = {"entry": {"title": "T", "pr_refs": "#1", "rationale": None, "pr_note": None,
                   "message": None, "how_to_update": None,
                   "before": {"label": "2.6", "code": None},
                   "after": {"label": "2.7", "code": "g()"}}}


def test_checkout_templates_are_found_in_the_top_level_folder() -> None:
    found = shipped_template_dir()
    assert found == REPO / "templates"
    assert SHIPPED <= {p.name for p in found.iterdir()}


def test_installed_layout_wins_over_the_checkout(tmp_path: Path) -> None:
    pkg = tmp_path / "site" / "relnotes"
    (pkg / "templates").mkdir(parents=True)
    (tmp_path / "site" / "templates").mkdir()  # a checkout-style folder beside it
    assert shipped_template_dir(package_dir=pkg) == pkg / "templates"
    empty = tmp_path / "bare" / "relnotes"
    empty.mkdir(parents=True)
    with pytest.raises(ConfigError, match="shipped templates not found"):
        shipped_template_dir(package_dir=empty)


def test_user_folder_comes_first(tmp_path: Path) -> None:
    (tmp_path / "worksheet_bc.md.j2").write_text("custom {{ entry.title }}\n")
    assert template_search_path(template_dir=tmp_path)[0] == tmp_path.resolve()
    assert render("worksheet_bc.md.j2", DRAFT, template_dir=tmp_path) == "custom T\n"
    # templates the user does not override still come from the shipped folder
    assert render("worksheet_deprecation.md.j2", DRAFT, template_dir=tmp_path).startswith("- T (#1)")


def test_a_broken_imported_template_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "_entry.j2").write_text("{% macro broken( %}\n")  # imported at render time
    with pytest.raises(ConfigError, match="template syntax"):
        render("worksheet_bc.md.j2", DRAFT, template_dir=tmp_path)


def test_template_dir_setting_is_relative_to_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.relnotes]\ntemplate_dir = "tpl"\n')
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "final_entry.md.j2").write_text("mine\n")
    config = load_config(tmp_path)
    assert render("final_entry.md.j2", {}, config=config) == "mine\n"
    (tmp_path / "pyproject.toml").write_text('[tool.relnotes]\ntemplate_dir = "nope"\n')
    with pytest.raises(ConfigError, match="not a folder"):
        render("final_entry.md.j2", {}, config=load_config(tmp_path))


def test_strict_undefined_and_errors_name_the_template(tmp_path: Path) -> None:
    env = environment()
    assert env is environment()  # built once per search path
    assert type(env.undefined).__name__ == "type" and env.undefined.__name__ == "StrictUndefined"
    with pytest.raises(ConfigError, match="template variable"):
        render("worksheet_bc.md.j2", {"entry": {"title": "x"}})
    (tmp_path / "bad.j2").write_text("line one\n{% if %}\n")
    with pytest.raises(ConfigError) as info:
        render("bad.j2", {}, template_dir=tmp_path)
    assert info.value.line == 2 and str(info.value.file).endswith("bad.j2")
    with pytest.raises(ConfigError, match="not found"):
        render("missing.j2", {})


def test_shipped_draft_marks_todos_and_keeps_given_code() -> None:
    text = render("worksheet_bc.md.j2", DRAFT)
    assert text.startswith("- T (#1)\n")
    assert "<!-- TODO: why this changed" in text
    assert "# pytorch 2.6\n# TODO: code that works in 2.6" in text
    assert "# pytorch 2.7\ng()\n```" in text


def test_entry_new_from_the_fake_github(tmp_path: Path, fake_github, monkeypatch) -> None:
    monkeypatch.delenv("RELNOTES_CACHE", raising=False)
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.relnotes]\napi_url = "{fake_github.url}"\n'
        f'cache_path = "{tmp_path / "cache.sqlite"}"\ntoken_env = "RELNOTES_FAKE_TOKEN"\n'
        'release = "2.7.0"\n'
    )
    monkeypatch.chdir(tmp_path)
    result = run_cli("entry", "new", "--pr", "139505", "--kind", "bc", "--format", "json")
    data = json.loads(result.stdout)
    assert (data["from"], data["to"], data["found"]) == ("2.6", "2.7", True)
    assert "capture_pre_autograd_graph" in data["text"]  # the PR's title and BC note
    assert "BC-breaking note" not in data["text"] and "export_for_training" in data["text"]
    assert data["todo"] >= 4
    # second time: from the cache, offline
    text = run_cli("entry", "new", "--pr", "139505", "--kind", "deprecation", "--offline",
                   "--from", "2.5", "--to", "2.7").stdout
    assert "# pytorch 2.5" in text and "warning" in text
    bad = run_cli("entry", "new", "--pr", "1", "--kind", "bc", "--to", "3.0", "--offline",
                  expect=2)
    assert "Error:" in bad.stderr and "--from" in bad.stderr


@pytest.mark.slow
def test_templates_travel_inside_the_wheel(tmp_path: Path) -> None:
    """Build the real wheel and render from an installed copy (no checkout around it)."""
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "dist"), str(REPO)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert build.returncode == 0, f"wheel build failed: {build.stderr[-500:]}"
    (wheel,) = (tmp_path / "dist").glob("relnotes-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"relnotes/templates/{n}" for n in SHIPPED} <= names
    assert "relnotes/data/profiles/torch-2.7.json.gz" in names
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    code = ("import relnotes.templating as t, relnotes.snippets.profiles as p;"
            "print(t.shipped_template_dir());"
            "print(t.render('final_entry.md.j2', {'entry': {'title': 'X', 'pr_refs': '',"
            " 'rationale': 'R', 'no_code_reason': None, 'parts': []}}));"
            "print(p.load_profile('2.7').version)")
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.splitlines()[0] == str(site / "relnotes" / "templates")
    assert "### X" in out and "R" in out and out.strip().endswith("2.7.0")
