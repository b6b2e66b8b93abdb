"""Protecting glossary terms through machine translation: protect -> translate -> restore.

An MT engine does not know the glossary; it paraphrases institution names. So each term with a target is
replaced by a placeholder code before the engine sees the segment, and the preferred target goes where the
code comes back. Engines damage codes (case, spaces, look-alike letters, duplication, dropping); what cannot
be restored exactly is translated again without protection and flagged for a reviewer.

The API is three steps a caller can also run separately: `protect` (segment + matches -> Protected),
the engine, `restore` (Protected + output -> Restored); `translate_with_terms` runs them over a batch with
the fallback. No catalog, memory or CLI concern lives here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from pipeline.glossary import first_per_concept, requirement, target_for
from pipeline.termmatch import TermMatch


@dataclass(frozen=True)
class TermResult:
    """Outcome of translating one segment with its glossary terms protected."""

    text: str
    ok: bool  # every protected term came back and was put in place
    notes: tuple[str, ...] = ()  # for a `#.` comment when not ok
    broken: tuple[str, ...] = ()  # ids of the concepts whose placeholder went wrong (the notes name them)

@dataclass(frozen=True)
class Slot:
    """One protected term: the placeholder number it travels as and what replaces it afterwards."""

    number: int
    match: TermMatch
    replacement: str


@dataclass(frozen=True)
class Protected:
    """A segment ready for the engine: `text` carries placeholders where `source` has terms."""

    source: str
    text: str
    slots: tuple[Slot, ...] = ()
    source_numbers: tuple[int, ...] = ()  # codes the source itself contained (not ours), left alone


@dataclass(frozen=True)
class Restored:
    """An engine output with the targets put in; `problems` names each placeholder that went wrong."""

    text: str
    problems: dict[int, str]  # placeholder number -> "lost or garbled" | "duplicated" | "mixed up"

    @property
    def ok(self) -> bool:
        return not self.problems


_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
# Latin letters and their Cyrillic look-alikes, so an engine that "transliterates" a placeholder still counts.
_HOMOGLYPHS = {
    "A": "AaАа", "B": "BbВв", "C": "CcСс", "E": "EeЕе", "H": "HhНн", "K": "KkКк", "M": "MmМм",
    "O": "OoОо", "P": "PpРр", "T": "TtТт", "X": "XxХх", "Y": "YyУу",
}


@dataclass(frozen=True)
class Placeholders:
    """The placeholder scheme: the one piece to swap if an engine handles another shape better.

    Default: code words like `XT1`, `XT2` - letters plus a number, like model numbers (MH17, A320) that news
    MT systems copy through untranslated. Reading them back is tolerant of what engines do to such codes:
    case, a space or hyphen between letters and digits, Cyrillic look-alike letters, Arabic-Indic digits.
    A number already present in the source text is never used, so real codes in the text are left alone.
    """

    prefix: str = "XT"

    def pattern(self) -> re.Pattern:
        """Finds placeholders as engines return them; group 1 is the number."""
        letters = r"\s?".join(f"[{re.escape(_HOMOGLYPHS.get(ch.upper(), ch + ch.lower()))}]"
                              for ch in self.prefix)
        return re.compile(rf"(?<![^\W\d_]){letters}[\s-]?([0-9٠-٩۰-۹]+)(?!\d)")

    def numbers(self, text: str) -> list[int]:
        """Placeholder numbers found in text, in order (repeats kept)."""
        return [int(m.group(1).translate(_DIGITS)) for m in self.pattern().finditer(text)]

    def protect(self, text: str, spans: Sequence[tuple[int, int]]) -> tuple[str, list[int]]:
        """Replace each (start, end) span (sorted, non-overlapping) by a placeholder; return their numbers."""
        first = max(self.numbers(text), default=0) + 1
        out, numbers, pos = [], [], 0
        for k, (start, end) in enumerate(spans):
            n = first + k
            out += [text[pos:start], f"{self.prefix}{n}"]
            numbers.append(n)
            pos = end
        out.append(text[pos:])
        return "".join(out), numbers

    def restore(self, output: str, replacements: dict[int, str],
                source_numbers: Iterable[int] = ()) -> tuple[str, dict[int, str]]:
        """Put replacements where their placeholders came back; else return {number: problem} per bad one.

        source_numbers: codes the source text itself contained (not ours). Any other number that was not
        sent means the engine garbled a placeholder, and every term of the segment needs a look.
        """
        found: dict[int, int] = {}
        for n in self.numbers(output):
            found[n] = found.get(n, 0) + 1
        problems: dict[int, str] = {}
        for n in replacements:
            count = found.get(n, 0)
            if count == 0:
                problems[n] = "lost or garbled"
            elif count > 1:
                problems[n] = "duplicated"
        strangers = set(found) - set(replacements) - set(source_numbers)
        if strangers and not problems:
            problems = dict.fromkeys(replacements, "mixed up")
        if problems:
            return output, problems

        def put(m: re.Match) -> str:
            n = int(m.group(1).translate(_DIGITS))
            return replacements.get(n, m.group(0))

        return self.pattern().sub(put, output), {}


_OPENING_QUOTES = "\"'«“„‘‹"
_CLOSING_QUOTES = "\"'»”“’›"


def _span_with_quotes(text: str, match: TermMatch, replacement: str) -> tuple[int, int]:
    """Swallow the quotes around a name when the target form brings its own («Нұр-Мүбарак»)."""
    start, end = match.start, match.end
    if replacement[:1] in _OPENING_QUOTES and replacement[-1:] in _CLOSING_QUOTES \
            and start > 0 and end < len(text) and text[start - 1] in _OPENING_QUOTES \
            and text[end] in _CLOSING_QUOTES:
        return start - 1, end + 1
    return start, end


def protect(text: str, matches: Sequence[TermMatch], lang: str, scheme: Placeholders | None = None) -> Protected:
    """Replace each match that has a lang target by a placeholder (overlaps and terms without a target stay)."""
    scheme = scheme or Placeholders()
    spans, chosen, last_end = [], [], -1
    for m in sorted(matches, key=lambda m: m.start):
        replacement = target_for(m, lang)
        if replacement is None or m.start < last_end:
            continue
        span = _span_with_quotes(text, m, replacement)
        if span[0] < last_end:
            span = (m.start, m.end)
        spans.append(span)
        chosen.append((m, replacement))
        last_end = span[1]
    protected_text, numbers = scheme.protect(text, spans)
    slots = tuple(Slot(n, m, r) for n, (m, r) in zip(numbers, chosen, strict=True))
    return Protected(text, protected_text, slots, tuple(scheme.numbers(text)))


def restore(protected: Protected, output: str, scheme: Placeholders | None = None) -> Restored:
    """Put the targets where their placeholders came back in the engine's output (nothing to do without slots)."""
    if not protected.slots:
        return Restored(output, {})
    scheme = scheme or Placeholders()
    text, problems = scheme.restore(output, {s.number: s.replacement for s in protected.slots},
                                    protected.source_numbers)
    return Restored(text, problems)


def fallback_notes(protected: Protected, matches: Sequence[TermMatch], problems: dict[int, str],
                   lang: str) -> list[str]:
    """One note per concept whose placeholder went wrong, naming it as the `terms:` comment does.

    The comment (glossary.required_targets) speaks of each concept's first match in the segment; so do these
    notes, whichever of its occurrences the engine broke.
    """
    concept_of = {s.number: s.match.concept.id for s in protected.slots}
    problem_of: dict[str, str] = {}
    for n, problem in sorted(problems.items()):
        problem_of.setdefault(concept_of[n], problem)
    notes = []
    for m in first_per_concept(matches):
        if m.concept.id in problem_of:
            target, remarks = requirement(m, lang)
            notes.append(f"glossary: MT {problem_of[m.concept.id]} the placeholder for “{m.text}”; this is the "
                         f"unprotected translation: make sure it says “{target}”{remarks}")
    return notes


def translate_with_terms(
    texts: Sequence[str],
    matches: Sequence[Sequence[TermMatch]],
    lang: str,
    translate: Callable[[list[str]], list[str]],
    scheme: Placeholders | None = None,
) -> list[TermResult]:
    """Protect terms, call the engine once for the batch, restore preferred targets; fall back per segment.

    A segment whose placeholders did not all come back exactly once is translated again without protection
    (one more engine call for all such segments) and returned with ok=False and notes naming the terms.
    Terms without a target in lang are left to the engine (term_comment flags them).
    """
    scheme = scheme or Placeholders()
    if len(texts) != len(matches):
        raise ValueError(f"{len(texts)} texts but {len(matches)} match lists")
    protected = [protect(text, ms, lang, scheme) for text, ms in zip(texts, matches, strict=True)]
    outputs = list(translate([p.text for p in protected])) if protected else []
    if len(outputs) != len(texts):
        raise ValueError(f"the engine returned {len(outputs)} translations for {len(texts)} segments")
    results: list[TermResult | None] = [None] * len(texts)
    failed: list[tuple[int, list[str], tuple[str, ...]]] = []
    for i, (p, output) in enumerate(zip(protected, outputs, strict=True)):
        restored = restore(p, output, scheme)
        if restored.ok:
            results[i] = TermResult(restored.text, True)
            continue
        concept_of = {s.number: s.match.concept.id for s in p.slots}
        broken = tuple(dict.fromkeys(concept_of[n] for n in sorted(restored.problems)))
        failed.append((i, fallback_notes(p, matches[i], restored.problems, lang), broken))
    if failed:
        retry = list(translate([texts[i] for i, _, _ in failed]))
        if len(retry) != len(failed):
            raise ValueError(f"the engine returned {len(retry)} translations for {len(failed)} segments")
        for (i, notes, broken), output in zip(failed, retry, strict=True):
            results[i] = TermResult(output, False, tuple(notes), broken)
    return [r for r in results if r is not None]
