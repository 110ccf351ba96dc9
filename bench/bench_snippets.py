"""Warm worker vs a fresh process per snippet, on 20 release-note style snippets.

Run:  python bench/bench_snippets.py [--out bench/results/snippets.md] [--no-isolation]

Both modes run the same jobs through the same OS sandbox (bubblewrap: namespaces,
read-only root, limits, scratch tmpfs, allow-listed env); the only difference is whether
torch/torchao are imported once (the warm worker, started inside the sandbox, then one
fork per snippet) or in a new sandboxed process per snippet. Verdicts must agree between
the modes. The table goes to stdout and to ``--out``; the exit status is 1 unless the
warm worker is at least 10x faster per snippet (mean) and all verdicts agree.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from relnotes.fileio import atomic_write
from relnotes.snippets import fixtures, isolation, sandbox, verdict
from relnotes.snippets.interpreter import Installed, probe
from relnotes.snippets.outcome import Outcome
from relnotes.snippets.worker import WarmWorker, check_sandbox, run_fresh

PT2E_26 = """
from torch._export import capture_pre_autograd_graph
from torch.ao.quantization.quantize_pt2e import prepare_pt2e
from torch.ao.quantization.quantizer.xnnpack_quantizer import (
    XNNPACKQuantizer, get_symmetric_quantization_config)
quantizer = XNNPACKQuantizer().set_global(get_symmetric_quantization_config())
m = capture_pre_autograd_graph(m, example_inputs)
m = prepare_pt2e(m, quantizer)
"""
PT2E_27 = """
from torch.export import export_for_training
from torch.ao.quantization.quantize_pt2e import prepare_pt2e
from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
    XNNPACKQuantizer, get_symmetric_quantization_config)
quantizer = XNNPACKQuantizer().set_global(get_symmetric_quantization_config())
m = export_for_training(m, example_inputs).module()
m = prepare_pt2e(m, quantizer)
"""
XPU_27 = """
import torch
from torch.ao.quantization.quantize_pt2e import prepare_pt2e, convert_pt2e
from torch.ao.quantization.quantizer.xpu_inductor_quantizer import (
    XPUInductorQuantizer, get_default_xpu_inductor_quantization_config)
q = XPUInductorQuantizer().set_global(get_default_xpu_inductor_quantization_config())
m = torch.export.export(m, example_inputs).module()
m = prepare_pt2e(m, q)
"""
X86_TORCHAO = """
import torch
from torchao.quantization.pt2e.quantize_pt2e import prepare_pt2e, convert_pt2e
from torchao.quantization.pt2e.quantizer.x86_inductor_quantizer import (
    X86InductorQuantizer, get_default_x86_inductor_quantization_config)
q = X86InductorQuantizer().set_global(get_default_x86_inductor_quantization_config())
g = torch.export.export(m, example_inputs).module()
g = prepare_pt2e(g, q)
g(*example_inputs)
g = convert_pt2e(g)
g(*example_inputs)
"""

#: (name, label, code): a mix like real notes -- flows, small API changes, failures.
SNIPPETS: list[tuple[str, str | None, str]] = [
    ("pt2e 2.6 capture + xnnpack", "2.6", PT2E_26),
    ("pt2e 2.7 export_for_training + executorch", "2.7", PT2E_27),
    ("pt2e 2.7 xpu quantizer", "2.7", XPU_27),
    ("pt2e torchao x86", None, X86_TORCHAO),
    (
        "pt2e 2.8 xnnpack (deprecated path)",
        "2.8",
        PT2E_27.replace("executorch.backends.xnnpack.quantizer", "torch.ao.quantization.quantizer"),
    ),
    ("removed api under 2.7", "2.7", PT2E_26),
    (
        "export args not a tuple",
        "2.7",
        "from torch.export import export_for_training\nm = export_for_training(m, *example_inputs)\n",
    ),
    (
        "export strict default 2.7",
        "2.7",
        "import torch\nep = torch.export.export(m, example_inputs)\nprint(len(ep.graph.nodes))\n",
    ),
    (
        "export non-strict 2.8",
        "2.8",
        "import torch\nep = torch.export.export(m, example_inputs)\nprint(ep.graph_signature)\n",
    ),
    ("tensor math", None, "import torch\nx = torch.arange(12.).reshape(3, 4)\nprint(x.sum(0))\n"),
    ("nn forward", None, "y = m(*example_inputs)\nassert y.shape == (1, 10)\n"),
    ("claimed ValueError", None, "int('x')\n# ValueError: invalid literal for int()\n"),
    (
        "claimed FutureWarning",
        None,
        "import warnings\nwarnings.warn('old', FutureWarning)\n# FutureWarning: old\n",
    ),
    (
        "wrong warning type",
        None,
        "import warnings\nwarnings.warn('old', FutureWarning)\n# DeprecationWarning: old\n",
    ),
    (
        "torch.load weights_only",
        None,
        (
            "import torch, io\nbuf = io.BytesIO()\ntorch.save({'w': torch.ones(2)}, buf)\nbuf.seek(0)\n"
            "print(torch.load(buf, weights_only=True))\n"
        ),
    ),
    (
        "optimizer step",
        None,
        (
            "import torch\nopt = torch.optim.SGD(m.parameters(), lr=0.1)\nloss = m(x).sum()\n"
            "loss.backward()\nopt.step()\n"
        ),
    ),
    (
        "functional ops",
        None,
        "import torch.nn.functional as F\nimport torch\nprint(F.relu(torch.tensor([-1.0, 2.0])))\n",
    ),
    (
        "no network",
        None,
        (
            "import socket\nsocket.create_connection(('192.0.2.10', 80))\n"
            "# ConnectionRefusedError: relnotes sandbox: no network access\n"
        ),
    ),
    ("snippet bug", None, "import torch\ntorch.ones(2) @ torch.ones(3)\n"),
    (
        "state dict round trip",
        None,
        "sd = m.state_dict()\nm.load_state_dict(sd)\nprint(sorted(sd)[:2])\n",
    ),
]


def _jobs() -> list[tuple[str, str | None, str, list[str]]]:
    out = []
    for name, label, code in SNIPPETS:
        decided, names = verdict.pre_run(code, code_line=1)
        assert decided is None, (name, decided)
        out.append((name, label, code, names))
    return out


def _verdict(outcome: Outcome, code: str, label: str | None, installed: Installed) -> str:
    v = verdict.classify(outcome, code=code, label=label, code_line=1, timeout=120,
                         installed=installed)
    return v.verdict + (f"/{v.kind}" if v.kind else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="bench/results/snippets.md")
    parser.add_argument("--no-isolation", action="store_true",
                        help="measure without an OS sandbox (not what `check` does)")
    args = parser.parse_args()
    jobs = _jobs()
    assert len(jobs) == 20
    backend = isolation.choose(no_isolation=args.no_isolation)
    interpreter = probe(sys.executable, env=sandbox.safe_env(os.getcwd()))
    installed = interpreter.installed()
    check_sandbox(backend, interpreter)
    memory = sandbox.DEFAULT_MEMORY_MB

    warm_times: list[float] = []
    warm_verdicts: list[str] = []
    t0 = time.monotonic()
    with WarmWorker(interpreter=interpreter, backend=backend, memory_mb=memory) as worker:
        start_cost = time.monotonic() - t0
        for name, label, code, names in jobs:
            job = {"code": code, "label": label, "fixtures": names, "memory_mb": memory}
            started = time.monotonic()
            outcome = worker.run(job, timeout=120)
            warm_times.append(time.monotonic() - started)
            warm_verdicts.append(_verdict(outcome, code, label, installed))
            print(f"warm  {warm_times[-1]:6.3f}s {warm_verdicts[-1]:24} {name}", file=sys.stderr)
    warm_total = time.monotonic() - t0

    fresh_times: list[float] = []
    fresh_verdicts: list[str] = []
    t1 = time.monotonic()
    for name, label, code, names in jobs:
        job = {"code": code, "label": label, "fixtures": names, "memory_mb": memory}
        started = time.monotonic()
        outcome = run_fresh(job, interpreter=interpreter, backend=backend, timeout=120,
                            memory_mb=memory)
        fresh_times.append(time.monotonic() - started)
        fresh_verdicts.append(_verdict(outcome, code, label, installed))
        print(f"fresh {fresh_times[-1]:6.3f}s {fresh_verdicts[-1]:24} {name}", file=sys.stderr)
    fresh_total = time.monotonic() - t1

    rows = [
        "| # | snippet | label | verdict | warm (s) | fresh (s) | speed-up |",
        "|---|---|---|---|---:|---:|---:|",
    ]
    for i, ((name, label, _, _), w, f, vw, vf) in enumerate(
        zip(jobs, warm_times, fresh_times, warm_verdicts, fresh_verdicts, strict=True), 1
    ):
        verdict = vw if vw == vf else f"{vw} (fresh: {vf})"
        rows.append(
            f"| {i} | {name} | {label or '-'} | {verdict} | {w:.3f} | {f:.3f} | {f / w:.1f}x |"
        )
    mean_w, mean_f = statistics.mean(warm_times), statistics.mean(fresh_times)
    med_w, med_f = statistics.median(warm_times), statistics.median(fresh_times)
    agree = sum(a == b for a, b in zip(warm_verdicts, fresh_verdicts, strict=True))
    summary = [
        "",
        (
            f"- per snippet, mean: warm {mean_w:.3f}s, fresh {mean_f:.3f}s -> "
            f"**{mean_f / mean_w:.1f}x** faster warm"
        ),
        f"- per snippet, median: warm {med_w:.3f}s, fresh {med_f:.3f}s -> {med_f / med_w:.1f}x",
        (
            f"- whole run of 20: warm {warm_total:.1f}s (including {start_cost:.1f}s to start the "
            f"worker and import torch/torchao once), fresh {fresh_total:.1f}s -> "
            f"{fresh_total / warm_total:.1f}x"
        ),
        f"- verdicts agree between modes: {agree}/20",
        (
            f"- fixtures used: {', '.join(sorted({n for *_, ns in jobs for n in ns}))} "
            f"(from `relnotes.snippets.fixtures`, {len(fixtures.REGISTRY)} declared)"
        ),
    ]
    sandboxed = ("both in the bwrap sandbox (namespaces, read-only root, scratch tmpfs, "
                 "allow-listed env)" if backend.name == "bwrap" else "NOT sandboxed (--no-isolation)")
    header = [
        "# Snippet runner benchmark: warm worker vs fresh process",
        "",
        (
            f"`python bench/bench_snippets.py` on {time.strftime('%Y-%m-%d')}, torch "
            f"{installed.torch_text}, torchao {installed.torchao}, {os.cpu_count()} cores "
            f"(shared; load average {os.getloadavg()[0]:.1f} at the end), {sandboxed}, "
            f"limits on (timeout, {memory} MB address space, {sandbox.MAX_PROCESSES} "
            "processes, output)."
        ),
        "",
    ]
    text = "\n".join(header + rows + summary) + "\n"
    print(text)
    atomic_write(Path(args.out), text)
    return 0 if mean_f / mean_w >= 10 and agree == 20 else 1


if __name__ == "__main__":
    sys.exit(main())
