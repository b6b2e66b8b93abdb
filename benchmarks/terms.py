"""Glossary terms in the form the sentence needs: forms correct per case, placement accuracy, placements/s.

    python3 benchmarks/terms.py [--seconds 2] [--json]

Data: benchmarks/data/terms_placement.json, written for this repo by hand — target-language sentences as an MT
engine returns them (placeholders for glossary names, damaged the ways real models damage them: case, spaces,
Cyrillic look-alikes, Arabic digits or spelled letters, stutters, glued Kazakh endings, glued Arabic clitics),
each with the sentence a translator expects, over different concepts and contexts; and the expected case forms
of a set of glossary targets. The shipped glossary (glossary/terms.csv) gives the terms.

Also, when the shared material is there (../shared or $PIPELINE_SHARED): the Kazakh ending rules against the
NTREX-128 Kazakh reference — every capitalised word that also occurs bare in it with a non-possessive case
ending glued on (Париждің / Париж), and whether our rule makes the same word.

Reported: forms correct per language and case; placement accuracy per language (the whole sentence must equal
the expected one; for Arabic that is the clitic joining); and placement speed without a model, side by side with
the plain substitution the pipeline did before (each placeholder replaced by the citation form), over the same
sentences. Goals: >= 90% ru, >= 85% kk, 100% Arabic clitic joining, >= 5,000 sentences/s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline import glossary  # noqa: E402
from pipeline.forms import Forms, kk  # noqa: E402
from pipeline.placeholders import Placeholders  # noqa: E402
from pipeline.placement import Placer, Term  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "terms_placement.json"
GOALS = {"ru": 0.90, "kk": 0.85, "ar": 1.0}


def _terms(gloss, forms: Forms, lang: str, assignment: dict[str, str]) -> list[Term]:
    scheme = Placeholders()
    out = []
    for code, concept_id in assignment.items():
        concept = gloss.get(concept_id)
        if concept is None:
            raise SystemExit(f"{DATA}: unknown concept {concept_id!r}")
        plural = forms.for_concept(concept, lang, plural=True) if lang == "kk" else None
        out.append(Term(scheme.numbers(code)[0], concept_id, forms.for_concept(concept, lang), plural))
    return out


_KK_ENDINGS = {"gen": ("ның", "нің", "дың", "дің", "тың", "тің"), "dat": ("ға", "ге", "қа", "ке"),
               "acc": ("ны", "ні", "ды", "ді", "ты", "ті"), "loc": ("да", "де", "та", "те"),
               "abl": ("дан", "ден", "тан", "тен", "нан", "нен"), "ins": ("мен", "бен", "пен")}


def kazakh_reference(shared: Path) -> tuple[int, int, list[str]] | None:
    """(agree, total, examples of disagreement) of our endings vs NTREX-128's Kazakh names; None without it."""
    path = shared / "ntrex128" / "newstest2019-ref.kaz.txt"
    if not path.is_file():
        return None
    words = re.findall(r"[А-ЯӘҒҚҢӨҰҮҺІа-яәғқңөұүһіё]+(?:-[А-ЯӘҒҚҢӨҰҮҺІа-яәғқңөұүһіё]+)*",
                       path.read_text(encoding="utf-8"))
    names: dict[str, int] = defaultdict(int)
    for word in words:
        if word[0].isupper():
            names[word] += 1
    agree = total = 0
    wrong: list[str] = []
    for word, count in names.items():
        for case, endings in _KK_ENDINGS.items():
            for ending in endings:
                stem = word[: -len(ending)]
                if word.endswith(ending) and len(stem) >= 3 and stem in names and not stem.isupper() \
                        and not stem.lower().endswith(("ы", "і")):  # a possessive takes other endings
                    made = kk.decline(stem)[case]
                    total += count
                    if made == word:
                        agree += count
                    else:
                        wrong.append(f"{word} (ours {made})")
    return agree, total, wrong


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=2.0, help="how long to time each placement loop")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--show-misses", action="store_true", help="print each wrong sentence or form")
    ap.add_argument("--shared", type=Path, default=Path(os.environ.get("PIPELINE_SHARED", REPO.parent / "shared")),
                    help="the shared test material (NTREX-128), for the Kazakh reference check")
    args = ap.parse_args()

    data = json.loads(DATA.read_text(encoding="utf-8"))
    gloss = glossary.load(REPO / "glossary")
    forms = Forms()

    # forms per case
    per_case: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    misses: list[str] = []
    for item in data["forms"]:
        got = forms.for_concept(gloss.get(item["concept"]), item["lang"])
        for case, expected in item["forms"].items():
            ok = got.get(case) == expected
            per_case[(item["lang"], case)][0] += ok
            per_case[(item["lang"], case)][1] += 1
            if not ok:
                misses.append(f"form {item['lang']} {item['concept']} {case}: {got.get(case)!r} != {expected!r}")

    # placement accuracy
    placers = {lang: Placer(lang, forms) for lang in ("ru", "kk", "ar")}
    cases = [(item, _terms(gloss, forms, item["lang"], item["terms"])) for item in data["placement"]]
    per_lang: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for item, terms in cases:
        placed = placers[item["lang"]].place(item["output"], terms)
        ok = placed.ok and placed.text == item["expected"]
        per_lang[item["lang"]][0] += ok
        per_lang[item["lang"]][1] += 1
        if not ok:
            misses.append(f"place {item['lang']}: {placed.text!r} != {item['expected']!r}")

    # speed: placement (warm, one Placer per language as in a run) vs plain substitution
    scheme = Placeholders()
    plain = [(item["output"], {t.number: t.forms.get("nom") or t.forms.get("plain") for t in terms})
             for item, terms in cases]

    def timed(work) -> float:
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < args.seconds:
            work()
            done += len(cases)
        return done / (time.perf_counter() - start)

    placement_rate = timed(lambda: [placers[i["lang"]].place(i["output"], t) for i, t in cases])
    plain_rate = timed(lambda: [scheme.restore(o, r) for o, r in plain])
    cold = Forms()
    cold_placers = {lang: Placer(lang, cold) for lang in ("ru", "kk", "ar")}
    start = time.perf_counter()
    for item, _ in cases:
        cold_placers[item["lang"]].place(item["output"], _terms(gloss, cold, item["lang"], item["terms"]))
    cold_time = time.perf_counter() - start

    reference = kazakh_reference(args.shared)
    figures = {
        "sentences": {lang: n for lang, (_, n) in per_lang.items()},
        "forms_correct": {f"{lang}.{case}": f"{ok}/{n}" for (lang, case), (ok, n) in sorted(per_case.items())},
        "placement_accuracy": {lang: round(ok / n, 4) for lang, (ok, n) in per_lang.items()},
        "placements_per_s": round(placement_rate), "plain_substitution_per_s": round(plain_rate),
        "cold_first_pass_s": round(cold_time, 3),
        "kk_endings_vs_ntrex": None if reference is None else f"{reference[0]}/{reference[1]}",
    }
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        print(f"data: {DATA.relative_to(REPO)}: {len(cases)} sentences "
              f"({', '.join(f'{n} {lang}' for lang, n in figures['sentences'].items())}), "
              f"{len(data['forms'])} concepts' forms")
        print("forms correct per case:")
        for lang in ("ru", "kk"):
            row = [f"{case} {ok}/{n}" for (lg, case), (ok, n) in per_case.items() if lg == lang]
            print(f"  {lang}: " + ", ".join(row))
        print("placement accuracy (whole sentence as expected):")
        for lang in ("ru", "kk", "ar"):
            ok, n = per_lang[lang]
            goal = GOALS[lang]
            print(f"  {lang}: {ok}/{n} = {ok / n:6.1%}   goal {goal:.0%}  {'ok' if ok / n >= goal else 'BELOW GOAL'}")
        print(f"speed without a model (2 shared cores): placement {placement_rate:,.0f} sentences/s vs plain "
              f"substitution {plain_rate:,.0f} sentences/s ({plain_rate / placement_rate:.1f}x slower for the forms); "
              f"goal 5,000/s {'ok' if placement_rate >= 5000 else 'BELOW GOAL'}")
        print(f"cold first pass (pymorphy3 load, forms made): {cold_time:.3f} s for {len(cases)} sentences")
        if reference is None:
            print(f"Kazakh endings vs NTREX-128: skipped ({args.shared} has no ntrex128/)")
        else:
            agree, total, wrong = reference
            print(f"Kazakh endings vs NTREX-128's Kazakh reference (names seen bare and with a case ending): "
                  f"{agree}/{total} = {agree / total:.1%} the same; differing, e.g.: {', '.join(wrong[:6])}")
    if args.show_misses or not args.json:
        for miss in misses:
            print("  miss: " + miss, file=sys.stderr)


if __name__ == "__main__":
    main()
