"""The workflow's MT path against the engine, raw CTranslate2, argos' per-paragraph way and one sentence per call,
with a REAL-SIZE model (6+6 layers, d_model 512, 8 heads, FFN 2048, ~32k vocabulary, int8) whose weights are
generated here at run time (never committed), on the same NTREX-128 sentences, side by side in one run.

    python3 benchmarks/engine.py [--sentences 60] [--beams 1,2,4] [--threads 1,2] [--paths all] [--json]

Generated weights rarely emit </s>: every path decodes under the engine's own length rule (Engine.decoding_bound),
so each path decodes the same number of tokens per sentence and the times compare the plumbing. argos' own
translate() cannot run offline (it downloads sentence splitters); its per-paragraph path is reproduced as it calls
CTranslate2: one translate_batch per paragraph, in article order, beam max(4, n) and 4 hypotheses.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from tinymodel import RandomTransformerConverter, train_sentencepiece, zip_package  # noqa: E402

from pipeline import workflow  # noqa: E402
from pipeline.engine import Engine, install_model  # noqa: E402

SHARED = REPO.parent / "shared" / "ntrex128"
VOCABULARY = 32_000


def ntrex(name: str) -> list[str]:
    path = SHARED / name
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def build_model(folder: Path) -> Path:
    """A real-size en->kk argos package with generated weights: SentencePiece trained on NTREX (all four
    languages), the vocabulary filled up to 32k pieces."""
    package = folder / "translate-en_kk-9_0"
    package.mkdir(parents=True)
    lines = [line for name in ("newstest2019-src.eng.txt", "newstest2019-ref.kaz.txt", "newstest2019-ref.rus.txt",
                               "newstest2019-ref.arb.txt") for line in ntrex(name)]
    sp = train_sentencepiece(package / "sentencepiece.model", vocab_size=16_000, lines=lines)
    import sentencepiece as spm

    processor = spm.SentencePieceProcessor(model_file=str(sp))
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    pieces += [f"<extra_{n}>" for n in range(VOCABULARY - len(pieces))]
    RandomTransformerConverter(pieces, num_layers=6, d_model=512, num_heads=8, ffn_dim=2048, seed=7).convert(
        str(package / "model"), quantization="int8")
    (package / "metadata.json").write_text(json.dumps({
        "package_version": "9.0", "argos_version": "1.0", "from_code": "en", "from_name": "English",
        "to_code": "kk", "to_name": "Kazakh", "type": "translate"}), encoding="utf-8")
    return zip_package(package, folder / "translate-en_kk-9_0.argosmodel")


def paragraphs(sentences: list[str], size: int = 4) -> list[list[str]]:
    return [sentences[i:i + size] for i in range(0, len(sentences), size)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=60)
    parser.add_argument("--beams", default="1,2,4")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--paths", default="workflow,engine,raw,argos,single")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sentences = ntrex("newstest2019-src.eng.txt")[:args.sentences]
    wanted = args.paths.split(",")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        archive = build_model(Path(tmp) / "build")
        install_model(archive, Path(tmp) / "packages")
        built = time.perf_counter() - start
        terms = workflow.load_glossary(REPO)
        matches = [terms.find(s) for s in sentences]
        for threads in (int(t) for t in args.threads.split(",")):
            for beam in (int(b) for b in args.beams.split(",")):
                eng = Engine.load(Path(tmp) / "packages", "kk", beam_size=beam, threads=threads)
                eng.translate(sentences[:2])  # warm up
                bound = eng.decoding_bound

                def raw(eng=eng, beam=beam, bound=bound):
                    tokens = sorted((eng.encode(s) for s in sentences), key=len)
                    batches, current, size = [], [], 0
                    for item in tokens:
                        if current and size + len(item) > eng.max_batch_tokens:
                            batches.append(current)
                            current, size = [], 0
                        current.append(item)
                        size += len(item)
                    batches.append(current)
                    for batch in batches:
                        eng.translator.translate_batch(batch, beam_size=beam, max_batch_size=eng.max_batch_size,
                                                       max_decoding_length=max(bound(len(t)) for t in batch))

                def argos(eng=eng, bound=bound):
                    for paragraph in paragraphs(sentences):
                        tokens = [eng.encode(s) for s in paragraph]
                        eng.translator.translate_batch(tokens, beam_size=4, num_hypotheses=4, max_batch_size=32,
                                                       length_penalty=0.2, return_scores=True, replace_unknowns=True,
                                                       max_decoding_length=max(bound(len(t)) for t in tokens))

                paths = {
                    "workflow": lambda eng=eng: workflow.draft_sentences("kk", sentences, matches, eng),
                    "engine": lambda eng=eng: eng.translate(sentences),
                    "raw": raw,
                    "argos": argos,
                    "single": lambda eng=eng: [eng.translate([s]) for s in sentences],
                }
                row = {"threads": threads, "beam": beam}
                for name in wanted:
                    begin = time.perf_counter()
                    paths[name]()
                    row[name] = round(time.perf_counter() - begin, 2)
                rows.append(row)
                if not args.json:
                    ratios = "  ".join(f"{name} {row[name]:6.2f}s ({row['engine'] / row[name]:.2f}x)"
                                       if "engine" in row else f"{name} {row[name]:6.2f}s" for name in wanted)
                    print(f"threads {threads} beam {beam}: {ratios}", flush=True)
    with_terms = sum(1 for m in matches if m)
    if args.json:
        print(json.dumps({"sentences": len(sentences), "with_terms": with_terms, "build_s": round(built, 1),
                          "rows": rows}, indent=2))
        return
    print(f"{len(sentences)} NTREX sentences ({with_terms} with glossary terms), real-size generated model "
          f"(built in {built:.0f} s), load {os.getloadavg()[0]:.2f}; (Nx) = speed relative to Engine.translate; "
          f"goal: workflow >= 0.9x")


if __name__ == "__main__":
    main()
