"""``relnotes check final.md``: the entries of final release notes are checked like a
worksheet's (the README said this did not work yet; it does, and this keeps it so)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import DATA, run_cli

FENCE = "```"
FINAL = f"""# PyTorch 2.8.0 Release Notes

- [Backwards Incompatible Changes](#backwards-incompatible-changes)

# Backwards Incompatible Changes

## Python Frontend

### `foo` now raises on bad input (#1234)

Because silent acceptance hid real bugs, `foo` now raises.

Version 2.7.0:

{FENCE}python
x = (1,
{FENCE}

Version 2.8.0:

{FENCE}python
result = model(inputs)
{FENCE}

# Deprecations

### `bar` is deprecated (#5678)

It was confusing; use `baz`.

{FENCE}
Traceback (most recent call last):
RuntimeError: boom
{FENCE}

# New Features

- Not an entry, and no code (#9999)
"""


def test_check_reads_the_entries_of_final_notes(tmp_path: Path) -> None:
    final = tmp_path / "final.md"
    final.write_text(FINAL)
    out = run_cli("check", str(final), "--format", "json", expect=1)  # the syntax error
    got = [(s["line"], s["prs"], s["label"], s["role"], s["verdict"], s["kind"])
           for s in json.loads(out.stdout)["snippets"]]
    assert got == [(15, [1234], "2.7", "before", "fail", "syntax"),
                   (21, [1234], "2.8", "after", "skip", "needs-setup"),
                   (31, [5678], None, None, "skip", "not-python")]


@pytest.mark.torch
@pytest.mark.slow
def test_check_on_the_real_2_8_0_final_notes() -> None:
    """Every code part of the published 2.8.0 notes' BC and deprecation entries, each
    with the PRs of its ``###`` heading."""
    out = run_cli("check", str(DATA / "2.8.0" / "final.md"), "--format", "json", expect=1)
    snippets = json.loads(out.stdout)["snippets"]
    assert len(snippets) == 21 and all(s["file"].endswith("final.md") for s in snippets)
    assert {s["verdict"] for s in snippets} == {"pass", "fail", "skip"}
    assert (snippets[0]["prs"], snippets[0]["label"], snippets[0]["role"]) == \
        ([155470], "2.7", "before")
