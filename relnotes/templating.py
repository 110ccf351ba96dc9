"""The one Jinja2 Environment relnotes renders markdown with.

Search order: the user's template folder (setting ``template_dir``) first, so a team can
override any shipped template by dropping a file of the same name there; then the shipped
templates. ``StrictUndefined`` makes a misspelt variable an error instead of an empty
string in published notes. Templates get ready-made data; logic stays in Python.

The shipped templates live in the top-level ``templates/`` folder of the checkout; the
wheel carries them as ``relnotes/templates`` (``force-include`` in pyproject.toml), so
both places are looked up, installed location first.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relnotes.errors import ConfigError

if TYPE_CHECKING:
    import jinja2

    from relnotes.config import Config

__all__ = ["environment", "render", "shipped_template_dir", "template_search_path"]

_PACKAGE_DIR = Path(__file__).resolve().parent


def shipped_template_dir(*, package_dir: Path = _PACKAGE_DIR) -> Path:
    """Where the shipped templates are: inside the installed package, else the checkout."""
    installed = package_dir / "templates"
    if installed.is_dir():
        return installed
    checkout = package_dir.parent / "templates"
    if checkout.is_dir():
        return checkout
    raise ConfigError(
        f"shipped templates not found (looked in {installed} and {checkout}); "
        "reinstall relnotes"
    )


def template_search_path(
    *, template_dir: str | Path | None = None, config: Config | None = None
) -> list[Path]:
    """The folders searched, in order: user folder (if set), then the shipped one."""
    # the setting is relative to the pyproject.toml, like every path setting
    user_path = Path(template_dir) if template_dir else (
        config.path(config.template_dir) if config else None)
    paths: list[Path] = []
    if user_path is not None:
        if not user_path.is_dir():
            raise ConfigError(f"template_dir {str(user_path)!r} is not a folder",
                              file=config.source if config else None)
        paths.append(user_path.resolve())
    paths.append(shipped_template_dir())
    return paths


@lru_cache(maxsize=8)
def _environment(paths: tuple[Path, ...]) -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in paths]),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # markdown, not HTML
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def environment(
    *, template_dir: str | Path | None = None, config: Config | None = None
) -> jinja2.Environment:
    """The Environment for these settings (one per search path, built once)."""
    return _environment(tuple(template_search_path(template_dir=template_dir, config=config)))


def render(
    name: str, context: dict[str, Any], *,
    template_dir: str | Path | None = None, config: Config | None = None,
) -> str:
    """Render template ``name``; every Jinja2 failure becomes a ConfigError with file:line."""
    import jinja2

    env = environment(template_dir=template_dir, config=config)
    # templates import others (_entry.j2) at render time, so every step can fail the same ways
    try:
        template = env.get_template(name)
        return template.render(**context)
    except jinja2.TemplateNotFound as exc:
        searched = ", ".join(str(p) for p in template_search_path(
            template_dir=template_dir, config=config))
        raise ConfigError(f"template {exc.name!r} not found (searched {searched})") from None
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"template syntax: {exc.message}", file=exc.filename,
                          line=exc.lineno) from None
    except jinja2.UndefinedError as exc:
        raise ConfigError(f"template variable: {exc.message}", file=name) from None
    except jinja2.TemplateError as exc:
        raise ConfigError(f"template {name!r}: {exc}") from None
