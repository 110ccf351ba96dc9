"""Cached PR metadata, fetched from the GitHub-compatible server, changes triage suggestions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.github_server import FakeGitHub, start_server
from tests.helpers import run_cli

WORKSHEET = """# Release Notes worksheet fx

## fx
### bug fixes
- Rework the graph printer ([#900001](https://github.com/pytorch/pytorch/pull/900001))
### Untopiced
- Change the default of `fx.Tracer.trace` argument handling ([#900002](https://github.com/pytorch/pytorch/pull/900002))
### not user facing
"""


def _pr(number: int, title: str, labels: list[str], files: list[str]) -> dict:
    return {"number": number, "title": title, "body": "Summary: see title.", "state": "MERGED",
            "merged": True, "mergedAt": "2025-03-01T00:00:00Z",
            "updatedAt": "2025-03-01T00:00:00Z", "author": "someone",
            "labels": labels, "files": files}


@pytest.fixture
def server():
    fake = FakeGitHub(fixtures={"pytorch/pytorch": {
        900001: _pr(900001, "Rework the graph printer", ["release notes: fx"],
                    ["test/fx/test_printer.py", "test/fx/test_graph.py"]),
        900002: _pr(900002, "Change fx.Tracer.trace default",
                    ["release notes: fx", "topic: bc breaking", "module: bc-breaking"],
                    ["torch/fx/_symbolic_trace.py"]),
    }})
    running = start_server(fake)
    yield running
    running.stop()


def _suggestions(path: Path) -> dict[int, dict]:
    out = run_cli("triage", str(path), "--offline", "--format", "json").stdout
    items = json.loads(out)["worksheets"][0]["items"]
    return {item["prs"][0]: item["suggestion"] for item in items}


def test_fetched_labels_and_files_change_suggestions(tmp_path: Path, server,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    ws = tmp_path / "fx.md"
    ws.write_text(WORKSHEET)
    monkeypatch.setenv("RELNOTES_CACHE", str(tmp_path / "cache.sqlite"))
    monkeypatch.setenv("GITHUB_API_URL", server.url)  # cached records are per API URL
    monkeypatch.chdir(tmp_path)
    before = _suggestions(ws)  # empty cache: titles only
    run_cli("fetch", str(ws), "--api-url", server.url)
    after = _suggestions(ws)

    # a tests-only PR: dropped, and the reason names the files
    assert before[900001]["section"] == "bug fixes"
    assert after[900001]["section"] == "not user facing"
    assert any("tests" in r and "900001" in r for r in after[900001]["reasons"]), after[900001]
    # a `topic: bc breaking` label: proposed for bc breaking, and the reason says so
    assert before[900002]["section"] != "bc breaking"
    assert after[900002]["section"] == "bc breaking"
    assert any("topic: bc breaking" in r for r in after[900002]["reasons"]), after[900002]
