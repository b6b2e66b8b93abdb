"""Batched vs one-segment-at-a-time machine translation through the real argos + CTranslate2 path.

No real model can be downloaded here, so the model is the tests' tiny generated one (random weights, output is
noise); what is measured is the plumbing: tokenizer, CTranslate2 batching and the decoding bound. Both ways run
side by side in one process on the same NTREX-128 English sentences.

    python3 benchmarks/engine.py [--segments 200] [--threads 1] [--beam-size 2] [--json]

With a model this small, CTranslate2's thread synchronisation costs more than the arithmetic: use --threads 1
(the pipeline's `--threads` option) for tiny models; real models gain from every core.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from tinymodel import build_tiny_argosmodel  # noqa: E402

from pipeline.engine import Engine, install_model  # noqa: E402

NTREX = REPO.parent / "shared" / "ntrex128" / "newstest2019-src.eng.txt"


def sentences(count: int) -> list[str]:
    if NTREX.exists():
        lines = [line.strip() for line in NTREX.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:  # a clone without ../shared: still measurable
        lines = [f"The delegation number {n} met the ambassador to discuss cooperation." for n in range(count)]
    return lines[:count]


def timed(fn, repeats: int = 3) -> float:
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--beam-size", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    texts = sentences(args.segments)
    with tempfile.TemporaryDirectory() as tmp:
        archive = build_tiny_argosmodel(Path(tmp) / "models", to_code="kk")
        install_model(archive, Path(tmp) / "packages")
        engine = Engine.load(Path(tmp) / "packages", "kk", threads=args.threads, beam_size=args.beam_size)
        engine.translate(texts[:4])  # warm up
        batched = timed(lambda: engine.translate(texts))
        single = timed(lambda: [engine.translate([text]) for text in texts])
    result = {
        "segments": len(texts),
        "batched_seconds": round(batched, 3),
        "one_by_one_seconds": round(single, 3),
        "batched_segments_per_s": round(len(texts) / batched, 1),
        "one_by_one_segments_per_s": round(len(texts) / single, 1),
        "speedup": round(single / batched, 2),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{len(texts)} NTREX sentences, tiny generated en→kk model, threads={args.threads}, "
          f"beam={args.beam_size}, median of 3 runs")
    print(f"  batched (Engine.translate, one call):  {batched:7.2f} s  {result['batched_segments_per_s']:8.1f} seg/s")
    print(f"  one segment per call:                   {single:7.2f} s  "
          f"{result['one_by_one_segments_per_s']:8.1f} seg/s")
    print(f"  batching is {result['speedup']}x faster")


if __name__ == "__main__":
    main()
