"""The languages the pipeline knows: one table, read by every stage and command.

Catalog headers (Language-Team, Plural-Forms), the published site (native names, text direction), model
metadata (English names) and every `--langs` option come from here, so adding a language is one row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from pipeline.errors import LocatedError
from pipeline.formats.po_checks import plural_rule


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1, as gettext and argos name it
    english_name: str  # for people reading catalogs and model lists in English
    native_name: str  # for readers of the published site (the language switcher)
    direction: str  # "ltr" or "rtl"
    script: str  # ISO 15924
    plural_forms: str  # the gettext Plural-Forms header
    # CLDR plural categories of whole numbers, in the order of gettext's plural index (so one per nplurals;
    # Russian "other" covers only fractions, which catalogs never count).
    plural_categories: tuple[str, ...]


LANGUAGES: dict[str, Language] = {lang.code: lang for lang in (
    Language("en", "English", "English", "ltr", "Latn", "nplurals=2; plural=(n != 1);", ("one", "other")),
    Language("kk", "Kazakh", "Қазақша", "ltr", "Cyrl", "nplurals=2; plural=(n != 1);", ("one", "other")),
    Language("ru", "Russian", "Русский", "ltr", "Cyrl",
             "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
             ("one", "few", "many")),
    Language("ar", "Arabic", "العربية", "rtl", "Arab",
             "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);",
             ("zero", "one", "two", "few", "many", "other")),
)}

SOURCE_LANG = "en"
TARGET_LANGS: tuple[str, ...] = tuple(code for code in LANGUAGES if code != SOURCE_LANG)
DEFAULT_PLURAL_FORMS = "nplurals=2; plural=(n != 1);"  # gettext's default (Germanic languages)

# A language tag's shape (ISO 639 language, optional BCP 47 subtags): anything else never becomes a path.
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*\Z")  # \Z, not $: "kk" + a newline is no code


class LanguageError(LocatedError, ValueError):
    """A `--langs` value the pipeline cannot work with (a usage error); the message says what to pass instead."""

    def __init__(self, message: str):
        super().__init__(None, 0, message)


def english_name(code: str) -> str:
    return LANGUAGES[code].english_name if code in LANGUAGES else code


def native_name(code: str) -> str:
    return LANGUAGES[code].native_name if code in LANGUAGES else code


def plural_forms(code: str) -> str:
    return LANGUAGES[code].plural_forms if code in LANGUAGES else DEFAULT_PLURAL_FORMS


# CLDR's plural rules for whole numbers (fractions never reach a catalog); gettext's indexes are mapped onto these.
_CLDR_RULES: dict[str, Callable[[int], str]] = {
    "en": lambda n: "one" if n == 1 else "other",
    "kk": lambda n: "one" if n == 1 else "other",
    "ru": lambda n: ("one" if n % 10 == 1 and n % 100 != 11 else
                     "few" if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else "many"),
    "ar": lambda n: ("zero" if n == 0 else "one" if n == 1 else "two" if n == 2 else
                     "few" if 3 <= n % 100 <= 10 else "many" if 11 <= n % 100 <= 99 else "other"),
}
CLDR_ORDER = ("zero", "one", "two", "few", "many", "other")  # how CLDR lists categories


def cldr_category(code: str, n: int) -> str:
    """The CLDR plural category of the whole number n in language `code` (a KeyError for an unknown language)."""
    return _CLDR_RULES[code](n)


@lru_cache(maxsize=256)
def plural_categories_of(header: str | None, code: str) -> tuple[str, ...] | None:
    """The CLDR category of each gettext plural index of a catalog, read from its Plural-Forms header (the
    language's own header when it has none), or None when the header's forms do not line up with CLDR's (e.g.
    `nplurals=1` for Kazakh, which puts "one" and "other" into one form).

    The header is evaluated with gettext's own C-expression reader on 0..999: each index must collect numbers of
    one category only, and each category one index only; one index no whole number reaches is "other" (fractions)
    where whole numbers never are.
    """
    if code not in _CLDR_RULES:
        return None
    header = (header or "").strip() or plural_forms(code)
    if code in LANGUAGES and " ".join(header.split()) == " ".join(LANGUAGES[code].plural_forms.split()):
        return LANGUAGES[code].plural_categories
    read = plural_rule(header)  # None: not an expression, a form out of range, a division by zero
    if read is None:
        return None
    nplurals, plural = read
    by_index: dict[int, set[str]] = {}
    for n in range(1000):
        by_index.setdefault(plural(n), set()).add(cldr_category(code, n))
    unreached = [i for i in range(nplurals) if i not in by_index]
    if len(unreached) == 1 and all("other" not in cats for cats in by_index.values()):
        # A form no whole number reaches is the one for fractions, CLDR's "other" (Russian catalogs with
        # nplurals=4, e.g. Midnight Commander's)
        by_index[unreached[0]] = {"other"}
    if sorted(by_index) != list(range(nplurals)) or any(len(cats) != 1 for cats in by_index.values()):
        return None
    categories = tuple(next(iter(by_index[i])) for i in range(nplurals))
    return categories if len(set(categories)) == nplurals else None


def direction(code: str) -> str:
    """"rtl" or "ltr" for a tag such as "ar", "ar-EG" or "ar_EG" (by its primary language subtag)."""
    primary = code.lower().replace("_", "-").split("-")[0]
    return LANGUAGES[primary].direction if primary in LANGUAGES else "ltr"


def parse_langs(values: str | Iterable[str] | None) -> tuple[str, ...]:
    """Target languages from `--langs` values, in order without repeats: "kk,ru", ["kk", "ar"], "kk ru".

    None means every target language; an empty list, a malformed code, the source language or a language the
    pipeline has no table row for is a LanguageError.
    """
    if values is None:
        return TARGET_LANGS
    items = [values] if isinstance(values, str) else list(values)
    codes: list[str] = []
    for item in items:
        for code in item.replace(",", " ").split():
            if not LANGUAGE_CODE.match(code):
                raise LanguageError(f"'{code}' is not a language code (expected e.g. {', '.join(TARGET_LANGS)})")
            if code == SOURCE_LANG:
                raise LanguageError(f"'{code}' is the source language; choose target languages from "
                                    f"{', '.join(TARGET_LANGS)}")
            if code not in TARGET_LANGS:
                raise LanguageError(f"'{code}' is not a supported language; choose from {', '.join(TARGET_LANGS)} "
                                    f"(e.g. --langs {','.join(TARGET_LANGS)})")
            if code not in codes:
                codes.append(code)
    if not codes:
        raise LanguageError(f"no languages given (e.g. --langs {','.join(TARGET_LANGS)})")
    return tuple(codes)


def parse_lang(value: str) -> str:
    """One target language (`--lang`); LanguageError names the choices."""
    if value not in TARGET_LANGS:
        raise LanguageError(f"--lang takes one of {', '.join(TARGET_LANGS)}; got {value!r}")
    return value
