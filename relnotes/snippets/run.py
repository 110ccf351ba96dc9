"""Running code parts: one sandbox, one interpreter, a warm worker when it can.

:class:`Runner` asks the interpreter that will run the snippets what it has (torch,
torchao: :mod:`relnotes.snippets.interpreter`), picks the OS sandbox
(:mod:`relnotes.snippets.isolation`; none only when asked), checks that the sandbox
starts, and then sends jobs to the warm worker, falling back to a fresh sandboxed
process per snippet when the worker cannot start or dies. What it returns is an
:class:`~relnotes.snippets.outcome.Outcome`; :mod:`relnotes.snippets.verdict` judges it.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

from relnotes.errors import SnippetError
from relnotes.snippets import isolation, sandbox
from relnotes.snippets.interpreter import Installed, Interpreter, probe
from relnotes.snippets.outcome import Outcome
from relnotes.snippets.verdict import Verdict, classify
from relnotes.snippets.worker import WarmWorker, WorkerDied, check_sandbox, run_fresh

__all__ = ["Runner"]

log = logging.getLogger(__name__)


class Runner:
    """Runs jobs in the warm worker when it can, in fresh processes otherwise.

    Nothing starts until the first :meth:`run` (or :meth:`start`): a check whose parts
    are all decided statically needs no sandbox, no torch and no interpreter.
    """

    def __init__(
        self,
        *,
        timeout: float = sandbox.DEFAULT_TIMEOUT,
        memory_mb: int = sandbox.DEFAULT_MEMORY_MB,
        python: str | None = None,
        warm: bool = True,
        no_isolation: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.timeout = timeout
        # what the slow first steps are doing (seconds: the sandbox, importing torch)
        self.progress = progress or (lambda message: None)
        self.memory_mb = memory_mb
        self.python = python or sys.executable
        self.warm = warm
        self.no_isolation = no_isolation
        self.backend: isolation.Backend | None = None
        self.interpreter: Interpreter | None = None
        self.installed: Installed | None = None
        self._worker: WarmWorker | None = None
        self._restarts = 0

    @property
    def isolation(self) -> str | None:
        """``bwrap`` or ``none``: the sandbox this runner runs (or would run) code in;
        None when there is none and ``--no-isolation`` was not given."""
        if self.backend is not None:
            return self.backend.name
        try:
            return isolation.choose(no_isolation=self.no_isolation).name
        except SnippetError:
            return None

    def start(self) -> Installed:
        """Choose the sandbox, ask the interpreter, check both; SnippetError if unusable."""
        if self.installed is not None:
            return self.installed
        backend = isolation.choose(no_isolation=self.no_isolation)
        self.progress(f"asking {self.python} for its torch; checking the sandbox "
                      f"({backend.name})")
        with tempfile.TemporaryDirectory(prefix="relnotes-probe-") as home:
            interpreter = probe(self.python, env=sandbox.safe_env(home))
        installed = interpreter.installed()
        check_sandbox(backend, interpreter)
        self.backend, self.interpreter, self.installed = backend, interpreter, installed
        return installed

    def _ensure_worker(self) -> WarmWorker | None:
        if self._worker is None and self.warm:
            assert self.backend is not None and self.interpreter is not None
            worker = WarmWorker(interpreter=self.interpreter, backend=self.backend,
                                memory_mb=self.memory_mb)
            self.progress(f"starting the sandboxed worker: importing torch "
                          f"{self.installed.torch_text if self.installed else ''} and torchao "
                          "once (seconds)")
            started = time.monotonic()
            try:
                worker.start()
                self.progress(f"worker ready in {time.monotonic() - started:.1f}s")
                self._worker = worker
            except WorkerDied as exc:
                log.warning("warm worker unavailable (%s); using a fresh process per snippet", exc)
                worker.close()
                self.warm = False
        return self._worker

    def run(self, code: str, *, label: str | None, fixture_names: list[str]) -> Outcome:
        """The outcome of one snippet."""
        self.start()
        assert self.backend is not None and self.interpreter is not None
        job: dict[str, object] = {"code": code, "label": label, "fixtures": fixture_names,
                                  "memory_mb": self.memory_mb}
        worker = self._ensure_worker()
        if worker is not None:
            try:
                return worker.run(job, timeout=self.timeout)
            except WorkerDied as exc:
                log.warning("warm worker died (%s); this snippet runs in a fresh process", exc)
                worker.close()
                self._worker = None
                self._restarts += 1
                self.warm = self._restarts < 3
        return run_fresh(job, interpreter=self.interpreter, backend=self.backend,
                         timeout=self.timeout, memory_mb=self.memory_mb)

    def judge(
        self, outcome: Outcome, *, code: str, label: str | None, code_line: int,
        role: str | None = None,
    ) -> Verdict:
        """:func:`~relnotes.snippets.verdict.classify` with this runner's torch and timeout."""
        if self.installed is None:
            raise SnippetError("judge() before the runner started")
        return classify(outcome, code=code, label=label, code_line=code_line,
                        timeout=self.timeout, installed=self.installed, role=role)

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
