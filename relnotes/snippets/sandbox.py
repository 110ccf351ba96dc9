"""The one place untrusted snippet code runs: one forked child per snippet.

The worker (:mod:`relnotes.snippets.worker`) runs inside the OS sandbox of its backend
(:mod:`relnotes.snippets.isolation`) and forks one child per snippet. The child
(:func:`execute_job`) sets the limits the OS enforces from then on -- address space
(``RLIMIT_AS``), size of any file it writes (``RLIMIT_FSIZE``, which caps its output),
and, set once in the worker, the number of processes (``RLIMIT_NPROC``) -- moves into a
fresh scratch directory (its cwd, ``HOME`` and ``TMPDIR``), takes an environment built
from an allow-list, closes every inherited file descriptor, and runs the snippet. The
worker enforces the wall-clock timeout by killing it, and ends whatever it left behind.

Library imports happen before the child's output is redirected, so what torch or
torchao print while loading is never taken for the snippet's output.

The child writes ``result.json`` into its scratch directory; :func:`collect` turns that
plus the exit status into the :class:`~relnotes.snippets.outcome.Outcome` the classifier
reads. Inside the process a socket patch also refuses non-loopback connections, so a
snippet that tries gets a clear message; the network namespace is what enforces it.
"""

from __future__ import annotations

import ast
import errno
import importlib
import json
import os
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from relnotes.fileio import atomic_write
from relnotes.snippets.outcome import Failure, Limit, Outcome

__all__ = [
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT",
    "MAX_PROCESSES",
    "OUTPUT_LIMIT_MB",
    "PREIMPORTS",
    "collect",
    "count_tasks",
    "end_leftovers",
    "execute_job",
    "import_libraries",
    "kill",
    "make_scratch",
    "safe_env",
    "wait_child",
]

#: The defaults of the ``snippet_timeout`` and ``snippet_memory_mb`` settings.
DEFAULT_TIMEOUT = 120.0
#: Address space, not resident memory: torch and torchao alone map about 0.8 GB of it.
DEFAULT_MEMORY_MB = 4096
#: Processes and threads of one sandbox (the worker and everything a snippet starts).
MAX_PROCESSES = 128
#: Largest file a snippet may write, its own output included.
OUTPUT_LIMIT_MB = 64
#: Address space a snippet needs beyond the libraries before it can do anything.
_HEADROOM_MB = 64

#: What is imported before a snippet starts (imports only: no tensor work before a fork).
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

UNROUTABLE_PROXY = "http://192.0.2.1:9"  # TEST-NET-1 (RFC 5737): never routed
#: The only variables taken from the caller's environment: nothing else gets through.
_PASSED = frozenset({"PATH", "LANG", "LANGUAGE", "TZ", "TERM", "LD_LIBRARY_PATH", "PYTHONPATH"})
_KEEP_OUTPUT = 4000
_KEEP_MESSAGE = 4000
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_EMULATE_FILE = os.path.join("relnotes", "snippets", "emulate.py")
_OUT_OF_MEMORY = re.compile(
    r"can't allocate memory|Cannot allocate memory|std::bad_alloc|out of memory"
    r"|error return without exception set",  # what CPython says when a C allocation fails
    re.IGNORECASE,
)


def safe_env(home: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The allow-listed part of ``base`` (default: ours), pointed at ``home``, no network."""
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if k in _PASSED or k.startswith("LC_")}
    for name in ("http_proxy", "https_proxy", "ftp_proxy", "all_proxy"):
        env[name] = env[name.upper()] = UNROUTABLE_PROXY
    env["no_proxy"] = env["NO_PROXY"] = ""
    env.update(
        HOME=home,
        TMPDIR=home,
        XDG_CACHE_HOME=os.path.join(home, ".cache"),
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
        # one thread: snippets are tiny, the machine is shared, and forking a process
        # with a live OpenMP/BLAS pool can deadlock the child
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        TORCHINDUCTOR_COMPILE_THREADS="1",  # no compile pool: processes are limited
        TORCHINDUCTOR_CACHE_DIR=os.path.join(home, ".inductor"),
        TORCH_HOME=os.path.join(home, ".torch"),
    )
    # the child must import this package even under another interpreter (--python)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
    return env


def make_scratch() -> str:
    """A private directory for one snippet, inside the worker's own scratch."""
    return tempfile.mkdtemp(prefix="relnotes-snippet-")


def import_libraries() -> None:
    """Import what every snippet needs; their noise goes wherever stderr points now."""
    for name in PREIMPORTS:
        importlib.import_module(name)


# ------------------------------------------------------------- the worker's side


def kill(pid: int, *, group: bool) -> None:
    """SIGKILL ``pid`` (or its process group); gone already is fine."""
    try:
        (os.killpg if group else os.kill)(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _others() -> list[int]:
    """Every process this one sees but itself and PID 1 (in a PID namespace of its own)."""
    me = os.getpid()
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, me)]


def count_tasks() -> int:
    """Processes and threads in this PID namespace (what ``RLIMIT_NPROC`` counts)."""
    total = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                total += len(os.listdir(f"/proc/{pid}/task"))
            except OSError:
                pass
    return total


def end_leftovers(child: int, *, own_pids: bool) -> None:
    """End what a snippet left running: every other process of the sandbox, if it is
    ours alone, else the child's process group."""
    if not own_pids:
        kill(child, group=True)
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        # kill(-1) reaches every process we may signal but ourselves and PID 1, in one
        # step that no fork can race: all of them are the snippet's, in this namespace
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _reap()
        if not [pid for pid in _others() if _alive(pid)]:
            return
        time.sleep(0.005)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def wait_child(
    pid: int, timeout: float, *, too_many: Callable[[], bool] | None = None
) -> tuple[int, str | None]:
    """Wait for a forked child: (wait status, why it was killed: timeout/processes/None)."""
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status, None
        why = "timeout" if time.monotonic() >= deadline else None
        if why is None and too_many is not None and too_many():
            why = "processes"
        if why:
            kill(pid, group=True)
            kill(pid, group=False)
            return os.waitpid(pid, 0)[1], why
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def _tail(path: str) -> str:
    try:
        with open(path, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - _KEEP_OUTPUT))
            data = f.read()
    except OSError:
        return ""
    return ("..." if size > _KEEP_OUTPUT else "") + data.decode("utf-8", "replace")


def collect(
    scratch: str, *, status: int, killed: str | None, duration: float, memory_mb: int
) -> Outcome:
    """Read what the child left in ``scratch``, remove the directory, say how it ended."""
    try:
        data: object = json.loads(Path(scratch, "result.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    outcome = Outcome.from_json(data) if data is not None else Outcome("crash")
    outcome.returncode = os.waitstatus_to_exitcode(status)
    outcome.duration = round(duration, 4)
    outcome.stdout = _tail(os.path.join(scratch, "stdout.txt"))
    outcome.stderr = _tail(os.path.join(scratch, "stderr.txt"))
    shutil.rmtree(scratch, ignore_errors=True)
    if killed == "timeout":
        outcome.status = "timeout"
    elif killed == "processes":
        outcome.status, outcome.limit = "crash", "processes"
        outcome.limit_message = f"process limit of {MAX_PROCESSES} reached (a fork bomb?)"
    elif data is None:
        outcome.status = "crash"
        if _OUT_OF_MEMORY.search(outcome.stderr):
            outcome.limit = "memory"
            outcome.limit_message = _memory_message(memory_mb)
    return outcome


def _memory_message(memory_mb: int) -> str:
    return f"memory limit of {memory_mb} MB reached"


# ------------------------------------------------------------------ the child side


def _block_network() -> None:
    """Refuse non-loopback connections and name lookups here, with a clear message.

    The sandbox's network namespace is what enforces "no network"; this only makes a
    snippet that tries fail with words instead of a timeout (and is all there is under
    ``--no-isolation``).
    """
    import ipaddress
    import socket

    def local(host: Any) -> bool:
        if host in (None, "", "localhost", b"localhost"):
            return True
        try:
            return ipaddress.ip_address(
                host.decode() if isinstance(host, bytes) else host
            ).is_loopback
        except ValueError:
            return False

    def allowed(address: Any) -> bool:
        return not isinstance(address, tuple) or local(address[0])  # AF_UNIX paths are fine

    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        if not allowed(address):
            raise ConnectionRefusedError(f"relnotes sandbox: no network access ({address!r})")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not allowed(address):
            return 111  # ECONNREFUSED
        return real_connect_ex(self, address)

    def numeric(host: Any) -> bool:  # an address literal needs no lookup; connect decides
        try:
            ipaddress.ip_address(host.decode() if isinstance(host, bytes) else host)
            return True
        except (ValueError, AttributeError):
            return False

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not local(host) and not numeric(host):
            raise socket.gaierror(socket.EAI_NONAME, "relnotes sandbox: no network access")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = getaddrinfo


def _set_limit(which: int, value: int) -> None:
    _soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, value))


def _address_space_mb() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _enter_sandbox(scratch: str, memory_mb: int) -> None:
    """Limits, directory, environment and file descriptors for this child."""
    try:
        os.setpgid(0, 0)  # so a timeout can kill whatever the snippet spawns
    except OSError:
        pass
    _set_limit(resource.RLIMIT_AS, memory_mb * 1024 * 1024)
    _set_limit(resource.RLIMIT_FSIZE, OUTPUT_LIMIT_MB * 1024 * 1024)
    _set_limit(resource.RLIMIT_CORE, 0)
    os.chdir(scratch)
    # the same environment as every other snippet (no secrets, no proxies, own caches),
    # so no run depends on what an earlier snippet left in a shared cache
    env = safe_env(scratch, base=dict(os.environ))
    os.environ.clear()
    os.environ.update(env)
    tempfile.tempdir = scratch
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # the worker's job channel is not the snippet's business
    os.close(devnull)
    for fd, name in ((1, "stdout.txt"), (2, "stderr.txt")):
        target = os.open(os.path.join(scratch, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    os.closerange(3, _max_fd())  # nothing inherited: not the worker's result channel
    _block_network()


def _max_fd() -> int:
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if 0 < soft < 1 << 20 else 1 << 16


def _limit_of(exc: BaseException) -> Limit | None:
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        return "output"
    if isinstance(exc, MemoryError) or _OUT_OF_MEMORY.search(str(exc)):
        return "memory"
    return None


def _describe(exc: BaseException, snippet_file: str, phase: str) -> Failure:
    """An account of an exception: type, message, snippet line, missing name."""
    frames = traceback.extract_tb(exc.__traceback__)
    lines = [f.lineno for f in frames if f.filename == snippet_file]
    missing = None
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        missing = exc.name
    elif isinstance(exc, ImportError) and exc.name:
        found = re.search(r"cannot import name '([^']+)'", str(exc))
        missing = f"{exc.name}.{found[1]}" if found else exc.name
    elif isinstance(exc, AttributeError) and getattr(exc, "obj", None) is not None:
        obj = exc.obj
        if hasattr(obj, "__name__") and type(obj).__name__ == "module":
            missing = f"{obj.__name__}.{exc.name}"
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return Failure(
        type=type(exc).__name__,
        qualname=f"{type(exc).__module__}.{type(exc).__qualname__}",
        mro=[c.__name__ for c in type(exc).__mro__],
        message="\n".join([str(exc), *getattr(exc, "__notes__", [])])[:_KEEP_MESSAGE],
        line=lines[-1] if lines else None,
        phase=phase,
        missing=missing,
        name=getattr(exc, "name", None) if isinstance(exc, NameError) else None,
        traceback=tb[-3000:],
        # emulated functions the error passed through (tracebacks get cut, this does not)
        via=[f.name for f in frames if f.filename.endswith(_EMULATE_FILE)],
    )


def _fail(outcome: Outcome, exc: BaseException, snippet_file: str, phase: str,
          memory_mb: int) -> None:
    outcome.status = "error"
    outcome.error = _describe(exc, snippet_file, phase)
    outcome.limit = _limit_of(exc)
    if outcome.limit == "memory":
        outcome.limit_message = _memory_message(memory_mb)
    elif outcome.limit == "output":
        outcome.limit_message = f"output limit of {OUTPUT_LIMIT_MB} MB reached"


def _run_snippet(job: dict[str, Any], scratch: str, memory_mb: int) -> Outcome:
    from relnotes.snippets import emulate, expect, fixtures

    code = str(job["code"])
    snippet_file = os.path.join(scratch, "snippet.py")
    Path(snippet_file).write_text(code, encoding="utf-8")
    outcome = Outcome("ok")
    flow = fixtures.FlowTracker()
    try:
        flow.install()
        emulate.install(
            job.get("label"), used=outcome.emulated, snippet_file=snippet_file,
            on_export=flow.saw_export,
        )
        namespace: dict[str, Any] = {"__name__": "__main__", "__file__": snippet_file}
        namespace.update(fixtures.build([str(n) for n in job.get("fixtures", [])]))
    except BaseException as exc:  # noqa: BLE001 - our own setup failed: report, don't die
        _fail(outcome, exc, snippet_file, "setup", memory_mb)
        return outcome
    outcome.expectations = expect.find_expectations(code)
    namespace[expect.CHECKER_NAME] = expect.Checker(outcome.expectations)
    phase = "snippet"
    try:
        tree = expect.instrument(ast.parse(code, snippet_file), outcome.expectations)
        exec(compile(tree, snippet_file, "exec"), namespace)  # noqa: S102 - the sandbox
        phase = "carry-on"
        outcome.carried_on = flow.carry_on(namespace)
    except BaseException as exc:  # noqa: BLE001 - any failure is the snippet's outcome
        _fail(outcome, exc, snippet_file, phase, memory_mb)
    return outcome


def execute_job(job: dict[str, Any], scratch: str) -> None:
    """Run ``job`` in this forked child and leave ``result.json`` in ``scratch``."""
    memory_mb = int(job.get("memory_mb", DEFAULT_MEMORY_MB))
    import_libraries()  # no-op in the warm worker; before the limits and the redirect
    taken = _address_space_mb()
    _enter_sandbox(scratch, memory_mb)
    if taken + _HEADROOM_MB > memory_mb:
        outcome = Outcome("crash", limit="memory", limit_message=(
            f"{_memory_message(memory_mb)}: torch and torchao take {taken} MB of address "
            "space before the snippet starts; raise snippet_memory_mb"))
    else:
        try:
            outcome = _run_snippet(job, scratch, memory_mb)
        except MemoryError:
            outcome = Outcome("error", limit="memory", limit_message=_memory_message(memory_mb),
                              error=Failure("MemoryError", "", mro=["MemoryError"]))
    sys.stdout.flush()
    sys.stderr.flush()
    atomic_write(os.path.join(scratch, "result.json"), json.dumps(outcome.to_json(), default=str))
