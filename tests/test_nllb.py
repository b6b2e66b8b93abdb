"""NLLB-200 through `pipeline models import-ct2`: one multilingual CTranslate2 model, one package per pair,
one loaded translator for every language of a run; Kazakh drafts that are not Kazakh are flagged.

The model is tiny_nllb (conftest): transformers' M2M100 with random weights, converted by CTranslate2's
transformers converter. Its output is noise: these tests assert plumbing, never wording.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import ctranslate2
import polib
import pytest
from conftest import FakeEngine, make_workspace
from test_run import ARTICLE_A, ARTICLE_B
from typer.testing import CliRunner

from pipeline import cli, ct2import, engine, sources, workflow
from pipeline.errors import ModelError, SourceError
from pipeline.qa import Entry, script
from pipeline.workspace import Workspace, catalog_path

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()
TOKENS = {"kk": "kaz_Cyrl", "ru": "rus_Cyrl", "ar": "arb_Arab"}
ANY_LANGUAGE_TOKEN = ("eng_Latn", "kaz_Cyrl", "rus_Cyrl", "arb_Arab", "uzn_Latn", "</s>", "<mask>")


def notes(entry: polib.POEntry) -> str:
    """What the pipeline wrote about an entry (translator comments; extracted ones in older layouts)."""
    return f"{entry.tcomment}\n{entry.comment}"


def invoke(*args: str):
    return runner.invoke(cli.app, list(args), catch_exceptions=False)


@pytest.fixture
def installed(tiny_nllb, tmp_path, monkeypatch) -> Path:
    packages = tmp_path / "packages"
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(packages))
    result = invoke("models", "import-ct2", str(tiny_nllb), "--family", "nllb", "--to", "kk,ru,ar", "--json")
    assert result.exit_code == 0, result.output
    return packages


class CountingTranslator:
    """ctranslate2.Translator that counts how many models were loaded, and what each batch asked for."""

    def __init__(self, monkeypatch):
        self.loaded: list[str] = []
        self.prefixes: list[list[str]] = []
        self.sources: list[list[str]] = []
        real = ctranslate2.Translator
        counter = self

        class Spy:
            def __init__(self, path, *args, **kwargs):
                counter.loaded.append(str(path))
                self._real = real(path, *args, **kwargs)

            def translate_batch(self, sources, target_prefix=None, **kwargs):
                counter.sources.extend(sources)
                counter.prefixes.extend(target_prefix or [])
                return self._real.translate_batch(sources, target_prefix=target_prefix, **kwargs)

            def __getattr__(self, name):
                return getattr(self._real, name)

        monkeypatch.setattr(ctranslate2, "Translator", Spy)


def test_import_installs_one_package_per_pair_sharing_one_copy_of_the_weights(installed):
    infos = {m.to_code: m for m in engine.list_models(installed)}
    assert set(infos) == {"kk", "ru", "ar"}
    inodes = {(m.path / "model" / "model.bin").stat().st_ino for m in infos.values()}
    assert len(inodes) == 1  # hard links: one copy on disk
    for code, info in infos.items():
        metadata = json.loads((info.path / "metadata.json").read_text(encoding="utf-8"))
        assert metadata["source_prefix"] == ["eng_Latn"] and metadata["source_suffix"] == ["</s>"]
        assert metadata["target_prefix"] == TOKENS[code]
        assert (metadata["family"], metadata["licence"]) == ("nllb-200", "CC-BY-NC-4.0")
        assert info.label == f"nllb-200 en→{code} 1.0 (CC-BY-NC-4.0)"
        engine.check_vocabulary(info.path)
    # leftovers of the staging area would show up as packages or hidden folders
    assert sorted(p.name for p in installed.iterdir()) == sorted(m.path.name for m in infos.values())


def test_models_list_shows_family_and_licence(installed):
    listed = json.loads(invoke("models", "list", "--json").stdout)
    assert listed["missing"] == []
    assert {(m["to_code"], m["family"], m["licence"]) for m in listed["models"]} == {
        (code, "nllb-200", "CC-BY-NC-4.0") for code in TOKENS}
    text = invoke("models", "list").output
    assert "CC-BY-NC-4.0" in text and "non-commercial" in text


def test_stock_argostranslate_reads_the_packages(installed):
    from argostranslate.package import Package

    for info in engine.list_models(installed):
        package = Package(info.path)
        assert (package.from_code, package.to_code) == ("en", info.to_code)
        assert package.target_prefix == TOKENS[info.to_code]


def test_engine_adds_nllb_tokens_and_strips_language_tokens_from_output(installed, monkeypatch):
    spy = CountingTranslator(monkeypatch)
    translators: dict = {}
    engines = {code: engine.Engine.load(installed, code, translators=translators, threads=1) for code in TOKENS}
    assert len(spy.loaded) == 1 and len(translators) == 1
    mt = engines["kk"]
    tokens = mt.encode("The council met.")
    assert tokens[0] == "eng_Latn" and tokens[-1] == "</s>" and "eng_Latn" not in tokens[1:]
    for code, mt in engines.items():
        out = mt.translate(["The council met in the capital.", "Delegates discussed dialogue."])
        assert len(out) == 2 and all(out)
        assert not any(token in text for text in out for token in ANY_LANGUAGE_TOKEN)
        assert spy.prefixes[-1] == [TOKENS[code]]
        assert spy.sources[-1][0] == "eng_Latn" and spy.sources[-1][-1] == "</s>"
    # a hypothesis that starts with its prefix and wanders into another language token decodes without both
    assert mt._clean(["arb_Arab", "▁ال", "uzn_Latn", "</s>"]) == "ال"


def test_without_a_shared_dict_each_language_loads_its_own_copy(installed, monkeypatch):
    spy = CountingTranslator(monkeypatch)
    for code in TOKENS:
        engine.Engine.load(installed, code, threads=1)
    assert len(spy.loaded) == 3  # what the run avoids


def test_out_writes_archives_whose_installed_copies_still_share_one_loaded_model(tiny_nllb, tmp_path,
                                                                               monkeypatch):
    out = tmp_path / "archives"
    result = invoke("models", "import-ct2", str(tiny_nllb), "--family", "nllb", "--to", "kk,ar", "--out", str(out))
    assert result.exit_code == 0, result.output
    archives = sorted(out.glob("*.argosmodel"))
    assert [a.name for a in archives] == ["translate-en_ar-nllb-200-1_0.argosmodel",
                                          "translate-en_kk-nllb-200-1_0.argosmodel"]
    packages = tmp_path / "packages"
    for archive in archives:
        engine.install_model(archive, packages)
    infos = engine.list_models(packages)
    assert len({(m.path / "model" / "model.bin").stat().st_ino for m in infos}) == 2  # separate copies
    spy = CountingTranslator(monkeypatch)
    translators: dict = {}
    for code in ("kk", "ar"):
        engine.Engine.load(packages, code, translators=translators, threads=1)
    assert len(spy.loaded) == 1  # same model_sha256


def test_run_drafts_all_three_languages_from_one_loaded_model(installed, tmp_path, monkeypatch):
    root = tmp_path / "ws"
    (root / "source_texts").mkdir(parents=True)
    shutil.copytree(REPO / "glossary", root / "glossary")
    (root / "source_texts" / "a.txt").write_text(ARTICLE_A, encoding="utf-8")
    (root / "source_texts" / "b.txt").write_text(ARTICLE_B, encoding="utf-8")
    spy = CountingTranslator(monkeypatch)
    result = invoke("run", "--root", str(root), "--langs", "kk,ru,ar", "--no-publish", "--json", "--threads", "1")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert len(spy.loaded) == 1
    assert report["missing_models"] == []
    assert {code: label for code, label in report["engines"].items()} == {
        code: f"nllb-200 en→{code} 1.0 (CC-BY-NC-4.0)" for code in TOKENS}
    assert {tuple(p) for p in spy.prefixes} == {(token,) for token in TOKENS.values()}
    for code in TOKENS:
        drafted = [e for e in polib.pofile(str(catalog_path(root, code, "a"))) if e.msgstr]
        assert drafted and all(e.fuzzy for e in drafted)
        assert all(f"machine translation nllb-200 en→{code} 1.0 (CC-BY-NC-4.0)" in notes(e) for e in drafted)
        assert not any(token in e.msgstr for e in drafted for token in ANY_LANGUAGE_TOKEN)


def test_import_refuses_what_is_not_an_nllb_conversion(tiny_nllb, tmp_path):
    packages = tmp_path / "packages"
    broken = tmp_path / "no-spm"
    shutil.copytree(tiny_nllb, broken)
    (broken / "sentencepiece.bpe.model").unlink()
    with pytest.raises(ModelError, match="sentencepiece.bpe.model is missing"):
        ct2import.import_ct2(broken, directory=packages)
    with pytest.raises(ModelError, match="model.bin is missing"):
        ct2import.import_ct2(tmp_path, directory=packages)
    with pytest.raises(ModelError, match="--family 'm2m'"):
        ct2import.import_ct2(tiny_nllb, family="m2m", directory=packages)
    with pytest.raises(ModelError, match="not a language code"):
        ct2import.import_ct2(tiny_nllb, to_codes=["../kk"], directory=packages)
    no_kazakh = tmp_path / "no-kazakh"
    shutil.copytree(tiny_nllb, no_kazakh)
    vocab = json.loads((no_kazakh / "shared_vocabulary.json").read_text(encoding="utf-8"))
    vocab[vocab.index("kaz_Cyrl")] = "kaz_Latn"
    (no_kazakh / "shared_vocabulary.json").write_text(json.dumps(vocab), encoding="utf-8")
    with pytest.raises(ModelError, match="no kaz_Cyrl token"):
        ct2import.import_ct2(no_kazakh, directory=packages)
    assert not packages.exists() or not any(packages.iterdir())  # nothing half-installed
    failed = invoke("models", "import-ct2", str(broken), "--family", "nllb", "--packages-dir", str(packages))
    assert failed.exit_code == 1 and "sentencepiece.bpe.model" in failed.output


def test_source_prefix_and_suffix_accept_a_string_or_a_list_and_refuse_other_types(installed):
    info = engine.find_model(installed, "kk")
    meta_path = info.path / "metadata.json"
    metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    meta_path.write_text(json.dumps({**metadata, "source_prefix": "eng_Latn", "source_suffix": "</s>"}),
                         encoding="utf-8")
    assert engine.read_package(info.path).source_prefix == "eng_Latn"
    meta_path.write_text(json.dumps({**metadata, "source_suffix": 7}), encoding="utf-8")
    with pytest.raises(ModelError, match="source_suffix"):
        engine.read_package(info.path)
    meta_path.write_text(json.dumps({**metadata, "source_suffix": ["</s>", "zzz_Zzzz"]}), encoding="utf-8")
    with pytest.raises(ModelError, match="zzz_Zzzz"):
        engine.check_vocabulary(info.path)


# ---------------------------------------------------------------- Kazakh that is Kazakh

SOURCE = "The council met in the capital on Tuesday."


@pytest.mark.parametrize("draft, said", [
    ("Совет собрался в столице во вторник, делегаты обсудили диалог.", "Russian"),
    ("Keñes müşeleri astanada seysenbi küni kezdesti.", "Latin letters"),
    ("Кеңеш мүчөлөрү борбор шаарда шейшемби күнү жолугушту.", "Kyrgyz"),
    ("Бүген башкалада киңәшмә җыелышы булды.", "Tatar"),
    ("Кенгаш аъзолари пойтахтда сешанба куни йиғилишди ва ўзаро гаплашди.", "Uzbek"),
], ids=["russian", "latin-kazakh", "kyrgyz", "tatar", "uzbek"])
def test_kazakh_drafts_in_another_language_or_script_are_named(draft, said):
    hit = script.check(Entry(SOURCE, draft, "kk"), detect=script.lingua_detector())
    assert [f.check for f in hit] == ["script"] and said in hit[0].message


def test_kazakh_is_not_flagged():
    detect = script.lingua_detector()
    for draft in ("Кеңес мүшелері астанада сейсенбі күні кездесті.",
                  "Діни бірлестіктер өкілдері төзімділік пен диалог туралы пікір алмасты."):
        assert script.check(Entry(SOURCE, draft, "kk"), detect=detect) == []


class RussianForKazakh(FakeEngine):
    label = "fake en→kk 0.1"

    def translate(self, texts):
        return ["Встреча прошла в тёплой и дружеской атмосфере, стороны обсудили сотрудничество." for _ in texts]


@pytest.fixture
def russian_for_kazakh(tmp_path, monkeypatch) -> Path:
    """A workspace with one article whose engine answers every language in Russian."""
    root = make_workspace(tmp_path, {"b.txt": ARTICLE_B}, glossary=False)
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "none"))
    monkeypatch.setattr(engine.Engine, "load", staticmethod(
        lambda directory, to_code, from_code="en", **kw: RussianForKazakh(to_code)))
    return root


def test_run_flags_and_counts_kazakh_drafts_that_are_russian(russian_for_kazakh):
    root = russian_for_kazakh
    report = workflow.run(Workspace(root), workflow.RunOptions(langs=("kk", "ru"), publish=False))
    drafted = {r.lang: r for r in report.catalogs}
    assert drafted["kk"].wrong_language == drafted["kk"].drafted > 0
    assert drafted["ru"].wrong_language == 0
    assert report.totals["wrong_language"] == drafted["kk"].drafted
    entries = [e for e in polib.pofile(str(catalog_path(root, "kk", "b"))) if e.msgstr]
    assert entries and all(e.fuzzy and "wrong language: reads as Russian" in notes(e) for e in entries)
    ru = [e for e in polib.pofile(str(catalog_path(root, "ru", "b"))) if e.msgstr]
    assert ru and not any("wrong language" in notes(e) for e in ru)


def test_run_summary_says_how_many_kazakh_drafts_are_not_kazakh(russian_for_kazakh):
    root = russian_for_kazakh
    result = invoke("run", "--root", str(root), "--langs", "kk", "--no-publish")
    assert result.exit_code == 0, result.output
    assert "machine draft(s) are not in the target language" in " ".join(result.output.split())
    as_json = json.loads(invoke("run", "--root", str(root), "--langs", "kk", "--no-publish", "--json").stdout)
    assert "wrong_language" in as_json["totals"]


# ---------------------------------------------------------------- the source check names the language


@pytest.mark.parametrize("text, named", [
    ("Қазақстан мұсылмандары діни басқармасы өкілдері сейсенбі күні астанада кездесті. Діни бірлестіктер "
     "өкілдері төзімділік пен диалог туралы пікір алмасты.\n", "Kazakh (kk)"),
    ("Совет религиозных лидеров собрался в столице во вторник. Делегаты обсудили диалог, терпимость и роль "
     "веры в обществе.\n", "Russian (ru)"),
    ("اجتمع مجلس القادة الدينيين في العاصمة يوم الثلاثاء. ناقش المندوبون الحوار والتسامح ودور الإيمان في "
     "المجتمع.\n", "Arabic (ar)"),
], ids=["kk", "ru", "ar"])
def test_source_check_names_kazakh_russian_and_arabic(tmp_path, text, named):
    path = tmp_path / "article.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError, match=rf"looks like {named.replace('(', '[(]').replace(')', '[)]')}"):
        sources.read_article(path)


def test_english_with_kazakh_names_is_english(tmp_path):
    path = tmp_path / "article.txt"
    path.write_text("The delegation visited Қазақстан and met the leaders of the council in the capital.\n",
                    encoding="utf-8")
    assert sources.read_article(path).language == "en"
