"""The sqlite metadata cache: location, schema version, atomic batches, two processes."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from relnotes.config import Config
from relnotes.github.cache import (
    SCHEMA_VERSION,
    MetadataCache,
    default_cache_path,
    resolve_cache_path,
)
from relnotes.github.records import PRRecord


def _rec(n: int, **kw: object) -> PRRecord:
    return PRRecord(number=n, title=f"PR {n}", labels=["Merged"], fetched_at="2025-01-01T00:00:00Z",
                    **kw)  # type: ignore[arg-type]


GH = "https://api.github.com"


def test_put_get_by_repo(tmp_path: Path) -> None:
    with MetadataCache(tmp_path / "c.sqlite") as cache:
        assert cache.put_many("a/b", [_rec(1), _rec(2)], api_url=GH) == 2
        cache.put_many("other/repo", [_rec(1, body="different")], api_url=GH)
        got = cache.get_many("a/b", [1, 2, 3], api_url=GH)
        assert sorted(got) == [1, 2] and got[1].body == ""
        assert cache.get_many("other/repo", [1], api_url=GH)[1].body == "different"
        assert cache.count() == 3 and cache.count("a/b") == 2


def test_records_are_kept_apart_by_api_url(tmp_path: Path) -> None:
    with MetadataCache(tmp_path / "c.sqlite") as cache:
        cache.put_many("a/b", [_rec(1, body="from the test server")],
                       api_url="http://127.0.0.1:9/")
        assert cache.get_many("a/b", [1], api_url=GH) == {}
        assert cache.get_many("a/b", [1], api_url="http://127.0.0.1:9")[1].body == \
            "from the test server"
        cache.put_many("a/b", [_rec(1)], api_url=GH + "/")
        assert cache.get_many("a/b", [1], api_url=GH)[1].body == ""
        assert cache.count("a/b") == 2 and cache.count("a/b", api_url=GH) == 1


def test_many_numbers_beyond_sqlite_parameter_limit(tmp_path: Path) -> None:
    with MetadataCache(tmp_path / "c.sqlite") as cache:
        cache.put_many("a/b", [_rec(n) for n in range(2500)], api_url=GH)
        assert len(cache.get_many("a/b", range(5000), api_url=GH)) == 2500


def test_failed_batch_writes_nothing(tmp_path: Path) -> None:
    class Boom(PRRecord):
        def to_json(self) -> dict:  # type: ignore[override]
            raise RuntimeError("disk on fire")

    with MetadataCache(tmp_path / "c.sqlite") as cache:
        cache.put_many("a/b", [_rec(1)], api_url=GH)
        with pytest.raises(RuntimeError):
            cache.put_many("a/b", [_rec(2), Boom(number=3)], api_url=GH)
        assert sorted(cache.get_many("a/b", [1, 2, 3], api_url=GH)) == [1]


def test_old_schema_is_emptied(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    with MetadataCache(path) as cache:
        cache.put_many("a/b", [_rec(1)], api_url=GH)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 99),))
    conn.commit()
    conn.close()
    with MetadataCache(path) as cache:
        assert cache.get_many("a/b", [1], api_url=GH) == {}


def test_unreadable_file_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"this is not a database at all" * 100)
    with MetadataCache(path) as cache:
        cache.put_many("a/b", [_rec(1)], api_url=GH)
        assert list(cache.get_many("a/b", [1], api_url=GH)) == [1]
    assert [p.name for p in tmp_path.glob("c.sqlite.corrupt-*")]


def _writer(path: str, start: int) -> None:
    with MetadataCache(path) as cache:
        for n in range(start, start + 200, 10):
            cache.put_many("a/b", [_rec(m) for m in range(n, n + 10)], api_url=GH)


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    path = str(tmp_path / "c.sqlite")
    MetadataCache(path).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, start)) for start in (0, 1000)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with MetadataCache(path) as cache:
        assert cache.count("a/b") == 400


def test_cache_location_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RELNOTES_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    config = Config()
    assert default_cache_path() == tmp_path / "xdg" / "relnotes" / "github.sqlite"
    assert resolve_cache_path(config) == default_cache_path()
    configured = Config(source=tmp_path / "proj" / "pyproject.toml").with_overrides(
        cache_path="cache/gh.sqlite")
    assert resolve_cache_path(configured) == tmp_path / "proj" / "cache" / "gh.sqlite"
    monkeypatch.setenv("RELNOTES_CACHE", str(tmp_path / "env.sqlite"))
    assert resolve_cache_path(configured) == tmp_path / "env.sqlite"
