"""The guards behind the bad-input table that need more than one CLI call to show (test_bad_input.py has the
table itself)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline import archives, cli
from pipeline.errors import ModelError

runner = CliRunner()


def test_sizes_read_as_people_write_them():
    assert archives.parse_size("4G") == 4 << 30
    assert archives.parse_size("500M") == 500 << 20
    assert archives.parse_size("1.5GiB") == int(1.5 * (1 << 30))
    assert archives.parse_size("2000") == 2000
    with pytest.raises(ValueError, match="not a size"):
        archives.parse_size("a lot")


def test_unpacking_counts_real_bytes_when_the_declared_size_lies(tmp_path, monkeypatch):
    """The declared sizes are checked first; when they lie (here: the check is skipped, as a forged header would
    get past it), the bytes counted while writing stop the unpacking at the limit."""
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.bin", bytes(4 << 20))
    monkeypatch.setattr(archives, "check_members", lambda zf, archive, limits, names=None: zf.infolist())
    with zipfile.ZipFile(archive) as zf, pytest.raises(ModelError, match="although it declares less"):
        archives.extract(zf, archive, tmp_path / "out", archives.Limits(max_bytes=1 << 20))
    assert (tmp_path / "out" / "big.bin").stat().st_size <= 1 << 20


def test_a_symlink_member_is_refused(tmp_path):
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("pkg/link")
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "/etc/passwd")
    with zipfile.ZipFile(archive) as zf, pytest.raises(ModelError, match="symbolic link"):
        archives.extract(zf, archive, tmp_path / "out", archives.Limits())
    assert not (tmp_path / "out" / "pkg" / "link").exists()


def test_the_next_install_removes_what_an_interrupted_one_left(tmp_path, tiny_model_archive):
    packages = tmp_path / "packages"
    stale = packages / ".pipeline-new-k1ll3d"
    (stale / "translate-en_kk-1_0" / "model").mkdir(parents=True)
    (stale / "translate-en_kk-1_0" / "model" / "model.bin").write_bytes(bytes(1000))
    (packages / ".pipeline-old-0123").mkdir()
    result = runner.invoke(cli.app, ["models", "install", str(tiny_model_archive("kk")),
                                     "--packages-dir", str(packages)])
    assert result.exit_code == 0, result.stderr
    assert "removed 2 staging folder(s)" in result.stderr and ".pipeline-new-k1ll3d" in result.stderr
    assert sorted(p.name for p in packages.iterdir()) == ["translate-en_kk-1_0"]


@pytest.mark.parametrize("lang", ["../../etc", "kk/../ru", "", "KK", "k", "/abs", "kk\n"])
def test_a_language_that_is_not_a_code_never_names_a_catalog_folder(tmp_path, lang):
    from pipeline.workspace import WorkspaceError, catalog_path

    with pytest.raises(WorkspaceError, match="not a language code"):
        catalog_path(tmp_path, lang, "article")
    assert catalog_path(tmp_path, "pt-BR", "article").parent.parent.name == "pt-BR"


# ---------------------------------------------------------------- one line must not hold a run hostage


def test_sentences_are_cut_at_the_strongest_boundary_first():
    from pipeline.engine import split_for_mt

    def fits(piece):
        return len(piece) <= 40

    text = "One short sentence here. Another one, with a clause; and a tail that goes on and on for a while."
    pieces = split_for_mt(text, fits)
    assert all(fits(p) for p in pieces)
    assert pieces[0] == "One short sentence here."
    assert " ".join(pieces).split() == text.split()  # nothing lost, nothing doubled
    blob = "x" * 1000  # no boundary at all: cut by characters, still every piece fits
    assert "".join(split_for_mt(blob, fits)) == blob and all(fits(p) for p in split_for_mt(blob, fits))


def test_an_over_long_segment_reaches_the_model_in_bounded_pieces(tiny_packages_dir):
    from pipeline.engine import MAX_DECODING_TOKENS, MAX_SOURCE_TOKENS, Engine

    eng = Engine.load(tiny_packages_dir, "kk", threads=1)
    seen = []

    class Spy:
        def translate_batch(self, source, **kwargs):
            seen.append(([len(s) for s in source], kwargs["max_decoding_length"]))

            class Result:
                def __init__(self, tokens):
                    self.hypotheses = [tokens]
            return [Result(list(s)) for s in source]

    eng.translator = Spy()
    line = " ".join(f"The delegates of region {i} discussed dialogue, tolerance and faith." for i in range(300))
    assert len(eng.encode(line)) > 5 * MAX_SOURCE_TOKENS
    (out,) = eng.translate([line])
    assert out and len(seen) >= 1
    assert max(n for lengths, _ in seen for n in lengths) <= MAX_SOURCE_TOKENS
    assert max(bound for _, bound in seen) <= MAX_DECODING_TOKENS
    assert eng.decoding_bound(100_000) == MAX_DECODING_TOKENS
    assert len(eng.hypotheses([line])[0]) == 1


# ---------------------------------------------------------------- re-runs are not quadratic


def _catalog(entries):
    import polib

    from pipeline.catalogs import Catalog

    po = polib.POFile()
    for msgid, msgstr, fuzzy in entries:
        po.append(polib.POEntry(msgid=msgid, msgstr=msgstr, flags=["fuzzy"] if fuzzy else []))
    return Catalog(Path("x.po"), po, None)


def test_previous_suggestions_score_only_entries_of_a_possible_length(monkeypatch):
    import random

    from pipeline import catalogs

    rng = random.Random(7)
    words = "the mufti met delegates of faiths and discussed dialogue tolerance peace in astana".split()
    entries = [(" ".join(rng.choice(words) for _ in range(rng.randint(1, 40))), f"t{i}", i % 3 == 0)
               for i in range(600)]
    catalog = _catalog(entries)
    calls = []
    real = catalogs.similarity
    monkeypatch.setattr(catalogs, "similarity", lambda a, b: calls.append(b) or real(a, b))
    # an unchanged article: every old msgid is still current, so nothing is scored at all
    current = {msgid for msgid, _, _ in entries}
    assert all(catalog.previous_suggestion(m, 75, current) is None for m in list(current)[:200])
    assert calls == []
    # a changed sentence: only old msgids within 75 % of its length are scored, and the answer is the brute one
    for query, _, _ in entries[:60]:
        calls.clear()
        query = query + " again"
        got = catalog.previous_suggestion(query, 75, set())
        assert all(0.75 * len(query) <= len(b) <= len(query) / 0.75 for b in calls)
        brute = max(((real(query, m), 0 if f else 1, m, t) for m, t, f in entries if real(query, m) >= 75),
                    default=None)
        assert (got and (got.score, got.msgstr)) == (brute and (brute[0], brute[3])) or \
            (got and brute and got.score == brute[0])


# ---------------------------------------------------------------- Markdown msgids are plain text


def test_markdown_inline_syntax_never_reaches_a_msgid_or_a_page(tmp_path):
    from pipeline import catalogs, publish
    from pipeline.segment import segment_text
    from pipeline.workspace import Workspace

    article = ("# The *new* library\n\nThe **Grand Mufti** met the [ambassador](https://example.org/a) "
               "and `guests` with \\*care\\* & <b>joy</b>.\n")
    msgids = [s.text for s in segment_text(article, markdown=True)]
    assert msgids == ["The new library", "The Grand Mufti met the ambassador and guests with *care* & <b>joy</b>."]
    root = tmp_path / "ws"
    (root / "source_texts").mkdir(parents=True)
    (root / "source_texts" / "lib.md").write_text(article, encoding="utf-8")
    drafts = [catalogs.Draft(msgid=m, msgctxt=None, occurrences=[], comments=[], msgstr=f"ru {m}") for m in msgids]
    catalogs.update_catalog(root / "locales" / "ru" / "LC_MESSAGES" / "lib.po", "ru", drafts, project="t")
    publish.publish(Workspace.open(root), root / "site", ["ru"])
    pages = [p.read_text(encoding="utf-8") for p in (root / "site").rglob("*") if p.suffix in (".html", ".md")]
    assert pages and not any("](" in page or "example.org/a" in page or "**" in page for page in pages)


# ---------------------------------------------------------------- the memory is rebuildable from the catalogs


def test_after_the_memory_is_deleted_an_approved_match_still_replaces_an_untouched_machine_draft(tmp_path,
                                                                                               monkeypatch):
    import polib
    from conftest import FakeEngine

    from pipeline import engine

    root = tmp_path / "ws"
    (root / "source_texts").mkdir(parents=True)
    (root / "source_texts" / "a.txt").write_text("A visit\n\nThey discussed cooperation.\nThey met again.\n")
    monkeypatch.setattr(engine.Engine, "load", staticmethod(lambda d, to, from_code="en", **k: FakeEngine(to)))
    monkeypatch.chdir(root)
    assert runner.invoke(cli.app, ["run", "--langs", "kk", "--no-publish"]).exit_code == 0
    catalog = root / "locales" / "kk" / "LC_MESSAGES" / "a.po"
    po = polib.pofile(str(catalog))
    edited = po.find("They met again.")
    edited.msgstr = "Олар қайта кездесті (аудармашы)."  # a translator's edit: never replaced
    po.save()
    for path in (root / ".pipeline").glob("memory.sqlite*"):
        path.unlink()
    approved = polib.POFile()
    approved.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": "kk"}
    for msgid in ("They discussed cooperation.", "They met again."):
        approved.append(polib.POEntry(msgid=msgid, msgstr=f"мақұлданған: {msgid}"))
    approved.save(str(root / "locales" / "kk" / "LC_MESSAGES" / "approved.po"))
    assert runner.invoke(cli.app, ["run", "--langs", "kk", "--no-publish"]).exit_code == 0
    po = polib.pofile(str(catalog))
    assert po.find("They discussed cooperation.").msgstr == "мақұлданған: They discussed cooperation."
    assert po.find("They met again.").msgstr == "Олар қайта кездесті (аудармашы)."
