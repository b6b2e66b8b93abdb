"""A run does work in proportion to what changed: each catalog parsed once, an unchanged catalog or template neither
rendered nor rewritten; and still a translator never loses an edit (a catalog changed on disk between runs or
during one is read again, never overwritten)."""

from __future__ import annotations

import os
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


def test_a_run_parses_each_catalog_once_harvest_merge_checks_and_publish_alike(workspace, monkeypatch):
    run(workspace)
    parsed = counting_parses(monkeypatch)
    report = run(workspace)  # harvest, the merge, the review checks and publish all read every catalog
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
