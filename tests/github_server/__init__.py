"""A GitHub-compatible HTTP server for the tests, the benchmarks and the demo.

Not part of relnotes (the wheel does not carry it): relnotes talks to it as to GitHub,
through PyGithub, on 127.0.0.1. ``server`` holds the state, the fault injection and the
HTTP plumbing; ``graphql_api`` GitHub's GraphQL schema (graphql-core) for the metadata
queries; ``rest`` the REST endpoints of PR submission; ``synth`` synthetic PRs in any
number; ``fixtures/`` the PRs of the bundled worksheet. The pytest fixtures
``fake_github`` and ``github_config`` live in ``tests/conftest.py``.
"""

from tests.github_server.server import (
    FAULTS,
    FIXTURES_DIR,
    FakeGitHub,
    RunningServer,
    load_fixtures,
    start_server,
)

__all__ = ["FAULTS", "FIXTURES_DIR", "FakeGitHub", "RunningServer", "load_fixtures",
           "start_server"]
