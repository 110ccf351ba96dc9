"""The backtest: triage a release's todo worksheets and score it against its done ones.

Scores (for triage and for the baseline "keep the pre-sorted section; Untopiced counts as
dropped"):

- fate accuracy: the suggested section equals the fate (``not user facing`` for dropped,
  ``miscategorized`` for items that left the domain);
- publish precision and recall, where published means any section but ``not user
  facing`` / ``miscategorized``;
- per-section precision and recall;
- the high-stakes line: of the items maintainers published as BC-breaking or
  deprecation, how many triage suggested or flagged for those sections, how many items it
  flagged in all, and whether a pre-sorted BC/deprecation item that maintainers kept was
  proposed to move;
- decided at 95%: the largest share of items that, taken in order of confidence, still
  agrees with maintainers at >= 95% (the baseline has no confidence: one block);
- reliability: per confidence bucket, how many items and how often maintainers agreed.

By default the history holds only the releases older than the evaluated one (what a
maintainer of that release had); ``include_history``/``exclude_history`` choose the
releases instead (leave-one-release-out backtests, :mod:`relnotes.triage.backtest`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from relnotes.categories import HIGH_STAKES, PUBLISHED
from relnotes.release import release_of
from relnotes.triage.assessment import known_domains_for
from relnotes.triage.history import DEFAULT_RECENCY, History, load_history
from relnotes.triage.learned import policy_for
from relnotes.triage.outcomes import Outcome, read_outcomes
from relnotes.triage.planning import Suggestion
from relnotes.triage.reverts import find_revert_pairs
from relnotes.triage.run import triage_worksheet
from relnotes.versions import parse_version

__all__ = ["BUCKETS", "TARGETS", "EvalReport", "EvalRow", "Scores", "Target", "evaluate",
           "figures", "render_eval_markdown", "render_eval_text", "score"]

HIGH = 0.9
# Confidence buckets of the reliability table: [low, high).
BUCKETS: tuple[tuple[float, float], ...] = (
    (0.0, 0.5), (0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 0.95), (0.95, 1.01))


@dataclass(frozen=True)
class EvalRow:
    """One scored item: what was suggested and what maintainers did."""

    predicted: str
    predicted_domain: str | None
    confidence: float
    fate: str
    fate_domain: str | None
    presorted: str = "Untopiced"
    flagged: bool = False  # flagged for BC-breaking/deprecation (or suggested there)


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
    high_stakes: dict[str, float] = field(default_factory=dict)
    reliability: list[dict[str, float]] = field(default_factory=list)


@dataclass
class EvalReport:
    todo: str
    done: str
    history_releases: list[str]
    history_rule: str  # how the history's releases were chosen
    policy: str
    unscored_files: list[str]
    triage: Scores
    baseline: Scores
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def score(rows: Sequence[EvalRow]) -> Scores:
    """Score suggestions against fates (see the module docstring)."""
    n = len(rows)
    correct = [r.predicted == r.fate for r in rows]
    pred_pub = [r.predicted in PUBLISHED for r in rows]
    true_pub = [r.fate in PUBLISHED for r in rows]
    tp = sum(a and b for a, b in zip(pred_pub, true_pub))
    per_section: dict[str, dict[str, float]] = {}
    labels = Counter(r.fate for r in rows) + Counter(r.predicted for r in rows)
    for sec in sorted(labels):
        hit = sum(r.predicted == sec and r.fate == sec for r in rows)
        per_section[sec] = {
            "precision": round(_ratio(hit, sum(r.predicted == sec for r in rows)), 3),
            "recall": round(_ratio(hit, sum(r.fate == sec for r in rows)), 3),
            "support": sum(r.fate == sec for r in rows),
        }
    order = sorted(range(n), key=lambda i: -rows[i].confidence)
    decided = good = 0
    for rank, i in enumerate(order, 1):
        good += correct[i]
        # a block of equal confidences is decided together
        if (rank == n or rows[order[rank]].confidence != rows[i].confidence) \
                and good >= 0.95 * rank:
            decided = rank
    high = [c for r, c in zip(rows, correct) if r.confidence >= HIGH]
    moves = [(r.predicted_domain, r.fate_domain) for r in rows
             if r.predicted == r.fate == "miscategorized" and r.fate_domain]
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
        high_stakes=_high_stakes(rows),
        reliability=_reliability(rows, correct),
    )


def _high_stakes(rows: Sequence[EvalRow]) -> dict[str, float]:
    published = [r for r in rows if r.fate in HIGH_STAKES]
    flagged = [r for r in rows if r.flagged or r.predicted in HIGH_STAKES]
    suggested = [r for r in rows if r.predicted in HIGH_STAKES]
    kept = [r for r in rows if r.presorted in HIGH_STAKES and r.fate == r.presorted]
    return {
        "published": len(published),
        "found": sum(r.flagged or r.predicted in HIGH_STAKES for r in published),
        "recall": round(_ratio(sum(r.flagged or r.predicted in HIGH_STAKES
                                   for r in published), len(published)), 4),
        "suggested_recall": round(_ratio(sum(r.predicted in HIGH_STAKES for r in published),
                                         len(published)), 4),
        "flagged": len(flagged),
        "flagged_share": round(_ratio(len(flagged), len(rows)), 4),
        "suggested": len(suggested),
        "presorted_kept": len(kept),
        "presorted_kept_proposed_to_move": sum(r.predicted != r.presorted for r in kept),
    }


def _reliability(rows: Sequence[EvalRow], correct: Sequence[bool]) -> list[dict[str, float]]:
    out = []
    for low, high in BUCKETS:
        inside = [(r.confidence, c) for r, c in zip(rows, correct) if low <= r.confidence < high]
        out.append({
            "low": low, "high": min(high, 1.0), "items": len(inside),
            "mean_confidence": round(_ratio(sum(x for x, _ in inside), len(inside)), 3),
            "agreement": round(_ratio(sum(c for _, c in inside), len(inside)), 3),
        })
    return out


def _baseline(o: Outcome) -> str:
    cat = o.item.category
    return "not user facing" if cat in (None, "Untopiced") else cat


def evaluate(*, todo: str | Path, done: str | Path, miscategorized: str | Path | None = None,
             exclude_history: Collection[str] = (), include_history: Collection[str] = (),
             recency: float = DEFAULT_RECENCY, history: History | None = None,
             history_path: str | Path | None = None, release: str | None = None,
             ) -> EvalReport:
    """Run triage on every todo worksheet with a done counterpart and score both ways.

    ``release`` (else the todo folder's parent name) picks the API profiles compared and,
    unless ``include_history``/``exclude_history`` choose, the history's releases: those
    older than it. A ``history`` object given is used as it is.
    """
    version = parse_version(release) if release else release_of(todo)
    chosen = bool(include_history or exclude_history)
    if history is not None:
        rule = "as given"
    elif chosen or version is None:
        rule = "as chosen" if chosen else "all (the evaluated release is not known)"
        history = load_history(history_path, exclude=exclude_history,
                               include=include_history, recency=recency)
    else:
        rule = f"the releases older than {version}"
        history = load_history(history_path, recency=recency, before=version)
    outcomes, unscored = read_outcomes(todo=todo, done=done, miscategorized=miscategorized)
    start = time.perf_counter()
    worksheets = list({id(o.worksheet): o.worksheet for o in outcomes}.values())
    pairs = find_revert_pairs([i for ws in worksheets for i in ws.items()])
    known = known_domains_for(history)
    suggestion_of: dict[int, Suggestion] = {}
    for ws in worksheets:
        for s in triage_worksheet(ws, history=history, revert_pairs=pairs,
                                  known_domains=known, release=release, older_only=False):
            suggestion_of[id(s.item)] = s
    seconds = time.perf_counter() - start
    tri: list[EvalRow] = []
    base: list[EvalRow] = []
    for o in outcomes:
        s = suggestion_of[id(o.item)]
        placement = o.item.placement
        tri.append(EvalRow(s.section, s.domain, s.confidence, o.fate.section, o.fate.domain,
                           placement, s.high_stakes))
        base_pred = _baseline(o)
        base.append(EvalRow(base_pred, None, 1.0, o.fate.section, o.fate.domain, placement,
                            base_pred in HIGH_STAKES))
    return EvalReport(todo=str(todo), done=str(done), history_releases=list(history.releases),
                      history_rule=rule, policy=policy_for(history).describe(),
                      unscored_files=unscored, triage=score(tri), baseline=score(base),
                      seconds=round(seconds, 3))


def figures(report: EvalReport) -> dict[str, float]:
    """The headline figures of one evaluation (issue 18's acceptance figures)."""
    t, b = report.triage, report.baseline
    hs = t.high_stakes

    def recall(section: str) -> tuple[float, float]:
        m = t.per_section.get(section, {})
        return m.get("recall", 0.0), m.get("support", 0.0)

    devs, devs_n = recall("devs")
    misc, misc_n = recall("miscategorized")
    return {"accuracy": t.fate_accuracy, "presort": b.fate_accuracy,
            "gain": round(100 * (t.fate_accuracy - b.fate_accuracy), 2),
            "bc_found": hs["found"], "bc_n": hs["published"], "bc_recall": hs["recall"],
            "flagged": hs["flagged_share"], "kept_moved": hs["presorted_kept_proposed_to_move"],
            "kept": hs["presorted_kept"], "pub_p": t.publish_precision,
            "pub_r": t.publish_recall, "cov95": t.decided_at_95,
            "devs_r": devs, "devs_n": devs_n, "misc_r": misc, "misc_n": misc_n}


@dataclass(frozen=True)
class Target:
    """One acceptance target of issue 18, against the directions it applies to."""

    name: str
    values: tuple[str, ...]  # per direction, as shown
    met: bool
    missed_in: tuple[str, ...]


TARGETS: tuple[tuple[str, Callable[[dict[str, float]], str],
                      Callable[[dict[str, float]], bool]], ...] = (
    ("fate accuracy >= pre-sort + 4 points", lambda f: f"{f['gain']:+.1f}",
     lambda f: f["gain"] >= 4.0),
    ("BC+deprecation recall >= 0.80", lambda f: f"{f['bc_recall']:.2f}",
     lambda f: f["bc_recall"] >= 0.80),
    ("... with <= 3% of items flagged", lambda f: f"{f['flagged']:.1%}",
     lambda f: f["flagged"] <= 0.03),
    ("no kept pre-sorted BC/deprecation item proposed to move",
     lambda f: f"{f['kept_moved']:.0f}/{f['kept']:.0f}", lambda f: f["kept_moved"] == 0),
    ("publish recall >= 0.60", lambda f: f"{f['pub_r']:.2f}", lambda f: f["pub_r"] >= 0.60),
    ("... at publish precision >= 0.65", lambda f: f"{f['pub_p']:.2f}",
     lambda f: f["pub_p"] >= 0.65),
    ("coverage at 95% agreement >= 0.35", lambda f: f"{f['cov95']:.2f}",
     lambda f: f["cov95"] >= 0.35),
    ("devs recall >= 0.20", lambda f: f"{f['devs_r']:.2f}", lambda f: f["devs_r"] >= 0.20),
    ("other-domain recall >= 0.25", lambda f: f"{f['misc_r']:.2f}",
     lambda f: f["misc_r"] >= 0.25),
    ("fate accuracy not below the pre-sort", lambda f: f"{f['gain']:+.1f}",
     lambda f: f["gain"] >= 0.0),
)


def _rows(report: EvalReport) -> list[tuple[str, str, str]]:
    t, b = report.triage, report.baseline
    hs, bhs = t.high_stakes, b.high_stakes
    return [
        ("items scored", f"{t.items}", f"{b.items}"),
        ("fate accuracy", f"{t.fate_accuracy:.3f}", f"{b.fate_accuracy:.3f}"),
        ("publish precision", f"{t.publish_precision:.3f}", f"{b.publish_precision:.3f}"),
        ("publish recall", f"{t.publish_recall:.3f}", f"{b.publish_recall:.3f}"),
        ("decided at >= 95% agreement", f"{t.decided_at_95:.3f}", f"{b.decided_at_95:.3f}"),
        ("items at confidence >= 0.9", f"{t.high_confidence_items}", "-"),
        ("  of which agree", _opt(t.high_confidence_agreement), "-"),
        ("BC+deprecation recall (suggested or flagged)",
         f"{hs['recall']:.3f} ({hs['found']:.0f} of {hs['published']:.0f})",
         f"{bhs['recall']:.3f} ({bhs['found']:.0f} of {bhs['published']:.0f})"),
        ("  of which suggested as the section", f"{hs['suggested_recall']:.3f}",
         f"{bhs['suggested_recall']:.3f}"),
        ("items suggested or flagged for BC/deprecation",
         f"{hs['flagged']:.0f} ({hs['flagged_share']:.1%})",
         f"{bhs['flagged']:.0f} ({bhs['flagged_share']:.1%})"),
        ("kept pre-sorted BC/deprecation items proposed to move",
         f"{hs['presorted_kept_proposed_to_move']:.0f} of {hs['presorted_kept']:.0f}", "0"),
        ("devs recall", _sec(t, "devs", "recall"), _sec(b, "devs", "recall")),
        ("other-domain recall (miscategorized)", _sec(t, "miscategorized", "recall"),
         _sec(b, "miscategorized", "recall")),
        ("  moves sent to the right domain", _opt(t.target_domain_accuracy), "-"),
    ]


def _sec(s: Scores, section: str, key: str) -> str:
    m = s.per_section.get(section)
    return f"{m[key]:.3f}" if m else "-"


def render_eval_text(report: EvalReport) -> str:
    """The headline figures (triage against baseline), per section, and reliability."""
    lines = [f"todo: {report.todo}", f"done: {report.done}",
             (f"history: {', '.join(report.history_releases) or 'none'} "
              f"({report.history_rule})"),
             f"decision rule: {report.policy}"]
    if report.unscored_files:
        lines.append(f"not scored (no done counterpart): {', '.join(report.unscored_files)}")
    lines.append("")
    lines.append(f"{'':52} {'triage':>16} {'baseline':>16}")
    lines += [f"{name:52} {a:>16} {c:>16}" for name, a, c in _rows(report)]
    lines.append("")
    lines.append(f"{'section':18} {'prec':>6} {'recall':>6} {'support':>7}")
    for sec, m in report.triage.per_section.items():
        lines.append(f"{sec:18} {m['precision']:6.2f} {m['recall']:6.2f} {int(m['support']):7d}")
    lines.append("")
    lines.append(f"{'confidence':12} {'items':>6} {'mean conf':>9} {'agreement':>9}")
    for b in report.triage.reliability:
        lines.append(f"{b['low']:.2f}-{b['high']:.2f}    {int(b['items']):6d} "
                     f"{b['mean_confidence']:9.3f} {b['agreement']:9.3f}")
    lines.append("")
    lines.append("issue 18's acceptance figures (targets for releases not seen):")
    f = figures(report)
    for name, show, ok in TARGETS:
        lines.append(f"  {name:58} {show(f):>8}  {'met' if ok(f) else 'missed'}")
    lines.append(f"triage time: {report.seconds:.2f} s")
    return "\n".join(lines)


def render_eval_markdown(title: str, report: EvalReport) -> str:
    """The same figures as markdown tables (bench/results/eval.md, README)."""
    t = report.triage
    about = (f"History: {', '.join(report.history_releases) or 'none'} "
             f"({report.history_rule}); decision rule: "
             f"{report.policy}. Scored {t.items} items; not scored (no done counterpart): "
             f"{', '.join(report.unscored_files) or 'none'}.")
    lines = [f"## {title}", "", about, "",
             "| measure | triage | baseline |", "| --- | --- | --- |"]
    lines += [f"| {name.strip()} | {a} | {c} |" for name, a, c in _rows(report)]
    lines += ["", "| section | precision | recall | support |", "| --- | --- | --- | --- |"]
    lines += [f"| {s} | {m['precision']:.2f} | {m['recall']:.2f} | {int(m['support'])} |"
              for s, m in t.per_section.items()]
    lines += ["", "Reliability (confidence bucket -> agreement with maintainers):", "",
              "| confidence | items | mean confidence | agreement |", "| --- | --- | --- | --- |"]
    lines += [f"| {b['low']:.2f}-{b['high']:.2f} | {int(b['items'])} | "
              f"{b['mean_confidence']:.3f} | {b['agreement']:.3f} |" for b in t.reliability]
    return "\n".join(lines) + "\n"


def _opt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"
