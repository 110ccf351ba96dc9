"""Parsing and editing speed: worksheets of 5k to 50k items, generated and curated shapes.

Two shapes, because the fast path (``relnotes.markdown``) reads runs of plain bullets
without markdown-it and everything else with it:

- ``generated``: every section a list of one-line bullets with long PR links, the way the
  generator writes them (most of a real todo/ file);
- ``curated``: the same items, but every tenth one has a body (rationale, fenced code) or
  nested bullets, as done/ files do; markdown-it parses those stretches.

Each size is parsed in a fresh process (``relnotes parse FILE --format json`` without the
CLI start-up, i.e. read + parse + JSON), best of 3 wall times. The target (issue 9) is a
50,000-item worksheet in under 3 s. Writes bench/results/parse.md.

Run:  .venv/bin/python bench/bench_parse.py [--sizes 5000,10000,20000,50000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from relnotes.categories import CATEGORIES
from relnotes.fileio import atomic_write

HERE = Path(__file__).resolve().parent
_CHILD = """
import json, sys, time
start = time.perf_counter()
from relnotes.documents import document_json, read_document
doc = read_document(sys.argv[1])
data = json.dumps(document_json(doc))
parsed = time.perf_counter()
from relnotes.apply import Decision, apply_decisions
moves = [Decision(key=i.key, section="bug fixes") for i in doc.items()[::5]]
apply_decisions(doc, moves)
doc.render()
print(json.dumps({"seconds": parsed - start, "apply": time.perf_counter() - parsed,
                  "moves": len(moves), "items": len(doc.items()), "bytes": len(data)}))
"""


def worksheet(n: int, *, curated: bool) -> str:
    """A worksheet of ``n`` items spread over every section."""
    out = ["", "# Release Notes worksheet big", "", "You should:", "", "1. sort",
           "", "## 1. Ensure commit categorization is correct", "", "* sort", "", "## big"]
    per = -(-n // len(CATEGORIES))
    k = 100000
    for section in CATEGORIES:
        out.append(f"### {section}")
        for i in range(per):
            k += 1
            link = f"([#{k}](https://github.com/pytorch/pytorch/pull/{k}))"
            if curated and i % 10 == 9:
                out += [f"- Change `torch.mod_{k}` so it works {link}", "",
                        "  Why it changed, in a sentence or two.", "", "  ```python",
                        f"  torch.mod_{k}(x)", "  ```", ""]
            elif curated and i % 10 == 4:
                out += [f"- Smaller additions to mod_{k}:",
                        f"  - Part one {link}"]
            else:
                out.append(f"- Fix thing number {k} in `mod_{k}` {link}")
    return "\n".join(out) + "\n"


def measure(path: Path, repeat: int = 3) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", _CHILD, str(path)], check=True,
                              capture_output=True, text=True)
        wall = time.perf_counter() - start
        runs.append({**json.loads(proc.stdout), "wall": wall})
    best = min(runs, key=lambda r: r["seconds"])
    return {"items": best["items"], "parse": best["seconds"],
            "apply": min(r["apply"] for r in runs), "moves": best["moves"],
            "process": min(r["wall"] for r in runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,10000,20000,50000")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "parse.md")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for shape in ("generated", "curated"):
            for n in (int(s) for s in args.sizes.split(",")):
                path = Path(tmp) / f"{shape}-{n}.md"
                path.write_text(worksheet(n, curated=shape == "curated"), encoding="utf-8")
                result = measure(path)
                rows.append((shape, n, result))
                print(f"{shape:9} {n:>6} items: parse {result['parse']:.2f} s, "
                      f"whole process {result['process']:.2f} s", file=sys.stderr)
    lines = ["# Parsing speed (bench/bench_parse.py)", "",
             ("Read + parse + JSON of one worksheet in a fresh process, best of 3; then "
              "moving every fifth item to another section (apply_decisions) and rendering; "
              "'process' includes starting Python and importing relnotes."), "",
             "| shape | items | parse (s) | moves | apply (s) | process (s) |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    lines += [f"| {shape} | {r['items']:,} | {r['parse']:.2f} | {r['moves']:,} | "
              f"{r['apply']:.2f} | {r['process']:.2f} |" for shape, _, r in rows]
    atomic_write(args.out, "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
