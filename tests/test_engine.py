"""Engine: packages dir, validated atomic installs, loading and batch translation with tiny random models."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from tinymodel import train_sentencepiece, zip_package
from typer.testing import CliRunner

from pipeline import engine
from pipeline.cli import app
from pipeline.engine import Engine, ModelError, cut_batches, install_model, list_models

runner = CliRunner()


def snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    """Every file under `directory` with size and mtime: 'nothing changed' means equal snapshots."""
    if not directory.exists():
        return {}
    return {
        str(p.relative_to(directory)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(directory.rglob("*"))
    }


class Pending:
    """What CTranslate2 returns per sentence for `asynchronous=True`; records how many calls were made when it
    was first read."""

    def __init__(self, spy, output):
        self.spy, self.output = spy, output

    def result(self):
        self.spy.read_after.append(len(self.spy.calls))
        return self.output


class SpyTranslator:
    """Records what the engine feeds CTranslate2, then delegates (or echoes the source back)."""

    def __init__(self, real=None, echo=False):
        self.real, self.echo, self.calls, self.read_after = real, echo, [], []

    def translate_batch(self, source, **kwargs):
        self.calls.append((source, kwargs))
        if self.echo:
            class Result:
                def __init__(self, tokens):
                    self.hypotheses = [tokens]
            prefixes = kwargs.get("target_prefix") or [[] for _ in source]
            output = [Result(list(p) + list(s)) for s, p in zip(source, prefixes, strict=True)]
            return [Pending(self, r) for r in output] if kwargs.get("asynchronous") else output
        return self.real.translate_batch(source, **kwargs)


def unpack(archive: Path, into: Path) -> Path:
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(into)
    (top,) = list(into.iterdir())
    return top


# ---------------------------------------------------------------- packages dir


def test_packages_dir_precedence_is_read_at_call_time(monkeypatch, tmp_path):
    monkeypatch.delenv("ARGOS_PACKAGES_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert engine.packages_dir(None) == tmp_path / "xdg" / "argos-translate" / "packages"
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "env"))
    assert engine.packages_dir(None) == tmp_path / "env"
    assert engine.packages_dir(tmp_path / "explicit") == tmp_path / "explicit"


# ---------------------------------------------------------------- install through the CLI, load, translate


def test_cli_install_then_engine_translates(tmp_path, monkeypatch, tiny_model_archive):
    packages = tmp_path / "packages"
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(packages))
    result = runner.invoke(app, ["models", "install", str(tiny_model_archive("kk"))])
    assert result.exit_code == 0, result.output
    assert [(m.from_code, m.to_code) for m in list_models(packages)] == [("en", "kk")]

    listed = runner.invoke(app, ["models", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.stdout)
    assert [(m["from_code"], m["to_code"]) for m in data["models"]] == [("en", "kk")]
    assert data["missing"] == ["ru", "ar"]
    assert all(m["size"] > 0 for m in data["models"])

    eng = Engine.load(packages, "kk", threads=1)
    assert eng is not None and "en" in eng.label and "kk" in eng.label and "1.0" in eng.label
    spy = SpyTranslator(eng.translator)
    eng.translator = spy
    texts = ["The council met on Tuesday.", "", "Dialogue and tolerance.", "   ",
             "A forum will open next year."]
    out = eng.translate(texts)
    assert len(out) == len(texts)
    assert out[1] == "" and out[3] == ""
    assert all(isinstance(t, str) and t for i, t in enumerate(out) if i not in (1, 3))
    fed = [tokens for source, _ in spy.calls for tokens in source]
    assert len(fed) == 3  # blanks never reach the translator
    for source, kwargs in spy.calls:
        assert kwargs["max_decoding_length"] <= 2 * max(len(s) for s in source) + 11


def test_load_returns_none_for_missing_pair(tiny_packages_dir):
    assert Engine.load(tiny_packages_dir, "de") is None
    assert Engine.load(tiny_packages_dir, "en", from_code="kk") is None
    assert Engine.load(tiny_packages_dir / "nowhere", "kk") is None


def test_fixture_installs_all_pipeline_targets(tiny_packages_dir):
    pairs = sorted((m.from_code, m.to_code) for m in list_models(tiny_packages_dir))
    assert pairs == [("en", "ar"), ("en", "kk"), ("en", "ru")]
    for code in ("kk", "ru", "ar"):
        assert Engine.load(tiny_packages_dir, code).translate(["Peace."])[0]


def test_target_prefix_is_fed_and_stripped(tmp_path, tiny_model_archive):
    packages = tmp_path / "packages"
    install_model(tiny_model_archive("ar", target_prefix="__ar__"), packages)
    eng = Engine.load(packages, "ar", threads=1)
    spy = SpyTranslator(eng.translator)
    eng.translator = spy
    out = eng.translate(["The mufti thanked the ambassador.", "Peace."])
    assert all(out) and not any("__ar__" in t for t in out)
    assert len(spy.calls) == 2  # two segments, two batches (a small call is shared by two cores)
    for source, kwargs in spy.calls:
        assert kwargs["target_prefix"] == [["__ar__"]] * len(source)
    # the raw model output really starts with the prefix: the engine removed it
    raw = spy.real.translate_batch(source, target_prefix=kwargs["target_prefix"], max_decoding_length=5)
    assert raw[0].hypotheses[0][0] == "__ar__"


@pytest.mark.parametrize("threads", [1, 2])  # 2: inter_threads 2, batches handed over asynchronously
def test_runaway_output_is_cut_to_the_segment_bound(tiny_packages_dir, threads):
    eng = Engine.load(tiny_packages_dir, "kk", threads=threads)
    assert eng.inter_threads == threads

    class Runaway:
        calls = 0

        def translate_batch(self, source, **kwargs):
            self.calls += 1

            class Result:
                hypotheses = [["▁a"] * 1000]
            return [Pending(SpyTranslator(), Result()) if kwargs.get("asynchronous") else Result() for _ in source]

    eng.translator = Runaway()
    eng.max_batch_size = 1  # one batch per sentence: two batches, so two threads take the asynchronous path
    short, long = "Peace.", "Delegates discussed dialogue, tolerance and the role of faith in society."
    out = eng.translate([short, long])
    assert eng.translator.calls == 2
    for text, result in zip([short, long], out, strict=True):
        assert len(result.split()) == eng.decoding_bound(len(eng.encode(text)))
    for text, hypotheses in zip([short, long], eng.hypotheses([short, long]), strict=True):
        assert [len(h.split()) for h in hypotheses] == [eng.decoding_bound(len(eng.encode(text)))]


@pytest.mark.parametrize("threads", [1, 2])
def test_batches_keep_order_and_report_progress(tiny_packages_dir, threads):
    eng = Engine.load(tiny_packages_dir, "ru", threads=threads)
    assert eng.inter_threads == threads
    spy = eng.translator = SpyTranslator(echo=True)  # output = input tokens, so order errors show
    eng.max_batch_size = 4
    texts = [("word " * (i % 7 + 1)).strip() + f" {i}" for i in range(18)] + [""]
    done = []
    out = eng.translate(texts, on_batch=done.append)
    assert out == texts
    assert len(spy.calls) == 5 and sum(done) == 18 and len(done) == 5
    assert all(len(source) <= 4 for source, _ in spy.calls)
    if threads == 1:  # one batch at a time: the spy answers at once
        assert not any(kwargs.get("asynchronous") for _, kwargs in spy.calls) and spy.read_after == []
    else:  # every batch handed over before the first is read, so both replicas decode side by side
        assert all(kwargs.get("asynchronous") for _, kwargs in spy.calls)
        assert len(spy.read_after) == 18 and min(spy.read_after) == 5


def test_two_threads_decode_two_batches_at_once_and_give_one_threads_drafts(tiny_packages_dir):
    """A real translator with two replicas (inter_threads 2): the same drafts and n-best lists as one thread, in
    the texts' order, and never the one-thread translator from the run's cache."""
    translators: dict = {}
    one = Engine.load(tiny_packages_dir, "kk", threads=1, translators=translators)
    two = Engine.load(tiny_packages_dir, "kk", threads=2, translators=translators)
    assert (one.translator.num_translators, two.translator.num_translators) == (1, 2)
    assert Engine.load(tiny_packages_dir, "kk", threads=2, translators=translators).translator is two.translator
    texts = ["Peace.", "The mufti thanked the ambassador.", "Delegates discussed dialogue and tolerance.",
             "Astana", "The congress of leaders of world and traditional religions met on Monday.", ""]
    for eng in (one, two):
        eng.max_batch_size = 2
    assert two.translate(texts) == one.translate(texts)
    assert two.hypotheses(texts) == one.hypotheses(texts)


# ---------------------------------------------------------------- replacing and broken packages


def test_newer_version_replaces_older_and_leaves_other_pairs(tiny_packages_dir, tiny_model_archive):
    ru_before = snapshot(next(m.path for m in list_models(tiny_packages_dir) if m.to_code == "ru"))
    info = install_model(tiny_model_archive("kk", package_version="1.1"), tiny_packages_dir)
    kk = [m for m in list_models(tiny_packages_dir) if m.to_code == "kk"]
    assert [m.package_version for m in kk] == ["1.1"] and kk[0].path == info.path
    ru_after = next(m.path for m in list_models(tiny_packages_dir) if m.to_code == "ru")
    assert snapshot(ru_after) == ru_before
    assert not [p for p in tiny_packages_dir.iterdir() if p.name.startswith(".")]
    assert Engine.load(tiny_packages_dir, "kk").info.package_version == "1.1"


def test_an_archive_named_like_another_pair_never_replaces_that_pair(tmp_path, tiny_packages_dir,
                                                                    tiny_model_archive):
    """What a package translates is in its metadata, whatever its folder is called."""
    ru_path = next(m.path for m in list_models(tiny_packages_dir) if m.to_code == "ru")
    ru_before = snapshot(ru_path)
    package = unpack(tiny_model_archive("kk", package_version="2.0"), tmp_path / "unpacked")
    renamed = package.rename(package.parent / ru_path.name)  # folder named like the installed en→ru package
    info = install_model(zip_package(renamed, tmp_path / "misnamed.argosmodel"), tiny_packages_dir)
    assert (info.to_code, info.package_version) == ("kk", "2.0") and info.path != ru_path
    assert snapshot(ru_path) == ru_before
    pairs = sorted((m.to_code, m.package_version) for m in list_models(tiny_packages_dir))
    assert pairs == [("ar", "1.0"), ("kk", "2.0"), ("ru", "1.0")]


def test_broken_installed_package_is_reported_not_used(tiny_packages_dir):
    kk = next(m.path for m in list_models(tiny_packages_dir) if m.to_code == "kk")
    (kk / "model" / "model.bin").unlink()
    models, problems = engine.scan_models(tiny_packages_dir)
    assert sorted(m.to_code for m in models) == ["ar", "ru"]
    assert [(p.path, p.to_code) for p in problems] == [(kk, "kk")]
    with pytest.raises(ModelError):
        Engine.load(tiny_packages_dir, "kk")
    data = json.loads(runner.invoke(app, ["models", "list", "--json"]).stdout)
    assert data["missing"] == ["kk"] and len(data["problems"]) == 1


# ---------------------------------------------------------------- bad archives change nothing


def _bad_archives(tmp: Path, good: Path) -> dict[str, Path]:
    """Broken variants of a good archive, each for one reason."""
    tmp.mkdir(parents=True)
    bad: dict[str, Path] = {"missing": tmp / "nope.argosmodel"}
    bad["not_zip"] = tmp / "html.argosmodel"
    bad["not_zip"].write_text("<html>404</html>")

    def variant(name: str, change) -> None:
        work = tmp / f"work-{name}"
        package = unpack(good, work)
        change(package)
        bad[name] = zip_package(package, tmp / f"{name}.argosmodel")

    variant("no_metadata", lambda p: (p / "metadata.json").unlink())
    variant("no_model_bin", lambda p: (p / "model" / "model.bin").unlink())
    variant("no_tokenizer", lambda p: (p / "sentencepiece.model").unlink())
    variant("metadata_not_json", lambda p: (p / "metadata.json").write_text("{nope"))
    variant("no_to_code", lambda p: (p / "metadata.json").write_text(json.dumps({"from_code": "en"})))
    variant("corrupt_model_bin", lambda p: (p / "model" / "model.bin").write_bytes(b"\0garbage" * 100))
    variant("other_tokenizer", lambda p: train_sentencepiece(
        p / "sentencepiece.model", vocab_size=120,
        lines=["αβγδ εζηθ ικλμ νξοπ ρστυ φχψω", "ΑΒΓΔ ΕΖΗΘ ΙΚΛΜ ΝΞΟΠ", "אבגד הוזח טיכל מנסע פצקר שת"]))

    def unknown_prefix(p: Path) -> None:
        meta = json.loads((p / "metadata.json").read_text())
        meta["target_prefix"] = "__zz__"
        (p / "metadata.json").write_text(json.dumps(meta))

    variant("prefix_not_in_vocab", unknown_prefix)

    two_tops = tmp / "two_tops.argosmodel"
    with zipfile.ZipFile(two_tops, "w") as zf, zipfile.ZipFile(good) as src:
        for item in src.infolist():
            zf.writestr(item, src.read(item))
        zf.writestr("other/metadata.json", "{}")
    bad["two_top_dirs"] = two_tops

    escaping = tmp / "escaping.argosmodel"
    with zipfile.ZipFile(escaping, "w") as zf:
        zf.writestr("pkg/metadata.json", json.dumps({"from_code": "en", "to_code": "kk"}))
        zf.writestr("pkg/../../evil.txt", "x")
    bad["path_escape"] = escaping
    return bad


def test_bad_archives_raise_and_change_nothing(tmp_path, tiny_packages_dir, tiny_model_archive):
    before = snapshot(tiny_packages_dir)
    bad = _bad_archives(tmp_path / "bad", tiny_model_archive("kk", package_version="2.0"))
    for reason, archive in bad.items():
        with pytest.raises(ModelError) as caught:
            install_model(archive, tiny_packages_dir)
        assert archive.name in str(caught.value), reason
        assert snapshot(tiny_packages_dir) == before, reason
    assert not (tmp_path / "evil.txt").exists()
    assert Engine.load(tiny_packages_dir, "kk").info.package_version == "1.0"


def test_macos_resource_forks_are_ignored(tmp_path, tiny_model_archive):
    archive = tmp_path / "mac.argosmodel"
    shutil.copy(tiny_model_archive("ru"), archive)
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr("__MACOSX/translate-en_ru-1_0/._metadata.json", b"\0\5\26\7")
    info = install_model(archive, tmp_path / "p")
    assert [p.name for p in (tmp_path / "p").iterdir()] == [info.path.name]


def test_cli_install_bad_archive_exits_non_zero(tmp_path, tiny_packages_dir, tiny_model_archive):
    before = snapshot(tiny_packages_dir)
    bad = _bad_archives(tmp_path / "bad", tiny_model_archive("kk", package_version="2.0"))
    for reason in ("missing", "not_zip", "no_model_bin"):
        result = runner.invoke(app, ["models", "install", str(bad[reason])])
        assert result.exit_code != 0, reason
        assert str(bad[reason]) in result.stderr, reason
    assert snapshot(tiny_packages_dir) == before


def test_interrupted_swap_restores_old_package(tiny_packages_dir, tiny_model_archive, monkeypatch):
    before = snapshot(tiny_packages_dir)
    real_replace = engine.os.replace

    def failing_replace(src, dst):
        if ".pipeline-new-" in str(src):  # moving the new package into place fails
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(engine.os, "replace", failing_replace)
    with pytest.raises(ModelError):
        install_model(tiny_model_archive("kk", package_version="1.1"), tiny_packages_dir)
    assert snapshot(tiny_packages_dir) == before


# ---------------------------------------------------------------- the argos index (faked; never the network)


class FakeAvailable:
    def __init__(self, to_code, version, archive=None, fail=False):
        self.type, self.from_code, self.to_code, self.package_version = "translate", "en", to_code, version
        self.archive, self.fail, self.downloads = archive, fail, 0

    def download(self) -> Path:
        self.downloads += 1
        if self.fail:
            raise Exception("Download failed")
        return self.archive


def test_install_from_index_takes_newest_matching(tmp_path, tiny_model_archive):
    old = FakeAvailable("ru", "1.0", tiny_model_archive("kk"))  # would install the wrong pair if chosen
    new = FakeAvailable("ru", "1.10", tiny_model_archive("ru", package_version="1.1"))
    other = FakeAvailable("ar", "9.0", tiny_model_archive("ar"))
    info = engine.install_from_index("ru", tmp_path / "p", fetch_index=lambda: [old, other, new])
    assert (info.from_code, info.to_code) == ("en", "ru")
    assert (old.downloads, new.downloads, other.downloads) == (0, 1, 0)
    assert new.archive.exists()  # files we did not download into argos' cache stay


def test_install_from_index_offline_names_pair_and_changes_nothing(tiny_packages_dir):
    before = snapshot(tiny_packages_dir)

    def offline():
        raise OSError("Name or service not known")

    with pytest.raises(ModelError) as caught:
        engine.install_from_index("ru", tiny_packages_dir, fetch_index=offline)
    assert "en→ru" in str(caught.value)
    with pytest.raises(ModelError) as caught:
        engine.install_from_index("ar", tiny_packages_dir,
                                  fetch_index=lambda: [FakeAvailable("ar", "1", fail=True)])
    assert "en→ar" in str(caught.value)
    with pytest.raises(ModelError):
        engine.install_from_index("kk", tiny_packages_dir, fetch_index=lambda: [FakeAvailable("ru", "1")])
    assert snapshot(tiny_packages_dir) == before


def test_cli_install_codes_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "p"))
    calls = []

    def offline(*args, **kwargs):
        calls.append(1)
        raise ModelError("cannot download the argos package index")

    monkeypatch.setattr(engine, "argos_index", offline)
    result = runner.invoke(app, ["models", "install", "ru", "ar", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["installed"] == [] and len(data["errors"]) == 2
    assert "en→ru" in data["errors"][0] and "en→ar" in data["errors"][1]
    assert calls and list_models(tmp_path / "p") == []


def test_cli_install_codes_with_faked_index(tmp_path, monkeypatch, tiny_model_archive):
    packages = tmp_path / "p"
    copy = tmp_path / "dl.argosmodel"
    shutil.copy(tiny_model_archive("ar"), copy)
    monkeypatch.setattr(engine, "argos_index", lambda: [FakeAvailable("ar", "1.0", copy)])
    result = runner.invoke(app, ["models", "install", "ar", "--packages-dir", str(packages)])
    assert result.exit_code == 0, result.output
    assert [m.to_code for m in list_models(packages)] == ["ar"]


def test_a_small_call_is_cut_in_two_by_tokens_whatever_the_machine():
    """One batch would leave every other core idle (one article, a run's final retries); the halves are cut
    by tokens, so the rule, and the drafts, depend on the segments alone."""
    lengths = [3, 4, 5, 20]
    assert cut_batches(lengths, lambda n: n, 32, 256) == [[3, 4, 5], [20]]
    assert cut_batches([7, 7, 7, 7], lambda n: n, 32, 256) == [[7, 7], [7, 7]]
    assert cut_batches([9], lambda n: n, 32, 256) == [[9]]
    assert cut_batches([], lambda n: n, 32, 256) == []
    big = cut_batches([100] * 5, lambda n: n, 32, 256)  # past the budget the token bound cuts as before
    assert big == [[100, 100], [100, 100], [100]]
