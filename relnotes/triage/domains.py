"""Domain ownership: which worksheet domain a title tag or a changed path belongs to.

Domain names are spelled the way the worksheets spell them (``## <domain>``), e.g.
``inductor``, ``inductor (aoti)``, ``distributed (checkpoint)``, ``rocm``. A release may not
have every domain (2.7.0 had no ``inductor (aoti)`` worksheet), so each tag names a list of
candidates, most specific first; :func:`owner_from_tags` picks the first one the release has.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache

from relnotes.categories import normalise_heading, same_domain

__all__ = [
    "PATH_DOMAINS",
    "TAG_DOMAINS",
    "Ownership",
    "normalise_domain",
    "normalise_tag",
    "owner_from_paths",
    "owner_from_tags",
    "same_family",
    "table_domains",
    "tags_repeating_domain",
    "title_tags",
]

# tag (normalised: lower case, no spaces/dashes/underscores) -> candidate domains.
# Only tags that name a domain unambiguously belong here; "[CUDA]" does not (CUDA work is
# spread over half the worksheets), "[ROCm]" does (the rocm maintainers own all of it).
TAG_DOMAINS: dict[str, tuple[str, ...]] = {
    "inductor": ("inductor",),
    "cutlass": ("inductor",),
    "cutlassbackend": ("inductor",),
    "dynamo": ("dynamo",),
    "rocm": ("rocm",),
    "hip": ("rocm",),
    "mps": ("mps",),
    "mpsinductor": ("mps",),
    "xpu": ("xpu",),
    "intelgpu": ("xpu",),
    "inductorxpu": ("xpu",),
    "dtensor": ("distributed (dtensor)", "distributed"),
    "tp": ("distributed (tensor parallel)", "distributed"),
    "fsdp": ("distributed",),
    "fsdp2": ("distributed",),
    "c10d": ("distributed",),
    "pgnccl": ("distributed",),
    "ddp": ("distributed",),
    "devicemesh": ("distributed",),
    "symmmem": ("distributed (symm_mem)", "distributed"),
    "pp": ("distributed (pipeline)", "distributed"),
    "pipelining": ("distributed (pipeline)", "distributed"),
    "dcp": ("distributed (checkpoint)",),
    "dsd": ("distributed (checkpoint)",),
    "torchelastic": ("distributed (torchelastic)", "distributed"),
    "elastic": ("distributed (torchelastic)", "distributed"),
    "aoti": ("inductor (aoti)", "inductor"),
    "aotinductor": ("inductor (aoti)", "inductor"),
    "onnx": ("onnx",),
    "export": ("export",),
    "draftexport": ("export",),
    "profiler": ("profiler",),
    "quant": ("quantization",),
    "ao": ("quantization",),
    "pt2e": ("quantization",),
    "nestedtensor": ("nested tensor_frontend",),
    "nt": ("nested tensor_frontend",),
    "sparse": ("sparse_frontend",),
    "optim": ("optim",),
    "vulkan": ("vulkan",),
    "jit": ("jit",),
    "torchscript": ("jit",),
    "functorch": ("functorch", "torch.func"),
    "vmap": ("functorch", "torch.func"),
    "dynamicshapes": ("composability",),
    "symbolicshapes": ("composability",),
    "cudnn": ("cudnn",),
    "aarch64": ("cpu (aarch64)",),
    "arm": ("cpu (aarch64)",),
    "x86": ("cpu (x86)",),
    "ci": ("releng",),
    "cd": ("releng",),
    "releng": ("releng",),
}

# Changed-file path prefix -> domain, most specific first (first match wins per file).
PATH_DOMAINS: tuple[tuple[str, str], ...] = (
    ("torch/_inductor/codegen/aoti", "inductor (aoti)"),
    ("torch/csrc/inductor/aoti", "inductor (aoti)"),
    ("torch/_inductor/", "inductor"),
    ("torch/_dynamo/", "dynamo"),
    ("torch/distributed/checkpoint/", "distributed (checkpoint)"),
    ("torch/distributed/tensor/", "distributed (dtensor)"),
    ("torch/distributed/pipelining/", "distributed (pipeline)"),
    ("torch/distributed/elastic/", "distributed (torchelastic)"),
    ("torch/distributed/", "distributed"),
    ("torch/csrc/distributed/", "distributed"),
    ("torch/onnx/", "onnx"),
    ("torch/export/", "export"),
    ("torch/_export/", "export"),
    ("torch/fx/experimental/symbolic_shapes", "composability"),
    ("torch/fx/", "fx"),
    ("torch/ao/", "quantization"),
    ("aten/src/ATen/native/quantized/", "quantization"),
    ("aten/src/ATen/native/mps/", "mps"),
    ("aten/src/ATen/mps/", "mps"),
    ("torch/mps/", "mps"),
    ("aten/src/ATen/native/mkldnn/xpu/", "xpu"),
    ("torch/xpu/", "xpu"),
    ("aten/src/ATen/hip/", "rocm"),
    ("aten/src/ATen/native/hip/", "rocm"),
    ("torch/optim/", "optim"),
    ("torch/profiler/", "profiler"),
    ("torch/autograd/profiler", "profiler"),
    ("torch/jit/", "jit"),
    ("torch/csrc/jit/", "jit"),
    ("torch/sparse/", "sparse_frontend"),
    ("torch/nested/", "nested tensor_frontend"),
    ("torch/nn/", "nn_frontend"),
    ("torch/utils/data/", "dataloader_frontend"),
    ("torch/cuda/", "cuda"),
    ("aten/src/ATen/cuda/", "cuda"),
    ("aten/src/ATen/native/vulkan/", "vulkan"),
    (".github/", "releng"),
    (".ci/", "releng"),
)

_TAG_RE = re.compile(r"\[([^\[\]]{1,40})\](?!\()")


@lru_cache(maxsize=4096)
def normalise_tag(tag: str) -> str:
    """``"Intel GPU"`` -> ``"intelgpu"``: tags are written with every kind of spacing."""
    return re.sub(r"[\s_\-./]+", "", tag.strip().lower())


def normalise_domain(domain: str, known: Collection[str] = ()) -> str:
    """The domain as triage spells it: the spelling of ``known`` (the history's, the
    tables') that names the same domain (:func:`relnotes.categories.same_domain`:
    ``NN frontend`` is ``nn_frontend``), else the heading without escapes
    (``build\\_frontend``)."""
    clean = domain.replace("\\", "").strip()
    return next((k for k in sorted(known) if same_domain(k, clean)), clean)


def title_tags(title: str) -> list[str]:
    """The bracketed tags of a title, as written (``[BE][Ez]`` -> ``["BE", "Ez"]``).

    Markdown links (``[#123](...)``) are not tags. A tag like ``[MPS/Inductor]`` is split
    into its parts by :func:`owner_from_tags`, not here, so clean-up can remove it whole.
    """
    return [m.group(1) for m in _TAG_RE.finditer(title) if not m.group(1).startswith("#")]


@dataclass(frozen=True)
class Ownership:
    """A domain that owns the item and the evidence for it (a tag or paths)."""

    domain: str
    evidence: str


def _tag_parts(tag: str) -> list[str]:
    parts = [tag] + re.split(r"[/,+]", tag)
    return [normalise_tag(p) for p in parts if p.strip()]


def _pick(candidates: Iterable[str], known: Collection[str] | None) -> str | None:
    candidates = list(candidates)
    if known is None:
        return candidates[0] if candidates else None
    return next((c for c in candidates if c in known), None)


def owner_from_tags(title: str, *, known: Collection[str] | None = None) -> Ownership | None:
    """The domain the title's first domain-naming tag points to (among ``known`` domains)."""
    if "[" not in title:
        return None
    for tag in title_tags(title):
        for part in _tag_parts(tag):
            if part in TAG_DOMAINS:
                domain = _pick(TAG_DOMAINS[part], known)
                if domain is not None:
                    return Ownership(domain, f"title tag [{tag}]")
    return None


def owner_from_paths(files: Iterable[str], *, known: Collection[str] | None = None,
                     ) -> Ownership | None:
    """The domain owning most of the non-test files changed, if one owns a clear majority."""
    counts: dict[str, int] = {}
    total = 0
    for path in files:
        if path.startswith("test/") or "/test/" in path:
            continue
        total += 1
        for prefix, domain in PATH_DOMAINS:
            if path.startswith(prefix):
                counts[domain] = counts.get(domain, 0) + 1
                break
    if not counts:
        return None
    domain, count = max(counts.items(), key=lambda kv: kv[1])
    if known is not None and domain not in known:
        return None
    if count * 3 < total * 2:  # less than two thirds of the files: shared work
        return None
    return Ownership(domain, f"{count} of {total} changed files under {domain} paths")


def family(domain: str) -> str:
    """``distributed (dtensor)`` -> ``distributed``: sub-domains share their maintainers."""
    return domain.split(" (", 1)[0].strip()


def same_family(a: str, b: str) -> bool:
    return family(normalise_heading(a)) == family(normalise_heading(b))


def tags_repeating_domain(tags: Iterable[str], domain: str) -> set[str]:
    """Tags that only restate the worksheet's domain (``[MPS]`` in the mps worksheet)."""
    fam = family(domain)
    out: set[str] = set()
    for tag in tags:
        parts = _tag_parts(tag)[1:] or _tag_parts(tag)
        if all(fam == family(TAG_DOMAINS.get(p, ("",))[0]) or p == normalise_tag(fam)
               for p in parts):
            out.add(tag)
    return out


def table_domains() -> frozenset[str]:
    """Every domain the tag and path tables can point to."""
    return frozenset({d for ds in TAG_DOMAINS.values() for d in ds}
                     | {d for _, d in PATH_DOMAINS})
