"""QA: required glossary targets found in translations despite inflection and spelling variants."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import glossary
from pipeline.concepts import Concept
from pipeline.glossary import required_targets
from pipeline.qa import missing_terms, missing_terms_note, normalise, term_present
from pipeline.termmatch import Glossary, TermMatch

VALID = Path(__file__).parent / "data" / "glossary" / "valid"

SAMK_RU = "Духовное управление мусульман Казахстана"
SAMK_KK = "Қазақстан мұсылмандары діни басқармасы"
SAMK_AR = "الإدارة الدينية لمسلمي كازاخستان"


@pytest.mark.parametrize(
    "translation",
    [
        "Духовное управление мусульман Казахстана провело встречу.",
        "Председатель Духовного управления мусульман Казахстана выступил.",  # genitive
        "Письмо направлено Духовному управлению мусульман Казахстана.",  # dative
        "Встреча в духовном управлении мусульман Казахстана.",  # prepositional, lower case
    ],
)
def test_russian_inflection(translation):
    assert term_present(translation, SAMK_RU, "ru")


@pytest.mark.parametrize(
    "translation, term",
    [
        ("Съезд лидеров мировых и традиционных религий", "Съезд лидеров мировых и традиционных религий"),
        ("на Съезде лидеров мировых и традиционных религий", "Съезд лидеров мировых и традиционных религий"),
        ("Совета мусульманских старейшин", "Совет мусульманских старейшин"),
        ("Организации Объединенных Наций", "Организация Объединённых Наций"),  # ё written as е
    ],
)
def test_russian_more_forms(translation, term):
    assert term_present(translation, term, "ru")


@pytest.mark.parametrize(
    "translation, term, expected",
    [
        ("Совет старейшин", "Совет мусульманских старейшин", False),  # a word missing
        ("мусульман Казахстана духовное управление", SAMK_RU, False),  # words out of order
        ("Министерство культуры", "Министерство иностранных дел", False),
        ("Казахстан", "Казахстан", True),
        ("Казахстанская делегация", "Казахстан", True),  # tolerated: stem prefix with a short ending
        ("Казахстанскими", "Казахстан", False),  # too long an ending for an inflection
        ("встреча с послом", "Посол", True),  # fleeting vowel
        ("у отца", "отец", True),
        ("Русской православной церкви", "Русская православная церковь", True),
    ],
)
def test_russian_negatives_and_limits(translation, term, expected):
    assert term_present(translation, term, "ru") is expected


@pytest.mark.parametrize(
    "translation",
    [
        "Қазақстан мұсылмандары діни басқармасы хабарлады.",
        "Қазақстан мұсылмандары діни басқармасының төрағасы",  # genitive
        "Қазақстан мұсылмандары діни басқармасына хат жолданды.",  # dative
        "Қазақстан мұсылмандары діни басқармасымен кездесу",  # instrumental
    ],
)
def test_kazakh_suffixes(translation):
    assert term_present(translation, SAMK_KK, "kk")


def test_kazakh_acronym_with_hyphenated_suffix_and_negatives():
    assert term_present("ҚМДБ-ның өкілдері келді", "ҚМДБ", "kk")
    assert not term_present("Қазақстан діни басқармасы", SAMK_KK, "kk")
    assert not term_present("Ақсақалдар кеңесі", "Мұсылман ақсақалдары кеңесі", "kk")
    assert term_present("Мұсылман ақсақалдары кеңесінің отырысы", "Мұсылман ақсақалдары кеңесі", "kk")


@pytest.mark.parametrize(
    "translation",
    [
        "الإدارة الدينية لمسلمي كازاخستان",
        "الادارة الدينية لمسلمى كازاخستان",  # bare alef, alef maqsura for yeh
        "الإدارةُ الدينيّةُ لمسلمي كازاخستان",  # diacritics
        "الإدارة الدينـــية لمسلمي كازاخستان",  # tatweel
        "وأعلنت والإدارة الدينية لمسلمي كازاخستان",  # conjunction attached
        "رئيس إدارة الدينية لمسلمي كازاخستان",  # article dropped in construct state
        "ﺍﻹﺩﺍﺭﺓ ﺍﻟﺪﻳﻨﻴﺔ ﻟﻤﺴﻠﻤﻲ ﻛﺎﺯﺍﺧﺴﺘﺎﻥ",  # presentation forms
    ],
)
def test_arabic_orthographic_variants(translation):
    assert term_present(translation, SAMK_AR, "ar")


def test_arabic_particles_and_plurals():
    assert term_present("اجتماع لمجلس حكماء المسلمين", "مجلس حكماء المسلمين", "ar")
    assert term_present("بيان مجلس حكماء المسلمون", "مجلس حكماء المسلمين", "ar")
    assert term_present("زار وفد للأمم المتحدة", "الأمم المتحدة", "ar")
    assert not term_present("مجلس الحكماء", "مجلس حكماء المسلمين", "ar")
    assert not term_present("وزارة الثقافة", "وزارة الخارجية", "ar")


def test_normalise_and_empty_terms():
    assert normalise("ﺍﻹﺩﺍﺭﺓ") == "الاداره"  # presentation forms, lam-alef ligature, hamza, ta marbuta
    assert normalise("Ёлка") == "елка"
    assert not term_present("anything", "", "ru")
    assert not term_present("", "Казахстан", "ru")
    assert term_present("Astana Hub talks", "Astana Hub", "kk")  # Latin names inside other languages


@pytest.fixture(scope="module")
def gloss() -> Glossary:
    return glossary.load(VALID)


def test_missing_terms_reports_each_missing_concept_once(gloss):
    source = "SAMK and the Spiritual Administration of Muslims of Kazakhstan met the UN Ambassador."
    matches = gloss.find(source)
    good = "ДУМК и Духовное управление мусульман Казахстана встретились с послом ООН."
    assert missing_terms(good, matches, "ru") == []  # the acronym variant and an inflected Посол count
    bad = "Муфтият встретился с послом."
    missing = missing_terms(bad, matches, "ru")
    assert [m.concept.id for m in missing] == ["samk", "un"]
    assert missing[0].text == "SAMK"  # the first match of the concept stands for it


def test_missing_terms_dnt_and_terms_without_target(gloss):
    matches = gloss.find("The Astana Hub and the Grand Imam.")
    assert missing_terms("Жиынға Astana Hub өкілдері келді.", matches, "kk") == []
    assert [m.concept.id for m in missing_terms("Жиын өтті.", matches, "kk")] == ["astana-hub"]
    nothing = Concept("imam", "title", "Grand Imam", targets={"ru": "Верховный имам"})
    assert missing_terms("Жиын өтті.", [TermMatch("Grand Imam", 0, 10, nothing)], "kk") == []


def test_missing_terms_note_says_what_the_terms_comment_says(gloss):
    # an acronym that must become the target acronym, a do-not-translate name, an unconfirmed concept
    matches = gloss.find("SAMK met the Astana Hub at the Centre for Religious Studies.")
    missing = missing_terms("Жиын өтті.", matches, "ru")
    assert missing_terms_note(missing, "ru") == (
        "check terms: SAMK → ДУМК; Astana Hub → Astana Hub (do not translate); "
        "Centre for Religious Studies → Центр религиоведения (unconfirmed)")
    assert missing_terms_note(missing, "ru").removeprefix("check terms: ") == "; ".join(
        f"{source} → {target}" for source, target in required_targets(matches, "ru"))
    assert missing_terms_note([], "ru") == ""
