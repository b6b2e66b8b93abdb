"""The catalogs in a translator's real toolchain: GNU msgmerge (what Weblate and Poedit do on "update from POT")
and msgcat (a 79-column re-save), then the next `pipeline run`. Nothing is lost and nothing churns."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from conftest import FakeEngine, make_workspace
from typer.testing import CliRunner

from pipeline import catalogs, cli, engine, memory
from pipeline.workspace import catalog_path

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()

HEADING = "Cooperation in education"
EDITED = "Cooperation in religious education"
ARTICLE = f"""{HEADING}

The Grand Mufti met the Ambassador of Egypt on Monday.
They discussed cooperation between the Spiritual Administration of Muslims of Kazakhstan and Al-Azhar University.
The meeting took place in a warm and friendly atmosphere.
Both sides agreed to hold a joint conference next year.
"""
MET = "The Grand Mufti met the Ambassador of Egypt on Monday."
AGREED = "Both sides agreed to hold a joint conference next year."
# The article repeats a sentence: its second entry has msgctxt "occurrence 2".
REPEATED = ARTICLE + "\n" + MET + "\n"
# A catalog that is no article's: the site's own strings, with a real msgctxt and a plural entry, and its template.
SITE_POT = """msgid ""
msgstr ""
"Project-Id-Version: site\\n"
"POT-Creation-Date: 2026-11-01 10:00+0000\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"

#. the main menu
msgctxt "menu"
msgid "News"
msgstr ""

#. under each article list
msgid "{n} article"
msgid_plural "{n} articles"
msgstr[0] ""
msgstr[1] ""
"""
SITE = {  # the translators' work, by language: the menu item, then the plural forms in index order
    "ru": ("Новости", ["{n} статья", "{n} статьи", "{n} статей"]),
    "kk": ("Жаңалықтар", ["{n} мақала", "{n} мақалалар"]),
}

pytestmark = pytest.mark.skipif(not (shutil.which("msgmerge") and shutil.which("msgcat")),
                                reason="GNU gettext is not installed (scripts/setup.sh installs it)")


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    root = make_workspace(tmp_path, {"a.txt": ARTICLE})
    monkeypatch.setattr(engine.Engine, "load", staticmethod(
        lambda directory, to_code, from_code="en", **settings: FakeEngine(to_code)))
    return root


def run(root: Path, *langs: str) -> None:
    result = runner.invoke(cli.app, ["run", "--root", str(root), "--no-publish", "--langs", ",".join(langs)],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output


def tool(*args: str) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted((root / "locales").rglob("*.po*"))}


def live(path: Path) -> dict[str, polib.POEntry]:
    return {e.msgid: e for e in polib.pofile(str(path)) if not e.obsolete}


def edit(path: Path, edits: dict[str, tuple[str, str]]) -> None:
    """A translator in Poedit: types a translation, clears fuzzy and leaves a comment of their own."""
    po = polib.pofile(str(path))
    for entry in po:
        if entry.msgid in edits:
            entry.msgstr, note = edits[entry.msgid]
            entry.flags = [f for f in entry.flags if f != "fuzzy"]
            entry.tcomment = "\n".join([note, *(entry.tcomment or "").split("\n")]).strip("\n")
    po.metadata["Last-Translator"] = "Aigerim Sadykova <aigerim@example.org>"
    po.save(str(path))


def site_catalogs(root: Path) -> dict[str, Path]:
    """The site's template and a catalog per language made from it by msginit, translated by hand."""
    pot = root / "locales" / "templates" / "site.pot"
    pot.parent.mkdir(parents=True, exist_ok=True)
    pot.write_text(SITE_POT, encoding="utf-8")
    made = {}
    for lang, (news, forms) in SITE.items():
        path = root / "locales" / lang / "LC_MESSAGES" / "site.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        tool("msginit", "--no-translator", "--no-wrap", "-l", lang, "-i", str(pot), "-o", str(path))
        po = polib.pofile(str(path))
        for entry in po:
            if entry.msgid_plural:
                entry.msgstr_plural = dict(enumerate(forms))
            else:
                entry.msgstr = news
            entry.tcomment = f"checked by the {lang} desk"
        po.metadata["Language"] = lang
        po.save(str(path))
        made[lang] = path
    return made


def test_msgmerge_and_msgcat_then_a_run_lose_nothing_and_churn_nothing(workspace):
    (workspace / "source_texts" / "a.txt").write_text(REPEATED, encoding="utf-8")
    site = site_catalogs(workspace)
    run(workspace, "kk", "ru")
    ru, kk = catalog_path(workspace, "ru", "a"), catalog_path(workspace, "kk", "a")
    pot = workspace / "locales" / "templates" / "a.pot"
    site_pot = workspace / "locales" / "templates" / "site.pot"
    assert {e.msgctxt for e in polib.pofile(str(ru)) if e.msgid == MET} == {None, "occurrence 2"}
    notes_before = {path: {msgid: catalogs.entry_notes(e) for msgid, e in live(path).items()} for path in (ru, kk)}
    assert all(any(n.startswith("provenance: machine translation") for n in notes)
               for notes in notes_before[ru].values())
    assert polib.pofile(str(ru)).metadata["POT-Creation-Date"] == polib.pofile(str(pot)).metadata["POT-Creation-Date"]

    for path, lang in ((ru, "ru"), (kk, "kk")):
        edit(path, {HEADING: (f"[{lang}] heading by hand", "heading checked"),
                    MET: (f"[{lang}] the mufti met the ambassador", "checked by Aigerim")})
    (workspace / "source_texts" / "a.txt").write_text(REPEATED.replace(HEADING, EDITED), encoding="utf-8")
    run(workspace, "kk")  # the templates follow the article; ru is brought up to date by gettext's tools
    for path, template in ((ru, pot), (site["ru"], site_pot), (site["kk"], site_pot)):
        tool("msgmerge", "--quiet", "--update", "--previous", "--backup=off", str(path), str(template))
        tool("msgcat", "-o", str(path), str(path))
    run(workspace, "kk", "ru", "ar")

    for path, lang in ((ru, "ru"), (kk, "kk")):
        entries = live(path)
        met = entries[MET]
        assert met.msgstr == f"[{lang}] the mufti met the ambassador" and not met.fuzzy
        assert "checked by Aigerim" in catalogs.translator_lines(met)
        assert f"provenance: {catalogs.APPROVED} (Aigerim Sadykova <aigerim@example.org>" in \
            " ".join(catalogs.entry_notes(met))
        heading = entries[EDITED]
        assert heading.fuzzy and heading.previous_msgid == HEADING, path
        assert heading.msgstr == f"[{lang}] heading by hand"
        assert "heading checked" in catalogs.translator_lines(heading)
        assert HEADING not in entries and not any(e.msgid == HEADING for e in polib.pofile(str(path)))
        repeat = polib.pofile(str(path)).find(MET, msgctxt="occurrence 2")
        assert repeat.msgstr == met.msgstr and not repeat.fuzzy and "checked by Aigerim" in repeat.tcomment
        for msgid in (AGREED,):  # untouched drafts keep every note they had
            assert catalogs.entry_notes(entries[msgid]) == notes_before[path][msgid]
        assert all(not e.comment or e.comment.startswith("kind: ") for e in entries.values())
        assert polib.pofile(str(path)).metadata["POT-Creation-Date"] == \
            polib.pofile(str(pot)).metadata["POT-Creation-Date"]

    for lang, path in site.items():  # the site's catalogs: every translation and comment still there
        news, forms = SITE[lang]
        po = polib.pofile(str(path))
        menu, counted = po.find("News", msgctxt="menu"), po.find("{n} article")
        assert (menu.msgstr, counted.msgstr_plural) == (news, dict(enumerate(forms)))
        assert not menu.fuzzy and not counted.fuzzy and not any(e.obsolete for e in po)
        assert all(catalogs.translator_lines(e) == [f"checked by the {lang} desk"] for e in (menu, counted))

    before = snapshot(workspace)
    run(workspace, "kk", "ru", "ar")
    assert snapshot(workspace) == before
    tool("msgmerge", "--quiet", "--update", "--previous", "--backup=off", str(ru), str(pot))
    tool("msgcat", "-o", str(ru), str(ru))
    assert snapshot(workspace) == before, "gettext's tools change nothing in what a run wrote"

    # The memory, rebuilt from the catalogs alone, holds the plural forms by category and the contexts ...
    (workspace / ".pipeline" / "memory.sqlite").unlink()
    result = runner.invoke(cli.app, ["tm", "import", str(workspace / "locales"), "--root", str(workspace)])
    assert result.exit_code == 0, result.output
    with memory.Memory.open(workspace / ".pipeline" / "memory.sqlite") as tm:
        (ru_plural,) = tm.lookup_plural("{n} article", "{n} articles", "ru", context="")
        assert ru_plural.forms == {"one": "{n} статья", "few": "{n} статьи", "many": "{n} статей"}
        assert tm.lookup_plural("{n} article", "{n} articles", "kk")[0].forms == {"one": "{n} мақала",
                                                                                   "other": "{n} мақалалар"}
        assert [(m.target, m.score) for m in tm.lookup("News", "ru", context="menu")] == [("Новости", 100)]
        assert [m.score for m in tm.lookup("News", "ru", context="")] == [95]
        assert tm.exact(MET, "ru", context="occurrence 2").score == 100
    # ... and fills a new catalog with the same plural entry, every form, exactly.
    fresh = workspace / "incoming" / "ru.po"
    fresh.parent.mkdir()
    tool("msginit", "--no-translator", "-l", "ru", "-i", str(site_pot), "-o", str(fresh))
    result = runner.invoke(cli.app, ["tm", "fill", str(fresh), "--root", str(workspace)])
    assert result.exit_code == 0 and "2 filled (2 approved, 0 fuzzy, 1 plural)" in result.output, result.output
    assert polib.pofile(str(fresh)).find("{n} article").msgstr_plural == dict(enumerate(SITE["ru"][1]))
    tool("msgfmt", "--check", "-o", "/dev/null", str(fresh))


def test_notes_written_as_extracted_comments_move_to_translator_comments(workspace):
    run(workspace, "ru")
    path = catalog_path(workspace, "ru", "a")
    po = polib.pofile(str(path))
    for entry in po:  # the layout of earlier versions: every note a `#.` line
        notes = catalogs.entry_notes(entry)
        entry.comment = "\n".join([entry.comment, *notes])
        entry.tcomment = "\n".join(catalogs.translator_lines(entry))
    po.save(str(path))
    old = live(path)
    run(workspace, "ru")
    new = live(path)
    for msgid, entry in new.items():
        assert entry.comment.startswith("kind: ") and "\n" not in entry.comment
        assert catalogs.entry_notes(entry) == catalogs.entry_notes(old[msgid])


def test_catalogs_take_their_templates_creation_date(workspace):
    run(workspace, "ru")
    path = catalog_path(workspace, "ru", "a")
    po = polib.pofile(str(path))
    po.metadata["POT-Creation-Date"] = "2020-01-01 00:00+0000"
    po.save(str(path))
    run(workspace, "ru")
    pot = polib.pofile(str(workspace / "locales" / "templates" / "a.pot"))
    assert polib.pofile(str(path)).metadata["POT-Creation-Date"] == pot.metadata["POT-Creation-Date"]


def test_an_untouched_machine_draft_of_an_edited_sentence_is_translated_afresh_and_not_kept(workspace):
    run(workspace, "kk")
    path = catalog_path(workspace, "kk", "a")
    old = live(path)[HEADING]
    assert catalogs.is_untouched_machine_draft(old)
    (workspace / "source_texts" / "a.txt").write_text(ARTICLE.replace(HEADING, EDITED), encoding="utf-8")
    run(workspace, "kk")
    po = polib.pofile(str(path))
    heading = {e.msgid: e for e in po if not e.obsolete}[EDITED]
    assert heading.msgstr == f"[kk] {EDITED}" and heading.previous_msgid is None
    assert not any(e.obsolete for e in po), "a machine-only draft is not kept as obsolete"


def test_a_removed_sentence_a_translator_touched_stays_obsolete(workspace):
    run(workspace, "kk")
    path = catalog_path(workspace, "kk", "a")
    po = polib.pofile(str(path))
    for entry in po:
        if entry.msgid == AGREED:
            entry.msgstr += " (edited)"  # still fuzzy, but no longer what the engine wrote
    po.save(str(path))
    (workspace / "source_texts" / "a.txt").write_text(ARTICLE.replace(AGREED + "\n", ""), encoding="utf-8")
    run(workspace, "kk")
    gone = [e for e in polib.pofile(str(path)) if e.obsolete]
    assert [e.msgid for e in gone] == [AGREED] and gone[0].msgstr.endswith(" (edited)")


def test_compile_writes_mo_files_with_approved_entries_only(workspace, tmp_path):
    run(workspace, "kk", "ru")
    path = catalog_path(workspace, "ru", "a")
    edit(path, {MET: ("Муфтий встретился с послом.", "checked")})
    po = polib.pofile(str(path))
    po.append(polib.POEntry(msgid="one day", msgid_plural="{n} days",
                            msgstr_plural={0: "{n} день", 1: "{n} дня", 2: "{n} дней"}))
    po.save(str(path))
    out = tmp_path / "site-locale"
    result = runner.invoke(cli.app, ["compile", "--root", str(workspace), "--out", str(out), "--langs", "ru"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    mo = out / "ru" / "LC_MESSAGES" / "a.mo"
    assert f"{mo}: 2 approved" in result.output
    proc = subprocess.run(["msgunfmt", str(mo)], capture_output=True, text=True, check=True)
    back = polib.pofile(proc.stdout)
    entries = {e.msgid: e for e in back}
    assert entries[MET].msgstr == "Муфтий встретился с послом."
    assert entries["one day"].msgstr_plural == {0: "{n} день", 1: "{n} дня", 2: "{n} дней"}
    assert AGREED not in entries, "a fuzzy machine draft is not compiled"
    assert "nplurals=3" in back.metadata["Plural-Forms"]
    assert not (workspace / "locales" / "kk" / "LC_MESSAGES" / "a.mo").exists()

    beside = runner.invoke(cli.app, ["compile", "--root", str(workspace), "--json"], catch_exceptions=False)
    assert beside.exit_code == 0
    assert (workspace / "locales" / "kk" / "LC_MESSAGES" / "a.mo").exists()


def test_compile_reports_a_broken_catalog_and_compiles_the_others(workspace):
    run(workspace, "kk", "ru")
    catalog_path(workspace, "kk", "a").write_text('msgid "x"\nmsgstr\n', encoding="utf-8")
    result = runner.invoke(cli.app, ["compile", "--root", str(workspace)], catch_exceptions=False)
    assert result.exit_code == 1 and "a.po" in result.output
    assert (workspace / "locales" / "ru" / "LC_MESSAGES" / "a.mo").exists()
    assert not (workspace / "locales" / "kk" / "LC_MESSAGES" / "a.mo").exists()
