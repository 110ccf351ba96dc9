"""Public torch names a title mentions that the release removed or changed.

relnotes ships API profiles (:mod:`relnotes.snippets.profiles`): for each torch release,
the names of its public modules and their signatures. A name that exists in the previous
release's profile and not in this one's, or whose signature changed, is hard evidence of
a backward-incompatible change when an item's title names it; a name still there whose
title says it now warns is evidence of a deprecation. Only names written the way code is
written count (``torch.a.b``, ``snake_case_name``, ``CamelCaseName``, anything in
backticks), so ordinary words never match.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from relnotes.errors import RelnotesError
from relnotes.snippets.profiles import Profile, available_versions, load_profile
from relnotes.versions import Version

__all__ = ["ApiChange", "ApiDiff", "api_diff_for"]

log = logging.getLogger(__name__)

_BACKTICKED = re.compile(r"`([^`]+)`")
_DOTTED = re.compile(r"\btorch(?:\.[A-Za-z_]\w*)+")
_SNAKE = re.compile(r"(?<![\w.])([A-Za-z]\w*_\w+)(?![\w(])")
_CAMEL = re.compile(r"(?<![\w.])([A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+)\b")
_IDENT = re.compile(r"[A-Za-z_][\w.]*")
_REMOVAL = re.compile(r"\b(remov\w*|delet\w*|drop\w*|kill\w*|deprecat\w*|migrat\w*|get rid of|"
                      r"retir\w*|moved? (out|away)|no longer)\b", re.IGNORECASE)
_PLAIN_WORD = re.compile(r"[a-z][a-z0-9]*")
# Module names too generic to stand for a removed module when written as a plain word.
_GENERIC = frozenset({"utils", "util", "common", "base", "core", "types", "config", "api",
                      "registration", "serialization", "patcher", "decomp", "passes", "ops",
                      "helpers", "internal", "experimental", "error", "errors", "globals",
                      "functional", "examples", "io", "runtime", "kernel", "template",
                      "cache", "lib", "schema", "impl", "state", "init", "constants",
                      "analysis", "watchdog", "options", "modules", "backend", "backends"})
_CACHE_SIZE = 1 << 16


@dataclass(frozen=True)
class ApiChange:
    """A public name the title mentions and what happened to it between the releases."""

    name: str  # dotted path in the older release
    change: str  # "removed" | "signature" | "present"
    detail: str
    what: str = ""  # "module " / "public name " for removals named in plain words

    def describe(self, old: str, new: str) -> str:
        if self.change == "removed":
            return f"API profiles: {self.what}{self.name} exists in torch {old} and not in {new}"
        if self.change == "signature":
            return f"API profiles: signature of {self.name} changed from {old} to {new} ({self.detail})"
        return f"API profiles: {self.name} exists in torch {old} and {new}"


_UNSEEN = ApiChange("", "", "")  # a name not looked up yet


def _public(path: str) -> bool:
    return not any(part.startswith("_") for part in path.split("."))


def _removed_modules(old: Profile, new: Profile) -> dict[str, list[str]]:
    """Plain name (last part, leading ``_`` dropped) -> public top-most modules of
    ``old`` that ``new`` lacks."""
    gone = set(old.modules) - set(new.modules)
    out: dict[str, list[str]] = defaultdict(list)
    for module in sorted(gone):
        if module.rsplit(".", 1)[0] in gone or not _public(module):
            continue  # a sub-module of a removed package: the package stands for it
        name = module.rsplit(".", 1)[-1].lstrip("_").lower()
        if len(name) >= 3 and name not in _GENERIC:
            out[name].append(module)
    return out


def _public_reexports(profile: Profile) -> dict[str, list[str]]:
    """Short name -> dotted paths where a public module re-exports it."""
    out: dict[str, list[str]] = defaultdict(list)
    for module, record in profile.modules.items():
        if record is None or not _public(module):
            continue
        for name, kind in record["names"].items():
            if kind == "import" and not name.startswith("_"):
                out[name].append(f"{module}.{name}")
    return out


def _index(profile: Profile) -> dict[str, list[str]]:
    """Short name -> dotted paths where the profile defines it (not re-exports)."""
    out: dict[str, list[str]] = defaultdict(list)
    for module, record in profile.modules.items():
        if record is None:
            continue
        for name, kind in record["names"].items():
            if kind != "import":
                out[name].append(f"{module}.{name}")
    return out


class ApiDiff:
    """Compares the profiles of two releases for the names a title mentions."""

    def __init__(self, old: Profile, new: Profile) -> None:
        self.old, self.new = old, new
        self.old_version, self.new_version = old.major_minor, new.major_minor
        self._old_index = _index(old)
        self._changes: dict[str, tuple[ApiChange, ...]] = {}  # per title (profiles are fixed)
        self._path_changes: dict[str, ApiChange | None] = {}  # per dotted name
        self._modules: dict[str, list[str]] | None = None  # made on first use
        self._reexports: dict[str, list[str]] | None = None

    def names_in(self, title: str) -> list[str]:
        """Code-like names of a title: dotted torch paths, snake_case, CamelCase, `code`."""
        return list(_names_in(title))

    def changes_in(self, title: str) -> list[ApiChange]:
        """What happened to each public name of the title between the two releases."""
        cached = self._changes.get(title)
        if cached is None:
            if len(self._changes) >= _CACHE_SIZE:
                self._changes.clear()
            cached = self._changes[title] = tuple(self._changes_in(title))
        return list(cached)

    def _changes_in(self, title: str) -> list[ApiChange]:
        out: list[ApiChange] = []
        for name in _names_in(title):
            paths = [name] if name.startswith("torch.") else self._old_index.get(
                name.rsplit(".", 1)[-1], [])
            for path in paths[:4]:
                change = self._path_changes.get(path, _UNSEEN)
                if change is _UNSEEN:
                    change = self._path_changes[path] = self._change_of(path)
                if change is not None:
                    out.append(change)
        return out

    def removals_in(self, title: str) -> list[ApiChange]:
        """Public re-exports and public modules the title removes (see the module doc):
        only when the title says it removes something."""
        if not _REMOVAL.search(title):
            return []
        if self._modules is None or self._reexports is None:
            self._modules = _removed_modules(self.old, self.new)
            self._reexports = _public_reexports(self.old)
        found: list[ApiChange] = []
        for name in _names_in(title):
            if name.startswith("torch."):  # looked up as written, not by its last part
                paths = [name] if self.old.lookup(name).kind == "import" else []
            else:
                paths = self._reexports.get(name.rsplit(".", 1)[-1], [])[:4]
            found += [ApiChange(p, "removed", "", "public name ") for p in paths
                      if self.new.lookup(p).status == "missing"]
        words = _PLAIN_WORD.findall(title.lower())
        for word in sorted(set(words) | {a + "_" + b for a, b in pairwise(words)}):
            found += [ApiChange(m, "removed", "", "module ") for m in self._modules.get(word, [])]
        return list({c.name: c for c in found}.values())

    def _change_of(self, path: str) -> ApiChange | None:
        """What happened to one dotted name (None: not a public name of the old release)."""
        before = self.old.lookup(path)
        if before.status != "ok":
            return None
        after = self.new.lookup(path)
        if after.status == "missing":
            return ApiChange(path, "removed", after.detail)
        if after.status == "ok":
            # a lookup's detail is the recorded signature of a function or class
            old_sig, new_sig = before.detail, after.detail
            if (before.kind == after.kind and before.kind in ("function", "class")
                    and old_sig.startswith("(") and new_sig.startswith("(")
                    and old_sig != new_sig):
                return ApiChange(path, "signature", f"{old_sig} -> {new_sig}")
            return ApiChange(path, "present", "")
        return None


@lru_cache(maxsize=_CACHE_SIZE)
def _names_in(title: str) -> tuple[str, ...]:
    """Code-like names of a title (see :meth:`ApiDiff.names_in`)."""
    found: list[str] = []
    for span in _BACKTICKED.findall(title):
        found += [m.group(0).rstrip(".") for m in _IDENT.finditer(span)]
    text = _BACKTICKED.sub(" ", title) if "`" in title else title
    found += _DOTTED.findall(text) + _SNAKE.findall(text) + _CAMEL.findall(text)
    return tuple(dict.fromkeys(n for n in found if len(n) >= 4))


@lru_cache(maxsize=8)
def _diff(old: str, new: str) -> ApiDiff:
    return ApiDiff(load_profile(old), load_profile(new))


def api_diff_for(release: Version | None) -> ApiDiff | None:
    """The diff between ``release``'s profile and the previous release's, when both ship."""
    if release is None:
        return None
    previous = release.previous()
    shipped = set(available_versions())
    if previous is None or release.mm not in shipped or previous.mm not in shipped:
        log.info("no API profiles for %s and the release before it: no API evidence", release)
        return None
    try:
        return _diff(previous.mm, release.mm)
    except RelnotesError as exc:  # a damaged profile must not stop triage
        log.warning("API profiles not used: %s", exc)
        return None
