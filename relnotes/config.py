"""Settings: one declarative table, read from ``[tool.relnotes]`` in pyproject.toml.

Precedence is defaults < file < command line. The file is found by walking up from the
starting directory. Unknown keys are rejected with the valid ones listed, so a typo in a
setting never silently does nothing.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relnotes.errors import ConfigError

__all__ = ["SETTINGS", "Config", "Setting", "load_config"]


@dataclass(frozen=True)
class Setting:
    name: str
    type: type
    default: Any
    doc: str


SETTINGS: tuple[Setting, ...] = (
    Setting("repo", str, "pytorch/pytorch", "GitHub repository the PR numbers belong to."),
    Setting("api_url", str, "", "GitHub API base URL; empty: $GITHUB_API_URL or api.github.com."),
    Setting("token_env", str, "GITHUB_TOKEN", "Environment variable that holds the GitHub token."),
    Setting("cache_path", str, "", "PR metadata cache (sqlite); empty: the XDG cache directory."),
    Setting("miscategorized", str, "", "miscategorized.md to use; empty: beside the todo/ folder."),
    Setting("template_dir", str, "", "Folder of user templates, searched before the shipped ones."),
    Setting("release", str, "", "Release being curated (e.g. 2.7.0); empty: guessed from PRs."),
    Setting("short_pr_links", bool, True, "The worksheet asks for #N instead of long PR links."),
    Setting("min_confidence", float, 0.9, "Default threshold for applying triage suggestions."),
    Setting("snippet_timeout", float, 120.0, "Seconds one snippet may run."),
    Setting("snippet_memory_mb", int, 4096, "Address-space cap of one snippet process, in MiB."),
    Setting("history", str, "", "Triage history data file; empty: the one shipped in the package."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass
class Config:
    """Resolved settings plus where they came from (for messages)."""

    values: dict[str, Any] = field(default_factory=lambda: {s.name: s.default for s in SETTINGS})
    source: Path | None = None

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def with_overrides(self, **overrides: Any) -> Config:
        """Return a copy with command-line values (``None`` means: not given) applied."""
        values = dict(self.values)
        for key, value in overrides.items():
            if value is None:
                continue
            values[key] = _coerce(_BY_NAME[key], value, self.source)
        return Config(values=values, source=self.source)

    @property
    def root(self) -> Path:
        """Directory of the pyproject.toml the settings came from, or the cwd."""
        return self.source.parent if self.source else Path.cwd()


def _coerce(setting: Setting, value: Any, source: Path | None) -> Any:
    if setting.type is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, setting.type) or (setting.type is int and isinstance(value, bool)):
        raise ConfigError(
            f"setting {setting.name!r} must be {setting.type.__name__}, got {value!r}",
            file=source,
        )
    return value


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` that has ``[tool.relnotes]``."""
    for folder in [start, *start.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"invalid TOML: {exc}", file=candidate) from None
            if "relnotes" in data.get("tool", {}):
                return candidate
    return None


def load_config(start: str | Path | None = None) -> Config:
    """Defaults, overlaid with ``[tool.relnotes]`` from the nearest pyproject.toml."""
    start_path = Path(start or Path.cwd()).resolve()
    if start_path.is_file():
        start_path = start_path.parent
    source = find_pyproject(start_path)
    config = Config(source=source)
    if source is None:
        return config
    table = tomllib.loads(source.read_text(encoding="utf-8"))["tool"]["relnotes"]
    for key, value in table.items():
        setting = _BY_NAME.get(key.replace("-", "_"))
        if setting is None:
            valid = ", ".join(sorted(_BY_NAME))
            raise ConfigError(f"unknown setting {key!r} in [tool.relnotes]; valid: {valid}",
                              file=source)
        config.values[setting.name] = _coerce(setting, value, source)
    return config
