"""Which backend a failed snippet needed that this torch build lacks, read from torch's words.

A migration snippet for ``torch.backends.cuda.preferred_linalg_library("cusolver")`` or
``x.to("mps")`` is right, and still fails on a CPU build: torch says "not compiled with
cuSOLVER", "PyTorch is not linked with support for mps devices". That is a skip (the
check cannot tell), not a snippet bug. Torch phrases it a few ways, and each phrase names
what is missing, so the rules here are the phrases, not the cases: a new backend or
library in one of them is recognised without a change.

A message that merely mentions a backend (``module 'torch.cuda' has no attribute 'x'``,
``device must be 'cpu' or 'cuda'``) is not one of them and stays the classifier's to
judge; "Could not run ... with arguments from the 'X' backend" counts only for device
backends, since a missing kernel of ``SparseCPU`` is the snippet's problem on any build.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from relnotes.snippets.outcome import Failure

__all__ = ["MissingBackend", "missing_backend"]

# Device backends, lower-case, with the name to show. Only these count in messages that
# are about dispatch (an operator without a kernel for that backend).
_DEVICES = {
    "cuda": "CUDA", "mps": "MPS", "xpu": "XPU", "hip": "HIP", "rocm": "ROCm",
    "mtia": "MTIA", "hpu": "HPU", "xla": "XLA", "vulkan": "Vulkan", "metal": "Metal",
    "ipu": "IPU", "maia": "MAIA", "ve": "VE", "privateuse1": "PrivateUse1",
}
# CUDA and the NVIDIA libraries a CUDA build links: what ``needs-cuda`` means.
_CUDA_FAMILY = frozenset({"cuda", "cusolver", "cublas", "cublaslt", "cudnn", "cusparse",
                          "cusparselt", "cufft", "curand", "nccl", "nvrtc", "magma", "cutlass",
                          "nvshmem", "cudss"})
# Dispatch keys carry the device after a functionality prefix: SparseCUDA, QuantizedXPU.
_KEY_PREFIX = re.compile(r"^(?:sparse|sparsecsr|quantized|autograd|nested|autocast)(?=\w)",
                         re.IGNORECASE)

# Libraries a build may leave out (besides the CUDA family): named in the phrases below.
_LIBRARIES = {"mkldnn": "oneDNN", "onednn": "oneDNN", "mkl": "MKL", "lapack": "LAPACK",
              "openmp": "OpenMP", "fbgemm": "FBGEMM", "qnnpack": "QNNPACK",
              "xnnpack": "XNNPACK", "nnpack": "NNPACK", "kleidiai": "KleidiAI",
              "miopen": "MIOpen", "hipblaslt": "hipBLASLt", "rocblas": "rocBLAS"}

_NAME = r"(?P<name>[A-Za-z][\w.+-]*?)"
#: "This build lacks NAME", whatever NAME is: torch says it of the build itself.
_BUILD_PHRASES = [
    # "Torch not compiled with CUDA enabled", "... has not been compiled with cuSOLVER."
    re.compile(rf"\bnot (?:been )?(?:compiled|built) with {_NAME}(?: (?:enabled|support))?\b",
               re.IGNORECASE),
    # "PyTorch is not linked with support for mps devices"
    re.compile(rf"\bnot linked with support for {_NAME} devices?\b", re.IGNORECASE),
]
#: Phrases that may be about other things too ("requires complex support"): they count
#: only when NAME is a device or a library a build can lack.
_KNOWN_PHRASES = [
    # "The MPS backend is not available", "Cannot execute emptyCache() without MPS backend."
    re.compile(rf"\b{_NAME} backend is not (?:available|supported)\b", re.IGNORECASE),
    re.compile(rf"\bwithout {_NAME} backend\b", re.IGNORECASE),
    # "torch.cuda.Stream requires CUDA support"
    re.compile(rf"\brequires {_NAME} support\b", re.IGNORECASE),
    # a CUDA build on a machine without the hardware
    re.compile(r"\bFound no (?P<name>NVIDIA) driver\b", re.IGNORECASE),
    re.compile(rf"\bNo {_NAME} (?:GPUs|devices?) (?:are|is) available\b", re.IGNORECASE),
    re.compile(rf"\bno {_NAME} devices? (?:found|available)\b", re.IGNORECASE),
]
# "Could not run 'aten::x' with arguments from the 'MPS' backend": devices only.
_DISPATCH = re.compile(r"with arguments from the '(?P<name>\w+)' backend")
_ACCELERATOR = re.compile(r"\baccelerator device when none is available\b", re.IGNORECASE)
# torch's stand-in classes when a backend is not built (torch._utils._dummy_type)
_DUMMY = re.compile(r"Tried to instantiate dummy base class")
# bindings torch._C has only when the backend is built: torch._C._cuda_getDeviceCount
_BINDING = re.compile(r"^torch\._C\._(?P<name>[a-z]+?)(?:_|[A-Z]|$)")
_TORCH_PACKAGE = re.compile(r"[/\\]torch[/\\](?P<name>[a-z]+)[/\\]")


@dataclass(frozen=True)
class MissingBackend:
    """What the snippet needed: ``name`` as torch writes it (``cuSOLVER``); ``cuda``
    when it is CUDA or one of the NVIDIA libraries of a CUDA build."""

    name: str
    cuda: bool


def _named(name: str) -> MissingBackend:
    key = name.lower()
    if key == "nvidia":
        key, name = "cuda", "CUDA"
    shown = _DEVICES.get(key) or _LIBRARIES.get(key) or name
    return MissingBackend(shown, key in _CUDA_FAMILY)


def _known(name: str) -> bool:
    key = name.lower()
    return key in _DEVICES or key in _CUDA_FAMILY or key in _LIBRARIES or key == "nvidia"


def _device(name: str) -> MissingBackend | None:
    key = _KEY_PREFIX.sub("", name).lower()
    return _named(key) if key in _DEVICES else None


def missing_backend(err: Failure) -> MissingBackend | None:
    """The backend ``err`` says this build or machine lacks, or None when it says no such
    thing (see the module doc)."""
    text = err.message
    for phrase in _BUILD_PHRASES:
        match = phrase.search(text)
        if match:
            return _named(match.group("name"))
    for phrase in _KNOWN_PHRASES:
        match = phrase.search(text)
        if match and _known(match.group("name")):
            return _named(match.group("name"))
    match = _DISPATCH.search(text)
    if match and err.type == "NotImplementedError":
        return _device(match.group("name"))
    if _ACCELERATOR.search(text):
        return MissingBackend("an accelerator", False)
    if _DUMMY.search(text):
        found = [_device(m.group("name")) for m in _TORCH_PACKAGE.finditer(err.traceback)]
        named = [f for f in found if f is not None]
        return named[-1] if named else MissingBackend("a backend", False)
    if err.type == "AttributeError" and err.missing:
        binding = _BINDING.match(err.missing)
        if binding and _known(binding.group("name")):
            return _named(binding.group("name"))
    return None
