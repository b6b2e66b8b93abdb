"""One language table and one `--langs` parser for every stage and command."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline import languages
from pipeline.cli import app
from pipeline.languages import LANGUAGES, SOURCE_LANG, TARGET_LANGS, LanguageError, parse_langs

PACKAGE = Path(languages.__file__).resolve().parent

# CLDR examples of each plural category (whole numbers), per language.
CLDR_EXAMPLES = {
    "en": {"one": [1], "other": [0, 2, 5, 11, 21, 100]},
    "kk": {"one": [1], "other": [0, 2, 5, 11, 21, 100]},
    "ru": {"one": [1, 21, 101], "few": [2, 3, 4, 22, 104], "many": [0, 5, 11, 12, 14, 19, 100, 111]},
    "ar": {"zero": [0], "one": [1], "two": [2], "few": [3, 10, 103, 110], "many": [11, 26, 99, 111],
           "other": [100, 101, 102, 200]},
}


def test_targets_and_source_come_from_the_table():
    assert SOURCE_LANG == "en" and SOURCE_LANG in LANGUAGES
    assert TARGET_LANGS == ("kk", "ru", "ar")
    assert [LANGUAGES[code].direction for code in TARGET_LANGS] == ["ltr", "ltr", "rtl"]
    assert {LANGUAGES[code].script for code in TARGET_LANGS} == {"Cyrl", "Arab"}


@pytest.mark.parametrize("code", sorted(CLDR_EXAMPLES))
def test_plural_forms_agree_with_the_cldr_categories(code):
    lang = LANGUAGES[code]
    nplurals = int(re.search(r"nplurals=(\d+);", lang.plural_forms).group(1))
    assert nplurals == len(lang.plural_categories)
    plural = gettext.c2py(lang.plural_forms.split("plural=", 1)[1].rstrip(";"))
    for category, numbers in CLDR_EXAMPLES[code].items():
        for n in numbers:
            assert lang.plural_categories[plural(n)] == category, (code, n)


def test_direction_and_names_by_tag():
    assert languages.direction("ar") == languages.direction("ar-EG") == languages.direction("ar_EG") == "rtl"
    assert languages.direction("kk") == languages.direction("xx") == "ltr"
    assert languages.english_name("kk") == "Kazakh" and languages.native_name("kk") == "Қазақша"
    assert languages.plural_forms("xx") == languages.DEFAULT_PLURAL_FORMS


@pytest.mark.parametrize(("values", "expected"), [
    (None, ("kk", "ru", "ar")),
    ("ru", ("ru",)),
    ("ar,kk", ("ar", "kk")),
    (["kk,ru", "ar"], ("kk", "ru", "ar")),
    (["kk ru", "kk"], ("kk", "ru")),
])
def test_parse_langs_accepts_every_spelling_in_order_without_repeats(values, expected):
    assert parse_langs(values) == expected


@pytest.mark.parametrize(("values", "message"), [
    ("kk,fr", "'fr' is not a supported language; choose from kk, ru, ar"),
    (["en"], "'en' is the source language"),
    (["../x"], "'../x' is not a language code"),
    ([], "no languages given"),
    (",", "no languages given"),
])
def test_parse_langs_refuses_with_what_to_pass(values, message):
    with pytest.raises(LanguageError, match=re.escape(message)):
        parse_langs(values)


@pytest.mark.parametrize("command", ["run", "translate", "status", "publish"])
def test_every_command_parses_langs_alike(tmp_path, command):
    (tmp_path / "source_texts").mkdir()
    runner = CliRunner()
    for bad, message in (("fr", "'fr' is not a supported language"), ("en", "source language")):
        result = runner.invoke(app, [command, "--root", str(tmp_path), "--langs", bad])
        assert result.exit_code == 2 and message in result.output, (command, result.output)
    assert not (tmp_path / "locales").exists() and not (tmp_path / "published").exists()


def test_no_module_keeps_its_own_language_list():
    """Hard-coded language tuples or name tables outside languages.py drift apart; the table is the only one."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "languages.py":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"""\(\s*["']kk["']\s*,\s*["']ru["']\s*,\s*["']ar["']\s*\)""", text) \
                or re.search(r"""(PLURAL_FORMS|RTL_LANGS|LANGUAGE_NAMES)\s*=""", text) or "Қазақша" in text:
            offenders.append(path.relative_to(PACKAGE).as_posix())
    assert offenders == []


def test_one_language_options_share_the_table():
    assert languages.parse_lang("ar") == "ar"
    for bad in ("en", "fr", "kk,ru"):
        with pytest.raises(LanguageError, match="--lang takes one of kk, ru, ar"):
            languages.parse_lang(bad)
    for command in (["glossary", "find", "x"], ["glossary", "forms", "x"], ["glossary", "place", "x", "--term", "a=b"]):
        result = CliRunner().invoke(app, [*command, "--lang", "fr"])
        assert result.exit_code == 2 and "--lang takes one of kk, ru, ar; got 'fr'" in result.output, command


MC_RU = ("nplurals=4; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<12 || n%100>14) ? 1 : "
         "n%10==0 || (n%10>=5 && n%10<=9) || (n%100>=11 && n%100<=14)? 2 : 3);")


@pytest.mark.parametrize(("header", "code", "expected"), [
    (None, "ar", ("zero", "one", "two", "few", "many", "other")),
    ("nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);", "ru",
     ("one", "few", "many")),
    ("nplurals=2; plural=(n == 1 ? 1 : 0);", "kk", ("other", "one")),  # unusual order: read from the expression
    (MC_RU, "ru", ("one", "few", "many", "other")),  # the 4th form is for fractions: CLDR's "other"
    ("nplurals=1; plural=0;", "kk", None),  # "one" and "other" in one form
    ("nplurals=2; plural=(n > 1);", "kk", None),  # 0 goes with 1: not CLDR's Kazakh
    ("nplurals=2; plural=(n%10==1 && n%100!=11 ? 0 : 1);", "ru", None),  # few and many together
    ("nplurals=2; plural=import os;", "kk", None),  # not a C expression: refused, never evaluated
    ("nplurals=2; plural=(n != 1);", "xx", None),  # a language without CLDR rules here
])
def test_plural_categories_are_read_from_a_catalogs_plural_forms(header, code, expected):
    assert languages.plural_categories_of(header, code) == expected


def test_a_plural_rule_that_divides_by_zero_is_a_header_problem_not_a_crash():
    from pipeline.formats.po_checks import plural_forms_problem

    header = "nplurals=2; plural=n%0;"
    assert "divides by zero" in plural_forms_problem(header)
    assert languages.plural_categories_of(header, "ru") is None  # harvest and fill leave such plural entries alone
