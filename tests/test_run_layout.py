"""The catalogs and templates a run writes, byte for byte, against files written before the writer was made
faster (dates masked): a run on the shared seed articles and NTREX sentences with a fake engine, then an edit
and a second run. A deliberate change of the layout records the files again: REGENERATE_RUN_LAYOUT=1 pytest
tests/test_run_layout.py (and says so in its commit)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import FakeEngine

from pipeline import engine, workflow
from pipeline.workflow import RunOptions
from pipeline.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
EXPECTED = Path(__file__).resolve().parent / "data" / "run-layout"
DATE = re.compile(rb'"(POT-Creation-Date|PO-Revision-Date): [0-9][^\\]*\\n"')


def build(root: Path, shared: Path) -> None:
    (root / "source_texts").mkdir(parents=True)
    shutil.copytree(REPO / "glossary", root / "glossary")
    for article in sorted((shared / "seeds").glob("*"))[:3]:
        shutil.copy(article, root / "source_texts" / article.name)
    lines = [line.strip() for line in (shared / "ntrex128" / "newstest2019-src.eng.txt").read_text(
        encoding="utf-8").splitlines() if line.strip()]
    (root / "source_texts" / "ntrex.txt").write_text(
        "NTREX sentences\n\n" + " ".join(lines[:12]) + "\n" + " ".join(lines[12:30]) + "\n", encoding="utf-8")


def written(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): DATE.sub(rb'"\1: DATE\\n"', path.read_bytes())
            for path in sorted((root / "locales").rglob("*.po*"))}


def run_twice(root: Path, monkeypatch) -> dict[str, bytes]:
    monkeypatch.setattr(engine.Engine, "load", staticmethod(
        lambda directory, to_code, from_code="en", **settings: FakeEngine(to_code)))
    options = RunOptions(publish=False)
    workflow.run(Workspace(root), options)
    article = root / "source_texts" / "ntrex.txt"
    article.write_text(article.read_text(encoding="utf-8").replace("NTREX sentences", "NTREX sentences, edited"),
                       encoding="utf-8")
    workflow.run(Workspace(root), options)
    return written(root)


def test_a_run_writes_the_same_bytes_as_before(tmp_path, shared, monkeypatch):
    build(tmp_path / "ws", shared)
    files = run_twice(tmp_path / "ws", monkeypatch)
    if os.environ.get("REGENERATE_RUN_LAYOUT"):  # only to record the expected files once
        shutil.rmtree(EXPECTED, ignore_errors=True)
        for name, data in files.items():
            (EXPECTED / name).parent.mkdir(parents=True, exist_ok=True)
            (EXPECTED / name).write_bytes(data)
        pytest.skip("expected files recorded")
    expected = {path.relative_to(EXPECTED).as_posix(): path.read_bytes()
                for path in sorted(EXPECTED.rglob("*.po*"))}
    assert sorted(files) == sorted(expected)
    for name, data in files.items():
        assert data == expected[name], name


def test_an_unchanged_re_run_rewrites_nothing(tmp_path, shared, monkeypatch):
    root = tmp_path / "ws"
    build(root, shared)
    run_twice(root, monkeypatch)
    before = {path: path.stat().st_mtime_ns for path in (root / "locales").rglob("*.po*")}
    workflow.run(Workspace(root), RunOptions(publish=False))
    assert {path: path.stat().st_mtime_ns for path in (root / "locales").rglob("*.po*")} == before


def test_language_is_detected_on_a_sample_with_the_whole_article_s_answer(shared):
    from pipeline import sources

    for path in sorted((shared / "seeds").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        assert len(text) > sources.LANGUAGE_SAMPLE
        assert sources.detect_language(text) == sources.detect_language(text, sample=len(text)) == "en"
