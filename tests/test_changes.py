"""What a worksheet changed: counts against the generated worksheet, and its pool edits."""

from __future__ import annotations

from relnotes.changes import pool_update, summarise_changes
from relnotes.miscategorized import parse_miscategorized
from relnotes.worksheet import parse_worksheet, read_worksheet

LINK = "([#{n}](https://github.com/pytorch/pytorch/pull/{n}))"
GENERATED = f"""# Release Notes worksheet fx

## fx
### bc breaking
- Change tracer default {LINK.format(n=1)}
### improvements
### Untopiced
- Speed up tracing {LINK.format(n=2)}
- Inductor thing {LINK.format(n=3)}
### not user facing
"""
POOL = f"""# Miscategorized commits

## fx (from inductor)
- Adopt me {LINK.format(n=9)}

## cuda (from inductor)
- Stays {LINK.format(n=8)}
"""


def _finished() -> str:
    return f"""# Release Notes worksheet fx

## fx
### bc breaking
- Change tracer default {LINK.format(n=1)}

  Rationale: the old default traced too much.

### improvements
- Tracing is faster {LINK.format(n=2)}
- Adopt me {LINK.format(n=9)}
### not user facing
"""


def test_counts_against_the_generated_worksheet() -> None:
    generated = parse_worksheet(GENERATED, path="gen.md")
    after = parse_worksheet(_finished(), path="done.md")
    pool = parse_miscategorized(POOL + f"\n## inductor (from fx)\n- Inductor thing "
                                f"{LINK.format(n=3)}\n")
    summary = summarise_changes(generated, after, pool=pool, adopted=["pr:9"],
                                baseline="gen.md", checks=(3, 1))
    assert summary.moved == [{"key": "pr:2", "from": "Untopiced", "to": "improvements"}]
    assert summary.sent == [{"key": "pr:3", "domain": "inductor"}]
    assert summary.adopted == ["pr:9"] and summary.retitled == ["pr:2"]
    assert summary.entries == 1 and summary.dropped == []
    assert summary.removed == [] and summary.added == []
    table = summary.markdown()
    assert "| snippet checks | 2 passed, 1 failed |" in table and "gen.md" in table
    # the same worksheet against itself: nothing changed, nothing counted as written
    same = summarise_changes(after, after, baseline="done.md")
    assert (same.moved, same.sent, same.adopted, same.retitled, same.entries) == \
        ([], [], [], [], 0)
    unknown = summarise_changes(None, after)
    assert unknown.baseline is None and unknown.entries == 1 and unknown.moved == []


def test_pool_update_sends_and_adopts_on_top_of_the_remote_pool() -> None:
    after = parse_worksheet(_finished(), path="done.md")
    sent = f"\n## inductor (from fx)\n- Inductor thing {LINK.format(n=3)}\n"
    local = POOL.replace(f"## fx (from inductor)\n- Adopt me {LINK.format(n=9)}\n\n", "") + sent
    # someone merged another group into the remote's pool meanwhile
    remote = POOL + f"\n## mps (from cuda)\n- Merged by others {LINK.format(n=7)}\n"
    update = pool_update("fx", after, remote_text=remote, local_text=local)
    assert update.text is not None and (update.sent, update.adopted) == (["pr:3"], ["pr:9"])
    assert update.pool.render() == update.text
    assert not update.verbatim  # the local copy lacks what others merged: rebuilt
    result = parse_miscategorized(update.text)
    keys = {(s.name, i.key) for s in result.sections for i in s.items}
    assert keys == {("cuda (from inductor)", "pr:8"), ("mps (from cuda)", "pr:7"),
                    ("inductor (from fx)", "pr:3")}
    assert "## fx (from inductor)" not in update.text  # the group it emptied is gone
    # nothing else changed: the local file, byte for byte
    same = pool_update("fx", after, remote_text=POOL, local_text=local)
    assert same.verbatim and same.text == local
    # another domain's pending change in the local copy is not carried along
    other = local + f"\n## rocm (from cuda)\n- Not ours {LINK.format(n=6)}\n"
    mine = pool_update("fx", after, remote_text=POOL, local_text=other)
    assert mine.text is not None and "#6" not in mine.text and not mine.verbatim


def test_pool_update_without_changes() -> None:
    after = parse_worksheet(GENERATED, path="todo.md")
    assert pool_update("fx", after, remote_text=None, local_text=None).text is None
    assert pool_update("fx", after, remote_text=POOL, local_text=POOL).text is None


def test_items_the_pool_does_not_hold_are_removed_not_sent() -> None:
    """Real 2.8.0 quantization: three PRs deleted outright were "sent to ?" and new keys
    were "adopted" whatever their origin."""
    generated = parse_worksheet(GENERATED, path="gen.md")
    after = parse_worksheet(_finished().replace(f"- Tracing is faster {LINK.format(n=2)}\n",
                                                ""), path="done.md")
    pool = parse_miscategorized(POOL)  # holds neither #2 nor #3
    summary = summarise_changes(generated, after, pool=pool, baseline="gen.md")
    assert summary.sent == [] and summary.removed == ["pr:2", "pr:3"]
    assert summary.adopted == [] and summary.added == ["pr:9"]  # the pool gave nothing up
    table = summary.markdown()
    assert "| sent to other domains (miscategorized.md) | 0 |" in table
    assert "2 item(s) of the generated worksheet are neither in it nor in " \
        "miscategorized.md" in table and "`pr:3`" in table
    assert "| items added (not generated, not from the pool) | 1 |" in table
    adopted = summarise_changes(generated, after, pool=pool, adopted=["pr:9"])
    assert adopted.adopted == ["pr:9"] and adopted.added == []


# The case reported on a 2.11.0 worksheet (issue 17): a hand-written bullet "(#171628,
# #163487)" and a 4-PR deprecation bullet made the change table report "3 item(s) neither
# in it nor in miscategorized.md" and count 2 moves instead of 6.
GROUPED_GENERATED = f"""# Release Notes worksheet releng

## releng
### bc breaking
### deprecation
### improvements
### Untopiced
- Remove Python 3.9 nightly builds {LINK.format(n=161427)}
- [CD][BE] Delete Python-3.9 case {LINK.format(n=162265)}
- [CD][EZ] Update libtorch python version to 3.10 {LINK.format(n=162297)}
- Use py3.10 for ONNX CI jobs {LINK.format(n=160852)}
- Add a thing {LINK.format(n=171628)}
- Extend the thing {LINK.format(n=163487)}
- Left alone {LINK.format(n=170001)}
### not user facing
"""
GROUPED_DONE = f"""# Release Notes worksheet releng

## releng
### bc breaking
### deprecation
- Remove Python 3.9 support in CD builds. Move CI to Python 3.10.{LINK.format(n=161427)} \
{LINK.format(n=162265)} {LINK.format(n=162297)} {LINK.format(n=160852)}

  Python 3.9 reached its end of life; use Python 3.10 or newer.

### improvements
- Add the thing and extend it (#171628, #163487)
### Untopiced
- Left alone {LINK.format(n=170001)}
### not user facing
"""


def test_multi_pr_bullets_count_every_pr_they_stand_for() -> None:
    generated = parse_worksheet(GROUPED_GENERATED, path="gen.md")
    after = parse_worksheet(GROUPED_DONE, path="done.md")
    summary = summarise_changes(generated, after, pool=parse_miscategorized(""),
                                baseline="gen.md")
    assert summary.removed == [] and summary.added == [] and summary.sent == []
    assert sorted(m["key"] for m in summary.moved) == [
        "pr:160852", "pr:161427", "pr:162265", "pr:162297", "pr:163487", "pr:171628"]
    assert {m["to"] for m in summary.moved} == {"deprecation", "improvements"}
    assert len(summary.retitled) == 6 and summary.entries == 1
    assert summary.grouped == [
        {"key": "pr:161427", "prs": [161427, 162265, 162297, 160852],
         "items": ["pr:161427", "pr:162265", "pr:162297", "pr:160852"]},
        {"key": "pr:171628", "prs": [171628, 163487], "items": ["pr:171628", "pr:163487"]}]
    table = summary.markdown()
    assert "| moved to another section | 6 |" in table
    assert "| items grouped into multi-PR bullets | 6 (in 2 bullets) |" in table
    assert "neither in it nor" not in table


def test_a_pool_item_merged_into_a_bullet_is_adopted() -> None:
    """An item adopted from the pool and written into a multi-PR bullet is still adopted:
    the pool update takes it out of the pool, the change table says so."""
    after = parse_worksheet(_finished().replace(
        f"- Tracing is faster {LINK.format(n=2)}\n- Adopt me {LINK.format(n=9)}\n",
        f"- Tracing is faster {LINK.format(n=2)} {LINK.format(n=9)}\n"), path="done.md")
    update = pool_update("fx", after, remote_text=POOL, local_text=POOL)
    assert update.adopted == ["pr:9"] and update.text is not None and "#9" not in update.text
    generated = parse_worksheet(GENERATED, path="gen.md")
    summary = summarise_changes(generated, after, pool=update.pool, adopted=update.adopted)
    assert summary.adopted == ["pr:9"] and summary.added == []
    assert summary.removed == ["pr:3"]


def test_nested_items_of_grouping_bullets_are_read_by_their_own_line() -> None:
    """2.8.0 distributed, as generated vs as finished: 112 generated items stand in the
    nested bullets of 24 grouping bullets (``- c10d``). Each was compared with the
    group's title ("c10d"), so all counted as retitled and as grouped (102 items "in 14
    bullets"). A nested item is compared with its own line, and only a bullet whose own
    PRs are several generated items groups them."""
    from tests.helpers import DATA

    folder = DATA / "2.8.0"
    generated = read_worksheet(folder / "todo" / "result_distributed.md")
    after = read_worksheet(folder / "done" / "result_distributed.md")
    summary = summarise_changes(generated, after, baseline="todo")
    # kept word for word under "- FullyShardedDataParallel2 (FSDP2)", reworded under "- c10d"
    assert "pr:154928" not in summary.retitled and "pr:149343" in summary.retitled
    assert len(summary.retitled) == 114  # of 115: the other 113 were reworded (measured)
    assert summary.grouped == [
        {"key": "pr:153015", "prs": [153015, 153425], "items": ["pr:153015", "pr:153425"]},
        {"key": "pr:152585", "prs": [152585, 152563, 154929],
         "items": ["pr:152585", "pr:152563", "pr:154929"]},
        {"key": "pr:153399", "prs": [153399, 153523], "items": ["pr:153399", "pr:153523"]}]
    assert "| items grouped into multi-PR bullets | 7 (in 3 bullets) |" in summary.markdown()
