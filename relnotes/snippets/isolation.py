"""Where snippet processes run: inside an OS sandbox, or (when asked) without one.

A backend turns "run this worker command" into the command line, environment and user
that start it inside its sandbox (:class:`Launch`). Everything after that -- the worker
protocol, the forked children, the :class:`~relnotes.snippets.outcome.Outcome` they
produce and the classifier reading it -- is the same for every backend, so another OS
sandbox is one more subclass of :class:`Backend` registered in :data:`BACKENDS`; on
macOS that would be ``sandbox-exec`` with a profile denying network and file writes.

:class:`Bubblewrap` (Linux) gives the worker new user, PID, network, IPC, UTS and
cgroup namespaces; the root filesystem read-only; the user's home, ``/tmp``, ``/var/tmp``
and ``/run`` hidden under empty tmpfs (the interpreter's own directories are bound back
read-only); a size-capped tmpfs at ``/tmp`` as the only writable place; ``/proc`` of its
own PID namespace; no capabilities and no nested user namespaces; ``--die-with-parent``.
Run by root, bwrap makes no user namespace (it would map to root again) and the
worker switches to ``nobody`` before anything else: root is exempt from the process limit,
and an unprivileged user reads only what anyone may read.

:class:`NoIsolation` (``--no-isolation``) runs the same worker as a plain subprocess: the
limits and the clean environment stay, the OS enforces nothing else.
"""

from __future__ import annotations

import os
import pwd
import shutil
import sys
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TypedDict

from relnotes.errors import SnippetError
from relnotes.snippets.interpreter import Interpreter

__all__ = ["BACKENDS", "Backend", "Bubblewrap", "Launch", "NoIsolation", "PopenOptions",
           "choose"]

#: MiB of shared memory (``/dev/shm``: multiprocessing locks, DataLoader workers).
_SHM_MB = 64


class PopenOptions(TypedDict):
    """What :meth:`Launch.popen_options` gives :class:`subprocess.Popen`, typed, so the
    call is checked like any other."""

    env: dict[str, str]
    cwd: str
    close_fds: bool
    start_new_session: bool


@dataclass
class Launch:
    """How to start the worker: the argv, its environment and directory, and as whom.

    ``scratch`` is where the worker makes the scratch directories of its children (a
    path inside the sandbox); ``host_dir`` a host directory to remove afterwards.
    ``own_pids``: the worker is alone in its PID namespace, so it may end every other
    process it sees there after each snippet. ``drop_to``: (uid, gid) the worker switches
    to before anything else (the sandbox of a root user).
    """

    argv: list[str]
    cwd: str
    scratch: str
    host_dir: str | None = None
    drop_to: tuple[int, int] | None = None
    own_pids: bool = False
    notes: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    def popen_options(self) -> PopenOptions:
        """Keyword arguments for :class:`subprocess.Popen` (besides the std streams)."""
        return PopenOptions(env=self.env, cwd=self.cwd,
                            close_fds=True,  # no inherited file descriptors
                            start_new_session=True)  # no controlling terminal; one group

    def cleanup(self) -> None:
        if self.host_dir:
            shutil.rmtree(self.host_dir, ignore_errors=True)
            self.host_dir = None


class Backend(ABC):
    """One way to isolate the worker. Subclasses set :attr:`name` and implement both."""

    name: str = ""

    @classmethod
    @abstractmethod
    def unavailable(cls) -> str | None:
        """Why this backend cannot run on this machine (None: it can), with what to do."""

    @abstractmethod
    def launch(self, command: list[str], *, interpreter: Interpreter, scratch_mb: int) -> Launch:
        """How to start ``command`` (``python -m relnotes.snippets.worker ...``) isolated.

        ``scratch_mb`` caps what the sandbox may write. The caller sets ``Launch.env``
        (built from an allow-list for ``Launch.scratch``).
        """


class NoIsolation(Backend):
    """No OS sandbox: the worker is a plain subprocess (``--no-isolation``)."""

    name = "none"

    @classmethod
    def unavailable(cls) -> str | None:
        return None

    def launch(self, command: list[str], *, interpreter: Interpreter, scratch_mb: int) -> Launch:
        home = tempfile.mkdtemp(prefix="relnotes-sandbox-")
        return Launch(command, home, home, host_dir=home)


def _nobody() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam("nobody")
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        return 65534, 65534


def _homes() -> list[str]:
    """The user's home, by ``$HOME`` and by the password database (they may differ)."""
    homes = [os.path.expanduser("~")]
    try:
        homes.append(pwd.getpwuid(os.geteuid()).pw_dir)
    except KeyError:
        pass
    return [h for h in homes if h]


def _closed_ancestor(path: str) -> str | None:
    """The outermost directory above ``path`` that others may not enter, if any."""
    current = "/"
    for part in [p for p in path.split("/") if p][:-1]:
        current = os.path.join(current, part)
        try:
            if not os.stat(current).st_mode & 0o001:
                return current
        except OSError:
            return None
    return None


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


class Bubblewrap(Backend):
    """Linux namespaces through ``bwrap`` (bubblewrap, the sandbox Flatpak uses)."""

    name = "bwrap"
    #: Hidden under empty tmpfs: where people keep tokens, sockets and scratch files.
    MASKED = ("/tmp", "/var/tmp", "/run", "/var/run", "/dev/shm")

    @classmethod
    def unavailable(cls) -> str | None:
        if not sys.platform.startswith("linux"):
            return f"bubblewrap needs Linux; there is no sandbox backend for {sys.platform} yet"
        if shutil.which("bwrap") is None:
            return ("bwrap (bubblewrap) is not on PATH: install it "
                    "(Debian/Ubuntu: apt install bubblewrap; Fedora: dnf install bubblewrap)")
        return None

    def launch(self, command: list[str], *, interpreter: Interpreter, scratch_mb: int) -> Launch:
        bwrap = shutil.which("bwrap") or "bwrap"
        root = os.geteuid() == 0
        if root:  # no user namespace: the worker drops to nobody (keeps these two for it)
            argv = [bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                    "--unshare-cgroup-try", "--cap-drop", "ALL",
                    "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        else:
            argv = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns",
                    "--cap-drop", "ALL"]
        argv += ["--die-with-parent", "--new-session", "--hostname", "relnotes-sandbox",
                 "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev"]
        masked = [*self.MASKED, *_homes()]
        if root:  # nobody cannot pass a directory closed to others: hide it, bind back
            masked += [d for p in interpreter.paths if (d := _closed_ancestor(p)) is not None]
        masked = sorted({m for m in masked if os.path.isdir(m) and not os.path.islink(m)
                         and m != "/"}, key=len)
        writable = {"/tmp": scratch_mb, "/dev/shm": _SHM_MB}
        for directory in masked:
            size = writable.get(directory)
            perms = ["--perms", "1777"] if size else []
            argv += [*perms, "--size", str((size or 1) * 1024 * 1024), "--tmpfs", directory]
        bound: list[str] = []
        made: set[str] = set()
        for path in sorted(interpreter.paths, key=len):  # bind back what the interpreter reads
            mask = next((m for m in masked if _under(path, m)), None)
            if mask is None or any(_under(path, b) for b in bound) or not os.path.exists(path):
                continue
            parent = os.path.dirname(path)
            ancestors = []
            while parent != mask and _under(parent, mask):
                ancestors.append(parent)
                parent = os.path.dirname(parent)
            for directory in reversed(ancestors):  # bwrap would make them 0700
                if directory not in made:
                    argv += ["--perms", "0755", "--dir", directory]
                    made.add(directory)
            argv += ["--ro-bind", path, path]
            bound.append(path)
        for directory in masked:  # writable: /tmp (the scratch) and /dev/shm only
            if directory not in writable:
                argv += ["--remount-ro", directory]
        argv += ["--chdir", "/tmp", "--"]
        launch = Launch(argv + command, "/", "/tmp", own_pids=True)
        if root:
            launch.drop_to = _nobody()
            launch.notes.append(
                "relnotes runs as root, so the sandbox runs as nobody "
                f"(uid {launch.drop_to[0]}), who must be able to read {interpreter.python} "
                "and its packages")
        return launch


#: Every backend by name, in the order :func:`choose` tries them.
BACKENDS: dict[str, type[Backend]] = {"bwrap": Bubblewrap}


def choose(*, no_isolation: bool = False) -> Backend:
    """The first OS sandbox available here; :class:`NoIsolation` only when asked for.

    Raises SnippetError naming what is missing and how to get it.
    """
    if no_isolation:
        return NoIsolation()
    reasons = []
    for backend in BACKENDS.values():
        why = backend.unavailable()
        if why is None:
            return backend()
        reasons.append(why)
    raise SnippetError(
        "no OS sandbox to run snippet code in: " + "; ".join(reasons)
        + ". Or pass --no-isolation to run it without one (only for worksheets you trust)"
    )
