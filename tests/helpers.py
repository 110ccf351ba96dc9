"""Shared test helpers: where the real data is, and a CLI runner that explains failures."""

from __future__ import annotations

import os
import traceback
from pathlib import Path

from click.testing import CliRunner, Result

REPO = Path(__file__).resolve().parents[1]
# The real worksheets travel with the repository (BSD-3, see data/torch-release-notes/SOURCE.md),
# so a lone clone runs every test; RELNOTES_DATA points the tests at another copy.
DATA = Path(os.environ.get("RELNOTES_DATA", REPO / "data/torch-release-notes"))
SHARED = REPO.parent / "shared/data/torch-release-notes"  # the workplace's copy, when beside us


def data_files(*patterns: str) -> list[Path]:
    """Real release-notes files under DATA matching glob patterns (sorted)."""
    found: set[Path] = set()
    for pattern in patterns:
        found.update(DATA.glob(pattern))
    return sorted(found)


def run_cli(*args: str, input: str | None = None, expect: int | None = 0) -> Result:
    """Run ``relnotes ARGS``; on an unexpected exit code, show output and traceback."""
    from relnotes.cli import main

    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=True)
    if expect is not None and result.exit_code != expect:
        tb = "".join(traceback.format_exception(*result.exc_info)) if result.exc_info else ""
        raise AssertionError(
            f"relnotes {' '.join(args)} exited {result.exit_code}, expected {expect}\n"
            f"--- output ---\n{result.output}\n--- traceback ---\n{tb}"
        )
    return result


def copy_data(source: Path, target: Path) -> Path:
    """Copy real data (a file or a folder) to ``target``, writable: the shared data is
    read-only, and relnotes rightly refuses to change read-only files."""
    import shutil
    import stat

    if source.is_dir():
        shutil.copytree(source, target)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    for path in [target, *(target.rglob("*") if target.is_dir() else [])]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return target
