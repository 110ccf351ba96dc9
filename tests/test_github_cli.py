"""``relnotes fetch`` end to end against the local server; the token never leaks."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests.github_server import FakeGitHub, start_server
from tests.helpers import run_cli

WORKSHEET = str(Path(__file__).resolve().parents[1] / "todo" / "quantization.md")
TOKEN = "ghp_RELNOTEStestTOKEN_5e3c1a9b7d"  # distinctive, so any leak is found by grep


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache.sqlite"
    monkeypatch.setenv("RELNOTES_CACHE", str(path))
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    return path


def test_fetch_text_then_json(fake_github, cache: Path) -> None:  # type: ignore[no-untyped-def]
    first = run_cli("fetch", WORKSHEET, "--prs", "1", "--api-url", fake_github.url)
    assert "61 PRs, 0 from cache, 61 fetched in" in first.stdout
    assert "not found (1): #1\n" in first.stdout and str(cache) in first.stdout
    second = run_cli("fetch", WORKSHEET, "--api-url", fake_github.url, "--format", "json")
    data = json.loads(second.stdout)
    assert (data["requested"], data["from_cache"], data["fetched"], data["requests"]) == \
        (60, 60, 0, 0)
    assert {p["number"] for p in data["prs"]} >= {139505, 144940}
    assert set(data) == {"repo", "requested", "from_cache", "fetched", "requests",
                         "waited_seconds", "not_found", "failed", "missing", "cache", "prs",
                         "commits"}
    assert second.stderr == ""  # no progress bar, no chatter with json


def test_fetch_usage_and_offline(fake_github, cache: Path) -> None:  # type: ignore[no-untyped-def]
    assert "FILES or --prs" in run_cli("fetch", expect=2).stderr
    assert "not a PR number" in run_cli("fetch", "--prs", "12,abc", expect=2).stderr
    out = run_cli("fetch", "--prs", "139505", "--offline", "--api-url", fake_github.url)
    assert "not cached (1, offline): #139505" in out.stdout
    assert fake_github.requests == []


def test_fetch_failure_exits_1_with_the_list(fake_github, cache: Path) -> None:  # type: ignore[no-untyped-def]
    fake_github.inject("rate_limit", count=50, reset_in=7200)
    result = run_cli("fetch", "--prs", "139505,144940", "--api-url", fake_github.url, expect=1)
    assert result.stderr.startswith("Error: could not fetch 2 PR(s)")
    assert "#139505" in result.stderr and "#144940" in result.stderr


def test_token_never_leaks(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch,
                           caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    log = tmp_path / "server.jsonl"
    running = start_server(FakeGitHub(token=TOKEN, log_path=log))  # 401 unless sent
    try:
        url = running.url
        with caplog.at_level(logging.DEBUG):
            ok = run_cli("-vv", "fetch", WORKSHEET, "--prs", "424242", "--api-url", url)
            assert "61 fetched" in ok.stdout  # the token was sent: the server required it
            running.inject("server_error", count=1)  # one retry, waits 1 s
            retried = run_cli("-vv", "fetch", "--prs", "1,2", "--api-url", url)
            running.inject("malformed", count=1)
            malformed = run_cli("fetch", "--prs", "3", "--api-url", url, "--format", "json")
            running.inject("rate_limit", count=50, reset_in=7200)
            failed = run_cli("-vv", "fetch", "--prs", "5,6", "--api-url", url, expect=1)
            running.fake.clear()
            monkeypatch.setenv("GITHUB_TOKEN", TOKEN + "-wrong")
            refused = run_cli("fetch", "--prs", "4", "--api-url", url, expect=1)
    finally:
        running.stop()
    assert "HTTP 401" in refused.stderr and "$GITHUB_TOKEN" in refused.stderr
    outputs = [ok.output, retried.output, failed.output, malformed.output, refused.output,
               caplog.text,
               log.read_text()]
    assert "retrying in" in caplog.text  # the logs did capture the failing run
    for text in outputs:
        assert TOKEN not in text
    for path in cache.parent.iterdir():
        assert TOKEN.encode() not in path.read_bytes(), path
    assert TOKEN.encode() not in cache.read_bytes()


def test_fetch_reads_every_kind_of_release_file(fake_github, cache: Path,  # type: ignore[no-untyped-def]
                                                tmp_path: Path) -> None:
    """`relnotes fetch 2.8.0/miscategorized.md` failed: every file was read as a
    worksheet. The pool, cherry-picks and final notes give their PRs too."""
    from relnotes.github import document_prs
    from tests.helpers import DATA

    link = "([#{n}](https://github.com/pytorch/pytorch/pull/{n}))"
    pool = tmp_path / "miscategorized.md"
    pool.write_text("# Miscategorized commits\n\nWelcome.\n\n## Untopiced\n\n"
                    f"## cuda (from quantization)\n- Faster conv {link.format(n=139505)}\n\n"
                    f"## not user facing\n- Internal {link.format(n=144940)}\n")
    out = run_cli("fetch", str(pool), "--api-url", fake_github.url, "--format", "json")
    assert json.loads(out.stdout)["requested"] == 2
    final = DATA / "2.8.0" / "final.md"
    cherry = DATA / "2.8.0" / "done" / "cherrypicks.md"
    if not final.exists():
        pytest.skip("real data not available")
    from relnotes.documents import read_document

    notes = read_document(final)
    numbers = document_prs([final])
    assert numbers == list(notes.pr_places()) and len(numbers) > 500
    assert document_prs([cherry]) and document_prs([DATA / "2.8.0" / "miscategorized.md"]) == []
    offline = run_cli("fetch", str(final), str(cherry), "--offline", "--format", "json")
    assert json.loads(offline.stdout)["requested"] == len(document_prs([final, cherry]))


def test_fetch_caps_the_lists_and_refuses_numbers_below_one(fake_github, cache: Path  # type: ignore[no-untyped-def]
                                                              ) -> None:
    """A real folder has thousands of numbers the test server does not know: the text
    output lists 30 and counts the rest; --prs 0 and negatives are usage errors."""
    numbers = ",".join(str(n) for n in range(1, 41))
    out = run_cli("fetch", "--prs", numbers, "--api-url", fake_github.url)
    line = next(x for x in out.stdout.splitlines() if x.startswith("not found"))
    assert line.startswith("not found (40): #1, #2,") and line.endswith("#30 and 10 more")
    offline = run_cli("fetch", "--prs", numbers + ",41", "--offline", "--refresh")
    assert "not cached (41, offline): #1," in offline.stdout
    assert "#30 and 11 more" in offline.stdout
    for bad in ("0", "-5", "12,0", "#0", "²"):
        err = run_cli("fetch", f"--prs={bad}", expect=2).stderr
        assert "is not a PR number" in err, (bad, err)
