"""Integrity of a release folder: nothing lost, nothing twice, finished files finished.

The folder (a :class:`~relnotes.release.ReleaseFolder`) holds ``todo/`` (worksheets in
progress), ``done/`` (finished ones) and the pool ``miscategorized.md`` (items waiting for
another domain; where the ``miscategorized`` setting says, when set). Every PR of the generated
worksheets must be somewhere a person sees it, exactly as often as the generator wrote it
(the generator itself repeats a few PRs inside one file; those repeats are kept, not
flagged). An item is identified by its PRs (title and nested bullets), or by its commit
hashes when it has no PR; items with neither cannot be tracked and are only counted.

Checks, each a :class:`~relnotes.findings.Finding` (any finding: exit 1):

- ``lost`` / ``duplicated``: with the generated worksheets (``--generated DIR``, or what
  ``done`` and ``submit`` take from git: the ``todo/`` folder of the commit that first
  added the worksheet), the occurrences of each PR across todo/, done/ and
  miscategorized.md equal those in the generated worksheets -- the whole generated
  folder, since the generator also repeats a few PRs across files. Without them only
  duplication is checked: a PR in more than one file.
- in ``done/`` only (``todo/`` is work in progress): ``untopiced`` items; ``revert-pair``
  (a published revert of an item of this release; the published item it reverts is a
  note, since PyTorch relands under the same PR number);
  entry findings from :func:`relnotes.lint.lint_worksheet` (BC-breaking and deprecation
  entries without rationale or migration code) plus ``unknown-section`` and
  ``outside-section``; and ``check-failed`` when snippet check results exist.

Snippet check results are the ``relnotes check FILE --format json`` output
(``{"snippets": [{"verdict": "pass"|"fail"|"skip", "line": ..., "message": ...}]}``) saved
by ``relnotes check --save`` as ``.relnotes/<worksheet stem>.check.json`` beside the
worksheet; a ``fail`` verdict is a problem. No file: nothing to check.

Files of todo/ and done/ that are no worksheet (an empty ``placeholder.md``) are skipped
with a note. Non-domain files: ``cherrypicks.md`` (release-branch cherry-picks, which repeat PRs of
main by design) is not read at all. ``result_skip.md`` (PRs the generator set aside) is
counted like any worksheet, so its PRs are accounted for where they are, but it is never
expected to reach ``done/`` and gets no ``done/`` checks.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relnotes.categories import PUBLISHED
from relnotes.errors import WorksheetError
from relnotes.fileio import read_text
from relnotes.findings import Finding
from relnotes.github import metadata_for
from relnotes.miscategorized import Miscategorized, read_pool
from relnotes.release import SET_ASIDE, Generated, ReleaseFolder, read_generated
from relnotes.triage.reverts import find_revert_pairs
from relnotes.worksheet import Document, Item, Worksheet

__all__ = [
    "AuditReport",
    "CheckResults",
    "audit",
    "item_refs",
    "read_check_results",
]

# lint codes that are structure, not entries; the audit checks these itself or not at all
_LINT_OWN = frozenset({"untopiced", "duplicate-pr", "long-link", "no-reference"})


def item_refs(item: Item) -> list[str]:
    """``#N`` for each PR of the item, else ``commit:<hash>`` for each commit."""
    return [f"#{p}" for p in item.all_prs] or [f"commit:{c}" for c in item.commits]


@dataclass
class _Place:
    file: str
    line: int


@dataclass
class AuditReport:
    root: str
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # refs seen per location
    files: dict[str, int] = field(default_factory=dict)   # worksheets per folder
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)        # not in generated: info only
    untracked_items: int = 0
    generated_refs: int | None = None
    checks: dict[str, dict[str, int]] = field(default_factory=dict)
    baseline: str | None = None  # where the generated worksheets came from
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def accounted(self) -> int | None:
        return None if self.generated_refs is None else self.generated_refs - len(self.lost)

    def summary(self) -> str:
        where = ", ".join(f"{n} in {k}" for k, n in self.counts.items())
        head = f"{sum(self.counts.values())} PR references ({where})"
        if self.generated_refs is not None:
            head += (f"; {self.accounted} of {self.generated_refs} generated PRs accounted for,"
                     f" {len(self.lost)} lost")
        head += f", {len(self.duplicated)} duplicated"
        if self.added:
            head += f", {len(self.added)} not in the generated worksheets"
        return head + f"; {len(self.findings)} problem(s)"

    def to_json(self) -> dict[str, Any]:
        return {"root": self.root, "ok": self.ok, "summary": self.summary(),
                "counts": self.counts, "files": self.files,
                "generated_refs": self.generated_refs, "accounted": self.accounted,
                "lost": self.lost, "duplicated": self.duplicated, "added": self.added,
                "untracked_items": self.untracked_items, "checks": self.checks,
                "baseline": self.baseline, "notes": self.notes,
                "findings": [f.to_json() for f in self.findings]}


@dataclass(frozen=True)
class CheckResults:
    """The saved snippet check of one worksheet: how many results, which ones failed.

    ``failed`` holds (line of the snippet in the worksheet, or None; first line of the
    message), so a failure is reported where the snippet is, not at the ``##`` heading;
    ``lines``: the lines of every snippet with a result (which code was checked at all);
    ``passed`` and ``skip_kinds`` (why skipped: ``needs-cuda``, ``other`` without a kind)
    count the rest, for the pull request's body.
    """

    total: int
    failed: list[tuple[int | None, str]]
    lines: frozenset[int] = frozenset()
    passed: int = 0
    skip_kinds: dict[str, int] = field(default_factory=dict)

    @property
    def skipped(self) -> int:
        return sum(self.skip_kinds.values())

    def summary(self) -> str:
        """``Snippet checks: 1 pass, 0 fail, 1 skip (needs-cuda: 1)``."""
        kinds = ", ".join(f"{k}: {n}" for k, n in sorted(self.skip_kinds.items()))
        return (f"Snippet checks: {self.passed} pass, {len(self.failed)} fail, "
                f"{self.skipped} skip" + (f" ({kinds})" if kinds else ""))


def read_check_results(worksheet: str | Path) -> CheckResults | None:
    """The results saved by ``relnotes check --save`` for ``worksheet``, if any."""
    from relnotes.fileio import sidecar_path

    path = sidecar_path(worksheet, "check")
    if not path.exists():
        return None
    try:
        data = json.loads(read_text(path))
    except ValueError as exc:
        raise WorksheetError(f"check results are not JSON: {exc}", file=path) from None
    results = [r for r in (data.get("snippets", []) if isinstance(data, dict) else [])
               if isinstance(r, dict)]
    failed = [_describe(r) for r in results if r.get("verdict") == "fail"]
    lines = frozenset(r["line"] for r in results if isinstance(r.get("line"), int))
    skips = Counter(str(r.get("kind") or "other") for r in results
                    if r.get("verdict") == "skip")
    return CheckResults(len(results), failed, lines,
                        passed=sum(r.get("verdict") == "pass" for r in results),
                        skip_kinds=dict(skips))


def _describe(result: Mapping[str, Any]) -> tuple[int | None, str]:
    line = result.get("line")
    why = str(result.get("message") or "").strip()
    kind = result.get("kind")
    text = why.splitlines()[0] if why else "failed"
    return (line if isinstance(line, int) and line > 0 else None,
            f"{kind}: {text}" if kind else text)


class _Auditor:
    def __init__(self, release: ReleaseFolder) -> None:
        self.report = AuditReport(root=str(release.root))
        self.release = release
        self.places: dict[str, list[_Place]] = {}
        self.done: list[Worksheet] = []
        self.items: list[Item] = []

    def problem(self, file: str, line: int, code: str, message: str) -> None:
        self.report.findings.append(Finding(file, line, code, message))

    def read(self, path: Path) -> Worksheet | None:
        try:
            return self.release.read_worksheet(path)
        except WorksheetError as exc:
            self.problem(exc.file or str(path), exc.line or 1, "parse-error", exc.message)
            return None

    def count(self, doc: Document, where: str) -> None:
        for item in doc.items():
            refs = item_refs(item)
            if not refs:
                self.report.untracked_items += 1
            for ref in refs:
                self.places.setdefault(ref, []).append(_Place(doc.path, item.line))
                self.report.counts[where] = self.report.counts.get(where, 0) + 1
            self.items.append(item)

    def finished_checks(self, ws: Worksheet) -> None:
        for item in ws.items():
            if item.section is not None and item.section.category == "Untopiced":
                self.problem(ws.path, item.line, "untopiced", "item still in Untopiced")
        from relnotes.lint import lint_worksheet

        version = self.release.release_of(ws.path)
        for finding in lint_worksheet(ws, release=str(version) if version else None):
            if finding.code not in _LINT_OWN:
                self.report.findings.append(finding)
        checks = read_check_results(ws.path)
        if checks is not None:
            self.report.checks[ws.path] = {"results": checks.total,
                                           "failed": len(checks.failed)}
            for line, text in checks.failed:
                self.problem(ws.path, line or ws.domain_line, "check-failed",
                             f"snippet check failed: {text}")

    def revert_pairs(self, metadata: Mapping[int, Any] | None) -> None:
        """A published revert is a problem; a published item that a revert of this
        release names is a note: PyTorch relands a reverted PR under the same number
        (2.9.0's maintainers published 16 such items), which only its author knows."""
        pairs = find_revert_pairs(self.items, metadata)
        for ws in self.done:
            for item in ws.items():
                category = item.section.category if item.section else None
                if id(item) not in pairs.partner or category not in PUBLISHED:
                    continue
                if id(item) in pairs.reverts:
                    self.problem(ws.path, item.line, "revert-pair",
                                 f"{pairs.partner[id(item)]}: drop both to not user facing")
                else:
                    self.report.notes.append(
                        f"{ws.path}:{item.line}: {pairs.partner[id(item)]}: published, so "
                        "it was relanded? if not, drop both to not user facing")

    def accounting(self, generated: Counter[str] | None, gen_places: dict[str, _Place],
                   scope: set[str] | None) -> None:
        """Lost and duplicated refs (only those in ``scope`` when given)."""
        rep = self.report
        for ref, places in sorted(self.places.items()):
            if scope is not None and ref not in scope:
                continue
            expected = generated.get(ref, 0) if generated is not None else None
            if expected is None:
                # without the generated files: the same PR in two files is a duplicate
                if len({p.file for p in places}) > 1:
                    self._duplicate(ref, places, 1)
            elif expected == 0:
                rep.added.append(ref)
            elif len(places) > expected:
                self._duplicate(ref, places, expected)
        if generated is None:
            return
        rep.generated_refs = len(generated)
        for ref, expected in sorted(generated.items()):
            if scope is not None and ref not in scope:
                continue
            have = len(self.places.get(ref, []))
            if have < expected:
                rep.lost.append(ref)
                origin = gen_places[ref]
                what = "in none of" if have == 0 else f"{have} time(s) instead of {expected} in"
                self.problem(origin.file, origin.line, "lost",
                             f"{ref} of the generated worksheet is {what} "
                             "todo/, done/, miscategorized.md")

    def _duplicate(self, ref: str, places: list[_Place], expected: int) -> None:
        self.report.duplicated.append(ref)
        first = places[0]
        for extra in places[expected:]:
            self.problem(extra.file, extra.line, "duplicated",
                         f"{ref} is also at {first.file}:{first.line} ({len(places)} times)")


def _generated_counts(generated: Generated, names: set[str]
                      ) -> tuple[Counter[str], dict[str, _Place], set[str]]:
    """Occurrences of each ref, where it first stands, and the refs of the worksheets
    named ``names`` (paths below todo/)."""
    counts: Counter[str] = Counter()
    first: dict[str, _Place] = {}
    scope: set[str] = set()
    for name, ws in generated.worksheets.items():
        for item in ws.items():
            for ref in item_refs(item):
                counts[ref] += 1
                first.setdefault(ref, _Place(ws.path, item.line))
                if name in names:
                    scope.add(ref)
    return counts, first, scope


def audit(release: ReleaseFolder, *, generated: str | Path | Generated | None = None,
          metadata: Mapping[int, Any] | None = None,
          only: Iterable[str | Path] = (),
          worksheets: Mapping[Path, Worksheet] | None = None,
          pool: Miscategorized | None = None) -> AuditReport:
    """Audit the release folder (its todo/, done/ and pool, wherever the
    ``miscategorized`` setting puts it).

    ``only`` limits the ``done/`` checks to these worksheets (as ``done`` does before it
    moves one; they are checked as finished wherever they are) and the accounting to
    their PRs (and those of the generated worksheets of the same path below todo/); the
    counting itself always covers the whole folder, since an item is lost or doubled
    across files. ``generated`` is a folder or worksheets already read (``done`` and
    ``submit`` take them from git). ``worksheets`` (by resolved path) and ``pool`` are
    documents the caller has already parsed, used instead of reading those files again.
    Files of todo/ and done/ that are no worksheet are skipped, with a note.
    """
    auditor = _Auditor(release)
    rep = auditor.report
    parsed = dict(worksheets or {})
    selected = {Path(p).resolve() for p in only}
    scope: set[str] = set()
    for folder in ("todo", "done"):
        files = release.worksheets(folder)
        rep.files[folder] = len(files)
        for path in files:
            resolved = path.resolve()
            ws = parsed[resolved] if resolved in parsed else auditor.read(path)
            if ws is None:
                continue
            auditor.count(ws, folder)
            if resolved in selected:
                scope.update(ref for item in ws.items() for ref in item_refs(item))
            finished = (resolved in selected) if selected else folder == "done"
            if finished and path.name not in SET_ASIDE:
                auditor.done.append(ws)
                auditor.finished_checks(ws)
    if pool is not None:
        auditor.count(pool, "miscategorized")
    elif release.pool.exists():
        try:
            auditor.count(read_pool(release), "miscategorized")
        except WorksheetError as exc:
            auditor.problem(exc.file or str(release.pool), exc.line or 1, "parse-error",
                            exc.message)
    if generated is not None and not isinstance(generated, Generated):
        generated = read_generated(generated, repo=release.repo)
        release.skip(generated.skipped.items())
    gen_counts: Counter[str] | None = None
    gen_places: dict[str, _Place] = {}
    if generated is not None:
        rep.baseline = generated.source
        rep.findings.extend(generated.errors)
        names = {release.where(p)[1].as_posix() for p in selected}
        gen_counts, gen_places, gen_scope = _generated_counts(generated, names)
        scope.update(gen_scope)
        if not gen_counts:
            auditor.problem(generated.source, 1, "no-generated",
                            "no generated worksheets found to account for")
    if metadata is None:
        # revert pairs use what the cache knows; the audit never waits for the network
        numbers = sorted({p for item in auditor.items for p in item.all_prs})
        metadata = metadata_for(numbers, config=release.config, offline=True)
    auditor.revert_pairs(metadata)
    auditor.accounting(gen_counts, gen_places, scope if selected else None)
    rep.notes += release.take_notes()
    rep.findings.sort()
    return rep
