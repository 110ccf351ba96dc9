"""``relnotes summarize``: group one change's PRs, draft the bullet, rank the key PRs."""

from __future__ import annotations

import sys

import click

from relnotes.categories import canonical_category
from relnotes.cli.app import command, config_for, emit_json
from relnotes.errors import UsageError
from relnotes.fileio import atomic_write, check_writable
from relnotes.github import metadata_for
from relnotes.summaries import (
    GROUPED_SECTIONS,
    load_weights,
    merge_groups,
    render_text,
    summarize_worksheet,
    summary_json,
)
from relnotes.worksheet import read_worksheet


def _sections(given: tuple[str, ...]) -> tuple[str, ...]:
    if not given:
        return GROUPED_SECTIONS
    out: list[str] = []
    for text in given:
        for piece in text.split(","):
            category = canonical_category(piece)
            if category is None:
                raise UsageError(f"--sections: unknown section {piece.strip()!r} (known: "
                                 + ", ".join(GROUPED_SECTIONS) + ")")
            out.append(category)
    return tuple(dict.fromkeys(out))


@command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False))
@click.option("--offline", is_flag=True, help="Use no network: only cached PR metadata.")
@click.option("--write", is_flag=True,
              help="Merge the groups at or above --min-confidence into one bullet each.")
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=None,
              help="Threshold for --write (default: the min_confidence setting, 0.9).")
@click.option("--sections", "sections", multiple=True, metavar="SECTION[,SECTION]",
              help="Group only these sections (default: all but bc breaking and "
                   "deprecation). Repeatable.")
@click.option("--weights", "weights_path", type=click.Path(dir_okay=False), default=None,
              help="Pair-model weights (default: the ones shipped, learned from past "
                   "releases).")
def summarize(files: tuple[str, ...], offline: bool, fmt: str, write: bool,
              min_confidence: float | None, sections: tuple[str, ...],
              weights_path: str | None) -> None:
    """Group the items that are one change, draft one bullet for each group, and rank
    the key PRs of the sections the preamble asks to summarise.

    Text lists each group (drafted bullet, members, confidence, reasons), then the key
    PRs per section, the long tail counted as "fold into a group or drop". Without
    --write no file changes; --write merges the groups at or above --min-confidence
    (the group's items become one bullet carrying every PR, their bodies under it; the
    old file is kept in .relnotes/), the others are left for review.

    \b
    Example:
      relnotes summarize todo/result_releng.md --offline
      relnotes summarize todo/*.md --format json > groups.json
      relnotes summarize todo/result_mps.md --sections improvements --write
    """
    chosen = _sections(sections)
    bad = [s for s in chosen if s not in GROUPED_SECTIONS]
    if bad:
        raise UsageError(f"--sections: {', '.join(bad)} are written in full, one change "
                         "each: they are never grouped")
    config = config_for(files[0])
    threshold = config.min_confidence if min_confidence is None else min_confidence
    weights = load_weights(weights_path)
    worksheets = [read_worksheet(f, repo=config.repo) for f in files]
    if write:
        check_writable(*files)
    metadata = metadata_for(sorted({pr for ws in worksheets for item in ws.items()
                                    for pr in item.prs}),
                            config=config, offline=offline, sources=files)
    results = []
    for n, ws in enumerate(worksheets, 1):
        if len(worksheets) > 1:
            print(f"summarize: {n}/{len(worksheets)} {ws.path}", file=sys.stderr)
        results.append(summarize_worksheet(ws, weights, sections=chosen, meta=metadata))
    if fmt == "json":
        emit_json(summary_json(results))
    else:
        click.echo(render_text(results, min_confidence=threshold))
    if write:
        for result in results:
            merged = merge_groups(result.worksheet, result.groups, min_confidence=threshold)
            if merged:
                atomic_write(result.worksheet.path, result.worksheet.render(), backup=True)
            left = len(result.groups) - len(merged)
            print(f"{result.worksheet.path}: merged {len(merged)} group(s); {left} below "
                  f"confidence {threshold:.2f} left for review", file=sys.stderr)
