"""The workspace: one folder of articles, glossary, catalogs, memory and site, with its lock and settings.

Every command and library entry point goes through a `Workspace`, so the rules about the folder live here once:
where each file is, which files in source_texts/ are articles, that nothing read or written resolves outside
the folder, that two articles never share a catalog, and that one run at a time holds the folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipeline.errors import LocatedError, SourceError
from pipeline.sources import SOURCE_SUFFIXES, slug_for

# fcntl (with an msvcrt fallback on Windows) rather than the filelock package: the run lock file names its
# holder (pid, since) for the "busy" message and filelock truncates the file on every attempt; catalog
# directories are locked through the directory itself, so no lock files appear beside translators' catalogs.
# The import is guarded so the package never becomes POSIX-only by accident.
try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt

SETTINGS_FILE = "pipeline.toml"
MEMORY_ENV = "PIPELINE_MEMORY"  # memory location: overrides the settings file, not an explicit argument
MEMORY_URL_ENV = "PIPELINE_MEMORY_URL"  # the same, under the name a desk's shared database URL goes by
PACKAGES_ENV = "ARGOS_PACKAGES_DIR"  # argos' own variable: overrides the settings file, not --packages-dir
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_WINDOWS_LOCK_OFFSET = 1 << 30  # msvcrt locks a byte range; lock one far past the holder text


class WorkspaceError(LocatedError):
    """The folder is not a usable workspace or its settings are wrong: a usage error, nothing was touched."""

    def __init__(self, message: str, path: str | Path | None = None, line: int = 0):
        super().__init__(path, line, message)


class WorkspaceBusy(LocatedError):
    """Another run holds the workspace lock."""

    def __init__(self, message: str, path: str | Path | None = None, line: int = 0):
        super().__init__(path, line, message)


class OutsideWorkspace(LocatedError):
    """A file that resolves outside the workspace (a symbolic link, usually): refused, never read or written."""

    def __init__(self, path: str | Path, target: Path, root: Path, what: str):
        super().__init__(path, 0, f"{what} resolves to {target}, outside the workspace {root}; "
                                  "copy the file into the workspace instead of linking to it")


# ---------------------------------------------------------------- settings


@dataclass(frozen=True)
class PublishSettings:
    out: Path | None = None  # None: published/ in the workspace
    include_fuzzy: bool = False
    min_complete: float = 100.0


@dataclass(frozen=True)
class SiteSettings:
    """How the published site presents itself online; without a base URL there are no absolute links,
    so no sitemap.xml, feeds or canonical links either."""

    name: str = ""
    base_url: str = ""  # e.g. https://news.example.kz/ ; always ends with "/" once read
    description: str = ""


@dataclass(frozen=True)
class Settings:
    """What `pipeline.toml` at the workspace root says; every key is optional."""

    memory: str | None = None  # a path (relative to the workspace) or a database URL
    packages_dir: Path | None = None
    threads: int | None = None  # [models] threads: CPU threads for machine translation (--threads beats it)
    batch_tokens: int | None = None  # [models] batch_tokens: source tokens per MT batch
    publish: PublishSettings = field(default_factory=PublishSettings)
    site: SiteSettings = field(default_factory=SiteSettings)
    path: Path | None = None  # the settings file read, if any


# table -> key -> (type check, description for the error message)
# table -> key -> (type, what it must be, (lowest, highest) for a number or None)
_KEYS: dict[str, dict[str, tuple[type | tuple[type, ...], str, tuple[float, float] | None]]] = {
    "memory": {"location": (str, "a path or a database URL", None)},
    "models": {"packages_dir": (str, "a folder path", None),
               "threads": (int, "a whole number of CPU threads, 1 or more", (1, float("inf"))),
               "batch_tokens": (int, "a whole number of tokens, 16 or more", (16, float("inf")))},
    "publish": {"out": (str, "a folder path", None), "include_fuzzy": (bool, "true or false", None),
                "min_complete": ((int, float), "a number from 0 to 100", (0, 100))},
    "site": {"name": (str, "text", None), "base_url": (str, "an http(s) URL", None),
             "description": (str, "text", None)},
}


def _toml_loads(text: str) -> dict:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    return tomllib.loads(text)


def _toml_line(exc: Exception) -> int:
    found = re.search(r"line (\d+)", str(exc))
    return int(found.group(1)) if found else 0


def read_settings(root: Path) -> Settings:
    """The settings file of a workspace (defaults when there is none); WorkspaceError names file and key."""
    path = Path(root) / SETTINGS_FILE
    if not path.is_file():
        return Settings()
    try:
        data = _toml_loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise WorkspaceError("not UTF-8 text; save the settings file as UTF-8", path) from None
    except ValueError as exc:  # tomllib.TOMLDecodeError
        raise WorkspaceError(f"not valid TOML: {exc}", path, _toml_line(exc)) from None
    for table, value in data.items():
        if table not in _KEYS or not isinstance(value, dict):
            raise WorkspaceError(f"unknown setting {table!r}; the file holds the tables "
                                 f"{', '.join(f'[{t}]' for t in _KEYS)}", path)
        for key, item in value.items():
            if key not in _KEYS[table]:
                raise WorkspaceError(f"unknown setting [{table}] {key}; known: {', '.join(_KEYS[table])}", path)
            kind, expected, bounds = _KEYS[table][key]
            if not isinstance(item, kind) or (kind is not bool and isinstance(item, bool)):
                raise WorkspaceError(f"[{table}] {key} must be {expected}, not {item!r}", path)
            if bounds is not None and not bounds[0] <= item <= bounds[1]:
                raise WorkspaceError(f"[{table}] {key} must be {expected}, not {item:g}", path)
    memory = data.get("memory", {}).get("location")
    packages = data.get("models", {}).get("packages_dir")
    threads = data.get("models", {}).get("threads")
    batch_tokens = data.get("models", {}).get("batch_tokens")
    site = data.get("publish", {})
    min_complete = float(site.get("min_complete", 100.0))
    return Settings(
        memory=memory,
        site=_site_settings(data.get("site", {}), path),
        packages_dir=_under(root, packages) if packages else None,
        threads=threads,
        batch_tokens=batch_tokens,
        publish=PublishSettings(out=_under(root, site["out"]) if "out" in site else None,
                                include_fuzzy=site.get("include_fuzzy", False), min_complete=min_complete),
        path=path,
    )


def _site_settings(table: dict, path: Path) -> SiteSettings:
    base = table.get("base_url", "").strip()
    if base and not re.match(r"^https?://[^\s/]+", base):
        raise WorkspaceError(f"[site] base_url must be an http:// or https:// URL, not {base!r}", path)
    if base and not base.endswith("/"):
        base += "/"
    return SiteSettings(name=table.get("name", "").strip(), base_url=base,
                        description=table.get("description", "").strip())


def _under(root: Path, value: str) -> Path:
    """A path from the settings file: `~` expanded, relative ones taken from the workspace root."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else Path(root) / path


# ---------------------------------------------------------------- articles


def is_article_name(name: str) -> bool:
    """.txt and .md files, except hidden files and editor back-ups (`.x.txt`, `x.txt~`, `#x.txt#`, `.swp`)."""
    if name.startswith((".", "#", "~")) or name.endswith(("~", "#", ".swp", ".swo", ".bak", ".orig")):
        return False
    return Path(name).suffix.lower() in SOURCE_SUFFIXES


@dataclass(frozen=True)
class ArticleScan:
    """The articles of source_texts/ that may be translated, and the files refused (each with its reason)."""

    paths: list[Path]
    refused: list[SourceError]


# ---------------------------------------------------------------- locks


def _try_lock(fd: int) -> bool:
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            return False
        return True
    os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
    try:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


def _unlock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    else:
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def _read_holder(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    return os.read(fd, 200).decode("utf-8", "replace").strip()


def _write_holder(fd: int, text: str) -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, text.encode())


@contextlib.contextmanager
def directory_lock(directory: Path) -> Iterator[None]:
    """Serialise pipeline writers of one catalog directory, waiting for the other writer to finish.

    POSIX: flock on the directory itself (no lock files beside the catalogs). Windows cannot open a directory,
    so a hidden `.pipeline-lock` file in it stands in.
    """
    directory.mkdir(parents=True, exist_ok=True)
    if fcntl is not None:
        fd = os.open(directory, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)
        return
    fd = os.open(directory / ".pipeline-lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        while not _try_lock(fd):
            time.sleep(0.05)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def workspace_lock(root: Path, timeout: float = 0.0) -> Iterator[Path]:
    """Hold `root/.pipeline/lock` for a whole run; a second run waits up to `timeout` s, then WorkspaceBusy.

    The lock dies with its process, so a crashed run never leaves a stale lock behind.
    """
    lock_path = Path(root) / ".pipeline" / "lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                holder = _read_holder(fd) or "another process"
                raise WorkspaceBusy(f"{root} is in use by another pipeline run ({holder}); try again "
                                    f"when it has finished (the lock {lock_path} is released when that "
                                    "run ends, even if it crashes)")
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
        _write_holder(fd, f"pid {os.getpid()} since {datetime.now().astimezone():%Y-%m-%d %H:%M:%S%z}\n")
        try:
            yield lock_path
        finally:
            os.ftruncate(fd, 0)
            _unlock(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------- the workspace


class Workspace:
    """Paths, settings, the run lock and the article rules of one workspace folder.

    Open it with `Workspace.open(root)`; the lock is re-entrant per Workspace object, so a run that publishes at
    its end hands its (locked) workspace to `publish()` instead of deadlocking on its own lock.
    """

    def __init__(self, root: Path, settings: Settings | None = None, *, memory: str | Path | None = None,
                 packages_dir: Path | None = None, environ: Mapping[str, str] | None = None):
        self.root = Path(root)
        self._locked_root: str | None = None
        self._real_folders: dict[str, str] = {}  # folder -> its real path, while locked
        self._real_files: dict[str, str] = {}  # absolute path -> its real path, while locked
        self.settings = settings if settings is not None else read_settings(self.root)
        env = os.environ if environ is None else environ
        self._memory = str(memory) if memory else env.get(MEMORY_ENV) or env.get(MEMORY_URL_ENV) or self.settings.memory
        self._memory_explicit = bool(memory)
        if packages_dir:
            self._packages: Path | None = Path(packages_dir).expanduser()
        elif env.get(PACKAGES_ENV):
            self._packages = Path(env[PACKAGES_ENV]).expanduser()
        else:
            self._packages = self.settings.packages_dir
        self._lock_depth = 0

    @classmethod
    def open(cls, root: Path, *, need_articles: bool = True, memory: str | Path | None = None,
             packages_dir: Path | None = None, environ: Mapping[str, str] | None = None) -> Workspace:
        """A workspace at `root`; WorkspaceError (a usage error) when it has no source_texts/ or bad settings.

        `need_articles=False` for commands that only use the memory or the glossary.
        """
        root = Path(root)
        if not root.is_dir():
            missing = " (no source_texts/ folder)" if need_articles else ""
            raise WorkspaceError(f"{root}: no such workspace folder{missing}; run from a workspace or pass --root DIR")
        if need_articles and not (root / "source_texts").is_dir():
            raise WorkspaceError(f"{root}: no source_texts/ folder; run from a workspace or pass --root DIR")
        return cls(root, read_settings(root), memory=memory, packages_dir=packages_dir, environ=environ)

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"

    # paths ------------------------------------------------------------------

    @property
    def source_texts(self) -> Path:
        return self.root / "source_texts"

    @property
    def glossary(self) -> Path:
        return self.root / "glossary"

    @property
    def locales(self) -> Path:
        return self.root / "locales"

    @property
    def templates(self) -> Path:
        return self.locales / "templates"

    @property
    def published(self) -> Path:
        return self.settings.publish.out or self.root / "published"

    @property
    def state(self) -> Path:
        """The pipeline's own files (lock, default memory): never edited by people."""
        return self.root / ".pipeline"

    def catalog_path(self, lang: str, slug: str) -> Path:
        return catalog_path(self.root, lang, slug)

    def template_path(self, slug: str) -> Path:
        return template_path(self.root, slug)

    @property
    def memory_location(self) -> Path | str:
        """The memory: an SQLite file, or a database URL kept as text (explicit > $PIPELINE_MEMORY > settings).

        A relative path from the settings file or the environment is taken from the workspace root; an explicit
        one (a command-line flag) from the current directory.
        """
        location = self._memory or str(self.state / "memory.sqlite")
        if _URL.match(location):
            return location
        path = Path(location).expanduser()
        return path if path.is_absolute() or self._memory_explicit else self.root / path

    @property
    def packages_dir(self) -> Path:
        """Where argos packages are installed: --packages-dir > $ARGOS_PACKAGES_DIR > settings > argos' own."""
        from pipeline import engine

        return engine.packages_dir(self._packages)

    # the one rule for what is read and written ------------------------------

    def inside(self, path: Path, what: str = "the file") -> Path:
        """`path` resolved; OutsideWorkspace when it (a link, or a link in its folders) leads out of the root."""
        target = self._real_path(path)
        root = self._real_root()
        if target != root and not target.startswith(root.rstrip(os.sep) + os.sep):
            raise OutsideWorkspace(path, Path(target), self.root, what)
        return path if isinstance(path, Path) and target == os.fspath(path) else Path(target)

    def relative(self, path: Path) -> str:
        """`relative(path, root)`, with the root and the path's folders resolved once while the workspace is
        locked (a run names every article)."""
        return _named(path, self._real_path(path), self._real_root())

    def _real_root(self) -> str:
        """The root's real path: looked up once while the workspace is locked (a run asks for every file)."""
        if not self.locked:
            return os.path.realpath(self.root)
        if self._locked_root is None:
            self._locked_root = os.path.realpath(self.root)
        return self._locked_root

    def _real_path(self, path: Path) -> str:
        """os.path.realpath of `path`; while the workspace is locked each folder and each file is resolved once
        (a run asks for thousands of catalogs in three folders, each catalog at harvest, merge and publish, and a
        look at a link is a system call). Never folded lexically (os.path.abspath): `link/..` is the parent of
        where the link leads, as the kernel sees it, so the folder is made absolute as written and realpath
        resolves it component by component."""
        if not self.locked:
            return os.path.realpath(path)
        given = os.fspath(path)
        absolute = os.path.isabs(given)
        if absolute and (known := self._real_files.get(given)) is not None:
            return known
        folder, name = os.path.split(given if absolute else os.path.join(os.getcwd(), given))
        real = self._real_folders.get(folder)
        if real is None:
            real = self._real_folders[folder] = os.path.realpath(folder)
        candidate = os.path.join(real, name)
        if name in ("", ".", "..") or os.path.islink(candidate):
            candidate = os.path.realpath(candidate)
        if absolute:
            self._real_files[given] = candidate
        return candidate

    def glossary_folder(self) -> Path:
        """glossary/, once every CSV in it is known to resolve inside the workspace (OutsideWorkspace if not)."""
        for path in sorted(self.glossary.glob("*.csv")) if self.glossary.is_dir() else []:
            self.inside(path, "the glossary file")
        return self.glossary

    def scan_articles(self, chosen: Iterable[Path] | None = None) -> ArticleScan:
        """The articles in source_texts/ (all, or the `chosen` ones), in name order.

        Hidden files and editor back-ups are not articles. A file resolving outside the workspace, and every
        article of a group whose names map to one catalog (`a.txt` + `a.md`), is refused with its reason:
        two articles never share a catalog.
        """
        folder = self.source_texts
        if not folder.is_dir():
            return ArticleScan([], [])
        # Path.__lt__ compares part lists; within one folder the names give the same order, far cheaper.
        every = sorted((p for p in folder.iterdir() if is_article_name(p.name) and p.is_file()), key=_name)
        found = every
        if chosen is not None:
            wanted = {Path(p).absolute() for p in chosen}
            found = [p for p in found if p.absolute() in wanted]
        refused: list[SourceError] = []
        usable: list[Path] = []
        for path in found:
            try:
                self.inside(path, "the article")
            except OutsideWorkspace as exc:
                refused.append(SourceError(path, 0, exc.message))
                continue
            usable.append(path)
        by_slug: dict[str, list[Path]] = {}
        for path in every:
            by_slug.setdefault(slug_for(path), []).append(path)
        paths = []
        for path in usable:
            same = by_slug[slug_for(path)]
            if len(same) > 1:
                others = " and ".join(p.name for p in same)
                refused.append(SourceError(path, 0, f"{others} would share the catalog '{slug_for(path)}' (file "
                                                    "names that differ only in case, accents, punctuation or "
                                                    "suffix); rename one so that each article has its own"))
                continue
            paths.append(path)
        return ArticleScan(paths, refused)

    def chosen_article(self, path: Path) -> Path:
        """A file named on the command line: it must be an article of source_texts/ (WorkspaceError otherwise)."""
        path = Path(path)
        if not path.is_file():
            raise WorkspaceError(f"{path}: no such article")
        if path.absolute().parent.resolve() != self.source_texts.resolve():
            raise WorkspaceError(f"{path}: articles are translated from {self.source_texts}/; copy it there first")
        if not is_article_name(path.name):
            raise WorkspaceError(f"{path}: not an article (articles are .txt or .md files; hidden files and "
                                 "editor back-ups are skipped)")
        return path

    # the run lock -----------------------------------------------------------

    @contextlib.contextmanager
    def lock(self, timeout: float = 0.0) -> Iterator[Workspace]:
        """Hold the workspace for a run, a publish or an import; re-entrant for this Workspace object."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield self
            finally:
                self._lock_depth -= 1
            return
        with workspace_lock(self.root, timeout):
            # Real paths are remembered for one hold of the lock only: between two, a folder or file may become a link.
            self._locked_root = None
            self._real_folders.clear()
            self._real_files.clear()
            self._lock_depth = 1
            try:
                yield self
            finally:
                self._lock_depth = 0
                self._locked_root = None
                self._real_folders.clear()
                self._real_files.clear()

    @property
    def locked(self) -> bool:
        return self._lock_depth > 0


def relative(path: Path, root: Path) -> str:
    """How catalogs and reports name a file: relative to the workspace (POSIX), else as given."""
    return _named(path, os.path.realpath(path), os.path.realpath(root))


def _named(path: Path, full: str, root: str) -> str:
    """`path` (resolved: `full`) relative to the resolved `root`, in POSIX form; as given when outside."""
    base = root.rstrip(os.sep)
    if full == base or full == base + os.sep:
        return "."
    if full.startswith(base + os.sep):
        return Path(full[len(base) + 1:]).as_posix()
    return Path(path).as_posix()


def catalog_path(root: Path, lang: str, slug: str) -> Path:
    """locales/<lang>/LC_MESSAGES/<slug>.po; a `lang` that is not a language code never becomes a folder."""
    from pipeline.languages import LANGUAGE_CODE

    if not LANGUAGE_CODE.match(lang):
        raise WorkspaceError(f"{lang!r} is not a language code (such as kk, ru or ar); no catalog folder is "
                             "named after it")
    # One join of strings: a run asks for every catalog several times, and each `/` parses a new Path.
    return Path(os.path.join(root, "locales", lang, "LC_MESSAGES", f"{slug}.po"))


def template_path(root: Path, slug: str) -> Path:
    return Path(os.path.join(root, "locales", "templates", f"{slug}.pot"))


def _name(path: Path) -> str:
    return path.name


def path_order(path: Path) -> tuple[str, ...]:
    """Sort key giving Path's own order (component by component) without its slower comparisons."""
    return path.parts


def as_workspace(root: Path | Workspace, *, need_articles: bool = True) -> Workspace:
    """Library entry points take a Workspace or a root folder; a folder is opened (and validated) here."""
    return root if isinstance(root, Workspace) else Workspace.open(root, need_articles=need_articles)
