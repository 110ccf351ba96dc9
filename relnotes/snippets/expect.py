"""Claimed outcomes: ``# SomeError: message`` right after a statement.

Release notes show users the error or warning the old code now produces. A comment of
the form ``# ValueError: message`` or ``# FutureWarning: message`` on the line right
after a statement (or trailing on its last line) claims that this statement raises or
warns that. :func:`instrument` wraps each claimed statement in a ``with`` block that
records what really happened; :class:`Checker` compares type (by class name anywhere in
the MRO, so ``RuntimeError`` accepts its subclasses) and message start (whitespace
normalised, a trailing ``...`` ignored). An expected exception is swallowed so the rest
of the snippet still runs, as it would in the reader's head.

Parsing needs no torch; the checker runs inside the sandboxed child.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings
from dataclasses import asdict, dataclass, field
from types import TracebackType
from typing import Any

__all__ = ["CHECKER_NAME", "Checker", "Expectation", "find_expectations", "instrument"]

CHECKER_NAME = "__relnotes_expect__"

_CLAIM = re.compile(
    r"^#\s*(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Warning|Exit|Interrupt))\s*:\s*(?P<msg>.*)$"
)


@dataclass
class Expectation:
    """A claim: the statement on lines ``stmt_line``..``stmt_end`` raises/warns ``type_name``."""

    comment_line: int
    stmt_line: int
    type_name: str
    message: str
    ok: bool | None = None  # None: the statement never ran
    stmt_end: int = 0  # last line of the statement (multi-line imports, calls)
    detail: str = ""

    @property
    def kind(self) -> str:
        return "warns" if self.type_name.endswith("Warning") else "raises"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"kind": self.kind}


def _comments(code: str) -> list[tuple[int, bool, str]]:
    """(line, trailing?, text) of every comment token."""
    out: list[tuple[int, bool, str]] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError):
        return out
    code_lines: set[int] = set()
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            out.append((tok.start[0], tok.start[0] in code_lines, tok.string))
        elif tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            code_lines.add(tok.start[0])
    return out


def _statements(tree: ast.AST) -> list[ast.stmt]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.stmt)]


def _claimed_stmt(stmts: list[ast.stmt], line: int) -> ast.stmt | None:
    """The innermost simple statement ending on ``line`` (compound ones end later)."""
    ending = [s for s in stmts if s.end_lineno == line and not hasattr(s, "body")]
    if not ending:
        ending = [s for s in stmts if s.end_lineno == line]
    return max(ending, key=lambda s: s.lineno) if ending else None


def find_expectations(code: str) -> list[Expectation]:
    """Every claim in ``code`` attached to the statement it follows."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    stmts = _statements(tree)
    found: list[Expectation] = []
    for line, trailing, text in _comments(code):
        match = _CLAIM.match(text.strip())
        if not match:
            continue
        stmt = _claimed_stmt(stmts, line if trailing else line - 1)
        if stmt is None:
            continue
        message = re.sub(r"\s*(\.\.\.|…)\s*$", "", match["msg"].strip())
        found.append(Expectation(line, stmt.lineno, match["type"], message,
                                 stmt_end=stmt.end_lineno or stmt.lineno))
    return found


class _Wrap(ast.NodeTransformer):
    def __init__(self, by_line: dict[int, int]) -> None:
        self.by_line = by_line

    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        if isinstance(node, ast.stmt) and node.lineno in self.by_line and not hasattr(node, "body"):
            call = ast.Call(
                func=ast.Name(id=CHECKER_NAME, ctx=ast.Load()),
                args=[ast.Constant(self.by_line.pop(node.lineno))],
                keywords=[],
            )
            wrapped = ast.With(items=[ast.withitem(context_expr=call)], body=[node])
            return ast.fix_missing_locations(ast.copy_location(wrapped, node))
        return node


def instrument(tree: ast.Module, expectations: list[Expectation]) -> ast.Module:
    """Wrap each claimed statement in ``with __relnotes_expect__(index):``."""
    by_line = {e.stmt_line: i for i, e in enumerate(expectations)}
    wrapped = _Wrap(by_line).visit(tree)
    assert isinstance(wrapped, ast.Module)
    return wrapped


def _norm(text: str) -> str:
    return " ".join(text.split())


def _type_matches(claimed: str, cls: type) -> bool:
    short = claimed.rsplit(".", 1)[-1]
    for base in cls.__mro__:
        if claimed in (base.__name__, f"{base.__module__}.{base.__qualname__}"):
            return True
        if "." in claimed and base.__name__ == short:
            return True
    return False


@dataclass
class _Scope:
    checker: Checker
    index: int
    _catcher: Any = field(default=None)
    _records: list[warnings.WarningMessage] = field(default_factory=list)

    def __enter__(self) -> None:
        self._catcher = warnings.catch_warnings(record=True)
        self._records = self._catcher.__enter__()
        warnings.simplefilter("always")

    def __exit__(
        self, etype: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        self._catcher.__exit__(None, None, None)
        for record in self._records:  # show them as a plain run would have
            warnings.showwarning(record.message, record.category, record.filename, record.lineno)
        return self.checker.judge(self.index, exc, self._records)


class Checker:
    """Runtime side: the object bound to ``__relnotes_expect__`` in the snippet."""

    def __init__(self, expectations: list[Expectation]) -> None:
        self.expectations = expectations

    def __call__(self, index: int) -> _Scope:
        return _Scope(self, index)

    def judge(
        self, index: int, exc: BaseException | None, records: list[warnings.WarningMessage]
    ) -> bool:
        """Record the verdict for one claim; return True to swallow a claimed exception."""
        exp = self.expectations[index]
        if exp.kind == "raises":
            if exc is None:
                exp.ok, exp.detail = False, f"claimed {exp.type_name}, but nothing was raised"
                return False
            got = f"{type(exc).__name__}: {exc}"
            if not _type_matches(exp.type_name, type(exc)):
                exp.ok, exp.detail = False, f"claimed {exp.type_name}, got {got}"
                return True
            if not _norm(str(exc)).startswith(_norm(exp.message)):
                exp.ok, exp.detail = False, f"claimed message {exp.message!r}, got {got}"
                return True
            exp.ok, exp.detail = True, got
            return True
        seen = [f"{r.category.__name__}: {r.message}" for r in records]
        for record in records:
            if _type_matches(exp.type_name, record.category) and _norm(
                str(record.message)
            ).startswith(_norm(exp.message)):
                exp.ok, exp.detail = True, f"{record.category.__name__}: {record.message}"
                return False
        if exp.ok is not True:
            exp.ok = False
            exp.detail = f"claimed {exp.type_name}: {exp.message!r}; " + (
                "saw " + "; ".join(seen) if seen else "no warning was emitted"
            )
        return False
