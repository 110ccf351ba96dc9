"""A small release folder (one quantization worksheet, a pool), a recorded decision and a
scripted review session: what the review, decisions, apply and audit tests share; a
release repository published to a bare remote, what the done/submit tests share."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from relnotes.decisions import DecisionStore, Record
from relnotes.worksheet import read_worksheet
from tests.github_server import RunningServer

REPO = "acme/release-notes"
TOKEN_ENV = "RELNOTES_E2E_TOKEN"

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


def sh(*args: str, cwd: Path) -> str:
    return subprocess.run(args, cwd=cwd, check=True, capture_output=True, text=True).stdout


def new_release(work: Path, version: str, todo: dict[str, str], misc: str) -> Path:
    """A release folder as generated: the ``todo/`` worksheets (by name), an empty
    ``done/`` (kept by a ``.gitkeep``) and the pool."""
    release = work / version
    (release / "todo").mkdir(parents=True)
    (release / "done").mkdir()
    (release / "done" / ".gitkeep").write_text("")
    for name, text in todo.items():
        (release / "todo" / name).write_text(text)
    (release / "miscategorized.md").write_text(misc)
    return release


def published(tmp_path: Path, fake_github: RunningServer, monkeypatch: pytest.MonkeyPatch,
              fill: Callable[[Path], None]) -> tuple[Path, Path]:
    """(bare remote, clone): the files ``fill`` writes, a NOTES.txt and settings pointing
    at the server, committed on master of the remote (its default branch) and pushed; the
    clone then on the maintainer's own branch ``my-work``."""
    remote = tmp_path / "remote.git"
    work = tmp_path / "work"
    sh("git", "init", "-q", "--bare", "-b", "master", str(remote), cwd=tmp_path)
    sh("git", "init", "-q", "-b", "master", str(work), cwd=tmp_path)
    for key, value in (("user.name", "Maintainer"), ("user.email", "m@example.com"),
                       ("commit.gpgsign", "false")):
        sh("git", "config", key, value, cwd=work)
    fill(work)
    (work / "NOTES.txt").write_text("team notes\n")
    (work / "pyproject.toml").write_text(
        f'[tool.relnotes]\napi_url = "{fake_github.url}"\ntoken_env = "{TOKEN_ENV}"\n')
    sh("git", "add", "-A", cwd=work)
    sh("git", "commit", "-q", "-m", "generated worksheets", cwd=work)
    sh("git", "remote", "add", "origin", str(remote), cwd=work)
    sh("git", "push", "-q", "-u", "origin", "master", cwd=work)
    sh("git", "checkout", "-q", "-b", "my-work", cwd=work)
    fake_github.add_repo(REPO, default_branch="master", git_dir=remote)
    monkeypatch.setenv(TOKEN_ENV, "test-token-not-secret")
    return remote, work


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
