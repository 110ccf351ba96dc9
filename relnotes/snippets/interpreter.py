"""The interpreter that runs snippets, asked about itself: torch version, paths it reads.

``relnotes check --python PATH`` runs snippets on another interpreter than relnotes' own,
so what "the installed torch" is must come from that interpreter, not from the parent's
package metadata. :func:`probe` runs it once with a few lines of standard-library code
(no torch import: reading package metadata takes milliseconds) and learns its torch and
torchao versions and the directories it reads, which an OS sandbox must make visible.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass

from relnotes.errors import SnippetError
from relnotes.snippets.facts import Line, line_text, release_line

__all__ = ["Installed", "Interpreter", "probe"]

# Standard library only: this runs before we know anything about the interpreter.
_PROBE = """
import json, sys
from importlib import metadata
def version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
print(json.dumps({
    "python": sys.version.split()[0],
    "prefixes": sorted({sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}),
    "path": [p for p in sys.path if p],
    "torch": version("torch"),
    "torchao": version("torchao"),
    "executorch": version("executorch"),
}))
"""


@dataclass(frozen=True)
class Installed:
    """What the snippets run on: the classifier's view of the interpreter."""

    torch: Line
    torch_text: str
    torchao: str | None = None

    @property
    def torch_line(self) -> str:
        """``"2.13"``."""
        return line_text(self.torch)


@dataclass(frozen=True)
class Interpreter:
    """An interpreter, what it has installed and the directories it reads."""

    python: str
    python_version: str
    paths: tuple[str, ...]
    torch: str | None
    torchao: str | None
    executorch: str | None

    def installed(self) -> Installed:
        """The torch snippets run on; a clear error when the interpreter has none."""
        version = release_line(self.torch)
        if self.torch is None or version is None:
            found = "no torch" if self.torch is None else f"torch {self.torch!r}, not a version"
            raise SnippetError(
                f"{self.python} has {found}, so snippets cannot run: install relnotes' "
                "snippets extra there (pip install 'relnotes[snippets]'), or pass --python "
                "with an interpreter that has torch and torchao"
            )
        return Installed(version, self.torch, self.torchao)


def probe(python: str, *, env: dict[str, str], timeout: float = 60.0) -> Interpreter:
    """Ask ``python`` about itself (see the module doc); SnippetError when it cannot run.

    ``env`` is the environment the sandbox will give it, so it sees the same packages.
    Only relnotes' own few lines run here, outside any sandbox: no snippet code.
    """
    path = os.path.abspath(python)
    try:
        done = subprocess.run(
            [path, "-c", _PROBE], env=env, capture_output=True, text=True, check=False,
            timeout=timeout, stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SnippetError(f"cannot run {python}: {exc}") from None
    try:
        data = json.loads(done.stdout)
    except ValueError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SnippetError(f"{python} is not a Python interpreter relnotes can use: {last}") \
            from None
    # the sandbox's PYTHONPATH (relnotes itself) is read there too
    extra = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    paths = {os.path.dirname(path), os.path.dirname(os.path.realpath(path)),
             *data["prefixes"], *data["path"], *extra}
    return Interpreter(
        python=path,
        python_version=str(data["python"]),
        paths=tuple(sorted(p for p in paths if os.path.isabs(p))),
        torch=data["torch"],
        torchao=data["torchao"],
        executorch=data["executorch"],
    )
