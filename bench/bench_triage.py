"""Benchmark and backtest of triage on the real release data.

1. Offline triage of every worksheet of a release (default 2.8.0): wall time (reading,
   history loading and triage, best of 3) and peak memory; -> bench/results/triage.md.
2. ``relnotes eval`` in both directions, history from the *other* release only;
   -> bench/results/eval.md.

Run:  .venv/bin/python bench/bench_triage.py [--data DIR] [--release 2.8.0]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import tracemalloc
from pathlib import Path

from relnotes.fileio import atomic_write
from relnotes.triage.engine import triage_worksheets
from relnotes.triage.evaluate import EvalReport, evaluate
from relnotes.triage.history import load_history
from relnotes.worksheet import read_worksheet, worksheet_files

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = Path(os.environ.get("RELNOTES_DATA", HERE.parents[1] / "shared/data/torch-release-notes"))


def run_triage(todo: Path) -> tuple[int, int]:
    worksheets = [read_worksheet(p) for p in worksheet_files(todo)]
    history = load_history()
    results = triage_worksheets(worksheets, history=history)
    return len(worksheets), sum(len(r) for r in results)


def bench(todo: Path) -> str:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        files, items = run_triage(todo)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    run_triage(todo)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return "\n".join([
        "# Triage benchmark",
        "",
        f"Offline triage of every worksheet in `{todo.parent.name}/todo` (read, load the shipped",
        "history, triage; no metadata), `bench/bench_triage.py`.",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| worksheets | {files} |",
        f"| items | {items} |",
        f"| wall time, best of 3 | {min(times):.2f} s |",
        f"| wall time, worst of 3 | {max(times):.2f} s |",
        f"| peak Python allocations (tracemalloc) | {peak / 2**20:.1f} MiB |",
        f"| peak RSS of the process | {rss:.0f} MiB |",
        "| target | < 5 s |",
        "",
    ])


def _row(name: str, t: object, b: object) -> str:
    return f"| {name} | {t} | {b} |"


def eval_section(release: str, report: EvalReport) -> list[str]:
    t, b = report.triage, report.baseline
    lines = [
        f"## {release} (history: {', '.join(report.history_releases) or 'none'})",
        "",
        (f"Scored {t.items} items; not scored (no done counterpart): "
         f"{', '.join(report.unscored_files) or 'none'}."),
        "",
        "| measure | triage | baseline |",
        "| --- | --- | --- |",
        _row("fate accuracy", f"{t.fate_accuracy:.3f}", f"{b.fate_accuracy:.3f}"),
        _row("publish precision", f"{t.publish_precision:.3f}", f"{b.publish_precision:.3f}"),
        _row("publish recall", f"{t.publish_recall:.3f}", f"{b.publish_recall:.3f}"),
        _row("decided at >= 95% agreement", f"{t.decided_at_95:.3f}", f"{b.decided_at_95:.3f}"),
        _row("items at confidence >= 0.9", t.high_confidence_items, "-"),
        _row("agreement among them", f"{t.high_confidence_agreement or 0:.3f}", "-"),
        _row("moves sent to the right domain", f"{t.target_domain_accuracy or 0:.3f}", "-"),
        "",
        "| section | precision | recall | support |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {s} | {m['precision']:.2f} | {m['recall']:.2f} | {int(m['support'])} |"
              for s, m in t.per_section.items()]
    return lines + [""]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--release", default="2.8.0")
    args = parser.parse_args()
    text = bench(args.data / args.release / "todo")
    atomic_write(HERE / "results" / "triage.md", text)
    print(text)
    lines = ["# Triage backtest (`relnotes eval`)", "",
             "History from the other release only; baseline = keep the pre-sorted section,",
             "Untopiced counts as dropped. Produced by `bench/bench_triage.py`.", ""]
    for release, other in (("2.8.0", "2.7.0"), ("2.7.0", "2.8.0")):
        base = args.data / release
        report = evaluate(todo=base / "todo", done=base / "done",
                          miscategorized=base / "miscategorized.md", exclude_history=[release])
        assert release not in report.history_releases
        lines += eval_section(release, report)
    atomic_write(HERE / "results" / "eval.md", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
