"""Triage of large runs in several processes.

Each item's suggestion depends only on the item, its worksheet's plan (history, decision
rule, API profiles, metadata) and the revert pairs, all computed before the work is
shared out; so items can be triaged anywhere and the suggestions are the same as in
one process. Worker processes are forked (they inherit the plans without copying or
pickling them) and send back each item's suggestion without the item; the parent puts
them back together in file order and keeps the progress line going.

Only where it pays and works: at least :data:`PARALLEL_FROM` items, more than one core,
and the ``fork`` start method (Linux). Otherwise, or when a pool cannot be started
(no shared memory in a sandbox, say), the caller triages in its own process.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
from typing import Any

from relnotes.triage.engine import Plan, Progress, RevertPairs, Suggestion, suggest_items

__all__ = ["PARALLEL_FROM", "default_jobs", "suggest_in_parallel"]

log = logging.getLogger(__name__)

# Below this many items one process takes a few seconds at most: not worth a pool.
PARALLEL_FROM = 10_000
_CHUNK = 2_000

# What forked workers read (set by the parent just before the pool starts).
_SHARED: tuple[list[Plan], RevertPairs, Any] | None = None

Compact = tuple[Any, ...]  # a Suggestion's fields without its item


def default_jobs() -> int:
    """One process per core the process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def suggest_in_parallel(plans: list[Plan], pairs: RevertPairs, *, jobs: int | None = None,
                        progress: Progress | None = None) -> list[list[Suggestion]] | None:
    """Suggestions for every item of ``plans`` from ``jobs`` processes (default: one per
    core), or None when this run is better done in one process (see the module doc)."""
    global _SHARED
    total = sum(len(p.items) for p in plans)
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 2 or total < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        return None
    chunks = [(i, start, min(start + _CHUNK, len(plan.items)))
              for i, plan in enumerate(plans) for start in range(0, len(plan.items), _CHUNK)]
    context = multiprocessing.get_context("fork")
    # Objects that exist now are only read by the workers: out of the collector's sight,
    # its passes do not write to (and so copy) every page the workers share.
    gc.freeze()
    try:
        counter = context.Value("q", 0)
        _SHARED = (plans, pairs, counter)
        pool = context.Pool(min(jobs, len(chunks)))
    except OSError as exc:  # e.g. no /dev/shm for the pool's semaphores
        _SHARED = None
        gc.unfreeze()
        log.info("triage in one process: no worker pool (%s)", exc)
        return None
    try:
        with pool:
            pending = pool.map_async(_work, chunks, chunksize=1)
            shown = 0
            while not pending.ready():
                pending.wait(0.2)
                if progress is not None and counter.value > shown:
                    progress.advance(counter.value - shown)
                    shown = counter.value
            results = pending.get()
    finally:
        _SHARED = None
        gc.unfreeze()
    if progress is not None and total > shown:
        progress.advance(total - shown)
    out: list[list[Suggestion]] = [[] for _ in plans]
    for (i, start, stop), compact in zip(chunks, results):
        items = plans[i].items[start:stop]
        out[i] += [Suggestion(item, *fields) for item, fields in zip(items, compact)]
    return out


def _work(chunk: tuple[int, int, int]) -> list[Compact]:
    """In a worker: the suggestions of one slice of one worksheet's items."""
    assert _SHARED is not None, "forked from suggest_in_parallel"
    plans, pairs, counter = _SHARED
    i, start, stop = chunk
    plan = plans[i]
    done = suggest_items(plan, pairs, plan.items[start:stop])
    with counter.get_lock():
        counter.value += len(done)
    return [(s.section, s.domain, s.confidence, s.reasons, s.clean_title, s.consider,
             s.stakes, s.flagged) for s in done]
