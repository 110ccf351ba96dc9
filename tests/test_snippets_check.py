"""``relnotes check`` end to end: small worksheets of our own, one per verdict kind.

One warm worker serves the whole module (its start costs seconds); it is started with
secrets in the environment so the secret test is real.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from tests.helpers import run_cli

pytestmark = pytest.mark.torch
import torch  # the `snippets` extra is part of the test set-up
import torchao  # noqa: F401

SECRETS = {
    "GITHUB_TOKEN": "ghp_not_a_real_token",
    "AWS_SECRET_ACCESS_KEY": "aws-secret",
    "MY_SERVICE_API_KEY": "key-123",
}


@pytest.fixture(scope="module")
def runner():
    from relnotes.snippets.run import Runner

    mp = pytest.MonkeyPatch()
    for key, value in SECRETS.items():
        mp.setenv(key, value)
    with Runner(timeout=60) as shared:
        yield shared
    mp.undo()


def worksheet(tmp_path, body: str, *, name: str = "ws.md") -> str:
    """A worksheet whose BC section holds ``body`` (one entry or several)."""
    text = "# Release Notes worksheet quantization\n\n## quantization\n### bc breaking\n"
    text += textwrap.dedent(body).lstrip("\n") + "### new features\n"
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def entry(code: str, *, label: str | None = "2.7", lang: str = "python", pr: int = 1) -> str:
    marker = f"# pytorch {label}\n" if label else ""
    code = textwrap.dedent(code).strip("\n")
    return f"- Entry {pr} (#{pr})\n\nWhy it changed.\n\n```{lang}\n{marker}{code}\n```\n\n"


def check(tmp_path, runner, body: str):
    from relnotes.entries import extract_code_parts
    from relnotes.snippets.check import check_parts
    from relnotes.worksheet import read_worksheet

    parts = extract_code_parts(read_worksheet(worksheet(tmp_path, body)))
    return check_parts(parts, runner=runner).results


def only(results):
    assert len(results) == 1, results
    return results[0]


PT2E_26 = """
from torch._export import capture_pre_autograd_graph
from torch.ao.quantization.quantize_pt2e import prepare_pt2e
from torch.ao.quantization.quantizer.xnnpack_quantizer import (
    XNNPACKQuantizer,
    get_symmetric_quantization_config,
)
quantizer = XNNPACKQuantizer().set_global(get_symmetric_quantization_config())
m = capture_pre_autograd_graph(m, example_inputs)
m = prepare_pt2e(m, quantizer)
"""


def test_pass_with_2_6_emulation_and_carry_on(tmp_path, runner):
    r = only(check(tmp_path, runner, entry(PT2E_26, label="2.6")))
    assert (r.verdict, r.kind, r.label) == ("pass", None, "2.6"), r.message
    assert "torch._export.capture_pre_autograd_graph" in r.emulated
    assert "torch.ao.quantization.quantizer.xnnpack_quantizer" in r.emulated
    assert "convert_pt2e" in r.message  # the flow was carried on after prepare_pt2e


def test_xpu_path_served_by_relnotes_quantizer_under_2_7(tmp_path, runner):
    code = """
    from torch.export import export_for_training
    from torch.ao.quantization.quantize_pt2e import prepare_pt2e, convert_pt2e
    from torch.ao.quantization.quantizer.xpu_inductor_quantizer import (
        XPUInductorQuantizer,
        get_default_xpu_inductor_quantization_config,
    )
    import relnotes.quantizer.xpu as ours
    assert XPUInductorQuantizer is ours.XPUInductorQuantizer
    quantizer = XPUInductorQuantizer().set_global(get_default_xpu_inductor_quantization_config())
    m = export_for_training(m, example_inputs).module()
    m = prepare_pt2e(m, quantizer)
    m(*example_inputs)
    m = convert_pt2e(m)
    m(*example_inputs)
    """
    r = only(check(tmp_path, runner, entry(code, label="2.7")))
    assert r.verdict == "pass", r.message
    assert {
        "torch.export.export_for_training",
        "torch.ao.quantization.quantizer.xpu_inductor_quantizer",
    } <= set(r.emulated)


def test_missing_api_under_a_label_that_never_had_it(tmp_path, runner):
    # capture_pre_autograd_graph was gone in 2.7: emulation must not serve it
    r = only(check(tmp_path, runner, entry(PT2E_26, label="2.7")))
    assert (r.verdict, r.kind) == ("fail", "missing-api"), r.message
    assert "capture_pre_autograd_graph" in r.message
    assert r.evidence_line == r.line + 2  # fence, marker, then the import


def test_missing_api_unlabelled_is_judged_on_the_installed_torch(tmp_path, runner):
    r = only(check(tmp_path, runner, entry(PT2E_26, label=None)))
    assert (r.verdict, r.kind) == ("fail", "missing-api"), r.message
    assert "installed torch" in r.message and r.emulated == []


def test_snippet_bug_with_exception_and_line(tmp_path, runner):
    code = """
    from torch.export import export_for_training
    m = export_for_training(m, *example_inputs)
    """
    r = only(check(tmp_path, runner, entry(code, label="2.7")))
    assert (r.verdict, r.kind) == ("fail", "snippet-bug"), r.message
    assert "Expecting `args` to be a tuple" in r.message
    assert r.evidence_line == r.line + 3
    assert f"(line {r.evidence_line})" in r.message


def test_syntax_error_names_the_worksheet_line(tmp_path, runner):
    r = only(check(tmp_path, runner, entry("x = 1\ny = (1,\n", label="2.7")))
    assert (r.verdict, r.kind) == ("fail", "syntax"), r.message
    assert r.evidence_line is not None and r.evidence_line > r.line


def test_expectations_confirmed_and_refuted(tmp_path, runner):
    good = """
    int("x")
    # ValueError: invalid literal for int()
    import warnings
    warnings.warn("old api", FutureWarning)
    # FutureWarning: old api
    """
    wrong_type = """
    import warnings
    warnings.warn("old api", FutureWarning)
    # DeprecationWarning: old api
    """
    nothing = """
    x = 1
    # RuntimeError: x is gone
    """
    results = check(
        tmp_path, runner, entry(good, pr=1) + entry(wrong_type, pr=2) + entry(nothing, pr=3)
    )
    assert [(r.verdict, r.kind) for r in results] == [
        ("pass", None),
        ("fail", "expectation"),
        ("fail", "expectation"),
    ]
    assert "FutureWarning" in results[1].message
    assert "nothing was raised" in results[2].message


def test_emulated_deprecation_and_strict_default_follow_the_label(tmp_path, runner):
    code = """
    import torch
    from torch.ao.quantization.quantize_pt2e import prepare_pt2e
    from torch.ao.quantization.quantizer.x86_inductor_quantizer import (
        X86InductorQuantizer, get_default_x86_inductor_quantization_config)
    q = X86InductorQuantizer().set_global(get_default_x86_inductor_quantization_config())
    g = torch.export.export(m, example_inputs).module()
    g = prepare_pt2e(g, q)
    # DeprecationWarning: torch.ao.quantization is deprecated
    """
    r28, r27 = check(
        tmp_path, runner, entry(code, label="2.8", pr=1) + entry(code, label="2.7", pr=2)
    )
    assert r28.verdict == "pass", r28.message
    assert "torch.export.export(strict=True default)" not in r28.emulated
    assert (r27.verdict, r27.kind) == ("fail", "expectation")  # 2.7 did not warn
    assert "torch.export.export(strict=True default)" in r27.emulated


def test_timeout(tmp_path, runner):
    runner.timeout, saved = 3, runner.timeout
    try:
        r = only(check(tmp_path, runner, entry("while True:\n    pass\n")))
    finally:
        runner.timeout = saved
    assert (r.verdict, r.kind) == ("fail", "timeout")
    # the worker survived the kill and still answers
    assert only(check(tmp_path, runner, entry("x = 1\n"))).verdict == "pass"


def test_crash_and_memory_cap(tmp_path, runner):
    killed = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"
    hog = "block = bytearray(64 * 1024 ** 3)\n"
    r1, r2 = check(tmp_path, runner, entry(killed, pr=1) + entry(hog, pr=2))
    assert (r1.verdict, r1.kind) == ("fail", "crash")
    assert (r2.verdict, r2.kind) == ("fail", "crash")
    assert r2.message.startswith("memory limit of 4096 MB reached: MemoryError"), r2.message


def test_skips(tmp_path, runner):
    body = (
        entry("m = m.cuda()\n", pr=1)
        + entry("import torch\ntorch.cuda.current_device()\n", pr=2)
        + entry("import torch.distributed as dist\ndist.init_process_group('gloo')\n", pr=3)
        + entry("pip install torchao\n", lang="bash", pr=4)
        + "- Entry 5 (#5)\n\nWhy.\n\n```\nTraceback (most recent call last):\nRuntimeError: boom\n```\n\n"
        + entry("my_model = Model()\n", pr=6)
        + entry("import not_a_real_module_xyz\n", pr=7)
    )
    kinds = [(r.prs[0], r.verdict, r.kind) for r in check(tmp_path, runner, body)]
    assert kinds == [
        (1, "skip", "needs-cuda"),
        (2, "skip", "needs-cuda"),
        (3, "skip", "needs-distributed"),
        (4, "skip", "not-python"),
        (5, "skip", "not-python"),
        (6, "skip", "needs-setup"),
        (7, "skip", "needs-setup"),
    ]


def test_worker_forks_from_a_single_threaded_process(tmp_path, runner):
    only(check(tmp_path, runner, entry("x = 1\n")))  # make sure the worker is up
    assert runner._worker.import_seconds > 0
    assert runner._worker.threads_at_fork == 1


def test_snippet_sees_no_secrets(runner):
    code = (
        "import os\nprint(repr(os.environ.get('GITHUB_TOKEN')))\n"
        "print(sorted(k for k in os.environ if 'SECRET' in k or 'KEY' in k))\n"
        "print(os.environ['HOME'] == os.getcwd())\n"
    )
    outcome = runner.run(code, label=None, fixture_names=[])
    assert outcome.status == "ok", outcome
    assert outcome.stdout.split() == ["None", "[]", "True"]
    for value in SECRETS.values():
        assert value not in outcome.stdout + outcome.stderr


def test_no_network(tmp_path, runner):
    code = """
    import socket
    socket.create_connection(("192.0.2.10", 80), timeout=1)
    # ConnectionRefusedError: relnotes sandbox: no network access
    socket.getaddrinfo("pytorch.org", 443)
    # OSError: [Errno -2] relnotes sandbox: no network access
    """
    r = only(check(tmp_path, runner, entry(code)))
    assert r.verdict == "pass", r.message


@pytest.mark.slow
def test_fresh_process_fallback_gives_the_same_verdict(tmp_path):
    from relnotes.snippets.run import Runner

    with Runner(timeout=60, warm=False) as fresh:
        r = only(check(tmp_path, fresh, entry("import torch\nx = torch.ones(2)\n")))
    assert r.verdict == "pass", r.message


@pytest.mark.slow
def test_cli_json_shape_and_exit_code(tmp_path):
    ok = worksheet(tmp_path, entry("x = 1\n"), name="ok.md")
    bad = worksheet(tmp_path, entry("x = 1\n# ValueError: never\n"), name="bad.md")
    passed = run_cli("check", ok, "--format", "json", expect=0)
    failed = run_cli("check", ok, bad, "--format", "json", "--timeout", "30", expect=1)
    doc = json.loads(passed.stdout)
    assert list(doc) == ["snippets"]
    assert [list(s) for s in doc["snippets"]] == [
        ["file", "line", "prs", "label", "role", "verdict", "kind", "message", "emulated",
         "isolation"]
    ]
    assert doc["snippets"][0]["isolation"] == "bwrap"
    snippets = json.loads(failed.stdout)["snippets"]
    assert [(s["verdict"], s["kind"], s["label"], s["prs"]) for s in snippets] == [
        ("pass", None, "2.7", [1]),
        ("fail", "expectation", "2.7", [1]),
    ]


@pytest.mark.slow
def test_worker_death_falls_back_to_a_fresh_process(tmp_path):
    from relnotes.snippets.run import Runner

    with Runner(timeout=60) as fresh_start:
        assert only(check(tmp_path, fresh_start, entry("x = 1\n"))).verdict == "pass"
        fresh_start._worker._proc.kill()  # the worker dies between snippets
        r = only(check(tmp_path, fresh_start, entry("import torch\ny = torch.ones(1)\n")))
    assert r.verdict == "pass", r.message


def test_backends_this_build_lacks_are_skips_that_name_them(tmp_path, runner):
    """Issue 19: preferred_linalg_library("cusolver") on the CPU build was FAIL
    [snippet-bug]; code for another device or library the build lacks is a skip, while
    a name torch.cuda does not have is still a missing API."""
    if torch.backends.cuda.is_built() or torch.backends.mps.is_built() or torch.xpu._is_compiled():
        pytest.skip("needs a CPU-only torch build")
    body = (
        entry('import torch\ntorch.backends.cuda.preferred_linalg_library("cusolver")\n', pr=1)
        + entry("import torch\nx = torch.ones(2).to('mps')\n", pr=2)
        + entry("import torch\ns = torch.xpu.Stream()\n", pr=3)
        + entry("import torch\ntorch.cuda.not_a_function()\n", label=None, pr=4)
    )
    results = check(tmp_path, runner, body)
    assert [(r.prs[0], r.verdict, r.kind) for r in results] == [
        (1, "skip", "needs-cuda"), (2, "skip", "needs-backend"), (3, "skip", "needs-backend"),
        (4, "fail", "missing-api")]
    assert results[0].message.startswith("needs cuSOLVER, which this torch (")
    assert "not been compiled with cuSOLVER" in results[0].message
    assert "needs MPS" in results[1].message and "needs XPU" in results[2].message
