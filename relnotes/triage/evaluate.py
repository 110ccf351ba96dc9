"""The backtest: triage a release's todo worksheets and score it against its done ones.

Scores (for triage and for the baseline "keep the pre-sorted section; Untopiced counts as
dropped"):

- fate accuracy: the suggested section equals the fate (``not user facing`` for dropped,
  ``miscategorized`` for items that left the domain);
- publish precision and recall, where published means any section but ``not user
  facing`` / ``miscategorized``;
- per-section precision and recall;
- decided at 95%: the largest share of items that, taken in order of confidence, still
  agrees with maintainers at >= 95% (the baseline has no confidence: one block);
- agreement among items with confidence >= 0.9.

History must not contain the evaluated release; pass ``exclude_history``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from relnotes.categories import PUBLISHED
from relnotes.triage.engine import find_revert_pairs, triage_worksheet
from relnotes.triage.history import History, load_history
from relnotes.triage.outcomes import Outcome, read_outcomes
from relnotes.triage.siblings import sibling_domains

__all__ = ["EvalReport", "Scores", "evaluate", "render_eval_text", "score"]

HIGH = 0.9


@dataclass
class Scores:
    items: int
    fate_accuracy: float
    publish_precision: float
    publish_recall: float
    decided_at_95: float  # share of items
    high_confidence_items: int
    high_confidence_agreement: float | None
    per_section: dict[str, dict[str, float]] = field(default_factory=dict)
    target_domain_accuracy: float | None = None  # among correctly predicted moves


@dataclass
class EvalReport:
    todo: str
    done: str
    history_releases: list[str]
    unscored_files: list[str]
    triage: Scores
    baseline: Scores
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


# (predicted section, predicted domain, confidence, fate section, fate domain)
Row = tuple[str, "str | None", float, str, "str | None"]


def score(pairs: list[Row]) -> Scores:
    """Score ``(predicted, predicted_domain, confidence, fate, fate_domain)`` tuples."""
    n = len(pairs)
    correct = [p == f for p, _, _, f, _ in pairs]
    pred_pub = [p in PUBLISHED for p, *_ in pairs]
    true_pub = [f in PUBLISHED for *_, f, _ in pairs]
    tp = sum(a and b for a, b in zip(pred_pub, true_pub))
    per_section: dict[str, dict[str, float]] = {}
    labels = Counter(f for *_, f, _ in pairs) + Counter(p for p, *_ in pairs)
    for sec in sorted(labels):
        hit = sum(p == sec and f == sec for p, _, _, f, _ in pairs)
        per_section[sec] = {
            "precision": round(_ratio(hit, sum(p == sec for p, *_ in pairs)), 3),
            "recall": round(_ratio(hit, sum(f == sec for *_, f, _ in pairs)), 3),
            "support": sum(f == sec for *_, f, _ in pairs),
        }
    order = sorted(range(n), key=lambda i: -pairs[i][2])
    decided = good = 0
    for rank, i in enumerate(order, 1):
        good += correct[i]
        # a block of equal confidences is decided together
        if (rank == n or pairs[order[rank]][2] != pairs[i][2]) and good >= 0.95 * rank:
            decided = rank
    high = [c for (p, _, conf, f, _), c in zip(pairs, correct) if conf >= HIGH]
    moves = [(pd, fd) for p, pd, _, f, fd in pairs if p == f == "miscategorized" and fd]
    return Scores(
        items=n,
        fate_accuracy=round(_ratio(sum(correct), n), 4),
        publish_precision=round(_ratio(tp, sum(pred_pub)), 4),
        publish_recall=round(_ratio(tp, sum(true_pub)), 4),
        decided_at_95=round(_ratio(decided, n), 4),
        high_confidence_items=len(high),
        high_confidence_agreement=round(_ratio(sum(high), len(high)), 4) if high else None,
        per_section=per_section,
        target_domain_accuracy=(round(_ratio(sum(a == b for a, b in moves), len(moves)), 4)
                                if moves else None),
    )


def _baseline(o: Outcome) -> str:
    cat = o.item.section.category if o.item.section else None
    return "not user facing" if cat in (None, "Untopiced") else cat


def evaluate(*, todo: str | Path, done: str | Path, miscategorized: str | Path | None = None,
             exclude_history: Collection[str] = (), history: History | None = None,
             history_path: str | Path | None = None) -> EvalReport:
    """Run triage on every todo worksheet with a done counterpart and score both ways."""
    if history is None:
        history = load_history(history_path, exclude=exclude_history)
    outcomes, unscored = read_outcomes(todo=todo, done=done, miscategorized=miscategorized)
    start = time.perf_counter()
    worksheets = list({id(o.worksheet): o.worksheet for o in outcomes}.values())
    pairs_index = find_revert_pairs([i for ws in worksheets for i in ws.items()])
    known = sibling_domains(worksheets[0].path) if worksheets else set()
    suggestion_of: dict[int, Any] = {}
    for ws in worksheets:
        for s in triage_worksheet(ws, history=history, revert_pairs=pairs_index,
                                  known_domains=known or None):
            suggestion_of[id(s.item)] = s
    seconds = time.perf_counter() - start
    tri: list[Row] = []
    base: list[Row] = []
    for o in outcomes:
        s = suggestion_of[id(o.item)]
        tri.append((s.section, s.domain, s.confidence, o.fate.section, o.fate.domain))
        base.append((_baseline(o), None, 1.0, o.fate.section, o.fate.domain))
    return EvalReport(todo=str(todo), done=str(done), history_releases=history.releases,
                      unscored_files=unscored, triage=score(tri), baseline=score(base),
                      seconds=round(seconds, 3))


def render_eval_text(report: EvalReport) -> str:
    """A table of the headline figures, triage against baseline."""
    t, b = report.triage, report.baseline
    rows = [
        ("items scored", f"{t.items}", f"{b.items}"),
        ("fate accuracy", f"{t.fate_accuracy:.3f}", f"{b.fate_accuracy:.3f}"),
        ("publish precision", f"{t.publish_precision:.3f}", f"{b.publish_precision:.3f}"),
        ("publish recall", f"{t.publish_recall:.3f}", f"{b.publish_recall:.3f}"),
        ("decided at >=95% agreement", f"{t.decided_at_95:.3f}", f"{b.decided_at_95:.3f}"),
        ("items with confidence >= 0.9", f"{t.high_confidence_items}",
         f"{b.high_confidence_items}"),
        ("  of which agree", _opt(t.high_confidence_agreement), _opt(b.high_confidence_agreement)),
        ("moves to the right domain", _opt(t.target_domain_accuracy), "-"),
    ]
    lines = [f"todo: {report.todo}", f"done: {report.done}",
             f"history: {', '.join(report.history_releases) or 'none'}"]
    if report.unscored_files:
        lines.append(f"not scored (no done counterpart): {', '.join(report.unscored_files)}")
    lines.append("")
    lines.append(f"{'':30} {'triage':>8} {'baseline':>9}")
    lines += [f"{name:30} {a:>8} {c:>9}" for name, a, c in rows]
    lines.append("")
    lines.append(f"{'section':18} {'prec':>6} {'recall':>6} {'support':>7}")
    for sec, m in t.per_section.items():
        lines.append(f"{sec:18} {m['precision']:6.2f} {m['recall']:6.2f} {int(m['support']):7d}")
    lines.append(f"triage time: {report.seconds:.2f} s")
    return "\n".join(lines)


def _opt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"
