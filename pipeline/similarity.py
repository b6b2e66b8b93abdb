"""How alike two sentences are, on translate-toolkit's scale, shared by the memory (fuzzy matches) and the
catalogs (a changed sentence's previous translation as a fuzzy suggestion), so both agree on a score."""

from __future__ import annotations

from rapidfuzz.distance import Levenshtein

DEFAULT_MIN_SCORE = 75.0  # below this a suggestion costs a translator more than it saves (pot2po's default)


def similarity(a: str, b: str) -> float:
    """translate-toolkit's Levenshtein similarity: 100 - 100 * distance / length of the longer string.

    Same expression as `translate.search.lshtein.LevenshteinComparer.similarity_real`, so figures compare
    with theirs (they cut strings at `max_length` and add a penalty; we score whole strings).
    """
    longer = max(len(a), len(b))
    if not a or not b:
        return 0.0
    return 100 - (Levenshtein.distance(a, b) * 1.0 / longer) * 100
