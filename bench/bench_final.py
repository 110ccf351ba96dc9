"""Measure ``relnotes final`` on the real releases (the numbers in the README).

For every release of the data folder with done/ and final.md (2.7.0, 2.8.0, 2.9.0):

1. build final.md from done/ (in memory, shipped area table): time, items, warnings;
2. every PR of a published section of done/ is in the generated file (counted here from
   the worksheets, independently of the builder's own self-check);
3. the generated file passes the reconciliation (``relnotes final --check``) with nothing;
4. of the PRs the real final.md publishes: the share in the generated file under the same
   top-level section and under the same ``##`` area (with the shipped table, and with the
   release's own area names where a project file for them exists in bench/);
5. where the real final.md put PRs in another section than the merge (by domain);
6. ``--check`` on the real final.md against done/: counts, and ten findings of each kind;
7. three PR lines removed from the generated file plus a top-level ``# `` comment: what
   ``--check`` reports.

Run:  .venv/bin/python bench/bench_final.py [--data DIR]   -> bench/results/final.md
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections import Counter
from pathlib import Path

from relnotes.config import Config
from relnotes.fileio import atomic_write
from relnotes.final_areas import load_area_table
from relnotes.final_build import build_final
from relnotes.final_check import Reconciliation, check_final, reconcile
from relnotes.final_sources import read_done
from relnotes.finalnotes import SECTION_TITLES, FinalNotes, parse_final_notes, read_final_notes
from relnotes.release import ReleaseFolder

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = Path(os.environ.get("RELNOTES_DATA", HERE.parent / "data/torch-release-notes"))


def pct(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100 * part / whole:.1f}%" if whole else "-"


def agreement(real: FinalNotes, gen: FinalNotes) -> dict[str, tuple[int, int]]:
    """Of the PRs real publishes (under a release-note section): same section, same area."""
    places = gen.pr_places()
    counts = Counter()
    for pr, items in real.pr_places().items():
        items = [i for i in items if i.top_category]
        if not items:
            continue
        got = places.get(pr, [])
        counts["total"] += 1
        counts["present"] += bool(got)
        counts["section"] += bool({i.top_category for i in items} & {i.top_category for i in got})
        counts["area"] += bool({i.area for i in items} & {i.area for i in got})
        counts["both"] += bool({(i.top_category, i.area) for i in items}
                               & {(i.top_category, i.area) for i in got})
    return {k: (counts[k], counts["total"]) for k in ("present", "section", "area", "both")}


def section_moves(real: FinalNotes, gen: FinalNotes, domains: dict[int, str]) -> Counter:
    places = gen.pr_places()
    moves: Counter = Counter()
    for pr, items in real.pr_places().items():
        items = [i for i in items if i.top_category]
        got = places.get(pr, [])
        if items and got and not ({i.top_category for i in items}
                                  & {i.top_category for i in got}):
            moves[(domains.get(pr, "(quoted in a title)"), SECTION_TITLES[got[0].top_category],
                   SECTION_TITLES[items[0].top_category])] += 1
    return moves


def sample(rows: list, n: int = 10) -> list:
    """``n`` rows spread over the list (deterministic)."""
    if len(rows) <= n:
        return rows
    step = len(rows) / n
    return [rows[int(i * step)] for i in range(n)]


def damage(text: str) -> tuple[str, list[int], int]:
    """Remove three single-PR bullet lines and add a top-level '# ' line outside fences."""
    notes = parse_final_notes(text, path="generated")
    counts = Counter(pr for item in notes.items() for pr in item.refs)
    candidates = [i for i in notes.published() if i.kind == "bullet" and len(i.refs) == 1
                  and len(i.lines) == 1 and counts[next(iter(i.refs))] == 1]
    picked = sample(candidates, 3)
    lines = text.splitlines(keepends=True)
    gone = sorted((i.start for i in picked), reverse=True)
    comment_at = picked[1].start + 3  # a few lines after the second removed item
    lines.insert(comment_at, "# this comment line left its code fence\n")
    for start in gone:
        del lines[start if start < comment_at else start + 1]
    line = comment_at - sum(1 for start in gone if start < comment_at)  # 0-based, after
    return "".join(lines), sorted(next(iter(i.refs)) for i in picked), line


def release_report(data: Path, release: str) -> list[str]:
    root = data / release
    folder = ReleaseFolder(root, config=Config())
    start = time.perf_counter()
    report = build_final(folder)
    seconds = time.perf_counter() - start
    gen = parse_final_notes(report.text, path=f"{release}/generated final.md")
    sources = read_done(root / "done", release=release)
    published = {pr for s in sources for u in s.units if u.published for pr in u.prs}
    domains = {pr: u.domain for s in sources for u in s.units if u.published for pr in u.prs}
    in_gen = published & set(gen.pr_places())
    self_check = reconcile(gen, sources)
    real = read_final_notes(root / "final.md")
    shipped = agreement(real, gen)
    out = [f"## {release}", "",
           (f"Built in {seconds:.2f} s: {len(report.text.splitlines())} lines, "
           f"{sum(a['items'] for s in report.counts.values() for a in s.values())} items, "
           f"{report.entries_templated} entries through `final_entry.md.j2` and "
           f"{report.entries_verbatim} kept as written; {len(report.warnings)} warning(s)."), "",
           "| measure | value |", "| --- | --- |",
           (f"| PRs of published sections of done/ in the generated file | "
           f"{pct(len(in_gen), len(published))} |"),
           f"| `--check` on the generated file | {self_check.summary()} |",
           f"| real final.md PRs present in the generated file | {pct(*shipped['present'])} |",
           f"| ... under the same top-level section | {pct(*shipped['section'])} |",
           f"| ... under the same `##` area (shipped table) | {pct(*shipped['area'])} |",
           f"| ... same section and same area (shipped table) | {pct(*shipped['both'])} |"]
    own = HERE / f"final_areas_{release}.toml"
    if own.is_file():
        alt = build_final(folder, areas=load_area_table(own))
        named = agreement(real, parse_final_notes(alt.text, path="alt"))
        out += [f"| ... under the same `##` area (`bench/{own.name}`) | {pct(*named['area'])} |",
                (f"| ... same section and same area (`bench/{own.name}`) | "
                f"{pct(*named['both'])} |")]
    out += ["", "Warnings of the build:", ""]
    kinds = Counter(f"[{w.code}] " + re.sub(r"#\d+(, #\d+)*|'[^']*'", "_", w.message)
                    for w in report.warnings)
    out += [f"- {n} x {kind}" for kind, n in kinds.most_common()]
    moves = section_moves(real, gen, domains)
    out += ["", (f"Where real final.md has a PR under another section than the merge "
                f"({sum(moves.values())} PRs; domain: merge -> real):"), "",
            "| domain | merged under | published under | PRs |", "| --- | --- | --- | ---: |"]
    out += [f"| {d} | {a} | {b} | {n} |" for (d, a, b), n in moves.most_common()]
    check = check_final(folder)
    out += ["", f"`relnotes final --check {release}` on the real final.md: {check.summary()}", ""]
    lost = Counter((m.domain, m.section) for m in check.missing)
    out += ["Missing PRs by domain and section (the ten largest):", "",
            "| domain | section | PRs |", "| --- | --- | ---: |"]
    out += [f"| {d} | {s} | {n} |" for (d, s), n in lost.most_common(10)]
    out += ["", "Ten findings of each kind (spread over the list):", ""]
    out += _findings(check)
    broken, removed, comment_at = damage(report.text)
    hurt = reconcile(parse_final_notes(broken, path="damaged"), sources)
    out += ["", (f"Three PR lines removed from the generated file (#{', #'.join(map(str, removed))})"
                f" and `# this comment line left its code fence` added at line {comment_at + 1}:"),
            "", "```", *hurt.lines(), hurt.summary(), "```", ""]
    return out


def _findings(check: Reconciliation) -> list[str]:
    """Ten findings of each kind, one per place (an item with seven PRs is one place)."""
    rows = check.lines()
    out: list[str] = []
    for kind in ("missing", "extra", "misplaced", "structure"):
        mine = [r for r in rows if re.search(rf": {kind}( \(allowed\))?: ", r)]
        places = list({r.split(f": {kind}")[0]: r for r in reversed(mine)}.values())[::-1]
        out += [f"{kind}: {len(mine)} finding(s) at {len(places)} place(s)", "", "```",
                *sample(places), "```", ""]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    lines = ["# `relnotes final` on the real releases", "",
             "`bench/bench_final.py`; paths are relative to the data folder.", ""]
    releases = sorted((p.parent.name for p in args.data.glob("*/final.md")
                       if (p.parent / "done").is_dir()),
                      key=lambda name: tuple(int(x) for x in name.split(".") if x.isdigit()))
    for release in releases:
        lines += release_report(args.data, release)
    text = "\n".join(lines).replace(str(args.data) + "/", "") + "\n"
    atomic_write(HERE / "results" / "final.md", text)
    print(text)


if __name__ == "__main__":
    main()
