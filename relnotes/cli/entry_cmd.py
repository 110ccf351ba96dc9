"""``relnotes entry``: draft BC-breaking and deprecation entries from PR metadata."""

from __future__ import annotations

import click

from relnotes.cli.app import (
    config_for,
    emit_json,
    format_option,
    handle_errors,
    main,
    verbose_option,
)
from relnotes.errors import GitHubError, UsageError


@main.group("entry")
def entry() -> None:
    """BC-breaking and deprecation entries.

    \b
    Example:
      relnotes entry new --pr 139505 --kind bc --from 2.6 --to 2.7
    """


@entry.command("new")
@verbose_option
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
    from relnotes.entries import draft_context
    from relnotes.github import lookup_metadata
    from relnotes.templating import render
    from relnotes.versions import require_version

    config = config_for(None)
    if not (to_version or config.release):
        raise UsageError("give --to X.Y (or set the release setting in [tool.relnotes])")
    to_v = require_version(to_version or config.release)
    from_v = require_version(from_version) if from_version else to_v.previous()
    if from_v is None:
        raise UsageError(f"cannot tell the release before {to_v.mm}: give --from X.Y")
    to_mm, from_mm = to_v.mm, from_v.mm
    lookup = lookup_metadata([number], config=config, offline=offline)
    record = lookup.records.get(number)
    if record is not None and not record.found:
        raise GitHubError(f"PR #{number} does not exist in {config.repo} (GitHub says so; "
                          "check the number, or the repo setting)")
    if lookup.warning:
        click.echo(f"Warning: {lookup.warning}", err=True)
    elif record is None:  # offline and not cached
        click.echo(f"Warning: PR #{number} is not in the PR metadata cache: title left as "
                   f"TODO; fetch it with `relnotes fetch --prs {number}`", err=True)
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
