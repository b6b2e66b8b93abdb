"""Stage 5: offline machine translation through installed argos packages.

CONTRACT (base commit): the issue-2/8 engine owner replaces the bodies; fields may be added, never renamed.
Never calls argostranslate.translate.translate() (it downloads sentence splitters and fails offline).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class ModelError(Exception):
    """A model archive or installed package that cannot be used; the message says what to do."""


@dataclass(frozen=True)
class ModelInfo:
    from_code: str
    to_code: str
    package_version: str
    path: Path
    size: int  # bytes on disk


def packages_dir(explicit: Path | None = None) -> Path:
    """explicit > $ARGOS_PACKAGES_DIR > argos' own default; never read at import time."""
    raise NotImplementedError


def list_models(directory: Path) -> list[ModelInfo]:
    raise NotImplementedError


def install_model(archive: Path, directory: Path) -> ModelInfo:
    """Validate a .argosmodel and install it atomically; nothing installed changes on error."""
    raise NotImplementedError


class Engine:
    """One loaded en->xx package."""

    label: str  # e.g. "argos en->kk 1.0" for provenance comments

    @classmethod
    def load(cls, directory: Path, to_code: str, from_code: str = "en") -> Engine | None:
        """None when no package for the pair is installed."""
        raise NotImplementedError

    def translate(self, texts: list[str]) -> list[str]:
        """Batch-translate segments; decoding length bounded by source length."""
        raise NotImplementedError
