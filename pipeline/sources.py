"""Stage 1: read and validate English source articles."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import SourceError
from pipeline.formats import utf16_without_bom
from pipeline.languages import english_name

SOURCE_SUFFIXES = (".txt", ".md")
# Unicode's control characters (category Cc: U+0000-001F, U+007F-009F) but tab and the line break.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Article:
    slug: str
    path: Path
    text: str  # decoded, BOM removed, line endings normalised to \n
    markdown: bool
    language: str  # what langdetect says


def slug_for(path: Path) -> str:
    """Catalog file name for an article: lower-case ASCII words joined by hyphens."""
    stem = unicodedata.normalize("NFKD", path.stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    return slug or "article"


LANGUAGE_SAMPLE = 1_000  # characters of an article langdetect reads: the same answer on NTREX, a fraction of the time
# Letters of Kazakh that Russian lacks: langdetect knows no Kazakh and calls it Russian, Bulgarian or Mongolian.
_KAZAKH_WORD = re.compile(r"\w*[әғқңөұүһіӘҒҚҢӨҰҮҺІ]\w*")
_CYRILLIC_WORD = re.compile(r"\b[\u0400-\u04ff]+\b")


# Function words frequent in any English prose and rare as words of other languages written in Latin letters ("you":
# quoted speech, which has few of the others).
_ENGLISH_WORDS = frozenset("the and of that with which this from were have has been their are would they said its who "
                           "his she there into than you".split())
_WORD = re.compile(r"[^\W\d_]+")
ENGLISH_SHARE = 0.08  # of a sample's words, at least this many English function words: plainly English


def plainly_english(text: str) -> bool:
    """A sample of 40 words or more, nearly all Latin letters, with "the" and at least 8% English function words
    (NTREX news 7-30%; French, German, Spanish or Latin-script Kazakh none): English without asking
    langdetect, which costs more than the rest of reading an article."""
    words = _WORD.findall(text)
    if len(words) < 40 or sum(not w.isascii() for w in words) * 10 > len(words):
        return False
    lowered = [w.lower() for w in words]
    return "the" in lowered and sum(w in _ENGLISH_WORDS for w in lowered) >= ENGLISH_SHARE * len(words)


class LanguageCheck:
    """The language detectors of one run (or one command): lingua's two-language detectors are built on the first
    short text that needs one and kept for the next (building one costs more than reading an article)."""

    def __init__(self) -> None:
        self._lingua: dict[str, object] = {}  # the other language's code -> lingua detector (None: unavailable)
        self.built = 0  # lingua detectors built

    def lingua(self, other: str):
        """lingua restricted to English and `other`; None without lingua or when it does not know `other`."""
        if other not in self._lingua:
            try:
                from lingua import IsoCode639_1, LanguageDetectorBuilder

                self._lingua[other] = LanguageDetectorBuilder.from_iso_codes_639_1(
                    IsoCode639_1.EN, IsoCode639_1.from_str(other)).build()
                self.built += 1
            except (ImportError, ValueError):  # no lingua, or a language it does not know
                self._lingua[other] = None
        return self._lingua[other]


def detect_language(text: str, sample: int = LANGUAGE_SAMPLE, check: LanguageCheck | None = None) -> str:
    """langdetect, seeded per call so the answer is the same every run; Cyrillic text with Kazakh letters in
    one word of ten or more is Kazakh (kk); plainly English prose is English without langdetect. Only the first
    `sample` characters are read (cut at a word). `check`: the detectors a caller keeps across articles."""
    text = _sample(text, sample)
    if plainly_english(text):
        return "en"
    cyrillic = _CYRILLIC_WORD.findall(text)
    if cyrillic and len(cyrillic) * 2 >= len(re.findall(r"\b\w+\b", text)):
        kazakh = [w for w in cyrillic if _KAZAKH_WORD.fullmatch(w)]
        if len(kazakh) >= 2 and len(kazakh) * 10 >= len(cyrillic):
            return "kk"
    from langdetect import DetectorFactory, LangDetectException, detect_langs

    DetectorFactory.seed = 0
    try:
        found = detect_langs(text)
    except LangDetectException:
        return "unknown"
    best = found[0].lang
    if best != "en" and any(c.lang == "en" and c.prob >= 0.2 for c in found) and len(_WORD.findall(text)) < 40:
        return _second_opinion(text, best, check or LanguageCheck())
    return best


def _second_opinion(text: str, other: str, check: LanguageCheck) -> str:
    """English or `other` for a short text langdetect is unsure of ("Remember her answer... did you leak the
    document?" is Afrikaans to it): lingua, which reads short texts better, decides between the two."""
    detector = check.lingua(other)
    if detector is None:  # langdetect's answer stands
        return other
    from lingua import IsoCode639_1

    found = detector.detect_language_of(text)
    return "en" if found is not None and found.iso_code_639_1 == IsoCode639_1.EN else other


def _named(code: str) -> str:
    name = english_name(code)
    return f"{name} ({code})" if name != code else f"'{code}'"


def _sample(text: str, size: int) -> str:
    if len(text) <= size:
        return text
    cut = text.rfind(" ", size // 2, size)
    return text[:cut if cut > 0 else size]


def read_article(path: Path, *, expect_lang: str = "en", check: LanguageCheck | None = None,
                 trusted: Callable[[bytes], bool] | None = None) -> Article:
    """The article, checked: UTF-8, no control characters, in `expect_lang`. `trusted(raw bytes)`: True when
    these very bytes passed the same checks before (a re-run's records), so only decoding is left to do."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(path, 0, "no such file; articles live in source_texts/ as .txt or .md")
    raw = path.read_bytes()
    known = trusted is not None and trusted(raw)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError(path, 1, "file is UTF-16; save it as UTF-8")
    if not known and (encoding := utf16_without_bom(raw)):
        raise SourceError(path, 1, f"file is {encoding} without a byte-order mark; save it as UTF-8")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        raise SourceError(path, line, message) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if known:
        return Article(slug=slug_for(path), path=path, text=text, markdown=path.suffix.lower() == ".md",
                       language=expect_lang)
    if (bad := _CONTROL.search(text)) is not None:
        number = text.count("\n", 0, bad.start()) + 1
        raise SourceError(path, number, f"control character U+{ord(bad.group()):04X}; remove it")
    if not text.strip():
        raise SourceError(path, 1, "article is empty")
    language = detect_language(text, check=check)
    if language != expect_lang:
        raise SourceError(path, 1, f"article looks like {_named(language)}, not {_named(expect_lang)} "
                                   f"('{language}', not '{expect_lang}'); source articles must be English, "
                                   "translations live in the catalogs under locales/")
    return Article(slug=slug_for(path), path=path, text=text,
                   markdown=path.suffix.lower() == ".md", language=language)
