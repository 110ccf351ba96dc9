"""``relnotes entry new --write``: the drafted entry goes into its item, in its worksheet.

Issue 19: the help's ``>> todo/quantization.md`` put the entry under the worksheet's last
section (``### security``), there was no way to write it into its item, and run inside
``2.7.0/`` it asked for ``--to`` while other commands read the release from the folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relnotes.entries import extract_entries
from relnotes.worksheet import parse_worksheet, read_worksheet
from tests.github_server import RunningServer
from tests.helpers import run_cli

LINK = "([#{n}](https://github.com/pytorch/pytorch/pull/{n}))"
WORKSHEET = f"""# Release Notes worksheet quantization

## quantization
### bc breaking
- Renamed `foo` to `bar` {LINK.format(n=144940)}

Because `foo` was misleading.

```python
# pytorch 2.6
foo()
# pytorch 2.7
bar()
```

### new features
- Keep the original weights when lowering {LINK.format(n=141049)}
### Untopiced
- [BC-Breaking]Remove capture_pre_autograd_graph references {LINK.format(n=139505)}
- Handle meta tensors in FX quantization {LINK.format(n=144726)}
### not user facing
### security
"""


@pytest.fixture
def release(tmp_path: Path, fake_github: RunningServer,
            monkeypatch: pytest.MonkeyPatch) -> Path:
    """``2.7.0/todo/result_quantization.md`` and settings pointing at the test server (no
    release setting: the folder names it)."""
    monkeypatch.delenv("RELNOTES_CACHE", raising=False)
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.relnotes]\napi_url = "{fake_github.url}"\n'
        f'cache_path = "{tmp_path / "cache.sqlite"}"\ntoken_env = "RELNOTES_FAKE_TOKEN"\n')
    folder = tmp_path / "2.7.0"
    (folder / "todo").mkdir(parents=True)
    (folder / "done").mkdir()
    (folder / "todo" / "result_quantization.md").write_text(WORKSHEET)
    return folder


def test_the_release_comes_from_the_folder(release: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(release)
    data = json.loads(run_cli("entry", "new", "--pr", "139505", "--kind", "bc",
                              "--format", "json").stdout)
    assert (data["from"], data["to"]) == ("2.6", "2.7")
    monkeypatch.chdir(release / "todo")
    assert "# pytorch 2.7" in run_cli("entry", "new", "--pr", "139505", "--kind", "bc").stdout


def test_write_places_the_entry_in_its_item(release: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = release / "todo" / "result_quantization.md"
    monkeypatch.chdir(release)
    out = run_cli("entry", "new", "--pr", "139505", "--kind", "bc", "--write",
                  "--format", "json")
    written = json.loads(out.stdout)["written"]
    assert written["file"] == "todo/result_quantization.md"  # found from the PR
    assert written["moved_from"] == "Untopiced" and written["section"] == "bc breaking"
    ws = read_worksheet(path)
    item = ws.find("pr:139505")
    assert item is not None and item.category == "bc breaking" and item.line == written["line"]
    assert item.title.startswith("[BC-Breaking]Remove capture_pre_autograd_graph")  # kept
    assert "<!-- TODO: why this changed" in item.body and "# pytorch 2.6" in item.body
    assert "export_for_training" in item.body  # the PR's BC-breaking note, to rewrite
    (entry,) = [e for e in extract_entries(ws, release="2.7.0") if e.prs == [139505]]
    assert [p.label for p in entry.parts if p.is_python] == ["2.6", "2.7"]
    # nothing else moved or changed
    old = parse_worksheet(WORKSHEET, path="old.md")
    assert {i.key: i.text for i in ws.items() if i.key != "pr:139505"} == \
        {i.key: i.text for i in old.items() if i.key != "pr:139505"}
    assert [s.name for s in ws.sections] == [s.name for s in old.sections]
    rest = path.read_text()
    assert "### security\n" == rest[-len("### security\n"):]  # not appended at the end


def test_write_refuses_an_item_that_has_an_entry_unless_forced(
        release: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = release / "todo" / "result_quantization.md"
    monkeypatch.chdir(release)
    before = path.read_bytes()
    out = run_cli("entry", "new", "--pr", "144940", "--kind", "bc", "--write", expect=1)
    assert "todo/result_quantization.md:5:" in out.stderr and "--force" in out.stderr
    assert path.read_bytes() == before
    run_cli("entry", "new", "--pr", "144940", "--kind", "bc", "--write", "--force")
    item = read_worksheet(path).find("pr:144940")
    assert item is not None and "Because `foo` was misleading." in item.body  # kept
    assert item.body.index("bar()") < item.body.index("<!-- TODO: why this changed")


def test_write_names_its_worksheet_and_refuses_what_it_cannot_place(
        release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = release / "todo" / "result_quantization.md"
    monkeypatch.chdir(tmp_path)  # outside the release folder: the worksheet is named
    run_cli("entry", "new", "--pr", "144726", "--kind", "deprecation", str(path), "--write")
    item = read_worksheet(path).find("pr:144726")
    assert item is not None and item.category == "deprecation"
    assert "# pytorch 2.6" in item.body  # the release from the worksheet's folder
    missing = run_cli("entry", "new", "--pr", "147466", "--kind", "bc", str(path), "--write",
                      expect=1)
    assert "no item with PR #147466" in missing.stderr
    unknown = run_cli("entry", "new", "--pr", "147466", "--kind", "bc", "--write", expect=2)
    assert "give the worksheet" in unknown.stderr
    # the same PR in two worksheets: which one is for the maintainer to say
    (release / "done" / "result_fx.md").write_text(WORKSHEET.replace("quantization", "fx"))
    monkeypatch.chdir(release)
    twice = run_cli("entry", "new", "--pr", "141049", "--kind", "bc", "--write", expect=2)
    assert "result_fx.md" in twice.stderr and "result_quantization.md" in twice.stderr


def test_crlf_worksheet_stays_crlf(release: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = release / "todo" / "result_quantization.md"
    path.write_bytes(WORKSHEET.replace("\n", "\r\n").encode())
    monkeypatch.chdir(release)
    run_cli("entry", "new", "--pr", "139505", "--kind", "bc", "--write")
    data = path.read_bytes()
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")


def test_help_example_writes_into_the_item() -> None:
    text = run_cli("entry", "new", "--help").output
    assert ">>" not in text and "--write" in text


def test_write_refuses_a_pr_of_a_grouping_bullet(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """2.8.0 distributed: #149343 is a nested item of ``- c10d`` (line 30). The whole
    group was refused as "has text under it already", and with --force the group (11 PRs)
    moved to ``### bc breaking``: an entry is one item's, never a group's."""
    from tests.helpers import DATA, copy_data

    path = copy_data(DATA / "2.8.0" / "done" / "result_distributed.md",
                     tmp_path / "2.8.0" / "done" / "result_distributed.md")
    (tmp_path / "2.8.0" / "todo").mkdir()
    before = path.read_bytes()
    monkeypatch.chdir(tmp_path / "2.8.0")
    for extra in ([], ["--force"]):
        out = run_cli("entry", "new", "--pr", "149343", "--kind", "bc", "--write", "--offline",
                      *extra, expect=1)  # the worksheet found from the PR
        assert "Error: done/result_distributed.md:30: " in out.stderr, out.stderr
        assert "#149343" in out.stderr and "line 31" in out.stderr and "- c10d" in out.stderr
        assert "has text under it" not in out.stderr
        assert path.read_bytes() == before
    run_cli("entry", "new", "--pr", "153406", "--kind", "bc", "--write", "--offline",
            expect=1)  # the group's last nested item (line 41): refused the same way
    # a title's own PR of the same file is still written into its item
    old = read_worksheet(path)
    own = next(i for i in old.items() if i.prs and not i.body.strip())
    run_cli("entry", "new", "--pr", str(own.prs[0]), "--kind", "bc", "--write", "--offline")
    ws = read_worksheet(path)
    written = ws.find(f"pr:{own.prs[0]}")
    assert written is not None and written.category == "bc breaking"
    group, was = ws.find("pr:149343"), old.find("pr:149343")
    assert group is not None and was is not None and group.category == "new features"
    assert group.text == was.text and len(group.lines) == 12  # "- c10d" and its 11 items


def test_place_entry_keeps_a_line_separator_of_the_draft(tmp_path: Path) -> None:
    """The draft quotes the PR's own note, which may hold a form feed or U+2028:
    ``str.splitlines`` broke the line there (and dropped the character)."""
    from relnotes.drafts import Draft, place_entry

    path = tmp_path / "2.7.0" / "todo" / "result_quantization.md"
    path.parent.mkdir(parents=True)
    path.write_text(WORKSHEET)
    note = "<!-- from the PR: old\u2028new,\x0cpage -->"
    draft = Draft(pr=144726, kind="bc", from_version="2.6", to_version="2.7",
                  template="worksheet_bc.md.j2", found=True,
                  text=f"- Handle meta tensors\n\n{note}\n")
    place_entry(draft, path, repo="pytorch/pytorch")
    item = read_worksheet(path).find("pr:144726")
    assert item is not None and f"\n{note}\n" in item.body


def test_find_worksheet_reads_each_worksheet_once(release: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """It read each worksheet holding the number twice (to look, then to parse)."""
    import sys
    from collections import Counter

    import relnotes.fileio
    from relnotes.drafts import find_worksheet

    (release / "done" / "result_fx.md").write_text(WORKSHEET.replace("quantization", "fx")
                                                   .replace("139505", "139506"))
    reads: Counter[str] = Counter()
    real = relnotes.fileio.read_text

    def counting(path: str | Path) -> str:
        reads[Path(path).name] += 1
        return real(path)

    for module in list(sys.modules.values()):  # every module that imported read_text
        if getattr(module, "read_text", None) is real:
            monkeypatch.setattr(module, "read_text", counting)
    found = find_worksheet(139505, start=release)
    assert found.name == "result_quantization.md"
    assert reads == {"result_quantization.md": 1, "result_fx.md": 1}
