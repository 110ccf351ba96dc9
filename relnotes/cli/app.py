"""The click group and the conventions every command shares.

Commands are thin: read options, call the core, print. The core never imports click.
Results go to stdout, progress and diagnostics to stderr; a :class:`RelnotesError`
becomes one ``Error: ...`` line and its exit code (1 failure or findings, 2 usage).
Diagnostics have one style each, whoever prints them (a command or a module's logger):
``Error: ...``, ``warning: ...``, ``note: ...``.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from relnotes.config import Config, load_config
from relnotes.errors import RelnotesError
from relnotes.release import ReleaseFolder

F = TypeVar("F", bound=Callable[..., Any])


class DiagnosticFormatter(logging.Formatter):
    """Log records in the style of the commands' own lines: ``Error: ...`` and
    ``warning: ...``; with ``-v``/``-vv``, ``info:``/``debug:`` and the module, which is
    what a person debugging needs."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.levelno >= logging.ERROR:
            return f"Error: {text}"
        if record.levelno >= logging.WARNING:
            return f"warning: {text}"
        return f"{record.levelname.lower()}: {record.name}: {text}"


def _stderr_handler() -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(DiagnosticFormatter("%(message)s"))
    return handler


def _set_verbosity(ctx: click.Context, _param: click.Parameter, count: int) -> int:
    """``-v`` before or after the command name: the louder of the two wins."""
    ctx.ensure_object(dict)
    root = ctx.find_root()
    root.ensure_object(dict)
    level: int = max(count, int(root.obj.get("verbose", 0)))
    root.obj["verbose"] = level
    logging.basicConfig(handlers=[_stderr_handler()])
    # relnotes' own loggers only: -vv must not turn on markdown-it's or urllib3's debug
    logging.getLogger("relnotes").setLevel(logging.WARNING - 10 * min(level, 2))
    return level


def verbose_option(func: F) -> F:
    """``-v``/``-vv``: more diagnostics on stderr; every command takes it (see README)."""
    return click.option("-v", "--verbose", count=True, expose_value=False, is_eager=True,
                        callback=_set_verbosity,
                        help="More diagnostics on stderr (-vv for debug).")(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@verbose_option
@click.version_option(package_name="relnotes")
def main() -> None:
    """Curate PyTorch release-notes worksheets.

    \b
    Examples:
      relnotes triage todo/quantization.md
      relnotes triage 2.8.0/todo/result_nn_frontend.md
    """


def format_option(*choices: str, default: str = "text") -> Callable[[F], F]:
    """The shared ``--format`` option; json output is stable and documented in the README."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        help="Output format.",
    )


def command(name: str | None = None, *, group: click.Group | None = None,
            formats: tuple[str, ...] = ("text", "json")) -> Callable[[F], click.Command]:
    """A relnotes command: ``-v``/``-vv``, ``--format`` (text and json at least) and the
    error family turned into ``Error: ...`` and exit codes, on every one of them."""

    def decorate(func: F) -> click.Command:
        wrapped = verbose_option(format_option(*formats)(handle_errors(func)))
        return (group or main).command(name)(wrapped)

    return decorate


def handle_errors(func: F) -> F:
    """Turn the relnotes exception family into ``Error: ...`` and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RelnotesError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Error: interrupted", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def config_for(start: Any = None) -> Config:
    """Settings for a command, found from ``start`` (a worksheet path) or the cwd."""
    return load_config(start)


def emit_json(data: Any) -> None:
    """Print machine output: one UTF-8 JSON document on stdout, indented for a person at a
    terminal, compact for a program (Python's indenting encoder is pure Python: 50,000
    triaged items took 1.7 s to indent, 0.3 s not to)."""
    indent = 2 if sys.stdout.isatty() else None
    click.echo(json.dumps(data, indent=indent, ensure_ascii=False))


def warn(message: str) -> None:
    """One ``warning: ...`` line on stderr (the style of logged warnings too)."""
    click.echo(f"warning: {message}", err=True)


def note(message: str) -> None:
    """One ``note: ...`` line on stderr."""
    click.echo(f"note: {message}", err=True)


def print_notes(release: ReleaseFolder) -> None:
    """The release folder's notes not yet said in this run (files skipped as no
    worksheet), once each."""
    for text in release.take_notes():
        note(text)


def exit_with(code: int) -> None:
    """End the command with ``code`` after output has been written."""
    sys.exit(code)
