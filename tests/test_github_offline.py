"""Working without GitHub: cache and titles with one warning, fast failure, clear errors.

Also: records of a test server never land where api.github.com's are looked up.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from relnotes.config import Config
from relnotes.github import cached_metadata, fetch_metadata, lookup_metadata, metadata_for
from relnotes.github.cache import default_cache_path
from relnotes.github.client import DEFAULT_API_URL, unreachable_reason
from tests.github_server import RunningServer
from tests.helpers import run_cli

NUMBERS = [139505, 141049, 144940]


def _closed_port_url() -> str:
    with socket.socket() as sock:  # a port nobody listens on: connection refused
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def unreachable(tmp_path: Path, fake_github: RunningServer) -> Config:
    """A config whose cache holds one of NUMBERS (fetched from the server earlier) and
    whose GitHub refuses connections now."""
    config = fake_github.config(cache_path=tmp_path / "cache.sqlite")
    fetch_metadata(NUMBERS[:1], config=config)
    return config.with_overrides(api_url=_closed_port_url())


def test_lookup_falls_back_to_the_cache_with_one_warning(tmp_path: Path,
                                                         fake_github: RunningServer) -> None:
    config = fake_github.config(cache_path=tmp_path / "cache.sqlite")
    fetch_metadata(NUMBERS[:1], config=config)
    closed = _closed_port_url()
    # the cache is keyed by API URL: point the cached records at the "down" server too
    down = config.with_overrides(api_url=closed)
    from relnotes.github.cache import MetadataCache

    with MetadataCache(tmp_path / "cache.sqlite") as cache:
        cache.put_many("pytorch/pytorch", cached_metadata(NUMBERS[:1], config=config).values(),
                       api_url=closed)
    started = time.monotonic()
    lookup = lookup_metadata(NUMBERS, config=down, sources=["todo/result_quantization.md"])
    assert time.monotonic() - started < 5  # no retries, no backoff
    assert sorted(lookup.records) == NUMBERS[:1] and lookup.missing == NUMBERS[1:]
    assert lookup.warning is not None and "\n" not in lookup.warning
    assert "connection refused" in lookup.warning and "2 of 3" in lookup.warning
    assert "#141049" in lookup.warning and "#144940" in lookup.warning
    assert "`relnotes fetch todo/result_quantization.md`" in lookup.warning


def test_metadata_for_logs_exactly_one_warning_and_never_raises(
        unreachable: Config, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="relnotes"):
        records = metadata_for(NUMBERS, config=unreachable)
    assert records == {}  # the one cached record came from another API URL
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "no PR metadata for 3 of 3" in warnings[0].getMessage()
    assert "relnotes fetch --prs 139505,141049,144940" in warnings[0].getMessage()


def test_metadata_for_offline_and_complete_are_silent(
        tmp_path: Path, fake_github: RunningServer, caplog: pytest.LogCaptureFixture) -> None:
    config = fake_github.config(cache_path=tmp_path / "cache.sqlite")
    with caplog.at_level(logging.WARNING, logger="relnotes"):
        assert sorted(metadata_for(NUMBERS, config=config)) == NUMBERS
        fake_github.fake.clear()
        offline = lookup_metadata([*NUMBERS, 1], config=config, offline=True)
    assert sorted(offline.records) == NUMBERS and offline.missing == [1]
    assert offline.warning is None and fake_github.requests == []
    nowhere = fake_github.config(cache_path=tmp_path / "none" / "cache.sqlite")
    assert lookup_metadata(NUMBERS, config=nowhere, offline=True).missing == NUMBERS
    assert not (tmp_path / "none").exists()  # offline never creates a cache
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_metadata_for_an_unreadable_cache_warns_instead_of_failing(
        tmp_path: Path, fake_github: RunningServer) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    config = fake_github.config(cache_path=blocker / "cache.sqlite")
    lookup = lookup_metadata(NUMBERS, config=config)
    assert lookup.records == {} and lookup.missing == NUMBERS
    assert lookup.warning is not None and "cache" in lookup.warning


def test_unreachable_reasons_are_read_from_the_exception_chain() -> None:
    import requests

    def chained(cause: BaseException) -> BaseException:
        try:
            try:
                raise cause
            except OSError as exc:
                raise ValueError("pool gave up") from exc
        except ValueError as exc:
            try:
                raise requests.ConnectionError(exc)
            except requests.ConnectionError as outer:
                return outer

    assert unreachable_reason(chained(ConnectionRefusedError(111, "refused"))) == \
        "connection refused"
    assert unreachable_reason(chained(socket.gaierror(-2, "Name or service not known"))) == \
        "host name not found"
    assert unreachable_reason(requests.ConnectTimeout("slow")) == "no answer to connect"
    # a reset half-way through a request is transient: retried, not given up on
    assert unreachable_reason(chained(ConnectionResetError(104, "reset"))) is None


def test_entry_new_falls_back_to_a_draft_with_one_warning(
        unreachable: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_API_URL", unreachable.api_url)
    monkeypatch.setenv("RELNOTES_CACHE", unreachable.cache_path)
    started = time.monotonic()
    out = run_cli("entry", "new", "--pr", "144940", "--kind", "bc", "--to", "2.7")
    assert time.monotonic() - started < 10
    assert "TODO" in out.stdout
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("warning: no PR metadata for 1 of 1")
    assert "connection refused" in lines[0] and "relnotes fetch --prs 144940" in lines[0]


def test_entry_new_for_a_pr_that_does_not_exist_is_an_error(
        tmp_path: Path, fake_github: RunningServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_API_URL", fake_github.url)
    monkeypatch.setenv("RELNOTES_CACHE", str(tmp_path / "cache.sqlite"))
    missing = run_cli("entry", "new", "--pr", "999999", "--kind", "bc", "--to", "2.7",
                      expect=1)
    assert missing.stdout == ""
    assert "PR #999999 does not exist in pytorch/pytorch" in missing.stderr
    negative = run_cli("entry", "new", "--pr", "-5", "--kind", "bc", "--to", "2.7", expect=2)
    assert "--pr" in negative.stderr and negative.stdout == ""
    zero = run_cli("entry", "new", "--pr", "0", "--kind", "bc", "--to", "2.7", expect=2)
    assert "--pr" in zero.stderr
    found = run_cli("entry", "new", "--pr", "139505", "--kind", "bc", "--to", "2.7",
                    "--format", "json")
    assert json.loads(found.stdout)["found"] is True


def test_fetch_from_a_test_server_is_never_served_as_github(
        fake_github: RunningServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RELNOTES_CACHE", raising=False)  # the default cache, as a user has
    out = run_cli("fetch", "--prs", "139505", "--api-url", fake_github.url, "--format", "json")
    assert json.loads(out.stdout)["fetched"] == 1
    assert default_cache_path().exists()
    real = Config()  # api.github.com: the fixtures must not answer for it
    assert cached_metadata([139505], config=real) == {}
    offline = run_cli("fetch", "--prs", "139505", "--offline", "--format", "json")
    assert json.loads(offline.stdout)["missing"] == [139505]
    again = run_cli("fetch", "--prs", "139505", "--api-url", fake_github.url + "/",
                    "--format", "json")
    assert json.loads(again.stdout)["from_cache"] == 1  # same server, trailing slash or not
    assert DEFAULT_API_URL == "https://api.github.com"


def test_an_old_cache_is_rebuilt_not_misread(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)  # what schema 1 wrote: no API URL in the key
    conn.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('schema_version', '1');"
        "CREATE TABLE prs (repo TEXT NOT NULL, number INTEGER NOT NULL, record TEXT NOT NULL,"
        " updated_at TEXT, fetched_at TEXT NOT NULL, PRIMARY KEY (repo, number));"
        "INSERT INTO prs VALUES ('pytorch/pytorch', 1, '{\"number\": 1, \"title\": \"fixture\"}',"
        " NULL, '2025-01-01');")
    conn.commit()
    conn.close()
    config = Config().with_overrides(cache_path=str(path))
    assert cached_metadata([1], config=config) == {}
    with sqlite3.connect(path) as check:
        columns = [row[1] for row in check.execute("PRAGMA table_info(pr_records)")]
        old = check.execute("SELECT name FROM sqlite_master WHERE name='prs'").fetchall()
    assert columns[0] == "api_url" and old == []


def test_fetch_of_an_unreachable_server_fails_fast_and_names_it(monkeypatch: Any,
                                                                 tmp_path: Path) -> None:
    monkeypatch.setenv("RELNOTES_CACHE", str(tmp_path / "cache.sqlite"))
    url = _closed_port_url()
    started = time.monotonic()
    out = run_cli("fetch", "--prs", "1,2,3", "--api-url", url, expect=1)
    assert time.monotonic() - started < 10
    assert f"cannot connect to {url}: connection refused" in out.stderr
    assert "retrying" not in out.stderr
