"""The worker: one sandboxed process that forks a child per snippet.

Importing torch, torch.export and torchao's pt2e modules takes seconds; a snippet takes
a fraction of one. The warm worker (``python -m relnotes.snippets.worker CONFIG``,
started inside the OS sandbox of a backend, :mod:`relnotes.snippets.isolation`) imports
them once and then forks one child per job; the child runs it through
:func:`relnotes.snippets.sandbox.execute_job`. A fresh run is the same worker without
the imports, serving one job: the two modes differ only in what is imported when.

The worker must do no tensor work before forking: a fork taken after multi-threaded
tensor ops inherits locks held by threads that no longer exist, and the child deadlocks.
Importing is fine (and the sandbox env pins OpenMP/BLAS to one thread besides).

Protocol on the worker's stdin/stdout: one JSON object per line. The worker first writes
``{"ready": true, "import_seconds": s, "threads": n}``; then for each job line it writes
an :class:`~relnotes.snippets.outcome.Outcome` as JSON.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import select
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import IO, Self

from relnotes.errors import SnippetError
from relnotes.snippets import sandbox
from relnotes.snippets.interpreter import Interpreter
from relnotes.snippets.isolation import Backend, Launch
from relnotes.snippets.outcome import Outcome

__all__ = ["WarmWorker", "WorkerConfig", "WorkerDied", "check_sandbox", "run_fresh", "serve"]

log = logging.getLogger(__name__)

_COLLECT_MARGIN = 30.0  # seconds on top of the snippet timeout for fork/collect overhead


class WorkerDied(SnippetError):
    """The worker stopped answering; callers fall back to fresh processes."""


@dataclass(frozen=True)
class WorkerConfig:
    """What the worker is told on its command line (one JSON argument)."""

    preimport: bool = True
    own_pids: bool = False
    drop_to: tuple[int, int] | None = None
    max_processes: int = sandbox.MAX_PROCESSES
    check: bool = False  # only start, drop privileges, read torch's files, answer "ok"

    def to_arg(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_arg(cls, arg: str) -> WorkerConfig:
        data = json.loads(arg)
        drop = data.get("drop_to")
        return cls(
            preimport=bool(data.get("preimport", True)),
            own_pids=bool(data.get("own_pids", False)),
            drop_to=(int(drop[0]), int(drop[1])) if drop else None,
            max_processes=int(data.get("max_processes", sandbox.MAX_PROCESSES)),
            check=bool(data.get("check", False)),
        )


def _launch(
    backend: Backend, interpreter: Interpreter, config: WorkerConfig, memory_mb: int
) -> Launch:
    launch = backend.launch(
        [interpreter.python, "-m", "relnotes.snippets.worker", "CONFIG"],
        interpreter=interpreter, scratch_mb=memory_mb,
    )
    if launch.drop_to is not None or launch.own_pids:
        config = WorkerConfig(config.preimport, launch.own_pids, launch.drop_to,
                              config.max_processes, config.check)
    launch.argv[-1] = config.to_arg()
    launch.env = sandbox.safe_env(launch.scratch)
    return launch


def check_sandbox(backend: Backend, interpreter: Interpreter) -> None:
    """Start the sandbox once and read torch's files in it; SnippetError if that fails."""
    launch = _launch(backend, interpreter, WorkerConfig(preimport=False, check=True), 64)
    try:
        done = subprocess.run(
            launch.argv, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
            check=False,
            **launch.popen_options(),
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SnippetError(f"the {backend.name} sandbox does not start: {exc}. Or pass "
                           "--no-isolation to run snippets without it") from None
    finally:
        launch.cleanup()
    if done.returncode != 0 or done.stdout.strip() != "ok":
        said = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise SnippetError(
            f"the {backend.name} sandbox cannot run {interpreter.python}: {said}"
            + "".join(f" ({note})" for note in launch.notes)
            + ". Or pass --no-isolation to run snippets without it (only worksheets you trust)"
        )


class WarmWorker:
    """Client side: start the worker in its sandbox, send jobs, read outcomes."""

    def __init__(
        self,
        *,
        interpreter: Interpreter,
        backend: Backend,
        memory_mb: int = sandbox.DEFAULT_MEMORY_MB,
        preimport: bool = True,
        start_timeout: float = 180.0,
    ) -> None:
        self.interpreter = interpreter
        self.backend = backend
        self.memory_mb = memory_mb
        self.preimport = preimport
        self.start_timeout = start_timeout
        self.import_seconds: float | None = None
        self.threads_at_fork: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._launch: Launch | None = None
        self._log: str | None = None
        self._buffer = b""

    def start(self) -> float:
        """Start the worker and wait until its imports are done; return their cost."""
        config = WorkerConfig(preimport=self.preimport)
        self._launch = _launch(self.backend, self.interpreter, config, self.memory_mb)
        fd, self._log = tempfile.mkstemp(prefix="relnotes-worker-", suffix=".log")
        try:
            self._proc = subprocess.Popen(
                self._launch.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=fd,
                **self._launch.popen_options(),
            )
        except OSError as exc:
            self.close()
            raise SnippetError(f"cannot start {self._launch.argv[0]}: {exc.strerror}") from None
        finally:
            os.close(fd)
        ready = self._read(time.monotonic() + self.start_timeout)
        if ready.get("ready") is not True:
            raise WorkerDied(f"worker did not start: {ready}")
        seconds = ready.get("import_seconds")
        self.import_seconds = float(seconds) if isinstance(seconds, int | float) else 0.0
        threads = ready.get("threads")
        self.threads_at_fork = threads if isinstance(threads, int) else None
        log.info("worker ready (imports took %.1fs)", self.import_seconds)
        return self.import_seconds

    def run(self, job: dict[str, object], *, timeout: float) -> Outcome:
        """Run one job in a forked child; raise :class:`WorkerDied` if the worker is gone."""
        proc = self._proc
        if proc is None or proc.poll() is not None or proc.stdin is None:
            raise WorkerDied("worker is not running")
        try:
            proc.stdin.write((json.dumps(job | {"timeout": timeout}) + "\n").encode())
            proc.stdin.flush()
        except OSError as exc:
            raise WorkerDied(f"worker is gone: {exc}") from None
        return Outcome.from_json(self._read(time.monotonic() + timeout + _COLLECT_MARGIN))

    def _read(self, deadline: float) -> dict[str, object]:
        assert self._proc is not None and self._proc.stdout is not None
        out: IO[bytes] = self._proc.stdout
        fd = out.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                self.close()
                raise WorkerDied("worker did not answer in time")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                said = self._last_log_line()
                self.close()
                raise WorkerDied("worker exited" + (f": {said}" if said else ""))
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            data = json.loads(line)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self.close()
            raise WorkerDied(f"worker said something that is not JSON: {line[:200]!r}")
        return data

    def _last_log_line(self) -> str:
        try:
            with open(self._log or "", encoding="utf-8", errors="replace") as f:
                lines = [ln.strip() for ln in f.read()[-4000:].splitlines() if ln.strip()]
        except OSError:
            return ""
        return lines[-1] if lines else ""

    def close(self) -> None:
        """Stop the worker (closing stdin ends its loop; the sandbox goes with it)."""
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                if proc.stdin is not None:
                    proc.stdin.close()
                proc.wait(timeout=5)
            except Exception:  # noqa: BLE001 - best effort, then force
                sandbox.kill(proc.pid, group=True)
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        if self._launch is not None:
            self._launch.cleanup()
            self._launch = None
        if self._log:
            try:
                os.unlink(self._log)
            except OSError:
                pass
            self._log = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def run_fresh(
    job: dict[str, object], *, interpreter: Interpreter, backend: Backend, timeout: float,
    memory_mb: int,
) -> Outcome:
    """Run one job in a new sandboxed process that imports everything itself."""
    worker = WarmWorker(interpreter=interpreter, backend=backend, memory_mb=memory_mb,
                        preimport=False)
    try:
        worker.start()
        return worker.run(job, timeout=timeout)
    except WorkerDied as exc:
        return Outcome("crash", stderr=str(exc))
    finally:
        worker.close()


# ------------------------------------------------------------ inside the sandbox


def _thread_count() -> int | None:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


def _become(config: WorkerConfig) -> None:
    """The sandbox's own user (from root: nobody) and its process limit, first thing."""
    if config.drop_to is not None:
        uid, gid = config.drop_to
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        os.environ["USER"] = os.environ["LOGNAME"] = "nobody"
    if config.own_pids:  # elsewhere the limit would count every process of the user
        resource.setrlimit(resource.RLIMIT_NPROC, (config.max_processes, config.max_processes))


def _check() -> int:
    """Can this process read the standard library (C extensions too) and torch?"""
    import ctypes  # noqa: F401 - lib-dynload is readable
    import importlib.util

    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        print("no torch here", file=sys.stderr)
        return 1
    with open(spec.origin, "rb") as f:
        f.read(1)
    print("ok")
    return 0


def serve(config: WorkerConfig) -> int:
    """Worker side: import once (if asked), then fork one sandboxed child per job line."""
    _become(config)
    if config.check:
        return _check()
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # stray prints from imports must not corrupt the protocol
    started = time.monotonic()
    if config.preimport:
        sandbox.import_libraries()
    ready = {
        "ready": True,
        "import_seconds": time.monotonic() - started,
        "threads": _thread_count(),  # must be 1: forking a threaded process is unsafe
    }
    proto.write(json.dumps(ready) + "\n")
    proto.flush()
    bomb = int(config.max_processes * 0.9)

    def too_many() -> bool:
        return sandbox.count_tasks() >= bomb

    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        memory_mb = int(job.get("memory_mb", sandbox.DEFAULT_MEMORY_MB))
        scratch = sandbox.make_scratch()
        begun = time.monotonic()
        pid = os.fork()
        if pid == 0:  # the child: never return into the worker loop
            code = 1
            try:
                sandbox.execute_job(job, scratch)
                code = 0
            except BaseException:  # noqa: BLE001 - say why in its stderr, then die
                traceback.print_exc()
            finally:
                os._exit(code)
        status, killed = sandbox.wait_child(
            pid, float(job.get("timeout", sandbox.DEFAULT_TIMEOUT)),
            too_many=too_many if config.own_pids else None,
        )
        sandbox.end_leftovers(pid, own_pids=config.own_pids)
        outcome = sandbox.collect(scratch, status=status, killed=killed,
                                  duration=time.monotonic() - begun, memory_mb=memory_mb)
        proto.write(json.dumps(outcome.to_json()) + "\n")
        proto.flush()
    return 0


if __name__ == "__main__":
    sys.exit(serve(WorkerConfig.from_arg(sys.argv[1]) if len(sys.argv) > 1 else WorkerConfig()))
