"""Checks on translations: required glossary targets present (inflection- and orthography-tolerant).

CONTRACT (base commit): the issue-4 owner replaces the bodies.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.glossary import TermMatch


def term_present(translation: str, term: str, lang: str) -> bool:
    raise NotImplementedError


def missing_terms(translation: str, matches: Sequence[TermMatch], lang: str) -> list[TermMatch]:
    """Matches whose required target (or an allowed variant) does not occur in the translation."""
    raise NotImplementedError
