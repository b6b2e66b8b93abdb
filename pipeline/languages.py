"""The languages the pipeline knows: one table, read by every stage and command.

Catalog headers (Language-Team, Plural-Forms), the published site (native names, text direction), model
metadata (English names) and every `--langs` option come from here, so adding a language is one row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.errors import LocatedError


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
