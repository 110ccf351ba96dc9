"""``relnotes done`` and ``relnotes submit``: move a finished worksheet, open its PR."""

from __future__ import annotations

import click

from relnotes.cli.app import (
    config_for,
    emit_json,
    exit_with,
    format_option,
    handle_errors,
    main,
    verbose_option,
)
from relnotes.cli.audit_cmd import _print_audit


@main.command("done")
@verbose_option
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
@verbose_option
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
