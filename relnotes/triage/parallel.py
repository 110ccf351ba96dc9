"""Triage of large runs in several processes.

Each item's suggestion depends only on the item, its worksheet's plan (history, decision
rule, API profiles, metadata) and the revert pairs; so items can be triaged anywhere and
the suggestions are the same as in one process. The work is done by forked processes,
which inherit the worksheets and the history without copying or pickling them:

1. the parent gets the fate model and decision rule of each history the worksheets are
   triaged with (stored: milliseconds) before the workers start, so they share them;
   the workers compute what revert pairing compares for slices of the items (the
   title keys);
2. the parent pairs the reverts and sends each slice of items, with the decision rule and
   the pairs of its items, to a worker, which sends back each item's suggestion without
   the item; the parent puts them back together in file order and keeps the progress
   line going.

Only where it pays and works: at least :data:`PARALLEL_FROM` items, more than one core,
and the ``fork`` start method (Linux). Otherwise, or when a pool cannot be started (no
shared memory in a sandbox, say), the caller triages in its own process.
"""

from __future__ import annotations

import gc
import logging
import os
from typing import Any

from relnotes.triage.learned import fitted_for
from relnotes.triage.planning import Advance, Run, Suggestion, suggest_items
from relnotes.triage.reverts import RevertPairs, TitleKeys, find_revert_pairs, title_keys

__all__ = ["PARALLEL_FROM", "default_jobs", "triage_in_parallel"]

log = logging.getLogger(__name__)

# Below this many items one process takes a few seconds at most: not worth a pool.
PARALLEL_FROM = 10_000
_SLICE = 2_000  # items per task

# What forked workers read (set by the parent just before the pool starts).
_SHARED: tuple[Run, Any] | None = None

ItemSlice = tuple[int, int, int]  # worksheet index, first item, end (one worker's task)
Compact = tuple[Any, ...]  # a Suggestion's fields without its item


def default_jobs() -> int:
    """One process per core the process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def triage_in_parallel(run: Run, *, jobs: int | None = None, advance: Advance | None = None,
                       ) -> list[list[Suggestion]] | None:
    """Suggestions for every item of the run from ``jobs`` processes (default: one per
    core), or None when this run is better done in one process (see the module doc)."""
    global _SHARED
    items = [run.items(i) for i in range(len(run.worksheets))]
    total = sum(len(i) for i in items)
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 2 or total < PARALLEL_FROM:
        return None
    import multiprocessing  # only for large runs: a worksheet's triage does not need it

    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    slices = [(i, start, min(start + _SLICE, len(its)))
              for i, its in enumerate(items) for start in range(0, len(its), _SLICE)]
    # each worksheet's history (its releases older than the worksheet's) and what was
    # learned from it, made before the fork so every worker shares them
    for i in range(len(items)):
        fitted_for(run.history_of(i))
    context = multiprocessing.get_context("fork")
    # Objects that exist now are only read by the workers: out of the collector's sight,
    # its passes do not write to (and so copy) every page the workers share.
    gc.freeze()
    try:
        counter = context.Value("q", 0)
        _SHARED = (run, counter)
        pool = context.Pool(min(jobs, len(slices)))
    except OSError as exc:  # e.g. no /dev/shm for the pool's semaphores
        _SHARED = None
        gc.unfreeze()
        log.info("triage in one process: no worker pool (%s)", exc)
        return None
    try:
        with pool:
            keys = [k for part in pool.map(_title_keys, slices, chunksize=1) for k in part]
            flat = [item for its in items for item in its]
            pairs = find_revert_pairs(flat, run.metadata, keys=keys)
            tasks = [(part, {id(item): pairs.partner[id(item)]
                             for item in items[part[0]][part[1]:part[2]]
                             if id(item) in pairs.partner})
                     for part in slices]
            pending = pool.map_async(_suggest, tasks, chunksize=1)
            shown = 0
            while not pending.ready():
                pending.wait(0.2)
                if advance is not None and counter.value > shown:
                    advance(counter.value - shown)
                    shown = counter.value
            results = pending.get()
    finally:
        _SHARED = None
        gc.unfreeze()
    if advance is not None and total > shown:
        advance(total - shown)
    out: list[list[Suggestion]] = [[] for _ in items]
    for (i, start, stop), compact in zip(slices, results):
        out[i] += [Suggestion(item, *fields) for item, fields in zip(items[i][start:stop], compact)]
    return out


def _run() -> tuple[Run, Any]:
    assert _SHARED is not None, "forked from triage_in_parallel"
    return _SHARED


def _title_keys(part: ItemSlice) -> list[TitleKeys]:
    """In a worker: what revert pairing compares, for one slice of one worksheet."""
    run, _ = _run()
    i, start, stop = part
    return title_keys(run.items(i)[start:stop])


def _suggest(task: tuple[ItemSlice, dict[int, str]]) -> list[Compact]:
    """In a worker: the suggestions of one slice of one worksheet's items."""
    run, counter = _run()
    (i, start, stop), partner = task
    plan = run.plan(i)
    done = suggest_items(plan, RevertPairs(partner), plan.items[start:stop])
    with counter.get_lock():
        counter.value += len(done)
    return [(s.section, s.domain, s.confidence, s.reasons, s.clean_title, s.consider,
             s.stakes, s.flagged) for s in done]
