"""Free names snippets assume, and the objects relnotes provides for them.

Release-note snippets are fragments: ``m = prepare_pt2e(m, quantizer)`` assumes a model
``m`` and ``example_inputs`` exist. :data:`REGISTRY` declares every name relnotes can
provide (each with a doc line, so reports can say what was assumed); a snippet whose free
names are not all declared here is skipped as ``needs-setup`` instead of failing.

:func:`free_names` needs no torch; the builders import torch lazily and run only in the
sandboxed child, after the warm worker has forked.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "INPUT_SHAPE",
    "REGISTRY",
    "Fixture",
    "FlowTracker",
    "SmallConvNet",
    "build",
    "free_names",
]

#: (batch, channels, height, width) of the input the small model expects.
INPUT_SHAPE = (1, 3, 16, 16)


@dataclass(frozen=True)
class Fixture:
    """One providable free name: how to build it and what to tell the reader."""

    name: str
    doc: str
    build: Callable[[dict[str, Any]], Any]


def _small_model_class() -> type:
    import torch

    class SmallConvNet(torch.nn.Module):
        """conv -> relu -> maxpool -> linear: the ops pt2e quantizers annotate."""

        def __init__(self) -> None:
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 8, kernel_size=3, padding=1)
            self.relu = torch.nn.ReLU()
            self.pool = torch.nn.MaxPool2d(2)
            self.linear = torch.nn.Linear(8 * 8 * 8, 10)

        def forward(self, x: Any) -> Any:
            x = self.pool(self.relu(self.conv(x)))
            return self.linear(torch.flatten(x, 1))

    return SmallConvNet


def SmallConvNet() -> Any:
    """A fresh eval-mode instance of the fixture model (seeded, so runs are repeatable)."""
    import torch

    torch.manual_seed(0)
    return _small_model_class()().eval()


def _inputs(_: dict[str, Any]) -> tuple[Any, ...]:
    import torch

    torch.manual_seed(1)
    return (torch.randn(*INPUT_SHAPE),)


def _module(name: str) -> Callable[[dict[str, Any]], Any]:
    def load(_: dict[str, Any]) -> Any:
        import importlib

        return importlib.import_module(name)

    return load


def _x86_quantizer(_: dict[str, Any]) -> Any:
    from torchao.quantization.pt2e.quantizer import x86_inductor_quantizer as x86

    quantizer = x86.X86InductorQuantizer()
    quantizer.set_global(x86.get_default_x86_inductor_quantization_config())
    return quantizer


REGISTRY: dict[str, Fixture] = {
    f.name: f
    for f in [
        Fixture("m", "a small eval-mode conv/relu/maxpool/linear model", lambda _: SmallConvNet()),
        Fixture(
            "model", "the same small model as `m` (a separate instance)", lambda _: SmallConvNet()
        ),
        Fixture("example_inputs", f"a tuple with one float tensor of shape {INPUT_SHAPE}", _inputs),
        Fixture("x", f"one float tensor of shape {INPUT_SHAPE}", lambda ns: _inputs(ns)[0]),
        Fixture("torch", "the torch module (snippets often omit `import torch`)", _module("torch")),
        Fixture("nn", "torch.nn", _module("torch.nn")),
        Fixture("F", "torch.nn.functional", _module("torch.nn.functional")),
        Fixture(
            "quantizer", "torchao's X86InductorQuantizer with its default config", _x86_quantizer
        ),
    ]
}


def build(names: list[str]) -> dict[str, Any]:
    """Build the named fixtures (in the sandboxed child only: this does tensor work)."""
    namespace: dict[str, Any] = {}
    for name in names:
        namespace[name] = REGISTRY[name].build(namespace)
    return namespace


class _Loads(ast.NodeVisitor):
    """Names a statement reads and binds, in evaluation order where it matters."""

    def __init__(self) -> None:
        self.loads: list[str] = []
        self.stores: set[str] = set()
        self.deferred: list[ast.AST] = []  # function bodies: run later, see all bindings

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.loads.append(node.id)
        else:
            self.stores.add(node.id)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)  # the right side is evaluated before the targets bind
        for target in node.targets:
            self.visit(target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self.loads.append(node.target.id)
        self.visit(node.target)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.stores.add(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            self.stores.add(alias.asname or alias.name)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.visit(default)
        if not isinstance(node, ast.Lambda):
            for deco in node.decorator_list:
                self.visit(deco)
            self.stores.add(node.name)
        self.deferred.append(node)

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function
    visit_Lambda = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in [*node.bases, *node.decorator_list]:
            self.visit(expr)
        self.stores.add(node.name)
        self.deferred.append(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self.stores.add(node.name)
        for stmt in node.body:
            self.visit(stmt)

    def _comprehension(self, node: ast.AST) -> None:
        self.deferred.append(node)  # own scope: its targets do not leak

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension


def _scope_free(node: ast.AST, outer: set[str]) -> list[str]:
    """Free names of a function/class/comprehension body given the names bound outside."""
    local: set[str] = set()
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        args = node.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None:
                local.add(arg.arg)
    visitor = _Loads()
    body: list[ast.AST]
    if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
        for gen in node.generators:
            visitor.visit(gen)
        body = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
    else:
        raw = getattr(node, "body", [])
        body = raw if isinstance(raw, list) else [raw]
    for stmt in body:
        visitor.visit(stmt)
    local |= visitor.stores
    bound = outer | local
    found = [n for n in visitor.loads if n not in bound]
    for inner in visitor.deferred:
        found += _scope_free(inner, bound)
    return found


def free_names(code: str) -> list[str]:
    """Names the code reads before (or without) binding them, builtins excluded.

    Top-level statements are walked in order, so ``m = f(m)`` reports ``m``; bodies of
    functions and classes are judged against every top-level binding. Raises
    ``SyntaxError`` for code that does not parse.
    """
    tree = ast.parse(code)
    bound: set[str] = set(dir(builtins)) | {"__name__", "__file__"}
    found: list[str] = []
    deferred: list[ast.AST] = []
    for stmt in tree.body:
        visitor = _Loads()
        visitor.visit(stmt)
        # inside a compound statement (for/with/try/if) order is not linear: a name it
        # binds anywhere counts as bound for all of it
        seen = (
            bound | visitor.stores
            if hasattr(stmt, "orelse") or isinstance(stmt, ast.With | ast.Try)
            else bound
        )
        found += [n for n in visitor.loads if n not in seen]
        bound |= visitor.stores
        deferred += visitor.deferred
    for node in deferred:
        found += _scope_free(node, bound)
    return list(dict.fromkeys(found))


class FlowTracker:
    """Finishes a pt2e flow the snippet left half done (in the sandboxed child).

    Notes often stop at ``m = prepare_pt2e(m, quantizer)``. That line alone proves
    little: annotation errors surface at calibration or ``convert_pt2e``. So when a
    prepared model was never converted, we calibrate it with the inputs the snippet
    exported with (else ``example_inputs``), convert it and run it once.
    """

    def __init__(self) -> None:
        self.prepared: list[Any] = []
        self.converted: set[int] = set()
        self.inputs: tuple[Any, ...] | None = None
        self._convert: Callable[..., Any] | None = None

    def install(self) -> None:
        """Wrap torchao's prepare/convert entry points (emulated paths reuse them)."""
        import functools

        from torchao.quantization.pt2e import quantize_pt2e as qp

        def recording(fn: Callable[..., Any], sink: Callable[[Any, Any], None]) -> Any:
            @functools.wraps(fn)
            def wrapper(model: Any, *args: Any, **kwargs: Any) -> Any:
                out = fn(model, *args, **kwargs)
                sink(model, out)
                return out

            return wrapper

        self._convert = qp.convert_pt2e
        for name in ("prepare_pt2e", "prepare_qat_pt2e"):
            setattr(
                qp, name, recording(getattr(qp, name), lambda _, out: self.prepared.append(out))
            )
        qp.convert_pt2e = recording(qp.convert_pt2e, lambda m, _: self.converted.add(id(m)))

    def saw_export(self, args: tuple[Any, ...]) -> None:
        self.inputs = args

    def carry_on(self, namespace: dict[str, Any]) -> str | None:
        """Complete the flow if needed; say what was done (None: nothing to do)."""
        pending = [m for m in self.prepared if id(m) not in self.converted]
        if not pending or self._convert is None:
            return None
        model = pending[-1]
        inputs = self.inputs or namespace.get("example_inputs")
        if not isinstance(inputs, tuple):
            inputs = _inputs(namespace)
        model(*inputs)
        quantized = self._convert(model)
        quantized(*inputs)
        return "calibrated the prepared model, ran convert_pt2e and the converted model once"
