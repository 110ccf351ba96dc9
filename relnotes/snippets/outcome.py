"""What a sandboxed run of one snippet produced: the contract between sandbox and classifier.

The sandboxed child (:mod:`relnotes.snippets.sandbox`) fills an :class:`Outcome` and the
worker sends it to the parent as JSON; the classifier (:mod:`relnotes.snippets.verdict`)
reads only this type. A backend that runs snippets some other way (another OS sandbox)
has to produce the same type and nothing else, so the classifier never changes with it.

The JSON crosses the sandbox boundary, so :meth:`Outcome.from_json` trusts nothing: a
field of the wrong type is dropped, and a document that is not an outcome at all becomes
a ``crash`` saying so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from relnotes.snippets.expect import Expectation

__all__ = ["Failure", "Limit", "Outcome", "Status"]

Status = Literal["ok", "error", "timeout", "crash"]
#: An OS limit the run ran into: address space, number of processes, size of its output.
Limit = Literal["memory", "processes", "output"]
_STATUSES: tuple[Status, ...] = ("ok", "error", "timeout", "crash")
_LIMITS: tuple[Limit, ...] = ("memory", "processes", "output")


@dataclass
class Failure:
    """An exception the snippet (or relnotes' set-up of it) raised.

    ``phase``: ``setup`` (relnotes could not prepare the run), ``snippet`` or
    ``carry-on`` (finishing a pt2e flow the snippet left half done). ``line`` is 1-based
    in the snippet; ``missing`` the dotted name an import or attribute lookup did not
    find; ``name`` the name of a NameError; ``via`` the emulated functions it passed.
    """

    type: str
    message: str
    phase: str = "snippet"
    line: int | None = None
    qualname: str = ""
    mro: list[str] = field(default_factory=list)
    missing: str | None = None
    name: str | None = None
    traceback: str = ""
    via: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: object) -> Failure | None:
        if not isinstance(data, dict):
            return None
        return cls(
            type=_str(data.get("type")) or "Error",
            message=_str(data.get("message")) or "",
            phase=_str(data.get("phase")) or "snippet",
            line=_int(data.get("line")),
            qualname=_str(data.get("qualname")) or "",
            mro=_strs(data.get("mro")),
            missing=_str(data.get("missing")),
            name=_str(data.get("name")),
            traceback=_str(data.get("traceback")) or "",
            via=_strs(data.get("via")),
        )


@dataclass
class Outcome:
    """One run: how it ended, what it printed, what it claimed and what was emulated.

    ``limit`` names the OS limit that broke the run and ``limit_message`` says it in
    words ("memory limit of 4096 MB reached"); ``stdout``/``stderr`` are the tails of
    the snippet's own output (import noise of libraries is not in them).
    """

    status: Status
    returncode: int | None = None
    duration: float = 0.0
    stdout: str = ""
    stderr: str = ""
    emulated: list[str] = field(default_factory=list)
    expectations: list[Expectation] = field(default_factory=list)
    carried_on: str | None = None
    error: Failure | None = None
    limit: Limit | None = None
    limit_message: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["expectations"] = [e.to_dict() for e in self.expectations]
        return data

    @classmethod
    def from_json(cls, data: object) -> Outcome:
        """Read an outcome sent across the sandbox boundary (see the module doc)."""
        if not isinstance(data, dict) or data.get("status") not in _STATUSES:
            return cls("crash", stderr=f"the sandbox sent no outcome: {str(data)[:200]}")
        limit = data.get("limit")
        return cls(
            status=data["status"],
            returncode=_int(data.get("returncode")),
            duration=float(data["duration"]) if _is_number(data.get("duration")) else 0.0,
            stdout=_str(data.get("stdout")) or "",
            stderr=_str(data.get("stderr")) or "",
            emulated=_strs(data.get("emulated")),
            expectations=_expectations(data.get("expectations")),
            carried_on=_str(data.get("carried_on")),
            error=Failure.from_json(data.get("error")),
            limit=limit if limit in _LIMITS else None,
            limit_message=_str(data.get("limit_message")) or "",
        )


def _expectations(data: object) -> list[Expectation]:
    out: list[Expectation] = []
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict):
            continue
        try:
            out.append(
                Expectation(
                    comment_line=int(item["comment_line"]),
                    stmt_line=int(item["stmt_line"]),
                    type_name=str(item["type_name"]),
                    message=str(item.get("message", "")),
                    ok=item.get("ok") if item.get("ok") in (True, False) else None,
                    stmt_end=int(item.get("stmt_end") or 0),
                    detail=str(item.get("detail", "")),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return out


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _strs(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
