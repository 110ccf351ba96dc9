"""``relnotes final``: build final.md from done/, or reconcile a hand-edited one with it."""

from __future__ import annotations

from pathlib import Path

import click

from relnotes.cli.app import command, emit_json, exit_with, print_notes, warn
from relnotes.errors import UsageError
from relnotes.final_build import BuildReport, build_final, write_final
from relnotes.final_check import check_final
from relnotes.release import ReleaseFolder


@command()
@click.argument("release_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--check", "check", is_flag=True,
              help="Reconcile FINAL (default RELEASE_DIR/final.md) with done/ instead of "
                   "building it.")
@click.option("--final", "final", type=click.Path(dir_okay=False, path_type=Path),
              help="With --check: the final notes to check.")
@click.option("--allow-extra", is_flag=True,
              help="With --check: PRs no worksheet publishes (hand-added) are reported, "
                   "not errors.")
@click.option("--version", "version", metavar="X.Y.Z",
              help="Release of the notes; default: the folder name (2.8.0/).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write; default RELEASE_DIR/final.md.")
@click.option("--force", is_flag=True,
              help="Replace an existing final.md (the old one is kept as a backup).")
def final(release_dir: Path, check: bool, final: Path | None, allow_extra: bool,
          version: str | None, output: Path | None, force: bool, fmt: str) -> None:
    """Merge RELEASE_DIR/done/ into the final release notes, or check them (--check).

    Building writes RELEASE_DIR/final.md atomically, never over an existing one without
    --force, and reports how many items went to each section and area, and every item it
    could not place (Untopiced, an unknown section heading) with its file and line.

    --check lists what hand edits changed: missing (a published PR of done/ not in
    final.md), extra (a PR no worksheet publishes), misplaced (another top-level section
    than in done/) and structure (unexpected or out-of-order top-level headings, fences
    left open or leaked out of a bullet, unmatched backticks). Exit 1 when not ok.

    Files of done/ that are no worksheet (an empty placeholder.md) are skipped with a
    note.

    \b
    Examples:
      relnotes final 2.8.0
      relnotes final 2.8.0 --output /tmp/final.md --format json
      relnotes final --check 2.8.0 --allow-extra
    """
    folder = ReleaseFolder.of(release_dir)
    if not check and (final is not None or allow_extra):
        raise UsageError("--final and --allow-extra go with --check")
    if check and (output is not None or force):
        raise UsageError("--output and --force are for building, not --check")
    if check:
        result = check_final(folder, final=final, allow_extra=allow_extra, release=version)
        if fmt == "json":
            emit_json(result.to_json())
        else:
            for line in result.lines():
                click.echo(line)
            click.echo(result.summary(), err=True)
        print_notes(folder)
        exit_with(0 if result.ok else 1)
        return
    report = build_final(folder, version=version, output=output)
    backup = write_final(report, force=force)
    if fmt == "json":
        emit_json(report.to_json())
    else:
        _print_report(report)
    for warning in report.warnings:
        warn(str(warning))
    print_notes(folder)
    if backup is not None:
        click.echo(f"the previous file is kept as {backup}", err=True)
    exit_with(0)


def _print_report(report: BuildReport) -> None:
    click.echo(f"wrote {report.output} (PyTorch {report.version})")
    for section, areas in report.counts.items():
        items = sum(a["items"] for a in areas.values())
        click.echo(f"  {section}: {items} item(s)")
        for area, numbers in areas.items():
            click.echo(f"    {area}: {numbers['items']} item(s), {numbers['prs']} PR(s)")
    click.echo(f"  entries: {report.entries_templated} from final_entry.md.j2, "
               f"{report.entries_verbatim} kept as written")
    if report.self_check is not None:
        click.echo(f"  check against done/: {report.self_check.summary()}")
