"""The fast paths of triage give the answers of the slow ones.

Triage skips work it can prove useless (a pattern whose words a title lacks, titles too
long or short to be near-duplicates, a second process for half the items). Each shortcut
is checked against the plain computation, on the real titles of both releases where the
data is present and on generated text everywhere.
"""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

from relnotes.prrefs import strip_pr_refs
from relnotes.release import worksheet_files
from relnotes.triage import parallel
from relnotes.triage.history import History, HistoryRecord, WordModel, title_words
from relnotes.triage.planning import Run, plan_worksheet, suggest_items
from relnotes.triage.reverts import find_revert_pairs
from relnotes.triage.rules import RULES, match_rules
from relnotes.triage.run import triage_worksheets
from relnotes.triage.similar import TitleIndex
from relnotes.triage.stakes import _INTERNAL, _LIKELY_DEP, WORDING, _scan
from relnotes.triage.textscan import Gate, GateSet, lowered, needles, without_refs
from relnotes.triage.titles import _IDENTIFIER
from relnotes.worksheet import parse_worksheet, read_worksheet
from tests.helpers import DATA
from tests.triage_fixtures import link, worksheet_text

PATTERNS = [r.pattern for r in RULES] + [w.pattern for w in WORDING] + [
    _INTERNAL, _LIKELY_DEP, _IDENTIFIER]


def real_titles() -> list[str]:
    titles: list[str] = []
    for release in ("2.7.0", "2.8.0"):
        for kind in ("todo", "done"):
            folder = DATA / release / kind
            if folder.is_dir():
                titles += [i.title for p in worksheet_files(folder)
                           for i in read_worksheet(p).items()]
    return list(dict.fromkeys(titles))


TRICKY = [
    "", " ", "Revert \"[BE] drop cuda 11.8\" (#123)", "BE: tidy", "[bE ] x", "no  longer",
    "Backwards-Incompatible change", "backward incompatible", "USE_CUDNN=1 build",
    "-Wno-unused warnings in the build", "ſecurity ﬁx (non-ASCII)", "KELVIN K kelvin",
    "foo_bar.baz() and `x`y_z", "x::y() call()", "Deprecate `torch.foo` in favour of bar",
    "Update the pin", "[2/N] stack", "(3 / n) stack", "typo in docs.rst",
]


def test_needles_of_simple_patterns() -> None:
    assert needles(re.compile(r"\bci\b|\bdocker\b", re.IGNORECASE)) == {"ci", "docker"}
    assert needles(re.compile(r"\bdoc(s|string)?\b")) == {"doc"}
    assert needles(re.compile(r"\b(be|bE)\b", re.IGNORECASE)) == {"be"}
    assert needles(re.compile(r"\w+")) is None  # nothing any match must contain
    assert needles(re.compile(r"a?b*")) is None
    assert needles(re.compile(r"x|\w+")) is None  # one branch has no needle


@pytest.mark.parametrize("text", TRICKY)
def test_gates_agree_with_the_patterns_on_tricky_titles(text: str) -> None:
    for pattern in PATTERNS:
        gate = Gate.of(pattern)
        assert (gate.search(text, lowered(text)) is None) == (pattern.search(text) is None), \
            (pattern.pattern, text)


def test_gates_agree_with_the_patterns_on_every_real_title() -> None:
    titles = real_titles()
    if not titles:
        pytest.skip("real release data not present")
    titles += [strip_pr_refs(t) for t in titles]
    gates = GateSet(PATTERNS)
    for text in titles:
        expected = tuple(i for i, p in enumerate(PATTERNS) if p.search(text))
        assert gates.matching(text) == expected, text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.ascii_letters + " _-.:[]()`+/#'\"0123456789"
               + "ſK", max_size=60))
def test_gates_agree_with_the_patterns_on_generated_text(text: str) -> None:
    gates = GateSet(PATTERNS)
    assert gates.matching(text) == tuple(i for i, p in enumerate(PATTERNS) if p.search(text))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["fix", "ci", "test", "deprecate", "remove", "the", "API",
                                 "torch.nn", "support", "no", "longer", "`x`", "[BE]",
                                 "(#12)", "CUDA 11.8", "docs", "revert", "_", "build"]),
                max_size=8))
def test_gates_agree_on_generated_titles_made_of_rule_words(words: list[str]) -> None:
    text = " ".join(words)
    assert [r.id for r in match_rules(text)] == [r.id for r in RULES if r.pattern.search(text)]
    wording, internal, likely = _scan(text)
    assert [w.id for w in wording] == [w.id for w in WORDING if w.pattern.search(text)]
    assert internal == bool(_INTERNAL.search(text)) and likely == bool(_LIKELY_DEP.search(text))


def test_without_refs_is_strip_pr_refs() -> None:
    titles = real_titles() + TRICKY + [
        "a  b", " lead", "trail ", 'quote "', "x (#1)", "http://github.com/a/b/pull/1 y"]
    for t in titles:
        assert without_refs(t) == strip_pr_refs(t), t
        assert without_refs(without_refs(t)) == strip_pr_refs(strip_pr_refs(t)), t


def _plain_similar(titles: list[str], query: str) -> list[tuple[float, int]]:
    found = process.extract(query, titles, scorer=fuzz.ratio, limit=3, score_cutoff=88.0)
    return [(score, idx) for _, score, idx in found]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="abc d", max_size=30), max_size=40),
       st.text(alphabet="abc d", max_size=30))
def test_length_window_finds_what_scoring_every_title_finds(titles: list[str],
                                                            query: str) -> None:
    assert TitleIndex(titles).similar(query, limit=3, cutoff=88.0) == \
        _plain_similar(titles, query)


def test_length_window_on_real_titles() -> None:
    titles = [t.lower() for t in real_titles()][:1500]
    if not titles:
        pytest.skip("real release data not present")
    window = TitleIndex(titles)
    for query in titles[::7] + [t + " v3" for t in titles[::50]]:
        assert window.similar(query, limit=3, cutoff=88.0) == _plain_similar(titles, query)


def _history() -> History:
    records = []
    fates = ["not user facing", "bug fixes", "improvements", "bc breaking", "miscategorized",
             "new features", "deprecation", "performance"]
    words = ["fix", "crash", "add", "support", "remove", "deprecated", "ci", "test", "faster",
             "kernel", "[inductor]", "api", "docs"]
    for i in range(400):
        title = " ".join(words[(i * k) % len(words)] for k in (1, 3, 7))
        records.append(HistoryRecord("2.7.0" if i % 3 else "2.8.0",
                                     ("mps", "releng", "inductor")[i % 3],
                                     "Untopiced", fates[i % len(fates)],
                                     "inductor" if fates[i % len(fates)] == "miscategorized"
                                     else None, title))
    return History(records)


def test_leans_equal_the_word_models_with_their_fallback() -> None:
    h = _history()
    for title in ("fix crash in kernel", "remove deprecated api", "ci test", "nothing known"):
        for domain in ("mps", "releng", "nowhere"):
            words = sorted(title_words(title))

            def plain(local: WordModel | None, overall: WordModel,
                      words: list[str] = words) -> tuple[float, list]:
                scored = (local or overall).evidence(words, overall)
                return sum(v for _, v in scored), scored

            local = h._local(domain)
            assert (local is None) == (domain == "nowhere")
            assert h.word_evidence(title, domain) == plain(
                local.publish if local else None, h._publish)
            assert h.stakes_evidence(title, domain) == plain(
                local.stakes if local else None, h._stakes)
            expected = {}
            for section, overall in h._section.items():
                total, scored = plain(local.sections.get(section) if local else None, overall)
                if scored:
                    expected[section] = (total, scored)
            assert h.section_evidence(title, domain) == expected


def _big_worksheet(n: int) -> str:
    base = ["Fix crash in torch.cat", "[BE] tidy up", "Add support for int4", "Revert \"x\"",
            "x", "Deprecate torch.foo", "[Inductor] faster matmul", "Update pin"]
    items = {"Untopiced": [f"{base[i % len(base)]} v{i} {link(1000 + i)}" for i in range(n)],
             "not user facing": [f"Update docs {link(9000 + i)}" for i in range(n // 4)]}
    return worksheet_text("mps", items)


def test_parallel_triage_gives_the_suggestions_of_one_process(monkeypatch) -> None:
    sheets = [parse_worksheet(_big_worksheet(300), path=f"2.8.0/todo/result_{i}.md")
              for i in range(2)]
    history = _history()
    serial = triage_worksheets(sheets, history=history, jobs=1)
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 10)
    monkeypatch.setattr(parallel, "_SLICE", 97)  # slices that cut worksheets anywhere
    assert parallel.triage_in_parallel(Run(sheets, history=history), jobs=2) is not None
    both = triage_worksheets(sheets, history=History(_history().records), jobs=2)
    assert [[s.to_json() for s in r] for r in both] == \
        [[s.to_json() for s in r] for r in serial]
    assert all(s.item is i for r, ws in zip(both, sheets) for s, i in zip(r, ws.items()))


def test_one_process_below_the_threshold_or_with_one_job() -> None:
    ws = parse_worksheet(_big_worksheet(20), path="todo/result_x.md")
    assert parallel.triage_in_parallel(Run([ws]), jobs=2) is None  # too few items
    assert parallel.triage_in_parallel(Run([ws]), jobs=1) is None
    assert [s.section for s in suggest_items(plan_worksheet(ws), find_revert_pairs(ws.items()))]
