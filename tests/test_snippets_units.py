"""Snippet checking pieces that need no torch: free names, claims, facts, classification."""

from __future__ import annotations

import warnings

import pytest

from relnotes.snippets import expect, facts, fixtures, sandbox, verdict
from relnotes.snippets.interpreter import Installed
from relnotes.snippets.outcome import Failure, Outcome

INSTALLED = Installed((2, 13), "2.13.0+cpu", "0.18.0")


def test_free_names_in_order_and_flow_sensitive():
    code = (
        "from torch._export import capture_pre_autograd_graph\n"
        "quantizer = XNNPACKQuantizer()\n"
        "m = capture_pre_autograd_graph(m, example_inputs)\n"
        "def f(a):\n    return a + later\n"
        "later = 1\n"
        "try:\n    pass\nexcept ValueError as e:\n    print(e)\n"
    )
    assert fixtures.free_names(code) == ["XNNPACKQuantizer", "m", "example_inputs"]


def test_free_names_syntax_error_raises():
    with pytest.raises(SyntaxError):
        fixtures.free_names("x = (1,")


def test_every_fixture_is_documented():
    assert {"m", "example_inputs"} <= set(fixtures.REGISTRY)
    assert all(f.doc.strip() for f in fixtures.REGISTRY.values())


def test_find_expectations_next_line_and_trailing():
    code = (
        "import warnings\n"
        "int('x')\n"
        "# ValueError: invalid literal for int() ...\n"
        "warnings.warn('old', FutureWarning)  # FutureWarning: old\n"
        "y = 1\n"
        "# just a comment: not a claim\n"
    )
    found = expect.find_expectations(code)
    assert [(e.stmt_line, e.type_name, e.message, e.kind) for e in found] == [
        (2, "ValueError", "invalid literal for int()", "raises"),
        (4, "FutureWarning", "old", "warns"),
    ]


def _check(code: str) -> list[expect.Expectation]:
    import ast

    found = expect.find_expectations(code)
    checker = expect.Checker(found)
    tree = expect.instrument(ast.parse(code), found)
    namespace = {expect.CHECKER_NAME: checker}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(tree, "<test>", "exec"), namespace)  # noqa: S102 - test code, not a snippet
    return found


def test_checker_confirms_and_rejects():
    ok, wrong_type, wrong_msg, nothing = _check(
        "import warnings\n"
        "int('x')\n# ValueError: invalid literal\n"
        "warnings.warn('old', FutureWarning)\n# DeprecationWarning: old\n"
        "int('y')\n# ValueError: something else\n"
        "z = 1\n# KeyError: z\n"
    )
    assert ok.ok is True
    assert wrong_type.ok is False and "FutureWarning" in wrong_type.detail
    assert wrong_msg.ok is False and "something else" in wrong_msg.detail
    assert nothing.ok is False and "nothing was raised" in nothing.detail


def test_checker_accepts_superclass_names_but_not_prose():
    (claim,) = _check("{}['k']\n# LookupError: 'k'\n# Warning: prose, not a claim\n")
    assert claim.ok is True


def test_facts_follow_the_wheels():
    v = facts.release_line
    assert v("2.7") == (2, 7) and v("v2.10.1+cpu") == (2, 10) and v("soon") is None
    assert facts.existed("torch._export.capture_pre_autograd_graph", (2, 6)) is True
    assert facts.existed("torch._export.capture_pre_autograd_graph", (2, 7)) is False
    assert facts.existed("torch.export.export_for_training", (2, 10)) is True
    assert facts.existed("torch.export.export_for_training", (2, 11)) is False
    assert (
        facts.existed("torch.ao.quantization.quantizer.xpu_inductor_quantizer", (2, 5)) is False
    )
    assert facts.existed("torch.ao.quantization.quantizer.xnnpack_quantizer.X", (2, 10)) is True
    assert facts.existed("torch.nn.Linear", (2, 7)) is None


def test_safe_env_is_an_allow_list():
    env = sandbox.safe_env(
        "/scratch",
        base={
            "PATH": "/bin",
            "GITHUB_TOKEN": "t",
            "GH_TOKEN": "t",
            "AWS_REGION": "x",
            "MY_API_KEY": "k",
            "DB_PASSWORD": "p",
            "CLIENT_SECRET": "s",
            "RELEASE_BOT_AUTH": "not named like a secret, still not passed",
            "SSH_AUTH_SOCK": "/tmp/agent.sock",
            "LD_PRELOAD": "/tmp/evil.so",
            "LANG": "C",
            "LC_ALL": "C.UTF-8",
        },
    )
    assert env["PATH"] == "/bin" and env["LANG"] == "C" and env["LC_ALL"] == "C.UTF-8"
    assert not {
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "AWS_REGION",
        "MY_API_KEY",
        "DB_PASSWORD",
        "CLIENT_SECRET",
        "RELEASE_BOT_AUTH",
        "SSH_AUTH_SOCK",
        "LD_PRELOAD",
    } & set(env)
    assert env["HOME"] == env["TMPDIR"] == "/scratch"
    assert env["https_proxy"] == env["HTTP_PROXY"] == sandbox.UNROUTABLE_PROXY


def _classify(outcome, code="x = 1\n", label=None):
    return verdict.classify(
        outcome, code=code, label=label, code_line=10, timeout=5, installed=INSTALLED
    )


def test_classify_missing_api_from_facts_and_line():
    outcome = Outcome(
        "error",
        error=Failure(
            "ImportError",
            "cannot import name 'capture_pre_autograd_graph'",
            line=2,
            missing="torch._export.capture_pre_autograd_graph",
        ),
    )
    found = _classify(
        outcome,
        code="import torch\nfrom torch._export import capture_pre_autograd_graph\n",
        label="2.7",
    )
    assert (found.verdict, found.kind, found.line) == ("fail", "missing-api", 11)
    assert "torch 2.7" in found.message and "to 2.6" in found.message


def test_classify_other_kinds():
    assert _classify(Outcome("timeout")).kind == "timeout"
    assert _classify(Outcome("crash", returncode=-11)).kind == "crash"
    bug = _classify(Outcome("error", error=Failure("TypeError", "bad", line=1)))
    assert (bug.verdict, bug.kind, bug.line) == ("fail", "snippet-bug", 10)
    assert "TypeError: bad" in bug.message and "`x = 1`" in bug.message
    cuda = _classify(
        Outcome(
            "error", error=Failure("AssertionError", "Torch not compiled with CUDA enabled", line=1)
        )
    )
    assert (cuda.verdict, cuda.kind) == ("skip", "needs-cuda")
    name = _classify(
        Outcome("error", error=Failure("NameError", "name 'Model' is not defined", name="Model"))
    )
    assert (name.verdict, name.kind) == ("skip", "needs-setup")
    passed = _classify(Outcome("ok", emulated=["a"], carried_on="converted"))
    assert (passed.verdict, passed.kind, passed.emulated) == ("pass", None, ["a"])


def test_pre_run_skips():
    assert (
        verdict.pre_run("dist.init_process_group('gloo')\n", code_line=1)[0].kind == "needs-distributed"
    )
    assert verdict.pre_run("m = m.cuda()\n", code_line=1)[0].kind == "needs-cuda"
    found, _ = verdict.pre_run("my_model = Model()\n", code_line=1)
    assert found.kind == "needs-setup" and "Model" in found.message
    assert verdict.pre_run("def f(a, b): pass\nm = f(m, example_inputs)\n", code_line=1) == (
        None,
        ["m", "example_inputs"],
    )


def test_summarize_keeps_the_inner_error():
    text = (
        "RuntimeError when making fake tensor call\n  Explanation: ... got RuntimeError('a and b"
        " must have same reduction dim')\n  Hint: long story\n\n  Developer debug context: x"
    )
    out = verdict.summarize("TorchRuntimeError", text)
    assert out.startswith("TorchRuntimeError: RuntimeError when making fake tensor call")
    assert "same reduction dim" in out and "Hint" not in out


def _failing(role, label, via=()):
    err = Failure("RuntimeError", "now an error", line=1, via=list(via))
    return verdict.classify(
        Outcome("error", error=err),
        code="f()\n",
        label=label,
        role=role,
        code_line=5,
        timeout=5,
        installed=INSTALLED,
    )


def test_before_code_failing_on_new_torch_is_not_called_a_snippet_bug():
    before = _failing("before", "2.7")
    assert (before.verdict, before.kind) == ("skip", "needs-setup")
    assert "may be the very change" in before.message
    after = _failing("after", "2.7")
    assert (after.verdict, after.kind) == ("fail", "snippet-bug")
    assert "[ran on torch" in after.message
    # inside an emulated old API the error is what that version did: a real bug
    inside = _failing("before", "2.6", via=["capture_pre_autograd_graph"])
    assert (inside.verdict, inside.kind) == ("fail", "snippet-bug")


def test_ellipsis_placeholders_are_illustrative():
    found, _ = verdict.pre_run("import torch\ntorch.export.export(...)\n", code_line=3)
    assert (found.kind, found.line) == ("needs-setup", 4)
    assert verdict.pre_run("import torch\nx = torch.ones(2, 2)[..., 0]\n", code_line=1)[0] is None


def test_one_name_means_one_thing_for_versions():
    """``versions.Version``/``parse_version`` are the one version type and parser; the
    facts table speaks of release lines ``(2, 7)`` under names of their own (issue 20)."""
    import ast

    from relnotes import versions
    from tests.helpers import REPO

    clash = []
    for path in sorted((REPO / "relnotes").rglob("*.py")):
        if path.name == "versions.py":
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            names = ([t.id for t in node.targets if isinstance(t, ast.Name)]
                     if isinstance(node, ast.Assign) else
                     [node.name] if isinstance(node, ast.FunctionDef | ast.ClassDef) else [])
            clash += [f"{path.relative_to(REPO)}:{node.lineno}: {n}" for n in names
                      if n in ("Version", "parse_version")]
    assert clash == []
    assert facts.release_line("v2.10.1+cpu") == versions.parse_version("2.10.1").line == (2, 10)
    assert facts.release_line("soon") is None and facts.line_text((2, 7)) == "2.7"


# What torch 2.13.0+cpu says when a snippet needs what this build lacks (measured).
MISSING_BACKEND = [
    ("RuntimeError", ("Cannot set preferred backend to cuSOLVER if PyTorch has not been "
                      "compiled with cuSOLVER."), None, "needs-cuda", "cuSOLVER"),
    ("RuntimeError", ("Cannot set preferred backend to cuBLASLt if PyTorch has not been "
                      "compiled with cuBLASLt."), None, "needs-cuda", "cuBLASLt"),
    ("AssertionError", "Torch not compiled with CUDA enabled", None, "needs-cuda", "CUDA"),
    ("AssertionError", "Torch not compiled with XPU enabled", None, "needs-backend", "XPU"),
    ("AssertionError", "Torch not compiled with MTIA enabled. Ensure you have `import mtia`",
     None, "needs-backend", "MTIA"),
    ("RuntimeError", "PyTorch is not linked with support for mps devices", None,
     "needs-backend", "MPS"),
    ("RuntimeError", "Cannot execute deviceSynchronize() without MPS backend.", None,
     "needs-backend", "MPS"),
    ("RuntimeError", "The MPS backend is not available on this machine", None,
     "needs-backend", "MPS"),
    ("NotImplementedError", ("Could not run 'aten::empty.memory_format' with arguments from "
                             "the 'MPS' backend. This could be because the operator doesn't "
                             "exist for this backend"), None, "needs-backend", "MPS"),
    ("NotImplementedError", ("Could not run 'aten::empty.memory_format' with arguments from "
                             "the 'HIP' backend."), None, "needs-backend", "HIP"),
    ("RuntimeError", "torch.cuda.Stream requires CUDA support", None, "needs-cuda", "CUDA"),
    ("RuntimeError", "Found no NVIDIA driver on your system.", None, "needs-cuda", "CUDA"),
    ("RuntimeError", "No CUDA GPUs are available", None, "needs-cuda", "CUDA"),
    ("RuntimeError", "Cannot access accelerator device when none is available.", None,
     "needs-backend", "an accelerator"),
    ("AttributeError", "module 'torch._C' has no attribute '_cuda_tunableop_enable'",
     "torch._C._cuda_tunableop_enable", "needs-cuda", "CUDA"),
    ("RuntimeError", "Tried to instantiate dummy base class Stream", None, "needs-backend",
     "XPU"),
]


@pytest.mark.parametrize("etype,message,missing,kind,backend", MISSING_BACKEND,
                         ids=[m[1][:40] for m in MISSING_BACKEND])
def test_a_backend_this_build_lacks_is_a_skip_that_names_it(etype, message, missing, kind,
                                                           backend):
    trace = ('  File "/venv/site-packages/torch/xpu/streams.py", line 39, in __new__\n'
             '  File "/venv/site-packages/torch/_utils.py", line 1034, in err_fn\n')
    found = _classify(Outcome("error", error=Failure(etype, message, line=1, missing=missing,
                                                     traceback=trace)))
    assert (found.verdict, found.kind) == ("skip", kind), found.message
    assert f"needs {backend}" in found.message and "2.13.0+cpu" in found.message
    assert message.split(".")[0][:30] in found.message and found.line == 10  # the evidence


def test_a_torch_error_that_only_mentions_a_backend_is_still_judged():
    """Missing APIs and real bugs stay failures even when their text says cuda or mps."""
    attr = _classify(Outcome("error", error=Failure(
        "AttributeError", "module 'torch.cuda' has no attribute 'not_a_function'", line=1,
        missing="torch.cuda.not_a_function")))
    assert (attr.verdict, attr.kind) == ("fail", "missing-api")
    sparse = _classify(Outcome("error", error=Failure(
        "NotImplementedError", "Could not run 'aten::foo' with arguments from the "
        "'SparseCPU' backend.", line=1)))
    assert (sparse.verdict, sparse.kind) == ("fail", "snippet-bug")
    bug = _classify(Outcome("error", error=Failure(
        "ValueError", "device must be 'cpu' or 'cuda', got 'gpu'", line=1)))
    assert (bug.verdict, bug.kind) == ("fail", "snippet-bug")


def test_code_of_comments_only_is_no_pass():
    """A drafted entry's TODO code (`entry new --write`) ran "without error" and was
    reported PASS; there is nothing to run, so it is a skip that says so."""
    todo = "# pytorch 2.8\n# TODO: code that works in 2.8 and breaks in 2.9\n"
    found, _ = verdict.pre_run(todo, code_line=40)
    assert found is not None and (found.verdict, found.kind) == ("skip", "empty")
