"""Triage of worksheets: one suggestion per item, in one process or several.

The entry points of the triage library: :func:`triage_worksheet` for one worksheet,
:func:`triage_worksheets` for the worksheets of one release (reverts paired across all
of them; large runs in several processes). Progress is reported through a callback,
which the command line draws.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from relnotes.config import Config
from relnotes.triage.history import History
from relnotes.triage.parallel import triage_in_parallel
from relnotes.triage.planning import Advance, Run, Suggestion, plan_worksheet, suggest_items
from relnotes.triage.reverts import RevertPairs, find_revert_pairs
from relnotes.versions import Version
from relnotes.worksheet import Worksheet

__all__ = ["Progress", "triage_worksheet", "triage_worksheets"]

Progress = Callable[[int, int], None]
"""``progress(done, total)``: called as items are triaged; the CLI draws it."""


def triage_worksheet(ws: Worksheet, *, metadata: Mapping[int, Any] | None = None,
                     history: History | None = None, config: Config | None = None,
                     revert_pairs: RevertPairs | None = None,
                     known_domains: Collection[str] | None = None,
                     release: str | Version | None = None,
                     progress: Progress | None = None,
                     older_only: bool = True) -> list[Suggestion]:
    """One :class:`Suggestion` per item of ``ws``, in file order.

    ``metadata`` maps PR numbers to :class:`relnotes.github.PRRecord` (or anything with the
    same attributes); ``history`` defaults to none (rules and priors only) so library use
    is explicit; ``revert_pairs`` lets a caller pair reverts across a release's worksheets;
    ``release`` (else ``config.release``, else the worksheet's folder name) picks the API
    profiles compared for BC evidence and, with ``older_only`` (the default), the history
    releases used: only those older than the worksheet's own (``False``: the history as
    given, for backtests that choose its releases).
    """
    if revert_pairs is None:
        revert_pairs = find_revert_pairs(ws.items(), metadata)
    plan = plan_worksheet(ws, metadata=metadata, history=history, config=config,
                          known_domains=known_domains, release=release,
                          older_only=older_only)
    return suggest_items(plan, revert_pairs, advance=_counter(progress, len(plan.items)))


def triage_worksheets(worksheets: list[Worksheet], *, metadata: Mapping[int, Any] | None = None,
                      history: History | None = None, config: Config | None = None,
                      release: str | Version | None = None,
                      known_domains: Collection[str] | None = None,
                      progress: Progress | None = None,
                      jobs: int | None = None,
                      older_only: bool = True) -> list[list[Suggestion]]:
    """Triage several worksheets of one release, pairing reverts across all of them.

    Reverts are paired across all the worksheets given (the reason names the partner);
    nothing else depends on which worksheets are triaged together. Large runs use
    ``jobs`` processes (default: one per core; see :mod:`relnotes.triage.parallel`);
    the suggestions are the same as with one. ``older_only``: as for
    :func:`triage_worksheet`, per worksheet.
    """
    run = Run(worksheets, metadata, history, config, release, known_domains, older_only)
    advance = _counter(progress, sum(len(run.items(i)) for i in range(len(worksheets))))
    done = triage_in_parallel(run, jobs=jobs, advance=advance)
    if done is not None:
        return done
    pairs = find_revert_pairs([i for ws in worksheets for i in ws.items()], metadata)
    return [suggest_items(run.plan(i), pairs, advance=advance)
            for i in range(len(worksheets))]


def _counter(progress: Progress | None, total: int) -> Advance | None:
    """``advance(n)`` that adds up the items done and reports ``(done, total)``."""
    if progress is None:
        return None
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        progress(done, total)

    return advance
