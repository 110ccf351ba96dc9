"""Benchmark and backtest of triage on the real release data.

1. Speed, two workloads of at least 50,000 items (``--items``), each timed from loading
   the shipped history (and its stored decision rule) to the last suggestion,
   best and worst of 3, and peak memory; -> bench/results/triage.md:
   a. every worksheet of a release (default 2.8.0), read again until the run holds 50,000
      items (each title recurs about 12 times, which per-title caches exploit);
   b. one worksheet of 50,000 items with 50,000 *distinct* titles: the items of 2.7.0
      and 2.8.0 in their pre-sorted sections, each copy's titles made unique by a
      trailing word (``... v7``), so no per-title cache helps: the honest worst case.
2. ``relnotes eval`` leave-one-release-out: 2.8.0 with history from 2.7.0 only, and 2.7.0
   with history from 2.8.0 only (nothing is tuned on the release reported);
   -> bench/results/eval.md. The README's triage tables are copied from it.

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
from relnotes.triage.evaluate import EvalReport, evaluate, render_eval_markdown
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
        f"Offline triage of at least {at_least:,} items (load the shipped history and its",
        "stored decision rule, triage; no metadata), `bench/bench_triage.py`, on this",
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


def acceptance_table(reports: dict[str, EvalReport]) -> str:
    """Issue 13's acceptance numbers for 2.8.0 and 2.7.0 (each with the other as
    history); "met" only when both directions meet it."""
    a, b = reports["2.8.0"], reports["2.7.0"]

    def hs(r: EvalReport, key: str) -> float:
        return r.triage.high_stakes[key]

    def sec(r: EvalReport, name: str) -> float:
        return r.triage.per_section.get(name, {}).get("recall", 0.0)

    def gain(r: EvalReport) -> float:
        return (r.triage.fate_accuracy - r.baseline.fate_accuracy) * 100

    rows = [
        ("BC+deprecation recall >= 0.85", lambda r: f"{hs(r, 'recall'):.3f}",
         lambda r: hs(r, "recall") >= 0.85),
        ("... with <= 3% of items flagged", lambda r: f"{hs(r, 'flagged_share'):.1%}",
         lambda r: hs(r, "flagged_share") <= 0.03),
        ("no kept pre-sorted BC/deprecation item proposed to move",
         lambda r: f"{hs(r, 'presorted_kept_proposed_to_move'):.0f} of "
                   f"{hs(r, 'presorted_kept'):.0f}",
         lambda r: hs(r, "presorted_kept_proposed_to_move") == 0),
        ("fate accuracy >= baseline + 2 points", lambda r: f"{gain(r):+.1f}",
         lambda r: gain(r) >= 2.0),
        ("publish recall >= 0.70", lambda r: f"{r.triage.publish_recall:.3f}",
         lambda r: r.triage.publish_recall >= 0.70),
        ("... at publish precision >= 0.62", lambda r: f"{r.triage.publish_precision:.3f}",
         lambda r: r.triage.publish_precision >= 0.62),
        ("decided at 95% agreement >= 0.40", lambda r: f"{r.triage.decided_at_95:.3f}",
         lambda r: r.triage.decided_at_95 >= 0.40),
        ("devs recall >= 0.30", lambda r: f"{sec(r, 'devs'):.3f}",
         lambda r: sec(r, "devs") >= 0.30),
        ("other-domain recall >= 0.30", lambda r: f"{sec(r, 'miscategorized'):.3f}",
         lambda r: sec(r, "miscategorized") >= 0.30),
    ]
    lines = ["| target | 2.8.0 (history 2.7.0) | 2.7.0 (history 2.8.0) | met? |",
             "| --- | --- | --- | --- |"]
    for name, show, ok in rows:
        missed = [rel for rel, r in (("2.8.0", a), ("2.7.0", b)) if not ok(r)]
        met = "yes" if not missed else "no" if len(missed) == 2 else f"no ({missed[0]})"
        lines.append(f"| {name} | {show(a)} | {show(b)} | {met} |")
    return "\n".join(lines) + "\n"


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
    lines = ["# Triage backtest (`relnotes eval`), leave-one-release-out", "",
             "Each release is triaged with history from the *other* release only; the",
             "decision rule's margin, thresholds and calibration are learned from that",
             "history. Baseline = keep the pre-sorted section, Untopiced counts as dropped.",
             "Produced by `bench/bench_triage.py`.", ""]
    reports: dict[str, EvalReport] = {}
    sections = []
    for release, other in (("2.8.0", "2.7.0"), ("2.7.0", "2.8.0")):
        base = args.data / release
        report = evaluate(todo=base / "todo", done=base / "done",
                          miscategorized=base / "miscategorized.md",
                          exclude_history=[release], release=release)
        assert report.history_releases == [other], report.history_releases
        reports[release] = report
        sections.append(render_eval_markdown(f"{release} (history: {other} only)", report))
    accept = acceptance_table(reports)
    lines += sections + ["## Against issue 13's acceptance numbers", "", accept]
    atomic_write(HERE / "results" / "eval.md", "\n".join(lines))
    print("\n".join(lines))
    speed = (HERE / "results" / "triage.md").read_text(encoding="utf-8")
    update_readme(args.readme, {
        "eval": "\n".join([
            *(s.replace("## ", "**", 1).replace("\n", "**\n", 1) for s in sections),
            ('**Against issue 13\'s acceptance numbers** (both directions; "met" only when '
             "both are):"), "", accept]),
        "speed": speed[speed.index("| workload"):]})


if __name__ == "__main__":
    main()
