"""``relnotes triage``, ``relnotes eval`` and ``relnotes history build`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

from relnotes.worksheet import read_worksheet
from tests.helpers import run_cli
from tests.triage_fixtures import link, write_release


def make(tmp_path: Path) -> Path:
    todo, _ = write_release(tmp_path, {
        "result_cuda.md": {"cuda": {"Untopiced": [
            f"[ROCm] Improve softmax performance {link(1)}",
            f"remove allow-untyped-defs from torch/cuda/x.py {link(2)}",
            f"Fix crash in torch.cuda.synchronize {link(3)}"]}},
        "result_rocm.md": {"rocm": {"Untopiced": [f"Tune gemm {link(4)}"]}},
    }, {"result_cuda.md": {"cuda": {"bug fixes": [f"Fix crash {link(3)}"]}},
        "result_rocm.md": {"rocm": {"performance": [f"Softmax {link(1)}"]}}})
    return todo


def test_triage_json_shape(tmp_path: Path) -> None:
    todo = make(tmp_path)
    out = run_cli("triage", str(todo / "result_cuda.md"), "--offline", "--format", "json")
    doc = json.loads(out.stdout)
    (sheet,) = doc["worksheets"]
    assert sheet["domain"] == "cuda" and len(sheet["items"]) == 3
    first = sheet["items"][0]
    assert first["suggestion"]["section"] == "miscategorized"
    assert first["suggestion"]["domain"] == "rocm"
    assert sheet["items"][1]["suggestion"]["section"] == "not user facing"
    for item in sheet["items"]:
        assert item["suggestion"]["reasons"] and item["suggestion"]["section"] != "Untopiced"


def test_triage_text_report_has_reasons_and_summary(tmp_path: Path) -> None:
    todo = make(tmp_path)
    out = run_cli("triage", str(todo / "result_cuda.md"), "--offline").output
    assert "-> miscategorized -> rocm" in out
    assert "summary at confidence >= 0.90:" in out and "leave the domain" in out
    assert "L01 typing clean-up" in out


def test_triage_write_moves_drops_and_files_elsewhere(tmp_path: Path) -> None:
    todo = make(tmp_path)
    sheet = todo / "result_cuda.md"
    run_cli("triage", str(sheet), "--offline", "--write", "--min-confidence", "0.4")
    ws = read_worksheet(sheet)
    where = {i.prs[0]: i.section.category for i in ws.items()}
    assert where[2] == "not user facing"
    assert 1 not in where  # sent away, and found in miscategorized.md:
    misc = (tmp_path / "miscategorized.md").read_text(encoding="utf-8")
    assert "## rocm (from cuda)" in misc and "#1" in misc
    assert len(ws.items()) + misc.count("pull/1)") == 3  # nothing lost


def test_triage_markdown_keeps_every_item(tmp_path: Path) -> None:
    todo = make(tmp_path)
    sheet = todo / "result_cuda.md"
    before = sheet.read_text(encoding="utf-8")
    out = run_cli("triage", str(sheet), "--offline", "--format", "markdown",
                  "--min-confidence", "0").output
    assert sheet.read_text(encoding="utf-8") == before  # printing does not write
    for n in (1, 2, 3):
        assert f"pull/{n})" in out


def test_eval_and_history_commands(tmp_path: Path) -> None:
    todo = make(tmp_path)
    done = tmp_path / "done"
    hist = tmp_path / "h.json.gz"
    out = run_cli("history", "build", "--pair", f"0.1={todo}:{done}", "--out", str(hist),
                  "--format", "json")
    assert json.loads(out.stdout)["records"] == {"0.1": 4}
    out = run_cli("eval", "--todo", str(todo), "--done", str(done), "--history", str(hist),
                  "--exclude-history", "0.1", "--format", "json")
    report = json.loads(out.stdout)
    assert report["history_releases"] == []
    assert report["triage"]["items"] == 4 and "baseline" in report
    text = run_cli("eval", "--todo", str(todo), "--done", str(done), "--history", str(hist)).output
    assert "fate accuracy" in text and "baseline" in text


def test_history_build_rejects_a_bad_pair() -> None:
    out = run_cli("history", "build", "--pair", "nonsense", expect=2)
    assert "Error:" in out.output


def test_text_report_lists_moves_below_min_confidence_as_stays(tmp_path) -> None:
    from tests.helpers import run_cli

    ws = tmp_path / "fx.md"
    ws.write_text("## fx\n### Untopiced\n- Add a new thing for users (#900010)\n")
    loose = run_cli("triage", str(ws), "--offline").output
    strict = run_cli("triage", str(ws), "--offline", "--min-confidence", "1").output
    assert "  -> " in loose, loose  # the move is proposed at any confidence...
    assert "  -> " not in strict and "[below threshold:" in strict  # ...and held back here
    # the summary counts what applying at the threshold would do
    assert "summary at confidence >= 1.00: 0 stay, 0 move, 0 drop, 0 leave the domain, " \
        "1 changes below the threshold left for review" in strict


def test_code_without_rationale_is_not_a_written_entry() -> None:
    from relnotes.triage import triage_worksheet
    from relnotes.worksheet import parse_worksheet

    head = "## fx\n### bc breaking\n- Change `fx.x` (#900011)\n\n"
    code = "```python\nx = 1\n```\n"
    written = parse_worksheet(head + "Because x was wrong, it now raises.\n\n" + code)
    bare = parse_worksheet(head + code)
    says = lambda ws: any("written bc breaking entry" in r
                          for r in triage_worksheet(ws)[0].reasons)
    assert says(written) and not says(bare)


def test_write_counts_what_happened(tmp_path: Path) -> None:
    ws = tmp_path / "todo" / "result_fx.md"
    ws.parent.mkdir()
    ws.write_text("## fx\n### not user facing\n"
                  "- remove allow-untyped-defs from torch/fx/a.py (#900020)\n"
                  "- [BE] typing clean-up of torch/fx/b.py (#900021)\n")
    out = run_cli("triage", str(ws), "--offline", "--write", "--min-confidence", "0.5",
                  "--format", "json").stdout
    (doc,) = json.loads(out)["worksheets"]
    # both items stay where they are, confidently: two unchanged, nothing else
    assert len(doc["unchanged"]) == 2 and not doc["moved"] and not doc["dropped"]


def test_history_build_writes_to_the_cwd_never_the_package(tmp_path: Path, monkeypatch) -> None:
    from relnotes.triage.history import default_history_path
    from relnotes.triage.learned import policy_path

    shipped = default_history_path().read_bytes()
    shipped_policy = policy_path(default_history_path()).read_bytes()
    todo = make(tmp_path / "release")
    monkeypatch.chdir(tmp_path)
    out = run_cli("history", "build", "--pair", f"0.1={todo}:{todo.parent / 'done'}",
                  "--format", "json").stdout
    doc = json.loads(out)
    assert Path(doc["file"]).resolve() == tmp_path / "history.json.gz"
    assert Path(doc["policy_file"]).resolve() == tmp_path / "history.policy.json"
    assert doc["policies"] == 1 and (tmp_path / "history.policy.json").is_file()
    assert default_history_path().read_bytes() == shipped
    assert policy_path(default_history_path()).read_bytes() == shipped_policy


def test_several_worksheets_get_short_summaries_and_a_total(tmp_path: Path) -> None:
    todo = make(tmp_path)
    out = run_cli("triage", str(todo / "result_cuda.md"), str(todo / "result_rocm.md"),
                  "--offline").output
    summaries = [line for line in out.splitlines() if line.startswith("  summary")]
    assert len(summaries) == 2 and all(len(s) < 90 for s in summaries), summaries
    total = out.rstrip().splitlines()[-1]
    assert total.startswith("total of 2 worksheets, 4 items, at confidence >= 0.90: ")
    assert "leave the domain" in total


def test_progress_line_for_long_runs_only() -> None:
    import io

    from relnotes.cli.progress import StageProgress

    stream = io.StringIO()
    line = StageProgress("triage", items=1200, stream=stream, every=0.0).of("items")
    for n in range(1, 1201, 400):
        line(n, 1200)
    line(1200, 1200)
    assert stream.getvalue().splitlines() == [
        "triage: items 1/1200", "triage: items 401/1200", "triage: items 801/1200",
        "triage: items 1200/1200"]
    quiet = io.StringIO()
    StageProgress("triage", items=60, stream=quiet, every=0.0).of("items")(5, 60)
    assert quiet.getvalue() == ""  # short runs, not a terminal: nothing
