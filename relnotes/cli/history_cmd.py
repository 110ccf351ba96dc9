"""``relnotes history build``: turn past todo/done pairs into triage history data."""

from __future__ import annotations

from collections import Counter

import click

from relnotes.cli.app import command, emit_json, main
from relnotes.errors import UsageError
from relnotes.triage.history import build_history, default_history_path, write_history


@main.group()
def history() -> None:
    """Manage the triage history (what maintainers decided in past releases).

    \b
    Example:
      relnotes history build --pair 2.7.0=2.7.0/todo:2.7.0/done:2.7.0/miscategorized.md
    """


def _parse_pair(text: str) -> tuple[str, str, str, str | None]:
    release, sep, rest = text.partition("=")
    parts = rest.split(":")
    if not sep or not release or len(parts) not in (2, 3) or not all(parts):
        raise UsageError(f"--pair {text!r}: expected RELEASE=TODO_DIR:DONE_DIR[:MISCATEGORIZED]")
    return release, parts[0], parts[1], parts[2] if len(parts) == 3 else None


@command(group=history)
@click.option("--pair", "pairs", multiple=True, required=True,
              metavar="RELEASE=TODO_DIR:DONE_DIR[:MISC]",
              help="A release's generated and curated worksheets (and miscategorized.md).")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Where to write (default: the package's relnotes/data/history.json.gz).")
def build(pairs: tuple[str, ...], out: str | None, fmt: str) -> None:
    """Build history data from todo/done pairs.

    \b
    Example:
      relnotes history build \\
        --pair 2.7.0=data/2.7.0/todo:data/2.7.0/done:data/2.7.0/miscategorized.md \\
        --pair 2.8.0=data/2.8.0/todo:data/2.8.0/done:data/2.8.0/miscategorized.md \\
        --out relnotes/data/history.json.gz
    """
    records = build_history(_parse_pair(p) for p in pairs)
    path = write_history(records, out or default_history_path())
    per_release = Counter(r.release for r in records)
    if fmt == "json":
        emit_json({"file": str(path), "records": dict(per_release)})
    else:
        counts = ", ".join(f"{rel}: {n}" for rel, n in sorted(per_release.items()))
        click.echo(f"wrote {path} ({counts} items)")
