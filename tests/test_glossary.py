"""Glossary: loading and checking the CSV files, matching, targets and comments, TBX/CSV exchange and import."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline import files
from pipeline import glossary as g
from pipeline.cli import app
from pipeline.concepts import Concept, GlossaryError
from pipeline.errors import LocatedError
from pipeline.formats import glossary_csv, tbx
from pipeline.termmatch import Glossary, TermMatch

DATA = Path(__file__).parent / "data" / "glossary"
VALID = DATA / "valid"
PROBLEMS = DATA / "problems"
HEADER = ",".join(glossary_csv.COLUMNS)


@pytest.fixture(scope="module")
def gloss() -> Glossary:
    return g.load(VALID)


def found(gloss: Glossary, text: str) -> list[tuple[str, str]]:
    matches = gloss.find(text)
    for m in matches:
        assert text[m.start:m.end] == m.text
    return [(m.text, m.concept.id) for m in matches]


def write_glossary(directory: Path, *rows: str, name: str = "terms.csv") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- loading


def test_load_reads_every_column(gloss):
    samk = gloss.get("samk")
    assert samk.en == "Spiritual Administration of Muslims of Kazakhstan"
    assert samk.en_variants == ("SAMK", "Spiritual Board of Muslims of Kazakhstan")
    assert samk.targets["kk"] == "Қазақстан мұсылмандары діни басқармасы"
    assert samk.target_variants == {"kk": ("ҚМДБ",), "ru": ("ДУМК",)}
    assert samk.sources["ar"] == "https://www.muftyat.kz/ar/"
    assert samk.notes == 'The muftiate\'s own name; "SAMK" is the English acronym.'
    assert samk.confirmed and not samk.dnt
    assert gloss.get("religious-centre").confirmed is False
    hub = gloss.get("astana-hub")
    assert hub.dnt and hub.targets == {}
    assert len(gloss) == 12


def test_load_reads_all_csv_files_and_refuses_a_repeated_id(tmp_path):
    write_glossary(tmp_path, "a,title,Imam,,Имам,,Имам,,إمام,,,no,,,,", name="a.csv")
    write_glossary(tmp_path, "b,title,Mufti,,Мүфти,,Муфтий,,مفتي,,,no,,,,", name="b.csv")
    assert [c.id for c in g.load(tmp_path).concepts] == ["a", "b"]
    write_glossary(tmp_path, "a,title,Kadi,,Қади,,Кади,,قاضي,,,no,,,,", name="c.csv")
    with pytest.raises(GlossaryError) as err:
        g.load(tmp_path)
    assert err.value.line == 2 and err.value.path.endswith("c.csv") and "duplicate id 'a'" in str(err.value)


@pytest.mark.parametrize(
    "content, line, words",
    [
        (HEADER + "\nok,title,Imam,,Имам,,Имам,,إمام,,,no,,,,\nshort,title,Mufti\n", 3, "3 cells"),
        ("id,type,en\nx,title,Imam\n", 1, "missing column(s) en_variants"),
        (HEADER + "\nx,title,Imam,,Имам,,Имам,,إمام,,perhaps,no,,,,\n", 2, "dnt is 'perhaps'"),
        (HEADER + "\nx,title,Imam,,Имам,,Имам,,إمام,,,maybe,,,,\n", 2, "confirmed is 'maybe'"),
        (HEADER + "\n,title,Imam,,Имам,,Имам,,إمام,,,no,,,,\n", 2, "empty id"),
        (HEADER + "\nx,title,,,Имам,,Имам,,إمام,,,no,,,,\n", 2, "empty en"),
        (HEADER + '\nx,title,Imam,,Имам,,Имам,,إمام,,,no,,,,"a "b" c\n', 2, "quoting"),
        ("", 1, "empty file"),
    ],
)
def test_load_names_file_and_line_of_a_malformed_file(tmp_path, content, line, words):
    (tmp_path / "terms.csv").write_text(content, encoding="utf-8")
    with pytest.raises(GlossaryError) as err:
        g.load(tmp_path)
    assert err.value.line == line
    assert words in err.value.message
    assert str(err.value).startswith(f"{tmp_path / 'terms.csv'}:{line}:")


def test_load_refuses_a_file_that_is_not_utf8(tmp_path):
    (tmp_path / "terms.csv").write_bytes((HEADER + "\n").encode() + "x,title,Imam,,Имам\n".encode("cp1251"))
    with pytest.raises(GlossaryError) as err:
        g.load(tmp_path)
    assert err.value.line == 2 and "UTF-8" in err.value.message


def test_load_accepts_crlf_bom_and_quoted_newlines(tmp_path):
    text = (HEADER + '\r\nx,title,Imam,,Имам,,Имам,,إمام,,,no,,,,"two\r\nlines"\r\n'
            'y,title,Mufti,,Мүфти,,Муфтий,,مفتي,,,no,,,,\r\n')
    (tmp_path / "terms.csv").write_bytes(b"\xef\xbb\xbf" + text.encode())
    concepts = g.load(tmp_path).concepts
    assert [c.id for c in concepts] == ["x", "y"]
    assert concepts[0].notes == "two\r\nlines"


# ---------------------------------------------------------------- check


def test_check_of_a_clean_glossary_is_empty():
    assert g.check(VALID) == []


def test_check_reports_each_problem_with_file_and_line():
    problems = g.check(PROBLEMS)
    assert all(p.path == str(PROBLEMS / "terms.csv") for p in problems)
    by_line: dict[int, list[str]] = {}
    for p in problems:
        by_line.setdefault(p.line, []).append(p.message)
    assert "duplicate term 'Muslim council of elders'" in by_line[3][0]
    assert "conflicting targets for 'Muslim Council of Elders'" in by_line[4][0]
    assert "kk 'Ақсақалдар кеңесі' here, 'Мұсылман ақсақалдары кеңесі' there" in by_line[4][0]
    assert "duplicate id 'mce'" in by_line[5][0] and ":2)" in by_line[5][0]
    assert sorted(by_line[6]) == ["missing ar target for 'Chief Imam'", "missing ru target for 'Chief Imam'"]
    assert any("empty type" in m for m in by_line[7]) and any("empty confirmed" in m for m in by_line[7])
    assert "row has 4 cells" in by_line[8][0]
    assert "dnt is 'maybe'" in by_line[9][0]
    assert "empty id" in by_line[10][0]
    assert by_line[11] == ["empty kk_source: cite where the kk form is used"]
    assert "empty variant in en_variants" in by_line[12][0]
    assert "unknown type 'church'" in by_line[13][0]
    assert set(by_line) == set(range(3, 14))  # line 2 is clean, and nothing else is reported


def test_check_without_a_glossary_directory(tmp_path):
    [problem] = g.check(tmp_path / "glossary")
    assert "no glossary directory" in problem.message
    assert str(problem) == f"{tmp_path / 'glossary'}: {problem.message}"  # line 0: the folder as a whole


def test_a_missing_glossary_folder_is_a_located_error_for_the_whole_folder(tmp_path):
    with pytest.raises(LocatedError) as err:
        g.load(tmp_path / "glossary")
    assert isinstance(err.value, GlossaryError) and err.value.line == 0
    assert str(err.value) == f"{tmp_path / 'glossary'}: no glossary directory here: create it with a terms.csv"


# ---------------------------------------------------------------- matching


def test_longest_match_wins(gloss):
    text = "The Spiritual Administration of Muslims of Kazakhstan and Kazakhstan."
    assert found(gloss, text) == [("Spiritual Administration of Muslims of Kazakhstan", "samk"),
                                  ("Kazakhstan", "kazakhstan")]
    assert found(gloss, "the Republic of Kazakhstan") == [("Republic of Kazakhstan", "kazakhstan")]


def test_whole_words_only(gloss):
    assert found(gloss, "Kazakhstani officials and UNESCO, the UNited front, an Ambassadorial post") == []


def test_acronyms_are_case_sensitive_names_are_not(gloss):
    assert found(gloss, "the UN and the un-") == [("UN", "un")]
    assert found(gloss, "Samk and samk") == []
    assert found(gloss, "SPIRITUAL ADMINISTRATION OF MUSLIMS OF KAZAKHSTAN") == [
        ("SPIRITUAL ADMINISTRATION OF MUSLIMS OF KAZAKHSTAN", "samk")]
    assert found(gloss, "the supreme mufti") == [("supreme mufti", "supreme-mufti")]


def test_case_column_overrides_the_rule(tmp_path):
    write_glossary(tmp_path, "hub,organisation,Astana Hub,,,,,,,,yes,no,,,,,sensitive",
                   "nato,organisation,NATO,,НАТО,,НАТО,,الناتو,,,no,,,,,insensitive")
    (tmp_path / "terms.csv").write_text(
        (tmp_path / "terms.csv").read_text().replace(HEADER, HEADER + ",case"), encoding="utf-8")
    gloss = g.load(tmp_path)
    assert gloss.get("hub").case == "sensitive"
    assert found(gloss, "astana hub, Astana Hub, Nato") == [("Astana Hub", "hub"), ("Nato", "nato")]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("the International Labor Organisation", "International Labor Organisation"),
        ("the international labour organisation", "international labour organisation"),
        ("the Center for Religious Studies", "Center for Religious Studies"),
        ("the Nur–Mubarak University", "Nur–Mubarak University"),  # en dash
        ("the Nur Mubarak University", "Nur Mubarak University"),
        ("the Nur\u2011Mubarak University", "Nur\u2011Mubarak University"),  # non-breaking hyphen
    ],
)
def test_spelling_and_dash_variants(gloss, text, expected):
    assert [t for t, _ in found(gloss, text)] == [expected]


def test_possessive_and_apostrophes(gloss):
    assert found(gloss, "Kazakhstan’s Supreme Mufti") == [("Kazakhstan", "kazakhstan"),
                                                          ("Supreme Mufti", "supreme-mufti")]
    assert found(gloss, "SAMK's chairman") == [("SAMK", "samk")]
    assert found(gloss, "the Muslim Council of Elders’ meeting") == [("Muslim Council of Elders", "mce")]


def test_apostrophe_inside_a_term(tmp_path):
    write_glossary(tmp_path, "assembly,institution,Assembly of People's Unity,,Халық бірлігі ассамблеясы,,"
                   "Ассамблея единства народа,,مجلس وحدة الشعب,,,no,,,,")
    gloss = g.load(tmp_path)
    assert found(gloss, "the Assembly of People’s Unity met") == [("Assembly of People’s Unity", "assembly")]
    assert found(gloss, "the Assembly of People Unity met") == []


def test_abbreviation_in_parentheses_joins_the_match(gloss):
    text = "The Spiritual Administration of Muslims of Kazakhstan (SAMK) said"
    [m] = gloss.find(text)
    assert (m.text, m.abbrev, m.concept.id) == ("Spiritual Administration of Muslims of Kazakhstan (SAMK)",
                                                "SAMK", "samk")
    # initials of the name, in order, even when the glossary does not list the acronym
    [m] = gloss.find("the Congress of Leaders of World and Traditional Religions (CLWTR) opened")
    assert m.abbrev == "CLWTR" and m.text.endswith("(CLWTR)")
    # a parenthesis that is not the name's abbreviation stays outside the match
    assert found(gloss, "the Muslim Council of Elders (Abu Dhabi) and the Ambassador (XYZ)") == [
        ("Muslim Council of Elders", "mce"), ("Ambassador", "ambassador")]
    assert found(gloss, "the United Nations (UN)") == [("United Nations (UN)", "un")]
    other = Concept("uk", "place", "United Kingdom", en_variants=("UK",))
    near = Concept("un", "organisation", "United Nations Knowledge", en_variants=("UNK",))
    assert [m.text for m in Glossary([near, other]).find("United Nations Knowledge (UK)")] == [
        "United Nations Knowledge", "UK"]


def test_quotes_around_names(gloss):
    text = "at the “Nur-Mubarak” university"
    assert found(gloss, text) == [("Nur-Mubarak", "nur-mubarak")]
    # a form written with quotes matches with curly quotes (kept in the match) or without
    assert found(gloss, "the Egyptian University of Islamic Culture “Nur–Mubarak” opened") == [
        ("Egyptian University of Islamic Culture “Nur–Mubarak”", "nur-mubarak")]
    assert found(gloss, "the Egyptian University of Islamic Culture Nur-Mubarak opened") == [
        ("Egyptian University of Islamic Culture Nur-Mubarak", "nur-mubarak")]
    # a match never runs across a quote that the form does not have
    text = "“Spiritual Administration” of Muslims of Kazakhstan"
    assert found(gloss, text) == [("Kazakhstan", "kazakhstan")]


def test_punctuation_breaks_a_match(gloss):
    assert found(gloss, "Supreme. Mufti") == []
    assert found(gloss, "Muslim Council, of Elders") == []


def test_offsets_are_in_the_original_text(gloss):
    text = "«Muslim Council of Elders» — “Supreme Mufti” — UN’s"
    for m in gloss.find(text):
        assert text[m.start:m.end] == m.text
    assert len(gloss.find(text)) == 3


def test_first_concept_wins_a_shared_form():
    a = Concept("a", "title", "Mufti", targets={"kk": "Мүфти"})
    b = Concept("b", "title", "Chief Mufti", en_variants=("mufti",), targets={"kk": "Бас мүфти"})
    assert [m.concept.id for m in Glossary([a, b]).find("the Mufti and the Chief Mufti")] == ["a", "b"]


# ---------------------------------------------------------------- comments and targets


def test_term_comment_lists_required_targets(gloss):
    text = "The Spiritual Administration of Muslims of Kazakhstan (SAMK) met the Astana Hub and SAMK again " \
           "at the Centre for Religious Studies."
    comment = g.term_comment(gloss.find(text), "kk")
    assert comment == (
        "terms: Spiritual Administration of Muslims of Kazakhstan (SAMK) → "
        "Қазақстан мұсылмандары діни басқармасы (ҚМДБ); "
        "Astana Hub → Astana Hub (do not translate); "
        "Centre for Religious Studies → Дінтану орталығы (unconfirmed)")
    assert g.term_comment([], "kk") == ""
    missing = Concept("x", "title", "Grand Imam", targets={"ru": "Верховный имам"})
    assert g.term_comment([TermMatch("Grand Imam", 0, 10, missing)], "kk") == \
        "terms: Grand Imam → (no kk term in the glossary yet)"


def test_target_for_uses_target_acronyms(gloss):
    full, alone = gloss.find("The Spiritual Administration of Muslims of Kazakhstan (SAMK) and SAMK")
    assert g.target_for(full, "kk") == "Қазақстан мұсылмандары діни басқармасы (ҚМДБ)"
    assert g.target_for(alone, "ru") == "ДУМК"
    assert g.target_for(alone, "ar") == "الإدارة الدينية لمسلمي كازاخستان"  # no Arabic acronym listed


# ---------------------------------------------------------------- export / import


def tricky_concepts() -> list[Concept]:
    return [
        *g.load(VALID).concepts,
        Concept("odd", "document", 'The "Rukhani Zhangyru", programme', en_variants=("Rukhani, Zhangyru",),
                targets={"ar": "برنامج «روحاني جانغيرو»"}, notes="line one\nline two, with comma & <angle>",
                confirmed=False, case="sensitive", extra={"reviewer": "A. N. Other"}),
    ]


def test_tbx_round_trip_loses_nothing(tmp_path):
    concepts = tricky_concepts()
    tbx.write_tbx(concepts, tmp_path / "out.tbx")
    back, warnings = tbx.read_tbx(tmp_path / "out.tbx")
    assert back == concepts and warnings == []
    text = (tmp_path / "out.tbx").read_text(encoding="utf-8")
    assert '<tbx type="TBX-Basic" style="dca" xml:lang="en" xmlns="urn:iso:std:iso:30042:ed-2">' in text
    assert "<termNote type=\"administrativeStatus\">preferredTerm-admn-sts</termNote>" in text


def test_csv_round_trip_loses_nothing(tmp_path):
    concepts = tricky_concepts()
    glossary_csv.write_csv(concepts, tmp_path / "terms.csv")
    assert g.load(tmp_path).concepts == tuple(concepts)
    assert (tmp_path / "terms.csv").read_text(encoding="utf-8").splitlines()[0] == HEADER + ",case,reviewer"


def test_export_of_the_valid_glossary_reimports_byte_for_byte(tmp_path):
    tbx.write_tbx(g.load(VALID).concepts, tmp_path / "g.tbx")
    report, _ = g.import_file(tmp_path / "g.tbx", tmp_path / "glossary", out=tmp_path / "new.csv")
    assert len(report.added) == 12
    assert (tmp_path / "new.csv").read_bytes() == (VALID / "terms.csv").read_bytes()


def test_read_foreign_tbx_v2(tmp_path):
    concepts, warnings = tbx.read_tbx(DATA / "foreign-v2.tbx")
    mufti, dialogue = concepts
    assert (mufti.id, mufti.type, mufti.en, mufti.targets, mufti.sources) == (
        "grand-mufti", "title", "Grand Mufti", {"ru": "Великий муфтий"}, {"ru": "https://example.org/ru"})
    assert mufti.en_variants == () and not mufti.confirmed  # outside data comes in unconfirmed
    assert (dialogue.id, dialogue.targets) == ("interfaith-dialogue", {"kk": "Конфессияаралық диалог"})
    assert any("dropped deprecated" in w and "'Great Mufti'" in w for w in warnings)
    assert any("ignored language 'fr'" in w for w in warnings)


def test_malformed_and_dangerous_xml_is_refused_with_a_line(tmp_path):
    bad = tmp_path / "bad.tbx"
    bad.write_text("<tbx>\n<text>\n<body>\n<conceptEntry id='a'>\n</body></text></tbx>\n", encoding="utf-8")
    with pytest.raises(GlossaryError) as err:
        tbx.read_tbx(bad)
    assert err.value.line == 5 and "malformed XML" in err.value.message
    bomb = tmp_path / "bomb.tbx"
    bomb.write_text('<?xml version="1.0"?>\n<!DOCTYPE t [\n<!ENTITY a "aaaa">\n]>\n<tbx>&a;</tbx>\n')
    with pytest.raises(GlossaryError, match="entity declarations are not allowed"):
        tbx.read_tbx(bomb)
    not_tbx = tmp_path / "x.tbx"
    not_tbx.write_text("<html/>")
    with pytest.raises(GlossaryError, match="not a TBX file"):
        tbx.read_tbx(not_tbx)


def test_import_merges_fills_and_reports_conflicts(tmp_path):
    root = tmp_path / "glossary"
    write_glossary(root, "mufti,title,Grand Mufti,,Бас мүфти,,,,,,,yes,src,,,")
    before = (root / "terms.csv").read_bytes()
    incoming = [
        Concept("mufti", "title", "Grand Mufti", en_variants=("Chief Mufti",),
                targets={"ru": "Верховный муфтий"}, sources={"ru": "src-ru"}),
        Concept("imam", "title", "Imam", targets={"kk": "Имам"}),
    ]
    tbx.write_tbx(incoming, tmp_path / "in.tbx")
    report, _ = g.import_file(tmp_path / "in.tbx", root)
    assert (report.added, report.updated, report.conflicts) == (["imam"], ["mufti"], [])
    merged = g.load(root)
    mufti = merged.get("mufti")
    assert mufti.targets == {"kk": "Бас мүфти", "ru": "Верховный муфтий"}
    assert mufti.en_variants == ("Chief Mufti",)
    assert mufti.confirmed  # a fill merge never changes confirmation
    assert [c.id for c in merged.concepts] == ["mufti", "imam"]
    assert before != (root / "terms.csv").read_bytes()

    # a differing cell is a conflict: nothing is written
    tbx.write_tbx([Concept("mufti", "title", "Grand Mufti", targets={"kk": "Ұлы мүфти"})], tmp_path / "c.tbx")
    snapshot = (root / "terms.csv").read_bytes()
    report, _ = g.import_file(tmp_path / "c.tbx", root)
    assert report.conflicts == ["mufti: kk 'Бас мүфти' here, 'Ұлы мүфти' imported"]
    assert (root / "terms.csv").read_bytes() == snapshot
    report, _ = g.import_file(tmp_path / "c.tbx", root, replace_values=True)
    assert report.updated == ["mufti"] and g.load(root).get("mufti").targets["kk"] == "Ұлы мүфти"
    assert sorted(p.name for p in root.iterdir()) == ["terms.csv"]  # no temp files left behind


def test_merge_names_every_differing_cell_and_replace_takes_the_imported_values():
    old = Concept("mufti", "title", "Grand Mufti", ("Chief Mufti",), {"kk": "Бас мүфти"}, {"kk": ("БМ",)},
                  notes="ours", sources={"kk": "a"}, confirmed=True, extra={"reviewer": "Aigerim"})
    new = Concept("mufti", "person", "Supreme Mufti", ("Head Mufti",), {"kk": "Ұлы мүфти", "ru": "Муфтий"},
                  {"kk": ("ҰМ",)}, dnt=True, notes="theirs", sources={"kk": "b"}, confirmed=False,
                  case="sensitive", extra={"reviewer": "Dana"})
    kept = g.merge_concepts([old], [new])
    assert kept.conflicts == [
        "mufti: dnt no here, yes imported", "mufti: type 'title' here, 'person' imported",
        "mufti: en 'Grand Mufti' here, 'Supreme Mufti' imported", "mufti: kk 'Бас мүфти' here, 'Ұлы мүфти' imported",
        "mufti: notes 'ours' here, 'theirs' imported", "mufti: source kk 'a' here, 'b' imported",
        "mufti: column reviewer 'Aigerim' here, 'Dana' imported"]
    [merged] = kept.concepts  # empty cells filled and variants united even so; the caller writes nothing
    assert merged.targets == {"kk": "Бас мүфти", "ru": "Муфтий"} and merged.case == "sensitive"
    assert merged.en_variants == ("Chief Mufti", "Head Mufti") and merged.target_variants == {"kk": ("БМ", "ҰМ")}
    replaced = g.merge_concepts([old], [new], replace_values=True)
    assert replaced.conflicts == [] and replaced.updated == ["mufti"]
    [merged] = replaced.concepts
    assert (merged.en, merged.type, merged.dnt, merged.confirmed) == ("Supreme Mufti", "person", True, False)
    assert merged.en_variants == ("Grand Mufti", "Chief Mufti", "Head Mufti")  # the old name stays findable
    assert g.merge_concepts([old], [old]).unchanged == ["mufti"]


def test_import_keeps_other_columns_and_line_ends(tmp_path):
    root = tmp_path / "glossary"
    root.mkdir()
    (root / "terms.csv").write_bytes(
        f"{HEADER},reviewer\r\nmufti,title,Grand Mufti,,Бас мүфти,,,,,,,no,,,,,Aigerim\r\n".encode())
    imam = Concept("imam", "title", "Imam", targets={"kk": "Имам"}, confirmed=False)
    glossary_csv.write_csv([imam], tmp_path / "in.csv")
    report, _ = g.import_file(tmp_path / "in.csv", root)
    assert report.added == ["imam"]
    raw = (root / "terms.csv").read_bytes().decode()
    assert raw.startswith(f"{HEADER},reviewer\r\nmufti,") and raw.count("\r\n") == 3
    assert g.load(root).get("mufti").extra == {"reviewer": "Aigerim"}


def test_a_save_of_terms_csv_during_an_import_is_merged_not_lost(tmp_path, monkeypatch):
    root = tmp_path / "glossary"
    write_glossary(root, "mufti,title,Grand Mufti,,Бас мүфти,,,,,,,no,,,,")
    glossary_csv.write_csv([Concept("imam", "title", "Imam", targets={"kk": "Имам"})], tmp_path / "in.csv")
    saves = []

    def translator_saves_now(target):
        if not saves:  # a translator adds a row in their editor just before our replace
            saves.append(target)
            with target.open("a", encoding="utf-8") as handle:
                handle.write("kadi,title,Kadi,,Қади,,,,,,,no,,,,\n")
    monkeypatch.setattr(files, "before_replace", translator_saves_now)
    report, _ = g.import_file(tmp_path / "in.csv", root)
    assert saves and report.added == ["imam"]
    assert [c.id for c in g.load(root).concepts] == ["mufti", "kadi", "imam"]


def test_an_import_into_a_file_that_never_settles_fails_and_writes_nothing(tmp_path, monkeypatch):
    root = tmp_path / "glossary"
    write_glossary(root, "mufti,title,Grand Mufti,,Бас мүфти,,,,,,,no,,,,")
    glossary_csv.write_csv([Concept("imam", "title", "Imam", targets={"kk": "Имам"})], tmp_path / "in.csv")
    counter = iter(range(100))

    def keeps_saving(target):
        with target.open("a", encoding="utf-8") as handle:
            handle.write(f"x{next(counter)},title,X {next(counter)},,Х,,,,,,,no,,,,\n")
    monkeypatch.setattr(files, "before_replace", keeps_saving)
    with pytest.raises(GlossaryError, match="kept changing") as err:
        g.import_file(tmp_path / "in.csv", root)
    assert err.value.path == str(root / "terms.csv")
    assert "imam" not in [c.id for c in g.load(root).concepts]
    assert sorted(p.name for p in root.iterdir()) == ["terms.csv"]


# ---------------------------------------------------------------- CLI


@pytest.fixture
def workspace(tmp_path) -> Path:
    shutil.copytree(VALID, tmp_path / "glossary")
    return tmp_path


def test_cli_check(workspace):
    runner = CliRunner()
    result = runner.invoke(app, ["glossary", "check", "--root", str(workspace)])
    assert result.exit_code == 0 and "ok: 12 concepts in 1 file(s)" in result.output
    shutil.copy(PROBLEMS / "terms.csv", workspace / "glossary" / "more.csv")
    result = runner.invoke(app, ["glossary", "check", "--root", str(workspace), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert not data["ok"] and data["files"] == ["more.csv", "terms.csv"]
    assert {"path": str(workspace / "glossary" / "more.csv"), "line": 9,
            "message": "dnt is 'maybe': write yes or leave it empty"} in data["problems"]
    # the same English term in two files is reported (files are read in name order)
    assert any(p["line"] == 4 and "duplicate term 'Muslim Council of Elders'" in p["message"]
               and "more.csv:2" in p["message"] for p in data["problems"] if p["path"].endswith("terms.csv"))
    result = runner.invoke(app, ["glossary", "check", "--root", str(workspace)])
    assert f"{workspace / 'glossary' / 'more.csv'}:8: row has 4 cells" in result.output


def test_cli_export_import_round_trip(workspace):
    runner = CliRunner()
    out = workspace / "all.tbx"
    result = runner.invoke(app, ["glossary", "export", "--format", "tbx", str(out), "--root", str(workspace)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["glossary", "import", str(out), "--root", str(workspace), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["unchanged"] == [c.id for c in
                                                                                g.load(VALID).concepts]
    result = runner.invoke(app, ["glossary", "export", str(workspace / "all.csv"), "--root", str(workspace)])
    assert result.exit_code == 0
    assert (workspace / "all.csv").read_bytes() == (VALID / "terms.csv").read_bytes()


@pytest.mark.parametrize("args", [["--format", "xlsx", "out.tbx"], ["-f", "XLSX", "out.tbx"], ["out.xlsx"]])
def test_cli_export_of_an_unknown_format_is_a_usage_error(workspace, args):
    args = [a if a.startswith("-") or "." not in a else str(workspace / a) for a in args]
    result = CliRunner().invoke(app, ["glossary", "export", *args, "--root", str(workspace)])
    assert result.exit_code == 2
    assert "unknown format 'xlsx'" in result.output and "tbx, tbx2, csv" in result.output
    assert not list(workspace.glob("out.*"))


def test_cli_exit_codes(workspace):
    """0 done, 1 a bad file or problems found, 2 a usage error (bad option value, missing argument)."""
    runner = CliRunner()
    root = ["--root", str(workspace)]

    def code(*args: str) -> int:
        return runner.invoke(app, ["glossary", *args, *root]).exit_code

    bad_csv = workspace / "bad.csv"
    bad_csv.write_text(HEADER + "\nx,title,X,,,,\n", encoding="utf-8")
    conflicting = workspace / "conflict.csv"
    conflicting.write_text((VALID / "terms.csv").read_text(encoding="utf-8").replace("Елші", "Илші"),
                           encoding="utf-8")
    assert code("find", "the UN Ambassador", "--lang", "kk") == 0
    assert code("find", "the UN Ambassador", "--lang", "de") == 2  # not a target language
    assert code("find") == 2
    assert code("import") == 2
    assert code("import", str(workspace / "missing.tbx")) == 2
    assert code("import", str(bad_csv)) == 1
    assert code("import", str(conflicting)) == 1  # conflicts: nothing written
    assert code("import", str(conflicting), "--out", str(workspace)) == 2  # --out is a directory
    assert code("export", str(workspace)) == 2  # OUT is a directory
    assert code("export") == 2
    assert code("export", str(bad_csv / "all.tbx")) == 1  # cannot be written: its "directory" is a file
    assert code("import", str(VALID / "terms.csv"), "--out", str(bad_csv / "x.csv")) == 1
    assert code("check", "--no-such-option") == 2
    assert code("check") == 0
    shutil.copy(bad_csv, workspace / "glossary" / "more.csv")
    assert code("check") == 1
    assert code("find", "the UN") == 1  # the glossary itself is malformed
    assert code("export", str(workspace / "all.tbx")) == 1


def test_cli_find_rejects_an_unknown_language_and_names_the_choices(workspace):
    result = CliRunner().invoke(app, ["glossary", "find", "the UN", "--lang", "de", "--root", str(workspace)])
    assert result.exit_code == 2 and "kk, ru, ar" in result.output


def test_cli_import_refuses_malformed_xml_with_its_line(workspace):
    bad = workspace / "bad.tbx"
    bad.write_text('<?xml version="1.0"?>\n<tbx>\n<text><body>\n<conceptEntry id="a">\n</tbx>\n')
    before = (workspace / "glossary" / "terms.csv").read_bytes()
    result = CliRunner().invoke(app, ["glossary", "import", str(bad), "--root", str(workspace)])
    assert result.exit_code == 1
    assert f"{bad}:5: malformed XML" in result.output
    assert (workspace / "glossary" / "terms.csv").read_bytes() == before


def test_cli_find(workspace):
    result = CliRunner().invoke(app, ["glossary", "find", "the UN Ambassador", "--lang", "ru",
                                      "--root", str(workspace)])
    assert result.exit_code == 0
    expected = "terms: UN → ООН; Ambassador → Посол"  # the acronym in the source asks for the target acronym
    assert result.output.strip() == expected


def test_real_articles(shared, gloss):
    ids, abbrevs = set(), set()
    for path in sorted((shared / "seeds").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        matches = gloss.find(text)
        assert all(text[m.start:m.end] == m.text for m in matches)
        assert all(a.end <= b.start for a, b in zip(matches, matches[1:], strict=False))
        ids |= {m.concept.id for m in matches}
        abbrevs |= {m.abbrev for m in matches if m.abbrev}
    assert {"samk", "congress", "mce", "nur-mubarak", "mfa", "un", "kazakhstan"} <= ids
    assert "SAMK" in abbrevs
