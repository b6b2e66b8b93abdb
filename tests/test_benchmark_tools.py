"""The benchmarks' own counting and model plumbing (their figures are only as good as what they count)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO / "benchmarks"


def bench_engine(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # benchmarks/ is a folder of scripts, not a package
    spec = importlib.util.spec_from_file_location("bench_engine", BENCHMARKS / "engine.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Result:
    def __init__(self, *hypotheses):
        self.hypotheses = [list(h) for h in hypotheses]


class Pending:
    def __init__(self, output):
        self.output = output

    def result(self):
        return self.output

    def done(self):
        return True


class Translator:
    """Two hypotheses of 3 and 5 tokens for each sentence; asynchronous calls answer with pending results."""

    def translate_batch(self, source, **options):
        output = [Result(["▁a"] * 3, ["▁b"] * 5) for _ in source]
        return [Pending(r) for r in output] if options.get("asynchronous") else output


def test_counting_counts_n_best_rows_and_tokens_on_both_paths_once(monkeypatch):
    counting = bench_engine(monkeypatch).Counting
    synchronous, asynchronous = counting(Translator(), lambda n: 2 * n), counting(Translator(), lambda n: 2 * n)
    synchronous.translate_batch([["▁x"], ["▁y"]], num_hypotheses=2)
    synchronous.translate_batch([["▁z"]])
    pending = asynchronous.translate_batch([["▁x"], ["▁y"]], num_hypotheses=2, asynchronous=True)
    pending += asynchronous.translate_batch([["▁z"]], asynchronous=True)
    assert asynchronous.tokens == 0, "counted when read, not when handed over"
    for result in pending + pending:  # read twice: counted once
        result.result()
    for counter in (synchronous, asynchronous):
        assert (counter.calls, counter.tokens, counter.nbest_rows, counter.nbest_tokens) == (2, 9, 2, 6)


def test_the_real_size_model_reads_ntrex_from_pipeline_shared(tmp_path):
    (tmp_path / "ntrex128").mkdir()
    (tmp_path / "ntrex128" / "newstest2019-src.eng.txt").write_text("One.\r\n\r\nTwo.\r\n", encoding="utf-8")
    script = "import realmodel; print(realmodel.ntrex('newstest2019-src.eng.txt'))"
    env = {**os.environ, "PIPELINE_SHARED": str(tmp_path), "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", script], cwd=BENCHMARKS, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['One.', 'Two.']"
    env["PIPELINE_SHARED"] = str(tmp_path / "missing")
    result = subprocess.run([sys.executable, "-c", script], cwd=BENCHMARKS, env=env, capture_output=True, text=True)
    assert result.returncode == 1 and "PIPELINE_SHARED" in result.stderr and "Traceback" not in result.stderr
