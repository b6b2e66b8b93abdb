"""The one atomic writer of the package: a crash, a full disk or a translator's concurrent save never leaves
a half-written or silently overwritten user file.

How: the data goes to a temp file in the target's directory (same filesystem, so the rename is atomic), is
fsynced, takes the mode of the file it replaces (a new file gets 0o666 minus the umask, applied by the kernel
when the temp file is created, so the umask is never read or changed), replaces the target with one rename,
and the directory is fsynced so the rename itself survives a power cut. `write_many` does the same for many
files with one sync for all of them (a run writes thousands of catalogs; a sync each cost more than the rest).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import io
import os
import secrets
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

# `expected` default: write whatever is on disk now.
ANY_CONTENT: Any = object()
_TEMP_ATTEMPTS = 100


def before_replace(path: Path) -> None:
    """Last moment before a new file replaces `path` (tests simulate a concurrent save or a crash here)."""


def output_folder(path: Path) -> None:
    """An export's folder must exist: exports never create folders, so a mistyped path fails with its name
    instead of leaving a stray tree (catalogs, templates and the site do create theirs)."""
    folder = Path(path).absolute().parent
    if not folder.is_dir():
        raise FileNotFoundError(errno.ENOENT, f"no such folder {folder}; create it first (mkdir -p {folder}) or "
                                              "choose another path", str(path))


def read_or_none(path: Path) -> bytes | None:
    """The bytes of `path`, or None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new, empty temp file beside `path`. Created with 0o666 so the kernel applies the umask (mkstemp's
    0o600 would make every new catalog or page private)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    for _attempt in range(_TEMP_ATTEMPTS):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"{path.parent}: cannot create a temp file beside {path.name}")


def _fsync_directory(directory: Path) -> None:
    # Not every platform or filesystem can open or fsync a directory; the rename is still atomic there.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


READ_ONLY = "the file is read-only"


def _target(path: Path, follow_link: bool) -> Path:
    """The file to replace, never a read-only one (PermissionError: someone protected it). A symbolic link is
    replaced by the new file, unless `follow_link`: then its target is written and the link stays (for catalogs a
    translator linked, once the caller has checked that the target is inside the workspace)."""
    path = Path(path)
    if follow_link and path.is_symlink():
        path = path.resolve()
    with contextlib.suppress(FileNotFoundError):
        if path.is_file() and not path.stat().st_mode & 0o222:
            raise PermissionError(errno.EACCES, READ_ONLY, str(path))
    return path


def _swap(tmp: Path, path: Path, expected: Any) -> bool:
    """Move the durable temp file onto `path`, with the mode of the file it replaces. Compare-and-swap: when
    `path` no longer holds `expected` (someone saved meanwhile), nothing moves and the result is False (the caller
    removes the temp file)."""
    with contextlib.suppress(FileNotFoundError):
        os.chmod(tmp, path.stat().st_mode & 0o7777)
    before_replace(path)
    if expected is not ANY_CONTENT and read_or_none(path) != expected:
        return False
    os.replace(tmp, path)
    return True


@contextlib.contextmanager
def _replacing(path: Path, expected: Any, replaced: list[bool], follow_link: bool = False) -> Iterator[IO[bytes]]:
    path = _target(path, follow_link)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if not _swap(tmp, path, expected):
            tmp.unlink()
            return
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)
    replaced.append(True)


def write_bytes(path: Path, data: bytes, *, expected: bytes | None = ANY_CONTENT, follow_link: bool = False) -> bool:
    """Replace `path` with `data` atomically. True when written.

    `expected` makes it a compare-and-swap: the content the new data was computed from (None: the file did
    not exist). If the file holds something else at the last moment (a translator saved meanwhile), nothing is
    written and the result is False, so the caller can merge again instead of losing the save.
    """
    replaced: list[bool] = []
    with _replacing(path, expected, replaced, follow_link) as handle:
        handle.write(data)
    return bool(replaced)


def write_many(items: Sequence[tuple[Path, bytes, Any]], *, follow_link: bool = False) -> dict[Path, bool | OSError]:
    """`write_bytes` for many files, made durable together: every temp file is written, then all are synced at
    once (one syncfs per filesystem where the platform has it, else an fsync each: a run writing thousands of
    catalogs pays one sync, not two per file), then each replaces its target, compare-and-swap as in write_bytes
    (`expected`: the content the data was computed from), and each folder is synced once.

    Returns per path: True (written), False (the file changed meanwhile: nothing written) or the OSError that kept
    it from being written (the others are still written).
    """
    results: dict[Path, bool | OSError] = {}
    staged: list[tuple[Path, Path, Path, Any]] = []  # (path, target, temp file, expected)
    made: set[Path] = set()  # folders known to exist: thousands of files share three or four
    moved: set[Path] = set()  # temp files now in place (nothing left to remove)
    try:
        for path, data, expected in items:
            try:
                target = _target(path, follow_link)
                if target.parent not in made:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    made.add(target.parent)
                fd, tmp = _create_temp(target)
                staged.append((path, target, tmp, expected))
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
            except OSError as exc:
                results[path] = exc
        by_temp = {temp: path for path, _, temp, _ in staged if path not in results}
        for temp, exc in _sync_files(list(by_temp)).items():
            results[by_temp[temp]] = exc
        folders: set[Path] = set()
        for path, target, tmp, expected in staged:
            if path in results:
                continue
            try:
                results[path] = _swap(tmp, target, expected)
                if results[path]:
                    moved.add(tmp)
                    folders.add(target.parent)
            except OSError as exc:
                results[path] = exc
        for folder in folders:
            _fsync_directory(folder)
    finally:
        for _, _, temp, _ in staged:  # what was not moved into place (or an interruption)
            if temp not in moved:
                temp.unlink(missing_ok=True)
    return results


@functools.cache
def _syncfs() -> Any:
    """libc's syncfs (Linux): one call makes every file of a filesystem durable; None where there is none."""
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError, TypeError):
        return None


def _sync_files(paths: Sequence[Path]) -> dict[Path, OSError]:
    """Make the files durable; returns those that could not be, with why (the others are)."""
    failed: dict[Path, OSError] = {}
    if not paths:
        return failed
    syncfs = _syncfs()
    pending = list(paths)
    if syncfs is not None:
        devices: dict[int, list[Path]] = {}
        for path in paths:
            try:
                devices.setdefault(os.stat(path).st_dev, []).append(path)
            except OSError as exc:
                failed[path] = exc
        pending = []
        for group in devices.values():
            try:
                fd = os.open(group[0], os.O_RDONLY)
                try:
                    synced = syncfs(fd) == 0
                finally:
                    os.close(fd)
            except OSError:
                synced = False
            if not synced:
                pending += group  # an fsync each says which file could not be made durable
    for path in pending:
        try:
            fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            failed[path] = exc
    return failed


def write_text(path: Path, text: str, *, encoding: str = "utf-8", newline: str = "\n",
               expected: bytes | None = ANY_CONTENT) -> bool:
    """`write_bytes` for text; `newline` is what each "\\n" in `text` is written as."""
    if newline != "\n":
        text = text.replace("\n", newline)
    return write_bytes(path, text.encode(encoding), expected=expected)


def write_if_changed(path: Path, data: bytes | str) -> bool:
    """Write only when the content differs (a re-publish leaves unchanged pages, and their mtimes, alone)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if read_or_none(path) == data:
        return False
    return write_bytes(path, data)


@contextlib.contextmanager
def atomic_writer(path: Path, *, encoding: str = "utf-8", newline: str | None = "\n") -> Iterator[IO[str]]:
    """A text stream that replaces `path` only when the block succeeds (for writers that stream, e.g. TMX)."""
    with _replacing(path, ANY_CONTENT, []) as raw:
        handle = io.TextIOWrapper(raw, encoding=encoding, newline=newline)
        yield handle
        handle.flush()
        handle.detach()  # `raw` is fsynced and closed by _replacing


@contextlib.contextmanager
def atomic_binary_writer(path: Path) -> Iterator[IO[bytes]]:
    """A seekable binary stream (a zip archive can be written into it) that replaces `path` on success."""
    with _replacing(path, ANY_CONTENT, []) as handle:
        yield handle


def atomic_write_text(path: Path, text: str, *, newline: str = "\n") -> None:
    """UTF-8 text, each "\\n" written as `newline`."""
    write_text(path, text, newline=newline)
