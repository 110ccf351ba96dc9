"""A small release folder (one quantization worksheet, a pool), a recorded decision and a
scripted review session: what the review, decisions, apply and audit tests share."""

from __future__ import annotations

from collections.abc import Iterator
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


class Script:
    """An ``ask`` that answers from a list and records the prompts and screen."""

    def __init__(self, answers: list[str], *, interrupt_after: int | None = None) -> None:
        self.answers: Iterator[str] = iter(answers)
        self.asked = 0
        self.interrupt_after = interrupt_after
        self.screen: list[str] = []
        self.prompts: list[str] = []

    def ask(self, prompt: str) -> str | None:
        if self.interrupt_after is not None and self.asked == self.interrupt_after:
            raise KeyboardInterrupt
        self.asked += 1
        self.prompts.append(prompt)
        return next(self.answers, None)

    def say(self, text: str) -> None:
        self.screen.append(text)

    def shown_keys(self) -> list[str]:
        """Item keys in the order their blocks were shown."""
        return [line.split()[1] for line in self.screen if line.startswith("[")]
