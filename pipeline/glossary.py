"""Stage 3: the curated glossary of institution names and titles.

CONTRACT (base commit): the issue-4 owner replaces the bodies; fields may be added, never renamed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Concept:
    id: str
    type: str  # institution | title | place | event | document | organisation | person
    en: str
    en_variants: tuple[str, ...] = ()
    targets: dict[str, str] = field(default_factory=dict)  # lang -> preferred term
    target_variants: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dnt: bool = False  # do not translate (keep the English form)
    notes: str = ""
    sources: dict[str, str] = field(default_factory=dict)  # lang -> citation
    confirmed: bool = True


@dataclass(frozen=True)
class TermMatch:
    text: str  # as it appears in the segment
    start: int
    end: int
    concept: Concept


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str


@dataclass(frozen=True)
class TermResult:
    """Outcome of translating one segment with its glossary terms protected."""

    text: str
    ok: bool  # every protected term came back and was put in place
    notes: tuple[str, ...] = ()  # for a `#.` comment when not ok


class Glossary:
    def __init__(self, concepts: Sequence[Concept]):
        raise NotImplementedError

    @classmethod
    def load(cls, directory: Path) -> Glossary:
        raise NotImplementedError

    def find(self, text: str) -> list[TermMatch]:
        """Longest, non-overlapping matches in text order."""
        raise NotImplementedError


def check(directory: Path) -> list[Problem]:
    raise NotImplementedError


def translate_with_terms(
    texts: Sequence[str],
    matches: Sequence[Sequence[TermMatch]],
    lang: str,
    translate: Callable[[list[str]], list[str]],
) -> list[TermResult]:
    """Protect terms, call the engine once for the batch, restore preferred targets; fall back per segment."""
    raise NotImplementedError
