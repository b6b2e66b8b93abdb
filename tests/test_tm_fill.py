"""`pipeline tm fill`: empty entries of a catalog filled from the memory, plural entries form by form in the catalog's
own index order, contexts compared (another context is a fuzzy 95), on both memory stores."""

from __future__ import annotations

import json
from pathlib import Path

import polib
import pytest
from conftest import assert_msgfmt_clean
from typer.testing import CliRunner

from pipeline import catalogs
from pipeline.cli import app
from pipeline.languages import LANGUAGES, plural_categories_of

runner = CliRunner()

FORMS = {  # by CLDR category
    "kk": {"one": "{n} мақала", "other": "{n} мақалалар"},
    "ru": {"one": "{n} статья", "few": "{n} статьи", "many": "{n} статей"},
    "ar": {"zero": "لا مقالات", "one": "مقالة واحدة", "two": "مقالتان", "few": "{n} مقالات", "many": "{n} مقالة",
           "other": "{n} مقالةً"},
}
# A valid Russian header that numbers the forms differently: 0 = few, 1 = many, 2 = one.
ODD_RU = ("nplurals=3; plural=(n%10==1 && n%100!=11 ? 2 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 0 : 1);")


@pytest.fixture(params=["sqlite", "postgresql"])
def workspace(request, tmp_path, monkeypatch):
    """A workspace and the --memory option for the store under test."""
    monkeypatch.delenv("PIPELINE_MEMORY_URL", raising=False)
    monkeypatch.delenv("PIPELINE_MEMORY", raising=False)
    root = tmp_path / "ws"
    root.mkdir()
    memory = [] if request.param == "sqlite" else ["--memory", request.getfixturevalue("postgres_database")()]
    return root, memory


def catalog(path: Path, lang: str, entries: list[polib.POEntry], plural_forms: str | None = None) -> Path:
    po = polib.POFile(wrapwidth=79)
    po.metadata = {"Project-Id-Version": "site", "PO-Revision-Date": "2026-11-30 10:00+0000",
                   "Last-Translator": "Aigerim Sadykova <aigerim@example.org>", "Language-Team": "none",
                   "Language": lang, "MIME-Version": "1.0", "Content-Type": "text/plain; charset=UTF-8",
                   "Content-Transfer-Encoding": "8bit", "Plural-Forms": plural_forms or LANGUAGES[lang].plural_forms}
    po.extend(entries)
    path.parent.mkdir(parents=True, exist_ok=True)
    po.save(str(path))
    return path


def plural(msgstr: dict[int, str] | None = None, msgctxt: str | None = None, n: int = 2) -> polib.POEntry:
    return polib.POEntry(msgid="{n} article", msgid_plural="{n} articles", msgctxt=msgctxt,
                         msgstr_plural=msgstr or {i: "" for i in range(n)})


def invoke(root: Path, memory: list[str], *args) -> object:
    return runner.invoke(app, [*map(str, args), "--root", str(root), *memory], catch_exceptions=False)


def test_a_plural_entry_is_filled_from_the_memory_in_the_catalogs_own_index_order(workspace):
    root, memory = workspace
    assert plural_categories_of(ODD_RU, "ru") == ("few", "many", "one")
    for lang, forms in FORMS.items():
        categories = plural_categories_of(ODD_RU, lang) if lang == "ru" else LANGUAGES[lang].plural_categories
        catalog(root / "locales" / lang / "LC_MESSAGES" / "site.po", lang,
                [plural({i: forms[c] for i, c in enumerate(categories)})], ODD_RU if lang == "ru" else None)
    result = invoke(root, memory, "tm", "import", root / "locales", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 3

    fresh = {lang: catalog(root / "incoming" / f"{lang}.po", lang,
                           [plural(n=len(FORMS[lang])), polib.POEntry(msgid="Unknown sentence.", msgstr="")])
             for lang in FORMS}
    result = invoke(root, memory, "tm", "fill", root / "incoming", "--json")
    assert result.exit_code == 0, result.output
    report = {Path(c["path"]).stem: c for c in json.loads(result.stdout)["catalogs"]}
    for lang, forms in FORMS.items():
        assert (report[lang]["approved"], report[lang]["plural"], report[lang]["untranslated"]) == (1, 1, 1)
        entry = polib.pofile(str(fresh[lang])).find("{n} article")
        expected = {i: forms[c] for i, c in enumerate(LANGUAGES[lang].plural_categories)}
        assert entry.msgstr_plural == expected and not entry.fuzzy, lang
        assert any(line.startswith("provenance: memory 100% (locales/") for line in catalogs.entry_notes(entry))
        assert_msgfmt_clean(fresh[lang])
    # the Russian forms went from the odd numbering to the standard one: msgstr[0] is "one" here, "few" there
    assert polib.pofile(str(fresh["ru"])).find("{n} article").msgstr_plural[0] == "{n} статья"


def test_contexts_decide_what_is_approved_and_what_is_a_fuzzy_95(workspace):
    root, memory = workspace
    catalog(root / "locales" / "ru" / "LC_MESSAGES" / "ui.po", "ru", [
        polib.POEntry(msgctxt="month", msgid="May", msgstr="Май"),
        plural({0: "{n} статья", 1: "{n} статьи", 2: "{n} статей"}, msgctxt="counter")])
    assert invoke(root, memory, "tm", "import", root / "locales").exit_code == 0
    done = polib.POEntry(msgctxt="verb", msgid="May", msgstr="Может", tcomment="checked")
    path = catalog(root / "incoming" / "ru.po", "ru", [
        polib.POEntry(msgctxt="month", msgid="May", msgstr=""),
        polib.POEntry(msgctxt="permission", msgid="May", msgstr="", tcomment="ask Aigerim"),
        plural(n=3), done])
    result = invoke(root, memory, "tm", "fill", path)
    assert result.exit_code == 0, result.output
    assert "3 filled (1 approved, 2 fuzzy, 1 plural), 0 left untranslated" in result.output
    po = polib.pofile(str(path))
    month = po.find("May", msgctxt="month")
    assert month.msgstr == "Май" and not month.fuzzy and month.previous_msgid is None
    other = po.find("May", msgctxt="permission")
    assert other.msgstr == "Май" and other.fuzzy
    assert (other.previous_msgctxt, other.previous_msgid) == ("month", "May")
    assert "ask Aigerim" in catalogs.translator_lines(other)
    assert any(line.startswith("provenance: memory 95% (") for line in catalogs.entry_notes(other))
    counted = po.find("{n} article")
    assert counted.fuzzy and counted.msgstr_plural == {0: "{n} статья", 1: "{n} статьи", 2: "{n} статей"}
    assert (counted.previous_msgctxt, counted.previous_msgid_plural) == ("counter", "{n} articles")
    kept = po.find("May", msgctxt="verb")
    assert kept.msgstr == "Может" and catalogs.translator_lines(kept) == ["checked"]
    assert_msgfmt_clean(path)
    before = path.read_bytes()
    result = invoke(root, memory, "tm", "fill", path)  # nothing empty any more: the file is not rewritten
    assert result.exit_code == 0 and "unchanged" in result.output and path.read_bytes() == before


def test_a_catalog_in_a_language_the_memory_holds_nothing_for_is_not_looked_up_entry_by_entry(workspace,
                                                                                                monkeypatch):
    from pipeline import memory_pg
    from pipeline.memory import SQLiteStore

    root, memory = workspace
    catalog(root / "locales" / "ru" / "LC_MESSAGES" / "ui.po", "ru", [polib.POEntry(msgid="May", msgstr="Май")])
    assert invoke(root, memory, "tm", "import", root / "locales").exit_code == 0
    asked: list[tuple[str, str]] = []
    looked_up: list[str] = []
    for store in (SQLiteStore, memory_pg.PostgresStore):
        has_units, exact_units, candidates = store.has_units, store.exact_units, store.candidates
        monkeypatch.setattr(store, "has_units", lambda self, *a, _m=has_units: asked.append(a) or _m(self, *a))
        monkeypatch.setattr(store, "exact_units",
                            lambda self, *a, _m=exact_units: looked_up.append(a[2]) or _m(self, *a))
        monkeypatch.setattr(store, "candidates", lambda self, *a, _m=candidates: looked_up.append(a[1]) or _m(self, *a))
    entries = [polib.POEntry(msgid="May", msgstr=""), polib.POEntry(msgid="June", msgstr=""), plural()]
    kk = catalog(root / "incoming" / "kk.po", "kk", entries)
    ru = catalog(root / "incoming" / "ru.po", "ru", entries)
    result = invoke(root, memory, "tm", "fill", kk, ru, "--json")
    assert result.exit_code == 0, result.output
    assert sorted(asked) == [("en", "kk"), ("en", "ru")]  # once per catalog language, not once per entry
    assert set(looked_up) == {"ru", "May", "June"}  # the Russian catalog's entries only (exact, then fuzzy)
    report = {Path(c["path"]).stem: c for c in json.loads(result.stdout)["catalogs"]}
    assert (report["kk"]["approved"], report["kk"]["untranslated"]) == (0, 3)
    assert (report["ru"]["approved"], report["ru"]["untranslated"]) == (1, 2)


def test_a_catalog_outside_the_workspace_is_refused_and_left_alone(workspace, tmp_path):
    root, memory = workspace
    catalog(root / "locales" / "ru" / "LC_MESSAGES" / "ui.po", "ru", [polib.POEntry(msgid="May", msgstr="Май")])
    assert invoke(root, memory, "tm", "import", root / "locales").exit_code == 0
    outside = catalog(tmp_path / "elsewhere" / "ru.po", "ru", [polib.POEntry(msgid="May", msgstr="")])
    (root / "incoming").mkdir()
    (root / "incoming" / "linked.po").symlink_to(outside)
    inside = catalog(root / "incoming" / "ru.po", "ru", [polib.POEntry(msgid="May", msgstr="")])
    before = outside.read_bytes()
    result = invoke(root, memory, "tm", "fill", root / "incoming")
    assert result.exit_code == 1 and "linked.po" in result.output
    assert outside.read_bytes() == before
    assert polib.pofile(str(inside)).find("May").msgstr == "Май", "the other catalogs are still filled"


def test_a_folder_outside_the_workspace_is_not_walked_and_an_empty_folder_is_an_error(workspace, tmp_path):
    root, memory = workspace
    catalog(root / "locales" / "ru" / "LC_MESSAGES" / "ui.po", "ru", [polib.POEntry(msgid="May", msgstr="Май")])
    assert invoke(root, memory, "tm", "import", root / "locales").exit_code == 0
    outside = catalog(tmp_path / "elsewhere" / "ru.po", "ru", [polib.POEntry(msgid="May", msgstr="")])
    before = outside.read_bytes()
    result = invoke(root, memory, "tm", "fill", tmp_path / "elsewhere")
    said = " ".join(result.output.split())
    assert result.exit_code == 1 and "the folder resolves to" in said and "outside the workspace" in said
    assert outside.read_bytes() == before
    (root / "empty").mkdir()
    result = invoke(root, memory, "tm", "fill", root / "empty")
    assert result.exit_code == 1 and "no .po catalog" in result.output


def test_fill_needs_a_memory_and_existing_files(tmp_path, monkeypatch):
    monkeypatch.delenv("PIPELINE_MEMORY_URL", raising=False)
    monkeypatch.delenv("PIPELINE_MEMORY", raising=False)
    root = tmp_path / "ws"
    path = catalog(root / "incoming" / "ru.po", "ru", [polib.POEntry(msgid="May", msgstr="")])
    result = invoke(root, [], "tm", "fill", path)
    assert result.exit_code == 1 and "tm import" in result.output
    catalog(root / "locales" / "ru" / "LC_MESSAGES" / "ui.po", "ru", [polib.POEntry(msgid="May", msgstr="Май")])
    assert invoke(root, [], "tm", "import", root / "locales").exit_code == 0
    result = invoke(root, [], "tm", "fill", root / "missing.po")
    assert result.exit_code == 1 and "no such file" in result.output


def test_a_real_catalog_with_four_russian_forms_refills_itself_and_a_three_form_catalog(workspace, shared):
    """Midnight Commander's Russian catalog numbers four forms, the fourth for fractions (CLDR's "other")."""
    root, memory = workspace
    source = root / "locales" / "ru" / "LC_MESSAGES" / "mc.po"
    source.parent.mkdir(parents=True)
    source.write_bytes((shared / "realworld-po" / "mc_ru__a5cd0093.po").read_bytes())
    assert invoke(root, memory, "tm", "import", source).exit_code == 0
    original = polib.pofile(str(source))
    approved = [e for e in original if e.msgid_plural and not e.obsolete and not e.fuzzy
                and all(e.msgstr_plural.values())]
    assert len(approved) >= 3
    emptied = root / "incoming" / "mc.po"
    emptied.parent.mkdir()
    po = polib.pofile(str(source))
    po[:] = [e for e in po if e.msgid_plural and not e.obsolete]
    for entry in po:
        entry.msgstr_plural = {n: "" for n in entry.msgstr_plural}
        entry.flags = [f for f in entry.flags if f != "fuzzy"]
    po.save(str(emptied))
    three = catalog(root / "incoming" / "standard.po", "ru", [polib.POEntry(
        msgid=approved[0].msgid, msgid_plural=approved[0].msgid_plural, msgstr_plural={0: "", 1: "", 2: ""},
        flags=["c-format"])])
    result = invoke(root, memory, "tm", "fill", root / "incoming")
    assert result.exit_code == 0, result.output
    refilled = {e.msgid: e for e in polib.pofile(str(emptied))}
    for entry in approved:
        assert refilled[entry.msgid].msgstr_plural == entry.msgstr_plural and not refilled[entry.msgid].fuzzy
    standard = polib.pofile(str(three))[0]
    assert standard.msgstr_plural == {n: approved[0].msgstr_plural[n] for n in range(3)}
    assert_msgfmt_clean(three)
