"""Emulating the labelled torch version's API on the torch that is installed.

A snippet labelled ``# pytorch 2.6`` was written for 2.6: it imports
``torch._export.capture_pre_autograd_graph`` and ``torch.ao.quantization.quantizer``,
which the installed torch (2.13) no longer has. To run it truthfully we serve exactly
what that version had, from where the code lives now (torchao 0.18, relnotes' own XPU
quantizer), and nothing it did not have: under a 2.7 label ``capture_pre_autograd_graph``
stays missing, so the snippet fails as ``missing-api``.

:mod:`relnotes.snippets.facts` is the table of what existed when (checked against the
API profiles of the official wheels).
:func:`install` runs inside the sandboxed child only; it records every emulation the
snippet actually touches, by name, so the report can say what was emulated.
"""

from __future__ import annotations

import functools
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
import warnings
from collections.abc import Callable
from typing import Any

from relnotes.snippets import facts
from relnotes.snippets.facts import Line, release_line

__all__ = ["EMULATED_BEHAVIOUR", "install", "installed_version"]

_AO = "torch.ao.quantization"
_CAPTURE = facts.fact_for("torch._export.capture_pre_autograd_graph")
_CAPTURE_LAST = facts.line_text(_CAPTURE.span.last) if _CAPTURE and _CAPTURE.span.last else "?"

#: Emulated functions that reproduce the old version's behaviour, not just its name:
#: an error raised inside them is what that version would have raised.
EMULATED_BEHAVIOUR = frozenset({"capture_pre_autograd_graph", "export_for_training"})


def installed_version() -> Line:
    """The torch this (sandboxed) process imported."""
    import torch

    version = release_line(torch.__version__)
    assert version is not None
    return version


# ---------------------------------------------------------------- in the child only


class _Emulator(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves emulated modules by name and records which ones a snippet imported."""

    def __init__(
        self,
        modules: dict[str, str],
        packages: set[str],
        used: list[str],
        wrap: Callable[[str, types.ModuleType], None],
    ) -> None:
        self.modules = modules  # emulated name -> module that serves it
        self.packages = packages  # names that must behave as packages
        self.used = used
        self.wrap = wrap

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in self.modules and fullname not in self.packages:
            return None
        is_pkg = fullname in self.packages
        return importlib.machinery.ModuleSpec(fullname, self, is_package=is_pkg)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = types.ModuleType(spec.name)
        served = self.modules.get(spec.name)
        if served is not None:
            real = importlib.import_module(served)
            # submodules are left out so that importing them goes through this finder
            module.__dict__.update(
                {
                    k: v
                    for k, v in vars(real).items()
                    if not k.startswith("__") and not isinstance(v, types.ModuleType)
                }
            )
            module.__doc__ = f"relnotes emulation of {spec.name}, served by {served}"
            vars(module)["__getattr__"] = _delegate(spec.name, real)  # PEP 562
            if spec.name not in self.used:
                self.used.append(spec.name)
            self.wrap(spec.name, module)
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def _delegate(name: str, real: types.ModuleType) -> Callable[[str], Any]:
    """Late attributes of the serving module, but never its submodules (see above)."""

    def __getattr__(attr: str) -> Any:
        value = getattr(real, attr, None)
        if value is None or isinstance(value, types.ModuleType):
            raise AttributeError(f"module {name!r} has no attribute {attr!r}")
        return value

    return __getattr__


def _record(used: list[str], name: str) -> None:
    if name not in used:
        used.append(name)


def _module_getattr(module: types.ModuleType, extra: dict[str, Callable[[], Any]]) -> None:
    """Add lazily resolved attributes to a real module (PEP 562), chaining any existing hook."""
    previous = module.__dict__.get("__getattr__")

    def __getattr__(attr: str) -> Any:
        if attr in extra:
            return extra[attr]()
        if previous is not None:
            return previous(attr)
        raise AttributeError(f"module {module.__name__!r} has no attribute {attr!r}")

    vars(module)["__getattr__"] = __getattr__  # PEP 562: looked up in the module's dict


def install(
    label: str | None,
    *,
    used: list[str],
    snippet_file: str,
    on_export: Callable[[tuple[Any, ...]], None] | None = None,
) -> None:
    """Make this process look like torch ``label`` to code compiled as ``snippet_file``.

    ``used`` collects the names of the emulations the snippet touches; ``on_export``
    hears the example inputs of every export the snippet makes (for the carry-on run).
    """
    import torch
    import torch._export
    import torch.export

    version = release_line(label)
    have = installed_version()
    real_export = torch.export.export

    def from_snippet(depth: int = 2) -> bool:
        return sys._getframe(depth).f_code.co_filename == snippet_file

    strict_default = version is not None and facts.EXPORT_STRICT_DEFAULT.span.contains(version)

    def export(mod: Any, args: Any, kwargs: Any = None, **options: Any) -> Any:
        if from_snippet() and "strict" not in options and strict_default:
            options["strict"] = True
            _record(used, "torch.export.export(strict=True default)")
        if on_export is not None and isinstance(args, tuple):
            on_export(args)
        return real_export(mod, args, kwargs, **options)

    functools.update_wrapper(export, real_export)  # errors must say "export()", not ours
    torch.export.export = export

    modules: dict[str, str] = {}
    attributes: dict[str, Callable[[], Any]] = {}
    if version is not None and version < have:
        for fact in facts.API:
            if not fact.existed_in(version) or fact.kind != "module":
                continue
            if importlib.util.find_spec(fact.name.split(".")[0]) and _importable(fact.name):
                continue  # still in the installed torch: nothing to emulate
            modules[fact.name] = fact.served_by
        attributes = _attribute_emulations(version, used, export, on_export)
    if importlib.util.find_spec("executorch") is None:
        modules.update(facts.EXECUTORCH)
    # emulated names with emulated children, and missing parents (executorch.backends...)
    packages = {name for name in modules if any(o.startswith(name + ".") for o in modules)}
    for name in modules:
        packages |= {
            parent
            for parent in _parents(name)
            if parent not in modules and parent not in sys.modules and not _importable(parent)
        }

    def wrap(name: str, module: types.ModuleType) -> None:
        deprecated = version is not None and facts.AO_DEPRECATED.span.contains(version)
        if name == f"{_AO}.quantize_pt2e" and deprecated:
            for fn in ("prepare_pt2e", "prepare_qat_pt2e", "convert_pt2e"):
                setattr(module, fn, _deprecated(getattr(module, fn)))

    sys.meta_path.insert(0, _Emulator(modules, packages, used, wrap))
    by_module: dict[str, dict[str, Callable[[], Any]]] = {}
    for dotted, make in attributes.items():
        mod_name, _, attr = dotted.rpartition(".")
        by_module.setdefault(mod_name, {})[attr] = make
    for mod_name, extra in by_module.items():
        _module_getattr(importlib.import_module(mod_name), extra)


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _deprecated(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(facts.AO_DEPRECATION_TEXT, DeprecationWarning, stacklevel=2)
        return fn(*args, **kwargs)

    return wrapper


def _attribute_emulations(
    version: Line,
    used: list[str],
    export: Callable[..., Any],
    on_export: Callable[[tuple[Any, ...]], None] | None,
) -> dict[str, Callable[[], Any]]:
    """Functions the labelled version had at module level and the installed one lacks."""
    import logging

    import torch._export
    import torch.export

    out: dict[str, Callable[[], Any]] = {}
    strict_default = facts.EXPORT_STRICT_DEFAULT.span.contains(version)

    def export_for_training(
        mod: Any,
        args: Any,
        kwargs: Any = None,
        *,
        dynamic_shapes: Any = None,
        strict: bool = strict_default,
        preserve_module_call_signature: tuple[str, ...] = (),
    ) -> Any:
        """Emulated: in 2.11+ torch.export.export produces the same training IR."""
        return export(
            mod,
            args,
            kwargs,
            dynamic_shapes=dynamic_shapes,
            strict=strict,
            preserve_module_call_signature=preserve_module_call_signature,
        )

    def capture_pre_autograd_graph(
        f: Any, args: Any, kwargs: Any = None, dynamic_shapes: Any = None
    ) -> Any:
        """Emulated last behaviour (2.6): strict pre-dispatch export, returned as a module.

        It called ``f(*args, **kwargs)`` through dynamo, so a non-tuple ``args`` (a
        tensor) was unpacked along its first dimension; we do the same.
        """
        logging.getLogger("torch._export").warning(
            "capture_pre_autograd_graph() is deprecated and doesn't provide any function "
            "guarantee moving forward. Please switch to use torch.export.export_for_training "
            "instead."
        )
        assert isinstance(f, torch.nn.Module), "Expected an nn.Module instance."
        call_args = args if isinstance(args, tuple) else tuple(args)
        try:
            return export(
                f, call_args, kwargs or {}, dynamic_shapes=dynamic_shapes, strict=True
            ).module()
        except Exception as exc:
            if not isinstance(args, tuple):
                exc.add_note(
                    f"args was a {type(args).__name__}, not a tuple: torch {_CAPTURE_LAST} "
                    "called f(*args), unpacking it along its first dimension"
                )
            raise

    table = {
        "torch.export.export_for_training": export_for_training,
        "torch._export.capture_pre_autograd_graph": capture_pre_autograd_graph,
    }
    modules = {"torch.export": torch.export, "torch._export": torch._export}
    for fact in facts.API:
        if fact.kind != "attribute" or not fact.existed_in(version):
            continue
        mod_name, _, attr = fact.name.rpartition(".")
        if attr in vars(modules[mod_name]):
            continue

        def make(name: str = fact.name, fn: Any = table[fact.name]) -> Any:
            _record(used, name)
            return fn

        out[fact.name] = make
    return out
