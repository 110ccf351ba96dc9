"""The GitHub-compatible test server: REST through PyGithub, GraphQL, faults, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from github import Auth, Github, GithubException
from graphql import parse, validate

from relnotes.github.client import build_query
from tests.github_server import FakeGitHub, RunningServer, load_fixtures, start_server
from tests.github_server.graphql_api import SCHEMA, execute
from tests.github_server.synth import synthesize
from tests.helpers import REPO


def _gh(server: RunningServer) -> Github:
    return Github(auth=Auth.Token("test-token"), base_url=server.url, retry=None,
                  seconds_between_requests=None, seconds_between_writes=None)


def test_pull_request_submission_flow_through_pygithub(fake_github: RunningServer) -> None:
    gh = _gh(fake_github)
    assert gh.get_user().login == "relnotes-bot"
    repo = gh.get_repo("pytorch/pytorch")
    assert repo.full_name == "pytorch/pytorch" and repo.default_branch == "main"
    main_sha = repo.get_branch("main").commit.sha
    repo.create_git_ref("refs/heads/relnotes/quantization", main_sha)
    assert repo.get_git_ref("heads/relnotes/quantization").object.sha == main_sha
    assert repo.get_branch("relnotes/quantization").name == "relnotes/quantization"

    pr = repo.create_pull(title="[release notes] quantization", body="curated",
                          head="relnotes/quantization", base="main")
    assert pr.number not in fake_github.fake.fixtures["pytorch/pytorch"]
    assert fake_github.pulls[pr.number]["title"] == "[release notes] quantization"
    assert pr.html_url.endswith(f"/pull/{pr.number}")
    open_prs = repo.get_pulls(state="open", head="pytorch:relnotes/quantization", base="main")
    assert [p.number for p in open_prs] == [pr.number]
    with pytest.raises(GithubException) as dup:
        repo.create_pull(title="again", body="", head="relnotes/quantization", base="main")
    assert dup.value.status == 422

    pr.edit(body="curated, second pass")
    assert repo.get_pull(pr.number).body == "curated, second pass"
    pr.add_to_labels("release notes")
    pr.create_issue_comment("ready for review")
    assert fake_github.pulls[pr.number]["comments_posted"] == ["ready for review"]
    assert [label.name for label in repo.get_pull(pr.number).labels] == ["release notes"]


def test_contents_round_trip(fake_github: RunningServer) -> None:
    repo = _gh(fake_github).get_repo("pytorch/pytorch")
    created = repo.create_file("done/quantization.md", "add", "## quantization\n", branch="main")
    got = repo.get_contents("done/quantization.md", ref="main")
    assert got.decoded_content == b"## quantization\n"  # type: ignore[union-attr]
    repo.update_file("done/quantization.md", "edit", "## quantization\n- x\n",
                     created["content"].sha, branch="main")
    got = repo.get_contents("done/quantization.md", ref="main")
    assert got.decoded_content.endswith(b"- x\n")  # type: ignore[union-attr]


def test_fixture_prs_over_rest_and_unknown_things(fake_github: RunningServer) -> None:
    gh = _gh(fake_github)
    repo = gh.get_repo("pytorch/pytorch")
    pr = repo.get_pull(139505)
    assert pr.merged and "module: bc-breaking" in [label.name for label in pr.labels]
    with pytest.raises(GithubException) as missing:
        repo.get_pull(1)
    assert missing.value.status == 404
    with pytest.raises(GithubException):
        gh.get_repo("nobody/nothing")
    with pytest.raises(GithubException):
        repo.get_branch("no-such-branch")


def test_graphql_queries_with_variables_fragments_and_aliases() -> None:
    fake = FakeGitHub()
    query = """query Q($n: Int!) { repository(owner: "pytorch", name: "pytorch") {
        x: pullRequest(number: $n) { ...f labels(first: 1) { nodes { name } } }
        y: pullRequest(number: 1) { ... on PullRequest { title } }
        z: pullRequest(number: 139505) { author { login } state } } }
        fragment f on PullRequest { number merged }"""
    out = execute(fake, query, variables={"n": 139505})
    pr = fake.fixtures["pytorch/pytorch"][139505]
    assert out["data"]["repository"] == {
        "x": {"number": 139505, "merged": True, "labels": {"nodes": [{"name": pr["labels"][0]}]}},
        "y": None,
        "z": {"author": {"login": pr["author"]}, "state": "MERGED"}}
    assert [(e["path"], e["type"]) for e in out["errors"]] == [(["repository", "y"], "NOT_FOUND")]


def test_graphql_refuses_what_github_would() -> None:
    """A document that does not parse, or asks for what GitHub's schema lacks, gets
    ``errors`` and no ``data``."""
    fake = FakeGitHub()
    broken = execute(fake, "query { broken ")
    assert "data" not in broken and "Syntax Error" in broken["errors"][0]["message"]
    unknown = execute(fake, 'query { repository(owner: "pytorch", name: "pytorch") { '
                            "p1: pullRequest(number: 139505) { reviewers } } }")
    assert "data" not in unknown and "reviewers" in unknown["errors"][0]["message"]
    too_many = execute(fake, 'query { repository(owner: "pytorch", name: "pytorch") { '
                             "pullRequest(number: 139505) { files(first: 101) { totalCount } } } }")
    assert too_many["data"]["repository"]["pullRequest"]["files"] is None
    assert too_many["errors"][0]["type"] == "INVALID_ARGUMENT"


def test_the_queries_relnotes_sends_are_valid_against_the_schema() -> None:
    """Both shapes build_query makes: whole records, and next pages after a cursor."""
    whole = build_query("pytorch/pytorch", {1: None, 2: None}, label_page=100, file_page=100)
    pages = build_query("pytorch/pytorch", {3: {"labels": "Y3Vyc29yOjEwMA==", "files": None}},
                        label_page=50, file_page=100)
    for query in (whole, pages):
        assert validate(SCHEMA, parse(query)) == [], query


def test_faults_and_log_over_http(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    running = start_server(FakeGitHub(log_path=log))
    try:
        req = urllib.request.Request(f"{running.url}/_fake/inject", method="POST",
                                     data=json.dumps({"fault": "429", "retry_after": 7}).encode())
        assert json.load(urllib.request.urlopen(req)) == {"ok": True}
        with pytest.raises(urllib.error.HTTPError) as limited:
            urllib.request.urlopen(f"{running.url}/user")
        assert limited.value.code == 429 and limited.value.headers["Retry-After"] == "7"
        assert json.load(urllib.request.urlopen(f"{running.url}/user"))["login"]
    finally:
        running.stop()
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["path"], e["status"], e.get("fault")) for e in lines] == [
        ("/user", 429, "retry_after"), ("/user", 200, None)]


def test_rate_limit_fault_headers(fake_github: RunningServer) -> None:
    fake_github.inject("rate_limit", reset_in=30)
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{fake_github.url}/user")
    assert err.value.code == 403 and err.value.headers["X-RateLimit-Remaining"] == "0"
    assert int(err.value.headers["X-RateLimit-Reset"]) > 0
    with pytest.raises(ValueError):
        fake_github.inject("no-such-fault")


def test_required_token(tmp_path: Path) -> None:
    running = start_server(FakeGitHub(token="s3cret"))
    try:
        gh = Github(auth=Auth.Token("wrong"), base_url=running.url, retry=None)
        with pytest.raises(GithubException) as bad:
            gh.get_user().login  # noqa: B018
        assert bad.value.status == 401
        gh = Github(auth=Auth.Token("s3cret"), base_url=running.url, retry=None)
        assert gh.get_user().login == "relnotes-bot"
        assert all("s3cret" not in json.dumps(r) for r in running.requests)
    finally:
        running.stop()


def test_fixtures_cover_the_worksheet_with_realistic_data() -> None:
    prs = load_fixtures()["pytorch/pytorch"]
    assert len(prs) == 60
    bodies = "\n".join(p["body"] for p in prs.values())
    assert "Stack from [ghstack]" in bodies and "Fixes #" in bodies and "cc @" in bodies
    labels = {label for p in prs.values() for label in p["labels"]}
    assert {"release notes: quantization", "topic: not user facing", "module: bc-breaking",
            "ciflow/trunk", "Merged", "open source"} <= labels
    assert max(len(p["files"]) for p in prs.values()) > 100


def test_synthetic_prs_are_deterministic_and_varied() -> None:
    a, b = synthesize(500, seed=3), synthesize(500, seed=3)
    assert a == b and len({p["number"] for p in a}) == 500
    assert any(len(p["files"]) > 100 for p in a)
    assert any(p["title"].startswith('Revert "') for p in a)


def test_runs_standalone(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "tests.github_server", "--port", "0",
                             "--log", str(log), "--synthetic", "10",
                             "--repo", "acme/notes", "--default-branch", "master"],
                            stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = line.split(" at ")[-1].strip()
        assert "70 PRs" in line and url.startswith("http://127.0.0.1:")
        query = {"query": 'query { repository(owner: "pytorch", name: "pytorch") { '
                          "a: pullRequest(number: 150003) { number } } }"}
        req = urllib.request.Request(f"{url}/graphql", data=json.dumps(query).encode(),
                                     method="POST")
        data: dict[str, Any] = json.load(urllib.request.urlopen(req))
        assert data["data"]["repository"]["a"]["number"] == 150003
        notes = json.load(urllib.request.urlopen(f"{url}/repos/acme/notes"))
        assert notes["default_branch"] == "master"
    finally:
        proc.terminate()
        proc.wait(10)
    assert json.loads(log.read_text().splitlines()[0])["prs"] == 1


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


def test_a_configured_repository_with_git_backing(fake_github: RunningServer,
                                                  tmp_path: Path) -> None:
    """Any repository a test names, with its default branch; branches, PR validation and
    PR files come from a real (bare) git repository."""
    bare, work = tmp_path / "remote.git", tmp_path / "work"
    _git("init", "-q", "--bare", "-b", "master", str(bare), cwd=tmp_path)
    _git("init", "-q", "-b", "master", str(work), cwd=tmp_path)
    (work / "a.md").write_text("a\n")
    _git("add", "a.md", cwd=work)
    _git("-c", "user.name=T", "-c", "user.email=t@x", "commit", "-q", "-m", "a", cwd=work)
    _git("push", "-q", str(bare), "master", cwd=work)
    fake_github.add_repo("acme/notes", default_branch="master", git_dir=bare)
    repo = _gh(fake_github).get_repo("acme/notes")
    assert repo.default_branch == "master"
    assert repo.get_branch("master").commit.sha == _git("rev-parse", "HEAD", cwd=work).strip()
    with pytest.raises(GithubException) as unpushed:  # GitHub: the head must be pushed
        repo.create_pull(title="t", body="", head="topic", base="master")
    assert unpushed.value.status == 422
    with pytest.raises(GithubException) as no_base:
        repo.create_pull(title="t", body="", head="master", base="main")
    assert no_base.value.status == 422
    (work / "b.md").write_text("b\n")
    _git("rm", "-q", "a.md", cwd=work)
    _git("add", "b.md", cwd=work)
    _git("-c", "user.name=T", "-c", "user.email=t@x", "commit", "-q", "-m", "b", cwd=work)
    _git("push", "-q", str(bare), "HEAD:refs/heads/topic", cwd=work)
    pull = repo.create_pull(title="t", body="", head="topic", base="master")
    assert sorted((f.filename, f.status) for f in pull.get_files()) == [
        ("a.md", "removed"), ("b.md", "added")]
    # GraphQL answers for it too (no fixture PRs: a number is simply not found)
    query = {"query": 'query { repository(owner: "acme", name: "notes") { '
                      "p1: pullRequest(number: 1) { number } } }"}
    req = urllib.request.Request(f"{fake_github.url}/graphql", data=json.dumps(query).encode(),
                                 method="POST")
    data = json.load(urllib.request.urlopen(req))
    assert data["data"]["repository"]["p1"] is None
    assert "PullRequest" in data["errors"][0]["message"]
    with pytest.raises(GithubException):
        _gh(fake_github).get_repo("acme/other")  # only what a test configures
