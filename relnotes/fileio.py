"""Reading worksheets strictly and writing any file atomically.

Worksheets are edited by hand between runs, so reading must name the exact place of a
bad byte, and writing must never leave a half-written file behind: we write a temporary
file in the same directory, fsync it and ``os.replace`` it over the target.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from relnotes.errors import WorksheetError

__all__ = ["atomic_write", "read_text", "split_lines"]


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


def atomic_write(path: str | Path, text: str | bytes, *, backup: bool = False) -> Path | None:
    """Replace ``path`` with ``text`` (str as UTF-8, or bytes) atomically.

    Returns the backup's path if one was made.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    backup_path: Path | None = None
    if backup and p.exists():
        backup_path = p.with_name(p.name + ".bak")
        shutil.copy2(p, backup_path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8") if isinstance(text, str) else text)
            fh.flush()
            os.fsync(fh.fileno())
        if p.exists():
            shutil.copymode(p, tmp)
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return backup_path
