"""A run does work in proportion to what changed: each catalog parsed once, an unchanged catalog or template neither
rendered nor rewritten; and still a translator never loses an edit (a catalog changed on disk between runs or
during one is read again, never overwritten)."""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from conftest import FakeEngine

from pipeline import catalogs, engine, files, sources, workflow
from pipeline.formats import po as po_format
from pipeline.workflow import RunOptions
from pipeline.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def workspace(tmp_path, shared, monkeypatch) -> Path:
    """Two seed articles, the shipped glossary and a fake engine (every entry gets a draft)."""
    root = tmp_path / "ws"
    (root / "source_texts").mkdir(parents=True)
    shutil.copytree(REPO / "glossary", root / "glossary")
    for article in sorted((shared / "seeds").glob("*.txt"))[:2]:
        shutil.copy(article, root / "source_texts" / article.name)
    monkeypatch.setattr(engine.Engine, "load", staticmethod(
        lambda directory, to_code, from_code="en", **settings: FakeEngine(to_code)))
    return root


def run(root: Path, **options) -> workflow.RunReport:
    report = workflow.run(Workspace(root), RunOptions(**options))
    assert report.ok, report.errors
    return report


def counting_parses(monkeypatch) -> Counter:
    """Every parse of a catalog or template file, by path, whichever stage asks."""
    parsed: Counter = Counter()
    real = po_format.parse_po

    def parse_po(data, path):
        parsed[os.path.abspath(path)] += 1
        return real(data, path)

    for module in (po_format, catalogs):
        monkeypatch.setattr(module, "parse_po", parse_po)
    return parsed


def written_files(root: Path) -> dict[Path, tuple[int, int]]:
    return {path: (path.stat().st_ino, path.stat().st_mtime_ns) for path in (root / "locales").rglob("*.po*")}


def forget_the_last_run(root: Path) -> None:
    (root / ".pipeline" / "run-state.json").unlink()


def test_a_run_parses_each_catalog_once_harvest_merge_checks_and_publish_alike(workspace, monkeypatch):
    run(workspace)
    forget_the_last_run(workspace)  # so every stage reads every catalog
    parsed = counting_parses(monkeypatch)
    report = run(workspace)
    assert report.publications and report.harvested == 0
    catalogs_read = [p for p in parsed if p.endswith(".po")]
    assert len(catalogs_read) == 6 and len([p for p in parsed if p.endswith(".pot")]) == 2
    assert set(parsed.values()) == {1}, parsed


def test_a_run_reads_each_catalog_file_from_disk_once(workspace, monkeypatch):
    """Harvest, the merge, the checks and publish share one read of each unchanged catalog (their bytes and
    checksum), not one read each."""
    run(workspace)
    forget_the_last_run(workspace)  # so every stage looks at every catalog
    reads: Counter = Counter()
    real = files.read_or_none

    def read_or_none(path):
        reads[os.path.abspath(path)] += 1
        return real(path)

    monkeypatch.setattr(files, "read_or_none", read_or_none)
    report = run(workspace)
    assert report.publications and report.harvested == 0
    catalogs_read = {path: n for path, n in reads.items() if path.endswith(".po")}
    assert len(catalogs_read) == 6 and set(catalogs_read.values()) == {1}, catalogs_read


def test_a_new_catalog_written_by_a_run_is_not_parsed_again_in_that_run(workspace, monkeypatch):
    parsed = counting_parses(monkeypatch)
    run(workspace)
    assert not parsed  # nothing on disk before: the checks and publish use what the run wrote


def test_an_unchanged_re_run_renders_and_rewrites_nothing(workspace, monkeypatch):
    run(workspace)
    before = written_files(workspace)
    rendered = []
    monkeypatch.setattr(catalogs, "po_bytes", lambda *a, **k: rendered.append(a) or po_format.po_bytes(*a, **k))
    monkeypatch.setattr(catalogs, "render_po", lambda *a, **k: rendered.append(a) or po_format.render_po(*a, **k))
    run(workspace)
    assert written_files(workspace) == before  # same inode, same mtime: not replaced
    assert rendered == []


def test_a_catalog_edited_between_runs_is_read_again_even_with_its_old_size_and_time(workspace):
    run(workspace)
    path = next((workspace / "locales" / "kk" / "LC_MESSAGES").glob("*.po"))
    stat = path.stat()
    data = path.read_bytes()
    edited = data.replace(b"#, fuzzy\n", b"#, wrap \n", 1)  # the translator approved a draft: same size
    assert edited != data and len(edited) == len(data)
    entry = next(e for e in po_format.parse_po(edited, path) if "wrap" in e.flags)
    path.write_bytes(edited)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same time
    report = run(workspace)
    assert report.harvested == 1  # the approval went into the memory
    row = next(r for r in report.catalogs if r.path == path)
    assert row.stats.approved == 1
    again = {e.msgid: e for e in po_format.read_po(path)}
    assert again[entry.msgid].msgstr == entry.msgstr and "fuzzy" not in again[entry.msgid].flags


def test_a_translator_saving_while_the_run_writes_keeps_the_save(workspace, monkeypatch):
    run(workspace)
    article = sorted((workspace / "source_texts").glob("*.txt"))[0]
    article.write_text(article.read_text(encoding="utf-8") + "\nA new closing sentence about the forum.\n",
                       encoding="utf-8")
    target = Workspace(workspace).catalog_path("ru", sources.slug_for(article))
    saved = []

    def translator_saves_now(path: Path) -> None:  # the run is about to replace the catalog it merged
        if path == target and not saved:
            text = path.read_text(encoding="utf-8").replace("#, fuzzy\n", "", 1)
            path.write_text(text, encoding="utf-8")
            saved.append(text)

    monkeypatch.setattr(files, "before_replace", translator_saves_now)
    run(workspace)
    assert saved
    final = po_format.read_po(target)
    approved = [e for e in final if e.msgstr and "fuzzy" not in e.flags and not e.obsolete]
    assert len(approved) == 1  # the save survived the run's write
    assert any("A new closing sentence" in e.msgid for e in final)  # and the run's change is merged into it


def summary(report: workflow.RunReport) -> list:
    return [report.totals, sorted(report.warnings), report.harvested,
            [(r.slug, r.lang, r.stats, r.problems, r.kept, r.untranslated, r.memory_exact, r.drafted)
             for r in report.catalogs],
            [(p.slug, p.lang, p.published, p.reason, p.completeness) for p in report.publications],
            [(gap.article, gap.names) for gap in report.gaps]]


def test_an_unchanged_re_run_reads_no_catalog_and_reports_what_a_full_run_reports(workspace, monkeypatch):
    run(workspace)
    run(workspace)  # the drafts are in: this run and the next find the same
    parsed = counting_parses(monkeypatch)
    skipped = run(workspace)
    assert not parsed  # neither catalogs nor templates: their checksums are those the last run left
    forget_the_last_run(workspace)
    full = run(workspace)
    assert parsed  # the full run read them all
    assert summary(skipped) == summary(full)


def test_only_the_changed_article_s_catalogs_are_read_again(workspace, monkeypatch):
    run(workspace)
    twin = workspace.parent / "twin"  # the same workspace, without the last run's records: a full run
    shutil.copytree(workspace, twin)
    forget_the_last_run(twin)
    for root in (workspace, twin):
        article = sorted((root / "source_texts").glob("*.txt"))[0]
        article.write_text(article.read_text(encoding="utf-8") + "\nA new closing sentence about the forum.\n",
                           encoding="utf-8")
    parsed = counting_parses(monkeypatch)
    report = run(workspace)
    slug = sources.slug_for(article)
    assert sorted(Path(p).name for p in parsed) == sorted([f"{slug}.po"] * 3 + [f"{slug}.pot"])
    assert summary(report) == summary(run(twin))
    dates = re.compile(rb'"(POT-Creation-Date|PO-Revision-Date): [^\\]*\\n"')
    for path in (workspace / "locales").rglob("*.po*"):
        ours, theirs = path.read_bytes(), (twin / path.relative_to(workspace)).read_bytes()
        assert dates.sub(b"", ours) == dates.sub(b"", theirs), path.name


def test_nothing_is_skipped_when_the_memory_changed(workspace, monkeypatch):
    run(workspace)
    memory = workspace / ".pipeline" / "memory.sqlite"
    memory.unlink()  # rebuilt from the catalogs: every catalog is harvested again, every entry looked up again
    for extra in memory.parent.glob("memory.sqlite-*"):
        extra.unlink()
    parsed = counting_parses(monkeypatch)
    run(workspace)
    assert len([p for p in parsed if p.endswith(".po")]) == 6


def test_a_damaged_record_file_only_means_a_full_run(workspace, monkeypatch):
    run(workspace)
    (workspace / ".pipeline" / "run-state.json").write_text("{not json", encoding="utf-8")
    parsed = counting_parses(monkeypatch)
    run(workspace)
    assert len([p for p in parsed if p.endswith(".po")]) == 6


def test_a_record_file_edited_into_other_shapes_only_means_a_full_run(workspace, monkeypatch):
    """Valid JSON whose records are no longer what a run wrote (a list, a short stats row) is not trusted."""
    import json

    run(workspace)
    run(workspace)
    path = workspace / ".pipeline" / "run-state.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    for name, record in data["files"].items():
        data["files"][name] = ["not", "a", "record"] if name.endswith(".pot") else {**record, "stats": [1]}
    path.write_text(json.dumps(data), encoding="utf-8")
    parsed = counting_parses(monkeypatch)
    run(workspace)
    assert len([p for p in parsed if p.endswith(".po")]) == 6


def test_records_that_cannot_be_written_do_not_fail_the_run(workspace):
    path = workspace / ".pipeline" / "run-state.json"
    path.mkdir(parents=True)  # a folder where the file goes
    run(workspace)
    run(workspace)
    assert path.is_dir()


def test_an_unchanged_re_run_leaves_even_its_records_alone(workspace):
    run(workspace)
    run(workspace)
    records = workspace / ".pipeline" / "run-state.json"
    before = (records.stat().st_ino, records.stat().st_mtime_ns)
    run(workspace)
    assert (records.stat().st_ino, records.stat().st_mtime_ns) == before


# ---------------------------------------------------------------- articles, pages and checks a re-run skips


def counting(monkeypatch, module, name: str) -> list:
    """Every call of module.name (its arguments), the real function still doing the work."""
    calls: list = []
    real = getattr(module, name)
    monkeypatch.setattr(module, name, lambda *a, **k: calls.append(a) or real(*a, **k))
    return calls


def publishing_drafts(root: Path) -> None:
    (root / "pipeline.toml").write_text("[publish]\ninclude_fuzzy = true\n", encoding="utf-8")


def page_files(root: Path) -> dict[Path, tuple[int, int]]:
    return {path: (path.stat().st_ino, path.stat().st_mtime_ns)
            for path in (root / "published").rglob("*") if path.is_file()}


def test_an_unchanged_article_is_neither_checked_nor_segmented_again(workspace, monkeypatch):
    from pipeline import segment

    publishing_drafts(workspace)
    run(workspace)
    detected = counting(monkeypatch, sources, "detect_language")
    cut = counting(monkeypatch, workflow, "segment_text") + counting(monkeypatch, segment, "segment_text")
    checked: list = []

    class Control:  # the control-character check, counted
        def search(self, text):
            checked.append(text)
            return real_control.search(text)

    real_control = sources._CONTROL
    monkeypatch.setattr(sources, "_CONTROL", Control())
    again = run(workspace)
    assert detected == [] and cut == [] and checked == []
    assert again.publications and all(p.published for p in again.publications)


def test_a_changed_article_is_checked_and_segmented_again(workspace, monkeypatch):
    article = sorted((workspace / "source_texts").glob("*.txt"))[0]
    before = {p.lang: p.segments for p in run(workspace).publications if p.slug == sources.slug_for(article)}
    article.write_text(article.read_text(encoding="utf-8") + "\nA new closing sentence about the forum.\n",
                       encoding="utf-8")
    detected = counting(monkeypatch, sources, "detect_language")
    cut = counting(monkeypatch, workflow, "segment_text")
    report = run(workspace)
    assert len(detected) == 1 and detected[0][0].endswith("about the forum.\n")  # the other is as it was
    assert any(call[0].endswith("about the forum.\n") for call in cut)  # (the other is cut for the glossary gaps,
    # which are ranked over every article)
    assert any("A new closing sentence" in e.msgid
               for e in po_format.read_po(Workspace(workspace).catalog_path("kk", sources.slug_for(article))))
    assert report.ok
    # Its publication rows are made again (one more segment), not the last run's taken over.
    rows = [p for p in report.publications if p.slug == sources.slug_for(article)]
    assert rows and all(p.segments == before[p.lang] + 1 for p in rows)


def test_an_article_that_turned_into_another_language_is_refused_on_the_re_run(workspace):
    run(workspace)
    article = sorted((workspace / "source_texts").glob("*.txt"))[0]
    article.write_text("Бұл мақала қазақ тілінде жазылған. Қазақстан халқы бейбітшілік пен келісімді құрметтейді. "
                       "Діни бірлестіктер өкілдері жиналды.\n", encoding="utf-8")
    report = workflow.run(Workspace(workspace), RunOptions())
    assert any("looks like Kazakh" in error for error in report.errors)


def test_an_unchanged_re_run_renders_no_page_and_rewrites_none(workspace, monkeypatch):
    from pipeline import publish

    publishing_drafts(workspace)
    run(workspace)
    before = page_files(workspace)
    assert any(path.suffix == ".html" for path in before) and (workspace / "published" / "manifest.json") in before
    rebuilt = counting(monkeypatch, publish, "reassemble")
    rendered = counting(monkeypatch, publish, "render_markdown")
    templates = counting(monkeypatch, publish, "_environment")  # no HTML page rendered: jinja2 not even loaded
    report = run(workspace)
    assert rebuilt == [] and rendered == [] and templates == []
    assert page_files(workspace) == before  # same inode, same mtime: not replaced
    assert len([p for p in report.publications if p.published]) == 6


def test_a_changed_catalog_republishes_its_page_and_only_its_page(workspace, monkeypatch):
    from pipeline import publish

    publishing_drafts(workspace)
    run(workspace)
    path = next((workspace / "locales" / "ru" / "LC_MESSAGES").glob("*.po"))
    entry = next(e for e in po_format.read_po(path) if e.msgstr and "fuzzy" in e.flags)
    path.write_bytes(path.read_bytes().replace(b"#, fuzzy\n", b"", 1))  # the translator approved a draft
    before = page_files(workspace)
    index = workspace / "published" / "ru" / "index.html"  # lists the page's status: rendered again
    listing = index.read_text(encoding="utf-8")
    rebuilt = counting(monkeypatch, publish, "reassemble")
    report = run(workspace)
    assert [(call[0], call[1]) for call in rebuilt] == [(path.stem, "ru")]
    page = workspace / "published" / "ru" / f"{path.stem}.html"
    assert page_files(workspace)[page] != before[page]
    assert entry.msgstr.split()[-1] in page.read_text(encoding="utf-8")
    row = next(p for p in report.publications if (p.slug, p.lang) == (path.stem, "ru"))
    assert row.approved == 1
    unchanged = [name for name in before if name.suffix == ".html" and name.parent.name != "ru"]
    assert unchanged and all(page_files(workspace)[name] == before[name] for name in unchanged)
    assert index.read_text(encoding="utf-8") != listing
    manifest = __import__("json").loads((workspace / "published" / "manifest.json").read_text(encoding="utf-8"))
    assert next(r for r in manifest["articles"] if (r["article"], r["language"]) == (path.stem, "ru"))["approved"] == 1


def test_a_page_edited_on_disk_is_rendered_again(workspace):
    publishing_drafts(workspace)
    run(workspace)
    page = next((workspace / "published" / "kk").glob("*.html"))
    good = page.read_bytes()
    page.write_text("defaced", encoding="utf-8")
    run(workspace)
    assert page.read_bytes() == good


def test_changed_publish_settings_defeat_the_page_records(workspace):
    publishing_drafts(workspace)
    run(workspace)
    pages = [p for p in (workspace / "published" / "kk").glob("*.html") if p.name != "index.html"]
    assert pages
    (workspace / "pipeline.toml").write_text('[publish]\ninclude_fuzzy = true\n[site]\nname = "Dialogue Weekly"\n',
                                             encoding="utf-8")
    run(workspace)
    assert all("Dialogue Weekly" in page.read_text(encoding="utf-8") for page in pages)  # site settings changed
    (workspace / "pipeline.toml").write_text("[publish]\ninclude_fuzzy = false\n", encoding="utf-8")
    report = run(workspace)
    assert not any(p.published for p in report.publications)
    assert not any(page.exists() for page in pages)  # the drafts are unpublished


def test_the_lingua_detector_is_built_once_for_all_the_short_articles_of_a_run(workspace, monkeypatch):
    dialogue = ('I didn\'t do it."\n\nI didn\'t do it." Remember? Dianne Feinstein, did you leak?\nRemember her '
                'answer... did you leak the document - "oh, oh, what? Oh, no. I didn\'t leak."\n')  # NTREX lines
    for n in range(4):  # short and unsure for langdetect (Afrikaans, it says): each needs lingua's second opinion
        (workspace / "source_texts" / f"short-{n}.txt").write_text(dialogue, encoding="utf-8")
    built = []
    real = sources.LanguageCheck.lingua

    def lingua(self, other):
        found = real(self, other)
        built.append(self.built)
        return found

    monkeypatch.setattr(sources.LanguageCheck, "lingua", lingua)
    workflow.run(Workspace(workspace), RunOptions(publish=False))
    assert len(built) >= 4 and built[-1] == 1  # asked for every short article, built once


def fix_one_draft(path: Path, text: str = "Түзетілген аударма") -> None:
    """A translator corrects the first machine draft of the catalog and approves it (saved by polib, as an
    editor would)."""
    import polib

    po = polib.pofile(str(path))
    draft = next(e for e in po if "fuzzy" in e.flags and e.msgstr)
    draft.msgstr = text
    draft.flags.remove("fuzzy")
    po.save()


def test_a_run_over_some_articles_leaves_no_stale_counts_for_the_others(workspace):
    """A run over one article harvests every catalog, so the memory can change under the others' catalogs:
    their records no longer vouch for a merge."""
    article = sorted((workspace / "source_texts").glob("*.txt"))[0]
    shutil.copy(article, workspace / "source_texts" / "copy.txt")  # the same sentences in a second article
    run(workspace)
    fix_one_draft(Workspace(workspace).catalog_path("kk", sources.slug_for(article)))
    report = workflow.run(Workspace(workspace), RunOptions(publish=False), [article])  # harvested: memory changes
    assert report.ok and report.harvested == 1
    twin = workspace.parent / "twin"
    shutil.copytree(workspace, twin)
    forget_the_last_run(twin)
    ours, full = run(workspace), run(twin)
    assert summary(ours) == summary(full)
    copy = next(r for r in ours.catalogs if (r.slug, r.lang) == ("copy", "kk"))
    assert copy.memory_exact == 1 and copy.stats.approved == 1  # its untouched draft took the approved one


def test_review_check_counts_are_reused_only_for_the_set_of_catalogs_they_were_made_over(workspace):
    """The checks compare entries across catalogs: counts made over every catalog are not those of a run over one
    article, though none of its catalogs changed."""
    article = sorted((workspace / "source_texts").glob("*.txt"))[0]
    shutil.copy(article, workspace / "source_texts" / "copy.txt")
    run(workspace)
    fix_one_draft(Workspace(workspace).catalog_path("kk", sources.slug_for(article)))
    fix_one_draft(Workspace(workspace).catalog_path("kk", "copy"), "Басқаша аударма")  # the two disagree
    run(workspace)
    run(workspace)  # everything settled: the next runs skip every catalog
    twin = workspace.parent / "twin"
    shutil.copytree(workspace, twin)
    forget_the_last_run(twin)
    ours, alone = (workflow.run(Workspace(root), RunOptions(publish=False), [root / "source_texts" / article.name])
                   for root in (workspace, twin))
    assert [(r.slug, r.lang, r.problems) for r in ours.catalogs] == \
        [(r.slug, r.lang, r.problems) for r in alone.catalogs]
    full = run(workspace)
    kk = {r.slug: r.problems for r in full.catalogs if r.lang == "kk"}
    assert kk[sources.slug_for(article)] != next(r.problems for r in ours.catalogs if r.lang == "kk")


def test_the_glossary_gaps_record_holds_each_name_once(workspace):
    import json

    for n in range(3):  # the same article three times: every name it holds is in three articles
        shutil.copy(sorted((workspace / "source_texts").glob("*.txt"))[0], workspace / "source_texts" / f"copy-{n}.txt")
    first = run(workspace)
    record = json.loads((workspace / ".pipeline" / "run-state.json").read_text(encoding="utf-8"))["files"]
    gaps = record["#glossary-gaps"]
    texts = [name["text"] for name in gaps["names"]]
    assert texts and len(texts) == len(set(texts))
    assert sum(len(chosen) for _, chosen in gaps["gaps"]) > len(texts)  # articles share the names
    assert [(g.article, g.names) for g in run(workspace).gaps] == [(g.article, g.names) for g in first.gaps]


def test_records_edited_in_place_are_not_trusted(workspace, monkeypatch):
    """The checksum covers the records' text as written: one changed count, the layout kept, means a full run."""
    run(workspace)
    run(workspace)
    path = workspace / ".pipeline" / "run-state.json"
    data = path.read_bytes()
    edited = re.sub(rb'"stats":\[(\d+)', lambda m: b'"stats":[' + str(int(m.group(1)) + 1).encode(), data, count=1)
    assert edited != data
    path.write_bytes(edited)
    parsed = counting_parses(monkeypatch)
    report = run(workspace)
    assert len([p for p in parsed if p.endswith(".po")]) == 6
    assert report.totals == run(workspace).totals


def test_a_template_just_written_is_not_read_back_for_its_record(workspace, monkeypatch):
    reads: Counter = Counter()
    real = files.read_or_none

    def read_or_none(path):
        reads[Path(path).name] += 1
        return real(path)

    monkeypatch.setattr(files, "read_or_none", read_or_none)
    run(workspace)
    templates = {name: n for name, n in reads.items() if name.endswith(".pot")}
    # the writer's look for an old one and the compare-and-swap check before the rename; never a read-back
    assert len(templates) == 2 and set(templates.values()) == {2}
    record = __import__("json").loads((workspace / ".pipeline" / "run-state.json").read_text(encoding="utf-8"))
    for path in (workspace / "locales" / "templates").glob("*.pot"):
        assert record["files"][f"locales/templates/{path.name}"]["sha"] == \
            __import__("hashlib").sha256(path.read_bytes()).hexdigest()


def test_a_run_without_a_model_loads_no_mt_tmx_xml_or_pydantic_module(workspace, tmp_path):
    """Start-up is most of an unchanged re-run of a small workspace: what only MT, a TMX, a feed, the review
    checks or a page needs is not imported when nothing needs it (and typer stays below the release that
    builds a pydantic model for every option)."""
    import json
    import subprocess
    import sys

    probe = ("import atexit, json, runpy, sys\n"
             "atexit.register(lambda: sys.stderr.write('\\nMODULES ' + json.dumps(sorted(sys.modules)) + '\\n'))\n"
             "sys.argv = ['pipeline'] + sys.argv[1:]\n"
             "runpy.run_module('pipeline', run_name='__main__')\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
           "ARGOS_PACKAGES_DIR": str(tmp_path / "no-models")}

    def loaded() -> set[str]:
        done = subprocess.run([sys.executable, "-c", probe, "run", "--root", str(workspace), "--json"],
                              capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return set(json.loads(done.stderr.rsplit("MODULES ", 1)[1]))

    first, again = loaded(), loaded()
    assert "pipeline.workflow" in again and "pipeline.memory" in again  # the probe saw the run
    for name in ("pipeline.formats.tmx", "xml.sax.saxutils", "urllib.request", "pipeline.placeholders",
                 "pydantic", "ctranslate2", "argostranslate", "sentencepiece", "rich", "jinja2", "langdetect"):
        assert name not in again, f"an unchanged re-run without a model imported {name}"
    assert "jinja2" in first  # the first run renders pages: the probe does see lazy imports when they happen


def test_a_run_reads_each_glossary_file_once(workspace, monkeypatch):
    """The glossary's bytes are parsed and checksummed (for the run records) from one read."""
    reads: Counter = Counter()
    real_bytes, real_or_none = Path.read_bytes, files.read_or_none

    def read_bytes(self):
        reads[os.path.abspath(self)] += 1
        return real_bytes(self)

    def read_or_none(path):
        reads[os.path.abspath(path)] += 1
        return real_or_none(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr(files, "read_or_none", read_or_none)
    run(workspace)
    glossary_reads = {path: n for path, n in reads.items() if f"{os.sep}glossary{os.sep}" in path}
    assert glossary_reads and set(glossary_reads.values()) == {1}, glossary_reads
