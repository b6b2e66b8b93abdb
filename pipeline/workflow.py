"""The whole job, stage after stage: sources -> segments -> terms -> memory -> MT -> catalogs -> publish.

Data flows one way; each stage is its own module and this one only decides who fills which entry.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pipeline import (
    TARGET_LANGS,
    catalogs,
    engine,
    files,
    glossary,
    memory,
    memory_pg,
    percent_text,
    qa,
    runstate,
    sources,
)
from pipeline.errors import LocatedError, os_problem
from pipeline.formats import po_checks
from pipeline.languages import plural_categories_of
from pipeline.placement import Placer
from pipeline.segment import Segment, segment_text
from pipeline.workspace import ArticleScan, OutsideWorkspace, Workspace, WorkspaceError, path_order

if TYPE_CHECKING:  # placeholders is loaded by the MT path only: a run without a model never needs it
    from pipeline import placeholders

# Called as progress(description, done, total) while machine translation runs.
Progress = Callable[[str, int, int], None]

@dataclass
class RunOptions:
    langs: tuple[str, ...] = TARGET_LANGS
    min_score: float = memory.DEFAULT_MIN_SCORE
    exact_as_fuzzy: bool = False
    publish: bool = True
    project: str = "pipeline sample articles"
    beam_size: int = 2
    threads: int | None = None  # CPU threads for MT; None: [models] threads in pipeline.toml, else every core
    terms: dict[str, str] = field(default_factory=dict)  # lang -> protect | check | off (default protect)
    cluster: str | None = None  # "local" or a Dask scheduler address: MT batches run there (pipeline.cluster)
    workers: int | None = None  # workers of a local cluster (default: one per core)


@dataclass
class CatalogReport:
    slug: str
    lang: str
    path: Path
    entries: int = 0
    kept: int = 0  # already translated in the catalog
    memory_exact: int = 0
    memory_fuzzy: int = 0
    previous: int = 0  # old translation of a changed sentence
    drafted: int = 0  # machine translation
    wrong_language: int = 0  # machine drafts flagged as another language or script (Russian for Kazakh, …)
    untranslated: int = 0
    stats: catalogs.CatalogStats | None = None
    error: str = ""
    problems: dict[str, int] | None = None  # review checks: {"error": n, "warning": n} (`pipeline check --only all`)


@dataclass
class RunReport:
    catalogs: list[CatalogReport] = field(default_factory=list)
    missing_models: list[str] = field(default_factory=list)  # target languages without an installed package
    errors: list[str] = field(default_factory=list)  # articles or catalogs that were skipped, with file:line
    warnings: list[str] = field(default_factory=list)
    engines: dict[str, str] = field(default_factory=dict)  # lang -> engine label
    harvested: int = 0
    publications: list = field(default_factory=list)
    gaps: list = field(default_factory=list)  # candidates.ArticleGap: names in each article the glossary lacks

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def totals(self) -> dict[str, int]:
        """The catalog counts summed over the catalogs written, plus what this run filled from the memory
        (exact, fuzzy or the old translation of a changed sentence) and by machine translation."""
        totals = sum_counts(r.stats for r in self.catalogs if not r.error)
        totals["memory"] = sum(r.memory_exact + r.memory_fuzzy + r.previous for r in self.catalogs)
        totals["drafted"] = sum(r.drafted for r in self.catalogs)
        totals["wrong_language"] = sum(r.wrong_language for r in self.catalogs)
        return totals

    @property
    def percent_approved(self) -> float:
        return _percent(self.totals)


STATUS_COUNTS = ("total", "approved", "fuzzy", "untranslated", "obsolete")


def sum_counts(stats: Iterable[catalogs.CatalogStats | None]) -> dict[str, int]:
    totals = dict.fromkeys(STATUS_COUNTS, 0)
    for one in stats:
        for key in totals:
            totals[key] += getattr(one, key) if one is not None else 0
    return totals


def _percent(totals: dict[str, int]) -> float:
    return 100.0 * totals["approved"] / totals["total"] if totals["total"] else 0.0


@dataclass
class _Pending:
    """One catalog entry still to be decided, with where its draft lives."""

    segment: Segment
    draft: catalogs.Draft
    matches: list[glossary.TermMatch]
    report: CatalogReport


def load_glossary(root: Path | Workspace, raw: dict[Path, bytes] | None = None) -> glossary.Glossary:
    """The glossary of a workspace (empty without glossary/*.csv); a CSV linked from outside is refused.
    `raw`: its files' bytes, when the caller has read them (`glossary_bytes`)."""
    ws = root if isinstance(root, Workspace) else Workspace(Path(root))
    raw = glossary_bytes(ws) if raw is None else raw
    return glossary.load(ws.glossary, raw) if raw else glossary.Glossary([])


def glossary_bytes(ws: Workspace) -> dict[Path, bytes]:
    """The bytes of the files `load_glossary` reads, read once: a run parses them and checksums them."""
    folder = ws.glossary_folder()
    return {path: path.read_bytes() for path in glossary.glossary_files(folder)} if folder.is_dir() else {}


def place_terms(ws: Workspace, lang: str, output: str, assignments: Sequence[str],
                source: str | None = None) -> dict:
    """`pipeline glossary place`: terms put into an engine output; with the English source and an installed
    model, the model scores the forms the rules are unsure of (as in a run)."""
    from pipeline import placeholders

    scorer = None
    if source:
        mt = engine.Engine.load(ws.packages_dir, lang)
        if mt is None:
            raise placeholders.TermLookupError(f"--source needs an installed en→{lang} model in {ws.packages_dir} "
                                               "(`pipeline models list`); leave it out to see the rules alone")
        scorer = lambda candidates: mt.score(source, candidates)  # noqa: E731
    return placeholders.place_terms(load_glossary(ws), lang, output, assignments, scorer)


def read_articles(ws: Workspace, paths: Sequence[Path] | None, report: RunReport,
                  cache: runstate.RunCache | None = None, scan: ArticleScan | None = None) -> list[sources.Article]:
    """The articles, each checked (encoding, characters, language) unless the last run checked the same bytes
    (`cache`); the language detectors are built once for all of them. `scan`: `ws.scan_articles(paths)`, when
    the caller has it."""
    scan = scan if scan is not None else ws.scan_articles(paths)
    report.errors.extend(str(exc) for exc in scan.refused)
    articles = []
    check = sources.LanguageCheck()
    for path in scan.paths:
        try:
            trusted = functools.partial(cache.article, path) if cache is not None else None
            articles.append(sources.read_article(path, check=check, trusted=trusted))
            if cache is not None:
                cache.article_read(path)
        except sources.SourceError as exc:
            report.errors.append(str(exc))
    return articles


def harvest(tm: memory.Memory, ws: Workspace, report: RunReport, cache: runstate.RunCache | None = None) -> int:
    """Approved entries of every catalog under locales/ into the memory; a catalog that cannot be read is
    skipped here (and left untouched), its error is reported by the catalog stage or as a warning. `cache`: the
    run's reader (the catalog stage does not parse the same files again) and the last run's records (a catalog
    harvested then and unchanged since, the memory unchanged too, is not harvested again)."""
    added = 0
    if not ws.locales.is_dir():
        return 0
    for path in sorted(ws.locales.rglob("*.po"), key=path_order):
        try:
            ws.inside(path, "the catalog")
            if cache is not None and cache.harvest_known(path):
                continue
            added += tm.import_path(path, tmx=False, origin_root=ws.root,
                                    read=cache.reader.read if cache else None).added
            if cache is not None:
                cache.harvested(path)
        except OutsideWorkspace as exc:
            report.warnings.append(f"not harvested into the memory: {exc}")
        except memory.MemoryImportError as exc:
            report.warnings.append(f"not harvested into the memory: {exc}")
    return added


@dataclass
class _Source:
    """One article, cut and matched at most once per run; every language and the template reuse it. It is cut
    only when a stage needs its segments: an unchanged article whose template, catalogs and pages are skipped
    is never segmented."""

    article: sources.Article
    terms: glossary.Glossary
    reference: str  # the article's path as catalogs name it (relative to the workspace)

    @functools.cached_property
    def segments(self) -> list[Segment]:
        return segment_text(self.article.text, markdown=self.article.markdown)

    def cut(self) -> list[Segment]:
        return self.segments

    @functools.cached_property
    def keys(self) -> list[tuple[str | None, str]]:
        """(msgctxt, msgid) per segment."""
        return catalogs.entry_keys(self.segments)

    @functools.cached_property
    def matches(self) -> list[list[glossary.TermMatch]]:
        """The glossary terms found in each msgid (only an article whose catalogs are merged needs them)."""
        return [self.terms.find(msgid) for _, msgid in self.keys]

    @functools.cached_property
    def checksum(self) -> str:
        return runstate.article_checksum(self.reference, self.article.text)

    @property
    def msgids(self) -> set[str]:
        return {msgid for _, msgid in self.keys}


def _gaps(ws: Workspace, prepared: list[_Source], terms: glossary.Glossary) -> list:
    """The names each article holds that the glossary does not: MT will render them unprotected."""
    from pipeline import candidates

    return candidates.gaps([candidates.Sentence(source.reference, segment.line, msgid, matches)
                            for source in prepared
                            for segment, (_, msgid), matches in zip(source.segments, source.keys, source.matches,
                                                                    strict=True)], terms)


def _prepare(article: sources.Article, terms: glossary.Glossary, ws: Workspace) -> _Source:
    return _Source(article, terms, ws.relative(article.path))


def _base_drafts(source: _Source, lang: str) -> list[catalogs.Draft]:
    drafts = []
    for segment, (msgctxt, msgid), matches in zip(source.segments, source.keys, source.matches, strict=True):
        required = glossary.required_targets(matches, lang) if lang else []
        drafts.append(catalogs.Draft(msgid=msgid, msgctxt=msgctxt, occurrences=[(source.reference, str(segment.line))],
                                     comments=catalogs.format_comments(segment.kind, required)))
    return drafts


def run(ws: Workspace, options: RunOptions, paths: Sequence[Path] | None = None,
        progress: Progress | None = None) -> RunReport:
    """Translate articles into every requested language; nothing a translator wrote is ever replaced."""
    chosen = [ws.chosen_article(path) for path in paths] if paths else None  # WorkspaceError: nothing touched
    report = RunReport()
    with ws.lock():
        raw = glossary_bytes(ws)
        terms = load_glossary(ws, raw)
        # each catalog parsed once, whichever stage reads it; what did not change since the last run is not redone
        cache = runstate.RunCache(ws.root, runstate.RunState.load(
            ws.state / "run-state.json", _context(ws, options, raw), runstate.memory_signature(ws.memory_location)),
            catalogs.CatalogReader())
        scan = ws.scan_articles(chosen)
        articles = read_articles(ws, chosen, report, cache, scan)
        prepared = [_prepare(article, terms, ws) for article in articles]
        report.gaps = cache.gaps([source.checksum for source in prepared], lambda: _gaps(ws, prepared, terms))
        with open_memory(ws) as tm, memory_errors(ws):
            report.harvested = harvest(tm, ws, report, cache)
            pot_dates = _write_templates(ws, options, prepared, report, cache)
            packages = ws.packages_dir
            with _executors(ws, options) as load:
                for lang in options.langs:
                    try:
                        mt = load(packages, lang)
                    except engine.ModelError as exc:  # only a broken package for this pair: the others still run
                        report.errors.append(f"en→{lang}: {exc}")
                        mt = None
                    if mt is None:
                        report.missing_models.append(lang)
                    else:
                        report.engines[lang] = mt.label
                    _translate_language(ws, options, lang, prepared, tm, mt, report, progress, pot_dates, cache)
        _count_problems(ws, report.catalogs, terms, cache)
        if options.publish:  # still under the lock: nobody rewrites the catalogs while they are read
            from pipeline import publish

            site = ws.settings.publish
            report.publications = publish.publish(
                ws, ws.published, options.langs, include_fuzzy=site.include_fuzzy, min_complete=site.min_complete,
                prepared={source.article.path: source for source in prepared},
                read=cache.read, records=cache, scan=scan if chosen is None else None)
        cache.save(runstate.memory_signature(ws.memory_location))
    return report


def _context(ws: Workspace, options: RunOptions, glossary_files: dict[Path, bytes]) -> str:
    """What every catalog, template and page of a run depends on besides its article: the code (with the page
    templates), the glossary files (their bytes as the run read them), the options and where the memory is."""
    code = Path(__file__).resolve().parent
    signature = []
    for path in sorted([*code.rglob("*.py"), *(code / "templates").glob("*")]):
        stat = path.stat()
        signature.append((path.relative_to(code).as_posix(), stat.st_size, stat.st_mtime_ns))
    return runstate.digest(
        signature, [(path.name, runstate.checksum(data)) for path, data in glossary_files.items()],
        options.min_score, options.exact_as_fuzzy, options.project, sorted(options.terms.items()),
        options.beam_size, str(ws.memory_location))


def _write_templates(ws: Workspace, options: RunOptions, prepared: list[_Source], report: RunReport,
                     cache: runstate.RunCache | None = None) -> dict[str, str]:
    """The templates of the articles, written together (those unchanged since the last run are not even read);
    slug -> the template's POT-Creation-Date, which its catalogs take."""
    chosen: dict[Path, _Source] = {}
    pot_dates = {}
    for source in prepared:
        try:
            path = ws.inside(ws.template_path(source.article.slug), "the template")
        except OutsideWorkspace as exc:
            report.errors.append(f"{exc} (template not written)")
            continue
        known = cache.template(path, source.checksum) if cache is not None else None
        if known is not None:
            pot_dates[source.article.slug] = known
        else:
            chosen[path] = source
    now_on_disk: dict[Path, bytes] = {}
    written = catalogs.write_templates([(path, _base_drafts(source, "")) for path, source in chosen.items()],
                                       project=options.project, data=now_on_disk)
    for path, result in written.items():
        if isinstance(result, OSError):  # full disk, read-only folder, a folder named x.pot
            report.errors.append(f"{os_problem(result, path)} (template not written)")
        elif isinstance(result, catalogs.CatalogError):
            report.errors.append(f"{result} (template not written)")
        else:
            pot_dates[chosen[path].article.slug] = result
            if cache is not None and path in now_on_disk:
                cache.template_written(path, chosen[path].checksum, result, now_on_disk[path])
    return pot_dates


@contextlib.contextmanager
def _executors(ws: Workspace, options: RunOptions):
    """A loader of one language's executor: a local engine, or (with options.cluster) a ClusterEngine on a
    Dask cluster that lives as long as the run, its finished batches kept in `.pipeline/mt-cache.sqlite`."""
    if not options.cluster:
        translators: dict = {}  # one loaded model serves every language it translates into (NLLB-200)
        yield lambda packages, lang: engine.Engine.load(
            packages, lang, beam_size=options.beam_size, threads=options.threads or ws.settings.threads,
            translators=translators, batch_tokens=ws.settings.batch_tokens)
        return
    from pipeline import cluster

    if not {m.to_code for m in engine.list_models(ws.packages_dir) if m.from_code == "en"} & set(options.langs):
        yield lambda packages, lang: None  # no model at all: no cluster to start
        return
    cache = cluster.DraftCache(ws.state / "mt-cache.sqlite")
    try:
        with cluster.connect(options.cluster, options.workers, options.threads or 1) as client:
            yield lambda packages, lang: cluster.ClusterEngine.load(
                client, packages, lang, beam_size=options.beam_size, threads=options.threads or 1, cache=cache,
                max_batch_tokens=ws.settings.batch_tokens)
    finally:
        cache.close()


def _translate_language(ws: Workspace, options: RunOptions, lang: str, prepared: list[_Source], tm: memory.Memory,
                        mt: engine.Engine | None, report: RunReport, progress: Progress | None,
                        pot_dates: dict[str, str] | None = None, cache: runstate.RunCache | None = None) -> None:
    reader = cache.reader if cache is not None else catalogs.CatalogReader()
    label = mt.label if mt is not None else None
    inputs: dict[Path, str] = {}  # what each catalog is made from: the last run's record holds if it is the same
    jobs = []  # (CatalogReport, drafts, the catalog as read)
    queue: dict[str, list[_Pending]] = {}  # msgid -> entries waiting for the same machine translation
    for source in prepared:
        path = ws.catalog_path(lang, source.article.slug)
        entry_report = CatalogReport(slug=source.article.slug, lang=lang, path=path)
        report.catalogs.append(entry_report)
        inputs[path] = runstate.digest(lang, label, options.terms.get(lang), source.checksum,
                                       (pot_dates or {}).get(source.article.slug))
        try:
            ws.inside(path, "the catalog")  # also a new one: its folders may be links out of the workspace
            if cache is not None and (known := cache.catalog(path, inputs[path])) is not None:
                _as_before(entry_report, known, report)
                continue
            entry_report.entries = len(source.segments)
            catalog = reader.load(path)
        except (catalogs.CatalogError, OutsideWorkspace) as exc:
            entry_report.entries = len(source.segments)
            entry_report.error = str(exc)
            report.errors.append(f"{exc} (catalog left untouched)")
            continue
        except OSError as exc:  # a folder named x.po, an unreadable file: this catalog only, the others go on
            entry_report.entries = len(source.segments)
            entry_report.error = os_problem(exc, path)
            report.errors.append(f"{entry_report.error} (catalog left untouched)")
            continue
        report.warnings += po_checks.catalog_warnings(catalog.po, path)
        drafts = _base_drafts(source, lang)
        current = source.msgids
        for index, (segment, draft, matches) in enumerate(zip(source.segments, drafts, source.matches, strict=True)):
            existing = catalog.existing(draft.msgctxt, draft.msgid)
            if existing is not None:
                if existing.fuzzy and _upgrade_machine_draft(options, lang, draft, existing, tm):
                    entry_report.memory_exact += 1
                else:
                    entry_report.kept += 1
                continue
            if _fill_from_memory(options, lang, draft, catalog, (current, source.keys, index), tm, entry_report):
                continue
            queue.setdefault(draft.msgid, []).append(_Pending(segment, draft, matches, entry_report))
        jobs.append((entry_report, drafts, catalog))

    if mt is not None and queue:
        report.warnings += _machine_translate(lang, queue, mt, tm, progress, options.terms.get(lang, "protect"))
    for pending in queue.values():
        for item in pending:
            if item.draft.msgstr:
                item.report.drafted += 1
            else:
                item.report.untranslated += 1

    results = catalogs.update_catalogs(
        [catalogs.CatalogJob(entry_report.path, lang, drafts, catalog, (pot_dates or {}).get(entry_report.slug))
         for entry_report, drafts, catalog in jobs], project=options.project, reader=reader)
    for entry_report, _drafts, _catalog in jobs:
        result = results[entry_report.path]
        if isinstance(result, catalogs.CatalogError):
            entry_report.error = str(result)
            report.errors.append(str(result))
        elif isinstance(result, OSError):  # full disk, read-only LC_MESSAGES: this catalog is as it was
            entry_report.error = os_problem(result, entry_report.path)
            report.errors.append(f"{entry_report.error} (catalog not written)")
        else:
            entry_report.stats = result
            if cache is not None:
                known = reader.known(entry_report.path)
                cache.catalog_done(entry_report.path, inputs[entry_report.path],
                                   po_checks.catalog_warnings(known.po, entry_report.path) if known else [],
                                   entry_report.entries)


def _as_before(entry_report: CatalogReport, known: dict, report: RunReport) -> None:
    """A catalog the last run left as it is, from the same inputs: reported as a re-run would find it."""
    entry_report.stats = catalogs.CatalogStats(*known["stats"])
    entry_report.entries = known["entries"]
    entry_report.kept = entry_report.stats.approved + entry_report.stats.fuzzy
    entry_report.untranslated = entry_report.stats.untranslated
    report.warnings += known.get("warnings", [])


def _is_machine_draft(tm: memory.Memory, lang: str, source: str, target: str) -> bool:
    """True when target is exactly what the engine once wrote for source (so no translator has touched it)."""
    found = tm.lookup(source, lang, min_score=100, limit=20, include_machine=True)
    return any(m.status == memory.MACHINE and m.score >= 100 and m.target == target for m in found)


def _memory_matches(tm: memory.Memory, lang: str, msgid: str, min_score: float,
                    msgctxt: str | None) -> tuple[memory.Match | None, list[str], memory.Match | None]:
    """One lookup: the newest approved exact match, the other approved translations of the same sentence that
    disagree with it, and the best fuzzy match. Exact means the same context too: the same sentence approved in
    another msgctxt scores 95 and is only a fuzzy suggestion."""
    found = tm.lookup(msgid, lang, min_score=min_score, limit=10, context=msgctxt or "")
    exact = [m for m in found if m.score >= 100]
    fuzzy = next((m for m in found if m.score < 100), None)
    if not exact:
        return None, [], fuzzy
    return exact[0], list(dict.fromkeys(m.target for m in exact[1:] if m.target != exact[0].target)), fuzzy


def _reuse_exact(options: RunOptions, draft: catalogs.Draft, match: memory.Match, others: list[str]) -> None:
    """Exact reuse is approved as is, unless the team wants every reuse reviewed or the memory disagrees."""
    draft.msgstr, draft.fuzzy = match.target, options.exact_as_fuzzy or bool(others)
    draft.comments.append(catalogs.provenance_line(catalogs.memory_provenance(match.score, match.origin)))
    if others:
        alternatives = " | ".join(others)
        draft.comments.append(f"memory conflict: this sentence was also approved as: {alternatives}; "
                              "keep the right one and clear fuzzy")


def _upgrade_machine_draft(options: RunOptions, lang: str, draft: catalogs.Draft, existing: catalogs.Existing,
                           tm: memory.Memory) -> bool:
    """An approved translation replaces a machine draft nobody has touched since the engine wrote it.

    "Untouched" means the entry is still fuzzy and its msgstr is exactly what the engine wrote: the fingerprint in
    its provenance note says so (so a memory rebuilt from the catalogs still knows), or the memory recorded it as
    the engine's output; any edit by a translator makes it theirs, and it is kept.
    """
    approved, others, _ = _memory_matches(tm, lang, draft.msgid, 100, draft.msgctxt)
    if approved is None or approved.target == existing.msgstr:
        return False
    if not (existing.machine or _is_machine_draft(tm, lang, draft.msgid, existing.msgstr)):
        return False
    _reuse_exact(options, draft, approved, others)
    draft.replaces = existing.msgstr
    return True


def _fill_from_memory(options: RunOptions, lang: str, draft: catalogs.Draft, catalog: catalogs.Catalog,
                      place: tuple[set[str], list, int], tm: memory.Memory, entry_report: CatalogReport) -> bool:
    """Exact memory match, else the catalog's own old translation of this position (a sentence edited in place,
    whatever the score), else the better of a fuzzy memory match and the closest old translation.

    An old translation that is only an untouched machine draft of the previous wording is not worth keeping:
    the changed sentence goes to the engine afresh.
    """
    current, keys, index = place
    exact, others, best = _memory_matches(tm, lang, draft.msgid, options.min_score, draft.msgctxt)
    if exact is not None:
        _reuse_exact(options, draft, exact, others)
        entry_report.memory_exact += 1
        return True
    previous = catalog.previous_suggestion(draft.msgid, options.min_score, current, keys, index)
    if previous is not None and (previous.machine or _is_machine_draft(tm, lang, previous.old_msgid,
                                                                       previous.msgstr)):
        previous = None
    in_place = previous is not None and previous.score < options.min_score  # only its position recommends it
    if best is not None and not in_place and (previous is None or best.score >= previous.score):
        draft.msgstr, draft.fuzzy, draft.previous_msgid = best.target, True, best.source
        if best.context != memory.memory_context(draft.msgctxt):
            draft.previous_msgctxt = best.context or None
        draft.comments.append(catalogs.provenance_line(catalogs.memory_provenance(best.score, best.origin)))
        entry_report.memory_fuzzy += 1
        return True
    if previous is not None:
        draft.msgstr, draft.fuzzy, draft.previous_msgid = previous.msgstr, True, previous.old_msgid
        draft.comments.append(catalogs.provenance_line(
            f"previous translation of a changed sentence ({percent_text(previous.score)} similar)"))
        entry_report.previous += 1
        return True
    return False


def _forms_notes(result: placeholders.TermResult, found: Sequence[glossary.TermMatch]) -> tuple[str, list[str]]:
    """(what the provenance line adds, the `term forms:` line): which form each term took and who chose it."""
    if not result.terms:
        return "", []
    deciders = sorted({t.decided_by for t in result.terms})
    extra = f"; term forms by {' and '.join(deciders)}"
    if result.hypothesis:
        extra += f"; hypothesis {result.hypothesis + 1} (the better ones broke a glossary placeholder)"
    parts = [f"{t.text} ({t.form}, {t.decided_by})" for t in result.terms]
    return extra, ["term forms: " + "; ".join(parts)]


class Executor(Protocol):
    """Who turns sentences into target-language text: a loaded local `engine.Engine`, or anything with the same
    calls (a cluster of workers, say). `translate` gets every sentence of a run in one call and batches itself;
    `hypotheses` (texts, on_batch) -> every hypothesis of each beam, best first, and `score` are optional."""

    label: str

    def translate(self, texts: list[str], on_batch: Callable[[int], None] | None = None) -> list[str]: ...


def _reports_batches(call: Callable) -> bool:
    """Whether an executor's call takes `on_batch` (simple stand-ins may not)."""
    try:
        return "on_batch" in inspect.signature(call).parameters
    except (TypeError, ValueError):
        return False


def draft_sentences(lang: str, sentences: Sequence[str], matches: Sequence[Sequence[glossary.TermMatch]],
                    executor: Executor, policy: str = "protect",
                    progress: Progress | None = None) -> list[placeholders.TermResult]:
    """Distinct sentences of one language -> drafts, glossary terms handled as the policy says.

    The executor gets every sentence in one call (`hypotheses` when it has it, else `translate`; it batches by
    tokens, in length order, and reports each batch); a segment whose placeholders broke in the best hypothesis
    takes another of the same beam, and what is still broken goes to one final unprotected call. `score`, when
    the executor has it, decides term forms the placement rules are unsure of.
    """
    total = len(sentences)
    done = 0
    first_call = True

    def on_batch(n: int) -> None:
        nonlocal done
        done += n
        progress(f"machine translation en→{lang}", min(done, total), total)

    def reporting(call: Callable) -> Callable:
        def first(texts: list[str]):
            nonlocal first_call
            if not first_call or progress is None or not _reports_batches(call):
                return call(texts)
            first_call = False
            return call(texts, on_batch=on_batch)
        return first

    from pipeline import placeholders

    hypotheses = getattr(executor, "hypotheses", None)
    results = placeholders.translate_with_terms(
        list(sentences), matches, lang, reporting(executor.translate), policy=policy,
        hypotheses=reporting(hypotheses) if hypotheses is not None else None,
        scorer=getattr(executor, "score", None), placer=Placer(lang))
    if progress is not None and done < total:  # an executor that reports no batches: one step at the end
        progress(f"machine translation en→{lang}", total, total)
    return results


def _machine_translate(lang: str, queue: dict[str, list[_Pending]], mt: Executor, tm: memory.Memory,
                       progress: Progress | None, policy: str = "protect") -> list[str]:
    """Each distinct sentence goes to the executor once; drafts fill every entry waiting for them.

    A segment over engine.MAX_MT_CHARACTERS is not sent at all: it stays untranslated with a note saying why
    (returned as warnings), so one pasted blob cannot hold the run, and the workspace lock, for an hour.
    """
    warnings = []
    too_long = [m for m in queue if len(m) > engine.MAX_MT_CHARACTERS]
    for msgid in too_long:
        note = (f"machine translation: skipped, the segment is {len(msgid):,} characters long (the limit is "
                f"{engine.MAX_MT_CHARACTERS:,}); break it into sentences or paragraphs in the article, or "
                "translate it by hand")
        for item in queue[msgid]:
            item.draft.comments.append(note)
            warnings.append(f"{item.report.path}: line {item.segment.line} of the article: {note}")
    msgids = [m for m in queue if m not in set(too_long)] if too_long else list(queue)
    matches = [queue[msgid][0].matches for msgid in msgids]
    results = draft_sentences(lang, msgids, matches, mt, policy, progress) if msgids else []
    drafted: list[memory.Unit] = []
    detect = qa.language_detector() if msgids else None
    for msgid, found, result in zip(msgids, matches, results, strict=True):
        extra, forms_lines = _forms_notes(result, found)
        notes = [catalogs.provenance_line(catalogs.machine_provenance(mt.label, result.text, extra)),
                 *forms_lines]
        if not result.ok:
            notes.extend(result.notes)
        # Terms the glossary notes already name (their placeholder broke) are not listed a second time.
        missing = [m for m in (qa.missing_terms(result.text, found, lang) if result.text else [])
                   if m.concept.id not in result.broken]
        note = qa.missing_terms_note(missing, lang)
        if note:
            notes.append(note)
        wrong = qa.wrong_language(msgid, result.text, lang, found, detect) if result.text else ""
        if wrong:  # never filed as a plain draft: the note says why, the run summary counts it
            notes.append(f"wrong language: {wrong}")
        for item in queue[msgid]:
            item.draft.msgstr, item.draft.fuzzy = result.text, True
            item.draft.comments.extend(notes)
            item.report.wrong_language += bool(wrong)
        if result.text:
            drafted.append(memory.Unit("en", lang, msgid, result.text, memory.MACHINE, mt.label))
    if drafted:
        tm.add(drafted)
    return warnings


@dataclass
class StatusRow:
    slug: str
    lang: str
    stats: catalogs.CatalogStats | None  # None when the catalog cannot be read
    error: str = ""
    path: Path | None = None
    problems: dict[str, int] | None = None  # review checks: {"error": n, "warning": n} (`pipeline check --only all`)


def _count_problems(ws: Workspace, rows: Sequence[CatalogReport | StatusRow], terms: glossary.Glossary,
                    cache: runstate.RunCache | None = None) -> None:
    """Review-check counts per catalog, over its approved and fuzzy entries (what `pipeline check --only all`
    lists), into each readable row; the last run's counts when no catalog changed since."""
    readable = [row for row in rows if not row.error and row.path is not None and row.path.exists()]
    if not readable:
        return
    known = cache.problems([row.path for row in readable]) if cache is not None else None
    if known is not None:
        for row in readable:
            row.problems = known[row.path]
        return
    found = qa.check_workspace(ws.root, only="all", glossary=terms, catalogs=[(r.lang, r.path) for r in readable],
                               read=cache.read if cache else None)
    counts = found.per_catalog()
    for row in readable:
        row.problems = counts.get(qa.catalog_name(row.path, ws.root))
    if cache is not None:
        cache.record_problems([row.path for row in readable], [row.problems for row in readable])


@dataclass
class StatusReport:
    rows: list[StatusRow]
    totals: dict[str, int]  # the STATUS_COUNTS summed over the readable catalogs
    errors: list[str]  # broken catalogs, refused articles

    @property
    def percent_approved(self) -> float:
        return _percent(self.totals)

    @property
    def ok(self) -> bool:
        return not self.errors


def status(ws: Workspace, langs: Sequence[str] = TARGET_LANGS) -> StatusReport:
    """One row per article in source_texts/ and language that has a catalog; a broken catalog is a row too."""
    scan = ws.scan_articles()
    rows = []
    for slug in (sources.slug_for(path) for path in scan.paths):
        for lang in langs:
            path = ws.catalog_path(lang, slug)
            if not path.exists():
                continue
            try:
                ws.inside(path, "the catalog")
                rows.append(StatusRow(slug, lang, catalogs.catalog_stats(path), path=path))
            except (catalogs.CatalogError, OutsideWorkspace) as exc:
                rows.append(StatusRow(slug, lang, None, str(exc)))
    try:
        terms = load_glossary(ws)
    except (glossary.GlossaryError, OutsideWorkspace):  # `glossary check` says why; the other checks still count
        terms = glossary.Glossary([])
    _count_problems(ws, rows, terms)
    totals = sum_counts(row.stats for row in rows)
    errors = [str(exc) for exc in scan.refused] + [row.error for row in rows if row.error]
    return StatusReport(rows, totals, errors)


@dataclass
class Compiled:
    lang: str
    catalog: Path
    mo: Path | None  # None when the catalog could not be compiled
    approved: int = 0
    error: str = ""


def compile_catalogs(ws: Workspace, out: Path | None = None, langs: Sequence[str] = TARGET_LANGS) -> list[Compiled]:
    """Every catalog under locales/<lang>/LC_MESSAGES as a .mo file with its approved entries: beside it, or
    into `out`/<lang>/LC_MESSAGES/ (the layout gettext's bindtextdomain expects). Under the workspace lock, so no
    run rewrites a catalog while it is read; a broken catalog is reported and the others are still compiled."""
    done: list[Compiled] = []
    with ws.lock():
        for lang in langs:
            folder = ws.locales / lang / "LC_MESSAGES"
            for path in sorted(folder.glob("*.po")) if folder.is_dir() else []:
                target_dir = folder if out is None else Path(out) / lang / "LC_MESSAGES"
                mo = target_dir / (path.stem + ".mo")
                try:
                    ws.inside(path, "the catalog")
                    target_dir.mkdir(parents=True, exist_ok=True)
                    stats = catalogs.compile_catalog(path, mo)
                    done.append(Compiled(lang, path, mo, stats.approved))
                except (catalogs.CatalogError, OutsideWorkspace) as exc:
                    done.append(Compiled(lang, path, None, error=str(exc)))
                except OSError as exc:
                    done.append(Compiled(lang, path, None, error=os_problem(exc, mo)))
    return done


class MemoryOpenError(LocatedError):
    """The workspace memory is missing (for a command that only reads it) or cannot be opened."""

    def __init__(self, message: str, path: str | Path | None = None, line: int = 0):
        super().__init__(path, line, message)


def memory_name(ws: Workspace) -> str:
    """The memory location for messages: a database URL without its password."""
    location = ws.memory_location
    return memory_pg.mask_url(location) if isinstance(location, str) else str(location)


def memory_problem(ws: Workspace, exc: Exception) -> MemoryOpenError:
    """What went wrong with the memory database, and what to do: a damaged file is moved aside and rebuilt
    from the catalogs (nothing in locales/ depends on it), a full disk freed, a read-only folder made writable."""
    name, text = memory_name(ws), str(exc)
    location = ws.memory_location
    if "disk is full" in text or getattr(exc, "errno", None) == 28:
        return MemoryOpenError(f"{name}: the disk is full ({text}); free some space and run again (the memory "
                               "keeps its last complete state, the catalogs written so far are complete)")
    if any(word in text for word in ("malformed", "not a database", "encrypted", "disk I/O error")):
        rebuild = (f"move it aside and rebuild it from the catalogs: `mv {location} {location}.damaged && "
                   f"pipeline tm import {ws.locales} --root {ws.root}` (then import again any TMX files you had "
                   "imported)") if isinstance(location, Path) else "restore the database from a backup"
        return MemoryOpenError(f"the translation memory {name} is damaged ({text}); nothing in the catalogs "
                               f"depends on it: {rebuild}")
    if "readonly" in text or "unable to open" in text:
        folder = location.parent if isinstance(location, Path) else name
        return MemoryOpenError(f"{name}: cannot write the translation memory ({text}); make {folder} writable, "
                               "or set [memory] location in pipeline.toml to a writable place")
    return MemoryOpenError(f"cannot use the translation memory {name}: {text}")


@contextlib.contextmanager
def memory_errors(ws: Workspace):
    """SQLite failures while the memory is in use become one MemoryOpenError saying what to do."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        raise memory_problem(ws, exc) from None


def open_memory(ws: Workspace, *, must_exist: bool = False) -> memory.Memory:
    """The workspace memory; reading commands on a workspace without one get a hint instead of an empty file."""
    location = ws.memory_location
    if must_exist and isinstance(location, Path) and not location.exists():
        raise MemoryOpenError(f"no translation memory at {location}: import reviewed catalogs first with "
                                f"`pipeline tm import {ws.locales} --root {ws.root}`")
    try:
        return memory.Memory.open(location)
    except memory_pg.MemoryUnavailable as exc:  # names the server (password masked) and what to do
        raise MemoryOpenError(str(exc)) from None
    except sqlite3.DatabaseError as exc:
        raise memory_problem(ws, exc) from None
    except (RuntimeError, sqlite3.Error, OSError) as exc:
        raise MemoryOpenError(f"cannot open the translation memory {memory_name(ws)}: {exc}") from None


def migrate_memory(ws: Workspace, to: str | Path,
                   progress: Callable[[int], None] | None = None) -> memory.MigrationReport:
    """Copy the workspace memory, whole, into an empty one (a database URL or a SQLite file), under the
    workspace lock so that no run harvests into it meanwhile. The copy is one transaction on the other side."""
    target = to if memory_pg.is_url(to) else Path(to).expanduser()
    here = ws.memory_location
    if str(target) == str(here) or (isinstance(target, Path) and isinstance(here, Path)
                                     and target.resolve() == here.resolve()):
        raise MemoryOpenError(f"{memory_name(ws)} is the workspace memory itself: migrate it to another place")
    with ws.lock(), open_memory(ws, must_exist=True) as source:
        try:
            other = memory.Memory.open(target)
        except memory_pg.MemoryUnavailable as exc:
            raise MemoryOpenError(str(exc)) from None
        except (RuntimeError, sqlite3.Error) as exc:
            raise MemoryOpenError(f"cannot open {target}: {exc}") from None
        with other:
            try:
                return source.migrate_to(other, progress=progress)
            except memory.MemoryMigrationError as exc:
                raise MemoryOpenError(str(exc)) from None


def import_memory(ws: Workspace, paths: Sequence[Path], *, source_lang: str | None = None,
                  on_file: Callable[[Path], None] | None = None) -> memory.ImportReport:
    """Reviewed catalogs and TMX files into the workspace memory, under the workspace lock, all or nothing.

    A malformed file raises MemoryImportError and the memory is left as it was.
    """
    for path in paths:
        if not Path(path).exists():
            raise memory.MemoryImportError(path, 0, "no such file or directory")
    report = memory.ImportReport()
    with ws.lock(), open_memory(ws) as tm, memory_errors(ws):
        with tm.store.transaction():
            for path in paths:
                report += tm.import_path(path, source_lang=source_lang, origin_root=ws.root, on_file=on_file)
        if report.added > 50_000:
            tm.optimize()
    return report


@dataclass
class FilledCatalog:
    """What `pipeline tm fill` did to one catalog."""

    path: Path
    lang: str = ""
    approved: int = 0  # filled and approved: the same source in the same context, one translation in the memory
    fuzzy: int = 0  # filled for review: a close source, the same one from another context, or a memory conflict
    plural: int = 0  # plural entries among those filled (every form)
    untranslated: int = 0  # empty entries the memory had nothing for
    written: bool = False
    error: str = ""


@dataclass
class FillReport:
    catalogs: list[FilledCatalog] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [c.error for c in self.catalogs if c.error]


def fill_catalogs(ws: Workspace, paths: Sequence[Path], *, min_score: float = memory.DEFAULT_MIN_SCORE,
                  exact_as_fuzzy: bool = False) -> FillReport:
    """Empty entries of the named catalogs (.po files, or folders of them) filled from the workspace memory, as a
    run fills an article's: an exact match in the same context approved, anything else fuzzy with `#|` and a
    provenance note. A plural entry takes every form, put in the catalog's own index order (its Plural-Forms).

    An entry with any text is the translator's and never touched. Each catalog is written atomically (not at all
    when someone saved it meanwhile); one that cannot be read is reported and the others go on.
    """
    found: list[Path] = []
    report = FillReport()
    for path in map(Path, paths):
        if not path.exists():
            raise memory.MemoryImportError(path, 0, "no such file or directory")
        if not path.is_dir():
            found.append(path)
            continue
        try:  # a folder is walked only inside the workspace; its catalogs are each checked again below
            ws.inside(path, "the folder")
        except OutsideWorkspace as exc:
            report.catalogs.append(FilledCatalog(path, error=str(exc)))
            continue
        in_folder = sorted(p for p in path.rglob("*.po") if p.is_file())
        if not in_folder:
            report.catalogs.append(FilledCatalog(path, error=f"{path}: no .po catalog in this folder"))
        found += in_folder
    with ws.lock(), open_memory(ws, must_exist=True) as tm, memory_errors(ws):
        for path in found:
            filled = FilledCatalog(path)
            report.catalogs.append(filled)
            try:
                ws.inside(path, "the catalog")
                if path.suffix.lower() != ".po":
                    raise memory.MemoryImportError(path, 0, "not a .po catalog")
                catalog = catalogs.Catalog.load(path)
                filled.lang = memory.catalog_language(catalog.po.metadata, path)
                _fill_catalog(tm, catalog, filled, min_score, exact_as_fuzzy)
                filled.written = catalogs.save_catalog(catalog)
            except (catalogs.CatalogError, memory.MemoryImportError, OutsideWorkspace) as exc:
                filled.error = str(exc)
            except OSError as exc:
                filled.error = os_problem(exc, path)
    return report


def _fill_catalog(tm: memory.Memory, catalog: catalogs.Catalog, filled: FilledCatalog, min_score: float,
                  exact_as_fuzzy: bool) -> None:
    lang = filled.lang
    categories = plural_categories_of(catalog.po.metadata.get("Plural-Forms"), lang)
    for entry in catalog.po:
        if entry.obsolete or not entry.msgid or catalogs.has_text(entry):
            continue
        notes: list[str] = []
        if entry.msgid_plural:
            found = [m for m in tm.lookup_plural(entry.msgid, entry.msgid_plural, lang, context=entry.msgctxt or "")
                     if categories and set(categories) <= set(m.forms)]
            match = found[0] if found else None
            others = list(dict.fromkeys(" / ".join(m.forms.values()) for m in found[1:]
                                        if m.score >= 100 and m.target != match.target)) \
                if match and match.score >= 100 else []
            text: str | dict[int, str] = {n: match.forms[c] for n, c in enumerate(categories)} if match else ""
        else:
            exact, others, best = _memory_matches(tm, lang, entry.msgid, min_score, entry.msgctxt)
            match = exact or best
            text = match.target if match else ""
        if match is None:
            filled.untranslated += 1
            continue
        if others:
            notes.append(f"memory conflict: this entry was also approved as: {' | '.join(others)}; keep the right "
                         "one and clear fuzzy")
        same = match.score >= 100
        fuzzy = exact_as_fuzzy or not same or bool(others)
        other_context = match.context != memory.memory_context(entry.msgctxt)
        catalogs.fill_entry(entry, text, fuzzy=fuzzy, provenance=catalogs.memory_provenance(match.score, match.origin),
                            previous_msgid=None if same else match.source,
                            previous_msgctxt=(match.context or None) if other_context else None, notes=notes)
        filled.fuzzy += fuzzy
        filled.approved += not fuzzy
        filled.plural += bool(entry.msgid_plural)


def check(ws: Workspace, langs: Sequence[str] = TARGET_LANGS, only: str = "approved") -> qa.Report:
    """Review checks on the workspace's catalogs (`pipeline check`); a catalog linked from outside is refused
    and reported with the unreadable ones, never read."""
    if not ws.locales.is_dir():
        raise WorkspaceError(f"{ws.root}: no locales/ folder; run from a workspace or pass --root DIR")
    terms = load_glossary(ws)
    inside, refused = [], []
    for lang, path in qa.find_catalogs(ws.root, langs):
        try:
            ws.inside(path, "the catalog")
            inside.append((lang, path))
        except OutsideWorkspace as exc:
            refused.append(str(exc))
    report = qa.check_workspace(ws.root, langs, only, terms, catalogs=inside)
    report.unreadable.extend(refused)
    return report


def import_glossary(ws: Workspace, source: Path, out: Path | None = None, replace: bool = False,
                    lang_map: dict[str, str] | None = None):
    """A TBX or CSV glossary merged into glossary/terms.csv (or written to `out`) under the workspace lock, so a
    run never reads the glossary half-merged; the glossary files must resolve inside the workspace."""
    with ws.lock():
        if out is not None:
            files.output_folder(out)
        return glossary.import_file(source, ws.glossary_folder(), out, replace, lang_map)


__all__ = ["compile_catalogs", "Compiled",
           "RunOptions", "RunReport", "CatalogReport", "StatusRow", "StatusReport", "run", "status", "check",
           "import_memory", "fill_catalogs", "FillReport", "FilledCatalog",
           "import_glossary", "open_memory", "memory_name", "migrate_memory", "MemoryOpenError",
           "load_glossary", "draft_sentences", "Executor"]
