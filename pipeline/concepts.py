"""The glossary's data: concepts, located problems and the error for a glossary that cannot be used.

It lives apart from the glossary stage so that the file formats (formats/glossary_csv.py, formats/tbx.py),
the term matcher and MT term protection share one model without importing a stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import LocatedError
from pipeline.languages import TARGET_LANGS

LANGS = TARGET_LANGS
TYPES = ("institution", "title", "place", "event", "document", "organisation", "person", "media")
CASE_RULES = ("auto", "sensitive", "insensitive")


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
    # Optional CSV columns: how letter case counts when matching; columns the glossary does not know.
    case: str = "auto"  # auto: acronyms (SAMK, UN) exact, everything else case-insensitive
    extra: dict[str, str] = field(default_factory=dict)

    def __hash__(self) -> int:  # the dict fields are never mutated; lets matches go into sets and dict keys
        return hash((self.id, self.en))


@dataclass(frozen=True)
class Problem:
    """Something `glossary check` reports; prints like a LocatedError (line 0: the file as a whole)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return str(LocatedError(self.path, self.line, self.message))


class GlossaryError(LocatedError):
    """A glossary file that cannot be used as it is; the message names file and line and what to do."""

    def __init__(self, path: str | Path, line: int, message: str):
        super().__init__(str(path), line, message)


def looks_like_acronym(term: str) -> bool:
    return 2 <= len(term) <= 10 and " " not in term and term.isupper()
