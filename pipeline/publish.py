"""Stage 7: publish localized article sets (Markdown, static HTML site, JSON manifest).

Each article is rebuilt from its English structure (title, section headings, paragraphs) with the
translations the catalogs hold. Only what a reader may see counts: approved entries, or approved + fuzzy
machine drafts when asked for. Every translated string is untrusted text: HTML goes through jinja2
autoescaping, Markdown through `markdown_escape`, the manifest through `json`.
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


@dataclass(frozen=True)
class Piece:
    """One segment as the reader gets it."""

    text: str
    state: str  # "approved" | "draft" (fuzzy, shown with include_fuzzy) | "source" (English fallback)


@dataclass(frozen=True)
class Block:
    kind: str  # "title" | "heading" | "paragraph" | "item" (list item) | "quote" | "code" (Markdown sources)
    level: int  # 1 for the title, 2..6 for headings, 0 for paragraphs
    pieces: tuple[Piece, ...]
    ordered: bool = False  # items: of a numbered list
    code: str = ""  # code: the fenced block as written (never translated)
    info: str = ""  # code: the info string after the opening fence (e.g. the language)

    @property
    def text(self) -> str:
        return " ".join(piece.text for piece in self.pieces)


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
        for block in self.blocks:
            if block.kind == "title":
                return block.text
        for block in self.blocks:
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


def reassemble(slug: str, lang: str, source_text: str, segments: Sequence[segmentation.Segment],
               keys: Sequence[tuple[str | None, str]],
               translations: Mapping[tuple[str | None, str], Translation], *,
               markdown: bool = False, include_fuzzy: bool = False) -> LocalizedArticle:
    """Put the article back together in `lang`: the title, section headings and paragraphs of the source."""
    if len(keys) != len(segments):
        raise ValueError(f"{slug}: {len(keys)} catalog keys for {len(segments)} segments")
    approved = fuzzy = drafts = 0
    runs: list[tuple[str, int, int, list[Piece], int, bool]] = []  # (kind, level, paragraph, pieces, line,
    # ordered)
    for position, (seg, key) in enumerate(zip(segments, keys, strict=True)):
        found = translations.get(key)
        if found is not None and not found.fuzzy:
            piece = Piece(found.msgstr, "approved")
            approved += 1
        elif found is not None and include_fuzzy:
            piece = Piece(found.msgstr, "draft")
            fuzzy += 1
            drafts += 1
        else:
            fuzzy += found is not None
            piece = Piece(_source_text(seg), "source")
        if seg.kind == "heading":
            level = seg.level  # 1 for the title or `#`, 2 for section heads or `##`, ...
            if position == 0:
                kind, level = "title", 1
            else:
                kind, level = "heading", min(max(level, 2), 6)
            runs.append((kind, level, seg.paragraph, [piece], seg.line, False))
        elif runs and runs[-1][0] not in ("title", "heading") and runs[-1][2] == seg.paragraph:
            runs[-1][3].append(piece)
        else:
            runs.append((seg.block, 0, seg.paragraph, [piece], seg.line, seg.ordered))
    blocks = [(line, Block(kind, level, tuple(pieces), ordered=ordered))
              for kind, level, _, pieces, line, ordered in runs]
    if markdown:  # fenced code is not translated: it is published as written
        blocks += [(line, Block("code", 0, (), code=code, info=info))
                   for line, info, code in segmentation.markdown_code_blocks(source_text)]
    blocks = tuple(block for _, block in sorted(blocks, key=lambda item: item[0]))
    return LocalizedArticle(slug=slug, lang=lang, blocks=blocks, segments=len(segments), approved=approved,
                            fuzzy=fuzzy, drafts=drafts)


def markdown_escape(text: str) -> str:
    """Plain text that Markdown renders as the same text: no links, raw HTML, entities or new blocks."""
    escaped = _MD_UNDERSCORE.sub(r"\\_", _MD_INLINE.sub(r"\\\1", text))
    return _MD_BLOCK_START.sub(lambda m: "\\" + m.group(1) if not m.group(1)[0].isdigit()
                               else m.group(1)[:-1] + "\\" + m.group(1)[-1], escaped)


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
    previous: Block | None = None
    for block in doc.blocks:
        parts = []
        for piece in block.pieces:
            text = markdown_escape(piece.text)
            parts.append(f"*{text}*" if piece.state == "source" else text)
        line = " ".join(parts)
        if block.kind == "code":
            ticks = max([3, *(len(run) + 1 for run in re.findall(r"`+", block.code))])
            out += ["`" * ticks + block.info.replace("`", ""), *block.code.split("\n"), "`" * ticks, ""]
        elif block.kind == "item":
            if previous is not None and previous.kind == "item" and previous.ordered == block.ordered:
                out.pop()  # one tight list
            out += [("1. " if block.ordered else "- ") + line, ""]
        elif block.kind == "quote":
            out += ["> " + line, ""]
        elif block.kind == "paragraph":
            out += [line, ""]
        else:
            out += ["#" * block.level + " " + line, ""]
        previous = block
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
            ) -> list[Publication]:
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
    """
    ws = as_workspace(root)
    out = ws.published if out is None else Path(out)
    include_fuzzy = ws.settings.publish.include_fuzzy if include_fuzzy is None else include_fuzzy
    min_complete = ws.settings.publish.min_complete if min_complete is None else min_complete
    codes = check_options(ws.root, out, langs, min_complete)  # before the lock touches the workspace
    with ws.lock():
        return _publish(ws, out, codes, include_fuzzy=include_fuzzy, min_complete=min_complete,
                        prepared=prepared)


def _publish(ws: Workspace, out: Path, codes: Sequence[str], *, include_fuzzy: bool, min_complete: float,
             prepared: Mapping[Path, tuple[sources.Article, list[segmentation.Segment]]] | None,
             ) -> list[Publication]:
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
            doc = reassemble(article.slug, lang, article.text, segments, keys, translations,
                             markdown=article.markdown, include_fuzzy=include_fuzzy)
            counts = {"approved": doc.approved, "fuzzy": doc.fuzzy, "drafts": doc.drafts,
                      "untranslated": doc.untranslated, "fallbacks": doc.fallbacks}
            if doc.completeness + 1e-9 < min_complete:
                results.append(Publication(title=doc.title, completeness=doc.completeness, published=False,
                                           reason=_reason(doc, include_fuzzy, min_complete),
                                           **counts, **common))
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


def _write_site(out: Path, codes: Sequence[str], results: Sequence[Publication],
                docs: Mapping[tuple[str, str], LocalizedArticle], *, include_fuzzy: bool,
                min_complete: float) -> None:
    env = _environment()
    previous = previous_site(out)
    settings = {"include_fuzzy": include_fuzzy, "min_complete": min_complete}
    # Other target languages are carried over from the last run; languages we no longer support are not.
    kept_rows = [row for row in previous.articles
                 if row["language"] not in codes and row["language"] in TARGET_LANGS]
    kept_info = {entry["code"]: entry for entry in previous.languages
                 if entry["code"] not in codes and entry["code"] in TARGET_LANGS}
    kept_langs = set(kept_info) | {row["language"] for row in kept_rows}
    all_langs = sorted({*codes, *kept_langs}, key=_language_order)
    kept_files = {name for name in previous.files
                  if name.split("/", 1)[0] in kept_langs and (out / name).is_file()}
    written: list[str] = []

    def emit(name: str, text: str) -> None:
        files.write_if_changed(out / name, text)
        written.append(name)

    def lang_info(lang: str) -> dict[str, str]:
        return {"code": lang, "name": native_name(lang), "dir": text_direction(lang)}

    emit("style.css", (TEMPLATES / "style.css").read_text(encoding="utf-8"))
    published = [pub for pub in results if pub.published]
    kept_published = [row for row in kept_rows if row.get("published") is True
                      and isinstance(row.get("paths"), dict) and isinstance(row["paths"].get("html"), str)
                      and isinstance(row.get("article"), str)]
    by_slug: dict[str, list[tuple[str, str]]] = {}  # slug -> (lang, title) of every published version
    for pub in published:
        by_slug.setdefault(pub.slug, []).append((pub.lang, pub.title))
    for row in kept_published:
        by_slug.setdefault(row["article"], []).append((row["language"], str(row.get("title", ""))))

    article_page = env.get_template("article.html")
    for pub in published:
        doc = docs[(pub.slug, pub.lang)]
        emit(pub.paths["md"], render_markdown(doc, source=pub.source))
        versions = [{**lang_info(lang), "href": f"../{lang}/{pub.slug}.html", "current": lang == pub.lang,
                     "title": title}
                    for lang, title in sorted(by_slug[pub.slug], key=lambda item: _language_order(item[0]))]
        emit(pub.paths["html"], article_page.render(
            doc=doc, lang=lang_info(pub.lang), ui=UI_TEXT.get(pub.lang, UI_TEXT["en"]), versions=versions,
            pub=pub, css="../style.css", home="../index.html"))

    lang_page = env.get_template("language_index.html")
    languages = []
    for lang in all_langs:
        if lang not in codes:  # its index page is left as the last run wrote it
            count = sum(row["language"] == lang for row in kept_published)
            languages.append({**lang_info(lang), "href": f"{lang}/index.html", "count": count})
            continue
        entries = [pub for pub in published if pub.lang == lang]
        languages.append({**lang_info(lang), "href": f"{lang}/index.html", "count": len(entries)})
        emit(f"{lang}/index.html", lang_page.render(
            lang=lang_info(lang), ui=UI_TEXT.get(lang, UI_TEXT["en"]), css="../style.css",
            home="../index.html",
            entries=[{"title": pub.title, "href": f"{pub.slug}.html", "completeness": pub.completeness,
                      "drafts": pub.drafts} for pub in entries]))
    emit("index.html", env.get_template("index.html").render(
        languages=languages, lang=lang_info(SOURCE_LANG), ui=UI_TEXT["en"], css="style.css"))

    rows = [{
        "article": pub.slug, "language": pub.lang, "dir": text_direction(pub.lang), "title": pub.title,
        "completeness": shown_percent(pub.completeness), "published": pub.published, "reason": pub.reason,
        "machine_draft": pub.drafts > 0, "segments": pub.segments, "approved": pub.approved,
        "fuzzy": pub.fuzzy, "drafts": pub.drafts, "untranslated": pub.untranslated,
        "shown_in_english": pub.fallbacks, "source": pub.source, "paths": pub.paths,
    } for pub in results]
    article_order = {slug: n for n, slug in enumerate(dict.fromkeys(
        [str(row.get("article", "")) for row in rows + kept_rows]))}
    rows = sorted(rows + kept_rows, key=lambda row: (article_order[str(row.get("article", ""))],
                                                     _language_order(row["language"])))
    manifest = {
        "generator": GENERATOR,
        "version": 1,
        "source_language": SOURCE_LANG,
        "languages": [{**lang_info(lang), "settings": settings} if lang in codes
                      else {**lang_info(lang), "settings": kept_info.get(lang, {}).get("settings")}
                      for lang in all_langs],
        "settings": settings,
        "articles": rows,
        "files": sorted({*written, *kept_files, MANIFEST}),
    }
    _remove_stale(out, set(previous.files) - set(written) - kept_files - {MANIFEST})
    files.write_if_changed(out / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
