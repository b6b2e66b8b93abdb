"""Offline multilingual content pipeline with a translation memory."""

from pipeline.languages import SOURCE_LANG, TARGET_LANGS  # noqa: F401 (one table: pipeline/languages.py)

__version__ = "0.1.0"
GENERATOR = f"pipeline {__version__}"


def shown_percent(value: float) -> float:
    """A percentage for people and scripts alike: one decimal, rounded down, so 99.96 never reads as 100."""
    import math

    return math.floor(value * 10 + 1e-9) / 10


def percent_text(value: float) -> str:
    """The same figure as text: "87%", "87.5%" (never "100%" for 99.96)."""
    shown = shown_percent(value)
    return f"{shown:.0f}%" if shown == int(shown) else f"{shown:.1f}%"
