"""Every test runs isolated from the machine it runs on.

A developer's cache, token and ``GITHUB_API_URL`` must neither leak into a test nor be
written by one, and no test may reach the real network: GitHub is the local test server
(``tests.github_server``, served by the ``fake_github`` fixture below), anything else is
refused at ``connect``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from relnotes.config import Config
from tests.github_server import FakeGitHub, RunningServer, start_server

# What a test may not inherit: the cache location, tokens and API endpoints of the shell.
_MACHINE_VARS = ("RELNOTES_CACHE", "GITHUB_TOKEN", "GH_TOKEN", "GITHUB_API_URL",
                 "RELNOTES_FAKE_GITHUB_TOKEN")


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for name in _MACHINE_VARS:
        monkeypatch.delenv(name, raising=False)


def _loopback(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True  # AF_UNIX paths and the like stay on the machine
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name: would need DNS, which is the network


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        if not _loopback(address):
            raise OSError(f"tests may not reach the network (connect to {address!r})")
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not _loopback(address):
            raise OSError(f"tests may not reach the network (connect to {address!r})")
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield


@pytest.fixture
def fake_github() -> Iterator[RunningServer]:
    """A fresh test server on 127.0.0.1 (ephemeral port) serving the bundled fixtures.

    It has ``.url``, ``.requests`` (the log), ``.inject(fault, count=..)``, ``.pulls``
    (PRs created through REST), ``.fake`` (the full state) and ``.config(cache_path=...)``.
    """
    running = start_server(FakeGitHub())
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def github_config(fake_github: RunningServer, tmp_path: Path) -> Config:
    """A Config pointed at ``fake_github`` with a cache of its own in ``tmp_path``
    (``$RELNOTES_CACHE``, which would win over it, is unset by the isolation above)."""
    config: Config = fake_github.config(cache_path=tmp_path / "github-cache.sqlite")
    return config
