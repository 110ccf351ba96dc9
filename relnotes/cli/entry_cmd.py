"""``relnotes entry``: draft BC-breaking and deprecation entries from PR metadata."""

from __future__ import annotations

import click

from relnotes.cli.app import command, config_for, emit_json, main, warn


@main.group("entry")
def entry() -> None:
    """BC-breaking and deprecation entries.

    \b
    Example:
      relnotes entry new --pr 139505 --kind bc --from 2.6 --to 2.7
    """


@command("new", group=entry)
@click.option("--pr", "number", type=click.IntRange(min=1), required=True,
              help="PR the entry is about (a number, e.g. 139505).")
@click.option("--kind", type=click.Choice(["bc", "deprecation"]), required=True,
              help="bc: BC-breaking change; deprecation: deprecated API.")
@click.option("--from", "from_version", metavar="X.Y",
              help="Version of the before-code [default: the release before --to].")
@click.option("--to", "to_version", metavar="X.Y",
              help="Version of the after-code [default: the release setting].")
@click.option("--offline", is_flag=True, help="Use only the PR metadata cache.")
@click.option("--template-dir", type=click.Path(file_okay=False),
              help="Folder searched before the shipped templates [setting: template_dir].")
def new(number: int, kind: str, from_version: str | None, to_version: str | None,
        offline: bool, template_dir: str | None, fmt: str) -> None:
    """Print a draft entry for a worksheet, filled from the PR's metadata.

    The title and the PR's "BC-breaking note" come from GitHub (the cache first);
    everything else -- rationale, the error or warning users see, how to update, the
    before/after code -- is left as a TODO to fill in: relnotes never invents code.
    `relnotes lint` reports the TODOs that remain.

    \b
    Examples:
      relnotes entry new --pr 139505 --kind bc --from 2.6 --to 2.7 >> todo/quantization.md
      relnotes entry new --pr 144940 --kind deprecation --offline --format json
    """
    from relnotes.drafts import draft_entry

    draft = draft_entry(number=number, kind=kind, config=config_for(None),
                        from_version=from_version, to_version=to_version, offline=offline,
                        template_dir=template_dir)
    if draft.warning:
        warn(draft.warning)
    if fmt == "json":
        emit_json(draft.to_json())
    else:
        click.echo(draft.text, nl=False)
