"""One style for diagnostics (issue 19 found three: ``WARNING relnotes...:`` from the
logging format, ``Warning:`` and ``Error:``): ``Error: ...``, ``warning: ...`` and
``note: ...`` on stderr, whether a command or a module's logger says it."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from relnotes.cli.app import DiagnosticFormatter
from tests.helpers import REPO


def _record(level: int, message: str) -> logging.LogRecord:
    return logging.LogRecord("relnotes.github.cache", level, __file__, 1, message, (), None)


def test_log_records_read_like_the_commands_own_lines() -> None:
    fmt = DiagnosticFormatter("%(message)s")
    assert fmt.format(_record(logging.ERROR, "bad")) == "Error: bad"
    assert fmt.format(_record(logging.WARNING, "cache unreadable")) == "warning: cache unreadable"
    assert fmt.format(_record(logging.INFO, "3 rows")) == "info: relnotes.github.cache: 3 rows"
    assert fmt.format(_record(logging.DEBUG, "x")) == "debug: relnotes.github.cache: x"


def test_a_logged_warning_of_a_real_run_is_lowercase_warning(tmp_path: Path) -> None:
    """A damaged cache is set aside with a warning from ``relnotes.github.cache``."""
    cache = tmp_path / "cache.sqlite"
    cache.write_bytes(b"not a database " * 400)
    sheet = tmp_path / "w.md"
    sheet.write_text("## fx\n### bug fixes\n- Fix (#1)\n", encoding="utf-8")
    code = ("import sys; from relnotes.cli import main; "
            "sys.argv = ['relnotes', 'fetch', sys.argv[1], '--offline']; main()")
    proc = subprocess.run([sys.executable, "-c", code, str(sheet)], capture_output=True,
                          text=True, cwd=REPO, env={**os.environ, "RELNOTES_CACHE": str(cache)},
                          check=False)
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "unreadable" in line]
    assert len(warnings) == 1 and warnings[0].startswith(f"warning: cache {cache} is unreadable")
    assert "WARNING" not in proc.stderr and "Warning:" not in proc.stderr

