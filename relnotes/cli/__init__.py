"""Command-line interface: ``relnotes`` and its sub-commands.

Each command lives in a module of its own (one concern each); importing the module
registers its commands on :data:`main`.
"""

from __future__ import annotations

from relnotes.cli.app import main

# One line per command module; keep this list the only shared edit point.
from relnotes.cli import worksheet_cmds  # noqa: E402,F401  parse, lint
from relnotes.cli import fetch_cmd  # noqa: E402,F401  fetch
from relnotes.cli import triage_cmd, eval_cmd, history_cmd  # noqa: E402,F401  triage, eval, history
from relnotes.cli import check_cmd  # noqa: E402,F401  check
from relnotes.cli import profile_cmd  # noqa: E402,F401  api-profile
from relnotes.cli import entry_cmd  # noqa: E402,F401  entry new
from relnotes.cli import review_cmd  # noqa: E402,F401  review, apply, audit, done, submit

__all__ = ["main"]
