"""``relnotes history build`` and ``history fit``: triage history data and its decision rule."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click

from relnotes.cli.app import command, emit_json, main
from relnotes.errors import ConfigError, UsageError
from relnotes.triage.history import build_history, write_history

DEFAULT_OUT = "history.json.gz"


@main.group()
def history() -> None:
    """Manage the triage history (what maintainers decided in past releases) and what
    triage learns from it (fate models and decision rules; fitting them needs numpy).

    \b
    Example:
      relnotes history build --pair 2.7.0=2.7.0/todo:2.7.0/done:2.7.0/miscategorized.md
      relnotes history fit history.json.gz
    """


def _parse_pair(text: str) -> tuple[str, str, str, str | None]:
    release, sep, rest = text.partition("=")
    parts = rest.split(":")
    if not sep or not release or len(parts) not in (2, 3) or not all(parts):
        raise UsageError(f"--pair {text!r}: expected RELEASE=TODO_DIR:DONE_DIR[:MISCATEGORIZED]")
    return release, parts[0], parts[1], parts[2] if len(parts) == 3 else None


def _learning(what: str, n: int, total: int) -> None:
    """Progress on stderr (seconds per step); not with --format json, whose readers take
    stdout alone."""
    print(f"history: {what} ({n}/{total})", file=sys.stderr, flush=True)


@command(group=history)
@click.option("--pair", "pairs", multiple=True, required=True,
              metavar="RELEASE=TODO_DIR:DONE_DIR[:MISC]",
              help="A release's generated and curated worksheets (and miscategorized.md).")
@click.option("--out", type=click.Path(dir_okay=False), default=DEFAULT_OUT, show_default=True,
              help="Where to write the history; its decision rule goes beside it "
                   "(NAME.policy.json).")
def build(pairs: tuple[str, ...], out: str, fmt: str) -> None:
    """Build history data from todo/done pairs, fit its fate models and learn its rules.

    What triage learns from the history (a fate model per selection of releases, seconds
    each with numpy; the decision rule, learned on each release assessed by the others)
    is done here, once, and stored beside the history (NAME.policy.json,
    NAME.model-RELEASES.json.gz): for all its releases, the releases before each one,
    all but each one, and each alone. Triage then needs neither numpy nor the time.
    Use the file with `relnotes triage --history FILE` or the `history` setting.

    \b
    Example:
      relnotes history build \\
        --pair 2.7.0=data/2.7.0/todo:data/2.7.0/done:data/2.7.0/miscategorized.md \\
        --pair 2.8.0=data/2.8.0/todo:data/2.8.0/done:data/2.8.0/miscategorized.md \\
        --out history.json.gz
    """
    from relnotes.triage.learned import write_fitted  # the model: not for --help

    records = build_history(_parse_pair(p) for p in pairs)
    path = write_history(records, out)
    policy, rules = write_fitted(path, progress=_learning if fmt != "json" else None)
    per_release = Counter(r.release for r in records)
    if fmt == "json":
        emit_json({"file": str(path), "records": dict(per_release),
                   "policy_file": str(policy), "policies": rules})
    else:
        counts = ", ".join(f"{rel}: {n}" for rel, n in sorted(per_release.items()))
        click.echo(f"wrote {path} ({counts} items)")
        click.echo(f"wrote {policy} ({rules} decision rules)")


@command(group=history)
@click.argument("history_file", type=click.Path(dir_okay=False))
def fit(history_file: str, fmt: str) -> None:
    """Fit the fate models and learn the rules of an existing history file again, and
    store them beside it.

    Needed after a change to triage's weights, tables or model (what is stored was
    learned with the old ones); `build` does it for a new history. Needs numpy.

    \b
    Example:
      relnotes history fit history.json.gz
      relnotes history fit relnotes/data/history.json.gz
    """
    from relnotes.triage.learned import write_fitted  # the model: not for --help

    if not Path(history_file).is_file():
        raise ConfigError("history file not found", file=history_file)
    policy, rules = write_fitted(history_file, progress=_learning if fmt != "json" else None)
    if fmt == "json":
        emit_json({"file": history_file, "policy_file": str(policy), "policies": rules})
    else:
        click.echo(f"wrote {policy} ({rules} decision rules)")
