"""Benchmark of bulk review decisions and apply: one sidecar write per command.

``review --accept-above`` used to rewrite and fsync the whole decisions file once per
accepted item (quadratic: 1,494 accepts took 16.9 s). This measures, on worksheets of
growing size and on the largest real worksheet (2.8.0 ``result_skip.md``):

- ``bulk_accept`` (what ``review --accept-above`` does), best of 3, fresh sidecar each time;
- the old way, one ``DecisionStore.put`` (one write) per accepted item, for comparison;
- ``apply_recorded`` of all those decisions (worksheet, miscategorized.md, sidecar);
- the whole command, ``relnotes review FILE --accept-above 0 --format json`` in a
  subprocess (start-up, triage and the accepts), once.

Then, on one worksheet made of every 2.8.0 ``todo/`` item, read again with new PR numbers
until it holds 5,000, 10,000 and 20,000 items (the generator's sections; triage sends some
to other domains), ``apply`` of every accepted suggestion in a subprocess (the whole
command: start-up, parsing, moves, sends to ``miscategorized.md``, writing), to see it
grow linearly.

Suggestions come from the real triage (offline, shipped history) and are not timed.
Writes go to a temporary folder on the machine's disk. Results -> bench/results/review.md.

Run:  .venv/bin/python bench/bench_review.py [--data DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from relnotes.decisions import DecisionStore, apply_recorded
from relnotes.fileio import atomic_write, sidecar_path
from relnotes.review import bulk_accept, pending_suggestions
from relnotes.triage import Suggestion, triage_worksheet
from relnotes.triage.history import load_history
from relnotes.worksheet import read_worksheet

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = Path(os.environ.get("RELNOTES_DATA", HERE.parent / "data/torch-release-notes"))
LINK = "([#{n}](https://github.com/pytorch/pytorch/pull/{n}))"
WORDS = ["Fix", "Add", "Support", "Improve", "Remove", "Speed up", "Document", "Refactor"]
THINGS = ["conv2d", "the allocator", "torch.compile", "the profiler", "sparse mm",
          "the CUDA graphs", "export", "DTensor redistribute", "the MPS backend"]


def synthetic(folder: Path, n: int) -> Path:
    """A worksheet of ``n`` items spread over the usual sections, like a generated one."""
    sections = ["bug fixes", "improvements", "Untopiced", "not user facing"]
    lines = ["# Release Notes worksheet bench", "", "## bench"]
    for s, section in enumerate(sections):
        lines.append(f"### {section}")
        for i in range(s, n, len(sections)):
            pr = 100000 + i
            lines.append(f"- [BE] {WORDS[i % len(WORDS)]} {THINGS[i % len(THINGS)]} "
                         f"#{i} {LINK.format(n=pr)}")
    path = folder / "todo" / f"result_bench{n}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def replicated(folder: Path, data: Path, n: int) -> Path:
    """One worksheet of ``n`` items: every 2.8.0 ``todo/`` item in its section, again and
    again, each copy with PR numbers a million higher (so every item has a key of its own)."""
    from relnotes.worksheet import read_worksheet as read

    unique: dict[int, tuple[str, str]] = {}  # first PR -> section, title (one per PR)
    for path in sorted((data / "2.8.0" / "todo").glob("result_*.md")):
        for item in read(path).items():
            if item.prs and not set(item.all_prs) & set(unique):
                unique[item.all_prs[0]] = (item.placement, item.title)
    items = list(unique.values())
    by_section: dict[str, list[str]] = {}
    for n_item in range(n):
        section, title = items[n_item % len(items)]
        shift = 1_000_000 * (n_item // len(items))
        title = re.sub(r"(#|/pull/)(\d+)",
                       lambda m, k=shift: f"{m.group(1)}{int(m.group(2)) + k}", title)
        by_section.setdefault(section, []).append(f"- {title}")
    lines = ["# Release Notes worksheet inductor", "", "## inductor"]
    for section in ("bc breaking", "deprecation", "new features", "improvements", "bug fixes",
                    "performance", "docs", "devs", "Untopiced", "not user facing", "security"):
        lines += [f"### {section}", *by_section.get(section, [])]
    path = folder / "todo" / "result_inductor.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def command(*args: str) -> float:
    """Seconds one ``relnotes ARGS`` takes in a subprocess (offline, stdout discarded)."""
    start = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "relnotes"), *args], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure_big(path: Path) -> dict[str, str]:
    """review --accept-above 0, then apply --dry-run and apply: each command once."""
    items = len(read_worksheet(path).items())
    review = command("review", str(path), "--offline", "--accept-above", "0", "--format",
                     "json")
    store = DecisionStore.for_worksheet(path)
    dry = command("apply", str(path), "--no-adopt", "--dry-run")
    real = command("apply", str(path), "--no-adopt")
    return {"items": str(items), "decisions": str(len(store.records)),
            "sent": str(sum(1 for r in store.records.values() if r.section == "miscategorized")),
            "review": f"{review:.2f}", "dry": f"{dry:.2f}", "apply": f"{real:.2f}"}


def best_of(runs: int, setup: Callable[[], None], work: Callable[[], int]) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(runs):
        setup()
        start = time.perf_counter()
        count = work()
        times.append(time.perf_counter() - start)
    return min(times), count


def per_item_writes(suggestions: list[Suggestion], store: DecisionStore) -> int:
    """The old bulk accept: one put (one atomic write with fsync) per item."""
    return sum(len(bulk_accept([sug], store, threshold=0.0))
               for sug in pending_suggestions(suggestions, store))


def measure(path: Path, history: object, *, old_way: bool) -> dict[str, str]:
    pristine = path.read_text(encoding="utf-8")
    misc = path.parent.parent / "miscategorized.md"
    suggestions = triage_worksheet(read_worksheet(path), history=history)  # type: ignore[arg-type]

    def fresh() -> None:
        path.write_text(pristine, encoding="utf-8")
        for p in (sidecar_path(path, "decisions"), misc, Path(str(path) + ".bak"),
                  Path(str(misc) + ".bak")):
            p.unlink(missing_ok=True)

    def store() -> DecisionStore:
        return DecisionStore.for_worksheet(path)

    bulk, accepted = best_of(3, fresh, lambda: len(bulk_accept(suggestions, store(),
                                                                threshold=0.0)))
    row = {"items": str(len(suggestions)), "accepts": str(accepted),
           "bulk": f"{bulk:.3f}", "old": "-", "apply": "-", "cli": "-"}
    if old_way:
        old, _ = best_of(1, fresh, lambda: per_item_writes(suggestions, store()))
        row["old"] = f"{old:.2f}"

    def accept_all() -> None:
        fresh()
        bulk_accept(suggestions, store(), threshold=0.0)

    applied, _ = best_of(3, accept_all, lambda: len(apply_recorded(path).result.to_json()))
    row["apply"] = f"{applied:.3f}"
    fresh()
    row["cli"] = f"{command('review', str(path), '--offline', '--accept-above', '0', '--format', 'json'):.2f}"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "review.md")
    args = parser.parse_args()
    history = load_history()
    load_before = os.getloadavg()[0]
    rows: list[tuple[str, dict[str, str]]] = []
    with tempfile.TemporaryDirectory(prefix="relnotes-bench-", dir=HERE) as tmp:
        for n in (500, 1500, 3000):
            folder = Path(tmp) / f"syn{n}"
            print(f"synthetic worksheet, {n} items", file=sys.stderr)
            rows.append((f"synthetic, {n} items",
                         measure(synthetic(folder, n), history, old_way=n <= 1500)))
        real = args.data / "2.8.0" / "todo" / "result_skip.md"
        if real.is_file():
            print(f"real worksheet {real}", file=sys.stderr)
            copy = Path(tmp) / "real" / "todo" / real.name
            copy.parent.mkdir(parents=True)
            shutil.copy(real, copy)
            rows.append(("2.8.0 result_skip.md", measure(copy, history, old_way=True)))
        big: list[dict[str, str]] = []
        for n in (5000, 10000, 20000):
            print(f"2.8.0 items in one worksheet, {n} items", file=sys.stderr)
            big.append(measure_big(replicated(Path(tmp) / f"big{n}", args.data, n)))
    table = [("| worksheet | items | accepts | bulk_accept (s) | one write per item (s) "
              "| apply (s) | `review --accept-above 0` command (s) |"),
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in rows:
        table.append(f"| {name} | {r['items']} | {r['accepts']} | {r['bulk']} | {r['old']} "
                     f"| {r['apply']} | {r['cli']} |")
    big_table = [("| items | decisions | of them sent to other domains | `review --accept-above 0` "
                  "(s) | `apply --dry-run` (s) | `apply` (s) |"),
                 "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    big_table += [f"| {r['items']} | {r['decisions']} | {r['sent']} | {r['review']} | "
                  f"{r['dry']} | {r['apply']} |" for r in big]
    text = "\n".join([
        "# Review benchmark",
        "",
        "`bench/bench_review.py`: accept every suggestion in bulk (`review --accept-above 0`",
        "without triage) with one sidecar write, against the old one write per item; then",
        "`apply` of all of them; then the whole command in a subprocess (start-up, triage,",
        "accepts). Best of 3 except the old way and the command (once). Target: 1,500",
        "accepts in under 1 s.",
        "",
        *table,
        "",
        "Every 2.8.0 `todo/` item in one worksheet, read again with new PR numbers up to the",
        "size; each command once, in a subprocess (start-up, parsing, triage for review):",
        "",
        *big_table,
        "",
        (f"{os.cpu_count()} cores; 1-minute load average {load_before:.1f} at the start, "
         f"{os.getloadavg()[0]:.1f} at the end (other work on the machine slows every "
         "column)."),
        "",
    ])
    atomic_write(args.out, text)
    print(text)


if __name__ == "__main__":
    main()
