"""The release folder as one object: what every release-wide command asks.

A release folder holds ``todo/`` (worksheets in progress), ``done/`` (finished ones),
``miscategorized.md`` (the pool) and, at the end, ``final.md``. Commands used to work out
these paths each on their own, and disagreed (a relative ``history`` setting resolved in
one command and not in another; a ``miscategorized`` setting honoured by ``apply`` and not
by ``audit``). :class:`ReleaseFolder` owns them, the way scriv's ``Scriv`` object owns its
fragment folder: built once per command from any path inside a release, it holds the
settings, every path setting resolved once against the settings file, the release
version, the worksheets of ``todo/`` and ``done/`` and their domains, and the worksheets
as generated (from git, for ``done`` and ``submit``).

Release folders hold files that are not worksheets: 2.11.0's ``done/`` keeps an empty
``placeholder.md`` so git keeps the folder. Discovery skips such files -- empty, or with
no ``##``/``###`` heading and no list item -- and the folder remembers them, so a command
says once per file that it skipped it. A file with worksheet structure is never skipped:
if it is broken (an unclosed fence) it is an error with its file and line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from relnotes.config import Config, load_config
from relnotes.errors import UsageError, WorksheetError
from relnotes.findings import Finding
from relnotes.gitops import first_adding_commit, read_folder, repo_root
from relnotes.prrefs import DEFAULT_REPO
from relnotes.versions import Version, parse_version
from relnotes.worksheet import Worksheet, parse_worksheet, read_worksheet

__all__ = [
    "KINDS",
    "NOT_WORKSHEETS",
    "SET_ASIDE",
    "Baseline",
    "FolderScan",
    "Generated",
    "ReleaseFolder",
    "collect_worksheets",
    "display",
    "domain_of_file",
    "not_a_worksheet",
    "read_generated",
    "release_domains",
    "release_of",
    "release_parts",
    "scan_folder",
    "worksheet_files",
]

# The two folders of worksheets, in the order a release goes through them.
KINDS: tuple[str, str] = ("todo", "done")
# Worksheets the generator writes that are never finished: PRs it set aside (``skip``).
# Counted and audited for lost items, never checked as finished, offered as no domain.
SET_ASIDE = frozenset({"result_skip.md"})
# Markdown files of a release folder that are not domain worksheets (read by their own
# readers, never reported as skipped).
NOT_WORKSHEETS = frozenset({"cherrypicks.md", "miscategorized.md", "final.md"})

# What makes a file a worksheet to parse (and, when broken, to report): a heading of
# level 2 or more, the worksheet title, or a list item. Counted on raw lines, inside
# fences too, so a worksheet whose fence never closes is parsed and reported, never skipped.
_STRUCTURE = re.compile(
    r"^ {0,3}(?:#{2,6}(?:[ \t]|$)|#[ \t]+release notes worksheet\b|(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$))",
    re.IGNORECASE | re.MULTILINE)
_SNIFF_BYTES = 65536


def not_a_worksheet(text: str) -> str | None:
    """Why ``text`` is not a worksheet at all (and is skipped), or None when it is one or
    means to be one (then it is parsed, and an error if broken)."""
    if not text.strip():
        return "empty file"
    if _STRUCTURE.search(text):
        return None
    return "no '##' heading and no list item"


def _why_skip(path: Path) -> str | None:
    """:func:`not_a_worksheet` of a file, reading only its start when that decides."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
            if _STRUCTURE.search(head.decode("utf-8", "replace")):
                return None
            rest = handle.read()
    except OSError:
        return None  # reading it will report why, with the file's name
    return not_a_worksheet((head + rest).decode("utf-8", "replace"))


@dataclass
class FolderScan:
    """The domain worksheets below a folder, and the files skipped as not worksheets
    (path -> why), both in sorted order."""

    worksheets: list[Path] = field(default_factory=list)
    skipped: dict[Path, str] = field(default_factory=dict)


def scan_folder(folder: str | Path) -> FolderScan:
    """The domain worksheets under ``folder`` (sub-folders too; not relnotes' sidecars,
    not the pool, final notes or cherry-picks), and the ``.md`` files that are no
    worksheet at all (see :func:`not_a_worksheet`)."""
    root = Path(folder)
    scan = FolderScan()
    if not root.is_dir():
        return scan
    for path in sorted(root.rglob("*.md")):
        if path.name in NOT_WORKSHEETS or ".relnotes" in path.parts or not path.is_file():
            continue
        why = _why_skip(path)
        if why is None:
            scan.worksheets.append(path)
        else:
            scan.skipped[path] = why
    return scan


def collect_worksheets(paths: Iterable[str | Path]) -> FolderScan:
    """The worksheets ``paths`` name: files as given (a file named is read, and an error
    if broken or empty), folders scanned (:func:`scan_folder`), in the order given."""
    out = FolderScan()
    for path in paths:
        if Path(path).is_dir():
            scan = scan_folder(path)
            out.worksheets += scan.worksheets
            out.skipped.update(scan.skipped)
        else:
            out.worksheets.append(Path(path))
    return out


def worksheet_files(folder: str | Path) -> list[Path]:
    """The domain worksheets under ``folder`` (see :func:`scan_folder`)."""
    return scan_folder(folder).worksheets


def domain_of_file(path: str | Path, folder: str | Path) -> str:
    """The domain a worksheet file is named for: ``result_nn_frontend.md`` ->
    ``nn_frontend``; ``result_package/deploy.md`` -> ``package/deploy`` (a domain with a
    slash is a sub-folder)."""
    rel = Path(path).relative_to(folder).with_suffix("").as_posix()
    return rel.removeprefix("result_")


def release_parts(path: str | Path) -> tuple[Path, str | None, Path]:
    """Where a file sits in its release folder: ``(release folder, "todo" | "done" | None,
    path below that folder)``, from the nearest enclosing ``todo/`` or ``done/``, so a
    worksheet in a sub-folder (``2.7.0/todo/result_package/deploy.md``) is found like any
    other: ``(2.7.0, "todo", result_package/deploy.md)``. Outside both: ``(its folder,
    None, its name)``. The path is resolved first."""
    resolved = Path(path).resolve()
    for folder in resolved.parents:
        if folder.name in KINDS:
            return folder.parent, folder.name, resolved.relative_to(folder)
    return resolved.parent, None, Path(resolved.name)


def release_domains(folder: str | Path) -> list[str]:
    """Domains of the worksheets of a release folder (its ``todo/`` and ``done/``), from
    their file names: what pool targets are matched against."""
    root = Path(folder)
    found: dict[str, None] = {}
    for sub in KINDS:
        for path in worksheet_files(root / sub):
            found[domain_of_file(path, root / sub)] = None
    return sorted(found)


def release_of(path: str | Path, configured: str = "") -> Version | None:
    """The release a path belongs to: the ``release`` setting when set, else the nearest
    folder at or above it named like one (``.../2.8.0/todo/result_nn.md``, ``2.8.0/``)."""
    if configured:
        return parse_version(configured)
    resolved = Path(path).resolve()
    for folder in [resolved, *resolved.parents]:
        version = parse_version(folder.name)
        if version is not None and folder.name.lstrip("v")[:1].isdigit():
            return version
    return None


def display(path: str | Path) -> Path:
    """``path`` relative to the working directory (``../`` when beside it), so every path
    a command prints has one form; absolute only when no relative path exists."""
    resolved = Path(path).resolve()
    try:
        return Path(os.path.relpath(resolved, Path.cwd().resolve()))
    except ValueError:  # another drive (Windows)
        return resolved


# --------------------------------------------------------------------- generated worksheets


@dataclass
class Generated:
    """The worksheets as generated, by their path below ``todo/`` (``result_fx.md``,
    ``result_package/deploy.md``), and where they were read from (for messages).
    ``errors``: generated files that could not be parsed (audit findings); ``skipped``:
    files that are no worksheet (path -> why)."""

    source: str
    worksheets: dict[str, Worksheet] = field(default_factory=dict)
    errors: list[Finding] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    repo: str = DEFAULT_REPO  # whose PR numbers the worksheets link

    def add(self, name: str, text: str, *, label: str) -> None:
        """Parse one generated file (``name`` below todo/), or record why it is none."""
        why = not_a_worksheet(text)
        if why is not None:
            self.skipped[label] = why
            return
        try:
            self.worksheets[name] = parse_worksheet(text, path=label, repo=self.repo)
        except WorksheetError as exc:
            self.errors.append(Finding(exc.file or label, exc.line or 1, "parse-error",
                                       exc.message))


def read_generated(folder: str | Path, *, repo: str = DEFAULT_REPO) -> Generated:
    """Every worksheet below ``folder`` (sub-folders too), parsed once; PR numbers are
    ``repo``'s."""
    root = Path(folder)
    found = Generated(source=str(folder), repo=repo)
    scan = scan_folder(root)
    found.skipped = {str(p): why for p, why in scan.skipped.items()}
    for path in scan.worksheets:
        try:
            found.worksheets[path.relative_to(root).as_posix()] = read_worksheet(path, repo=repo)
        except WorksheetError as exc:
            found.errors.append(Finding(exc.file or str(path), exc.line or 1, "parse-error",
                                        exc.message))
    return found


@dataclass
class Baseline:
    """The worksheets as generated (for the audit) and this one among them (for the
    change table), or a note saying why there are none."""

    generated: Generated | None = None
    worksheet: str | None = None  # path below todo/ of this worksheet
    label: str | None = None      # where this worksheet as generated came from
    note: str | None = None

    @property
    def original(self) -> Worksheet | None:
        """This worksheet as generated, or None."""
        if self.generated is None or self.worksheet is None:
            return None
        return self.generated.worksheets.get(self.worksheet)


# --------------------------------------------------------------------------- the facade


def _root_of(path: Path) -> Path:
    """The release folder of an existing ``path``, in the form the path was written when it
    shows it (``2.8.0/todo/x.md`` -> ``2.8.0``), else relative to the working directory."""
    if path.is_dir() and any((path / kind).is_dir() for kind in KINDS):
        return path  # the release folder itself
    for folder in [path, *path.parents] if path.is_dir() else path.parents:
        if folder.name in KINDS:
            return folder.parent
    release, kind, _ = release_parts(path / "x" if path.is_dir() else path)
    if kind is not None or path.is_dir():
        return display(release)  # ".", "..": the path does not show it
    # a file outside todo/ and done/ (2.7.0/in-review/x.md): the nearest folder above it
    # that holds them, else its own folder
    for folder in path.parents:
        if any((folder / kind).is_dir() for kind in KINDS):
            return folder
    return path.parent


class ReleaseFolder:
    """One release folder and its settings; see the module docstring.

    Build it with :meth:`of` (any path inside a release) or :meth:`from_cwd`. Paths it
    gives start from the path it was built from, as the user wrote it (``2.8.0/done/x.md``
    gives ``2.8.0``), else relative to the working directory (:func:`display`), so
    messages name files the way the user does. Path settings are resolved once,
    against the folder of the settings file: ``pool`` (``miscategorized``, else beside
    ``todo/``), ``history``, ``final_areas`` (None: the setting is empty and the default
    applies); ``template_dir`` and ``cache_path`` by the one place that uses each
    (templating, the GitHub cache), with the same :meth:`Config.path`.
    """

    def __init__(self, root: str | Path, *, config: Config | None = None) -> None:
        self.root = Path(root)
        self.config = config = config if config is not None else load_config(root)
        self.pool = config.path(config.miscategorized) or self.root / "miscategorized.md"
        self.history = config.path(config.history)
        self.final_areas = config.path(config.final_areas)
        self.version = release_of(self.root, config.release)
        self._scans: dict[str, FolderScan] = {}
        self._skipped: dict[Path, str] = {}
        self._noted: set[Path] = set()

    @classmethod
    def of(cls, path: str | Path, *, config: Config | None = None) -> ReleaseFolder:
        """The release ``path`` is in: a worksheet at any depth of ``todo/`` or ``done/``,
        one of those folders, or the release folder (the one holding them). Settings are
        found from ``path`` unless given."""
        p = Path(path)
        if not p.exists():
            raise UsageError("no such file or folder", file=path)
        return cls(_root_of(p), config=config if config is not None else load_config(path))

    @classmethod
    def from_cwd(cls, *, config: Config | None = None) -> ReleaseFolder:
        """The release the working directory is in (or holds ``todo/``/``done/``)."""
        cwd = Path.cwd().resolve()
        for folder in [cwd, *cwd.parents]:
            if folder.name in KINDS or any((folder / kind).is_dir() for kind in KINDS):
                return cls.of(display(folder), config=config)
        raise UsageError(f"{cwd} is not in a release folder (one holding todo/ or done/): "
                         "give the release folder")

    @property
    def todo(self) -> Path:
        return self.root / "todo"

    @property
    def done(self) -> Path:
        return self.root / "done"

    @property
    def final(self) -> Path:
        """``final.md``, the final notes ``relnotes final`` writes."""
        return self.root / "final.md"

    @property
    def name(self) -> str:
        """The release as text (``2.8.0``), or the folder's name when it is no version."""
        return str(self.version) if self.version else self.root.resolve().name

    def scan(self, kind: str) -> FolderScan:
        """What ``todo/`` or ``done/`` holds (scanned once per folder object)."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        if kind not in self._scans:
            self._scans[kind] = scan_folder(self.root / kind)
            self._skipped.update(self._scans[kind].skipped)
        return self._scans[kind]

    def worksheets(self, kind: str | None = None) -> list[Path]:
        """The worksheets of ``todo/`` or ``done/`` (None: both, todo/ first)."""
        return [p for k in ([kind] if kind else KINDS) for p in self.scan(k).worksheets]

    def domains(self, kind: str | None = None) -> dict[str, Path]:
        """Domain (from the file name) -> worksheet, for ``todo/``, ``done/`` or both (a
        domain in both: its ``done/`` file)."""
        return {domain_of_file(p, self.root / k): p
                for k in ([kind] if kind else KINDS) for p in self.worksheets(k)}

    def where(self, path: str | Path) -> tuple[str | None, Path]:
        """(``"todo"``, ``"done"`` or None, path below that folder) of a file here."""
        _, kind, below = release_parts(path)
        return kind, below

    def release_of(self, path: str | Path | None = None) -> Version | None:
        """The release of a file here: the setting, else the folder names above it."""
        return release_of(path, self.config.release) if path is not None else self.version

    def skip(self, paths: Iterable[tuple[Path | str, str]]) -> None:
        """Record files skipped as no worksheet (for :meth:`take_notes`)."""
        self._skipped.update((Path(p), why) for p, why in paths)

    @property
    def skipped(self) -> dict[Path, str]:
        """Every file skipped so far as no worksheet, with why."""
        return dict(self._skipped)

    def take_notes(self) -> list[str]:
        """One note per skipped file not yet taken: each is said once per command run,
        whoever says it (a report's notes, or the command at its end)."""
        out = [f"{p}: skipped: {why}, not a worksheet"
               for p, why in self._skipped.items() if p not in self._noted]
        self._noted.update(self._skipped)
        return out

    @property
    def repo(self) -> str:
        """The repository whose PR numbers the release's files link (the ``repo``
        setting): every reader of this folder's files is given it."""
        return self.config.repo

    def read_worksheet(self, path: str | Path) -> Worksheet:
        """A worksheet of this release, its PR references read as :attr:`repo`'s."""
        return read_worksheet(path, repo=self.repo)

    def repo_root(self) -> Path:
        """The top of the git work tree holding this folder."""
        return repo_root(self.root)

    def generated_baseline(self, worksheet: str | Path, *, refs: list[str],
                           folder: str | Path | None = None) -> Baseline:
        """The worksheets as generated, for ``worksheet`` (its path below todo/ or done/).

        ``folder`` (``--generated``) when given; else the whole ``todo/`` folder as it was
        in the commit that first added ``todo/<worksheet>`` (in the history of the first
        of ``refs`` that has it) -- the whole folder, since the generator repeats some PRs
        across files. No such commit: no baseline, and a note saying what is not checked.
        """
        name = PurePosixPath(Path(worksheet).as_posix()).as_posix()
        if folder is not None:
            generated = read_generated(folder, repo=self.repo)
            self.skip(generated.skipped.items())
            if name not in generated.worksheets:
                raise UsageError(f"{folder} has no {name} (--generated names the folder of "
                                 "the generated worksheets)")
            return Baseline(generated, name, str(display(Path(folder) / name)))
        root = self.repo_root()
        try:
            todo = self.todo.resolve().relative_to(root).as_posix()
        except ValueError:
            return Baseline(note=f"{self.root} is outside the repository")
        commit = first_adding_commit(root, f"{todo}/{name}", refs)
        if commit is None:
            return Baseline(note=f"{todo}/{name} is in no commit: lost items cannot be "
                                 "found (pass --generated DIR to check them); only "
                                 "duplicates are")
        # repository paths: the change table is read on GitHub
        generated = Generated(source=f"{todo}/ as first committed ({commit[:12]})",
                              repo=self.repo)
        for path, data in read_folder(root, commit, todo).items():
            below = PurePosixPath(path).relative_to(todo)
            if below.suffix != ".md" or below.name in NOT_WORKSHEETS \
                    or ".relnotes" in below.parts:
                continue
            generated.add(below.as_posix(), data.decode("utf-8", "replace"),
                          label=f"{display(root / path)}@{commit[:12]}")
        return Baseline(generated, name, f"{todo}/{name} as first committed ({commit[:12]})")

    def __repr__(self) -> str:
        return f"ReleaseFolder({str(self.root)!r})"

