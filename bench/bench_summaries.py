"""Backtest of ``relnotes summarize``'s grouping on the real release data (issue 17).

For each given release (``todo/`` as generated, ``done/`` as maintainers finished):
pair precision and bullet recall (see ``relnotes/summaries/evaluate.py``) of

- the model, learned only from other releases: leave-one-release-out (learn on the
  others, score the one left out) and chronological (learn on the older ones);
- the naive baseline "titles >= 85% alike" (rapidfuzz ratio, nothing learned).

Also the key-PR ranking: of the items in the sections summarised (and Untopiced), the
share maintainers published among those ranked key vs those marked "fold into a group
or drop", and the ROC AUC of the score for "published".

-> bench/results/summaries.md (the README's table is copied from it). ``--save`` also
rewrites the shipped weights (``relnotes/summaries/weights.json``) from every release
given: what ``relnotes summarize`` uses.

Run:  .venv/bin/python bench/bench_summaries.py [--data DIR] [--save]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from relnotes.fileio import atomic_write
from relnotes.release import worksheet_files
from relnotes.summaries.evaluate import Quality, backtest, learn
from relnotes.summaries.grouping import group_items, groupable_items
from relnotes.summaries.keys import key_prs
from relnotes.summaries.model import DEFAULT_WEIGHTS, Weights
from relnotes.summaries.preamble import DEFAULT_SUMMARY_SECTIONS
from relnotes.summaries.truth import read_truth
from relnotes.worksheet import read_worksheet

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = Path(os.environ.get("RELNOTES_DATA", HERE.parent / "data/torch-release-notes"))
RELEASES = ("2.7.0", "2.8.0", "2.9.0")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _row(split: str, train: list[str], q: Quality) -> str:
    return (f"| {q.release} | {split} | {', '.join(train) or '-'} | {q.method} | "
            f"{_fmt(q.pair_precision)} ({q.pairs_right}/{q.pairs}) | "
            f"{_fmt(q.bullet_recall)} ({q.bullets_found}/{q.bullets}) | {q.groups} |")


def _auc(scores: list[tuple[float, bool]]) -> float:
    pos = [s for s, y in scores if y]
    neg = [s for s, y in scores if not y]
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def key_ranking(release: Path, weights: Weights) -> str:
    """Published share of key vs tail entries, and the score's AUC for "published"."""
    truth = read_truth(release / "done")
    sections = (*DEFAULT_SUMMARY_SECTIONS, "Untopiced")
    scored: list[tuple[float, bool]] = []
    key = tail = key_pub = tail_pub = 0
    for path in worksheet_files(release / "todo"):
        ws = read_worksheet(path)
        items = groupable_items(ws, sections=sections)
        groups = group_items(items, weights)
        for entry in key_prs(items, groups, sections=sections):
            published = entry.pr in truth.published
            scored.append((entry.score, published))
            if entry.tail:
                tail, tail_pub = tail + 1, tail_pub + published
            else:
                key, key_pub = key + 1, key_pub + published
    return (f"| {release.name} | {key} | {key_pub / max(key, 1):.2f} | {tail} | "
            f"{tail_pub / max(tail, 1):.2f} | {_auc(scored):.2f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--save", action="store_true",
                        help="rewrite relnotes/summaries/weights.json from every release")
    args = parser.parse_args()
    folders = [args.data / r for r in RELEASES if (args.data / r / "done").is_dir()]
    start = time.perf_counter()
    lines = [
        "# Summaries: grouping quality (bench/bench_summaries.py)", "",
        "Groups made from each release's `todo/` worksheets as generated (every section but "
        "BC-breaking and deprecation), scored against its `done/`. Pair precision: of the PR "
        "pairs put in one group where both PRs were published, the share one maintainers' "
        "multi-PR bullet holds together. Bullet recall: of the maintainers' multi-PR bullets "
        "(own PRs >= 2, published sections; topic headings over single-PR nested bullets do "
        "not count), the share of which one group holds >= 2 PRs and at least half. The "
        "model is learned only from the releases in 'learned on'.", "",
        "| release | split | learned on | method | pair precision | bullet recall | groups |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for split, train, scores in backtest(folders):
        for q in scores:
            lines.append(_row(split, train, q))
        print(f"{split}: {scores[0].release} done ({time.perf_counter() - start:.0f} s)",
              file=sys.stderr)
    lines += ["", "## Key PRs (leave-one-release-out weights)", "",
              "Entries ranked in the summarised sections and Untopiced; 'key' = score >= "
              "0.35, the rest marked 'fold into a group or drop'. Published = maintainers "
              "kept the PR in a published section of done/.", "",
              "| release | key entries | published | tail entries | published | AUC |",
              "| --- | --- | --- | --- | --- | --- |"]
    for held in folders:
        weights = learn([f for f in folders if f != held])
        lines.append(key_ranking(held, weights))
    lines += ["", f"Total time: {time.perf_counter() - start:.0f} s on this machine.", ""]
    out = HERE / "results/summaries.md"
    atomic_write(out, "\n".join(lines))
    print("\n".join(lines))
    if args.save:
        learn(folders).save(DEFAULT_WEIGHTS)
        print(f"wrote {DEFAULT_WEIGHTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
