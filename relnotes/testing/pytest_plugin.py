"""pytest fixtures for tests that talk to GitHub: always the local fake server.

Load with ``pytest_plugins = ["relnotes.testing.pytest_plugin"]`` in a conftest.py. The
fixtures keep no global state (``github_config`` unsets ``$RELNOTES_CACHE`` for the test
only, so its own cache setting wins): tests hand the server's URL to
relnotes through a Config (``fake_github.config(cache_path=...)`` or ``github_config``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from relnotes.testing.fake_github import FakeGitHub, RunningServer, start_server


@pytest.fixture
def fake_github() -> Iterator[RunningServer]:
    """A fresh server on 127.0.0.1 (ephemeral port) serving the shipped fixtures.

    Yields an object with ``.url``, ``.requests`` (the log), ``.inject(fault, count=..)``,
    ``.pulls`` (PRs created through REST), ``.fake`` (the full state) and
    ``.config(cache_path=...)``.
    """
    running = start_server(FakeGitHub())
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def github_config(fake_github: RunningServer, tmp_path: Path,
                  monkeypatch: pytest.MonkeyPatch) -> Any:
    """A Config pointed at ``fake_github`` with a cache of its own in ``tmp_path``.

    ``$RELNOTES_CACHE`` would win over the setting, so it is unset for the test only.
    """
    monkeypatch.delenv("RELNOTES_CACHE", raising=False)
    return fake_github.config(cache_path=tmp_path / "github-cache.sqlite")
