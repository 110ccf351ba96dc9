"""Triage's tables are data files, read once and checked: errors name file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from relnotes.errors import ConfigError
from relnotes.triage.domains import owner_from_paths, owner_from_tags, table_domains
from relnotes.triage.metadata_signals import (
    is_ci_path,
    is_doc_path,
    is_test_path,
    metadata_signals,
)
from relnotes.triage.tables import (
    DOMAINS_FILE,
    LABELS_FILE,
    PATHS_FILE,
    data_file,
    read_tables,
    tables,
)


class _PR:
    def __init__(self, labels: list[str], files: list[str] = ()) -> None:  # type: ignore[assignment]
        self.number, self.labels, self.files, self.body = 7, labels, list(files), ""


def test_the_shipped_tables_are_read_once_and_used() -> None:
    assert tables() is tables()
    t = tables()
    assert t.tags["dtensor"] == ("distributed (dtensor)", "distributed")
    assert t.paths[0] == ("torch/_inductor/codegen/aoti", "inductor (aoti)")
    assert "releng" in t.infrastructure
    assert owner_from_tags("[DTensor] fix", known={"distributed"}).domain == "distributed"
    assert owner_from_paths(["torch/_inductor/a.py", "torch/_inductor/b.py"]).domain == "inductor"
    assert is_ci_path(".github/workflows/x.yml") and is_test_path("test/test_x.py")
    assert not is_test_path(".github/workflows/x.yml")
    assert is_doc_path("docs/source/x.rst") and not is_test_path("torch/x.py")
    assert {"rocm", "inductor (aoti)", "nn_frontend"} <= table_domains()


def test_labels_come_from_the_label_table() -> None:
    signals = metadata_signals([_PR(["topic: bug fixes", "Reverted", "module: deprecation",
                                     "release notes: fx (not user facing)", "ciflow/trunk"])])
    assert signals.votes == {"bug fixes": 2.5, "deprecation": 4.0}
    assert signals.publish == pytest.approx(1.5 - 1.5 + 2.5 - 3.0)
    assert signals.reasons == [
        "#7: label 'topic: bug fixes'", "#7: label 'Reverted' (was reverted at least once)",
        "#7: label 'module: deprecation'", "#7: label 'release notes: fx (not user facing)'"]


def _copy(tmp_path: Path) -> tuple[Path, Path, Path]:
    out = []
    for name in (DOMAINS_FILE, PATHS_FILE, LABELS_FILE):
        target = tmp_path / name
        target.write_text(data_file(name).read_text(encoding="utf-8"), encoding="utf-8")
        out.append(target)
    return out[0], out[1], out[2]


def _line(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def _error(files: tuple[Path, Path, Path]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        read_tables(*files)
    return caught.value


@pytest.mark.parametrize("which, old, new, says", [
    (0, 'dtensor = ["distributed (dtensor)", "distributed"]', 'DTensor = ["distributed"]',
     "not a normalised tag"),
    (0, 'dcp = ["distributed (checkpoint)"]', "dcp = []", "must be a list of names"),
    (1, '["torch/_dynamo/", "dynamo"],', '["torch/_dynamo/"],', "paths[4] must be"),
    (1, "'_test\\.(py|cpp)$',", "'_test\\.(py|cpp$',", "test_files[2] is not a regular"),
    (2, '"perf" = { section = "performance", vote = 2.5, publish = 1.5 }',
     '"perf" = { section = "speed", vote = 2.5, publish = 1.5 }', "section 'speed'"),
    (2, '"reverted" = { publish = -1.5,', '"reverted" = { publish = "a lot",',
     "must be numbers"),
])
def test_a_wrong_value_names_file_and_line(tmp_path: Path, which: int, old: str, new: str,
                                           says: str) -> None:
    files = _copy(tmp_path)
    path = files[which]
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    error = _error(files)
    assert says in error.message
    assert error.file == str(path) and error.line == _line(path, new)


def test_invalid_toml_and_unknown_keys_name_file_and_line(tmp_path: Path) -> None:
    files = _copy(tmp_path)
    files[0].write_text("infrastructure = [\"releng\"]\n[tags]\nrocm = [rocm]\n")
    error = _error(files)
    assert error.file == str(files[0]) and error.line == 3 and "invalid TOML" in error.message
    files[0].write_text("infrastructure = [\"releng\"]\n[tags]\nrocm = [\"rocm\"\n")
    assert _error(files).line == 3  # unclosed at the end: the last line
    files[0].write_text("infrastructure = []\ncolours = 1\n")
    error = _error(files)
    assert "unknown key 'colours'" in error.message and error.line == 2


def test_a_label_in_two_tables_is_found_in_the_right_one(tmp_path: Path) -> None:
    files = _copy(tmp_path)
    text = files[2].read_text(encoding="utf-8")
    entry = '"bc-breaking" = { section = "bc breaking", vote = 4.0, publish = 2.5 }'
    first = text.index(entry)
    second = text.index(entry, first + 1)  # the [labels] one, after [topics]'
    files[2].write_text(text[:second] + entry.replace("bc breaking", "breaking")
                        + text[second + len(entry):], encoding="utf-8")
    error = _error(files)
    assert "[labels] 'bc-breaking'" in error.message
    assert error.line == text[:second].count("\n") + 1
    files[0].write_text("infrastructure = []\n[tags]\n[colours]\nred = 1\n")
    assert _error(files).line == 3  # an unknown table: its header
