"""The workflow's MT path against the engine, raw CTranslate2, argos' per-paragraph way and one sentence per call,
with a REAL-SIZE model (6+6 layers, d_model 512, 8 heads, FFN 2048, ~32k vocabulary, int8) whose weights are
generated at run time (never committed), on the same NTREX-128 sentences, side by side in one run.

    python3 benchmarks/engine.py [--sentences 100] [--beams 1,2,4] [--threads 1,2] [--paths all]
                                 [--model /tmp/engine2-model] [--json]
    python3 benchmarks/engine.py --tune [--threads 1,2] [--budgets 256,512,1024,2048] [--model DIR]

`--model DIR` keeps the generated package in DIR (built there on the first run, re-used afterwards; building
takes a minute or two). Without it the model lives in a temporary folder for one run.

One decoding-length rule for every path: generated weights rarely emit </s>, so a call decodes up to its
max_decoding_length, and every path gets the engine's rule (`Engine.decoding_bound`: twice the source tokens + 10,
at most 512) taken over the sentences of each translate_batch call. argos' own calls pass no bound; they go
through the same counting wrapper, which applies the rule to them. Every path's translator is wrapped to count
its calls and the tokens it decoded (the best hypothesis of each sentence, before the engine cuts it to the
sentence's own bound), so a gap in time can be told from a gap in work.

The paths:
- workflow: `workflow.draft_sentences` (glossary terms protected, every hypothesis of each beam returned by the
  main call, one final unprotected call for the sentences whose placeholders broke in all of them, placement,
  progress per batch), as `pipeline run` calls it;
- engine: `Engine.translate` over all sentences in one call;
- raw: CTranslate2 `translate_batch` directly, sentences sorted by length, at most 1,024 source tokens per call
  (all calls handed over at once, asynchronously, when the translator has several replicas);
- argos: argostranslate's own per-paragraph code (`argostranslate.translate.apply_packaged_translation`, one call
  per paragraph of 4 sentences, its settings: batches of 32 tokens, beam = ARGOS_BEAM_SIZE = the row's beam,
  1 hypothesis as its translate() asks); its sentence splitter is replaced by one that returns our sentences,
  because argos' own translate() downloads splitter models and cannot run offline;
- single: `Engine.translate` once per sentence.

`--tune` times `Engine.translate` over the same sentences at beam 2 (--tune-beam) with CTranslate2 intra_threads 1/2,
inter_threads 2 (two batches decoded at once, one thread each) and batch token budgets.
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

import realmodel  # noqa: E402

from pipeline import workflow  # noqa: E402
from pipeline.engine import Engine  # noqa: E402

RAW_TOKENS = 1_024  # raw CTranslate2: at most this many source tokens per translate_batch call


class Counting:
    """A CTranslate2 translator that counts calls and decoded tokens; a call without max_decoding_length (argos'
    own) gets the one rule every path shares."""

    def __init__(self, translator, bound):
        self.translator, self.bound = translator, bound
        self.calls = self.tokens = self.scored = 0
        self.nbest_rows = self.nbest_tokens = 0  # rows and tokens of calls asking for several hypotheses

    def translate_batch(self, source, *args, **options):
        if "max_decoding_length" not in options:
            options["max_decoding_length"] = max(self.bound(len(tokens)) for tokens in source)
        output = self.translator.translate_batch(source, *args, **options)
        self.calls += 1
        nbest = options.get("num_hypotheses", 1) > 1
        if options.get("asynchronous"):
            return [Counted(self, result, nbest) for result in output]
        for result in output:
            self.count(result, nbest)
        return output

    def count(self, result, nbest: bool) -> None:
        """One sentence's decoded tokens (its best hypothesis); an n-best call's rows and tokens apart too."""
        tokens = len(result.hypotheses[0]) if result.hypotheses else 0
        self.tokens += tokens
        if nbest:
            self.nbest_rows += 1
            self.nbest_tokens += tokens

    def score_batch(self, *args, **options):
        self.scored += 1
        return self.translator.score_batch(*args, **options)

    def __getattr__(self, name):
        return getattr(self.translator, name)


class Counted:
    """An asynchronous result whose tokens (and n-best rows) are counted when it is first read."""

    def __init__(self, counter: Counting, result, nbest: bool):
        self.counter, self.async_result, self.nbest, self.seen = counter, result, nbest, False

    def result(self):
        output = self.async_result.result()
        if not self.seen:
            self.seen = True
            self.counter.count(output, self.nbest)
        return output

    def done(self):
        return self.async_result.done()


class Sentences:
    """argos' sentence-splitter interface, answering with the sentences we already have."""

    def __init__(self, by_paragraph: dict[str, list[str]]):
        self.by_paragraph = by_paragraph

    def split_sentences(self, text: str) -> list[str]:
        return self.by_paragraph[text]


def paragraphs(sentences: list[str], size: int = 4) -> list[list[str]]:
    return [sentences[i:i + size] for i in range(0, len(sentences), size)]


def raw_batches(eng: Engine, sentences: list[str]) -> list[list[list[str]]]:
    tokens = sorted((eng.encode(s) for s in sentences), key=len)
    batches, current, size = [], [], 0
    for item in tokens:
        if current and size + len(item) > RAW_TOKENS:
            batches.append(current)
            current, size = [], 0
        current.append(item)
        size += len(item)
    return [*batches, current]


def path_calls(eng: Engine, sentences: list[str], matches, beam: int) -> dict:
    from argostranslate import settings as argos_settings
    from argostranslate.package import Package
    from argostranslate.translate import apply_packaged_translation

    def raw():  # every call handed over at once (asynchronous) when the translator has several replicas
        parallel = eng.inter_threads > 1
        pending = [eng.translator.translate_batch(batch, beam_size=beam, max_batch_size=len(batch),
                                                  max_decoding_length=max(eng.decoding_bound(len(t)) for t in batch),
                                                  asynchronous=parallel)
                   for batch in raw_batches(eng, sentences)]
        if parallel:
            [result.result() for results in pending for result in results]

    package = Package(eng.info.path)
    texts = {" ".join(p): p for p in paragraphs(sentences)}
    splitter = Sentences(texts)

    def argos():
        argos_settings.beam_size = beam
        for text in texts:
            apply_packaged_translation(package, text, eng.translator, splitter, num_hypotheses=1)

    return {
        "workflow": lambda: workflow.draft_sentences("kk", sentences, matches, eng,
                                                     progress=lambda *_: None),
        "engine": lambda: eng.translate(sentences),
        "raw": raw,
        "argos": argos,
        "single": lambda: [eng.translate([s]) for s in sentences],
    }


def timed(eng: Engine, call) -> dict:
    counter = Counting(eng.translator, eng.decoding_bound)
    eng.translator = counter
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        return {"s": round(time.perf_counter() - wall, 2), "cpu_s": round(time.process_time() - cpu, 2),
                "calls": counter.calls, "tokens": counter.tokens, "scored": counter.scored,
                "nbest_rows": counter.nbest_rows, "nbest_tokens": counter.nbest_tokens}
    finally:
        eng.translator = counter.translator


def compare(installed: Path, sentences: list[str], args) -> list[dict]:
    terms = workflow.load_glossary(REPO)
    matches = [terms.find(s) for s in sentences]
    wanted = args.paths.split(",")
    rows = []
    for threads in (int(t) for t in args.threads.split(",")):
        for beam in (int(b) for b in args.beams.split(",")):
            eng = Engine.load(installed, "kk", beam_size=beam, threads=threads)
            eng.translate(sentences[:2])  # warm up
            calls = path_calls(eng, sentences, matches, beam)
            row = {"threads": threads, "beam": beam, "load": round(os.getloadavg()[0], 2)}
            for name in wanted:
                row[name] = timed(eng, calls[name])
            rows.append(row)
            if not args.json:
                print(f"threads {threads} beam {beam} (load {row['load']:.2f}):", flush=True)
                for name in wanted:
                    r = row[name]
                    ratio = f"{row['engine']['s'] / r['s']:5.2f}x" if "engine" in row else ""
                    extra = (f"  ({r['nbest_rows']} rows returned every beam hypothesis; {r['scored']} scorings)"
                             if name == "workflow" else "")
                    print(f"  {name:9} {r['s']:7.2f} s {ratio}  cpu {r['cpu_s']:7.2f} s  {r['calls']:4} calls  "
                          f"{r['tokens']:6} decoded tokens{extra}", flush=True)
    return rows


def tune(installed: Path, sentences: list[str], args) -> list[dict]:
    """Engine.translate at beam 2 under thread layouts and batch budgets."""
    rows = []
    layouts = []
    for threads in (int(t) for t in args.threads.split(",")):
        layouts.append((1, threads))
        if threads > 1:
            layouts.append((threads, 1))
    if args.layouts:
        layouts = [tuple(int(n) for n in layout.split("x")) for layout in args.layouts.split(",")]
    for inter, intra in layouts:
        for budget in (int(b) for b in args.budgets.split(",")):
            eng = Engine.load(installed, "kk", beam_size=args.tune_beam, threads=inter * intra, inter_threads=inter,
                              batch_tokens=budget)
            eng.max_batch_size = args.batch_size
            eng.translate(sentences[:2])
            row = {"inter_threads": inter, "intra_threads": intra, "budget": budget, "batch_size": eng.max_batch_size,
                   "load": round(os.getloadavg()[0], 2), **timed(eng, lambda eng=eng: eng.translate(sentences))}
            rows.append(row)
            if not args.json:
                print(f"inter {inter} intra {intra} budget {budget:5} (<= {eng.max_batch_size} sentences): "
                      f"{row['s']:7.2f} s  cpu {row['cpu_s']:7.2f} s  {row['calls']:3} batches  "
                      f"{row['tokens']:6} decoded tokens  (load {row['load']:.2f})",
                      flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=100)
    parser.add_argument("--beams", default="1,2,4")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--paths", default="workflow,engine,raw,argos,single")
    parser.add_argument("--model", type=Path, help="folder that keeps the generated model between runs")
    parser.add_argument("--tune", action="store_true", help="thread layouts and batch budgets instead of paths")
    parser.add_argument("--budgets", default="256,512,1024,2048")
    parser.add_argument("--tune-beam", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32, help="--tune: most sentences per batch")
    parser.add_argument("--layouts", help="--tune: INTERxINTRA thread layouts, e.g. 2x1,1x2 (default: from --threads)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sentences = realmodel.ntrex("newstest2019-src.eng.txt")[:args.sentences]
    with tempfile.TemporaryDirectory() as tmp:
        installed, built = realmodel.packages(args.model or Path(tmp))
        terms = workflow.load_glossary(REPO)
        with_terms = sum(1 for s in sentences if terms.find(s))
        origin = f"built in {built:.0f} s" if built else "re-used"
        if not args.json:
            print(f"{len(sentences)} NTREX sentences ({with_terms} with glossary terms), {realmodel.describe()} "
                  f"({origin}), {os.cpu_count()} cores; "
                  f"(Nx) = speed relative to Engine.translate; goal: workflow >= 0.9x", flush=True)
        rows = (tune if args.tune else compare)(installed, sentences, args)
    if args.json:
        print(json.dumps({"sentences": len(sentences), "with_terms": with_terms, "build_s": round(built, 1),
                          "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
