"""Small synthetic worksheets for the triage tests (real data is used by bench/)."""

from __future__ import annotations

from pathlib import Path

PREAMBLE = "# Release Notes worksheet {domain}\n\nInstructions.\n\n"
SECTIONS = ("bc breaking", "deprecation", "new features", "improvements", "bug fixes",
            "performance", "docs", "devs", "Untopiced", "not user facing")


def link(n: int) -> str:
    return f"([#{n}](https://github.com/pytorch/pytorch/pull/{n}))"


def worksheet_text(domain: str, items: dict[str, list[str]]) -> str:
    """A worksheet with every usual section; ``items`` maps section -> bullet texts."""
    out = [PREAMBLE.format(domain=domain), f"## {domain}\n"]
    for sec in SECTIONS:
        out.append(f"### {sec}\n")
        out += [f"- {text}\n" for text in items.get(sec, [])]
    return "".join(out)


def write_release(root: Path, todo: dict[str, dict[str, dict[str, list[str]]]],
                  done: dict[str, dict[str, dict[str, list[str]]]]) -> tuple[Path, Path]:
    """``todo``/``done``: file name -> (domain -> sections). Returns the two folders."""
    for kind, files in (("todo", todo), ("done", done)):
        folder = root / kind
        folder.mkdir(parents=True, exist_ok=True)
        for name, spec in files.items():
            ((domain, items),) = spec.items()
            (folder / name).write_text(worksheet_text(domain, items), encoding="utf-8")
    return root / "todo", root / "done"
