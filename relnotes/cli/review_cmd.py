"""``review``, ``apply``, ``audit``, ``done``, ``submit``: the maintainer workflow commands."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from relnotes.cli.app import config_for, emit_json, exit_with, format_option, handle_errors, main
from relnotes.config import Config
from relnotes.errors import RelnotesError
from relnotes.worksheet import Worksheet, read_worksheet

log = logging.getLogger(__name__)


def _metadata(prs: list[int], config: Config) -> dict[int, Any]:
    """PR metadata from the cache only; review and audit work without it."""
    try:
        from relnotes.github import cached_metadata

        return cached_metadata(prs, config=config)
    except (RelnotesError, OSError) as exc:
        log.info("no cached PR metadata: %s", exc)
        return {}


def _suggestions(ws: Worksheet, config: Config, metadata: dict[int, Any]) -> list[Any]:
    from relnotes.triage import triage_worksheet
    from relnotes.triage.history import load_history

    history = load_history(config.history or None)
    return triage_worksheet(ws, metadata=metadata, history=history, config=config)


def _stdin_ask(prompt: str) -> str | None:
    click.echo(prompt, nl=False)
    line = sys.stdin.readline()
    if not line:
        click.echo("")
        return None
    return line.rstrip("\r\n")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--order", type=click.Choice(["confidence", "section"]), default="confidence",
              show_default=True, help="Lowest confidence first, or in section order.")
@click.option("--accept-above", type=click.FloatRange(0, 1), default=None,
              help="First accept every pending suggestion with at least this confidence.")
@format_option("text", "json")
@handle_errors
def review(file: str, order: str, accept_above: float | None, fmt: str) -> None:
    """Go through the triage suggestions of a worksheet and decide each one.

    Decisions are saved after each key press in .relnotes/<name>.decisions.json beside
    the worksheet; the next run shows only undecided items and items edited since.
    Keys: a accept, r reject (keep where it is), p pick a section, e edit the title,
    d send to another domain, s skip, u undo, q quit. --format json does not ask
    anything: it lists the pending items (after --accept-above, if given).

    \b
    Example:
      relnotes review todo/result_quantization.md --accept-above 0.95
    """
    from relnotes.decisions import DecisionStore
    from relnotes.review import bulk_accept, pending_json, run_review

    config = config_for(file)
    ws = read_worksheet(file)
    metadata = _metadata(sorted({p for i in ws.items() for p in i.prs}), config)
    suggestions = _suggestions(ws, config, metadata)
    store = DecisionStore.for_worksheet(file)
    if fmt == "json":
        bulk = bulk_accept(suggestions, store, threshold=accept_above) \
            if accept_above is not None else []
        emit_json({"worksheet": file, "decisions_file": str(store.path), "bulk_accepted": bulk,
                   "pending": pending_json(suggestions, store, order=order)})
        return
    result = run_review(suggestions, store, ask=_stdin_ask, say=click.echo, metadata=metadata,
                        order=order, accept_above=accept_above)
    click.echo(f"{len(result.decided)} decided, {len(result.bulk_accepted)} bulk-accepted, "
               f"{len(result.skipped)} skipped, {result.remaining} pending "
               f"(saved in {store.path}); next: relnotes apply {file}", err=True)


@main.command("apply")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--adopt", "adopt", multiple=True, metavar="KEY|all",
              help="Take this miscategorized.md item for the domain (e.g. pr:1234), or all.")
@click.option("--no-adopt", is_flag=True, help="Do not ask about miscategorized.md items.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--backup/--no-backup", default=True, show_default=True,
              help="Keep the previous worksheet as <file>.bak.")
@format_option("text", "json")
@handle_errors
def apply_cmd(file: str, adopt: tuple[str, ...], no_adopt: bool, dry_run: bool, backup: bool,
              fmt: str) -> None:
    """Write the reviewed decisions into the worksheet and miscategorized.md.

    Items for other domains go to miscategorized.md under "## <domain> (from <this
    domain>)". Items of miscategorized.md filed for this domain are offered for adoption:
    in a terminal you are asked about each; otherwise they are listed and taken only with
    --adopt KEY or --adopt all. Adopted items land in Untopiced for the next review.

    \b
    Example:
      relnotes apply todo/result_quantization.md --adopt all
    """
    from relnotes.apply import default_miscategorized_path
    from relnotes.decisions import adoption_candidates, apply_recorded

    config = config_for(file)
    misc_path = default_miscategorized_path(file, config)
    offered = [] if no_adopt else adoption_candidates(read_worksheet(file), misc_path)
    chosen = list(adopt)
    if offered and not adopt and not no_adopt and fmt == "text" and sys.stdin.isatty():
        click.echo(f"{len(offered)} item(s) in {misc_path} are filed for this domain:")
        for item in offered:
            if click.confirm(f"  adopt {item.key}: {item.title}?", default=False):
                chosen.append(item.key)
    report = apply_recorded(file, config=config, adopt=chosen, backup=backup, dry_run=dry_run)
    not_taken = [{"key": i.key, "title": i.title} for i in offered
                 if i.key not in report.adopted]
    if fmt == "json":
        emit_json({**report.to_json(), "offered": not_taken})
        return
    verb = "would be" if dry_run else "written:"
    click.echo(f"{file}: {verb} {report.summary()}")
    for key in report.stale:
        click.echo(f"  {key}: edited since it was reviewed; review it again", err=True)
    if not_taken:
        click.echo(f"{len(not_taken)} item(s) of {misc_path} belong to this domain "
                   "(take them with --adopt KEY or --adopt all):")
        for entry in not_taken:
            click.echo(f"  {entry['key']}: {entry['title']}")


def _print_audit(report: Any) -> None:
    for finding in report.findings:
        click.echo(str(finding))
    click.echo(report.summary(), err=True)


@main.command("audit")
@click.argument("folder", default=".", type=click.Path(file_okay=False, exists=True))
@click.option("--generated", type=click.Path(file_okay=False, exists=True),
              help="Folder of the worksheets as generated, whose PRs must all be accounted for.")
@format_option("text", "json")
@handle_errors
def audit_cmd(folder: str, generated: str | None, fmt: str) -> None:
    """Check a release folder: every PR once across todo/, done/ and miscategorized.md.

    Also, for worksheets in done/: nothing left in Untopiced, revert pairs both dropped,
    BC-breaking/deprecation entries complete, saved snippet check results passing.
    Exit 1 when there is any problem.

    \b
    Example:
      relnotes audit 2.8.0 --generated /tmp/2.8.0-generated/todo
    """
    from relnotes.audit import audit
    from relnotes.worksheet import worksheet_files

    config = config_for(folder)
    prs: set[int] = set()
    for path in worksheet_files(Path(folder) / "done"):
        try:
            prs.update(p for item in read_worksheet(path).items() for p in item.all_prs)
        except RelnotesError:
            continue  # the audit reports it
    report = audit(folder, generated=generated, metadata=_metadata(sorted(prs), config))
    if fmt == "json":
        emit_json(report.to_json())
    else:
        _print_audit(report)
    exit_with(0 if report.ok else 1)


@main.command("done")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--generated", type=click.Path(file_okay=False, exists=True),
              help="Folder of the generated worksheets, to check nothing of this one is lost.")
@format_option("text", "json")
@handle_errors
def done_cmd(file: str, generated: str | None, fmt: str) -> None:
    """Audit a finished worksheet, then git mv it from todo/ to done/ and commit.

    Nothing moves when the audit finds a problem (exit 1).

    \b
    Example:
      relnotes done todo/result_quantization.md --generated ../generated/todo
    """
    from relnotes.submit import finish_worksheet

    config = config_for(file)
    outcome = finish_worksheet(file, generated=generated, config=config)
    if fmt == "json":
        emit_json(outcome.to_json())
    else:
        _print_audit(outcome.audit)
        if outcome.target:
            click.echo(f"moved {outcome.source} -> {outcome.target}, "
                       f"commit {outcome.commit[:12] if outcome.commit else '?'}")
        else:
            click.echo(f"{outcome.source} stays in todo/: fix the problems above first")
    exit_with(0 if outcome.target else 1)


@main.command("submit")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--remote", default="origin", show_default=True, help="git remote to push to.")
@click.option("--base", default="main", show_default=True, help="Branch the PR merges into.")
@click.option("--repo", metavar="OWNER/NAME",
              help="GitHub repository of the PR; default: read from the remote's URL.")
@click.option("--branch", help="Branch name; default relnotes/<release>-<domain>.")
@click.option("--yes", is_flag=True, help="Really do it; without it, only show the plan.")
@format_option("text", "json")
@handle_errors
def submit_cmd(file: str, remote: str, base: str, repo: str | None, branch: str | None,
               yes: bool, fmt: str) -> None:
    """Commit, push and open (or update) the pull request for a finished worksheet.

    A dry run by default: prints branch, commit, PR title and body. With --yes: creates
    the branch, commits the worksheet and miscategorized.md, pushes and opens the pull
    request; running it again updates the same branch and pull request. The token comes
    from $GITHUB_TOKEN (setting token_env); the API URL from api_url / $GITHUB_API_URL.

    \b
    Example:
      relnotes submit done/result_quantization.md --repo pytorch/torch-release-notes --yes
    """
    from relnotes.submit import plan_submission, submit

    config = config_for(file)
    plan = plan_submission(file, remote=remote, base=base, repo=repo, config=config,
                           branch=branch)
    if not yes:
        if fmt == "json":
            emit_json({"dry_run": True, **plan.to_json()})
        else:
            click.echo(plan.describe())
            click.echo("dry run: nothing changed; add --yes to submit", err=True)
        return
    outcome = submit(plan, config=config)
    if fmt == "json":
        emit_json({"dry_run": False, **plan.to_json(), **outcome.to_json()})
    else:
        verb = "opened" if outcome.created else "updated"
        click.echo(f"pushed {outcome.branch} ({outcome.commit[:12]}); {verb} pull request "
                   f"#{outcome.pr_number}: {outcome.pr_url}")
