"""The library never reaches upwards: every import, at the top of a module or inside a
function, goes from a module to one below it in LAYERS (or within its own package).

Function-body imports are how layering quietly erodes (a lazy import hides a cycle), so
this walks every ``import`` statement in the tree, not just the module headers. The order
is the one CONTRIBUTING.md describes; a new module goes where its imports say it belongs.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers import REPO

# Lowest first. A package (github, snippets, triage, summaries, cli, quantizer) is one unit.
LAYERS = [
    "errors", "versions", "categories", "findings", "fileio", "gitops", "config",
    "markdown", "worksheet", "release", "templating", "final_areas", "miscategorized",
    "entries", "finalnotes", "documents", "lint", "apply", "changes", "github", "drafts",
    "decisions", "quantizer", "snippets", "triage", "summaries", "final_sources", "audit",
    "review_groups", "review", "status", "final_render",
    "final_check", "final_build", "submit", "", "cli",
]
RANK = {name: n for n, name in enumerate(LAYERS)}
PACKAGE = REPO / "relnotes"


def _unit(module: str) -> str:
    """``relnotes.triage.engine`` -> ``triage``; ``relnotes`` itself -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module == "relnotes":  # "from relnotes import versions"
                found += [(node.lineno, f"relnotes.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        out.append((".".join(p for p in parts if p != "__init__"), path))
    return out


def test_every_unit_has_a_place() -> None:
    units = {_unit(name) for name, _ in _modules()}
    assert units <= set(RANK), f"add to LAYERS: {sorted(units - set(RANK))}"


def test_no_import_reaches_upwards() -> None:
    wrong = []
    for name, path in _modules():
        source = _unit(name)
        for line, target in _imports(path):
            if not target.startswith("relnotes"):
                continue
            dest = _unit(target)
            if dest != source and RANK.get(dest, 99) > RANK[source]:
                wrong.append(f"{path.relative_to(REPO)}:{line}: {source or 'relnotes'} "
                             f"imports {target} (layer {dest!r} is above it)")
    assert not wrong, "\n".join(wrong)


def test_click_lives_only_in_the_cli() -> None:
    wrong = [f"{path.relative_to(REPO)}:{line}" for name, path in _modules()
             if _unit(name) != "cli" for line, target in _imports(path)
             if target.split(".")[0] == "click"]
    assert not wrong, wrong


def test_test_modules_do_not_import_each_other() -> None:
    """Shared test data lives in fixture modules (tests/*_fixtures.py, helpers.py):
    importing a test module runs its collection side effects and hides dependencies."""
    wrong = []
    for path in sorted((REPO / "tests").glob("test_*.py")):
        for line, target in _imports(path):
            if target.startswith("tests.test_"):
                wrong.append(f"{path.relative_to(REPO)}:{line}: imports {target}")
    assert not wrong, "\n".join(wrong)
