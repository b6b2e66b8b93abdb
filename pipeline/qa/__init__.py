"""Stage: review checks on translations (`pipeline check`), one module per family of checks.

terms (required glossary targets, name consistency), numbers, script (language and English left in),
punctuation, leftovers (placeholders, markup), length, consistency (the memory's view across entries).
`checker` runs them over a workspace's catalogs.
"""

from pipeline.qa.base import CHECKS, ERROR, WARNING, Check, Entry, Finding, Problem
from pipeline.qa.checker import (
    ONLY,
    Report,
    catalog_name,
    check_entries,
    check_workspace,
    error_keys,
    find_catalogs,
    language_detector,
    wrong_language,
)
from pipeline.qa.terms import missing_terms, missing_terms_note, normalise, term_present

__all__ = ["CHECKS", "ERROR", "WARNING", "ONLY", "Check", "Entry", "Finding", "Problem", "Report", "catalog_name",
           "check_entries", "check_workspace", "error_keys", "find_catalogs", "missing_terms",
           "missing_terms_note", "normalise", "term_present", "language_detector", "wrong_language"]
