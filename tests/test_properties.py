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
