"""Review checks (`pipeline check`): every check has a hit and a near-miss it must not flag."""

from __future__ import annotations

import json
from pathlib import Path

import polib
import pytest
from conftest import make_workspace
from typer.testing import CliRunner

from pipeline import cli, glossary
from pipeline.qa import CHECKS, Entry, check_entries, leftovers, length, numbers, punctuation, script, terms
from pipeline.qa.checker import entry_findings
from pipeline.termmatch import Glossary
from pipeline.workspace import catalog_path

REPO = Path(__file__).resolve().parent.parent
VALID = Path(__file__).parent / "data" / "glossary" / "valid"
runner = CliRunner()


def ids(findings) -> list[str]:
    return [f.check for f in findings]


@pytest.fixture(scope="module")
def gloss() -> Glossary:
    return glossary.load(VALID)


@pytest.fixture(scope="module")
def detect():
    return script.lingua_detector()


# ---------------------------------------------------------------- terms

def test_terms_missing_is_an_error_and_an_inflected_form_is_not(gloss):
    source = "The Spiritual Administration of Muslims of Kazakhstan held a meeting."
    found = gloss.find(source)
    bad = terms.check(Entry(source, "Муфтият провёл встречу.", "ru"), found)
    assert ids(bad) == ["terms"] and bad[0].severity == "error"
    assert "Духовное управление мусульман Казахстана" in bad[0].message
    good = "Совещание Духовного управления мусульман Казахстана состоялось."  # genitive
    assert terms.check(Entry(source, good, "ru"), found) == []


def test_terms_do_not_translate_name_kept(gloss):
    source = "Experts of the Astana Hub spoke."
    found = gloss.find(source)
    assert ids(terms.check(Entry(source, "Астана хабының сарапшылары сөйледі.", "kk"), found)) == ["terms"]
    assert terms.check(Entry(source, "Astana Hub сарапшылары сөйледі.", "kk"), found) == []


def test_names_consistency_flags_the_rarer_form_only():
    from pipeline.concepts import Concept

    concept = Concept("mufti", "title", "Grand Mufti", targets={"ru": "Верховный муфтий"},
                      target_variants={"ru": ("Главный муфтий",)})
    g = Glossary([concept])
    entries = [Entry("The Grand Mufti spoke.", "Верховный муфтий выступил.", "ru", "a.po", 3),
               Entry("The Grand Mufti met them.", "Верховный муфтий встретился с ними.", "ru", "a.po", 7),
               Entry("The Grand Mufti left.", "Главный муфтий уехал.", "ru", "b.po", 3)]
    uses = [terms.forms_used(e, g.find(e.msgid)) for e in entries]
    flagged = terms.check_names(entries, uses)
    assert [k for k, _ in flagged] == [2] and flagged[0][1].check == "names"
    assert "a.po:3" in flagged[0][1].message
    assert terms.check_names(entries[:2], uses[:2]) == []  # one form throughout: nothing to say


# ---------------------------------------------------------------- numbers

@pytest.mark.parametrize("source, target, lang", [
    ("The 3.5 million people came.", "Пришли 3,5 млн человек.", "ru"),
    ("The 3.5 million people came.", "جاء ٣٫٥ مليون شخص.", "ar"),  # Arabic-Indic digits and decimal sign
    ("On Sept. 15 they met.", "Они встретились 15 сентября.", "ru"),
    ("On Sept. 15 they met.", "Олар 15 қыркүйекте кездесті.", "kk"),
    ("On Sept. 15 they met.", "التقيا في 15 سبتمبر.", "ar"),
    ("On Sept. 15 they met.", "التقيا في ١٥ أيلول.", "ar"),  # the Levantine month name
    ("It was his 8th visit in 2019.", "Бұл оның 2019 жылғы 8-ші сапары.", "kk"),
    ("Turnout was 65%.", "Явка составила 65 процентов.", "ru"),
    ("About 1,500 pilgrims came.", "Приехали около 1 500 паломников.", "ru"),
    ("About 1,500 pilgrims came.", "Приехали около 1,5 тыс. паломников.", "ru"),
    ("Two delegations and 2 observers came.", "Келді екі делегация и екі бақылаушы.", "kk"),  # words for 2
    ("The meeting starts at 3 p.m.", "Встреча начнется в 15:00.", "ru"),
    ("A 19th-century manuscript.", "Рукопись XIX века.", "ru"),
])
def test_numbers_carried_over_in_the_language_s_way(source, target, lang):
    assert numbers.check(Entry(source, target, lang)) == []


@pytest.mark.parametrize("source, target, lang", [
    ("The 3.5 million people came.", "Пришли 3,6 млн человек.", "ru"),  # changed
    ("Leaders from 20 countries came.", "Приехали лидеры из стран.", "ru"),  # dropped
    ("It was founded in 2003.", "Ол 2005 жылы құрылды.", "kk"),  # a changed year
    ("Turnout was 65%.", "كانت نسبة المشاركة ٥٦٪.", "ar"),
])
def test_numbers_missing_or_changed_is_an_error(source, target, lang):
    found = numbers.check(Entry(source, target, lang))
    assert ids(found) == ["numbers"] and found[0].severity == ""  # the check's default: error


def test_numbers_wrong_month_is_an_error_and_a_missing_month_a_warning():
    wrong = numbers.check(Entry("On Sept. 15 they met.", "Они встретились 15 октября.", "ru"))
    assert ids(wrong) == ["numbers"] and "another month" in wrong[0].message and wrong[0].severity == ""
    assert "'Sept. 15'" in wrong[0].message
    dropped = numbers.check(Entry("On Sept. 15 they met.", "Они встретились 15-го числа.", "ru"))
    assert [f.severity for f in dropped] == ["warning"]
    # "may" the verb is no month
    assert numbers.check(Entry("They may meet 5 times.", "Они могут встретиться 5 раз.", "ru")) == []


# ---------------------------------------------------------------- script and language

def test_russian_in_a_kazakh_entry_and_real_kazakh(detect):
    source = "The meeting took place in a warm and friendly atmosphere."
    hit = script.check(Entry(source, "Встреча прошла в тёплой и дружеской атмосфере.", "kk"), detect=detect)
    assert ids(hit) == ["script"] and "Russian" in hit[0].message
    assert script.check(Entry(source, "Кездесу жылы әрі достық жағдайда өтті.", "kk"), detect=detect) == []
    # Kazakh without its own letters is still Kazakh
    assert script.check(Entry("It was so.", "Осылай болды деп ол айтты.", "kk"), detect=detect) == []


def test_kazakh_in_russian_and_wrong_script():
    source = "The meeting took place in a warm atmosphere."
    assert ids(script.check(Entry(source, "Кездесу жылы жағдайда өтті, бәрі қуанды.", "ru"))) == ["script"]
    assert ids(script.check(Entry(source, "Встреча прошла в тёплой атмосфере.", "ar"))) == ["script"]
    assert script.check(Entry(source, "جرى اللقاء في أجواء دافئة.", "ar")) == []
    # a Kazakh name in a Russian sentence is not Kazakh text
    assert script.check(Entry(source, "Встреча в Қазақстане прошла в тёплой атмосфере.", "ru")) == []


def test_english_left_untranslated_but_names_may_stay():
    source = "The minister said that the talks were useful for both sides."
    hit = script.check(Entry(source, "Министр сказал, that the talks were useful for both sides.", "ru"))
    assert ids(hit) == ["english"]
    assert ids(script.check(Entry(source, source, "ar"))) == ["english"]
    # title-case names and do-not-translate terms are not English left in
    assert script.check(Entry("The Power of Nutrition fund.", "Фонд The Power of Nutrition.", "ru")) == []
    assert script.check(Entry("Talks at the Astana Hub of the city.", "Переговоры в Astana Hub of the city.", "ru"),
                        kept=["Astana Hub of the city"]) == []


# ---------------------------------------------------------------- punctuation

def test_arabic_punctuation():
    source = "Why, he asked, did they come?"
    hit = punctuation.check(Entry(source, "لماذا, سأل, جاؤوا?", "ar"))
    assert ids(hit) == ["punctuation"] and "،" in hit[0].message and "؟" in hit[0].message
    assert punctuation.check(Entry(source, "لماذا، سأل، جاؤوا؟", "ar")) == []
    # a decimal comma between digits and a Latin name's own comma are not Arabic punctuation
    assert punctuation.check(Entry("It rose 3,5 points.", "ارتفع 3,5 نقطة.", "ar")) == []


def test_russian_quotes_space_and_final_punctuation():
    source = 'He called it "a good start."'
    assert ids(punctuation.check(Entry(source, 'Он назвал это "хорошим началом".', "ru"))) == ["punctuation"]
    assert punctuation.check(Entry(source, "Он назвал это «хорошим началом».", "ru")) == []
    spaced = punctuation.check(Entry("They met, and talked.", "Олар кездесті , сөйлесті.", "kk"))
    assert ids(spaced) == ["punctuation"] and "space before ," in spaced[0].message
    question = punctuation.check(Entry("Will they come?", "Они придут.", "ru"))
    assert ids(question) == ["punctuation"] and "question" in question[0].message
    assert punctuation.check(Entry("Will they come?", "Они придут?", "ru")) == []
    assert punctuation.check(Entry("Will they come?", "هل سيأتون؟", "ar")) == []
    # Arabic references often drop the final full stop: not flagged; Kazakh may quote with “…“
    assert punctuation.check(Entry("They came.", "جاؤوا", "ar")) == []
    assert punctuation.check(Entry('He said "yes".', "Ол “иә“ деді.", "kk")) == []


def test_unbalanced_quotes_and_brackets():
    source = "The council (founded in 2014) met."
    hit = punctuation.check(Entry(source, "Совет (основан в 2014 году встретился.", "ru"))
    assert ids(hit) == ["brackets"] and hit[0].severity == ""
    assert ids(punctuation.check(Entry('He said "yes".', "Он сказал «да.", "ru"))) == ["brackets"]
    assert punctuation.check(Entry(source, "Совет (основан в 2014 году) встретился.", "ru")) == []
    # a quotation that runs on from the previous sentence opens in the source too: not the translation's fault
    assert punctuation.check(Entry('"We will come.', "«Мы придём.", "ru")) == []


# ---------------------------------------------------------------- leftovers

def test_placeholders_left_in_any_damaged_shape():
    source = "The Grand Mufti met the Ambassador."
    for target in ("XT1 встретился с послом.", "Хт 2-ның кездесуі.", "التقى وXT1 بالسفير."):
        assert ids(leftovers.check(Entry(source, target, "ru"))) == ["placeholders"], target
    # a real code from the source (a flight MH17, or an XT5 in the English) is no placeholder
    assert leftovers.check(Entry("The XT5 model and MH17.", "Модель XT5 и MH17.", "ru")) == []


def test_markup_and_link_targets():
    source = "Read the [statement](https://example.org/a) in <b>full</b>."
    good = "Читайте [заявление](https://example.org/a) <b>полностью</b>."
    assert leftovers.check(Entry(source, good, "ru")) == []
    changed = leftovers.check(Entry(source, "Читайте [заявление](https://example.org/b) <b>полностью</b>.", "ru"))
    assert ids(changed) == ["markup"] and "https://example.org/a" in changed[0].message
    assert ids(leftovers.check(Entry(source, "Читайте [заявление](https://example.org/a) полностью.", "ru"))) \
        == ["markup"]


# ---------------------------------------------------------------- length

def test_length_ratio_bounds():
    source = "The Grand Mufti received the Ambassador of Egypt to discuss interfaith dialogue and education."
    assert length.check(Entry(source, "Верховный муфтий принял посла Египта, чтобы обсудить межрелигиозный "
                                      "диалог и образование.", "ru")) == []
    short = length.check(Entry(source, "Муфтий принял посла.", "ru"))
    assert ids(short) == ["length"] and short[0].severity == "error"
    long = length.check(Entry(source, "Верховный муфтий принял посла Египта. " * 5, "ru"))
    assert ids(long) == ["length"] and long[0].severity == ""


# ---------------------------------------------------------------- consistency and silencing

def test_memory_consistency_both_ways():
    entries = [Entry("They met.", "Они встретились.", "ru", "a.po", 3),
               Entry("They met.", "Они увиделись.", "ru", "b.po", 5),
               Entry("They talked.", "Они встретились.", "ru", "c.po", 9),
               Entry("They met.", "Кездесті.", "kk", "a.po", 3)]
    problems, silenced = check_entries(entries, detect=None)
    flagged = sorted((p.catalog, p.lang) for p in problems if p.check == "consistency")
    assert flagged == [("a.po", "ru"), ("a.po", "ru"), ("b.po", "ru"), ("c.po", "ru")]
    assert silenced == 0
    same = [Entry("They met.", "Они встретились.", "ru", "a.po", 3), Entry("They met.", "Они встретились.", "ru",
                                                                            "b.po", 3)]
    assert check_entries(same, detect=None) == ([], 0)


def test_ignore_flag_silences_one_check_on_one_entry_and_is_counted():
    bad = Entry("Leaders from 20 countries came.", "Приехали лидеры из многих стран.", "ru", flags=("ignore-numbers",))
    problems, silenced = check_entries([bad], detect=None)
    assert problems == [] and silenced == 1
    problems, silenced = check_entries([Entry(bad.msgid, bad.msgstr, "ru")], detect=None)
    assert [p.check for p in problems] == ["numbers"] and silenced == 0
    # Weblate's own flag names work too
    assert Entry("a", "b", "ru", flags=("ignore-end-stop", "ignore-same")).silenced() == {"punctuation", "english"}


def test_every_check_has_an_id_severity_and_summary():
    assert set(CHECKS) == {"terms", "names", "numbers", "script", "english", "punctuation", "brackets",
                           "placeholders", "markup", "length", "consistency"}
    assert all(c.severity in ("error", "warning") and c.summary for c in CHECKS.values())


def test_a_good_entry_passes_every_check(gloss, detect):
    source = "On Sept. 15, 2026 the Spiritual Administration of Muslims of Kazakhstan met 20 imams in Astana."
    target = ("15 сентября 2026 года Духовное управление мусульман Казахстана провело встречу с 20 имамами "
              "в Астане.")
    assert entry_findings(Entry(source, target, "ru"), gloss.find(source), detect) == []


# ---------------------------------------------------------------- the command

ARTICLE = """Grand Mufti meets the ambassador

The Grand Mufti met the Ambassador of Egypt on Monday.
Leaders from 20 countries attended the meeting.
The meeting took place in a warm and friendly atmosphere.
"""


def invoke(*args: str):
    return runner.invoke(cli.app, list(args), catch_exceptions=False)


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    root = make_workspace(tmp_path, {"a.txt": ARTICLE})
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "no-packages"))
    assert invoke("run", "--root", str(root), "--langs", "ru", "--no-publish").exit_code == 0
    return root


def approve(path: Path, translations: dict[str, str], flags: dict[str, list[str]] | None = None) -> None:
    po = polib.pofile(str(path))
    for entry in po:
        if entry.msgid in translations:
            entry.msgstr = translations[entry.msgid]
            entry.flags = [f for f in entry.flags if f != "fuzzy"] + (flags or {}).get(entry.msgid, [])
    po.save(str(path))


def test_check_command_json_exit_code_and_silencing_survives_a_run(workspace):
    path = catalog_path(workspace, "ru", "a")
    approve(path, {"Leaders from 20 countries attended the meeting.": "На встрече были лидеры многих стран.",
                   "The meeting took place in a warm and friendly atmosphere.":
                       "Встреча прошла в тёплой и дружеской атмосфере."})
    result = invoke("check", "--root", str(workspace), "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    problem = data["problems"][0]
    assert problem == {"catalog": "locales/ru/LC_MESSAGES/a.po", "line": problem["line"], "lang": "ru",
                       "msgid": "Leaders from 20 countries attended the meeting.", "check": "numbers",
                       "severity": "error", "message": problem["message"]}
    assert "20" in problem["message"] and problem["line"] > 1
    assert data["counts"]["error"] == 1 and data["counts"]["entries"] == 2
    assert data["counts"]["by_catalog"]["locales/ru/LC_MESSAGES/a.po"]["error"] == 1

    approve(path, {"Leaders from 20 countries attended the meeting.": "На встрече были лидеры многих стран."},
            {"Leaders from 20 countries attended the meeting.": ["ignore-numbers"]})
    assert invoke("run", "--root", str(workspace), "--langs", "ru", "--no-publish").exit_code == 0
    assert "ignore-numbers" in next(e for e in polib.pofile(str(path)) if e.msgid.startswith("Leaders")).flags
    result = invoke("check", "--root", str(workspace), "--json")
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout)["counts"]["silenced"] == 1
    text = invoke("check", "--root", str(workspace))
    assert "0 errors" in text.stdout and "1 silenced" in text.stdout


def test_check_only_fuzzy_and_usage_errors(workspace, tmp_path):
    path = catalog_path(workspace, "ru", "a")
    po = polib.pofile(str(path))
    for entry in po:
        if entry.msgid.startswith("Leaders"):
            entry.msgstr = "На встрече присутствовали лидеры из 21 страны."
            entry.flags = ["fuzzy"]
    po.save(str(path))
    assert invoke("check", "--root", str(workspace)).exit_code == 0  # approved only: nothing approved yet
    fuzzy = invoke("check", "--root", str(workspace), "--only", "fuzzy", "--json")
    assert fuzzy.exit_code == 1
    assert [p["check"] for p in json.loads(fuzzy.stdout)["problems"]] == ["numbers"]
    assert invoke("check", "--root", str(workspace), "--only", "some").exit_code == 2
    assert invoke("check", "--root", str(workspace), "--langs", "de").exit_code == 2
    assert invoke("check", "--root", str(tmp_path / "nowhere")).exit_code == 2


def test_check_reports_a_broken_catalog_and_checks_the_others(workspace):
    broken = catalog_path(workspace, "kk", "b")
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text('msgid "x"\nmsgstr "unterminated\n', encoding="utf-8")
    result = invoke("check", "--root", str(workspace), "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["unreadable"] and "b.po:2" in data["unreadable"][0]
    assert data["counts"]["catalogs"] == 1  # the Russian one was still checked


def test_parallel_check_gives_the_serial_report(workspace):
    from pipeline.qa import check_workspace

    path = catalog_path(workspace, "ru", "a")
    approve(path, {"Leaders from 20 countries attended the meeting.": "На встрече были лидеры многих стран.",
                   "The meeting took place in a warm and friendly atmosphere.": "Встреча прошла тепло ."})
    for n in range(3):  # more catalogs, one of them with the same source translated differently
        copy = catalog_path(workspace, "ru", f"copy{n}")
        copy.write_text(path.read_text(encoding="utf-8").replace("тепло .", f"тепло {n}."), encoding="utf-8")
    serial = check_workspace(workspace, ["ru"], "all", workers=1, detect=False)
    parallel = check_workspace(workspace, ["ru"], "all", workers=2, detect=False)
    assert serial.as_dict() == parallel.as_dict()
    assert {p.check for p in serial.problems} >= {"numbers", "consistency", "punctuation"}


def test_status_and_run_count_problems_per_catalog(workspace):
    path = catalog_path(workspace, "ru", "a")
    approve(path, {"Leaders from 20 countries attended the meeting.": "На встрече были лидеры многих стран."})
    status = invoke("status", "--root", str(workspace), "--json")
    assert status.exit_code == 0
    row = next(r for r in json.loads(status.stdout)["catalogs"] if r["lang"] == "ru" and r["article"] == "a")
    assert row["problems"] == {"error": 1, "warning": 0}
    assert "errors" in invoke("status", "--root", str(workspace)).stdout
    run = invoke("run", "--root", str(workspace), "--langs", "ru", "--no-publish", "--json")
    assert run.exit_code == 0
    row = next(r for r in json.loads(run.stdout)["catalogs"] if r["lang"] == "ru")
    assert row["problems"] == {"error": 1, "warning": 0}


def test_publish_strict_refuses_entries_with_errors(workspace):
    path = catalog_path(workspace, "ru", "a")
    approve(path, {"Grand Mufti meets the ambassador": "Верховный муфтий встречается с послом",
                   "The Grand Mufti met the Ambassador of Egypt on Monday.":
                       "В понедельник Верховный муфтий встретился с Послом Египта.",
                   "Leaders from 20 countries attended the meeting.": "На встрече были лидеры многих стран.",
                   "The meeting took place in a warm and friendly atmosphere.":
                       "Встреча прошла в тёплой и дружеской атмосфере."})
    loose = json.loads(invoke("publish", "--root", str(workspace), "--langs", "ru", "--json").stdout)
    assert loose[0]["published"] and loose[0]["refused"] == 0
    result = invoke("publish", "--root", str(workspace), "--langs", "ru", "--strict", "--json")
    assert result.exit_code == 0
    strict = json.loads(result.stdout)[0]
    assert not strict["published"] and strict["refused"] == 1 and "review-check errors" in strict["reason"]
    assert not (workspace / "published" / "ru" / "a.html").exists()  # the earlier page is withdrawn
    partial = json.loads(invoke("publish", "--root", str(workspace), "--langs", "ru", "--strict",
                                "--min-complete", "50", "--json").stdout)[0]
    assert partial["published"] and partial["refused"] == 1 and partial["fallbacks"] == 1
    html = (workspace / "published" / "ru" / "a.html").read_text(encoding="utf-8")
    assert "лидеры многих стран" not in html and "Leaders from 20 countries" in html


def test_terms_accept_the_forms_the_term_forms_stage_makes():
    from pipeline.concepts import Concept
    from pipeline.forms import Forms

    concept = Concept("elbasy", "title", "Leader of the Nation", targets={"ru": "Елбасы"},
                      extra={"ru_forms": "dat=Лидеру нации"})
    found = Glossary([concept]).find("A letter to the Leader of the Nation.")
    entry = Entry("A letter to the Leader of the Nation.", "Письмо Лидеру нации.", "ru")
    assert ids(terms.check(entry, found)) == ["terms"]  # the stem rule alone does not know the curated form
    assert terms.check(entry, found, Forms()) == []
    assert ids(terms.check(Entry(entry.msgid, "Письмо президенту.", "ru"), found, Forms())) == ["terms"]


def test_check_text_output_names_the_check(workspace):
    approve(catalog_path(workspace, "ru", "a"),
            {"Leaders from 20 countries attended the meeting.": "На встрече были лидеры многих стран."})
    result = invoke("check", "--root", str(workspace))
    assert result.exit_code == 1
    assert "locales/ru/LC_MESSAGES/a.po:" in result.stdout and "error [numbers] 20 of the source" in result.stdout
    assert "1 error, 0 warnings in 1 approved entry of 1 catalog" in result.stdout
