"""`pipeline run` without a model on a workspace of N articles built from NTREX-128: first run and unchanged re-run.

Without a model a run reads, segments, matches terms, looks up the memory, writes templates and catalogs, checks
and publishes: everything but MT. The re-run finds nothing changed and should do little; the full re-run (the
run records in .pipeline/run-state.json removed first) is what a re-run costs when the memory changed and every
catalog must be read, looked up and merged again.

    python3 benchmarks/run.py [--articles 400,2000] [--sentences 6] [--json] [--no-compile]

Goals: at most 8 ms per article on the first run; the re-run at most 30% of the first. The start-up line (a
process that only imports the command and prints `pipeline run --help`, median of three) is the fixed part of
every run: the share of it in a small workspace's run is what no skipping can remove.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PIPELINE_SHARED", REPO.parent / "shared"))
NTREX = SHARED / "ntrex128" / "newstest2019-src.eng.txt"


def sentences() -> list[str]:
    if not NTREX.exists():
        raise SystemExit(f"no NTREX-128 English file at {NTREX}: put ../shared beside the repo or set PIPELINE_SHARED")
    return [line.strip() for line in NTREX.read_text(encoding="utf-8").splitlines() if line.strip()]


def build(root: Path, articles: int, per_article: int) -> None:
    """Articles of `per_article` NTREX sentences in two paragraphs, a title from the first words."""
    lines = sentences()
    (root / "source_texts").mkdir(parents=True)
    shutil.copytree(REPO / "glossary", root / "glossary")
    for n in range(articles):
        chosen = [lines[(n * per_article + k) % len(lines)] for k in range(per_article)]
        half = per_article // 2
        title = " ".join(chosen[0].split()[:6]).rstrip(".,;:")
        text = f"{title}\n\n{' '.join(chosen[:half])}\n{' '.join(chosen[half:])}\n"
        (root / "source_texts" / f"article-{n:05d}.txt").write_text(text, encoding="utf-8")


def run_once(root: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(REPO), ARGOS_PACKAGES_DIR=str(root / "no-models"))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pipeline", "run", "--root", str(root), "--json"], env=env,
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        try:
            errors = json.loads(done.stdout).get("errors", [])
        except ValueError:
            errors = []
        raise SystemExit(f"pipeline run failed ({done.returncode}): {errors[:5]} {done.stderr[-2000:]}")
    return elapsed


def compile_package() -> None:
    """The package's bytecode, as installing it writes: with PYTHONDONTWRITEBYTECODE set (containers often set it)
    and no bytecode beside the sources, every run would compile the pipeline's ~13,000 lines again (0.2-0.4 s)."""
    import compileall

    compileall.compile_dir(REPO / "pipeline", quiet=1)


def startup() -> float:
    """Seconds for `python3 -m pipeline run --help`: the interpreter and the command's imports (median of 3)."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pipeline", "run", "--help"], env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return sorted(times)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", default="400,2000", help="comma-separated workspace sizes")
    parser.add_argument("--sentences", type=int, default=6, help="NTREX sentences per article")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-compile", action="store_true",
                        help="do not write the package's bytecode first (each run may then compile it again)")
    args = parser.parse_args()
    rows = []
    if not args.no_compile:
        compile_package()
    fixed = startup()
    for count in (int(n) for n in args.articles.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "ws"
            build(root, count, args.sentences)
            first = run_once(root)
            again = run_once(root)
            (root / ".pipeline" / "run-state.json").unlink()
            full = run_once(root)
        rows.append({"articles": count, "first_s": round(first, 2), "rerun_s": round(again, 2),
                     "first_ms_per_article": round(1000 * first / count, 2),
                     "rerun_over_first": round(again / first, 2), "full_rerun_s": round(full, 2),
                     "full_rerun_over_first": round(full / first, 2), "startup_s": round(fixed, 2)})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"pipeline run without a model, kk+ru+ar, {args.sentences} NTREX sentences per article "
          f"(load: {os.getloadavg()[0]:.2f}); start-up (`pipeline run --help`): {fixed:.2f}s")
    print(f"{'articles':>9} {'first run':>10} {'ms/article':>11} {'re-run':>8} {'re-run/first':>13} "
          f"{'full re-run':>12} {'full/first':>11}")
    for row in rows:
        print(f"{row['articles']:>9} {row['first_s']:>9.2f}s {row['first_ms_per_article']:>11.2f} "
              f"{row['rerun_s']:>7.2f}s {row['rerun_over_first']:>12.2f}x {row['full_rerun_s']:>11.2f}s "
              f"{row['full_rerun_over_first']:>10.2f}x")
    print("goals: <= 8 ms per article on the first run; re-run <= 0.30x the first")


if __name__ == "__main__":
    main()
