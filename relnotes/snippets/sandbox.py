"""The one place untrusted snippet code runs.

Every snippet runs in a child process of its own -- forked from the warm worker
(:mod:`relnotes.snippets.worker`) or started fresh (``python -m
relnotes.snippets.sandbox SCRATCH``) -- under the same rules:

* a wall-clock timeout, enforced from outside by killing the child's process group;
* a memory cap (``RLIMIT_AS``) set in the child;
* a fresh scratch directory as cwd, ``HOME`` and ``TMPDIR``, removed afterwards;
* an environment without secrets (``GITHUB_TOKEN``, ``GH_TOKEN``, anything that looks
  like a token, secret, key, password or AWS setting is dropped);
* no network: proxies point at an unroutable address, and inside the child
  ``socket.connect`` and ``getaddrinfo`` refuse anything that is not loopback.

The child writes ``result.json`` (a plain dict, see :func:`execute_job`) into its scratch
directory; :func:`collect_result` turns that plus the exit status into the raw outcome
that :mod:`relnotes.snippets.run` classifies.
"""

from __future__ import annotations

import ast
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from relnotes.errors import SnippetError
from relnotes.fileio import atomic_write

__all__ = [
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT",
    "collect_result",
    "execute_job",
    "make_scratch",
    "run_fresh",
    "safe_env",
    "spawn_worker",
    "wait_child",
]

DEFAULT_TIMEOUT = 60.0
#: Address space, not resident memory: torch alone maps about 0.9 GB of it.
DEFAULT_MEMORY_MB = 4096
UNROUTABLE_PROXY = "http://192.0.2.1:9"  # TEST-NET-1 (RFC 5737): never routed
_SECRET = re.compile(r"TOKEN|SECRET|KEY|PASSWORD|PASSWD|CREDENTIAL|^AWS_", re.IGNORECASE)
_KEEP_OUTPUT = 4000
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_EMULATE_FILE = os.path.join("relnotes", "snippets", "emulate.py")


def safe_env(home: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: ours) without secrets, pointed at ``home`` and at no network."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if not _SECRET.search(k)}
    for name in ("http_proxy", "https_proxy", "ftp_proxy", "all_proxy"):
        env[name] = env[name.upper()] = UNROUTABLE_PROXY
    env["no_proxy"] = env["NO_PROXY"] = ""
    env.update(
        HOME=home,
        TMPDIR=home,
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
        # one thread: snippets are tiny, the machine is shared, and forking a process
        # with a live OpenMP/BLAS pool can deadlock the child
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        TORCHINDUCTOR_CACHE_DIR=os.path.join(home, ".inductor"),
        TORCH_HOME=os.path.join(home, ".torch"),
    )
    # the child must import this package even under another interpreter (--python)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
    return env


def make_scratch() -> str:
    """A private directory for one snippet (or for the worker's own files)."""
    return tempfile.mkdtemp(prefix="relnotes-snippet-")


def _limit_memory(memory_mb: int) -> None:
    cap = memory_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _kill_group(pid: int) -> None:
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
        except (ProcessLookupError, PermissionError):
            pass


def _popen(argv: list[str], **options: Any) -> subprocess.Popen[bytes]:
    """Popen, with "cannot start the interpreter" as a SnippetError naming it."""
    try:
        return subprocess.Popen(argv, **options)
    except OSError as exc:
        shutil.rmtree(options.get("cwd") or "", ignore_errors=True)
        raise SnippetError(f"cannot start {argv[0]}: {exc.strerror}") from None


def run_fresh(
    job: dict[str, Any], *, python: str, timeout: float, memory_mb: int
) -> dict[str, Any]:
    """Run one job in a new interpreter (the fallback, and ``--python``); return the outcome."""
    scratch = make_scratch()
    atomic_write(os.path.join(scratch, "job.json"), json.dumps(job))
    started = time.monotonic()
    with (
        open(os.path.join(scratch, "stdout.txt"), "wb") as out,
        open(os.path.join(scratch, "stderr.txt"), "wb") as err,
    ):
        proc = _popen(
            [python, "-m", "relnotes.snippets.sandbox", scratch],
            cwd=scratch,
            env=safe_env(scratch),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
            preexec_fn=lambda: _limit_memory(memory_mb),  # our parent runs no threads
        )
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc.pid)
            proc.wait()
    return collect_result(
        scratch,
        returncode=proc.returncode,
        timed_out=timed_out,
        duration=time.monotonic() - started,
    )


def spawn_worker(*, python: str, memory_mb: int) -> tuple[subprocess.Popen[bytes], str]:
    """Start the warm worker (``python -m relnotes.snippets.worker``) and its home dir."""
    home = make_scratch()
    with open(os.path.join(home, "worker.log"), "wb") as log:  # the worker keeps its own fd
        proc = _popen(
            [python, "-m", "relnotes.snippets.worker", str(memory_mb)],
            cwd=home,
            env=safe_env(home),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,
            preexec_fn=lambda: _limit_memory(memory_mb),
        )
    return proc, home


def wait_child(pid: int, timeout: float) -> tuple[int, bool]:
    """Wait for a forked child; kill its group after ``timeout``. (wait status, timed out)"""
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status, False
        if time.monotonic() >= deadline:
            _kill_group(pid)
            return os.waitpid(pid, 0)[1], True
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def _tail(path: str) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError:
        return ""
    text = data[-_KEEP_OUTPUT:].decode("utf-8", "replace")
    return ("..." if len(data) > _KEEP_OUTPUT else "") + text


def collect_result(
    scratch: str, *, returncode: int | None, timed_out: bool, duration: float
) -> dict[str, Any]:
    """Read what the child left in ``scratch`` and remove the directory."""
    result: dict[str, Any] = {}
    try:
        result = json.loads(Path(scratch, "result.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    if timed_out:
        result["status"] = "timeout"
    elif not result:
        result["status"] = "crash"
    result["returncode"] = returncode
    result["duration"] = round(duration, 4)
    result["stdout"] = _tail(os.path.join(scratch, "stdout.txt"))
    result["stderr"] = _tail(os.path.join(scratch, "stderr.txt"))
    shutil.rmtree(scratch, ignore_errors=True)
    return result


# ------------------------------------------------------------------ the child side


def _block_network() -> None:
    """Refuse every non-loopback connection and name lookup in this process."""
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


def _enter_sandbox(scratch: str, memory_mb: int) -> None:
    """Limits, directory, environment and output redirection for this child."""
    try:
        os.setpgid(0, 0)  # so a timeout can kill whatever the snippet spawns
    except OSError:
        pass  # already a session leader (fresh process)
    _limit_memory(memory_mb)
    os.chdir(scratch)
    # the same environment a fresh process gets (no secrets, no proxies, own caches), so
    # warm and fresh runs cannot differ by what an earlier snippet left in a shared cache
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
    _block_network()


def _describe(exc: BaseException, snippet_file: str, phase: str) -> dict[str, Any]:
    """A JSON-able account of an exception: type, message, snippet line, missing name."""
    frames = traceback.extract_tb(exc.__traceback__)
    lines = [f.lineno for f in frames if f.filename == snippet_file]
    missing = None
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        missing = exc.name
    elif isinstance(exc, ImportError) and exc.name:
        found = re.search(r"cannot import name '([^']+)'", str(exc))
        missing = f"{exc.name}.{found[1]}" if found else exc.name
    elif isinstance(exc, AttributeError) and getattr(exc, "obj", None) is not None:
        obj = exc.obj  # type: ignore[attr-defined]
        if hasattr(obj, "__name__") and type(obj).__name__ == "module":
            missing = f"{obj.__name__}.{exc.name}"
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return {
        "type": type(exc).__name__,
        "qualname": f"{type(exc).__module__}.{type(exc).__qualname__}",
        "mro": [c.__name__ for c in type(exc).__mro__],
        "message": "\n".join([str(exc), *getattr(exc, "__notes__", [])]),
        "line": lines[-1] if lines else None,
        "phase": phase,
        "missing": missing,
        "name": getattr(exc, "name", None) if isinstance(exc, NameError) else None,
        "traceback": tb[-3000:],
        # emulated functions the error passed through (tracebacks get cut, this does not)
        "via": [f.name for f in frames if f.filename.endswith(_EMULATE_FILE)],
    }


def _run_snippet(job: dict[str, Any], scratch: str) -> dict[str, Any]:
    from relnotes.snippets import emulate, expect, fixtures

    code: str = job["code"]
    snippet_file = os.path.join(scratch, "snippet.py")
    Path(snippet_file).write_text(code, encoding="utf-8")
    used: list[str] = []
    result: dict[str, Any] = {
        "status": "ok",
        "emulated": used,
        "expectations": [],
        "carried_on": None,
    }
    flow = fixtures.FlowTracker()
    try:
        flow.install()
        emulate.install(
            job.get("label"), used=used, snippet_file=snippet_file, on_export=flow.saw_export
        )
        namespace: dict[str, Any] = {"__name__": "__main__", "__file__": snippet_file}
        namespace.update(fixtures.build([n for n in job.get("fixtures", [])]))
    except BaseException as exc:  # noqa: BLE001 - our own setup failed: report, don't die
        result.update(status="error", error=_describe(exc, snippet_file, "setup"))
        return result
    expectations = expect.find_expectations(code)
    checker = expect.Checker(expectations)
    namespace[expect.CHECKER_NAME] = checker
    result["expectations"] = [e.to_dict() for e in expectations]
    phase = "snippet"
    try:
        tree = expect.instrument(ast.parse(code, snippet_file), expectations)
        exec(compile(tree, snippet_file, "exec"), namespace)  # noqa: S102 - the sandbox
        phase = "carry-on"
        result["carried_on"] = flow.carry_on(namespace)
    except BaseException as exc:  # noqa: BLE001 - any failure is the snippet's outcome
        result.update(status="error", error=_describe(exc, snippet_file, phase))
    result["expectations"] = [e.to_dict() for e in expectations]
    return result


def execute_job(job: dict[str, Any], scratch: str) -> None:
    """Run ``job`` in this (child) process and leave ``result.json`` in ``scratch``."""
    _enter_sandbox(scratch, int(job.get("memory_mb", DEFAULT_MEMORY_MB)))
    try:
        result = _run_snippet(job, scratch)
    except MemoryError:
        result = {
            "status": "error",
            "error": {
                "type": "MemoryError",
                "mro": ["MemoryError"],
                "message": "memory cap reached",
                "phase": "snippet",
            },
        }
    sys.stdout.flush()
    sys.stderr.flush()
    atomic_write(os.path.join(scratch, "result.json"), json.dumps(result, default=str))


def main(argv: list[str] | None = None) -> int:
    """``python -m relnotes.snippets.sandbox SCRATCH``: the fresh-process child."""
    scratch = (argv or sys.argv[1:])[0]
    job = json.loads(Path(scratch, "job.json").read_text(encoding="utf-8"))
    execute_job(job, scratch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
