"""Review checks (`pipeline check`): false alarms on good human translations, recall on injected mistakes, speed.

1. False alarms: NTREX-128's human kk/ru/ar references of its 1,997 English news sentences become the approved
   entries of one catalog per language (msgid = the English sentence) in a scratch workspace with this repo's
   glossary; `check` runs over them: share of entries flagged with an error, and with an error or a warning.
   Goal ≤ 3 % errors, ≤ 8 % including warnings.
2. Recall: copies of those entries with one mistake injected each (a number changed or dropped, English left in,
   Russian in a Kazakh entry, Latin ? , in Arabic, a placeholder left, a glossary term dropped, a quote left
   unbalanced); caught = the check for that mistake fires on the copy (as error or warning) and did not on the
   original. Goal ≥ 95 %.
3. Speed: the whole workspace check (reading catalogs included) on the 3 × 1,997 entries, and per entry.

    python3 benchmarks/qa.py [--shared DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import polib  # noqa: E402

from pipeline.glossary import target_forms  # noqa: E402
from pipeline.qa import Entry, check_workspace  # noqa: E402
from pipeline.qa.checker import entry_findings  # noqa: E402
from pipeline.qa.length import ratio  # noqa: E402
from pipeline.qa.script import lingua_detector  # noqa: E402
from pipeline.qa.terms import normalise, term_span  # noqa: E402
from pipeline.workflow import load_glossary  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FILES = {"en": "newstest2019-src.eng.txt", "kk": "newstest2019-ref.kaz.txt", "ru": "newstest2019-ref.rus.txt",
         "ar": "newstest2019-ref.arb.txt"}
LANGS = ("kk", "ru", "ar")
DIGITS_AR = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").replace("\r\n", "\n").rstrip("\n").split("\n")


def write_catalog(path: Path, lang: str, pairs: list[tuple[str, str]]) -> None:
    po = polib.POFile(wrapwidth=79)
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": lang}
    seen: Counter = Counter()
    for source, target in pairs:
        seen[source] += 1
        po.append(polib.POEntry(msgid=source, msgstr=target,
                                msgctxt=f"occurrence {seen[source]}" if seen[source] > 1 else None))
    path.parent.mkdir(parents=True, exist_ok=True)
    po.save(str(path))


# ---------------------------------------------------------------- injections: (name, expected check, function)

def _numbers_in_both(source: str, target: str) -> list[re.Match]:
    source_digits = {m.group(0) for m in re.finditer(r"\d+", source)}
    return [m for m in re.finditer(r"\d+", target) if m.group(0) in source_digits]


def change_number(source, target, lang, rng, **_):
    found = _numbers_in_both(source, target)
    if not found:
        return None
    m = rng.choice(found)
    digits = m.group(0)
    k = rng.randrange(len(digits))
    new = digits[:k] + str((int(digits[k]) + rng.randint(1, 8)) % 10) + digits[k + 1:]
    if new.lstrip("0") == digits.lstrip("0") or not new.lstrip("0"):
        new = str(int(digits) + 1)
    return target[:m.start()] + new + target[m.end():]


def drop_number(source, target, lang, rng, **_):
    found = _numbers_in_both(source, target)
    if not found:
        return None
    m = rng.choice(found)
    return re.sub(r"\s{2,}", " ", target[:m.start()] + target[m.end():]).strip()


def english_left(source, target, lang, rng, **_):
    words_s, words_t = source.split(), target.split()
    if len(words_s) < 8 or len(words_t) < 4:
        return None
    half = len(words_t) // 2
    return " ".join(words_t[:half] + words_s[len(words_s) // 2:])


def russian_in_kazakh(source, target, lang, rng, russian="", **_):
    return russian if lang == "kk" and russian else None


def latin_punctuation(source, target, lang, rng, **_):
    if lang != "ar" or not re.search("[،؟؛]", target):
        return None
    return target.replace("،", ",").replace("؟", "?").replace("؛", ";")


def placeholder_left(source, target, lang, rng, **_):
    words = target.split()
    if len(words) < 3:
        return None
    k = rng.randrange(len(words))
    words[k] = "XT1" if lang != "ar" or rng.random() < 0.5 else "وXT1"
    return " ".join(words)


def term_dropped(source, target, lang, rng, matches=(), **_):
    """Every form of the first concept the translation has, removed (positions of the original text only when
    normalising keeps its length)."""
    if len(normalise(target)) != len(target):
        return None
    for m in matches:
        dropped = target
        for form in target_forms(m.concept, lang):
            while span := term_span(dropped, form, lang):
                dropped = re.sub(r"\s{2,}", " ", dropped[:span[0]] + dropped[span[1]:]).strip()
        if dropped != target:
            return dropped
    return None


def unbalanced_quote(source, target, lang, rng, **_):
    closers = [m.start() for m in re.finditer("[»”\")]", target)]
    if closers:
        k = rng.choice(closers)
        return target[:k] + target[k + 1:]
    words = target.split()
    if len(words) < 3:
        return None
    k = rng.randrange(1, len(words))
    mark = "«" if lang in ("ru", "kk") else '"'
    words[k] = mark + words[k]
    return " ".join(words)


INJECTIONS = (
    ("number changed", "numbers", change_number),
    ("number dropped", "numbers", drop_number),
    ("English left in", "english", english_left),
    ("Russian in a Kazakh entry", "script", russian_in_kazakh),
    ("Latin ? , in Arabic", "punctuation", latin_punctuation),
    ("placeholder left", "placeholders", placeholder_left),
    ("term dropped", "terms", term_dropped),
    ("unbalanced quote", "brackets", unbalanced_quote),
)


def workspace_speed(text: dict[str, list[str]], articles: int,
                    per_article: int = 20) -> tuple[int, float, float, float]:
    """A workspace of `articles` articles × 3 languages, 20 approved NTREX entries each: (entries, seconds in one
    process, seconds with the process pool, CPU seconds of the one-process run)."""
    n = len(text["en"])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(REPO / "glossary", root / "glossary")
        for lang in LANGS:
            for a in range(articles):
                rows = [(a * per_article + k) % n for k in range(per_article)]
                write_catalog(root / "locales" / lang / "LC_MESSAGES" / f"a{a:04}.po", lang,
                              [(text["en"][i], text[lang][i]) for i in rows])
        cpu = time.process_time()
        start = time.perf_counter()
        terms = load_glossary(root)
        report = check_workspace(root, LANGS, glossary=terms, workers=1)
        serial, cpu = time.perf_counter() - start, time.process_time() - cpu
        start = time.perf_counter()
        check_workspace(root, LANGS, glossary=terms)
        parallel = time.perf_counter() - start
    return report.entries, serial, parallel, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--articles", type=int, default=1000, help="size of the speed workspace (0: skip)")
    args = parser.parse_args()
    folder = args.shared / "ntrex128"
    text = {lang: read_lines(folder / name) for lang, name in FILES.items()}
    n = len(text["en"])
    assert all(len(lines) == n for lines in text.values()), "NTREX files are not line-aligned"

    # 1. false alarms: a scratch workspace with one approved catalog per language
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(REPO / "glossary", root / "glossary")
        for lang in LANGS:
            write_catalog(root / "locales" / lang / "LC_MESSAGES" / "ntrex.po", lang,
                          list(zip(text["en"], text[lang], strict=True)))
        start = time.perf_counter()
        report = check_workspace(root, LANGS, glossary=load_glossary(root))
        elapsed = time.perf_counter() - start
    flagged: dict[str, dict[str, set]] = {lang: {"error": set(), "warning": set()} for lang in LANGS}
    per_check: dict[str, Counter] = defaultdict(Counter)
    for p in report.problems:
        flagged[p.lang][p.severity].add((p.msgid, p.line))
        per_check[p.check][(p.lang, p.severity)] += 1
    alarms = {}
    for lang in LANGS:
        errors = flagged[lang]["error"]
        either = errors | flagged[lang]["warning"]
        alarms[lang] = {"entries": n, "error": len(errors), "error_pct": 100 * len(errors) / n,
                        "any": len(either), "any_pct": 100 * len(either) / n}

    # 2. recall on injected mistakes
    glossary = load_glossary(REPO)
    detect = lingua_detector()
    rng = random.Random(13)
    recall: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    missed: dict[str, list] = defaultdict(list)
    for lang in LANGS:
        for k, (source, target) in enumerate(zip(text["en"], text[lang], strict=True)):
            matches = glossary.find(source)
            original = {f.check for f in entry_findings(Entry(source, target, lang), matches, detect)}
            for name, expected, inject in INJECTIONS:
                bad = inject(source, target, lang, rng, matches=matches, russian=text["ru"][k])
                if bad is None or bad == target or expected in original:
                    continue
                findings = [f for f in entry_findings(Entry(source, bad, lang), matches, detect)
                            if f.check == expected]
                row = recall[name][lang]
                row[0] += 1
                if findings:
                    row[1] += 1
                    row[2] += any((f.severity or "error") == "error" for f in findings)
                elif len(missed[name]) < 3:
                    missed[name].append((lang, source[:80], bad[:120]))

    # length ratio percentiles, for the bounds in pipeline/qa/length.py
    quantiles = {}
    for lang in LANGS:
        ratios = sorted(ratio(s, t) for s, t in zip(text["en"], text[lang], strict=True))
        quantiles[lang] = {q: round(ratios[int(q / 100 * (n - 1))], 2) for q in (0.5, 50, 99.5)}

    result = {"false_alarms": alarms, "by_check": {c: {f"{lang} {sev}": v for (lang, sev), v in cnt.items()}
                                                    for c, cnt in sorted(per_check.items())},
              "recall": {name: {lang: {"injected": r[0], "caught": r[1], "as_error": r[2]}
                                for lang, r in langs.items()} for name, langs in recall.items()},
              "seconds": round(elapsed, 2), "entries_checked": report.entries, "length_ratio_percentiles": quantiles}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print(f"1. False alarms on NTREX-128 human references ({n} sentences per language)")
    print(f"{'lang':<6}{'errors':>10}{'errors %':>10}{'err+warn':>10}{'any %':>8}   goal ≤3 % / ≤8 %")
    for lang, a in alarms.items():
        print(f"{lang:<6}{a['error']:>10}{a['error_pct']:>9.1f}%{a['any']:>10}{a['any_pct']:>7.1f}%")
    print("\n   problems per check (entries may have several)")
    print(f"   {'check':<14}" + "".join(f"{lang + ' err':>9}{lang + ' warn':>9}" for lang in LANGS))
    for check, cnt in sorted(per_check.items()):
        print(f"   {check:<14}" + "".join(f"{cnt[(lang, 'error')]:>9}{cnt[(lang, 'warning')]:>9}" for lang in LANGS))
    print("\n2. Recall on injected mistakes: caught / injected (as error)")
    print(f"{'mistake':<28}{'check':<14}" + "".join(f"{lang:>18}" for lang in LANGS) + f"{'all':>10}")
    total = [0, 0]
    for name, expected, _ in INJECTIONS:
        cells, tot = [], [0, 0, 0]
        for lang in LANGS:
            r = recall[name].get(lang)
            if not r or not r[0]:
                cells.append(f"{'-':>18}")
                continue
            tot = [a + b for a, b in zip(tot, r, strict=True)]
            cells.append(f"{f'{r[1]}/{r[0]} ({r[2]})':>18}")
        share = f"{100 * tot[1] / tot[0]:.1f}%" if tot[0] else "-"
        total = [total[0] + tot[0], total[1] + tot[1]]
        print(f"{name:<28}{expected:<14}" + "".join(cells) + f"{share:>10}")
    print(f"{'all mistakes':<42}{'':>54}{100 * total[1] / max(total[0], 1):>9.1f}%   goal ≥95 %")
    for name, rows in missed.items():
        for lang, _source, bad in rows:
            print(f"   missed [{name}] {lang}: {bad!r}")
    print(f"\n3. Speed: {report.entries} entries in 3 catalogs checked in {elapsed:.2f} s "
          f"({1000 * elapsed / max(report.entries, 1):.2f} ms per entry, reading included)")
    if args.articles:
        entries, serial, parallel, cpu = workspace_speed(text, args.articles)
        print(f"   {args.articles:,}-article workspace ({3 * args.articles:,} catalogs, {entries:,} entries): "
              f"{serial:.1f} s in one process, {parallel:.1f} s on {os.cpu_count()} cores "
              f"(CPU time of the one-process check: {cpu:.1f} s)")
    print("   length ratio percentiles (p0.5, median, p99.5): "
          + "; ".join(f"{lang} {q[0.5]} {q[50]} {q[99.5]}" for lang, q in quantiles.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
