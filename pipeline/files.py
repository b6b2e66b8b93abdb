"""Atomic file writes shared by the stages: a crash or a full disk never leaves a half-written user file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def _new_file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_writer(path: Path, *, encoding: str = "utf-8", newline: str | None = "\n") -> Iterator[IO[str]]:
    """A text file in the target's directory that replaces `path` only when the block succeeds.

    The new file keeps the mode of the file it replaces (a fresh one gets the umask's), and is fsynced first.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        mode = path.stat().st_mode & 0o7777 if path.exists() else _new_file_mode()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str, *, newline: str = "\n") -> None:
    with atomic_writer(path, newline="") as handle:
        handle.write(text if newline == "\n" else text.replace("\n", newline))
