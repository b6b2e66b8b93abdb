"""Checks on translations: required glossary targets present (inflection- and orthography-tolerant).

Russian and Kazakh inflect the words of a name ("Духовного управления мусульман Казахстана",
"басқармасының"), and Arabic is written with or without hamza seats, diacritics and tatweel, and takes
attached particles ("والإدارة"). A required term counts as present when each of its words appears, in order
and next to each other, in a form that a stem-prefix rule for the language accepts. Deliberately lenient:
a false "missing" sends a translator hunting; a false "present" is caught in review.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from pipeline.concepts import Concept, looks_like_acronym
from pipeline.forms import Forms
from pipeline.glossary import required_targets, target_forms
from pipeline.qa.base import ERROR, WARNING, Entry, Finding
from pipeline.termmatch import TermMatch

_WORD = re.compile(r"\w+")
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")  # diacritics, tatweel
_ARABIC_LETTERS = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",  # alef forms
    "ى": "ي", "ی": "ي", "ئ": "ي",  # alef maqsura, Persian yeh, yeh with hamza
    "ة": "ه", "ۀ": "ه", "ؤ": "و", "ک": "ك",
    "ё": "е",
})
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")

_RU_ENDINGS = tuple(sorted(
    "ями ами его ого ему ому ыми ими иях ях ах ов ев ей ой ий ый ая яя ое ее ую юю ия ие ья ье ью "
    "ям ам ом ем ым им ых их а я о е ы и у ю ь й".split(), key=len, reverse=True))
_KK_POSSESSIVE = ("сы", "сі", "ы", "і")


def normalise(text: str) -> str:
    """Casefolded, NFKC, Arabic letter variants unified, diacritics and tatweel removed, ё = е."""
    text = unicodedata.normalize("NFKC", text)
    text = _ARABIC_MARKS.sub("", text)
    return text.casefold().translate(_ARABIC_LETTERS).translate(_DIGITS)


def words(text: str) -> list[str]:
    return _WORD.findall(normalise(text))


def _ru_stem(word: str) -> str:
    for ending in _RU_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


_RU_VOWELS = "аеёиоуыэюя"


def _ru_stems(word: str) -> tuple[str, ...]:
    """Stem, plus the stem without a fleeting vowel (посол -> послом, отец -> отца, церковь -> церкви)."""
    stem = _ru_stem(word)
    if len(stem) >= 4 and stem[-2] in "оеё" and stem[-1] not in _RU_VOWELS and stem[-3] not in _RU_VOWELS:
        return stem, stem[:-2] + stem[-1]
    return (stem,)


def _kk_stem(word: str) -> str:
    for ending in _KK_POSSESSIVE:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            word = word[: -len(ending)]
            break
    if len(word) >= 5 and word[-1] in "пкқ":  # voiced before a vowel: кітап -> кітабы
        word = word[:-1]
    return word


def _arabic_readings(word: str) -> set[str]:
    """The word without the particles Arabic attaches in front: و/ف, ب/ك/ل, and the article ال."""
    out = {word}
    frontier = {word}
    for prefixes in (("و", "ف"), ("ب", "ك", "ل"), ("ال",)):
        grown = set()
        for w in frontier:
            for p in prefixes:
                if w.startswith(p) and len(w) - len(p) >= 2:
                    grown.add(w[len(p):])
            if prefixes == ("ب", "ك", "ل") and w.startswith("لل") and len(w) > 4:  # لل = ل + ال
                grown.add(w[2:])
        frontier |= grown
        out |= grown
    return out


def _arabic_stem(word: str) -> str:
    if word.startswith("ال") and len(word) >= 4:
        word = word[2:]
    if len(word) >= 5 and word[-2:] in ("ين", "ون"):  # sound plural; construct state drops the nun
        word = word[:-2]
    return word


def _word_matcher(term_word: str, lang: str):
    """A test for one word of the required term, tolerant as the language needs."""
    if lang == "ar" and any("\u0600" <= ch <= "\u06ff" for ch in term_word):
        stem = _arabic_stem(term_word)
        return lambda w: any(r.startswith(stem) and len(r) - len(stem) <= 3 for r in _arabic_readings(w))
    if len(term_word) <= 2 or term_word.isdigit():
        return lambda w: w == term_word
    if lang == "ru":
        stems = _ru_stems(term_word)
        return lambda w: any(w.startswith(s) and len(w) - len(s) <= 4 for s in stems)
    if lang == "kk":
        stem, extra = _kk_stem(term_word), 10
    else:
        stem, extra = term_word, 2
    return lambda w: w.startswith(stem) and len(w) - len(stem) <= extra


def term_span(translation: str, term: str, lang: str) -> tuple[int, int] | None:
    """Where the term (in any inflected / orthographic form) is: (start, end) in normalise(translation), which
    are positions in the translation itself unless it had Arabic marks or compatibility characters."""
    wanted = words(term)
    if not wanted:
        return None
    tests = [_word_matcher(w, lang) for w in wanted]
    have = list(_WORD.finditer(normalise(translation)))
    for start in range(len(have) - len(tests) + 1):
        if all(test(have[start + k].group(0)) for k, test in enumerate(tests)):
            return have[start].start(), have[start + len(tests) - 1].end()
    return None


def term_present(translation: str, term: str, lang: str) -> bool:
    """Does the translation contain term (in any inflected / orthographic form)? An empty term never is."""
    return term_span(translation, term, lang) is not None


def missing_terms(translation: str, matches: Sequence[TermMatch], lang: str) -> list[TermMatch]:
    """Matches whose required target (or an allowed variant) does not occur in the translation.

    One entry per concept (its first match). Concepts without a target in lang are not checked: there is
    nothing to require yet (the `terms:` comment says so).
    """
    missing, seen = [], set()
    for m in matches:
        if m.concept.id in seen:
            continue
        seen.add(m.concept.id)
        forms = target_forms(m.concept, lang)
        if forms and not any(term_present(translation, form, lang) for form in forms):
            missing.append(m)
    return missing


def missing_terms_note(missing: Sequence[TermMatch], lang: str) -> str:
    """A `check terms:` comment for what missing_terms found ("" when nothing is missing).

    Each target is said exactly as the entry's `terms:` comment says it (glossary.required_targets): the
    target acronym for an acronym, "(do not translate)", "(unconfirmed)", never an empty target.
    """
    pairs = required_targets(missing, lang)
    return "check terms: " + "; ".join(f"{source} → {target}" for source, target in pairs) if pairs else ""


def inflected_present(translation: str, concept: Concept, lang: str, forms: Forms) -> bool:
    """Does the translation write one of the forms the term-forms stage makes for the concept's targets (cases,
    plurals, Arabic proclitics, curated `<lang>_forms`)? Catches what the stem rule cannot: irregular and
    curated forms."""
    have = f" {' '.join(words(translation))} "
    for target in target_forms(concept, lang):
        for plural in (False, True):
            try:
                made = forms.for_concept(concept, lang, target, plural)
            except Exception:  # noqa: BLE001 - a form generator that fails leaves the stem rule's verdict
                continue
            for form in {target, *made.values()}:
                wanted = " ".join(words(form))
                if wanted and f" {wanted} " in have:
                    return True
    return False


def check(entry: Entry, matches: Sequence[TermMatch], forms: Forms | None = None) -> list[Finding]:
    """Required glossary targets (and do-not-translate names) of the source's terms present in the translation:
    in a form the stem rule accepts (qa.term_present) or one the term-forms stage makes (with `forms`).

    A confirmed concept missing is an error; an unconfirmed one (its target still to be checked with the
    institution) a warning.
    """
    missing = missing_terms(entry.msgstr, matches, entry.lang)
    if missing and forms is not None:
        missing = [m for m in missing if not inflected_present(entry.msgstr, m.concept, entry.lang, forms)]
    findings = []
    for confirmed, severity in ((True, ERROR), (False, WARNING)):
        chosen = [m for m in missing if m.concept.confirmed is confirmed]
        pairs = required_targets(chosen, entry.lang)
        if pairs:
            shown = "; ".join(f"{source} → {target}" for source, target in pairs)
            findings.append(Finding("terms", f"required term missing: {shown}; write the glossary form (inflected "
                                             "as the sentence needs)", severity))
    return findings


def form_used(translation: str, concept: Concept, lang: str) -> str | None:
    """Which accepted full form (not an acronym) of the concept the translation writes, if any."""
    for form in target_forms(concept, lang):
        if not looks_like_acronym(form) and term_present(translation, form, lang):
            return form
    return None


def forms_used(entry: Entry, matches: Sequence[TermMatch]) -> dict[str, str]:
    """{concept id: the accepted form the translation writes} for concepts with more than one accepted form."""
    out = {}
    for concept in {m.concept for m in matches}:
        if len(target_forms(concept, entry.lang)) > 1:
            form = form_used(entry.msgstr, concept, entry.lang)
            if form:
                out[concept.id] = form
    return out


def check_names(entries: Sequence[Entry], uses: Sequence[dict[str, str]]) -> list[tuple[int, Finding]]:
    """One concept written in different accepted forms across entries of a language: (entry index, finding)
    for each entry that uses a rarer form than the others. uses: forms_used() of each entry."""
    used: dict[tuple[str, str], dict[str, list[int]]] = {}
    for k, (entry, forms) in enumerate(zip(entries, uses, strict=True)):
        for concept_id, form in forms.items():
            used.setdefault((entry.lang, concept_id), {}).setdefault(form, []).append(k)
    out = []
    for forms in used.values():
        if len(forms) < 2:
            continue
        ranked = sorted(forms.items(), key=lambda item: (-len(item[1]), item[1][0]))
        common, where = ranked[0]
        first = entries[where[0]]
        for form, indices in ranked[1:]:
            for k in indices:
                out.append((k, Finding("names", f"{form!r} here, {common!r} in {len(where)} other entr"
                                                f"{'y' if len(where) == 1 else 'ies'} (first {first.catalog}:"
                                                f"{first.line}); write the name one way")))
    return out
