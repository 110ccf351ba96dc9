"""A small release folder (one quantization worksheet, a pool) and a recorded decision:
what the review, decisions, apply and audit tests share."""

from __future__ import annotations

from pathlib import Path

from relnotes.decisions import DecisionStore, Record
from relnotes.worksheet import read_worksheet

LINK = "([#{n}](https://github.com/pytorch/pytorch/pull/{n}))"

WORKSHEET = f"""# Release Notes worksheet quantization

Instructions for the maintainer.

## quantization
### bc breaking
### bug fixes
- Fix a thing {LINK.format(n=101)}
### Untopiced
- [Quant] add foo {LINK.format(n=102)}
- [BE] rename bar {LINK.format(n=103)}
- [CUDA] speed up baz {LINK.format(n=104)}
### not user facing
"""


def make_release(tmp_path: Path, misc: str = "") -> Path:
    (tmp_path / "todo").mkdir(parents=True)
    path = tmp_path / "todo" / "result_quantization.md"
    path.write_text(WORKSHEET, encoding="utf-8")
    if misc:
        (tmp_path / "miscategorized.md").write_text(misc, encoding="utf-8")
    return path


def decide(path: Path, key: str, action: str, section: str, **kw: object) -> None:
    ws = read_worksheet(path)
    item = ws.find(key)
    assert item is not None
    store = DecisionStore.for_worksheet(path)
    store.put(Record(key=key, hash=item.text_hash, action=action, section=section, **kw))


MISC = f"""# Miscategorized commits

Welcome.

## quantization (from cuda)
- Quantized cuda kernel {LINK.format(n=201)}

## inductor (from cuda)
- Fuse things {LINK.format(n=202)}
"""
