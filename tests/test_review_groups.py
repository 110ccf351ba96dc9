"""Groups in review and apply (issue 17, part 2), on a real 2.9.0 worksheet that carries
the 2.10+ preamble: offered unprompted where the preamble asks, decided like items
(accept, edit the bullet, split off, reject), resumable, stale after an edit, composed
with the items' moves, and merged losslessly by apply with summarize --write's code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relnotes.decisions import DecisionStore, GroupRecord, Record
from relnotes.review import run_review
from relnotes.review_groups import GroupReview
from relnotes.summaries import load_weights, summarize_worksheet
from relnotes.worksheet import read_worksheet
from tests.helpers import DATA, REPO, copy_data, run_cli
from tests.workflow_fixtures import Script

NEWER = REPO / "tests/data/shapes/newer_worksheet.md"


def newer_worksheet(tmp_path: Path, domain: str = "mps") -> Path:
    """A copy of 2.9.0's generated ``result_<domain>.md`` with the 2.10+ preamble (its
    step 3 asks for summaries) in place of its own."""
    path = copy_data(DATA / f"2.9.0/todo/result_{domain}.md",
                     tmp_path / "2.9.0/todo" / f"result_{domain}.md")
    shape = NEWER.read_text(encoding="utf-8")
    preamble = shape[:shape.index("## autograd_frontend")].replace("autograd_frontend", domain)
    text = path.read_text(encoding="utf-8")
    path.write_text(preamble + text[text.index(f"## {domain}\n"):], encoding="utf-8")
    return path


def prs_of(path: Path) -> list[int]:
    return sorted(p for item in read_worksheet(path).items() for p in item.all_prs)


def review_json(path: Path, *args: str) -> dict:
    return json.loads(run_cli("review", str(path), "--offline", "--format", "json",
                              *args).stdout)


def group_review(path: Path) -> GroupReview:
    ws = read_worksheet(path)
    return GroupReview(ws, summarize_worksheet(ws, load_weights(None)).groups, why="asked")


def test_groups_offered_unprompted_only_where_the_preamble_asks(tmp_path: Path) -> None:
    path = newer_worksheet(tmp_path)
    data = review_json(path)
    found = json.loads(run_cli("summarize", str(path), "--offline", "--format",
                               "json").stdout)["worksheets"][0]["groups"]
    groups = data["groups"]
    assert groups["why"] == "preamble" and groups["decided"] == 0
    # before any item decision, every group summarize finds is offered as it found it
    offered = {g["id"]: g for g in groups["pending"]}
    offered.update({g["id"]: g for g in groups["not_offered"]})
    assert set(offered) == {"+".join(g["items"]) for g in found}
    for group in groups["pending"]:
        assert set(group) == {"id", "section", "prs", "bullet", "confidence", "reasons",
                              "items", "titles", "lines", "left", "changed_since_decision"}
        assert len(group["items"]) >= 2 and group["changed_since_decision"] is False
    # the preamble 2.9.0 was generated with does not ask: groups only with --summaries
    old = copy_data(DATA / "2.9.0/todo/result_mps.md", tmp_path / "old/todo/result_mps.md")
    assert review_json(old)["groups"] is None
    assert review_json(old, "--summaries")["groups"]["why"] == "asked"
    assert review_json(path, "--no-summaries")["groups"] is None


def _answers(pending: list[dict]) -> tuple[list[str], dict[str, str]]:
    """Answers for the groups in review order: accept the first, split the second member
    off the first group of three or more, edit the next bullet, reject the next, skip
    the rest."""
    plan: dict[str, str] = {}
    answers: list[str] = []
    for group in pending:
        gid = group["id"]
        if "split" not in plan.values() and len(group["items"]) >= 3:
            plan[gid] = "split"
            answers += ["x", "2", "a"]
        elif "accept" not in plan.values():
            plan[gid] = "accept"
            answers += ["a"]
        elif "edit" not in plan.values():
            plan[gid] = "edit"
            answers += ["e", "MPS: one change, edited by hand", "a"]
        elif "reject" not in plan.values():
            plan[gid] = "reject"
            answers += ["r"]
        else:
            answers += ["s"]
    return answers, plan


def test_piped_review_then_apply_merges_losslessly(tmp_path: Path) -> None:
    path = newer_worksheet(tmp_path)
    before_prs = prs_of(path)
    before_text = path.read_text(encoding="utf-8")
    pending = review_json(path, "--accept-above", "0")["groups"]["pending"]
    answers, plan = _answers(pending)
    assert sorted(plan.values()) == ["accept", "edit", "reject", "split"], plan
    out = run_cli("review", str(path), "--offline", input="\n".join(answers) + "\n")
    assert "groups of one change's PRs (the worksheet asks for summaries)" in out.stdout
    assert f"groups: 4 decided in this run, {len(pending) - 4} pending" in out.stderr
    store = DecisionStore.for_worksheet(path)
    by_plan = {what: store.groups[gid] for gid, what in plan.items()}
    split = by_plan["split"]
    offered = {g["id"]: g for g in pending}
    assert split.split == [offered[split.id]["items"][1]]
    assert split.members == [k for k in offered[split.id]["items"] if k not in split.split]
    assert by_plan["edit"].bullet.startswith("MPS: one change, edited by hand (")
    assert by_plan["reject"].action == "reject" and by_plan["reject"].bullet is None
    # the dry run shows the diff and writes nothing
    dry = run_cli("apply", str(path), "--dry-run", "--no-adopt")
    assert "+- MPS: one change, edited by hand (" in dry.stdout
    assert "+  <!-- relnotes summarize: merged from" in dry.stdout
    assert "3 group(s) merged into one bullet each" in dry.stdout
    assert path.read_text(encoding="utf-8") == before_text
    run_cli("apply", str(path), "--no-adopt")
    after = read_worksheet(path)
    assert prs_of(path) == before_prs  # every PR is still there, once per listing
    for what in ("accept", "split", "edit"):
        record = by_plan[what]
        bullet = after.find(record.members[0])
        assert bullet is not None and bullet.category == record.section
        assert bullet.title == record.bullet
        assert {f"pr:{p}" for p in bullet.prs} == set(record.members)
        assert "<!-- relnotes summarize: merged from" in bullet.body
        for key in record.members:  # every member's own title, verbatim, under it
            original = next(line for line in before_text.splitlines()
                            if f"[#{key[3:]}]" in line and line.startswith("- "))
            assert original.strip() in bullet.body
    assert all(r.applied for r in DecisionStore.for_worksheet(path).groups.values()
               if r.action == "accept")
    # the split-off member and the rejected group's items stay items of their own
    assert after.find(split.split[0]).prs == [int(split.split[0][3:])]
    for key in by_plan["reject"].members:
        assert after.find(key).prs == [int(key[3:])]
    # applied: nothing of it is offered again, the split member is not grouped again
    again = review_json(path)
    assert again["pending"] == []
    ids = {g["id"] for g in again["groups"]["pending"]}
    assert not ids & {by_plan[w].id for w in ("accept", "split", "edit", "reject")}
    for group in again["groups"]["pending"]:
        assert not set(group["items"]) >= {split.members[0], split.split[0]}


def test_review_resumes_and_undoes_group_decisions(tmp_path: Path) -> None:
    path = newer_worksheet(tmp_path)
    groups = group_review(path)
    store = DecisionStore.for_worksheet(path)
    first, second = groups.pending(store)[:2]

    def run(answers: list[str]) -> Script:
        script = Script(answers)
        run_review([], DecisionStore.for_worksheet(path), ask=script.ask, say=script.say,
                   groups=group_review(path))
        return script

    run(["a", "q"])
    assert DecisionStore.for_worksheet(path).groups[first.id].action == "accept"
    # the next run starts at the next group; u undoes the edit first, then the decision
    script = run(["e", "Edited bullet", "u", "u", "q"])
    blocks = [line for line in script.screen if line.startswith("group [")]
    assert f"  - {second.bullet}" in blocks[0]  # the decided one is not shown again
    text = "\n".join(script.screen)
    assert "undone: the last edit or split of this group" in text
    assert "nothing to undo among the groups of this session" in text
    assert second.id not in DecisionStore.for_worksheet(path).groups
    # an undo in the same session takes back the decision and shows that group again
    script = run(["r", "u", "s", "q"])
    assert second.id not in DecisionStore.for_worksheet(path).groups
    assert f"undone: group {second.id}" in "\n".join(script.screen)


def test_edited_bullet_must_link_exactly_the_groups_prs(tmp_path: Path) -> None:
    path = newer_worksheet(tmp_path)
    offer = group_review(path).pending(DecisionStore.for_worksheet(path))[0]
    script = Script(["e", "Wrong links (#1)", "e", "Right words", "a", "q"])
    run_review([], DecisionStore.for_worksheet(path), ask=script.ask, say=script.say,
               groups=group_review(path))
    assert any("linking exactly the group's PRs" in line for line in script.screen)
    record = DecisionStore.for_worksheet(path).groups[offer.id]
    links = group_review(path).links(offer.prs)
    assert record.bullet == f"Right words {links}"  # typed without links: added in style


def test_a_member_edited_since_review_makes_the_group_stale(tmp_path: Path) -> None:
    path = newer_worksheet(tmp_path)
    offer = group_review(path).pending(DecisionStore.for_worksheet(path))[0]
    run_review([], DecisionStore.for_worksheet(path), ask=Script(["a", "q"]).ask,
               say=lambda _: None, groups=group_review(path))
    member = read_worksheet(path).find(offer.keys[1])
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(member.title, member.title + " (edited)"), encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    out = run_cli("apply", str(path), "--no-adopt", "--format", "json")
    report = json.loads(out.stdout)
    assert report["groups_stale"] == [offer.id] and report["merged"] == []
    assert path.read_text(encoding="utf-8") == before
    pending = review_json(path)["groups"]["pending"]
    again = next(g for g in pending if g["id"] == offer.id)
    assert again["changed_since_decision"] is True


def _decide(path: Path, key: str, action: str, section: str, domain: str | None = None) -> None:
    item = read_worksheet(path).find(key)
    DecisionStore.for_worksheet(path).put(Record(key=key, hash=item.text_hash, action=action,
                                                 section=section, domain=domain))


def test_members_decided_elsewhere_leave_the_group(tmp_path: Path) -> None:
    """A member sent to another domain, or decided for another section than where most
    of the group goes, leaves it (said so); the rest are merged there, after the moves."""
    path = newer_worksheet(tmp_path)
    big = next(g for g in group_review(path).pending(DecisionStore.for_worksheet(path))
               if len(g.members) >= 3)
    first, second, third = big.keys[:3]
    _decide(path, first, "section", "improvements")
    _decide(path, second, "section", "improvements")
    _decide(path, third, "domain", "miscategorized", domain="cuda")
    offers = group_review(path).pending(DecisionStore.for_worksheet(path))
    offer = next(o for o in offers if o.id == big.id)
    assert offer.section == "improvements"
    assert (third, "sent to cuda") in offer.left and third not in offer.keys
    assert offer.bullet != big.bullet  # drafted again for the members that stay
    script = Script(["s"] * offers.index(offer) + ["a", "q"])
    run_review([], DecisionStore.for_worksheet(path), ask=script.ask, say=script.say,
               groups=group_review(path))
    assert f"left the group: {third} (sent to cuda)" in "\n".join(script.screen)
    out = json.loads(run_cli("apply", str(path), "--no-adopt", "--format", "json").stdout)
    assert [m["group"] for m in out["merged"]] == [big.id]
    after = read_worksheet(path)
    bullet = after.find(first)
    assert bullet.category == "improvements" and set(offer.prs) == set(bullet.prs)
    assert after.find(third) is None
    pool = (tmp_path / "2.9.0/miscategorized.md").read_text(encoding="utf-8")
    assert f"[#{third[3:]}]" in pool  # sent, not lost


def test_a_member_decided_elsewhere_after_the_group_stops_its_merge(tmp_path: Path) -> None:
    path = newer_worksheet(tmp_path)
    offer = group_review(path).pending(DecisionStore.for_worksheet(path))[0]
    run_review([], DecisionStore.for_worksheet(path), ask=Script(["a", "q"]).ask,
               say=lambda _: None, groups=group_review(path))
    elsewhere = "docs" if offer.section != "docs" else "devs"
    _decide(path, offer.keys[0], "section", elsewhere)
    out = run_cli("apply", str(path), "--no-adopt")
    assert f"group {offer.id}: not merged: {offer.keys[0]} was decided for {elsewhere}" \
        in out.stderr
    after = read_worksheet(path)
    assert after.find(offer.keys[0]).category == elsewhere  # the item decision is applied
    assert all(len(after.find(k).prs) == 1 for k in offer.keys)


def test_summarize_write_and_apply_merge_alike(tmp_path: Path) -> None:
    """Every group accepted as drafted and applied gives the file summarize --write gives."""
    by_summarize = newer_worksheet(tmp_path / "a")
    by_review = newer_worksheet(tmp_path / "b")
    for path in (by_summarize, by_review):  # review leaves a PR listed twice to lint
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text("".join(line for n, line in enumerate(lines)
                                if not (line.startswith("- ") and line in lines[:n])),
                        encoding="utf-8")
    run_cli("summarize", str(by_summarize), "--offline", "--write", "--min-confidence", "0")
    count = len(group_review(by_review).pending(DecisionStore.for_worksheet(by_review)))
    script = Script(["a"] * count)
    run_review([], DecisionStore.for_worksheet(by_review), ask=script.ask, say=script.say,
               groups=group_review(by_review))
    run_cli("apply", str(by_review), "--no-adopt")
    assert by_review.read_text(encoding="utf-8") == by_summarize.read_text(encoding="utf-8")


def test_a_version_1_sidecar_reads_and_gains_groups(tmp_path: Path) -> None:
    path = newer_worksheet(tmp_path)
    sidecar = path.parent / ".relnotes" / "result_mps.decisions.json"
    sidecar.parent.mkdir()
    item = read_worksheet(path).items()[0]
    sidecar.write_text(json.dumps({"version": 1, "worksheet": "result_mps.md", "decisions": {
        item.key: {"hash": item.text_hash, "action": "reject", "section": item.placement}}}))
    store = DecisionStore.for_worksheet(path)
    assert store.groups == {} and store.is_decided(item)
    store.put_group(GroupRecord(id="pr:1+pr:2", action="reject", members=["pr:1", "pr:2"],
                                hashes={}, section="bug fixes"))
    data = json.loads(sidecar.read_text())
    assert data["version"] == 2 and data["groups"]["pr:1+pr:2"]["action"] == "reject"
    assert DecisionStore.for_worksheet(path).groups["pr:1+pr:2"].members == ["pr:1", "pr:2"]
    with pytest.raises(ValueError):
        store.put_group(GroupRecord(id="x", action="maybe", members=[], hashes={},
                                    section="docs"))


def test_g_goes_to_the_groups_before_the_items_are_done(tmp_path: Path) -> None:
    path = newer_worksheet(tmp_path)
    first = review_json(path)["groups"]["pending"][0]
    out = run_cli("review", str(path), "--offline", input="a\ng\na\nq\n")
    assert "[g]roups" in out.stdout
    store = DecisionStore.for_worksheet(path)
    assert len(store.records) == 1  # one item decided, the rest stay pending
    assert store.groups[first["id"]].action == "accept"
    assert "groups: 1 decided in this run" in out.stderr
    # without groups offered, g is no key: it shows the help
    old = copy_data(DATA / "2.9.0/todo/result_mps.md", tmp_path / "old/todo/result_mps.md")
    out = run_cli("review", str(old), "--offline", input="g\nq\n")
    assert "[g]roups" not in out.stdout and "press Enter" in out.stdout
