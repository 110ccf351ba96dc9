"""Triage: a suggested section for every worksheet item, with confidence and reasons.

``triage_worksheet(ws, metadata=..., history=...)`` returns one :class:`Suggestion` per
item; ``relnotes triage`` prints or applies them and ``relnotes eval`` measures them
against what maintainers decided in past releases.
"""

from relnotes.triage.planning import Suggestion
from relnotes.triage.run import triage_worksheet, triage_worksheets

__all__ = ["Suggestion", "triage_worksheet", "triage_worksheets"]
