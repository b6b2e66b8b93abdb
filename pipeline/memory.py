"""Stage 4: the translation memory (SQLite).

CONTRACT (base commit): the issue-5 owner replaces the bodies; fields may be added, never renamed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

APPROVED = "approved"
MACHINE = "machine"


@dataclass(frozen=True)
class Unit:
    source_lang: str
    target_lang: str
    source: str
    target: str
    status: str = APPROVED
    origin: str = ""


@dataclass(frozen=True)
class Match:
    source: str
    target: str
    score: float  # 100 = exact; translate-toolkit's Levenshtein similarity otherwise
    origin: str
    status: str = APPROVED


class Memory:
    """Open with Memory.open(path); use as a context manager."""

    @classmethod
    def open(cls, path: Path) -> Memory:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def add(self, units: list[Unit]) -> int:
        raise NotImplementedError

    def lookup(self, text: str, target_lang: str, *, min_score: float = 75, limit: int = 5,
               source_lang: str = "en") -> list[Match]:
        """Exact first, then fuzzy, best first; approved units only."""
        raise NotImplementedError

    def import_catalogs(self, path: Path) -> int:
        """Harvest approved entries (non-empty, not fuzzy, not obsolete) from .po files under path."""
        raise NotImplementedError


def default_path(root: Path) -> Path:
    return root / ".pipeline" / "memory.sqlite"
