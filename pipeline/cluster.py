"""Stage 5 on many machines: machine translation on a Dask distributed cluster.

`ClusterEngine` has the calls of `engine.Engine` (`translate`, `hypotheses`, `score`, `label`), so the workflow,
term protection and placement use it unchanged. The driver counts tokens with the package's own tokenizer,
cuts the sentences into batches exactly as a local engine would (length order, token and size bounds), and
submits each batch as one task; a worker loads the package once (kept on the worker object) and reuses it.
A task of a worker that dies is run again elsewhere (`retries`, and Dask's own rescheduling). Each finished
batch is stored at once in a draft cache keyed by the engine label and the exact text sent, so a driver that is
interrupted loses nothing: the next run sends only what is left.

Workers read the package from the path the driver found it at, unless `PIPELINE_CLUSTER_PACKAGES_DIR` is set
in the worker's environment: then from the folder of the same name under that directory. Either way the worker
checks that it loaded the same package (label) as the driver.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from pipeline import engine
from pipeline.errors import LocatedError, ModelError

WORKER_PACKAGES_ENV = "PIPELINE_CLUSTER_PACKAGES_DIR"
RETRIES = 3  # a batch whose worker died or failed runs again elsewhere up to this many times


class ClusterError(LocatedError):
    """The cluster cannot be reached or started; says what to do."""

    def __init__(self, message: str):
        super().__init__(None, 0, message)


# ---------------------------------------------------------------- the cluster itself


@contextlib.contextmanager
def connect(address: str, workers: int | None = None, threads: int = 1) -> Iterator:
    """A Dask client: `local` starts a LocalCluster of `workers` single-process workers (closed at the end),
    anything else is the address of a running scheduler (`dask scheduler`, `dask worker ADDRESS`)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise ClusterError("Dask distributed is not installed: pip install 'dask[distributed]'") from exc
    if address == "local":
        count = workers or engine._available_cores()
        cluster = LocalCluster(n_workers=count, threads_per_worker=threads, processes=True,
                               dashboard_address=":0")
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    if workers is not None:
        raise ClusterError("--workers starts workers of a local cluster (--cluster local); for a cluster at an "
                           "address, start them with `dask worker ADDRESS` on each machine")
    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address} ({exc}); start one with "
                           "`dask scheduler` and workers with `dask worker ADDRESS`, or use --cluster local") \
            from None
    try:
        yield client
    finally:
        client.close()


# ---------------------------------------------------------------- on the workers


# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's own ceiling for its dynamic threshold (64-bit)


def tune_malloc() -> bool:
    """Give CTranslate2 back the allocator a plain process has; True when glibc took the settings.

    Dask's nanny starts every worker with MALLOC_TRIM_THRESHOLD_=65536 (to hand memory back to the OS early).
    Setting any malloc threshold also freezes glibc's mmap threshold at 128 KiB, so every decoding buffer above
    that is a fresh mmap and munmap: page faults and zeroed pages at every step. Measured on a real-size model,
    a worker spent more time in the kernel than decoding and drafted at a third of a plain process's speed.
    A worker only translates, so it keeps freed buffers as glibc would by itself (thresholds up to 32 MiB).
    """
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt): nothing to undo
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, 2 * _MMAP_THRESHOLD))


def _worker_engine(package: str, label: str, beam_size: int, threads: int, batch_tokens: int,
                   worker=None) -> engine.Engine:
    """The package loaded once per worker process and kept on the worker (never module state)."""
    if worker is None:
        from distributed import get_worker

        worker = get_worker()
    loaded = getattr(worker, "pipeline_engines", None)
    if loaded is None:
        worker.pipeline_malloc_tuned = tune_malloc()
        loaded = {}
        worker.pipeline_engines = loaded
    key = (package, label, beam_size, threads, batch_tokens)
    if key not in loaded:
        path = Path(package)
        elsewhere = os.environ.get(WORKER_PACKAGES_ENV)
        if elsewhere:
            path = Path(elsewhere).expanduser() / path.name
        mt = engine.Engine.from_package(path, beam_size=beam_size, threads=threads, batch_tokens=batch_tokens)
        if mt.label != label:
            raise ModelError(f"{path}: this worker has {mt.label}, the driver {label}; install the same package "
                             "on every worker")
        loaded[key] = mt
    return loaded[key]


def load_on_worker(package: str, label: str, beam_size: int, threads: int, batch_tokens: int,
                   dask_worker=None) -> float:
    """Load the package on this worker now (`Client.run` on every worker); the seconds it took."""
    import time

    start = time.perf_counter()
    _worker_engine(package, label, beam_size, threads, batch_tokens, dask_worker)
    return time.perf_counter() - start


def translate_batch(package: str, label: str, beam_size: int, threads: int, batch_tokens: int,
                    texts: list[str]) -> tuple[list[list[str]], float]:
    """One batch on a worker: each text's hypotheses (best first; the beam keeps them anyway) and the seconds
    the engine took (the rest is the cluster's cost)."""
    import time

    mt = _worker_engine(package, label, beam_size, threads, batch_tokens)
    start = time.perf_counter()
    out = mt.hypotheses(texts, one_batch=True)  # the driver cut it as a local engine would: keep it whole
    return out, time.perf_counter() - start


def score_one(package: str, label: str, beam_size: int, threads: int, batch_tokens: int, source: str,
              candidates: list[str]) -> list[float]:
    return _worker_engine(package, label, beam_size, threads, batch_tokens).score(source, candidates)


# ---------------------------------------------------------------- the draft cache (driver side)


def _hypotheses(stored: str) -> list[str] | None:
    """A cached row's hypotheses: a JSON list of strings, else None."""
    try:
        value = json.loads(stored)
    except ValueError:
        return None
    return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


class DraftCache:
    """Engine outputs kept as soon as a batch finishes: (engine label, exact text sent) -> output.

    Only the driver writes it (under the workspace lock); a re-run after an interruption takes what is here
    and sends the rest.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path)
        try:
            self.db.execute("CREATE TABLE IF NOT EXISTS hypotheses (label TEXT NOT NULL, source TEXT NOT NULL, "
                            "targets TEXT NOT NULL, PRIMARY KEY (label, source))")
            self.db.commit()
            # A cache of an earlier version kept the best hypothesis only: still good for drafts.
            self.older = self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'drafts'"
                                         ).fetchone() is not None
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise ClusterError(f"{self.path}: not a draft cache ({exc}). It only keeps the finished batches of an "
                               "interrupted run: delete it and run again") from None

    def get(self, label: str, texts: Sequence[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        unique = list(dict.fromkeys(texts))
        for start in range(0, len(unique), 500):
            chunk = unique[start:start + 500]
            marks = ",".join("?" * len(chunk))
            if self.older:
                rows = self.db.execute(f"SELECT source, target FROM drafts WHERE label = ? AND source IN ({marks})",
                                       [label, *chunk])
                found.update((source, [target]) for source, target in rows)
            rows = self.db.execute(f"SELECT source, targets FROM hypotheses WHERE label = ? AND source IN ({marks})",
                                   [label, *chunk])
            for source, targets in rows:
                kept = _hypotheses(targets)
                if kept is not None:  # a row edited or broken by hand is translated again, never trusted
                    found[source] = kept
        return found

    def put(self, label: str, pairs: Sequence[tuple[str, list[str]]]) -> None:
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO hypotheses (label, source, targets) VALUES (?, ?, ?)",
                                [(label, source, json.dumps(targets, ensure_ascii=False))
                                 for source, targets in pairs])

    def close(self) -> None:
        self.db.close()


# ---------------------------------------------------------------- the engine-shaped executor (driver side)


def _token_counter(info: engine.ModelInfo) -> Callable[[str], int]:
    """Source tokens of a text as the engine will count them, without loading the model on the driver."""
    metadata = engine._read_metadata(info.path)
    name = metadata.get("source_sentencepiece", "sentencepiece.model")
    extra = len(info.source_prefix.split()) + len(info.source_suffix.split())  # as Engine.encode adds them
    if (info.path / name).is_file():
        encode = engine._SentencePiece(info.path / name).encode
        return lambda text: len(encode(text)) + extra
    return lambda text: len(text.split()) * 2 + extra  # BPE packages: a generous estimate


class ClusterEngine:
    """An `engine.Engine` stand-in whose batches run on a Dask cluster."""

    def __init__(self, client, info: engine.ModelInfo, *, beam_size: int = 2, threads: int = 1,
                 cache: DraftCache | None = None, max_batch_size: int = 32, max_batch_tokens: int | None = None,
                 retries: int = RETRIES):
        self.client = client
        self.info = info
        self.label = info.label
        self.beam_size, self.threads = beam_size, threads
        self.cache = cache
        # The local engine's bounds (its default or [models] batch_tokens): the same batches, the same drafts.
        self.max_batch_size = max_batch_size
        self.max_batch_tokens = max_batch_tokens or engine.DEFAULT_BATCH_TOKENS
        self.retries = retries
        self.count_tokens = _token_counter(info)
        self.sent: list[str] = []  # every text submitted to the cluster (what a resumed run still had to do)
        self.engine_seconds = 0.0  # time the workers' engines spent translating

    @classmethod
    def load(cls, client, directory: Path, to_code: str, from_code: str = "en", **options) -> ClusterEngine | None:
        info = engine.find_model(Path(directory), to_code, from_code)
        return None if info is None else cls(client, info, **options)

    def _args(self) -> tuple:
        return str(self.info.path), self.label, self.beam_size, self.threads, self.max_batch_tokens

    def warm_up(self) -> dict[str, float]:
        """Every worker loads the package now, not inside its first batch: worker address -> seconds."""
        return self.client.run(load_on_worker, *self._args())

    def batches(self, texts: Sequence[str]) -> list[list[str]]:
        """Length order, cut at the engine's size and token bounds: the batches a local engine would make."""
        sized = [(text, self.count_tokens(text)) for text in texts]
        cut = engine.cut_batches(sized, lambda item: item[1], self.max_batch_size, self.max_batch_tokens)
        return [[text for text, _ in batch] for batch in cut]

    def translate(self, texts: list[str], on_batch: Callable[[int], None] | None = None) -> list[str]:
        """Drafts in the order of `texts`; `on_batch(n)` after each finished batch (cached ones first)."""
        return [found[0] if found else "" for found in self.hypotheses(texts, on_batch)]

    def hypotheses(self, texts: list[str], on_batch: Callable[[int], None] | None = None) -> list[list[str]]:
        """Every hypothesis of each text's beam, best first, as `engine.Engine.hypotheses` gives them."""
        from distributed import as_completed

        wanted = [t for t in dict.fromkeys(texts) if t and t.strip()]
        done: dict[str, list[str]] = self.cache.get(self.label, wanted) if self.cache else {}
        left = [t for t in wanted if t not in done]
        if on_batch and len(wanted) > len(left):
            on_batch(len(wanted) - len(left))
        futures = {}
        # Longest batches first: the short ones fill the gaps at the end, so no worker finishes long after the rest.
        for priority, batch in enumerate(reversed(self.batches(left))):
            self.sent.extend(batch)
            future = self.client.submit(translate_batch, *self._args(), batch, retries=self.retries, pure=False,
                                        priority=-priority)
            futures[future] = batch
        try:
            for future in as_completed(futures):
                outputs, seconds = future.result()
                batch = futures[future]
                self.engine_seconds += seconds
                pairs = list(zip(batch, outputs, strict=True))
                done.update(pairs)
                if self.cache:
                    self.cache.put(self.label, pairs)
                if on_batch:
                    on_batch(len(batch))
        finally:
            pending = [f for f in futures if not f.done()]
            if pending:
                self.client.cancel(pending)
        return [list(done.get(t, [])) if t and t.strip() else [] for t in texts]

    def score(self, source: str, candidates: list[str]) -> list[float]:
        if not candidates:
            return []
        return self.client.submit(score_one, *self._args(), source, list(candidates), retries=self.retries,
                                  pure=False).result()
