"""``relnotes entry``: draft BC-breaking and deprecation entries from PR metadata."""

from __future__ import annotations

import click

from relnotes.cli.app import command, config_for, emit_json, main, warn


@main.group("entry")
def entry() -> None:
    """BC-breaking and deprecation entries.

    \b
    Example:
      relnotes entry new --pr 139505 --kind bc todo/result_quantization.md --write
    """


@command("new", group=entry)
@click.argument("worksheet", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--pr", "number", type=click.IntRange(min=1), required=True,
              help="PR the entry is about (a number, e.g. 139505).")
@click.option("--kind", type=click.Choice(["bc", "deprecation"]), required=True,
              help="bc: BC-breaking change; deprecation: deprecated API.")
@click.option("--from", "from_version", metavar="X.Y",
              help="Version of the before-code [default: the release before --to].")
@click.option("--to", "to_version", metavar="X.Y",
              help="Version of the after-code [default: the release setting, else the "
                   "release folder (2.7.0/) of WORKSHEET or of the current folder].")
@click.option("--write", is_flag=True,
              help="Write the draft into the item of WORKSHEET that links the PR (moved to "
                   "the section of its kind) instead of printing it; without WORKSHEET, "
                   "the one worksheet of the release folder that has the PR.")
@click.option("--force", is_flag=True,
              help="With --write: also when the item has text under it already (the draft "
                   "goes below it; nothing is removed).")
@click.option("--offline", is_flag=True, help="Use only the PR metadata cache.")
@click.option("--template-dir", type=click.Path(file_okay=False),
              help="Folder searched before the shipped templates [setting: template_dir].")
def new(worksheet: str | None, number: int, kind: str, from_version: str | None,
        to_version: str | None, write: bool, force: bool, offline: bool,
        template_dir: str | None, fmt: str) -> None:
    """Draft a BC-breaking or deprecation entry from the PR's metadata.

    The title and the PR's "BC-breaking note" come from GitHub (the cache first);
    everything else -- rationale, the error or warning users see, how to update, the
    before/after code -- is left as a TODO to fill in: relnotes never invents code.
    `relnotes lint` reports the TODOs that remain. Printed on stdout, or with --write
    placed under the item of the PR in its worksheet (the item keeps its title; the
    file is written atomically, and an item that has text under it already is refused
    unless --force).

    \b
    Examples:
      relnotes entry new --pr 139505 --kind bc todo/result_quantization.md --write
      cd 2.7.0 && relnotes entry new --pr 139505 --kind bc --write   # finds the worksheet
      relnotes entry new --pr 144940 --kind deprecation --offline --format json
      relnotes entry new --pr 139505 --kind bc --from 2.6 --to 2.7  # print only
    """
    from relnotes.drafts import draft_entry, find_worksheet, place_entry

    if write and worksheet is None:
        worksheet = str(find_worksheet(number))
    config = config_for(worksheet)
    draft = draft_entry(number=number, kind=kind, config=config,
                        from_version=from_version, to_version=to_version, offline=offline,
                        template_dir=template_dir, where=worksheet)
    if draft.warning:
        warn(draft.warning)
    placed = (place_entry(draft, worksheet, repo=config.repo, force=force)
              if write and worksheet else None)
    if fmt == "json":
        emit_json({**draft.to_json(), "written": placed.to_json() if placed else None})
    elif placed is None:
        click.echo(draft.text, nl=False)
    else:
        moved = f", moved from {placed.moved_from}" if placed.moved_from else ""
        click.echo(f"wrote the {kind} entry of #{number} into {placed.file}:{placed.line} "
                   f"(### {placed.section}{moved}); fill in its TODOs (relnotes lint "
                   f"{placed.file} lists them)")
