"""Items that carry only a commit hash are tied to their pull request.

Issue 19: 0-15 items per finished release (hundreds in the generated ``todo/``) have a
commit hash and no PR link, and were never tied to their PR, though GitHub answers which
PR a commit belongs to (``GET /repos/{owner}/{repo}/commits/{sha}/pulls``). ``relnotes
fetch`` resolves them (cached like PR metadata); triage and review see the item's PR.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relnotes.worksheet import parse_worksheet
from tests.github_server import RunningServer
from tests.helpers import run_cli

SHA = "c4688af254c1d0e5f3a2b9c8d7e6f5a4b3c2d1e0"  # what the fixtures say PR 141570 landed as
LONE = "a1b2c3d4e5f"  # a commit GitHub knows no pull request of
WORKSHEET = """# Release Notes worksheet quantization

## quantization
### bug fixes
- Fix the observer ([#144726](https://github.com/pytorch/pytorch/pull/144726))
### Untopiced
- Improve implementation of quantized_batch_norm (c4688af254c)
- Fix lint (a1b2c3d4e5f)
### not user facing
"""


@pytest.fixture
def folder(tmp_path: Path, fake_github: RunningServer,
           monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("RELNOTES_CACHE", raising=False)
    fake_github.fake.fixtures["pytorch/pytorch"][141570]["commits"] = [SHA]
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.relnotes]\napi_url = "{fake_github.url}"\n'
        f'cache_path = "{tmp_path / "cache.sqlite"}"\ntoken_env = "RELNOTES_FAKE_TOKEN"\n')
    (tmp_path / "todo").mkdir()
    (tmp_path / "todo" / "quantization.md").write_text(WORKSHEET)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_server_answers_which_pull_requests_hold_a_commit(fake_github: RunningServer
                                                              ) -> None:
    fake_github.fake.fixtures["pytorch/pytorch"][141570]["commits"] = [SHA]
    for sha in (SHA, SHA[:11]):
        status, _, body = fake_github.fake.handle(
            "GET", f"/repos/pytorch/pytorch/commits/{sha}/pulls", {}, b"", fake_github.url)
        pulls = json.loads(body)
        assert status == 200 and [p["number"] for p in pulls] == [141570]
        assert pulls[0]["merged_at"] and pulls[0]["base"]["ref"] == "main"
    status, _, body = fake_github.fake.handle(
        "GET", f"/repos/pytorch/pytorch/commits/{LONE}/pulls", {}, b"", fake_github.url)
    assert status == 422 and "No commit found" in json.loads(body)["message"]


def test_fetch_ties_commit_only_items_to_their_pull_requests(
        folder: Path, fake_github: RunningServer) -> None:
    out = json.loads(run_cli("fetch", "todo/quantization.md", "--format", "json").stdout)
    assert out["commits"] == {"c4688af254c": 141570, LONE: None}
    assert {pr["number"] for pr in out["prs"]} == {144726, 141570}  # its metadata too
    asked = [r for r in fake_github.requests if "/commits/" in r["path"]]
    assert len(asked) == 2
    text = run_cli("fetch", "todo/quantization.md").stdout  # from the cache now
    assert "2 commit(s) without a PR link: 1 tied to a PR, 1 without one (2 from cache)" in text
    assert len([r for r in fake_github.requests if "/commits/" in r["path"]]) == 2
    offline = json.loads(run_cli("fetch", "todo/quantization.md", "--offline",
                                 "--format", "json").stdout)
    assert offline["commits"] == out["commits"]


def test_triage_and_review_see_the_pull_request_of_a_commit_only_item(
        folder: Path, fake_github: RunningServer) -> None:
    from relnotes.config import load_config
    from relnotes.github import metadata_for
    from relnotes.github.fetch import item_prs
    from relnotes.review import describe
    from relnotes.triage.run import triage_worksheet

    def reasons() -> list[str]:
        out = json.loads(run_cli("triage", "todo/quantization.md", "--offline",
                                 "--format", "json").stdout)
        (item,) = [i for i in out["worksheets"][0]["items"] if "batch_norm" in i["title"]]
        return item["suggestion"]["reasons"]

    assert not any("metadata" in r.lower() for r in reasons())  # nothing fetched yet
    run_cli("fetch", "todo/quantization.md")
    assert any("not user facing" in r and "metadata" in r.lower() for r in reasons()), \
        reasons()

    ws = parse_worksheet(WORKSHEET, path="todo/quantization.md")
    config = load_config(folder / "todo" / "quantization.md")
    commits = [c for i in ws.items() if not i.all_prs for c in i.commits]
    metadata = metadata_for([144726], commits=commits, config=config, offline=True)
    item = ws.items()[1]
    assert item.prs == [] and item_prs(item, metadata) == [141570]
    assert item_prs(ws.items()[2], metadata) == []  # no PR: none invented
    (suggestion,) = [s for s in triage_worksheet(ws, metadata=metadata)
                     if s.item is item]
    shown = describe(suggestion, index=1, total=1, metadata=metadata)
    assert "PR #141570 (of commit c4688af254c): Improve implementation" in shown
    assert "by cyyever" in shown


def test_the_pull_request_that_merged_the_commit_is_taken() -> None:
    from relnotes.github.commits import pick_pull

    pulls = [{"number": 7, "merged_at": None}, {"number": 8, "merged_at": "2025-01-01"},
             {"number": 9, "merged_at": "2025-01-02", "merge_commit_sha": SHA}]
    assert pick_pull(SHA[:11], pulls) == 9
    assert pick_pull(SHA[:11], pulls[:2]) == 8 and pick_pull(SHA, pulls[:1]) == 7
    assert pick_pull(SHA, []) is None


def test_commits_github_cannot_be_asked_about_are_said_and_not_cached(
        folder: Path, fake_github: RunningServer) -> None:
    out = run_cli("fetch", "todo/quantization.md", "--api-url", "http://127.0.0.1:9",
                  expect=1)
    assert "could not ask GitHub about 2 commit(s)" in out.stderr
    assert "cannot connect" in out.stderr
    again = json.loads(run_cli("fetch", "todo/quantization.md", "--format", "json").stdout)
    assert again["commits"] == {"c4688af254c": 141570, LONE: None}  # nothing wrong was kept
