"""Triage's hand-written tables, read from data files beside the history.

Which domain a title tag or a changed path belongs to, which files are tests or docs,
and what PR labels say are facts about PyTorch's repository, not code: they live in
``relnotes/data/triage_domains.toml``, ``triage_paths.toml`` and ``triage_labels.toml``
(the area table of ``relnotes final`` is data the same way). They are read once, on
first use, and checked: a wrong value is one error naming the file and its line.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from relnotes.categories import PUBLISHED
from relnotes.errors import ConfigError

__all__ = ["LabelEffect", "Tables", "data_file", "normalise_tag", "tables"]

DOMAINS_FILE = "triage_domains.toml"
PATHS_FILE = "triage_paths.toml"
LABELS_FILE = "triage_labels.toml"


@dataclass(frozen=True)
class LabelEffect:
    """What one PR label says: publish log-odds, a section vote, the reason's text."""

    publish: float
    section: str | None = None
    vote: float = 0.0
    reason: str | None = None  # None: "label '<label>'"


@dataclass(frozen=True)
class Tables:
    """Every triage table, as read and checked from the data files."""

    infrastructure: frozenset[str]  # domains whose subject is CI and builds
    tags: Mapping[str, tuple[str, ...]]  # normalised title tag -> candidate domains
    paths: tuple[tuple[str, str], ...]  # path prefix -> domain, most specific first
    test_files: re.Pattern[str]  # tests files
    ci_files: re.Pattern[str]  # CI files
    doc_files: re.Pattern[str]  # documentation files
    topics: Mapping[str, LabelEffect]  # "topic: <x>" labels, by <x>
    labels: Mapping[str, LabelEffect]  # other whole labels
    release_notes: Mapping[str, LabelEffect]  # words in "release notes: ..." labels
    bc_note: re.Pattern[str]  # a BC-breaking note in a PR body
    deprecation_note: re.Pattern[str]  # a deprecation note in a PR body


def data_file(name: str) -> Path:
    """A file of the package's ``relnotes/data`` folder."""
    return Path(str(resources.files("relnotes") / "data" / name))


@functools.lru_cache(maxsize=4096)
def normalise_tag(tag: str) -> str:
    """``"Intel GPU"`` -> ``"intelgpu"``: tags are written with every kind of spacing."""
    return re.sub(r"[\s_\-./]+", "", tag.strip().lower())


@functools.cache
def tables() -> Tables:
    """The shipped tables (read once)."""
    return read_tables(data_file(DOMAINS_FILE), data_file(PATHS_FILE), data_file(LABELS_FILE))


def read_tables(domains: Path, paths: Path, labels: Path) -> Tables:
    """Read and check the three table files (see the module doc)."""
    d, p, lab = _File(domains), _File(paths), _File(labels)
    d.keys_are({"infrastructure", "tags"})
    p.keys_are({"paths", "test_files", "ci_files", "doc_files"})
    lab.keys_are({"topics", "labels", "release_notes", "bc_note", "deprecation_note"})
    tags: dict[str, tuple[str, ...]] = {}
    for tag, value in d.table("tags").items():
        if normalise_tag(tag) != tag:
            raise d.error(f"[tags] key {tag!r} is not a normalised tag (write it as "
                          f"{normalise_tag(tag)!r})", key=tag, table="tags")
        tags[tag] = d.strings(value, f"[tags] {tag}", key=tag, table="tags", non_empty=True)
    rules: list[tuple[str, str]] = []
    for i, row in enumerate(p.array("paths")):
        if (not isinstance(row, list) or len(row) != 2
                or not all(isinstance(x, str) and x for x in row)):
            raise p.error(f"paths[{i}] must be [\"path prefix\", \"domain\"], got {row!r}",
                          element=("paths", i))
        rules.append((row[0], row[1]))
    return Tables(
        infrastructure=frozenset(d.strings(d.get("infrastructure", []), "infrastructure",
                                           key="infrastructure")),
        tags=tags, paths=tuple(rules),
        test_files=p.patterns("test_files"), ci_files=p.patterns("ci_files"),
        doc_files=p.patterns("doc_files"),
        topics=lab.effects("topics"), labels=lab.effects("labels"),
        release_notes=lab.effects("release_notes"),
        bc_note=lab.patterns("bc_note", re.IGNORECASE | re.MULTILINE),
        deprecation_note=lab.patterns("deprecation_note", re.IGNORECASE | re.MULTILINE))


class _File:
    """One TOML table file: its data, and the line of a key or array element for errors."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.text = path.read_text(encoding="utf-8")
            self.data: dict[str, Any] = tomllib.loads(self.text)
        except FileNotFoundError:
            raise ConfigError("triage table file not found", file=path) from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"not UTF-8: {exc}", file=path) from None
        except tomllib.TOMLDecodeError as exc:
            found = re.search(r"\(at line (\d+)", str(exc))
            line = int(found.group(1)) if found else (self.text.count("\n") or None)
            raise ConfigError(f"invalid TOML: {exc}", file=path, line=line) from None

    def error(self, message: str, *, key: str | None = None, table: str | None = None,
              element: tuple[str, int] | None = None) -> ConfigError:
        return ConfigError(message, file=self.path, line=self._line(key, table, element))

    def _line(self, key: str | None, table: str | None,
              element: tuple[str, int] | None) -> int | None:
        """The 1-based line where ``key`` is set (``key = ...`` or ``"key" = ...``; in
        ``[table]`` when given), or of the ``element`` (array name, index) of an array
        written one element per line."""
        lines = self.text.splitlines()
        if key is not None:
            spelled = re.compile(rf'^\s*("{re.escape(key)}"|{re.escape(key)})\s*=|'
                                 rf'^\s*\[{re.escape(key)}\]')
            inside = table is None
            for n, line in enumerate(lines, 1):
                if inside and spelled.match(line):
                    return n
                if line.lstrip().startswith("["):
                    inside = table is None or line.strip() == f"[{table}]"
            return None
        if element is not None:
            name, index = element
            start = next((n for n, line in enumerate(lines, 1)
                          if re.match(rf"^\s*{re.escape(name)}\s*=", line)), None)
            if start is None:
                return None
            rows = [n for n, line in enumerate(lines[start:], start + 1)
                    if line.lstrip().startswith(("[", "'", '"'))]
            return rows[index] if index < len(rows) else start
        return None

    def keys_are(self, allowed: set[str]) -> None:
        for key in self.data:
            if key not in allowed:
                raise self.error(f"unknown key {key!r}; valid: {', '.join(sorted(allowed))}",
                                 key=key)

    def get(self, key: str, default: Any) -> Any:
        return self.data.get(key, default)

    def table(self, key: str) -> dict[str, Any]:
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise self.error(f"{key} must be a table ([{key}])", key=key)
        return value

    def array(self, key: str) -> list[Any]:
        value = self.data.get(key, [])
        if not isinstance(value, list):
            raise self.error(f"{key} must be an array", key=key)
        return value

    def strings(self, value: Any, what: str, *, key: str, table: str | None = None,
                non_empty: bool = False) -> tuple[str, ...]:
        if (not isinstance(value, list) or not all(isinstance(x, str) and x for x in value)
                or (non_empty and not value)):
            raise self.error(f"{what} must be a list of names, got {value!r}", key=key,
                             table=table)
        return tuple(value)

    def patterns(self, key: str, flags: int = 0) -> re.Pattern[str]:
        """The key's regular expressions as one pattern (any of them)."""
        parts = self.array(key)
        for i, text in enumerate(parts):
            try:
                re.compile(text, flags)
            except (re.error, TypeError) as exc:
                raise self.error(f"{key}[{i}] is not a regular expression: {exc}",
                                 element=(key, i)) from None
        return re.compile("|".join(parts) or r"(?!)", flags)

    def effects(self, key: str) -> dict[str, LabelEffect]:
        out: dict[str, LabelEffect] = {}
        for label, value in self.table(key).items():
            if not isinstance(value, dict) or not set(value) <= _EFFECT_KEYS:
                raise self.error(f"[{key}] {label!r} must be {{ publish = N, section = \"...\", "
                                 f"vote = N, reason = \"...\" }}, got {value!r}", key=label,
                                 table=key)
            publish, vote = value.get("publish"), value.get("vote", 0.0)
            section, reason = value.get("section"), value.get("reason")
            if (not isinstance(publish, int | float) or isinstance(publish, bool)
                    or not isinstance(vote, int | float) or isinstance(vote, bool)):
                raise self.error(f"[{key}] {label!r}: publish and vote must be numbers",
                                 key=label, table=key)
            if section is not None and section not in PUBLISHED:
                raise self.error(f"[{key}] {label!r}: section {section!r} is not one of "
                                 f"{', '.join(sorted(PUBLISHED))}", key=label, table=key)
            if reason is not None and not isinstance(reason, str):
                raise self.error(f"[{key}] {label!r}: reason must be text", key=label,
                                 table=key)
            out[label] = LabelEffect(float(publish), section, float(vote), reason)
        return out


_EFFECT_KEYS = frozenset({"publish", "section", "vote", "reason"})
