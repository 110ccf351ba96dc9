"""Hostile snippets through `relnotes check`, each judged from OUTSIDE the sandbox.

A worksheet whose BC entries try to take a token, reach a TCP listener this test runs on
127.0.0.1, write files where they must not, and fork without end. `relnotes check` runs
as a separate process with the token in its starting environment (so /proc/PID/environ
of relnotes really holds it). The same snippets under `--no-isolation` are the control:
there the token is found, the listener is reached and the files appear -- which shows
each snippet really tries, so the sandboxed run passing is not an accident.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers import REPO

pytestmark = [pytest.mark.torch, pytest.mark.slow]

TOKEN = f"relnotes-test-token-{uuid.uuid4().hex}"


class Listener:
    """A TCP server on 127.0.0.1 that records every connection it accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    self.received.append(conn.recv(100) or b"<connected>")
                except OSError:
                    self.received.append(b"<connected>")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


def _secrets() -> str:
    # the token's prefix is assembled at run time: the snippet's own text never matches
    return '''
    import glob, os
    needle = "relnotes-test" + "-token"
    found, sources = [], 0
    def look(what, data):
        global sources
        sources += 1
        if needle in data:
            found.append(what)
    look("os.environ", repr(dict(os.environ)))
    for path in glob.glob("/proc/*/environ") + glob.glob("/proc/*/cmdline"):
        try:
            look(path, open(path, "rb").read().decode("latin-1"))
        except OSError:
            pass
    fds = [int(fd) for fd in os.listdir("/proc/self/fd") if int(fd) > 2]
    for fd in fds:
        try:
            os.set_blocking(fd, False)
            look(f"fd {fd}", os.read(fd, 1 << 16).decode("latin-1"))
        except OSError:
            pass
    open_fds = [fd for fd in fds if os.path.exists(f"/proc/self/fd/{fd}")]
    raise RuntimeError(f"searched {sources} sources; open fds {open_fds}; found {found}")
    '''


def _network(port: int) -> dict[int, str]:
    """One entry per way to open a connection: socket, _socket, a shell tool, ctypes."""
    return {
        11: f'''
    import socket
    s = socket.create_connection(("127.0.0.1", {port}), timeout=3)
    s.sendall(b"socket")
    ''',
        12: f'''
    import _socket
    s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect(("127.0.0.1", {port}))
    s.send(b"_socket")
    ''',
        13: f'''
    import subprocess
    subprocess.run(["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/{port}; printf shell >&3"],
                   check=True, timeout=10)
    ''',
        14: f'''
    import ctypes, socket, struct
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
    addr = struct.pack("=H", socket.AF_INET) + struct.pack("!H", {port})
    addr += socket.inet_aton("127.0.0.1") + bytes(8)
    if libc.connect(fd, ctypes.c_char_p(addr), len(addr)) != 0:
        raise OSError(ctypes.get_errno(), "connect() through ctypes failed")
    libc.send(fd, b"ctypes", 6, 0)
    ''',
    }


def _files(targets: list[Path]) -> str:
    return f'''
    done = []
    for path in {[str(t) for t in targets]!r}:
        try:
            with open(path, "w") as f:
                f.write("written by a snippet")
            done.append(path)
        except OSError as exc:
            done.append(f"{{path}}: {{exc.strerror}}")
    raise RuntimeError(f"tried to write: {{done}}")
    '''


BOMB = '''
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
'''


def _entry(pr: int, code: str) -> str:
    code = textwrap.dedent(code).strip("\n")
    return f"- Hostile entry {pr} (#{pr})\n\nWhy.\n\n```python\n# pytorch 2.13\n{code}\n```\n\n"


@dataclass
class Run:
    snippets: dict[int, dict[str, object]]
    output: str
    received: list[bytes]
    written: list[Path] = field(default_factory=list)


def _check(ws: Path, env: dict[str, str], listener: Listener, *flags: str) -> Run:
    before = len(listener.received)
    done = subprocess.run(
        [sys.executable, "-c", "from relnotes.cli import main; main()", "check", str(ws),
         "--format", "json", "--timeout", "60", *flags],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 1, done.stderr  # the hostile snippets fail
    doc = json.loads(done.stdout)
    snippets = {int(s["prs"][0]): s for s in doc["snippets"]}
    return Run(snippets, done.stdout + done.stderr, listener.received[before:])


@dataclass
class Scene:
    sandboxed: Run
    control: Run
    targets: list[Path]
    listener_port: int


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    root = tmp_path_factory.mktemp("hostile")
    home = root / "home"
    home.mkdir()
    folder = root / "worksheets"
    folder.mkdir()
    host_tmp = Path("/tmp") / f"relnotes-hostile-{uuid.uuid4().hex}.txt"
    targets = [folder / "written-by-snippet.txt", home / "written-by-snippet.txt", host_tmp]
    listener = Listener()
    network = _network(listener.port)
    body = _entry(1, _secrets()) + "".join(_entry(pr, code) for pr, code in network.items())
    body += _entry(21, _files(targets))
    head = "# Release Notes worksheet quantization\n\n## quantization\n### bc breaking\n"
    sandboxed = folder / "sandboxed.md"
    sandboxed.write_text(head + body + _entry(31, BOMB) + _entry(32, "x = 1\n"), "utf-8")
    control = folder / "control.md"
    control.write_text(head + body, "utf-8")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "XDG_CACHE_HOME": str(root / "cache"),
        "LANG": "C.UTF-8",
        "GITHUB_TOKEN": TOKEN,
    }
    try:
        boxed = _check(sandboxed, env, listener)
        boxed.written = [t for t in targets if t.exists()]
        open_run = _check(control, env, listener, "--no-isolation")
        open_run.written = [t for t in targets if t.exists()]
        yield Scene(boxed, open_run, targets, listener.port)
    finally:
        listener.close()
        for target in targets:
            target.unlink(missing_ok=True)


def test_the_token_is_not_readable(scene: Scene) -> None:
    boxed = scene.sandboxed.snippets[1]
    assert boxed["isolation"] == "bwrap"
    assert "searched" in str(boxed["message"]) and "found []" in str(boxed["message"]), boxed
    assert "open fds []" in str(boxed["message"]), boxed
    assert TOKEN not in scene.sandboxed.output
    # control: without the sandbox the same snippet finds it in /proc/<relnotes>/environ
    control = str(scene.control.snippets[1]["message"])
    assert "/environ" in control and "found []" not in control, control
    assert scene.control.snippets[1]["isolation"] == "none"


def test_no_connection_reaches_the_listener(scene: Scene) -> None:
    assert scene.sandboxed.received == []
    for pr in (11, 12, 13, 14):
        result = scene.sandboxed.snippets[pr]
        assert result["verdict"] == "fail", result  # each tried, and failed
    # control: every one of the four ways connects when nothing stops it
    assert sorted(scene.control.received) == [b"_socket", b"ctypes", b"shell", b"socket"]


def test_files_written_outside_scratch_do_not_appear(scene: Scene) -> None:
    assert scene.sandboxed.written == []
    message = str(scene.sandboxed.snippets[21]["message"])
    assert "tried to write" in message, message
    assert sorted(scene.control.written) == sorted(scene.targets)


def test_a_fork_bomb_is_contained_and_the_next_snippet_runs(scene: Scene) -> None:
    bomb, after = scene.sandboxed.snippets[31], scene.sandboxed.snippets[32]
    assert (bomb["verdict"], bomb["kind"]) == ("fail", "crash"), bomb
    assert "process limit" in str(bomb["message"]), bomb
    assert (after["verdict"], after["kind"]) == ("pass", None), after
