"""Every third-party package relnotes imports is declared in pyproject.toml.

A package that merely arrives as somebody else's dependency (``requests`` through
PyGithub) can disappear or change under us; declaring it states the versions we tested.
The lowest versions declared were verified by installing them (see the comment in
pyproject.toml); this test keeps the list complete.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from tests.helpers import REPO


def _declared() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs += extra
    return {re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0].lower().replace("_", "-")
            for spec in specs}


def _imported_modules() -> dict[str, str]:
    """Top-level module -> a file importing it, for everything relnotes imports."""
    found: dict[str, str] = {}
    for path in sorted((REPO / "relnotes").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(REPO)))
    return found


def test_every_imported_third_party_package_is_declared() -> None:
    declared = _declared()
    dists = packages_distributions()
    undeclared = []
    for module, where in sorted(_imported_modules().items()):
        if module == "relnotes" or module in sys.stdlib_module_names or module == "__future__":
            continue
        names = {d.lower().replace("_", "-") for d in dists.get(module, [module])}
        if not names & declared:
            undeclared.append(f"{module} ({', '.join(sorted(names))}; imported in {where})")
    assert not undeclared, "imported but not declared in pyproject.toml: " + "; ".join(undeclared)
