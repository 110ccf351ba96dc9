"""Benchmark and backtest of triage on the real release data.

1. Speed: offline triage of every worksheet of a release (default 2.8.0), repeated until
   the run holds at least 50,000 items (``--items``); wall time of loading the shipped
   history, learning the decision rule from it and triaging (best of 3), and peak
   memory; -> bench/results/triage.md.
2. ``relnotes eval`` leave-one-release-out: 2.8.0 with history from 2.7.0 only, and 2.7.0
   with history from 2.8.0 only (nothing is tuned on the release reported);
   -> bench/results/eval.md. The README's triage tables are copied from it.

Run:  .venv/bin/python bench/bench_triage.py [--data DIR] [--release 2.8.0] [--items 50000]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

from relnotes.fileio import atomic_write
from relnotes.triage.engine import Progress, triage_worksheets
from relnotes.triage.evaluate import evaluate, render_eval_markdown
from relnotes.triage.history import load_history
from relnotes.worksheet import Worksheet, read_worksheet, worksheet_files

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = Path(os.environ.get("RELNOTES_DATA",
                                   HERE.parents[1] / "shared/data/torch-release-notes"))


def load(todo: Path, at_least: int) -> list[Worksheet]:
    """The release's worksheets, read again as often as it takes to reach ``at_least``
    items (each copy is parsed anew, so nothing is shared between copies)."""
    out: list[Worksheet] = []
    while sum(len(ws.items()) for ws in out) < at_least:
        out += [read_worksheet(p) for p in worksheet_files(todo)]
    return out


def run_triage(worksheets: list[Worksheet], release: str) -> int:
    history = load_history()  # a fresh history: the decision rule is learned in the run
    progress = Progress(sum(len(ws.items()) for ws in worksheets), sys.stderr)
    results = triage_worksheets(worksheets, history=history, release=release,
                                progress=progress)
    progress.done()
    return sum(len(r) for r in results)


def bench(todo: Path, release: str, at_least: int) -> str:
    worksheets = load(todo, at_least)
    times = []
    items = 0
    for _ in range(3):
        start = time.perf_counter()
        items = run_triage(worksheets, release)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    run_triage(worksheets, release)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return "\n".join([
        "# Triage benchmark",
        "",
        f"Offline triage of every worksheet in `{release}/todo`, repeated to reach {at_least:,}",
        "items (load the shipped history, learn the decision rule from it, triage; no",
        "metadata), `bench/bench_triage.py`.",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| worksheets | {len(worksheets)} |",
        f"| items | {items} |",
        f"| wall time, best of 3 | {min(times):.2f} s |",
        f"| wall time, worst of 3 | {max(times):.2f} s |",
        f"| peak Python allocations (tracemalloc) | {peak / 2**20:.1f} MiB |",
        f"| peak RSS of the process | {rss:.0f} MiB |",
        "| target | < 10 s for 50,000 items |",
        "",
    ])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--release", default="2.8.0")
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    if not args.skip_speed:
        text = bench(args.data / args.release / "todo", args.release, args.items)
        atomic_write(HERE / "results" / "triage.md", text)
        print(text)
    lines = ["# Triage backtest (`relnotes eval`), leave-one-release-out", "",
             "Each release is triaged with history from the *other* release only; the",
             "decision rule's margin, thresholds and calibration are learned from that",
             "history. Baseline = keep the pre-sorted section, Untopiced counts as dropped.",
             "Produced by `bench/bench_triage.py`.", ""]
    for release, other in (("2.8.0", "2.7.0"), ("2.7.0", "2.8.0")):
        base = args.data / release
        report = evaluate(todo=base / "todo", done=base / "done",
                          miscategorized=base / "miscategorized.md",
                          exclude_history=[release], release=release)
        assert report.history_releases == [other], report.history_releases
        lines.append(render_eval_markdown(f"{release} (history: {other} only)", report))
    atomic_write(HERE / "results" / "eval.md", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
