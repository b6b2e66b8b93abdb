"""Catalogs translators live in: msgmerge-style merge, nothing lost, real-world round trips, locks, stats."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import polib
import pytest
from conftest import SHARED, assert_msgfmt_clean, msgfmt

from pipeline import GENERATOR, files
from pipeline import catalogs as cat
from pipeline.catalogs import (
    Catalog,
    CatalogError,
    Draft,
    catalog_stats,
    entry_keys,
    update_catalog,
    write_template,
)
from pipeline.formats.po import po_bytes, read_po, render_po, save_po
from pipeline.languages import english_name, plural_forms
from pipeline.segment import Segment
from pipeline.workspace import WorkspaceBusy, catalog_path, template_path, workspace_lock

REPO = Path(__file__).resolve().parent.parent
REALWORLD = sorted((SHARED / "realworld-po").glob("*.po"))


def test_the_real_world_catalogs_are_there():
    """The round-trip tests below are parametrised over these files: none found must not pass silently."""
    assert len(REALWORLD) >= 6, f"real-world catalogs missing under {SHARED / 'realworld-po'}"
NOW1 = datetime(2025, 3, 1, 9, 30, tzinfo=timezone.utc)
NOW2 = datetime(2025, 3, 8, 17, 5, tzinfo=timezone.utc)


# ---------------------------------------------------------------- helpers

def sig(entry: polib.POEntry) -> tuple:
    """Everything a translator or tool put into an entry."""
    return (entry.msgctxt, entry.msgid, entry.msgid_plural, entry.msgstr, sorted(entry.msgstr_plural.items()),
            bool(entry.obsolete), list(entry.flags), entry.comment, entry.tcomment, list(entry.occurrences),
            entry.previous_msgctxt, entry.previous_msgid, entry.previous_msgid_plural)


def segments(texts: list[str], kinds: dict[int, str] | None = None) -> list[Segment]:
    kinds = kinds or {}
    return [Segment(id=f"s{i}", index=i, paragraph=i, kind=kinds.get(i, "sentence"), text=t, norm=t,
                    line=2 * i + 1) for i, t in enumerate(texts)]


def fake_mt(lang: str, text: str) -> str:
    return f"[{lang}] {text}"


def integrator_drafts(catalog: Catalog, lang: str, segs: list[Segment]) -> list[Draft]:
    """What the integrator's `pipeline run` does per segment: keep, suggest from the catalog, or translate."""
    drafts = []
    for seg, (ctxt, msgid) in zip(segs, entry_keys(segs), strict=True):
        draft = Draft(msgid=msgid, msgctxt=ctxt, occurrences=[("articles/visit.md", str(seg.line))],
                      comments=cat.format_comments(seg.kind, [("Mufti", "муфтий")]))
        if catalog.existing(ctxt, msgid) is None:
            suggestion = catalog.previous_suggestion(msgid)
            if suggestion is None:
                draft.msgstr = fake_mt(lang, msgid)
                draft.comments = cat.format_comments(seg.kind, [("Mufti", "муфтий")],
                                                     cat.engine_provenance("argos-en-" + lang, "1.9"))
        drafts.append(draft)
    return drafts


def run(root: Path, lang: str, segs: list[Segment], now: datetime = NOW1) -> cat.CatalogStats:
    path = catalog_path(root, lang, "visit")
    drafts = integrator_drafts(Catalog.load(path), lang, segs)
    return update_catalog(path, lang, drafts, project="interfaith-news", now=now)


def translator_edit(path: Path, edit) -> None:
    """A translator opens the catalog in another tool (polib's own writer, other wrapping) and saves it."""
    po = polib.pofile(str(path))
    edit(po)
    po.save(str(path))


def live(path: Path) -> dict[tuple[str | None, str], polib.POEntry]:
    return {(e.msgctxt, e.msgid): e for e in read_po(path) if not e.obsolete}


def obsolete(path: Path) -> dict[tuple[str | None, str], polib.POEntry]:
    return {(e.msgctxt, e.msgid): e for e in read_po(path) if e.obsolete}


ARTICLE = [
    "Muftis of Central Asia gather in Astana",
    "The Supreme Mufti received the ambassador of Egypt on Monday.",
    "Both sides discussed interfaith dialogue and religious education.",
    "The Congress of Leaders of World and Traditional Religions meets every three years.",
    "Both sides discussed interfaith dialogue and religious education.",
    "The ambassador thanked the Spiritual Administration for its hospitality.",
]


# ---------------------------------------------------------------- keys

def test_entry_keys_give_context_only_to_repeats():
    keys = entry_keys(segments(ARTICLE))
    assert keys[2] == (None, ARTICLE[2])
    assert keys[4] == ("occurrence 2", ARTICLE[2])
    assert [k[0] for i, k in enumerate(keys) if i != 4] == [None] * 5
    triple = entry_keys(segments(["Yes.", "Yes.", "No.", "Yes."]))
    assert triple == [(None, "Yes."), ("occurrence 2", "Yes."), (None, "No."), ("occurrence 3", "Yes.")]


# ---------------------------------------------------------------- full review cycle

@pytest.mark.parametrize("lang", ["kk", "ru", "ar"])
def test_full_review_cycle_keeps_every_translator_edit(tmp_path, lang):
    root = tmp_path
    path = catalog_path(root, lang, "visit")
    segs = segments(ARTICLE, {0: "heading"})

    # Run 1: everything is machine-drafted and fuzzy.
    stats = run(root, lang, segs)
    assert (stats.total, stats.approved, stats.fuzzy, stats.untranslated, stats.obsolete) == (6, 0, 6, 0, 0)
    assert_msgfmt_clean(path)
    entries = live(path)
    assert [k[1] for k in entries] == ARTICLE, "entry order follows the article"
    first = entries[(None, ARTICLE[1])]
    assert first.fuzzy and first.msgstr == fake_mt(lang, ARTICLE[1])
    assert "provenance: machine translation argos-en-" + lang + " 1.9" in first.tcomment
    assert first.occurrences == [("articles/visit.md", "3")]

    # The translator approves one entry, edits and approves another, comments a third, leaves the rest.
    def review(po):
        heading = po.find(ARTICLE[0])
        heading.flags.remove("fuzzy")
        visit = po.find(ARTICLE[1])
        visit.msgstr = "Human translation of the visit."
        visit.flags.remove("fuzzy")
        congress = po.find(ARTICLE[3])
        congress.tcomment = "check the official name of the Congress"
        thanks = po.find(ARTICLE[5])
        thanks.msgstr = "Human translation of the thanks."
        thanks.flags.remove("fuzzy")
    translator_edit(path, review)
    assert_msgfmt_clean(path)

    # Run 2 with the same article: the translator's file is merged, not overwritten.
    before = path.read_bytes()
    stats = run(root, lang, segs, NOW2)
    assert (stats.approved, stats.fuzzy) == (3, 3)
    entries = live(path)
    assert entries[(None, ARTICLE[1])].msgstr == "Human translation of the visit."
    assert not entries[(None, ARTICLE[1])].fuzzy
    assert cat.translator_lines(entries[(None, ARTICLE[3])]) == ["check the official name of the Congress"]
    assert_msgfmt_clean(path)
    rerun = path.read_bytes()
    run(root, lang, segs, NOW2.replace(day=9))
    assert path.read_bytes() == rerun, "a run that changes nothing rewrites nothing"
    assert before != rerun  # our layout replaced the other tool's wrapping, content is the same

    # The article is edited: one approved sentence changed, one removed, one added.
    edited = list(ARTICLE)
    edited[1] = "The Supreme Mufti received the ambassador of Egypt on Tuesday."
    del edited[5]
    edited.insert(3, "The meeting took place at the Spiritual Administration of Muslims.")
    stats = run(root, lang, segments(edited, {0: "heading"}), NOW2)
    assert_msgfmt_clean(path)
    entries = live(path)
    assert [k[1] for k in entries] == edited
    assert entries[(None, ARTICLE[0])].msgstr == fake_mt(lang, ARTICLE[0])
    assert not entries[(None, ARTICLE[0])].fuzzy, "approval kept"
    assert cat.translator_lines(entries[(None, ARTICLE[3])]) == ["check the official name of the Congress"]

    changed = entries[(None, edited[1])]
    assert changed.fuzzy
    assert changed.msgstr == "Human translation of the visit."
    assert changed.previous_msgid == ARTICLE[1]
    assert f'#| msgid "{ARTICLE[1]}"' in path.read_text(encoding="utf-8")

    gone = obsolete(path)
    assert gone[(None, ARTICLE[5])].msgstr == "Human translation of the thanks."
    assert (None, ARTICLE[1]) not in gone, "the changed sentence's translation moved, it is not duplicated"

    new = entries[(None, edited[3])]
    assert new.fuzzy and new.msgstr == fake_mt(lang, edited[3])
    assert (stats.total, stats.approved, stats.fuzzy, stats.untranslated, stats.obsolete) == (6, 1, 5, 0, 1)

    # The translator approves the changed sentence; the next run leaves it alone.
    translator_edit(path, lambda po: po.find(edited[1]).flags.remove("fuzzy"))
    run(root, lang, segments(edited, {0: "heading"}), NOW2)
    again = live(path)[(None, edited[1])]
    assert not again.fuzzy and again.msgstr == "Human translation of the visit."
    assert catalog_stats(path).approved == 2
    assert_msgfmt_clean(path)


def test_removed_sentence_comes_back_with_its_translation(tmp_path):
    path = catalog_path(tmp_path, "ru", "visit")
    segs = segments(ARTICLE[:4])
    run(tmp_path, "ru", segs)
    congress = "Конгресс лидеров мировых религий."
    translator_edit(path, lambda po: setattr(po.find(ARTICLE[3]), "msgstr", congress))
    run(tmp_path, "ru", segs[:3])
    assert obsolete(path)[(None, ARTICLE[3])].msgstr == congress
    run(tmp_path, "ru", segs)
    back = live(path)[(None, ARTICLE[3])]
    assert back.msgstr == congress and back.fuzzy
    assert obsolete(path) == {}
    assert_msgfmt_clean(path)


def test_untranslated_entries_leave_no_obsolete_trace(tmp_path):
    path = catalog_path(tmp_path, "kk", "visit")
    drafts = [Draft(msgid=t, msgctxt=None, occurrences=[("a.md", "1")]) for t in ARTICLE[:3]]
    stats = update_catalog(path, "kk", drafts, project="p", now=NOW1)
    assert stats.untranslated == 3
    assert "fuzzy" not in path.read_text(encoding="utf-8"), "an empty msgstr is never flagged fuzzy"
    update_catalog(path, "kk", drafts[:1], project="p", now=NOW1)
    assert catalog_stats(path).obsolete == 0


def test_existing_translation_wins_over_a_new_proposal(tmp_path):
    path = catalog_path(tmp_path, "kk", "visit")
    base = Draft(msgid="Hello.", msgctxt=None, occurrences=[("a.md", "1")], msgstr="Сәлем.", fuzzy=False)
    update_catalog(path, "kk", [base], project="p", now=NOW1)
    proposal = Draft(msgid="Hello.", msgctxt=None, occurrences=[("a.md", "2")], msgstr="Other.", fuzzy=True)
    update_catalog(path, "kk", [proposal], project="p", now=NOW1)
    entry = live(path)[(None, "Hello.")]
    assert entry.msgstr == "Сәлем." and not entry.fuzzy and entry.occurrences == [("a.md", "2")]


def test_suggestion_chosen_by_the_integrator_does_not_linger_as_obsolete(tmp_path):
    path = catalog_path(tmp_path, "ru", "visit")
    old = "The ambassador met the mufti in Astana."
    update_catalog(path, "ru", [Draft(old, None, [("a.md", "1")], msgstr="Посол встретился.", fuzzy=False)],
                   project="p", now=NOW1)
    new = "The ambassador met the mufti in Almaty."
    suggestion = Catalog.load(path).previous_suggestion(new)
    assert suggestion is not None and suggestion.old_msgid == old and suggestion.score >= 75
    assert Catalog.load(path).previous_suggestion("Something else entirely.") is None
    draft = Draft(new, None, [("a.md", "1")], msgstr=suggestion.msgstr, fuzzy=True, previous_msgid=old)
    update_catalog(path, "ru", [draft], project="p", now=NOW1)
    entry = live(path)[(None, new)]
    assert entry.fuzzy and entry.previous_msgid == old and entry.msgstr == "Посол встретился."
    assert obsolete(path) == {}
    assert_msgfmt_clean(path)


def test_provenance_of_a_kept_translation_survives_a_run_without_proposal(tmp_path):
    path = catalog_path(tmp_path, "ar", "visit")
    first = Draft("Peace.", None, [("a.md", "1")], msgstr="سلام.",
                  comments=cat.format_comments("sentence", [], cat.memory_provenance(92, "ntrex")))
    update_catalog(path, "ar", [first], project="p", now=NOW1)
    later = Draft("Peace.", None, [("a.md", "4")],
                  comments=cat.format_comments("heading", [("Peace", "سلام")]))
    update_catalog(path, "ar", [later], project="p", now=NOW1)
    entry = live(path)[(None, "Peace.")]
    assert entry.comment == "kind: heading"
    assert entry.tcomment.split("\n") == ["pipeline: term: Peace => سلام", "pipeline: provenance: memory 92% (ntrex)"]


# ---------------------------------------------------------------- header

@pytest.mark.parametrize("lang", ["kk", "ru", "ar"])
def test_header_is_complete_and_correct(tmp_path, lang):
    path = catalog_path(tmp_path, lang, "visit")
    update_catalog(path, lang, [Draft("Hello.", None, [("a.md", "1")], msgstr="x")], project="news 1.0",
                   now=NOW1)
    meta = read_po(path).metadata
    assert meta["Project-Id-Version"] == "news 1.0"
    assert meta["POT-Creation-Date"] == meta["PO-Revision-Date"] == "2025-03-01 09:30+0000"
    assert meta["Language"] == lang
    assert meta["Language-Team"] == english_name(lang)
    assert meta["Last-Translator"]
    assert meta["MIME-Version"] == "1.0"
    assert meta["Content-Type"] == "text/plain; charset=UTF-8"
    assert meta["Content-Transfer-Encoding"] == "8bit"
    assert meta["Plural-Forms"] == plural_forms(lang)
    assert meta["X-Generator"] == GENERATOR
    assert_msgfmt_clean(path)
    # msgfmt agrees about the plural rule (it evaluates the expression when compiling a plural entry)
    po = path.read_text(encoding="utf-8") + '\nmsgid "one"\nmsgid_plural "many"\n' + "".join(
        f'msgstr[{i}] "x{i}"\n' for i in range(int(plural_forms(lang)[9])))
    plural = tmp_path / f"plural-{lang}.po"
    plural.write_text(po, encoding="utf-8")
    assert_msgfmt_clean(plural)


def test_header_keeps_what_the_translator_set_and_dates_move_only_with_content(tmp_path):
    path = catalog_path(tmp_path, "kk", "visit")
    drafts = [Draft("Hello.", None, [("a.md", "1")], msgstr="Сәлем.")]
    update_catalog(path, "kk", drafts, project="p", now=NOW1)

    def sign(po):
        po.metadata["Last-Translator"] = "Aigerim <aigerim@example.org>"
        po.metadata["Language-Team"] = "Kazakh <kk@example.org>"
        po.metadata["X-Poedit-SourceCharset"] = "UTF-8"
    translator_edit(path, sign)
    update_catalog(path, "kk", drafts, project="p", now=NOW2)
    meta = read_po(path).metadata
    assert meta["Last-Translator"] == "Aigerim <aigerim@example.org>"
    assert meta["Language-Team"] == "Kazakh <kk@example.org>"
    assert meta["X-Poedit-SourceCharset"] == "UTF-8"
    assert meta["PO-Revision-Date"] == meta["POT-Creation-Date"] == "2025-03-01 09:30+0000"
    # only a reference moved: source date changes, revision date does not
    drafts[0].occurrences = [("a.md", "7")]
    update_catalog(path, "kk", drafts, project="p", now=NOW2)
    meta = read_po(path).metadata
    assert meta["POT-Creation-Date"] == "2025-03-08 17:05+0000"
    assert meta["PO-Revision-Date"] == "2025-03-01 09:30+0000"


def test_catalog_started_from_the_template_gets_a_real_header(tmp_path):
    """A translator who copied the POT (fuzzy header, placeholders) gets a complete header on the next run."""
    drafts = [Draft("Hello.", None, [("a.md", "1")])]
    pot = template_path(tmp_path, "visit")
    write_template(pot, drafts, project="news", now=NOW1)
    path = catalog_path(tmp_path, "ar", "visit")
    path.parent.mkdir(parents=True)
    shutil.copy(pot, path)
    update_catalog(path, "ar", drafts, project="news", now=NOW2)
    po = read_po(path)
    assert not po.metadata_is_fuzzy
    assert po.metadata["Language"] == "ar" and po.metadata["Plural-Forms"] == plural_forms("ar")
    assert po.metadata["Last-Translator"] != "FULL NAME <EMAIL@ADDRESS>"
    assert po.metadata["PO-Revision-Date"] == "2025-03-08 17:05+0000"
    assert_msgfmt_clean(path)


def test_template_has_sources_only_and_is_stable(tmp_path):
    path = template_path(tmp_path, "visit")
    drafts = [Draft(msgid=m, msgctxt=c, occurrences=[("a.md", str(i))], msgstr="proposal", fuzzy=True,
                    comments=cat.format_comments("sentence", [], "memory 80% (x)"))
              for i, (c, m) in enumerate(entry_keys(segments(ARTICLE)))]
    write_template(path, drafts, project="news", now=NOW1)
    po = read_po(path)
    assert [(e.msgctxt, e.msgid) for e in po] == entry_keys(segments(ARTICLE))
    assert all(e.msgstr == "" and not e.flags and "provenance" not in e.tcomment for e in po)
    assert po.metadata["POT-Creation-Date"] == "2025-03-01 09:30+0000"
    assert po.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    assert msgfmt(path, "--check-format").returncode == 0
    data = path.read_bytes()
    write_template(path, drafts, project="news", now=NOW2)
    assert path.read_bytes() == data
    write_template(path, drafts[:2], project="news", now=NOW2)
    assert read_po(path).metadata["POT-Creation-Date"] == "2025-03-08 17:05+0000"


# ---------------------------------------------------------------- real-world catalogs

@pytest.mark.parametrize("source", REALWORLD, ids=lambda p: p.name.split("__")[0])
def test_realworld_round_trip_loses_nothing(tmp_path, shared, source):
    original = read_po(source)
    copy = tmp_path / source.name
    save_po(original, copy)
    again = read_po(copy)
    assert [sig(e) for e in again] == [sig(e) for e in original]
    assert list(again.metadata.items()) == list(original.metadata.items())
    assert again.header == original.header
    assert again.metadata_is_fuzzy == original.metadata_is_fuzzy
    assert copy.read_bytes() == po_bytes(again), "writing is stable"
    crlf_source = source.read_bytes().count(b"\r\n") * 2 > source.read_bytes().count(b"\n")
    written = copy.read_bytes()
    assert (written.count(b"\r\n") == written.count(b"\n")) == crlf_source, "line endings kept"
    # gettext itself sees the same catalog
    before, after = msgfmt(source, "--statistics"), msgfmt(copy, "--statistics")
    assert before.returncode == after.returncode
    assert before.stderr.replace(str(source), "") == after.stderr.replace(str(copy), "")
    if msgfmt(source, "--check").returncode == 0:
        assert msgfmt(copy, "--check").returncode == 0


def test_realworld_features_are_all_exercised(shared):
    """The round trip above covers obsolete entries, plurals, msgctxt, previous msgids and odd headers."""
    loaded = {p.name.split("__")[0]: read_po(p) for p in REALWORLD}
    everything = [e for po in loaded.values() for e in po]
    assert sum(e.obsolete for e in everything) >= 40
    assert sum(bool(e.msgid_plural) for e in everything) >= 7
    assert sum(e.msgctxt is not None for e in everything) >= 4
    assert sum(e.previous_msgid is not None for e in everything) >= 3
    assert "Plural-Forms" not in loaded["zenity_kk"].metadata
    assert loaded["mc_ru"].metadata["Plural-Forms"].startswith("nplurals=4")
    assert loaded["ayatana-indicator-datetime_ru"].metadata["Language-Team"].endswith("datetime-applet/ru/>")
    mc_plural = next(e for e in loaded["mc_ru"] if e.msgid_plural)
    assert sorted(mc_plural.msgstr_plural) == [0, 1, 2, 3]


@pytest.mark.parametrize("source", REALWORLD, ids=lambda p: p.name.split("__")[0])
def test_writer_matches_gnu_msgcat_layout(tmp_path, shared, source):
    """Same line breaking as GNU gettext: editing with msgcat/msgmerge afterwards does not reflow the file."""
    ours = render_po(read_po(source)).splitlines()
    gnu = subprocess.run(["msgcat", str(source)], capture_output=True, check=True).stdout
    gnu_lines = gnu.decode("utf-8").replace("\r", "").splitlines()
    # polib strips trailing blanks of header comment lines ("# " -> "#"); nothing else may differ
    assert [line.rstrip() for line in ours] == [line.rstrip() for line in gnu_lines]


@pytest.mark.parametrize("source", REALWORLD, ids=lambda p: p.name.split("__")[0])
def test_merge_into_a_foreign_catalog_keeps_every_translation(tmp_path, shared, source):
    path = tmp_path / source.name
    shutil.copyfile(source, path)  # a writable copy (../shared is read-only, and so is a copy of its mode)
    original = read_po(path)

    def work(e):  # everything but the live/obsolete state and the source references
        return repr((e.msgctxt, e.msgid, e.msgid_plural, e.msgstr, sorted(e.msgstr_plural.items()), e.flags,
                     e.tcomment, e.comment, e.previous_msgctxt, e.previous_msgid, e.previous_msgid_plural))
    translated = [work(e) for e in original if cat._has_text(e)]
    update_catalog(path, "ru", [Draft("A new sentence.", None, [("a.md", "1")], msgstr="Новое.")],
                   project="p", now=NOW1)
    merged = read_po(path)
    kept = [work(e) for e in merged if cat._has_text(e) and e.msgid != "A new sentence."]
    assert sorted(kept) == sorted(translated)
    assert merged.metadata.get("Plural-Forms") == original.metadata.get("Plural-Forms", plural_forms("ru")), \
        "a translator's own plural rule is kept, a missing one is filled in"
    for key in ("Last-Translator", "Language-Team", "Language"):
        if key in original.metadata:
            assert merged.metadata[key] == original.metadata[key]
    assert_msgfmt_clean(path)


def test_other_charsets_are_read_and_written_back_in_kind(tmp_path, shared):
    if shutil.which("msgconv") is None:
        pytest.skip("msgconv not installed")
    source = next(p for p in REALWORLD if p.name.startswith("mc_ru"))
    koi8 = tmp_path / "mc-koi8.po"
    subprocess.run(["msgconv", "-t", "KOI8-R", "-o", str(koi8), str(source)], check=True)
    assert b"charset=KOI8-R" in koi8.read_bytes()
    po = read_po(koi8)
    assert [sig(e) for e in po] == [sig(e) for e in read_po(source)]
    out = tmp_path / "out.po"
    save_po(po, out)
    assert out.read_bytes() == koi8.read_bytes()  # msgconv writes the GNU layout, and so do we
    assert msgfmt(out, "--check").returncode == 0
    # merging converts to UTF-8 (the header says so) and keeps the text
    update_catalog(out, "ru", [], project="p", now=NOW1)
    assert b"charset=UTF-8" in out.read_bytes()
    assert sum(cat._has_text(e) for e in read_po(out)) == sum(cat._has_text(e) for e in po)


def test_obsolete_previous_msgid_and_gnu_escapes_survive(tmp_path):
    text = textwrap.dedent('''\
        msgid ""
        msgstr ""
        "Content-Type: text/plain; charset=UTF-8\\n"
        "Plural-Forms: nplurals=2; plural=(n != 1);\\n"

        #.no space after the mark
        #,fuzzy
        #| msgctxt "old context"
        #| msgid "Old text"
        msgctxt "ctx"
        msgid "New text with a tab\\tand \\"quotes\\""
        msgstr "Жаңа \\101\\x42"

        # kept translator note
        #, fuzzy
        #~| msgid "Older source"
        #~ msgid "Gone"
        #~ msgstr "Кетті"
        ''')
    path = tmp_path / "odd.po"
    path.write_text(text, encoding="utf-8")
    po = read_po(path)
    live_entry, gone = list(po)
    assert live_entry.comment == "no space after the mark" and live_entry.flags == ["fuzzy"]
    assert (live_entry.previous_msgctxt, live_entry.previous_msgid) == ("old context", "Old text")
    assert live_entry.msgid == 'New text with a tab\tand "quotes"' and live_entry.msgstr == "Жаңа AB"
    assert gone.obsolete and gone.previous_msgid == "Older source" and gone.tcomment == "kept translator note"
    out = tmp_path / "out.po"
    save_po(po, out)
    assert '#~| msgid "Older source"' in out.read_text(encoding="utf-8")
    assert [sig(e) for e in read_po(out)] == [sig(e) for e in po]
    assert msgfmt(out, "--check-format").returncode == 0


# ---------------------------------------------------------------- broken catalogs

BROKEN = {
    "unterminated string": ('msgid "a"\nmsgstr "b\n', 2),
    "msgid without msgstr": ('msgid "a"\nmsgstr "b"\n\nmsgid "c"\n\nmsgid "d"\nmsgstr ""\n', 4),
    "garbage line": ('msgid "a"\nmsgstr "b"\nthis is not po\n', 3),
    "bad escape": ('msgid "a"\nmsgstr "b \\q"\n', 2),
    "duplicate": ('msgid "a"\nmsgstr "b"\n\nmsgid "a"\nmsgstr "c"\n', 4),
    "text after the string": ('msgid "a" x\nmsgstr "b"\n', 1),
    "msgstr first": ('msgstr "b"\n', 1),
    "missing msgstr at the end": ('msgid "a"\nmsgstr "b"\n\nmsgid "c"\n', 4),
}
HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_catalog_reports_file_and_line_and_stays_untouched(tmp_path, name):
    body, line = BROKEN[name]
    path = catalog_path(tmp_path, "kk", "visit")
    path.parent.mkdir(parents=True)
    path.write_bytes((HEADER + body).encode())
    before = path.read_bytes()
    with pytest.raises(CatalogError) as info:
        update_catalog(path, "kk", [Draft("a", None, [("a.md", "1")], msgstr="x")], project="p")
    assert info.value.path == path
    assert info.value.line == line + 4, str(info.value)
    assert str(info.value).startswith(f"{path}:{line + 4}: ")
    assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == ["visit.po"], "no temp file left behind"
    with pytest.raises(CatalogError):
        Catalog.load(path)
    with pytest.raises(CatalogError):
        catalog_stats(path)


def test_invalid_bytes_for_the_declared_charset(tmp_path):
    path = tmp_path / "bad.po"
    path.write_bytes(HEADER.encode() + b'msgid "a"\nmsgstr "\xff\xfe"\n')
    with pytest.raises(CatalogError) as info:
        read_po(path)
    assert info.value.line == 6 and "utf-8" in info.value.message


def test_unknown_charset(tmp_path):
    path = tmp_path / "bad.po"
    path.write_text(HEADER.replace("UTF-8", "NO-SUCH-CODEC"), encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        read_po(path)
    assert info.value.line == 3 and "NO-SUCH-CODEC" in info.value.message


# ---------------------------------------------------------------- concurrency

def test_translator_saving_during_the_merge_is_merged_not_lost(tmp_path, monkeypatch):
    path = catalog_path(tmp_path, "ru", "visit")
    segs = segments(ARTICLE[:3])
    run(tmp_path, "ru", segs)
    saves = []

    def translator_saves_now(target):
        if not saves:  # the translator hits Save in Poedit just before our replace
            saves.append(target)
            translator_edit(target, lambda po: (setattr(po.find(ARTICLE[1]), "msgstr", "Перевод редактора."),
                                                po.find(ARTICLE[1]).flags.remove("fuzzy")))
    monkeypatch.setattr(files, "before_replace", translator_saves_now)
    added = segments(ARTICLE[:4])
    run(tmp_path, "ru", added, NOW2)
    assert saves, "the hook ran"
    entries = live(path)
    edited = entries[(None, ARTICLE[1])]
    assert edited.msgstr == "Перевод редактора." and not edited.fuzzy
    assert entries[(None, ARTICLE[3])].msgstr == fake_mt("ru", ARTICLE[3])
    assert_msgfmt_clean(path)


def test_a_catalog_that_never_settles_fails_clearly(tmp_path, monkeypatch):
    path = catalog_path(tmp_path, "ru", "visit")
    run(tmp_path, "ru", segments(ARTICLE[:2]))
    counter = iter(range(100))

    def keeps_saving(target):
        text = target.read_text(encoding="utf-8")
        target.write_text(text + f"\n# save {next(counter)}\n", encoding="utf-8")
    monkeypatch.setattr(files, "before_replace", keeps_saving)
    with pytest.raises(CatalogError, match="kept changing"):
        run(tmp_path, "ru", segments(ARTICLE[:3]))
    assert read_po(path), "the translator's last save is intact"
    assert [p.name for p in path.parent.iterdir()] == ["visit.po"]


def test_workspace_lock_excludes_a_second_run(tmp_path):
    with workspace_lock(tmp_path) as lock:
        assert lock == tmp_path / ".pipeline" / "lock"
        assert f"pid {os.getpid()}" in lock.read_text()
        with pytest.raises(WorkspaceBusy, match="in use by another pipeline run") as info:
            with workspace_lock(tmp_path, timeout=0.2):
                pass
        assert f"pid {os.getpid()}" in str(info.value)
    with workspace_lock(tmp_path):  # released
        pass


def test_second_process_waits_for_the_lock_and_nothing_is_corrupted(tmp_path):
    """Two runs at once: the second waits for the first; both merges end up in the catalog."""
    script = textwrap.dedent('''\
        import sys, time
        from pathlib import Path
        from pipeline.catalogs import Draft, update_catalog
        from pipeline.workspace import catalog_path, workspace_lock
        root, word, hold = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
        with workspace_lock(root, timeout=30):
            print("locked", flush=True)
            path = catalog_path(root, "kk", "visit")
            drafts = [Draft(f"{word} {i}.", None, [("a.md", str(i))], msgstr=f"{word}-kk {i}")
                      for i in range(40)]
            update_catalog(path, "kk", drafts, project="p")
            time.sleep(hold)
        ''')
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    first = subprocess.Popen([sys.executable, "-c", script, str(tmp_path), "first", "1.0"], env=env,
                             stdout=subprocess.PIPE, text=True)
    assert first.stdout.readline().strip() == "locked"
    with pytest.raises(WorkspaceBusy):
        with workspace_lock(tmp_path):
            pass
    second = subprocess.run([sys.executable, "-c", script, str(tmp_path), "second", "0"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert first.wait(timeout=60) == 0 and second.returncode == 0, second.stderr
    path = catalog_path(tmp_path, "kk", "visit")
    stats = catalog_stats(path)
    assert (stats.total, stats.obsolete) == (40, 40), "second run's entries live, first run's kept obsolete"
    assert_msgfmt_clean(path)


def test_writes_are_atomic_and_keep_the_file_mode(tmp_path):
    path = catalog_path(tmp_path, "kk", "visit")
    update_catalog(path, "kk", [Draft("One.", None, [("a.md", "1")], msgstr="Бір.")], project="p", now=NOW1)
    path.chmod(0o640)
    inode = path.stat().st_ino
    update_catalog(path, "kk", [Draft("Two.", None, [("a.md", "1")], msgstr="Екі.")], project="p", now=NOW1)
    assert path.stat().st_ino != inode, "replaced, not rewritten in place"
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in path.parent.iterdir()] == ["visit.po"]


def test_crlf_catalog_keeps_its_line_endings(tmp_path):
    path = catalog_path(tmp_path, "kk", "visit")
    update_catalog(path, "kk", [Draft("One.", None, [("a.md", "1")], msgstr="Бір.")], project="p", now=NOW1)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    update_catalog(path, "kk", [Draft("Two.", None, [("a.md", "1")], msgstr="Екі.")], project="p", now=NOW1)
    data = path.read_bytes()
    assert data.count(b"\r\n") == data.count(b"\n")
    assert_msgfmt_clean(path)


# ---------------------------------------------------------------- stats

def test_catalog_stats_counts_each_state(tmp_path):
    path = tmp_path / "s.po"
    path.write_text(HEADER + textwrap.dedent('''\
        msgid "approved"
        msgstr "ok"

        #, fuzzy
        msgid "fuzzy"
        msgstr "maybe"

        msgid "empty"
        msgstr ""

        #, fuzzy
        msgid "fuzzy but empty"
        msgstr ""

        msgid "one"
        msgid_plural "many"
        msgstr[0] "бір"
        msgstr[1] ""

        #~ msgid "old"
        #~ msgstr "ескі"
        '''), encoding="utf-8")
    stats = catalog_stats(path)
    assert (stats.total, stats.approved, stats.fuzzy, stats.untranslated, stats.obsolete) == (5, 1, 1, 3, 1)
    assert stats.percent_approved == 20.0
    assert catalog_stats(tmp_path / "absent.po") == cat.CatalogStats(0, 0, 0, 0, 0)


def test_existing_reports_only_live_translations(tmp_path):
    path = tmp_path / "e.po"
    path.write_text(HEADER + 'msgid "a"\nmsgstr "x"\n\n#, fuzzy\nmsgid "b"\nmsgstr "y"\n\n'
                    'msgid "c"\nmsgstr ""\n\n#~ msgid "d"\n#~ msgstr "z"\n', encoding="utf-8")
    catalog = Catalog.load(path)
    assert catalog.existing(None, "a") == cat.Existing("x", False)
    assert catalog.existing(None, "b") == cat.Existing("y", True)
    assert catalog.existing(None, "c") is None
    assert catalog.existing(None, "d") is None
    assert catalog.existing("ctx", "a") is None
    assert catalog.keys() == [(None, "a"), (None, "b"), (None, "c")]
    assert Catalog.load(tmp_path / "absent.po").existing(None, "a") is None


def test_merge_leaves_the_loaded_catalog_alone_and_rejects_bad_drafts(tmp_path):
    path = catalog_path(tmp_path, "kk", "visit")
    update_catalog(path, "kk", [Draft("One.", None, [("a.md", "1")], msgstr="Бір.")], project="p", now=NOW1)
    catalog = Catalog.load(path)
    before = [sig(e) for e in catalog.po]
    merged = cat.merge_entries(catalog.po, [Draft("One!", None, [("a.md", "1")])])
    assert merged[0].previous_msgid == "One." and merged[0].fuzzy
    assert [sig(e) for e in catalog.po] == before
    with pytest.raises(ValueError, match="share msgctxt and msgid"):
        update_catalog(path, "kk", [Draft("A.", None, []), Draft("A.", None, [])], project="p")
    with pytest.raises(ValueError, match="empty msgid"):
        update_catalog(path, "kk", [Draft("", None, [])], project="p")
    assert [sig(e) for e in read_po(path)] == before


def test_edit_saved_by_weblate_translate_toolkit_is_kept(tmp_path):
    po_storage = pytest.importorskip("translate.storage.po")
    path = catalog_path(tmp_path, "kk", "visit")
    segs = segments(ARTICLE[:3])
    run(tmp_path, "kk", segs)
    store = po_storage.pofile.parsefile(str(path))
    unit = next(u for u in store.units if u.source == ARTICLE[2])
    unit.target = "Екі тарап дінаралық диалог пен діни білім беру мәселелерін талқылады."
    unit.markfuzzy(False)
    path.write_bytes(bytes(store))
    run(tmp_path, "kk", segs, NOW2)
    entry = live(path)[(None, ARTICLE[2])]
    assert entry.msgstr == unit.target and not entry.fuzzy
    assert catalog_stats(path).approved == 1
    assert_msgfmt_clean(path)


def test_a_near_match_is_never_labelled_100_percent():
    assert cat.memory_provenance(99.96, "locales/ru/LC_MESSAGES/a.po") == "memory 99.9% (locales/ru/LC_MESSAGES/a.po)"
    assert cat.memory_provenance(100, "a.tmx") == "memory 100% (a.tmx)"


def test_a_sentence_edited_in_place_is_offered_its_old_translation_whatever_the_score(tmp_path):
    path = catalog_path(tmp_path, "ru", "visit")
    old = [Draft(f"Sentence number {n} of the report.", None, [("a.md", str(n))], msgstr=f"Предложение {n}.",
                 fuzzy=False) for n in range(4)]
    update_catalog(path, "ru", old, project="p", now=NOW1)
    catalog = Catalog.load(path)
    keys = [(None, d.msgid) for d in old]
    for index in range(4):  # each one rewritten beyond recognition, its neighbours kept (or the start or end)
        edited = keys[:index] + [(None, "Completely different words.")] + keys[index + 1:]
        current = {k[1] for k in edited}
        found = catalog.previous_suggestion("Completely different words.", 75, current, edited, index)
        assert found is not None and found.old_msgid == old[index].msgid and found.score < 75
    # two neighbours rewritten: neither is "in place" any more
    edited = [keys[0], (None, "Completely different words."), (None, "Other new words entirely."), keys[3]]
    current = {k[1] for k in edited}
    assert catalog.previous_suggestion("Completely different words.", 75, current, edited, 1) is None
    assert catalog.previous_suggestion("Other new words entirely.", 75, current, edited, 2) is None
