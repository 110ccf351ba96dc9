"""API profiles: building from a wheel's sources, trimming, querying, the shipped data."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from relnotes.errors import SnippetError, UsageError
from relnotes.snippets import facts
from relnotes.snippets.profile_build import (
    PLATFORM_TAGS,
    build_profile,
    build_profile_from_wheel,
    download_wheel,
    in_scope,
    trim_profile,
    write_profile,
)
from relnotes.snippets.profiles import Profile, available_versions, load_profile, major_minor
from relnotes.versions import require_version
from tests.helpers import run_cli

SOURCES = {
    "torch/__init__.py": (
        "from torch import export\nfrom torch._C._VariableFunctions import *\n"
        "for name in dir(_C):\n    globals()[name] = 1\n"
    ),
    "torch/_C/_VariableFunctions.pyi": "def randn(*size): ...\ndef _private(): ...\n",
    "torch/export/__init__.py": (
        "import os\nfrom typing import Any\nfrom .exported_program import ExportedProgram\n"
        "from ._trace import *\n__all__ = ['export', 'ExportedProgram', 'Dim']\n"
        "def export(mod, args, kwargs=None, *, strict=True): ...\n"
        "try:\n    from torch.export.dynamic_shapes import Dim\nexcept ImportError:\n    pass\n"
    ),
    "torch/export/exported_program.py": (
        "class ExportedProgram:\n    x: int = 0\n    def __init__(self, root, graph): ...\n"
        "    def module(self): ...\n    def _hidden(self): ...\n"
        "class Sub(ExportedProgram):\n    pass\n"
    ),
    "torch/export/_trace.py": "__all__ = ['traced']\ndef traced(f): ...\ndef other(): ...\n",
    "torch/export/dynamic_shapes.py": "class Dim:\n    pass\n",
    "torch/lazy/__init__.py": "def __getattr__(name): ...\ndef known(): ...\n",
    "torch/utils/dlpack.py": (
        "import enum\nclass DLDeviceType(enum.IntEnum):\n    kDLCPU = 1\n    kDLGPU = 2\n"
    ),
    "torch/broken.py": "def f(:\n",
    "torch/not-a-module.py": "x = 1\n",
    "torch-2.7.0.dist-info/METADATA": "Name: torch\n",
}


def make_wheel(path: Path, sources: dict[str, str] = SOURCES) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in sources.items():
            zf.writestr(name, text)
    return path


@pytest.fixture
def profile(tmp_path: Path) -> Profile:
    data = build_profile_from_wheel(make_wheel(tmp_path / "torch-2.7.0.whl"), version="2.7.0")
    return Profile(data)


def test_modules_names_reexports_and_all(profile: Profile) -> None:
    assert {"torch", "torch.export", "torch._C._VariableFunctions",
            "torch.export.exported_program", "torch.broken"} <= set(profile.modules)
    assert "torch.not-a-module" not in profile.modules
    record = profile.modules["torch.export"]
    assert record is not None and not record["open"]
    assert record["names"]["export"] == "function"
    assert record["imports"]["ExportedProgram"] == "torch.export.exported_program.ExportedProgram"
    assert record["imports"]["traced"] == "torch.export._trace.traced"  # star import, __all__
    assert "other" not in record["names"]  # not in _trace.__all__
    assert record["names"]["Dim"] == "import"  # imported inside try:
    assert profile.lookup("torch.export.export").status == "ok"
    assert profile.lookup("torch.export.nope").status == "missing"
    assert profile.signature("torch.export.export") == "(mod, args, kwargs=None, *, strict=True)"


def test_classes_members_and_init(profile: Profile) -> None:
    assert profile.lookup("torch.export.ExportedProgram.module").status == "ok"
    assert profile.lookup("torch.export.ExportedProgram.x").status == "ok"
    assert profile.lookup("torch.export.ExportedProgram.gone").status == "missing"
    assert profile.lookup("torch.export.exported_program.Sub.anything").status == "unknown"
    assert profile.signature("torch.export.ExportedProgram") == "(root, graph)"
    assert profile.lookup("torch.utils.dlpack.DLDeviceType.kDLGPU").status == "ok"
    assert profile.lookup("torch.utils.dlpack.DLDeviceType.kDLCUDA").status == "missing"


def test_open_modules_never_say_missing(profile: Profile) -> None:
    assert profile.modules["torch"]["open"]  # globals()[...] = ...
    assert profile.lookup("torch.randn").status == "ok"  # from _VariableFunctions
    assert profile.lookup("torch.whatever").status == "unknown"
    assert profile.lookup("torch.lazy.made_up").status == "unknown"  # module __getattr__
    assert profile.modules["torch.broken"]["open"]  # unparsable: assume nothing
    assert profile.lookup("torch.nosuchmodule.x").status == "unknown"  # torch is open
    assert profile.lookup("numpy.array").status == "unknown"


def test_trim_keeps_module_list_and_drops_noise(profile: Profile) -> None:
    trimmed = Profile(trim_profile(profile.data, scope=("torch", "torch.export")))
    assert set(trimmed.modules) == set(profile.modules)
    assert trimmed.modules["torch.utils.dlpack"] is None
    assert trimmed.lookup("torch.utils.dlpack.DLDeviceType").status == "unknown"
    export = trimmed.modules["torch.export"]
    assert "os" not in export["names"] and "Any" not in export["names"]  # non-torch imports
    assert trimmed.lookup("torch.export.ExportedProgram.module").status == "ok"
    members = trimmed.modules["torch.export.exported_program"]["classes"]["ExportedProgram"]
    assert "_hidden" not in members["members"]
    assert trimmed.modules["torch.export._trace"] is None  # private below a root


def test_in_scope() -> None:
    assert in_scope("torch.export.exported_program")
    assert in_scope("torch.nn") and in_scope("torch.nn.functional")
    assert not in_scope("torch.nn.modules.conv")  # torch.nn is top-level only
    assert not in_scope("torch.onnx._internal.exporter")
    assert not in_scope("torch.distributed")


def test_write_and_load_roundtrip(tmp_path: Path, profile: Profile) -> None:
    path = write_profile(profile.data, tmp_path / "p.json")
    loaded = load_profile("2.7", path=str(path))
    assert loaded.version == "2.7.0" and loaded.modules == profile.modules
    gz = write_profile(profile.data, tmp_path / "p.json.gz")  # the shipped form
    assert gz.read_bytes()[:2] == b"\x1f\x8b"
    assert load_profile("2.7", path=str(gz)).modules == profile.modules


def test_not_a_torch_wheel(tmp_path: Path) -> None:
    with pytest.raises(SnippetError, match="not a torch wheel"):
        build_profile_from_wheel(make_wheel(tmp_path / "x.whl", {"foo/__init__.py": ""}),
                                 version="1.0.0")
    (tmp_path / "bad.whl").write_text("not a zip")
    with pytest.raises(SnippetError, match="cannot read wheel"):
        build_profile_from_wheel(tmp_path / "bad.whl", version="1.0.0")


def test_download_asks_pip_for_the_macos_arm64_wheel(tmp_path: Path) -> None:
    seen: list[list[str]] = []

    def fake_pip(cmd: list[str]) -> subprocess.CompletedProcess[str]:
        seen.append(cmd)
        make_wheel(Path(cmd[cmd.index("-d") + 1]) / "torch-2.7.0-cp311-none-macosx_11_0_arm64.whl")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    wheel = download_wheel("2.7.0", dest=tmp_path, run=fake_pip)
    cmd = seen[0]
    assert wheel.name.startswith("torch-2.7.0") and wheel.exists()
    assert cmd[1:4] == ["-m", "pip", "download"] and "torch==2.7.0" in cmd
    assert {"--no-deps", "--only-binary=:all:"} <= set(cmd)
    assert [cmd[i + 1] for i, a in enumerate(cmd) if a == "--platform"] == list(PLATFORM_TAGS)
    assert cmd[cmd.index("--python-version") + 1] == "3.11"

    out = build_profile("2.7.0", out=tmp_path / "torch-2.7.json", run=fake_pip)
    assert json.loads(out.read_text())["scope"][0] == "torch"


def test_download_failure_is_a_snippet_error(tmp_path: Path) -> None:
    def failing(cmd: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(cmd, 1, "", "ERROR: No matching distribution found")

    with pytest.raises(SnippetError, match="No matching distribution"):
        download_wheel("9.9.0", dest=tmp_path, run=failing)
    with pytest.raises(UsageError):
        download_wheel("2.7", dest=tmp_path, run=failing)


def test_cli_build_and_show(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "torch-2.7.0.whl")
    out = tmp_path / "p.json"
    result = run_cli("api-profile", "build", "--torch", "2.7.0", "--wheel", str(wheel),
                     "--out", str(out), "--full", "--format", "json")
    data = json.loads(result.stdout)
    assert data["torch"] == "2.7.0" and data["modules"] == len(json.loads(out.read_text())["modules"])
    shown = run_cli("api-profile", "show", "--profile", str(out), "2.7", "torch.export.export",
                    "--format", "json")
    (name,) = json.loads(shown.stdout)["names"]
    assert name["status"] == "ok" and name["signature"].startswith("(mod, args")
    missing = run_cli("api-profile", "show", "--profile", str(out), "2.7",
                      "torch.export.nope", expect=1)
    assert "torch.export.nope: missing" in missing.stdout
    bad = run_cli("api-profile", "build", "--torch", "2.7", "--wheel", str(wheel), expect=2)
    assert "Error:" in bad.stderr


def test_shipped_profiles_cover_2_5_to_2_15() -> None:
    assert available_versions() == [f"2.{n}" for n in range(5, 16)]
    for version in available_versions():
        profile = load_profile(version)
        assert major_minor(profile.version) == version
        assert profile.data["scope"][0] == "torch"


def status(version: str, name: str) -> str:
    return load_profile(version).lookup(name).status


# relnotes.snippets.facts is the one table of what existed when; the profiles, built from
# the official wheels' sources, are the evidence. Every fact, every shipped version.
@pytest.mark.parametrize("fact", facts.API, ids=lambda f: f.name)
def test_api_facts_agree_with_every_shipped_profile(fact: facts.ApiFact) -> None:
    for version in available_versions():
        line = require_version(version).line
        expected = "ok" if fact.existed_in(line) else "missing"
        assert status(version, fact.name) == expected, (version, fact.name, fact.span)


@pytest.mark.parametrize("fact", facts.BEHAVIOUR, ids=lambda f: f.what)
def test_behaviour_facts_agree_with_every_shipped_profile(fact: facts.BehaviourFact) -> None:
    for version in available_versions():
        profile = load_profile(version)
        if fact.signature_has is not None:
            shown = fact.signature_has in (profile.signature(fact.name) or "")
        else:
            shown = profile.lookup(fact.name).status == "ok"
        assert shown == fact.span.contains(require_version(version).line), (version, fact.what)


def test_the_table_covers_what_the_emulation_serves() -> None:
    """Spot checks that the table says what the release notes of those versions say."""
    assert facts.existed("torch._export.capture_pre_autograd_graph", (2, 6)) is True
    assert facts.existed("torch._export.capture_pre_autograd_graph", (2, 7)) is False
    assert facts.existed("torch.export.export_for_training", (2, 11)) is False
    assert facts.EXPORT_STRICT_DEFAULT.span.contains((2, 7))
    assert not facts.EXPORT_STRICT_DEFAULT.span.contains((2, 8))


@pytest.mark.torch
def test_profile_2_13_agrees_with_the_installed_torch() -> None:
    import importlib

    import torch

    assert torch.__version__.startswith("2.13")
    profile = load_profile("2.13")
    for module_name in ("torch.export", "torch.fx", "torch.optim.lr_scheduler",
                        "torch.onnx", "torch.utils.dlpack"):
        module = importlib.import_module(module_name)
        record = profile.modules[module_name]
        assert record is not None
        public = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
        for name in public:
            assert profile.lookup(f"{module_name}.{name}").status in ("ok", "unknown"), name
        for name, kind in record["names"].items():
            if kind in ("function", "class"):
                assert hasattr(module, name), f"{module_name}.{name}"
