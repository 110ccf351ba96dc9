"""Saying what happened to one code part: a verdict and a kind, with its evidence.

``pass``; ``fail`` with kind ``syntax``, ``missing-api`` (the name does not exist in the
labelled version), ``snippet-bug`` (it would fail on the labelled version too),
``expectation`` (a claimed error/warning did not happen, or another did), ``timeout`` or
``crash`` (the process died, or ran into a memory, process or output limit); ``skip``
with kind ``needs-cuda`` (CUDA or one of its libraries, cuSOLVER, cuDNN, ...),
``needs-backend`` (another device or library this torch build or machine lacks: MPS,
XPU, ...; :mod:`relnotes.snippets.backends` reads it from torch's message),
``needs-distributed``, ``not-python``, ``needs-setup`` (free names nobody provides, or an
API relnotes cannot emulate), ``empty`` (comments only, such as a template's TODOs) or
``not-run`` (no sandbox or no torch to run it with).

:func:`pre_run` gives the verdicts that need no run; :func:`classify` reads the typed
:class:`~relnotes.snippets.outcome.Outcome` of a run -- whatever sandbox produced it --
and the :class:`~relnotes.snippets.interpreter.Installed` torch it ran on. Needs no torch.
"""

from __future__ import annotations

import ast
import logging
import re
from dataclasses import dataclass, field

from relnotes.snippets import facts, fixtures
from relnotes.snippets.backends import missing_backend
from relnotes.snippets.emulate import EMULATED_BEHAVIOUR
from relnotes.snippets.interpreter import Installed
from relnotes.snippets.outcome import Failure, Outcome

__all__ = ["Verdict", "classify", "pre_run", "summarize"]

log = logging.getLogger(__name__)

_CUDA_USE = re.compile(
    r"\.cuda\(|device\s*=\s*['\"]cuda|torch\.device\(\s*['\"]cuda|['\"]cuda(:\d+)?['\"]"
)
_DIST_USE = re.compile(
    r"init_process_group|init_device_mesh|DistributedDataParallel\(|\bfully_shard\(|"
    r"FullyShardedDataParallel\(|torchrun|dist\.barrier\("
)
_DIST_ERROR = re.compile(
    r"process group|init_process_group|MASTER_ADDR|Default process group|"
    r"torch\.distributed is not available",
    re.IGNORECASE,
)
_OURS = ("torch", "torchao", "executorch")


@dataclass
class Verdict:
    """What happened to one code part. ``line`` is the worksheet line of the evidence."""

    verdict: str  # "pass" | "fail" | "skip"
    kind: str | None
    message: str
    emulated: list[str] = field(default_factory=list)
    line: int | None = None


def _at(code_line: int, snippet_line: int | None) -> int | None:
    if snippet_line is None or code_line <= 0:
        return None
    return code_line + snippet_line - 1


def _where(line: int | None) -> str:
    return f" (line {line})" if line is not None else ""


_NOISE = re.compile(
    r"^\s*(Hint:|Developer debug context|For more details|The error above occurred"
    r"|Set TORCHDYNAMO|from user code|$)"
)
_MAX_EVIDENCE = 500


def summarize(etype: str, text: str) -> str:
    """``Type: message`` cut to what a reader needs: torch errors carry pages of hints."""
    lines = [ln.strip() for ln in text.splitlines() if not _NOISE.match(ln)]
    if not lines:
        return etype
    head = lines[0]
    inner = next((ln for ln in lines[1:] if "got " in ln and "Error(" in ln), None)
    if inner:  # dynamo wraps the real error: keep it ("... got RuntimeError('...')")
        head += " -- " + inner[inner.index("got ") :]
    notes = [ln for ln in lines[1:] if ln.startswith("args was a ")]
    out = f"{etype}: {head}" + "".join(f"; {n}" for n in notes)
    return out if len(out) <= _MAX_EVIDENCE else out[: _MAX_EVIDENCE - 3] + "..."


def _statement(code: str, snippet_line: int | None) -> str:
    lines = code.splitlines()
    if snippet_line is None or not 0 < snippet_line <= len(lines):
        return ""
    return f" at `{lines[snippet_line - 1].strip()}`"


def pre_run(code: str, *, code_line: int) -> tuple[Verdict | None, list[str]]:
    """Verdicts that need no run, and otherwise the fixtures the snippet needs."""
    try:
        names = fixtures.free_names(code)
    except SyntaxError as exc:
        line = _at(code_line, exc.lineno)
        return Verdict("fail", "syntax", f"SyntaxError: {exc.msg}{_where(line)}", line=line), []
    if not ast.parse(code).body:  # comments only: a template's TODO, nothing to run
        return Verdict("skip", "empty",
                       "no statement to run (only comments: a TODO left to fill in?)"), []
    if _DIST_USE.search(code):
        return Verdict(
            "skip",
            "needs-distributed",
            "uses torch.distributed setup "
            "(a process group or device mesh) that a single CPU process lacks",
        ), []
    if _CUDA_USE.search(code):
        return Verdict("skip", "needs-cuda", "puts tensors or models on a CUDA device"), []
    placeholder = _placeholder_line(code)
    if placeholder is not None:
        line = _at(code_line, placeholder)
        return Verdict(
            "skip",
            "needs-setup",
            f"illustrative code: `...` stands in for real arguments{_where(line)}",
            line=line,
        ), []
    unknown = [n for n in names if n not in fixtures.REGISTRY]
    if unknown:
        return Verdict(
            "skip",
            "needs-setup",
            "free names nobody provides: "
            + ", ".join(unknown)
            + " (declare them in relnotes.snippets.fixtures or define them)",
        ), []
    return None, [n for n in names if n in fixtures.REGISTRY]


def _placeholder_line(code: str) -> int | None:
    """Line of the first ``...`` used as a value (``f(...)``, ``x = ...``), if any."""
    for node in ast.walk(ast.parse(code)):
        values: list[ast.expr | None] = []
        if isinstance(node, ast.Call):
            values = [*node.args, *(k.value for k in node.keywords)]
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            values = [node.value]
        for value in values:
            if isinstance(value, ast.Constant) and value.value is Ellipsis:
                return value.lineno
    return None


def _missing_api(name: str, label: str | None, installed: Installed) -> tuple[str, str, str]:
    """(verdict, kind, message) for a name the run could not find."""
    labelled = facts.release_line(label)
    root = name.split(".")[0]
    if root != "torch":
        ran = f"snippets run on torchao {installed.torchao}" if installed.torchao \
            else "torchao is not installed"
        why = f"{ran}; executorch is served from torchao's copy"
        return "fail", "missing-api", f"{name} does not exist in the installed {root} ({why})"
    fact = facts.fact_for(name)
    life = f" (it {fact.lifetime()})" if fact is not None else ""
    if labelled is None or labelled == installed.torch:
        unlabelled = "no version label, so judged on " if labelled is None else ""
        return (
            "fail",
            "missing-api",
            (f"{name} does not exist in {unlabelled}the installed torch "
             f"{installed.torch_line}{life}"),
        )
    version = facts.line_text(labelled)
    if fact is not None and not fact.existed_in(labelled):
        return "fail", "missing-api", f"{name} does not exist in torch {version}{life}"
    status = _profile_status(name, version)
    if status == "missing":
        return "fail", "missing-api", f"{name} does not exist in torch {version} (API profile)"
    known = " (its API profile says it existed then)" if status == "ok" else ""
    return (
        "skip",
        "needs-setup",
        (
            f"{name} is not in the installed torch {installed.torch_line} and "
            f"relnotes does not emulate it for torch {version}{known}"
        ),
    )


def _profile_status(name: str, version: str) -> str:
    try:
        from relnotes.snippets.profiles import load_profile

        return load_profile(version).lookup(name).status
    except Exception as exc:  # noqa: BLE001 - no profile: we just do not know
        log.debug("no profile answer for %s in %s: %s", name, version, exc)
        return "unknown"


def _binds(code: str, name: str) -> bool:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    return any(
        isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load)
        for n in ast.walk(tree)
    )


def _inside_emulation(err: Failure) -> bool:
    """Raised inside an emulated old API, which reproduces that version's behaviour."""
    return any(f in EMULATED_BEHAVIOUR for f in err.via)


@dataclass(frozen=True)
class _Part:
    """What classification needs to know about the code part that ran, and on what."""

    code: str
    label: str | None
    role: str | None
    code_line: int
    installed: Installed


def _error_verdict(err: Failure, part: _Part) -> Verdict:
    line = _at(part.code_line, err.line)
    at = _where(line)
    etype, text = err.type, err.message
    evidence = summarize(etype, text) + _statement(part.code, err.line)
    if err.phase == "setup":
        return Verdict("fail", "crash", f"relnotes could not prepare the run: {evidence}")
    if etype in ("SyntaxError", "IndentationError", "TabError"):
        return Verdict("fail", "syntax", f"{evidence}{at}", line=line)
    if _DIST_ERROR.search(text):
        return Verdict("skip", "needs-distributed", f"{evidence}{at}", line=line)
    lacking = missing_backend(err)
    if lacking is not None:
        build = part.installed.torch_text
        return Verdict("skip", "needs-cuda" if lacking.cuda else "needs-backend",
                       f"needs {lacking.name}, which this torch ({build}) lacks: "
                       f"{evidence}{at}", line=line)
    missing = err.missing
    if missing and etype in ("ImportError", "ModuleNotFoundError", "AttributeError"):
        if missing.split(".")[0] not in _OURS and etype == "ModuleNotFoundError":
            return Verdict(
                "skip", "needs-setup", f"module {missing!r} is not installed{at}", line=line
            )
        verdict, kind, message = _missing_api(missing, part.label, part.installed)
        return Verdict(verdict, kind, f"{message}: {evidence}{at}", line=line)
    if etype in ("NameError", "UnboundLocalError"):
        if err.name and not _binds(part.code, err.name):
            return Verdict(
                "skip", "needs-setup", f"free name {err.name!r} nobody provides{at}", line=line
            )
        return Verdict("fail", "snippet-bug", f"{evidence}{at}", line=line)
    labelled = facts.release_line(part.label)
    installed = part.installed.torch
    if part.role == "before" and labelled and labelled < installed and not _inside_emulation(err):
        return Verdict(
            "skip",
            "needs-setup",
            (
                f"this before-code for torch {part.label} fails on the installed torch "
                f"{part.installed.torch_line}: {evidence}{at}. relnotes emulates the API names "
                "of old versions, not their behaviour, so this may be the very change the "
                "entry documents"
            ),
            line=line,
        )
    ran_on = (f" [ran on torch {part.installed.torch_line}]"
              if labelled and labelled != installed else "")
    after = (
        " while relnotes carried the flow on (calibrate, convert_pt2e, run)"
        if err.phase == "carry-on"
        else ""
    )
    return Verdict("fail", "snippet-bug", f"{evidence}{at}{after}{ran_on}", line=line)


def classify(
    outcome: Outcome,
    *,
    code: str,
    label: str | None,
    code_line: int,
    timeout: float,
    installed: Installed,
    role: str | None = None,
) -> Verdict:
    """Turn a run's outcome into a verdict; every failure names its evidence."""
    part = _Part(code, label, role, code_line, installed)
    if outcome.status == "timeout":
        verdict = Verdict("fail", "timeout", f"did not finish within {timeout:g}s")
    elif outcome.limit is not None:
        verdict = _limit_verdict(outcome, part)
    elif outcome.status == "crash":
        last = outcome.stderr.strip().splitlines()[-1:] or [""]
        died = f"the snippet's process died (exit status {outcome.returncode}) {last[0]}"
        verdict = Verdict("fail", "crash", died.strip())
    else:
        verdict = _judge(outcome, part)
    verdict.emulated = list(outcome.emulated)
    return verdict


def _limit_verdict(outcome: Outcome, part: _Part) -> Verdict:
    """A run that ran into an OS limit (memory, processes, output) crashed."""
    message = outcome.limit_message or f"{outcome.limit} limit reached"
    err = outcome.error
    if err is None:
        return Verdict("fail", "crash", message)
    line = _at(part.code_line, err.line)
    evidence = summarize(err.type, err.message) + _statement(part.code, err.line)
    return Verdict("fail", "crash", f"{message}: {evidence}{_where(line)}", line=line)


def _judge(outcome: Outcome, part: _Part) -> Verdict:
    claims = outcome.expectations
    wrong = [c for c in claims if c.ok is False]
    if wrong:
        line = _at(part.code_line, wrong[0].stmt_line)
        more = f" (+{len(wrong) - 1} more)" if len(wrong) > 1 else ""
        return Verdict(
            "fail", "expectation", f"{wrong[0].detail}{_where(line)}{more}", line=line
        )
    if outcome.status == "error":
        err = outcome.error or Failure("Error", "the run failed without an account of why")
        return _error_verdict(err, part)
    unrun = [c for c in claims if c.ok is None]
    if unrun:
        line = _at(part.code_line, unrun[0].stmt_line)
        message = f"claimed {unrun[0].type_name}, but the statement never ran{_where(line)}"
        return Verdict("fail", "expectation", message, line=line)
    said = ["ran without error"]
    if claims:
        said.append(f"{len(claims)} claimed error/warning(s) confirmed")
    if outcome.carried_on:
        said.append(outcome.carried_on)
    return Verdict("pass", None, "; ".join(said))
