"""Acceptance checks that cut across stages: the seeds' terminology, enforcement through a real model, and a
whole run that ends in three published sites."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polib
import pytest
from typer.testing import CliRunner

from pipeline import cli, placeholders, qa, workflow
from pipeline.engine import Engine
from pipeline.workspace import catalog_path

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()

# The institutions, organisations and titles each seed names (by glossary concept id).
SEED_TERMS = {
    "000_72a6f749280a19af": {"samk-chairman", "grand-mufti", "ambassador", "embassy", "congress-of-leaders", "samk",
                             "president"},
    "001_2a57bc17bdf3d68b": {"muslim-council-of-elders", "international-centre-for-interfaith-dialogue",
                             "nur-mubarak-university", "chief-coordinator", "deputy-chairman", "rector", "inalco",
                             "ircica", "woscu", "al-azhar-university", "wam"},
    "002_2055a41a30ea6e1c": {"organization-of-the-islamic-conference", "oic", "islamic-development-bank", "isesco"},
    "003_776b0de49483b812": {"nazarbayev-center", "chairman-of-the-board",
                             "ambassador-extraordinary-and-plenipotentiary",
                             "charge-d-affaires-ai", "congress-of-leaders", "congress-secretariat", "senate-chairman",
                             "head-of-secretariat", "ministry-of-information-and-social-development", "mfa-kazakhstan",
                             "president-of-kazakhstan", "museum-of-peace-and-reconciliation", "kazinform",
                             "state-of-kuwait", "republic-of-belarus", "hashemite-kingdom-of-jordan", "kyrgyz-republic",
                             "kingdom-of-the-netherlands", "state-of-palestine", "romania", "republic-of-uzbekistan",
                             "islamic-republic-of-afghanistan"},
    "004_3e9992e75d9c2416": {"international-centre-for-interfaith-dialogue", "muslim-council-of-elders",
                             "national-library-of-kazakhstan", "un-general-assembly", "ircica", "inalco", "woscu",
                             "deputy-chairman-of-the-board", "institute-of-islamic-studies", "samk",
                             "united-arab-emirates"},
}


def test_the_repository_glossary_is_clean():
    result = runner.invoke(cli.app, ["glossary", "check", "--root", str(REPO)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("stem", sorted(SEED_TERMS))
def test_segment_reports_every_institution_and_title_of_the_seeds(stem, shared):
    result = runner.invoke(cli.app, ["segment", str(shared / "seeds" / f"{stem}.txt"), "--root", str(REPO), "--json"])
    assert result.exit_code == 0, result.output
    found = {}
    for seg in json.loads(result.stdout)["segments"]:
        for term in seg["terms"]:
            found[term["concept"]] = term["targets"]
    assert SEED_TERMS[stem] <= set(found), SEED_TERMS[stem] - set(found)
    for concept, targets in found.items():
        assert all(targets[lang] for lang in ("kk", "ru", "ar")), concept


@pytest.mark.slow
def test_enforcement_through_a_real_tiny_model(tiny_packages_dir):
    """Noise model: each segment either carries every required term or falls back and says which term."""
    terms = workflow.load_glossary(REPO)
    texts = ["The Grand Mufti met the Ambassador Extraordinary and Plenipotentiary in Astana.",
             "The Spiritual Administration of Muslims of Kazakhstan (SAMK) hosted the Muslim Council of Elders.",
             "No institution is named here."]
    matches = [terms.find(t) for t in texts]
    mt = Engine.load(tiny_packages_dir, "ru", threads=1)
    results = placeholders.translate_with_terms(texts, matches, "ru", mt.translate)
    assert len(results) == len(texts)
    for found, result in zip(matches, results, strict=True):
        assert result.text.strip()
        if result.ok:
            assert qa.missing_terms(result.text, found, "ru") == []
            for match in found:
                assert match.concept.targets["ru"] in result.text
        else:
            assert result.notes and any(m.text in " ".join(result.notes) for m in found)


def approve_all(path: Path) -> None:
    po = polib.pofile(str(path))
    for entry in po:
        if not entry.obsolete:
            entry.msgstr = entry.msgstr or "…"
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    po.save(str(path))


@pytest.mark.slow
def test_run_with_models_and_approved_entries_publishes_three_sites(tmp_path, tiny_packages_dir):
    root = tmp_path / "ws"
    shutil.copytree(REPO / "source_texts", root / "source_texts")
    shutil.copytree(REPO / "glossary", root / "glossary")
    first = runner.invoke(cli.app, ["run", "--root", str(root), "--json", "--threads", "1", "--beam-size", "1"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["missing_models"] == []
    slug = "congress-secretariat-meeting"
    for lang in ("kk", "ru", "ar"):
        approve_all(catalog_path(root, lang, slug))

    second = runner.invoke(cli.app, ["run", "--root", str(root), "--json", "--threads", "1"])
    assert second.exit_code == 0, second.output
    published = {(p["slug"], p["lang"]) for p in json.loads(second.stdout)["published"] if p["published"]}
    assert published == {(slug, "kk"), (slug, "ru"), (slug, "ar")}
    out = root / "published"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest
    for lang in ("kk", "ru", "ar"):
        assert (out / lang / f"{slug}.md").exists()
        page = (out / lang / f"{slug}.html").read_text(encoding="utf-8")
        direction = "rtl" if lang == "ar" else "ltr"
        assert f'<html lang="{lang}" dir="{direction}">' in page
        assert (out / lang / "index.html").exists()
