"""Command-line interface: ``relnotes`` and its sub-commands.

Each command lives in a module of its own (one concern each); importing the module
registers its commands on :data:`main`.
"""

from __future__ import annotations

# Importing a command module registers its commands; this list is the only shared edit point.
from relnotes.cli import (  # noqa: F401
    audit_cmd,  # audit
    check_cmd,  # check
    entry_cmd,  # entry new
    eval_cmd,  # eval
    fetch_cmd,  # fetch
    final_cmd,  # final, final --check
    history_cmd,  # history build
    profile_cmd,  # api-profile build/show
    review_cmd,  # review, apply
    status_cmd,  # status
    submit_cmd,  # done, submit
    summarize_cmd,  # summarize
    triage_cmd,  # triage
    worksheet_cmds,  # parse, lint
)
from relnotes.cli.app import main

__all__ = ["main"]
