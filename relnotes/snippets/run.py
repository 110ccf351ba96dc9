"""Running one code part and saying what happened, as a verdict and a kind.

``pass``; ``fail`` with kind ``syntax``, ``missing-api`` (the name does not exist in the
labelled version), ``snippet-bug`` (it would fail on the labelled version too),
``expectation`` (a claimed error/warning did not happen, or another did), ``timeout`` or
``crash``; ``skip`` with kind ``needs-cuda``, ``needs-distributed``, ``not-python`` or
``needs-setup`` (free names nobody provides, or an API relnotes cannot emulate).

:class:`Runner` sends jobs to the warm worker and falls back to a fresh process per
snippet when the worker cannot start or dies; :func:`classify` turns a raw outcome from
the sandbox into a :class:`Verdict` whose message carries the evidence (exception, line).
"""

from __future__ import annotations

import ast
import logging
import re
import sys
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from relnotes.snippets import emulate, fixtures, sandbox

__all__ = ["INSTALLED_TORCH", "Runner", "Verdict", "classify", "pre_run", "summarize"]

log = logging.getLogger(__name__)


def _installed_torch() -> emulate.Version:
    """The torch snippets run on, read from package metadata (importing torch is slow)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return emulate.parse_version(version("torch")) or (0, 0)
    except PackageNotFoundError:
        return (0, 0)


INSTALLED_TORCH: emulate.Version = _installed_torch()

_CUDA_USE = re.compile(
    r"\.cuda\(|device\s*=\s*['\"]cuda|torch\.device\(\s*['\"]cuda|['\"]cuda(:\d+)?['\"]"
)
_DIST_USE = re.compile(
    r"init_process_group|init_device_mesh|DistributedDataParallel\(|\bfully_shard\(|"
    r"FullyShardedDataParallel\(|torchrun|dist\.barrier\("
)
_CUDA_ERROR = re.compile(
    r"CUDA|NVIDIA driver|cuda|Torch not compiled with|no (XPU|MPS) device|xpu device", re.IGNORECASE
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


class Runner:
    """Runs jobs in the warm worker when it can, in fresh processes otherwise."""

    def __init__(
        self,
        *,
        timeout: float = sandbox.DEFAULT_TIMEOUT,
        memory_mb: int = sandbox.DEFAULT_MEMORY_MB,
        python: str | None = None,
        warm: bool = True,
    ) -> None:
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.python = python or sys.executable
        self.warm = warm
        self._worker: Any = None
        self._restarts = 0

    def _ensure_worker(self) -> Any:
        from relnotes.snippets.worker import WarmWorker, WorkerDied

        if self._worker is None and self.warm:
            worker = WarmWorker(python=self.python, memory_mb=self.memory_mb)
            try:
                worker.start()
                self._worker = worker
            except WorkerDied as exc:
                log.warning("warm worker unavailable (%s); using a fresh process per snippet", exc)
                worker.close()
                self.warm = False
        return self._worker

    def run(self, code: str, *, label: str | None, fixture_names: list[str]) -> dict[str, Any]:
        """The raw sandbox outcome of one snippet."""
        from relnotes.snippets.worker import WorkerDied

        job = {"code": code, "label": label, "fixtures": fixture_names, "memory_mb": self.memory_mb}
        worker = self._ensure_worker()
        if worker is not None:
            try:
                return dict(worker.run(job, timeout=self.timeout))
            except WorkerDied as exc:
                log.warning("warm worker died (%s); this snippet runs in a fresh process", exc)
                self._worker = None
                self._restarts += 1
                self.warm = self._restarts < 3
        return sandbox.run_fresh(
            job, python=self.python, timeout=self.timeout, memory_mb=self.memory_mb
        )

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _version_text(version: emulate.Version) -> str:
    return f"{version[0]}.{version[1]}"


def _missing_api(name: str, label: str | None) -> tuple[str, str, str]:
    """(verdict, kind, message) for a name the run could not find."""
    labelled = emulate.parse_version(label)
    installed = _version_text(INSTALLED_TORCH)
    root = name.split(".")[0]
    if root != "torch":
        why = "relnotes runs torchao 0.18; executorch is served from torchao's copy"
        return "fail", "missing-api", f"{name} does not exist in the installed {root} ({why})"
    fact = emulate.fact_for(name)
    life = f" (it {fact.lifetime()})" if fact is not None else ""
    if labelled is None or labelled == INSTALLED_TORCH:
        unlabelled = "no version label, so judged on " if labelled is None else ""
        return (
            "fail",
            "missing-api",
            f"{name} does not exist in {unlabelled}the installed torch {installed}{life}",
        )
    version = _version_text(labelled)
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
            f"{name} is not in the installed torch {installed} and "
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


def _inside_emulation(err: dict[str, Any]) -> bool:
    """Raised inside an emulated old API, which reproduces that version's behaviour."""
    return any(f in emulate.EMULATED_BEHAVIOUR for f in err.get("via") or [])


@dataclass(frozen=True)
class _Part:
    """What classification needs to know about the code part that ran."""

    code: str
    label: str | None
    role: str | None
    code_line: int
    memory_mb: int


def _error_verdict(raw: dict[str, Any], part: _Part) -> Verdict:
    err = raw.get("error") or {}
    line = _at(part.code_line, err.get("line"))
    at = _where(line)
    etype, text = err.get("type", "Error"), err.get("message", "")
    evidence = summarize(etype, text) + _statement(part.code, err.get("line"))
    if err.get("phase") == "setup":
        return Verdict("fail", "crash", f"relnotes could not prepare the run: {evidence}")
    if etype == "MemoryError" or "can't allocate memory" in text:
        message = f"memory cap of {part.memory_mb} MB reached: {evidence}{at}"
        return Verdict("fail", "crash", message, line=line)
    if etype in ("SyntaxError", "IndentationError", "TabError"):
        return Verdict("fail", "syntax", f"{evidence}{at}", line=line)
    if _DIST_ERROR.search(text):
        return Verdict("skip", "needs-distributed", f"{evidence}{at}", line=line)
    if _CUDA_ERROR.search(text) and etype not in ("ImportError", "ModuleNotFoundError"):
        return Verdict("skip", "needs-cuda", f"{evidence}{at}", line=line)
    missing = err.get("missing")
    if missing and etype in ("ImportError", "ModuleNotFoundError", "AttributeError"):
        if missing.split(".")[0] not in _OURS and etype == "ModuleNotFoundError":
            return Verdict(
                "skip", "needs-setup", f"module {missing!r} is not installed{at}", line=line
            )
        verdict, kind, message = _missing_api(missing, part.label)
        return Verdict(verdict, kind, f"{message}: {evidence}{at}", line=line)
    name = err.get("name")
    if etype in ("NameError", "UnboundLocalError"):
        if name and not _binds(part.code, name):
            return Verdict(
                "skip", "needs-setup", f"free name {name!r} nobody provides{at}", line=line
            )
        return Verdict("fail", "snippet-bug", f"{evidence}{at}", line=line)
    labelled = emulate.parse_version(part.label)
    installed = _version_text(INSTALLED_TORCH)
    if (
        part.role == "before"
        and labelled
        and labelled < INSTALLED_TORCH
        and not (_inside_emulation(err))
    ):
        return Verdict(
            "skip",
            "needs-setup",
            (
                f"this before-code for torch {part.label} fails on the installed torch "
                f"{installed}: {evidence}{at}. relnotes emulates the API names of old versions, "
                "not their behaviour, so this may be the very change the entry documents"
            ),
            line=line,
        )
    ran_on = f" [ran on torch {installed}]" if labelled and labelled != INSTALLED_TORCH else ""
    after = (
        " while relnotes carried the flow on (calibrate, convert_pt2e, run)"
        if err.get("phase") == "carry-on"
        else ""
    )
    return Verdict("fail", "snippet-bug", f"{evidence}{at}{after}{ran_on}", line=line)


def classify(
    raw: dict[str, Any],
    *,
    code: str,
    label: str | None,
    code_line: int,
    timeout: float,
    role: str | None = None,
    memory_mb: int = sandbox.DEFAULT_MEMORY_MB,
) -> Verdict:
    """Turn the sandbox's raw outcome into a verdict; every failure names its evidence."""
    status = raw.get("status")
    if status == "timeout":
        verdict = Verdict("fail", "timeout", f"did not finish within {timeout:g}s")
    elif status == "crash":
        last = (raw.get("stderr") or "").strip().splitlines()[-1:] or [""]
        died = f"the snippet's process died (exit status {raw.get('returncode')}) {last[0]}"
        verdict = Verdict("fail", "crash", died.strip())
    else:
        verdict = _judge(raw, _Part(code, label, role, code_line, memory_mb))
    verdict.emulated = list(raw.get("emulated") or [])
    return verdict


def _judge(raw: dict[str, Any], part: _Part) -> Verdict:
    claims = raw.get("expectations") or []
    wrong = [c for c in claims if c.get("ok") is False]
    if wrong:
        line = _at(part.code_line, wrong[0]["stmt_line"])
        more = f" (+{len(wrong) - 1} more)" if len(wrong) > 1 else ""
        return Verdict(
            "fail", "expectation", f"{wrong[0]['detail']}{_where(line)}{more}", line=line
        )
    if raw.get("status") == "error":
        return _error_verdict(raw, part)
    unrun = [c for c in claims if c.get("ok") is None]
    if unrun:
        line = _at(part.code_line, unrun[0]["stmt_line"])
        message = f"claimed {unrun[0]['type_name']}, but the statement never ran{_where(line)}"
        return Verdict("fail", "expectation", message, line=line)
    said = ["ran without error"]
    if claims:
        said.append(f"{len(claims)} claimed error/warning(s) confirmed")
    if raw.get("carried_on"):
        said.append(str(raw["carried_on"]))
    return Verdict("pass", None, "; ".join(said))
