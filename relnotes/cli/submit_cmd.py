"""``relnotes done`` and ``relnotes submit``: move a finished worksheet, open its PR."""

from __future__ import annotations

import click

from relnotes.cli.app import command, emit_json, exit_with
from relnotes.cli.audit_cmd import _print_audit
from relnotes.release import ReleaseFolder


@command("done")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--generated", type=click.Path(file_okay=False, exists=True),
              help="Folder of the generated worksheets, to check nothing of this one is lost "
                   "[default: the todo/ folder of the commit that first added it].")
def done_cmd(file: str, generated: str | None, fmt: str) -> None:
    """Audit a finished worksheet, then git mv it from todo/ to done/ and commit.

    The audit checks that every item of the worksheet as generated is still somewhere
    (this worksheet, another one, miscategorized.md) and nothing is there twice; the
    generated worksheets are the todo/ folder of the commit that first added this one
    (or --generated). Nothing moves when the audit finds a problem (exit 1).

    \b
    Examples:
      relnotes done todo/quantization.md
      relnotes done todo/result_quantization.md --generated ../generated/todo
    """
    from relnotes.submit import finish_worksheet

    outcome = finish_worksheet(file, release=ReleaseFolder.of(file), generated=generated)
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


@command("submit")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--remote", default="origin", show_default=True, help="git remote to push to.")
@click.option("--base", help="Branch the PR merges into; default: the remote's default branch.")
@click.option("--repo", metavar="OWNER/NAME",
              help="GitHub repository of the PR; default: read from the remote's URL.")
@click.option("--branch", help="Branch name; default relnotes/<release>-<domain>.")
@click.option("--generated", type=click.Path(file_okay=False, exists=True),
              help="Folder of the generated worksheets, to audit and count the changes "
                   "against [default: the todo/ folder of the commit that first added it].")
@click.option("--force", is_flag=True,
              help="Submit despite problems (still in todo/, audit problems: lost items, "
                   "unfinished entries, failed checks); the pull request lists them. Never "
                   "over someone else's changes on the branch.")
@click.option("--yes", is_flag=True, help="Really do it; without it, only show the plan.")
def submit_cmd(file: str, remote: str, base: str | None, repo: str | None,
               branch: str | None, generated: str | None, force: bool, yes: bool,
               fmt: str) -> None:
    """Push a finished worksheet and open (or update) its pull request.

    The pull request holds exactly the files listed: the worksheet (its move from todo/
    to done/) and its own changes to miscategorized.md, on a branch cut from the remote's
    default branch (asked of the remote: main, master, ...). Nothing else of your branch
    goes in, and your branch, index and working tree are left as they are.

    A dry run by default: prints the branch, files, PR title and body, and the problems
    that would stop it (exit 1 when there are any). With --yes: commits, pushes and opens
    the pull request; running it again updates the same branch and pull request. The
    token comes from $GITHUB_TOKEN (setting token_env); the API URL from api_url /
    $GITHUB_API_URL.

    \b
    Examples:
      relnotes done todo/result_quantization.md
      relnotes submit done/result_quantization.md --repo pytorch/torch-release-notes --yes
      relnotes submit done/quantization.md          # dry run: what it would push
    """
    from relnotes.submit import plan_submission, submit

    release = ReleaseFolder.of(file)
    config = release.config
    plan = plan_submission(file, release=release, remote=remote, base=base, repo=repo,
                           branch=branch, generated=generated, force=force)
    refused = bool(plan.problems) and not plan.forced
    if fmt == "text":
        click.echo(plan.describe())
        for problem in plan.problems:
            click.echo(str(problem), err=True)
        if plan.forced:
            click.echo(f"--force: submitting despite {len(plan.problems)} problem(s); the "
                       "pull request lists them", err=True)
    if not yes or refused or plan.conflicts:
        if fmt == "json":
            emit_json({"dry_run": not yes, "submitted": False, **plan.to_json()})
        if plan.conflicts:
            for conflict in plan.conflicts:
                click.echo(f"not submitted: {conflict}", err=True)
            exit_with(1)
        if refused:
            click.echo(f"not submitted: {len(plan.problems)} problem(s) (above); fix them or "
                       "pass --force", err=True)
            exit_with(1)
        click.echo("dry run: nothing changed; add --yes to submit", err=True)
        return
    outcome = submit(plan, config=config)
    if fmt == "json":
        emit_json({"dry_run": False, "submitted": True, **plan.to_json(), **outcome.to_json()})
    else:
        verb = "opened" if outcome.created else "updated"
        what = (f"pushed {outcome.branch} ({outcome.commit[:12]})" if outcome.pushed
                else f"{outcome.branch} already up to date ({outcome.commit[:12]})")
        click.echo(f"{what}; {verb} pull request #{outcome.pr_number}: {outcome.pr_url}")
