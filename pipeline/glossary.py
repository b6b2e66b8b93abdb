"""Stage 3: the curated glossary of institution names and titles.

Institution names must come out the way the institutions write them. This module is the glossary as a
whole: it loads the folder of CSV files (formats/glossary_csv.py), checks it, says what each term must
become in a translation (the `terms:` comment, required targets), and exports, imports and merges it
(formats/tbx.py). Finding terms lives in termmatch.py, protecting them through MT in placeholders.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline import files
from pipeline.concepts import LANGS, Concept, GlossaryError, Problem, looks_like_acronym
from pipeline.files import read_or_none
from pipeline.formats.glossary_csv import parse_file, read_csv, write_csv
from pipeline.formats.tbx import read_tbx, write_tbx, write_tbx2
from pipeline.forms import CASES, override_problems
from pipeline.termmatch import Glossary, TermMatch, match_keys

EXPORT_FORMATS = ("tbx", "tbx2", "csv")  # what `pipeline glossary export` writes
_SAVE_ATTEMPTS = 5  # merges of an import into terms.csv that someone keeps saving, before giving up


# ---------------------------------------------------------------- loading and checking


def glossary_files(directory: Path) -> list[Path]:
    """The glossary's files, in name order (a folder named like one is not)."""
    return sorted(p for p in Path(directory).glob("*.csv") if p.is_file())


def load(directory: Path, raw: Mapping[Path, bytes] | None = None) -> Glossary:
    """The matcher over every `*.csv` in directory, in name order; GlossaryError (file:line) if malformed."""
    return Glossary(load_concepts(directory, raw))


def load_concepts(directory: Path, raw: Mapping[Path, bytes] | None = None) -> list[Concept]:
    """Concepts of every `*.csv` in directory; GlossaryError (file:line) if a file or row is malformed.
    `raw`: the files' bytes, when the caller has read them (a run checksums them too)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise GlossaryError(directory, 0, "no glossary directory here: create it with a terms.csv")
    concepts: list[Concept] = []
    seen: dict[str, str] = {}
    for path in glossary_files(directory):
        parsed = parse_file(path, (raw or {}).get(path))
        if parsed.malformed:
            first = parsed.malformed[0]
            more = f" (and {len(parsed.malformed) - 1} more; run `pipeline glossary check`)" \
                if len(parsed.malformed) > 1 else ""
            raise GlossaryError(first.path, first.line, first.message + more)
        for line, concept in parsed.rows:
            if concept.id in seen:
                raise GlossaryError(path, line, f"duplicate id {concept.id!r} (first at {seen[concept.id]})")
            seen[concept.id] = f"{path}:{line}"
            concepts.append(concept)
    return concepts


def check(directory: Path) -> list[Problem]:
    """Every problem in the glossary directory, each with file and line; empty when all is well."""
    directory = Path(directory)
    if not directory.is_dir():
        return [Problem(str(directory), 0, "no glossary directory: create it with a terms.csv")]
    files = glossary_files(directory)
    if not files:
        return [Problem(str(directory), 0, "no *.csv glossary files in this directory")]
    problems: list[Problem] = []
    ids: dict[str, str] = {}  # id -> "path:line" of its first row
    forms: dict[tuple[str, ...], _Row] = {}  # match keys of an English form -> the first row that has it
    for path in files:
        parsed = parse_file(path)
        problems += parsed.malformed + parsed.problems
        for line, concept in parsed.rows:
            row = _Row(concept, parsed.path, line)
            if concept.id in ids:
                problems.append(row.problem(f"duplicate id {concept.id!r} (first at {ids[concept.id]})"))
            else:
                ids[concept.id] = row.where
            problems += _curated_forms_problems(row)
            problems += _english_form_problems(row, forms)
    return sorted(problems, key=lambda p: (p.path, p.line))


@dataclass(frozen=True)
class _Row:
    """A concept where `check` found it (and, in `forms`, which of its English forms)."""

    concept: Concept
    path: str
    line: int
    form: str = ""

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def problem(self, message: str) -> Problem:
        return Problem(self.path, self.line, message)


def _curated_forms_problems(row: _Row) -> list[Problem]:
    """Unreadable `<lang>_forms` cells (curated inflected targets, see pipeline.forms)."""
    problems = []
    for lang in LANGS:
        cell = row.concept.extra.get(f"{lang}_forms", "")
        if cell and lang in CASES:
            problems += [row.problem(f"{message}; fix the cell or empty it")
                         for message in override_problems(cell, lang)]
    return problems


def _english_form_problems(row: _Row, forms: dict[tuple[str, ...], _Row]) -> list[Problem]:
    """A row's English forms against each other and against the rows before it (recorded in forms)."""
    concept = row.concept
    problems = []
    if not match_keys(concept.en, concept.case):
        problems.append(row.problem(f"en {concept.en!r} has no words to match"))
    own: dict[tuple[str, ...], str] = {}
    for form in (concept.en, *concept.en_variants):
        variants = match_keys(form, concept.case)
        if not variants:
            continue
        key = variants[-1]  # without quotes: `"Nur-Mubarak"` and `Nur-Mubarak` are the same form
        if key in own:
            problems.append(row.problem(f"variant {form!r} repeats {own[key]!r}"))
            continue
        own[key] = form
        if key in forms:
            problems.append(_shared_form(row, form, forms[key]))
        else:
            forms[key] = replace(row, form=form)
    return problems


def _shared_form(row: _Row, form: str, other: _Row) -> Problem:
    """Two concepts with one English form: a duplicate when they say the same, else a conflict."""
    here, there = row.concept, other.concept
    also = f"also {other.form!r} in {there.id!r} at {other.where}"
    diff = [lang for lang in LANGS if here.targets.get(lang) != there.targets.get(lang)]
    if not diff and here.dnt == there.dnt:
        return row.problem(f"duplicate term {form!r} ({also})")
    what = "; ".join(f"{lang} {here.targets.get(lang, '')!r} here, {there.targets.get(lang, '')!r} there"
                     for lang in diff) or "dnt differs"
    return row.problem(f"conflicting targets for {form!r} ({also}): {what}")


# ---------------------------------------------------------------- targets and comments


def target_forms(concept: Concept, lang: str) -> tuple[str, ...]:
    """Every accepted form in lang, preferred first; dnt without a target keeps the English forms."""
    if lang in concept.targets:
        preferred = (concept.targets[lang], *concept.target_variants.get(lang, ()))
        return preferred + ((concept.en, *concept.en_variants) if concept.dnt else ())
    if concept.dnt:
        return (concept.en, *concept.en_variants)
    return ()


def target_for(match: TermMatch, lang: str) -> str | None:
    """What replaces the match in a lang translation; None when the glossary has no target yet.

    Normally the preferred target. A person's surname written alone becomes the surname alone in the target
    (a one-word target variant, else the last word of the preferred target). An acronym in the source (SAMK,
    or "(SAMK)" after the full name) becomes the target-language acronym when the glossary lists one among the
    target variants.
    """
    concept = match.concept
    forms = target_forms(concept, lang)
    if not forms:
        return None
    preferred = forms[0]
    if concept.type == "person" and len(match.form.split()) == 1 and len(preferred.split()) > 1:
        # "President Tokayev": the surname alone becomes the target surname alone (Тоқаев, Токаев, توكاييف)
        return next((v for v in forms[1:] if len(v.split()) == 1), preferred.split()[-1])
    acronym = next((v for v in concept.target_variants.get(lang, ()) if looks_like_acronym(v)), None)
    if acronym and looks_like_acronym(match.form) and not match.abbrev:
        return acronym
    if acronym and match.abbrev:
        return f"{preferred} ({acronym})"
    return preferred


def first_per_concept(matches: Sequence[TermMatch]) -> list[TermMatch]:
    """The first match of each concept, in text order: what a reviewer is told about, once."""
    first: dict[str, TermMatch] = {}
    for m in matches:
        first.setdefault(m.concept.id, m)
    return list(first.values())


def requirement(match: TermMatch, lang: str) -> tuple[str | None, str]:
    """(target_for, the remarks a reviewer needs such as " (unconfirmed)"); both required_targets and the
    MT fallback notes say it this way, so a catalog entry never gives two answers."""
    target = target_for(match, lang)
    remarks = ""
    if target is not None and match.concept.dnt and lang not in match.concept.targets:
        remarks += " (do not translate)"
    if not match.concept.confirmed:
        remarks += " (unconfirmed)"
    return target, remarks


def required_targets(matches: Sequence[TermMatch], lang: str) -> list[tuple[str, str]]:
    """(English as matched, what the translation must say) once per concept, with notes a reviewer needs."""
    pairs = []
    for m in first_per_concept(matches):
        target, remarks = requirement(m, lang)
        pairs.append((m.text, (target if target is not None else f"(no {lang} term in the glossary yet)")
                      + remarks))
    return pairs


def term_comment(matches: Sequence[TermMatch], lang: str) -> str:
    """One line listing a segment's glossary terms and their required targets ("" when none)."""
    pairs = required_targets(matches, lang)
    return "terms: " + "; ".join(f"{source} → {target}" for source, target in pairs) if pairs else ""


# ---------------------------------------------------------------- export, import, merge


@dataclass
class MergeReport:
    concepts: list[Concept]  # the merged file's concepts, in file order
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # "id: field 'a' here, 'b' imported"


def merge_concepts(existing: Sequence[Concept], incoming: Sequence[Concept], replace_values: bool = False,
                   elsewhere: dict[str, Concept] | None = None) -> MergeReport:
    """Merge incoming concepts into existing ones by id, or by English term or variant, losing nothing.

    An incoming concept whose id is unknown but whose English term (or a variant) names a known concept is
    that concept (another tool's id: translate-toolkit uses the English term). New concepts are appended.
    For a known concept, empty cells are filled and variant lists united; a cell that
    differs is a conflict (kept as it is) unless replace_values, when the imported value wins. The
    confirmed flag only changes with replace_values. `elsewhere`: ids living in other glossary files,
    which are never rewritten here.
    """
    elsewhere = elsewhere or {}
    report = MergeReport(list(existing))
    index = {c.id: k for k, c in enumerate(report.concepts)}
    by_name = _name_index(report.concepts)
    for new in incoming:
        if new.id not in index and new.id not in elsewhere:
            same = _same_name(new, by_name)
            if same is not None:  # another tool's id for a concept we have (csv2tbx uses the English term)
                known = report.concepts[same]
                names = tuple(n for n in (new.en, *new.en_variants) if n != known.en)
                new = replace(new, id=known.id, en=known.en, en_variants=names)
        if new.id in elsewhere:
            if new != elsewhere[new.id]:
                report.conflicts.append(f"{new.id}: lives in another glossary file; edit it there")
            else:
                report.unchanged.append(new.id)
        elif new.id not in index:
            index[new.id] = len(report.concepts)
            report.concepts.append(new)
            report.added.append(new.id)
            for name in (new.en, *new.en_variants):
                by_name.setdefault(name.casefold(), index[new.id])
        else:
            old = report.concepts[index[new.id]]
            merged, conflicts = _merge_concept(old, new, replace_values)
            report.conflicts += conflicts
            if merged == old:
                report.unchanged.append(new.id)
            else:
                report.concepts[index[new.id]] = merged
                report.updated.append(new.id)
    return report


def _name_index(concepts: Sequence[Concept]) -> dict[str, int]:
    """English term and variants (case-folded) -> the first concept that has it."""
    names: dict[str, int] = {}
    for k, c in enumerate(concepts):
        for name in (c.en, *c.en_variants):
            names.setdefault(name.casefold(), k)
    return names


def _same_name(new: Concept, by_name: dict[str, int]) -> int | None:
    for name in (new.en, *new.en_variants):
        if name.casefold() in by_name:
            return by_name[name.casefold()]
    return None


@dataclass
class _Cells:
    """Merges the cells of one known concept: an empty cell is filled, a differing one is a conflict (kept)
    unless replace_values, when the imported value wins."""

    concept_id: str
    replace_values: bool
    conflicts: list[str] = field(default_factory=list)

    def pick(self, name: str, here: str, imported: str) -> str:
        if not here or here == imported:
            return imported or here
        if not imported:
            return here
        if self.replace_values:
            return imported
        self.conflicts.append(f"{self.concept_id}: {name} {here!r} here, {imported!r} imported")
        return here

    def pick_dict(self, name: str, here: dict[str, str], imported: dict[str, str]) -> dict[str, str]:
        keys = dict.fromkeys((*here, *imported))
        return {k: v for k in keys if (v := self.pick(f"{name}{k}", here.get(k, ""), imported.get(k, "")))}

    def pick_flag(self, name: str, here: bool, imported: bool) -> bool:
        if here == imported or self.replace_values:
            return imported
        self.conflicts.append(f"{self.concept_id}: {name} {'yes' if here else 'no'} here, "
                              f"{'yes' if imported else 'no'} imported")
        return here


def _union(here: tuple[str, ...], imported: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*here, *imported)))


def _merge_concept(old: Concept, new: Concept, replace_values: bool) -> tuple[Concept, list[str]]:
    """The two rows of one id as one (see merge_concepts), and the conflicts that kept old values."""
    cells = _Cells(new.id, replace_values)
    dnt = cells.pick_flag("dnt", old.dnt, new.dnt)
    case = cells.pick("case ", "" if old.case == "auto" else old.case, "" if new.case == "auto" else new.case)
    merged = replace(
        old,
        type=cells.pick("type", old.type, new.type),
        en=cells.pick("en", old.en, new.en),
        en_variants=_union(old.en_variants, new.en_variants),
        targets=cells.pick_dict("", old.targets, new.targets),
        target_variants={k: _union(old.target_variants.get(k, ()), new.target_variants.get(k, ()))
                         for k in dict.fromkeys((*old.target_variants, *new.target_variants))},
        dnt=dnt,
        notes=cells.pick("notes", old.notes, new.notes),
        sources=cells.pick_dict("source ", old.sources, new.sources),
        confirmed=new.confirmed if replace_values else old.confirmed,
        case=case or "auto",
        extra=cells.pick_dict("column ", old.extra, new.extra),
    )
    if merged.en != old.en and old.en not in merged.en_variants:
        merged = replace(merged, en_variants=(old.en, *merged.en_variants))  # the old name stays findable
    return merged, cells.conflicts


def import_file(source: Path, glossary_dir: Path, out: Path | None = None, replace_values: bool = False,
                lang_map: dict[str, str] | None = None) -> tuple[MergeReport, list[str]]:
    """Import a TBX or glossary CSV file.

    Into `out` (a new CSV) when given, else merged into glossary_dir/terms.csv. Nothing is written when
    there are conflicts (see merge_concepts). A save of terms.csv made while the import merges is kept: the
    file is replaced only if it still holds what was merged, else the merge starts again from the new save.
    Returns the merge report and the reader's warnings.
    """
    source = Path(source)
    head = source.read_bytes()[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
    if source.suffix.lower() in (".tbx", ".xml") or head.startswith(b"<"):
        incoming, warnings = read_tbx(source, lang_map)
    else:
        incoming, warnings = read_csv(source), []
    if out is not None:
        report = merge_concepts([], incoming, replace_values)
        if not report.conflicts:
            write_csv(report.concepts, out)
        return report, warnings
    target = Path(glossary_dir) / "terms.csv"
    elsewhere = {}
    if Path(glossary_dir).is_dir():
        for path in glossary_files(Path(glossary_dir)):
            if path.resolve() != target.resolve():
                elsewhere.update({c.id: c for c in read_csv(path)})
    for _attempt in range(_SAVE_ATTEMPTS):
        data = read_or_none(target)
        existing, header, newline = [], None, "\n"
        if data is not None:
            parsed = parse_file(target, data)
            if parsed.malformed:
                first = parsed.malformed[0]
                raise GlossaryError(first.path, first.line, first.message)
            existing, header = [c for _, c in parsed.rows], parsed.header
            newline = "\r\n" if parsed.crlf else "\n"
        report = merge_concepts(existing, incoming, replace_values, elsewhere)
        if report.conflicts or not (report.added or report.updated or data is None):
            return report, warnings
        if write_csv(report.concepts, target, header, newline, expected=data):
            return report, warnings
    raise GlossaryError(target, 0, f"the file kept changing while the import was merged into it "
                                   f"({_SAVE_ATTEMPTS} tries); nothing written: save your edits and import again")


def export(concepts: Sequence[Concept], out: Path, fmt: str) -> None:
    """Write concepts to out (atomically) as TBX-Basic v3, TBX v2 (martif) or glossary CSV."""
    writers = {"tbx": write_tbx, "tbx2": write_tbx2, "csv": write_csv}
    if fmt not in writers:
        raise ValueError(f"unknown export format {fmt!r}: one of {', '.join(EXPORT_FORMATS)}")
    files.output_folder(out)
    writers[fmt](concepts, out)
