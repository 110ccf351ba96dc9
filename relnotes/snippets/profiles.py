"""API profiles: which modules and names a torch release has, read from its wheel.

Snippets in release notes are written for the version they are labelled with. To say
"``export_for_training`` does not exist in 2.11" without installing eleven torch
versions, relnotes reads each release's *Python sources* straight out of the official
wheel (a zip) with :mod:`ast`: nothing is installed or imported. The macOS arm64 wheel is
used because it is the smallest (~70 MB) and has the same Python API as the Linux CPU
build.

Building lives in :mod:`relnotes.snippets.profile_build`; this module loads and queries.
A profile is JSON::

    {"format": 1, "torch": "2.7.0", "wheel": "<file name>", "scope": [...],
     "modules": {"torch.export": {"open": false,
                                  "names": {"export": "function", ...},
                                  "imports": {"ExportedProgram": "torch.export.<...>"},
                                  "sigs": {"export": "(mod, args, *, strict=True)"},
                                  "classes": {"ExportedProgram": {"members": [...],
                                              "bases": [...], "init": "(self, ...)"}}},
                 "torch.some.other": null, ...}}

Every module of the wheel is listed (so ``import torch.x.y`` can always be checked); only
modules inside ``SHIPPED_SCOPE`` (:mod:`relnotes.snippets.profile_build`) carry their
names in the trimmed profiles shipped in the package (``null`` = names not recorded,
lookups there answer "unknown"). A module is
``open`` when it can grow names at run time (module ``__getattr__``, ``globals()[...] =``,
an unresolvable star import): a name missing from an open module is "unknown", never
"missing", so the static check does not cry wolf.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from relnotes.errors import SnippetError
from relnotes.versions import require_version

__all__ = [
    "FORMAT",
    "Lookup",
    "Profile",
    "available_versions",
    "load_profile",
    "major_minor",
]

FORMAT = 1

# An enum's members are all in its class body: these bases add none a snippet would use.
_ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"})


def major_minor(version: str) -> str:
    """``"2.7.0"`` / ``"2.7"`` / ``"v2.7.1"`` -> ``"2.7"``; raises UsageError otherwise."""
    return require_version(version).mm




@dataclass(frozen=True)
class Lookup:
    """The answer for one dotted name: ``status`` is ok, missing or unknown."""

    name: str
    status: str
    kind: str | None = None
    detail: str = ""


class Profile:
    """One release's API, loaded from JSON; answers "does ``torch.a.b.C`` exist?"."""

    def __init__(self, data: dict[str, Any]) -> None:
        if data.get("format") != FORMAT:
            raise SnippetError(f"unsupported profile format {data.get('format')!r}")
        self.data = data
        self.version: str = data["torch"]
        self.modules: dict[str, dict[str, Any] | None] = data["modules"]

    @property
    def major_minor(self) -> str:
        return major_minor(self.version)

    def lookup(self, dotted: str) -> Lookup:
        """Resolve ``dotted`` through modules, re-exports and classes (conservatively)."""
        return self._lookup(dotted, depth=0)

    def _lookup(self, dotted: str, *, depth: int) -> Lookup:
        parts = dotted.split(".")
        if parts[0] != "torch":
            return Lookup(dotted, "unknown", detail="not a torch name")
        cut = max(i for i in range(1, len(parts) + 1) if ".".join(parts[:i]) in self.modules)
        module = ".".join(parts[:cut])
        rest = parts[cut:]
        if not rest:
            return Lookup(dotted, "ok", "module")
        record = self.modules[module]
        if record is None:
            return Lookup(dotted, "unknown", detail=f"names of {module} not in the profile")
        name = rest[0]
        kind = record["names"].get(name)
        if kind is None:
            if record["open"]:
                return Lookup(dotted, "unknown", detail=f"{module} creates names at run time")
            return Lookup(dotted, "missing", detail=f"{module} has no {name!r}")
        target = record["imports"].get(name)
        if kind == "import" and target and depth < 8:
            resolved = self._lookup(".".join([target, *rest[1:]]), depth=depth + 1)
            if resolved.status != "ok" and not rest[1:]:
                # bound by an import statement, so it exists once the module is imported
                return Lookup(dotted, "ok", "import", detail=f"re-exported from {target}")
            return Lookup(dotted, resolved.status, resolved.kind, resolved.detail)
        if len(rest) == 1:
            return Lookup(dotted, "ok", kind, detail=record["sigs"].get(name, ""))
        if kind == "class":
            return self._member(dotted, record["classes"].get(name, {}), rest[1])
        return Lookup(dotted, "unknown", kind, detail=f"attribute of a {kind}")

    @staticmethod
    def _member(dotted: str, cls: dict[str, Any], member: str) -> Lookup:
        if member in cls.get("members", []):
            return Lookup(dotted, "ok", "member")
        bases = [b for b in cls.get("bases", []) if b.rsplit(".", 1)[-1] not in _ENUM_BASES]
        if bases:
            return Lookup(dotted, "unknown", detail="may be inherited")
        if cls.get("bases") and member in ("name", "value"):
            return Lookup(dotted, "ok", "member")
        return Lookup(dotted, "missing", detail=f"class has no {member!r}")

    def signature(self, dotted: str) -> str | None:
        """The recorded signature of a function, following re-exports; None if unknown."""
        parts = dotted.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            record = self.modules.get(".".join(parts[:cut]))
            if record is None:
                continue
            name = parts[cut]
            target = record["imports"].get(name)
            if target and cut == len(parts) - 1:
                return self.signature(target)
            if cut == len(parts) - 1:
                sig: str | None = record["sigs"].get(name)
                init = record["classes"].get(name, {}).get("init")
                if sig is None and init:  # a class: its __init__ without self
                    sig = re.sub(r"^\(\s*\w+\s*(?:,\s*|(?=\)))", "(", init)
                return sig
            return None
        return None


def _data_dir() -> Any:
    return resources.files("relnotes") / "data" / "profiles"


def available_versions() -> list[str]:
    """``X.Y`` of every profile shipped in the package, oldest first."""
    names = [p.name for p in _data_dir().iterdir() if p.name.startswith("torch-")]
    found = {re.sub(r"^torch-|\.json(\.gz)?$", "", n) for n in names}
    return sorted(found, key=lambda v: require_version(v).line)


@lru_cache(maxsize=32)
def load_profile(version: str, *, path: str | None = None) -> Profile:
    """The profile of ``version`` (X.Y or X.Y.Z) from ``path`` or the shipped data."""
    if path is not None:
        return Profile(_read_json(Path(path)))
    mm = major_minor(version)
    for suffix in (".json", ".json.gz"):
        res = _data_dir() / f"torch-{mm}{suffix}"
        if res.is_file():
            raw = res.read_bytes()
            text = gzip.decompress(raw) if suffix.endswith(".gz") else raw
            return Profile(json.loads(text))
    shipped = ", ".join(available_versions()) or "none"
    raise SnippetError(f"no API profile for torch {mm} (shipped: {shipped})")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
        data: dict[str, Any] = json.loads(raw)
        return data
    except (OSError, ValueError) as exc:
        raise SnippetError(f"cannot read profile: {exc}", file=path) from None
