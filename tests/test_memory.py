"""The translation memory: exact and fuzzy reuse, harvest, TMX exchange, the `pipeline tm` commands."""

from __future__ import annotations

import csv
import json
import os
import random
import sqlite3
from pathlib import Path
from xml.sax.saxutils import escape

import polib
import pytest
from translate.search import lshtein, match
from translate.storage import po, tmx
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.memory import (
    APPROVED,
    MACHINE,
    STATUSES,
    Memory,
    MemoryImportError,
    SQLiteStore,
    TmxError,
    Unit,
    default_path,
    lang_code,
    normalise,
    plural_target,
    similarity,
)
from pipeline.memory_pg import PostgresStore

SENTENCE = "The Spiritual Administration of Muslims of Kazakhstan met the ambassador in Astana on Monday."
CHANGED = "The Spiritual Administration of Muslims of Kazakhstan met the ambassadors in Almaty on Tuesday."
RU = "Духовное управление мусульман Казахстана встретилось с послом в Астане в понедельник."


def tt_score(a: str, b: str) -> float:
    """translate-toolkit's own figure for the pair, as pot2po computes it."""
    return lshtein.LevenshteinComparer(1000).similarity(a, b, 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def open_memory(request, tmp_path):
    """Factory: a new, empty memory on the store under test (every memory test runs against both)."""
    def make(name: str = "memory") -> Memory:
        if request.param == "sqlite":
            return Memory.open(tmp_path / "ws" / ".pipeline" / f"{name}.sqlite")
        return Memory.open(request.getfixturevalue("postgres_database")())

    make.backend = request.param
    return make


@pytest.fixture
def memory(open_memory):
    with open_memory() as m:
        yield m


def ntrex(shared: Path, count: int) -> list[dict[str, str]]:
    with open(shared / "ntrex128" / "ntrex128_eng_kaz_rus_arb.tsv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [{"en": r["eng"], "kk": r["kaz"], "ru": r["rus"], "ar": r["arb"]} for r in rows[:count]]


def write_catalog(path: Path, entries: str, language: str | None = "ru") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
    if language:
        header += f'"Language: {language}\\n"\n'
    path.write_text(header + "\n" + entries, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------ scores and lookup


@pytest.mark.parametrize("a, b", [
    (SENTENCE, CHANGED),
    ("kitten", "sitting"),
    ("The mufti spoke.", "The muftis spoke!"),
    ("Congress of Leaders of World and Traditional Religions", "Congress of leaders of world religions"),
])
def test_similarity_is_translate_toolkits_figure(a, b):
    assert similarity(a, b) == tt_score(a, b)


def test_exact_match_comes_first_with_score_100(memory):
    memory.add([Unit("en", "ru", SENTENCE, RU, origin="locales/ru/LC_MESSAGES/a.po"),
                Unit("en", "ru", CHANGED, "другое", origin="x.po")])
    found = memory.lookup(SENTENCE, "ru")
    assert (found[0].target, found[0].score, found[0].origin) == (RU, 100, "locales/ru/LC_MESSAGES/a.po")
    assert found[1].target == "другое" and found[1].score == tt_score(SENTENCE, CHANGED)
    # normalised lookup: NFC and collapsed whitespace still count as exact
    assert memory.exact("  The Spiritual  Administration of Muslims of Kazakhstan met the ambassador in "
                        "Astana\non Monday.", "ru").target == RU


def test_slightly_changed_sentence_is_a_fuzzy_suggestion_with_its_score(memory):
    memory.add([Unit("en", "ru", SENTENCE, RU)])
    (m,) = memory.lookup(CHANGED, "ru")
    assert m.source == SENTENCE and m.target == RU
    assert m.score == tt_score(CHANGED, SENTENCE) and 75 <= m.score < 100
    assert memory.exact(CHANGED, "ru") is None


def test_threshold_is_configurable(memory):
    memory.add([Unit("en", "ru", "The mufti visited the mosque.", "Муфтий посетил мечеть.")])
    query = "The mufti visited a new mosque."
    score = tt_score(query, "The mufti visited the mosque.")
    assert 75 < score < 90
    assert [m.score for m in memory.lookup(query, "ru")] == [score]
    assert memory.lookup(query, "ru", min_score=90) == []
    assert memory.lookup("The minister opened the congress.", "ru") == []
    assert memory.lookup("The minister opened the congress.", "ru", min_score=20)  # far, but above 20


def test_lookup_keeps_languages_and_limit_apart(memory):
    memory.add([Unit("en", "ru", SENTENCE, RU), Unit("en", "kk", SENTENCE, "Қазақша аударма.")])
    assert [m.target for m in memory.lookup(SENTENCE, "kk")] == ["Қазақша аударма."]
    assert memory.lookup(SENTENCE, "ar") == []
    assert memory.lookup(SENTENCE, "ru", source_lang="kk") == []
    memory.add([Unit("en", "ru", f"{SENTENCE[:-1]} number {i}.", f"перевод {i}") for i in range(8)])
    assert len(memory.lookup(SENTENCE, "ru", limit=3)) == 3
    scores = [m.score for m in memory.lookup(SENTENCE, "ru", limit=10)]
    assert scores == sorted(scores, reverse=True) and scores[0] == 100


def test_machine_drafts_are_not_reused_unless_asked_and_never_override_approval(memory):
    draft = Unit("en", "ru", SENTENCE, "машинный перевод", status=MACHINE, origin="argos 1.9")
    assert memory.add([draft]) == 1
    assert memory.lookup(SENTENCE, "ru") == []
    (draft,) = memory.lookup(SENTENCE, "ru", include_machine=True)
    assert draft.status == MACHINE and draft.origin == "argos 1.9"
    # a human approves the same text: the unit becomes approved
    assert memory.add([Unit("en", "ru", SENTENCE, "машинный перевод", origin="a.po")]) == 1
    assert memory.lookup(SENTENCE, "ru")[0].status == APPROVED
    # the machine producing it again does not downgrade it
    assert memory.add([Unit("en", "ru", SENTENCE, "машинный перевод", status=MACHINE)]) == 0
    assert memory.exact(SENTENCE, "ru").status == APPROVED
    assert memory.stats().units == 1


def test_units_are_keyed_by_normalised_source_and_target(memory):
    assert memory.add([Unit("en", "ru", SENTENCE, RU)]) == 1
    assert memory.add([Unit("en", "ru", "  " + SENTENCE.replace(" ", "   "), RU)]) == 0
    assert memory.add([Unit("en", "ru-RU", SENTENCE, RU)]) == 0  # ru_RU, ru-RU and ru are one language
    assert memory.add([Unit("en", "ru", SENTENCE, RU + " ")]) == 1  # another target is another unit
    stats = memory.stats()
    assert (stats.units, stats.sources) == (2, 1)
    with pytest.raises(ValueError, match="status"):
        memory.add([Unit("en", "ru", SENTENCE, RU, status="reviewed")])


def test_lang_code_and_normalise():
    assert [lang_code(t) for t in ("ru_RU.UTF-8", "kk-KZ", "AR", "en-US", "zh_TW", "pt-br")] == \
        ["ru", "kk", "ar", "en", "zh-TW", "pt-BR"]
    assert normalise(" A\u00a0 b\t\nc ") == "A b c"
    assert normalise("e\u0301") == "\u00e9"


def test_indexed_lookup_agrees_with_translate_toolkit(shared, open_memory, monkeypatch):
    """Through the trigram index (not a full scan), the best match is translate-toolkit's best match."""
    monkeypatch.setattr(SQLiteStore, "SCAN_LIMIT", 0)
    monkeypatch.setattr(PostgresStore, "SCAN_LIMIT", 0)
    rows = ntrex(shared, 1000)
    rng = random.Random(5)
    store = po.pofile()
    with open_memory() as memory:
        memory.add([Unit("en", "ru", r["en"], r["ru"]) for r in rows])
        for r in rows:
            store.addsourceunit(r["en"]).target = r["ru"]
        tt = match.matcher(store, max_candidates=1, min_similarity=75, max_length=1000)
        queries = []
        for r in rng.sample(rows, 30):
            words = r["en"].split()
            i = rng.randrange(len(words))
            queries.append(" ".join(words[:i] + ["new"] + words[i + 1:]))
        queries += [r["en"] for r in rows[990:]]
        agreed = 0
        for q in queries:
            ours = memory.lookup(q, "ru", limit=1)
            theirs = tt.matches(q)
            assert bool(ours) == bool(theirs), q
            if ours:
                assert ours[0].score == pytest.approx(float(theirs[0].getnotes().rstrip("%")), abs=1e-9)
                agreed += ours[0].source == theirs[0].source
        assert agreed >= len(queries) - 1  # equal scores may tie between two sources


# ------------------------------------------------------------------------------------------ harvest


ENTRIES = """\
msgid "The mufti met the ambassador in Astana."
msgstr "Муфтий встретился с послом в Астане."

#, fuzzy
msgid "The congress opened on Monday."
msgstr "Съезд открылся в понедельник."

msgid "Nobody translated this one."
msgstr ""

msgctxt "repeat"
msgid "The ministry welcomed the delegation."
msgstr "Министерство приветствовало делегацию."

msgid "One religion"
msgid_plural "%d religions"
msgstr[0] "%d религия"
msgstr[1] "%d религии"
msgstr[2] "%d религий"

#~ msgid "An obsolete sentence."
#~ msgstr "Устаревшее предложение."
"""


def test_harvest_takes_approved_entries_only(tmp_path, memory):
    root = tmp_path / "ws"
    write_catalog(root / "locales" / "ru" / "LC_MESSAGES" / "article.po", ENTRIES)
    assert memory.import_catalogs(root / "locales", origin_root=root) == 3
    units = {(u.source, u.target, u.target_lang, u.origin, u.context, u.plural)
             for u in memory.store.iter_units(None, None, (APPROVED, MACHINE))}
    assert units == {
        ("The mufti met the ambassador in Astana.", "Муфтий встретился с послом в Астане.", "ru",
         "locales/ru/LC_MESSAGES/article.po", "", ""),
        ("The ministry welcomed the delegation.", "Министерство приветствовало делегацию.", "ru",
         "locales/ru/LC_MESSAGES/article.po", "repeat", ""),
        ("One religion", '{"one": "%d религия", "few": "%d религии", "many": "%d религий"}', "ru",
         "locales/ru/LC_MESSAGES/article.po", "", "%d religions"),
    }
    for skipped in ("The congress opened on Monday.", "Nobody translated this one.", "An obsolete sentence."):
        assert memory.lookup(skipped, "ru", min_score=100) == []
    assert memory.import_catalogs(root / "locales") == 0  # nothing new the second time
    assert memory.import_catalogs(root / "missing") == 0


def test_target_language_from_header_else_from_path(tmp_path, memory):
    write_catalog(tmp_path / "anywhere" / "x.po", 'msgid "Hello."\nmsgstr "Сәлем."\n', language="kk_KZ")
    write_catalog(tmp_path / "locales" / "ar" / "LC_MESSAGES" / "y.po", 'msgid "Hello."\nmsgstr "مرحبا."\n',
                  language=None)
    assert memory.import_catalogs(tmp_path) == 2
    assert memory.exact("Hello.", "kk").target == "Сәлем."
    assert memory.exact("Hello.", "ar").target == "مرحبا."
    write_catalog(tmp_path / "bad" / "z.po", 'msgid "Hi."\nmsgstr "Привет."\n', language=None)
    write_catalog(tmp_path / "anywhere" / "new.po", 'msgid "Bye."\nmsgstr "Сау болыңыз."\n', language="kk")
    with pytest.raises(MemoryImportError, match="Language") as err:
        memory.import_catalogs(tmp_path)  # anywhere/new.po comes first, then bad/z.po fails
    assert err.value.path.name == "z.po"
    assert memory.stats().units == 2  # the failed import kept nothing, lost nothing
    assert memory.exact("Bye.", "kk") is None


@pytest.mark.parametrize("team, lang", [("Russian <ru@li.org>", "ru"), ("Қазақша", "kk"), ("<ar@li.org>", "ar"),
                                        ("Kazakh", "kk")])
def test_target_language_from_language_team_when_the_language_header_is_missing(tmp_path, memory, team, lang):
    path = tmp_path / "anywhere" / "x.po"
    write_catalog(path, 'msgid "Hello."\nmsgstr "Hi."\n', language=None)
    text = path.read_text(encoding="utf-8").replace('charset=UTF-8\\n"\n',
                                                    f'charset=UTF-8\\n"\n"Language-Team: {team}\\n"\n')
    path.write_text(text, encoding="utf-8")
    assert memory.import_catalogs(tmp_path) == 1
    assert memory.exact("Hello.", lang).target == "Hi."


def test_a_template_language_team_names_no_language(tmp_path, memory):
    path = tmp_path / "anywhere" / "x.po"
    write_catalog(path, 'msgid "Hello."\nmsgstr "Hi."\n', language=None)
    text = path.read_text(encoding="utf-8").replace('charset=UTF-8\\n"\n',
                                                    'charset=UTF-8\\n"\n"Language-Team: LANGUAGE <LL@li.org>\\n"\n')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MemoryImportError, match="Language-Team 'LANGUAGE <LL@li.org>' names no language"):
        memory.import_catalogs(tmp_path)


def test_malformed_catalog_fails_with_its_line_and_keeps_nothing(tmp_path, memory):
    locales = tmp_path / "locales"
    write_catalog(locales / "kk" / "LC_MESSAGES" / "a.po", 'msgid "Hello."\nmsgstr "Сәлем."\n')
    bad = write_catalog(locales / "ru" / "LC_MESSAGES" / "b.po",
                        'msgid "Hello."\nmsgstr "Привет."\nfoo bar\n')
    with pytest.raises(MemoryImportError) as err:
        memory.import_catalogs(locales)
    assert err.value.path == bad and err.value.line == 8 and "b.po:8:" in str(err.value)
    assert memory.stats().units == 0  # a.po, read before the error, was rolled back


def test_unterminated_string_is_an_error_not_a_truncated_unit(tmp_path, memory):
    """polib alone would store "Привет" cut short; the strict catalog reader refuses the file instead."""
    bad = write_catalog(tmp_path / "locales" / "ru" / "LC_MESSAGES" / "b.po",
                        'msgid "Hello."\nmsgstr "Привет, broken <b\n')
    with pytest.raises(MemoryImportError) as err:
        memory.import_catalogs(tmp_path / "locales")
    assert err.value.path == bad and err.value.line > 0
    assert memory.stats().units == 0


def test_reviewed_catalog_edit_is_reused_exactly(tmp_path, memory):
    catalog = write_catalog(tmp_path / "locales" / "ru" / "LC_MESSAGES" / "a.po",
                            f'msgid "{SENTENCE}"\nmsgstr "{RU}"\n')
    memory.import_catalogs(tmp_path / "locales")
    edited = "Духовное управление мусульман Казахстана приняло посла в Астане в понедельник."
    entry_catalog = polib.pofile(str(catalog))
    entry_catalog.find(SENTENCE).msgstr = edited
    entry_catalog.save()
    assert memory.import_catalogs(tmp_path / "locales") == 1
    best = memory.lookup(SENTENCE, "ru")[0]
    assert (best.target, best.score) == (edited, 100)
    # the translator goes back to the first wording: that is what comes first again
    entry_catalog.find(SENTENCE).msgstr = RU
    entry_catalog.save()
    memory.import_catalogs(tmp_path / "locales")
    assert memory.exact(SENTENCE, "ru").target == RU


# ------------------------------------------------------------------------------------------ TMX


def ntrex_tmx(rows: list[dict[str, str]]) -> str:
    """A multilingual TMX 1.4b as other tools write it: one <tu> per sentence, four <tuv>s."""
    tus = "".join(
        "<tu>" + "".join(f'<tuv xml:lang="{lang}"><seg>{escape(r[key])}</seg></tuv>'
                         for lang, key in (("en-US", "en"), ("kk-KZ", "kk"), ("ru-RU", "ru"), ("ar", "ar")))
        + "</tu>\n" for r in rows)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE tmx SYSTEM "tmx14.dtd">\n<tmx version="1.4">\n'
            '<header creationtool="test" creationtoolversion="1" segtype="sentence" o-tmf="none" '
            'adminlang="en" srclang="en-US" datatype="plaintext"/>\n<body>\n' + tus + "</body>\n</tmx>\n")


def test_ntrex_imported_as_tmx_round_trips(shared, tmp_path, open_memory):
    rows = ntrex(shared, 2000)  # all of NTREX: some Arabic targets are not NFC and must stay as written
    source = tmp_path / "ntrex.tmx"
    source.write_text(ntrex_tmx(rows), encoding="utf-8")
    expected = {(lang, r["en"].strip(), r[lang]) for r in rows for lang in ("kk", "ru", "ar")}
    with open_memory("a") as first:
        assert first.import_tmx(source) == len(expected)
        assert first.exact(rows[7]["en"], "kk").target == rows[7]["kk"]
        exported = tmp_path / "export.tmx"
        assert first.export_tmx(exported) == len(expected)
    with open_memory("b") as second:
        assert second.import_tmx(exported) == len(expected)
        units = list(second.store.iter_units("en", None, (APPROVED, MACHINE)))
    assert {(u.target_lang, u.source, u.target) for u in units} == expected
    assert {u.origin for u in units} == {"ntrex.tmx"} or all(u.origin.endswith("ntrex.tmx") for u in units)

    # translate-toolkit reads our export: header attributes, and every pair (what tmx2po turns into a catalog)
    store = tmx.tmxfile(exported.open("rb"))
    header = store.document.getroot().find("header")
    for attr in ("creationtool", "creationtoolversion", "segtype", "o-tmf", "adminlang", "srclang",
                 "datatype"):
        assert header.get(attr), attr
    assert header.get("srclang") == "en"
    ru = {(u.source, u.target) for u in store.units if u.gettarget("ru")}
    assert ru == {(s, t) for lang, s, t in expected if lang == "ru"}
    catalog = po.pofile()
    for u in tmx.tmxfile(exported.open("rb"), targetlanguage="ar").units:
        if u.gettarget("ar"):
            catalog.addsourceunit(u.source).target = u.gettarget("ar")
    parsed = polib.pofile(bytes(catalog).decode("utf-8"))
    assert {(e.msgid, e.msgstr) for e in parsed if e.msgid} == \
        {(s, t) for lang, s, t in expected if lang == "ar"}


def test_tmx_written_by_translate_toolkit_imports(tmp_path, memory):
    """What po2tmx writes (translate-toolkit's tmxfile.addtranslation) comes in with its languages."""
    store = tmx.tmxfile()
    store.addtranslation(SENTENCE, "en", RU, "ru")
    store.addtranslation("The mufti spoke.", "en", "Муфтий выступил.", "ru", comment="a note")
    path = tmp_path / "tt.tmx"
    path.write_bytes(bytes(store))
    assert memory.import_tmx(path) == 2
    assert memory.exact(SENTENCE, "ru").target == RU
    assert memory.lookup("The mufti spoke!", "ru")[0].target == "Муфтий выступил."


def test_export_keeps_status_dates_and_awkward_text(tmp_path, memory):
    memory.add([Unit("en", "ru", "Tags <b>&amp; \"quotes\"", "Теги <b>&amp; «кавычки»", origin="a.po"),
                Unit("en", "ru", "Line one\r\nline two", "Строка\r\nвторая", status=MACHINE, origin="argos")])
    out = tmp_path / "out.tmx"
    assert memory.export_tmx(out) == 1  # machine drafts stay home by default
    assert memory.export_tmx(out, include_machine=True) == 2
    with Memory.open(tmp_path / "copy.sqlite") as copy:
        copy.import_tmx(out)
        original = {(u.source, u.target, u.status, u.origin, u.created[:19])
                    for u in memory.store.iter_units(None, None, (APPROVED, MACHINE))}
        again = {(u.source, u.target, u.status, u.origin, u.created[:19])
                 for u in copy.store.iter_units(None, None, (APPROVED, MACHINE))}
    assert again == original


def test_malformed_tmx_fails_with_its_line_and_loses_nothing(shared, tmp_path, memory, monkeypatch):
    monkeypatch.setattr(Memory, "TMX_BATCH", 2)  # good units reach the database before the error
    memory.add([Unit("en", "ru", SENTENCE, RU)])
    good = ntrex_tmx(ntrex(shared, 5)).splitlines()
    body_end = good.index("</body>")
    lines = good[:body_end] + ['<tu><tuv xml:lang="en"><seg>broken</tuv></tu>'] + good[body_end:]
    bad = tmp_path / "bad.tmx"
    bad.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(TmxError) as err:
        memory.import_tmx(bad)
    assert err.value.line == body_end + 1 and err.value.path == bad
    assert f"bad.tmx:{body_end + 1}:" in str(err.value)
    stats = memory.stats()
    assert (stats.units, stats.sources) == (1, 1)  # the five good units before the error were not kept
    assert memory.exact(SENTENCE, "ru").target == RU


@pytest.mark.parametrize("text, message", [
    ('<?xml version="1.0"?>\n<xliff>\n</xliff>', "not a TMX file"),
    ('<?xml version="1.0"?>\n<!DOCTYPE tmx [<!ENTITY a "aaaa">]>\n<tmx>&a;</tmx>', "refused"),
    ('<?xml version="1.0"?>\n<tmx version="1.4"><body>\n<tu><tuv><seg>x</seg></tuv></tu></body></tmx>',
     "xml:lang"),
])
def test_other_bad_tmx_files_are_refused_clearly(tmp_path, memory, text, message):
    bad = tmp_path / "bad.tmx"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(TmxError, match=message) as err:
        memory.import_tmx(bad)
    assert err.value.line >= 1


# ------------------------------------------------------------------------------------------ CLI


def test_cli_import_lookup_stats_export(tmp_path, shared):
    runner = CliRunner()
    root = tmp_path / "ws"
    write_catalog(root / "locales" / "ru" / "LC_MESSAGES" / "article.po", ENTRIES)
    (root / "tm").mkdir()
    (root / "tm" / "ntrex.tmx").write_text(ntrex_tmx(ntrex(shared, 20)), encoding="utf-8")

    result = runner.invoke(app, ["tm", "lookup", "x", "--lang", "ru", "--root", str(root)])
    assert result.exit_code == 1 and "tm import" in result.output

    result = runner.invoke(app, ["tm", "import", str(root / "locales"), str(root / "tm"), "--root", str(root),
                                 "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["files"], report["added"]) == (2, 3 + 60)  # 2 sentences and a plural entry
    assert default_path(root).exists()

    result = runner.invoke(app, ["tm", "lookup", "The mufti met the ambassadors in Astana.", "--lang", "ru",
                                 "--root", str(root), "--json"])
    assert result.exit_code == 0, result.output
    (found,) = json.loads(result.stdout)
    assert set(found) >= {"source", "target", "score", "origin"}
    assert found["target"] == "Муфтий встретился с послом в Астане."
    assert found["score"] == round(tt_score("The mufti met the ambassadors in Astana.",
                                            "The mufti met the ambassador in Astana."), 2)
    assert found["origin"] == "locales/ru/LC_MESSAGES/article.po"
    result = runner.invoke(app, ["tm", "lookup", "The mufti met the ambassadors in Astana.", "--lang", "ru",
                                 "--min-score", "99", "--root", str(root), "--json"])
    assert json.loads(result.stdout) == []
    result = runner.invoke(app, ["tm", "lookup", "The mufti met the ambassador in Astana.", "--lang", "ru",
                                 "--root", str(root)])
    assert result.exit_code == 0 and "100.00" in result.stdout

    result = runner.invoke(app, ["tm", "stats", "--root", str(root), "--json"])
    stats = json.loads(result.stdout)
    assert stats["units"] == stats["approved"] == 63
    assert {(p["target_lang"], p["approved"]) for p in stats["pairs"]} == {("ar", 20), ("kk", 20), ("ru", 23)}
    assert "en -> ru: 23 approved" in runner.invoke(app, ["tm", "stats", "--root", str(root)]).stdout

    out = tmp_path / "out.tmx"
    result = runner.invoke(app, ["tm", "export", "--format", "tmx", str(out), "--lang", "ru",
                                 "--root", str(root), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["units"] == 23
    assert len(tmx.tmxfile(out.open("rb")).units) == 23
    result = runner.invoke(app, ["tm", "export", "--format", "xliff", str(out), "--root", str(root)])
    assert result.exit_code != 0 and "tmx" in result.output


def test_cli_import_of_malformed_tmx_exits_non_zero_and_keeps_the_memory(tmp_path):
    runner = CliRunner()
    root = tmp_path / "ws"
    write_catalog(root / "locales" / "ru" / "LC_MESSAGES" / "a.po", ENTRIES)
    assert runner.invoke(app, ["tm", "import", str(root / "locales"), "--root", str(root)]).exit_code == 0
    bad = tmp_path / "bad.tmx"
    bad.write_text('<?xml version="1.0"?>\n<tmx version="1.4">\n<body>\n<tu>\n</body>', encoding="utf-8")
    result = runner.invoke(app, ["tm", "import", str(bad), "--root", str(root)])
    assert result.exit_code != 0
    assert "bad.tmx:5:" in result.output and "nothing was imported" in result.output
    result = runner.invoke(app, ["tm", "stats", "--root", str(root), "--json"])
    assert json.loads(result.stdout)["units"] == 3
    result = runner.invoke(app, ["tm", "import", str(tmp_path / "nope"), "--root", str(root)])
    assert result.exit_code != 0 and "no such file" in result.output


def test_harvesting_an_unchanged_catalog_again_changes_nothing(tmp_path, memory):
    catalog = write_catalog(tmp_path / "locales" / "ru" / "LC_MESSAGES" / "a.po",
                            f'msgid "{SENTENCE}"\nmsgstr "{RU}"\n')
    os.utime(catalog, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    memory.import_catalogs(tmp_path / "locales")
    first = memory.exact(SENTENCE, "ru")
    assert memory.import_catalogs(tmp_path / "locales") == 0
    assert memory.exact(SENTENCE, "ru").updated == first.updated == "2023-11-14T22:13:20.000000Z"

    other = write_catalog(tmp_path / "locales" / "ru" / "LC_MESSAGES" / "b.po",
                          f'msgid "{SENTENCE}"\nmsgstr "Исправленный перевод."\n')
    os.utime(other, ns=(1_800_000_000_000_000_000, 1_800_000_000_000_000_000))
    memory.import_catalogs(tmp_path / "locales")
    memory.import_catalogs(tmp_path / "locales")  # the older catalog harvested again does not become newer
    assert memory.exact(SENTENCE, "ru").target == "Исправленный перевод."


def test_a_catalog_rewritten_with_the_same_approval_does_not_overtake_a_newer_one(tmp_path, memory):
    """Runs rewrite catalogs (new mtime) that merely hold an old approval: it must not become the newest."""
    older = write_catalog(tmp_path / "locales" / "ru" / "LC_MESSAGES" / "a.po", f'msgid "{SENTENCE}"\nmsgstr "X"\n')
    os.utime(older, ns=(1_700_000_000_000_000_000,) * 2)
    memory.import_catalogs(tmp_path / "locales")
    newer = write_catalog(tmp_path / "locales" / "ru" / "LC_MESSAGES" / "b.po", f'msgid "{SENTENCE}"\nmsgstr "Y"\n')
    os.utime(newer, ns=(1_800_000_000_000_000_000,) * 2)
    memory.import_catalogs(tmp_path / "locales")
    assert memory.exact(SENTENCE, "ru").target == "Y"
    older.write_text(older.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # rewritten, same approval
    os.utime(older, ns=(1_900_000_000_000_000_000,) * 2)
    memory.import_catalogs(tmp_path / "locales")
    assert memory.exact(SENTENCE, "ru").target == "Y"


# ------------------------------------------------------------------------------------------ plurals and contexts

PLURAL_FORMS = {  # a plural entry's translations, in each language's standard gettext index order
    "kk": (("one", "other"), ("{n} мақала", "{n} мақалалар")),
    "ru": (("one", "few", "many"), ("{n} статья", "{n} статьи", "{n} статей")),
    "ar": (("zero", "one", "two", "few", "many", "other"),
           ("لا مقالات", "مقالة واحدة", "مقالتان", "{n} مقالات", "{n} مقالة", "{n} مقالةً")),
}


def plural_entry(forms, msgctxt: str | None = None, flags: str = "") -> str:
    lines = [f"#, {flags}"] if flags else []
    lines += [f'msgctxt "{msgctxt}"'] if msgctxt else []
    lines += ['msgid "{n} article"', 'msgid_plural "{n} articles"']
    lines += [f'msgstr[{i}] "{form}"' for i, form in enumerate(forms)]
    return "\n".join(lines) + "\n"


def with_plural_forms(path: Path, header: str) -> Path:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"Language:', f'"Plural-Forms: {header}\\n"\n"Language:', 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("lang", ["kk", "ru", "ar"])
def test_plural_entries_are_harvested_with_their_forms_by_cldr_category(tmp_path, memory, lang):
    categories, forms = PLURAL_FORMS[lang]
    write_catalog(tmp_path / "locales" / lang / "LC_MESSAGES" / "site.po", plural_entry(forms), language=lang)
    assert memory.import_catalogs(tmp_path / "locales") == 1
    (unit,) = memory.store.iter_units(None, None, (APPROVED,))
    assert (unit.source, unit.plural, unit.target_lang) == ("{n} article", "{n} articles", lang)
    assert unit.forms == dict(zip(categories, forms, strict=True)) and len(unit.forms) == {"kk": 2, "ru": 3,
                                                                                          "ar": 6}[lang]
    (match,) = memory.lookup_plural("{n} article", "{n} articles", lang)
    assert match.score == 100 and match.forms == unit.forms
    assert memory.lookup("{n} article", lang, min_score=0) == [], "a singular lookup never gets a plural's forms"
    assert memory.lookup_plural("{n} article", "{n} items", lang) == []
    assert memory.lookup_plural("{n} article", "{n} articles", "kk" if lang != "kk" else "ru") == []


def test_a_plural_lookup_keeps_the_matches_scoring_min_score_or_more_and_at_most_limit(memory):
    forms = {"one": "{n} статья", "few": "{n} статьи", "many": "{n} статей"}
    memory.add([Unit("en", "ru", "{n} article", plural_target(forms), plural="{n} articles", context=c,
                     origin=f"{c or 'none'}.po") for c in ("", "counter", "caption")])
    found = memory.lookup_plural("{n} article", "{n} articles", "ru", context="counter")
    assert [m.score for m in found] == [100, 95, 95] and found[0].context == "counter"
    assert {m.context for m in found[1:]} == {"", "caption"}
    assert memory.lookup_plural("{n} article", "{n} articles", "ru", context="counter", limit=2) == found[:2]
    assert memory.lookup_plural("{n} article", "{n} articles", "ru", context="counter", min_score=96) == found[:1]
    assert memory.lookup_plural("{n} article", "{n} articles", "ru", context="counter", min_score=95,
                                limit=5) == found
    assert memory.lookup_plural("{n} article", "{n} articles", "ru", context="counter", min_score=101) == []
    assert memory.lookup_plural("{n} article", "{n} articles", "ru", limit=0) == []
    assert found[0].forms == forms


def test_plural_forms_are_aligned_by_the_catalogs_own_plural_forms_expression(tmp_path, memory):
    # the same Kazakh forms, indexed the other way round by an unusual (but valid) header
    path = write_catalog(tmp_path / "locales" / "kk" / "LC_MESSAGES" / "odd.po",
                         plural_entry(("{n} мақалалар", "{n} мақала")), language="kk")
    with_plural_forms(path, "nplurals=2; plural=(n == 1 ? 1 : 0);")
    memory.import_catalogs(tmp_path / "locales")
    (match,) = memory.lookup_plural("{n} article", "{n} articles", "kk")
    assert match.forms == {"one": "{n} мақала", "other": "{n} мақалалар"}


def test_plural_forms_that_do_not_line_up_with_cldr_are_not_harvested(tmp_path, memory):
    path = write_catalog(tmp_path / "locales" / "kk" / "LC_MESSAGES" / "one-form.po",
                         plural_entry(("{n} мақала",)), language="kk")
    with_plural_forms(path, "nplurals=1; plural=0;")  # "one" and "other" in one form: which is which?
    report = memory.import_path(tmp_path / "locales", tmx=False)
    assert (report.added, report.skipped) == (0, 1)
    ru = write_catalog(tmp_path / "locales" / "ru" / "LC_MESSAGES" / "short.po",
                       plural_entry(("{n} статья", "{n} статьи")))  # 2 forms where Russian needs 3
    assert memory.import_path(ru, tmx=False).skipped == 1
    assert memory.stats().units == 0


def test_fuzzy_or_partly_translated_plural_entries_are_not_harvested(tmp_path, memory):
    entries = plural_entry(PLURAL_FORMS["ru"][1], flags="fuzzy") + "\n" + plural_entry(
        ("{n} статья", "", "{n} статей"), msgctxt="partly")
    write_catalog(tmp_path / "locales" / "ru" / "LC_MESSAGES" / "a.po", entries)
    assert memory.import_catalogs(tmp_path / "locales") == 0


def test_msgctxt_is_kept_and_a_context_mismatch_costs_five_percent(tmp_path, memory):
    write_catalog(tmp_path / "locales" / "ru" / "LC_MESSAGES" / "ui.po",
                  'msgctxt "month"\nmsgid "May"\nmsgstr "Май"\n\nmsgctxt "verb"\nmsgid "May"\nmsgstr "Может"\n')
    assert memory.import_catalogs(tmp_path / "locales") == 2
    assert {(u.context, u.target) for u in memory.store.iter_units(None, None, (APPROVED,))} == {
        ("month", "Май"), ("verb", "Может")}
    verb = memory.lookup("May", "ru", context="verb")
    assert [(m.target, m.score, m.context) for m in verb] == [("Может", 100, "verb"), ("Май", 95, "month")]
    # an entry without msgctxt: both are from another context, so neither is exact
    assert [m.score for m in memory.lookup("May", "ru", context="")] == [95, 95]
    assert memory.lookup("May", "ru", context="", min_score=100) == []
    assert memory.exact("May", "ru", context="").score == 95
    # no context given: context is not asked about
    assert [m.score for m in memory.lookup("May", "ru")] == [100, 100]


def test_the_context_penalty_multiplies_fuzzy_scores_and_reorders(memory):
    memory.add([Unit("en", "ru", SENTENCE, RU, context="caption"),
                Unit("en", "ru", CHANGED, "Другой перевод.")])
    near = SENTENCE.replace("Monday", "Sunday")
    found = memory.lookup(near, "ru", context="caption", min_score=50)
    assert found[0].target == RU and found[0].score == pytest.approx(similarity(near, SENTENCE))
    assert found[1].score == pytest.approx(similarity(near, CHANGED) * 0.95)
    # without the caption context the exact source drops to 95 and a same-context source above 95 overtakes it
    close = "The Spiritual Administration of Muslims of Kazakhstan met the ambassador in Astana on Monday!"
    memory.add([Unit("en", "ru", close, "Близкий перевод.")])
    assert 95 < similarity(SENTENCE, close) < 100
    found = memory.lookup(SENTENCE, "ru", context="", min_score=50)
    assert [m.target for m in found[:2]] == ["Близкий перевод.", RU] and found[1].score == 95
    # a penalty that pushes a fuzzy match under the threshold drops it
    assert similarity(near, SENTENCE) * 0.95 < 95 < similarity(near, SENTENCE)
    assert RU not in [m.target for m in memory.lookup(near, "ru", context="", min_score=95)]
    assert memory.lookup(near, "ru", context="caption", min_score=95)[0].target == RU


def test_every_repeat_marker_the_catalogs_write_is_no_context_for_the_memory():
    from pipeline.catalogs import entry_keys
    from pipeline.memory import memory_context
    from pipeline.segment import segment_text

    keys = entry_keys(segment_text("Title\n\n" + "Thank you. " * 12 + "\n"))
    contexts = [ctxt for ctxt, _ in keys if ctxt]
    assert len(contexts) == 11 and {memory_context(c) for c in contexts} == {""}
    assert memory_context("occurrence 2 of the menu") == "occurrence 2 of the menu"


def test_the_pipelines_repeat_markers_are_no_context(tmp_path, memory):
    write_catalog(tmp_path / "locales" / "ru" / "LC_MESSAGES" / "a.po",
                  f'msgctxt "occurrence 2"\nmsgid "{SENTENCE}"\nmsgstr "{RU}"\n')
    memory.import_catalogs(tmp_path / "locales")
    (unit,) = memory.store.iter_units(None, None, (APPROVED,))
    assert unit.context == ""
    assert memory.lookup(SENTENCE, "ru", context="")[0].score == 100
    assert memory.lookup(SENTENCE, "ru", context="occurrence 3")[0].score == 100


def test_contexts_and_plural_entries_round_trip_through_tmx(tmp_path, open_memory):
    with open_memory("a") as a:
        a.add([Unit("en", "ru", "May", "Май", context="month"), Unit("en", "ru", "May", "Может", context="verb"),
               Unit("en", "ar", "{n} article", plural_target(dict(zip(*PLURAL_FORMS["ar"], strict=True))),
                    context="counter", plural="{n} articles"),
               Unit("en", "ru", "{n} article", plural_target(dict(zip(*PLURAL_FORMS["ru"], strict=True))),
                    plural="{n} articles"),
               Unit("en", "kk", "{n} file\n", plural_target({"one": " {n} файл\n", "other": " {n} файлдар\n"}),
                    context=" spaced context ", plural="{n} files\n")])
        out = tmp_path / "out.tmx"
        assert a.export_tmx(out) == 5
        before = sorted((u.target_lang, u.source, u.target, u.context, u.plural)
                        for u in a.store.iter_units(None, None, STATUSES))
    with open_memory("b") as b:
        assert b.import_tmx(out) == 5
        after = sorted((u.target_lang, u.source, u.target, u.context, u.plural)
                       for u in b.store.iter_units(None, None, STATUSES))
        assert after == before
        (ar,) = b.lookup_plural("{n} article", "{n} articles", "ar", context="counter")
        assert ar.score == 100 and list(ar.forms) == list(PLURAL_FORMS["ar"][0])
    # another tool sees a plural entry as its singular pair: the msgid and the "one" form
    units = {(u.source, u.target) for u in tmx.tmxfile(out.open("rb")).units}
    assert ("{n} article", "{n} статья") in units and ("{n} article", "مقالة واحدة") in units


def test_plural_units_are_stored_as_canonical_json_whichever_way_they_come_in(tmp_path, memory, monkeypatch):
    """Every way in (a catalog, whatever its Plural-Forms numbering; TMX props in any order; add with JSON of any
    layout) stores the same bytes: the forms in CLDR order, json.dumps' separators, non-ASCII as itself, quotes,
    backslashes and control characters escaped. A TMX plural unit with a blank form is not stored. The importers
    write the forms' JSON once: it is not read back and written again on its way to the store."""
    from pipeline import memory as memory_module

    parsed: list[str] = []
    plural_forms = memory_module.plural_forms
    monkeypatch.setattr(memory_module, "plural_forms", lambda target: parsed.append(target) or plural_forms(target))
    odd_ru = ("nplurals=3; plural=(n%10==1 && n%100!=11 ? 2 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 0 "
              ": 1);")  # index 0 = few, 1 = many, 2 = one
    (tmp_path / "po").mkdir()
    (tmp_path / "po" / "ru.po").write_text(
        f'msgid ""\nmsgstr ""\n"Language: ru\\n"\n"Plural-Forms: {odd_ru}\\n"\n\n'
        'msgid "{n} \\"file\\""\nmsgid_plural "{n} files"\n'
        'msgstr[0] "{n} файла \\\\ «few»"\nmsgstr[1] "{n} файлов\\tmany"\nmsgstr[2] "{n} файл 📁"\n', encoding="utf-8")
    write_catalog(tmp_path / "po" / "ar.po", plural_entry(PLURAL_FORMS["ar"][1]), "ar")
    assert memory.import_catalogs(tmp_path / "po") == 2
    tmx_file = tmp_path / "plural.tmx"
    tmx_file.write_text('<?xml version="1.0"?>\n<tmx version="1.4"><header srclang="en"/><body>\n'
                        '<tu><prop type="x-pipeline-plural">{n} files</prop>'
                        '<prop type="x-pipeline-form-other"> {n} файлдар "x"</prop>'
                        '<prop type="x-pipeline-form-one">{n} файл</prop>'
                        '<tuv xml:lang="en"><seg>{n} file</seg></tuv><tuv xml:lang="kk"><seg>{n} файл</seg></tuv>'
                        '</tu>\n'
                        '<tu><prop type="x-pipeline-plural">{n} folders</prop>'
                        '<prop type="x-pipeline-form-one">{n} папка</prop><prop type="x-pipeline-form-few"> </prop>'
                        '<prop type="x-pipeline-form-many">{n} папок</prop>'
                        '<tuv xml:lang="en"><seg>{n} folder</seg></tuv><tuv xml:lang="ru"><seg>{n} папка</seg></tuv>'
                        '</tu>\n</body></tmx>\n', encoding="utf-8")
    assert memory.import_tmx(tmx_file) == 1
    memory.TMX_BATCH = 1  # the same through the batches a long file is stored in
    tmx_file.write_text('<?xml version="1.0"?>\n<tmx version="1.4"><header srclang="en"/><body>\n'
                        '<tu><prop type="x-pipeline-plural">{n} hours</prop>'
                        '<prop type="x-pipeline-form-other">{n} сағат</prop>'
                        '<prop type="x-pipeline-form-one">сағат</prop>'
                        '<tuv xml:lang="en"><seg>{n} hour</seg></tuv><tuv xml:lang="kk"><seg>сағат</seg></tuv>'
                        '</tu>\n</body></tmx>\n', encoding="utf-8")
    assert memory.import_tmx(tmx_file) == 1
    assert parsed == []
    memory.add([Unit("en", "ar", "{n} day", '{\n "other" : "\\u0623\\u064a\\u0627\\u0645",  '
                                            '"one":"\\u064a\\u0648\\u0645"}', plural="{n} days")])
    assert len(parsed) == 1  # a unit from add: its JSON, of any layout, read and written in the store's form
    stored = sorted((u.target_lang, u.source, u.target) for u in memory.store.iter_units(None, None, STATUSES))
    assert stored == [
        ("ar", "{n} article",
         '{"zero": "لا مقالات", "one": "مقالة واحدة", "two": "مقالتان", "few": "{n} مقالات", "many": "{n} مقالة", '
         '"other": "{n} مقالةً"}'),
        ("ar", "{n} day", '{"one": "يوم", "other": "أيام"}'),
        ("kk", "{n} file", '{"one": "{n} файл", "other": " {n} файлдар \\"x\\""}'),
        ("kk", "{n} hour", '{"one": "сағат", "other": "{n} сағат"}'),
        ("ru", '{n} "file"', '{"one": "{n} файл 📁", "few": "{n} файла \\\\ «few»", "many": "{n} файлов\\tmany"}'),
    ]
    assert memory.lookup_plural("{n} folder", "{n} folders", "ru") == []


def test_a_tmx_plural_unit_without_its_forms_is_refused_with_its_line(tmp_path, memory):
    bad = tmp_path / "bad.tmx"
    bad.write_text('<?xml version="1.0"?>\n<tmx version="1.4"><header srclang="en"/><body>\n'
                   '<tu><prop type="x-pipeline-plural">{n} articles</prop>'
                   '<prop type="x-pipeline-form-lots">x</prop>\n'
                   '<tuv xml:lang="en"><seg>{n} article</seg></tuv><tuv xml:lang="ru"><seg>x</seg></tuv></tu>\n'
                   '</body></tmx>\n', encoding="utf-8")
    with pytest.raises(TmxError, match="lots") as err:
        memory.import_tmx(bad)
    assert err.value.line == 3 and memory.stats().units == 0


def test_a_blank_plural_prop_never_stores_forms_as_a_translation(tmp_path, memory):
    """A TMX unit whose msgid_plural prop is blank is the plain pair its segments say; a unit added with a blank
    msgid_plural is not stored at all, where both kept the forms' JSON as a singular translation."""
    odd = tmp_path / "odd.tmx"
    odd.write_text('<?xml version="1.0"?>\n<tmx version="1.4"><header srclang="en"/><body>\n'
                   '<tu><prop type="x-pipeline-plural"> </prop>'
                   '<prop type="x-pipeline-form-one">файл</prop><prop type="x-pipeline-form-few">файла</prop>\n'
                   '<tuv xml:lang="en"><seg>one file</seg></tuv><tuv xml:lang="ru"><seg>один файл</seg></tuv></tu>\n'
                   '</body></tmx>\n', encoding="utf-8")
    memory.import_tmx(odd)
    [match] = memory.lookup("one file", "ru")
    assert match.target == "один файл"
    memory.add([Unit("en", "ru", "two files", '{"one": "файл", "few": "файла"}', APPROVED, plural=" ")])
    assert memory.lookup("two files", "ru") == [] and memory.stats().units == 1


def test_a_version_1_memory_file_is_upgraded_in_place_and_keeps_everything(tmp_path):
    path = tmp_path / "memory.sqlite"
    path.write_bytes((Path(__file__).parent / "data" / "memory" / "memory-v1.sqlite").read_bytes())
    with Memory.open(path) as m:
        stats = m.stats()
        assert (stats.units, stats.approved, stats.machine, stats.sources) == (4, 3, 1, 3)
        units = list(m.store.iter_units(None, None, STATUSES))
        assert {(u.context, u.plural) for u in units} == {("", "")}
        assert {u.origin for u in units} == {"locales/ru/LC_MESSAGES/a.po", "locales/kk/LC_MESSAGES/a.po",
                                             "argos en→ru 1.9", "shared.tmx"}
        found = m.exact("The Grand Mufti met the Ambassador of Egypt on Monday.", "ru", context="")
        assert (found.target, found.score, found.updated) == (
            "Верховный муфтий встретился с послом Египта в понедельник.", 100, "2026-01-02T03:04:05.000000Z")
        assert m.exact("Cooperation in education", "ar").target == "التعاون في التعليم"
        assert len(list(m.store.iter_seen())) == 3
        m.add([Unit("en", "ru", "May", "Май", context="month")])
        assert m.lookup("May", "ru", context="month")[0].context == "month"
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    assert has_units_plan(conn) == ["SEARCH u USING COVERING INDEX units_lang (target_lang=?)",
                                    "SEARCH s USING INTEGER PRIMARY KEY (rowid=?)"]
    conn.close()


def has_units_plan(conn: sqlite3.Connection) -> list[str]:
    """SQLite's plan for the query has_units runs (caught as it runs, for a language the memory lacks), without
    its constant scaffolding."""
    store = SQLiteStore.__new__(SQLiteStore)
    store._conn = conn
    ran: list[str] = []
    conn.set_trace_callback(ran.append)
    try:
        assert store.has_units("en", "de") is False
    finally:
        conn.set_trace_callback(None)
    [sql] = ran
    return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)
            if row[3] not in ("SCAN CONSTANT ROW", "SCALAR SUBQUERY 1")]


def test_has_units_probes_an_index_and_never_scans_the_memory(tmp_path):
    """Whether a language holds any unit costs one index seek, also on a large memory holding none for it (it
    scanned every unit). The plan stays so after ANALYZE has seen more units than sources, all of one language
    (several translations of each source), where SQLite would otherwise scan the sources."""
    with Memory.open(tmp_path / "memory.sqlite") as m:
        m.add([Unit("en", "ru", f"The mufti met delegation number {i}.", f"Делегация {i}, вариант {k}.")
               for i in range(1000) for k in range(3)])
        m.optimize()
        m.store._conn.execute("ANALYZE")
        assert m.store.has_units("en", "ru") and not m.store.has_units("kk", "ru")
        plan = has_units_plan(m.store._conn)
    assert plan == ["SEARCH u USING COVERING INDEX units_lang (target_lang=?)",
                    "SEARCH s USING INTEGER PRIMARY KEY (rowid=?)"]


def test_a_version_2_memory_file_gets_the_language_index_in_place(tmp_path):
    path = tmp_path / "memory.sqlite"
    with Memory.open(path) as m:
        m.add([Unit("en", "ru", SENTENCE, RU, context="caption"),
               Unit("en", "ar", "{n} article", plural_target({"one": "مقالة", "other": "مقالات"}),
                    plural="{n} articles")])
        before = list(m.store.iter_units(None, None, STATUSES))
    conn = sqlite3.connect(path)  # the file as version 2 left it
    conn.execute("DROP INDEX units_lang")
    conn.execute("PRAGMA user_version = 2")
    conn.close()
    with Memory.open(path) as m:
        assert list(m.store.iter_units(None, None, STATUSES)) == before
        assert m.exact(SENTENCE, "ru", context="caption").target == RU
        assert m.lookup_plural("{n} article", "{n} articles", "ar")[0].forms["other"] == "مقالات"
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    assert has_units_plan(conn)[0] == "SEARCH u USING COVERING INDEX units_lang (target_lang=?)"
    conn.close()


def test_a_failed_upgrade_leaves_the_old_memory_as_it_was(tmp_path, monkeypatch):
    from pipeline import memory as memory_module

    path = tmp_path / "memory.sqlite"
    original = (Path(__file__).parent / "data" / "memory" / "memory-v1.sqlite").read_bytes()
    path.write_bytes(original)
    steps = memory_module._UPGRADES[1]
    monkeypatch.setitem(memory_module._UPGRADES, 1, (steps[0], "ALTER TABLE no_such_table ADD COLUMN x TEXT"))
    with pytest.raises(sqlite3.OperationalError):
        Memory.open(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert "context" not in {r[1] for r in conn.execute("PRAGMA table_info(units)")}, "half an upgrade was kept"
    conn.close()
    monkeypatch.setitem(memory_module._UPGRADES, 1, steps)
    with Memory.open(path) as m:
        assert m.stats().units == 4


def test_a_memory_file_of_an_unknown_schema_is_refused_untouched_and_says_what_to_do(tmp_path):
    path = tmp_path / "memory.sqlite"
    with Memory.open(path) as m:
        m.add([Unit("en", "ru", SENTENCE, RU)])
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(RuntimeError) as err:
        Memory.open(path)
    message = str(err.value)
    assert str(path) in message and "schema version 99" in message and "reads version 3" in message
    assert "pipeline tm import locales" in message
    assert path.read_bytes() == before


def test_upgrades_step_one_version_at_a_time_and_stop_where_no_step_leads_on():
    from pipeline.memory import apply_upgrades

    done: list[tuple[str, object]] = []
    steps = {1: "one to two", 2: "two to three"}
    reached = apply_upgrades(1, 3, steps, lambda step: done.append(("run", step)),
                             lambda version: done.append(("record", version)), location="m", remedy="rebuild it")
    assert reached == 3
    assert done == [("run", "one to two"), ("record", 2), ("run", "two to three"), ("record", 3)]
    done.clear()
    assert apply_upgrades(3, 3, steps, done.append, done.append, location="m", remedy="rebuild it") == 3
    assert done == []
    for version in (0, 4, None):
        with pytest.raises(ValueError, match=f"m holds a translation memory of schema version {version}; .*rebuild it"):
            apply_upgrades(version, 3, steps, done.append, done.append, location="m", remedy="rebuild it",
                           error=ValueError)
    assert done == []


def test_fuzzy_lookups_across_several_contexts_give_every_match_its_score_and_the_best_first(memory):
    """The ranking against a brute-force reference (every unit scored with translate-toolkit's similarity and
    Weblate's context factor), for each context and limit: early stopping and context scoring change nothing."""
    from pipeline.memory import CONTEXT_MISMATCH, memory_context

    words = ["The", "Spiritual", "Administration", "of", "Muslims", "met", "the", "ambassador", "in", "Astana",
             "on", "Monday"]
    rng = random.Random(7)
    contexts = ["", "menu", "caption", "occurrence 2"]
    units = []
    for i in range(60):
        variant = list(words)
        for _ in range(rng.randint(1, 3)):
            variant[rng.randrange(len(variant))] = rng.choice(["Almaty", "Tuesday", "envoy", "leaders", "met with"])
        units.append(Unit("en", "ru", " ".join(variant) + ".", f"перевод {i}", context=rng.choice(contexts),
                          origin=f"{i}.po"))
    memory.add(units)
    query = " ".join(words) + "."
    for context in (None, "", "menu", "caption", "occurrence 3"):
        expected = []
        for u in units:
            score = similarity(normalise(query), normalise(u.source))
            if context is not None and u.context != memory_context(context):
                score *= CONTEXT_MISMATCH
            if score >= 60:
                expected.append((score, u.target))
        expected.sort(key=lambda r: -r[0])
        everything = memory.lookup(query, "ru", min_score=60, limit=1000, context=context)
        assert sorted((m.score, m.target) for m in everything) == sorted(expected)
        assert [m.score for m in everything] == [score for score, _ in expected]
        assert len({m.context for m in everything}) > 1
        for limit in (1, 2, 3, 5, 8):
            assert memory.lookup(query, "ru", min_score=60, limit=limit, context=context) == everything[:limit]


def count_store_calls(memory: Memory, monkeypatch) -> dict[str, list[tuple]]:
    """Every call the memory makes to its store's reading methods, with its arguments, by method."""
    calls: dict[str, list[tuple]] = {}
    for name in ("has_units", "exact_units", "candidates", "units", "source_id"):
        method = getattr(memory.store, name)
        calls[name] = []
        monkeypatch.setattr(memory.store, name,
                            lambda *args, _m=method, _c=calls[name]: _c.append(args) or _m(*args))
    return calls


def queries(calls: dict[str, list[tuple]]) -> int:
    """Store queries made for segments (not the one question whether a pair holds units)."""
    return sum(len(v) for k, v in calls.items() if k != "has_units")


def test_a_pair_the_memory_holds_no_unit_for_is_asked_once_and_never_looked_up_segment_by_segment(memory,
                                                                                                  monkeypatch):
    memory.add([Unit("en", "kk", "The mufti spoke.", "Муфти сөйледі.", MACHINE, "argos en→kk 1.9"),
                Unit("kk", "ru", "Сәлем, әлем.", "Привет, мир.", APPROVED, "x.po"),
                Unit("en", "ar", "{n} article", plural_target({"one": "مقالة", "other": "مقالات"}), APPROVED,
                     plural="{n} articles")])
    calls = count_store_calls(memory, monkeypatch)
    for text in ("The mufti spoke.", "Сәлем, әлем.", "The mufti spoke again today."):
        assert memory.lookup(text, "ru", min_score=50, include_machine=True) == []
        assert memory.exact(text, "ru", include_machine=True) is None
        assert memory.lookup_plural("{n} article", "{n} articles", "ru") == []
    assert queries(calls) == 0
    assert calls["has_units"] == [("en", "ru")]  # once for the pair, whatever entry point asked
    # a machine draft is enough: a run must still recognise it as the engine's; kk-KZ is the same pair as kk
    assert [m.target for m in memory.lookup("The mufti spoke.", "kk", include_machine=True)] == ["Муфти сөйледі."]
    assert memory.exact("The mufti spoke.", "kk-KZ", include_machine=True).target == "Муфти сөйледі."
    assert memory.lookup("Сәлем, әлем.", "ru", source_lang="kk")[0].target == "Привет, мир."
    assert memory.lookup_plural("{n} article", "{n} articles", "ar")[0].forms["other"] == "مقالات"
    assert calls["has_units"] == [("en", "ru"), ("en", "kk"), ("kk", "ru"), ("en", "ar")]
    assert queries(calls) > 0


def test_a_unit_written_through_the_memory_is_found_by_its_next_lookup(tmp_path, memory, open_memory, monkeypatch):
    """What the memory remembers of a pair holding nothing is forgotten on every write through it: add, a catalog
    harvest, a TMX import, a migration into it."""
    calls = count_store_calls(memory, monkeypatch)
    assert memory.lookup("The mufti spoke.", "ru") == []
    memory.add([Unit("en", "ru", "The mufti spoke.", "Муфтий выступил.")])
    assert memory.lookup("The mufti spoke.", "ru")[0].target == "Муфтий выступил."

    assert memory.exact(SENTENCE, "kk") is None
    write_catalog(tmp_path / "kk" / "LC_MESSAGES" / "a.po", f'msgid "{SENTENCE}"\nmsgstr "Муфтият."\n', "kk")
    assert memory.import_catalogs(tmp_path / "kk") == 1
    assert memory.exact(SENTENCE, "kk").target == "Муфтият."

    assert memory.lookup_plural("{n} article", "{n} articles", "ar") == []
    tmx_file = tmp_path / "plural.tmx"
    tmx_file.write_text('<?xml version="1.0"?>\n<tmx version="1.4"><header srclang="en"/><body>\n'
                        '<tu><prop type="x-pipeline-plural">{n} articles</prop>'
                        '<prop type="x-pipeline-form-one">مقالة</prop><prop type="x-pipeline-form-other">مقالات</prop>'
                        '<tuv xml:lang="en"><seg>{n} article</seg></tuv><tuv xml:lang="ar"><seg>مقالة</seg></tuv>'
                        '</tu>\n</body></tmx>\n', encoding="utf-8")
    assert memory.import_tmx(tmx_file) == 1
    assert memory.lookup_plural("{n} article", "{n} articles", "ar")[0].forms["one"] == "مقالة"
    assert calls["has_units"] == [("en", "ru")] * 2 + [("en", "kk")] * 2 + [("en", "ar")] * 2

    with open_memory("copy") as copy:
        assert copy.lookup("The mufti spoke.", "ru") == []
        memory.migrate_to(copy)
        assert copy.lookup("The mufti spoke.", "ru")[0].target == "Муфтий выступил."
