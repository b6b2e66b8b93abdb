"""The glossary CSV format: one concept per row, read with file and line for every problem, written back
with the reader's column order, line ends and extra columns intact.

`glossary/*.csv` (UTF-8, RFC 4180): `id,type,en,en_variants,kk,kk_variants,ru,ru_variants,ar,ar_variants,
dnt,confirmed,kk_source,ru_source,ar_source,notes` - variants separated by ` | `, dnt `yes`/empty, confirmed
`yes`/`no`. Optional extra columns: `case` (`auto` | `sensitive` | `insensitive`); any other extra column is
carried along untouched. A format module: it imports no stage.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.concepts import CASE_RULES, LANGS, TYPES, Concept, GlossaryError, Problem
from pipeline.files import ANY_CONTENT, write_text
from pipeline.formats import utf16_without_bom

COLUMNS = (
    "id", "type", "en", "en_variants", "kk", "kk_variants", "ru", "ru_variants", "ar", "ar_variants",
    "dnt", "confirmed", "kk_source", "ru_source", "ar_source", "notes",
)
OPTIONAL_COLUMNS = ("case",)
VARIANT_SEPARATOR = " | "


# ---------------------------------------------------------------- reading


@dataclass
class CsvFile:
    """One glossary CSV file as read: its concepts with their lines, and what is wrong with it."""

    path: str
    header: list[str]
    rows: list[tuple[int, Concept]]  # (line, concept)
    malformed: list[Problem]  # the file or a row cannot be read as intended: load refuses
    problems: list[Problem]  # content to fix: check reports, load tolerates
    crlf: bool = False


def _split_variants(cell: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in cell.split("|") if v.strip()) if cell.strip() else ()


def parse_file(path: Path, raw: bytes | None = None) -> CsvFile:
    """Read one glossary CSV file (`raw`: its bytes, when the caller already holds them)."""
    shown = str(path)
    parsed = CsvFile(shown, [], [], [], [])
    if raw is None:
        raw = Path(path).read_bytes()
    if encoding := utf16_without_bom(raw):
        parsed.malformed.append(Problem(shown, 1, f"the file is {encoding} without a byte-order mark: save it "
                                                  "as UTF-8"))
        return parsed
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
                header = parsed.header = [h.strip() for h in record]
                wrong = _header_problem(header)
                if wrong:
                    parsed.malformed.append(Problem(shown, line, wrong))
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


def _header_problem(header: list[str]) -> str:
    """What is wrong with a header row ("" when every column is there once)."""
    missing = [c for c in COLUMNS if c not in header]
    dupes = sorted({h for h in header if header.count(h) > 1})
    what = []
    if missing:
        what.append("missing column(s) " + ", ".join(missing))
    if dupes:
        what.append("repeated column(s) " + ", ".join(dupes))
    if "" in header:
        what.append("a column without a name")
    return "bad header: " + "; ".join(what) + ". Expected: " + ",".join(COLUMNS) if what else ""


def _row_to_concept(row: dict[str, str], path: str, line: int, parsed: CsvFile) -> Concept | None:
    """The row's concept (None when it cannot be read as intended); its problems go into parsed."""
    cell = {k: v.strip() for k, v in row.items()}
    parsed.problems.extend(Problem(path, line, m) for m in _spacing_problems(row))
    refused = _refusals(cell)
    if refused:
        parsed.malformed.extend(Problem(path, line, m) for m in refused)
        return None
    parsed.problems.extend(Problem(path, line, m) for m in _content_problems(cell))
    known = set(COLUMNS) | set(OPTIONAL_COLUMNS)
    return Concept(
        id=cell["id"],
        type=cell["type"],
        en=cell["en"],
        en_variants=_split_variants(cell["en_variants"]),
        targets={lang: cell[lang] for lang in LANGS if cell[lang]},
        target_variants={lang: v for lang in LANGS if (v := _split_variants(cell[f"{lang}_variants"]))},
        dnt=cell["dnt"].lower() == "yes",
        notes=cell["notes"],
        sources={lang: cell[f"{lang}_source"] for lang in LANGS if cell[f"{lang}_source"]},
        confirmed=cell["confirmed"].lower() == "yes",
        case=cell.get("case", "").lower() or "auto",
        extra={k: cell[k] for k in row if k not in known and cell[k]},
    )


def _spacing_problems(row: dict[str, str]) -> list[str]:
    """Spaces around a cell and empty variants (`a | | b`, a leading or trailing `|`): untidy, still readable."""
    messages = []
    for name, value in row.items():
        if value != value.strip():
            messages.append(f"stray spaces around {name} {value!r}")
        if not name.endswith("_variants"):
            continue
        for part in value.split("|")[1:-1]:
            if not part.strip():
                messages.append(f"empty variant in {name}: remove the extra ' | '")
        if value.strip() and (value.strip().startswith("|") or value.strip().endswith("|")):
            messages.append(f"empty variant in {name}: remove the extra ' | '")
    return messages


def _refusals(cell: dict[str, str]) -> list[str]:
    """Why the row cannot become a concept at all (loading refuses the file)."""
    messages = []
    if not cell["id"]:
        messages.append("empty id: every concept needs a unique id")
    if not cell["en"]:
        messages.append("empty en: every concept needs its English term")
    if cell["dnt"].lower() not in ("", "yes", "no"):
        messages.append(f"dnt is {cell['dnt']!r}: write yes or leave it empty")
    if cell["confirmed"].lower() not in ("", "yes", "no"):
        messages.append(f"confirmed is {cell['confirmed']!r}: write yes or no")
    if (cell.get("case", "").lower() or "auto") not in CASE_RULES:
        messages.append(f"case is {cell['case']!r}: write one of {', '.join(CASE_RULES)}")
    return messages


def _content_problems(cell: dict[str, str]) -> list[str]:
    """What `glossary check` asks a curator to fix: types, missing targets, uncited confirmed targets."""
    messages = []
    if not cell["type"]:
        messages.append(f"empty type: write one of {', '.join(TYPES)}")
    elif cell["type"] not in TYPES:
        messages.append(f"unknown type {cell['type']!r}: write one of {', '.join(TYPES)}")
    if not cell["confirmed"]:
        messages.append("empty confirmed: write yes or no")
    dnt, confirmed = cell["dnt"].lower() == "yes", cell["confirmed"].lower() == "yes"
    for lang in LANGS:
        if not cell[lang]:
            if not dnt:
                messages.append(f"missing {lang} target for {cell['en']!r}")
            if cell[f"{lang}_variants"]:
                messages.append(f"{lang}_variants given but {lang} is empty")
            if cell[f"{lang}_source"]:
                messages.append(f"{lang}_source given but {lang} is empty")
        elif confirmed and not cell[f"{lang}_source"]:
            messages.append(f"empty {lang}_source: cite where the {lang} form is used")
    return messages


def read_csv(path: Path) -> list[Concept]:
    """One glossary CSV file (for import); GlossaryError (file:line) if malformed."""
    parsed = parse_file(Path(path))
    if parsed.malformed:
        first = parsed.malformed[0]
        raise GlossaryError(first.path, first.line, first.message)
    return [c for _, c in parsed.rows]


# ---------------------------------------------------------------- writing


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
              newline: str = "\n", *, expected: bytes | None = ANY_CONTENT) -> bool:
    """Replace path atomically; with `expected` (the bytes the concepts were read from, None: no file) only
    if the file still holds them, so a save made meanwhile is never overwritten. True when written."""
    return write_text(path, csv_text(concepts, header), newline=newline, expected=expected)

