"""Protecting glossary terms through machine translation: protect -> translate -> restore.

An MT engine does not know the glossary; it paraphrases institution names. So each term with a target is
replaced by a placeholder code before the engine sees the segment, and the target goes where the code comes
back, in the grammatical form the sentence needs there (placement.py: Russian and Kazakh case, Arabic
proclitics). Engines damage codes (case, spaces, look-alike letters, glued endings, duplication, dropping);
reading is tolerant, and a segment whose codes cannot be read back exactly once each takes the engine's other
hypotheses from the same beam search, then is translated again without protection and flagged for a reviewer.

Policies per language: protect (the above), check (translate unprotected, then flag a term that is missing in
every one of its forms), off (leave terms to the engine; the `terms:` comment still lists them).

The API is three steps a caller can also run separately: `protect` (segment + matches -> Protected),
the engine, `restore` (Protected + output -> Restored); `translate_with_terms` runs them over a batch with
the fallback. No catalog, memory or CLI concern lives here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from pipeline.forms import Forms
from pipeline.glossary import first_per_concept, requirement, target_for, target_forms
from pipeline.languages import TARGET_LANGS
from pipeline.placement import Placed, Placer, Term, placeholder_pattern
from pipeline.termmatch import TermMatch

POLICIES = ("protect", "check", "off")
# texts -> every hypothesis the engine's beam kept for each text, best first (one call, like translate)
Hypotheses = Callable[[list[str]], list[list[str]]]
# source, candidate translations -> log-probability of each (higher is better)
Scorer = Callable[[str, list[str]], list[float]]


@dataclass(frozen=True)
class TermResult:
    """Outcome of translating one segment with its glossary terms protected."""

    text: str
    ok: bool  # every protected term came back and was put in place
    notes: tuple[str, ...] = ()  # for a `#.` comment when not ok
    broken: tuple[str, ...] = ()  # ids of the concepts whose placeholder went wrong (the notes name them)
    terms: tuple[Placed, ...] = ()  # each term put in place: the form chosen and whether rule or model decided
    hypothesis: int = 0  # which engine hypothesis was used (0: the best; more when placeholders broke in it)

@dataclass(frozen=True)
class Slot:
    """One protected term: the placeholder number it travels as and what replaces it afterwards."""

    number: int
    match: TermMatch
    replacement: str


@dataclass(frozen=True)
class Protected:
    """A segment ready for the engine: `text` carries placeholders where `source` has terms."""

    source: str
    text: str
    slots: tuple[Slot, ...] = ()
    source_numbers: tuple[int, ...] = ()  # codes the source itself contained (not ours), left alone
    lang: str = ""


@dataclass(frozen=True)
class Restored:
    """An engine output with the targets put in; `problems` names each placeholder that went wrong."""

    text: str
    problems: dict[int, str]  # placeholder number -> "lost or garbled" | "duplicated" | "mixed up"
    terms: tuple[Placed, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
# Latin letters and their Cyrillic look-alikes, so an engine that "transliterates" a placeholder still counts.
_HOMOGLYPHS = {
    "A": "AaАа", "B": "BbВв", "C": "CcСс", "E": "EeЕе", "H": "HhНн", "K": "KkКк", "M": "MmМм",
    "O": "OoОо", "P": "PpРр", "T": "TtТт", "X": "XxХх", "Y": "YyУу",
}


@dataclass(frozen=True)
class Placeholders:
    """The placeholder scheme: the one piece to swap if an engine handles another shape better.

    Default: code words like `XT1`, `XT2` - letters plus a number, like model numbers (MH17, A320) that news
    MT systems copy through untranslated. Reading them back is tolerant of what engines do to such codes:
    case, spaces or "_" turned into spaces, a hyphen, Cyrillic/Greek look-alike letters, Arabic-Indic digits,
    endings and proclitics glued on.
    A number already present in the source text is never used, so real codes in the text are left alone.
    """

    prefix: str = "XT"

    def pattern(self) -> re.Pattern:
        """Finds placeholders as engines return them; group 1 is the number (see placement.placeholder_pattern)."""
        return placeholder_pattern(self.prefix)

    def numbers(self, text: str) -> list[int]:
        """Placeholder numbers found in text, in order (repeats kept)."""
        return [int(m.group(1).translate(_DIGITS)) for m in self.pattern().finditer(text)]

    def protect(self, text: str, spans: Sequence[tuple[int, int]]) -> tuple[str, list[int]]:
        """Replace each (start, end) span (sorted, non-overlapping) by a placeholder; return their numbers."""
        first = max(self.numbers(text), default=0) + 1
        out, numbers, pos = [], [], 0
        for k, (start, end) in enumerate(spans):
            n = first + k
            out += [text[pos:start], f"{self.prefix}{n}"]
            numbers.append(n)
            pos = end
        out.append(text[pos:])
        return "".join(out), numbers

    def restore(self, output: str, replacements: dict[int, str],
                source_numbers: Iterable[int] = ()) -> tuple[str, dict[int, str]]:
        """Put replacements where their placeholders came back; else return {number: problem} per bad one.

        source_numbers: codes the source text itself contained (not ours). Any other number that was not
        sent means the engine garbled a placeholder, and every term of the segment needs a look.
        """
        found: dict[int, int] = {}
        for n in self.numbers(output):
            found[n] = found.get(n, 0) + 1
        problems: dict[int, str] = {}
        for n in replacements:
            count = found.get(n, 0)
            if count == 0:
                problems[n] = "lost or garbled"
            elif count > 1:
                problems[n] = "duplicated"
        strangers = set(found) - set(replacements) - set(source_numbers)
        if strangers and not problems:
            problems = dict.fromkeys(replacements, "mixed up")
        if problems:
            return output, problems

        def put(m: re.Match) -> str:
            n = int(m.group(1).translate(_DIGITS))
            return replacements.get(n, m.group(0))

        return self.pattern().sub(put, output), {}


_OPENING_QUOTES = "\"'«“„‘‹"
_CLOSING_QUOTES = "\"'»”“’›"


def _span_with_quotes(text: str, match: TermMatch, replacement: str) -> tuple[int, int]:
    """Swallow the quotes around a name when the target form brings its own («Нұр-Мүбарак»)."""
    start, end = match.start, match.end
    if replacement[:1] in _OPENING_QUOTES and replacement[-1:] in _CLOSING_QUOTES \
            and start > 0 and end < len(text) and text[start - 1] in _OPENING_QUOTES \
            and text[end] in _CLOSING_QUOTES:
        return start - 1, end + 1
    return start, end


def protect(text: str, matches: Sequence[TermMatch], lang: str, scheme: Placeholders | None = None) -> Protected:
    """Replace each match that has a lang target by a placeholder (overlaps and terms without a target stay)."""
    scheme = scheme or Placeholders()
    spans, chosen, last_end = [], [], -1
    for m in sorted(matches, key=lambda m: m.start):
        replacement = target_for(m, lang)
        if replacement is None or m.start < last_end:
            continue
        span = _span_with_quotes(text, m, replacement)
        if span[0] < last_end:
            span = (m.start, m.end)
        spans.append(span)
        chosen.append((m, replacement))
        last_end = span[1]
    protected_text, numbers = scheme.protect(text, spans)
    slots = tuple(Slot(n, m, r) for n, (m, r) in zip(numbers, chosen, strict=True))
    return Protected(text, protected_text, slots, tuple(scheme.numbers(text)), lang)


def english_plural(match: TermMatch) -> bool:
    """The source says the term in the plural: "Ambassadors" (a variant the glossary lists) for "Ambassador"."""
    text, singular = match.text.rstrip("’'"), match.concept.en
    return (text.lower().endswith("s") and not singular.lower().endswith("s") and not text.isupper()
            and text.lower() != singular.lower())


def placement_terms(protected: Protected, forms: Forms) -> list[Term]:
    """What placement needs for each slot: the forms of the replacement it carries."""
    lang = protected.lang
    terms = []
    for s in protected.slots:
        many = english_plural(s.match)
        got = forms.for_concept(s.match.concept, lang, s.replacement, plural=many) if lang else {"nom": s.replacement}
        plural = forms.for_concept(s.match.concept, lang, s.replacement, plural=True) if lang == "kk" else None
        terms.append(Term(s.number, s.match.concept.id, got, plural, s.match.concept.type))
    return terms


def restore(protected: Protected, output: str, scheme: Placeholders | None = None, placer: Placer | None = None,
            scorer: Callable[[list[str]], list[float]] | None = None) -> Restored:
    """Put the targets, in the form each spot needs, where their placeholders came back in the engine's output.

    placer: one per language and run (it keeps the forms it made); scorer: the model's log-probability of whole
    candidate sentences, consulted where the rules are unsure.
    """
    if not protected.slots:
        return Restored(output, {})
    scheme = scheme or Placeholders()
    placer = placer or Placer(protected.lang, prefix=scheme.prefix)
    placed = placer.place(output, placement_terms(protected, placer.forms), protected.source_numbers, scorer)
    return Restored(placed.text, placed.problems, placed.terms)


def fallback_notes(protected: Protected, matches: Sequence[TermMatch], problems: dict[int, str],
                   lang: str) -> list[str]:
    """One note per concept whose placeholder went wrong, naming it as the `terms:` comment does.

    The comment (glossary.required_targets) speaks of each concept's first match in the segment; so do these
    notes, whichever of its occurrences the engine broke.
    """
    concept_of = {s.number: s.match.concept.id for s in protected.slots}
    problem_of: dict[str, str] = {}
    for n, problem in sorted(problems.items()):
        problem_of.setdefault(concept_of[n], problem)
    notes = []
    for m in first_per_concept(matches):
        if m.concept.id in problem_of:
            target, remarks = requirement(m, lang)
            notes.append(f"glossary: MT {problem_of[m.concept.id]} the placeholder for “{m.text}”; this is the "
                         f"unprotected translation: make sure it says “{target}”{remarks}")
    return notes


def _present(output: str, concept_forms: Sequence[str]) -> bool:
    low = output.casefold()
    return any(form and form.casefold() in low for form in concept_forms)


def check_terms(output: str, matches: Sequence[TermMatch], lang: str, forms: Forms) -> tuple[list[str], list[str]]:
    """(notes, concept ids) for each glossary term an unprotected translation does not say in any form."""
    notes, broken = [], []
    for m in first_per_concept(matches):
        target, remarks = requirement(m, lang)
        if target is None:
            continue
        accepted = [*target_forms(m.concept, lang), target]
        for text in list(accepted):
            accepted += forms.for_concept(m.concept, lang, text).values()
            if lang in ("ru", "kk"):
                accepted += forms.for_concept(m.concept, lang, text, plural=True).values()
        if not _present(output, accepted):
            notes.append(f"glossary: the translation does not say “{target}”{remarks} (for “{m.text}”) in any "
                         "form; put it in")
            broken.append(m.concept.id)
    return notes, broken


def translate_with_terms(
    texts: Sequence[str],
    matches: Sequence[Sequence[TermMatch]],
    lang: str,
    translate: Callable[[list[str]], list[str]],
    scheme: Placeholders | None = None,
    *,
    policy: str = "protect",
    hypotheses: Hypotheses | None = None,
    scorer: Scorer | None = None,
    placer: Placer | None = None,
) -> list[TermResult]:
    """Protect terms, call the engine once for the batch, place each term in its form; fall back per segment.

    With `hypotheses` (the engine's whole beam, same call) a segment whose placeholders did not all come back
    exactly once in the best translation takes the best other hypothesis that kept each once; failing that,
    all such segments are translated again without protection in one final call and returned with ok=False
    and notes naming the terms. `scorer` (a loaded model) decides forms the rules are unsure of. Terms without a target
    in lang are left to the engine (term_comment flags them). policy: protect | check | off (see the module).
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown terms policy {policy!r}: use one of {', '.join(POLICIES)}")
    scheme = scheme or Placeholders()
    if len(texts) != len(matches):
        raise ValueError(f"{len(texts)} texts but {len(matches)} match lists")
    placer = placer or Placer(lang, prefix=scheme.prefix)
    if policy != "protect":
        outputs = list(translate(list(texts))) if texts else []
        if len(outputs) != len(texts):
            raise ValueError(f"the engine returned {len(outputs)} translations for {len(texts)} segments")
        if policy == "off":
            return [TermResult(o, True) for o in outputs]
        results = []
        for output, ms in zip(outputs, matches, strict=True):
            notes, broken = check_terms(output, ms, lang, placer.forms)
            results.append(TermResult(output, not notes, tuple(notes), tuple(broken)))
        return results

    protected = [protect(text, ms, lang, scheme) for text, ms in zip(texts, matches, strict=True)]
    sent = [p.text for p in protected]
    if not protected:
        lists: list[list[str]] = []
    elif hypotheses is not None:
        lists = [list(found) for found in hypotheses(sent)]
    else:
        lists = [[output] for output in translate(sent)]
    if len(lists) != len(texts):
        raise ValueError(f"the engine returned {len(lists)} translations for {len(texts)} segments")

    def scorer_for(i: int):
        return (lambda candidates: scorer(texts[i], candidates)) if scorer is not None else None

    results: list[TermResult | None] = [None] * len(texts)
    failed: list[tuple[int, Restored]] = []
    for i, (p, options) in enumerate(zip(protected, lists, strict=True)):
        first = restore(p, options[0] if options else "", scheme, placer, scorer_for(i))
        restored, rank = first, 0
        for other, option in enumerate(options[1:] if not first.ok else [], start=1):
            candidate = restore(p, option, scheme, placer, scorer_for(i))
            if candidate.ok:
                restored, rank = candidate, other
                break
        if restored.ok:
            results[i] = TermResult(restored.text, True, terms=restored.terms, hypothesis=rank)
        else:
            failed.append((i, first))
    if failed:
        retry = list(translate([texts[i] for i, _ in failed]))
        if len(retry) != len(failed):
            raise ValueError(f"the engine returned {len(retry)} translations for {len(failed)} segments")
        for (i, restored), output in zip(failed, retry, strict=True):
            p = protected[i]
            concept_of = {s.number: s.match.concept.id for s in p.slots}
            broken = tuple(dict.fromkeys(concept_of[n] for n in sorted(restored.problems)))
            notes = fallback_notes(p, matches[i], restored.problems, lang)
            results[i] = TermResult(output, False, tuple(notes), broken)
    return [r for r in results if r is not None]


# ---------------------------------------------------------------- for terminologists: forms and placement on demand


class TermLookupError(ValueError):
    """A concept id or English term the glossary does not have, or a malformed --term; says what to do."""


def parse_policies(values: Sequence[str] | None, langs: Sequence[str] = TARGET_LANGS) -> dict[str, str]:
    """`--terms check` (every language) or `--terms kk=check,ru=protect` -> {lang: policy}."""
    policies: dict[str, str] = {}
    for value in values or ():
        for part in filter(None, (p.strip() for p in value.split(","))):
            lang, sep, policy = part.rpartition("=")
            policy = policy.strip()
            if policy not in POLICIES:
                raise TermLookupError(f"--terms: unknown policy {policy!r}; use {' | '.join(POLICIES)}, for every "
                                      "language or per language as kk=check,ru=protect")
            if sep and lang.strip() not in langs:
                raise TermLookupError(f"--terms: unknown language {lang.strip()!r}; use one of {', '.join(langs)}")
            for code in ([lang.strip()] if sep else langs):
                policies[code] = policy
    return policies


def find_concept(gloss, query: str):
    """A concept by id, by an English form, or by the glossary term an English phrase contains."""
    query = query.strip()
    concept = gloss.get(query)
    if concept is not None:
        return concept
    matches = gloss.find(query)
    whole = [m for m in matches if m.start == 0 and m.end >= len(query.rstrip(".!?"))]
    if whole or matches:
        return (whole or matches)[0].concept
    raise TermLookupError(f"no glossary concept {query!r}: give a concept id or an English term the glossary has "
                          "(`pipeline glossary find TEXT` shows which terms a text contains)")


def term_forms(gloss, query: str, lang: str, forms: Forms | None = None) -> dict:
    """`pipeline glossary forms`: {"concept", "lang", "target", "forms": {case: text}} (curated forms included)."""
    concept = find_concept(gloss, query)
    forms = forms or Forms()
    target = concept.targets.get(lang) or (concept.en if concept.dnt else None)
    if target is None:
        raise TermLookupError(f"concept {concept.id!r} has no {lang} target yet: add it to the glossary first")
    out = {"concept": concept.id, "lang": lang, "target": target, "forms": forms.for_concept(concept, lang)}
    if lang in ("ru", "kk"):
        out["plural"] = forms.for_concept(concept, lang, plural=True)
    return out


def place_terms(gloss, lang: str, output: str, assignments: Sequence[str], scorer=None,
                scheme: Placeholders | None = None, forms: Forms | None = None) -> dict:
    """`pipeline glossary place`: an MT output with placeholders, and `XT1=CONCEPT_OR_ENGLISH` assignments.

    -> {"text", "ok", "problems": {placeholder: problem}, "terms": [{"placeholder", "concept", "form", "text",
    "decided_by"}]}.
    """
    scheme = scheme or Placeholders()
    placer = Placer(lang, forms, prefix=scheme.prefix)
    terms: list[Term] = []
    for item in assignments:
        code, sep, query = item.partition("=")
        numbers = scheme.numbers(code.strip())
        if not sep or len(numbers) != 1 or not query.strip():
            raise TermLookupError(f"--term {item!r}: write PLACEHOLDER=CONCEPT, e.g. --term {scheme.prefix}1=samk")
        concept = find_concept(gloss, query)
        if lang not in concept.targets and not concept.dnt:
            raise TermLookupError(f"concept {concept.id!r} has no {lang} target yet: add it to the glossary first")
        plural = placer.forms.for_concept(concept, lang, plural=True) if lang == "kk" else None
        terms.append(Term(numbers[0], concept.id, placer.forms.for_concept(concept, lang), plural, concept.type))
    if len({t.number for t in terms}) != len(terms):
        raise TermLookupError("--term: the same placeholder is given twice")
    placed = placer.place(output, terms, scorer=scorer)
    return {
        "text": placed.text, "ok": placed.ok,
        "problems": {f"{scheme.prefix}{n}": problem for n, problem in sorted(placed.problems.items())},
        "terms": [{"placeholder": t.placeholder, "concept": t.concept, "form": t.form, "text": t.text,
                   "decided_by": t.decided_by} for t in placed.terms],
    }
