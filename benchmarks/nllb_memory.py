"""Peak memory of a run's engines with one multilingual model (NLLB-200 shape) for kk, ru and ar.

Builds an NLLB-shaped model of real layer sizes with generated weights (M2M100 architecture, 6+6 layers,
d_model 512, 8 heads, FFN 2048, 32k vocabulary, int8; never committed), installs it with
`pipeline.ct2import.import_ct2` (three packages, one hard-linked copy of the weights) and measures, each in a
fresh process, the peak RSS of loading the engines and translating the same sentences into:

- one language (kk),
- three languages sharing one loaded translator (what `pipeline run` does),
- three languages each loading its own copy (what a run did before).

    python3 benchmarks/nllb_memory.py [--segments 32] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

CHILD = """
import json, sys, time
sys.path.insert(0, {repo!r})
import argostranslate.package, ctranslate2, sentencepiece  # imports first: their memory is not the model's
from pipeline.engine import Engine

def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024

packages, langs, shared, segments = {packages!r}, {langs!r}, {shared!r}, {segments!r}
texts = [f"The delegation number {{n}} met the ambassador to discuss cooperation." for n in range(segments)]
translators = {{}} if shared else None
before = rss("VmRSS")
start = time.perf_counter()
engines = [Engine.load(packages, lang, threads=1, translators=translators) for lang in langs]
loaded = rss("VmRSS")
for mt in engines:
    mt.translate(texts)
print(json.dumps({{"seconds": time.perf_counter() - start, "imports_mb": before, "engines_mb": loaded - before,
                  "peak_rss_mb": rss("VmHWM")}}))
"""


def measure(packages: Path, langs: tuple[str, ...], shared: bool, segments: int) -> dict:
    code = CHILD.format(repo=str(REPO), packages=str(packages), langs=langs, shared=shared, segments=segments)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from tinynllb import build_tiny_nllb

    from pipeline.ct2import import import_ct2

    with tempfile.TemporaryDirectory(prefix="bench-nllb-") as tmp:
        start = time.perf_counter()
        conversion = build_tiny_nllb(Path(tmp) / "nllb", d_model=512, layers=6, heads=8, ffn=2048,
                                     vocab_size=32000, quantization="int8")
        built = time.perf_counter() - start
        packages = Path(tmp) / "packages"
        import_ct2(conversion, to_codes=("kk", "ru", "ar"), directory=packages)
        size_mb = (conversion / "model.bin").stat().st_size / 2**20
        rows = {
            "kk only": measure(packages, ("kk",), True, args.segments),
            "kk+ru+ar, one shared model": measure(packages, ("kk", "ru", "ar"), True, args.segments),
            "kk+ru+ar, a model per language": measure(packages, ("kk", "ru", "ar"), False, args.segments),
        }
    base = rows["kk only"]
    if args.json:
        print(json.dumps({"model_mb": size_mb, "build_seconds": built, "rows": rows}, indent=2))
        return
    print(f"model.bin {size_mb:.0f} MB (int8), built in {built:.0f} s; {args.segments} segments per language")
    print(f"after imports (argostranslate, CTranslate2): {base['imports_mb']:.0f} MB RSS in each process")
    for name, row in rows.items():
        print(f"{name:32} engines {row['engines_mb']:5.0f} MB ({row['engines_mb'] / base['engines_mb']:.2f}× kk only)"
              f", peak RSS {row['peak_rss_mb']:5.0f} MB ({row['peak_rss_mb'] / base['peak_rss_mb']:.2f}×), "
              f"{row['seconds']:.1f} s")


if __name__ == "__main__":
    main()
