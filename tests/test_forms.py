"""Term forms: Russian cases (pymorphy3 + phrase logic), Kazakh cases (our rules), Arabic proclitics, overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import glossary as glossary_stage
from pipeline.concepts import Concept
from pipeline.forms import CASES, Forms, FormsError, ar, kk, override_problems, parse_overrides

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def forms() -> Forms:
    return Forms()


# ---------------------------------------------------------------- Russian

@pytest.mark.parametrize("phrase, case, expected", [
    ("Духовное управление мусульман Казахстана", "gen", "Духовного управления мусульман Казахстана"),
    ("Духовное управление мусульман Казахстана", "ins", "Духовным управлением мусульман Казахстана"),
    ("Духовное управление мусульман Казахстана", "acc", "Духовное управление мусульман Казахстана"),
    ("Египетский университет исламской культуры «Нур-Мубарак»", "prep",
     "Египетском университете исламской культуры «Нур-Мубарак»"),
    ("университет «Нур-Мубарак»", "prep", "университете «Нур-Мубарак»"),
    ("Республика Казахстан", "gen", "Республики Казахстан"),  # the apposition stays
    ("Верховный муфтий", "acc", "Верховного муфтия"),  # animate accusative: adjective agrees
    ("Национальная библиотека Республики Казахстан", "acc", "Национальную библиотеку Республики Казахстан"),
    ("Чрезвычайный и Полномочный Посол", "ins", "Чрезвычайным и Полномочным Послом"),
    ("Временный поверенный в делах", "dat", "Временному поверенному в делах"),  # no noun: adjectives inflect
    ("Временный поверенный в делах", "acc", "Временного поверенного в делах"),  # …as a person; "в" is no noun
    ("Уполномоченные по правам человека", "gen", "Уполномоченных по правам человека"),  # "по" is no surname
    ("Соединенные Штаты Америки", "prep", "Соединенных Штатах Америки"),  # plural head; е stays е
    ("Объединённые Арабские Эмираты", "gen", "Объединённых Арабских Эмиратов"),  # ё stays ё
    ("Историко-культурный комплекс Абу Насра аль-Фараби", "gen",
     "Историко-культурного комплекса Абу Насра аль-Фараби"),
    ("Нур-Мубарак", "ins", "Нур-Мубараком"),  # a guessed hyphenated name: only the last part inflects
    ("Алматы", "prep", "Алматы"),  # indeclinable
    ("Kazinform", "gen", "Kazinform"),
    ("Елбасы", "ins", "Елбасы"),  # unknown word pymorphy3 guesses as a plural: left alone
    ("Духовная дипломатия и сохранение сакрального наследия", "prep",
     "Духовной дипломатии и сохранении сакрального наследия"),
    ("Духовное управление мусульман Казахстана (ДУМК)", "dat", "Духовному управлению мусульман Казахстана (ДУМК)"),
    ("Общий мир: прогресс через многообразие", "ins", "Общим миром: прогресс через многообразие"),
])
def test_russian_phrase_cases(forms, phrase, case, expected):
    assert forms.of(phrase, "ru")[case] == expected


def test_russian_plural(forms):
    assert forms.of("Посол", "ru", plural=True)["gen"] == "Послов"
    assert forms.of("Посол", "ru")["gen"] == "Посла"


def test_russian_every_case_named(forms):
    assert tuple(forms.of("Посольство", "ru")) == CASES["ru"] == ("nom", "gen", "dat", "acc", "ins", "prep")


# ---------------------------------------------------------------- Kazakh

def test_kazakh_possessive_takes_the_pronominal_n():
    got = kk.decline("Қазақстан мұсылмандары діни басқармасы")
    assert {c: f.rsplit(" ", 1)[1] for c, f in got.items()} == {
        "nom": "басқармасы", "gen": "басқармасының", "dat": "басқармасына", "acc": "басқармасын",
        "loc": "басқармасында", "abl": "басқармасынан", "ins": "басқармасымен"}


@pytest.mark.parametrize("word, expected", [
    ("Астана", ("Астананың", "Астанаға", "Астананы", "Астанада", "Астанадан", "Астанамен")),  # vowel, back
    ("Президент", ("Президенттің", "Президентке", "Президентті", "Президентте", "Президенттен", "Президентпен")),
    ("Қазақстан", ("Қазақстанның", "Қазақстанға", "Қазақстанды", "Қазақстанда", "Қазақстаннан", "Қазақстанмен")),
    ("Ректор", ("Ректордың", "Ректорға", "Ректорды", "Ректорда", "Ректордан", "Ректормен")),
    ("Еуропалық Одақ", ("Еуропалық Одақтың", "Еуропалық Одаққа", "Еуропалық Одақты", "Еуропалық Одақта",
                        "Еуропалық Одақтан", "Еуропалық Одақпен")),
    ("Елшілік", ("Елшіліктің", "Елшілікке", "Елшілікті", "Елшілікте", "Елшіліктен", "Елшілікпен")),
    ("Бас мүфти", ("Бас мүфтидің", "Бас мүфтиге", "Бас мүфтиді", "Бас мүфтиде", "Бас мүфтиден", "Бас мүфтимен")),
    ("Елбасы", ("Елбасының", "Елбасына", "Елбасын", "Елбасында", "Елбасынан", "Елбасымен")),
    ("Алматы", ("Алматының", "Алматыға", "Алматыны", "Алматыда", "Алматыдан", "Алматымен")),  # not possessive
    ("Төтенше және өкілетті елші", ("Төтенше және өкілетті елшінің", "Төтенше және өкілетті елшіге",
                                   "Төтенше және өкілетті елшіні", "Төтенше және өкілетті елшіде",
                                   "Төтенше және өкілетті елшіден", "Төтенше және өкілетті елшімен")),
    ("Қазақстан Республикасы Сыртқы істер министрлігі", tuple(
        "Қазақстан Республикасы Сыртқы істер министрлігі" + s for s in ("нің", "не", "н", "нде", "нен", "мен"))),
    ("ҚМДБ", ("ҚМДБ-ның", "ҚМДБ-ға", "ҚМДБ-ны", "ҚМДБ-да", "ҚМДБ-дан", "ҚМДБ-мен")),  # spelled out: "…бы"
    ("АҚШ", ("АҚШ-тың", "АҚШ-қа", "АҚШ-ты", "АҚШ-та", "АҚШ-тан", "АҚШ-пен")),  # read as a word (NTREX: АҚШ-тың)
    ("БҰҰ", ("БҰҰ-ның", "БҰҰ-ға", "БҰҰ-ны", "БҰҰ-да", "БҰҰ-дан", "БҰҰ-мен")),
    ("Париж", ("Париждің", "Парижге", "Парижді", "Парижде", "Парижден", "Парижбен")),
    ("Каир", ("Каирдің", "Каирге", "Каирді", "Каирде", "Каирден", "Каирмен")),  # a last-syllable и is front
    ("Kazinform", ("Kazinform-ның", "Kazinform-ға", "Kazinform-ды", "Kazinform-да", "Kazinform-нан",
                   "Kazinform-мен")),
])
def test_kazakh_harmony_and_assimilation(word, expected):
    got = kk.decline(word)
    assert tuple(got[c] for c in ("gen", "dat", "acc", "loc", "abl", "ins")) == expected
    assert got["nom"] == word


def test_kazakh_plural_before_the_possessive():
    assert kk.decline("Елші", many=True)["dat"] == "Елшілерге"
    assert kk.plural("Ислам ынтымақтастығы ұйымы") == "Ислам ынтымақтастығы ұйымдары"
    assert kk.plural("халықаралық орталығы") == "халықаралық орталықтары"  # ғ back to қ before the plural
    assert kk.decline("Ислам ынтымақтастығы ұйымы", many=True)["gen"] == "Ислам ынтымақтастығы ұйымдарының"


@pytest.mark.parametrize("ending, case", [
    ("ның", "gen"), ("-нің", "gen"), ("тың", "gen"), ("ға", "dat"), ("-ке", "dat"), ("на", "dat"),
    ("ны", "acc"), ("ді", "acc"), ("н", "acc"), ("да", "loc"), ("нде", "loc"), ("дан", "abl"), ("нен", "abl"),
    ("мен", "ins"), ("пен", "ins"), ("ларға", "dat"), ("лерінің", "gen"), ("сынан", "abl"), ("", "nom"),
    ("xyz", None),
])
def test_kazakh_glued_endings_name_their_case(ending, case):
    assert kk.case_of_ending(ending) == case


def test_kazakh_separate_particles_agree():
    assert kk.harmonise("Одақ", "мен") == "пен"
    assert kk.harmonise("Астана", "пен") == "мен"
    assert kk.harmonise("мүфти", "да") == "де"
    assert kk.harmonise("Одақ", "да") == "та"


# ---------------------------------------------------------------- Arabic

def test_arabic_clitics_and_article():
    got = ar.forms("الإدارة الدينية لمسلمي كازاخستان")
    assert got["li"] == "للإدارة الدينية لمسلمي كازاخستان"  # ل + ال -> لل
    assert got["bi"] == "بالإدارة الدينية لمسلمي كازاخستان"
    assert got["wa"] == "والإدارة الدينية لمسلمي كازاخستان"
    assert got["plain"] == "الإدارة الدينية لمسلمي كازاخستان"
    assert ar.attach("ل", "اللغة") == "للغة"
    assert ar.attach("ل", "جمهورية كازاخستان") == "لجمهورية كازاخستان"
    assert ar.attach("وب", "جمهورية كازاخستان") == "وبجمهورية كازاخستان"
    for form in got.values():  # the term's own letters are untouched
        assert form.endswith("دارة الدينية لمسلمي كازاخستان")


@pytest.mark.parametrize("prefix, expected", [
    ("و", ("و", False)), ("بال", ("ب", True)), ("لل", ("ل", True)), ("وال", ("و", True)), ("ال", ("", True)),
    ("وب", ("وب", False)), ("من", ("", False)),
])
def test_arabic_split_clitics(prefix, expected):
    assert ar.split_clitics(prefix) == expected


# ---------------------------------------------------------------- curated forms

def test_overrides_parse_and_win(forms):
    concept = Concept(id="x", type="institution", en="Elbasy", targets={"ru": "Елбасы", "kk": "Елбасы"},
                      extra={"ru_forms": "gen=Елбасы; ins=Елбасы; pl.gen=Елбасы", "kk_forms": "dat=Елбасыға"})
    assert forms.for_concept(concept, "ru")["ins"] == "Елбасы"
    assert forms.for_concept(concept, "kk")["dat"] == "Елбасыға"  # curated beats the rule (Елбасына)
    assert forms.for_concept(concept, "kk")["gen"] == "Елбасының"  # the rest stays generated
    assert forms.for_concept(concept, "kk", text="Елбасы (ЕБ)")["dat"] == "Елбасыға (ЕБ)"


def test_overrides_problems():
    assert parse_overrides("gen=A; ins = B ;", "ru") == {"gen": "A", "ins": "B"}
    assert override_problems("gen=A; ins=B", "ru") == []
    assert "unknown ru case “loc”" in override_problems("loc=A", "ru")[0]
    assert "empty" in override_problems("gen=", "kk")[0]
    assert "case=form" in override_problems("Духовного", "ru")[0]
    assert "twice" in override_problems("gen=A; gen=B", "ru")[0]
    with pytest.raises(FormsError):
        parse_overrides("prep=x", "kk")


def test_every_glossary_concept_has_all_forms(forms):
    """Every kk/ru/ar target of the shipped glossary gets every case, each non-empty."""
    glossary = glossary_stage.load(REPO / "glossary")
    for concept in (glossary.get(i) for i in _ids()):
        for lang in ("kk", "ru", "ar"):
            if lang not in concept.targets:
                continue
            got = forms.for_concept(concept, lang)
            assert tuple(got) == CASES[lang] and all(got.values()), (concept.id, lang)


def _ids() -> list[str]:
    import csv

    with open(REPO / "glossary" / "terms.csv", encoding="utf-8") as fh:
        return [row["id"] for row in csv.DictReader(fh)]


# ---------------------------------------------------------------- glossary columns, exchange, CLI

FORMS_HEADER = ("id,type,en,en_variants,kk,kk_variants,ru,ru_variants,ar,ar_variants,dnt,confirmed,kk_source,"
                "ru_source,ar_source,notes,ru_forms,kk_forms")


def _forms_glossary(directory: Path, ru_forms: str, kk_forms: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    row = (f"elbasy,title,Elbasy,,Елбасы,,Елбасы,,زعيم الأمة,,,yes,a,b,c,,\"{ru_forms}\",\"{kk_forms}\"")
    (directory / "terms.csv").write_text(FORMS_HEADER + "\n" + row + "\n", encoding="utf-8")
    return directory


def test_glossary_check_verifies_curated_forms(tmp_path):
    good = _forms_glossary(tmp_path / "good", "gen=Елбасы; ins=Елбасы", "dat=Елбасыға")
    assert glossary_stage.check(good) == []
    bad = _forms_glossary(tmp_path / "bad", "gen=Елбасы; loc=Елбасы", "dat=")
    messages = [str(p) for p in glossary_stage.check(bad)]
    assert any(m.endswith("terms.csv:2: ru_forms: unknown ru case “loc” (use nom, gen, dat, acc, ins, prep, "
                          "pl.<case> for plural); fix the cell or empty it") for m in messages), messages
    assert any("terms.csv:2: kk_forms: the dat form is empty" in m for m in messages), messages


def test_tbx_carries_curated_forms(tmp_path):
    from pipeline.formats import tbx

    directory = _forms_glossary(tmp_path / "g", "gen=Елбасы; ins=Елбасы", "dat=Елбасыға")
    concepts = glossary_stage.load_concepts(directory)
    tbx.write_tbx(concepts, tmp_path / "g.tbx")
    back, warnings = tbx.read_tbx(tmp_path / "g.tbx")
    assert warnings == [] and back[0].extra == {"ru_forms": "gen=Елбасы; ins=Елбасы", "kk_forms": "dat=Елбасыға"}
    assert Forms().for_concept(back[0], "kk")["dat"] == "Елбасыға"


def test_cli_forms_json_and_errors(tmp_path):
    import json

    from typer.testing import CliRunner

    from pipeline.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["glossary", "forms", "samk", "--lang", "ru", "--json", "--root", str(REPO)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["concept"] == "samk" and data["lang"] == "ru"
    assert data["forms"]["gen"] == "Духовного управления мусульман Казахстана"
    by_english = runner.invoke(app, ["glossary", "forms", "Spiritual Administration of Muslims of Kazakhstan",
                                     "--lang", "kk", "--json", "--root", str(REPO)])
    assert json.loads(by_english.stdout)["forms"]["abl"] == "Қазақстан мұсылмандары діни басқармасынан"
    curated = runner.invoke(app, ["glossary", "forms", "elbasy", "--lang", "kk", "--json", "--root",
                                  str(_forms_glossary(tmp_path / "ws" / "glossary", "", "dat=Елбасыға").parent)])
    assert json.loads(curated.stdout)["forms"]["dat"] == "Елбасыға"
    unknown = runner.invoke(app, ["glossary", "forms", "Ministry of Magic", "--lang", "ru", "--root", str(REPO)])
    assert unknown.exit_code == 1 and "no glossary concept" in unknown.output
    assert runner.invoke(app, ["glossary", "forms", "samk", "--lang", "de", "--root", str(REPO)]).exit_code == 2


def test_cli_place_json_and_a_lost_placeholder():
    import json

    from typer.testing import CliRunner

    from pipeline.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["glossary", "place", "--lang", "kk", "XT1 ның өкілдері XT2-ге келді.",
                                 "--term", "XT1=samk", "--term", "XT2=Astana", "--json", "--root", str(REPO)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["text"] == "Қазақстан мұсылмандары діни басқармасының өкілдері Астанаға келді."
    assert data["terms"] == [
        {"placeholder": "XT1", "concept": "samk", "form": "gen", "text": "Қазақстан мұсылмандары діни басқармасының",
         "decided_by": "rule"},
        {"placeholder": "XT2", "concept": "astana", "form": "dat", "text": "Астанаға", "decided_by": "rule"}]
    lost = runner.invoke(app, ["glossary", "place", "--lang", "ru", "Встреча.", "--term", "XT1=samk", "--json",
                               "--root", str(REPO)])
    assert lost.exit_code == 1 and json.loads(lost.stdout)["problems"] == {"XT1": "lost or garbled"}
    bad = runner.invoke(app, ["glossary", "place", "--lang", "ru", "XT1", "--term", "samk", "--root", str(REPO)])
    assert bad.exit_code == 1 and "write PLACEHOLDER=CONCEPT" in bad.output


def test_terms_policies_parse():
    from pipeline.placeholders import TermLookupError, parse_policies

    assert parse_policies(["check"]) == {"kk": "check", "ru": "check", "ar": "check"}
    assert parse_policies(["kk=off,ru=check"]) == {"kk": "off", "ru": "check"}
    assert parse_policies(None) == {}
    with pytest.raises(TermLookupError, match="unknown policy"):
        parse_policies(["kk=maybe"])
    with pytest.raises(TermLookupError, match="unknown language"):
        parse_policies(["de=check"])
