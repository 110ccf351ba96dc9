"""Building API profiles: read a torch wheel's Python sources with ast, never import them.

``relnotes api-profile build --torch X.Y.Z`` downloads the official macOS arm64 wheel
with pip (no dependencies, nothing installed), parses every ``torch/**/*.py`` and
``.pyi`` inside the zip and records, per module: its top-level names (definitions,
assignments, ``__all__``, re-exports through imports and star imports), function
signatures, and classes with their members. The result is trimmed to
:data:`SHIPPED_SCOPE` for the package; see :mod:`relnotes.snippets.profiles` for the
format and for querying.

Files are written with :func:`relnotes.fileio.atomic_write` as compact JSON, gzip'd when
the name ends in ``.gz`` (the shipped ones: 11 versions take about 1 MB instead of 6 MB).
"""

from __future__ import annotations

import ast
import gzip
import json
import logging
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relnotes.errors import SnippetError, UsageError
from relnotes.fileio import atomic_write
from relnotes.snippets.profiles import FORMAT, major_minor
from relnotes.versions import parse_version

__all__ = [
    "PLATFORM_TAGS",
    "SHIPPED_SCOPE",
    "build_profile",
    "build_profile_from_wheel",
    "download_wheel",
    "in_scope",
    "trim_profile",
    "write_profile",
]

log = logging.getLogger(__name__)

# Modules whose names ship in the package: each entry covers the module and everything
# below it. Chosen from what BC/deprecation entries of 2.5-2.8 actually reference (export
# and quantization flows, ONNX, FX incl. symbolic_shapes, optim schedulers, dlpack) plus
# the top-level namespaces snippets start from. Anything else: module list only.
SHIPPED_SCOPE: tuple[str, ...] = (
    "torch",  # the top-level module itself (its submodules are listed separately below)
    "torch.export",
    "torch._export",
    "torch.ao.quantization",
    "torch.onnx",
    "torch.fx",
    "torch.optim",
    "torch.nn",
    "torch.autograd",
    "torch.compiler",
    "torch.library",
    "torch.utils.dlpack",
    "torch._dynamo",
    "torch._tensor",
)
# Of these, only the module itself (not its subtree): the subtrees are large and rarely
# named in migration code.
_TOP_ONLY: frozenset[str] = frozenset({"torch", "torch.nn", "torch._dynamo", "torch.autograd"})
# ... except for these explicitly kept submodules of top-only roots.
_EXTRA: frozenset[str] = frozenset(
    {"torch.nn.functional", "torch.nn.modules.module", "torch.nn.parameter", "torch.nn.utils",
     "torch._dynamo.config"}
)

# pip's platform tags of the official macOS arm64 wheels: 2.5-2.11 are built for
# macOS 11, 2.12 and later for macOS 14 (checked on PyPI). pip picks whichever exists.
PLATFORM_TAGS: tuple[str, ...] = ("macosx_11_0_arm64", "macosx_14_0_arm64")



def in_scope(module: str, scope: Sequence[str] = SHIPPED_SCOPE) -> bool:
    """Whether ``module``'s names are kept when a profile is trimmed to ``scope``.

    Below a root, private modules (``torch.onnx._internal...``) are left out: migration
    code does not import them, and they are most of the size.
    """
    if module in _EXTRA:
        return True
    for root in scope:
        if module == root:
            return True
        if module.startswith(root + ".") and root not in _TOP_ONLY:
            below = module[len(root) + 1:].split(".")
            return not any(part.startswith("_") for part in below)
    return False



# ----------------------------------------------------------------------------- parsing


@dataclass
class _ModuleInfo:
    names: dict[str, str]
    imports: dict[str, str]
    sigs: dict[str, str]
    classes: dict[str, dict[str, Any]]
    stars: list[str]
    all_names: list[str] | None
    open: bool


def _module_name(member: str) -> tuple[str, bool] | None:
    """``torch/export/__init__.py`` -> (``torch.export``, is_package)."""
    if not member.startswith("torch/") or not member.endswith((".py", ".pyi")):
        return None
    stem = member.rsplit(".", 1)[0]
    parts = stem.split("/")
    if not all(p.isidentifier() for p in parts):
        return None
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _resolve_relative(module: str, is_pkg: bool, level: int, target: str | None) -> str:
    base = module.split(".") if is_pkg else module.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, *([target] if target else [])])


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    args = node.args
    out: list[str] = []
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    for i, (arg, default) in enumerate(zip(positional, defaults)):
        out.append(arg.arg + ("" if default is None else "=" + _short(default)))
        if args.posonlyargs and i == len(args.posonlyargs) - 1:
            out.append("/")
    if args.vararg:
        out.append("*" + args.vararg.arg)
    elif args.kwonlyargs:
        out.append("*")
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults):
        out.append(arg.arg + ("" if kw_default is None else "=" + _short(kw_default)))
    if args.kwarg:
        out.append("**" + args.kwarg.arg)
    return "(" + ", ".join(out) + ")"


def _short(node: ast.expr) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 40 else "..."


def _strings(node: ast.expr) -> list[str] | None:
    if isinstance(node, (ast.List, ast.Tuple)):
        values = [e.value for e in node.elts if isinstance(e, ast.Constant)]
        return [v for v in values if isinstance(v, str)]
    return None


def _class_info(node: ast.ClassDef) -> dict[str, Any]:
    members: list[str] = []
    for stmt in node.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            members.append(stmt.name)
        elif isinstance(stmt, ast.Assign):
            members += [t.id for t in stmt.targets if isinstance(t, ast.Name)]
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            members.append(stmt.target.id)
    bases = [ast.unparse(b) for b in node.bases]
    info: dict[str, Any] = {"members": sorted(set(members)),
                            "bases": [b for b in bases if b != "object"]}
    init = next((s for s in node.body if isinstance(s, ast.FunctionDef)
                 and s.name == "__init__"), None)
    if init is not None:
        info["init"] = _signature(init)
    return info


def _parse_module(source: bytes, module: str, is_pkg: bool) -> _ModuleInfo:
    info = _ModuleInfo({}, {}, {}, {}, [], None, False)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        info.open = True
        return info

    def visit(body: Iterable[ast.stmt]) -> None:
        for stmt in body:
            _visit_stmt(stmt, info, module, is_pkg, visit)

    visit(tree.body)
    if info.all_names is not None:
        for name in info.all_names:
            info.names.setdefault(name, "name")
    return info


def _visit_stmt(
    stmt: ast.stmt, info: _ModuleInfo, module: str, is_pkg: bool,
    visit: Callable[[Iterable[ast.stmt]], None],
) -> None:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        info.names[stmt.name] = "function"
        info.sigs[stmt.name] = _signature(stmt)
        if stmt.name == "__getattr__":
            info.open = True
    elif isinstance(stmt, ast.ClassDef):
        info.names[stmt.name] = "class"
        info.classes[stmt.name] = _class_info(stmt)
    elif isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                info.names[alias.asname] = "import"
                info.imports[alias.asname] = alias.name
            else:
                info.names.setdefault(alias.name.split(".")[0], "import")
    elif isinstance(stmt, ast.ImportFrom):
        source = (
            _resolve_relative(module, is_pkg, stmt.level, stmt.module)
            if stmt.level else (stmt.module or "")
        )
        for alias in stmt.names:
            if alias.name == "*":
                info.stars.append(source)
                continue
            bound = alias.asname or alias.name
            info.names[bound] = "import"
            info.imports[bound] = f"{source}.{alias.name}"
    elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        _visit_assign(stmt, info)
    elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        _visit_call(stmt.value, info)
    elif isinstance(stmt, ast.If):
        visit(stmt.body)
        visit(stmt.orelse)
    elif isinstance(stmt, ast.Try):
        visit(stmt.body)
        for handler in stmt.handlers:
            visit(handler.body)
        visit(stmt.orelse)
        visit(stmt.finalbody)
    elif isinstance(stmt, ast.With):
        visit(stmt.body)
    elif isinstance(stmt, ast.For) and "globals()" in ast.unparse(stmt):
        # `for name in ...: globals()[name] = ...` is how torch re-exports C functions.
        info.open = True


def _visit_assign(stmt: ast.Assign | ast.AnnAssign | ast.AugAssign, info: _ModuleInfo) -> None:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    for target in targets:
        if isinstance(target, ast.Name):
            if target.id == "__all__" and stmt.value is not None:
                values = _strings(stmt.value)
                if values is None:  # computed __all__: the names stay as defined
                    continue
                if isinstance(stmt, ast.AugAssign):
                    info.all_names = [*(info.all_names or []), *values]
                else:
                    info.all_names = values
            elif not isinstance(stmt, ast.AugAssign):
                info.names.setdefault(target.id, "name")
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                if isinstance(elt, ast.Name):
                    info.names.setdefault(elt.id, "name")
        elif isinstance(target, ast.Subscript) and "globals()" in ast.unparse(target):
            info.open = True


def _visit_call(call: ast.Call, info: _ModuleInfo) -> None:
    func = call.func
    if (
        isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
        and func.value.id == "__all__" and func.attr in ("extend", "append") and call.args
    ):
        arg = call.args[0]
        values = (
            [arg.value] if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            else _strings(arg) or []
        )
        info.all_names = [*(info.all_names or []), *values]
    if "globals()" in ast.unparse(call):
        info.open = True


def _resolve_stars(modules: dict[str, _ModuleInfo]) -> None:
    """Merge the names of ``from X import *`` targets, repeatedly (stars of stars)."""
    for _ in range(5):
        changed = False
        for info in modules.values():
            for target in info.stars:
                src = modules.get(target)
                if src is None:
                    if not info.open:
                        info.open = True
                        changed = True
                    continue
                exported = src.all_names if src.all_names is not None else [
                    n for n in src.names if not n.startswith("_")
                ]
                for exported_name in exported:
                    if exported_name not in info.names:
                        info.names[exported_name] = "import"
                        info.imports[exported_name] = f"{target}.{exported_name}"
                        changed = True
                if src.open and not info.open and src.all_names is None:
                    info.open = True
                    changed = True
        if not changed:
            return


def build_profile_from_wheel(wheel: Path, *, version: str) -> dict[str, Any]:
    """A full (untrimmed) profile from a torch wheel file, by parsing its sources."""
    modules: dict[str, _ModuleInfo] = {}
    try:
        archive = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile) as exc:
        raise SnippetError(f"cannot read wheel: {exc}", file=wheel) from None
    with archive:
        for member in sorted(archive.namelist()):
            named = _module_name(member)
            if named is None:
                continue
            module, is_pkg = named
            info = _parse_module(archive.read(member), module, is_pkg)
            if module in modules:  # .py and .pyi of the same module: union
                _merge(modules[module], info)
            else:
                modules[module] = info
    if "torch" not in modules:
        raise SnippetError("not a torch wheel (no torch/__init__.py)", file=wheel)
    # torch re-exports its C functions (randn, cat, ...) in a loop over _VariableFunctions.
    c_funcs = modules.get("torch._C._VariableFunctions")
    if c_funcs is not None:
        for fname in c_funcs.names:
            if not fname.startswith("_"):
                modules["torch"].names.setdefault(fname, "function")
    _resolve_stars(modules)
    return {
        "format": FORMAT,
        "torch": version,
        "wheel": wheel.name,
        "scope": ["*"],
        "modules": {name: _module_json(info) for name, info in sorted(modules.items())},
    }


def _merge(into: _ModuleInfo, other: _ModuleInfo) -> None:
    for name, kind in other.names.items():
        into.names.setdefault(name, kind)
    for mapping, extra in ((into.imports, other.imports), (into.sigs, other.sigs)):
        for key, value in extra.items():
            mapping.setdefault(key, value)
    for cname, cinfo in other.classes.items():
        into.classes.setdefault(cname, cinfo)
    into.stars += other.stars
    if other.all_names is not None and into.all_names is None:
        into.all_names = other.all_names
    into.open = into.open or other.open


def _module_json(info: _ModuleInfo) -> dict[str, Any]:
    return {
        "open": info.open,
        "names": dict(sorted(info.names.items())),
        "imports": dict(sorted(info.imports.items())),
        "sigs": dict(sorted(info.sigs.items())),
        "classes": dict(sorted(info.classes.items())),
    }


def trim_profile(profile: dict[str, Any], *, scope: Sequence[str] = SHIPPED_SCOPE) -> dict[str, Any]:
    """Keep every module name but the names of in-scope modules only."""
    modules = {
        name: (_trim_record(record) if in_scope(name, scope) else None)
        for name, record in profile["modules"].items()
    }
    return {**profile, "scope": list(scope), "modules": modules}


def _trim_record(record: dict[str, Any] | None) -> dict[str, Any] | None:
    """Drop what lookups of torch API never need, to keep the package data small.

    Gone: names imported from outside torch (``Any``, ``os``), private imports and
    private module-level variables, private signatures and private class members.
    Private functions and classes stay: migration notes do point users at them
    (``_get_control_flow_submodules`` in 2.7).
    """
    if record is None:
        return None
    imports = {k: v for k, v in record["imports"].items() if v.startswith("torch")}
    names = {}
    for name, kind in record["names"].items():
        private = name.startswith("_") and not name.startswith("__")
        if kind == "import" and (name not in imports or private):
            continue
        if kind == "name" and private:
            continue
        names[name] = kind
    imports = {k: v for k, v in imports.items() if k in names}
    sigs = {k: v for k, v in record["sigs"].items() if not k.startswith("_")}
    classes = {
        name: {**info, "members": [m for m in info["members"] if not m.startswith("_")]}
        for name, info in record["classes"].items() if not name.startswith("_")
    }
    return {"open": record["open"], "names": names, "imports": imports, "sigs": sigs,
            "classes": classes}


# ----------------------------------------------------------------------------- building

Runner = Callable[[list[str]], "subprocess.CompletedProcess[str]"]


def _full_version(text: str) -> None:
    """A wheel is one release: ``2.7.0``, not ``2.7`` (nor a label)."""
    version = parse_version(text)
    if version is None or version.patch is None or str(version) != text.strip():
        raise UsageError(f"--torch needs a full version such as 2.7.0, got {text!r}")


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)


def download_wheel(version: str, *, dest: Path, run: Runner = _run) -> Path:
    """``pip download`` the official macOS arm64 wheel of torch ``version`` into ``dest``."""
    _full_version(version)
    platforms = [arg for tag in PLATFORM_TAGS for arg in ("--platform", tag)]
    cmd = [sys.executable, "-m", "pip", "download", f"torch=={version}", "--no-deps",
           *platforms, "--only-binary=:all:", "--python-version", "3.11", "-d", str(dest)]
    log.info("downloading torch %s wheel: %s", version, " ".join(cmd))
    result = run(cmd)
    wheels = sorted(dest.glob(f"torch-{version}*.whl"))
    if result.returncode != 0 or not wheels:
        tail = (result.stderr or result.stdout or "").strip().splitlines()[-3:]
        raise SnippetError(
            f"could not download the torch {version} macOS arm64 wheel: " + " | ".join(tail)
        )
    return wheels[0]


def write_profile(profile: dict[str, Any], path: Path) -> Path:
    """Write a profile as compact JSON, gzip'd when ``path`` ends in ``.gz`` (as shipped)."""
    text = json.dumps(profile, separators=(",", ":"), sort_keys=True) + "\n"
    if path.suffix == ".gz":
        atomic_write(path, gzip.compress(text.encode("utf-8"), mtime=0))
    else:
        atomic_write(path, text)
    return path


def build_profile(
    torch_version: str, *, out: Path | None = None, full: bool = False,
    wheel: Path | None = None, run: Runner = _run,
) -> Path:
    """``relnotes api-profile build``: download (or use ``wheel``), parse, trim, write."""
    _full_version(torch_version)
    target = out or Path(f"torch-{major_minor(torch_version)}.json")
    with tempfile.TemporaryDirectory(prefix="relnotes-wheel-") as tmp:
        path = wheel or download_wheel(torch_version, dest=Path(tmp), run=run)
        profile = build_profile_from_wheel(path, version=torch_version)
    if not full:
        profile = trim_profile(profile)
    return write_profile(profile, target)


