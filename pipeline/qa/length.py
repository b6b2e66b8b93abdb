"""Length: a translation far shorter or longer than human translations of news ever are has usually lost or
gained a clause.

The ratio is (target characters + 10) / (source characters + 10): the 10 keeps short headings from swinging
wildly. Bounds are the 0.5th and 99.5th percentiles of the human references of NTREX-128 (1,997 English news
sentences), rounded outwards (medians: kk 1.05, ru 1.10, ar 0.92); benchmarks/qa.py prints them again.
"""

from __future__ import annotations

from pipeline.qa.base import Entry, Finding

SMOOTHING = 10
BOUNDS = {"kk": (0.65, 1.8), "ru": (0.68, 1.85), "ar": (0.6, 1.75)}
TRUNCATED = 0.4  # below every NTREX reference (the lowest is 0.51): half of the sentence is gone


def ratio(source: str, target: str) -> float:
    return (len(" ".join(target.split())) + SMOOTHING) / (len(" ".join(source.split())) + SMOOTHING)


def check(entry: Entry) -> list[Finding]:
    if entry.lang not in BOUNDS:
        return []
    low, high = BOUNDS[entry.lang]
    value = ratio(entry.msgid, entry.msgstr)
    if value < TRUNCATED:
        return [Finding("length", f"the translation is {value:.2f}× the source's length; part of the sentence "
                                  "seems to be missing", "error")]
    if value < low:
        return [Finding("length", f"the translation is {value:.2f}× the source's length (human news translations "
                                  f"are {low}–{high}×); check that nothing was left out")]
    if value > high:
        return [Finding("length", f"the translation is {value:.2f}× the source's length (human news translations "
                                  f"are {low}–{high}×); check for repeated or added text")]
    return []
