"""The layout holds: file formats load no stage, and MT term protection loads no catalog, memory or CLI code.

Checked on what a fresh interpreter actually imports, so an indirect import through a helper counts too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORMATS = sorted(p.stem for p in (ROOT / "pipeline" / "formats").glob("*.py") if p.stem != "__init__")
# What a format may build on: the model and error types, the atomic writer, the language table.
FORMAT_BASE = {"pipeline", "pipeline.formats", "pipeline.concepts", "pipeline.errors", "pipeline.files",
               "pipeline.languages"}


def loaded(module: str) -> set[str]:
    code = f"import json, sys, {module}; print(json.dumps(sorted(m for m in sys.modules if m.startswith('pipeline'))))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("name", FORMATS)
def test_a_format_module_loads_no_stage(name):
    extra = {m for m in loaded(f"pipeline.formats.{name}") if not m.startswith("pipeline.formats.")} - FORMAT_BASE
    assert extra == set(), f"pipeline/formats/{name}.py pulls in {sorted(extra)}"


def test_the_glossary_formats_are_listed():
    assert {"glossary_csv", "tbx"} <= set(FORMATS)


def test_term_protection_loads_no_catalog_memory_engine_or_cli():
    modules = loaded("pipeline.placeholders")
    assert "pipeline.glossary" in modules  # it does use the glossary's targets
    assert not modules & {"pipeline.catalogs", "pipeline.memory", "pipeline.engine", "pipeline.cli",
                          "pipeline.workflow", "pipeline.publish"}
