"""Stage: review checks on translations (`pipeline check`), one module per family of checks.

terms (required glossary targets, name consistency), numbers, script (language and English left in),
punctuation, leftovers (placeholders, markup), length, consistency (the memory's view across entries).
`checker` runs them over a workspace's catalogs.

The names below are loaded on first use (PEP 562): importing the stage costs nothing to a run that checks
nothing (an unchanged re-run reuses the last run's counts).
"""

from __future__ import annotations

import importlib

_FROM = {
    "pipeline.qa.base": ("CHECKS", "ERROR", "WARNING", "Check", "Entry", "Finding", "Problem"),
    "pipeline.qa.checker": ("ONLY", "Report", "catalog_name", "check_entries", "check_workspace", "error_keys",
                            "find_catalogs", "language_detector", "wrong_language"),
    "pipeline.qa.terms": ("missing_terms", "missing_terms_note", "normalise", "term_present"),
}
_MODULES = ("base", "checker", "consistency", "leftovers", "length", "numbers", "punctuation", "script", "terms")
_WHERE = {name: module for module, names in _FROM.items() for name in names}

__all__ = ["CHECKS", "ERROR", "WARNING", "ONLY", "Check", "Entry", "Finding", "Problem", "Report", "catalog_name",
           "check_entries", "check_workspace", "error_keys", "find_catalogs", "missing_terms",
           "missing_terms_note", "normalise", "term_present", "language_detector", "wrong_language"]


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        if name in _MODULES:  # a check family: pipeline.qa.numbers, …
            return importlib.import_module(f"pipeline.qa.{name}")
        raise AttributeError(f"module 'pipeline.qa' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup is a plain one
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
