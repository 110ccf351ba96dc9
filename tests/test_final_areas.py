"""The area table: shipped data, readable defaults with a warning, a project's own names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from relnotes.config import load_config
from relnotes.errors import ConfigError
from relnotes.final_areas import Place, default_display_name, load_area_table
from relnotes.final_sources import CHERRY_PICKS_DOMAIN, read_done
from relnotes.release import ReleaseFolder
from tests.helpers import DATA, run_cli

GOLDEN = Path(__file__).parent / "data" / "final" / "2.9.0"


def test_shipped_table_names_orders_and_groups() -> None:
    """The newest release's names win (2.9.0: Dynamo, Inductor, Export, AOTDispatcher, its
    entries without area headings); sub-areas stay where a release groups domains."""
    table = load_area_table()
    assert table.place("nn_frontend") == (Place("torch.nn"), None)
    assert table.place("dynamo") == (Place("Dynamo"), None)
    assert table.place("aotdispatcher") == (Place("AOTDispatcher"), None)
    assert table.place("inductor (aoti)")[0] == Place("Ahead-Of-Time Inductor (AOTI)")
    assert table.place("distributed (dtensor)")[0] == Place("Distributed", "DTensor")
    assert table.place("releng")[0].area == "Release Engineering"
    assert table.place("build\\_frontend")[0].area == "Build Frontend"  # as 2.7.0 wrote it
    # cherry-pick lists name areas by their display names, older releases' ones too
    assert table.place("Inductor")[0] == Place("Inductor")
    assert table.place("torch.export")[0] == Place("Export")
    ranks = [table.area_rank(a) for a in ("Release Engineering", "Distributed", "ONNX")]
    assert ranks == sorted(ranks)
    assert table.area_rank("Zebra") > table.area_rank("Benchmark")
    assert table.entries_by_area is False


@pytest.mark.parametrize("release", sorted(p.parent.name for p in DATA.glob("*/done")))
def test_every_domain_of_the_real_releases_is_named(release: str) -> None:
    table = load_area_table()
    domains = {u.domain for s in read_done(DATA / release / "done") for u in s.units
               if u.published and u.domain != CHERRY_PICKS_DOMAIN}  # a pick of no domain
    assert {d for d in domains if table.place(d)[1]} == set()


def test_an_unknown_domain_gets_a_readable_default_and_a_warning() -> None:
    table = load_area_table()
    place, warning = table.place("new_widget_frontend")
    assert place == Place("New Widget Frontend")
    assert warning is not None and "'new_widget_frontend' is not in the area table" in warning
    assert "final_areas" in warning
    # a sub-domain of a known domain goes under its parent's area
    assert table.place("distributed (fsdp)")[0] == Place("Distributed", "fsdp")
    assert default_display_name("cpu (riscv)") == "CPU (riscv)"
    assert default_display_name("mtia_frontend") == "MTIA Frontend"
    assert default_display_name("torch.masked") == "torch.masked"


def test_a_project_file_renames_reorders_and_sets_options(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.relnotes]\nfinal_areas = "notes/areas.toml"\n', encoding="utf-8")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "areas.toml").write_text(
        'order = ["Dynamo", "torch.nn"]\n'
        '[domains]\ndynamo = "Dynamo"\nnew_widget = "Widgets"\n'
        '[options]\nentries_by_area = false\n', encoding="utf-8")
    config = load_config(tmp_path)
    assert config.final_areas == "notes/areas.toml"
    release = ReleaseFolder.of(tmp_path)  # the setting, relative to the pyproject.toml
    assert release.final_areas == tmp_path / "notes" / "areas.toml"
    table = load_area_table(release.final_areas)
    assert table.place("dynamo") == (Place("Dynamo"), None)  # 2.9-style rename
    assert table.place("new_widget") == (Place("Widgets"), None)
    assert table.place("nn_frontend")[0] == Place("torch.nn")  # shipped entries stay
    assert table.area_rank("Dynamo") < table.area_rank("torch.nn") < table.area_rank("CUDA")
    assert table.entries_by_area is False
    assert table.sources[-1].endswith("areas.toml")


def test_the_setting_changes_the_generated_notes(tmp_path: Path) -> None:
    release = tmp_path / "2.9.0"
    shutil.copytree(GOLDEN / "done", release / "done")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.relnotes]\nfinal_areas = "areas.toml"\n', encoding="utf-8")
    (tmp_path / "areas.toml").write_text(
        '[domains]\nnew_widget = "Widgets"\ndynamo = "Dynamo"\n', encoding="utf-8")
    result = run_cli("final", str(release))
    text = (release / "final.md").read_text(encoding="utf-8")
    assert "\n## Widgets\n- The first widget (#4001)\n" in text
    assert "\n## Dynamo\n- Trace generators (#3001)\n" in text
    assert "new_widget" not in result.output  # no default-name warning any more


@pytest.mark.parametrize("body, message", [
    ("[domains]\nfoo = 3\n", "must be a display name"),
    ("colour = 1\n", "unknown key(s) colour"),
    ("order = \"abc\"\n", "`order` must be a list"),
    ("[options]\nentries_by_area = 1\n", "must be bool"),
    ("[options]\ngroup = true\n", "unknown option 'group'"),
    ("[domains\n", "invalid TOML"),
])
def test_a_bad_area_file_is_a_usage_error_naming_it(tmp_path: Path, body: str,
                                                    message: str) -> None:
    path = tmp_path / "areas.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        load_area_table(path=path)
    assert info.value.file == str(path) and info.value.exit_code == 2


def test_a_missing_area_file_exits_2(tmp_path: Path) -> None:
    release = tmp_path / "2.9.0"
    shutil.copytree(GOLDEN / "done", release / "done")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.relnotes]\nfinal_areas = "nope.toml"\n', encoding="utf-8")
    result = run_cli("final", str(release), expect=2)
    assert "nope.toml" in result.output and "area table file not found" in result.output


def test_entries_without_area_headings_and_crlf_worksheets(tmp_path: Path) -> None:
    release = tmp_path / "2.9.0"
    shutil.copytree(GOLDEN / "done", release / "done")
    for sheet in (release / "done").glob("*.md"):
        sheet.write_bytes(sheet.read_bytes().replace(b"\n", b"\r\n"))
    (tmp_path / "areas.toml").write_text("[options]\nentries_by_area = false\n",
                                         encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.relnotes]\nfinal_areas = "areas.toml"\n', encoding="utf-8")
    run_cli("final", str(release))
    text = (release / "final.md").read_bytes().decode("utf-8")
    assert "\r" not in text
    assert "\n# Backwards Incompatible Changes\n### Remove the `reduce` argument" in text
    assert "\n# Deprecations\n### `nn.Bar` is deprecated (#1002)\n" in text
    assert "\n# New Features\n\n## torch.nn\n- Add `nn.Baz` (#1003)\n" in text
