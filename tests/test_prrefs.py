"""One repository-aware rule for PR references (issues 19 and 20, relnotes.prrefs).

An item's PRs are its own links (the trailing link or links of a bullet); a PR its title
names otherwise is a mention; another repository's PR is never the repository's and is
never shortened to ``#N``. The cases are the ones reported, on real titles.
"""

from __future__ import annotations

import pytest

from relnotes.finalnotes import parse_final_notes
from relnotes.lint import lint_worksheet
from relnotes.prrefs import refs_of_title, shorten_links, shorten_title
from relnotes.triage.reverts import find_revert_pairs
from relnotes.triage.titles import clean_title
from relnotes.worksheet import Item, parse_worksheet

PT = "https://github.com/pytorch/pytorch/pull/{n}"
LINK = "[#{n}](https://github.com/pytorch/pytorch/pull/{n})"


def _item(title: str, *, repo: str = "pytorch/pytorch") -> Item:
    (item,) = parse_worksheet(f"## fx\n### bug fixes\n- {title}\n", repo=repo).items()
    return item


@pytest.mark.parametrize(("title", "prs", "mentions"), [
    # the title names the PR it partially reverts: a mention (real 2.8.0 jit)
    (f"Partilally revert {PT.format(n=152288)} ({LINK.format(n=152909)})", [152909], [152288]),
    (f'Revert "Foo (#123)" ({LINK.format(n=456)})', [456], [123]),
    ('Revert "Foo (#123)" (#456)', [456], [123]),  # the same, written short
    # a done-file bullet of several PRs stands for each of them
    ("Enable Windows ARM64 CI testing (#148753, #161504)", [148753, 161504], []),
    (f"Foo ({LINK.format(n=1)}, {LINK.format(n=2)})", [1, 2], []),
    (f"Foo ({LINK.format(n=1)}) ({LINK.format(n=2)}).", [1, 2], []),
    (f"Foo ({LINK.format(n=1)}) (#2)", [1, 2], []),  # a PR added by hand after the link
    # links wherever they stand (real 2.8.0 torch.func)
    (f"`scatter_add_` ({LINK.format(n=150543)}), `matrix_exp` ({LINK.format(n=155202)})",
     [150543, 155202], []),
    # a reland's title quotes the PRs it comes from; its own is the link (real 2.8.0)
    (f'Reapply "Cleanup VS 2019 refs (#145863)" (#152613) ({LINK.format(n=155478)})',
     [155478], [145863, 152613]),
    ("Fix #155016 for Docathon - convert rst to markdown (#155198)", [155198], [155016]),
    ("`addmv` (#143792) New meta tensor implementations", [143792], []),  # real 2.7.0
    ("Fix pin_memory() #149033 -- added to be with 145752", [149033], []),  # real 2.7.0
    (f"Misc. tracing support ([#153150]{PT.format(n=153150)}))", [153150], []),  # real 2.8.0
    ("Fix a thing (#147240,#146413m  #145848)", [147240, 145848], []),  # typo kept in
    ("See issue [#157921](https://github.com/pytorch/pytorch/issues/157921) (#5)", [5],
     [157921]),  # an issue link names a number, never a PR of the item
])
def test_own_prs_and_mentions(title: str, prs: list[int], mentions: list[int]) -> None:
    item = _item(title)
    assert (item.prs, item.mentions) == (prs, mentions)
    assert item.keys == [f"pr:{n}" for n in prs]


@pytest.mark.parametrize(("title", "pr", "mention"), [
    # real 2.7.0-2.9.0 titles: a group with words before its number is a note, not the
    # item's references, also when another group follows it
    ("[inductor] Add features to docstring_linter (see #142496) ({link})", 145834, 142496),
    ("[inductor] Add tests for new docstring_linter features (fix #142496) ({link})",
     144621, 142496),
    ("Implemented ncclCommInitRankScalable (merging #136789) ({link})", 144794, 136789),
    (("Only use `f8f8bf16` rowwise scaled matmul to SM 9.0 (precedes #148421 adding of "
      "kernel) ({link})"), 145728, 148421),
    ("[triton 3.3] Fix aoti cpp wrapper remaining 5 issue. (following #148051) ({link})",
     148117, 148051),
    ("Unbreak torch.is_vulkan_available() on Mac (re-send of #154675, please stamp) ({link})",
     155595, 154675),
])
def test_a_group_of_words_before_the_trailing_one_is_a_mention(title: str, pr: int,
                                                               mention: int) -> None:
    long, short = title.format(link=LINK.format(n=pr)), title.format(link=f"#{pr}")
    for form in (long, short):  # the short form read the note's number as an own PR
        assert (_item(form).prs, _item(form).mentions) == ([pr], [mention]), form
    assert shorten_title(long) == short  # was kept long: the two forms disagreed


def test_another_repositorys_pr_is_never_ours() -> None:
    # "Cherry-pick ... test-infra ... into PT": no PR of pytorch/pytorch at all; it falls
    # back to the title key like any item without a PR
    item = _item("Cherry-pick https://github.com/pytorch/test-infra/pull/7561 into PT")
    assert item.prs == [] and item.mentions == [] and item.key == "title:cherry pick into pt"
    refs = refs_of_title("Cherry-pick https://github.com/pytorch/test-infra/pull/7561 into PT")
    assert refs.elsewhere == ("pytorch/test-infra#7561",)
    ao = "Quantize it ([#5](https://github.com/pytorch/ao/pull/5))"
    assert _item(ao).prs == [] and _item(ao, repo="pytorch/ao").prs == [5]
    # a commit hash is what an item without a PR is
    assert _item('Revert "X (#139903)" (6356690b3d2)').commits == ["6356690b3d2"]


def test_clean_titles_never_shorten_another_repositorys_link() -> None:
    ao = "[BE] add foo ([#5](https://github.com/pytorch/ao/pull/5))"
    assert clean_title(ao) == "Add foo ([#5](https://github.com/pytorch/ao/pull/5))"
    assert clean_title(ao, repo="pytorch/ao") == "Add foo (#5)"
    assert clean_title(f"[BE] fix bar ({LINK.format(n=7)})") == "Fix bar (#7)"
    # shortening that would make a reland stand for the PR its title quotes stays long
    reland = f"Propagate types using ParamSpec (#142306) ({LINK.format(n=143797)})"
    assert shorten_title(reland) == reland
    assert shorten_title(f"Fix #153942 ({LINK.format(n=153943)})") == "Fix #153942 (#153943)"


def test_final_text_keeps_other_repositories_links() -> None:
    text = (f"- A ({LINK.format(n=1)}) and [#5](https://github.com/pytorch/ao/pull/5), "
            f"{PT.format(n=2)}\n")
    assert shorten_links(text) == \
        "- A (#1) and [#5](https://github.com/pytorch/ao/pull/5), #2\n"
    notes = parse_final_notes("# PyTorch 2.9.0 Release Notes\n# Improvements\n## Python Frontend\n"
                              + shorten_links(text), path="final.md")
    assert [list(item.refs) for item in notes.published()] == [[1, 2]]  # not torchao's #5


def test_lint_asks_to_shorten_only_the_repositorys_links() -> None:
    text = ("# Release Notes worksheet fx\n\nUse (#PR_NUM).\n\n## fx\n### bug fixes\n"
            f"- Ours ({LINK.format(n=1)})\n- Theirs ([#2](https://github.com/pytorch/ao/pull/2))"
            " (#3)\n")
    found = lint_worksheet(parse_worksheet(text, path="w.md"))
    assert [(f.line, f.code) for f in found if f.code == "long-link"] == [(7, "long-link")]


def test_lint_asks_to_shorten_only_what_shorten_title_shortens() -> None:
    """Real 2.7.0 (autograd_frontend): ``(#144120) ([#146372](..))`` stays long, since
    ``(#144120) (#146372)`` would stand for both PRs; lint asked to shorten it anyway."""
    title = ("[Submodule] Turning flash-attention integration into 3rd party submod (#144120) "
             f"({LINK.format(n=146372)})")
    text = ("# Release Notes worksheet fx\n\nUse (#PR_NUM).\n\n## fx\n### bug fixes\n"
            f"- {title}\n- Ours ({LINK.format(n=1)})\n")
    assert shorten_title(title) == title
    found = lint_worksheet(parse_worksheet(text, path="w.md"))
    assert [(f.line, f.code) for f in found if f.code == "long-link"] == [(8, "long-link")]


def test_a_revert_pairs_with_the_pr_its_title_names() -> None:
    """The reverted item was retitled, so titles no longer match; the number still does."""
    ws = parse_worksheet("## fx\n### bug fixes\n"
                         f"- Faster tracing for every graph ({LINK.format(n=123)})\n"
                         f'- Revert "Speed up tracing (#123)" ({LINK.format(n=456)})\n')
    pairs = find_revert_pairs(ws.items())
    assert len(pairs.partner) == 2


def test_grouping_items_into_one_bullet_keeps_every_pr() -> None:
    """The Item API a grouping step uses (CONTRIBUTING.md): take the others out, retitle
    the first with every PR; nothing is lost and the change table says grouped."""
    from relnotes.changes import summarise_changes

    text = ("## releng\n### improvements\n### Untopiced\n"
            f"- Create pallas test shard ({LINK.format(n=167143)})\n"
            f"- Swap pallas test shard to 12.8 ({LINK.format(n=167428)})\n")
    generated, ws = parse_worksheet(text), parse_worksheet(text)
    first, other = ws.items()
    ws.remove(other)
    ws.set_title(first, "Add Pallas CI testing (#167143, #167428)")
    ws.move(first, "improvements")
    assert first.prs == [167143, 167428] and first.key == "pr:167143"
    assert first.keys == ["pr:167143", "pr:167428"] and ws.items() == [first]
    summary = summarise_changes(generated, ws)
    assert summary.removed == [] and len(summary.moved) == 2
    assert summary.grouped == [{"key": "pr:167143", "prs": [167143, 167428],
                                "items": ["pr:167143", "pr:167428"]}]


def test_the_repo_setting_decides_whose_prs_a_file_holds(tmp_path) -> None:
    """``relnotes parse`` reads the PR numbers of the ``repo`` setting: in a
    torchao release folder ``[#5](.../pytorch/ao/pull/5)`` is the item's PR."""
    import json

    from tests.helpers import run_cli

    sheet = tmp_path / "result_quantization.md"
    sheet.write_text("## quantization\n### bug fixes\n"
                     "- Fix it ([#5](https://github.com/pytorch/ao/pull/5))\n"
                     f"- Port it ({LINK.format(n=7)})\n")
    items = json.loads(run_cli("parse", str(sheet), "--format", "json").stdout)[
        "sections"][0]["items"]
    assert [i["prs"] for i in items] == [[], [7]]
    (tmp_path / "pyproject.toml").write_text('[tool.relnotes]\nrepo = "pytorch/ao"\n')
    items = json.loads(run_cli("parse", str(sheet), "--format", "json").stdout)[
        "sections"][0]["items"]
    assert [i["prs"] for i in items] == [[5], []]


def test_lint_reads_every_pr_of_a_bullet_and_no_mention() -> None:
    text = ("## fx\n### improvements\n- Add it and extend it (#1, #2)\n"
            f"- Extend it again ({LINK.format(n=2)})\n"
            f'- Revert "Add it (#1)" ({LINK.format(n=3)})\n')
    found = [(f.line, f.code) for f in lint_worksheet(parse_worksheet(text, path="w.md"))]
    assert found == [(4, "duplicate-pr")]  # #2 twice; the revert only names #1
