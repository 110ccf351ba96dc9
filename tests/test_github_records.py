"""PRRecord: JSON round trip and revert/reland links read from titles and bodies."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from relnotes.github.records import PRRecord, find_relands, find_reverts


def test_revert_title_and_bot_body() -> None:
    title = 'Revert "[Inductor] Add a lowering pass for _weight_int4pack_mm_for_cpu (#145250)"'
    body = ("This reverts commit 0123abcd.\n\nReverted "
            "https://github.com/pytorch/pytorch/pull/145250 on behalf of "
            "https://github.com/malfet due to breaking trunk")
    assert find_reverts(title, body) == [145250]
    assert find_relands(title, body) == []


def test_reverts_in_body_only() -> None:
    assert find_reverts("Fix the fix", "This reverts #1234 and Reverts #99") == [1234, 99]


def test_reland_forms() -> None:
    assert find_relands("[Reland] fix pt2e test (#147035)", "") == [147035]
    assert find_relands("fix pt2e block wise quantization unit test",
                        "Reland of #147035, which was reverted") == [147035]
    assert find_relands("Something", "Relanding https://github.com/pytorch/pytorch/pull/42") == [42]
    assert find_relands("Unrelated", "This PR lands a new op. See #5.") == []


def test_json_round_trip_and_unknown_keys() -> None:
    rec = PRRecord(number=1, title="t", body="b", state="merged", merged=True,
                   merged_at="2025-01-01T00:00:00Z", author="a", labels=["x"], files=["f.py"],
                   changed_files=1, reverts=[2], relands=[3], updated_at="u", fetched_at="f")
    data = json.loads(json.dumps(rec.to_json()))
    data["field_from_the_future"] = 1
    assert PRRecord.from_json(data) == rec
    missing = PRRecord.not_found(7, fetched_at="now")
    assert PRRecord.from_json(missing.to_json()) == missing and not missing.found


@given(st.text(max_size=200), st.text(max_size=400))
def test_link_finders_never_crash_and_return_unique_ints(title: str, body: str) -> None:
    for found in (find_reverts(title, body), find_relands(title, body)):
        assert all(isinstance(n, int) for n in found)
        assert len(found) == len(set(found))
