"""`relnotes check --save` writes what `relnotes audit` reads: a failing snippet fails the audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relnotes.audit import audit
from relnotes.release import ReleaseFolder
from tests.helpers import run_cli

WORKSHEET = """## fx
### bc breaking
- `fx.thing` now raises on bad input (#1001)

Because silent acceptance hid real bugs, `thing` now raises.

```python
# pytorch 2.6
x = 1
# pytorch 2.7
y = int("not a number")
```
"""


@pytest.mark.torch
@pytest.mark.slow
def test_saved_check_results_reach_the_audit(tmp_path: Path) -> None:
    (tmp_path / "todo").mkdir()
    done = tmp_path / "done"
    done.mkdir()
    (tmp_path / "miscategorized.md").write_text("# Miscategorized commits\n")
    ws = done / "fx.md"
    ws.write_text(WORKSHEET)
    result = run_cli("check", str(ws), "--save", "--release", "2.7.0", "--no-warm", expect=1)
    saved = ws.parent / ".relnotes" / "fx.check.json"
    assert saved.is_file(), result.output
    verdicts = [s["verdict"] for s in json.loads(saved.read_text())["snippets"]]
    assert sorted(verdicts) == ["fail", "pass"]
    report = audit(ReleaseFolder.of(tmp_path))
    codes = {f.code for f in report.findings}
    assert "check-failed" in codes, report.to_json()


@pytest.mark.torch
@pytest.mark.slow
def test_check_reports_whether_the_bc_claim_is_confirmed(tmp_path: Path) -> None:
    ws = tmp_path / "q.md"
    ws.write_text(
        "## quantization\n### bc breaking\n- `capture_pre_autograd_graph` is gone (#139505)\n\n"
        "Use `export_for_training` instead.\n\n"
        "```python\n# pytorch 2.6\nfrom torch._export import capture_pre_autograd_graph\n"
        "# pytorch 2.7\nfrom torch.export import export_for_training\n```\n"
        "### deprecation\n- `x` is unchanged (#2)\n\nNothing breaks.\n\n"
        "```python\n# pytorch 2.6\nimport torch\n# pytorch 2.7\nimport torch\n```\n")
    out = run_cli("check", str(ws), "--release", "2.7.0", "--no-warm", expect=None).output
    assert (f"{ws}:3: BC claim CONFIRMED" in out
            and "torch._export.capture_pre_autograd_graph" in out), out
    assert ":12: BC claim" not in out  # deprecations make no break claim


@pytest.mark.torch
@pytest.mark.slow
def test_code_for_a_backend_this_build_lacks_does_not_block_done(tmp_path: Path) -> None:
    """Issue 19: preferred_linalg_library("cusolver") on the CPU build was saved as a
    failure, which stopped `done`; it is a skip that says why. The slow first seconds
    (sandbox, importing torch) are said on stderr before the first result."""
    import torch

    if torch.backends.cuda.is_built():
        pytest.skip("needs a torch built without CUDA")
    (tmp_path / "todo").mkdir()
    done = tmp_path / "done"
    done.mkdir()
    (tmp_path / "miscategorized.md").write_text("# Miscategorized commits\n")
    ws = done / "linalg.md"
    ws.write_text("## linalg\n### bc breaking\n- cuSOLVER is the default (#1002)\n\n"
                  "Because it is faster, cuSOLVER is now preferred.\n\n```python\n"
                  "# pytorch 2.7\nimport torch\n"
                  'torch.backends.cuda.preferred_linalg_library("cusolver")\n```\n')
    result = run_cli("check", str(ws), "--save", "--release", "2.7.0")
    saved = json.loads((done / ".relnotes" / "linalg.check.json").read_text())["snippets"]
    assert [(s["verdict"], s["kind"]) for s in saved] == [("skip", "needs-cuda")]
    assert "needs cuSOLVER, which this torch" in result.stdout
    assert "check-failed" not in {f.code for f in audit(ReleaseFolder.of(tmp_path)).findings}
    steps = result.stderr.splitlines()
    said = [next(i for i, line in enumerate(steps) if text in line)
            for text in ("1 code part(s) to check", "checking the sandbox", "importing torch",
                         "worker ready in", f"{ws}:7: skip needs-cuda")]
    assert said == sorted(said), steps
