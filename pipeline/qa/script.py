"""Script and language: a Kazakh entry in Kazakh (not Russian), Russian in Cyrillic, Arabic in Arabic script, and no
English left untranslated outside names and do-not-translate terms.

Kazakh is told from Russian first by its own letters (ә ғ қ ң ө ұ ү һ і): almost every Kazakh sentence of news
has one. Only a Kazakh entry without them goes to a statistical detector that knows Kazakh (lingua, restricted
to en/kk/ru/ar; langdetect has no Kazakh), so the detector runs on a few entries, not on all of them.
Machine translation into Kazakh also slips into its neighbours: Kazakh in the Latin alphabet of 2021, or Kyrgyz,
Tatar, Bashkir or Uzbek in Cyrillic (letters Kazakh does not have: җ ҙ ҡ ҫ ў ҳ; or Kyrgyz's ң ө ү without any of
Kazakh's own ә ғ қ ұ һ і).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from pipeline.qa.base import Entry, Finding

KAZAKH_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:['’-][A-Za-z\u00c0-\u024f]+)*")
_LATIN_NAME = re.compile(r"(?<!\w)[A-Z][A-Za-z\u00c0-\u024f]*(?:['’-][A-Za-z\u00c0-\u024f]+)*")
_URL = re.compile(r"\b(?:https?://|www\.)\S+|\S+@\S+\.\w+|@\w+|#\w+")
# Words of English that show a clause was left untranslated (a name rarely consists of them).
_ENGLISH_FUNCTION = frozenset(
    "the of and to in is are was were be been has have had that this with for from on at by it its as an a "
    "will would should can could not but or which who what when where their they he she we you our his her "
    "there than then also into about after before over under more most".split())

Detector = Callable[[str], str | None]  # text -> "en" | "kk" | "ru" | "ar" | None


def script_of(ch: str) -> str:
    """latin | cyrillic | arabic | other, for a letter."""
    code = ord(ch)
    if ch.isascii() or 0xC0 <= code <= 0x24F:
        return "latin"
    if 0x400 <= code <= 0x52F:
        return "cyrillic"
    if 0x600 <= code <= 0x6FF or 0x750 <= code <= 0x77F or 0xFB50 <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF:
        return "arabic"
    return "other"


_LETTER = re.compile(r"[^\W\d_]")
_SCRIPTS = {
    "latin": re.compile(r"[A-Za-z\u00aa\u00b5\u00ba\u00c0-\u024f]"),
    "cyrillic": re.compile("[\u0400-\u052f]"),
    "arabic": re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]"),
}


def letter_counts(text: str) -> dict[str, int]:
    """Letters per script (latin, cyrillic, arabic; other letters as other)."""
    counts = {name: len(pattern.findall(text)) for name, pattern in _SCRIPTS.items()}
    letters = len(_LETTER.findall(text)) if not text.isascii() else counts["latin"]
    counts["other"] = max(0, letters - sum(counts.values()))
    return counts


_EXPECTED = {"kk": "cyrillic", "ru": "cyrillic", "ar": "arabic"}
_FOREIGN = {"cyrillic": re.compile("[A-Za-z\u00c0-\u024f\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]"),
            "arabic": re.compile("[A-Za-z\u00c0-\u024f\u0400-\u052f]")}
_KAZAKH_LETTER = re.compile("[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")
_KAZAKH_ONLY = re.compile("[әғқұһіӘҒҚҰҺІ]")  # Kazakh letters Kyrgyz does not use
_KYRGYZ_SHARED = re.compile("[ңөүҢӨҮ]")
# Cyrillic letters of Turkic neighbours that Kazakh lacks, and whose language they point to.
_OTHER_TURKIC = {"җ": "Tatar", "ҙ": "Bashkir", "ҡ": "Bashkir", "ҫ": "Bashkir", "ў": "Uzbek", "ҳ": "Uzbek"}
# Letters of the Latin Kazakh alphabet (2021) and of Turkish/Azerbaijani, which it shares.
_TURKIC_LATIN = re.compile("[äğıñöūüşÄĞİÑÖŪÜŞə]")
_NAMES = {"kk": "Kazakh", "ru": "Russian", "ar": "Arabic", "en": "English"}


def lingua_detector() -> Detector:
    """lingua restricted to en/kk/ru/ar; built lazily (its models load on first use)."""
    from lingua import Language, LanguageDetectorBuilder

    codes = {Language.ENGLISH: "en", Language.KAZAKH: "kk", Language.RUSSIAN: "ru", Language.ARABIC: "ar"}
    detector = LanguageDetectorBuilder.from_languages(*codes).build()

    def detect(text: str) -> str | None:
        found = detector.detect_language_of(text)
        return codes.get(found) if found is not None else None

    return detect


def _strip_kept(text: str, kept: Iterable[str]) -> str:
    """The text without names that may stay in Latin letters (do-not-translate terms, URLs, handles)."""
    text = _URL.sub(" ", text)
    for name in sorted(set(kept), key=len, reverse=True):
        if name:
            text = re.sub(re.escape(name), " ", text, flags=re.IGNORECASE)
    return text


def check(entry: Entry, kept: Iterable[str] = (), detect: Detector | None = None) -> list[Finding]:
    """kept: Latin-script forms the translation may contain (do-not-translate terms of its source)."""
    expected = _EXPECTED.get(entry.lang)
    if not expected:
        return []
    if not _FOREIGN[expected].search(entry.msgstr):  # the usual case: only the expected script, no Latin
        return _language(entry.msgstr, entry.lang, detect)
    kept = list(kept)
    text = _strip_kept(entry.msgstr, kept)
    # capitalised Latin words are names (The Power of Nutrition, Al-Azhar) that may stay in Latin letters
    counts = letter_counts(_LATIN_NAME.sub(" ", text))
    letters = sum(counts.values())
    findings: list[Finding] = []
    if entry.lang == "kk" and letters and counts["latin"] / letters >= 0.5 and len(_TURKIC_LATIN.findall(text)) >= 2:
        return [Finding("script", "Kazakh in Latin letters (or Turkish), not Cyrillic Kazakh: write the entry in "
                                  "Cyrillic Kazakh")]
    english = _english_left(entry, text, kept)
    if english:
        findings.append(english)
    if not letters:  # only names, numbers and signs
        return findings
    if counts[expected] / letters < 0.5 and not english:
        found = max((k for k in counts if k != expected), key=counts.get)
        findings.append(Finding("script", f"mostly {found} letters, not {expected}: translate the entry into "
                                          f"{_NAMES[entry.lang]}"))
        return findings
    if entry.lang == "ar" and counts["cyrillic"]:
        findings.append(Finding("script", "Cyrillic letters in an Arabic translation; remove or transliterate "
                                          "them"))
    return findings + _language(text, entry.lang, detect)


def _language(text: str, lang: str, detect: Detector | None) -> list[Finding]:
    """Kazakh that is Russian, Russian that is Kazakh."""
    if lang == "kk":
        return _kazakh(text, detect)
    if lang == "ru" and _KAZAKH_LETTER.search(text):
        words = [w for w in _WORD.findall(text) if script_of(w[0]) == "cyrillic"]
        kazakh = [w for w in words if KAZAKH_LETTERS & set(w)]
        if len(kazakh) >= 2 and len(kazakh) >= 0.2 * len(words):
            return [Finding("script", f"Kazakh words in a Russian translation ({', '.join(kazakh[:3])}); "
                                      "translate into Russian")]
    return []


def _kazakh(text: str, detect: Detector | None) -> list[Finding]:
    words = [w for w in _WORD.findall(text) if script_of(w[0]) == "cyrillic"]
    other = sorted({_OTHER_TURKIC[c] for c in text.lower() if c in _OTHER_TURKIC})
    if other:
        return [Finding("script", f"reads as {' or '.join(other)}, not Kazakh (letters Kazakh does not use); "
                                  "translate into Kazakh")]
    if _KAZAKH_LETTER.search(text):
        shared = [w for w in words if _KYRGYZ_SHARED.search(w)]
        if not _KAZAKH_ONLY.search(text) and len(shared) >= 2 and len(words) >= 4:
            return [Finding("script", "reads as Kyrgyz, not Kazakh (ң ө ү but none of ә ғ қ ұ һ і); translate "
                                      "into Kazakh")]
        return []
    if len(words) < 3 or detect is None:
        return []
    language = detect(" ".join(words))
    if language == "ru":
        return [Finding("script", "reads as Russian, not Kazakh (no ә ғ қ ң ө ұ ү һ і); translate into Kazakh")]
    return []


def _english_left(entry: Entry, text: str, kept: list[str]) -> Finding | None:
    """A clause of English in the translation: three Latin words in a row, two of them English function
    words, or the source copied unchanged."""
    source = " ".join(entry.msgid.split())
    target = " ".join(entry.msgstr.split())
    if target == source and _LATIN_WORD.search(_strip_kept(source, kept)):
        return Finding("english", "the translation is the English source unchanged; translate it (or mark "
                                  "ignore-english if it is a name)")
    if len(_LATIN_WORD.findall(text)) < 3:
        return None
    run: list[str] = []
    best: list[str] = []
    for m in re.finditer(r"\S+", text):
        token = m.group(0).strip(".,;:!?\"'«»“”„()[]")
        if token and _LATIN_WORD.fullmatch(token):
            run.append(token)
            continue
        if _is_english(run) and len(run) > len(best):
            best = run
        run = []
    if _is_english(run) and len(run) > len(best):
        best = run
    if best:
        shown = " ".join(best[:6]) + (" …" if len(best) > 6 else "")
        return Finding("english", f"English left untranslated: {shown!r}; translate it (names and "
                                  "do-not-translate terms may stay)")
    return None


def _is_english(run: list[str]) -> bool:
    """Three Latin words or more, two of them function words, and not a title-case name ("The Power of
    Nutrition", "Member of the Welsh Parliament" stay: every other word is capitalised)."""
    if len(run) < 3:
        return False
    function = sum(w.casefold() in _ENGLISH_FUNCTION for w in run)
    lower = sum(w[0].islower() and w.casefold() not in _ENGLISH_FUNCTION for w in run)
    if function < 2 and not (function and lower >= 2) and lower < 3:
        return False
    return any(w[0].islower() for w in run[1:] if w.casefold() not in _ENGLISH_FUNCTION) or \
        all(w.casefold() in _ENGLISH_FUNCTION for w in run)
