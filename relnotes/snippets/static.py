"""Static check of a code part: syntax, and torch names against the labelled version's API.

Nothing here runs the snippet. Syntax errors are reported at their worksheet line. Imports
(``import torch.x``, ``from torch.x import y``), dotted paths reached from them
(``torch.export.export_for_training``) and keyword arguments of known functions are
resolved against the API profile of the part's version label (see
:mod:`relnotes.snippets.profiles`); only a name the profile *knows* to be absent is
reported, never one it cannot see.

For a BC entry, :func:`bc_claim` checks the entry's claim: does the before-code use torch
names that exist in the older version and are gone (or have a different signature) in
the newer one?
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass, field

from relnotes.entries import CodePart, Entry
from relnotes.errors import SnippetError
from relnotes.snippets.expect import find_expectations
from relnotes.snippets.profiles import Lookup, Profile, load_profile
from relnotes.versions import parse_version

__all__ = [
    "ApiRef",
    "ClaimResult",
    "StaticResult",
    "api_references",
    "bc_claim",
    "runnable_source",
    "static_check",
]

_PROMPT = re.compile(r"^(\s*)(>>>|\.\.\.)(?: |$)")


@dataclass
class StaticResult:
    """``kind``: None when ok, else ``syntax`` or ``missing-api``; ``line`` in the worksheet."""

    ok: bool
    kind: str | None
    message: str
    line: int | None


@dataclass(frozen=True)
class ApiRef:
    """A torch name a snippet uses; ``line`` is 1-based in the snippet's code."""

    name: str
    line: int
    keyword: str | None = None  # set when the reference is "function called with keyword"


@dataclass
class ClaimResult:
    """``status``: confirmed, not-confirmed or unknown; ``gone``/``changed``: dotted names."""

    status: str
    message: str
    older: str | None = None
    newer: str | None = None
    gone: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)


def runnable_source(code: str) -> str:
    """The snippet as plain Python, line for line (so line numbers stay true).

    Common indentation is removed. Doctest-style code (``>>> ``/``... `` prompts) loses
    its prompts, and the output lines between prompts become comments: an output line
    like ``ImportError: cannot import ...`` right after a statement becomes
    ``# ImportError: cannot import ...``, the form expectation checks understand.
    """
    code = textwrap.dedent(code)
    lines = code.splitlines()
    if not any(_PROMPT.match(ln) and ln.lstrip().startswith(">>>") for ln in lines):
        return code
    out: list[str] = []
    for line in lines:
        match = _PROMPT.match(line)
        if match:
            out.append(line[match.end():])
        elif line.strip():
            out.append("# " + line.strip())
        else:
            out.append("")
    return "\n".join(out) + ("\n" if code.endswith("\n") else "")


class _Refs(ast.NodeVisitor):
    """Collect torch names: imports, attribute chains from imported names, call keywords."""

    def __init__(self) -> None:
        # local name -> dotted torch path; snippets take `import torch` for granted
        self.bound: dict[str, str] = {"torch": "torch"}
        self.refs: list[ApiRef] = []

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.refs.append(ApiRef(alias.name, node.lineno))
            if alias.asname:
                self.bound[alias.asname] = alias.name
            else:
                root = alias.name.split(".")[0]
                self.bound[root] = root

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return
        for alias in node.names:
            if alias.name == "*":
                self.refs.append(ApiRef(node.module, node.lineno))
                continue
            dotted = f"{node.module}.{alias.name}"
            self.refs.append(ApiRef(dotted, node.lineno))
            self.bound[alias.asname or alias.name] = dotted

    def _dotted(self, node: ast.expr) -> str | None:
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name) and node.id in self.bound:
            return ".".join([self.bound[node.id], *reversed(parts)])
        return None

    def visit_Attribute(self, node: ast.Attribute) -> None:
        dotted = self._dotted(node)
        if dotted is not None:
            self.refs.append(ApiRef(dotted, node.lineno))
            return  # the inner parts of the chain are prefixes of this one
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        dotted = self._dotted(node.func) if isinstance(node.func, (ast.Attribute, ast.Name)) \
            else None
        if dotted is not None:
            for kw in node.keywords:
                if kw.arg is not None:
                    self.refs.append(ApiRef(dotted, node.lineno, keyword=kw.arg))
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        for target in node.targets:  # a rebound name no longer points at torch
            if isinstance(target, ast.Name):
                self.bound.pop(target.id, None)


def api_references(source: str) -> list[ApiRef]:
    """Every torch name ``source`` uses, in source order (raises SyntaxError)."""
    visitor = _Refs()
    visitor.visit(ast.parse(source))
    refs = [r for r in visitor.refs if r.name == "torch" or r.name.startswith("torch.")]
    return sorted(refs, key=lambda r: r.line)


def _params(sig: str) -> tuple[dict[str, str | None], bool] | None:
    """``"(a, b=1, **kw)"`` -> ({"a": None, "b": "1"}, takes_any_keyword)."""
    try:
        fn = ast.parse(f"def f{sig}: pass").body[0]
    except SyntaxError:
        return None
    assert isinstance(fn, ast.FunctionDef)
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    pos_defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    pos_defaults += list(args.defaults)
    params: dict[str, str | None] = {}
    for arg, default in [*zip(positional, pos_defaults), *zip(args.kwonlyargs, args.kw_defaults)]:
        params[arg.arg] = None if default is None else ast.unparse(default)
    return params, args.kwarg is not None


def _check_ref(profile: Profile, ref: ApiRef) -> Lookup:
    if ref.keyword is None:
        return profile.lookup(ref.name)
    sig = profile.signature(ref.name)
    parsed = _params(sig) if sig else None
    if parsed is None or parsed[1]:
        return Lookup(ref.name, "unknown")
    if ref.keyword in parsed[0]:
        return Lookup(ref.name, "ok")
    return Lookup(f"{ref.name}({ref.keyword}=...)", "missing",
                  detail=f"{ref.name}{sig} has no parameter {ref.keyword!r}")


def _sig_changed(old: str | None, new: str | None) -> bool:
    """A parameter removed or a default changed (new optional parameters are not a break)."""
    if old is None or new is None:
        return False
    before, after = _params(old), _params(new)
    if before is None or after is None:
        return False
    for name, default in before[0].items():
        if name not in after[0]:
            if not after[1]:
                return True
        elif after[0][name] != default:
            return True
    return False


def static_check(part: CodePart, *, profile: Profile | None = None) -> StaticResult:
    """Syntax, then torch names against the profile of ``part.label`` (or ``profile``)."""
    if part.is_output:
        return StaticResult(True, None, "output block: not code", None)
    if not part.is_python:
        return StaticResult(True, None, f"not Python ({part.lang}): not checked", None)
    source = runnable_source(part.code)
    first = part.code_line or part.line + 1
    try:
        refs = api_references(source)
    except SyntaxError as exc:
        where = first + (exc.lineno or 1) - 1
        text = f"SyntaxError: {exc.msg}"
        if exc.text:
            text += f": {exc.text.strip()}"
        return StaticResult(False, "syntax", text, where)
    if profile is None:
        if part.label is None:
            return StaticResult(True, None, "syntax ok; no version label, API not checked", None)
        try:
            profile = load_profile(part.label)
        except SnippetError as exc:
            return StaticResult(True, None, f"syntax ok; {exc.message}", None)
    expected = _expected_missing(source)
    for ref in refs:
        found = _check_ref(profile, ref)
        if found.status == "missing" and ref.line not in expected:
            return StaticResult(
                False, "missing-api",
                f"{found.name} does not exist in torch {profile.major_minor} ({found.detail})",
                first + ref.line - 1,
            )
    return StaticResult(True, None, f"syntax ok; {len(refs)} torch names checked against "
                                    f"torch {profile.major_minor}", None)


# Errors that say "this name is gone": a statement claimed to raise one may use a removed name.
_MISSING_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "AttributeError", "NameError"})


def _expected_missing(source: str) -> set[int]:
    """Lines of statements claimed (``# ImportError: ...``) to fail for a missing name.

    Notes show a removed name on purpose ("this now fails"); the runner confirms the
    claimed error, so the static check must not call the name missing.
    """
    return {line for e in find_expectations(source) if e.type_name in _MISSING_ERRORS
            for line in range(e.stmt_line, e.stmt_end + 1)}


def bc_claim(entry: Entry, *, release: str | None = None) -> ClaimResult:
    """Whether the before-code of ``entry`` shows the break its entry claims.

    Confirmed when a torch name the before-code uses exists in the older version and is
    gone (or has another signature) in the newer one. Not confirmed when every such name
    is unchanged: the break may be behavioural, but the code does not show it.
    """
    before = [p for p in entry.parts if p.role == "before" and p.is_python]
    if not before:
        return ClaimResult("unknown", "no before-code with a version label")
    if not any(_has_statement(p.code) for p in before):
        return ClaimResult("unknown", "the before-code is comments only (a TODO to fill in?)")
    older = before[0].label
    after_labels = [p.label for p in entry.parts if p.role == "after" and p.label]
    newer = after_labels[0] if after_labels else _release(release)
    if older is None or newer is None:
        return ClaimResult("unknown", "cannot tell which versions to compare")
    if older == newer:
        return ClaimResult("unknown", "before and after have the same label", older, newer)
    try:
        old_p, new_p = load_profile(older), load_profile(newer)
    except SnippetError as exc:
        return ClaimResult("unknown", exc.message, older, newer)
    gone: list[str] = []
    changed: list[str] = []
    for part in before:
        try:
            refs = api_references(runnable_source(part.code))
        except SyntaxError:
            return ClaimResult("unknown", "the before-code has a syntax error", older, newer)
        for ref in refs:
            if _check_ref(old_p, ref).status != "ok":
                continue
            name = ref.name if ref.keyword is None else f"{ref.name}({ref.keyword}=...)"
            if _check_ref(new_p, ref).status == "missing":
                gone.append(name)
            elif ref.keyword is None and _sig_changed(old_p.signature(ref.name),
                                                      new_p.signature(ref.name)):
                changed.append(ref.name)
    gone, changed = _unique(gone), _unique(changed)
    if gone or changed:
        what = "; ".join(
            ([f"gone in {newer}: " + ", ".join(gone)] if gone else [])
            + ([f"signature changed in {newer}: " + ", ".join(changed)] if changed else [])
        )
        return ClaimResult("confirmed", f"before-code ({older}) uses names {what}",
                           older, newer, gone, changed)
    return ClaimResult(
        "not-confirmed",
        f"every torch name the {older} code uses exists unchanged in {newer}: "
        "the break is not visible in the code (behavioural change, or wrong example)",
        older, newer,
    )


def _has_statement(code: str) -> bool:
    """Whether ``code`` holds anything to run (a syntax error counts: it is reported)."""
    try:
        return bool(ast.parse(runnable_source(code)).body)
    except SyntaxError:
        return True


def _release(release: str | None) -> str | None:
    version = parse_version(release)
    return version.mm if version else None


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))
