"""Sentence segmentation: our splitter against pysbd, side by side, in one run.

    python3 benchmarks/segmentation.py [--repeat N] [--json]

Prints, for each splitter:
* the English Golden Rules of the pragmatic segmenter (Kevin S. Dias, MIT,
  https://github.com/diasks2/pragmatic_segmenter; data in benchmarks/data/golden_rules_en.json): rules passed;
* our gold articles (tests/gold/**/*.segments: the seeds and the repo's sample articles): sentence boundaries
  missed / spurious and paragraphs cut exactly right;
* throughput in sentences per second on the same input (all rule texts and gold paragraphs, repeated).

Segments are compared whitespace-normalised (the rules' own expected output is "cleaned"). spaCy's rule-based
sentencizer and translate-toolkit's splitter are scored too when installed, for reference. pysbd runs as
``Segmenter(language="en", clean=False, char_span=False)``, its fastest mode.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.segment import normalise, parse_segments, split_sentences  # noqa: E402

RULES_FILE = REPO / "benchmarks" / "data" / "golden_rules_en.json"
GOLD_DIR = REPO / "tests" / "gold"


def load_splitters() -> dict[str, object]:
    """Name -> function(paragraph) -> list of sentences. Ours and pysbd always; others when importable."""
    import pysbd

    pysbd_segmenter = pysbd.Segmenter(language="en", clean=False, char_span=False)
    splitters: dict[str, object] = {"ours": split_sentences, "pysbd": pysbd_segmenter.segment}
    try:
        import spacy

        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        splitters["spacy-sentencizer"] = lambda text: [s.text for s in nlp(text).sents]
    except Exception:  # optional reference only
        pass
    try:
        from translate.lang import factory

        english = factory.getlanguage("en")
        splitters["translate-toolkit"] = lambda text: list(english.sentences(text))
    except Exception:  # optional reference only
        pass
    return splitters


def cleaned(sentences) -> list[str]:
    return [n for n in (normalise(s) for s in sentences) if n]


def golden_rules(split, rules) -> tuple[int, list[int]]:
    failed = [r["n"] for r in rules if cleaned(split(r["text"])) != cleaned(r["expected"])]
    return len(rules) - len(failed), failed


def gold_paragraphs() -> list[tuple[str, list[str]]]:
    """(source file, sentences) of every multi-sentence-capable paragraph in the gold files."""
    out = []
    for path in sorted(GOLD_DIR.glob("**/*.segments")):
        for paragraph in parse_segments(path.read_text(encoding="utf-8"), source=str(path)):
            sentences = [text for kind, text in paragraph if kind == "sentence"]
            if sentences:
                out.append((str(path.relative_to(GOLD_DIR)), sentences))
    return out


def _cuts(sentences: list[str]) -> set[int]:
    """Boundary offsets in the normalised paragraph text (joined with single spaces)."""
    cuts, pos = set(), 0
    for s in sentences[:-1]:
        pos += len(s) + 1
        cuts.add(pos)
    return cuts


def gold_accuracy(split, paragraphs) -> dict[str, int]:
    missed = spurious = exact = boundaries = 0
    for _, sentences in paragraphs:
        gold = cleaned(sentences)
        got = cleaned(split(" ".join(gold)))
        want, have = _cuts(gold), _cuts(got)
        boundaries += len(want)
        missed += len(want - have)
        spurious += len(have - want)
        exact += got == gold
    return {"paragraphs": len(paragraphs), "exact": exact, "boundaries": boundaries, "missed": missed,
            "spurious": spurious}


def throughput(split, texts: list[str], sentences: int, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        for text in texts:
            split(text)
    return sentences * repeat / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="passes over the input for the speed figure")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    rules = json.loads(RULES_FILE.read_text(encoding="utf-8"))["rules"]
    paragraphs = gold_paragraphs()
    texts = [r["text"] for r in rules] + [" ".join(s) for _, s in paragraphs]
    sentence_count = sum(len(r["expected"]) for r in rules) + sum(len(s) for _, s in paragraphs)

    results = {}
    for name, split in load_splitters().items():
        passed, failed = golden_rules(split, rules)
        split(texts[0])  # warm-up: first call may compile regexes or build pipelines
        results[name] = {
            "golden_rules": {"passed": passed, "total": len(rules), "failed": failed},
            "gold_articles": gold_accuracy(split, paragraphs),
            "sentences_per_s": round(throughput(split, texts, sentence_count, args.repeat)),
        }

    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    files = len({f for f, _ in paragraphs})
    print(f"Golden Rules (English, {len(rules)} rules, pragmatic_segmenter by Kevin S. Dias, MIT)")
    print(f"Gold articles: {files} files in tests/gold, {len(paragraphs)} paragraphs, "
          f"{results['ours']['gold_articles']['boundaries']} sentence boundaries")
    print(f"Speed input: {len(texts)} texts, {sentence_count} sentences, x{args.repeat}\n")
    header = f"{'splitter':<19}{'rules passed':>14}{'gold: missed':>14}{'spurious':>10}{'exact paras':>13}" \
             f"{'sentences/s':>13}"
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        g, a = r["golden_rules"], r["gold_articles"]
        print(f"{name:<19}{g['passed']:>8}/{g['total']:<5}{a['missed']:>14}{a['spurious']:>10}"
              f"{a['exact']:>7}/{a['paragraphs']:<5}{r['sentences_per_s']:>13,}")
    print()
    for name, r in results.items():
        print(f"{name}: failed rules {r['golden_rules']['failed']}")
    speedup = results["ours"]["sentences_per_s"] / max(results["pysbd"]["sentences_per_s"], 1)
    print(f"\nours is {speedup:.1f}x faster than pysbd")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
