"""Online evidence, end to end: PR labels, body notes and changed files, fetched from the
project's GitHub-compatible server with `relnotes fetch`, then `relnotes triage`.

One fixture per rule, shaped like a real PyTorch PR (labels, files, body as pytorchbot and
authors write them); each test names the rule of relnotes/data/triage_labels.toml or
triage_paths.toml it exercises. The worksheets sit in a 2.10.0 folder: triaged with the
shipped history's three releases, like a maintainer of the next release."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.github_server import FakeGitHub, start_server
from tests.helpers import run_cli
from tests.triage_fixtures import link, worksheet_text


def _pr(number: int, title: str, *, labels: list[str], files: list[str],
        body: str = "Summary: as titled.\n\nTest Plan: CI") -> dict[str, Any]:
    return {"number": number, "title": title, "body": body, "state": "MERGED", "merged": True,
            "createdAt": "2025-10-01T00:00:00Z", "mergedAt": "2025-10-02T00:00:00Z",
            "updatedAt": "2025-10-02T00:00:00Z", "author": "someone",
            "labels": [*labels, "ciflow/trunk", "Merged"], "files": files}


PRS = [
    _pr(910001, "Remove the deprecated `fallback_random` config",
        labels=["module: bc-breaking", "topic: bc breaking", "release notes: inductor"],
        files=["torch/_inductor/config.py", "test/inductor/test_torchinductor.py"],
        body="Summary: removes it.\n\nBC-breaking note:\n`fallback_random` is gone; use ..."),
    _pr(910002, "Warn when `max_autotune_gemm_backends` lists an unknown backend",
        labels=["module: deprecation", "release notes: inductor"],
        files=["torch/_inductor/select_algorithm.py"]),
    _pr(910003, "Fix observer placement for int8 linear",
        labels=["release notes: quantization"],
        files=["torch/ao/quantization/observer.py", "torch/_inductor/fx_passes/quant.py"]),
    _pr(910004, "Fix all-gather lowering", labels=["release notes: inductor"],
        files=["torch/distributed/_functional_collectives.py",
               "torch/distributed/distributed_c10d.py"]),
    _pr(910005, "Fix all-reduce lowering", labels=[],
        files=["torch/distributed/_functional_collectives.py",
               "torch/distributed/distributed_c10d.py"]),
    _pr(910006, "Split the test for foreach kernels", labels=["topic: not user facing"],
        files=["test/inductor/test_foreach.py", "test/inductor/test_combo_kernels.py"]),
    _pr(910007, "Bump the triton pin", labels=[],
        files=[".ci/docker/ci_commit_pins/triton.txt", ".github/workflows/inductor.yml"]),
    _pr(910008, "Bump the CUDA pin", labels=[],
        files=[".ci/docker/common/install_cuda.sh", ".github/workflows/trunk.yml"]),
    _pr(910009, "Explain how to read generated kernels", labels=[],
        files=["docs/source/torch.compiler_inductor_profiling.md"]),
    _pr(910010, "Add a fast path for pointwise reductions", labels=["Reverted"],
        files=["torch/_inductor/codegen/triton.py"]),
    _pr(910011, "Back out the pointwise reduction fast path", labels=[],
        files=["torch/_inductor/codegen/triton.py"],
        body="Reverts #910010\n\nIt broke the nightly perf dashboard."),
    _pr(910012, "Fix constant folding of packed weights",
        labels=[], files=["torch/_inductor/codegen/aoti_runtime/interface.cpp",
                          "torch/csrc/inductor/aoti_runtime/model.h"]),
    _pr(910013, "Fix state dict loading with empty shards", labels=[],
        files=["torch/distributed/checkpoint/state_dict_loader.py",
               "torch/distributed/checkpoint/planner.py"]),
]
INDUCTOR = {
    "improvements": [f"Remove the deprecated `fallback_random` config {link(910001)}",
                     (f"Warn when `max_autotune_gemm_backends` lists an unknown backend "
                      f"{link(910002)}")],
    "bc breaking": [f"Split the test for foreach kernels {link(910006)}"],
    "Untopiced": [f"Fix observer placement for int8 linear {link(910003)}",
                  f"Fix all-gather lowering {link(910004)}",
                  f"Fix all-reduce lowering {link(910005)}",
                  f"Bump the triton pin {link(910007)}",
                  f"Explain how to read generated kernels {link(910009)}",
                  f"Add a fast path for pointwise reductions {link(910010)}",
                  f"Back out the pointwise reduction fast path {link(910011)}",
                  f"Fix constant folding of packed weights {link(910012)}",
                  f"Fix state dict loading with empty shards {link(910013)}"],
}
RELENG = {"Untopiced": [f"Bump the CUDA pin {link(910008)}"]}


@pytest.fixture(scope="module")
def triaged(tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, Any]]:
    """Each PR's suggestion, after `relnotes fetch` from the server and `relnotes triage`."""
    root = tmp_path_factory.mktemp("online")
    todo = root / "2.10.0" / "todo"
    todo.mkdir(parents=True)
    (todo / "result_inductor.md").write_text(worksheet_text("inductor", INDUCTOR))
    (todo / "result_releng.md").write_text(worksheet_text("releng", RELENG))
    server = start_server(FakeGitHub(fixtures={"pytorch/pytorch": {p["number"]: p
                                                                   for p in PRS}}))
    patch = pytest.MonkeyPatch()
    try:
        patch.setenv("RELNOTES_CACHE", str(root / "cache.sqlite"))
        patch.setenv("GITHUB_API_URL", server.url)
        patch.chdir(root)
        files = [str(todo / "result_inductor.md"), str(todo / "result_releng.md")]
        run_cli("fetch", *files, "--api-url", server.url)
        doc = json.loads(run_cli("triage", *files, "--offline", "--format", "json").stdout)
    finally:
        patch.undo()
        server.stop()
    return {item["prs"][0]: item["suggestion"] for ws in doc["worksheets"]
            for item in ws["items"]}


def _says(suggestion: dict[str, Any], text: str) -> bool:
    return any(text in r for r in suggestion["reasons"] + suggestion["consider"])


def test_bc_breaking_labels_and_body_note_suggest_the_section(triaged) -> None:
    s = triaged[910001]  # labels: module: bc-breaking, topic: bc breaking; body's note
    assert s["section"] == "bc breaking", s
    assert _says(s, "label 'module: bc-breaking'") and _says(s, "BC-breaking note")


def test_deprecation_label_suggests_deprecation(triaged) -> None:
    s = triaged[910002]  # labels."module: deprecation"
    assert s["section"] == "deprecation" and _says(s, "module: deprecation"), s


def test_release_notes_label_of_another_domain_moves_the_item(triaged) -> None:
    s = triaged[910003]  # release notes: quantization, in the inductor worksheet
    assert (s["section"], s["domain"]) == ("miscategorized", "quantization"), s
    assert _says(s, "label 'release notes: quantization'")


def test_release_notes_label_of_this_domain_wins_over_the_files(triaged) -> None:
    labelled, unlabelled = triaged[910004], triaged[910005]  # same files, distributed's
    assert (unlabelled["section"], unlabelled["domain"]) == ("miscategorized", "distributed")
    assert labelled["section"] != "miscategorized", labelled
    assert _says(labelled, "names this worksheet's domain")


def test_tests_only_files_drop_even_a_presorted_bc_item(triaged) -> None:
    s = triaged[910006]  # test_files; pre-sorted in bc breaking
    assert s["section"] == "not user facing", s
    assert _says(s, "changes only tests") and _says(s, "leaves bc breaking")


def test_ci_only_files_drop_outside_releng_only(triaged) -> None:
    assert triaged[910007]["section"] == "not user facing"  # ci_files, inductor worksheet
    assert _says(triaged[910007], "changes only CI files")
    assert not _says(triaged[910008], "changes only CI files")  # releng's own subject


def test_docs_only_files_vote_for_docs(triaged) -> None:
    """doc_files: the vote makes docs the place if the item is published (whether it is
    stays the history's and the maintainer's call: suggested or the first alternative)."""
    s = triaged[910009]
    assert _says(s, "changes only documentation"), s
    published = [c for c in s["consider"] if not c.startswith(("not user facing", "bc ",
                                                                 "deprecation"))]
    assert s["section"] == "docs" or (published and published[0].startswith("docs")), s


def test_a_reverted_pr_and_its_revert_are_both_dropped(triaged) -> None:
    for pr in (910010, 910011):  # Reverted label; the revert names it in its body
        s = triaged[pr]
        assert s["section"] == "not user facing" and _says(s, "revert pair"), s


def test_aoti_files_go_to_inductor_aoti_not_inductor(triaged) -> None:
    s = triaged[910012]  # paths: torch/_inductor/codegen/aoti before torch/_inductor/
    assert (s["section"], s["domain"]) == ("miscategorized", "inductor (aoti)"), s


def test_rule_order_checkpoint_before_distributed(triaged) -> None:
    s = triaged[910013]  # torch/distributed/checkpoint/ before torch/distributed/
    assert (s["section"], s["domain"]) == ("miscategorized", "distributed (checkpoint)"), s
