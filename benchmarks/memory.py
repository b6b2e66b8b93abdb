"""Translation memory lookup: pipeline.memory vs translate-toolkit's matcher, side by side on the same data.

    python3 benchmarks/memory.py                       # 10k, 100k, 1M units; translate-toolkit up to 100k
    python3 benchmarks/memory.py --sizes 10000 --queries 50      # quick run

Memories are built from ../shared/ntrex128 (English -> Russian; every 10th sentence held out) plus generated
variants: half edits of a sentence (1-6 word substitutions, deletions, insertions, swaps), half splices (the
start of one sentence, the end of another). That gives every sentence hundreds of near-duplicates at 1M units:
a hard case for candidate selection. Queries per size: 25% exact memory sources, 50% fresh edits of memory
sources (not in the memory), 25% held-out NTREX sentences.

translate-toolkit runs as pot2po runs it: `match.matcher(store, max_candidates=1, min_similarity=75,
max_length=1000)`. Each engine runs in its own process so its peak RSS is its own; our lookups run in a fresh
process that opens the built SQLite file (the OS page cache still holds it: the build just wrote it).

The two stores side by side (same units, same queries, one run):

    python3 benchmarks/memory.py --backend sqlite,postgresql --sizes 100000 --tt-max 0

adds, per store: the import rate, lookups of short queries (2-4 words, reported apart: trigram indexes are at their
weakest there), agreement of the best match between the stores, and throughput while 4 writers harvest new units
into the memory as 4 readers look up. Before the timed lookups each store answers as many other queries of the same
kinds (a memory in use, with its pages cached, whether it was just built or built before).

Build the 1M memories once, then time them as often as needed (the concurrent writers work on a copy):

    python3 benchmarks/memory.py --backend sqlite,postgresql --sizes 100000,1000000 --workdir DIR --build-only
    python3 benchmarks/memory.py --backend sqlite,postgresql --sizes 100000,1000000 --workdir DIR --reuse

PostgreSQL: `--postgres-url` (default $PIPELINE_TEST_POSTGRES_URL), else a throwaway cluster is started with
scripts/test-postgres.sh and stopped at the end; each size gets a new database (NAME_SIZE, see --db-name).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # this worktree's pipeline, not an installed one

NTREX = REPO.parent / "shared" / "ntrex128" / "ntrex128_eng_kaz_rus_arb.tsv"
MIN_SCORE = 75


# ------------------------------------------------------------------------------------------ data


def load_ntrex(path: Path) -> list[tuple[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    header = rows[0]
    eng, rus = header.index("eng"), header.index("rus")
    return [(r[eng].strip(), r[rus].strip()) for r in rows[1:] if r[eng].strip() and r[rus].strip()]


def edit(words: list[str], rng: random.Random, vocab: list[str], ops: int) -> list[str]:
    w = list(words)
    for _ in range(ops):
        i = rng.randrange(len(w))
        op = rng.random()
        if op < 0.4:
            w[i] = rng.choice(vocab)
        elif op < 0.6 and len(w) > 3:
            del w[i]
        elif op < 0.8:
            w.insert(i, rng.choice(vocab))
        elif i + 1 < len(w):
            w[i], w[i + 1] = w[i + 1], w[i]
    return w


def build_units(bases: list[tuple[str, str]], n: int, seed: int) -> list[tuple[str, str]]:
    """The bases, then distinct generated variants up to n units; a prefix of it is the smaller memory."""
    rng = random.Random(seed)
    vocab = sorted({w for s, _ in bases for w in s.split()})
    seen = {s for s, _ in bases}
    units = list(bases[:n])
    while len(units) < n:
        s, t = bases[rng.randrange(len(bases))]
        words = s.split()
        if rng.random() < 0.5:
            v = edit(words, rng, vocab, rng.choice((1, 1, 2, 2, 3, 4, 6)))
        else:
            other = bases[rng.randrange(len(bases))][0].split()
            v = words[: rng.randint(1, len(words))] + other[rng.randint(0, len(other) - 1):]
        text = " ".join(v)
        if text not in seen:
            seen.add(text)
            units.append((text, t))
    return units


def make_queries(units: list[tuple[str, str]], held_out: list[tuple[str, str]], count: int,
                 seed: int) -> list[dict]:
    rng = random.Random(seed)
    vocab = sorted({w for s, _ in units[:5000] for w in s.split()})
    known = {s for s, _ in units}
    queries = [{"kind": "exact", "text": units[rng.randrange(len(units))][0]} for _ in range(count // 4)]
    while len(queries) < count - count // 4:
        s = units[rng.randrange(len(units))][0]
        v = " ".join(edit(s.split(), rng, vocab, rng.choice((1, 2, 3))))
        if v not in known:
            queries.append({"kind": "fuzzy", "text": v})
    for s, _ in rng.sample(held_out, min(len(held_out), count - len(queries))):
        queries.append({"kind": "unseen", "text": s})
    rng.shuffle(queries)
    return queries


def make_short_queries(units: list[tuple[str, str]], count: int, seed: int) -> list[dict]:
    """Headline-sized queries (2-4 words): the start of memory sources, half of them with one word changed."""
    rng = random.Random(seed)
    vocab = sorted({w for s, _ in units[:5000] for w in s.split()})
    queries = []
    while len(queries) < count:
        words = units[rng.randrange(len(units))][0].split()[:rng.randint(2, 4)]
        if rng.random() < 0.5:
            words[rng.randrange(len(words))] = rng.choice(vocab)
        queries.append({"kind": "short", "text": " ".join(words)})
    return queries


def read_units(path: Path, n: int, start: int = 0) -> list[tuple[str, str]]:
    out = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if len(out) == n:
                break
            if i >= start:
                out.append(tuple(json.loads(line)))
    return out


def memory_location(db: str):
    return db if db.startswith(("postgresql://", "postgres://")) else Path(db)


def rss_mb() -> dict[str, float]:
    """Peak resident set, and the current split: anonymous memory vs mapped file pages (our SQLite mmap)."""
    fields = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "RssAnon", "RssFile"):
                fields[key] = int(value.split()[0]) / 1024
    return {"peak": fields.get("VmHWM", 0.0), "anon": fields.get("RssAnon", 0.0),
            "file": fields.get("RssFile", 0.0)}


# ------------------------------------------------------------------------------------------ workers


def worker_build(args) -> dict:
    from pipeline.memory import Memory, Unit

    units = read_units(Path(args.units), args.size)
    t0 = time.perf_counter()
    with Memory.open(memory_location(args.db)) as memory:
        for i in range(0, len(units), 10_000):
            memory.add([Unit("en", "ru", s, t, origin="ntrex128+variants") for s, t in units[i:i + 10_000]])
        imported = time.perf_counter() - t0
        memory.optimize()
        size = memory.stats().size_bytes
    build = time.perf_counter() - t0
    return {"build_s": build, "import_per_s": len(units) / imported, "db_mb": size / 1e6}


def worker_ours(args) -> dict:
    from pipeline.memory import Memory

    queries = json.loads(Path(args.query_file).read_text(encoding="utf-8"))
    short = json.loads(Path(args.short_file).read_text(encoding="utf-8")) if args.short_file else []
    t0 = time.perf_counter()
    memory = Memory.open(memory_location(args.db))
    open_s = time.perf_counter() - t0
    # warm-up, not counted: other queries of the same kinds when given (a memory in use, not one just opened)
    warm = json.loads(Path(args.warm_file).read_text(encoding="utf-8")) if args.warm_file else queries[:10]
    for q in warm:
        memory.lookup(q["text"], "ru", min_score=MIN_SCORE)
    result = {"open_s": open_s}
    for name, limit, asked in (("limit1", 1, queries), ("limit5", 5, queries), ("short", 1, short)):
        # limit 1: the best match, as pot2po asks translate-toolkit; 5: our default
        times, best = [], []
        for q in asked:
            t = time.perf_counter()
            matches = memory.lookup(q["text"], "ru", min_score=MIN_SCORE, limit=limit)
            times.append(time.perf_counter() - t)
            best.append([matches[0].source, matches[0].score] if matches else None)
        result[name] = {"times": times, "best": best}
    result["rss"] = rss_mb()  # while the database is still mapped
    memory.close()
    return result


def worker_tt(args) -> dict:
    from translate.search import match
    from translate.storage import po

    queries = json.loads(Path(args.query_file).read_text(encoding="utf-8"))
    units = read_units(Path(args.units), args.size)
    t0 = time.perf_counter()
    store = po.pofile()
    for s, t in units:
        store.addsourceunit(s).target = t
    del units
    matcher = match.matcher(store, max_candidates=1, min_similarity=MIN_SCORE, max_length=1000)
    build = time.perf_counter() - t0
    for q in queries[:10]:
        matcher.matches(q["text"])
    times, best = [], []
    for q in queries:
        t = time.perf_counter()
        found = matcher.matches(q["text"])
        times.append(time.perf_counter() - t)
        best.append([str(found[0].source), float(found[0].getnotes().strip().rstrip("%"))] if found else None)
    return {"build_s": build, "times": times, "best": best, "rss": rss_mb()}


def worker_writer(args) -> dict:
    """One workspace harvesting new units in transactions of 200 (its own, plus a share every writer has)."""
    from pipeline.memory import Memory, Unit

    units = read_units(Path(args.units), args.shared_count, start=args.shared_start) + \
        read_units(Path(args.units), args.count, start=args.start)
    done = 0
    t0 = time.perf_counter()
    with Memory.open(memory_location(args.db)) as memory:
        for i in range(0, len(units), 200):
            with memory.store.transaction():
                memory.add([Unit("en", "ru", s, t, origin=f"writer-{args.start}") for s, t in units[i:i + 200]])
            done += len(units[i:i + 200])
    return {"units": done, "seconds": time.perf_counter() - t0}


def worker_reader(args) -> dict:
    """Lookups, as fast as they come, until the stop file appears."""
    from pipeline.memory import Memory

    queries = json.loads(Path(args.query_file).read_text(encoding="utf-8"))
    times = []
    t0 = time.perf_counter()
    with Memory.open(memory_location(args.db)) as memory:
        i = 0
        while not Path(args.stop).exists():
            t = time.perf_counter()
            memory.lookup(queries[i % len(queries)]["text"], "ru", min_score=MIN_SCORE, limit=1)
            times.append(time.perf_counter() - t)
            i += 1
    return {"lookups": len(times), "seconds": time.perf_counter() - t0, "times": times}


def concurrent(db: str, units_path: Path, first_new: int, per_writer: int, qpath: Path, work: Path) -> dict:
    """4 writers + 4 readers at once: units written per second, lookups per second, reader p95."""
    stop = work / "stop"
    stop.unlink(missing_ok=True)
    shared = per_writer // 4  # the first quarter of each writer's units is the same for all four
    procs, outs = [], []
    for w in range(4):
        outs.append(work / f"writer-{w}.json")
        procs.append(_spawn("writer", outs[-1], units=units_path, db=db, shared_start=first_new, shared_count=shared,
                            start=first_new + shared + w * (per_writer - shared), count=per_writer - shared))
    readers = [work / f"reader-{r}.json" for r in range(4)]
    rprocs = [_spawn("reader", out, db=db, query_file=qpath, stop=stop) for out in readers]
    t0 = time.perf_counter()
    for p in procs:
        p.wait()
    wall = time.perf_counter() - t0
    stop.touch()
    for p in rprocs:
        p.wait()
    written = [json.loads(o.read_text()) for o in outs]
    read = [json.loads(o.read_text()) for o in readers]
    times = [t for r in read for t in r["times"]]
    return {"units_per_s": sum(w["units"] for w in written) / wall, "lookups_per_s": len(times) / wall,
            "p95_ms": ms(times, .95) if times else 0.0, "median_ms": ms(times, .5) if times else 0.0}


def _spawn(kind: str, out: Path, **kw) -> subprocess.Popen:
    cmd = [sys.executable, __file__, "--worker", kind, "--out", str(out)] + \
        [x for k, v in kw.items() for x in (f"--{k.replace('_', '-')}", str(v))]
    return subprocess.Popen(cmd)


def run_worker(kind: str, **kw) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        out_path = out.name
    cmd = [sys.executable, __file__, "--worker", kind, "--out", out_path] + \
        [x for k, v in kw.items() for x in (f"--{k.replace('_', '-')}", str(v))]
    subprocess.run(cmd, check=True)
    result = json.loads(Path(out_path).read_text())
    os.unlink(out_path)
    return result


# ------------------------------------------------------------------------------------------ report


def ms(values: list[float], q: float) -> float:
    values = sorted(values)
    return 1000 * values[min(len(values) - 1, int(q * len(values)))]


def agreement(ours: list, theirs: list) -> tuple[int, int]:
    """(same best source or both no match, same best score)."""
    same = same_score = 0
    for a, b in zip(ours, theirs, strict=True):
        if a is None or b is None:
            same += a is None and b is None
            same_score += a is None and b is None
            continue
        same += a[0] == b[0]
        same_score += abs(a[1] - b[1]) < 1e-9
    return same, same_score


class Postgres:
    """The server for the PostgreSQL side: a URL given, or a throwaway cluster (scripts/test-postgres.sh)."""

    def __init__(self, url: str | None):
        self.url, self.dir = url, None
        if not self.url:
            out = subprocess.run(["bash", str(REPO / "scripts" / "test-postgres.sh"), "start"], check=True,
                                 capture_output=True, text=True).stdout
            env = dict(line.removeprefix("export ").split("=", 1) for line in out.splitlines() if "=" in line)
            self.url, self.dir = env["PIPELINE_TEST_POSTGRES_URL"], env["PIPELINE_TEST_POSTGRES_DIR"]

    def database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' "
                         "LC_CTYPE 'C.UTF-8'")
        return self.url.rsplit("/", 1)[0] + "/" + name

    def url_of(self, name: str) -> str:
        return self.url.rsplit("/", 1)[0] + "/" + name

    def exists(self, name: str) -> bool:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None

    def copy(self, name: str, to: str) -> str:
        """A copy of a built memory (a file-level copy on the server: seconds, not a rebuild)."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {to} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {to} TEMPLATE {name}")
        return self.url_of(to)

    def drop(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close(self) -> None:
        if self.dir:
            subprocess.run(["bash", str(REPO / "scripts" / "test-postgres.sh"), "stop", self.dir], check=False)


def _copy_sqlite(path: str, to: str) -> str:
    import sqlite3

    Path(to).unlink(missing_ok=True)
    with sqlite3.connect(path) as src, sqlite3.connect(to) as dst:
        src.backup(dst)
    return to


def compare_backends(args, sizes: list[int], units: list[tuple[str, str]], units_path: Path,
                     held_out: list[tuple[str, str]], work: Path, per_writer: int) -> None:
    """SQLite and PostgreSQL side by side: same units, same queries."""
    backends = [b.strip() for b in args.backend.split(",") if b.strip()]
    server = Postgres(args.postgres_url or os.environ.get("PIPELINE_TEST_POSTGRES_URL")) \
        if "postgresql" in backends else None
    header = (f"{'units':>8}  {'store':<11} {'import/s':>9} {'median ms':>10} {'p95 ms':>8} {'short med':>10} "
              f"{'short p95':>10} {'same best':>10} {'4w+4r units/s':>14} {'lookups/s':>10} {'r p95 ms':>9}")
    print(header, flush=True)
    try:
        for size in sizes:
            queries = make_queries(units[:size], held_out, args.queries, args.seed + size)
            short = make_short_queries(units[:size], args.queries // 2, args.seed + size + 1)
            warm = make_queries(units[:size], held_out, args.queries, args.seed + size + 2) + \
                make_short_queries(units[:size], args.queries // 2, args.seed + size + 3)
            qpath, spath = work / f"queries-{size}.json", work / f"short-{size}.json"
            wpath = work / f"warm-{size}.json"
            qpath.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
            spath.write_text(json.dumps(short, ensure_ascii=False), encoding="utf-8")
            wpath.write_text(json.dumps(warm, ensure_ascii=False), encoding="utf-8")
            results = {}
            for backend in backends:
                name = f"{args.db_name}_{size}"
                record = work / f"built-{backend}-{size}.json"  # the build's figures, for --reuse
                load = os.getloadavg()[0]
                if args.reuse and record.exists() and (backend == "sqlite" or server.exists(name)):
                    db = server.url_of(name) if backend == "postgresql" else str(work / f"memory-{size}.sqlite")
                    built = json.loads(record.read_text())
                    kept = name if backend == "postgresql" else db
                    print(f"  # {backend} {size}: re-using the memory built before ({kept})", flush=True)
                else:
                    if backend == "postgresql":
                        db = server.database(name)
                    else:
                        db = str(work / f"memory-{size}.sqlite")
                        for ext in ("", "-wal", "-shm"):
                            Path(db + ext).unlink(missing_ok=True)
                    built = run_worker("build", units=units_path, db=db, size=size)
                    record.write_text(json.dumps(built))
                if args.build_only:
                    print(f"  # {backend} {size}: built, {built['import_per_s']:.0f} units/s, {built['db_mb']:.0f} MB",
                          flush=True)
                    continue
                ours = run_worker("ours", units=units_path, db=db, size=size, query_file=qpath, short_file=spath,
                                  warm_file=wpath)
                busy = {}
                if args.concurrency:  # on a copy when the memory is kept: the writers add units to it
                    busy_db = db
                    if args.workdir:
                        busy_db = server.copy(name, f"{name}_busy") if backend == "postgresql" else \
                            _copy_sqlite(db, str(work / f"busy-{size}.sqlite"))
                    busy = concurrent(busy_db, units_path, max(sizes), per_writer, qpath, work)
                    if args.workdir:
                        if backend == "postgresql":
                            server.drop(f"{name}_busy")
                        else:
                            for ext in ("", "-wal", "-shm"):
                                Path(busy_db + ext).unlink(missing_ok=True)
                results[backend] = ours
                same = ""
                if backend != backends[0]:
                    a, _ = agreement(results[backends[0]]["limit1"]["best"], ours["limit1"]["best"])
                    b, _ = agreement(results[backends[0]]["short"]["best"], ours["short"]["best"])
                    same = f"{100 * (a + b) / (len(queries) + len(short)):.1f}%"
                r, sh = ours["limit1"], ours["short"]
                print(f"{size:>8}  {backend:<11} {built['import_per_s']:>9.0f} {ms(r['times'], .5):>10.2f} "
                      f"{ms(r['times'], .95):>8.2f} {ms(sh['times'], .5):>10.2f} {ms(sh['times'], .95):>10.2f} "
                      f"{same:>10} {busy.get('units_per_s', 0):>14.0f} {busy.get('lookups_per_s', 0):>10.0f} "
                      f"{busy.get('p95_ms', 0):>9.1f}", flush=True)
                print(f"  # {backend} {size}: {built['db_mb']:.0f} MB, build {built['build_s']:.0f} s, "
                      f"load average {load:.1f} at the start", flush=True)
                if backend == "postgresql" and not args.workdir:
                    server.drop(name)
            if len(backends) > 1 and not args.build_only:
                first, second = (results[b] for b in backends[:2])
                diffs = [(q["text"], a, b) for q, a, b in zip(queries + short, first["limit1"]["best"] +
                                                              first["short"]["best"], second["limit1"]["best"] +
                                                              second["short"]["best"], strict=True)
                         if (a is None) != (b is None) or (a and b and a[0] != b[0])]
                for text, a, b in diffs[:5]:
                    print(f"  #   differs: {text[:60]!r}: {backends[0]} {a and round(a[1], 2)} "
                          f"{backends[1]} {b and round(b[1], 2)}", flush=True)
    finally:
        if server:
            server.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000", help="memory sizes, comma-separated")
    ap.add_argument("--tt-max", type=int, default=100_000,
                    help="largest size translate-toolkit is run at (its in-memory scan is slow at 1M)")
    ap.add_argument("--queries", type=int, default=200, help="queries per size")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", help="keep the generated data and memories here")
    ap.add_argument("--backend", default="",
                    help="compare stores side by side instead: sqlite,postgresql (see the top of this file)")
    ap.add_argument("--postgres-url", help="server for the PostgreSQL store (default: $PIPELINE_TEST_POSTGRES_URL, "
                                           "else a throwaway cluster)")
    ap.add_argument("--concurrency", type=int, default=1, help="with --backend: 0 skips the 4 writers + 4 readers")
    ap.add_argument("--reuse", action="store_true",
                    help="with --backend and --workdir: time the memories built there before (and kept: the "
                         "concurrent writers work on a copy) instead of building them again")
    ap.add_argument("--build-only", action="store_true", help="with --backend: build the memories, time nothing")
    ap.add_argument("--db-name", default="pipeline_bench",
                    help="PostgreSQL databases are named NAME_SIZE (kept with --workdir)")
    ap.add_argument("--worker", choices=["build", "ours", "tt", "writer", "reader"], help=argparse.SUPPRESS)
    ap.add_argument("--short-file", help=argparse.SUPPRESS)
    ap.add_argument("--warm-file", help=argparse.SUPPRESS)
    ap.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--shared-start", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--shared-count", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--stop", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--units", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--query-file", help=argparse.SUPPRESS)
    ap.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        result = {"build": worker_build, "ours": worker_ours, "tt": worker_tt, "writer": worker_writer,
                  "reader": worker_reader}[args.worker](args)
        Path(args.out).write_text(json.dumps(result), encoding="utf-8")
        return

    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(args.workdir or tempfile.mkdtemp(prefix="tm-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    pairs = load_ntrex(NTREX)
    held_out = pairs[9::10]
    bases = [p for i, p in enumerate(pairs) if i % 10 != 9]
    t = time.perf_counter()
    per_writer = 2000  # new units each of the 4 concurrent writers harvests (a quarter shared by all)
    wanted = max(sizes) + (4 * per_writer if args.backend else 0)
    units_path = work / "units.jsonl"
    if args.reuse and units_path.exists() and (units := read_units(units_path, wanted)) and len(units) == wanted:
        pass  # the very units the kept memories were built from (same seed)
    else:
        units = build_units(bases, wanted, args.seed)
        with open(units_path, "w", encoding="utf-8") as f:
            for u in units:
                f.write(json.dumps(u, ensure_ascii=False) + "\n")
    print(f"# data: {len(bases)} NTREX sentences + variants -> {len(units)} units "
          f"({time.perf_counter() - t:.1f}s); {len(held_out)} held out; {args.queries} queries per size; "
          f"min score {MIN_SCORE}; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}", flush=True)
    if (args.reuse or args.build_only) and not (args.backend and args.workdir):
        ap.error("--reuse and --build-only need --backend and --workdir")
    if args.backend:
        compare_backends(args, sizes, units, units_path, held_out, work, per_writer)
        print(f"# data and memories in {work}")
        return

    header = (f"{'units':>8}  {'engine':<18} {'build s':>8} {'median ms':>10} {'p95 ms':>8} "
              f"{'same best':>10} {'same score':>10} {'RSS MB':>7}")
    rows = [header]
    print(header, flush=True)
    for size in sizes:
        queries = make_queries(units[:size], held_out, args.queries, args.seed + size)
        qpath = work / f"queries-{size}.json"
        qpath.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
        db = work / f"memory-{size}.sqlite"
        for ext in ("", "-wal", "-shm"):
            Path(str(db) + ext).unlink(missing_ok=True)
        built = run_worker("build", units=units_path, db=db, size=size)
        ours = run_worker("ours", units=units_path, db=db, size=size, query_file=qpath)
        for limit in (1, 5):
            r = ours[f"limit{limit}"]
            name = f"pipeline limit={limit}"
            agree = ""
            if limit == 5:
                same, same_score = agreement(ours["limit1"]["best"], r["best"])
                agree = f"{'(vs limit=1)':>10} {100 * same_score / len(queries):>9.1f}%"
            build = f"{built['build_s']:.1f}" if limit == 1 else "-"
            line = (f"{size:>8}  {name:<18} {build:>8} {ms(r['times'], .5):>10.2f} "
                    f"{ms(r['times'], .95):>8.2f} {agree:>21} {ours['rss']['peak']:>7.0f}")
            print(line, flush=True)
            rows.append(line)
        found = sum(b is not None for b in ours["limit1"]["best"])
        note = (f"  # {size}: memory file {built['db_mb']:.0f} MB; {found}/{len(queries)} queries matched; "
                f"pipeline RSS at the end {ours['rss']['anon']:.0f} MB anonymous + "
                f"{ours['rss']['file']:.0f} MB mapped files (database pages, libraries)")
        if size <= args.tt_max:
            tt = run_worker("tt", units=units_path, size=size, query_file=qpath)
            same, same_score = agreement(ours["limit1"]["best"], tt["best"])
            n = len(queries)
            line = (f"{size:>8}  {'translate-toolkit':<18} {tt['build_s']:>8.1f} "
                    f"{ms(tt['times'], .5):>10.2f} {ms(tt['times'], .95):>8.2f} "
                    f"{100 * same / n:>9.1f}% {100 * same_score / n:>9.1f}% "
                    f"{tt['rss']['peak']:>7.0f}")
            print(line, flush=True)
            rows.append(line)
            speed = statistics.median(tt["times"]) / statistics.median(ours["limit1"]["times"])
            p95 = ms(tt["times"], .95) / ms(ours["limit1"]["times"], .95)
            note += f"; limit=1 vs translate-toolkit: {speed:.0f}x faster at the median, {p95:.0f}x at p95"
            pairs = zip(queries, ours["limit1"]["best"], tt["best"], strict=True)
            diffs = [(q["kind"], a, b) for q, a, b in pairs
                     if (a is None) != (b is None) or (a and b and a[0] != b[0])]
            for kind, a, b in diffs[:5]:
                note += f"\n  #   differs ({kind}): ours {a and round(a[1], 2)} tt {b and round(b[1], 2)}"
        else:
            note += "; translate-toolkit not run at this size (--tt-max)"
        print(note, flush=True)
    print(f"# data and memories in {work}")


if __name__ == "__main__":
    main()
