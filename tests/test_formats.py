"""File formats read back what they write; data flows one way (that formats load no stage: test_module_layout)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.errors import TmxError
from pipeline.formats.tmx import TmxPair, TmxReader, write_tmx


def loaded_by(code: str) -> list[str]:
    """The pipeline modules a fresh interpreter has loaded after running `code`."""
    code += "\nimport sys; print(' '.join(sorted(n for n in sys.modules if n.startswith('pipeline.'))))"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          check=True).stdout.split()


def test_catalogs_do_not_load_the_memory():
    loaded = loaded_by("import pipeline.catalogs")
    assert "pipeline.similarity" in loaded and "pipeline.memory" not in loaded


def test_tmx_pairs_round_trip_with_props_dates_and_awkward_text(tmp_path):
    pairs = [TmxPair("en", "ru", 'A <b> & "q"\r\nline', "Перевод", {"x-status": "approved", "x-origin": "a&b"},
                     "2025-03-08T17:05:00.000000Z", "2025-03-09T10:00:00.000000Z"),
             TmxPair("en", "ar", "Second.", "الثاني.")]
    path = tmp_path / "out.tmx"
    assert write_tmx(path, pairs, source_lang="en", created="2025-03-10T00:00:00Z", tool="t", tool_version="1",
                     original_format="test") == 2
    back = list(TmxReader(path))
    assert [(p.source_lang, p.target_lang, p.source, p.target, p.props, p.created, p.updated) for p in back] == \
        [(p.source_lang, p.target_lang, p.source, p.target, p.props, p.created, p.updated) for p in pairs]
    assert back[0].line == 6 and 'creationdate="20250310T000000Z"' in path.read_text(encoding="utf-8")


def test_tmx_reader_counts_units_without_source_or_translation(tmp_path):
    path = tmp_path / "m.tmx"
    path.write_text('<tmx version="1.4"><header srclang="en-US"/><body>\n'
                    '<tu><tuv xml:lang="en-GB"><seg>Hello</seg></tuv><tuv lang="kk_KZ"><seg>Сәлем</seg></tuv></tu>\n'
                    '<tu><tuv xml:lang="kk"><seg>Тек</seg></tuv></tu>\n'
                    '<tu><tuv xml:lang="en"><seg>Empty</seg></tuv><tuv xml:lang="ru"><seg> </seg></tuv></tu>\n'
                    '</body></tmx>', encoding="utf-8")
    reader = TmxReader(path)
    assert [(p.source_lang, p.target_lang, p.target) for p in reader] == [("en", "kk", "Сәлем")]
    assert reader.skipped == 2


def test_tmx_reader_refuses_entity_expansion(tmp_path):
    path = tmp_path / "bomb.tmx"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE tmx [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>\n'
                    '<tmx version="1.4"><body>&b;</body></tmx>', encoding="utf-8")
    with pytest.raises(TmxError, match="refused"):
        list(TmxReader(path))
