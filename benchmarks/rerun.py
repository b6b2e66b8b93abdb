"""A re-run of an unchanged big article must cost less than the first run, at every size.

    python3 benchmarks/rerun.py                  # 2 MB and 20 MB articles
    python3 benchmarks/rerun.py --sizes 2

Each size: an English article of that many MB built from ../shared/ntrex128 sentences (every line numbered, so
the sentences are distinct), in a fresh workspace with no translation model (every entry stays untranslated,
which is when a run asks the catalog for a changed sentence's old translation: the case that was quadratic).
`pipeline run` through the library (kk, no publish): the first run, an unchanged re-run (which finds the catalog
and template as the first run left them, from their checksums), and a full re-run with the run records removed
(what a re-run costs when the memory changed: every entry looked up and merged again, nothing rewritten). The
figures are wall-clock seconds of each run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline import catalogs, workflow  # noqa: E402
from pipeline.workspace import Workspace  # noqa: E402

SHARED = Path(os.environ.get("PIPELINE_SHARED", REPO.parent / "shared"))


def _sentences() -> list[str]:
    path = next((SHARED / "ntrex128").rglob("*eng*"), None)
    if path is None:
        raise SystemExit(f"no English NTREX file under {SHARED / 'ntrex128'}")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _article(megabytes: float) -> str:
    sentences = _sentences()
    lines, size, i = ["A long report on interfaith dialogue", ""], 0, 0
    while size < megabytes * 1_000_000:
        line = f"Item {i}: {sentences[i % len(sentences)]}"
        lines.append(line)
        size += len(line.encode()) + 1
        i += 1
    return "\n".join(lines) + "\n"


def _run(root: Path) -> float:
    ws = Workspace.open(root, packages_dir=root / "no-packages")
    start = time.perf_counter()
    report = workflow.run(ws, workflow.RunOptions(langs=("kk",), publish=False))
    elapsed = time.perf_counter() - start
    if report.errors:
        raise SystemExit(f"run failed: {report.errors}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="2,20", help="article sizes in MB, comma-separated")
    args = parser.parse_args()
    print(f"{'article':>8} {'entries':>8} {'first run':>10} {'re-run':>8} {'re-run/first':>13} "
          f"{'full re-run':>12} {'full/first':>11}")
    for size in (float(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="pipeline-rerun-") as tmp:
            root = Path(tmp)
            (root / "source_texts").mkdir()
            (root / "source_texts" / "big.txt").write_text(_article(size), encoding="utf-8")
            first = _run(root)
            again = _run(root)
            (root / ".pipeline" / "run-state.json").unlink()
            full = _run(root)
            entries = catalogs.catalog_stats(root / "locales" / "kk" / "LC_MESSAGES" / "big.po").total
            print(f"{size:>6g}MB {entries:>8} {first:>8.1f} s {again:>6.1f} s {again / first:>13.2f} "
                  f"{full:>10.1f} s {full / first:>11.2f}", flush=True)


if __name__ == "__main__":
    main()
