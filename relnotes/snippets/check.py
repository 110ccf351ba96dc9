"""``relnotes check``: every code part of every BC/deprecation entry, statically and run.

worksheet -> entries -> code parts -> static check (syntax, API profile of the label)
-> run in the OS sandbox with the label's API emulated -> one :class:`SnippetResult` each.
The static check answers first: a part that does not parse or names an API its version
did not have fails without running. When code cannot run at all (no OS sandbox and no
``--no-isolation``, no torch in the interpreter), the static verdicts still stand, the
parts that needed a run are ``skip``/``not-run``, and :attr:`CheckReport.not_run` says
why, once. The JSON form (:func:`results_json`) is stable and documented in the README.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relnotes.documents import detect_kind
from relnotes.entries import Entry, extract_entries, extract_entries_from_text
from relnotes.errors import SnippetError
from relnotes.fileio import read_text
from relnotes.finalnotes import parse_final_notes
from relnotes.release import release_of
from relnotes.snippets import sandbox
from relnotes.snippets.run import Runner
from relnotes.snippets.static import bc_claim
from relnotes.snippets.verdict import Verdict, pre_run
from relnotes.worksheet import parse_worksheet

__all__ = ["CheckReport", "Claim", "SnippetResult", "check_files", "check_parts", "render_text", "results_json"]

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass
class SnippetResult:
    """The verdict on one code part, with where it is and what it claims to be."""

    file: str
    line: int
    prs: list[int]
    label: str | None
    role: str | None
    verdict: str
    kind: str | None
    message: str
    emulated: list[str] = field(default_factory=list)
    evidence_line: int | None = None
    seconds: float = 0.0
    isolation: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Exactly the documented keys, nothing else."""
        return {
            "file": self.file,
            "line": self.line,
            "prs": list(self.prs),
            "label": self.label,
            "role": self.role,
            "verdict": self.verdict,
            "kind": self.kind,
            "message": self.message,
            "emulated": list(self.emulated),
            "isolation": self.isolation,
        }


def _result(part: Any, verdict: Verdict, seconds: float = 0.0) -> SnippetResult:
    return SnippetResult(
        file=part.file,
        line=part.line,
        prs=list(part.prs),
        label=part.label,
        role=part.role,
        verdict=verdict.verdict,
        kind=verdict.kind,
        message=verdict.message,
        emulated=list(verdict.emulated),
        evidence_line=verdict.line,
        seconds=round(seconds, 3),
    )


def check_parts(
    parts: Iterable[Any], *, runner: Runner, progress: Progress | None = None
) -> CheckReport:
    """Static-check and run each part (``relnotes.entries.CodePart``) in order."""
    from relnotes.snippets.static import runnable_source, static_check

    results: list[SnippetResult] = []
    not_run: str | None = None
    for part in parts:
        where = f"{part.file}:{part.line}"
        if not part.is_python:
            what = "an output block" if part.is_output else f"{part.lang} code"
            results.append(_result(part, Verdict("skip", "not-python", f"{what}, not Python")))
            continue
        static = static_check(part)
        if not static.ok:
            results.append(
                _result(part, Verdict("fail", static.kind, static.message, line=static.line))
            )
            _say(progress, where, results[-1])
            continue
        code = runnable_source(part.code)
        code_line = part.code_line or part.line + 1
        verdict, names = pre_run(code, code_line=code_line)
        started = time.monotonic()
        if verdict is None and not_run is None:
            try:
                runner.start()
            except SnippetError as exc:
                not_run = exc.message
        if verdict is None and not_run is not None:  # the whole reason is said once, at the end
            verdict = Verdict("skip", "not-run", f"not run: {not_run.split(':')[0]}")
        if verdict is None:
            outcome = runner.run(code, label=part.label, fixture_names=names)
            verdict = runner.judge(outcome, code=code, label=part.label, role=part.role,
                                   code_line=code_line)
        results.append(_result(part, verdict, time.monotonic() - started))
        _say(progress, where, results[-1])
    isolation = runner.isolation if not_run is None else None
    for result in results:
        result.isolation = isolation
    return CheckReport(results, [], not_run)


def _say(progress: Progress | None, where: str, result: SnippetResult) -> None:
    if progress is not None:
        kind = f" {result.kind}" if result.kind else ""
        progress(f"{where}: {result.verdict}{kind} ({result.seconds:.2f}s)")


@dataclass
class Claim:
    """A BC entry's claim that its before-code breaks: confirmed against the API profiles?"""

    file: str
    line: int
    title: str
    status: str  # confirmed, not-confirmed, unknown
    message: str


@dataclass
class CheckReport:
    """The results, each BC entry's claim, and why code was not run (None: it was)."""

    results: list[SnippetResult]
    claims: list[Claim]
    not_run: str | None = None


def _entries_of(path: str | Path, *, release: str | None) -> list[Entry]:
    """The BC/deprecation entries of a worksheet, or of final notes (``# Backwards
    Incompatible Changes`` / ``# Deprecations``, whose release is in their title)."""
    text = read_text(path)
    if detect_kind(text, path) == "final":
        notes = parse_final_notes(text, path=str(path))
        return extract_entries_from_text(text, path=str(path),
                                         release=release or notes.version or None)
    return extract_entries(parse_worksheet(text, path=str(path)), release=release)


def check_files(
    paths: Iterable[str | Path],
    *,
    timeout: float = sandbox.DEFAULT_TIMEOUT,
    python: str | None = None,
    memory_mb: int = sandbox.DEFAULT_MEMORY_MB,
    release: str | None = None,
    warm: bool = True,
    no_isolation: bool = False,
    progress: Progress | None = None,
) -> CheckReport:
    """Check every code part of every BC/deprecation entry in ``paths``, and whether each
    BC entry's before-code uses names that the newer version dropped or changed."""
    parts = []
    claims = []
    for path in paths:
        folder_release = release_of(path)  # 2.8.0/done/x.md is for 2.8.0
        file_release = release or (str(folder_release) if folder_release else None)
        entries = _entries_of(path, release=file_release)
        found = [part for entry in entries for part in entry.parts]
        if progress is not None:
            progress(f"{path}: {len(found)} code part(s)")
        parts.extend(found)
        for entry in entries:
            if entry.kind == "bc":
                claim = bc_claim(entry, release=file_release)
                claims.append(Claim(str(path), entry.line, entry.title, claim.status,
                                    claim.message))
    if not parts:
        return CheckReport([], claims)
    if progress is not None:
        progress(f"{len(parts)} code part(s) to check")
    with Runner(
        timeout=timeout, memory_mb=memory_mb, python=python, warm=warm, no_isolation=no_isolation,
        progress=progress,
    ) as runner:
        report = check_parts(parts, runner=runner, progress=progress)
    report.claims = claims
    return report


def results_json(results: list[SnippetResult]) -> dict[str, Any]:
    """``{"snippets": [...]}`` as documented."""
    return {"snippets": [r.to_json() for r in results]}


def save_results(files: Iterable[str], results: list[SnippetResult]) -> list[Path]:
    """Write each file's results beside it (``.relnotes/<stem>.check.json``) for ``audit``."""
    from relnotes.fileio import atomic_write, sidecar_path

    written = []
    for file in files:
        mine = [r for r in results if r.file == file]
        path = sidecar_path(file, "check")
        atomic_write(path, json.dumps(results_json(mine), indent=2) + "\n")
        written.append(path)
    return written


def render_text(results: list[SnippetResult], claims: Iterable[Claim] = ()) -> str:
    """One block per part: place, label/role, verdict, evidence, emulations used; then
    each BC entry's break claim."""
    out: list[str] = []
    for c in claims:
        out.append(f"{c.file}:{c.line}: BC claim {c.status.upper()}: {c.message}")
    if not results:
        return "\n".join([*out, "no code parts in BC-breaking or deprecation entries"]) + "\n"
    for r in results:
        label = f"pytorch {r.label}" if r.label else "no label"
        role = f", {r.role}" if r.role else ""
        prs = ", ".join(f"#{n}" for n in r.prs) or "no PR"
        verdict = r.verdict.upper() + (f" [{r.kind}]" if r.kind else "")
        unsandboxed = " [isolation: none]" if r.isolation == "none" else ""
        out.append(f"{r.file}:{r.line}: {verdict} ({label}{role}; {prs}){unsandboxed}")
        for i, line in enumerate(r.message.splitlines() or [""]):
            out.append(("    " if i == 0 else "      ") + line)
        if r.emulated:
            out.append("    emulated: " + ", ".join(r.emulated))
    counts = {v: sum(r.verdict == v for r in results) for v in ("pass", "fail", "skip")}
    where = {None: "no code run", "none": "isolation: none, NOT sandboxed"}
    out.append(
        f"{len(results)} code part(s): {counts['pass']} pass, {counts['fail']} fail, "
        f"{counts['skip']} skip ({where.get(results[0].isolation, f'sandbox: {results[0].isolation}')})"
    )
    return "\n".join(out) + "\n"
