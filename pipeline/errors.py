"""The one shape of a user-facing error: which file, which line, what is wrong and what to do.

Every stage raises a subclass, so a caller (the CLI, a script) can catch `LocatedError` once and print
`str(exc)`, which reads like a compiler message: `path:line: message`.
"""

from __future__ import annotations

import errno
from pathlib import Path


class LocatedError(Exception):
    """An input that cannot be used, located in its file.

    `line` is 1-based; 0 means the problem is the file as a whole (or no file is involved). `path` may be
    None when the error is about an option rather than a file.
    """

    def __init__(self, path: str | Path | None, line: int, message: str):
        self.path, self.line, self.message = path, line, message
        super().__init__(path, line, message)

    def __str__(self) -> str:
        if self.path is None or self.path == "":
            return self.message
        if self.line:
            return f"{self.path}:{self.line}: {self.message}"
        return f"{self.path}: {self.message}"

    def __reduce__(self):
        # Picklable with the subclasses' own signatures (a worker process hands an error back unchanged).
        return _rebuild, (type(self), self.path, self.line, self.message)


def _rebuild(cls: type[LocatedError], path, line: int, message: str) -> LocatedError:
    error = cls.__new__(cls)
    LocatedError.__init__(error, path, line, message)
    return error


class SourceError(LocatedError):
    """A source article that cannot be used; says which file and line and what to do."""


class CatalogError(LocatedError):
    """A catalog that cannot be read; carries file and line. The file is left untouched."""


class MemoryImportError(LocatedError):
    """A catalog or TMX file that cannot be imported; carries file and line. The import keeps nothing."""


class TmxError(MemoryImportError):
    """A malformed TMX file."""


class PublishError(LocatedError):
    """Publishing cannot start (bad option); nothing was written."""

    def __init__(self, message: str, path: str | Path | None = None, line: int = 0):
        super().__init__(path, line, message)


class ModelError(LocatedError):
    """A model archive or installed package that cannot be used; the message says what to do.

    Most messages name the archive or package directory themselves; `path` is for callers that know it apart.
    """

    def __init__(self, message: str, path: str | Path | None = None, line: int = 0):
        super().__init__(path, line, message)


class WriteError(LocatedError):
    """A file or folder the pipeline must write cannot be written (full disk, read-only, a folder in the way);
    what was on disk before is unchanged."""


def os_problem(exc: OSError, path: str | Path | None = None) -> str:
    """One line for an OSError: the path, what happened and what to do about it."""
    where = exc.filename or path or ""
    if exc.errno == errno.ENOSPC or exc.errno == getattr(errno, "EDQUOT", -1):
        what = "the disk is full; free some space and run again (the file on disk is unchanged)"
    elif exc.errno == errno.EACCES and exc.strerror == "the file is read-only":
        what = f"the file is read-only, so the pipeline leaves it alone; make it writable (chmod u+w {where}) " \
               "if it may be changed, then run again"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        folder = Path(where).parent if where else "the folder"
        what = (f"not writable ({exc.strerror}); make {folder} writable (chmod u+w) or run as its owner, then "
                "run again")
    elif exc.errno == errno.EISDIR:
        what = "is a folder, not a file; move or rename the folder, then run again"
    elif exc.errno == errno.ENOTDIR:
        what = "a file stands where a folder should be; move or rename it, then run again"
    else:
        what = f"{exc.strerror or exc}"
    return f"{where}: {what}" if where else what


def write_error(exc: OSError, path: str | Path | None = None) -> WriteError:
    return WriteError(None, 0, os_problem(exc, path))
