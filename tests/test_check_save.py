"""`relnotes check --save` writes what `relnotes audit` reads: a failing snippet fails the audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relnotes.audit import audit
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
    report = audit(tmp_path)
    codes = {f.code for f in report.findings}
    assert "check-failed" in codes, report.to_json()
