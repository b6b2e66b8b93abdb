"""Stage 6: gettext catalogs that translators review; merged like msgmerge, never losing an edit.

CONTRACT (base commit): the issue-6 owner replaces the bodies; fields may be added, never renamed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.segment import Segment

PLURAL_FORMS = {
    "kk": "nplurals=2; plural=(n != 1);",
    "ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);",
}


class CatalogError(Exception):
    """A catalog that cannot be read; carries file and line. The file is left untouched."""

    def __init__(self, path: Path, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


@dataclass
class Draft:
    """What the pipeline proposes for one segment of one catalog."""

    msgid: str
    msgctxt: str | None
    occurrences: list[tuple[str, str]]  # (source path relative to root, line)
    comments: list[str] = field(default_factory=list)  # `#.` lines: kind, terms, provenance
    msgstr: str = ""  # empty: no proposal
    fuzzy: bool = True
    previous_msgid: str | None = None  # `#|` for fuzzy memory / previous-catalog suggestions


@dataclass(frozen=True)
class Existing:
    msgstr: str
    fuzzy: bool


@dataclass(frozen=True)
class Suggestion:
    old_msgid: str
    msgstr: str
    score: float


@dataclass(frozen=True)
class CatalogStats:
    total: int
    approved: int
    fuzzy: int
    untranslated: int
    obsolete: int

    @property
    def percent_approved(self) -> float:
        return 100.0 * self.approved / self.total if self.total else 0.0


def catalog_path(root: Path, lang: str, slug: str) -> Path:
    return root / "locales" / lang / "LC_MESSAGES" / f"{slug}.po"


def template_path(root: Path, slug: str) -> Path:
    return root / "locales" / "templates" / f"{slug}.pot"


def entry_keys(segments: Sequence[Segment]) -> list[tuple[str | None, str]]:
    """(msgctxt, msgid) per segment: msgctxt only for repeats of a sentence within one article."""
    raise NotImplementedError


class Catalog:
    """A catalog as it is on disk now (an absent file reads as empty)."""

    @classmethod
    def load(cls, path: Path) -> Catalog:
        raise NotImplementedError

    def existing(self, msgctxt: str | None, msgid: str) -> Existing | None:
        """The live entry's translation, when it has a non-empty msgstr."""
        raise NotImplementedError

    def previous_suggestion(self, msgid: str, min_score: float = 75) -> Suggestion | None:
        """Best old translation whose source is gone from the article (changed sentence)."""
        raise NotImplementedError


def update_catalog(path: Path, lang: str, drafts: Sequence[Draft], *, project: str) -> CatalogStats:
    """Merge drafts into the catalog on disk and write atomically; re-merges if the file changed meanwhile."""
    raise NotImplementedError


def write_template(path: Path, drafts: Sequence[Draft], *, project: str) -> None:
    raise NotImplementedError


def catalog_stats(path: Path) -> CatalogStats:
    raise NotImplementedError
