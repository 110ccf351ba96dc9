"""The area table of the final release notes: display names, order and groups.

Worksheets are per domain (``## nn_frontend``); the published notes group items under
display names (``## torch.nn``), in a fixed order, some of them as ``#### Dynamo`` under a
shared ``## torch.compile``. That knowledge is data, not code: the shipped table
(``relnotes/data/final_areas.toml``) was learned from the 2.7.0, 2.8.0 and 2.9.0 notes
(the newest names win; ``[former]`` keeps the names older releases used, which people
still write in pool headings and cherry-pick lists), and a project extends or renames it
with a file of the same form named by the ``final_areas`` setting, because releases rename
areas (2.7.0's ``torch.optim`` is 2.8.0's ``Optimizer``). A domain nobody named gets a readable default and a warning, never an
error: a new domain must not stop the release.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from relnotes.categories import normalise_heading
from relnotes.errors import ConfigError

__all__ = [
    "AreaTable",
    "Place",
    "default_display_name",
    "domains_by_display_name",
    "load_area_table",
]

SHIPPED = Path(__file__).resolve().parent / "data" / "final_areas.toml"
_KEYS = {"order", "domains", "options", "former"}
_OPTIONS = {"entries_by_area": bool}
# Words a readable default writes in capitals (``cpu (riscv)`` -> ``CPU (riscv)``).
_ACRONYMS = {"api", "aoti", "cpu", "cuda", "fx", "gpu", "jit", "mps", "mtia", "njt", "onnx",
             "rocm", "tpu", "xla", "xpu"}


def default_display_name(domain: str) -> str:
    """A readable name for a domain the table does not know: ``foo_bar`` -> ``Foo Bar``,
    ``cpu (riscv)`` -> ``CPU (riscv)``; module paths (``torch.foo``) stay as written."""
    words = re.sub(r"[\s_]+", " ", domain.replace("\\", "")).strip().split(" ")
    out = []
    for word in words:
        bare = word.strip("()")
        if bare.lower() in _ACRONYMS:
            out.append(word.replace(bare, bare.upper()))
        elif word[:1].islower() and not word.startswith("(") and "." not in word:
            out.append(word[:1].upper() + word[1:])
        else:
            out.append(word)
    return " ".join(out) or "Unnamed"


@dataclass(frozen=True)
class Place:
    """Where a domain's items go: ``## area`` and, for grouped areas, ``#### sub``."""

    area: str
    sub: str | None = None


@dataclass(frozen=True)
class AreaTable:
    """Domain -> place, the order of ``##`` areas, and layout options."""

    domains: dict[str, Place]  # normalise_heading(domain) -> place, in table order
    order: tuple[str, ...]
    entries_by_area: bool = True
    sources: tuple[str, ...] = ()
    _by_display: dict[str, Place] = field(default_factory=dict, compare=False)

    def place(self, domain: str) -> tuple[Place, str | None]:
        """The place of ``domain`` and, when the table does not know it, a warning."""
        key = normalise_heading(domain)
        if key in self.domains:
            return self.domains[key], None
        if key in self._by_display:  # cherry-pick lists name areas by display name
            return self._by_display[key], None
        parent = re.match(r"^(.*?)\s*\((.+)\)$", key)
        if parent and parent.group(1) in self.domains:
            # "distributed (fsdp)": a sub-area of what "distributed" is
            base = self.domains[parent.group(1)]
            sub = re.match(r"^.*?\((.+)\)\s*$", domain.strip())
            place = Place(base.area, sub.group(1) if sub else parent.group(2))
        else:
            place = Place(default_display_name(domain))
        where = f"{place.area}" + (f" / {place.sub}" if place.sub else "")
        return place, (f"domain {domain!r} is not in the area table; using '{where}' "
                       f"(name it under [domains] in the file of the `final_areas` setting)")

    def area_rank(self, area: str) -> tuple[int, str]:
        """Sort key of a ``##`` area: its position in ``order``, unknown ones last (A-Z)."""
        lowered = [a.lower() for a in self.order]
        if area.lower() in lowered:
            return lowered.index(area.lower()), ""
        return len(self.order), area.lower()

    def domain_rank(self, domain: str) -> tuple[int, str]:
        """Sort key of a domain inside its area: table order, unknown ones last (A-Z)."""
        keys = list(self.domains)
        key = normalise_heading(domain)
        return (keys.index(key), "") if key in keys else (len(keys), key)


def _parse_place(value: Any, *, key: str, source: str) -> Place:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"[domains] {key!r} must be a display name such as "
                          f"\"torch.nn\" or \"torch.compile / Dynamo\", got {value!r}",
                          file=source)
    area, _, sub = (part.strip() for part in value.partition(" / "))
    return Place(area, sub or None)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("area table file not found (setting `final_areas`)",
                          file=path) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"invalid TOML: {exc}", file=path) from None
    unknown = set(data) - _KEYS
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(sorted(unknown))}; valid: "
                          f"{', '.join(sorted(_KEYS))}", file=path)
    order = data.get("order", [])
    if not isinstance(order, list) or not all(isinstance(a, str) for a in order):
        raise ConfigError("`order` must be a list of area names", file=path)
    if not isinstance(data.get("domains", {}), dict):
        raise ConfigError("[domains] must be a table of domain = \"display name\"", file=path)
    former = data.get("former", {})
    if not isinstance(former, dict) or not all(
            isinstance(v, list) and v and all(isinstance(a, str) for a in v)
            for v in former.values()):
        raise ConfigError("[former] must be a table of \"old name\" = [\"area\", ...]",
                          file=path)
    options = data.get("options", {})
    if not isinstance(options, dict):
        raise ConfigError("[options] must be a table", file=path)
    for name, value in options.items():
        if name not in _OPTIONS:
            raise ConfigError(f"unknown option {name!r}; valid: {', '.join(_OPTIONS)}",
                              file=path)
        if not isinstance(value, _OPTIONS[name]):
            raise ConfigError(f"option {name!r} must be {_OPTIONS[name].__name__}", file=path)
    return data


def load_area_table(path: str | Path | None = None) -> AreaTable:
    """The shipped table, overlaid with the project's file (``path``: the ``final_areas``
    setting as :class:`~relnotes.release.ReleaseFolder` resolves it)."""
    files = [SHIPPED]
    if path:
        files.append(Path(path))
    domains: dict[str, Place] = {}
    order: list[str] = []
    options: dict[str, Any] = {}
    former: dict[str, list[str]] = {}
    for file in files:
        data = _read(file)
        for key, value in data.get("domains", {}).items():
            domains[normalise_heading(key)] = _parse_place(value, key=key, source=str(file))
        if "order" in data:
            order = list(data["order"])
        options.update(data.get("options", {}))
        former.update(data.get("former", {}))
    by_display: dict[str, Place] = {}
    for place in domains.values():
        by_display.setdefault(normalise_heading(place.area), Place(place.area))
        if place.sub:
            by_display.setdefault(normalise_heading(place.sub), place)
    for old, areas in former.items():  # a cherry-pick list of an older release
        now = by_display.get(normalise_heading(areas[0]))
        if now is not None:
            by_display.setdefault(normalise_heading(old), now)
    return AreaTable(domains=domains, order=tuple(order),
                     entries_by_area=bool(options.get("entries_by_area", True)),
                     sources=tuple(str(f) for f in files), _by_display=by_display)


@lru_cache(maxsize=1)
def domains_by_display_name() -> dict[str, tuple[str, ...]]:
    """Display name (area or sub-area, normalised as every domain name is) -> the domains
    shown under it in the shipped table: how people name a domain when they write a pool
    heading (``## Linear Algebra`` is ``linalg_frontend``). A trailing "frontend" is
    optional."""
    found: dict[str, list[str]] = {}
    shipped = _read(SHIPPED)
    for domain, value in shipped.get("domains", {}).items():  # names as written
        place = _parse_place(value, key=domain, source=str(SHIPPED))
        for name in filter(None, (place.area, place.sub)):
            key = normalise_heading(name)
            for form in {key, key.removesuffix(" frontend")}:
                found.setdefault(form, []).append(domain)
    for old, areas in shipped.get("former", {}).items():  # names of older releases
        now = [d for area in areas for d in found.get(normalise_heading(area), [])]
        key = normalise_heading(old)
        for form in {key, key.removesuffix(" frontend")}:
            found.setdefault(form, []).extend(d for d in now if d not in found[form])
    return {name: tuple(domains) for name, domains in found.items()}
