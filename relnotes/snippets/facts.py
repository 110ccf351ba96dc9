"""What existed in which torch release: the one table of version facts.

Emulation (:mod:`relnotes.snippets.emulate`) serves an old version's API from where the
code lives now, and the classifier says "X does not exist in torch 2.7 (it exists from
... to ...)". Both read the facts here and nowhere else. Every fact names the evidence
an API profile (built from the official wheels, :mod:`relnotes.snippets.profiles`)
shows for it, and ``tests/test_profiles.py`` checks each fact against every shipped
profile, so the table cannot drift from the wheels.

Needs no torch: the classifier imports it in the parent process.
"""

from __future__ import annotations

from dataclasses import dataclass

from relnotes import versions

__all__ = [
    "AO_DEPRECATED",
    "AO_DEPRECATION_TEXT",
    "API",
    "BEHAVIOUR",
    "EXECUTORCH",
    "EXPORT_STRICT_DEFAULT",
    "ApiFact",
    "BehaviourFact",
    "Line",
    "Span",
    "existed",
    "fact_for",
    "line_text",
    "release_line",
]

#: A release line, ``(2, 7)``: what the facts compare (``versions.Version.line``). The
#: facts never need a patch number, so they do not use :class:`versions.Version`.
Line = tuple[int, int]


def release_line(text: str | None) -> Line | None:
    """``"2.7"``, ``"2.7.0"``, ``"v2.7.1+cpu"`` -> ``(2, 7)`` (read by
    :func:`relnotes.versions.parse_version`); anything else -> None."""
    version = versions.parse_version(text)
    return version.line if version else None


def line_text(line: Line) -> str:
    """``(2, 7)`` -> ``"2.7"``."""
    return f"{line[0]}.{line[1]}"


@dataclass(frozen=True)
class Span:
    """The releases ``first`` to ``last`` inclusive; None: open at that end."""

    first: Line | None
    last: Line | None

    def contains(self, version: Line) -> bool:
        return (self.first is None or version >= self.first) and (
            self.last is None or version <= self.last
        )

    def describe(self) -> str:
        first = line_text(self.first) if self.first else "early releases"
        last = line_text(self.last) if self.last else "today"
        return f"from {first} to {last}"


@dataclass(frozen=True)
class ApiFact:
    """A public name, the torch releases that had it, and what serves it today."""

    name: str
    span: Span
    served_by: str
    kind: str = "module"  # "module" | "attribute"

    def existed_in(self, version: Line) -> bool:
        return self.span.contains(version)

    def lifetime(self) -> str:
        return "exists " + self.span.describe()


@dataclass(frozen=True)
class BehaviourFact:
    """A behaviour of some releases, and the profile evidence that shows it.

    The evidence holds in exactly the releases of ``span``: ``name`` exists in the
    profile, or (with ``signature_has``) its recorded signature contains that text.
    """

    what: str
    span: Span
    name: str
    signature_has: str | None = None


_AO = "torch.ao.quantization"
_AO_Q = f"{_AO}.quantizer"
_TAO_Q = "torchao.quantization.pt2e.quantizer"
_XNN = "torchao.testing.pt2e._xnnpack_quantizer"
_EXECUTORCH_XNN = "executorch.backends.xnnpack.quantizer"
_UNTIL_2_10 = Span(None, (2, 10))

#: Names that moved or went away, when each existed, and what serves it now.
API: tuple[ApiFact, ...] = (
    ApiFact(
        "torch._export.capture_pre_autograd_graph",
        Span(None, (2, 6)),
        "torch.export.export(strict=True).module()",
        "attribute",
    ),
    ApiFact(
        "torch.export.export_for_training", Span((2, 5), (2, 10)), "torch.export.export",
        "attribute",
    ),
    ApiFact(f"{_AO}.quantize_pt2e", _UNTIL_2_10, "torchao.quantization.pt2e.quantize_pt2e"),
    ApiFact(_AO_Q, _UNTIL_2_10, _TAO_Q),
    ApiFact(f"{_AO_Q}.quantizer", _UNTIL_2_10, f"{_TAO_Q}.quantizer"),
    ApiFact(f"{_AO_Q}.utils", _UNTIL_2_10, f"{_TAO_Q}.utils"),
    ApiFact(f"{_AO_Q}.composable_quantizer", _UNTIL_2_10, f"{_TAO_Q}.composable_quantizer"),
    ApiFact(f"{_AO_Q}.embedding_quantizer", _UNTIL_2_10, f"{_TAO_Q}.embedding_quantizer"),
    ApiFact(f"{_AO_Q}.x86_inductor_quantizer", _UNTIL_2_10, f"{_TAO_Q}.x86_inductor_quantizer"),
    ApiFact(f"{_AO_Q}.xpu_inductor_quantizer", Span((2, 6), (2, 10)), "relnotes.quantizer.xpu"),
    ApiFact(f"{_AO_Q}.xnnpack_quantizer", _UNTIL_2_10, _XNN),
    ApiFact(f"{_AO_Q}.xnnpack_quantizer_utils", _UNTIL_2_10, f"{_XNN}_utils"),
)

#: torch.export.export (and export_for_training) defaulted to strict=True up to 2.7.
EXPORT_STRICT_DEFAULT = BehaviourFact(
    "torch.export.export defaults to strict=True",
    Span(None, (2, 7)),
    "torch.export.export",
    signature_has="strict=True",
)
#: torch 2.8 to 2.10 decorated the torch.ao pt2e entry points with a deprecation.
AO_DEPRECATED = BehaviourFact(
    "torch.ao.quantization pt2e entry points warn DeprecationWarning",
    Span((2, 8), (2, 10)),
    f"{_AO}.quantize_pt2e.DEPRECATION_WARNING",
)
BEHAVIOUR: tuple[BehaviourFact, ...] = (EXPORT_STRICT_DEFAULT, AO_DEPRECATED)

#: The text torch 2.8-2.10 warned with (its ``DEPRECATION_WARNING``, verbatim).
AO_DEPRECATION_TEXT = (
    "torch.ao.quantization is deprecated and will be removed in 2.10. \n"
    "For migrations of users: \n"
    "1. Eager mode quantization (torch.ao.quantization.quantize, "
    "torch.ao.quantization.quantize_dynamic), please migrate to use torchao eager mode "
    "quantize_ API instead \n"
    "2. FX graph mode quantization (torch.ao.quantization.quantize_fx.prepare_fx,"
    "torch.ao.quantization.quantize_fx.convert_fx, please migrate to use torchao pt2e "
    "quantization API instead (prepare_pt2e, convert_pt2e) \n"
    "3. pt2e quantization has been migrated to torchao "
    "(https://github.com/pytorch/ao/tree/main/torchao/quantization/pt2e) \n"
    "see https://github.com/pytorch/ao/issues/2259 for more details"
)

#: executorch is a separate package, not a torch version: its quantizer is served (from
#: torchao's copy) under any label, but only when executorch itself is not installed.
EXECUTORCH: dict[str, str] = {
    f"{_EXECUTORCH_XNN}.xnnpack_quantizer": _XNN,
    f"{_EXECUTORCH_XNN}.xnnpack_quantizer_utils": f"{_XNN}_utils",
}


def fact_for(name: str) -> ApiFact | None:
    """The fact about ``name`` or the nearest enclosing module we know about."""
    probe = name
    while probe:
        for fact in API:
            if fact.name == probe:
                return fact
        probe = probe.rpartition(".")[0]
    return None


def existed(name: str, version: Line) -> bool | None:
    """Whether ``name`` existed in ``version`` per :data:`API` (None: no fact)."""
    fact = fact_for(name)
    return None if fact is None else fact.existed_in(version)
