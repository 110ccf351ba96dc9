"""Triage: a suggested section for every worksheet item, with confidence and reasons.

``triage_worksheet(ws, metadata=..., history=...)`` returns one :class:`Suggestion` per
item; ``relnotes triage`` prints or applies them and ``relnotes eval`` measures them
against what maintainers decided in past releases.

The names below are imported on first use: importing one module of the package (audit's
revert pairing, a CLI command's option defaults) does not import the whole model.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from relnotes.triage.planning import Suggestion
    from relnotes.triage.run import triage_worksheet, triage_worksheets

__all__ = ["Suggestion", "triage_worksheet", "triage_worksheets"]

_HOMES = {"Suggestion": "relnotes.triage.planning",
          "triage_worksheet": "relnotes.triage.run",
          "triage_worksheets": "relnotes.triage.run"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
