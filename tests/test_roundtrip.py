"""Every real worksheet round-trips byte for byte; PR extraction matches the links (a bare
pull URL in a title is a mention, not the item's PR)."""

from __future__ import annotations

import collections
import json
import re

import pytest

from relnotes.fileio import read_text, split_lines
from relnotes.miscategorized import parse_miscategorized
from relnotes.worksheet import parse_worksheet
from tests.helpers import DATA, SHARED, data_files, run_cli

WORKSHEETS = [p for p in data_files("*/todo/**/*.md", "*/done/**/*.md", "*/in-review/*.md")
              if p.name != "cherrypicks.md"]
POOLS = data_files("*/miscategorized.md", "*/done/cherrypicks.md")
GENERATED = data_files("*/todo/**/*.md")


def _id(path) -> str:
    return str(path.relative_to(DATA))


RELEASES = sorted(p.parent for p in DATA.glob("*/todo"))


def test_the_real_data_is_there() -> None:
    """Every release folder is complete, so the tests below cover what they claim to:
    generated worksheets, finished ones, the pool and the published notes of each
    release (however many releases the data holds)."""
    assert DATA.is_dir(), f"real data missing at {DATA}"
    assert len(RELEASES) >= 3, RELEASES  # 2.7.0, 2.8.0, 2.9.0 ship with the repository
    for release in RELEASES:
        todo = [p for p in WORKSHEETS if p.is_relative_to(release / "todo")]
        done = [p for p in WORKSHEETS if p.is_relative_to(release / "done")]
        assert len(todo) >= 30 and len(done) >= 30, release  # one worksheet per domain
        assert release / "miscategorized.md" in POOLS, release
        assert (release / "final.md").is_file(), release
    print(f"round-trip covers {len(WORKSHEETS)} worksheets and {len(POOLS)} pool files")


def test_the_repository_copy_is_the_workplace_copy() -> None:
    """The copy in data/ is the real data, byte for byte, wherever both exist."""
    if not SHARED.is_dir() or SHARED.resolve() == DATA.resolve():
        pytest.skip(f"no second copy at {SHARED} to compare with")
    compared = 0
    for theirs in sorted(SHARED.rglob("*")):
        ours = DATA / theirs.relative_to(SHARED)
        if theirs.is_file() and ours.parent.is_dir():
            assert ours.is_file() and ours.read_bytes() == theirs.read_bytes(), ours
            compared += 1
    assert compared >= 250


@pytest.mark.parametrize("path", WORKSHEETS, ids=_id)
def test_worksheet_round_trips_byte_for_byte(path) -> None:
    text = read_text(path)
    ws = parse_worksheet(text, path=path)
    assert ws.render() == text
    assert ws.sections, "a real worksheet has sections"


@pytest.mark.parametrize("path", POOLS, ids=_id)
def test_pool_round_trips_byte_for_byte(path) -> None:
    text = read_text(path)
    assert parse_miscategorized(text, path=path).render() == text


@pytest.mark.parametrize("path", WORKSHEETS + POOLS, ids=_id)
def test_every_real_file_round_trips_through_relnotes_parse(path) -> None:
    """The acceptance of issue 9, through the command a release manager runs."""
    result = run_cli("parse", str(path), "--format", "markdown")
    assert result.stdout_bytes == path.read_bytes()


@pytest.mark.parametrize("path", GENERATED, ids=_id)
def test_generated_pr_numbers_in_json_equal_linked_numbers(path) -> None:
    text = read_text(path)
    data = json.loads(run_cli("parse", str(path), "--format", "json").output)
    body = "".join(split_lines(text)[data["domain_line"]:])
    # an item's PRs are its markdown links; a bare pull URL in a title is a mention
    # ("Partilally revert https://github.com/pytorch/pytorch/pull/152288 ([#152909](..))")
    linked = collections.Counter(int(n) for n in re.findall(r"\]\([^)]*/pull/(\d+)\)", body))
    named = collections.Counter(int(n) for n in re.findall(r"/pull/(\d+)", body))
    items = [i for s in data["sections"] for i in s["items"]]
    extracted = collections.Counter(pr for i in items for pr in i["prs"])
    mentioned = collections.Counter(pr for i in items for pr in i["mentions"]
                                    if f"/pull/{pr}" in i["title"])
    assert extracted == linked and extracted + mentioned == named


@pytest.mark.parametrize("path", GENERATED, ids=_id)
def test_generated_pr_numbers_equal_linked_numbers(path) -> None:
    text = read_text(path)
    ws = parse_worksheet(text, path=path)
    body = text[text.index("\n## "):]
    linked = collections.Counter(int(n) for n in re.findall(r"\]\([^)]*/pull/(\d+)\)", body))
    extracted = collections.Counter(pr for item in ws.items() for pr in item.all_prs)
    assert extracted == linked
    # and every generated item is accounted for by a PR or a commit hash
    assert all(item.prs or item.commits for item in ws.items())


def test_every_generated_item_line_is_an_item() -> None:
    """No '- ' line of a generated body is silently swallowed or dropped."""
    for path in GENERATED:
        ws = parse_worksheet(read_text(path), path=path)
        bullet_lines = [n for n, line in enumerate(read_text(path).split("\n"), 1)
                        if line.startswith("- ") and n > ws.domain_line]
        assert [i.line for i in ws.items()] == bullet_lines, path


FINALS = data_files("*/final.md")


@pytest.mark.parametrize("path", FINALS, ids=_id)
def test_final_notes_round_trip_and_list_every_pr_under_a_section(path) -> None:
    assert run_cli("parse", str(path), "--format", "markdown").stdout_bytes == path.read_bytes()
    data = json.loads(run_cli("parse", str(path), "--format", "json").output)
    assert data["kind"] == "final"

    def prs(node: dict) -> list[int]:
        found = [p for item in node.get("items", []) for p in item["prs"]]
        for child in [*node.get("areas", []), *node.get("subareas", [])]:
            found += prs(child)
        return found

    listed = collections.Counter(p for section in data["sections"] for p in prs(section))
    prose, fenced = [], False
    for line in read_text(path).split("\n"):
        if line.strip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            prose.append(line)
    linked = collections.Counter(int(n) for n in
                                 re.findall(r"(?<![\w&/])#(\d{5,7})\b", "\n".join(prose)))
    assert set(listed) == set(linked)  # a PR quoted twice in one item counts once
    # not vacuous: a release page lists hundreds of PRs (2.7.0: 738, 2.8.0: 619, 2.9.0: 561)
    assert len(listed) >= 300
