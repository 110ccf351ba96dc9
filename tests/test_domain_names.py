"""One domain normaliser (issue 20): ``nn_frontend`` and ``NN frontend`` are one domain in
every place that compares domains -- review's domain list, pool targets, the final notes'
area table and triage. Four functions used to split 2-2 on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from relnotes.categories import normalise_heading, same_domain
from relnotes.final_areas import load_area_table
from relnotes.miscategorized import canonical_domains, parse_miscategorized
from relnotes.release import ReleaseFolder
from relnotes.review import known_domains
from relnotes.triage import triage_worksheet
from relnotes.triage.domains import normalise_domain, same_family
from relnotes.worksheet import parse_worksheet
from tests.workflow_fixtures import LINK, WORKSHEET

SPELLINGS = ["nn_frontend", "NN frontend", "nn\\_frontend", "  Nn   Frontend: ", "NN_Frontend"]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_one_key_for_every_spelling(spelling: str) -> None:
    assert normalise_heading(spelling) == "nn frontend"
    assert same_domain(spelling, "nn_frontend")
    assert not same_domain(spelling, "nn")


def test_review_lists_a_domain_once_whatever_its_spelling(tmp_path: Path) -> None:
    (tmp_path / "todo").mkdir()
    path = tmp_path / "todo" / "result_quantization.md"
    path.write_text(WORKSHEET)
    (tmp_path / "todo" / "result_nn_frontend.md").write_text(
        WORKSHEET.replace("## quantization", "## nn_frontend"))
    (tmp_path / "miscategorized.md").write_text(
        f"# Miscategorized commits\n\n## NN frontend (from Quantization)\n- x {LINK.format(n=9)}\n")
    release = ReleaseFolder.of(path)
    assert known_domains(release, own="quantization") == ["nn_frontend"]
    assert known_domains(release, own="NN frontend") == ["quantization"]


def test_pool_targets_and_sources_in_any_spelling() -> None:
    assert canonical_domains("NN frontend", ["nn_frontend", "fx"]) == ["nn_frontend"]
    pool = parse_miscategorized(
        f"# Miscategorized commits\n\n## nn_frontend (from fx)\n- a {LINK.format(n=1)}\n\n"
        f"## NN Frontend (from fx)\n- b {LINK.format(n=2)}\n",
        path="miscategorized.md", known_domains=["nn_frontend", "fx"])
    for spelling in SPELLINGS:
        assert [i.prs for i in pool.items_for(spelling)] == [[1], [2]], spelling


def test_the_area_table_places_every_spelling_alike() -> None:
    table = load_area_table()
    place, warning = table.place("nn_frontend")
    assert warning is None
    for spelling in SPELLINGS:
        assert table.place(spelling) == (place, None), spelling
        assert table.domain_rank(spelling) == table.domain_rank("nn_frontend")


def test_triage_matches_domains_in_any_spelling() -> None:
    known = {"mps", "nn_frontend", "distributed (dtensor)", "distributed"}
    for spelling in SPELLINGS:
        assert normalise_domain(spelling, known) == "nn_frontend"
    assert normalise_domain("build\\_frontend") == "build_frontend"  # unknown: as written
    assert same_family("Distributed (DTensor)", "distributed")
    # an [MPS] tag in the MPS worksheet names its own domain: no move to "mps"
    for heading in ("mps", "MPS"):
        ws = parse_worksheet(WORKSHEET.replace("## quantization", f"## {heading}").replace(
            "[CUDA] speed up baz", "[MPS] speed up baz"), path=f"{heading}.md")
        (item,) = [s for s in triage_worksheet(ws, known_domains=known) if s.item.prs == [104]]
        assert item.section != "miscategorized" and item.domain is None, heading


def test_triage_gives_one_answer_for_both_spellings() -> None:
    """With the shipped history: the worksheet's domain is looked up as the history
    spells it, so ``## NN frontend`` is triaged as ``## nn_frontend``."""
    from relnotes.triage.history import load_history

    history = load_history()
    out = []
    for heading in ("nn_frontend", "NN frontend"):
        ws = parse_worksheet(WORKSHEET.replace("## quantization", f"## {heading}"),
                             path="w.md")
        out.append([(s.section, s.domain, s.confidence, s.reasons)
                    for s in triage_worksheet(ws, history=history)])
    assert out[0] == out[1]
