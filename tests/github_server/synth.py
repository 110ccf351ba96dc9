"""Synthetic PyTorch-like PRs in any number, for benchmarks and load tests.

The mix follows what a release worksheet holds: mostly small merged PRs with a few labels,
a few percent touching more than 100 files (so pagination is exercised at scale), some
reverts and relands written the way pytorchbot writes them. Deterministic for a seed.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["synthesize"]

_DOMAINS = {
    "quantization": ["torch/ao/quantization/", "test/quantization/", "aten/src/ATen/native/quantized/"],
    "inductor": ["torch/_inductor/", "test/inductor/", "torch/_inductor/codegen/"],
    "dynamo": ["torch/_dynamo/", "test/dynamo/", "torch/_dynamo/variables/"],
    "distributed": ["torch/distributed/", "test/distributed/", "torch/csrc/distributed/c10d/"],
    "cuda": ["aten/src/ATen/native/cuda/", "c10/cuda/", "test/"],
    "nn_frontend": ["torch/nn/modules/", "torch/nn/functional/", "test/nn/"],
    "export": ["torch/export/", "torch/_export/", "test/export/"],
    "mps": ["aten/src/ATen/native/mps/", "test/", "aten/src/ATen/mps/"],
}
_VERBS = ["Add", "Fix", "Support", "Enable", "Remove", "Refactor", "Use", "Skip", "Update",
          "Improve", "Speed up", "Deprecate"]
_THINGS = ["fp8 matmul", "dynamic shapes in {m}", "the {m} cache", "int4 packing", "scaled_mm",
           "a lowering for {m}", "meta tensors in {m}", "XPU kernels for {m}", "typing in {m}",
           "graph breaks in {m}", "NaN handling in {m}", "the {m} benchmark"]
_TOPIC = ["topic: not user facing", "topic: bug fixes", "topic: improvements",
          "topic: new features", "topic: performance", "topic: docs", "topic: bc breaking",
          "topic: deprecation"]
_EXTRA = ["open source", "ciflow/trunk", "ciflow/inductor", "ciflow/periodic", "ciflow/xpu",
          "better-engineering", "fb-exported", "module: cpu", "module: cuda", "Stale"]


def synthesize(count: int, *, seed: int = 0, start: int = 150_000) -> list[dict[str, Any]]:
    """``count`` PR fixtures numbered from ``start``, in the fixture format of the server."""
    rng = random.Random(seed)
    t0 = datetime(2025, 3, 1, tzinfo=UTC)
    out: list[dict[str, Any]] = []
    for i in range(count):
        number = start + i
        domain = rng.choice(list(_DOMAINS))
        roots = _DOMAINS[domain]
        module = rng.choice(["matmul", "conv", "softmax", "embedding_bag", "layer_norm",
                             "flex_attention", "all_gather", "pt2e"])
        title = f"{rng.choice(_VERBS)} {rng.choice(_THINGS).format(m=module)}"
        body = ("Stack from [ghstack](https://github.com/ezyang/ghstack) (oldest at bottom):\n"
                f"* __->__ #{number}\n\n")
        roll = rng.random()
        if roll < 0.03 and out:
            target = rng.choice(out)
            title = f'Revert "{target["title"]} (#{target["number"]})"'
            body = (f"This reverts commit {rng.getrandbits(160):040x}.\n\n"
                    f"Reverted https://github.com/pytorch/pytorch/pull/{target['number']} on "
                    "behalf of https://github.com/pytorch-bot due to breaking trunk")
        elif roll < 0.05 and out:
            target = rng.choice(out)
            title = f"[Reland] {target['title']}"
            body += f"Reland of #{target['number']} with the flaky test fixed.\n\n"
        body += f"Summary: {title}.\n\ncc @{rng.choice(['ezyang', 'jerryzh168', 'malfet'])}"
        n_files = rng.choice([1, 1, 2, 3, 4, 6, 9, 15]) if rng.random() > 0.03 else \
            rng.randint(101, 350)
        files = sorted({f"{rng.choice(roots)}{module}_{rng.randint(0, 10 * n_files)}.py"
                        for _ in range(n_files)})
        labels = [f"release notes: {domain}", rng.choice(_TOPIC), "Merged"]
        labels += rng.sample(_EXTRA, rng.randint(0, 4))
        merged = t0 + timedelta(minutes=37 * i)
        out.append({
            "number": number, "title": title, "body": body, "state": "MERGED", "merged": True,
            "createdAt": (merged - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "mergedAt": merged.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "updatedAt": (merged + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "author": rng.choice(["cyyever", "Skylion007", "aorenste", "jansel", "eellison",
                                  "malfet", "vkuzo", "XuehaiPan", "guangyey", "huydhn"]),
            "labels": list(dict.fromkeys(labels)), "files": files,
        })
    return out
