"""``relnotes status``: what is left across a release, per domain and in total."""

from __future__ import annotations

import click

from relnotes.cli.app import command, emit_json, exit_with, print_notes
from relnotes.errors import UsageError
from relnotes.release import ReleaseFolder
from relnotes.status import ReleaseStatus, release_status

_COLUMNS = ("domain", "state", "items", "untopiced", "unreviewed", "entries", "no code",
            "failing", "unchecked")


def _text(report: ReleaseStatus) -> list[str]:
    """The table: one row per domain (``?`` where its file cannot be read), then totals."""
    rows = [list(_COLUMNS)]
    for d in report.domains:
        if d.error:
            rows.append([d.domain, d.state, *["?"] * 7])
            continue
        unreviewed = "-" if d.unreviewed is None else str(d.unreviewed)
        rows.append([d.domain, d.state, str(d.items), str(d.untopiced), unreviewed,
                     str(len(d.entries)), str(d.count("no-code")), str(d.count("failing")),
                     str(d.count("unchecked") + d.count("stale"))])
    t = report.totals()
    rows.append(["total", f"{t['done']}/{t['domains']} done", str(t["items"]),
                 str(t["untopiced"]), str(t["unreviewed"]), str(t["entries"]),
                 str(t["no_code"]), str(t["failing"]), str(t["unchecked"] + t["stale"])])
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    return ["  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                      for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip()
            for row in rows]


@command("status")
@click.argument("release_dir", required=False,
                type=click.Path(exists=True, file_okay=False))
def status_cmd(release_dir: str | None, fmt: str) -> None:
    """What is left across a release: per domain and in total.

    For each domain: todo or done (done/ has its worksheet), its items, those still in
    Untopiced, those of a todo/ worksheet without a review decision (no triage is run:
    relnotes review records decisions), and its BC-breaking and deprecation entries
    without migration code (no code), with a failing saved snippet check (failing), or
    with none saved since the worksheet last changed (unchecked: relnotes check
    --save). RELEASE_DIR defaults to the release the working directory is in. Exit 1
    when a worksheet cannot be read.

    \b
    Examples:
      relnotes status 2.8.0
      relnotes status --format json
    """
    release = ReleaseFolder.of(release_dir) if release_dir else ReleaseFolder.from_cwd()
    if not (release.todo.is_dir() or release.done.is_dir()):
        raise UsageError(f"{release.root} holds no todo/ or done/ folder: not a release folder")
    report = release_status(release)
    if fmt == "json":
        emit_json(report.to_json())
    else:
        t = report.totals()
        click.echo(f"{report.release} ({report.root}): {t['done']} of {t['domains']} "
                   f"domains done, {t['todo']} in todo/"
                   + (f", {t['set_aside']} set aside" if t["set_aside"] else ""))
        for line in _text(report):
            click.echo(line)
        for error in report.errors:
            click.echo(f"Error: {error}", err=True)
    print_notes(release)
    exit_with(1 if report.errors else 0)
