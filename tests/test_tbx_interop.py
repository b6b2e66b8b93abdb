"""Glossary and memory files in translate-toolkit (and so Weblate): what we write it reads, what its csv2tbx
writes we import without duplicates."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline import cli, glossary
from pipeline.concepts import GlossaryError
from pipeline.formats import tbx
from pipeline.formats.tmx import TmxPair, write_tmx

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()
tt_tbx = pytest.importorskip("translate.storage.tbx")
tt_tmx = pytest.importorskip("translate.storage.tmx")


@pytest.fixture
def ws(tmp_path):
    root = tmp_path / "ws"
    shutil.copytree(REPO / "glossary", root / "glossary")
    return root


def invoke(*args: str):
    return runner.invoke(cli.app, list(args), catch_exceptions=False)


def test_tbx2_export_is_read_by_translate_toolkit_and_by_us(ws, tmp_path):
    out = tmp_path / "glossary.tbx"
    assert invoke("glossary", "export", str(out), "--format", "tbx2", "--root", str(ws)).exit_code == 0
    concepts = glossary.load_concepts(ws / "glossary")
    store = tt_tbx.tbxfile.parsefile(str(out))
    assert len(store.units) == len(concepts)
    samk = next(u for u in store.units if u.getid() == "samk")
    assert samk.source == "Spiritual Administration of Muslims of Kazakhstan"
    assert samk.target == "Қазақстан мұсылмандары діни басқармасы"
    back, _ = tbx.read_tbx(out)
    assert back == concepts


def test_tbx3_export_names_its_schemas_and_keeps_subject_field_for_subjects(ws, tmp_path):
    out = tmp_path / "glossary.tbx"
    assert invoke("glossary", "export", str(out), "--format", "tbx", "--root", str(ws)).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert text.count("<?xml-model ") == 2 and "TBX-Basic" in text and "schematron" in text
    assert "subjectField" not in text  # institution, title, place are kinds of concept, not subjects
    assert "pipeline:type=institution" in text
    assert tbx.read_tbx(out)[0] == glossary.load_concepts(ws / "glossary")


def test_our_tmx_is_read_by_translate_toolkit(tmp_path):
    path = tmp_path / "memory.tmx"
    pairs = [TmxPair("en", "ru", "Peace & harmony <today>.", "Мир и согласие <сегодня>.", {}, "", "", 0)]
    write_tmx(path, pairs, source_lang="en", created="2026-11-30T00:00:00Z", tool="pipeline", tool_version="1",
              original_format="po")
    store = tt_tmx.tmxfile.parsefile(str(path))
    assert [(u.source, u.target) for u in store.units] == [(pairs[0].source, pairs[0].target)]


@pytest.mark.skipif(not shutil.which("csv2tbx"), reason="translate-toolkit's csv2tbx is not installed")
def test_a_csv2tbx_file_imports_without_duplicates(ws, tmp_path):
    source = tmp_path / "terms.csv"
    source.write_text('"source","target"\n'
                      '"Spiritual Board of Muslims of Kazakhstan","Духовное управление мусульман Казахстана"\n'
                      '"Interfaith Dialogue Week","Неделя межконфессионального диалога"\n', encoding="utf-8")
    made = tmp_path / "made.tbx"
    subprocess.run(["csv2tbx", str(source), str(made)], check=True, capture_output=True)
    before = glossary.load_concepts(ws / "glossary")

    refused = invoke("glossary", "import", str(made), "--root", str(ws))
    assert refused.exit_code == 1 and "languages found: xx (2 entries)" in refused.output
    assert "--lang-map xx=ru" in refused.output

    done = invoke("glossary", "import", str(made), "--lang-map", "xx=ru", "--root", str(ws), "--json")
    assert done.exit_code == 0, done.output
    after = glossary.load_concepts(ws / "glossary")
    assert len(after) == len(before) + 1  # the SAMK variant matched the known concept, by its English variant
    assert [c.id for c in after].count("samk") == 1
    new = next(c for c in after if c.en == "Interfaith Dialogue Week")
    assert new.targets == {"ru": "Неделя межконфессионального диалога"} and new.id == "interfaith-dialogue-week"
    samk = next(c for c in after if c.id == "samk")
    assert samk == next(c for c in before if c.id == "samk")  # the same target: nothing to add


def test_a_differing_target_from_another_tools_id_is_a_conflict_counted_and_shown(ws, tmp_path):
    made = tmp_path / "other.tbx"
    made.write_text('<?xml version="1.0"?><martif type="TBX"><text><body>'
                    '<termEntry id="Spiritual Administration of Muslims of Kazakhstan">'
                    '<langSet xml:lang="en"><tig><term>Spiritual Administration of Muslims of Kazakhstan</term>'
                    '</tig></langSet><langSet xml:lang="ru"><tig><term>ДУМ Казахстана</term></tig></langSet>'
                    '</termEntry></body></text></martif>', encoding="utf-8")
    result = invoke("glossary", "import", str(made), "--root", str(ws))
    assert result.exit_code == 1
    assert "conflict: samk: ru 'Духовное управление мусульман Казахстана' here, 'ДУМ Казахстана' imported" \
        in result.output
    assert "0 added, 0 updated, 1 unchanged, 1 conflict(s)" in result.output


def test_lang_map_must_name_a_target_language(ws, tmp_path):
    made = tmp_path / "x.tbx"
    made.write_text("<martif/>", encoding="utf-8")
    result = invoke("glossary", "import", str(made), "--lang-map", "xx=de", "--root", str(ws))
    assert result.exit_code == 2 and "--lang-map 'xx=de'" in result.output


def test_a_file_whose_only_targets_are_unknown_codes_is_refused(tmp_path):
    path = tmp_path / "xx.tbx"
    path.write_text('<?xml version="1.0"?><martif type="TBX"><text><body><termEntry id="a">'
                    '<langSet xml:lang="en"><tig><term>A</term></tig></langSet>'
                    '<langSet xml:lang="zz"><tig><term>Б</term></tig></langSet></termEntry></body></text></martif>',
                    encoding="utf-8")
    with pytest.raises(GlossaryError, match=r"languages found: zz \(1 entries\)"):
        tbx.read_tbx(path)
    concepts, _ = tbx.read_tbx(path, {"zz": "kk"})
    assert concepts[0].targets == {"kk": "Б"}
