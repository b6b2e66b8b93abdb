"""The real-size en->kk model the MT benchmarks share: no real model can be downloaded here, so one of the size
of argos' models (6+6 layers, d_model 512, 8 heads, FFN 2048, ~32k vocabulary, int8) is built at run time with
generated weights (never committed), its SentencePiece trained on NTREX-128 (all four languages). Output is noise;
the cost per token is a real model's.

NTREX-128 is read from `$PIPELINE_SHARED/ntrex128` (default: `../shared` beside the repository), as
benchmarks/run.py does.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from tinymodel import (  # noqa: E402
    RandomTransformerConverter,
    sentencepiece_pieces,
    train_sentencepiece,
    zip_package,
)

from pipeline.engine import install_model  # noqa: E402

SHARED = Path(os.environ.get("PIPELINE_SHARED", REPO.parent / "shared"))
NTREX = SHARED / "ntrex128"
TRAINING = ("newstest2019-src.eng.txt", "newstest2019-ref.kaz.txt", "newstest2019-ref.rus.txt",
            "newstest2019-ref.arb.txt")
# What "real size" means here; a folder kept from an earlier run is re-used only when it was built to this spec.
SPEC = {"layers": 6, "d_model": 512, "heads": 8, "ffn": 2048, "vocabulary": 32_000, "quantization": "int8",
        "seed": 7}
PACKAGE = "translate-en_kk-9_0"


def ntrex(name: str) -> list[str]:
    """The non-empty lines of one NTREX-128 file."""
    path = NTREX / name
    if not path.is_file():
        raise SystemExit(f"no NTREX-128 file at {path}: put ../shared beside the repo or set PIPELINE_SHARED")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def packages(where: Path) -> tuple[Path, float]:
    """The packages folder under `where` holding the installed model, and the seconds spent building it (0: an
    earlier run left it there)."""
    installed, stamp = where / "packages", where / "realmodel.json"
    if (installed / PACKAGE / "model" / "model.bin").is_file():
        built_to = json.loads(stamp.read_text(encoding="utf-8")) if stamp.is_file() else None
        if built_to != SPEC:
            raise SystemExit(f"{where} holds a model built to another size ({built_to or 'unknown'}, not {SPEC}): "
                             "delete the folder or choose another one")
        return installed, 0.0
    start = time.perf_counter()
    install_model(build(where / "build"), installed)
    stamp.write_text(json.dumps(SPEC), encoding="utf-8")
    return installed, time.perf_counter() - start


def build(folder: Path) -> Path:
    """The package archive: SentencePiece (BPE) asked for SPEC's vocabulary, the model's vocabulary filled up to
    it with unused pieces should the corpus give fewer."""
    package = folder / PACKAGE
    package.mkdir(parents=True, exist_ok=True)
    lines = [line for name in TRAINING for line in ntrex(name)]
    sp = train_sentencepiece(package / "sentencepiece.model", vocab_size=SPEC["vocabulary"], lines=lines)
    pieces = sentencepiece_pieces(sp)
    pieces += [f"<extra_{n}>" for n in range(SPEC["vocabulary"] - len(pieces))]
    RandomTransformerConverter(pieces, num_layers=SPEC["layers"], d_model=SPEC["d_model"], num_heads=SPEC["heads"],
                               ffn_dim=SPEC["ffn"], seed=SPEC["seed"]).convert(
        str(package / "model"), quantization=SPEC["quantization"], force=True)
    (package / "metadata.json").write_text(json.dumps({
        "package_version": "9.0", "argos_version": "1.0", "from_code": "en", "from_name": "English",
        "to_code": "kk", "to_name": "Kazakh", "type": "translate"}), encoding="utf-8")
    return zip_package(package, folder / f"{PACKAGE}.argosmodel")


def describe() -> str:
    return (f"real-size generated model ({SPEC['layers']}+{SPEC['layers']} layers, d{SPEC['d_model']}, "
            f"{SPEC['heads']} heads, FFN {SPEC['ffn']}, {SPEC['vocabulary'] // 1000}k vocab, {SPEC['quantization']})")
