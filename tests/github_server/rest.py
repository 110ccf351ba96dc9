"""The REST half of the fake GitHub: what PR submission uses through PyGithub.

Repository, branches, git refs, contents, pulls (list, create, get, edit, files), issue
labels and comments, the user, and the pull requests of a commit (the ``commits`` of
fixture PRs: full hashes, matched by prefix as GitHub resolves short ones). State lives in memory on the server object; answers
have the fields PyGithub reads (urls point back at the server, so lazy completion works).
Mixed into :class:`tests.github_server.server.FakeGitHub`. A new endpoint is one line in
``REST_ROUTES`` (verb, path pattern with named groups, method name) and one method taking
those groups, ``base``, ``query``, ``body`` and ``entry`` as keywords.

A repository can be configured (:class:`RepoSettings`: its default branch and, optionally,
a real git directory -- typically the bare remote a test pushes to). A git-backed
repository answers its branches from git, refuses a pull request whose head or base
branch was not pushed (422, as GitHub does), and lists a pull request's files as
``git diff base...head``, so a test sees exactly what GitHub would show.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

__all__ = ["RepoSettings", "Response", "RestMixin", "json_response", "not_found", "sha_of",
           "validation_error"]

Response = tuple[int, dict[str, str], bytes]


def sha_of(*parts: object) -> str:
    """A stable fake git object id."""
    return hashlib.sha1("\0".join(map(str, parts)).encode()).hexdigest()


def json_response(status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
    out = {"Content-Type": "application/json; charset=utf-8"}
    out.update(headers or {})
    return status, out, json.dumps(data).encode()


def not_found() -> Response:
    return json_response(404, {"message": "Not Found",
                               "documentation_url": "https://docs.github.com/rest"})


def validation_error(message: str) -> Response:
    return json_response(422, {"message": "Validation Failed",
                               "errors": [{"resource": "PullRequest", "code": "custom",
                                           "message": message}]})


@dataclass(frozen=True)
class RepoSettings:
    """A repository the server answers for: its default branch and optional git backing."""

    default_branch: str = "main"
    git_dir: Path | None = None

    def git(self, *args: str) -> str | None:
        """``git ARGS`` in the backing directory; None when it fails."""
        assert self.git_dir is not None
        proc = subprocess.run(["git", *args], cwd=self.git_dir, capture_output=True,
                              text=True, check=False)
        return proc.stdout if proc.returncode == 0 else None


class RestMixin:
    """REST endpoints over ``fixtures`` (read-only PRs) and in-memory state."""

    fixtures: dict[str, dict[int, dict[str, Any]]]
    pulls: dict[int, dict[str, Any]]
    branches: dict[str, dict[str, str]]
    contents: dict[tuple[str, str, str], str]
    repos: dict[str, RepoSettings]
    login: str

    REST_ROUTES: ClassVar[list[tuple[str, str, str]]] = [
        ("GET", r"/user", "_user"),
        ("GET", r"/rate_limit", "_rate_limit"),
        ("GET", r"/repos/(?P<repo>[^/]+/[^/]+)", "_get_repo"),
        ("GET", r"/repos/(?P<repo>[^/]+/[^/]+)/pulls", "_list_pulls"),
        ("POST", r"/repos/(?P<repo>[^/]+/[^/]+)/pulls", "_create_pull"),
        ("GET", r"/repos/(?P<repo>[^/]+/[^/]+)/pulls/(?P<n>\d+)", "_get_pull"),
        ("PATCH", r"/repos/(?P<repo>[^/]+/[^/]+)/pulls/(?P<n>\d+)", "_patch_pull"),
        ("GET", r"/repos/(?P<repo>[^/]+/[^/]+)/pulls/(?P<n>\d+)/files", "_pull_files"),
        ("POST", r"/repos/(?P<repo>[^/]+/[^/]+)/issues/(?P<n>\d+)/labels", "_add_labels"),
        ("POST", r"/repos/(?P<repo>[^/]+/[^/]+)/issues/(?P<n>\d+)/comments", "_add_comment"),
        ("GET", r"/repos/(?P<repo>[^/]+/[^/]+)/branches/(?P<b>.+)", "_get_branch"),
        ("GET", r"/repos/(?P<repo>[^/]+/[^/]+)/git/refs/heads/(?P<b>.+)", "_get_ref"),
        ("GET", r"/repos/(?P<repo>[^/]+/[^/]+)/git/ref/heads/(?P<b>.+)", "_get_ref"),
        ("PATCH", r"/repos/(?P<repo>[^/]+/[^/]+)/git/refs/heads/(?P<b>.+)", "_patch_ref"),
        ("DELETE", r"/repos/(?P<repo>[^/]+/[^/]+)/git/refs/heads/(?P<b>.+)", "_delete_ref"),
        ("POST", r"/repos/(?P<repo>[^/]+/[^/]+)/git/refs", "_create_ref"),
        ("GET", r"/repos/(?P<repo>[^/]+/[^/]+)/contents/(?P<p>.+)", "_get_contents"),
        ("PUT", r"/repos/(?P<repo>[^/]+/[^/]+)/contents/(?P<p>.+)", "_put_contents"),
        ("GET", r"/repos/(?P<repo>[^/]+/[^/]+)/commits/(?P<sha>[0-9a-fA-F]+)/pulls",
         "_commit_pulls"),
    ]


    def _settings(self, repo: str) -> RepoSettings:
        return self.repos.get(repo) or RepoSettings()

    def _default_branch(self, repo: str) -> str:
        return self._settings(repo).default_branch

    def _branches(self, repo: str) -> dict[str, str]:
        """Branch -> sha; read from git for a git-backed repository (REST writes to its
        refs are then not kept: git is the truth)."""
        settings = self._settings(repo)
        if settings.git_dir is not None:
            out = settings.git("for-each-ref", "refs/heads",
                               "--format=%(refname:strip=2) %(objectname)") or ""
            return dict(line.rsplit(" ", 1) for line in out.splitlines() if line.strip())
        default = settings.default_branch
        return self.branches.setdefault(repo, {default: sha_of(repo, default)})

    def _repo_json(self, repo: str, base: str) -> dict[str, Any]:
        owner, name = repo.split("/")
        return {"id": int(sha_of(repo)[:6], 16), "name": name, "full_name": repo,
                "owner": {"login": owner, "id": int(sha_of(owner)[:6], 16),
                          "type": "Organization", "url": f"{base}/users/{owner}"},
                "private": False, "fork": False,
                "default_branch": self._default_branch(repo),
                "url": f"{base}/repos/{repo}", "html_url": f"https://github.com/{repo}",
                "clone_url": f"https://github.com/{repo}.git",
                "permissions": {"admin": False, "push": True, "pull": True}}

    def _known_repo(self, repo: str) -> bool:
        return repo in self.fixtures or repo in self.branches or repo in self.repos

    def _user(self, *, base: str, **_: Any) -> Response:
        return json_response(200, {"login": self.login, "id": 1, "type": "User",
                           "url": f"{base}/users/{self.login}", "name": "relnotes bot"})

    def _rate_limit(self, **_: Any) -> Response:
        core = {"limit": 5000, "remaining": 4999, "reset": int(time.time()) + 3600, "used": 1}
        return json_response(200, {"resources": {"core": core, "graphql": core}, "rate": core})

    def _get_repo(self, *, repo: str, base: str, **_: Any) -> Response:
        if not self._known_repo(repo):
            return not_found()
        return json_response(200, self._repo_json(repo, base))

    def _pull_json(self, repo: str, number: int, base: str) -> dict[str, Any] | None:
        if number in self.pulls and self.pulls[number]["base"]["repo"]["full_name"] == repo:
            return self.pulls[number]
        pr = self.fixtures.get(repo, {}).get(number)
        if pr is None:
            return None
        state = str(pr.get("state", "MERGED")).lower()
        return self._new_pull_json(repo, base, number, title=pr.get("title", ""),
                                   body=pr.get("body", ""), head=f"pr-{number}",
                                   base_ref=self._default_branch(repo),
                                   state="open" if state == "open" else "closed",
                                   merged=bool(pr.get("merged")), merged_at=pr.get("mergedAt"),
                                   labels=pr.get("labels", []), author=pr.get("author"),
                                   changed_files=len(pr.get("files", [])))

    def _new_pull_json(self, repo: str, base: str, number: int, *, title: str, body: str,
                       head: str, base_ref: str, state: str = "open", merged: bool = False,
                       merged_at: str | None = None, labels: list[str] | None = None,
                       author: str | None = None, changed_files: int = 0,
                       draft: bool = False) -> dict[str, Any]:
        owner = repo.split("/")[0]
        head_owner, _, head_ref = head.rpartition(":")
        repo_json = self._repo_json(repo, base)
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return {
            "url": f"{base}/repos/{repo}/pulls/{number}", "id": 10_000_000 + number,
            "issue_url": f"{base}/repos/{repo}/issues/{number}",
            "comments_url": f"{base}/repos/{repo}/issues/{number}/comments",
            "commits_url": f"{base}/repos/{repo}/pulls/{number}/commits",
            "number": number, "state": state, "title": title, "body": body, "draft": draft,
            "user": {"login": author or self.login, "id": 1, "type": "User"},
            "labels": [{"name": name, "id": int(sha_of(name)[:6], 16)} for name in labels or []],
            "html_url": f"https://github.com/{repo}/pull/{number}",
            "head": {"ref": head_ref, "label": f"{head_owner or owner}:{head_ref}",
                     "sha": self._branches(repo).get(head_ref, sha_of(repo, head_ref)),
                     "repo": repo_json},
            "base": {"ref": base_ref, "label": f"{owner}:{base_ref}",
                     "sha": self._branches(repo).get(base_ref, sha_of(repo, base_ref)),
                     "repo": repo_json},
            "merged": merged, "merged_at": merged_at, "mergeable": None,
            "created_at": now, "updated_at": now, "closed_at": None,
            "changed_files": changed_files, "maintainer_can_modify": True,
        }

    def _list_pulls(self, *, repo: str, query: dict[str, list[str]], **_: Any) -> Response:
        if not self._known_repo(repo):
            return not_found()
        state = query.get("state", ["open"])[0]
        head = query.get("head", [None])[0]
        base_ref = query.get("base", [None])[0]
        found = [p for p in self.pulls.values()
                 if p["base"]["repo"]["full_name"] == repo
                 and (state == "all" or p["state"] == state)
                 and (head is None or p["head"]["label"] == head
                      or (":" not in head and p["head"]["ref"] == head))
                 and (base_ref is None or p["base"]["ref"] == base_ref)]
        return json_response(200, found)

    def _create_pull(self, *, repo: str, body: dict[str, Any], base: str, **_: Any) -> Response:
        if not self._known_repo(repo):
            return not_found()
        missing = [k for k in ("title", "head", "base") if not body.get(k)]
        if missing:
            return validation_error(f"missing field(s): {', '.join(missing)}")
        head = str(body["head"])
        if ":" not in head:
            head = f"{repo.split('/')[0]}:{head}"
        for pull in self.pulls.values():
            if (pull["state"] == "open" and pull["head"]["label"] == head
                    and pull["base"]["ref"] == body["base"]):
                return validation_error(f"A pull request already exists for {head}.")
        head_ref = head.split(":", 1)[1]
        branches = self._branches(repo)
        if str(body["base"]) not in branches:
            return _invalid("base", f"base branch {body['base']!r} does not exist")
        if self._settings(repo).git_dir is not None:
            if head_ref not in branches:  # GitHub: the head branch must have been pushed
                return _invalid("head", f"head branch {head_ref!r} does not exist")
        else:
            branches.setdefault(head_ref, sha_of(repo, head_ref, time.time()))
        taken = set(self.pulls) | set(self.fixtures.get(repo, {}))
        number = max(taken, default=0) + 1
        self.pulls[number] = self._new_pull_json(
            repo, base, number, title=str(body["title"]), body=str(body.get("body") or ""),
            head=head, base_ref=str(body["base"]), draft=bool(body.get("draft")))
        return json_response(201, self.pulls[number])

    def _get_pull(self, *, repo: str, n: str, base: str, **_: Any) -> Response:
        pull = self._pull_json(repo, int(n), base)
        return json_response(200, pull) if pull is not None else not_found()

    def _patch_pull(self, *, repo: str, n: str, body: dict[str, Any], base: str,
                    **_: Any) -> Response:
        pull = self._pull_json(repo, int(n), base)
        if pull is None:
            return not_found()
        for key in ("title", "body", "state"):
            if key in body:
                pull[key] = body[key]
        if "base" in body:
            pull["base"]["ref"] = body["base"]
        pull["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.pulls[int(n)] = pull
        return json_response(200, pull)

    def _pull_files(self, *, repo: str, n: str, query: dict[str, list[str]], **_: Any
                    ) -> Response:
        per_page = int(query.get("per_page", ["30"])[0])
        page = int(query.get("page", ["1"])[0])
        window = slice((page - 1) * per_page, page * per_page)
        pull = self.pulls.get(int(n))
        settings = self._settings(repo)
        if pull is not None and settings.git_dir is not None:
            diff = settings.git("diff", "--name-status", "--no-renames",
                                f"refs/heads/{pull['base']['ref']}...refs/heads/"
                                f"{pull['head']['ref']}")
            if diff is None:
                return not_found()
            status = {"A": "added", "D": "removed", "M": "modified"}
            rows = [line.split("\t", 1) for line in diff.splitlines() if line.strip()]
            return json_response(200, [{"filename": name, "status": status.get(code, "modified")}
                                       for code, name in rows[window]])
        pr = self.fixtures.get(repo, {}).get(int(n))
        if pr is None:
            return not_found()
        files = pr.get("files", [])[window]
        return json_response(200, [{"filename": f, "status": "modified"} for f in files])

    def _add_labels(self, *, repo: str, n: str, body: Any, base: str, **_: Any) -> Response:
        pull = self._pull_json(repo, int(n), base)
        if pull is None:
            return not_found()
        names = body.get("labels", []) if isinstance(body, dict) else body
        have = [label["name"] for label in pull["labels"]]
        for name in names:
            if name not in have:
                pull["labels"].append({"name": name, "id": int(sha_of(name)[:6], 16)})
        self.pulls[int(n)] = pull
        return json_response(200, pull["labels"])

    def _add_comment(self, *, repo: str, n: str, body: dict[str, Any], base: str,
                     **_: Any) -> Response:
        pull = self._pull_json(repo, int(n), base)
        if pull is None:
            return not_found()
        pull.setdefault("comments_posted", []).append(body.get("body", ""))
        self.pulls[int(n)] = pull
        return json_response(201, {"id": len(pull["comments_posted"]), "body": body.get("body", ""),
                           "user": {"login": self.login},
                           "url": f"{base}/repos/{repo}/issues/comments/1"})

    def _ref_json(self, repo: str, branch: str, base: str) -> dict[str, Any]:
        sha = self._branches(repo)[branch]
        return {"ref": f"refs/heads/{branch}", "url": f"{base}/repos/{repo}/git/refs/heads/{branch}",
                "object": {"sha": sha, "type": "commit",
                           "url": f"{base}/repos/{repo}/git/commits/{sha}"}}

    def _get_branch(self, *, repo: str, b: str, base: str, **_: Any) -> Response:
        if not self._known_repo(repo) or b not in self._branches(repo):
            return json_response(404, {"message": "Branch not found"})
        sha = self._branches(repo)[b]
        return json_response(200, {"name": b, "protected": False,
                           "commit": {"sha": sha,
                                      "url": f"{base}/repos/{repo}/commits/{sha}"}})

    def _get_ref(self, *, repo: str, b: str, base: str, **_: Any) -> Response:
        if not self._known_repo(repo) or b not in self._branches(repo):
            return not_found()
        return json_response(200, self._ref_json(repo, b, base))

    def _create_ref(self, *, repo: str, body: dict[str, Any], base: str, **_: Any) -> Response:
        ref = str(body.get("ref", ""))
        if not ref.startswith("refs/heads/") or not body.get("sha"):
            return validation_error("ref must start with refs/heads/ and sha is required")
        branch = ref[len("refs/heads/"):]
        if branch in self._branches(repo):
            return validation_error("Reference already exists")
        self._branches(repo)[branch] = str(body["sha"])
        return json_response(201, self._ref_json(repo, branch, base))

    def _patch_ref(self, *, repo: str, b: str, body: dict[str, Any], base: str,
                   **_: Any) -> Response:
        if b not in self._branches(repo):
            return not_found()
        self._branches(repo)[b] = str(body.get("sha", self._branches(repo)[b]))
        return json_response(200, self._ref_json(repo, b, base))

    def _delete_ref(self, *, repo: str, b: str, **_: Any) -> Response:
        if self._branches(repo).pop(b, None) is None:
            return not_found()
        return 204, {}, b""

    def _content_json(self, repo: str, ref: str, path: str, base: str) -> dict[str, Any]:
        text = self.contents[(repo, ref, path)]
        return {"type": "file", "encoding": "base64", "name": path.rsplit("/", 1)[-1],
                "path": path, "sha": sha_of(text), "size": len(text.encode()),
                "content": base64.b64encode(text.encode()).decode(),
                "url": f"{base}/repos/{repo}/contents/{path}?ref={ref}"}

    def _get_contents(self, *, repo: str, p: str, query: dict[str, list[str]], base: str,
                      **_: Any) -> Response:
        ref = query.get("ref", [self._default_branch(repo)])[0]
        if (repo, ref, p) not in self.contents:
            return not_found()
        return json_response(200, self._content_json(repo, ref, p, base))

    def _put_contents(self, *, repo: str, p: str, body: dict[str, Any], base: str,
                      **_: Any) -> Response:
        ref = str(body.get("branch") or self._default_branch(repo))
        key = (repo, ref, p)
        if key in self.contents and body.get("sha") != sha_of(self.contents[key]):
            return json_response(409, {"message": f"{p} does not match {body.get('sha')}"})
        created = key not in self.contents
        self.contents[key] = base64.b64decode(body.get("content", "")).decode()
        commit = sha_of(repo, ref, p, time.time())
        self._branches(repo)[ref] = commit
        return json_response(201 if created else 200, {
            "content": self._content_json(repo, ref, p, base),
            "commit": {"sha": commit, "message": body.get("message", ""),
                       "url": f"{base}/repos/{repo}/git/commits/{commit}"}})


    def _commit_pulls(self, *, repo: str, sha: str, base: str, **_: Any) -> Response:
        """GitHub's ``/commits/{sha}/pulls``: the pull requests a commit belongs to; 422
        for a commit the repository does not have (or a hash of fewer than 7 digits)."""
        if not self._known_repo(repo):
            return not_found()
        sha = sha.lower()
        holding = sorted(n for n, pr in self.fixtures.get(repo, {}).items()
                         if len(sha) >= 7 and any(str(c).lower().startswith(sha)
                                                  for c in pr.get("commits", [])))
        if not holding:
            return json_response(422, {"message": f"No commit found for SHA: {sha}"})
        pulls = [self._pull_json(repo, n, base) for n in holding]
        return json_response(200, [{**p, "merge_commit_sha": self.fixtures[repo][n]["commits"][-1]}
                                   for n, p in zip(holding, pulls, strict=True) if p])


def _invalid(field: str, message: str) -> Response:
    """GitHub's 422 for a pull request field that names nothing."""
    return json_response(422, {"message": "Validation Failed",
                               "errors": [{"resource": "PullRequest", "field": field,
                                           "code": "invalid", "message": message}]})
