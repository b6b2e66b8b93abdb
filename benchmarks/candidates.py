"""Glossary candidates: speed on 1,000 articles against the 10 s goal, and recall/precision on unseen articles.

    python3 benchmarks/candidates.py [--articles 1000] [--sentences 20] [--seed 7] [--json]

Speed: a throwaway workspace with --articles English articles of --sentences sentences each, drawn (seeded)
from NTREX-128's 1,997 news sentences and the domain articles (source_texts/, the seeds, the five test
articles), plus one approved Russian catalog holding NTREX's human translation of every NTREX sentence, so
the suggested-target step has real work to do. Timed end to end (`candidates.find`: reading with the
language check, segmenting, extracting, suggesting), with the extraction alone beside it.

Quality: the five articles under tests/data/candidates/articles/ against the names a terminologist listed by
hand (tests/data/candidates/gold.tsv): recall = listed names found by the candidates or already in the
glossary; precision = share of the top 3 x listed candidates that are listed names. Run with the shipped
glossary and with an empty one (the extractor alone).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import polib  # noqa: E402
from candidates_eval import DATA, read_gold, score  # noqa: E402

from pipeline import candidates, glossary, sources  # noqa: E402
from pipeline.segment import segment_text  # noqa: E402
from pipeline.termmatch import Glossary  # noqa: E402

GOAL_SECONDS = 10.0


def shared_dir() -> Path:
    return Path(os.environ.get("PIPELINE_SHARED", REPO.parent / "shared"))


def ntrex_pairs() -> list[tuple[str, str]]:
    """(English, Russian) from NTREX-128 (human translations)."""
    path = shared_dir() / "ntrex128" / "ntrex128_eng_kaz_rus_arb.tsv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [(r["eng"].strip(), r["rus"].strip()) for r in rows if r["eng"].strip() and r["rus"].strip()]


def domain_sentences() -> list[str]:
    paths = [*sorted((REPO / "source_texts").glob("*.txt")), *sorted((shared_dir() / "seeds").glob("*.txt")),
             *sorted((DATA / "articles").glob("*.txt"))]
    out = []
    for path in paths:
        article = sources.read_article(path, expect_lang="en")
        out += [s.norm for s in segment_text(article.text) if s.kind == "sentence"]
    return out


def build_workspace(root: Path, n_articles: int, n_sentences: int, seed: int) -> int:
    """Write the articles and one approved ru catalog; returns how many approved entries it holds."""
    rng = random.Random(seed)
    pairs = ntrex_pairs()
    pool = [en for en, _ in pairs] + domain_sentences()
    (root / "source_texts").mkdir(parents=True)
    (root / "glossary").mkdir()
    (root / "glossary" / "terms.csv").write_bytes((REPO / "glossary" / "terms.csv").read_bytes())
    for k in range(n_articles):
        chosen = rng.sample(pool, n_sentences)
        paragraphs = [" ".join(chosen[i:i + 4]) for i in range(0, len(chosen), 4)]
        (root / "source_texts" / f"article-{k:04d}.txt").write_text(
            f"News digest number {k + 1}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": "ru"}
    seen = set()
    for en, ru in pairs:
        if en not in seen:
            seen.add(en)
            po.append(polib.POEntry(msgid=en, msgstr=ru))
    folder = root / "locales" / "ru" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po.save(str(folder / "ntrex.po"))
    return len(po)


def speed(n_articles: int, n_sentences: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        approved = build_workspace(root, n_articles, n_sentences, seed)
        start = time.perf_counter()
        report = candidates.find(root)
        total = time.perf_counter() - start
        # the same work step by step: reading (what every command does to an article), extracting, suggesting
        start = time.perf_counter()
        sentences = []
        for path in sorted((root / "source_texts").glob("*.txt")):
            article = sources.read_article(path)
            sentences += candidates.article_sentences(article, root)
        read_s = time.perf_counter() - start
        terms = glossary.load(root / "glossary")
        start = time.perf_counter()
        found = candidates.extract(sentences, terms)
        extract_s = time.perf_counter() - start
        start = time.perf_counter()
        distinct_texts = list(dict.fromkeys(s.text for s in sentences))
        texts = candidates.approved_translations(root, distinct_texts, ["kk", "ru", "ar"], [])
        candidates.add_suggestions(found, texts)
        suggest_s = time.perf_counter() - start
        suggested = [c for c in report.candidates if c.suggested]
        # the articles reuse a pool of real sentences, and a repeated sentence is read once: time the distinct
        # ones alone too and scale to the article count, the cost when no sentence repeats
        distinct = list({s.text: s for s in sentences}.values())
        start = time.perf_counter()
        candidates.extract(distinct, terms)
        per_sentence = (time.perf_counter() - start) / len(distinct)
    return {"articles": report.articles, "sentences": len(sentences), "distinct_sentences": len(distinct),
            "extraction_if_all_distinct_s": round(per_sentence * len(sentences), 2),
            "approved_ru_entries": approved, "candidates": len(found), "with_suggestion": len(suggested),
            "end_to_end_s": round(total, 2), "reading_s": round(read_s, 2), "extraction_s": round(extract_s, 2),
            "suggestions_s": round(suggest_s, 2), "goal_s": GOAL_SECONDS,
            "load_average": round(os.getloadavg()[0], 1),
            "examples": [(c.text, c.suggested.get("ru", "")) for c in suggested[:8]]}


def quality() -> dict:
    sentences = []
    for path in sorted((DATA / "articles").glob("*.txt")):
        article = sources.read_article(path)
        sentences += [candidates.Sentence(path.name, s.line, s.norm) for s in segment_text(article.text)]
    gold = read_gold()
    out = {}
    for name, terms in (("shipped glossary", glossary.load(REPO / "glossary")), ("empty glossary", Glossary([]))):
        result = score(candidates.extract(sentences, terms), gold, terms)
        out[name] = {"listed": result.listed, "in_glossary": result.found_in_glossary,
                     "found_by_candidates": result.found_by_candidates, "recall": round(result.recall, 3),
                     "judged": result.top, "precision": round(result.precision, 3), "missed": result.missed,
                     "not_listed": result.wrong}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--sentences", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = {"quality": quality(), "speed": speed(args.articles, args.sentences, args.seed)}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    for name, q in result["quality"].items():
        print(f"quality, {name}: {q['listed']} listed names, {q['in_glossary']} in the glossary, "
              f"{q['found_by_candidates']} found by candidates -> recall {q['recall']:.1%} (goal 90%); "
              f"precision {q['precision']:.1%} of the top {q['judged']} (goal 70%)")
        print(f"    missed: {', '.join(q['missed']) or '-'}")
    s = result["speed"]
    print(f"speed: {s['articles']} articles, {s['sentences']} sentences, {s['approved_ru_entries']} approved ru "
          f"entries -> {s['candidates']} candidates, {s['with_suggestion']} with a suggested target")
    work = s["extraction_s"] + s["suggestions_s"]
    print(f"    candidates (extracting + suggesting) {work:.2f} s vs goal {GOAL_SECONDS:.0f} s "
          f"({GOAL_SECONDS / work:.1f}x under it): extracting {s['extraction_s']:.2f} s "
          f"({s['distinct_sentences']} distinct sentences; were all {s['sentences']} distinct: "
          f"~{s['extraction_if_all_distinct_s']:.2f} s), suggesting {s['suggestions_s']:.2f} s")
    print(f"    reading the articles (UTF-8 and language check, segmenting; every command does it) "
          f"{s['reading_s']:.2f} s; `candidates.find` end to end {s['end_to_end_s']:.2f} s "
          f"(load average {s['load_average']} on this machine)")
    for text, ru in s["examples"]:
        print(f"    suggested: {text} => {ru}")


if __name__ == "__main__":
    main()
