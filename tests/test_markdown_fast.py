"""The fast path of scan_blocks gives exactly what markdown-it alone gives.

Runs of plain one-line bullets are read without markdown-it (``relnotes.markdown``); this
is only worth having if it is indistinguishable: the same blocks, and the same references
(own PRs, mentions, commits; :mod:`relnotes.prrefs`) read from them. Checked on every real file of 2.7.0 and
2.8.0, and on generated text full of the characters that change markdown's mind.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from relnotes.errors import StructureError
from relnotes.fileio import read_text, split_lines
from relnotes.markdown import Block, _scan_fast, scan_blocks
from relnotes.prrefs import refs_of_block
from tests.helpers import DATA, data_files

REAL = data_files("**/*.md")


def _key(block: Block) -> tuple[Any, ...]:
    # the references under the default repository and under the one the generated text
    # links to: own PRs, mentions, commits, other repositories' PRs
    return (block.kind, block.start, block.end, block.level, block.text, block.title_start,
            block.title_end, refs_of_block(block), refs_of_block(block, repo="o/r"),
            [len(run) for run in block.nested_inline], block.ordered)


def _same(lines: list[str]) -> bool:
    try:
        slow = [_key(b) for b in scan_blocks(lines, fast=False)]
    except StructureError as exc:
        with pytest.raises(StructureError) as again:
            scan_blocks(lines)
        assert again.value.line == exc.line
        return False
    fast_blocks = _scan_fast(lines)
    if fast_blocks is None:
        return False
    assert [_key(b) for b in fast_blocks] == slow
    return True


def test_fast_path_equals_markdown_it_on_every_real_file() -> None:
    assert len(REAL) > 170, f"real data missing at {DATA}"
    used = sum(_same(split_lines(read_text(path))) for path in REAL)
    assert used > 150  # the fast path really is taken on real worksheets


_LINE = st.one_of(
    st.builds(lambda m, t: f"{m} {t}", st.sampled_from(["-", "*", "+", "- ", "-  ", "1."]),
              st.lists(st.sampled_from(
                  list("ab _`[]()#<>&*!\\:-=~|") + ["(#12)", "[#3](https://github.com/o/r/pull/3)",
                                                    "<!--", "```", "  ", "x_y", "(abc1234)", "[BE]", "[ref]",
                                                    "_#5_", "*#7*", "#8_", "(abc1234)_",
                                                    "__init__", "![i](u)", "[a](b c)", "torch._x",
                                                    "(_abc1234_)", "#12__", "_",
                                                    # what tells own PRs from mentions
                                                    '"', " -- ", "**", " and ",
                                                    "https://github.com/o/r/pull/4",
                                                    "[#5](https://github.com/x/y/pull/5)",
                                                    "[#6](https://github.com/o/r/issues/6)"]),
                       max_size=12).map("".join)),
    st.sampled_from(["", "## fx", "### bug fixes", "```", "~~~", "  ```", "<!-- x -->",
                     "<div>", "text", "  continued", "    code", "---", "===", "> quote",
                     "[ref]: https://github.com/o/r/pull/9", "- - -", "\t- tab"]),
)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINE, max_size=25), st.sampled_from(["\n", "\r\n"]))
# bullets of one run with different spacing: an indented fence after the run belongs to
# the last item for one content indent and not for the other (found by hypothesis)
@example(["-  a", "- a", "  ```", "  x", "  ```"], "\n")
@example(["- a", "-  a", "  ```", "```", "- ```"], "\n")
@example(["- a", "- ![#3](https://github.com/o/r/pull/3)"], "\n")  # an image, not a link
@example(["[ref]: https://github.com/o/r/pull/9", "- a", "- [ref]"], "\n")  # a reference
@example(["- a", "- _#5_ and #8_ (abc1234)_"], "\n")  # emphasis next to references
def test_fast_path_equals_markdown_it_on_generated_text(lines: list[str], eol: str) -> None:
    _same(split_lines(eol.join(lines) + eol))
