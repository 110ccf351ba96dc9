"""Settings: one typed dataclass, read from ``[tool.relnotes]`` in pyproject.toml.

Precedence is defaults < file < command line. The file is found by walking up from the
starting directory. Unknown keys are rejected with the valid ones listed, and every value
is checked here, whether it came from the file or a flag, so a typo or an out-of-range
number never silently does nothing (a :class:`ConfigError`, exit 2 like any usage error).

Each field is documented by its ``doc`` metadata; :data:`SETTINGS` is derived from the
fields, so the table in the README, the checks and the code that reads a setting all
name the same attribute (``tests/test_config.py`` fails when a setting is read nowhere).
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relnotes.errors import ConfigError
from relnotes.versions import parse_version

__all__ = ["SETTINGS", "Config", "Setting", "find_pyproject", "load_config", "repo_problem"]


def _setting(default: Any, doc: str, check: Callable[[Any], str | None] | None = None) -> Any:
    return field(default=default, metadata={"doc": doc, "check": check})


def _in_unit_interval(value: float) -> str | None:
    return None if 0.0 <= value <= 1.0 else "must be between 0 and 1"


def _positive(value: float) -> str | None:
    return None if value > 0 else "must be greater than 0"


_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


def repo_problem(value: str) -> str | None:
    """Why ``value`` is not a GitHub ``OWNER/NAME`` (ASCII letters, digits, ``_.-``), or
    None: the one check of a repository name, for the setting, ``--repo`` flags and the
    GitHub client alike."""
    return None if _REPO.fullmatch(value) else "must be OWNER/NAME"


def _release(value: str) -> str | None:
    return None if not value or parse_version(value) else "must be a version such as 2.8.0"


@dataclass(frozen=True)
class Config:
    """Resolved settings plus the pyproject.toml they came from (for messages and paths)."""

    repo: str = _setting("pytorch/pytorch", "GitHub repository the PR numbers belong to.",
                         repo_problem)
    api_url: str = _setting("", "GitHub API base URL; empty: $GITHUB_API_URL or api.github.com.")
    token_env: str = _setting("GITHUB_TOKEN", "Environment variable that holds the GitHub token.")
    cache_path: str = _setting("", "PR metadata cache (sqlite); empty: the XDG cache directory.")
    miscategorized: str = _setting("", "miscategorized.md to use; empty: beside the todo/ folder.")
    template_dir: str = _setting("", "Folder of user templates, searched before the shipped ones.")
    release: str = _setting("", "Release being curated (e.g. 2.7.0); empty: not checked.",
                            _release)
    short_pr_links: bool = _setting(True, "The worksheet asks for #N instead of long PR links.")
    min_confidence: float = _setting(0.9, "Threshold for applying triage suggestions (0-1).",
                                     _in_unit_interval)
    snippet_timeout: float = _setting(120.0, "Seconds one snippet may run.", _positive)
    snippet_memory_mb: int = _setting(4096, "Address-space cap of one snippet process, in MiB.",
                                      _positive)
    history: str = _setting("", "Triage history data file; empty: the one shipped in the package.")
    final_areas: str = _setting("", "Area table of `relnotes final` (TOML: [domains], order, "
                                "[options]) merged over the shipped one; empty: shipped only.")
    source: Path | None = field(default=None, compare=False, metadata={"internal": True})

    def with_overrides(self, **overrides: Any) -> Config:
        """A copy with command-line values (``None`` means: not given) applied and checked."""
        values = {}
        for key, value in overrides.items():
            if value is None:
                continue
            setting = _BY_NAME.get(key)
            if setting is None:
                raise ConfigError(f"unknown setting {key!r}; valid: {', '.join(_BY_NAME)}")
            values[key] = setting.coerce(value, None)
        return dataclasses.replace(self, **values)

    @property
    def root(self) -> Path:
        """Directory of the pyproject.toml the settings came from, or the cwd."""
        return self.source.parent if self.source else Path.cwd()

    def path(self, value: str) -> Path | None:
        """A path setting resolved against :attr:`root`; None when the setting is empty."""
        if not value:
            return None
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.root / p


@dataclass(frozen=True)
class Setting:
    """One row of the settings table: name, type, default, doc line and its check."""

    name: str
    type: type
    default: Any
    doc: str
    check: Callable[[Any], str | None] | None = None

    def coerce(self, value: Any, source: Path | None) -> Any:
        """``value`` as this setting's type, or a :class:`ConfigError` saying why not."""
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, self.type) or (self.type is not bool and isinstance(value, bool)):
            raise ConfigError(f"setting {self.name!r} must be {self.type.__name__}, "
                              f"got {value!r}", file=source)
        problem = self.check(value) if self.check else None
        if problem:
            raise ConfigError(f"setting {self.name!r} {problem}, got {value!r}", file=source)
        return value


_TYPES = {"str": str, "bool": bool, "float": float, "int": int}

SETTINGS: tuple[Setting, ...] = tuple(
    Setting(f.name, _TYPES[str(f.type)], f.default, f.metadata["doc"], f.metadata["check"])
    for f in dataclasses.fields(Config) if not f.metadata.get("internal")
)

_BY_NAME = {s.name: s for s in SETTINGS}


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` that has ``[tool.relnotes]``."""
    for folder in [start, *start.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "relnotes" in _read_toml(candidate).get("tool", {}):
            return candidate
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"invalid TOML: {exc}", file=path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=path) from None


def load_config(start: str | Path | None = None) -> Config:
    """Defaults, overlaid with ``[tool.relnotes]`` from the nearest pyproject.toml."""
    start_path = Path(start or Path.cwd()).resolve()
    if not start_path.is_dir():
        start_path = start_path.parent
    source = find_pyproject(start_path)
    if source is None:
        return Config()
    table = _read_toml(source)["tool"]["relnotes"]
    if not isinstance(table, dict):
        raise ConfigError("[tool.relnotes] must be a table", file=source)
    values: dict[str, Any] = {}
    for key, value in table.items():
        setting = _BY_NAME.get(key.replace("-", "_"))
        if setting is None:
            valid = ", ".join(sorted(_BY_NAME))
            raise ConfigError(f"unknown setting {key!r} in [tool.relnotes]; valid: {valid}",
                              file=source)
        values[setting.name] = setting.coerce(value, source)
    return Config(source=source, **values)
