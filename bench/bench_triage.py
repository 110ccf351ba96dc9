"""Benchmark and backtest of triage on the real release data.

1. Speed, two workloads of at least 50,000 items (``--items``), each timed from loading
   the shipped history (and its stored fate model and decision rule: those of the
   releases before the one triaged) to the last suggestion,
   best and worst of 3, and peak memory; -> bench/results/triage.md:
   a. every worksheet of a release (default 2.8.0), read again until the run holds 50,000
      items (each title recurs about 12 times, which per-title caches exploit);
   b. one worksheet of 50,000 items with 50,000 *distinct* titles: the items of 2.7.0
      and 2.8.0 in their pre-sorted sections, each copy's titles made unique by a
      trailing word (``... v7``), so no per-title cache helps: the honest worst case.
2. ``relnotes eval --backtest all``: every release scored with the releases before it
   (chronological), with all the others (leave-one-release-out) and with each other one
   alone (the learning curve), each with the shipped history's fate model and rule of
   exactly those releases (nothing fitted on the release reported), and issue 18's
   acceptance table; -> bench/results/eval.md and the README's block.

Run:  .venv/bin/python bench/bench_triage.py [--data DIR] [--release 2.8.0] [--items 50000]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import tracemalloc
from pathlib import Path

from relnotes.fileio import atomic_write
from relnotes.prrefs import strip_pr_refs
from relnotes.release import worksheet_files
from relnotes.triage.backtest import render_markdown, run_backtests
from relnotes.triage.history import load_history
from relnotes.triage.parallel import default_jobs
from relnotes.triage.run import triage_worksheets
from relnotes.worksheet import Worksheet, parse_worksheet, read_worksheet

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = Path(os.environ.get("RELNOTES_DATA", HERE.parent / "data/torch-release-notes"))


def load(todo: Path, at_least: int) -> list[Worksheet]:
    """The release's worksheets, read again as often as it takes to reach ``at_least``
    items (each copy is parsed anew, so nothing is shared between copies)."""
    out: list[Worksheet] = []
    while sum(len(ws.items()) for ws in out) < at_least:
        out += [read_worksheet(p) for p in worksheet_files(todo)]
    return out


def distinct_worksheet(data: Path, at_least: int) -> Worksheet:
    """One worksheet of ``at_least`` items with distinct titles (see the module doc)."""
    by_section: dict[str, list[str]] = {}
    for release in ("2.7.0", "2.8.0"):
        for path in worksheet_files(data / release / "todo"):
            for item in read_worksheet(path).items():
                by_section.setdefault(item.placement, []).append(strip_pr_refs(item.title))
    total = sum(len(v) for v in by_section.values())
    copies = -(-at_least // total)
    lines = ["# Release Notes worksheet inductor", "", "Instructions.", "", "## inductor"]
    pr = 100_000
    for section, titles in by_section.items():
        lines.append(f"### {section}")
        for copy in range(copies):
            for title in titles:
                pr += 1
                lines.append(f"- {title} v{copy} ([#{pr}](https://github.com/pytorch/pytorch/pull/{pr}))")
    return parse_worksheet("\n".join(lines) + "\n", path="big/todo/result_inductor.md")


def run_triage(worksheets: list[Worksheet], release: str, jobs: int | None = None) -> int:
    history = load_history()  # a fresh history: its stored decision rule is read in the run
    results = triage_worksheets(worksheets, history=history, release=release, jobs=jobs)
    return sum(len(r) for r in results)


def _measure(worksheets: list[Worksheet], release: str, jobs: int | None,
             ) -> tuple[int, list[float], float]:
    """(items, wall times of 3 runs, peak traced allocations in bytes of this process)."""
    times = []
    items = 0
    for _ in range(3):
        start = time.perf_counter()
        items = run_triage(worksheets, release, jobs)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    run_triage(worksheets, release, jobs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return items, times, peak


def bench(data: Path, release: str, at_least: int) -> str:
    replicated = load(data / release / "todo", at_least)
    distinct = [distinct_worksheet(data, at_least)]
    rows = []
    jobs = default_jobs()
    for name, worksheets in ((f"{release}, all worksheets read again", replicated),
                             ("one worksheet, distinct titles", distinct)):
        for n in (jobs, 1):
            items, times, peak = _measure(worksheets, release, n)
            rows.append(f"| {name} | {len(worksheets)} | {items} | {n} | {min(times):.2f} s | "
                        f"{max(times):.2f} s | {min(times) / items * 1e6:.0f} us | "
                        f"{peak / 2**20:.0f} MiB |")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load_avg = os.getloadavg()[0]
    return "\n".join([
        "# Triage benchmark",
        "",
        f"Offline triage of at least {at_least:,} items (load the shipped history, its stored",
        "fate model and decision rule, triage; no metadata), `bench/bench_triage.py`, on this",
        f"{os.cpu_count()}-core machine (load average {load_avg:.1f} when it finished).",
        "",
        ("| workload | worksheets | items | processes | wall time, best of 3 | worst of 3 "
         "| per item (best) | peak Python allocations |"),
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        f"Peak RSS of the process: {rss:.0f} MiB. Target: < 10 s for 50,000 items.",
        "",
    ])


def update_readme(readme: Path, blocks: dict[str, str]) -> None:
    """Replace the text between each ``<!-- bench_triage: NAME -->`` and
    ``<!-- bench_triage: end NAME -->`` marker pair of ``readme`` (the Triage section's
    tables) by ``blocks[NAME]``."""
    text = readme.read_text(encoding="utf-8")
    for name, block in blocks.items():
        begin, end = f"<!-- bench_triage: {name} -->", f"<!-- bench_triage: end {name} -->"
        start, stop = text.find(begin), text.find(end)
        if start < 0 or stop < start:
            raise SystemExit(f"{readme}: no {begin} ... {end} block")
        text = text[:start + len(begin)] + "\n" + block.strip() + "\n" + text[stop:]
    atomic_write(readme, text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--release", default="2.8.0")
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--readme", type=Path, default=HERE.parent / "README.md",
                        help="README whose bench_triage block gets the tables")
    args = parser.parse_args()
    if not args.skip_speed:
        text = bench(args.data, args.release, args.items)
        atomic_write(HERE / "results" / "triage.md", text)
        print(text)
    results = run_backtests(args.data)
    table = render_markdown(results)
    atomic_write(HERE / "results" / "eval.md",
                 "# Triage backtests (`relnotes eval --backtest all`)\n\n"
                 "Produced by `bench/bench_triage.py`. Baseline = keep the pre-sorted "
                 f"section, Untopiced counts as dropped.\n\n{table}")
    print(table)
    rules = "\n".join(f"- {b.direction.name}: {b.report.policy}" for b in results)
    speed = (HERE / "results" / "triage.md").read_text(encoding="utf-8")
    update_readme(args.readme, {
        "eval": table + "\nThe rules each direction used (learned from its history only):\n\n"
                + rules,
        "speed": speed[speed.index("| workload"):]})


if __name__ == "__main__":
    main()
