"""Start-up: ``relnotes triage todo/quantization.md --offline`` against ``relnotes --help``.

Issue 20's target: triaging the bundled 60-item worksheet takes at most 1 s more than
printing the help, on the same machine. Both commands run as a user runs them (the
installed ``relnotes`` script, a fresh process each time, output to /dev/null, an empty
PR metadata cache), hyperfine-style: warm-up runs, then ``--runs`` timed runs of each,
interleaved so that a change of load hits both alike. A third command shows what the
stored decision rule saves: the same triage with a recency that has no stored rule
(``--recency 0.49``), so the rule is learned from the history in the run, as every run
did before. Writes bench/results/startup.md and the README's block between the
``bench_startup`` markers.

Run:  .venv/bin/python bench/bench_startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from relnotes.fileio import atomic_write

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TARGET = 1.0  # seconds triage may take beyond --help
COMMANDS = {
    "relnotes --help": ["--help"],
    "relnotes triage todo/quantization.md --offline": [
        "triage", "todo/quantization.md", "--offline"],
    "... --recency 0.49 (rule learned in the run)": [
        "triage", "todo/quantization.md", "--offline", "--recency", "0.49"],
}


def relnotes_script() -> Path:
    """The ``relnotes`` script installed beside this interpreter."""
    script = Path(sys.executable).parent / "relnotes"
    if not script.is_file():
        raise SystemExit(f"no relnotes script at {script}: pip install -e . first")
    return script


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(runs: int, warmup: int) -> dict[str, list[float]]:
    script = str(relnotes_script())
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "RELNOTES_CACHE": str(Path(cache) / "github.sqlite"),
               "PYTHONPATH": str(REPO)}
        for _ in range(warmup):
            for args in COMMANDS.values():
                timed([script, *args], env)
        for _ in range(runs):
            for name, args in COMMANDS.items():
                times[name].append(timed([script, *args], env))
    return times


def report(times: dict[str, list[float]], runs: int, load: tuple[float, float]) -> str:
    help_times, triage_times = (times[name] for name in list(COMMANDS)[:2])
    extra_median = statistics.median(triage_times) - statistics.median(help_times)
    extra_mean = statistics.mean(triage_times) - statistics.mean(help_times)
    met = "met" if extra_median <= TARGET and extra_mean <= TARGET else "NOT met"
    rows = [f"| `{name}` | {statistics.mean(t):.2f} ± {statistics.stdev(t):.2f} s | "
            f"{statistics.median(t):.2f} s | {min(t):.2f} s | {max(t):.2f} s |"
            for name, t in times.items()]
    bytecode = "off (PYTHONDONTWRITEBYTECODE)" if os.environ.get("PYTHONDONTWRITEBYTECODE") \
        else "on"
    return "\n".join([
        "# Start-up benchmark (bench/bench_startup.py)",
        "",
        f"Each command run {runs} times in a fresh process (interleaved, after a warm-up),",
        (f"on this {os.cpu_count()}-core machine; load average {load[0]:.1f} before and "
         f"{load[1]:.1f} after; Python bytecode caching {bytecode}."),
        "",
        "| command | mean ± sd | median | min | max |",
        "| --- | --- | --- | --- | --- |",
        *rows,
        "",
        (f"triage takes {extra_median:.2f} s (median; mean {extra_mean:+.2f} s) more than "
         f"`--help`; target <= {TARGET:.1f} s: {met}."),
        "",
    ])


def update_readme(readme: Path, block: str) -> None:
    """Replace the text between the ``bench_startup`` markers of ``readme``."""
    text = readme.read_text(encoding="utf-8")
    begin, end = "<!-- bench_startup -->", "<!-- bench_startup: end -->"
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        raise SystemExit(f"{readme}: no {begin} ... {end} block")
    atomic_write(readme, text[:start + len(begin)] + "\n" + block.strip() + "\n" + text[stop:])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--readme", type=Path, default=REPO / "README.md")
    args = parser.parse_args()
    before = os.getloadavg()[0]
    times = measure(max(args.runs, 2), args.warmup)
    text = report(times, max(args.runs, 2), (before, os.getloadavg()[0]))
    atomic_write(HERE / "results" / "startup.md", text)
    update_readme(args.readme, text[text.index("Each command"):])
    print(text)


if __name__ == "__main__":
    main()
