"""Settings: one typed dataclass, validated in one place, every setting read by the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from relnotes.config import SETTINGS, Config, load_config
from relnotes.errors import ConfigError
from tests.helpers import REPO, run_cli


def _project(tmp_path: Path, body: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(f"[tool.relnotes]\n{body}\n", encoding="utf-8")
    return tmp_path


def test_defaults_file_then_flags(tmp_path: Path) -> None:
    root = _project(tmp_path, 'repo = "me/notes"\nmin-confidence = 0.8\nsnippet_timeout = 5')
    (root / "todo").mkdir()
    config = load_config(root / "todo" / "x.md")
    assert (config.repo, config.min_confidence, config.snippet_timeout) == ("me/notes", 0.8, 5.0)
    assert config.source == root / "pyproject.toml" and config.root == root
    assert config.with_overrides(repo="you/notes", min_confidence=None).repo == "you/notes"
    assert Config().min_confidence == 0.9


@pytest.mark.parametrize("body, message", [
    ("min_confidence = 5", "min_confidence' must be between 0 and 1"),
    ("min_confidence = true", "must be float"),
    ("snippet_timeout = 0", "snippet_timeout' must be greater than 0"),
    ("snippet_memory_mb = -1", "greater than 0"),
    ('release = "next"', "must be a version"),
    ('repo = "pytorch"', "must be OWNER/NAME"),
    ('colour = "blue"', "unknown setting 'colour'"),
    ("short_pr_links = 1", "must be bool"),
])
def test_bad_values_are_refused_where_they_are_written(tmp_path: Path, body: str,
                                                       message: str) -> None:
    root = _project(tmp_path, body)
    with pytest.raises(ConfigError, match=re.escape(message)) as info:
        load_config(root)
    assert info.value.file == str(root / "pyproject.toml")
    assert info.value.exit_code == 2


def test_flags_get_the_same_checks() -> None:
    with pytest.raises(ConfigError, match="between 0 and 1"):
        Config().with_overrides(min_confidence=2.0)


def test_a_config_error_exits_2_like_any_usage_error(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path, "min_confidence = 5")
    sheet = root / "x.md"
    sheet.write_text("## quantization\n### bug fixes\n- Fix (#1)\n", encoding="utf-8")
    monkeypatch.chdir(root)
    result = run_cli("lint", str(sheet), expect=2)
    assert "Error:" in result.output and "pyproject.toml" in result.output


def test_every_setting_is_documented_and_read_by_the_code() -> None:
    """A setting nobody reads is a promise the tool does not keep."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "relnotes").rglob("*.py")
                        if p.name != "config.py")
    for setting in SETTINGS:
        assert f"| `{setting.name}` |" in readme, f"{setting.name} missing from the README"
        assert re.search(rf"\bconfig\.{setting.name}\b|\bsettings\.{setting.name}\b", sources), \
            f"setting {setting.name!r} is documented but no code reads it"
