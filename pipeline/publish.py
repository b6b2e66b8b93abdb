"""Stage 7: publish localized article sets (Markdown, static HTML site, JSON manifest).

Each article is rebuilt from its English structure (title, headings, paragraphs; from Markdown also nested
lists, quotes, tables and code, as the segments carry them) with the translations the catalogs hold. Only
what a reader may see counts: approved entries, or approved + fuzzy machine drafts when asked for. Every
translated string is untrusted text: HTML goes through jinja2 autoescaping, Markdown through
`markdown_escape`, the manifest through `json`.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Protocol

import polib

from pipeline import catalogs as catalog_stage
from pipeline import files, runstate, shown_percent, sources
from pipeline import percent_text as percent
from pipeline import segment as segmentation
from pipeline.errors import CatalogError, PublishError
from pipeline.formats.po import read_po
from pipeline.languages import SOURCE_LANG, TARGET_LANGS, LanguageError, native_name, parse_langs
from pipeline.languages import direction as text_direction
from pipeline.workspace import ArticleScan, OutsideWorkspace, SiteSettings, Workspace, as_workspace, path_order

TEMPLATES = Path(__file__).resolve().parent / "templates"
MANIFEST = "manifest.json"
GENERATOR = "pipeline publish"


# Interface text of the site, in the language of the page; English for languages not listed here.
UI_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "languages": "Languages", "articles": "Articles", "other_versions": "Also in",
        "translated": "translated", "all_languages": "All languages",
        "no_articles": "No articles published yet.",
        "machine_draft": "Machine draft: {n} of {total} passages were translated by machine and not yet "
                         "reviewed by a translator. They are underlined.",
        "untranslated": "{n} of {total} passages are not translated yet and are shown in English.",
        "source": "Original (English)",
        "reviewed": "{p} reviewed by a translator", "drafted": "{p} machine translation, not reviewed",
        "in_english": "{p} in English",
        "draft_label": "machine translation — not yet reviewed",
        "months": "January February March April May June July August September October November December",
        "date": "{d} {m} {y}",
    },
    "kk": {
        "languages": "Тілдер", "articles": "Мақалалар", "other_versions": "Басқа тілдерде",
        "translated": "аударылған", "all_languages": "Барлық тілдер", "no_articles": "Әзірге мақала жоқ.",
        "machine_draft": "Машиналық аударма жобасы: {total} бөліктің {n} бөлігін машина аударды, аудармашы "
                         "әлі тексерген жоқ. Олардың асты сызылған.",
        "untranslated": "{total} бөліктің {n} бөлігі әлі аударылмаған, ағылшын тілінде көрсетілген.",
        "source": "Түпнұсқа (ағылшынша)",
        "reviewed": "{p} аудармашы тексерген", "drafted": "{p} машиналық аударма, тексерілмеген",
        "in_english": "{p} ағылшынша",
        "draft_label": "машиналық аударма — әлі тексерілмеген",
        "months": "қаңтар ақпан наурыз сәуір мамыр маусым шілде тамыз қыркүйек қазан қараша желтоқсан",
        "date": "{y} жылғы {d} {m}",
    },
    "ru": {
        "languages": "Языки", "articles": "Статьи", "other_versions": "На других языках",
        "translated": "переведено", "all_languages": "Все языки", "no_articles": "Статей пока нет.",
        "machine_draft": "Машинный черновик: {n} из {total} фрагментов переведены машиной и ещё не проверены "
                         "переводчиком. Они подчёркнуты.",
        "untranslated": "{n} из {total} фрагментов ещё не переведены и показаны на английском.",
        "source": "Оригинал (английский)",
        "reviewed": "{p} проверено переводчиком", "drafted": "{p} машинный перевод, не проверено",
        "in_english": "{p} на английском",
        "draft_label": "машинный перевод — ещё не проверен",
        "months": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
        "date": "{d} {m} {y} г.",
    },
    "ar": {
        "languages": "اللغات", "articles": "المقالات", "other_versions": "بلغات أخرى",
        "translated": "مترجم", "all_languages": "كل اللغات", "no_articles": "لا توجد مقالات منشورة بعد.",
        "machine_draft": "مسودة ترجمة آلية: {n} من {total} مقاطع ترجمتها الآلة ولم يراجعها مترجم بعد، "
                         "وهي مسطّرة.",
        "untranslated": "{n} من {total} مقاطع لم تُترجم بعد وتظهر باللغة الإنجليزية.",
        "source": "الأصل (بالإنجليزية)",
        "reviewed": "{p} راجعها مترجم", "drafted": "{p} ترجمة آلية لم تُراجع", "in_english": "{p} بالإنجليزية",
        "draft_label": "ترجمة آلية — لم تُراجع بعد",
        "months": "يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر",
        "date": "{d} {m} {y}",
    },
}

_MD_INLINE = re.compile(r"([\\`*\[\]<>&])")
_MD_CELL = re.compile(r"([\\`*\[\]<>&|])")
# `_` opens emphasis only at a word edge; inside a word (snake_case, URLs) it stays as typed, for readability.
_MD_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
_MD_BLOCK_START = re.compile(r"^([#>+\-*=|]|\d+[.)])")


@dataclass(frozen=True)
class Publication:
    slug: str
    lang: str
    title: str
    completeness: float  # percent of segments with a usable translation
    published: bool
    reason: str = ""  # why not published
    paths: dict[str, str] = field(default_factory=dict)  # "md" / "html" -> path relative to out
    segments: int = 0  # segments in the article
    # approved + fuzzy + untranslated == segments: each segment is counted once.
    approved: int = 0  # segments with an approved translation
    fuzzy: int = 0  # segments whose only translation is a fuzzy (machine / unreviewed) one
    drafts: int = 0  # fuzzy translations shown on the page (only with include_fuzzy); part of `fuzzy`
    untranslated: int = 0  # segments with no translation at all (no entry or an empty msgstr)
    source: str = ""  # source article, relative to root
    fallbacks: int = 0  # segments the page shows in English: untranslated + fuzzy not shown as drafts
    refused: int = 0  # translations --strict left out for review-check errors (counted as untranslated)
    # The catalog or the source could not be read: what an earlier run published for it stays as it was.
    failed: bool = False
    date: str = ""  # ISO date of the article (dateline or front matter), "" when it says none
    modified: str = ""  # ISO date the source file last changed: feeds and the sitemap when it gives no date


@dataclass(frozen=True)
class Piece:
    """One segment as the reader gets it."""

    text: str
    state: str  # "approved" | "draft" (fuzzy, shown with include_fuzzy) | "source" (English fallback)


@dataclass(frozen=True)
class Block:
    """One block of the rebuilt article. Text blocks hold pieces; lists, items, quotes, tables and rows hold
    `children`, so nested lists stay nested and a table keeps its rows and columns."""

    kind: str  # "title" | "heading" | "paragraph" | "code" | "list" | "item" | "quote" | "table" | "row" | "cell"
    level: int = 0  # 1 for the title, 2..6 for headings, 0 otherwise
    pieces: tuple[Piece, ...] = ()
    children: tuple[Block, ...] = ()
    ordered: bool = False  # list: numbered
    start: int = 1  # list: the first number of a numbered list
    tight: bool = True  # list: items without blank lines between them (no <p> inside)
    header: bool = False  # row, cell: the table's header row
    align: str = ""  # cell: "left" | "center" | "right" | "" as the source table says
    column: int = 0  # cell: 0-based column
    code: str = ""  # code: the block as written (never translated)
    info: str = ""  # code: the info string after the opening fence (e.g. the language)

    @property
    def text(self) -> str:
        return " ".join(piece.text for piece in self.pieces)


def walk(blocks: Sequence[Block]):
    """Every block, depth first, in reading order."""
    for block in blocks:
        yield block
        yield from walk(block.children)


@dataclass(frozen=True)
class LocalizedArticle:
    slug: str
    lang: str
    blocks: tuple[Block, ...]
    segments: int
    approved: int
    fuzzy: int
    drafts: int

    @property
    def untranslated(self) -> int:
        """Segments with no translation at all; the fuzzy ones are counted in `fuzzy`, never here."""
        return self.segments - self.approved - self.fuzzy

    @property
    def fallbacks(self) -> int:
        """Segments the reader gets in English: untranslated, plus fuzzy ones not shown as drafts."""
        return self.segments - self.approved - self.drafts

    @property
    def completeness(self) -> float:
        return 100.0 * (self.approved + self.drafts) / self.segments if self.segments else 0.0

    @property
    def title(self) -> str:
        """The title block; an article without one is named after its first sentence."""
        for block in walk(self.blocks):
            if block.kind == "title":
                return block.text
        for block in walk(self.blocks):
            if block.pieces:
                return shorten(block.pieces[0].text)
        return self.slug



@dataclass(frozen=True)
class Translation:
    msgstr: str
    fuzzy: bool


def shorten(text: str, limit: int = 90) -> str:
    """A title-sized prefix cut at a word boundary."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:-–—")
    return (cut or text[:limit]) + "…"


# Embeddings, overrides and isolates typed into a translation would re-order the page around them (a title
# "reversed" in the browser tab, an index entry swallowing its neighbours). The pages isolate every run of the
# other direction with markup themselves, so these controls are dropped; the marks LRM/RLM/ALM stay.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def collapse(text: str) -> str:
    """One line of reader text: whitespace collapsed, bidi embedding/override/isolate controls removed."""
    return " ".join(_BIDI_CONTROLS.sub("", text).split())


@dataclass(frozen=True)
class Run:
    """A stretch of text in one direction. `dir` is set when it runs against its surroundings (a Latin name or
    a number in Arabic, an Arabic quote in Kazakh): the page isolates it, with its `lang` where known."""

    text: str
    dir: str = ""
    lang: str = ""


@dataclass(frozen=True)
class Span:
    """Neighbouring pieces of one state, isolated as one run: two English fallback sentences in a row on an
    Arabic page are one left-to-right stretch, so a line never mixes the end of one with the start of the next."""

    state: str  # "approved" | "draft" | "source"
    runs: tuple[Run, ...]


def _bidi(ch: str) -> str:
    return unicodedata.bidirectional(ch)


def _against(kind: str, base: str) -> bool:
    """A character that runs against `base`: letters of the other direction; in right-to-left text also
    European digits, so "10–11" or "2026" are never turned around by their Arabic neighbours."""
    return kind in ("L", "EN") if base == "rtl" else kind in ("R", "AL", "AN")


def _with_base(kind: str, base: str) -> bool:
    return kind in ("R", "AL", "AN") if base == "rtl" else kind == "L"


def direction_runs(text: str, base: str) -> tuple[Run, ...]:
    """`text` cut where it turns against the page direction `base`; neutral characters (spaces, punctuation)
    between two characters of the other direction go with them, at the edges they stay with the page."""
    runs: list[Run] = []
    plain = i = 0
    n = len(text)
    while i < n:
        if not _against(_bidi(text[i]), base):
            i += 1
            continue
        start, end, j = i, i + 1, i + 1
        while j < n and not _with_base(_bidi(text[j]), base):
            if _against(_bidi(text[j]), base):
                end = j + 1
            j += 1
        while start > plain and _bidi(text[start - 1]) == "ET":  # "$5", "№ 3"
            start -= 1
        while end < n and _bidi(text[end]) == "ET":  # "15%", "20°"
            end += 1
        if start > plain:
            runs.append(Run(text[plain:start]))
        chunk = text[start:end]
        other = "ltr" if base == "rtl" else "rtl"
        lang = "ar" if other == "rtl" else ("en" if re.search("[A-Za-z]", chunk) else "")
        runs.append(Run(chunk, other, lang))
        plain = i = end
    if plain < n:
        runs.append(Run(text[plain:]))
    return tuple(runs)


def isolated(text: str, base: str):
    """Short reader text (titles in lists, status lines) as escaped HTML with its other-direction runs in
    <bdi>: "88.8%" after an Arabic word would otherwise read "%88.8"."""
    from markupsafe import Markup, escape

    return Markup("").join(
        Markup('<bdi dir="{}"{}>{}</bdi>').format(run.dir, Markup(' lang="{}"').format(run.lang) if run.lang else "",
                                                   run.text) if run.dir else escape(run.text)
        for run in direction_runs(text, base))


def spans(pieces: Sequence[Piece], base: str) -> tuple[Span, ...]:
    """Pieces as the page shows them: fallbacks (and approved sentences) merged with their like neighbours,
    each machine draft on its own (it carries its own label)."""
    groups: list[tuple[str, list[str]]] = []
    for piece in pieces:
        if groups and groups[-1][0] == piece.state and piece.state != "draft":
            groups[-1][1].append(piece.text)
        else:
            groups.append((piece.state, [piece.text]))
    return tuple(Span(state, direction_runs(" ".join(texts), "ltr" if state == "source" else base))
                 for state, texts in groups)


def all_english(pieces: Sequence[Piece]) -> bool:
    """A block shown wholly in English: the element itself becomes lang="en" dir="ltr"."""
    return bool(pieces) and all(piece.state == "source" for piece in pieces)


# ---------------------------------------------------------------- dates

_MONTHS = {name: n for n, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sept", "sep"), ("october", "oct"),
    ("november", "nov"), ("december", "dec")), 1) for name in names}
_MONTH = r"(?P<month>[A-Za-z]{3,9})\.?"
_DATELINES = (
    re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<year>(?:19|20)\d\d)\b"),
    re.compile(r"\b" + _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d\d)\b"),
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<mm>\d\d)-(?P<day>\d\d)\b"),
)


def _front_matter_date(text: str) -> date | None:
    found = re.match(r"---\n(.*?)\n(?:---|\.\.\.)\n", text, re.S)
    if not found:
        return None
    line = re.search(r"^date:\s*[\"']?(\d{4}-\d{2}-\d{2})", found.group(1), re.M)
    return _valid(int(line.group(1)[:4]), int(line.group(1)[5:7]), int(line.group(1)[8:])) if line else None


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def article_date(text: str) -> date | None:
    """The date an article gives itself: `date:` in Markdown front matter, else its dateline ("ASTANA, 8th
    October 2026 (WAM) --" in the first lines). None when it names no date: pages then show none."""
    found = _front_matter_date(text)
    if found:
        return found
    head = "\n".join(line for line in text.split("\n")[:6] if line.strip())[:600]
    for pattern in _DATELINES:
        for match in pattern.finditer(head):
            groups = match.groupdict()
            month = int(groups["mm"]) if groups.get("mm") else _MONTHS.get(groups["month"].lower())
            if month:
                day = _valid(int(groups["year"]), month, int(groups["day"]))
                if day:
                    return day
    return None


def date_text(iso: str, lang: str) -> str:
    """"8 October 2026", "8 октября 2026 г.", "2026 жылғы 8 қазан", "8 أكتوبر 2026"."""
    if not iso:
        return ""
    day = date.fromisoformat(iso)
    ui = UI_TEXT.get(lang, UI_TEXT["en"])
    return ui["date"].format(d=day.day, m=ui["months"].split()[day.month - 1], y=day.year)


def status_parts(ui: Mapping[str, str], *, segments: int, approved: int, drafts: int, english: int) -> list[str]:
    """What share of a page a reader can trust: reviewed, machine drafts, English. Never "100% translated"
    for drafts."""
    if not segments:
        return []
    parts = [ui["reviewed"].format(p=percent(100.0 * approved / segments))]
    if drafts:
        parts.append(ui["drafted"].format(p=percent(100.0 * drafts / segments)))
    if english:
        parts.append(ui["in_english"].format(p=percent(100.0 * english / segments)))
    return parts


def load_translations(path: Path, read: Callable[[Path], polib.POFile] | None = None
                      ) -> dict[tuple[str | None, str], Translation]:
    """Live entries with a non-empty msgstr, keyed by (msgctxt, msgid); an absent catalog reads as empty.

    Read with the strict reader `pipeline run` uses: a damaged catalog is an error (file:line), never a
    silently truncated translation on a public page.
    """
    if not path.is_file():
        return {}
    try:
        po = (read or read_po)(path)
    except CatalogError as exc:
        raise CatalogError(exc.path, exc.line, f"cannot read catalog: {exc.message}; fix or "
                                         "restore the file") from None
    except OSError as exc:
        raise CatalogError(path, 0, f"cannot read catalog ({exc.strerror or exc}); fix the "
                                         "file or its permissions") from None
    found: dict[tuple[str | None, str], Translation] = {}
    for entry in po:
        if entry.obsolete or entry.msgid_plural or not entry.msgstr.strip():
            continue
        found[(entry.msgctxt, entry.msgid)] = Translation(collapse(entry.msgstr), "fuzzy" in entry.flags)
    return found


def _source_text(segment: segmentation.Segment) -> str:
    return collapse(segment.text) or segment.norm  # the segmenter already took Markdown's `#` marks off


def _piece(seg: segmentation.Segment, found: Translation | None, include_fuzzy: bool) -> Piece:
    if found is not None and not found.fuzzy:
        return Piece(found.msgstr, "approved")
    if found is not None and include_fuzzy:
        return Piece(found.msgstr, "draft")
    return Piece(_source_text(seg), "source")


def _text_blocks(segments: Sequence[segmentation.Segment], pieces: Sequence[Piece]):
    """(line, containers, block) per title, heading, paragraph or table cell: a paragraph's sentences join."""
    found: list[tuple[int, tuple[segmentation.Container, ...], str, int, list[Piece]]] = []
    last_paragraph = None
    for position, (seg, piece) in enumerate(zip(segments, pieces, strict=True)):
        if seg.kind == "heading":
            # 1 for the title, then `#` levels (or 2 for a section head found by the heuristic), kept in 2..6
            kind, level = ("title", 1) if position == 0 else ("heading", min(max(seg.level, 2), 6))
            found.append((seg.line, seg.containers, kind, level, [piece]))
            last_paragraph = None
        elif seg.paragraph == last_paragraph:
            found[-1][4].append(piece)
        else:
            found.append((seg.line, seg.containers, "cell" if seg.kind == "cell" else "paragraph", 0, [piece]))
            last_paragraph = seg.paragraph
    return [(line, containers, Block(kind, level, tuple(items))) for line, containers, kind, level, items in found]


def _container_block(container: segmentation.Container, children: list[Block]) -> Block:
    if container.kind == "list":
        return Block("list", children=tuple(children), ordered=container.ordered, start=container.start,
                     tight=container.tight)
    if container.kind == "cell":
        pieces = tuple(piece for child in children for piece in child.pieces)
        return Block("cell", pieces=pieces, header=container.header, align=container.align,
                     column=container.position)
    if container.kind == "row":
        return Block("row", children=tuple(children), header=container.header)
    if container.kind == "table":
        return _full_table(children)
    return Block(container.kind, children=tuple(children))  # "item", "quote"


def _full_table(rows: list[Block]) -> Block:
    """Every row gets every column back (a cell with no text has no segment) and the table its header row."""
    width = max((cell.column + 1 for row in rows for cell in row.children), default=0)
    align = {cell.column: cell.align for row in rows for cell in row.children}
    if not any(row.header for row in rows):
        rows = [Block("row", header=True), *rows]
    full = []
    for row in rows:
        cells = {cell.column: cell for cell in row.children}
        full.append(Block("row", header=row.header, children=tuple(
            cells.get(n) or Block("cell", header=row.header, align=align.get(n, ""), column=n)
            for n in range(width))))
    return Block("table", children=tuple(full))


def _nest(leaves: Sequence[tuple[tuple[segmentation.Container, ...], Block]]) -> tuple[Block, ...]:
    """The article's block tree from its leaves and the containers each sits in (outermost first)."""
    top: list[Block] = []
    opened: list[tuple[segmentation.Container, list[Block]]] = []  # the containers around the current leaf
    for containers, leaf in leaves:
        shared = 0
        while shared < min(len(opened), len(containers)) and opened[shared][0] == containers[shared]:
            shared += 1
        _close(opened, top, keep=shared)
        opened.extend((container, []) for container in containers[shared:])
        (opened[-1][1] if opened else top).append(leaf)
    _close(opened, top, keep=0)
    return tuple(top)


def _close(opened: list[tuple[segmentation.Container, list[Block]]], top: list[Block], *, keep: int) -> None:
    """Close the innermost containers until `keep` remain, each becoming a block of the one around it."""
    while len(opened) > keep:
        container, children = opened.pop()
        (opened[-1][1] if opened else top).append(_container_block(container, children))


def reassemble(slug: str, lang: str, source_text: str, segments: Sequence[segmentation.Segment],
               keys: Sequence[tuple[str | None, str]],
               translations: Mapping[tuple[str | None, str], Translation], *,
               markdown: bool = False, include_fuzzy: bool = False) -> LocalizedArticle:
    """Put the article back together in `lang`: the source's structure (title, headings, paragraphs, nested
    lists, quotes, tables, code) as the segments carry it, with each segment's translation or English."""
    if len(keys) != len(segments):
        raise ValueError(f"{slug}: {len(keys)} catalog keys for {len(segments)} segments")
    found = [translations.get(key) for key in keys]
    pieces = [_piece(seg, match, include_fuzzy) for seg, match in zip(segments, found, strict=True)]
    leaves = _text_blocks(segments, pieces)
    if markdown:  # code is not translated: it is published as written, where it stood
        leaves += [(code.line, code.containers, Block("code", code=code.code, info=code.info))
                   for code in segmentation.markdown_code_blocks(source_text)]
    leaves.sort(key=lambda leaf: leaf[0])
    approved = sum(piece.state == "approved" for piece in pieces)
    drafts = sum(piece.state == "draft" for piece in pieces)
    fuzzy = sum(match is not None and match.fuzzy for match in found)
    return LocalizedArticle(slug=slug, lang=lang, blocks=_nest([(c, block) for _, c, block in leaves]),
                            segments=len(segments), approved=approved, fuzzy=fuzzy, drafts=drafts)


def markdown_escape(text: str, *, cell: bool = False) -> str:
    """Plain text that Markdown renders as the same text: no links, raw HTML, entities or new blocks.
    `cell`: inside a table row, where `|` ends the cell."""
    escaped = _MD_UNDERSCORE.sub(r"\\_", (_MD_CELL if cell else _MD_INLINE).sub(r"\\\1", text))
    return _MD_BLOCK_START.sub(lambda m: "\\" + m.group(1) if not m.group(1)[0].isdigit()
                               else m.group(1)[:-1] + "\\" + m.group(1)[-1], escaped)


def _md_text(pieces: Sequence[Piece], *, cell: bool = False) -> str:
    """English fallbacks in italics, so a reader of the Markdown sees them too."""
    parts = [markdown_escape(piece.text, cell=cell) for piece in pieces]
    return " ".join(f"*{text}*" if piece.state == "source" else text for piece, text in zip(pieces, parts,
                                                                                             strict=True))


def _md_join(blocks: Sequence[Block], *, tight: bool = False) -> list[str]:
    """Lines of sibling blocks: a blank line between them, none inside a tight list item."""
    lines: list[str] = []
    previous: Block | None = None
    for block in blocks:
        if lines and not tight:
            lines.append("")
        # Two lists in a row would read as one: the second takes the other bullet / number delimiter.
        other = previous is not None and previous.kind == "list" and block.kind == "list" \
            and previous.ordered == block.ordered
        lines += _md_lines(block, other_marker=other)
        previous = block
    return lines


def _md_lines(block: Block, *, other_marker: bool = False) -> list[str]:
    if block.kind == "code":
        ticks = max([3, *(len(run) + 1 for run in re.findall(r"`+", block.code))])
        return ["`" * ticks + block.info.replace("`", ""), *block.code.split("\n"), "`" * ticks]
    if block.kind == "paragraph":
        return [_md_text(block.pieces)]
    if block.kind in ("title", "heading"):
        return ["#" * block.level + " " + _md_text(block.pieces)]
    if block.kind == "quote":
        return [f"> {line}" if line else ">" for line in _md_join(block.children)]
    if block.kind == "list":
        return _md_list(block, other_marker)
    if block.kind == "table":
        return _md_table(block)
    raise ValueError(f"no Markdown for a {block.kind} block")


def _md_list(block: Block, other_marker: bool) -> list[str]:
    if block.ordered:
        marker = f"{block.start}{')' if other_marker else '.'} "
    else:
        marker = "* " if other_marker else "- "
    lines: list[str] = []
    for item in block.children:
        body = _md_join(item.children, tight=block.tight) or [""]
        if lines and not block.tight:
            lines.append("")
        lines.append((marker + body[0]).rstrip())
        lines += [" " * len(marker) + line if line else "" for line in body[1:]]
    return lines


def _md_table(block: Block) -> list[str]:
    rule = {"left": ":---", "center": ":---:", "right": "---:"}
    lines = []
    for row in block.children:
        lines.append("| " + " | ".join(_md_text(cell.pieces, cell=True) for cell in row.children) + " |")
        if row.header:
            lines.append("| " + " | ".join(rule.get(cell.align, "---") for cell in row.children) + " |")
    return lines


def render_markdown(doc: LocalizedArticle, *, source: str = "") -> str:
    """Front matter (JSON-quoted, valid YAML) for a CMS, then the article; English fallbacks in italics."""
    meta = {
        "title": doc.title, "lang": doc.lang, "dir": text_direction(doc.lang), "slug": doc.slug,
        "source": source, "completeness": shown_percent(doc.completeness), "machine_draft": doc.drafts > 0,
    }
    out = ["---", *(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in meta.items()), "---"]
    out.append("")
    ui = UI_TEXT.get(doc.lang, UI_TEXT["en"])
    if doc.drafts:
        note = ui["machine_draft"].format(n=doc.drafts, total=doc.segments)
        out += [f"> **{markdown_escape(note)}**", ""]
    if doc.fallbacks:
        note = ui["untranslated"].format(n=doc.fallbacks, total=doc.segments)
        out += [f"> *{markdown_escape(note)}*", ""]
    out += _md_join(doc.blocks)
    return "\n".join(out).rstrip("\n") + "\n"


def _environment():
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters["percent"] = percent
    env.filters["spans"] = spans
    env.filters["isolated"] = isolated
    env.filters["all_english"] = all_english
    return env


class _Templates:
    """The page templates, loaded (with jinja2) only when a page has to be rendered."""

    def __init__(self) -> None:
        self._env = None

    def get_template(self, name: str):
        if self._env is None:
            self._env = _environment()
        return self._env.get_template(name)


@dataclass(frozen=True)
class PreviousSite:
    """What the last publish run into `out` wrote, from its manifest."""

    files: frozenset[str] = frozenset()
    articles: tuple[dict, ...] = ()  # manifest rows
    languages: tuple[dict, ...] = ()  # manifest language entries


def previous_site(out: Path) -> PreviousSite:
    """The manifest of the last run; anything unreadable or not ours reads as no previous run."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return PreviousSite()
    if not isinstance(data, dict) or data.get("generator") != GENERATOR:
        return PreviousSite()

    def rows(name: str, key: str) -> tuple[dict, ...]:
        found = data.get(name)
        return tuple(row for row in found if isinstance(row, dict) and isinstance(row.get(key), str)) \
            if isinstance(found, list) else ()

    files = data.get("files")
    return PreviousSite(
        files=frozenset(name for name in files if isinstance(name, str)) if isinstance(files, list) else frozenset(),
        articles=rows("articles", "language"), languages=rows("languages", "code"))


def _language_order(lang: str) -> tuple[int, str]:
    return (TARGET_LANGS.index(lang) if lang in TARGET_LANGS else len(TARGET_LANGS), lang)


def _remove_stale(out: Path, stale: set[str]) -> None:
    base = out.resolve()
    for name in sorted(stale):
        target = (out / name).resolve()
        if base not in target.parents or target.suffix not in (".html", ".md", ".css"):
            continue
        target.unlink(missing_ok=True)
        try:
            target.parent.rmdir()  # only when we emptied it
        except OSError:
            pass


def check_options(root: Path, out: Path, langs: Sequence[str] | None, min_complete: float) -> list[str]:
    """The language codes to publish, in order without repeats; PublishError (nothing written) otherwise."""
    if not 0 <= min_complete <= 100:
        raise PublishError(f"--min-complete must be between 0 and 100, not {min_complete}")
    try:
        codes = list(parse_langs(langs))
    except LanguageError as exc:
        raise PublishError(str(exc)) from None
    root_abs, out_abs = root.resolve(), out.resolve()
    if out_abs == root_abs or out_abs in root_abs.parents or out_abs in {root_abs / "source_texts",
                                                                         root_abs / "locales"}:
        raise PublishError(f"{out} would mix the site with the workspace; publish into its own folder "
                           "(default: published/)")
    return codes


def _reason(doc: LocalizedArticle, include_fuzzy: bool, min_complete: float) -> str:
    what = "approved or machine-drafted" if include_fuzzy else "approved"
    usable = doc.approved + doc.drafts
    reason = (f"only {percent(doc.completeness)} {what} ({usable} of {doc.segments} segments), "
              f"below --min-complete {min_complete:g}")
    if doc.fuzzy and not include_fuzzy:
        reason += f"; {doc.fuzzy} fuzzy awaiting review (--include-fuzzy publishes them as machine drafts)"
    return reason


class PreparedArticle(Protocol):
    """An article a run has already read: its path as catalogs name it, its checksum (of that name and its
    text), and its segments, cut when first asked for."""

    article: sources.Article
    reference: str
    checksum: str

    def cut(self) -> list[segmentation.Segment]: ...


@dataclass
class _ReadHere:
    """An article publish reads itself (a `pipeline publish` of its own)."""

    article: sources.Article
    reference: str
    segments: list[segmentation.Segment]

    @property
    def checksum(self) -> str:
        return runstate.article_checksum(self.reference, self.article.text)

    def cut(self) -> list[segmentation.Segment]:
        return self.segments


def _read(ws: Workspace, path: Path, check: sources.LanguageCheck) -> _ReadHere:
    article = sources.read_article(path, check=check)
    return _ReadHere(article, ws.relative(path), segmentation.segment_text(article.text, markdown=article.markdown))


class Records(Protocol):
    """What the last run published, so that a run publishes only what changed (`runstate.RunCache`): a version
    made from the same inputs is not reassembled and a page rendered from the same inputs is not rendered."""

    def file_checksum(self, path: Path) -> str | None: ...

    def publication(self, key: str, inputs: str) -> dict | None: ...

    def published(self, key: str, inputs: str, row: dict) -> None: ...

    def page(self, path: Path, inputs: str) -> bool: ...

    def page_written(self, path: Path, inputs: str, data: bytes) -> None: ...


def _row(item) -> dict:
    """A flat dataclass (a Publication, the site settings) as a dict: what `asdict` gives, without its deep
    copies (the only nested field, a Publication's paths, is a dict of strings)."""
    return {name: dict(value) if isinstance(value, dict) else value
            for name, value in ((f, getattr(item, f)) for f in item.__dataclass_fields__)}


def publish(root: Path | Workspace, out: Path | None = None, langs: Sequence[str] | None = None, *,
            include_fuzzy: bool | None = None, min_complete: float | None = None,
            prepared: Mapping[Path, PreparedArticle] | None = None,
            strict: bool = False, read: Callable[[Path], polib.POFile] | None = None,
            records: Records | None = None, scan: ArticleScan | None = None) -> list[Publication]:
    """Write `<lang>/<slug>.md` + `.html`, the site indexes, style.css and manifest.json under `out`.

    Any caller gets what `pipeline publish` gets: the root must be a workspace (WorkspaceError), the options are
    checked before anything is written (PublishError), and the workspace lock is taken: while a run holds it
    this fails at once with WorkspaceBusy rather than read catalogs being rewritten. A run passes its own locked
    Workspace and `prepared`, the articles it has already read (`PreparedArticle`s: their segments, their path
    as catalogs name it and their checksum), by path, with `scan`, the articles it found; `read`, its catalog
    reader (each catalog parsed once per run); and `records`, what its last run published:
    a version whose article, catalog and options are unchanged is not reassembled, and a page whose inputs are
    unchanged and whose file holds what that run wrote is neither rendered nor rewritten.

    `out` defaults to the workspace's published/ folder, `langs` to every target language, `include_fuzzy` and
    `min_complete` to the workspace settings. Only the languages in `langs` are rebuilt: pages and manifest rows
    of the other target languages stay as the previous manifest lists them (`pipeline run --langs ru` must not
    unpublish Kazakh). Files an earlier run wrote for a rebuilt language and no longer published are removed;
    nothing else in `out` is touched.

    strict: translations the review checks find an error in (`pipeline check`) are refused: they count as
    untranslated and the page shows the English sentence, so with --min-complete 100 the article waits for the fix.
    """
    ws = as_workspace(root)
    out = ws.published if out is None else Path(out)
    include_fuzzy = ws.settings.publish.include_fuzzy if include_fuzzy is None else include_fuzzy
    min_complete = ws.settings.publish.min_complete if min_complete is None else min_complete
    codes = check_options(ws.root, out, langs, min_complete)  # before the lock touches the workspace
    with ws.lock():
        check_errors = _check_errors(ws, codes, include_fuzzy) if strict else {}
        return _publish(ws, out, codes, include_fuzzy=include_fuzzy, min_complete=min_complete,
                        prepared=prepared, check_errors=check_errors, read=read,
                        records=None if strict else records, scan=scan)


def _check_errors(ws: Workspace, codes: Sequence[str], include_fuzzy: bool) -> dict[str, set[tuple[str | None, str]]]:
    """{catalog: {(msgctxt, msgid)}} of the translations review checks find an error in."""
    from pipeline import glossary, qa

    try:
        terms = glossary.load(ws.glossary) if any(ws.glossary.glob("*.csv")) else None
    except glossary.GlossaryError as exc:
        raise PublishError(f"{exc.message}; --strict needs a readable glossary", exc.path, exc.line) from None
    return qa.error_keys(qa.check_workspace(ws.root, codes, "all" if include_fuzzy else "approved", terms))


def _publish(ws: Workspace, out: Path, codes: Sequence[str], *, include_fuzzy: bool, min_complete: float,
             prepared: Mapping[Path, PreparedArticle] | None,
             check_errors: Mapping[str, set[tuple[str | None, str]]] | None = None,
             read: Callable[[Path], polib.POFile] | None = None, records: Records | None = None,
             scan: ArticleScan | None = None) -> list[Publication]:
    docs: dict[tuple[str, str], _Doc] = {}
    results: list[Publication] = []
    scan = scan if scan is not None else ws.scan_articles()
    check = sources.LanguageCheck()
    # Linked from outside the workspace, or sharing a catalog with another article: never read.
    refused = {Path(exc.path): exc for exc in scan.refused}
    for path in sorted([*scan.paths, *refused], key=path_order):
        try:
            if path in refused:
                raise refused[path]
            ready = prepared[path] if prepared and path in prepared else _read(ws, path, check)
        except sources.SourceError as exc:
            # One unreadable article is reported; the others are still published, and its own last good
            # pages stay online as they were.
            slug = sources.slug_for(path)
            results.extend(Publication(slug=slug, lang=lang, title=slug, completeness=0.0, published=False,
                                       reason=f"source not usable: {exc}", source=ws.relative(path),
                                       failed=True)
                           for lang in codes)
            continue
        article, rel_source = ready.article, ready.reference
        source = _ArticleSource(article, ready.cut)
        modified = _modified(path)
        written = None  # the article's date, read from its text only when a version is rebuilt
        for lang in codes:
            catalog = ws.catalog_path(lang, article.slug)
            key = f"{lang}/{article.slug}"
            inputs = ""
            if records is not None:
                try:
                    ws.inside(catalog, "the catalog")
                except OutsideWorkspace:
                    pass  # said below, as without records
                else:
                    inputs = runstate.digest(GENERATOR, ready.checksum, records.file_checksum(catalog),
                                             include_fuzzy, min_complete, modified)
                    row = records.publication(key, inputs)
                    if row is not None:
                        pub = Publication(**row)
                        results.append(pub)
                        if pub.published:
                            docs[(article.slug, lang)] = _Doc(inputs, functools.partial(
                                _localized, source, catalog, lang, include_fuzzy, read))
                        continue
            if written is None:
                day = article_date(article.text)
                written = day.isoformat() if day else ""
            pub, doc = _version(ws, source, catalog, lang, rel_source, written, modified, include_fuzzy,
                                min_complete, check_errors, read)
            results.append(pub)
            if doc is not None:
                docs[(article.slug, lang)] = _Doc(inputs, lambda doc=doc: doc)
            if records is not None and inputs and not pub.failed:
                records.published(key, inputs, _row(pub))
    _write_site(out, codes, results, docs, include_fuzzy=include_fuzzy, min_complete=min_complete,
                site=ws.settings.site, records=records)
    return results


@dataclass
class _ArticleSource:
    """An article read for publishing, cut into segments (and keyed) only when a version must be rebuilt."""

    article: sources.Article
    cut: Callable[[], list[segmentation.Segment]]

    @functools.cached_property
    def segments(self) -> list[segmentation.Segment]:
        return self.cut()

    @functools.cached_property
    def keys(self) -> list[tuple[str | None, str]]:
        return catalog_stage.entry_keys(self.segments)


@dataclass(frozen=True)
class _Doc:
    """A published version: the inputs it was made from ("" when not recorded) and how to get it."""

    inputs: str
    get: Callable[[], LocalizedArticle]


def _localized(source: _ArticleSource, catalog: Path, lang: str, include_fuzzy: bool,
               read: Callable[[Path], polib.POFile] | None) -> LocalizedArticle:
    article = source.article
    return reassemble(article.slug, lang, article.text, source.segments, source.keys,
                      load_translations(catalog, read), markdown=article.markdown, include_fuzzy=include_fuzzy)


def _version(ws: Workspace, source: _ArticleSource, catalog: Path, lang: str, rel_source: str, written: str,
             modified: str, include_fuzzy: bool, min_complete: float,
             check_errors: Mapping[str, set[tuple[str | None, str]]] | None,
             read: Callable[[Path], polib.POFile] | None) -> tuple[Publication, LocalizedArticle | None]:
    """One article version rebuilt from its catalog: its row, and the article when it is published."""
    root = ws.root
    article, segments = source.article, source.segments
    common = {"slug": article.slug, "lang": lang, "source": rel_source, "segments": len(segments),
              "date": written, "modified": modified}
    if not segments:
        return Publication(title=article.slug, completeness=0.0, published=False,
                           reason="the article has no segments", **common), None
    if not catalog.is_file():
        return Publication(title=shorten(_source_text(segments[0])), completeness=0.0, published=False,
                           untranslated=len(segments), **common,
                           reason=f"no catalog {catalog.relative_to(root).as_posix()}; run `pipeline run` first"), None
    try:
        ws.inside(catalog, "the catalog")
        translations = load_translations(catalog, read)
    except (CatalogError, OutsideWorkspace) as exc:
        return Publication(title=shorten(_source_text(segments[0])), completeness=0.0, published=False,
                           reason=str(exc), untranslated=len(segments), failed=True, **common), None
    bad = (check_errors or {}).get(catalog.relative_to(root).as_posix(), set()) & translations.keys()
    for key in bad:  # publish --strict: refused, the page shows the English sentence
        del translations[key]
    doc = reassemble(article.slug, lang, article.text, segments, source.keys, translations,
                     markdown=article.markdown, include_fuzzy=include_fuzzy)
    counts = {"approved": doc.approved, "fuzzy": doc.fuzzy, "drafts": doc.drafts,
              "untranslated": doc.untranslated, "fallbacks": doc.fallbacks, "refused": len(bad)}
    if doc.completeness + 1e-9 < min_complete:
        reason = _reason(doc, include_fuzzy, min_complete)
        if bad:
            reason += f"; {len(bad)} refused for review-check errors (`pipeline check` lists them)"
        return Publication(title=doc.title, completeness=doc.completeness, published=False,
                           reason=reason, **counts, **common), None
    return Publication(title=doc.title, completeness=doc.completeness, published=True,
                       paths={"md": f"{lang}/{article.slug}.md", "html": f"{lang}/{article.slug}.html"},
                       **counts, **common), doc


def _modified(path: Path) -> str:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).date().isoformat()
    except OSError:
        return ""


@dataclass(frozen=True)
class _CarriedOver:
    """What the last run published and this run keeps as it was: the target languages it does not rebuild,
    and the article versions whose catalog or source could not be read this time (their last good page)."""

    rows: tuple[dict, ...]  # their manifest rows
    languages: dict[str, dict]  # code -> manifest language entry of a language not rebuilt
    files: frozenset[str]  # their files, still on disk
    published: tuple[dict, ...]  # their rows of published articles (well-formed)

    @property
    def codes(self) -> set[str]:
        return set(self.languages) | {row["language"] for row in self.rows}

    @property
    def kept(self) -> set[tuple[str, str]]:
        return {(row["article"], row["language"]) for row in self.rows if isinstance(row.get("article"), str)}


class _Site:
    """The output folder of one publish run: writes each file atomically and remembers what it wrote."""

    def __init__(self, out: Path, settings: SiteSettings, records: Records | None = None):
        self.out = out
        self.settings = settings
        self.records = records
        self.written: list[str] = []

    def write(self, name: str, text: str, inputs: str = "") -> None:
        """Written only when the content differs (an unchanged file keeps its inode and time); `inputs`: what
        the text was made from, recorded so the next run need not render it again."""
        data = text.encode("utf-8")
        files.write_if_changed(self.out / name, data)
        self.written.append(name)
        if inputs and self.records is not None:
            self.records.page_written(self.out / name, inputs, data)

    def unchanged(self, name: str, inputs: str) -> bool:
        """The file holds what the last run rendered from the same inputs: it stays as it is, unrendered."""
        if not inputs or self.records is None or not self.records.page(self.out / name, inputs):
            return False
        self.written.append(name)
        return True

    def url(self, name: str, here: str = "") -> str:
        """Absolute with a base URL; else relative to the page `here` (a path under out)."""
        if self.settings.base_url:
            return self.settings.base_url + ("" if name == "index.html" else name)
        depth = here.count("/")
        return "../" * depth + name


def _lang_info(lang: str) -> dict[str, str]:
    return {"code": lang, "name": native_name(lang), "dir": text_direction(lang)}


def _published_row(row: dict) -> bool:
    return row.get("published") is True and isinstance(row.get("paths"), dict) \
        and isinstance(row["paths"].get("html"), str) and isinstance(row.get("article"), str)


def _carried_over(out: Path, previous: PreviousSite, codes: Sequence[str],
                  failed: set[tuple[str, str]]) -> _CarriedOver:
    # Languages we no longer support are not carried over.
    rows = tuple(row for row in previous.articles if row["language"] in TARGET_LANGS and (
        row["language"] not in codes or (row.get("article"), row["language"]) in failed))
    languages = {entry["code"]: entry for entry in previous.languages
                 if entry["code"] not in codes and entry["code"] in TARGET_LANGS}
    whole = set(languages) | {row["language"] for row in rows if row["language"] not in codes}
    pages = {name for row in rows if row["language"] in codes and isinstance(row.get("paths"), dict)
             for name in row["paths"].values() if isinstance(name, str)}
    return _CarriedOver(
        rows=rows, languages=languages,
        files=frozenset(name for name in previous.files
                        if (name.split("/", 1)[0] in whole or name in pages) and (out / name).is_file()),
        published=tuple(row for row in rows if _published_row(row)))


@dataclass(frozen=True)
class _Listed:
    """One published article version as indexes, feeds and the sitemap list it."""

    slug: str
    lang: str
    title: str
    html: str  # path under out
    date: str
    modified: str
    segments: int
    approved: int
    drafts: int
    english: int


def _listed(published: Sequence[Publication], carried: _CarriedOver) -> list[_Listed]:
    found = [_Listed(pub.slug, pub.lang, pub.title, pub.paths["html"], pub.date, pub.modified, pub.segments,
                     pub.approved, pub.drafts, pub.fallbacks) for pub in published]

    def number(row: dict, key: str) -> int:
        value = row.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    found += [_Listed(row["article"], row["language"], str(row.get("title", "")), row["paths"]["html"],
                      str(row.get("date", "") or ""), str(row.get("modified", "") or ""),
                      number(row, "segments"), number(row, "approved"),
                      number(row, "drafts"), number(row, "shown_in_english"))
              for row in carried.published]
    return found


def _status(item: _Listed) -> list[str]:
    return status_parts(UI_TEXT.get(item.lang, UI_TEXT["en"]), segments=item.segments, approved=item.approved,
                        drafts=item.drafts, english=item.english)


def _write_articles(site: _Site, env, published: Sequence[Publication],
                    docs: Mapping[tuple[str, str], _Doc], listed: Sequence[_Listed]) -> None:
    """Each published article as Markdown and as an HTML page that links every other published version. A page
    whose inputs (the version's, the other versions it links, the site settings) are those the last run rendered
    it from, and whose file still holds what that run wrote, is not rendered again."""
    by_slug: dict[str, list[_Listed]] = {}
    for item in listed:
        by_slug.setdefault(item.slug, []).append(item)
    page = None
    for pub in published:
        found = docs[(pub.slug, pub.lang)]
        here = pub.paths["html"]
        versions = [{**_lang_info(item.lang), "href": f"../{item.lang}/{pub.slug}.html",
                     "url": site.url(item.html, here), "current": item.lang == pub.lang, "title": item.title}
                    for item in sorted(by_slug[pub.slug], key=lambda item: _language_order(item.lang))]
        inputs = runstate.digest(found.inputs, _row(pub), versions, _row(site.settings)) if found.inputs else ""
        if site.unchanged(pub.paths["md"], inputs) and site.unchanged(here, inputs):
            continue
        doc = found.get()
        site.write(pub.paths["md"], render_markdown(doc, source=pub.source), inputs)
        ui = UI_TEXT.get(pub.lang, UI_TEXT["en"])
        page = page or env.get_template("article.html")
        site.write(here, page.render(
            doc=doc, lang=_lang_info(pub.lang), ui=ui, versions=versions, pub=pub, css="../style.css",
            home="../index.html", site=site.settings, date=date_text(pub.date, pub.lang),
            canonical=site.url(here) if site.settings.base_url else "", x_default=site.url("index.html", here),
            status=status_parts(ui, segments=pub.segments, approved=pub.approved, drafts=pub.drafts,
                                english=pub.fallbacks)), inputs)


def _write_indexes(site: _Site, env, codes: Sequence[str], all_langs: Sequence[str],
                   listed: Sequence[_Listed], carried: _CarriedOver) -> None:
    """One index page per rebuilt language (a carried-over one stays as the last run wrote it), then the home.
    A page made from the same entries and settings as the last run's, its file as that run left it, is not
    rendered again."""
    languages = []
    settings = _row(site.settings)
    for lang in all_langs:
        entries = [item for item in listed if item.lang == lang]
        languages.append({**_lang_info(lang), "href": f"{lang}/index.html", "count": len(entries)})
        if lang not in codes:
            continue
        name = f"{lang}/index.html"
        rows = [{"title": item.title, "href": item.html.split("/", 1)[1], "status": _status(item),
                 "drafts": item.drafts, "date": date_text(item.date, lang), "iso": item.date} for item in entries]
        inputs = runstate.digest(GENERATOR, name, rows, settings) if site.records is not None else ""
        if site.unchanged(name, inputs):
            continue
        ui = UI_TEXT.get(lang, UI_TEXT["en"])
        site.write(name, env.get_template("language_index.html").render(
            lang=_lang_info(lang), ui=ui, css="../style.css", home="../index.html", site=site.settings,
            feed="feed.xml" if site.settings.base_url else "", entries=rows), inputs)
    inputs = runstate.digest(GENERATOR, "index.html", languages, settings) if site.records is not None else ""
    if site.unchanged("index.html", inputs):
        return
    site.write("index.html", env.get_template("index.html").render(
        languages=languages, lang=_lang_info(SOURCE_LANG), ui=UI_TEXT["en"], css="style.css", site=site.settings,
        home="index.html"), inputs)


def _updated(item: _Listed) -> str:
    day = item.date or item.modified or "1970-01-01"
    return f"{day}T00:00:00Z"


def _write_feeds(site: _Site, codes: Sequence[str], listed: Sequence[_Listed]) -> None:
    """An Atom feed per rebuilt language, newest first (needs the base URL: Atom ids and links are absolute)."""
    from xml.sax.saxutils import escape as xml_escape
    from xml.sax.saxutils import quoteattr

    for lang in codes:
        entries = sorted((item for item in listed if item.lang == lang), key=lambda item: item.date, reverse=True)
        name = site.settings.name or "pipeline publish"
        updated = max((_updated(item) for item in entries), default="1970-01-01T00:00:00Z")
        lines = ['<?xml version="1.0" encoding="utf-8"?>',
                 f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={quoteattr(lang)}>',
                 f"  <id>{xml_escape(site.url(f'{lang}/index.html'))}</id>",
                 f"  <title>{xml_escape(f'{name} · {native_name(lang)}')}</title>",
                 f"  <updated>{updated}</updated>",
                 f"  <author><name>{xml_escape(name)}</name></author>",
                 f'  <link rel="self" type="application/atom+xml" href={quoteattr(site.url(f"{lang}/feed.xml"))}/>',
                 f'  <link rel="alternate" type="text/html" href={quoteattr(site.url(f"{lang}/index.html"))}/>']
        for item in entries:
            status = " · ".join(_status(item))
            lines += ["  <entry>",
                      f"    <id>{xml_escape(site.url(item.html))}</id>",
                      f"    <title>{xml_escape(item.title)}</title>",
                      f'    <link rel="alternate" type="text/html" href={quoteattr(site.url(item.html))}/>',
                      f"    <updated>{_updated(item)}</updated>",
                      f"    <summary>{xml_escape(status)}</summary>",
                      "  </entry>"]
        lines.append("</feed>")
        site.write(f"{lang}/feed.xml", "\n".join(lines) + "\n")


def _write_sitemap(site: _Site, all_langs: Sequence[str], listed: Sequence[_Listed]) -> None:
    """sitemap.xml: the home, each language index and every published page with its other language versions
    (hreflang alternates, as search engines read them)."""
    from xml.sax.saxutils import escape as xml_escape  # only with a base URL: urllib comes with it (30 ms)
    from xml.sax.saxutils import quoteattr

    by_slug: dict[str, list[_Listed]] = {}
    for item in listed:
        by_slug.setdefault(item.slug, []).append(item)
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
             'xmlns:xhtml="http://www.w3.org/1999/xhtml">',
             f"  <url><loc>{xml_escape(site.url('index.html'))}</loc></url>"]
    lines += [f"  <url><loc>{xml_escape(site.url(f'{lang}/index.html'))}</loc></url>" for lang in all_langs]
    for item in sorted(listed, key=lambda item: (item.slug, _language_order(item.lang))):
        lines.append(f"  <url><loc>{xml_escape(site.url(item.html))}</loc>"
                     + (f"<lastmod>{item.date or item.modified}</lastmod>" if item.date or item.modified else ""))
        for other in sorted(by_slug[item.slug], key=lambda other: _language_order(other.lang)):
            lines.append(f'    <xhtml:link rel="alternate" hreflang={quoteattr(other.lang)} '
                         f"href={quoteattr(site.url(other.html))}/>")
        lines.append(f'    <xhtml:link rel="alternate" hreflang="x-default" href={quoteattr(site.url("index.html"))}/>')
        lines.append("  </url>")
    lines.append("</urlset>")
    site.write("sitemap.xml", "\n".join(lines) + "\n")


def _manifest_rows(results: Sequence[Publication], carried: _CarriedOver) -> list[dict]:
    """This run's rows and the carried-over ones, article by article in source order, languages in order.
    A version whose catalog failed keeps its last good row, with the error beside it."""
    errors = {(pub.slug, pub.lang): pub.reason for pub in results if pub.failed}
    rows = [{
        "article": pub.slug, "language": pub.lang, "dir": text_direction(pub.lang), "title": pub.title,
        "completeness": shown_percent(pub.completeness), "published": pub.published, "reason": pub.reason,
        "machine_draft": pub.drafts > 0, "segments": pub.segments, "approved": pub.approved,
        "fuzzy": pub.fuzzy, "drafts": pub.drafts, "untranslated": pub.untranslated,
        "shown_in_english": pub.fallbacks, "source": pub.source, "paths": pub.paths, "date": pub.date,
        "modified": pub.modified,
    } for pub in results if (pub.slug, pub.lang) not in carried.kept]
    rows += [{**row, "error": errors[key]} if (key := (row.get("article"), row["language"])) in errors else row
             for row in carried.rows]
    order = {slug: n for n, slug in enumerate(dict.fromkeys(str(row.get("article", "")) for row in rows))}
    return sorted(rows, key=lambda row: (order[str(row.get("article", ""))], _language_order(row["language"])))


def _manifest(site: _Site, codes: Sequence[str], all_langs: Sequence[str], results: Sequence[Publication],
              carried: _CarriedOver, settings: dict) -> dict:
    return {
        "generator": GENERATOR,
        "version": 1,
        "source_language": SOURCE_LANG,
        "languages": [{**_lang_info(lang), "settings": settings} if lang in codes
                      else {**_lang_info(lang), "settings": carried.languages.get(lang, {}).get("settings")}
                      for lang in all_langs],
        "settings": settings,
        "articles": _manifest_rows(results, carried),
        "files": sorted({*site.written, *carried.files, MANIFEST}),
    }


def _write_site(out: Path, codes: Sequence[str], results: Sequence[Publication],
                docs: Mapping[tuple[str, str], _Doc], *, include_fuzzy: bool,
                min_complete: float, site: SiteSettings | None = None, records: Records | None = None) -> None:
    """Pages, indexes, feeds and style of the rebuilt languages, the sitemap; then the manifest, after the stale
    files are gone. An article version that failed this time keeps its last good files untouched."""
    env = _Templates()
    previous = previous_site(out)
    failed = {(pub.slug, pub.lang) for pub in results if pub.failed}
    carried = _carried_over(out, previous, codes, failed)
    all_langs = sorted({*codes, *carried.codes}, key=_language_order)
    published = [pub for pub in results if pub.published]
    listed = _listed(published, carried)
    writer = _Site(out, site or SiteSettings(), records)
    writer.write("style.css", (TEMPLATES / "style.css").read_text(encoding="utf-8"))
    _write_articles(writer, env, published, docs, listed)
    _write_indexes(writer, env, codes, all_langs, listed, carried)
    if writer.settings.base_url:
        _write_feeds(writer, codes, listed)
        _write_sitemap(writer, all_langs, listed)
    manifest = _manifest(writer, codes, all_langs, results, carried,
                         {"include_fuzzy": include_fuzzy, "min_complete": min_complete})
    _remove_stale(out, set(previous.files) - set(writer.written) - carried.files - {MANIFEST})
    # The manifest is as large as the site; laid out with indentation, json writes it slowly: an unchanged one
    # (the same content, the file as the last run left it) is neither laid out nor rewritten.
    inputs = runstate.digest(GENERATOR, manifest) if records is not None else ""
    if not writer.unchanged(MANIFEST, inputs):
        writer.write(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", inputs)
