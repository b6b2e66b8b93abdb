"""Placement: every damage mode a real model inflicts on placeholders, and the form each spot needs.

The engine here is a fake that returns what a model would (the placeholders as damaged); the real CTranslate2
path (n-best hypotheses, score_batch) is exercised on the tiny generated model at the end.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import glossary, placeholders
from pipeline.forms import Forms
from pipeline.placement import Placer, Term, placeholder_pattern

REPO = Path(__file__).resolve().parent.parent
SAMK = "the Spiritual Administration of Muslims of Kazakhstan"


@pytest.fixture(scope="module")
def gloss():
    return glossary.load(REPO / "glossary")


@pytest.fixture(scope="module")
def forms():
    return Forms()


class Scripted:
    """An engine that answers a protected sentence with a scripted output (placeholders as a model damaged
    them); `nbest` gives every hypothesis of the beam, best first. Unprotected retries get "[unprotected] …"."""

    def __init__(self, outputs: list[str], nbest: list[list[str]] | None = None):
        self.outputs, self.nbest = list(outputs), nbest
        self.batches: list[list[str]] = []
        self.asked_hypotheses: list[list[str]] = []

    def translate(self, texts: list[str]) -> list[str]:
        self.batches.append(list(texts))
        if len(self.batches) == 1 and not self.asked_hypotheses:
            return list(self.outputs)
        return [f"[unprotected] {t}" for t in texts]

    def hypotheses(self, texts: list[str]) -> list[list[str]]:
        self.asked_hypotheses.append(list(texts))
        return list(self.nbest) if self.nbest is not None else [[o] for o in self.outputs]


def translate(gloss, source: str, output: str, lang: str, **kw):
    engine = Scripted([output], kw.pop("nbest", None))
    [result] = placeholders.translate_with_terms([source], [gloss.find(source)], lang, engine.translate,
                                                 hypotheses=engine.hypotheses, **kw)
    return result, engine


# ---------------------------------------------------------------- damage modes, one test each

def test_letter_case(gloss):
    result, _ = translate(gloss, f"The {SAMK[4:]} met students.", "xt1 встретилось со студентами.", "ru")
    assert result.ok and result.text == "Духовное управление мусульман Казахстана встретилось со студентами."


def test_inserted_spaces(gloss):
    result, _ = translate(gloss, f"A meeting with {SAMK}.", "Встреча с X T 1.", "ru")
    assert result.ok and result.text == "Встреча с Духовным управлением мусульман Казахстана."
    result, _ = translate(gloss, f"A meeting with {SAMK}.", "Встреча с XT 1.", "ru")
    assert result.ok and result.text == "Встреча с Духовным управлением мусульман Казахстана."


def test_underscore_turned_into_a_space():
    """argos' decoder turns "_" into spaces: a scheme with an underscore still reads back."""
    pattern = placeholder_pattern("XT")
    assert [m.group(1) for m in pattern.finditer("до XT 1 и XT_2")] == ["1", "2"]


def test_cyrillic_look_alikes(gloss):
    result, _ = translate(gloss, f"A meeting with {SAMK}.", "Встреча с ХТ1.", "ru")  # Cyrillic Х and Т
    assert result.ok and result.text == "Встреча с Духовным управлением мусульман Казахстана."


def test_arabic_digits_and_spelled_letters(gloss):
    result, _ = translate(gloss, f"A letter to {SAMK}.", "رسالة إلى XT١.", "ar")
    assert result.ok and result.text == "رسالة إلى الإدارة الدينية لمسلمي كازاخستان."
    result, _ = translate(gloss, f"A letter to {SAMK}.", "رسالة إلى إكس تي 1.", "ar")
    assert result.ok and result.text == "رسالة إلى الإدارة الدينية لمسلمي كازاخستان."


def test_stutter_is_read_once(gloss):
    result, _ = translate(gloss, f"The {SAMK[4:]} met students.", "XT1 XT1 встретилось со студентами.", "ru")
    assert result.ok and result.text == "Духовное управление мусульман Казахстана встретилось со студентами."


@pytest.mark.parametrize("output, problem", [
    ("Встреча прошла.", "lost or garbled"),  # dropped
    ("Встреча с XT1 и XT1 снова.", "duplicated"),  # duplicated apart
    ("Встреча с TX1.", "lost or garbled"),  # garbled
])
def test_dropped_or_duplicated_takes_another_hypothesis_then_falls_back(gloss, output, problem):
    source = f"A meeting with {SAMK}."
    # the second hypothesis of the same beam kept the placeholder once: it is used, no other call
    result, engine = translate(gloss, source, output, "ru", nbest=[[output, "Встреча с XT1 прошла."]])
    assert engine.asked_hypotheses == [["A meeting with the XT1."]] and engine.batches == []
    assert result.ok and result.hypothesis == 1
    assert result.text == "Встреча с Духовным управлением мусульман Казахстана прошла."
    # no hypothesis is better: one unprotected call, with the note
    result, engine = translate(gloss, source, output, "ru", nbest=[[output, output, "Встреча XT2."]])
    assert not result.ok and result.text == f"[unprotected] {source}" and result.hypothesis == 0
    assert result.notes[0].startswith(f"glossary: MT {problem} the placeholder for “Spiritual Administration")
    assert engine.batches == [[source]]


def test_the_best_hypothesis_is_used_when_it_is_whole(gloss):
    source = f"A meeting with {SAMK}."
    result, engine = translate(gloss, source, "Встреча с XT1.", "ru", nbest=[["Встреча с XT1.", "Собрание XT1."]])
    assert result.ok and result.hypothesis == 0 and result.text.startswith("Встреча с Духовным")
    assert engine.batches == []


def test_failed_segments_share_one_final_call(gloss):
    """However many segments broke, the unprotected retries are one call, after the main one."""
    sources = [f"A meeting with {SAMK}.", "The weather was fine.", f"A letter to {SAMK}."]
    engine = Scripted([], nbest=[["Встреча прошла."], ["Погода была хорошей."], ["Письмо."]])
    results = placeholders.translate_with_terms(sources, [gloss.find(s) for s in sources], "ru", engine.translate,
                                                hypotheses=engine.hypotheses)
    assert len(engine.asked_hypotheses) == 1 and engine.batches == [[sources[0], sources[2]]]
    assert [r.ok for r in results] == [False, True, False]


@pytest.mark.parametrize("output", [
    "XT1-ның төрағасы сөз сөйледі.", "XT1 ның төрағасы сөз сөйледі.", "XT1ның төрағасы сөз сөйледі.",
    "ХТ1-нің төрағасы сөз сөйледі.",  # look-alikes and the wrong harmony: the ending is re-made
])
def test_kazakh_glued_ending(gloss, output):
    result, _ = translate(gloss, f"The head of {SAMK} spoke.", output, "kk")
    assert result.ok and result.text == "Қазақстан мұсылмандары діни басқармасының төрағасы сөз сөйледі."
    assert "басқармасы-ның" not in result.text
    assert [(t.form, t.decided_by) for t in result.terms] == [("gen", "rule")]


@pytest.mark.parametrize("output, expected", [
    ("وXT1 و بXT2", "والإدارة الدينية لمسلمي كازاخستان و بجمهورية كازاخستان"),
    ("رسالة لXT1.", "رسالة للإدارة الدينية لمسلمي كازاخستان."),  # ل + ال -> لل
    ("رسالة للXT1.", "رسالة للإدارة الدينية لمسلمي كازاخستان."),  # the model's own article is dropped
    ("في بالXT2.", "في بجمهورية كازاخستان."),  # an idafa head takes no article
    ("زار و XT2.", "زار وجمهورية كازاخستان."),  # a lone clitic letter joins its name
])
def test_arabic_clitics(gloss, output, expected):
    source = f"The {SAMK[4:]} and the Republic of Kazakhstan."
    for code in ("XT1", "XT2"):
        output = output if code in output else f"{output} {code}"
    result, _ = translate(gloss, source, output, "ar")
    assert result.ok
    assert result.text.startswith(expected)


# ---------------------------------------------------------------- forms from context

@pytest.mark.parametrize("output, form, text", [
    ("Встреча с XT1 прошла.", "ins", "Духовным управлением мусульман Казахстана"),
    ("Делегация прибыла в XT1.", "acc", "Астану"),
    ("Форум прошел в XT1.", "prep", "Астане"),
    ("Представители XT1 приехали.", "gen", "Астаны"),
    ("Письмо направлено к XT1.", "dat", "Астане"),
    ("Он рассказал о XT1.", "prep", "Астане"),
])
def test_russian_government(gloss, forms, output, form, text):
    placer = Placer("ru", forms)
    concept = gloss.get("samk") if "Духовн" in text else gloss.get("astana")
    placed = placer.place(output, [Term(1, concept.id, forms.for_concept(concept, "ru"))])
    assert placed.terms[0].form == form and placed.terms[0].text == text and text in placed.text


def test_kazakh_postposition_and_particles(gloss, forms):
    placer = Placer("kk", forms)
    eu, astana = gloss.get("european-union"), gloss.get("astana")
    terms = [Term(1, "european-union", forms.for_concept(eu, "kk")), Term(2, "astana", forms.for_concept(astana, "kk"))]
    assert placer.place("XT1 мен XT2 кездесті.", terms).text == "Еуропалық Одақ пен Астана кездесті."
    assert placer.place("XT1 туралы XT2 дейін.", terms).text == "Еуропалық Одақ туралы Астанаға дейін."
    assert placer.place("XT1 кейін XT2 бірге.", terms).text == "Еуропалық Одақтан кейін Астанамен бірге."


def test_the_model_decides_where_the_rules_are_unsure(gloss, forms):
    placer = Placer("kk", forms)
    astana = gloss.get("astana")
    term = [Term(1, "astana", forms.for_concept(astana, "kk"))]
    # "XT1 да" is the locative with a space crept in, or the particle "too"; rules say locative
    assert placer.place("XT1 да өтті.", term).text == "Астанада өтті."
    seen = []

    def scorer(candidates):
        seen.extend(candidates)
        return [0.0 if "Астана да" in c else -5.0 for c in candidates]

    placed = placer.place("XT1 да өтті.", term, scorer=scorer)
    assert seen == ["Астанада өтті.", "Астана да өтті."]
    assert placed.text == "Астана да өтті." and placed.terms[0].decided_by == "model"
    # a sure rule is not second-guessed
    placed = placer.place("XT1-ға барды.", term, scorer=scorer)
    assert placed.terms[0].decided_by == "rule" and placed.text == "Астанаға барды."


# ---------------------------------------------------------------- policies

def test_policy_check_flags_a_term_missing_in_every_form(gloss):
    source = f"A meeting with {SAMK}."
    engine = Scripted(["Встреча с Духовным управлением мусульман Казахстана."])
    [ok] = placeholders.translate_with_terms([source], [gloss.find(source)], "ru", engine.translate, policy="check")
    assert engine.batches == [[source]]  # unprotected
    assert ok.ok and ok.text == "Встреча с Духовным управлением мусульман Казахстана."
    engine = Scripted(["Встреча с Духовным советом."])
    [bad] = placeholders.translate_with_terms([source], [gloss.find(source)], "ru", engine.translate, policy="check")
    assert not bad.ok and bad.broken == ("samk",) and "Духовное управление мусульман Казахстана" in bad.notes[0]


def test_policy_off_leaves_terms_to_the_engine(gloss):
    source = f"A meeting with {SAMK}."
    engine = Scripted(["Встреча с Духовным советом."])
    [result] = placeholders.translate_with_terms([source], [gloss.find(source)], "ru", engine.translate, policy="off")
    assert engine.batches == [[source]] and result.ok and result.notes == ()
    with pytest.raises(ValueError, match="unknown terms policy"):
        placeholders.translate_with_terms([source], [gloss.find(source)], "ru", engine.translate, policy="maybe")


# ---------------------------------------------------------------- the real CTranslate2 path (tiny model)

@pytest.mark.slow
def test_engine_hypotheses_and_scores_on_a_real_model(tiny_packages_dir):
    from pipeline.engine import Engine

    mt = Engine.load(tiny_packages_dir, "kk")
    assert mt is not None
    texts = ["The mufti met XT1 in Astana.", "Hello."]
    lists = mt.hypotheses(texts)
    assert len(lists) == 2 and all(1 <= len(h) <= mt.beam_size and all(isinstance(x, str) for x in h) for h in lists)
    assert [h[0] for h in lists] == mt.translate(texts)  # the other hypotheses cost nothing and change nothing
    scores = mt.score("The mufti met the students.", ["Астана", "Астанада өтті", ""])
    assert len(scores) == 3 and all(isinstance(s, float) and s <= 0.0 for s in scores)
    assert mt.score("x", []) == []


def test_the_benchmark_set_meets_the_accuracy_goals(gloss, forms):
    """benchmarks/terms.py's hand-written set: ≥ 90% ru, ≥ 85% kk, every Arabic clitic joined (no timing here)."""
    import json

    data = json.loads((REPO / "benchmarks" / "data" / "terms_placement.json").read_text(encoding="utf-8"))
    counts = {"ru": [0, 0], "kk": [0, 0], "ar": [0, 0]}
    placers = {lang: Placer(lang, forms) for lang in counts}
    for item in data["placement"]:
        lang = item["lang"]
        terms = [Term(int(code[2:]), cid, forms.for_concept(gloss.get(cid), lang),
                      forms.for_concept(gloss.get(cid), lang, plural=True) if lang == "kk" else None)
                 for code, cid in item["terms"].items()]
        placed = placers[lang].place(item["output"], terms)
        counts[lang][0] += placed.text == item["expected"]
        counts[lang][1] += 1
    assert counts["ru"][1] >= 30 and counts["kk"][1] >= 20 and counts["ar"][1] >= 10
    assert counts["ru"][0] / counts["ru"][1] >= 0.90
    assert counts["kk"][0] / counts["kk"][1] >= 0.85
    assert counts["ar"][0] == counts["ar"][1]


def test_russian_preposition_fits_the_form(gloss, forms):
    placer = Placer("ru", forms)
    oic, palace = gloss.get("oic"), gloss.get("palace-of-peace-and-reconciliation")
    assert placer.place("Речь о XT1.", [Term(1, "oic", forms.for_concept(oic, "ru"))]).text == \
        "Речь об Организации исламского сотрудничества."
    assert placer.place("Форум в XT1.", [Term(1, "p", forms.for_concept(palace, "ru"))]).text == \
        "Форум во Дворце мира и согласия."
    assert placer.place("Встреча со XT1.", [Term(1, "oic", forms.for_concept(oic, "ru"))]).text == \
        "Встреча с Организацией исламского сотрудничества."


@pytest.mark.slow
def test_cli_place_lets_a_real_model_decide_what_the_rules_are_unsure_of(tiny_packages_dir):
    """`glossary place --source`: the tiny model's score_batch picks between locative and particle (its choice is
    noise; that the model decided, and that the answer is one of the candidates, is what counts)."""
    import json

    from typer.testing import CliRunner

    from pipeline.cli import app

    args = ["glossary", "place", "--lang", "kk", "XT1 да өтті.", "--term", "XT1=astana", "--json", "--root", str(REPO),
            "--packages-dir", str(tiny_packages_dir)]
    result = CliRunner().invoke(app, [*args, "--source", "It took place in Astana."])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["terms"][0]["decided_by"] == "model"
    assert data["text"] in ("Астанада өтті.", "Астана да өтті.")
    sure = json.loads(CliRunner().invoke(app, [*args[:4], "XT1-ға барды.", *args[5:], "--source", "He went to Astana."]
                                         ).stdout)
    assert sure["terms"][0]["decided_by"] == "rule" and sure["text"] == "Астанаға барды."


def test_a_plural_in_the_english_gives_the_plural_form():
    from pipeline.concepts import Concept
    from pipeline.termmatch import Glossary

    gloss = Glossary([Concept("ambassador", "title", "Ambassador", ("Ambassadors",),
                              targets={"kk": "Елші", "ru": "Посол"})])
    for lang, output, expected in (("kk", "XT1-ге хат жазылды.", "Елшілерге хат жазылды."),
                                   ("ru", "Письмо направлено XT1 и министрам.",
                                    "Письмо направлено Послам и министрам."),
                                   ("ru", "Встреча с XT1.", "Встреча с Послами.")):
        source = "The Ambassadors met."
        [result] = placeholders.translate_with_terms([source], [gloss.find(source)], lang, lambda t, o=output: [o])
        assert result.ok and result.text == expected, (lang, result.text)
    [single] = placeholders.translate_with_terms(["The Ambassador met."], [gloss.find("The Ambassador met.")], "ru",
                                                 lambda t: ["Встреча с XT1."])
    assert single.text == "Встреча с Послом."


def test_a_code_inside_a_word_is_not_a_placeholder():
    pattern = placeholder_pattern("XT")
    assert [m.group(1) for m in pattern.finditer("MAXT1 BXT2 XT12 ЖХТ3 XT4")] == ["12", "4"]


def test_a_lower_case_term_opening_a_sentence_is_capitalised(gloss, forms):
    placer = Placer("ru", forms)
    hanafi, maturidi = gloss.get("hanafi-school"), gloss.get("maturidi-tradition")
    terms = [Term(1, "hanafi-school", forms.for_concept(hanafi, "ru")),
             Term(2, "maturidi-tradition", forms.for_concept(maturidi, "ru"))]
    assert placer.place("XT1 распространен, как и XT2.", terms).text == \
        "Ханафитский мазхаб распространен, как и матуридитское вероучение."
    assert placer.place("Так и есть. «XT2» и XT1.", terms).text == \
        "Так и есть. «Матуридитское вероучение» и ханафитский мазхаб."


def test_arabic_article_with_a_space_and_words_that_only_end_like_one(gloss, forms):
    placer = Placer("ar", forms)
    astana, cairo = gloss.get("astana"), gloss.get("cairo")
    terms = [Term(1, "astana", forms.for_concept(astana, "ar")), Term(2, "cairo", forms.for_concept(cairo, "ar"))]
    assert placer.place("سافر بال XT1 ثم ال XT2.", terms).text == "سافر بأستانا ثم القاهرة."
    assert placer.place("قال XT1 إن مال XT2 كثير.", terms).text == "قال أستانا إن مال القاهرة كثير."


def test_russian_apposition_speech_verbs_and_names(gloss, forms):
    placer = Placer("ru", forms)
    astana, embassy, kazinform = gloss.get("astana"), gloss.get("embassy"), gloss.get("kazinform")

    def term(concept, kind=None):
        return [Term(1, concept.id, forms.for_concept(concept, "ru"), None, kind or concept.type)]

    assert placer.place("Форум прошел в городе XT1.", term(astana)).text == "Форум прошел в городе Астана."
    assert placer.place("Об этом сообщает агентство XT1.", term(kazinform)).text == \
        "Об этом сообщает агентство Kazinform."
    assert placer.place("Текст на сайте XT1.", term(embassy)).text == "Текст на сайте Посольства."  # no apposition
    assert placer.place("«Мир един», — сказал XT1.", term(gloss.get("grand-mufti"))).text == \
        "«Мир един», — сказал Верховный муфтий."
    person = Term(1, "x", forms.of("Джонс", "ru"), None, "person")
    assert placer.place("Президент XT1 прибыл.", [person]).text == "Президент Джонс прибыл."
    assert placer.place("Президент XT1 прибыл.", term(gloss.get("republic-of-kazakhstan"))).text == \
        "Президент Республики Казахстан прибыл."


@pytest.mark.parametrize("lang, output, case", [("ru", "Встреча с XT1 прошла.", "ins"),
                                                ("kk", "XT1-ның өкілі келді.", "gen"),
                                                ("ar", "رسالة لXT1.", "li")])
def test_place_works_for_every_glossary_concept(gloss, forms, lang, output, case):
    """Every concept with a target in lang is placed in the form asked for, via the terminologist's call."""
    import csv

    with open(REPO / "glossary" / "terms.csv", encoding="utf-8") as fh:
        ids = [row["id"] for row in csv.DictReader(fh) if row[lang]]
    assert len(ids) > 80
    for concept_id in ids:
        data = placeholders.place_terms(gloss, lang, output, [f"XT1={concept_id}"], forms=forms)
        assert data["ok"] and data["terms"][0]["form"] == case, concept_id
        assert data["terms"][0]["text"] in data["text"] and "XT1" not in data["text"], concept_id
