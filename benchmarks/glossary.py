"""Glossary matching speed: Glossary.find against a naive per-term regex loop, side by side in one run.

    python3 benchmarks/glossary.py [--terms 5000] [--segments 10000] [--naive-segments 1000] [--seed 7]

Synthetic, seeded data: multiword terms (2-5 capitalised pseudo-words, some joined by of/and/for) and
news-length segments of filler words with 0-3 terms each. The naive loop runs one compiled,
case-insensitive, whole-word regex per term over every segment, then keeps the longest leftmost
non-overlapping matches. It is timed on the first --naive-segments segments (all of them with
--naive-segments 0) and extrapolated; both matchers must agree on every timed segment.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.concepts import Concept  # noqa: E402
from pipeline.termmatch import Glossary  # noqa: E402

SYLLABLES = "ka za kh sta mu ar al nur ba ra ta li ve do mi su ne ro ga te bo lu vi ha si fa".split()
FUNCTION = ["of", "and", "for"]


def pseudo_word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def make_data(n_terms: int, n_segments: int, seed: int) -> tuple[list[Concept], list[str]]:
    rng = random.Random(seed)
    vocab = sorted({pseudo_word(rng) for _ in range(4000)})
    terms: dict[str, None] = {}
    while len(terms) < n_terms:
        words = [rng.choice(vocab).capitalize() for _ in range(rng.randint(2, 5))]
        if len(words) > 2 and rng.random() < 0.5:
            words.insert(rng.randint(1, len(words) - 1), rng.choice(FUNCTION))
        terms[" ".join(words)] = None
    term_list = list(terms)
    concepts = [Concept(id=f"t{k}", type="institution", en=t, targets={"kk": f"kk{k}"})
                for k, t in enumerate(term_list)]
    filler = vocab[:1500] + ["the", "a", "in", "on", "said", "met", "with", "at", "by"]
    segments = []
    for _ in range(n_segments):
        words = [rng.choice(filler) for _ in range(rng.randint(12, 30))]
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            words.insert(rng.randint(0, len(words)), rng.choice(term_list))
        segments.append(" ".join(words).capitalize() + ".")
    return concepts, segments


def naive_matcher(concepts: list[Concept]):
    patterns = [(re.compile(r"(?<!\w)" + re.escape(c.en) + r"(?!\w)", re.IGNORECASE), c) for c in concepts]

    def find(text: str) -> list[tuple[int, int, str]]:
        found = [(m.start(), m.end(), c.id) for p, c in patterns for m in p.finditer(text)]
        found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
        out, last = [], -1
        for start, end, cid in found:
            if start >= last:
                out.append((start, end, cid))
                last = end
        return out

    return find


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--terms", type=int, default=5000)
    ap.add_argument("--segments", type=int, default=10000)
    ap.add_argument("--naive-segments", type=int, default=1000, help="0: time the naive loop on all")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    concepts, segments = make_data(args.terms, args.segments, args.seed)
    t0 = time.perf_counter()
    glossary = Glossary(concepts)
    build = time.perf_counter() - t0

    t0 = time.perf_counter()
    fast = [glossary.find(s) for s in segments]
    fast_time = time.perf_counter() - t0
    n_matches = sum(len(m) for m in fast)

    naive = naive_matcher(concepts)
    sample = segments if args.naive_segments <= 0 else segments[: args.naive_segments]
    t0 = time.perf_counter()
    slow = [naive(s) for s in sample]
    naive_time = time.perf_counter() - t0
    naive_full = naive_time * len(segments) / len(sample)

    agree = sum(
        [(m.start, m.end, m.concept.id) for m in f] == s for f, s in zip(fast, slow, strict=False)
    )
    words = sum(len(s.split()) for s in segments)
    print(f"data: {len(concepts)} terms, {len(segments)} segments ({words} words), seed {args.seed}")
    print(f"Glossary() build:           {build:8.3f} s")
    print(f"Glossary.find, all:         {fast_time:8.3f} s  ({len(segments) / fast_time:,.0f} segments/s, "
          f"{n_matches} matches)")
    label = "all" if len(sample) == len(segments) else f"{len(sample)} segments"
    print(f"naive regex loop, {label}: {naive_time:8.3f} s", end="")
    if len(sample) != len(segments):
        print(f"  -> {naive_full:.1f} s extrapolated to {len(segments)} segments")
    else:
        print()
    print(f"speed-up:                   {naive_full / fast_time:8.0f} x")
    print(f"agreement on naive segments: {agree}/{len(sample)}")
    if agree != len(sample):
        sys.exit("matchers disagree")


if __name__ == "__main__":
    main()
