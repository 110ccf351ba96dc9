"""Reading worksheets strictly and writing any file atomically.

Worksheets are edited by hand between runs, so reading must name the exact place of a
bad byte, and writing must never leave a half-written file behind: we write a temporary
file in the same directory, fsync it and ``os.replace`` it over the target. Files a
person made read-only are not replaced, and relnotes' own files live in ``.relnotes/``
folders that git ignores.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

from relnotes.errors import WorksheetError

__all__ = [
    "atomic_write",
    "check_writable",
    "private_dir",
    "read_text",
    "sidecar_path",
    "split_lines",
]


def read_text(path: str | Path) -> str:
    """Return the file's text exactly (line endings kept); errors name file and line."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise WorksheetError("no such file", file=p) from None
    except IsADirectoryError:
        raise WorksheetError("is a directory, not a file", file=p) from None
    except OSError as exc:
        raise WorksheetError(f"cannot read: {exc.strerror}", file=p) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise WorksheetError(
            f"invalid UTF-8 (byte 0x{data[exc.start]:02x} at column {col})", file=p, line=line
        ) from None


def split_lines(text: str) -> list[str]:
    """Split on ``\\n`` only, keeping endings, so ``"".join`` gives the text back.

    ``str.splitlines`` also splits on form feeds and Unicode separators, which would
    break byte-for-byte round trips of files that contain them.
    """
    if not text:
        return []
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _protected(path: Path, *, folder: bool) -> bool:
    """Whether ``path`` is write-protected. Permission bits count even for root, who
    could write anyway: a maintainer who made a file read-only meant it."""
    mode = path.stat().st_mode
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        return True
    return not os.access(path, os.W_OK | (os.X_OK if folder else 0))


def check_writable(*paths: str | Path) -> None:
    """Refuse, before anything is written, when any of ``paths`` (or the folder it would
    be created in) is read-only: a command that writes a worksheet and its pool must
    not write one and then fail on the other."""
    for path in paths:
        p = Path(path)
        if p.exists() and (p.is_dir() or _protected(p, folder=False)):
            what = "is a folder" if p.is_dir() else "is read-only (chmod u+w to let relnotes change it)"
            raise WorksheetError(f"cannot write: {what}", file=p)
        folder = next((f for f in p.parents if f.exists()), None)
        if folder is not None and _protected(folder, folder=True):
            raise WorksheetError(f"cannot write {p.name}: the folder is read-only", file=folder)


def private_dir(folder: str | Path) -> Path:
    """``<folder>/.relnotes/``, where relnotes keeps decisions, check results and
    backups; created with a ``.gitignore`` that ignores it all, so none of it shows up
    in ``git status`` or a commit."""
    folder = Path(folder) / ".relnotes"
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# relnotes' private files: never committed\n*\n", encoding="utf-8")
    return folder


def sidecar_path(worksheet: str | Path, kind: str) -> Path:
    """``.relnotes/<stem>.<kind>.json`` beside a worksheet (kinds: decisions, check)."""
    p = Path(worksheet)
    return p.parent / ".relnotes" / f"{p.stem}.{kind}.json"


def _backup_name(folder: Path, name: str) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = folder / f"{name}.{stamp}.bak"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{name}.{stamp}-{n}.bak"
    return path


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def atomic_write(path: str | Path, text: str | bytes, *, backup: bool = False) -> Path | None:
    """Replace ``path`` with ``text`` (str as UTF-8, or bytes) atomically.

    A read-only file or folder is refused (:func:`check_writable`). With ``backup``, the
    old file is copied to ``.relnotes/<name>.<time>.bak`` first -- a new one each time, so
    a second run never overwrites the backup of days of hand edits; returns its path.
    """
    p = Path(path)
    check_writable(p)
    try:
        if ".relnotes" in p.parts:
            private_dir(Path(*p.parts[: p.parts.index(".relnotes")]))
        p.parent.mkdir(parents=True, exist_ok=True)
        backup_path: Path | None = None
        if backup and p.exists():
            backup_path = _backup_name(private_dir(p.parent), p.name)
            shutil.copy2(p, backup_path)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    except OSError as exc:
        raise WorksheetError(f"cannot write: {exc.strerror}", file=p) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8") if isinstance(text, str) else text)
            fh.flush()
            os.fsync(fh.fileno())
        if p.exists():
            shutil.copymode(p, tmp)
        else:  # mkstemp makes 0600: a new file gets the mode any other program would give it
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, p)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise WorksheetError(f"cannot write: {exc.strerror}", file=p) from None
        raise
    return backup_path
