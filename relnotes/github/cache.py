"""The sqlite cache of PR metadata, keyed by (API URL, repo, number), and of the PR each
commit belongs to, keyed by (API URL, repo, commit hash as written).

The API URL is part of the key so that records fetched from a test server or a GitHub
Enterprise host are never served as api.github.com's (``fetch --api-url`` without a
cache setting writes into the default cache).

Why sqlite: it gives atomic transactions (a batch is written completely or not at all, so
an interrupted fetch resumes where it stopped and the file is never half-written) and safe
concurrent use by two relnotes processes (WAL journal plus a busy timeout) with nothing to
install. The cache is disposable: a file from another schema version is emptied, an
unreadable file is moved aside, never trusted.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Self

from relnotes.config import Config
from relnotes.errors import GitHubError
from relnotes.github.records import PRRecord

__all__ = ["SCHEMA_VERSION", "MetadataCache", "default_cache_path", "resolve_cache_path"]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2  # 2: api_url joined the key
_BUSY_TIMEOUT_S = 30.0
# sqlite caps the number of bound parameters per statement (32766 in modern builds, 999
# in old ones); chunks of 500 stay under both with the repo parameter added.
_CHUNK = 500

_META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
_PRS = """
CREATE TABLE IF NOT EXISTS pr_records (
    api_url TEXT NOT NULL,
    repo TEXT NOT NULL,
    number INTEGER NOT NULL,
    record TEXT NOT NULL,
    updated_at TEXT,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (api_url, repo, number)
)
"""
# pr is NULL when GitHub knows no pull request of the commit (an answer, cached too)
_COMMITS = """
CREATE TABLE IF NOT EXISTS commit_prs (
    api_url TEXT NOT NULL,
    repo TEXT NOT NULL,
    sha TEXT NOT NULL,
    pr INTEGER,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (api_url, repo, sha)
)
"""


def default_cache_path() -> Path:
    """``$XDG_CACHE_HOME/relnotes/github.sqlite`` (``~/.cache`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "relnotes" / "github.sqlite"


def resolve_cache_path(config: Config) -> Path:
    """``$RELNOTES_CACHE``, else the ``cache_path`` setting (relative to the config file),
    else the XDG default."""
    env = os.environ.get("RELNOTES_CACHE")
    if env:
        return Path(env).expanduser()
    return config.path(config.cache_path) or default_cache_path()


class MetadataCache:
    """PR records of any number of repositories in one sqlite file.

    Use as a context manager or call :meth:`close`. Every write is one transaction.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise GitHubError(f"cannot create cache directory: {exc.strerror}",
                              file=self.path.parent) from None
        self._conn = self._open()

    # -- opening -----------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect_and_prepare()
        except sqlite3.DatabaseError as exc:
            if "locked" in str(exc):
                raise GitHubError(f"cache is locked by another process: {exc}",
                                  file=self.path) from None
            # Not a database (or damaged): keep it for inspection, start afresh.
            aside = self.path.with_name(self.path.name + f".corrupt-{int(time.time())}")
            log.warning("cache %s is unreadable (%s); moved to %s", self.path, exc, aside)
            try:
                os.replace(self.path, aside)
            except OSError:
                raise GitHubError(f"cache is unreadable: {exc}", file=self.path) from None
            return self._connect_and_prepare()

    def _connect_and_prepare(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN ourselves, so each batch is exactly one
        # transaction and nothing is left open between calls.
        conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(_META)
            row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is None or str(row[0]) != str(SCHEMA_VERSION):
                # Another schema (an older relnotes, or a newer one): the cache is
                # disposable, so rebuild it rather than guess where old rows came from
                # (schema 1 did not record the API URL).
                if row is not None:
                    log.info("cache schema %s != %s: rebuilding %s", row[0], SCHEMA_VERSION,
                             self.path)
                # schema 1's table had another name: an older relnotes sharing the file
                # rebuilds its own table instead of failing on this one
                conn.execute("DROP TABLE IF EXISTS prs")
                conn.execute("DROP TABLE IF EXISTS pr_records")
                conn.execute("DROP TABLE IF EXISTS commit_prs")
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                             (str(SCHEMA_VERSION),))
            conn.execute(_PRS)
            conn.execute(_COMMITS)  # added within schema 2: older relnotes ignore it
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.close()
            raise
        return conn

    # -- use ---------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._conn.close()

    def get_many(self, repo: str, numbers: Iterable[int], *, api_url: str
                 ) -> dict[int, PRRecord]:
        """The cached records among ``numbers`` that came from ``api_url`` (missing ones
        are simply absent)."""
        wanted = list(dict.fromkeys(int(n) for n in numbers))
        out: dict[int, PRRecord] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start:start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT number, record FROM pr_records WHERE api_url=? AND repo=? "
                f"AND number IN ({marks})",
                (_key(api_url), repo, *chunk),
            ).fetchall()
            for number, text in rows:
                try:
                    out[int(number)] = PRRecord.from_json(json.loads(text))
                except (ValueError, TypeError) as exc:
                    log.warning("ignoring unreadable cache row %s#%s: %s", repo, number, exc)
        return out

    def put_many(self, repo: str, records: Iterable[PRRecord], *, api_url: str) -> int:
        """Store ``records`` (fetched from ``api_url``) in one transaction (all or
        nothing); return how many."""
        source = _key(api_url)
        rows = [
            (source, repo, r.number, json.dumps(r.to_json(), ensure_ascii=False), r.updated_at,
             r.fetched_at or "")
            for r in records
        ]
        return self._write("INSERT OR REPLACE INTO pr_records VALUES (?, ?, ?, ?, ?, ?)", rows)

    def get_commits(self, repo: str, shas: Iterable[str], *, api_url: str
                    ) -> dict[str, int | None]:
        """``{sha: PR or None}`` for the cached ones among ``shas`` (missing ones absent)."""
        wanted = list(dict.fromkeys(shas))
        out: dict[str, int | None] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start:start + _CHUNK]
            rows = self._conn.execute(
                f"SELECT sha, pr FROM commit_prs WHERE api_url=? AND repo=? "
                f"AND sha IN ({','.join('?' * len(chunk))})", (_key(api_url), repo, *chunk),
            ).fetchall()
            out.update((str(sha), None if pr is None else int(pr)) for sha, pr in rows)
        return out

    def put_commits(self, repo: str, prs: dict[str, int | None], *, api_url: str,
                    fetched_at: str) -> int:
        """Store which PR each commit belongs to, in one transaction; return how many."""
        rows = [(_key(api_url), repo, sha, pr, fetched_at) for sha, pr in prs.items()]
        return self._write("INSERT OR REPLACE INTO commit_prs VALUES (?, ?, ?, ?, ?)", rows)

    def _write(self, sql: str, rows: list[tuple[Any, ...]]) -> int:
        """``sql`` for every row, in one transaction (all or nothing); how many rows."""
        if not rows:
            return 0
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._conn.executemany(sql, rows)
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        return len(rows)

    def count(self, repo: str | None = None, *, api_url: str | None = None) -> int:
        """Records in the cache (of ``repo``, and from ``api_url``, when given)."""
        where, args = [], []
        if repo is not None:
            where.append("repo=?")
            args.append(repo)
        if api_url is not None:
            where.append("api_url=?")
            args.append(_key(api_url))
        sql = "SELECT COUNT(*) FROM pr_records" + (" WHERE " + " AND ".join(where) if where else "")
        return int(self._conn.execute(sql, args).fetchone()[0])


def _key(api_url: str) -> str:
    """The API URL as stored: ``https://api.github.com/`` and ``https://api.github.com``
    are one source."""
    return api_url.strip().rstrip("/")
