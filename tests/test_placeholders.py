"""MT term protection: protect -> translate -> restore, tolerant of what engines do to placeholders, with a
fallback to unprotected MT and notes that name the terms a reviewer must check."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FakeEngine

from pipeline import glossary, placeholders
from pipeline.concepts import Concept
from pipeline.placeholders import Placeholders, protect, restore
from pipeline.termmatch import Glossary

VALID = Path(__file__).parent / "data" / "glossary" / "valid"


@pytest.fixture(scope="module")
def gloss() -> Glossary:
    return glossary.load(VALID)


PLACEHOLDER = Placeholders().pattern()


def drop_first(text: str) -> str:
    return PLACEHOLDER.sub("", text, count=1)


def duplicate_first(text: str) -> str:
    """The first code once more at the end of the sentence (a stutter right after it is read as one)."""
    first = PLACEHOLDER.search(text)
    return f"{text} {first.group(0)}" if first else text


def garble_first(text: str) -> str:
    return PLACEHOLDER.sub(lambda m: "TX" + m.group(1), text, count=1)


SENTENCES = [
    "The Spiritual Administration of Muslims of Kazakhstan met the Ambassador.",
    "Nothing to protect here.",
    "Kazakhstan’s Supreme Mufti spoke at the Astana Hub.",
]


def run(gloss, engine, sentences=SENTENCES, lang="kk"):
    return placeholders.translate_with_terms(sentences, [gloss.find(s) for s in sentences], lang, engine)


def test_passthrough_engine_gets_exact_targets(gloss):
    engine = FakeEngine()
    results = run(gloss, engine)
    assert len(engine.batches) == 1 and len(engine.batches[0]) == 3  # one batch
    assert all(not re.search("Spiritual|Ambassador|Mufti", t) for t in engine.batches[0])  # terms protected
    assert [r.ok for r in results] == [True, True, True]
    assert results[0].text == "[kk] The Қазақстан мұсылмандары діни басқармасы met the Елші."
    assert results[1].text == "[kk] Nothing to protect here."
    assert results[2].text == "[kk] Қазақстан’s Бас мүфти spoke at the Astana Hub."
    assert all(r.notes == () for r in results)


@pytest.mark.parametrize("mangle, problem", [(drop_first, "lost or garbled"), (duplicate_first, "duplicated"),
                                             (garble_first, "lost or garbled")])
def test_mangled_placeholder_falls_back_to_unprotected_translation(gloss, mangle, problem):
    engine = FakeEngine(mangle=mangle)
    results = run(gloss, engine)
    # the segments whose first placeholder was mangled are retranslated, unprotected, in one more call
    assert engine.batches[1] == [SENTENCES[0], SENTENCES[2]]
    assert results[0] == placeholders.TermResult(f"[kk] {SENTENCES[0]}", False, (
        f"glossary: MT {problem} the placeholder for “Spiritual Administration of Muslims of Kazakhstan”; "
        "this is the unprotected translation: make sure it says “Қазақстан мұсылмандары діни басқармасы”",),
        ("samk",))
    assert results[1] == placeholders.TermResult("[kk] Nothing to protect here.", True)
    assert not results[2].ok and "“Kazakhstan”" in results[2].notes[0]


def test_an_invented_placeholder_fails_the_segment(gloss):
    engine = FakeEngine(mangle=lambda t: t.replace(" met", " XT7 met"))
    [result] = run(gloss, engine, SENTENCES[:1])
    assert not result.ok and len(engine.batches) == 2
    assert [n.split(";")[0] for n in result.notes] == [
        "glossary: MT mixed up the placeholder for “Spiritual Administration of Muslims of Kazakhstan”",
        "glossary: MT mixed up the placeholder for “Ambassador”"]


def test_fallback_notes_agree_with_the_term_comment(gloss):
    # a repeated concept, an English variant, an acronym after the name, an unconfirmed concept
    text = "The Chief Mufti of the Spiritual Administration of Muslims of Kazakhstan (SAMK) said SAMK would " \
           "host the Centre for Religious Studies."
    engine = FakeEngine(mangle=lambda t: t.replace(" said", " XT9 said"))  # every placeholder is suspect
    [result] = run(gloss, engine, [text])
    assert not result.ok
    assert result.notes == (
        "glossary: MT mixed up the placeholder for “Chief Mufti”; this is the unprotected translation: "
        "make sure it says “Бас мүфти”",
        "glossary: MT mixed up the placeholder for “Spiritual Administration of Muslims of Kazakhstan (SAMK)”; "
        "this is the unprotected translation: make sure it says “Қазақстан мұсылмандары діни басқармасы (ҚМДБ)”",
        "glossary: MT mixed up the placeholder for “Centre for Religious Studies”; this is the unprotected "
        "translation: make sure it says “Дінтану орталығы” (unconfirmed)",
    )
    # the same English and the same target as the entry's `terms:` comment, one note per concept
    for (source, target), note in zip(glossary.required_targets(gloss.find(text), "kk"), result.notes, strict=True):
        assert f"“{source}”" in note and f"“{target.removesuffix(' (unconfirmed)')}”" in note


def test_fallback_note_for_a_repeated_concept_names_it_once(gloss):
    text = "SAMK met the Ambassador, and SAMK thanked him."
    [result] = run(gloss, FakeEngine(mangle=lambda t: PLACEHOLDER.sub("", t)), [text], "ru")
    assert [n.split(";")[0] for n in result.notes] == [
        "glossary: MT lost or garbled the placeholder for “SAMK”",
        "glossary: MT lost or garbled the placeholder for “Ambassador”"]
    assert "make sure it says “ДУМК”" in result.notes[0]


def test_tolerated_engine_habits_still_restore(gloss):
    def habits(text: str) -> str:  # Cyrillic look-alikes, lower case, a space before the digits
        text = re.sub(r"XT(\d)", lambda m: "ХТ" + m.group(1), text, count=1)
        text = re.sub(r"XT(\d)", lambda m: "xt " + m.group(1), text, count=1)
        return text

    results = run(gloss, FakeEngine(mangle=habits), SENTENCES[:1])
    assert results[0].ok
    assert results[0].text == "[kk] The Қазақстан мұсылмандары діни басқармасы met the Елші."
    arabic = run(gloss, FakeEngine(mangle=lambda t: t.replace("XT1", "XT١")), SENTENCES[:1], "ar")
    assert arabic[0].ok and "الإدارة الدينية لمسلمي كازاخستان" in arabic[0].text


def test_placeholder_numbers_avoid_codes_already_in_the_text(gloss):
    text = "The XT1 and XT2 documents reached the Ambassador."
    engine = FakeEngine()
    [result] = run(gloss, engine, [text])
    assert "XT3" in engine.batches[0][0]
    assert result.ok and result.text == "[kk] The XT1 and XT2 documents reached the Елші."


def test_targets_with_acronyms(gloss):
    texts = ["Students met SAMK.", "The Spiritual Administration of Muslims of Kazakhstan (SAMK) said."]
    results = run(gloss, FakeEngine(), texts, "ru")
    assert results[0].text == "[kk] Students met ДУМК."
    assert results[1].text == "[kk] The Духовное управление мусульман Казахстана (ДУМК) said."


def test_a_quoted_target_replaces_the_source_quotes():
    gloss = Glossary([Concept("rz", "document", "Rukhani Zhangyru", targets={"ru": "«Рухани жаңғыру»"}),
                      Concept("nm", "institution", "Nur-Mubarak University",
                              targets={"ru": "Университет «Нур-Мубарак»"})])
    texts = ["The “Rukhani Zhangyru” programme.", "The Rukhani Zhangyru programme.",
             "The “Nur-Mubarak University” opened."]
    results = run(gloss, FakeEngine(), texts, "ru")
    assert [r.text for r in results] == ["[kk] The «Рухани жаңғыру» programme.",
                                         "[kk] The «Рухани жаңғыру» programme.",
                                         "[kk] The “Университет «Нур-Мубарак»” opened."]


def test_terms_without_a_target_are_left_to_the_engine():
    concept = Concept("x", "title", "Grand Imam", targets={"ru": "Верховный имам"})
    gloss = Glossary([concept])
    engine = FakeEngine()
    [result] = run(gloss, engine, ["The Grand Imam spoke."], "kk")
    assert engine.batches == [["The Grand Imam spoke."]]
    assert result == placeholders.TermResult("[kk] The Grand Imam spoke.", True)


def test_engine_returning_the_wrong_number_of_translations_is_an_error(gloss):
    with pytest.raises(ValueError, match="2 translations for 3"):
        run(gloss, lambda texts: texts[:2])


# ---------------------------------------------------------------- the steps, one at a time


def test_protect_hands_the_engine_codes_and_remembers_the_targets(gloss):
    text = "The Spiritual Administration of Muslims of Kazakhstan met the Ambassador."
    protected = protect(text, gloss.find(text), "kk")
    assert protected.source == text
    assert protected.text == "The XT1 met the XT2."
    assert [(s.number, s.match.concept.id, s.replacement) for s in protected.slots] == [
        (1, "samk", "Қазақстан мұсылмандары діни басқармасы"), (2, "ambassador", "Елші")]
    assert protected.source_numbers == ()


def test_restore_puts_the_targets_back_or_names_each_broken_placeholder(gloss):
    text = "The Spiritual Administration of Muslims of Kazakhstan met the Ambassador."
    protected = protect(text, gloss.find(text), "kk")
    restored = restore(protected, "XT2 встретил xt 1.")
    assert restored.ok and restored.text == "Елші встретил Қазақстан мұсылмандары діни басқармасы."
    broken = restore(protected, "XT2 встретил XT2.")
    assert not broken.ok and broken.problems == {1: "lost or garbled", 2: "duplicated"}
    assert broken.text == "XT2 встретил XT2."  # nothing half-restored
    assert placeholders.fallback_notes(protected, gloss.find(text), broken.problems, "kk")[0].startswith(
        "glossary: MT lost or garbled the placeholder for “Spiritual Administration of Muslims of Kazakhstan”")


def test_a_segment_without_terms_passes_through_untouched():
    protected = protect("Nothing here.", [], "kk")
    assert protected.text == "Nothing here." and protected.slots == ()
    assert restore(protected, "Ничего XT1.") == placeholders.Restored("Ничего XT1.", {})
