"""The library never reaches upwards and never imports in a loop.

1. Every import, at the top of a module or inside a function, goes from a module to one
   below it in LAYERS (or within its own package). The order is the one CONTRIBUTING.md
   describes; a new module goes where its imports say it belongs.
2. No import loop at all, module by module (packages included): an import inside a
   function is how a loop quietly hides (``engine`` and ``parallel`` once imported each
   other that way), so every ``import`` statement of the tree counts, not just the
   module headers.
"""

from __future__ import annotations

import ast
from itertools import pairwise
from pathlib import Path

from tests.helpers import REPO

# Lowest first. A package (github, snippets, triage, summaries, cli, quantizer) is one unit.
LAYERS = [
    "errors", "versions", "categories", "findings", "fileio", "gitops", "config",
    "markdown", "prrefs", "worksheet", "release", "templating", "final_areas", "miscategorized",
    "entries", "finalnotes", "documents", "lint", "apply", "changes", "github", "drafts",
    "decisions", "quantizer", "snippets", "triage", "summaries", "final_sources", "audit",
    "review_groups", "review", "status", "final_render",
    "final_check", "final_build", "submit_branch", "submit", "", "cli",
]
RANK = {name: n for n, name in enumerate(LAYERS)}
PACKAGE = REPO / "relnotes"


def _unit(module: str) -> str:
    """``relnotes.triage.planning`` -> ``triage``; ``relnotes`` itself -> ``""``."""
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


def _modules(root: Path = REPO, package: str = "relnotes") -> dict[str, Path]:
    """Dotted module name -> file, for every module of ``root/package``."""
    out = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        out[".".join(p for p in parts if p != "__init__")] = path
    return out


def import_graph(root: Path = REPO, package: str = "relnotes",
                 ) -> dict[str, dict[str, int]]:
    """Module -> {module it imports: line of the first such import}, over every import
    statement (module level, in functions, in ``if TYPE_CHECKING:``; absolute and
    relative). ``from a.b import c`` imports ``a.b.c`` when that is a module, else
    ``a.b``; importing a module runs its package's ``__init__`` first, but that is not
    counted as the module depending on its package."""
    modules = _modules(root, package)
    graph: dict[str, dict[str, int]] = {name: {} for name in modules}
    for name, path in modules.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = here.split(".")[: len(here.split(".")) - node.level + 1]
                    base = ".".join(parent + ([node.module] if node.module else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                           for a in node.names]
            for target in targets:
                while target not in modules and "." in target:
                    target = target.rpartition(".")[0]
                if target in modules and target != name:
                    graph[name].setdefault(target, node.lineno)
    return graph


def import_cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Each group of modules that import one another, directly or not (Tarjan's
    strongly connected components of more than one module), as one cycle through it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_cycle_in(group, graph) for group in groups]


def _cycle_in(group: set[str], graph: dict[str, dict[str, int]]) -> list[str]:
    """One cycle through the group's first module (breadth-first: the shortest)."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v]):
            if w == start:
                return paths[v] + [start]
            if w in group and w not in paths:
                paths[w] = paths[v] + [w]
                queue.append(w)
    raise AssertionError(f"no cycle through {start}")  # a component always has one


def _describe(cycle: list[str], graph: dict[str, dict[str, int]]) -> str:
    steps = [f"{a} (line {graph[a][b]}) imports {b}" for a, b in pairwise(cycle)]
    return " -> ".join(cycle) + "\n    " + "\n    ".join(steps)


def test_every_unit_has_a_place() -> None:
    units = {_unit(name) for name in _modules()}
    assert units <= set(RANK), f"add to LAYERS: {sorted(units - set(RANK))}"


def test_no_import_reaches_upwards() -> None:
    wrong = []
    for name, path in _modules().items():
        source = _unit(name)
        for line, target in _imports(path):
            if not target.startswith("relnotes"):
                continue
            dest = _unit(target)
            if dest != source and RANK.get(dest, 99) > RANK[source]:
                wrong.append(f"{path.relative_to(REPO)}:{line}: {source or 'relnotes'} "
                             f"imports {target} (layer {dest!r} is above it)")
    assert not wrong, "\n".join(wrong)


def test_no_import_loop_between_modules() -> None:
    graph = import_graph()
    cycles = import_cycles(graph)
    assert not cycles, "import loops:\n" + "\n".join(_describe(c, graph) for c in cycles)


def test_a_loop_hidden_in_a_function_is_found(tmp_path: Path) -> None:
    """The check sees what the old package-level one did not: two modules of one
    package importing each other, one of them inside a function (relatively too)."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from pkg.sub.a import run\n")
    (pkg / "sub" / "a.py").write_text("from pkg.sub import b\n\ndef run():\n    return b.x\n")
    (pkg / "sub" / "b.py").write_text("x = 1\n\ndef later():\n    from .a import run\n"
                                      "    return run\n")
    (pkg / "sub" / "c.py").write_text("import pkg.sub.a\n")  # in no loop
    graph = import_graph(tmp_path, "pkg")
    assert graph["pkg.sub.b"] == {"pkg.sub.a": 4}
    assert import_cycles(graph) == [["pkg.sub.a", "pkg.sub.b", "pkg.sub.a"]]
    (pkg / "sub" / "b.py").write_text("x = 1\n")
    assert import_cycles(import_graph(tmp_path, "pkg")) == []


def test_click_lives_only_in_the_cli() -> None:
    wrong = [f"{path.relative_to(REPO)}:{line}" for name, path in _modules().items()
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
