"""A finding: something a maintainer should look at, at a file and line.

Lint, entry checks and the audit all report findings; the CLI prints them as
``file:line: [code] message`` or as JSON objects with the same fields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Finding"]


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: [{self.code}] {self.message}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
