"""``relnotes entry``: draft BC-breaking and deprecation entries from PR metadata."""

from __future__ import annotations

import click

from relnotes.cli.app import config_for, emit_json, format_option, handle_errors, main
from relnotes.errors import UsageError


@main.group("entry")
def entry() -> None:
    """BC-breaking and deprecation entries.

    \b
    Example:
      relnotes entry new --pr 139505 --kind bc --from 2.6 --to 2.7
    """


@entry.command("new")
@click.option("--pr", "number", type=int, required=True, help="PR the entry is about.")
@click.option("--kind", type=click.Choice(["bc", "deprecation"]), required=True,
              help="bc: BC-breaking change; deprecation: deprecated API.")
@click.option("--from", "from_version", metavar="X.Y",
              help="Version of the before-code [default: the release before --to].")
@click.option("--to", "to_version", metavar="X.Y",
              help="Version of the after-code [default: the release setting].")
@click.option("--offline", is_flag=True, help="Use only the PR metadata cache.")
@click.option("--template-dir", type=click.Path(file_okay=False),
              help="Folder searched before the shipped templates [setting: template_dir].")
@format_option("text", "json")
@handle_errors
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
    from relnotes.entries import draft_context, previous_minor
    from relnotes.github.fetch import load_metadata
    from relnotes.snippets.profiles import major_minor
    from relnotes.templating import render

    config = config_for(None)
    to_mm = major_minor(to_version or config.release or "") if (to_version or config.release) \
        else None
    if to_mm is None:
        raise UsageError("give --to X.Y (or set the release setting in [tool.relnotes])")
    from_mm = major_minor(from_version) if from_version else previous_minor(to_mm)
    if from_mm is None:
        raise UsageError(f"cannot tell the release before {to_mm}: give --from X.Y")
    records = load_metadata([number], config=config, offline=offline)
    record = records.get(number)
    if record is None or not record.found:
        click.echo(f"PR #{number} not found in the cache or on GitHub: title left as is",
                   err=True)
    context = draft_context(
        kind=kind, number=number, title=record.title if record else "",
        body=record.body if record else "", from_version=from_mm, to_version=to_mm,
    )
    name = "worksheet_bc.md.j2" if kind == "bc" else "worksheet_deprecation.md.j2"
    text = render(name, context, template_dir=template_dir, config=config)
    if fmt == "json":
        emit_json({"pr": number, "kind": kind, "from": from_mm, "to": to_mm,
                   "template": name, "found": bool(record and record.found),
                   "todo": text.count("TODO"), "text": text})
    else:
        click.echo(text, nl=False)
