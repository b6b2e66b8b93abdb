"""Stage 3: the curated glossary of institution names and titles.

Institution names must come out the way the institutions write them. This module reads the curated CSV
glossary, finds its terms in English segments (spelling-, dash-, quote- and case-tolerant), protects them
through machine translation and puts the preferred target term in place afterwards. It also checks,
exports (TBX-Basic, CSV) and imports the glossary.

File format (`glossary/*.csv`, UTF-8, RFC 4180), one concept per row:
`id,type,en,en_variants,kk,kk_variants,ru,ru_variants,ar,ar_variants,dnt,confirmed,kk_source,ru_source,
ar_source,notes` - variants separated by ` | `, dnt `yes`/empty, confirmed `yes`/`no`. Optional extra columns:
`case` (`auto` | `sensitive` | `insensitive`); any other extra column is carried along untouched.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from xml.etree import ElementTree as ET

from pipeline import TARGET_LANGS
from pipeline.files import atomic_write_text

LANGS = TARGET_LANGS
COLUMNS = (
    "id", "type", "en", "en_variants", "kk", "kk_variants", "ru", "ru_variants", "ar", "ar_variants",
    "dnt", "confirmed", "kk_source", "ru_source", "ar_source", "notes",
)
OPTIONAL_COLUMNS = ("case",)
TYPES = ("institution", "title", "place", "event", "document", "organisation", "person", "media")
CASE_RULES = ("auto", "sensitive", "insensitive")
VARIANT_SEPARATOR = " | "
EXPORT_FORMATS = ("tbx", "csv")  # what `pipeline glossary export` writes


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class Concept:
    id: str
    type: str  # institution | title | place | event | document | organisation | person
    en: str
    en_variants: tuple[str, ...] = ()
    targets: dict[str, str] = field(default_factory=dict)  # lang -> preferred term
    target_variants: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dnt: bool = False  # do not translate (keep the English form)
    notes: str = ""
    sources: dict[str, str] = field(default_factory=dict)  # lang -> citation
    confirmed: bool = True
    # Added (optional CSV columns): how letter case counts when matching; columns this module does not know.
    case: str = "auto"  # auto: acronyms (SAMK, UN) exact, everything else case-insensitive
    extra: dict[str, str] = field(default_factory=dict)

    def __hash__(self) -> int:  # the dict fields are never mutated; lets matches go into sets and dict keys
        return hash((self.id, self.en))


@dataclass(frozen=True)
class TermMatch:
    text: str  # as it appears in the segment
    start: int
    end: int
    concept: Concept
    form: str = ""  # the glossary form (en or one of en_variants) that matched
    abbrev: str = ""  # "SAMK" when the match swallowed "(SAMK)" after the full name


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class TermResult:
    """Outcome of translating one segment with its glossary terms protected."""

    text: str
    ok: bool  # every protected term came back and was put in place
    notes: tuple[str, ...] = ()  # for a `#.` comment when not ok
    broken: tuple[str, ...] = ()  # ids of the concepts whose placeholder went wrong (the notes name them)


class GlossaryError(ValueError):
    """A glossary file that cannot be used as it is; the message names file and line and what to do."""

    def __init__(self, path: str | Path, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = str(path), line, message


# ---------------------------------------------------------------- text normalisation for matching

# One-to-one character map, so offsets in the normalised text are offsets in the original.
_CHAR_MAP = str.maketrans(
    {
        **dict.fromkeys("\u2019\u2018\u201b\u02bc\u02bb\u2032\u00b4`\uff07", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a\u2033\uff02", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
    }
)
# Words (with inner apostrophes, but a possessive 's split off), or one punctuation mark. Hyphens, dashes and
# spaces separate words and are never tokens: "Nur-Mubarak" = "Nur Mubarak" = "Nur–Mubarak". Quotes are tokens
# (all one key), optional inside a glossary form: the form `University "Nur-Mubarak"` matches the text with
# or without quotes, and a match never starts or ends between a quote and its word.
_TOKEN = re.compile(r"\w+(?:'(?![sS]\b)\w+)*|'[sS]\b|[^\w\s-]")
_QUOTE_KEY = '"'

_SPELLING_WORDS = {
    "programme": "program", "programmes": "programs", "defence": "defense", "offence": "offense",
    "licence": "license", "pretence": "pretense", "practise": "practice", "practised": "practiced",
    "practising": "practicing", "judgement": "judgment", "ageing": "aging", "enrolment": "enrollment",
    "fulfil": "fulfill", "grey": "gray", "jewellery": "jewelry", "cheque": "check", "plough": "plow",
    "mould": "mold", "sceptic": "skeptic", "aluminium": "aluminum", "storey": "story", "kerb": "curb",
}
_SPELLING_RULES = (
    (re.compile(r"^(\w{3,})ogue(s?)$"), r"\1og\2"),  # dialogue, catalogue, synagogue
    (re.compile(r"^(\w+)(t|b)re(s|d)?$"), r"\1\2er\3"),  # centre, theatre, metre, fibre
    (re.compile(r"^(\w{2,})is(e|es|ed|ing|er|ers|ation|ations|ational|able)$"), r"\1iz\2"),  # organise
    (re.compile(r"^(\w{2,})ys(e|es|ed|ing)$"), r"\1yz\2"),  # analyse
    (re.compile(r"^(\w{3,})our(s|ed|ing|able|ite|ites|less)?$"), r"\1or\2"),  # honour, labour, behaviour
    (re.compile(r"^(\w{3,}[aeiou])ll(ed|ing|er|ers|or|ors)$"), r"\1l\2"),  # counsellor, travelled
)


def _spelling(word: str) -> str:
    """British -> American canonical spelling of a casefolded word (both sides of a match go through it)."""
    known = _SPELLING_WORDS.get(word)
    if known is not None:
        return known
    if not word.isascii():
        return word
    for pattern, repl in _SPELLING_RULES:
        new, n = pattern.subn(repl, word)
        if n:
            return new
    return word


def _is_word(token: str) -> bool:
    return token[0].isalnum() or token[0] == "_" or token[:2].lower() == "'s"


def _fold_key(token: str) -> str:
    if token == "'":
        return _QUOTE_KEY
    if not _is_word(token):
        return token
    return _spelling(token.casefold())


def _form_keys(form: str, case: str) -> tuple[str, ...]:
    """Trie keys of a glossary form: case-sensitive tokens carry a '=' marker and match only exactly."""
    keys = []
    for token in _TOKEN.findall(unicodedata.normalize("NFC", form).translate(_CHAR_MAP)):
        exact = _is_word(token) and (
            case == "sensitive" or (case == "auto" and len(token) >= 2 and token.isupper())
        )
        keys.append("=" + token if exact else _fold_key(token))
    return tuple(keys)


def _form_variants(keys: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The keys as written, and without quotes when there are any (empty when nothing but quotes)."""
    bare = tuple(k for k in keys if k != _QUOTE_KEY)
    if not bare:
        return []
    return [keys, bare] if bare != keys else [keys]


def _initials(form: str) -> str:
    return "".join(t[0].upper() for t in _TOKEN.findall(form.translate(_CHAR_MAP)) if t[0].isalnum())


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


# ---------------------------------------------------------------- matching


@dataclass(frozen=True)
class _Form:
    concept: Concept
    form: str


_END = ""  # trie key of the terminal slot; no token is empty


class Glossary:
    """Matcher over all concepts: a trie over normalised word tokens, longest leftmost match first."""

    def __init__(self, concepts: Sequence[Concept]):
        self.concepts: tuple[Concept, ...] = tuple(concepts)
        self._by_id = {c.id: c for c in self.concepts}
        self._root: dict = {}
        self._memo: dict[str, tuple[str, str | None, bool]] = {}
        for concept in self.concepts:
            for form in (concept.en, *concept.en_variants):
                for keys in _form_variants(_form_keys(form, concept.case)):
                    node = self._root
                    for key in keys:
                        node = node.setdefault(key, {})
                    if _END not in node:  # the first concept (file order) wins; `check` reports the clash
                        node[_END] = _Form(concept, form)

    def __len__(self) -> int:
        return len(self.concepts)

    def get(self, concept_id: str) -> Concept | None:
        return self._by_id.get(concept_id)

    @classmethod
    def load(cls, directory: Path) -> Glossary:
        """All `*.csv` in the directory, in name order; GlossaryError (file:line) on a malformed file."""
        return cls(load_concepts(directory))

    def _keys(self, token: str) -> tuple[str, str | None, bool]:
        """(folded key, exact key, can start a term) of a text token, memoised: news reuses its words."""
        keys = self._memo.get(token)
        if keys is None:
            if len(self._memo) > 200_000:
                self._memo.clear()
            fk, ek = _fold_key(token), "=" + token if _is_word(token) else None
            keys = (fk, ek, fk in self._root or ek in self._root)
            self._memo[token] = keys
        return keys

    def find(self, text: str) -> list[TermMatch]:
        """Longest, non-overlapping matches in text order."""
        norm = text.translate(_CHAR_MAP)
        tokens = _TOKEN.findall(norm)
        memo, lookup = self._memo, self._keys
        keys = [memo.get(t) or lookup(t) for t in tokens]
        candidates = [i for i, k in enumerate(keys) if k[2]]
        if not candidates:
            return []
        spans = _Spans(norm, tokens)
        matches: list[TermMatch] = []
        done = 0
        for i in candidates:
            if i < done:
                continue
            end, form = self._walk(self._root, keys, i)
            if form is None:
                continue
            start_char, end_char = spans.start(i), spans.end(end - 1)
            abbrev = ""
            close = self._abbreviation(keys, tokens, end, form)
            if close:
                abbrev = text[spans.start(end + 1):spans.end(close - 1)]
                end_char, end = spans.end(close), close + 1
            matches.append(TermMatch(text[start_char:end_char], start_char, end_char, form.concept,
                                     form.form, abbrev))
            done = end
        return matches

    @staticmethod
    def _walk(root: dict, keys: list, i: int) -> tuple[int, _Form | None]:
        """Follow the trie from token i as far as it goes; the longest terminal wins."""
        best_end, best = i, None
        states = [s for s in (root.get(keys[i][0]), root.get(keys[i][1])) if s is not None]
        j = i + 1
        n = len(keys)
        while states:
            for s in states:
                f = s.get(_END)
                if f is not None:
                    best_end, best = j, f
                    break
            if j >= n:
                break
            fk, ek, _ = keys[j]
            nxt = []
            for s in states:
                c = s.get(fk)
                if c is not None:
                    nxt.append(c)
                if ek is not None:
                    c = s.get(ek)
                    if c is not None:
                        nxt.append(c)
            states = nxt
            j += 1
        return best_end, best

    def _abbreviation(self, keys: list, tokens: list[str], end: int, form: _Form) -> int:
        """Token index of ')' when "(ABBR)" right after the match abbreviates the same concept, else 0.

        "(SAMK)" after "Spiritual Administration of Muslims of Kazakhstan" joins that match: one term, one
        placeholder, so MT cannot split the name from its abbreviation. Accepted: another form of the same
        concept, or an all-capitals word whose letters are initials of the name, in order.
        """
        if end + 2 >= len(keys) or keys[end][0] != "(":
            return 0
        for close in range(end + 2, min(end + 8, len(keys))):
            if keys[close][0] == ")":
                break
        else:
            return 0
        inner = keys[end + 1:close]
        node = self._root
        for fk, ek, _ in inner:
            child = node.get(fk)
            node = child if child is not None else node.get(ek)
            if node is None:
                break
        else:
            f = node.get(_END)
            if f is not None:  # another concept's name in parentheses is a term of its own
                return close if f.concept is form.concept else 0
        if close == end + 2:
            word = tokens[end + 1]
            if 2 <= len(word) <= 12 and word.isupper() and word.isalpha() \
                    and word[0] == _initials(form.form)[:1] and _is_subsequence(word, _initials(form.form)):
                return close
        return 0


class _Spans:
    """Character offsets of tokens, found only as far as a match needs them.

    Tokens are separated by nothing but spaces and hyphens, which no token contains, so the next
    occurrence of a token's text after the previous token is that token.
    """

    def __init__(self, norm: str, tokens: list[str]):
        self.norm, self.tokens, self.starts, self.pos = norm, tokens, [], 0

    def start(self, k: int) -> int:
        starts, tokens = self.starts, self.tokens
        while len(starts) <= k:
            token = tokens[len(starts)]
            at = self.norm.find(token, self.pos)
            starts.append(at)
            self.pos = at + len(token)
        return starts[k]

    def end(self, k: int) -> int:
        return self.start(k) + len(self.tokens[k])


# ---------------------------------------------------------------- reading the CSV files


@dataclass
class _Parsed:
    path: str
    header: list[str]
    rows: list[tuple[int, Concept]]  # (line, concept)
    malformed: list[Problem]  # the file or a row cannot be read as intended: load refuses
    problems: list[Problem]  # content to fix: check reports, load tolerates
    crlf: bool = False


def _split_variants(cell: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in cell.split("|") if v.strip()) if cell.strip() else ()


def _parse_file(path: Path) -> _Parsed:
    shown = str(path)
    parsed = _Parsed(shown, [], [], [], [])
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        parsed.malformed.append(Problem(shown, line, "not UTF-8: save the file as UTF-8"))
        return parsed
    parsed.crlf = "\r\n" in text
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    previous_end = 0
    header: list[str] | None = None
    try:
        for record in reader:
            line, previous_end = previous_end + 1, reader.line_num
            if not record or all(not cell.strip() for cell in record):
                if record and header is not None:
                    parsed.problems.append(Problem(shown, line, "empty row"))
                continue
            if header is None:
                header = [h.strip() for h in record]
                parsed.header = header
                missing = [c for c in COLUMNS if c not in header]
                dupes = sorted({h for h in header if header.count(h) > 1})
                if missing or dupes or "" in header:
                    what = []
                    if missing:
                        what.append("missing column(s) " + ", ".join(missing))
                    if dupes:
                        what.append("repeated column(s) " + ", ".join(dupes))
                    if "" in header:
                        what.append("a column without a name")
                    parsed.malformed.append(Problem(
                        shown, line, "bad header: " + "; ".join(what) + ". Expected: " + ",".join(COLUMNS)))
                    return parsed
                continue
            if len(record) != len(header):
                parsed.malformed.append(Problem(
                    shown, line, f"row has {len(record)} cells, the header has {len(header)}: "
                    "quote cells that contain commas"))
                continue
            concept = _row_to_concept(dict(zip(header, record, strict=True)), shown, line, parsed)
            if concept is not None:
                parsed.rows.append((line, concept))
    except csv.Error as exc:
        line = reader.line_num or previous_end + 1
        parsed.malformed.append(Problem(shown, line, f"broken CSV quoting: {exc}"))
    if header is None:
        parsed.malformed.append(Problem(shown, 1, "empty file: expected the header " + ",".join(COLUMNS)))
    return parsed


def _row_to_concept(row: dict[str, str], path: str, line: int, parsed: _Parsed) -> Concept | None:
    problems, malformed = parsed.problems, parsed.malformed

    for name, value in row.items():
        if value != value.strip():
            problems.append(Problem(path, line, f"stray spaces around {name} {value!r}"))
        for part in value.split("|")[1:-1] if name.endswith("_variants") else ():
            if not part.strip():
                problems.append(Problem(path, line, f"empty variant in {name}: remove the extra ' | '"))
        if name.endswith("_variants") and value.strip() and (
                value.strip().startswith("|") or value.strip().endswith("|")):
            problems.append(Problem(path, line, f"empty variant in {name}: remove the extra ' | '"))
    cell = {k: v.strip() for k, v in row.items()}
    ok = True
    if not cell["id"]:
        malformed.append(Problem(path, line, "empty id: every concept needs a unique id"))
        ok = False
    if not cell["en"]:
        malformed.append(Problem(path, line, "empty en: every concept needs its English term"))
        ok = False
    if cell["dnt"].lower() not in ("", "yes", "no"):
        malformed.append(Problem(path, line, f"dnt is {cell['dnt']!r}: write yes or leave it empty"))
        ok = False
    if cell["confirmed"].lower() not in ("", "yes", "no"):
        malformed.append(Problem(path, line, f"confirmed is {cell['confirmed']!r}: write yes or no"))
        ok = False
    case = cell.get("case", "").lower() or "auto"
    if case not in CASE_RULES:
        rules = ", ".join(CASE_RULES)
        malformed.append(Problem(path, line, f"case is {cell['case']!r}: write one of {rules}"))
        ok = False
    if not ok:
        return None

    dnt = cell["dnt"].lower() == "yes"
    confirmed = cell["confirmed"].lower() == "yes"
    if not cell["type"]:
        problems.append(Problem(path, line, f"empty type: write one of {', '.join(TYPES)}"))
    elif cell["type"] not in TYPES:
        types = ", ".join(TYPES)
        problems.append(Problem(path, line, f"unknown type {cell['type']!r}: write one of {types}"))
    if not cell["confirmed"]:
        problems.append(Problem(path, line, "empty confirmed: write yes or no"))
    if not _form_variants(_form_keys(cell["en"], case)):
        problems.append(Problem(path, line, f"en {cell['en']!r} has no words to match"))
    for lang in LANGS:
        if not cell[lang]:
            if not dnt:
                problems.append(Problem(path, line, f"missing {lang} target for {cell['en']!r}"))
            if cell[f"{lang}_variants"]:
                problems.append(Problem(path, line, f"{lang}_variants given but {lang} is empty"))
            if cell[f"{lang}_source"]:
                problems.append(Problem(path, line, f"{lang}_source given but {lang} is empty"))
        elif confirmed and not cell[f"{lang}_source"]:
            problems.append(Problem(path, line, f"empty {lang}_source: cite where the {lang} form is used"))

    known = set(COLUMNS) | set(OPTIONAL_COLUMNS)
    return Concept(
        id=cell["id"],
        type=cell["type"],
        en=cell["en"],
        en_variants=_split_variants(cell["en_variants"]),
        targets={lang: cell[lang] for lang in LANGS if cell[lang]},
        target_variants={lang: v for lang in LANGS if (v := _split_variants(cell[f"{lang}_variants"]))},
        dnt=dnt,
        notes=row["notes"].strip(),
        sources={lang: cell[f"{lang}_source"] for lang in LANGS if cell[f"{lang}_source"]},
        confirmed=confirmed,
        case=case,
        extra={k: cell[k] for k in row if k not in known and cell[k]},
    )


def _glossary_files(directory: Path) -> list[Path]:
    return sorted(p for p in Path(directory).glob("*.csv") if p.is_file())


def load_concepts(directory: Path) -> list[Concept]:
    """Concepts of every `*.csv` in directory; GlossaryError (file:line) if a file or row is malformed."""
    directory = Path(directory)
    if not directory.is_dir():
        raise GlossaryError(directory, 0, "no glossary directory here: create it with a terms.csv")
    concepts: list[Concept] = []
    seen: dict[str, str] = {}
    for path in _glossary_files(directory):
        parsed = _parse_file(path)
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


def read_csv(path: Path) -> list[Concept]:
    """One glossary CSV file (for import); GlossaryError (file:line) if malformed."""
    parsed = _parse_file(Path(path))
    if parsed.malformed:
        first = parsed.malformed[0]
        raise GlossaryError(first.path, first.line, first.message)
    return [c for _, c in parsed.rows]


def check(directory: Path) -> list[Problem]:
    """Every problem in the glossary directory, each with file and line; empty when all is well."""
    directory = Path(directory)
    if not directory.is_dir():
        return [Problem(str(directory), 0, "no glossary directory: create it with a terms.csv")]
    files = _glossary_files(directory)
    if not files:
        return [Problem(str(directory), 0, "no *.csv glossary files in this directory")]
    problems: list[Problem] = []
    ids: dict[str, tuple[str, int]] = {}
    forms: dict[tuple[str, ...], tuple[Concept, str, int, str]] = {}
    for path in files:
        parsed = _parse_file(path)
        problems += parsed.malformed + parsed.problems
        for line, concept in parsed.rows:
            if concept.id in ids:
                where = "{}:{}".format(*ids[concept.id])
                problems.append(Problem(parsed.path, line, f"duplicate id {concept.id!r} (first at {where})"))
            else:
                ids[concept.id] = (parsed.path, line)
            own: dict[tuple[str, ...], str] = {}
            for form in (concept.en, *concept.en_variants):
                variants = _form_variants(_form_keys(form, concept.case))
                if not variants:
                    continue
                key = variants[-1]  # without quotes: `"Nur-Mubarak"` and `Nur-Mubarak` are the same form
                if key in own:
                    problems.append(Problem(parsed.path, line, f"variant {form!r} repeats {own[key]!r}"))
                    continue
                own[key] = form
                if key not in forms:
                    forms[key] = (concept, parsed.path, line, form)
                    continue
                other, other_path, other_line, other_form = forms[key]
                where = f"{other_path}:{other_line}"
                diff = [lang for lang in LANGS if concept.targets.get(lang) != other.targets.get(lang)]
                if diff or concept.dnt != other.dnt:
                    here, there = concept.targets, other.targets
                    what = "; ".join(
                        f"{lang} {here.get(lang, '')!r} here, {there.get(lang, '')!r} there"
                        for lang in diff) or "dnt differs"
                    problems.append(Problem(parsed.path, line, f"conflicting targets for {form!r} "
                                            f"(also {other_form!r} in {other.id!r} at {where}): {what}"))
                else:
                    problems.append(Problem(parsed.path, line, f"duplicate term {form!r} "
                                            f"(also {other_form!r} in {other.id!r} at {where})"))
    return sorted(problems, key=lambda p: (p.path, p.line))


# ---------------------------------------------------------------- targets and comments


def _looks_like_acronym(term: str) -> bool:
    return 2 <= len(term) <= 10 and " " not in term and term.isupper()


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

    Normally the preferred target. An acronym in the source (SAMK, or "(SAMK)" after the full name) becomes
    the target-language acronym when the glossary lists one among the target variants.
    """
    concept = match.concept
    forms = target_forms(concept, lang)
    if not forms:
        return None
    preferred = forms[0]
    acronym = next((v for v in concept.target_variants.get(lang, ()) if _looks_like_acronym(v)), None)
    if acronym and _looks_like_acronym(match.form) and not match.abbrev:
        return acronym
    if acronym and match.abbrev:
        return f"{preferred} ({acronym})"
    return preferred


def _first_per_concept(matches: Sequence[TermMatch]) -> list[TermMatch]:
    """The first match of each concept, in text order: what a reviewer is told about, once."""
    first: dict[str, TermMatch] = {}
    for m in matches:
        first.setdefault(m.concept.id, m)
    return list(first.values())


def _required(match: TermMatch, lang: str) -> tuple[str | None, str]:
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
    for m in _first_per_concept(matches):
        target, remarks = _required(m, lang)
        pairs.append((m.text, (target if target is not None else f"(no {lang} term in the glossary yet)")
                      + remarks))
    return pairs


def term_comment(matches: Sequence[TermMatch], lang: str) -> str:
    """One line listing a segment's glossary terms and their required targets ("" when none)."""
    pairs = required_targets(matches, lang)
    return "terms: " + "; ".join(f"{source} → {target}" for source, target in pairs) if pairs else ""


# ---------------------------------------------------------------- enforcement inside MT

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
    case, a space or hyphen between letters and digits, Cyrillic look-alike letters, Arabic-Indic digits.
    A number already present in the source text is never used, so real codes in the text are left alone.
    """

    prefix: str = "XT"

    def pattern(self) -> re.Pattern:
        """Finds placeholders as engines return them; group 1 is the number."""
        letters = r"\s?".join(f"[{re.escape(_HOMOGLYPHS.get(ch.upper(), ch + ch.lower()))}]"
                              for ch in self.prefix)
        return re.compile(rf"(?<![^\W\d_]){letters}[\s-]?([0-9٠-٩۰-۹]+)(?!\d)")

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


def _fallback_notes(matches: Sequence[TermMatch], slot: dict[int, tuple[TermMatch, str]],
                    problems: dict[int, str], lang: str) -> list[str]:
    """One note per concept whose placeholder went wrong, naming it as the `terms:` comment does.

    The comment (required_targets) speaks of each concept's first match in the segment; so do these notes,
    whichever of its occurrences the engine broke.
    """
    problem_of: dict[str, str] = {}
    for n, problem in sorted(problems.items()):
        problem_of.setdefault(slot[n][0].concept.id, problem)
    notes = []
    for m in _first_per_concept(matches):
        if m.concept.id in problem_of:
            target, remarks = _required(m, lang)
            notes.append(f"glossary: MT {problem_of[m.concept.id]} the placeholder for “{m.text}”; this is the "
                         f"unprotected translation: make sure it says “{target}”{remarks}")
    return notes


def translate_with_terms(
    texts: Sequence[str],
    matches: Sequence[Sequence[TermMatch]],
    lang: str,
    translate: Callable[[list[str]], list[str]],
    scheme: Placeholders | None = None,
) -> list[TermResult]:
    """Protect terms, call the engine once for the batch, restore preferred targets; fall back per segment.

    A segment whose placeholders did not all come back exactly once is translated again without protection
    (one more engine call for all such segments) and returned with ok=False and notes naming the terms.
    Terms without a target in lang are left to the engine (term_comment flags them).
    """
    scheme = scheme or Placeholders()
    if len(texts) != len(matches):
        raise ValueError(f"{len(texts)} texts but {len(matches)} match lists")
    protected: list[str] = []
    slots: list[dict[int, tuple[TermMatch, str]]] = []
    for text, ms in zip(texts, matches, strict=True):
        spans, chosen, last_end = [], [], -1
        for m in sorted(ms, key=lambda m: m.start):
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
        protected.append(protected_text)
        slots.append(dict(zip(numbers, chosen, strict=True)))

    outputs = list(translate(protected)) if protected else []
    if len(outputs) != len(texts):
        raise ValueError(f"the engine returned {len(outputs)} translations for {len(texts)} segments")
    results: list[TermResult | None] = [None] * len(texts)
    failed: list[tuple[int, list[str], tuple[str, ...]]] = []
    for i, (output, slot) in enumerate(zip(outputs, slots, strict=True)):
        if not slot:
            results[i] = TermResult(output, True)
            continue
        restored, problems = scheme.restore(output, {n: r for n, (_, r) in slot.items()},
                                            scheme.numbers(texts[i]))
        if problems:
            broken = tuple(dict.fromkeys(slot[n][0].concept.id for n in sorted(problems)))
            failed.append((i, _fallback_notes(matches[i], slot, problems, lang), broken))
        else:
            results[i] = TermResult(restored, True)
    if failed:
        retry = list(translate([texts[i] for i, _, _ in failed]))
        if len(retry) != len(failed):
            raise ValueError(f"the engine returned {len(retry)} translations for {len(failed)} segments")
        for (i, notes, broken), output in zip(failed, retry, strict=True):
            results[i] = TermResult(output, False, tuple(notes), broken)
    return [r for r in results if r is not None]


# ---------------------------------------------------------------- writing, export, import


def _write_atomic(path: Path, data: str, newline: str = "\n") -> None:
    atomic_write_text(path, data, newline=newline)


def _concept_row(c: Concept) -> dict[str, str]:
    row = {
        "id": c.id, "type": c.type, "en": c.en, "en_variants": VARIANT_SEPARATOR.join(c.en_variants),
        "dnt": "yes" if c.dnt else "", "confirmed": "yes" if c.confirmed else "no", "notes": c.notes,
        "case": "" if c.case == "auto" else c.case,
    }
    for lang in LANGS:
        row[lang] = c.targets.get(lang, "")
        row[f"{lang}_variants"] = VARIANT_SEPARATOR.join(c.target_variants.get(lang, ()))
        row[f"{lang}_source"] = c.sources.get(lang, "")
    row.update(c.extra)
    return row


def csv_text(concepts: Iterable[Concept], header: Sequence[str] | None = None) -> str:
    """Concepts as glossary CSV text (LF line ends). header keeps an existing file's column order."""
    concepts = list(concepts)
    columns = list(header) if header else list(COLUMNS)
    wanted = [*(["case"] if any(c.case != "auto" for c in concepts) else []),
              *dict.fromkeys(k for c in concepts for k in c.extra)]
    columns += [k for k in wanted if k not in columns]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", restval="", extrasaction="ignore")
    writer.writeheader()
    for c in concepts:
        writer.writerow(_concept_row(c))
    return buf.getvalue()


def write_csv(concepts: Iterable[Concept], path: Path, header: Sequence[str] | None = None,
              newline: str = "\n") -> None:
    _write_atomic(path, csv_text(concepts, header), newline)


TBX_NS = "urn:iso:std:iso:30042:ed-2"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_FLAG = "pipeline:"  # concept-level <note> carrying a field TBX-Basic has no data category for


def tbx_text(concepts: Iterable[Concept]) -> str:
    """TBX-Basic (ISO 30042:2019, DCA style). Our fields TBX-Basic lacks go into `pipeline:` notes."""
    root = ET.Element("tbx", {"type": "TBX-Basic", "style": "dca", _XML_LANG: "en", "xmlns": TBX_NS})
    source_desc = ET.SubElement(ET.SubElement(ET.SubElement(root, "tbxHeader"), "fileDesc"), "sourceDesc")
    ET.SubElement(source_desc, "p").text = "Exported by `pipeline glossary export` (en -> kk, ru, ar)"
    body = ET.SubElement(ET.SubElement(root, "text"), "body")
    for c in concepts:
        entry = ET.SubElement(body, "conceptEntry", {"id": c.id})
        if c.type:
            ET.SubElement(entry, "descrip", {"type": "subjectField"}).text = c.type
        flags = [f"dnt={'yes' if c.dnt else 'no'}", f"confirmed={'yes' if c.confirmed else 'no'}"]
        if c.case != "auto":
            flags.append(f"case={c.case}")
        flags += [f"column:{k}={v}" for k, v in c.extra.items()]
        for flag in flags:
            ET.SubElement(entry, "note").text = _FLAG + flag
        if c.notes:
            ET.SubElement(entry, "note").text = c.notes
        for lang in ("en", *LANGS):
            if lang == "en":
                preferred, variants, source = c.en, c.en_variants, ""
            elif lang in c.targets or lang in c.sources:
                preferred = c.targets.get(lang, "")
                variants, source = c.target_variants.get(lang, ()), c.sources.get(lang, "")
            else:
                continue
            lang_sec = ET.SubElement(entry, "langSec", {_XML_LANG: lang})
            for k, term in enumerate((preferred, *variants)):
                term_sec = ET.SubElement(lang_sec, "termSec")
                ET.SubElement(term_sec, "term").text = term
                if _looks_like_acronym(term) and len(term) < 8:
                    ET.SubElement(term_sec, "termNote", {"type": "termType"}).text = "acronym"
                status = "preferredTerm-admn-sts" if k == 0 else "admittedTerm-admn-sts"
                ET.SubElement(term_sec, "termNote", {"type": "administrativeStatus"}).text = status
                if k == 0 and source:
                    ET.SubElement(term_sec, "admin", {"type": "source"}).text = source
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_tbx(concepts: Iterable[Concept], path: Path) -> None:
    _write_atomic(path, tbx_text(concepts))


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[_Node] = field(default_factory=list)
    text: str = ""

    def kids(self, *tags: str) -> list[_Node]:
        return [k for k in self.children if k.tag in tags]


def _parse_xml(data: bytes, path: str) -> _Node:
    """Element tree with line numbers, through defusedxml.

    Entity declarations are refused (no billion laughs); an external DTD (TBX v2 files name TBXcdv04.dtd)
    is skipped, never fetched.
    """
    from xml.sax import SAXParseException
    from xml.sax.handler import ContentHandler, feature_external_ges, feature_external_pes

    from defusedxml import DefusedXmlException
    from defusedxml.expatreader import DefusedExpatParser

    class Builder(ContentHandler):
        def __init__(self):
            super().__init__()
            self.stack: list[_Node] = []
            self.root: _Node | None = None
            self._locator = None

        def setDocumentLocator(self, locator):  # noqa: N802 (SAX API)
            self._locator = locator

        def startElement(self, name, attrs):  # noqa: N802
            line = self._locator.getLineNumber() if self._locator else 0
            node = _Node(name.split(":")[-1], dict(attrs), line)
            if self.stack:
                self.stack[-1].children.append(node)
            else:
                self.root = node
            self.stack.append(node)

        def endElement(self, name):  # noqa: N802
            self.stack.pop()

        def characters(self, content):
            if self.stack:
                self.stack[-1].text += content

    builder = Builder()
    parser = DefusedExpatParser(forbid_dtd=False, forbid_entities=True, forbid_external=False)
    parser.setFeature(feature_external_ges, False)
    parser.setFeature(feature_external_pes, False)
    parser.setContentHandler(builder)
    try:
        parser.parse(io.BytesIO(data))
    except SAXParseException as exc:
        raise GlossaryError(path, exc.getLineNumber(), f"malformed XML: {exc.getMessage()}") from None
    except DefusedXmlException as exc:
        raise GlossaryError(path, parser.getLineNumber(), f"refused XML (entity declarations are not "
                            f"allowed): {exc}") from None
    assert builder.root is not None
    return builder.root


def _lang_code(value: str) -> str:
    return value.replace("_", "-").split("-")[0].lower()


_DROPPED_STATUS = ("deprecated", "superseded", "notrecommended", "obsolete", "forbidden")


def read_tbx(path: Path) -> tuple[list[Concept], list[str]]:
    """Concepts from a TBX file (TBX v3 conceptEntry/langSec/termSec, or v2 martif termEntry/langSet/tig).

    Returns warnings for what has no place in the glossary (other languages, deprecated terms). Raises
    GlossaryError with the line for malformed XML or an entry that cannot become a concept.
    """
    shown = str(path)
    root = _parse_xml(Path(path).read_bytes(), shown)
    if root.tag not in ("tbx", "martif"):
        raise GlossaryError(shown, root.line, f"not a TBX file: the root element is <{root.tag}>")
    entries: list[_Node] = []

    def collect(node: _Node) -> None:
        for k in node.children:
            if k.tag in ("conceptEntry", "termEntry"):
                entries.append(k)
            else:
                collect(k)

    collect(root)
    concepts, warnings = [], []
    for entry in entries:
        concept_id = entry.attrs.get("id", "").strip()
        ctype, notes, flags, extra = "", [], {}, {}
        targets: dict[str, str] = {}
        variants: dict[str, tuple[str, ...]] = {}
        sources: dict[str, str] = {}
        for k in entry.children:
            if k.tag == "descrip" and k.attrs.get("type") == "subjectField":
                ctype = k.text.strip()
            elif k.tag == "note" and k.text.startswith(_FLAG) and "=" in k.text:
                name, _, value = k.text[len(_FLAG):].partition("=")
                if name.startswith("column:"):
                    extra[name[len("column:"):]] = value
                else:
                    flags[name] = value
            elif k.tag == "note":
                notes.append(k.text)
            elif k.tag in ("descrip", "descripGrp") and k.text.strip():
                what = k.attrs.get("type", k.tag)
                notes.append(f"{what}: {k.text.strip()}")
        for lang_sec in entry.kids("langSec", "langSet"):
            lang = _lang_code(lang_sec.attrs.get("xml:lang", lang_sec.attrs.get("lang", "")))
            terms: list[tuple[str, str, str]] = []  # (term, status, source)
            for ts in lang_sec.kids("termSec", "tig", "ntig"):
                term_nodes = [n for g in [ts, *ts.kids("termGrp")] for n in g.kids("term")]
                if not term_nodes or not term_nodes[0].text.strip():
                    raise GlossaryError(shown, ts.line, "a term section without a term")
                status, source = "", ""
                for n in [n for g in [ts, *ts.kids("termGrp")] for n in g.children]:
                    if n.tag == "administrativeStatus" or (n.tag == "termNote"
                                                           and n.attrs.get("type") == "administrativeStatus"):
                        status = n.text.strip().lower()
                    elif n.tag in ("admin", "descrip") and n.attrs.get("type") == "source":
                        source = n.text.strip()
                terms.append((term_nodes[0].text.strip(), status, source))
            kept = [t for t in terms if not t[1].startswith(_DROPPED_STATUS)]
            for term, status, _ in terms:
                if status.startswith(_DROPPED_STATUS):
                    warnings.append(f"{shown}:{lang_sec.line}: dropped {status} {lang} term {term!r}")
            if lang not in ("en", *LANGS):
                warnings.append(f"{shown}:{lang_sec.line}: ignored language {lang!r} ({len(terms)} term(s))")
                continue
            if not kept:
                continue
            preferred = next((t for t in kept if t[1].startswith("preferred")), kept[0])
            rest = tuple(t[0] for t in kept if t is not preferred)
            if lang == "en":
                targets["en"], variants["en"] = preferred[0], rest
            else:
                targets[lang], variants[lang] = preferred[0], rest
                if preferred[2]:
                    sources[lang] = preferred[2]
        if "en" not in targets:
            raise GlossaryError(shown, entry.line, f"entry {concept_id or '(no id)'} has no English term")
        en = targets.pop("en")
        if not concept_id:
            concept_id = re.sub(r"[^a-z0-9]+", "-", en.casefold()).strip("-") or f"line-{entry.line}"
            warnings.append(f"{shown}:{entry.line}: entry without id: named it {concept_id!r}")
        case = flags.get("case", "auto")
        if case not in CASE_RULES:
            raise GlossaryError(shown, entry.line, f"pipeline:case={case!r}: expected one of {CASE_RULES}")
        concepts.append(Concept(
            id=concept_id, type=ctype, en=en, en_variants=variants.pop("en", ()),
            targets=targets, target_variants={k: v for k, v in variants.items() if v},
            dnt=flags.get("dnt") == "yes", notes="\n".join(notes), sources=sources,
            confirmed=flags.get("confirmed", "no") == "yes", case=case, extra=extra,
        ))
    return concepts, warnings


@dataclass
class MergeReport:
    concepts: list[Concept]  # the merged file's concepts, in file order
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # "id: field 'a' here, 'b' imported"


def merge_concepts(existing: Sequence[Concept], incoming: Sequence[Concept], replace_values: bool = False,
                   elsewhere: dict[str, Concept] | None = None) -> MergeReport:
    """Merge incoming concepts into existing ones by id, losing nothing.

    New ids are appended. For a known id, empty cells are filled and variant lists united; a cell that
    differs is a conflict (kept as it is) unless replace_values, when the imported value wins. The
    confirmed flag only changes with replace_values. `elsewhere`: ids living in other glossary files,
    which are never rewritten here.
    """
    elsewhere = elsewhere or {}
    report = MergeReport(list(existing))
    index = {c.id: k for k, c in enumerate(report.concepts)}
    for new in incoming:
        if new.id in elsewhere:
            if new != elsewhere[new.id]:
                report.conflicts.append(f"{new.id}: lives in another glossary file; edit it there")
            else:
                report.unchanged.append(new.id)
            continue
        if new.id not in index:
            index[new.id] = len(report.concepts)
            report.concepts.append(new)
            report.added.append(new.id)
            continue
        old = report.concepts[index[new.id]]
        conflicts: list[str] = []

        def pick(name: str, a: str, b: str) -> str:
            if not a or a == b:
                return b or a
            if not b:
                return a
            if replace_values:
                return b
            conflicts.append(f"{new.id}: {name} {a!r} here, {b!r} imported")  # noqa: B023
            return a

        def union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(dict.fromkeys((*a, *b)))

        def pick_dict(name: str, a: dict[str, str], b: dict[str, str]) -> dict[str, str]:
            keys = dict.fromkeys((*a, *b))
            return {k: v for k in keys if (v := pick(f"{name}{k}", a.get(k, ""), b.get(k, "")))}

        dnt = old.dnt
        if old.dnt != new.dnt:
            if replace_values:
                dnt = new.dnt
            else:
                conflicts.append(f"{new.id}: dnt {'yes' if old.dnt else 'no'} here, "
                                 f"{'yes' if new.dnt else 'no'} imported")
        case = pick("case ", "" if old.case == "auto" else old.case, "" if new.case == "auto" else new.case)
        merged = replace(
            old,
            type=pick("type", old.type, new.type),
            en=pick("en", old.en, new.en),
            en_variants=union(old.en_variants, new.en_variants),
            targets=pick_dict("", old.targets, new.targets),
            target_variants={k: union(old.target_variants.get(k, ()), new.target_variants.get(k, ()))
                             for k in dict.fromkeys((*old.target_variants, *new.target_variants))},
            dnt=dnt,
            notes=pick("notes", old.notes, new.notes),
            sources=pick_dict("source ", old.sources, new.sources),
            confirmed=new.confirmed if replace_values else old.confirmed,
            case=case or "auto",
            extra=pick_dict("column ", old.extra, new.extra),
        )
        if merged.en != old.en and old.en not in merged.en_variants:
            merged = replace(merged, en_variants=(old.en, *merged.en_variants))  # the old name stays findable
        report.conflicts += conflicts
        if merged == old:
            report.unchanged.append(new.id)
        else:
            report.concepts[index[new.id]] = merged
            report.updated.append(new.id)
    return report


def import_file(source: Path, glossary_dir: Path, out: Path | None = None,
                replace_values: bool = False) -> tuple[MergeReport, list[str]]:
    """Import a TBX or glossary CSV file.

    Into `out` (a new CSV) when given, else merged into glossary_dir/terms.csv. Nothing is written when
    there are conflicts (see merge_concepts). Returns the merge report and the reader's warnings.
    """
    source = Path(source)
    head = source.read_bytes()[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
    if source.suffix.lower() in (".tbx", ".xml") or head.startswith(b"<"):
        incoming, warnings = read_tbx(source)
    else:
        incoming, warnings = read_csv(source), []
    if out is not None:
        report = merge_concepts([], incoming, replace_values)
        if not report.conflicts:
            write_csv(report.concepts, out)
        return report, warnings
    target = Path(glossary_dir) / "terms.csv"
    existing, header, newline = [], None, "\n"
    if target.exists():
        parsed = _parse_file(target)
        if parsed.malformed:
            first = parsed.malformed[0]
            raise GlossaryError(first.path, first.line, first.message)
        existing, header = [c for _, c in parsed.rows], parsed.header
        newline = "\r\n" if parsed.crlf else "\n"
    elsewhere = {}
    if Path(glossary_dir).is_dir():
        for path in _glossary_files(Path(glossary_dir)):
            if path.resolve() != target.resolve():
                elsewhere.update({c.id: c for c in read_csv(path)})
    report = merge_concepts(existing, incoming, replace_values, elsewhere)
    if not report.conflicts and (report.added or report.updated or not target.exists()):
        write_csv(report.concepts, target, header, newline)
    return report, warnings
