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
