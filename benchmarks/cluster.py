"""Machine translation on a Dask LocalCluster vs a plain local engine, with a model of real size.

No real model can be downloaded here, so the benchmark builds one at run time (not committed): a Transformer
of 6+6 layers, d_model 512, 8 heads, FFN 2048, ~32k vocabulary, int8, with generated weights, and a
SentencePiece model trained on NTREX-128. Generated weights rarely emit end-of-sentence, so every path decodes
to the same bound (the engine's own rule): the comparison is fair, the output is noise.

    python3 benchmarks/cluster.py [--sentences 120] [--json]

Prints sentences/s of one local engine (threads=1), of `--cluster local` with 1 and 2 single-threaded
workers (cluster start-up and the first model load excluded, reported apart), the ratios, and the cluster's
overhead per batch: wall time in the cluster minus time inside the workers' engines.
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

from tinymodel import (  # noqa: E402
    RandomTransformerConverter,
    sentencepiece_pieces,
    train_sentencepiece,
    zip_package,
)

from pipeline import cluster  # noqa: E402
from pipeline.engine import Engine, install_model  # noqa: E402

NTREX = REPO.parent / "shared" / "ntrex128"
VOCABULARY = 32_000


def corpus() -> tuple[list[str], list[str]]:
    """(English sentences, training lines for the tokenizer)."""
    english = [line.strip() for line in (NTREX / "newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()
               if line.strip()]
    kazakh = [line.strip() for line in (NTREX / "newstest2019-ref.kaz.txt").read_text(encoding="utf-8").splitlines()
              if line.strip()]
    return english, english + kazakh


def build_model(where: Path) -> Path:
    """Install a real-size en->kk package with generated weights; returns the packages dir."""
    _, lines = corpus()
    package = where / "translate-en_kk-9_0"
    package.mkdir(parents=True)
    sp = train_sentencepiece(package / "sentencepiece.model", vocab_size=8000, lines=lines)
    pieces = sentencepiece_pieces(sp)
    vocabulary = pieces + [f"<extra_{i}>" for i in range(VOCABULARY - len(pieces))]
    RandomTransformerConverter(vocabulary, num_layers=6, d_model=512, num_heads=8, ffn_dim=2048,
                               seed=7).convert(str(package / "model"), quantization="int8")
    metadata = {"package_version": "9.0", "argos_version": "1.0", "from_code": "en", "from_name": "English",
                "to_code": "kk", "to_name": "Kazakh", "type": "translate"}
    (package / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    archive = zip_package(package, where / "translate-en_kk-9_0.argosmodel")
    packages = where / "packages"
    install_model(archive, packages)
    return packages


def on_cluster(packages: Path, texts: list[str], workers: int) -> dict:
    start = time.perf_counter()
    with cluster.connect("local", workers, 1) as client:
        mt = cluster.ClusterEngine.load(client, packages, "kk", beam_size=2, threads=1)
        mt.translate(texts[:workers])  # every worker loads the model (one tiny batch each, at most)
        up = time.perf_counter() - start
        mt.engine_seconds = 0.0
        batches: list[int] = []
        start = time.perf_counter()
        out = mt.translate(texts, on_batch=batches.append)
        wall = time.perf_counter() - start
    engine_time = mt.engine_seconds
    # With w workers busy in parallel, the wall time a batch "costs" is wall * w spread over the batches.
    overhead = max(0.0, wall * workers - engine_time)
    return {"workers": workers, "seconds": wall, "sentences_per_s": len(texts) / wall, "startup_s": up,
            "batches": len(batches), "engine_s": engine_time, "overhead_per_batch_ms": 1000 * overhead / len(batches),
            "overhead_share": overhead / engine_time if engine_time else 0.0, "outputs": out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=120)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    english, _ = corpus()
    texts = english[:args.sentences]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        packages = build_model(Path(tmp))
        built = time.perf_counter() - t0
        local = Engine.load(packages, "kk", beam_size=2, threads=1)
        local.translate(texts[:2])
        start = time.perf_counter()
        local_out = local.translate(texts)
        local_s = time.perf_counter() - start
        del local
        runs = [on_cluster(packages, texts, n) for n in (1, 2)]
    same = all(run.pop("outputs") == local_out for run in runs)
    load = os.getloadavg()
    result = {"sentences": len(texts), "model_build_s": built, "local_seconds": local_s,
              "local_sentences_per_s": len(texts) / local_s, "cluster": runs, "same_outputs": same,
              "load_average": load}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{len(texts)} NTREX sentences, real-size generated model (6+6 layers, d512, 32k vocab, int8), beam 2; "
          f"model built in {built:.0f} s; load average {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f} on "
          f"{os.cpu_count()} cores")
    print(f"{'path':28} {'seconds':>8} {'sent/s':>8} {'vs local':>9} {'batches':>8} {'overhead/batch':>15} "
          f"{'overhead/MT':>12} {'start-up':>9}")
    print(f"{'local engine, threads=1':28} {local_s:8.1f} {len(texts) / local_s:8.2f} {1.0:8.2f}×")
    for run in runs:
        print(f"{'--cluster local, ' + str(run['workers']) + ' worker(s)':28} {run['seconds']:8.1f} "
              f"{run['sentences_per_s']:8.2f} {local_s / run['seconds']:8.2f}× {run['batches']:8d} "
              f"{run['overhead_per_batch_ms']:12.0f} ms {run['overhead_share']:11.1%} {run['startup_s']:8.1f}s")
    print(f"same drafts on every path: {same}; goals: 2 workers >= 1.7x local, overhead < 5% of MT time")


if __name__ == "__main__":
    main()
