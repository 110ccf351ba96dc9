"""Hand a finished worksheet in as the release process expects: a branch and a pull request.

:func:`plan_submission` works everything out without changing anything (the dry run
prints it). It asks the remote for its default branch (``main``, ``master``, ...) and
lists exactly what the pull request will change against it: the worksheet (its move from
``todo/`` to ``done/``) and this worksheet's changes to ``miscategorized.md`` (see
:mod:`relnotes.changes`); nothing else of the user's branch -- other commits, staged or
uncommitted work -- goes in. It also lists what stands in the way (a worksheet still in
``todo/``, and the audit's findings: lost or duplicated items, unfinished sections and
entries, failed snippet checks): submission refuses them unless forced, and a forced
pull request says so in its body. The audit and the change table are counted against
the worksheets as generated: ``--generated DIR``, else the ``todo/`` folder of the
commit that first added the worksheet (see
:meth:`relnotes.release.ReleaseFolder.generated_baseline`).

:func:`submit` builds the commit with git plumbing on top of the remote's default branch
(or on the existing submission branch, which moves forward), pushes it with a lease, and
opens the pull request -- or updates the one already open for that branch -- through the
same GitHub client as ``fetch``. The user's branch, index and working tree are never
touched, so there is nothing to put back when a step fails; an error after the push
names the repository and what to do; GitHub is asked for the repository before anything
is pushed. A submission branch that holds someone else's changes to other files is never
rebuilt over them: the plan lists them as conflicts and ``submit`` refuses, even with
``--force``. Someone else's edits to the submission's own files (a reviewer's "Apply
suggestions") are kept, yours merged on top, or the submission is refused where both
changed the same lines (:mod:`relnotes.submit_branch`).
"""

from __future__ import annotations

import logging
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relnotes.audit import AuditReport, audit, read_check_results
from relnotes.changes import ChangeSummary, PoolUpdate, pool_update, summarise_changes
from relnotes.config import Config, repo_problem
from relnotes.errors import GitError, GitHubError, RelnotesError, UsageError
from relnotes.fileio import sidecar_path
from relnotes.findings import Finding
from relnotes.gitops import (
    branch_changes,
    build_commit,
    commit_exists,
    commits_touching,
    fetch_branch,
    git,
    head_sha,
    is_ancestor,
    push,
    read_blob,
    remote_default_branch,
    remote_heads,
    remote_url,
    repo_root,
    tree_of,
)
from relnotes.miscategorized import Miscategorized, read_pool
from relnotes.release import Baseline, ReleaseFolder, display, release_parts
from relnotes.submit_branch import TRAILER, BranchEdits, commit_merge, read_branch
from relnotes.worksheet import Worksheet, parse_worksheet

if TYPE_CHECKING:
    from relnotes.github.client import GitHubClient

__all__ = [
    "DoneOutcome",
    "SubmitOutcome",
    "SubmitPlan",
    "finish_worksheet",
    "plan_submission",
    "submit",
]

log = logging.getLogger(__name__)

_GITHUB_REMOTE = re.compile(r"github\.com[:/](?P<repo>[\w.-]+/[\w.-]+?)(?:\.git)?/?$")


def _display(path: Path) -> str:
    """``path`` as every command prints paths (:func:`relnotes.release.display`)."""
    return str(display(path))


@dataclass
class SubmitPlan:
    """Everything ``submit`` will do; ``files`` maps each changed path (relative to the
    repository root) to its new bytes, or None when the pull request deletes it."""

    root: Path
    worksheet: str
    remote: str
    base: str
    base_sha: str
    repo: str | None
    head_owner: str | None
    branch: str
    existing: str | None  # the remote's tip of ``branch`` when it exists
    files: dict[str, bytes | None]
    commit_message: str
    title: str
    body: str
    summary: ChangeSummary
    problems: list[Finding] = field(default_factory=list)
    forced: bool = False
    notes: list[str] = field(default_factory=list)
    # someone else's changes on the existing branch that a submission would undo
    conflicts: list[str] = field(default_factory=list)
    # the branch holds edits your last submission did not: what is kept, how it merged
    edits: BranchEdits | None = None
    wanted: dict[str, bytes | None] = field(default_factory=dict)  # your copy of each file

    @property
    def paths(self) -> list[str]:
        return list(self.files)

    def to_json(self) -> dict[str, Any]:
        return {"worksheet": self.worksheet, "paths": self.paths,
                "changes": {p: ("delete" if d is None else "write") for p, d in self.files.items()},
                "remote": self.remote, "base": self.base, "base_sha": self.base_sha,
                "repo": self.repo, "branch": self.branch, "existing": self.existing,
                "commit_message": self.commit_message, "title": self.title, "body": self.body,
                "summary": self.summary.to_json(), "forced": self.forced,
                "problems": [p.to_json() for p in self.problems], "notes": self.notes,
                "conflicts": self.conflicts,
                **({"snapshot": None, "others": [], "merged": []}
                   | (self.edits.to_json() if self.edits else {}))}

    def describe(self) -> str:
        files = "\n".join(f"  {'delete' if data is None else 'write '} {path}"
                          for path, data in self.files.items()) or "  (nothing)"
        where = (f"updates {self.existing[:12]}" if self.existing else "new branch")
        text = (f"branch:  {self.branch} ({where}; push to {self.remote})\n"
                f"repo:    {self.repo or '(unknown: pass --repo OWNER/NAME)'} "
                f"(pull request into {self.base}, at {self.base_sha[:12]})\n"
                f"files:\n{files}\n"
                f"commit:  {self.commit_message.splitlines()[0]}\n"
                f"title:   {self.title}\n")
        text += "".join(f"note:    {note}\n" for note in self.notes)
        # conflicts are said once, by the command, as why nothing is submitted
        text += self.edits.describe() if self.edits else ""
        return text + f"body:\n{self.body}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-") or "worksheet"


def _repo_from_url(url: str) -> str | None:
    match = _GITHUB_REMOTE.search(url)
    return match.group("repo") if match else None


def _text(data: bytes | None) -> str | None:
    return data.decode("utf-8", "replace") if data is not None else None


def _audit(release: ReleaseFolder, ws: Worksheet, *, baseline: Baseline,
           pool: Miscategorized | None = None) -> AuditReport:
    """The audit ``done`` and ``submit`` run: ``ws`` checked as finished, its items (and
    those of the generated worksheet of the same path) accounted for across the folder."""
    path = Path(ws.path)
    report = audit(release, generated=baseline.generated, only=[path],
                   worksheets={path.resolve(): ws}, pool=pool)
    if baseline.note:
        report.notes.append(baseline.note)
    return report


def _conflicts(root: Path, base_sha: str, existing: str, owned: set[str], *, remote: str,
               branch: str) -> list[str]:
    """Changes of the existing submission branch to paths this submission does not own
    (a reviewer's file, say): rebuilding the branch would undo them."""
    foreign = [p for p in branch_changes(root, base_sha, existing) if p not in owned]
    if not foreign:
        return []
    commits = commits_touching(root, base_sha, existing, foreign)
    paths = ", ".join(foreign[:10]) + (f" and {len(foreign) - 10} more" if len(foreign) > 10
                                       else "")
    by = "; ".join(commits[:5]) + (f"; and {len(commits) - 5} more" if len(commits) > 5 else "")
    return [(f"{remote}/{branch} also changes {paths} (by {by or 'a merge'}); submitting "
             f"would undo that. Move those changes to a pull request of their own or take "
             f"them off {branch}, or submit to another branch with --branch NAME")]


def plan_submission(worksheet: str | Path, *, release: ReleaseFolder, remote: str = "origin",
                    base: str | None = None, repo: str | None = None,
                    branch: str | None = None, generated: str | Path | None = None,
                    force: bool = False) -> SubmitPlan:
    """Everything ``submit`` would do, computed without changing the user's work.

    Reads the remote (its default branch and the submission branch); fetches them when
    their commits are not here yet, which only updates remote-tracking refs. Each file
    is parsed once: the worksheet, the local and the remote pool, the generated ones.
    """
    # --repo is where the pull request goes (the release-notes repository); the PR
    # numbers of the worksheet stay the ``repo`` setting's (pytorch/pytorch)
    if repo is not None and (problem := repo_problem(repo)) is not None:
        raise UsageError(f"--repo {repo!r} {problem}")
    release_dir, kind, below = release_parts(worksheet)
    ws_path = release.root / kind / below if kind else Path(_display(Path(worksheet)))
    ws = release.read_worksheet(ws_path)
    root = repo_root(ws_path)
    rel = ws_path.resolve().relative_to(root)
    url = remote_url(root, remote)
    base = base or remote_default_branch(root, remote)
    version = release.release_of(ws_path)
    release_name = str(version) if version else ""
    branch = branch or "relnotes/" + _slug(f"{release_name}-{ws.domain}" if release_name
                                           else ws.domain)
    heads = remote_heads(root, remote, base, branch)
    if base not in heads:
        raise GitError(f"{remote!r} has no branch {base!r} to open the pull request into")
    for name, sha in heads.items():
        if not commit_exists(root, sha):
            fetch_branch(root, remote, name)
    base_sha = heads[base]

    todo_rel = ((release_dir / "todo" / below).relative_to(root) if kind == "done" else rel)
    files: dict[str, bytes | None] = {}
    current = ws_path.read_bytes()
    if read_blob(root, base_sha, rel.as_posix()) != current:
        files[rel.as_posix()] = current
    if todo_rel != rel and read_blob(root, base_sha, todo_rel.as_posix()) is not None:
        files[todo_rel.as_posix()] = None  # the move
    notes: list[str] = []
    misc = release.pool
    pool_bytes = misc.read_bytes() if misc.exists() else None
    pool = read_pool(release) if pool_bytes is not None else None
    update: PoolUpdate | None = None
    try:
        misc_rel: str | None = misc.resolve().relative_to(root).as_posix()
    except ValueError:
        misc_rel = None
        notes.append(f"{misc} is outside the repository: not submitted")
    if misc_rel is not None:
        update = pool_update(ws.domain, ws, remote_text=_text(read_blob(root, base_sha, misc_rel)),
                             local_text=_text(pool_bytes), path=misc_rel, local=pool,
                             repo=release.repo)
        if update.text is not None:
            files[misc_rel] = update.text.encode("utf-8")
            if not update.verbatim:
                notes.append(f"{misc_rel}: only {ws.domain}'s changes ({len(update.sent)} "
                             f"sent, {len(update.adopted)} adopted) on top of {remote}/{base}; "
                             "the other changes in your copy are not submitted")

    existing = heads.get(branch)
    owned = list(dict.fromkeys([rel.as_posix(), todo_rel.as_posix(), *files,
                                *([misc_rel] if misc_rel else [])]))
    conflicts = (_conflicts(root, base_sha, existing, set(owned), remote=remote, branch=branch)
                 if existing else [])
    title = f"{release_name + ' ' if release_name else ''}release notes: {ws.domain}"
    wanted = {p: files[p] if p in files else read_blob(root, base_sha, p) for p in owned}
    edits = (read_branch(root, base_sha=base_sha, existing=existing, wanted=wanted, title=title,
                         remote=remote, branch=branch) if existing and not conflicts else None)
    submitted = ws
    if edits is not None and not edits.conflicts:
        # what goes in is the merge: the audit and the change table are of that
        files = {p: d for p, d in edits.files.items() if d != read_blob(root, base_sha, p)}
        merged = edits.files.get(rel.as_posix())
        if rel.as_posix() in edits.merged and merged is not None:
            submitted = parse_worksheet(merged.decode("utf-8", "replace"), path=str(ws_path),
                                        repo=release.repo)
    conflicts += edits.conflicts if edits is not None else []

    baseline = release.generated_baseline(below, refs=["HEAD", base_sha], folder=generated)
    report = _audit(release, submitted, baseline=baseline, pool=pool)
    notes += report.notes
    checks = read_check_results(ws_path)
    summary = summarise_changes(
        baseline.original, submitted, pool=update.pool if update is not None else pool,
        adopted=update.adopted if update is not None else (), baseline=baseline.label,
        # run = passed + failed: "N passed" must not count the skips
        checks=((checks.passed + len(checks.failed), len(checks.failed))
                if checks is not None else None))
    problems = list(report.findings)
    if kind == "todo":
        problems.insert(0, Finding(str(ws_path), 1, "not-done",
                                   f"still in todo/: run `relnotes done {shlex.quote(str(ws_path))}` first"))
    repo = repo or _repo_from_url(url)
    head_owner = (_repo_from_url(url) or repo or "").split("/")[0] or None
    table = summary.markdown() + (f"\n\n{checks.summary()}" if checks is not None else "")
    body = (f"Release notes worksheet **{ws.domain}**"
            f"{f' ({release_name})' if release_name else ''}, "
            f"reviewed with relnotes (`{rel.as_posix()}`).\n\n{table}\n")
    if problems and force:
        body += (f"\n**Submitted with `--force` despite {len(problems)} problem(s):**\n\n"
                 + "\n".join(f"- `{p.file}:{p.line}` [{p.code}] {p.message}"
                             for p in problems) + "\n")
    kept = "".join(f"Keeps {c}\n" for c in edits.others) if edits else ""
    message = f"{title}\n\n{table}\n\n{kept}"
    return SubmitPlan(root=root, worksheet=rel.as_posix(), remote=remote, base=base,
                      base_sha=base_sha, repo=repo, head_owner=head_owner, branch=branch,
                      existing=existing, files=files, commit_message=message,
                      title=title, body=body, summary=summary, problems=problems,
                      forced=force and bool(problems), notes=notes, conflicts=conflicts,
                      edits=edits, wanted=wanted)


@dataclass
class SubmitOutcome:
    branch: str
    commit: str
    committed: bool  # False: the branch already held exactly these files
    pushed: bool
    pr_number: int
    pr_url: str
    created: bool  # False: an existing pull request was updated

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _commit(plan: SubmitPlan) -> tuple[str, bool]:
    """(commit to push, whether it is new): on the existing branch when it still sits on
    the current base, else on the base (the branch is then rebuilt); a merge with the
    branch when it holds edits your last submission did not have."""
    root = plan.root
    message = f"{plan.commit_message.rstrip()}\n\n{TRAILER}: {plan.worksheet}\n"
    if plan.edits is not None and plan.existing is not None:
        if plan.edits.up_to_date:
            return plan.existing, False
        return commit_merge(root, base_sha=plan.base_sha, existing=plan.existing,
                            edits=plan.edits, wanted=plan.wanted, files=plan.files,
                            message=message, worksheet=plan.worksheet), True
    parent = plan.base_sha
    if plan.existing and is_ancestor(root, plan.base_sha, plan.existing):
        parent = plan.existing
    commit, tree = build_commit(root, base=plan.base_sha, files=plan.files, parents=[parent],
                                message=message)
    if parent == plan.existing and tree_of(root, parent) == tree:
        return parent, False  # nothing new since the last submission
    return commit, True


def submit(plan: SubmitPlan, *, config: Config, client: GitHubClient | None = None
           ) -> SubmitOutcome:
    """Commit, push and open (or update) the pull request described by ``plan``; GitHub
    is asked for the repository first, so nothing is pushed where no pull request can be
    opened."""
    if plan.conflicts:
        raise GitError("not submitted: " + " ".join(plan.conflicts))
    if plan.problems and not plan.forced:
        raise RelnotesError(f"not submitted: {len(plan.problems)} problem(s) with "
                         f"{plan.worksheet} (listed above); fix them, or pass --force to "
                         "submit anyway (the pull request will say so)")
    if not plan.files:
        raise GitError(f"nothing to submit: {plan.remote}/{plan.base} already has "
                       f"{plan.worksheet} as it is here")
    if not plan.repo:
        raise UsageError("cannot tell the GitHub repository from the remote; pass --repo "
                         "OWNER/NAME")
    if client is None:
        from relnotes.github.client import GitHubClient

        client = GitHubClient.from_config(config, repo=plan.repo)
    if not client.has_token:
        raise GitHubError(f"no GitHub token in ${client.token_env} (the token_env setting "
                          "names the variable); nothing was pushed")
    from relnotes.github.pulls import check_repository, open_pull_request

    check_repository(client)
    commit, committed = _commit(plan)
    pushed = commit != plan.existing
    if pushed:
        push(plan.root, plan.remote, commit, plan.branch, expect=plan.existing)
    try:
        pull = open_pull_request(client, head_owner=plan.head_owner or plan.repo.split("/")[0],
                                 branch=plan.branch, base=plan.base, title=plan.title,
                                 body=plan.body)
    except GitHubError as exc:
        raise GitHubError(
            f"pushed {plan.branch} to {plan.remote} ({commit[:12]}), but the pull request "
            f"in {plan.repo} was not opened: {exc.message}. Run `relnotes submit "
            f"{plan.worksheet} --yes` again, or open it by hand from {plan.branch} into "
            f"{plan.base}") from None
    return SubmitOutcome(branch=plan.branch, commit=commit, committed=committed,
                         pushed=pushed, pr_number=pull.number, pr_url=pull.url,
                         created=pull.created)


@dataclass
class DoneOutcome:
    """``done``: the audit of the worksheet and, when it passed, where it went."""

    audit: AuditReport
    source: str
    target: str | None = None
    commit: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "commit": self.commit,
                "moved": self.target is not None, "audit": self.audit.to_json()}


def finish_worksheet(worksheet: str | Path, *, release: ReleaseFolder,
                     generated: str | Path | None = None) -> DoneOutcome:
    """Audit ``todo/X``; when clean, ``git mv`` it to ``done/X`` and commit.

    The audit counts against ``generated`` or, without it, the ``todo/`` folder of the
    commit that first added the worksheet. The commit holds the move, the worksheet's
    edits and ``miscategorized.md`` and nothing else (other staged changes stay staged);
    when it fails (a refusing hook), the move is undone and the index is as it was. The
    review sidecars in ``.relnotes/`` (not tracked) follow the worksheet to ``done/``.
    Paths in findings are relative to the current directory when below it.
    """
    kind, below = release.where(worksheet)
    if kind != "todo":
        raise UsageError(f"{worksheet} is not in a todo/ folder")
    source = release.todo / below
    misc = release.pool
    ws = release.read_worksheet(source)
    root = repo_root(source)
    baseline = release.generated_baseline(below, refs=["HEAD"], folder=generated)
    report = _audit(release, ws, baseline=baseline)
    outcome = DoneOutcome(audit=report, source=str(source))
    if not report.ok:
        return outcome
    target = release.done / below
    if target.exists():
        raise UsageError(f"{target} already exists")
    src_rel = source.resolve().relative_to(root).as_posix()
    dst_rel = target.resolve().relative_to(root).as_posix()
    made = [d for d in reversed(target.parents) if not d.exists()]
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        git("mv", src_rel, dst_rel, cwd=root, step="move to done")  # stages the move
    except RelnotesError:
        _remove_empty(made)
        raise
    # the old path only when HEAD has it (a worksheet staged but never committed)
    paths = [src_rel, dst_rel] if commit_exists(root, "HEAD") and read_blob(
        root, "HEAD", src_rel) is not None else [dst_rel]
    added: list[str] = []
    try:
        misc_rel: str | None = misc.resolve().relative_to(root).as_posix()
    except ValueError:
        misc_rel = None
    if misc_rel is not None and misc.exists():
        paths.append(misc_rel)
        if not git("ls-files", "--error-unmatch", "--", misc_rel, cwd=root,
                   step="commit", check=False).ok:
            git("add", "--", misc_rel, cwd=root, step="commit")  # new: commit needs it known
            added.append(misc_rel)
    try:
        # --only (the default with paths): what is on disk for these paths, nothing else
        git("commit", "-q", "-m", f"{ws.domain}: release notes done", "--", *paths, cwd=root,
            step="commit")
    except RelnotesError:
        git("mv", dst_rel, src_rel, cwd=root, step="undo the move", check=False)
        for path in added:
            git("rm", "-q", "--cached", "--", path, cwd=root, step="undo", check=False)
        _remove_empty(made)
        raise
    _move_sidecars(source, target)
    outcome.target = str(target)
    outcome.commit = head_sha(root)
    return outcome


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders ``done`` created (outermost first in ``folders``) if empty."""
    for folder in reversed(folders):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _move_sidecars(source: Path, target: Path) -> None:
    from relnotes.fileio import private_dir

    for kind in ("decisions", "check"):
        old, new = sidecar_path(source, kind), sidecar_path(target, kind)
        if old.exists() and not new.exists():
            private_dir(target.parent)  # with its .gitignore: never committed
            old.replace(new)

