"""Fetching PR metadata from the local GitHub-compatible server.

Covers the acceptance of issue 4: request counts cold and warm for the PRs of
todo/quantization.md, resuming an interrupted run, surviving rate limits, 5xx, malformed
bodies and timeouts, unknown numbers, and the give-up path that keeps what was fetched.
"""

from __future__ import annotations

import io
import logging
import math
from pathlib import Path
from typing import Any

import pytest

from relnotes.cli.fetch_cmd import ProgressBar
from relnotes.errors import GitHubError
from relnotes.github import PRRecord, cached_metadata, document_prs, fetch_metadata
from relnotes.github.client import GitHubClient, build_query
from relnotes.github.fetch import describe_failures
from tests.github_server import RunningServer

WORKSHEET = Path(__file__).resolve().parents[1] / "todo" / "quantization.md"


class Sleeps:
    """Records requested waits instead of sleeping, so fault tests take no time."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def _client(server: RunningServer, sleep: Sleeps | None = None, **kw: Any) -> GitHubClient:
    return GitHubClient(repo="pytorch/pytorch", api_url=server.url, sleep=sleep or Sleeps(),
                        **kw)


def _records(numbers: Any, **kw: Any) -> dict[int, PRRecord]:
    """The records of a fetch that must not fail."""
    result = fetch_metadata(numbers, **kw)
    assert not result.failed, result.failed
    return result.records


def _graphql(server: RunningServer) -> list[dict[str, Any]]:
    return [r for r in server.requests if r["path"] == "/graphql"]


def _forced_pages(server: RunningServer, numbers: list[int], batch: int = 50) -> int:
    """Extra requests the fixtures force: per batch, its longest label/file list."""
    prs = server.fake.fixtures["pytorch/pytorch"]
    extra = 0
    for start in range(0, len(numbers), batch):
        sizes = [max(len(prs[n].get("files", [])), len(prs[n].get("labels", [])), 1)
                 for n in numbers[start:start + batch] if n in prs]
        extra += max(math.ceil(s / 100) for s in sizes) - 1
    return extra


def test_cold_fetch_of_the_quantization_worksheet_then_warm(fake_github: RunningServer,
                                                            github_config: Any) -> None:
    numbers = document_prs([WORKSHEET])
    assert len(numbers) == 60
    forced = _forced_pages(fake_github, numbers)
    assert forced >= 1, "fixtures must force pagination somewhere"

    records = _records(numbers, config=github_config)
    cold = len(_graphql(fake_github))
    assert sorted(records) == sorted(numbers)
    assert math.ceil(len(numbers) / 50) <= cold <= math.ceil(len(numbers) / 50) + forced
    # the PR with 262 files and 24 labels came back complete through pagination
    big = records[136965]
    assert len(big.files) == big.changed_files == 262 and len(set(big.files)) == 262
    assert len(big.labels) == 24
    assert records[139505].labels[:2] == ["module: bc-breaking", "topic: bc breaking"]
    assert records[147406].relands == [147035]
    assert records[147406].files == ["test/quantization/pt2e/test_quantize_pt2e.py"]
    assert all(r.merged and r.state == "merged" and r.fetched_at for r in records.values())

    fake_github.fake.clear()
    again = _records(numbers, config=github_config)
    assert fake_github.requests == []
    assert again == records


def test_label_pagination_with_small_pages(fake_github: RunningServer, github_config: Any
                                           ) -> None:
    numbers = document_prs([WORKSHEET])
    client = _client(fake_github, label_page=3, file_page=7)
    result = fetch_metadata(numbers, config=github_config, client=client)
    fixture = fake_github.fake.fixtures["pytorch/pytorch"]
    for n in numbers:
        assert result.records[n].labels == fixture[n]["labels"]
        assert result.records[n].files == fixture[n]["files"]
    assert result.requests > 2  # many pagination rounds, still one request per round


def test_unknown_number_is_reported_and_batch_kept(fake_github: RunningServer,
                                                   github_config: Any) -> None:
    numbers = [139505, 999_999_9, 144940]
    result = fetch_metadata(numbers, config=github_config)
    assert result.not_found == [9999999]
    assert result.records[139505].found and result.records[144940].found
    assert not result.records[9999999].found
    assert len(_graphql(fake_github)) == 1
    # not-found is cached too: asking again costs nothing
    fake_github.fake.clear()
    assert not _records(numbers, config=github_config)[9999999].found
    assert fake_github.requests == []


def test_interrupted_run_resumes_without_refetching(fake_github: RunningServer,
                                                    github_config: Any) -> None:
    numbers = document_prs([WORKSHEET])

    class Interrupted(GitHubClient):
        calls = 0

        def fetch_batch(self, batch: list[int], **kw: Any) -> Any:
            Interrupted.calls += 1
            if Interrupted.calls == 2:
                raise KeyboardInterrupt  # Ctrl-C while the second batch is on its way
            return super().fetch_batch(batch, **kw)

    client = Interrupted(repo="pytorch/pytorch", api_url=fake_github.url)
    with pytest.raises(KeyboardInterrupt):
        fetch_metadata(numbers, config=github_config, client=client)
    # the first batch is stored, except PRs still waiting for more pages of files/labels
    fixture = fake_github.fake.fixtures["pytorch/pytorch"]
    long = [n for n in numbers[:50] if max(len(fixture[n]["files"]), len(fixture[n]["labels"])) > 100]
    assert long, "the first batch should hold a PR that needs pagination"
    saved = cached_metadata(numbers, config=github_config)
    assert sorted(saved) == sorted(set(numbers[:50]) - set(long))

    fake_github.fake.clear()
    records = _records(numbers, config=github_config)
    assert sorted(records) == sorted(numbers)
    # only what the first run did not store is asked for again
    assert _graphql(fake_github)[0]["prs"] == 10 + len(long)


@pytest.mark.parametrize("fault, params", [
    ("rate_limit", {"reset_in": 2}),
    ("retry_after", {"retry_after": 3}),
    ("server_error", {}),
    ("malformed", {}),
])
def test_faults_are_survived(fake_github: RunningServer, github_config: Any,
                             fault: str, params: dict[str, Any],
                             caplog: pytest.LogCaptureFixture) -> None:
    numbers = document_prs([WORKSHEET])
    fake_github.inject(fault, count=2, **params)
    sleeps = Sleeps()
    with caplog.at_level(logging.WARNING):
        result = fetch_metadata(numbers, config=github_config,
                                client=_client(fake_github, sleeps))
    assert not result.failed and len(result.records) == 60
    assert [r.get("fault") for r in fake_github.requests[:2]] == [fault, fault]
    assert len(sleeps.waits) == 2
    if fault == "retry_after":
        assert sleeps.waits == [3.0, 3.0]
    elif fault == "rate_limit":
        assert all(0 < w <= 4 for w in sleeps.waits)
    else:
        assert sleeps.waits == [1.0, 2.0]  # exponential backoff
    assert "retrying in" in caplog.text


def test_bad_gateway_halves_the_batch(fake_github: RunningServer, github_config: Any) -> None:
    numbers = document_prs([WORKSHEET])
    fake_github.inject("502", count=1)
    result = fetch_metadata(numbers, config=github_config, client=_client(fake_github))
    assert not result.failed and len(result.records) == 60
    log = _graphql(fake_github)
    assert log[0]["status"] == 502 and log[0]["prs"] == 50
    assert log[1]["prs"] == 25  # the 50 were split in two


def test_timeout_is_retried(fake_github: RunningServer, github_config: Any) -> None:
    fake_github.inject("hang", count=1, seconds=2.5)
    client = _client(fake_github, timeout=1)
    result = fetch_metadata([139505, 144940], config=github_config, client=client)
    assert not result.failed and len(result.records) == 2
    assert client.requests >= 2


def test_one_pr_error_is_retried_alone(fake_github: RunningServer, github_config: Any) -> None:
    fake_github.fake.pr_errors[144940] = 1
    result = fetch_metadata([139505, 144940, 141049], config=github_config,
                            client=_client(fake_github))
    assert all(r.found for r in result.records.values()) and len(result.records) == 3
    assert [r["prs"] for r in _graphql(fake_github)] == [3, 1]


def test_give_up_lists_failures_and_keeps_the_rest(fake_github: RunningServer,
                                                   github_config: Any) -> None:
    numbers = document_prs([WORKSHEET])
    _records(numbers[:50], config=github_config)
    # the rate limit now resets in an hour, longer than relnotes is willing to wait
    fake_github.inject("rate_limit", count=100, reset_in=3600)
    sleeps = Sleeps()
    result = fetch_metadata(numbers, config=github_config,
                            client=_client(fake_github, sleeps, max_wait=60))
    assert sleeps.waits == []
    assert sorted(result.failed) == sorted(numbers[50:])
    assert "longer than 60s" in result.failed[numbers[50]]
    assert sorted(result.records) == sorted(numbers[:50])
    again = fetch_metadata(numbers, config=github_config)  # as `relnotes fetch` reports it
    message = describe_failures(again.failed)
    assert f"#{numbers[50]}" in message and f"#{numbers[0]}" not in message
    assert "run again to resume" in message
    assert sorted(cached_metadata(numbers, config=github_config)) == sorted(numbers[:50])


def test_partial_failure_keeps_fetched_batches(fake_github: RunningServer,
                                               github_config: Any) -> None:
    numbers = document_prs([WORKSHEET])
    client = _client(fake_github, max_attempts=2)

    original = client.fetch_batch

    def fetch_batch(batch: list[int], **kw: Any) -> Any:
        if numbers[55] in batch:
            fake_github.inject("server_error", count=2)  # both attempts of this batch
        return original(batch, **kw)

    client.fetch_batch = fetch_batch  # type: ignore[method-assign]
    result = fetch_metadata(numbers, config=github_config, client=client)
    # PRs of the first batch that still waited for pages of files are given up too
    fixture = fake_github.fake.fixtures["pytorch/pytorch"]
    long = {n for n in numbers[:50] if len(fixture[n]["files"]) > 100}
    assert sorted(result.failed) == sorted(set(numbers[50:]) | long)
    assert sorted(cached_metadata(numbers, config=github_config)) == \
        sorted(set(numbers[:50]) - long)


def test_refresh_and_offline(fake_github: RunningServer, github_config: Any) -> None:
    _records([139505], config=github_config)
    fake_github.fake.fixtures["pytorch/pytorch"][139505]["labels"].append("Reverted")
    assert "Reverted" not in _records([139505], config=github_config)[139505].labels
    refreshed = _records([139505], config=github_config, refresh=True)
    assert "Reverted" in refreshed[139505].labels
    fake_github.fake.clear()
    offline = fetch_metadata([139505, 144940], config=github_config, offline=True)
    assert sorted(offline.records) == [139505] and offline.missing == [144940]
    assert fake_github.requests == []


def test_progress_bar_counts_and_ends_its_line() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream=stream)
    bar(50, 60, 2)
    bar(60, 60, 3)
    bar.close()
    assert "50/60 (2 requests)" in stream.getvalue() and "60/60 (3 requests)" in stream.getvalue()
    assert stream.getvalue().endswith("\n")
    quiet = io.StringIO()
    ProgressBar(stream=quiet).close()  # never drawn: nothing to end
    assert quiet.getvalue() == ""


def test_query_shape_uses_aliases_and_one_fragment() -> None:
    query = build_query("pytorch/pytorch", {1: None, 2: None}, label_page=100, file_page=100)
    assert "p1: pullRequest(number: 1)" in query and "p2: pullRequest(number: 2)" in query
    assert query.count("fragment pr on PullRequest") == 1
    follow = build_query("pytorch/pytorch", {3: {"files": "Y3Vyc29yOjEwMA=="}},
                         label_page=100, file_page=100)
    assert 'files(first: 100, after: "Y3Vyc29yOjEwMA==")' in follow and "labels" not in follow


def test_records_are_prrecords(fake_github: RunningServer, github_config: Any) -> None:
    got = _records([145412], config=github_config)[145412]
    assert isinstance(got, PRRecord) and got.author == "andrewor14"
    assert got.files == ["docs/source/index.rst", "docs/source/quantization.rst"]


def test_unreachable_server_gives_up_quickly(github_config: Any) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps = Sleeps()
    client = GitHubClient(repo="pytorch/pytorch", api_url=f"http://127.0.0.1:{port}",
                          sleep=sleeps, max_attempts=3)
    result = fetch_metadata(range(1, 121), config=github_config, client=client)
    assert sorted(result.failed) == list(range(1, 121))
    # connection refused is not worth retrying: one request, no waiting, no 2nd batch
    assert client.requests == 1 and sleeps.waits == []
    assert "connection refused" in result.failed[1]
    assert "not tried after an earlier failure" in result.failed[120]


def test_cached_metadata_without_a_cache_file(tmp_path: Path, fake_github: RunningServer) -> None:
    config = fake_github.config(cache_path=tmp_path / "none" / "c.sqlite")
    assert cached_metadata([139505], config=config) == {}
    assert not (tmp_path / "none").exists() and fake_github.requests == []


def test_enterprise_style_api_url(fake_github: RunningServer, tmp_path: Path) -> None:
    config = fake_github.config(cache_path=tmp_path / "c.sqlite",
                                api_url=fake_github.url + "/api/v3")
    assert _records([139505], config=config)[139505].found
    assert [r["path"] for r in fake_github.requests] == ["/api/graphql"]


def test_progress_callback_through_fetch(fake_github: RunningServer, github_config: Any,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    numbers = document_prs([WORKSHEET])
    calls: list[tuple[int, int, int]] = []
    fetch_metadata(numbers, config=github_config, progress=lambda *a: calls.append(a))
    assert calls[-1][:2] == (60, 60) and all(total == 60 for _, total, _ in calls)
    assert [done for done, _, _ in calls] == sorted(done for done, _, _ in calls)
    assert calls[-1][2] == len(_graphql(fake_github))
    fetch_metadata(numbers, config=github_config, refresh=True)  # no callback: no output
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("repo", ["pytorch", "a b/c", "pytorch/pytorch/x", "ä/x", "a/"])
def test_one_owner_name_check_for_the_setting_flags_and_the_client(repo: str) -> None:
    """config.repo_problem is the one check: the setting, --repo (through
    Config.with_overrides) and GitHubClient all refuse the same names."""
    from relnotes.config import Config
    from relnotes.errors import ConfigError

    with pytest.raises(ConfigError, match="must be OWNER/NAME"):
        Config().with_overrides(repo=repo)
    with pytest.raises(GitHubError, match="must be OWNER/NAME"):
        GitHubClient(repo=repo, api_url="http://127.0.0.1:1")
    assert Config().with_overrides(repo="acme/release-notes.v2_x").repo == \
        "acme/release-notes.v2_x"
