"""Hand a finished worksheet in as the release process expects: a branch and a pull request.

:func:`plan_submission` works out everything without changing anything (the dry run
prints it): the branch ``relnotes/<release>-<domain>``, the files to commit (the
worksheet, its ``todo/`` original when it moved to ``done/``, ``miscategorized.md``), the
commit message, and the pull request's title and body. The body summarises what changed
against the worksheet on ``<remote>/<base>`` (moved, dropped, sent to other domains,
adopted, retitled), the BC-breaking/deprecation entries written and the snippet check
results.

:func:`submit` carries the plan out step by step (create branch, commit, push, open pull
request). Running it again moves the same branch forward and edits the same pull request.
When a step fails, the local repository is put back as it was (branch, HEAD, the changes
in the work tree) and the error names the step. The token is read from the environment
variable the ``token_env`` setting names and is never printed.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relnotes.apply import default_miscategorized_path
from relnotes.errors import GitHubError, RelnotesError, UsageError, WorksheetError
from relnotes.gitops import (
    branch_sha,
    current_branch,
    git,
    has_staged_changes,
    head_sha,
    remote_url,
    repo_root,
    show_file,
)
from relnotes.miscategorized import group_target, read_miscategorized
from relnotes.versions import release_of
from relnotes.worksheet import Item, Worksheet, parse_worksheet, read_worksheet

__all__ = ["ChangeSummary", "DoneOutcome", "SubmitOutcome", "SubmitPlan", "finish_worksheet",
           "plan_submission", "submit", "summarise_changes"]

log = logging.getLogger(__name__)

_GITHUB_REMOTE = re.compile(r"github\.com[:/](?P<repo>[\w.-]+/[\w.-]+?)(?:\.git)?/?$")


@dataclass
class ChangeSummary:
    """What the maintainer changed, measured against the worksheet as generated."""

    baseline: str | None = None  # where the "before" came from, None when not found
    moved: list[dict[str, str]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    sent: list[dict[str, str]] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    retitled: list[str] = field(default_factory=list)
    entries: int = 0
    checks: dict[str, int] | None = None  # results, failed

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def markdown(self) -> str:
        def row(label: str, count: int, extra: str = "") -> str:
            return f"| {label} | {count}{extra} |"

        by_domain: dict[str, int] = {}
        for sent in self.sent:
            by_domain[sent["domain"]] = by_domain.get(sent["domain"], 0) + 1
        domains = ", ".join(f"{d}: {n}" for d, n in sorted(by_domain.items()))
        if self.checks is None:
            checks = "no check results"
        else:
            checks = f"{self.checks['results'] - self.checks['failed']} passed, " \
                     f"{self.checks['failed']} failed"
        lines = ["| change | count |", "| --- | --- |",
                 row("moved to another section", len(self.moved)),
                 row("dropped to not user facing", len(self.dropped)),
                 row("sent to other domains (miscategorized.md)", len(self.sent),
                     f" ({domains})" if domains else ""),
                 row("adopted from miscategorized.md", len(self.adopted)),
                 row("titles rewritten", len(self.retitled)),
                 row("BC-breaking / deprecation entries written", self.entries),
                 f"| snippet checks | {checks} |"]
        if self.baseline is None:
            lines.append("\n(no generated worksheet found to compare with: moves not counted)")
        details = [f"- {m['key']}: {m['from']} -> {m['to']}" for m in self.moved]
        details += [f"- {k}: dropped" for k in self.dropped]
        details += [f"- {s['key']}: sent to {s['domain']}" for s in self.sent]
        details += [f"- {k}: adopted" for k in self.adopted]
        if details:
            lines += ["", "<details><summary>Items</summary>", "", *details, "", "</details>"]
        return "\n".join(lines)


def summarise_changes(before: Worksheet | None, after: Worksheet,
                      misc_path: str | Path | None = None) -> ChangeSummary:
    """Compare the generated worksheet with the finished one, item by item (by key)."""
    from relnotes.audit import read_check_results

    summary = ChangeSummary()
    for item in after.items():
        category = item.section.category if item.section else None
        if category in ("bc breaking", "deprecation") and item.body.strip():
            summary.entries += 1
    checks = read_check_results(after.path)
    if checks is not None:
        summary.checks = {"results": checks[0], "failed": len(checks[1])}
    if before is None:
        return summary
    summary.baseline = before.path
    now: dict[str, Item] = {}
    for item in after.items():
        now.setdefault(item.key, item)
    targets: dict[str, str] = {}
    if misc_path is not None and Path(misc_path).exists():
        for section in read_miscategorized(misc_path).sections:
            target = group_target(section.name)[0] or section.name
            for item in section.items:
                targets[item.key] = target
    old_keys = set()
    for old in before.items():
        if old.key in old_keys:
            continue
        old_keys.add(old.key)
        new = now.get(old.key)
        if new is None:
            summary.sent.append({"key": old.key, "domain": targets.get(old.key, "?")})
            continue
        was = old.section.category if old.section else None
        is_ = new.section.category if new.section else None
        if is_ != was and is_ == "not user facing":
            summary.dropped.append(old.key)
        elif is_ != was:
            summary.moved.append({"key": old.key, "from": str(was), "to": str(is_)})
        if new.title != old.title:
            summary.retitled.append(old.key)
    summary.adopted = [key for key in now if key not in old_keys]
    return summary


@dataclass
class SubmitPlan:
    root: Path
    worksheet: str            # path relative to the repository root
    paths: list[str]          # what the commit may touch (relative)
    remote: str
    base: str
    repo: str | None
    branch: str
    commit_message: str
    title: str
    body: str
    summary: ChangeSummary

    def to_json(self) -> dict[str, Any]:
        return {"worksheet": self.worksheet, "paths": self.paths, "remote": self.remote,
                "base": self.base, "repo": self.repo, "branch": self.branch,
                "commit_message": self.commit_message, "title": self.title, "body": self.body,
                "summary": self.summary.to_json()}

    def describe(self) -> str:
        return (f"branch:  {self.branch} (push to {self.remote})\n"
                f"repo:    {self.repo or '(unknown: pass --repo OWNER/NAME)'} "
                f"(pull request into {self.base})\n"
                f"files:   {', '.join(self.paths)}\n"
                f"commit:  {self.commit_message.splitlines()[0]}\n"
                f"title:   {self.title}\n"
                f"body:\n{self.body}")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-") or "worksheet"


def _repo_from_remote(root: Path, remote: str) -> str | None:
    match = _GITHUB_REMOTE.search(remote_url(root, remote))
    return match.group("repo") if match else None


def _baseline(root: Path, rel: Path, remote: str, base: str) -> Worksheet | None:
    """The worksheet as it is on the base branch (in ``todo/`` when it has moved since)."""
    candidates = [rel]
    if rel.parent.name == "done":
        candidates.insert(0, rel.parent.parent / "todo" / rel.name)
    for ref in (f"{remote}/{base}", base):
        for path in candidates:
            text = show_file(root, ref, path.as_posix())
            if text is None:
                continue
            try:
                return parse_worksheet(text, path=f"{ref}:{path.as_posix()}")
            except WorksheetError:
                continue
    return None


def plan_submission(worksheet: str | Path, *, remote: str = "origin", base: str = "main",
                    repo: str | None = None, config: Any = None,
                    branch: str | None = None) -> SubmitPlan:
    """Everything ``submit`` would do, computed without changing anything."""
    ws_path = Path(worksheet)
    ws = read_worksheet(ws_path)
    root = repo_root(ws_path)
    rel = ws_path.resolve().relative_to(root)
    paths = [rel]
    if rel.parent.name == "done":
        paths.append(rel.parent.parent / "todo" / rel.name)
    misc = default_miscategorized_path(ws_path, config)
    try:
        paths.append(misc.resolve().relative_to(root))
    except ValueError:
        log.warning("%s is outside the repository; not committed", misc)
    kept = [p.as_posix() for p in paths
            if (root / p).exists() or show_file(root, "HEAD", p.as_posix()) is not None]
    repo = repo or _repo_from_remote(root, remote)
    version = release_of(ws_path, config.release if config is not None else "")
    release = str(version) if version else ""
    branch = branch or "relnotes/" + _slug(f"{release}-{ws.domain}" if release else ws.domain)
    summary = summarise_changes(_baseline(root, rel, remote, base), ws, misc)
    label = f"{release} " if release else ""
    title = f"{label}release notes: {ws.domain}"
    body = (f"Release notes worksheet **{ws.domain}**{f' ({release})' if release else ''}, "
            f"reviewed with relnotes (`{rel.as_posix()}`).\n\n{summary.markdown()}\n")
    message = f"{title}\n\n{summary.markdown()}\n"
    return SubmitPlan(root=root, worksheet=rel.as_posix(), paths=kept, remote=remote,
                      base=base, repo=repo, branch=branch, commit_message=message,
                      title=title, body=body, summary=summary)


@dataclass
class SubmitOutcome:
    branch: str
    commit: str
    committed: bool
    pr_number: int
    pr_url: str
    created: bool  # False: an existing pull request was updated

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _token(config: Any) -> str:
    env = (getattr(config, "token_env", "") if config is not None else "") or "GITHUB_TOKEN"
    token = os.environ.get(env)
    if not token:
        raise GitHubError(f"open pull request: no GitHub token in ${env} "
                          "(the token_env setting names the variable); nothing was changed")
    return token


def _open_pull_request(plan: SubmitPlan, *, token: str, config: Any) -> tuple[int, str, bool]:
    """Create the pull request, or edit the open one from the same branch."""
    from github import Auth, Github, GithubException

    from relnotes.github.client import resolve_api_url

    assert plan.repo is not None
    gh = Github(auth=Auth.Token(token), base_url=resolve_api_url(config), timeout=30,
                retry=None, seconds_between_requests=None, seconds_between_writes=None)
    try:
        repo = gh.get_repo(plan.repo)
        owner = plan.repo.split("/")[0]
        existing = list(repo.get_pulls(state="open", head=f"{owner}:{plan.branch}",
                                       base=plan.base))
        if existing:
            pull = existing[0]
            pull.edit(title=plan.title, body=plan.body)
            return pull.number, pull.html_url, False
        pull = repo.create_pull(title=plan.title, body=plan.body, head=plan.branch,
                                base=plan.base)
        return pull.number, pull.html_url, True
    except GithubException as exc:
        message = exc.data.get("message") if isinstance(exc.data, dict) else None
        raise GitHubError(f"GitHub answered {exc.status}: {message or 'error'}") from None
    except OSError as exc:
        raise GitHubError(f"cannot reach {resolve_api_url(config)}: {exc}") from None
    finally:
        gh.close()


class _Restore:
    """Remembers the local state before submitting and can put it back."""

    def __init__(self, plan: SubmitPlan) -> None:
        self.root = plan.root
        self.plan = plan
        self.branch = current_branch(self.root)
        self.head = head_sha(self.root)
        self.prior = branch_sha(self.root, f"refs/heads/{plan.branch}")
        self.committed = False

    def undo(self) -> None:
        root, step = self.root, "restore the local repository"
        if self.committed:
            git("reset", "-q", "--soft", self.head, cwd=root, step=step)
            git("reset", "-q", self.head, "--", *self.plan.paths, cwd=root, step=step,
                check=False)
        if self.branch is not None and self.branch != self.plan.branch:
            git("checkout", "-q", self.branch, cwd=root, step=step)
        elif self.branch is None:
            git("checkout", "-q", "--detach", self.head, cwd=root, step=step)
        if self.branch == self.plan.branch:
            return
        if self.prior is None:
            git("branch", "-q", "-D", self.plan.branch, cwd=root, step=step, check=False)
        else:
            git("branch", "-q", "-f", self.plan.branch, self.prior, cwd=root, step=step)


def submit(plan: SubmitPlan, *, config: Any = None) -> SubmitOutcome:
    """Branch, commit, push and open (or update) the pull request described by ``plan``."""
    if not plan.repo:
        raise UsageError("cannot tell the GitHub repository from the remote; pass --repo "
                         "OWNER/NAME")
    token = _token(config)
    remote_url(plan.root, plan.remote)  # fails early, before anything changes
    state = _Restore(plan)
    root = plan.root
    step = "create branch"
    try:
        git("checkout", "-q", "-B", plan.branch, cwd=root, step=step)
        step = "commit"
        git("add", "-A", "--", *plan.paths, cwd=root, step=step)
        if has_staged_changes(root):
            git("commit", "-q", "-m", plan.commit_message, "--", *plan.paths, cwd=root,
                step=step)
            state.committed = True
        commit = head_sha(root)
        step = "push"
        git("push", "-q", "--force-with-lease", plan.remote,
            f"{plan.branch}:refs/heads/{plan.branch}", cwd=root, step=step, timeout=300)
        step = "open pull request"
        number, url, created = _open_pull_request(plan, token=token, config=config)
    except RelnotesError as exc:
        try:
            state.undo()
            where = "the local repository is as it was"
        except RelnotesError as undo_exc:
            where = f"restoring the local repository failed too ({undo_exc.message})"
        pushed = " (the branch was pushed)" if step == "open pull request" else ""
        raise type(exc)(f"submit failed at step '{step}'{pushed}: {exc.message}; {where}",
                        file=exc.file, line=exc.line) from None
    return SubmitOutcome(branch=plan.branch, commit=commit, committed=state.committed,
                         pr_number=number, pr_url=url, created=created)


@dataclass
class DoneOutcome:
    """``done``: the audit of the worksheet and, when it passed, where it went."""

    audit: Any  # relnotes.audit.AuditReport
    source: str
    target: str | None = None
    commit: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "commit": self.commit,
                "moved": self.target is not None, "audit": self.audit.to_json()}


def finish_worksheet(worksheet: str | Path, *, generated: str | Path | None = None,
                     config: Any = None, metadata: Any = None) -> DoneOutcome:
    """Audit ``todo/X``; when clean, ``git mv`` it to ``done/X`` and commit.

    The commit holds the move, the worksheet's edits and ``miscategorized.md``; the
    review sidecars in ``.relnotes/`` (not tracked) follow the worksheet to ``done/``.
    """
    from relnotes.audit import audit

    source = Path(worksheet)
    if source.resolve().parent.name != "todo":
        raise UsageError(f"{source} is not in a todo/ folder")
    release = source.resolve().parent.parent
    misc = default_miscategorized_path(source, config)
    report = audit(release, generated=generated, miscategorized=misc, metadata=metadata,
                   only=[source])
    outcome = DoneOutcome(audit=report, source=str(source))
    if not report.ok:
        return outcome
    root = repo_root(source)
    target = release / "done" / source.name
    if target.exists():
        raise UsageError(f"{target} already exists")
    src_rel = source.resolve().relative_to(root).as_posix()
    dst_rel = target.relative_to(root).as_posix()
    ws = read_worksheet(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    git("mv", src_rel, dst_rel, cwd=root, step="move to done")
    paths = [src_rel, dst_rel]
    try:
        misc_rel = misc.resolve().relative_to(root).as_posix()
        if misc.exists():
            git("add", "--", misc_rel, cwd=root, step="commit")
            paths.append(misc_rel)
    except ValueError:
        pass
    git("add", "--", dst_rel, cwd=root, step="commit")
    try:
        git("commit", "-q", "-m", f"{ws.domain}: release notes done", "--", *paths, cwd=root,
            step="commit")
    except RelnotesError:
        git("mv", dst_rel, src_rel, cwd=root, step="undo the move", check=False)
        raise
    _move_sidecars(source, target)
    outcome.target = str(target)
    outcome.commit = head_sha(root)
    return outcome


def _move_sidecars(source: Path, target: Path) -> None:
    from relnotes.decisions import sidecar_path

    for kind in ("decisions", "check"):
        old, new = sidecar_path(source, kind), sidecar_path(target, kind)
        if old.exists() and not new.exists():
            new.parent.mkdir(parents=True, exist_ok=True)
            old.replace(new)
