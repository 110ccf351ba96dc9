"""What a worksheet changed: counts against the generated worksheet, and its pool edits."""

from __future__ import annotations

from relnotes.changes import pool_update, summarise_changes
from relnotes.miscategorized import parse_miscategorized
from relnotes.worksheet import parse_worksheet

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
