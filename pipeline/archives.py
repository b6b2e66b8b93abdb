"""Unpacking downloaded archives (model packages, OPUS-MT releases) without trusting them.

A zip names its own paths and declares its own sizes; both are checked before anything is written (no member
outside the target folder, no more members or bytes than the limits), and the bytes are counted again while
they are written, because a declared size is only a claim: a zip bomb stops at the limit, not when the disk
is full.
"""

from __future__ import annotations

import re
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pipeline.errors import ModelError

DEFAULT_MAX_UNPACKED = 1 << 30  # 1 GiB: argos packages are 50-300 MB; a large converted model needs the flag
DEFAULT_MAX_MEMBERS = 10_000
_CHUNK = 1 << 20
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


@dataclass(frozen=True)
class Limits:
    """How much one archive may unpack to; `--max-unpacked-size 4G` raises the size for a real large model."""

    max_bytes: int = DEFAULT_MAX_UNPACKED
    max_members: int = DEFAULT_MAX_MEMBERS


def parse_size(text: str) -> int:
    """"4G", "500M", "1.5GiB" or plain bytes -> bytes; ValueError with the accepted forms."""
    found = _SIZE.match(str(text))
    if not found:
        raise ValueError(f"{text!r} is not a size; write e.g. 4G, 500M or 2000000000")
    return int(float(found.group(1)) * _UNITS[found.group(2).upper()])


def human_size(size: int) -> str:
    for unit in ("GiB", "MiB", "KiB"):
        scale = {"GiB": 1 << 30, "MiB": 1 << 20, "KiB": 1 << 10}[unit]
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def _unsafe(name: str) -> bool:
    pure = PurePosixPath(name)
    return pure.is_absolute() or ".." in pure.parts or "\\" in name or (len(name) > 1 and name[1] == ":")


def check_members(zf: zipfile.ZipFile, archive: Path, limits: Limits,
                  names: Iterable[str] | None = None) -> list[zipfile.ZipInfo]:
    """The members to unpack, once their paths and declared sizes are known to be safe (ModelError if not)."""
    wanted = None if names is None else set(names)
    members = [info for info in zf.infolist() if wanted is None or info.filename in wanted]
    for info in members:
        if _unsafe(info.filename):
            raise ModelError(f"{archive}: unsafe path in archive: {info.filename!r}; refusing to unpack it")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ModelError(f"{archive}: {info.filename!r} is a symbolic link; packages hold plain files only, "
                             "refusing to unpack it")
    if len(members) > limits.max_members:
        raise ModelError(f"{archive}: {len(members)} files in the archive, more than the limit of "
                         f"{limits.max_members}; not a model package (nothing was unpacked)")
    declared = sum(info.file_size for info in members)
    if declared > limits.max_bytes:
        raise ModelError(f"{archive}: unpacks to {human_size(declared)}, more than the limit of "
                         f"{human_size(limits.max_bytes)} (nothing was unpacked); if this really is a model that "
                         "large, pass --max-unpacked-size with a larger size, e.g. --max-unpacked-size 4G")
    return members


def extract(zf: zipfile.ZipFile, archive: Path, into: Path, limits: Limits,
            names: Iterable[str] | None = None) -> None:
    """Unpack the members (all, or `names`) into `into`, counting real bytes against the limit as they come."""
    members = check_members(zf, archive, limits, names)
    root = into.resolve()
    written = 0
    for info in members:
        target = (into / info.filename).resolve()
        if target != root and root not in target.parents:
            raise ModelError(f"{archive}: {info.filename!r} would be written outside {into}; refusing it")
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with zf.open(info) as source, open(target, "wb") as out:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                if written > limits.max_bytes:
                    raise ModelError(f"{archive}: unpacks to more than {human_size(limits.max_bytes)} although "
                                     "it declares less (a forged archive?); unpacking stopped and nothing was "
                                     "installed")
                out.write(chunk)
