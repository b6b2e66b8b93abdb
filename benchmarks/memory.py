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


def read_units(path: Path, n: int) -> list[tuple[str, str]]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if len(out) == n:
                break
            out.append(tuple(json.loads(line)))
    return out


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
    with Memory.open(Path(args.db)) as memory:
        for i in range(0, len(units), 10_000):
            memory.add([Unit("en", "ru", s, t, origin="ntrex128+variants") for s, t in units[i:i + 10_000]])
        memory.optimize()
    build = time.perf_counter() - t0
    size = sum(os.path.getsize(args.db + ext) for ext in ("", "-wal") if os.path.exists(args.db + ext))
    return {"build_s": build, "db_mb": size / 1e6}


def worker_ours(args) -> dict:
    from pipeline.memory import Memory

    queries = json.loads(Path(args.query_file).read_text(encoding="utf-8"))
    t0 = time.perf_counter()
    memory = Memory.open(Path(args.db))
    open_s = time.perf_counter() - t0
    for q in queries[:10]:  # warm-up, not counted
        memory.lookup(q["text"], "ru", min_score=MIN_SCORE)
    result = {"open_s": open_s}
    for limit in (1, 5):  # 1: the best match, as pot2po asks translate-toolkit; 5: our default
        times, best = [], []
        for q in queries:
            t = time.perf_counter()
            matches = memory.lookup(q["text"], "ru", min_score=MIN_SCORE, limit=limit)
            times.append(time.perf_counter() - t)
            best.append([matches[0].source, matches[0].score] if matches else None)
        result[f"limit{limit}"] = {"times": times, "best": best}
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000", help="memory sizes, comma-separated")
    ap.add_argument("--tt-max", type=int, default=100_000,
                    help="largest size translate-toolkit is run at (its in-memory scan is slow at 1M)")
    ap.add_argument("--queries", type=int, default=200, help="queries per size")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", help="keep the generated data and memories here")
    ap.add_argument("--worker", choices=["build", "ours", "tt"], help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--units", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--query-file", help=argparse.SUPPRESS)
    ap.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        result = {"build": worker_build, "ours": worker_ours, "tt": worker_tt}[args.worker](args)
        Path(args.out).write_text(json.dumps(result), encoding="utf-8")
        return

    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(args.workdir or tempfile.mkdtemp(prefix="tm-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    pairs = load_ntrex(NTREX)
    held_out = pairs[9::10]
    bases = [p for i, p in enumerate(pairs) if i % 10 != 9]
    t = time.perf_counter()
    units = build_units(bases, max(sizes), args.seed)
    units_path = work / "units.jsonl"
    with open(units_path, "w", encoding="utf-8") as f:
        for u in units:
            f.write(json.dumps(u, ensure_ascii=False) + "\n")
    print(f"# data: {len(bases)} NTREX sentences + variants -> {len(units)} units "
          f"({time.perf_counter() - t:.1f}s); {len(held_out)} held out; {args.queries} queries per size; "
          f"min score {MIN_SCORE}; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}", flush=True)

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
