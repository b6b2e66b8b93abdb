"""Stage 2: cut an article into headings and sentences.

CONTRACT (base commit): the issue-3 owner replaces the bodies; fields may be added, never renamed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    """One translatable unit, as a translator sees it in the catalog."""

    id: str  # stable across runs: derived from the normalised text (+ occurrence), not from position
    index: int  # 0-based order in the article
    paragraph: int  # 0-based paragraph number in the article
    kind: str  # "heading" | "sentence"
    text: str  # original text, kept for reassembly
    norm: str  # NFC, whitespace collapsed: the msgid and the key for glossary / memory lookups
    line: int  # 1-based line of the source file where the segment starts


def normalise(text: str) -> str:
    """NFC + collapsed whitespace, so cosmetic edits do not change msgids."""
    raise NotImplementedError


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph, original text, in order."""
    raise NotImplementedError


def segment_text(text: str, *, markdown: bool = False) -> list[Segment]:
    """All segments of one article (plain text: one paragraph per line; Markdown: blank-line paragraphs)."""
    raise NotImplementedError
