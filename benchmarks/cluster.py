"""Machine translation on a Dask LocalCluster vs one plain local process, with a model of real size.

No real model can be downloaded here, so the benchmark builds one at run time (not committed, `realmodel.py`):
a Transformer of 6+6 layers, d_model 512, 8 heads, FFN 2048, ~32k vocabulary, int8, with generated weights, and
a SentencePiece model trained on NTREX-128 (`$PIPELINE_SHARED`, default ../shared). Generated weights rarely
emit end-of-sentence, so every path decodes to the same bound (the engine's own rule, per batch; the cluster cuts
the same batches): the comparison is fair, the output is noise.

    python3 benchmarks/cluster.py [--sentences 400] [--workers 1,2] [--model-dir /tmp/cluster-model]
                                  [--local-tuned] [--json]

`--model-dir` keeps the built package there and re-uses it on the next run (building takes a minute).
The local baselines are one plain process with the engine's default threads (every core, one batch per
thread) and one with a single thread (what each worker has); `--local-tuned` times the first again with the
allocator settings the workers use (`cluster.tune_malloc`), to tell the allocator's share from the cluster's.
For each worker count: cluster start-up and the model load on every worker are timed apart from the
steady-state throughput (sentences/s over the timed translate call). The cluster's overhead is the worker time
not spent inside the workers' engines: wall time x workers - engine seconds, per batch and per sentence,
against the engine seconds per sentence (goal < 5%). The driver's own CPU seconds during that call
(scheduler, nannies and client live in this process for a LocalCluster) are printed too. Goal: 2 workers
>= 1.7x one local process's sentences/s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

import realmodel  # noqa: E402

from pipeline import cluster, engine  # noqa: E402
from pipeline.engine import Engine  # noqa: E402


def on_cluster(packages: Path, texts: list[str], workers: int) -> dict:
    start = time.perf_counter()
    with cluster.connect("local", workers, 1) as client:
        up = time.perf_counter() - start
        mt = cluster.ClusterEngine.load(client, packages, "kk", beam_size=2, threads=1)
        start = time.perf_counter()
        loads = mt.warm_up()  # every worker loads the model before the clock starts
        load = time.perf_counter() - start
        tuned = all(client.run(lambda dask_worker: dask_worker.pipeline_malloc_tuned).values())
        batches: list[int] = []
        cpu = time.process_time()
        start = time.perf_counter()
        out = mt.translate(texts, on_batch=batches.append)
        wall = time.perf_counter() - start
        driver_cpu = time.process_time() - cpu
    engine_time = mt.engine_seconds
    # w workers for `wall` seconds is wall * w worker-seconds; whatever the engines did not use is the cluster's.
    overhead = max(0.0, wall * workers - engine_time)
    return {"workers": workers, "seconds": wall, "sentences_per_s": len(texts) / wall, "startup_s": up,
            "model_load_s": load, "worker_load_s": sorted(loads.values()), "malloc_tuned": tuned,
            "batches": len(batches), "engine_s": engine_time, "engine_ms_per_sentence": 1000 * engine_time / len(texts),
            "overhead_per_batch_ms": 1000 * overhead / len(batches),
            "overhead_ms_per_sentence": 1000 * overhead / len(texts),
            "overhead_share": overhead / engine_time if engine_time else 0.0, "driver_cpu_s": driver_cpu,
            "outputs": out}


def on_local(packages: Path, texts: list[str], threads: int | None) -> dict:
    start = time.perf_counter()
    local = Engine.load(packages, "kk", beam_size=2, threads=threads)
    load = time.perf_counter() - start
    start = time.perf_counter()
    out = local.translate(texts)
    seconds = time.perf_counter() - start
    return {"threads": threads or engine._available_cores(), "inter_threads": local.inter_threads,
            "load_s": load, "seconds": seconds, "sentences_per_s": len(texts) / seconds, "outputs": out,
            "engine": local}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=400)
    parser.add_argument("--workers", default="1,2", help="worker counts to time, comma-separated")
    parser.add_argument("--local-tuned", action="store_true", help="also time the local process again with the "
                        "allocator settings the workers use (cluster.tune_malloc)")
    parser.add_argument("--model-dir", type=Path, default=None, help="keep the built model here and re-use it")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    texts = realmodel.ntrex("newstest2019-src.eng.txt")[:args.sentences]
    counts = [int(n) for n in args.workers.split(",") if n.strip()]
    with contextlib.ExitStack() as stack:
        where = args.model_dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        where.mkdir(parents=True, exist_ok=True)
        installed, built = realmodel.packages(where)
        # The local processes first: a LocalCluster's nannies leave Dask's worker settings in this process's
        # environment (OMP_NUM_THREADS=1, MALLOC_TRIM_THRESHOLD_), which a later local run would inherit.
        local = on_local(installed, texts, None)  # the engine's defaults: every core
        single = on_local(installed, texts, 1)  # one thread: what one worker has
        tuned_s = None
        if args.local_tuned:
            cluster.tune_malloc()
            start = time.perf_counter()
            assert local["engine"].translate(texts) == local["outputs"]
            tuned_s = time.perf_counter() - start
        del local["engine"], single["engine"]
        runs = [on_cluster(installed, texts, n) for n in counts]
    local_out = local.pop("outputs")
    same = all(run.pop("outputs") == local_out for run in runs) and single.pop("outputs") == local_out
    load = os.getloadavg()
    result = {"sentences": len(texts), "model_build_s": built, "local": local, "local_1_thread": single,
              "local_tuned_seconds": tuned_s, "cluster": runs, "same_outputs": same, "load_average": load}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{len(texts)} NTREX sentences, {realmodel.describe()}, beam 2, "
          f"batches of <= {engine.DEFAULT_BATCH_TOKENS} source tokens; model "
          f"{f'built in {built:.0f} s' if built else 're-used'}; load average "
          f"{load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f} on {os.cpu_count()} cores")
    print(f"{'path':44} {'seconds':>7} {'sent/s':>7} {'vs local':>8} {'vs 1 thr':>8} {'batches':>7} "
          f"{'overhead/batch':>14} {'overhead/sent':>13} {'of MT':>6} {'driver CPU':>10} {'start-up':>8} {'load':>6}")
    base, one = local["seconds"], single["seconds"]
    for name, row in ((f"local process, {local['threads']} threads "
                       f"({local['inter_threads']} batches at once)", local), ("local process, 1 thread", single)):
        print(f"{name:44} {row['seconds']:7.1f} {row['sentences_per_s']:7.2f} {base / row['seconds']:7.2f}× "
              f"{one / row['seconds']:7.2f}× {'':7} {'':14} {'':13} {'':6} {'':10} {'':8} {row['load_s']:5.1f}s")
    if tuned_s:
        print(f"{'  the first, allocator tuned':44} {tuned_s:7.1f} {len(texts) / tuned_s:7.2f} {base / tuned_s:7.2f}× "
              f"{one / tuned_s:7.2f}×")
    for run in runs:
        print(f"{'--cluster local, ' + str(run['workers']) + ' worker(s)':44} {run['seconds']:7.1f} "
              f"{run['sentences_per_s']:7.2f} {base / run['seconds']:7.2f}× {one / run['seconds']:7.2f}× "
              f"{run['batches']:7d} {run['overhead_per_batch_ms']:11.0f} ms {run['overhead_ms_per_sentence']:10.1f} ms "
              f"{run['overhead_share']:6.1%} {run['driver_cpu_s']:9.1f}s {run['startup_s']:7.1f}s "
              f"{run['model_load_s']:5.1f}s")
    per_worker = [run["engine_ms_per_sentence"] for run in runs]
    print(f"MT time per sentence inside a worker: {', '.join(f'{ms:.0f} ms' for ms in per_worker)} "
          f"(local process, 1 thread: {1000 * one / len(texts):.0f} ms); workers' allocator tuned: "
          f"{all(run['malloc_tuned'] for run in runs)}")
    print(f"same drafts on every path: {same}; goals: 2 workers >= 1.7x local, overhead < 5% of MT time")


if __name__ == "__main__":
    main()
