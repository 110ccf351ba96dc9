"""Backtests over several releases: what triage would have done with the history a
maintainer had, and what more history buys.

A :class:`Direction` is one release scored with a chosen selection of the others:

- chronological: each release with every release before it (what a maintainer had);
- leave-one-release-out: each release with all the others (with three or more);
- one release: each release with each other one alone (the learning curve's first point;
  the second is the two-release directions above).

Every direction uses the history file's stored fate model and rule of exactly that
selection (``relnotes history build`` stores them), so nothing is fitted on the release
it is scored on. :func:`acceptance` holds the figures to issue 18's targets: "met" only
where every direction it applies to meets it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from relnotes.triage.evaluate import TARGETS, EvalReport, Target, evaluate, figures
from relnotes.triage.history import DEFAULT_RECENCY, load_history, release_key

__all__ = ["KINDS", "Backtest", "Direction", "Target", "acceptance", "directions",
           "figures", "learning_curve", "render_markdown", "render_text", "run_backtests"]

KINDS = ("chronological", "leave-one-release-out", "one release")


@dataclass(frozen=True)
class Direction:
    """One release scored with a selection of the others."""

    scored: str
    history: tuple[str, ...]
    kind: str

    @property
    def name(self) -> str:
        return f"{self.scored} <- {'+'.join(self.history)}"


@dataclass(frozen=True)
class Backtest:
    direction: Direction
    report: EvalReport


def directions(releases: Sequence[str], kinds: Sequence[str] = KINDS) -> list[Direction]:
    """The directions of ``kinds`` over ``releases`` (each once, in the order of KINDS)."""
    ordered = sorted(set(releases), key=release_key)
    out: list[Direction] = []
    if "chronological" in kinds:
        out += [Direction(r, tuple(ordered[:i]), "chronological")
                for i, r in enumerate(ordered) if i]
    if "leave-one-release-out" in kinds and len(ordered) >= 3:
        out += [Direction(r, tuple(x for x in ordered if x != r), "leave-one-release-out")
                for r in ordered]
    if "one release" in kinds:
        out += [Direction(r, (h,), "one release") for r in ordered for h in ordered if h != r]
    seen: set[tuple[str, tuple[str, ...]]] = set()
    unique = []
    for d in out:
        if (d.scored, d.history) not in seen:
            seen.add((d.scored, d.history))
            unique.append(d)
    return unique


def run_backtests(data: str | Path, *, history_path: str | Path | None = None,
                  kinds: Sequence[str] = KINDS, recency: float = DEFAULT_RECENCY,
                  progress: Callable[[Direction, int, int], None] | None = None,
                  ) -> list[Backtest]:
    """Every direction over the history's releases that have a folder (todo/ and done/)
    under ``data``."""
    root = Path(data)
    stored = load_history(history_path, recency=recency).releases
    have = [r for r in stored if (root / r / "todo").is_dir() and (root / r / "done").is_dir()]
    todo = directions(have, kinds)
    out = []
    for n, d in enumerate(todo, 1):
        if progress is not None:
            progress(d, n, len(todo))
        folder = root / d.scored
        report = evaluate(todo=folder / "todo", done=folder / "done",
                          miscategorized=folder / "miscategorized.md",
                          include_history=d.history, history_path=history_path,
                          recency=recency, release=d.scored)
        out.append(Backtest(d, report))
    return out


def acceptance(results: Sequence[Backtest]) -> list[Target]:
    """Each target against each direction given ("met" only where all meet it)."""
    out = []
    for name, show, ok in TARGETS:
        fs = [(b.direction.name, figures(b.report)) for b in results]
        missed = tuple(n for n, f in fs if not ok(f))
        out.append(Target(name, tuple(show(f) for _, f in fs), not missed, missed))
    return out


def learning_curve(results: Sequence[Backtest]) -> list[tuple[str, list[float], list[float]]]:
    """Per scored release: its gains (points) with one release of history, and with two."""
    out = []
    for scored in sorted({b.direction.scored for b in results}, key=release_key):
        gains: dict[int, list[float]] = {1: [], 2: []}
        for b in results:
            if b.direction.scored == scored and len(b.direction.history) in gains:
                gains[len(b.direction.history)].append(figures(b.report)["gain"])
        out.append((scored, gains[1], gains[2]))
    return out


_HEADER = ("| scored <- history | kind | fate acc | pre-sort | gain (pts) | BC+dep recall "
           "| flagged | kept BC/dep moved | pub P | pub R | cov@95 | devs R | other-dom R |")


def _row(b: Backtest) -> str:
    f = figures(b.report)
    return (f"| {b.direction.name} | {b.direction.kind} | {f['accuracy']:.3f} | "
            f"{f['presort']:.3f} | {f['gain']:+.1f} | {f['bc_found']:.0f}/{f['bc_n']:.0f} "
            f"({f['bc_recall']:.2f}) | {f['flagged']:.1%} | {f['kept_moved']:.0f}/"
            f"{f['kept']:.0f} | {f['pub_p']:.3f} | {f['pub_r']:.3f} | {f['cov95']:.3f} | "
            f"{f['devs_r']:.2f} ({round(f['devs_r'] * f['devs_n'])}/{f['devs_n']:.0f}) | "
            f"{f['misc_r']:.2f} ({round(f['misc_r'] * f['misc_n'])}/{f['misc_n']:.0f}) |")


def render_markdown(results: Sequence[Backtest]) -> str:
    """The backtest table, the learning curve and the acceptance table (README)."""
    lines = [_HEADER, "| " + " | ".join(["---"] * 13) + " |"]
    lines += [_row(b) for b in results]
    curve = learning_curve(results)
    lines += ["", "Learning curve (gain over the pre-sort, points):", "",
              "| scored | one release of history | two releases |", "| --- | --- | --- |"]
    lines += [f"| {s} | {', '.join(f'{g:+.1f}' for g in one) or '-'} | "
              f"{', '.join(f'{g:+.1f}' for g in two) or '-'} |" for s, one, two in curve]
    ones = [g for _, one, _ in curve for g in one]
    twos = [g for _, _, two in curve for g in two]
    if ones and twos:
        lines += ["", (f"Mean gain: {sum(ones) / len(ones):+.2f} points with one release of "
                       f"history, {sum(twos) / len(twos):+.2f} with two.")]
    lines += ["", _acceptance_markdown(results)]
    return "\n".join(lines) + "\n"


def _acceptance_markdown(results: Sequence[Backtest]) -> str:
    two = [b for b in results if len(b.direction.history) >= 2]
    newest = max((b for b in results if b.direction.kind == "chronological"),
                 key=lambda b: release_key(b.direction.scored), default=None)
    names = [b.direction.name for b in two]
    lines = ["| target | " + " | ".join(names) + " | met? |",
             "| --- | " + " | ".join("---" for _ in names) + " | --- |"]
    for t in acceptance(two)[:-1]:
        met = "yes" if t.met else "no (" + ", ".join(t.missed_in) + ")"
        lines.append(f"| {t.name} | " + " | ".join(t.values) + f" | {met} |")
    if newest is not None:
        t = acceptance([newest])[-1]
        lines += ["", (f"Newest release ({newest.direction.name}): fate accuracy not below "
                      f"the pre-sort: {t.values[0]} points, "
                      f"{'met' if t.met else 'missed'}; worst of all "
                      f"{len(results)} directions: "
                      f"{min(figures(b.report)['gain'] for b in results):+.1f} points.")]
    return "\n".join(lines)


def render_text(results: Sequence[Backtest]) -> str:
    """The same as :func:`render_markdown`, for a terminal (it is readable as text)."""
    return render_markdown(results)
