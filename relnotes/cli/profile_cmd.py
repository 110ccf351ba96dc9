"""``relnotes api-profile``: build a torch API profile from a wheel, and query one."""

from __future__ import annotations

from pathlib import Path

import click

from relnotes.cli.app import command, emit_json, exit_with, main


@main.group("api-profile")
def api_profile() -> None:
    """Torch API profiles: public modules and names of one release, read from its wheel.

    \b
    Example:
      relnotes api-profile build --torch 2.7.0 --out torch-2.7.json
      relnotes api-profile show 2.11 torch.export.export_for_training
    """


@command("build", group=api_profile)
@click.option("--torch", "torch_version", required=True, metavar="X.Y.Z",
              help="Torch release whose official macOS arm64 wheel is read.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the JSON profile [default: torch-X.Y.json].")
@click.option("--wheel", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Use this wheel file instead of downloading it.")
@click.option("--full", is_flag=True, help="Keep every module's names (no trimming).")
def build(torch_version: str, out: Path | None, wheel: Path | None, full: bool,
          fmt: str) -> None:
    """Download the torch wheel with pip and write its API profile (nothing is installed).

    \b
    Example:
      relnotes api-profile build --torch 2.7.0 --out relnotes/data/profiles/torch-2.7.json
    """
    from relnotes.snippets.profile_build import build_profile
    from relnotes.snippets.profiles import load_profile

    click.echo(f"building the API profile of torch {torch_version} ...", err=True)
    path = build_profile(torch_version, out=out, full=full, wheel=wheel)
    profile = load_profile(torch_version, path=str(path))
    with_names = sum(1 for record in profile.modules.values() if record is not None)
    if fmt == "json":
        emit_json({"torch": profile.version, "path": str(path),
                   "modules": len(profile.modules), "modules_with_names": with_names})
    else:
        click.echo(f"{path}: torch {profile.version}, {len(profile.modules)} modules "
                   f"({with_names} with names)")


@command("show", group=api_profile)
@click.argument("version")
@click.argument("names", nargs=-1, required=True)
@click.option("--profile", "profile_path", type=click.Path(exists=True, dir_okay=False),
              default=None, help="Query this profile file instead of the shipped one.")
def show(version: str, names: tuple[str, ...], profile_path: str | None, fmt: str) -> None:
    """Say whether each dotted NAME exists in torch VERSION (exit 1 if one is missing).

    \b
    Example:
      relnotes api-profile show 2.6 torch._export.capture_pre_autograd_graph
    """
    from relnotes.snippets.profiles import load_profile

    profile = load_profile(version, path=profile_path)
    results = [profile.lookup(name) for name in names]
    if fmt == "json":
        emit_json({"torch": profile.version, "names": [
            {"name": r.name, "status": r.status, "kind": r.kind, "detail": r.detail,
             "signature": profile.signature(r.name)} for r in results]})
    else:
        for r in results:
            sig = profile.signature(r.name) if r.status == "ok" else None
            extra = sig or r.detail
            click.echo(f"{r.name}: {r.status}" + (f" ({r.kind})" if r.kind else "")
                       + (f" {extra}" if extra else ""))
    exit_with(1 if any(r.status == "missing" for r in results) else 0)
