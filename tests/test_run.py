"""The whole job through the CLI, with a fake engine (plumbing) and with a real tiny argos model (test_e2e)."""

from __future__ import annotations

import json
from pathlib import Path

import polib
import pytest
from conftest import FakeEngine, make_workspace, msgfmt
from typer.testing import CliRunner

from pipeline import catalogs, cli, engine
from pipeline.workspace import catalog_path

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()

ARTICLE_A = """Grand Mufti meets the ambassador

ASTANA. KAZINFORM – The Grand Mufti met the Ambassador of Egypt on Monday.
They discussed cooperation between the Spiritual Administration of Muslims of Kazakhstan and Al-Azhar University.
The meeting took place in a warm and friendly atmosphere.
Both sides agreed to hold a joint conference next year.
"""

ARTICLE_B = """A library exhibition

The National Library of the Republic of Kazakhstan opened an exhibition of rare manuscripts.
The meeting took place in a warm and friendly atmosphere.
Visitors will be able to see the collection until the end of the month.
"""


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    root = make_workspace(tmp_path, {"a.txt": ARTICLE_A, "b.txt": ARTICLE_B})
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "no-packages"))
    return root


@pytest.fixture
def fake_engine(monkeypatch):
    calls: list[str] = []

    def load(directory, to_code, from_code="en", **settings):
        return FakeEngine(to_code, calls=calls) if to_code in ("kk", "ru") else None

    monkeypatch.setattr(engine.Engine, "load", staticmethod(load))
    return calls


def invoke(*args: str):
    result = runner.invoke(cli.app, list(args), catch_exceptions=False)
    return result


def msgfmt_ok(path: Path) -> None:
    proc = msgfmt(path, "--check-format")
    assert proc.returncode == 0, proc.stderr


def entries(path: Path) -> dict[str, polib.POEntry]:
    return {e.msgid: e for e in polib.pofile(str(path)) if not e.obsolete}


def test_run_without_models_writes_empty_catalogs_and_says_how_to_install(workspace):
    result = invoke("run", "--root", str(workspace), "--no-publish")
    assert result.exit_code == 0, result.output
    for lang in ("kk", "ru", "ar"):
        path = catalog_path(workspace, lang, "a")
        assert path.exists()
        msgfmt_ok(path)
        po = polib.pofile(str(path))
        assert po.metadata["Language"] == lang
        assert all(e.msgstr == "" for e in po)
        assert f"en→{lang}: no model installed" in result.output
    assert "pipeline models install ru" in result.output
    assert (workspace / "locales" / "templates" / "a.pot").exists()


def test_run_drafts_with_engine_fuzzy_and_with_provenance(workspace, fake_engine):
    result = invoke("run", "--root", str(workspace), "--langs", "kk,ru,ar", "--no-publish", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["missing_models"] == ["ar"]
    kk = entries(catalog_path(workspace, "kk", "a"))
    assert kk and all(e.msgstr.startswith("[kk] ") and e.fuzzy for e in kk.values())
    sample = next(iter(kk.values()))
    assert "provenance: machine translation fake en→xx 0.1" in sample.tcomment
    assert sample.occurrences and sample.occurrences[0][0] == "source_texts/a.txt"
    assert all(e.msgstr == "" for e in entries(catalog_path(workspace, "ar", "a")).values())
    for lang in ("kk", "ru", "ar"):
        msgfmt_ok(catalog_path(workspace, lang, "a"))


def test_identical_sentences_across_articles_are_translated_once(workspace, fake_engine):
    invoke("run", "--root", str(workspace), "--langs", "kk", "--no-publish")
    shared = "The meeting took place in a warm and friendly atmosphere."
    assert sum(1 for text in fake_engine if "warm and friendly" in text) == 1
    assert entries(catalog_path(workspace, "kk", "b"))[shared].msgstr


def test_glossary_terms_are_listed_and_enforced(workspace, fake_engine):
    invoke("run", "--root", str(workspace), "--langs", "kk", "--no-publish")
    kk = entries(catalog_path(workspace, "kk", "a"))
    entry = next(e for e in kk.values() if "Spiritual Administration" in e.msgid)
    assert "term: Spiritual Administration of Muslims of Kazakhstan => " in entry.tcomment
    # The fake engine passes placeholders through, so the preferred Kazakh term is put in place.
    assert "Қазақстан мұсылмандары діни басқармасы" in entry.msgstr
    assert "Spiritual Administration" not in entry.msgstr


def approve(path: Path, edits: dict[str, str]) -> None:
    """What a translator does in Poedit: type a translation and clear the fuzzy flag."""
    po = polib.pofile(str(path))
    for entry in po:
        if entry.msgid in edits:
            entry.msgstr = edits[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            entry.tcomment = "checked by Aigerim"
    po.save(str(path))


def test_review_cycle_keeps_every_human_edit(workspace, fake_engine):
    invoke("run", "--root", str(workspace), "--langs", "kk", "--no-publish")
    path = catalog_path(workspace, "kk", "a")
    approved = {
        "They discussed cooperation between the Spiritual Administration of Muslims of Kazakhstan and "
        "Al-Azhar University.": "Олар ынтымақтастықты талқылады.",
        "Both sides agreed to hold a joint conference next year.": "Екі тарап конференцияға келісті.",
        "The meeting took place in a warm and friendly atmosphere.": "Кездесу жылы атмосферада өтті.",
    }
    approve(path, approved)

    text = ARTICLE_A.replace("Both sides agreed to hold a joint conference next year.",
                             "Both sides agreed to hold a joint conference next spring.")
    text = text.replace("The meeting took place in a warm and friendly atmosphere.\n", "")
    text += "A memorandum of understanding will be signed in Almaty.\n"
    (workspace / "source_texts" / "a.txt").write_text(text, encoding="utf-8")
    fake_engine.clear()
    result = invoke("run", "--root", str(workspace), "--langs", "kk", "--no-publish")
    assert result.exit_code == 0, result.output

    po = polib.pofile(str(path))
    live = {e.msgid: e for e in po if not e.obsolete}
    kept = live["They discussed cooperation between the Spiritual Administration of Muslims of Kazakhstan and "
                "Al-Azhar University."]
    assert kept.msgstr == "Олар ынтымақтастықты талқылады." and not kept.fuzzy
    assert catalogs.translator_lines(kept) == ["checked by Aigerim"]
    changed = live["Both sides agreed to hold a joint conference next spring."]
    assert changed.fuzzy and changed.msgstr == "Екі тарап конференцияға келісті."
    assert changed.previous_msgid == "Both sides agreed to hold a joint conference next year."
    obsolete = [e for e in po if e.obsolete]
    assert any(e.msgstr == "Кездесу жылы атмосферада өтті." for e in obsolete)
    new = live["A memorandum of understanding will be signed in Almaty."]
    assert new.msgstr and new.fuzzy
    # Only the new sentence went to the engine (Almaty is a glossary term, so it travels as a placeholder).
    assert len(fake_engine) == 1 and fake_engine[0].startswith("A memorandum of understanding will be signed in")
    msgfmt_ok(path)


def test_memory_reuses_an_approved_edit_in_another_article(workspace, fake_engine):
    invoke("translate", str(workspace / "source_texts" / "a.txt"), "--root", str(workspace), "--langs", "kk")
    path = catalog_path(workspace, "kk", "a")
    approve(path, {"The meeting took place in a warm and friendly atmosphere.": "Кездесу жылы атмосферада өтті.",
                   "Both sides agreed to hold a joint conference next year.": "Екі тарап келісті."})
    (workspace / "source_texts" / "b.txt").write_text(
        ARTICLE_B + "Both sides agreed to hold a joint conference next summer.\n", encoding="utf-8")
    fake_engine.clear()
    result = invoke("translate", str(workspace / "source_texts" / "b.txt"), "--root", str(workspace),
                    "--langs", "kk", "--json")
    assert result.exit_code == 0, result.output
    b = entries(catalog_path(workspace, "kk", "b"))
    exact = b["The meeting took place in a warm and friendly atmosphere."]
    assert exact.msgstr == "Кездесу жылы атмосферада өтті." and not exact.fuzzy
    assert "provenance: memory 100%" in exact.tcomment
    near = b["Both sides agreed to hold a joint conference next summer."]
    assert near.fuzzy and near.msgstr == "Екі тарап келісті."
    assert near.previous_msgid == "Both sides agreed to hold a joint conference next year."
    assert "provenance: memory " in near.tcomment and "% (" in near.tcomment
    assert not any("warm and friendly" in text or "next summer" in text for text in fake_engine)

    result = invoke("translate", str(workspace / "source_texts" / "b.txt"), "--root", str(workspace),
                    "--langs", "kk", "--exact-as-fuzzy")
    assert result.exit_code == 0


def test_a_sentence_approved_in_another_context_is_a_fuzzy_95_not_an_exact_reuse(workspace, fake_engine):
    meeting = "The meeting took place in a warm and friendly atmosphere."
    ui = workspace / "locales" / "kk" / "LC_MESSAGES" / "captions.po"
    ui.parent.mkdir(parents=True)
    ui.write_text(f'msgid ""\nmsgstr ""\n"Language: kk\\n"\n\nmsgctxt "photo caption"\nmsgid "{meeting}"\n'
                  'msgstr "Жылы атмосферадағы кездесу"\n', encoding="utf-8")
    result = invoke("translate", str(workspace / "source_texts" / "a.txt"), "--root", str(workspace), "--langs", "kk")
    assert result.exit_code == 0, result.output
    entry = entries(catalog_path(workspace, "kk", "a"))[meeting]
    assert entry.msgstr == "Жылы атмосферадағы кездесу" and entry.fuzzy
    assert (entry.previous_msgctxt, entry.previous_msgid) == ("photo caption", meeting)
    assert "provenance: memory 95% (locales/kk/LC_MESSAGES/captions.po)" in entry.tcomment
    assert meeting not in fake_engine
    assert msgfmt(catalog_path(workspace, "kk", "a"), "--check").returncode == 0
    # approved without context in one article, it is an exact reuse in the next one, the caption notwithstanding
    approve(catalog_path(workspace, "kk", "a"), {meeting: "Кездесу жылы атмосферада өтті."})
    invoke("translate", str(workspace / "source_texts" / "b.txt"), "--root", str(workspace), "--langs", "kk")
    exact = entries(catalog_path(workspace, "kk", "b"))[meeting]
    assert exact.msgstr == "Кездесу жылы атмосферада өтті." and not exact.fuzzy


def test_exact_as_fuzzy_flags_reuse(workspace, fake_engine):
    invoke("translate", str(workspace / "source_texts" / "a.txt"), "--root", str(workspace), "--langs", "kk")
    approve(catalog_path(workspace, "kk", "a"),
            {"The meeting took place in a warm and friendly atmosphere.": "Кездесу жылы атмосферада өтті."})
    invoke("translate", str(workspace / "source_texts" / "b.txt"), "--root", str(workspace), "--langs", "kk",
           "--exact-as-fuzzy")
    exact = entries(catalog_path(workspace, "kk", "b"))["The meeting took place in a warm and friendly atmosphere."]
    assert exact.msgstr == "Кездесу жылы атмосферада өтті." and exact.fuzzy


def test_status_json_counts(workspace, fake_engine):
    invoke("run", "--root", str(workspace), "--langs", "kk,ru", "--no-publish")
    approve(catalog_path(workspace, "kk", "a"),
            {"The meeting took place in a warm and friendly atmosphere.": "Кездесу жылы атмосферада өтті."})
    result = invoke("status", "--root", str(workspace), "--json", "--langs", "kk,ru")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    row = next(r for r in data["catalogs"] if r["article"] == "a" and r["lang"] == "kk")
    assert row["approved"] == 1 and row["fuzzy"] == row["total"] - 1 and row["untranslated"] == 0
    assert data["totals"]["total"] == sum(r["total"] for r in data["catalogs"])


def test_bad_article_is_reported_and_others_still_translated(workspace, fake_engine):
    (workspace / "source_texts" / "broken.txt").write_bytes(b"Title\nbad \xff byte\n")
    result = invoke("run", "--root", str(workspace), "--langs", "kk", "--no-publish")
    assert result.exit_code == 1
    assert "broken.txt:2" in result.output
    assert catalog_path(workspace, "kk", "a").exists()


def test_unparsable_catalog_is_left_untouched(workspace, fake_engine):
    path = catalog_path(workspace, "kk", "a")
    path.parent.mkdir(parents=True)
    path.write_text('msgid "a"\nmsgstr "b"\nmsgid \n', encoding="utf-8")
    before = path.read_bytes()
    result = invoke("run", "--root", str(workspace), "--langs", "kk", "--no-publish")
    assert result.exit_code == 1
    assert str(path) in result.output
    assert path.read_bytes() == before
    assert catalog_path(workspace, "kk", "b").exists()


def test_bad_langs_is_a_usage_error(workspace):
    result = invoke("run", "--root", str(workspace), "--langs", "kk,fr")
    assert result.exit_code == 2
    assert "kk,ru,ar" in result.output


def test_segment_json_contract(workspace):
    result = invoke("segment", str(workspace / "source_texts" / "a.txt"), "--root", str(workspace), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["article"] == "a"
    first = data["segments"][0]
    assert first["kind"] == "heading" and first["paragraph"] == 0
    assert {"id", "paragraph", "kind", "text", "terms"} <= set(first)
    with_terms = [s for s in data["segments"] if s["terms"]]
    assert with_terms
    for seg in with_terms:
        for term in seg["terms"]:
            assert seg["text"][term["start"]:term["end"]] == term["text"]
            assert set(term["targets"]) == {"kk", "ru", "ar"} and all(term["targets"].values())


def test_segment_missing_or_bad_file_is_a_clear_error(tmp_path):
    result = invoke("segment", str(tmp_path / "missing.txt"))
    assert result.exit_code == 1
    assert "no such file" in result.output
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"Title\n\xff\n")
    result = invoke("segment", str(bad), "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"errors": [f"{bad}:2: not valid UTF-8 (byte 0xff); save the file as UTF-8"]}


def test_status_reports_a_broken_catalog_and_still_counts_the_others(workspace, fake_engine):
    invoke("run", "--root", str(workspace), "--langs", "kk", "--no-publish")
    broken = catalog_path(workspace, "kk", "b")
    broken.write_text('msgid "x"\nmsgstr "unterminated\n', encoding="utf-8")
    result = invoke("status", "--root", str(workspace), "--langs", "kk", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [r["article"] for r in data["catalogs"] if "total" in r] == ["a"]
    assert data["errors"] and str(broken) in data["errors"][0]


def test_workspace_problems_are_usage_errors(tmp_path, workspace):
    for command in (["status"], ["run"], ["translate"]):
        result = invoke(*command, "--root", str(tmp_path / "nope"))
        assert result.exit_code == 2 and "no source_texts/" in result.output
    outside = tmp_path / "outside.txt"
    outside.write_text(ARTICLE_B, encoding="utf-8")
    result = invoke("translate", str(outside), "--root", str(workspace), "--langs", "kk")
    assert result.exit_code == 2 and "copy it there first" in result.output
    assert not catalog_path(workspace, "kk", "outside").exists()


def test_empty_workspace_says_so(tmp_path):
    (tmp_path / "source_texts").mkdir()
    result = invoke("run", "--root", str(tmp_path), "--no-publish")
    assert result.exit_code == 0
    assert "no articles in source_texts/" in result.output


@pytest.mark.slow
def test_e2e_with_a_real_tiny_argos_model(workspace, tmp_path, tiny_model_archive, monkeypatch):
    """The real argostranslate + CTranslate2 path: install through the CLI, then run the whole job."""
    packages = tmp_path / "packages"
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(packages))
    installed = invoke("models", "install", str(tiny_model_archive(to_code="kk")))
    assert installed.exit_code == 0, installed.output

    result = invoke("run", "--root", str(workspace), "--json", "--threads", "1")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["missing_models"] == ["ru", "ar"]
    assert report["engines"]["kk"].startswith("argos en→kk")
    for slug in ("a", "b"):
        kk = polib.pofile(str(catalog_path(workspace, "kk", slug)))
        live = [e for e in kk if not e.obsolete]
        assert live and all(e.msgstr.strip() and e.fuzzy for e in live)
        assert all("provenance: machine translation argos en→kk" in e.tcomment for e in live)
        # Decoding is bounded by the source length: a runaway model cannot produce pages of noise.
        assert all(len(e.msgstr) < 20 * len(e.msgid) + 200 for e in live)
        for lang in ("ru", "ar"):
            other = polib.pofile(str(catalog_path(workspace, lang, slug)))
            assert all(e.msgstr == "" and not e.fuzzy for e in other)
        for lang in ("kk", "ru", "ar"):
            msgfmt_ok(catalog_path(workspace, lang, slug))
    assert (workspace / "published" / "manifest.json").exists()


def test_approved_translation_replaces_untouched_machine_drafts_only(workspace, fake_engine):
    shared = "The meeting took place in a warm and friendly atmosphere."
    invoke("run", "--root", str(workspace), "--langs", "kk,ru", "--no-publish")
    # In b, the ru draft is edited by a translator (still fuzzy): theirs. The kk draft is untouched.
    po = polib.pofile(str(catalog_path(workspace, "ru", "b")))
    po.find(shared).msgstr = "Встреча прошла (правка переводчика)."
    po.save()
    approve(catalog_path(workspace, "kk", "a"), {shared: "Кездесу жылы атмосферада өтті."})
    approve(catalog_path(workspace, "ru", "a"), {shared: "Встреча прошла в тёплой атмосфере."})

    result = invoke("run", "--root", str(workspace), "--langs", "kk,ru", "--no-publish")
    assert result.exit_code == 0, result.output
    kk = entries(catalog_path(workspace, "kk", "b"))[shared]
    assert kk.msgstr == "Кездесу жылы атмосферада өтті." and not kk.fuzzy
    assert "provenance: memory 100%" in kk.tcomment
    ru = entries(catalog_path(workspace, "ru", "b"))[shared]
    assert ru.msgstr == "Встреча прошла (правка переводчика)." and ru.fuzzy


def test_conflicting_approvals_make_the_reuse_fuzzy(workspace, fake_engine):
    shared = "The meeting took place in a warm and friendly atmosphere."
    invoke("run", "--root", str(workspace), "--langs", "kk", "--no-publish")
    approve(catalog_path(workspace, "kk", "a"), {shared: "Бірінші нұсқа."})
    approve(catalog_path(workspace, "kk", "b"), {shared: "Екінші нұсқа."})
    (workspace / "source_texts" / "c.txt").write_text("Third article\n\n" + shared + "\n", encoding="utf-8")
    result = invoke("run", "--root", str(workspace), "--langs", "kk", "--no-publish")
    assert result.exit_code == 0, result.output
    entry = entries(catalog_path(workspace, "kk", "c"))[shared]
    assert entry.fuzzy and entry.msgstr in ("Бірінші нұсқа.", "Екінші нұсқа.")
    assert "memory conflict" in entry.tcomment
    other = ({"Бірінші нұсқа.", "Екінші нұсқа."} - {entry.msgstr}).pop()
    assert other in entry.tcomment


def test_changed_sentence_with_an_untouched_machine_draft_is_translated_afresh(workspace, fake_engine):
    invoke("run", "--root", str(workspace), "--langs", "kk", "--no-publish")
    old = "Both sides agreed to hold a joint conference next year."
    new = "Both sides agreed to hold a joint conference next spring."
    source = workspace / "source_texts" / "a.txt"
    source.write_text(ARTICLE_A.replace(old, new), encoding="utf-8")
    fake_engine.clear()
    invoke("run", "--root", str(workspace), "--langs", "kk", "--no-publish")
    assert fake_engine == [new]
    po = polib.pofile(str(catalog_path(workspace, "kk", "a")))
    entry = po.find(new)
    assert entry.msgstr == f"[kk] {new}" and entry.fuzzy and entry.previous_msgid is None
    # The old draft was the machine's alone: it does not pile up as an obsolete entry (the memory keeps it).
    assert not any(e.msgid == old for e in po)


def test_run_json_with_a_bad_article_still_publishes_and_reports(workspace, fake_engine):
    (workspace / "source_texts" / "broken.txt").write_bytes(b"Title\nbad \xff byte\n")
    result = invoke("run", "--root", str(workspace), "--langs", "kk", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert any("broken.txt:2" in error for error in data["errors"])
    assert {p["slug"] for p in data["published"]} >= {"a", "b"}
    assert all(p["completeness"] == round(p["completeness"], 1) for p in data["published"])


def test_a_broken_model_for_one_language_does_not_stop_the_others(workspace, fake_engine, monkeypatch):
    working = engine.Engine.load

    def load(directory, to_code, from_code="en", **settings):
        if to_code == "ru":
            raise engine.ModelError(f"{directory}/translate-en_ru: model/model.bin is missing; reinstall the package")
        return working(directory, to_code, from_code, **settings)

    monkeypatch.setattr(engine.Engine, "load", staticmethod(load))
    result = invoke("run", "--root", str(workspace), "--langs", "kk,ru", "--no-publish", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert any("model.bin is missing" in error for error in data["errors"])
    assert data["missing_models"] == ["ru"]
    assert all(e.msgstr for e in entries(catalog_path(workspace, "kk", "a")).values())
    assert catalog_path(workspace, "ru", "a").exists()


def test_attention_notes_stay_while_fuzzy_and_go_once_approved(workspace, monkeypatch):
    """A draft whose glossary placeholder the engine lost keeps its warning across runs until it is approved."""

    class Mangler(FakeEngine):
        def translate(self, texts):
            self.calls.extend(texts)
            return [f"[{self.lang}] " + " ".join(w for w in text.split() if not w.startswith("XT")) for text in texts]

    calls: list[str] = []
    monkeypatch.setattr(engine.Engine, "load", staticmethod(
        lambda directory, to_code, from_code="en", **settings: Mangler(to_code, calls=calls)))
    invoke("run", "--root", str(workspace), "--langs", "kk", "--no-publish")
    path = catalog_path(workspace, "kk", "a")
    msgid = ("They discussed cooperation between the Spiritual Administration of Muslims of Kazakhstan and "
             "Al-Azhar University.")
    first = entries(path)[msgid]
    assert first.fuzzy and "glossary: MT" in first.tcomment
    # Each broken term is named once, in its glossary note, not again in a `check terms` line.
    assert "check terms" not in first.tcomment

    invoke("run", "--root", str(workspace), "--langs", "kk", "--no-publish")
    again = entries(path)[msgid]
    assert again.tcomment == first.tcomment and again.msgstr == first.msgstr

    polib.pofile(str(path)).save()  # an editor that re-wraps long comment lines on save (polib does)
    invoke("run", "--root", str(workspace), "--langs", "kk", "--no-publish")
    assert entries(path)[msgid].tcomment == first.tcomment

    approve(path, {msgid: "Олар ҚМДБ мен Әл-Азхар университеті арасындағы ынтымақтастықты талқылады."})
    po = polib.pofile(str(path))
    po.metadata["POT-Creation-Date"] = "2020-01-01 00:00+0000"
    po.save()
    invoke("run", "--root", str(workspace), "--langs", "kk", "--no-publish")
    # Dropping the note is about the translation: the source side did not change, the date is the template's.
    template = polib.pofile(str(workspace / "locales" / "templates" / "a.pot"))
    assert polib.pofile(str(path)).metadata["POT-Creation-Date"] == template.metadata["POT-Creation-Date"]
    approved = entries(path)[msgid]
    assert not approved.fuzzy and "glossary: MT" not in approved.tcomment
    assert "term: Spiritual Administration of Muslims of Kazakhstan => " in approved.tcomment


def test_a_sentence_still_in_the_article_is_not_offered_as_a_previous_translation(workspace, fake_engine):
    invoke("run", "--root", str(workspace), "--langs", "kk", "--no-publish")
    sibling = "Both sides agreed to hold a joint conference next year."
    path = catalog_path(workspace, "kk", "a")
    po = polib.pofile(str(path))
    po.find(sibling).msgstr = "Екі тарап келісті (аудармашы түзетті)."  # edited, still fuzzy: not in the memory
    po.save()
    new = "Both sides agreed to hold a joint conference next month."
    source = workspace / "source_texts" / "a.txt"
    source.write_text(ARTICLE_A + new + "\n", encoding="utf-8")
    fake_engine.clear()
    invoke("run", "--root", str(workspace), "--langs", "kk", "--no-publish")
    assert fake_engine == [new]
    live = entries(path)
    assert live[new].msgstr == f"[kk] {new}" and live[new].previous_msgid is None
    assert live[sibling].msgstr == "Екі тарап келісті (аудармашы түзетті)."


def test_run_writes_terms_in_the_form_the_sentence_needs(workspace, monkeypatch):
    """An engine answering in Russian around the placeholders: the draft gets the instrumental after "между"
    and "и", and the entry notes which form was chosen and that a rule decided."""
    russian = {"They discussed cooperation between the XT1 and XT2.": "Они обсудили сотрудничество между XT1 и XT2."}

    def load(directory, to_code, from_code="en", **settings):
        return FakeEngine(to_code, mangle=lambda t: russian.get(t.removeprefix("[ru] "), t)) \
            if to_code == "ru" else None

    monkeypatch.setattr(engine.Engine, "load", staticmethod(load))
    result = invoke("run", "--root", str(workspace), "--langs", "ru", "--no-publish")
    assert result.exit_code == 0, result.output
    entry = next(e for e in entries(catalog_path(workspace, "ru", "a")).values() if "cooperation" in e.msgid)
    assert entry.msgstr == ("Они обсудили сотрудничество между Духовным управлением мусульман Казахстана и "
                            "Университетом аль-Азхар.")
    assert "provenance: machine translation fake en→xx 0.1; term forms by rule" in entry.tcomment
    assert "term forms: Духовным управлением мусульман Казахстана (ins, rule); Университетом аль-Азхар (ins, rule)" \
        in entry.tcomment


def test_run_terms_check_translates_unprotected_and_flags_a_missing_term(workspace, fake_engine):
    result = invoke("run", "--root", str(workspace), "--langs", "ru", "--no-publish", "--terms", "ru=check")
    assert result.exit_code == 0, result.output
    assert not any("XT1" in text for text in fake_engine)  # nothing was protected
    entry = next(e for e in entries(catalog_path(workspace, "ru", "a")).values() if "cooperation" in e.msgid)
    assert entry.msgstr == f"[ru] {entry.msgid}"
    assert "glossary: the translation does not say “Духовное управление мусульман Казахстана”" in entry.tcomment
    bad = invoke("run", "--root", str(workspace), "--no-publish", "--terms", "ru=sometimes")
    assert bad.exit_code == 2 and "unknown policy" in bad.output


def test_json_output_reads_as_the_same_data_with_one_record_per_line(workspace, fake_engine):
    """--json: objects indented, each member of a list on one line of its own (C-encoded, greppable)."""
    from pipeline.formats.report import json_report

    tricky = {"text": "Қазақстан \"quoted\" \\ \n\t\u2028 \x01 ✓", "empty": {}, "none": [],
              "nested": [[], [{}], {"a": [1]}], "inner": {"rows": [{"k": 1}, {"k": 2}]},
              "numbers": [0, -3, 2.5, 1e100, float("nan"), float("inf"), -float("inf"), True, False, None],
              1: "int key", 2.5: "float key", None: "none key", False: "bool key", "tuple": (1, "two")}
    text = json_report(tricky)
    # The same data as json's own text gives, keys converted as json converts them.
    assert json.loads(text) == json.loads(json.dumps(tricky, ensure_ascii=False))
    assert "Қазақстан" in text  # not escaped to \u sequences
    assert '"rows": [\n      {"k": 1},\n      {"k": 2}\n    ]' in text  # nested object indented, a record a line
    assert '"tuple": [1, "two"]' in text  # a list of plain values on one line
    result = CliRunner().invoke(cli.app, ["run", "--root", str(workspace), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["catalogs"]
    lines = result.stdout.splitlines()
    for row in data["catalogs"]:
        assert "    " + json.dumps(row, ensure_ascii=False) in {line.rstrip(",") for line in lines}
    with pytest.raises(TypeError):
        json_report({"path": Path("x")})
    with pytest.raises(TypeError):
        json_report({("a", "b"): 1})


def store_calls(monkeypatch) -> dict[str, list[str]]:
    """Every call a run makes to the SQLite store's reading methods, by method: the target language it asks for
    (`candidates`, which knows none: the query)."""
    from pipeline import memory

    calls: dict[str, list[str]] = {}
    for name, lang_at in (("has_units", 1), ("exact_units", 2), ("units", 1)):
        method = getattr(memory.SQLiteStore, name)
        calls[name] = []
        monkeypatch.setattr(memory.SQLiteStore, name, lambda self, *args, _m=method, _c=calls[name], _i=lang_at:
                            _c.append(args[_i]) or _m(self, *args))
    candidates = memory.SQLiteStore.candidates
    calls["candidates"] = []
    monkeypatch.setattr(memory.SQLiteStore, "candidates",
                        lambda self, *args: calls["candidates"].append(args[1]) or candidates(self, *args))
    return calls


def test_a_memory_with_no_unit_for_a_language_is_asked_once_and_not_looked_up(workspace, monkeypatch):
    calls = store_calls(monkeypatch)
    result = invoke("run", "--root", str(workspace), "--langs", "kk,ru", "--json")
    assert result.exit_code == 0, result.output
    assert sorted(calls["has_units"]) == ["kk", "ru"]  # once per language, not per segment or per article
    assert calls["exact_units"] == calls["candidates"] == calls["units"] == []
    report = json.loads(result.output)
    assert all(c["untranslated_before_merge"] == c["entries"] > 0 for c in report["catalogs"])


def test_a_memory_holding_units_for_a_language_is_looked_up_for_it_alone(workspace, monkeypatch):
    meeting = "The meeting took place in a warm and friendly atmosphere."
    ui = workspace / "locales" / "kk" / "LC_MESSAGES" / "captions.po"
    ui.parent.mkdir(parents=True)
    ui.write_text(f'msgid ""\nmsgstr ""\n"Language: kk\\n"\n\nmsgid "{meeting}"\nmsgstr "Кездесу жылы өтті."\n',
                  encoding="utf-8")  # harvested into the memory at the start of the run
    calls = store_calls(monkeypatch)
    result = invoke("run", "--root", str(workspace), "--langs", "kk,ru", "--json")
    assert result.exit_code == 0, result.output
    assert sorted(calls["has_units"]) == ["kk", "ru"]
    assert set(calls["exact_units"]) == {"kk"}
    for slug in ("a", "b"):
        assert entries(catalog_path(workspace, "kk", slug))[meeting].msgstr == "Кездесу жылы өтті."
        assert entries(catalog_path(workspace, "ru", slug))[meeting].msgstr == ""


def test_a_folder_named_like_a_glossary_file_is_not_read(workspace):
    """The glossary loader passes over `glossary/old.csv/` (a folder); the run's record of its inputs must too,
    where it read it as a file and stopped the run with a traceback."""
    (workspace / "glossary" / "old.csv").mkdir()
    result = CliRunner().invoke(cli.app, ["run", "--root", str(workspace), "--no-publish", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["catalogs"]
