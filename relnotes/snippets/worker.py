"""The warm worker: pay torch's import once, fork a child per snippet.

Importing torch, torch.export and torchao's pt2e modules takes seconds; a snippet takes
a fraction of one. The worker (``python -m relnotes.snippets.worker``, started through
:func:`relnotes.snippets.sandbox.spawn_worker` so it has the sandbox's environment and
memory cap) imports them once and then forks one child per job; the child runs the job
through :func:`relnotes.snippets.sandbox.execute_job` and exits.

The worker must do no tensor work before forking: a fork taken after multi-threaded
tensor ops inherits locks held by threads that no longer exist, and the child deadlocks.
Importing is fine (and the sandbox env pins OpenMP/BLAS to one thread besides).

Protocol on the worker's stdin/stdout: one JSON object per line. The worker first writes
``{"ready": true, "import_seconds": s}``; then for each job line it writes the raw outcome
dict of :func:`relnotes.snippets.sandbox.collect_result`.
"""

from __future__ import annotations

import json
import logging
import os
import select
import sys
import time
from types import TracebackType
from typing import IO, Any, Self

from relnotes.errors import SnippetError
from relnotes.snippets import sandbox

__all__ = ["PREIMPORTS", "WarmWorker", "WorkerDied", "serve"]

log = logging.getLogger(__name__)

#: What the worker imports before its first fork (imports only: no tensor work).
PREIMPORTS = (
    "torch",
    "torch.export",
    "torch._export",
    "torchao.quantization.pt2e",
    "torchao.quantization.pt2e.quantize_pt2e",
    "torchao.quantization.pt2e.quantizer",
    "torchao.quantization.pt2e.quantizer.x86_inductor_quantizer",
    "torchao.testing.pt2e._xnnpack_quantizer",
    "torchao.testing.pt2e._xnnpack_quantizer_utils",
    "relnotes.quantizer.xpu",
    "relnotes.snippets.emulate",
    "relnotes.snippets.expect",
    "relnotes.snippets.fixtures",
)
_COLLECT_MARGIN = 30.0  # seconds on top of the snippet timeout for fork/collect overhead


class WorkerDied(SnippetError):
    """The warm worker stopped answering; callers fall back to fresh processes."""


class WarmWorker:
    """Client side: start the worker, send jobs, read outcomes."""

    def __init__(
        self,
        *,
        python: str = sys.executable,
        memory_mb: int = sandbox.DEFAULT_MEMORY_MB,
        start_timeout: float = 180.0,
    ) -> None:
        self.python = python
        self.memory_mb = memory_mb
        self.start_timeout = start_timeout
        self.import_seconds: float | None = None
        self.threads_at_fork: int | None = None
        self._proc: Any = None
        self._home: str | None = None
        self._buffer = b""

    def start(self) -> float:
        """Start the worker and wait until its imports are done; return their cost."""
        self._proc, self._home = sandbox.spawn_worker(python=self.python, memory_mb=self.memory_mb)
        ready = self._read(time.monotonic() + self.start_timeout)
        if not ready.get("ready"):
            raise WorkerDied(f"warm worker did not start: {ready}")
        self.import_seconds = float(ready["import_seconds"])
        self.threads_at_fork = ready.get("threads")
        log.info("warm worker ready (imports took %.1fs)", self.import_seconds)
        return self.import_seconds

    def run(self, job: dict[str, Any], *, timeout: float) -> dict[str, Any]:
        """Run one job in a forked child; raise :class:`WorkerDied` if the worker is gone."""
        if self._proc is None or self._proc.poll() is not None:
            raise WorkerDied("warm worker is not running")
        try:
            self._proc.stdin.write((json.dumps(job | {"timeout": timeout}) + "\n").encode())
            self._proc.stdin.flush()
        except OSError as exc:
            raise WorkerDied(f"warm worker is gone: {exc}") from None
        return self._read(time.monotonic() + timeout + _COLLECT_MARGIN)

    def _read(self, deadline: float) -> dict[str, Any]:
        out: IO[bytes] = self._proc.stdout
        fd = out.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                self.close()
                raise WorkerDied("warm worker did not answer in time")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                self.close()
                raise WorkerDied("warm worker exited")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return dict(json.loads(line))

    def close(self) -> None:
        """Stop the worker (closing stdin ends its loop) and remove its home."""
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                proc.stdin.close()
                proc.wait(timeout=5)
            except Exception:  # noqa: BLE001 - best effort, then force
                sandbox._kill_group(proc.pid)
                proc.wait()
            proc.stdout.close()
        if self._home:
            import shutil

            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _thread_count() -> int | None:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


def serve(memory_mb: int) -> int:
    """Worker side: import once, then fork one sandboxed child per job line."""
    import importlib

    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # stray prints from imports must not corrupt the protocol
    started = time.monotonic()
    for name in PREIMPORTS:
        importlib.import_module(name)
    ready = {
        "ready": True,
        "import_seconds": time.monotonic() - started,
        "threads": _thread_count(),
    }  # must be 1: forking a threaded process is unsafe
    proto.write(json.dumps(ready) + "\n")
    proto.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        job.setdefault("memory_mb", memory_mb)
        scratch = sandbox.make_scratch()
        begun = time.monotonic()
        pid = os.fork()
        if pid == 0:  # the child: never return into the worker loop
            code = 1
            try:
                sandbox.execute_job(job, scratch)
                code = 0
            finally:
                os._exit(code)
        status, timed_out = sandbox.wait_child(
            pid, float(job.get("timeout", sandbox.DEFAULT_TIMEOUT))
        )
        result = sandbox.collect_result(
            scratch,
            returncode=os.waitstatus_to_exitcode(status),
            timed_out=timed_out,
            duration=time.monotonic() - begun,
        )
        proto.write(json.dumps(result) + "\n")
        proto.flush()
    return 0


if __name__ == "__main__":
    sys.exit(serve(int(sys.argv[1]) if len(sys.argv) > 1 else sandbox.DEFAULT_MEMORY_MB))
