"""Stage 7: publish localized article sets (Markdown, static HTML site, JSON manifest).

CONTRACT (base commit): the issue-7 owner replaces the bodies; fields may be added, never renamed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Publication:
    slug: str
    lang: str
    title: str
    completeness: float  # percent of segments with a usable translation
    published: bool
    reason: str = ""  # why not published
    paths: dict[str, str] = field(default_factory=dict)  # "md" / "html" -> path relative to out


def publish(root: Path, out: Path, langs: Sequence[str], *, include_fuzzy: bool = False,
            min_complete: float = 100.0) -> list[Publication]:
    raise NotImplementedError
