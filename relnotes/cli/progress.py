"""Progress of long work on stderr, the one way every command draws it.

The core reports progress through callbacks (``progress(done, total)``); commands turn
that into lines here. On a terminal one line is redrawn in place; otherwise (a log, CI)
a line at most once a second, and only for runs of 1,000 items or more, so short runs
stay quiet and long ones never look hung.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO

__all__ = ["StageProgress", "isatty"]


def isatty(stream: IO[str]) -> bool:
    """Whether ``stream`` is a terminal (False for closed or fake streams)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class StageProgress:
    """``<command>: <stage> <done>/<total>`` from ``progress(stage, done, total)`` calls;
    :meth:`of` gives the ``progress(done, total)`` form of one stage."""

    def __init__(self, command: str, *, items: int, stream: IO[str] | None = None,
                 every: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.command = command
        self.stream = stream or sys.stderr
        self.tty = isatty(self.stream)
        self.quiet = not self.tty and items < 1000
        self.every, self.clock = every, clock
        self.last = clock()
        self.drawn = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.quiet:
            return
        now = self.clock()
        if not self.tty and now - self.last < self.every and done < total:
            return
        self.last = now
        line = f"{self.command}: {stage} {done}/{total}"
        self.stream.write(f"\r{line}\x1b[K" if self.tty else line + "\n")
        self.stream.flush()
        self.drawn = True

    def of(self, stage: str) -> Callable[[int, int], None]:
        """The callback of one stage, for core code that reports ``(done, total)``."""
        return lambda done, total: self(stage, done, total)

    def close(self) -> None:
        """End a line drawn in place on a terminal."""
        if self.tty and self.drawn:
            self.stream.write("\n")
            self.stream.flush()
