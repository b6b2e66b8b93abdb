"""OPUS-MT releases -> argos packages: conversion, the source token, refusals that change nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sentencepiece as spm
from tinymodel import build_tiny_opus_release, train_sentencepiece
from typer.testing import CliRunner

from pipeline import opus
from pipeline.cli import app
from pipeline.engine import Engine, ModelError, list_models

runner = CliRunner()
# like Tatoeba-Challenge eng-trk: several targets, one token per language/script
TURKIC = dict(target_langs=("kaz_Cyrl", "tur", "uzb_Latn"),
              lang_tokens=(">>kaz_Cyrl<<", ">>tur<<", ">>uzb_Latn<<"))


def snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(directory)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(directory.rglob("*"))} if directory.exists() else {}


@pytest.fixture(scope="session")
def releases(tmp_path_factory):
    """Read-only tiny releases: a multilingual en->Turkic zip and a bilingual eng-kaz directory."""
    root = tmp_path_factory.mktemp("opus")
    return {
        "turkic_zip": build_tiny_opus_release(root / "turkic", as_zip=True, seed=1, **TURKIC),
        "eng_kaz_dir": build_tiny_opus_release(root / "eng-kaz", seed=2),
    }


def variant(releases, tmp_path: Path, change) -> Path:
    """A broken copy of the bilingual release directory."""
    copy = tmp_path / "variant" / "opus-2021-02-19"
    shutil.copytree(releases["eng_kaz_dir"], copy)
    change(copy)
    return copy


class Spy:
    def __init__(self, real):
        self.real, self.sources = real, []

    def translate_batch(self, source, **kwargs):
        self.sources.extend(source)
        return self.real.translate_batch(source, **kwargs)


def test_import_multilingual_zip_feeds_the_language_token(tmp_path, monkeypatch, releases):
    packages = tmp_path / "packages"
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(packages))
    result = runner.invoke(app, ["models", "import-opus", str(releases["turkic_zip"]), "--to", "kk",
                                 "--lang-token", ">>kaz_Cyrl<<", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["installed"]["to_code"] == "kk" and data["archive"] is None
    (info,) = list_models(packages)
    metadata = json.loads((info.path / "metadata.json").read_text())
    assert metadata["source_prefix"] == ">>kaz_Cyrl<<"
    for field in ("package_version", "argos_version", "from_code", "to_code", "from_name", "to_name", "type"):
        assert metadata[field]

    from argostranslate.package import Package

    stock = Package(info.path)  # stock argos still loads it
    assert (stock.from_code, stock.to_code) == ("en", "kk") and stock.tokenizer is not None

    eng = Engine.load(packages, "kk", threads=1)
    spy = Spy(eng.translator)
    eng.translator = spy
    texts = ["The council met on Tuesday.", "Peace.", ""]
    out = eng.translate(texts)
    assert len(out) == 3 and out[0] and out[1] and out[2] == ""
    source_sp = spm.SentencePieceProcessor(model_file=str(info.path / "sentencepiece.model"))
    expected = [[">>kaz_Cyrl<<", *source_sp.encode(t, out_type=str)] for t in texts[:2]]
    assert sorted(spy.sources) == sorted(expected)


def test_language_token_is_picked_from_the_model(tmp_path, releases):
    result = opus.import_opus(releases["turkic_zip"], "kk", directory=tmp_path / "p")
    assert result.installed.source_prefix == ">>kaz_Cyrl<<"
    assert Engine.load(tmp_path / "p", "kk").encode("Hi")[0] == ">>kaz_Cyrl<<"
    # like eng-kaz opusTCv20210807+bt: one language, one token per script; Cyrillic is chosen
    scripts = build_tiny_opus_release(tmp_path / "eng-kaz", target_langs=("kaz",), readme_labels=False,
                                      lang_tokens=(">>kaz_Arab<<", ">>kaz_Cyrl<<", ">>kaz_Latn<<"))
    result = opus.import_opus(scripts, "kk", out=tmp_path / "kk.argosmodel")
    assert result.metadata["source_prefix"] == ">>kaz_Cyrl<<" and result.installed is None


def test_bilingual_directory_decodes_with_the_target_tokenizer(tmp_path, releases):
    release = releases["eng_kaz_dir"]
    result = opus.import_opus(release, "kk", directory=tmp_path / "p", quantization=None)
    info = result.installed
    metadata = json.loads((info.path / "metadata.json").read_text())
    assert "source_prefix" not in metadata
    target_file = info.path / metadata["target_sentencepiece"]
    assert target_file.read_bytes() == (release / "target.spm").read_bytes()
    assert (info.path / "LICENSE").is_file()

    source_sp = spm.SentencePieceProcessor(model_file=str(release / "source.spm"))
    target_sp = spm.SentencePieceProcessor(model_file=str(release / "target.spm"))
    source_pieces = {source_sp.id_to_piece(i) for i in range(source_sp.get_piece_size())}
    only_target = next(target_sp.id_to_piece(i) for i in range(3, target_sp.get_piece_size())
                       if target_sp.id_to_piece(i) not in source_pieces)

    class Fixed:
        def translate_batch(self, source, **kwargs):
            class Result:
                hypotheses = [[only_target]]
            return [Result() for _ in source]

    eng = Engine.load(tmp_path / "p", "kk", threads=1)
    assert eng.encode("Peace.")[0] != ">>kaz<<"
    eng.translator = Fixed()
    assert eng.translate(["Peace."]) == [target_sp.decode_pieces([only_target]).strip()]


def test_out_writes_an_installable_archive_and_installs_nothing(tmp_path, monkeypatch, releases):
    packages = tmp_path / "packages"
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(packages))
    out = tmp_path / "dist" / "translate-en_kk.argosmodel"
    args = ["models", "import-opus", str(releases["turkic_zip"]), "--to", "kk", "--out", str(out)]
    refused = runner.invoke(app, args)  # --out never creates folders: a mistyped path fails with its name
    assert refused.exit_code == 1 and "no such folder" in refused.stderr and not out.parent.exists()
    out.parent.mkdir()
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert out.is_file() and list_models(packages) == []
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temp files left
    result = runner.invoke(app, ["models", "install", str(out)])
    assert result.exit_code == 0, result.output
    assert Engine.load(packages, "kk").translate(["Peace."])[0]


def _refusals(releases, tmp_path: Path) -> dict[str, tuple[Path, list[str]]]:
    """Each case: (release, extra CLI options)."""
    def write(path: Path, text: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def drop_vocab_lines(release: Path) -> None:
        vocab = next(release.glob("*.vocab.yml"))
        vocab.write_text("\n".join(vocab.read_text().splitlines()[:-20]) + "\n")

    def token_required(release: Path) -> None:
        readme = release / "README.md"
        readme.write_text(readme.read_text() + "* a sentence initial language token is required in the form "
                          "of `>>id<<` (id = valid target language ID)\n")

    def hf_checkpoint(release: Path) -> None:
        (release / "decoder.yml").unlink()
        (release / "config.json").write_text("{}")

    cases = {
        "not_zip": (write(tmp_path / "page.zip", "<html>not found</html>"), []),
        "missing": (tmp_path / "nowhere.zip", []),
        "wrong_direction": (build_tiny_opus_release(tmp_path / "kaz-eng", source_langs=("kaz",),
                                                    target_langs=("eng",)), []),
        "other_target": (build_tiny_opus_release(tmp_path / "eng-tur", target_langs=("tur", "uzb"),
                                                 lang_tokens=(">>tur<<", ">>uzb<<")), []),
        "no_token_for_kk": (build_tiny_opus_release(tmp_path / "eng-trk", target_langs=("kaz_Cyrl", "tur"),
                                                    lang_tokens=(">>tur<<",)), []),
        "unknown_token": (releases["turkic_zip"], ["--lang-token", ">>kaz<<"]),
        "token_not_in_vocab": (releases["eng_kaz_dir"], ["--lang-token", ">>xyz<<"]),
        "bad_quantization": (releases["eng_kaz_dir"], ["--quantization", "int3"]),
    }
    broken = {
        "no_model_npz": lambda r: next(r.glob("*.npz")).unlink(),
        "no_source_spm": lambda r: (r / "source.spm").unlink(),
        "vocab_mismatch": drop_vocab_lines,
        "corrupt_npz": lambda r: next(r.glob("*.npz")).write_bytes(b"PK\3\4 garbage"),
        "hugging_face_dir": hf_checkpoint,
        "token_required_unknown": token_required,
        "foreign_tokenizer": lambda r: train_sentencepiece(
            r / "source.spm", vocab_size=120, lines=["αβγδ εζηθ ικλμ νξοπ ρστυ φχψω", "ΑΒΓΔ ΕΖΗΘ ΙΚΛΜ ΝΞΟΠ"]),
    }
    for name, change in broken.items():
        copy = tmp_path / name / "opus-2021-02-19"
        shutil.copytree(releases["eng_kaz_dir"], copy)
        change(copy)
        cases[name] = (copy, [])
    return cases


def test_wrong_or_corrupt_releases_fail_and_change_nothing(tmp_path, tiny_packages_dir, releases):
    before = snapshot(tiny_packages_dir)
    for reason, (release, options) in _refusals(releases, tmp_path / "cases").items():
        result = runner.invoke(app, ["models", "import-opus", str(release), "--to", "kk", *options])
        assert result.exit_code != 0, reason
        assert result.stderr.startswith("error:"), (reason, result.stderr)
        if reason != "bad_quantization":
            assert str(release) in result.stderr, (reason, result.stderr)  # names the user's file
        assert snapshot(tiny_packages_dir) == before, reason
    with pytest.raises(ModelError):
        opus.import_opus(tmp_path / "nowhere", "kk", directory=tiny_packages_dir)


def test_an_archive_member_that_climbs_out_is_refused(tmp_path, releases):
    """Zip slip: a member named ``../../evil`` (or absolute) stops the import before anything is extracted.

    The rest of the archive is a valid release, so without the guard the import would go through (zipfile would
    quietly rename the member): the refusal itself is what is tested, and nothing may appear outside.
    """
    import zipfile

    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    for name in ("../../evil", "/tmp-evil-absolute"):
        hostile = work / "hostile.zip"
        shutil.copy(releases["turkic_zip"], hostile)
        with zipfile.ZipFile(hostile, "a") as zf:
            zf.writestr(name, "owned")
        with pytest.raises(ModelError, match="unsafe path in archive") as caught:
            opus.import_opus(hostile, "kk", directory=tmp_path / "packages")
        assert repr(name) in str(caught.value)
        assert not (tmp_path / "evil").exists() and not list(tmp_path.rglob("*evil*"))
        assert not (tmp_path / "packages").exists() or not any((tmp_path / "packages").iterdir())
