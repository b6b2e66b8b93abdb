"""Stage 7: publish localized article sets (Markdown, static HTML site, JSON manifest).

Each article is rebuilt from its English structure (title, headings, paragraphs; from Markdown also nested
lists, quotes, tables and code, as the segments carry them) with the translations the catalogs hold. Only
what a reader may see counts: approved entries, or approved + fuzzy machine drafts when asked for. Every
translated string is untrusted text: HTML goes through jinja2 autoescaping, Markdown through
`markdown_escape`, the manifest through `json`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import catalogs as catalog_stage
from pipeline import files, shown_percent, sources
from pipeline import percent_text as percent
from pipeline import segment as segmentation
from pipeline.errors import CatalogError, PublishError
from pipeline.formats.po import read_po
from pipeline.languages import SOURCE_LANG, TARGET_LANGS, LanguageError, native_name, parse_langs
from pipeline.languages import direction as text_direction
from pipeline.workspace import OutsideWorkspace, Workspace, as_workspace

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
    },
    "kk": {
        "languages": "Тілдер", "articles": "Мақалалар", "other_versions": "Басқа тілдерде",
        "translated": "аударылған", "all_languages": "Барлық тілдер", "no_articles": "Әзірге мақала жоқ.",
        "machine_draft": "Машиналық аударма жобасы: {total} бөліктің {n} бөлігін машина аударды, аудармашы "
                         "әлі тексерген жоқ. Олардың асты сызылған.",
        "untranslated": "{total} бөліктің {n} бөлігі әлі аударылмаған, ағылшын тілінде көрсетілген.",
        "source": "Түпнұсқа (ағылшынша)",
    },
    "ru": {
        "languages": "Языки", "articles": "Статьи", "other_versions": "На других языках",
        "translated": "переведено", "all_languages": "Все языки", "no_articles": "Статей пока нет.",
        "machine_draft": "Машинный черновик: {n} из {total} фрагментов переведены машиной и ещё не проверены "
                         "переводчиком. Они подчёркнуты.",
        "untranslated": "{n} из {total} фрагментов ещё не переведены и показаны на английском.",
        "source": "Оригинал (английский)",
    },
    "ar": {
        "languages": "اللغات", "articles": "المقالات", "other_versions": "بلغات أخرى",
        "translated": "مترجم", "all_languages": "كل اللغات", "no_articles": "لا توجد مقالات منشورة بعد.",
        "machine_draft": "مسودة ترجمة آلية: {n} من {total} مقاطع ترجمتها الآلة ولم يراجعها مترجم بعد، "
                         "وهي مسطّرة.",
        "untranslated": "{n} من {total} مقاطع لم تُترجم بعد وتظهر باللغة الإنجليزية.",
        "source": "الأصل (بالإنجليزية)",
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


def collapse(text: str) -> str:
    return " ".join(text.split())


def load_translations(path: Path) -> dict[tuple[str | None, str], Translation]:
    """Live entries with a non-empty msgstr, keyed by (msgctxt, msgid); an absent catalog reads as empty.

    Read with the strict reader `pipeline run` uses: a damaged catalog is an error (file:line), never a
    silently truncated translation on a public page.
    """
    if not path.is_file():
        return {}
    try:
        po = read_po(path)
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
    return env


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


def _read(path: Path) -> tuple[sources.Article, list[segmentation.Segment]]:
    article = sources.read_article(path)
    return article, segmentation.segment_text(article.text, markdown=article.markdown)


def publish(root: Path | Workspace, out: Path | None = None, langs: Sequence[str] | None = None, *,
            include_fuzzy: bool | None = None, min_complete: float | None = None,
            prepared: Mapping[Path, tuple[sources.Article, list[segmentation.Segment]]] | None = None,
            strict: bool = False) -> list[Publication]:
    """Write `<lang>/<slug>.md` + `.html`, the site indexes, style.css and manifest.json under `out`.

    Any caller gets what `pipeline publish` gets: the root must be a workspace (WorkspaceError), the options are
    checked before anything is written (PublishError), and the workspace lock is taken: while a run holds it
    this fails at once with WorkspaceBusy rather than read catalogs being rewritten. A run passes its own locked
    Workspace and `prepared`, the articles it has already read and segmented, by path.

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
                        prepared=prepared, check_errors=check_errors)


def _check_errors(ws: Workspace, codes: Sequence[str], include_fuzzy: bool) -> dict[str, set[tuple[str | None, str]]]:
    """{catalog: {(msgctxt, msgid)}} of the translations review checks find an error in."""
    from pipeline import glossary, qa

    try:
        terms = glossary.load(ws.glossary) if any(ws.glossary.glob("*.csv")) else None
    except glossary.GlossaryError as exc:
        raise PublishError(f"{exc.message}; --strict needs a readable glossary", exc.path, exc.line) from None
    return qa.error_keys(qa.check_workspace(ws.root, codes, "all" if include_fuzzy else "approved", terms))


def _publish(ws: Workspace, out: Path, codes: Sequence[str], *, include_fuzzy: bool, min_complete: float,
             prepared: Mapping[Path, tuple[sources.Article, list[segmentation.Segment]]] | None,
             check_errors: Mapping[str, set[tuple[str | None, str]]] | None = None) -> list[Publication]:
    root = ws.root
    docs: dict[tuple[str, str], LocalizedArticle] = {}
    results: list[Publication] = []
    scan = ws.scan_articles()
    # Linked from outside the workspace, or sharing a catalog with another article: never read.
    refused = {Path(exc.path): exc for exc in scan.refused}
    for path in sorted([*scan.paths, *refused]):
        rel_source = _relative_source(path, root)
        try:
            if path in refused:
                raise refused[path]
            article, segments = prepared[path] if prepared and path in prepared else _read(path)
        except sources.SourceError as exc:
            # One unreadable article is reported; the others are still published.
            slug = sources.slug_for(path)
            results.extend(Publication(slug=slug, lang=lang, title=slug, completeness=0.0, published=False,
                                       reason=f"source not usable: {exc}", source=rel_source)
                           for lang in codes)
            continue
        keys = catalog_stage.entry_keys(segments)
        for lang in codes:
            catalog = ws.catalog_path(lang, article.slug)
            common = {"slug": article.slug, "lang": lang, "source": rel_source, "segments": len(segments)}
            if not segments:
                results.append(Publication(title=article.slug, completeness=0.0, published=False,
                                           reason="the article has no segments", **common))
                continue
            if not catalog.is_file():
                results.append(Publication(
                    title=shorten(_source_text(segments[0])), completeness=0.0, published=False,
                    untranslated=len(segments), **common,
                    reason=f"no catalog {catalog.relative_to(root).as_posix()}; run `pipeline run` first"))
                continue
            try:
                ws.inside(catalog, "the catalog")
                translations = load_translations(catalog)
            except (CatalogError, OutsideWorkspace) as exc:
                results.append(Publication(title=shorten(_source_text(segments[0])), completeness=0.0,
                                           published=False, reason=str(exc), untranslated=len(segments),
                                           **common))
                continue
            bad = (check_errors or {}).get(catalog.relative_to(root).as_posix(), set()) & translations.keys()
            for key in bad:  # publish --strict: refused, the page shows the English sentence
                del translations[key]
            doc = reassemble(article.slug, lang, article.text, segments, keys, translations,
                             markdown=article.markdown, include_fuzzy=include_fuzzy)
            counts = {"approved": doc.approved, "fuzzy": doc.fuzzy, "drafts": doc.drafts,
                      "untranslated": doc.untranslated, "fallbacks": doc.fallbacks, "refused": len(bad)}
            if doc.completeness + 1e-9 < min_complete:
                reason = _reason(doc, include_fuzzy, min_complete)
                if bad:
                    reason += f"; {len(bad)} refused for review-check errors (`pipeline check` lists them)"
                results.append(Publication(title=doc.title, completeness=doc.completeness, published=False,
                                           reason=reason, **counts, **common))
                continue
            docs[(article.slug, lang)] = doc
            results.append(Publication(title=doc.title, completeness=doc.completeness, published=True,
                                       paths={"md": f"{lang}/{article.slug}.md",
                                              "html": f"{lang}/{article.slug}.html"},
                                       **counts, **common))
    _write_site(out, codes, results, docs, include_fuzzy=include_fuzzy, min_complete=min_complete)
    return results


def _relative_source(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


@dataclass(frozen=True)
class _CarriedOver:
    """What the last run published for the target languages this run does not rebuild; kept as it was."""

    rows: tuple[dict, ...]  # their manifest rows
    languages: dict[str, dict]  # code -> their manifest language entry
    files: frozenset[str]  # their files, still on disk
    published: tuple[dict, ...]  # their rows of published articles (well-formed)

    @property
    def codes(self) -> set[str]:
        return set(self.languages) | {row["language"] for row in self.rows}


class _Site:
    """The output folder of one publish run: writes each file atomically and remembers what it wrote."""

    def __init__(self, out: Path):
        self.out = out
        self.written: list[str] = []

    def write(self, name: str, text: str) -> None:
        files.write_if_changed(self.out / name, text)
        self.written.append(name)


def _lang_info(lang: str) -> dict[str, str]:
    return {"code": lang, "name": native_name(lang), "dir": text_direction(lang)}


def _carried_over(out: Path, previous: PreviousSite, codes: Sequence[str]) -> _CarriedOver:
    # Languages we no longer support are not carried over.
    rows = tuple(row for row in previous.articles
                 if row["language"] not in codes and row["language"] in TARGET_LANGS)
    languages = {entry["code"]: entry for entry in previous.languages
                 if entry["code"] not in codes and entry["code"] in TARGET_LANGS}
    kept = set(languages) | {row["language"] for row in rows}
    return _CarriedOver(
        rows=rows, languages=languages,
        files=frozenset(name for name in previous.files if name.split("/", 1)[0] in kept and (out / name).is_file()),
        published=tuple(row for row in rows if row.get("published") is True and isinstance(row.get("paths"), dict)
                        and isinstance(row["paths"].get("html"), str) and isinstance(row.get("article"), str)))


def _write_articles(site: _Site, env, published: Sequence[Publication],
                    docs: Mapping[tuple[str, str], LocalizedArticle], carried: _CarriedOver) -> None:
    """Each published article as Markdown and as an HTML page that links every other published version."""
    by_slug: dict[str, list[tuple[str, str]]] = {}  # slug -> (lang, title) of every published version
    for pub in published:
        by_slug.setdefault(pub.slug, []).append((pub.lang, pub.title))
    for row in carried.published:
        by_slug.setdefault(row["article"], []).append((row["language"], str(row.get("title", ""))))
    page = env.get_template("article.html")
    for pub in published:
        doc = docs[(pub.slug, pub.lang)]
        site.write(pub.paths["md"], render_markdown(doc, source=pub.source))
        versions = [{**_lang_info(lang), "href": f"../{lang}/{pub.slug}.html", "current": lang == pub.lang,
                     "title": title}
                    for lang, title in sorted(by_slug[pub.slug], key=lambda item: _language_order(item[0]))]
        site.write(pub.paths["html"], page.render(
            doc=doc, lang=_lang_info(pub.lang), ui=UI_TEXT.get(pub.lang, UI_TEXT["en"]), versions=versions,
            pub=pub, css="../style.css", home="../index.html"))


def _write_indexes(site: _Site, env, codes: Sequence[str], all_langs: Sequence[str],
                   published: Sequence[Publication], carried: _CarriedOver) -> None:
    """One index page per rebuilt language (a carried-over one stays as the last run wrote it), then the home."""
    page = env.get_template("language_index.html")
    languages = []
    for lang in all_langs:
        if lang not in codes:
            count = sum(row["language"] == lang for row in carried.published)
            languages.append({**_lang_info(lang), "href": f"{lang}/index.html", "count": count})
            continue
        entries = [pub for pub in published if pub.lang == lang]
        languages.append({**_lang_info(lang), "href": f"{lang}/index.html", "count": len(entries)})
        site.write(f"{lang}/index.html", page.render(
            lang=_lang_info(lang), ui=UI_TEXT.get(lang, UI_TEXT["en"]), css="../style.css",
            home="../index.html",
            entries=[{"title": pub.title, "href": f"{pub.slug}.html", "completeness": pub.completeness,
                      "drafts": pub.drafts} for pub in entries]))
    site.write("index.html", env.get_template("index.html").render(
        languages=languages, lang=_lang_info(SOURCE_LANG), ui=UI_TEXT["en"], css="style.css"))


def _manifest_rows(results: Sequence[Publication], carried: _CarriedOver) -> list[dict]:
    """This run's rows and the carried-over ones, article by article in source order, languages in order."""
    rows = [{
        "article": pub.slug, "language": pub.lang, "dir": text_direction(pub.lang), "title": pub.title,
        "completeness": shown_percent(pub.completeness), "published": pub.published, "reason": pub.reason,
        "machine_draft": pub.drafts > 0, "segments": pub.segments, "approved": pub.approved,
        "fuzzy": pub.fuzzy, "drafts": pub.drafts, "untranslated": pub.untranslated,
        "shown_in_english": pub.fallbacks, "source": pub.source, "paths": pub.paths,
    } for pub in results]
    rows += carried.rows
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
                docs: Mapping[tuple[str, str], LocalizedArticle], *, include_fuzzy: bool,
                min_complete: float) -> None:
    """Pages, indexes and style of the rebuilt languages; then the manifest, after the stale files are gone."""
    env = _environment()
    previous = previous_site(out)
    carried = _carried_over(out, previous, codes)
    all_langs = sorted({*codes, *carried.codes}, key=_language_order)
    published = [pub for pub in results if pub.published]
    site = _Site(out)
    site.write("style.css", (TEMPLATES / "style.css").read_text(encoding="utf-8"))
    _write_articles(site, env, published, docs, carried)
    _write_indexes(site, env, codes, all_langs, published, carried)
    manifest = _manifest(site, codes, all_langs, results, carried,
                         {"include_fuzzy": include_fuzzy, "min_complete": min_complete})
    _remove_stale(out, set(previous.files) - set(site.written) - carried.files - {MANIFEST})
    files.write_if_changed(out / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
