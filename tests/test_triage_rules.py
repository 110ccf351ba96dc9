"""Title rules, domain ownership and title clean-up."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from relnotes.triage.domains import owner_from_paths, owner_from_tags, tags_repeating_domain
from relnotes.triage.rules import RULES, match_rules, reverted_title
from relnotes.triage.titles import clean_title


def ids(title: str, domain: str = "") -> set[str]:
    return {r.id for r in match_rules(title, domain=domain)}


def test_rule_ids_are_unique_and_every_rule_has_a_reason() -> None:
    assert len({r.id for r in RULES}) == len(RULES)
    assert all(r.reason for r in RULES)


def test_internal_work_is_pushed_towards_dropping() -> None:
    for title in ("[BE] tidy up graph.py", "remove allow-untyped-defs from torch/ao/x.py",
                  "[codemod] replace foo", "Revert \"Add foo (#1)\"", "Update ruff to 0.11",
                  "[CI] Add h100 job"):
        assert sum(r.publish for r in match_rules(title)) < 0, title


def test_user_facing_wording_votes_for_sections() -> None:
    assert "U01" in ids("Fix crash in torch.cat with empty tensors")
    assert "U04" in ids("Speed up softmax on CPU")
    assert "U06" in ids("Deprecate torch.foo")
    assert "U05" in ids("Improve the documentation of torch.compile")


def test_ci_rules_do_not_fire_in_releng() -> None:
    assert "C02" in ids("Migrate to new Windows runners")
    assert "C02" not in ids("Migrate to new Windows runners", domain="releng")


def test_reverted_title() -> None:
    assert reverted_title('Revert "[MPS] Add foo (#123)"') == "[MPS] Add foo"
    assert reverted_title("Add foo") is None


def test_owner_from_tags_picks_a_domain_the_release_has() -> None:
    assert owner_from_tags("[ROCm] Fix softmax").domain == "rocm"
    aoti = owner_from_tags("[AOTI] add shim", known={"inductor", "inductor (aoti)"})
    assert aoti is not None and aoti.domain == "inductor (aoti)"
    # 2.7.0 had no "inductor (aoti)" worksheet: the tag falls back to inductor.
    assert owner_from_tags("[AOTI] add shim", known={"inductor"}).domain == "inductor"
    assert owner_from_tags("Fix [#12](https://x/pull/12)") is None


def test_owner_from_paths_needs_a_clear_majority() -> None:
    owner = owner_from_paths(["torch/_inductor/ir.py", "torch/_inductor/lowering.py",
                              "test/inductor/test_x.py"])
    assert owner is not None and owner.domain == "inductor"
    assert owner_from_paths(["torch/_inductor/ir.py", "torch/_dynamo/x.py"]) is None


def test_tags_repeating_domain() -> None:
    assert tags_repeating_domain(["MPS", "Inductor"], "mps") == {"MPS"}
    assert tags_repeating_domain(["dtensor"], "distributed") == {"dtensor"}


def test_clean_title() -> None:
    assert clean_title("[BE][Ez]: fix torch.cat for empty inputs. "
                       "([#12](https://github.com/pytorch/pytorch/pull/12))",
                       domain="python_frontend") == "Fix `torch.cat` for empty inputs (#12)"
    assert clean_title("[MPS] add support for i1e", domain="mps") == "Add support for i1e"
    # a tag naming another domain carries meaning and stays
    assert clean_title("[Inductor] add foo_bar option", domain="mps") == \
        "[Inductor] add `foo_bar` option"
    assert clean_title("[2/N] Deprecate c10::string_view") == "Deprecate `c10::string_view`"
    assert clean_title("use `already.code` here") == "Use `already.code` here"


# letters that cannot spell an internal tag (BE, Ez, CI, ...), plus the separators and
# punctuation the prefix and tag clean-up look at
_word = st.text(alphabet="abcdghijXYZ_.-:1", min_size=1, max_size=8)


def test_clean_title_keeps_prefix_look_alikes() -> None:
    assert clean_title("Easy-to-use wrapper for x") == "Easy-to-use wrapper for x"
    assert clean_title("BE-friendly API") == "BE-friendly API"
    assert clean_title("-1 as dim now allowed") == "-1 as dim now allowed"
    assert clean_title("[BE]: Fix the thing") == "Fix the thing"
    assert clean_title("BE: fix the thing") == "Fix the thing"


@given(st.lists(_word, min_size=1, max_size=8))
def test_clean_title_never_invents_words(words: list[str]) -> None:
    title = " ".join(words)
    cleaned = clean_title(title)
    strip = lambda s: "".join(ch for ch in s.lower() if ch.isalnum() or ch == "_")
    assert strip(cleaned) == strip(title)  # only case, backticks and a final "." change
