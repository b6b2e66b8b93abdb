"""Scoring the candidate extractor against a hand-made list of names (tests and benchmarks share it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.candidates import Candidate, name_key
from pipeline.termmatch import Glossary

DATA = Path(__file__).resolve().parent / "data" / "candidates"


@dataclass(frozen=True)
class GoldName:
    name: str
    kind: str
    variants: tuple[str, ...]

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.name, *self.variants)


def read_gold(path: Path = DATA / "gold.tsv") -> list[GoldName]:
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, kind, variants = (line.split("\t") + ["", ""])[:3]
        names.append(GoldName(name, kind, tuple(v for v in variants.split(" | ") if v)))
    return names


def candidate_forms(c: Candidate) -> set[str]:
    """The spellings a candidate stands for; a person also as "Title Name" for a one-word title ("Pope
    Francis")."""
    forms = {c.text, *c.variants}
    if c.kind == "person":
        forms |= {f"{t} {c.text}" for t in c.titles if len(t.split()) == 1}
    return {name_key(f) for f in forms}


def in_glossary(terms: Glossary, form: str) -> bool:
    matches = terms.find(form)
    return len(matches) == 1 and matches[0].start == 0 and matches[0].end == len(form)


@dataclass
class Score:
    listed: int
    top: int  # how many candidates were judged: 3 x listed, or all when fewer
    found_by_candidates: int
    found_in_glossary: int
    correct_in_top: int
    missed: list[str]
    wrong: list[str]

    @property
    def recall(self) -> float:
        return (self.found_by_candidates + self.found_in_glossary) / self.listed

    @property
    def precision(self) -> float:
        return self.correct_in_top / self.top if self.top else 1.0


def score(candidates: list[Candidate], gold: list[GoldName], terms: Glossary) -> Score:
    top = candidates[:3 * len(gold)]
    top_forms = [candidate_forms(c) for c in top]
    found_c = found_g = 0
    missed = []
    gold_keys = set()
    for g in gold:
        keys = {name_key(f) for f in g.forms}
        gold_keys |= keys
        if any(in_glossary(terms, f) for f in g.forms):
            found_g += 1
        elif any(keys & forms for forms in top_forms):
            found_c += 1
        else:
            missed.append(g.name)
    wrong = [c.text for c, forms in zip(top, top_forms, strict=True) if not forms & gold_keys]
    return Score(len(gold), len(top), found_c, found_g, len(top) - len(wrong), missed, wrong)
