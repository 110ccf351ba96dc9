"""Property tests: arbitrary text never crashes the parser; what parses round-trips."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relnotes.categories import CATEGORIES
from relnotes.errors import WorksheetError
from relnotes.miscategorized import parse_miscategorized
from relnotes.worksheet import parse_worksheet

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

markdownish = st.text(
    alphabet=st.sampled_from(list("#-*+ \n\r\t`[]()\\:.>|_0123456789abcXYZé\x0c\u2028")),
    max_size=400,
)


@SETTINGS
@given(st.one_of(st.text(max_size=300), markdownish))
def test_arbitrary_text_parses_or_fails_cleanly(text: str) -> None:
    try:
        ws = parse_worksheet(text, path="fuzz.md")
    except WorksheetError as exc:
        assert exc.file == "fuzz.md" and exc.line is not None and exc.line >= 1
        return
    assert ws.render() == text


@SETTINGS
@given(markdownish)
def test_arbitrary_pool_text_parses_or_fails_cleanly(text: str) -> None:
    try:
        pool = parse_miscategorized(text, path="misc.md")
    except WorksheetError as exc:
        assert exc.line is not None
        return
    assert pool.render() == (text or pool.render())


titles = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
                 max_size=40).map(lambda s: s.replace("#", "").strip() or "x")
item_line = st.builds(
    lambda t, n, long: f"- {t} ([#{n}](https://github.com/pytorch/pytorch/pull/{n}))"
    if long else f"- {t} (#{n})",
    titles, st.integers(1, 999999), st.booleans())


@st.composite
def worksheets(draw):
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    sections = draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=6, unique=True))
    lines = ["# Release Notes worksheet fx", "", "Preamble * with - bullets", "", "## fx"]
    expected = 0
    for name in sections:
        lines.append(f"### {name}")
        items = draw(st.lists(item_line, max_size=5))
        expected += len(items)
        lines.extend(items)
        if draw(st.booleans()):
            lines.append("")
    text = eol.join(lines) + (eol if draw(st.booleans()) else "")
    return text, expected, sections


@SETTINGS
@given(worksheets(), st.data())
def test_generated_worksheets_parse_edit_and_round_trip(case, data) -> None:
    text, expected, sections = case
    ws = parse_worksheet(text)
    assert ws.render() == text
    assert len(ws.items()) == expected
    assert [s.category for s in ws.sections] == sections
    if not ws.items():
        return
    item = data.draw(st.sampled_from(ws.items()))
    target = data.draw(st.sampled_from([c for c in CATEGORIES]))
    ws.move(item, target)
    ws.append(data.draw(st.sampled_from(CATEGORIES)), "Added (#1000001)")
    out = ws.render()
    again = parse_worksheet(out)
    assert again.render() == out
    assert len(again.items()) == expected + 1
    assert again.find(item.key) is not None


# ----------------------------------------------------------------------------- every shape
#
# Worksheets and pools built from random pieces in every shape real files use: preambles
# with their own "##" steps, sections in any order, items that are one line, several lines,
# several PRs, grouping bullets with nested items, fenced code, "####" entries; LF or CRLF.
# Each piece knows its PRs and first line, so the test checks that every linked PR is found
# in exactly the item that carries it, and that the file round-trips.

_WORDS = st.sampled_from(["Fix", "Add", "the", "`torch.compile`", "support", "for", "a_b",
                          "CUDA", "[BE]", "docs", "faster", "x86", "`#77`"])


def _title(draw: st.DrawFn) -> str:
    return " ".join(draw(st.lists(_WORDS, min_size=1, max_size=5)))


def _link(n: int, draw: st.DrawFn) -> str:
    """A long link (a quoted "(#12)" in the text does not count then), or a short one."""
    if draw(st.booleans()):
        return f"{draw(st.sampled_from(['', 'Back out (#12) ']))}" \
               f"([#{n}](https://github.com/pytorch/pytorch/pull/{n}))"
    return f"(#{n})"


@st.composite
def _item(draw: st.DrawFn, counter: list[int]) -> tuple[list[str], list[int]]:
    """Lines of one item and the PRs it carries (title and nested bullets)."""
    def pr() -> int:
        counter[0] += 1
        return counter[0]

    shape = draw(st.sampled_from(["one", "multi_line", "multi_pr", "grouping", "fenced",
                                  "entry"]))
    if shape == "one":
        n = pr()
        return [f"- {_title(draw)} {_link(n, draw)}"], [n]
    if shape == "multi_line":
        n = pr()
        return [f"- {_title(draw)}", f"  {_title(draw)} {_link(n, draw)}"], [n]
    if shape == "multi_pr":
        a, b = pr(), pr()
        return [(f"- {_title(draw)} ([#{a}](https://github.com/pytorch/pytorch/pull/{a}), "
                 f"[#{b}](https://github.com/pytorch/pytorch/pull/{b}))")], [a, b]
    if shape == "grouping":
        nested = [pr() for _ in range(draw(st.integers(1, 3)))]
        return ([f"- {_title(draw)}:"]
                + [f"  - {_title(draw)} ([#{n}](https://github.com/pytorch/pytorch/pull/{n}))"
                   for n in nested]), nested
    if shape == "fenced":
        n = pr()
        return [f"- {_title(draw)} {_link(n, draw)}", "", "  Rationale text.", "",
                "  ```python", "  # pytorch 2.7", "  x = torch.ones(2)  # see #999", "  ```"], [n]
    n = pr()
    return [f"#### {_title(draw)} {_link(n, draw)}", "", "Why it changed.", "", "```python",
            "y = 1", "```"], [n]


@st.composite
def _worksheet(draw: st.DrawFn) -> tuple[list[str], list[tuple[int, list[int]]]]:
    counter = [100000]
    lines = ["", "# Release Notes worksheet fx", "", "You should:", "", "1. sort", "2. write"]
    for step in range(draw(st.integers(0, 3))):
        lines += ["", f"## {step + 1}. A step of the plan", "", "* instructions - with a dash"]
    lines += ["", "## fx"]
    expected: list[tuple[int, list[int]]] = []
    for name in draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=6,
                              unique=True)):
        lines.append(f"### {name}")
        for _ in range(draw(st.integers(0, 4))):
            item_lines, prs = draw(_item(counter))
            blocky = item_lines[0].startswith("####") or "```python" in item_lines
            if blocky and lines[-1] != "":
                lines.append("")
            expected.append((len(lines) + 1, prs))
            lines += item_lines
            if "```python" in item_lines or item_lines[0].startswith("####"):
                lines.append("")
    return lines, expected


@st.composite
def _pool(draw: st.DrawFn) -> tuple[list[str], list[tuple[int, list[int]]]]:
    counter = [200000]
    lines = ["# Miscategorized commits", "", "Welcome to the Pool of Miscategorized commits."]
    expected: list[tuple[int, list[int]]] = []

    def items(n: int) -> None:
        for _ in range(n):
            counter[0] += 1
            expected.append((len(lines) + 1, [counter[0]]))
            note = draw(st.sampled_from(["", " (from: cuda)", " _(from nn_frontend worksheet)_"]))
            lines.append(f"- {_title(draw)} {_link(counter[0], draw)}{note}")

    if draw(st.booleans()):
        lines.append("")
        items(draw(st.integers(1, 2)))
    for heading in draw(st.lists(st.sampled_from(
            ["Untopiced", "not user facing", "ROCm", "Inductor / AOTI", "belongs to: cuda",
             "xpu (from quantization)"]), max_size=4, unique=True)):
        lines += ["", f"## {heading}"]
        if draw(st.booleans()):
            lines.append("### bug fixes")
        items(draw(st.integers(0, 3)))
    return lines, expected


def _check(text: str, doc: object, expected: list[tuple[int, list[int]]]) -> None:
    assert doc.render() == text  # type: ignore[attr-defined]
    by_line = {item.line: item.all_prs for item in doc.items()}  # type: ignore[attr-defined]
    assert by_line == dict(expected)


@SETTINGS
@given(_worksheet(), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_every_worksheet_shape_round_trips_and_finds_each_pr_where_it_is(
        case: tuple[list[str], list[tuple[int, list[int]]]], eol: str, final_eol: bool) -> None:
    lines, expected = case
    text = eol.join(lines) + (eol if final_eol else "")
    _check(text, parse_worksheet(text, path="w.md"), expected)


@SETTINGS
@given(_pool(), st.sampled_from(["\n", "\r\n"]))
def test_every_pool_shape_round_trips_and_finds_each_pr_where_it_is(
        case: tuple[list[str], list[tuple[int, list[int]]]], eol: str) -> None:
    lines, expected = case
    text = eol.join(lines) + eol
    _check(text, parse_miscategorized(text, path="miscategorized.md"), expected)
