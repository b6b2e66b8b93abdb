"""The `pipeline` command: a thin shell over the stage modules."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import typer

from pipeline import TARGET_LANGS, percent_text, shown_percent
from pipeline.memory import DEFAULT_MIN_SCORE

app = typer.Typer(
    help="Offline translation pipeline: English articles -> Kazakh, Russian, Arabic gettext catalogs, "
    "with a curated glossary, a translation memory and argos machine translation.",
    no_args_is_help=True,
    add_completion=False,
)
models_app = typer.Typer(help="List and install argos translation models.", no_args_is_help=True)
glossary_app = typer.Typer(help="Check, export and import the curated glossary.", no_args_is_help=True)
tm_app = typer.Typer(help="The translation memory: import, export, look up, stats.", no_args_is_help=True)
app.add_typer(models_app, name="models")
app.add_typer(glossary_app, name="glossary")
app.add_typer(tm_app, name="tm")

RootOption = typer.Option(Path("."), "--root", help="Workspace: holds source_texts/, glossary/, locales/.")
JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON on stdout.")
MemoryOption = typer.Option(None, "--memory", metavar="FILE_OR_URL",
                            help="The translation memory: a SQLite file or a postgresql:// URL shared by the desk "
                                 "(default: $PIPELINE_MEMORY_URL, then [memory] location in pipeline.toml, then "
                                 ".pipeline/memory.sqlite). Passwords are never printed.")


def fail(message: str, code: int = 1, as_json: bool = False) -> None:
    """Print an error for a person (and, with --json, for a script on stdout); stop with a non-zero code."""
    typer.echo(f"error: {message}", err=True)
    if as_json:
        emit_json({"errors": [message]})
    raise typer.Exit(code)


def console():
    """A rich console as wide as the terminal; 140 columns when output goes to a file or a pipe."""
    import shutil

    from rich.console import Console

    return Console(width=shutil.get_terminal_size((140, 24)).columns)


def emit_json(data) -> None:
    from pipeline.formats.report import json_report

    sys.stdout.write(json_report(data) + "\n")


# ---------------------------------------------------------------- run / translate / segment / status

LangsOption = typer.Option(None, "--langs", help="Target languages: --langs kk,ru or --langs kk --langs ru "
                           "(default: all of kk, ru, ar).")
PackagesOption = typer.Option(None, "--packages-dir", help="argos packages dir (default: $ARGOS_PACKAGES_DIR, "
                              "else [models] packages_dir in pipeline.toml, else argos' own).")
MinScoreOption = typer.Option(DEFAULT_MIN_SCORE, "--min-score", min=0, max=100,
                              help="Lowest fuzzy memory score reused.")
ExactFuzzyOption = typer.Option(False, "--exact-as-fuzzy", help="Flag exact memory matches fuzzy too, so a "
                                "reviewer sees every reuse.")
PublishOption = typer.Option(True, "--publish/--no-publish", help="Publish what is publishable at the end.")
BeamOption = typer.Option(2, "--beam-size", min=1, max=16, help="Beam size for machine translation (1 is fastest).")
TermsOption = typer.Option(None, "--terms", help="Glossary terms in MT: protect (placeholders, each term in the "
                           "form its sentence needs; default), check (translate unprotected, flag a missing "
                           "term) or off; for all languages or per language: --terms kk=check,ru=protect.")
ClusterOption = typer.Option(None, "--cluster", help="Run machine translation on a Dask cluster: `local` starts "
                             "one on this machine (--workers processes), else the scheduler's address "
                             "(tcp://host:8786). Finished batches are kept, so an interrupted run resumes.")
WorkersOption = typer.Option(None, "--workers", min=1, help="Worker processes of --cluster local (default: one "
                             "per core; each runs --threads threads, default 1).")
ThreadsOption = typer.Option(None, "--threads", min=1, help="CPU threads for machine translation, one batch "
                             "decoded per thread (default: [models] threads in pipeline.toml, else all cores; "
                             "with --cluster: threads per worker, default 1).")

def parse_langs(values: list[str] | None) -> tuple[str, ...]:
    from pipeline.languages import LanguageError
    from pipeline.languages import parse_langs as parse

    try:
        return parse(values)
    except LanguageError as exc:
        fail(str(exc), 2)
        raise


def one_lang(value: str, as_json: bool = False) -> str:
    from pipeline.languages import parse_lang

    with reported(as_json):
        return parse_lang(value)


def _glossary_folder(root: Path, as_json: bool = False) -> Path:
    """glossary/ of the workspace at root, its files checked to resolve inside the workspace."""
    ws = open_workspace(root, as_json, need_articles=False)
    with reported(as_json):
        return ws.glossary_folder()


@contextlib.contextmanager
def reported(as_json: bool = False, then: str = "") -> Iterator[None]:
    """Library errors become one `error:` line: usage errors exit 2, the others 1 (with `then` appended)."""
    from pipeline.errors import LocatedError, PublishError
    from pipeline.languages import LanguageError
    from pipeline.workspace import WorkspaceError

    try:
        yield
    except (WorkspaceError, PublishError, LanguageError) as exc:
        fail(str(exc), 2, as_json)
    except LocatedError as exc:
        fail(f"{exc}{then}", 1, as_json)
    except OSError as exc:  # a full disk, a read-only folder, a folder where a file should be: one line, no traceback
        from pipeline.errors import os_problem

        fail(f"{os_problem(exc)}{then}", 1, as_json)


def open_workspace(root: Path, as_json: bool = False, **options):
    from pipeline.workspace import Workspace

    with reported(as_json):
        return Workspace.open(root, **options)


def _run_job(root: Path, files: list[Path] | None, langs: list[str] | None, packages_dir: Path | None,
             min_score: float, exact_as_fuzzy: bool, publish_at_end: bool, as_json: bool, beam_size: int = 2,
             threads: int | None = None, terms: list[str] | None = None, memory: str | None = None,
             cluster: str | None = None, workers: int | None = None) -> None:
    from pipeline import workflow

    policies = _term_policies(terms, as_json)
    options = workflow.RunOptions(langs=parse_langs(langs), min_score=min_score, exact_as_fuzzy=exact_as_fuzzy,
                                  publish=publish_at_end, beam_size=beam_size, threads=threads, terms=policies,
                                  cluster=cluster, workers=workers)
    if workers is not None and cluster is None:
        fail("--workers needs --cluster local", 2, as_json)
    ws = open_workspace(root, as_json, packages_dir=packages_dir, memory=memory)
    with reported(as_json), _progress_bar(as_json) as progress:
        report = workflow.run(ws, options, files, progress)
    if as_json:
        emit_json(_report_json(report))
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(1)


def _term_policies(terms: list[str] | None, as_json: bool) -> dict[str, str]:
    """--terms as {lang: policy}; the term-protection module (MT only) loads only when the option is given."""
    if not terms:
        return {}
    from pipeline import placeholders

    try:
        return placeholders.parse_policies(terms)
    except placeholders.TermLookupError as exc:
        fail(str(exc), 2, as_json)


@contextlib.contextmanager
def _progress_bar(as_json: bool):
    """progress(description, done, total) drawing a transient bar; nothing (and no rich) for --json."""
    if as_json:
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        tasks: dict[str, int] = {}

        def progress(description: str, done: int, total: int) -> None:
            if description not in tasks:
                tasks[description] = bar.add_task(description, total=total)
            bar.update(tasks[description], completed=done)

        yield progress


def _report_json(report) -> dict:
    return {
        "catalogs": [
            {"article": r.slug, "lang": r.lang, "path": str(r.path), "entries": r.entries, "kept": r.kept,
             "memory_exact": r.memory_exact, "memory_fuzzy": r.memory_fuzzy, "previous": r.previous,
             "drafted": r.drafted, "wrong_language": r.wrong_language,
             "untranslated_before_merge": r.untranslated, "error": r.error,
             "problems": r.problems,
             "stats": None if r.stats is None
             else {**r.stats.__dict__, "percent_approved": shown_percent(r.stats.percent_approved)}}
            for r in report.catalogs
        ],
        "totals": {**report.totals, "percent_approved": shown_percent(report.percent_approved)},
        "engines": report.engines,
        "missing_models": report.missing_models,
        "harvested": report.harvested,
        "errors": report.errors,
        "warnings": report.warnings,
        "published": [{**p.__dict__, "completeness": shown_percent(p.completeness)} for p in report.publications],
        "glossary_gaps": [{"article": g.article, "count": len(g.names),
                           "names": [{"text": c.text, "kind": c.kind, "count": c.count, "variants": c.variants}
                                     for c in g.names]} for g in report.gaps],
    }


STATUS_COLUMNS = ("total", "approved", "fuzzy", "untranslated", "obsolete")


def _status_table(rows, title: str, totals: dict[str, int], percent: float, this_run: dict | None = None,
                  problems: dict | None = None):
    """The article × language table shared by `status` and the end of `run` (plus what this run did, and the
    review-check errors and warnings per catalog: `problems`, {(slug, lang): {"error": n, "warning": n}})."""
    from rich.table import Table

    table = Table(title=title)
    table.add_column("article", overflow="fold")
    table.add_column("lang")
    run_columns = ("memory", "drafted") if this_run is not None else ()
    check_columns = ("errors", "warnings") if problems is not None else ()
    for column in STATUS_COLUMNS + run_columns + ("approved %",) + check_columns:
        table.add_column(column, justify="right")
    found = {"error": 0, "warning": 0}
    for slug, lang, stats in rows:
        extra = [str(n) for n in this_run.get((slug, lang), ("-", "-"))] if this_run is not None else []
        counts = (problems or {}).get((slug, lang))
        checked = [str(counts[k]) if counts else "-" for k in found] if check_columns else []
        for key in found:
            found[key] += counts[key] if counts else 0
        if stats is None:
            table.add_row(slug, lang, *["-"] * len(STATUS_COLUMNS), *extra, "error", *checked)
            continue
        table.add_row(slug, lang, *(str(getattr(stats, key)) for key in STATUS_COLUMNS), *extra,
                      percent_text(stats.percent_approved), *checked)
    table.add_row("total", "", *(str(totals[k]) for k in STATUS_COLUMNS + run_columns), percent_text(percent),
                  *(str(found[k]) for k in found if check_columns), style="bold")
    return table


def _print_report(report) -> None:
    from pipeline.engine import install_hint

    out = console()
    order = {lang: n for n, lang in enumerate(TARGET_LANGS)}
    ordered = sorted(report.catalogs, key=lambda r: (r.slug, order.get(r.lang, 99)))
    this_run = {(r.slug, r.lang): (r.memory_exact + r.memory_fuzzy + r.previous, r.drafted) for r in ordered}
    rows = [(r.slug, r.lang, None if r.error else r.stats) for r in ordered]
    problems = {(r.slug, r.lang): r.problems for r in ordered}
    out.print(_status_table(rows, "Catalogs after this run", report.totals, report.percent_approved, this_run,
                            problems))
    if report.harvested:
        out.print(f"memory: harvested {report.harvested} approved entries from locales/")
    _print_gaps(report.gaps)
    for lang, label in report.engines.items():
        out.print(f"en→{lang}: drafted with {label}", highlight=False)
        wrong = sum(r.wrong_language for r in report.catalogs if r.lang == lang)
        if wrong:
            out.print(f"en→{lang}: {wrong} machine draft(s) are not in the target language or script (e.g. Russian "
                      "or Latin letters for Kazakh): flagged `wrong language:` in the catalog, retranslate them",
                      highlight=False)
    if not report.catalogs and not report.errors:
        out.print("no articles in source_texts/: add English .txt or .md articles there")
    for lang in report.missing_models:
        typer.echo(f"en→{lang}: no model installed; entries that needed machine translation stay untranslated. "
                   "Install one:\n"
                   f"    {install_hint(lang)}\n"
                   "    or, from a file: pipeline models install PATH.argosmodel")
    published = [p for p in report.publications if p.published]
    if report.publications:
        out.print(f"published {len(published)} of {len(report.publications)} article versions to published/"
                      + ("" if published else " (no article is approved enough yet: `pipeline publish` says why)"))
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)
    for error in report.errors:
        typer.echo(f"error: {error}", err=True)


def _print_gaps(gaps) -> None:
    """One line: how many names each article holds that the glossary does not (MT renders them unprotected)."""
    missing = [g for g in gaps if g.names]
    if not missing:
        return
    names = {c.text for g in missing for c in g.names}
    per = ", ".join(f"{Path(g.article).stem} {len(g.names)}" for g in missing)
    typer.echo(f"glossary: {len(names)} name(s) not in the glossary yet ({per}); "
               "`pipeline glossary candidates` lists them, `--json` gives them per article")


@app.command()
def run(root: Path = RootOption, langs: list[str] | None = LangsOption, packages_dir: Path = PackagesOption,
        min_score: float = MinScoreOption, exact_as_fuzzy: bool = ExactFuzzyOption,
        publish_at_end: bool = PublishOption, beam_size: int = BeamOption, threads: int = ThreadsOption,
        terms: list[str] | None = TermsOption, memory: str = MemoryOption, cluster: str = ClusterOption,
        workers: int = WorkersOption, as_json: bool = JsonOption) -> None:
    """Translate every article in source_texts/ into catalogs, then publish what is approved."""
    _run_job(root, None, langs, packages_dir, min_score, exact_as_fuzzy, publish_at_end, as_json, beam_size, threads,
             terms, memory, cluster, workers)


@app.command()
def translate(files: list[Path] = typer.Argument(None, metavar="ARTICLE", help="Articles to translate (default: all)."),
              root: Path = RootOption, langs: list[str] | None = LangsOption, packages_dir: Path = PackagesOption,
              min_score: float = MinScoreOption, exact_as_fuzzy: bool = ExactFuzzyOption,
              beam_size: int = BeamOption, threads: int = ThreadsOption, terms: list[str] | None = TermsOption,
              memory: str = MemoryOption, cluster: str = ClusterOption, workers: int = WorkersOption,
              as_json: bool = JsonOption) -> None:
    """Translate chosen articles into catalogs (memory first, then machine translation)."""
    _run_job(root, files or None, langs, packages_dir, min_score, exact_as_fuzzy, False, as_json, beam_size, threads,
             terms, memory, cluster, workers)


@app.command()
def segment(file: Path = typer.Argument(..., help="An article (.txt or .md)."), root: Path = RootOption,
            as_json: bool = JsonOption) -> None:
    """Show how an article is cut into headings and sentences, with the glossary terms found."""
    from pipeline import sources, workflow
    from pipeline.segment import segment_text

    with reported(as_json):
        article = sources.read_article(file)
        terms = workflow.load_glossary(root)
    segments = segment_text(article.text, markdown=article.markdown)
    rows = []
    for seg in segments:
        found = terms.find(seg.text)
        rows.append({
            "id": seg.id, "paragraph": seg.paragraph, "kind": seg.kind, "text": seg.text, "line": seg.line,
            "terms": [{"text": m.text, "start": m.start, "end": m.end, "concept": m.concept.id,
                       "targets": {lang: m.concept.targets.get(lang, "") for lang in TARGET_LANGS}}
                      for m in found],
        })
    if as_json:
        emit_json({"article": article.slug, "segments": rows})
        return
    for row in rows:
        marker = "#" if row["kind"] == "heading" else "-"
        typer.echo(f"{row['paragraph']:>3} {marker} {row['text']}")
        for term in row["terms"]:
            targets = " | ".join(f"{k}: {v}" for k, v in term["targets"].items())
            typer.echo(f"        [{term['concept']}] {term['text']} → {targets}")


@app.command()
def status(root: Path = RootOption, langs: list[str] | None = LangsOption, as_json: bool = JsonOption) -> None:
    """Per article and language: entries, approved, fuzzy, untranslated, obsolete."""
    from pipeline import workflow

    codes = parse_langs(langs)
    ws = open_workspace(root, as_json)
    with reported(as_json):
        report = workflow.status(ws, codes)
    if as_json:
        emit_json({"catalogs": [{"article": r.slug, "lang": r.lang, **r.stats.__dict__, "translated": r.stats.approved,
                                 "percent_approved": shown_percent(r.stats.percent_approved),
                                 "problems": r.problems} if r.stats else
                                {"article": r.slug, "lang": r.lang, "error": r.error} for r in report.rows],
                   "totals": {**report.totals, "percent_approved": shown_percent(report.percent_approved)},
                   "errors": report.errors})
    else:
        rows = [(r.slug, r.lang, r.stats) for r in report.rows]
        console().print(_status_table(rows, "Catalog status", report.totals, report.percent_approved,
                                      problems={(r.slug, r.lang): r.problems for r in report.rows}))
    for error in report.errors:
        typer.echo(f"error: {error}", err=True)
    if not report.ok:
        raise typer.Exit(1)
    if not report.rows and not as_json:
        typer.echo("no catalogs yet: run `pipeline run` first")


@app.command("compile")
def compile_command(root: Path = RootOption,
                    out: Path | None = typer.Option(None, "--out", file_okay=False,
                                                    help="Write OUT/<lang>/LC_MESSAGES/<slug>.mo instead of "
                                                         "beside each catalog."),
                    langs: list[str] | None = LangsOption, as_json: bool = JsonOption) -> None:
    """Compile the catalogs to .mo files (approved entries only) for a site that uses gettext at run time.

    Exit codes: 0 compiled, 1 a catalog could not be read or a file written (the others are still compiled),
    2 usage error.
    """
    from pipeline import workflow

    codes = parse_langs(langs)
    ws = open_workspace(root, as_json, need_articles=False)
    with reported(as_json):
        done = workflow.compile_catalogs(ws, out, codes)
    errors = [c.error for c in done if c.error]
    if as_json:
        emit_json({"compiled": [{"lang": c.lang, "catalog": str(c.catalog), "mo": str(c.mo), "approved": c.approved}
                                for c in done if c.mo], "errors": errors})
    else:
        for c in done:
            if c.mo:
                typer.echo(f"{c.mo}: {c.approved} approved")
        if not done:
            typer.echo("no catalogs yet: run `pipeline run` first")
    for error in errors:
        typer.echo(f"error: {error}", err=True)
    if errors:
        raise typer.Exit(1)


# ---------------------------------------------------------------- check (qa)

OnlyOption = typer.Option("approved", "--only", help="Which entries: approved (default), fuzzy or all.")


@app.command("check")
def check_command(root: Path = RootOption, langs: list[str] | None = LangsOption, only: str = OnlyOption,
                  as_json: bool = JsonOption) -> None:
    """Review checks on the catalogs: terms, numbers, script and language, punctuation, leftovers, length,
    consistency. Exit 1 when any error is found. Silence a check on one entry with `#, ignore-<check>`."""
    from pipeline import qa, workflow

    if only not in qa.ONLY:
        fail(f"--only takes one of {', '.join(qa.ONLY)}; got {only!r}", 2, as_json)
    chosen = parse_langs(langs)
    ws = open_workspace(root, as_json, need_articles=False)
    with reported(as_json):
        report = workflow.check(ws, chosen, only)
    if as_json:
        emit_json(report.as_dict())
    else:
        _print_check(report, only)
    if report.errors or report.unreadable:
        raise typer.Exit(1)


def _print_check(report, only: str) -> None:
    from rich.markup import escape

    out = console()
    for p in report.problems:
        style = "red" if p.severity == "error" else "yellow"
        msgid = p.msgid if len(p.msgid) <= 70 else p.msgid[:69] + "…"
        out.print(f"{escape(p.catalog)}:{p.line}: [{style}]{p.severity}[/{style}] {escape(f'[{p.check}]')} "
                  f"{escape(p.message)}\n    {escape(msgid)}", highlight=False, soft_wrap=True)
    for line in report.unreadable:
        typer.echo(f"error: {line}", err=True)
    silenced = f", {report.silenced} silenced by ignore- flags" if report.silenced else ""
    def plural(n: int, word: str) -> str:
        return f"{n} {word}" + ("" if n == 1 else "s")

    out.print(f"{plural(report.errors, 'error')}, {plural(report.warnings, 'warning')}{silenced} in "
              f"{report.entries} {only} {'entry' if report.entries == 1 else 'entries'} "
              f"of {plural(len(report.catalogs), 'catalog')}", highlight=False)


# ---------------------------------------------------------------- models (engine)

PackagesDirOption = typer.Option(
    None, "--packages-dir",
    help="Where argos packages are installed. Default: $ARGOS_PACKAGES_DIR, else [models] packages_dir in "
    "./pipeline.toml, else ~/.local/share/argos-translate/packages.",
)


def _packages(packages_dir: Path | None) -> Path:
    """The packages dir for the models commands, which work on the workspace in the current directory."""
    from pipeline.workspace import Workspace

    with reported():
        return Workspace(Path("."), packages_dir=packages_dir).packages_dir


def _human_size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _model_json(info) -> dict:
    return {
        "from_code": info.from_code, "to_code": info.to_code, "from_name": info.from_name,
        "to_name": info.to_name, "package_version": info.package_version, "label": info.label,
        "path": str(info.path), "size": info.size, "source_prefix": info.source_prefix,
        "target_prefix": info.target_prefix, "source_suffix": info.source_suffix, "family": info.family,
        "licence": info.licence,
    }


@models_app.command("list")
def models_list(packages_dir: Path | None = PackagesDirOption, as_json: bool = JsonOption) -> None:
    """Installed translation packages, and which en->kk/ru/ar pairs the pipeline still lacks."""
    from pipeline import engine

    directory = _packages(packages_dir)
    models, problems = engine.scan_models(directory)
    have = {(m.from_code, m.to_code) for m in models}
    missing = [code for code in engine.TARGET_CODES if ("en", code) not in have]
    if as_json:
        emit_json({
            "packages_dir": str(directory),
            "models": [_model_json(m) for m in models],
            "missing": missing,
            "problems": [{"path": str(p.path), "message": p.message} for p in problems],
        })
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"Packages directory: {directory}")
    if models:
        table = Table("pair", "version", "family", "licence", "size", "directory")
        for m in models:
            table.add_row(m.pair, m.package_version, m.family or "argos", m.licence or "-", _human_size(m.size),
                          m.path.name)
        console.print(table)
        from pipeline.ct2import import licence_note

        for note in dict.fromkeys(filter(None, (licence_note(m) for m in models))):
            console.print(f"licence: {note}", highlight=False)
    else:
        console.print("No translation packages installed.")
    for problem in problems:
        console.print(f"[red]broken:[/red] {problem.message}", highlight=False)
    if missing:
        pairs = ", ".join(f"en→{code}" for code in missing)
        console.print(f"Missing for the pipeline: {pairs}. Install with `pipeline models install "
                      f"{' '.join(missing)}` (online) or `pipeline models install PATH.argosmodel`; "
                      "for Kazakh see `pipeline models import-opus`.", highlight=False)


MaxUnpackedOption = typer.Option(
    "1G", "--max-unpacked-size", help="Refuse an archive that unpacks to more than this (checked before and "
    "while unpacking; a zip bomb stops here): e.g. 4G for a real large model.")


def _limits(max_unpacked: str):
    from pipeline import archives

    try:
        return archives.Limits(max_bytes=archives.parse_size(max_unpacked))
    except ValueError as exc:
        fail(f"--max-unpacked-size: {exc}", 2)
        raise


def _note(message: str) -> None:
    typer.echo(f"note: {message}", err=True)


def _is_language_code(target: str) -> bool:
    import re

    return bool(re.fullmatch(r"[a-z]{2,3}", target)) and not Path(target).exists()


@models_app.command("install")
def models_install(
    targets: list[str] = typer.Argument(
        ..., metavar="PATH_OR_CODE",
        help="PATH.argosmodel files, or language codes (ru ar) to download en->xx from the argos index.",
    ),
    from_code: str = typer.Option("en", "--from", help="Source language for language-code installs."),
    packages_dir: Path | None = PackagesDirOption,
    max_unpacked: str = MaxUnpackedOption,
    as_json: bool = JsonOption,
) -> None:
    """Validate and install translation packages; a package for the same pair is replaced."""
    import functools

    from pipeline import engine
    from pipeline.languages import LANGUAGE_CODE

    if not LANGUAGE_CODE.match(from_code):
        fail(f"--from {from_code!r} is not a language code (such as en)", 2, as_json)
    limits = _limits(max_unpacked)
    directory = _packages(packages_dir)
    fetch_index = functools.cache(engine.argos_index)
    installed, errors = [], []
    for target in targets:
        try:
            if _is_language_code(target):
                typer.echo(f"fetching {from_code}→{target} from the argos index ...", err=True)
                info = engine.install_from_index(target, directory, from_code=from_code,
                                                 fetch_index=fetch_index, limits=limits, on_note=_note)
            else:
                info = engine.install_model(Path(target), directory, limits=limits, on_note=_note)
        except engine.ModelError as err:
            errors.append(str(err))
            typer.echo(f"error: {err}", err=True)
            continue
        installed.append(info)
        if not as_json:
            typer.echo(f"installed {info.label} in {info.path}")
    if as_json:
        emit_json({"installed": [_model_json(m) for m in installed], "errors": errors})
    if errors:
        raise typer.Exit(1)



@models_app.command("import-opus")
def models_import_opus(
    source: Path = typer.Argument(..., help="OPUS-MT release: the opus-*.zip or its extracted directory."),
    to_code: str = typer.Option(..., "--to", help="Target language code of the package, e.g. kk."),
    from_code: str = typer.Option("en", "--from", help="Source language code."),
    lang_token: str | None = typer.Option(
        None, "--lang-token",
        help="Source-side target-language token, e.g. '>>kaz_Cyrl<<' (default: picked from the labels "
        "the release declares for --to).",
    ),
    quantization: str = typer.Option(
        "int8", "--quantization", help="CTranslate2 weight type: int8 (small, fast on CPU), int8_float32, "
        "int16, float16 or float32 (no quantization).",
    ),
    package_version: str = typer.Option("1.0", "--package-version", help="Version written to metadata.json."),
    out: Path | None = typer.Option(
        None, "--out", help="Write the .argosmodel here instead of installing it."
    ),
    packages_dir: Path | None = PackagesDirOption,
    max_unpacked: str = MaxUnpackedOption,
    as_json: bool = JsonOption,
) -> None:
    """Convert an OPUS-MT (Marian) release into an argos package and install it (or write it with --out)."""
    from rich.console import Console

    from pipeline import engine, opus

    limits = _limits(max_unpacked)
    directory = _packages(packages_dir)
    try:
        with Console(stderr=True).status(f"converting {source.name} ({from_code}→{to_code}) ..."):
            result = opus.import_opus(
                source, to_code, directory=directory, out=out, from_code=from_code, lang_token=lang_token,
                quantization=None if quantization == "float32" else quantization,
                package_version=package_version, limits=limits, on_note=_note,
            )
    except engine.ModelError as err:
        fail(str(err))
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    if as_json:
        emit_json({
            "metadata": result.metadata,
            "notes": list(result.notes),
            "archive": str(result.archive) if result.archive else None,
            "installed": _model_json(result.installed) if result.installed else None,
        })
    elif result.archive:
        typer.echo(f"wrote {result.archive}; install it with `pipeline models install {result.archive}`")
    else:
        typer.echo(f"installed {result.installed.label} in {result.installed.path}")


@models_app.command("import-ct2")
def models_import_ct2(
    source: Path = typer.Argument(..., help="Output directory of ct2-transformers-converter (model.bin, "
                                  "config.json, shared_vocabulary.*) with the model's sentencepiece.bpe.model."),
    family: str = typer.Option(..., "--family", help="Model family: nllb (NLLB-200, any size or fine-tune)."),
    to_codes: str = typer.Option("kk,ru,ar", "--to", help="Target languages, comma-separated: one package each."),
    from_code: str = typer.Option("en", "--from", help="Source language code."),
    package_version: str = typer.Option("1.0", "--package-version", help="Version written to metadata.json."),
    out: Path | None = typer.Option(
        None, "--out", file_okay=False, help="Write one .argosmodel per pair into this directory instead of "
        "installing them."),
    packages_dir: Path | None = PackagesDirOption,
    as_json: bool = JsonOption,
) -> None:
    """Package a CTranslate2 conversion of a multilingual model (NLLB-200) for each pair and install them.

    The installed pairs share one copy of the weights on disk and one loaded model per run.
    """
    from pipeline import ct2import, engine

    codes = [c.strip() for c in to_codes.split(",") if c.strip()]
    directory = _packages(packages_dir)
    try:
        result = ct2import.import_ct2(source, family=family, to_codes=codes, directory=directory, out=out,
                                      from_code=from_code, package_version=package_version,
                                      on_progress=None if as_json else lambda m: typer.echo(f"{m} ...", err=True))
    except engine.ModelError as err:
        fail(str(err), 1, as_json)
        return
    if as_json:
        emit_json({
            "packages": result.packages,
            "notes": result.notes,
            "archives": [str(p) for p in result.archives],
            "installed": [_model_json(m) for m in result.installed],
        })
        return
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    for archive in result.archives:
        typer.echo(f"wrote {archive}")
    if result.archives:
        typer.echo(f"install them with `pipeline models install {Path(out) / '*.argosmodel'}`")
    for info in result.installed:
        typer.echo(f"installed {info.label} in {info.path}")


# ---------------------------------------------------------------- glossary


@glossary_app.command("check")
def glossary_check(root: Path = RootOption, as_json: bool = JsonOption) -> None:
    """Report duplicates, conflicting targets, missing languages, empty cells and malformed rows.

    Each problem comes with its file and line. Exit codes: 0 clean, 1 any problem, 2 usage error.
    """
    from pipeline import glossary

    ws = open_workspace(root, as_json, need_articles=False)
    with reported(as_json):
        directory = ws.glossary_folder()
    problems = glossary.check(directory)
    files = sorted(p.name for p in directory.glob("*.csv")) if directory.is_dir() else []
    if as_json:
        emit_json({"ok": not problems, "files": files,
                   "problems": [{"path": p.path, "line": p.line, "message": p.message} for p in problems]})
    else:
        for p in problems:
            typer.echo(str(p))
        if problems:
            typer.echo(f"{len(problems)} problem(s) in {len(files)} file(s)", err=True)
        else:
            count = len(glossary.load_concepts(directory))
            typer.echo(f"ok: {count} concepts in {len(files)} file(s)")
    if problems:
        raise typer.Exit(1)


@glossary_app.command("export")
def glossary_export(
    out: Path = typer.Argument(..., dir_okay=False, help="File to write (replaced atomically)."),
    fmt: str = typer.Option("", "--format", "-f",
                            help="tbx (TBX-Basic v3, ISO 30042:2019), tbx2 (TBX v2 martif: translate-toolkit, "
                                 "Weblate) or csv; default: from OUT's suffix, else tbx."),
    root: Path = RootOption,
    as_json: bool = JsonOption,
) -> None:
    """Write the whole glossary (every glossary/*.csv) as one TBX-Basic (v3 or v2 martif) or CSV file.

    Exit codes: 0 written, 1 the glossary is malformed or OUT cannot be written, 2 usage error.
    """
    from pipeline import glossary

    fmt = (fmt or out.suffix.lstrip(".") or "tbx").lower()
    if fmt not in glossary.EXPORT_FORMATS:
        fail(f"unknown format {fmt!r}: --format takes one of {', '.join(glossary.EXPORT_FORMATS)}", 2)
    ws = open_workspace(root, as_json, need_articles=False)
    with reported(as_json):
        concepts = glossary.load_concepts(ws.glossary_folder())
    try:
        glossary.export(concepts, out, fmt)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    if as_json:
        emit_json({"format": fmt, "path": str(out), "concepts": len(concepts)})
    else:
        typer.echo(f"wrote {len(concepts)} concepts to {out} ({fmt})")


@glossary_app.command("import")
def glossary_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                help="A .tbx (TBX v3 or v2/martif) or a glossary .csv."),
    out: Path | None = typer.Option(None, "--out", "-o", dir_okay=False,
                                    help="Write the imported concepts to this new CSV instead of merging."),
    replace: bool = typer.Option(False, "--replace", help="On a differing cell the imported value wins."),
    lang_map: list[str] = typer.Option([], "--lang-map", metavar="CODE=LANG",
                                       help="Read the TBX language CODE as LANG (kk, ru, ar), e.g. xx=ru; "
                                            "repeatable."),
    root: Path = RootOption,
    as_json: bool = JsonOption,
) -> None:
    """Merge a TBX or CSV glossary into glossary/terms.csv (atomically), or write it to a new CSV.

    Known concepts (by id, or by English term or variant) get empty cells filled and variants added.

    A cell that differs is a conflict: nothing is written unless --replace.

    Exit codes: 0 imported, 1 a malformed file, conflicts or a failed write (nothing written), 2 usage error.
    """
    from pipeline import workflow

    mapping = {}
    for item in lang_map:
        code, _, lang = item.partition("=")
        if not code.strip() or lang.strip() not in TARGET_LANGS:
            fail(f"--lang-map {item!r}: expected CODE=LANG with LANG one of {', '.join(TARGET_LANGS)}", 2)
        mapping[code.strip()] = lang.strip()
    ws = open_workspace(root, need_articles=False)
    with reported():
        try:
            report, warnings = workflow.import_glossary(ws, file, out, replace, mapping)
        except OSError as exc:
            fail(f"{exc.filename or file}: {exc.strerror or exc}; nothing written")
    written = not report.conflicts
    if as_json:
        emit_json({"written": written, "path": str(out or ws.glossary / "terms.csv"),
                   "added": report.added, "updated": report.updated, "unchanged": report.unchanged,
                   "conflicts": report.conflicts, "warnings": warnings})
    else:
        for w in warnings:
            typer.echo(f"warning: {w}", err=True)
        for c in report.conflicts:
            typer.echo(f"conflict: {c}", err=True)
        typer.echo(f"{len(report.added)} added, {len(report.updated)} updated, "
                   f"{len(report.unchanged)} unchanged, {len(report.conflicts)} conflict(s)")
    if not written:
        fail("nothing written: resolve the conflicts or pass --replace")


@glossary_app.command("find")
def glossary_find(
    text: str = typer.Argument(..., help="English text to look for glossary terms in."),
    lang: str = typer.Option("kk", "--lang", "-l", help="Target language for the required terms: kk, ru or ar."),
    root: Path = RootOption,
    as_json: bool = JsonOption,
) -> None:
    """Show which glossary terms a sentence contains and what they must become.

    Exit codes: 0 shown, 1 the glossary is malformed, 2 usage error (such as an unknown --lang).
    """
    from pipeline import glossary

    lang = one_lang(lang)
    ws = open_workspace(root, as_json, need_articles=False)
    with reported(as_json):
        gloss = glossary.load(ws.glossary_folder())
    matches = gloss.find(text)
    if as_json:
        emit_json([{"text": m.text, "start": m.start, "end": m.end, "id": m.concept.id,
                    "target": glossary.target_for(m, lang)} for m in matches])
    else:
        typer.echo(glossary.term_comment(matches, lang) or "no glossary terms")


@glossary_app.command("forms")
def glossary_forms(
    term: str = typer.Argument(..., help="A concept id (samk) or an English term the glossary has."),
    lang: str = typer.Option(..., "--lang", "-l", help="kk, ru or ar."),
    root: Path = RootOption,
    as_json: bool = JsonOption,
) -> None:
    """Show the forms a glossary term takes in sentences: Russian and Kazakh cases, Arabic proclitics.

    Curated forms from the glossary's <lang>_forms column win over generated ones.
    Exit codes: 0 shown, 1 unknown term or malformed glossary, 2 usage error.
    """
    from pipeline import glossary, placeholders

    lang = one_lang(lang, as_json)
    try:
        data = placeholders.term_forms(glossary.load(_glossary_folder(root, as_json)), term, lang)
    except (glossary.GlossaryError, placeholders.TermLookupError) as exc:
        fail(str(exc), 1, as_json)
    if as_json:
        emit_json(data)
        return
    typer.echo(f"{data['concept']} ({lang}): {data['target']}")
    for case, text in data["forms"].items():
        typer.echo(f"  {case:<6} {text}")
    for case, text in data.get("plural", {}).items():
        typer.echo(f"  pl.{case:<3} {text}")


@glossary_app.command("place")
def glossary_place(
    output: str = typer.Argument(..., help="An MT output with placeholders, e.g. \"Встреча с XT1 прошла.\""),
    terms: list[str] = typer.Option(..., "--term", "-t", help="PLACEHOLDER=CONCEPT_OR_ENGLISH, e.g. XT1=samk; "
                                    "repeat for each placeholder."),
    lang: str = typer.Option(..., "--lang", "-l", help="kk, ru or ar."),
    source: str | None = typer.Option(None, "--source", help="The English sentence OUTPUT translates: with an "
                                      "installed en→LANG model, it scores the forms the rules are unsure of."),
    packages_dir: Path | None = PackagesOption,
    root: Path = RootOption,
    as_json: bool = JsonOption,
) -> None:
    """Show what the pipeline does with an engine output: which form each term takes there, and why.

    Exit codes: 0 placed, 1 a placeholder is lost or duplicated (nothing placed), unknown term, malformed
    glossary or no model for --source, 2 usage error.
    """
    from pipeline import glossary, placeholders, workflow

    lang = one_lang(lang, as_json)
    ws = open_workspace(root, as_json, need_articles=False, packages_dir=packages_dir)
    try:
        with reported(as_json):
            data = workflow.place_terms(ws, lang, output, terms, source)
    except (glossary.GlossaryError, placeholders.TermLookupError) as exc:
        fail(str(exc), 1, as_json)
    if as_json:
        emit_json(data)
    else:
        typer.echo(data["text"])
        for t in data["terms"]:
            typer.echo(f"  {t['placeholder']} -> {t['text']} ({t['concept']}, {t['form']}, by {t['decided_by']})")
        for code, problem in data["problems"].items():
            typer.echo(f"  {code}: {problem}; the pipeline would ask the engine for other hypotheses, then "
                       "translate without protection", err=True)
    if not data["ok"]:
        raise typer.Exit(1)


@glossary_app.command("candidates")
def glossary_candidates(
    root: Path = RootOption,
    min_count: int = typer.Option(1, "--min-count", min=1, help="Only names seen at least N times."),
    as_json: bool = JsonOption,
    add: bool = typer.Option(False, "--add", help="Append them to glossary/terms.csv as confirmed=no rows "
                             "(empty or suggested targets); existing rows are never touched."),
    limit: int = typer.Option(50, "--limit", min=0, help="Rows shown in the table (0: all); --json lists all."),
    memory: str = MemoryOption,
) -> None:
    """Names the glossary lacks, found in source_texts/: institutions, titles, people, acronyms, places.

    Best first (seen in more articles, more often, clearer shape), each with where it occurs, the glossary
    concepts it overlaps and targets suggested from approved translations. Exit codes: 0 done, 1 the glossary
    is malformed or an article could not be read (the others are still used), 2 usage error.
    """
    from pipeline import candidates
    from pipeline.errors import LocatedError

    try:
        report = candidates.find(open_workspace(root, as_json, memory=memory), min_count=min_count, add_rows=add)
    except LocatedError as exc:
        fail(str(exc), 1, as_json)
    if as_json:
        data = {"candidates": [c.to_json() for c in report.candidates], "articles": report.articles,
                "errors": report.errors, "warnings": report.warnings}
        if add:
            data["added"] = [c.id for c in report.added]
            data["glossary"] = str(report.glossary_file)
        emit_json(data)
    else:
        _print_candidates(report, limit, add)
    if report.errors:
        raise typer.Exit(1)


def _print_candidates(report, limit: int, add: bool) -> None:
    from rich.table import Table

    for message in report.errors:
        typer.echo(f"error: {message}", err=True)
    for message in report.warnings:
        typer.echo(f"warning: {message}", err=True)
    shown = report.candidates[:limit] if limit else report.candidates
    table = Table(title=f"{len(report.candidates)} candidate(s) the glossary lacks, in {report.articles} article(s)")
    for column in ("#", "candidate", "kind", "count", "first seen", "overlaps", "suggested"):
        table.add_column(column, overflow="fold")
    for n, c in enumerate(shown, 1):
        name = c.text + ("".join(f"\n  = {v}" for v in c.variants) if c.variants else "")
        if c.expansion:
            name += f"\n  ({c.expansion})"
        where = f"{c.occurrences[0].article}:{c.occurrences[0].line}"
        if len(c.articles) > 1:
            where += f" +{len(c.articles) - 1} article(s)"
        table.add_row(str(n), name, c.kind, str(c.count), where, ", ".join(c.overlaps),
                      "\n".join(f"{lang}: {t}" for lang, t in c.suggested.items()))
    console().print(table)
    if limit and len(report.candidates) > limit:
        typer.echo(f"... {len(report.candidates) - limit} more: --limit 0 shows all, --json lists all")
    if add:
        if report.added:
            typer.echo(f"added {len(report.added)} row(s) to {report.glossary_file} (confirmed=no): fill the kk, ru "
                       "and ar targets, then run `pipeline glossary check`")
        else:
            typer.echo("nothing to add")


# ---------------------------------------------------------------- tm (memory)


def _tm_memory(root: Path, memory: str | None, *, must_exist: bool):
    """The workspace memory, for the commands that only read it."""
    from pipeline import workflow

    ws = open_workspace(root, need_articles=False, memory=memory)
    with reported():
        return workflow.open_memory(ws, must_exist=must_exist)


@tm_app.command("import")
def tm_import(
    paths: list[Path] = typer.Argument(..., metavar="PATH",
                                    help="Reviewed .po catalogs, TMX 1.4b files, or directories."),
    root: Path = RootOption,
    source_lang: str = typer.Option(None, "--source-lang",
                                    help="Source language (default: en for catalogs, the TMX srclang)."),
    memory: str = MemoryOption,
    json_out: bool = JsonOption,
) -> None:
    """Harvest approved entries (non-empty, not fuzzy, not obsolete) and TMX units into the memory.

    All files go in one transaction: a malformed file stops the import with its line and nothing is kept.
    """
    from dataclasses import asdict

    from rich.console import Console
    from rich.progress import Progress

    from pipeline import workflow

    ws = open_workspace(root, need_articles=False, memory=memory)
    with reported(then="\nnothing was imported; the memory is unchanged"), \
            Progress(console=Console(stderr=True), transient=True, disable=json_out) as bar:
        task = bar.add_task("importing", total=None)
        report = workflow.import_memory(ws, paths, source_lang=source_lang,
                                        on_file=lambda f: bar.update(task, advance=1, description=f.name))
    report_memory = workflow.memory_name(ws)
    if json_out:
        emit_json({**asdict(report), "memory": report_memory})
        return
    typer.echo(f"imported {report.read} units from {report.files} files into {report_memory}: "
               f"{report.added} new or newly approved"
               + (f"; {report.skipped} skipped (TMX units without source or target, plural entries whose forms do "
                  "not line up with their language's plural categories)" if report.skipped else ""))


@tm_app.command("fill")
def tm_fill(
    paths: list[Path] = typer.Argument(..., metavar="CATALOG",
                                    help="Catalogs (.po) or folders of them, inside the workspace."),
    min_score: float = typer.Option(DEFAULT_MIN_SCORE, "--min-score", min=0, max=100,
                                    help="Lowest fuzzy score used (translate-toolkit's scale)."),
    exact_as_fuzzy: bool = typer.Option(False, "--exact-as-fuzzy", help="Mark exact matches fuzzy for review too."),
    root: Path = RootOption,
    memory: str = MemoryOption,
    json_out: bool = JsonOption,
) -> None:
    """Fill the empty entries of catalogs from the memory (plural entries: every form, in the catalog's order).

    An exact match in the same context is approved; anything else is fuzzy with `#|` and a provenance note.
    Entries that have any translation are never touched. Exit 1 when a catalog could not be read or written.
    """
    from dataclasses import asdict

    from pipeline import workflow

    ws = open_workspace(root, as_json=json_out, need_articles=False, memory=memory)
    with reported(json_out):
        report = workflow.fill_catalogs(ws, paths, min_score=min_score, exact_as_fuzzy=exact_as_fuzzy)
    if json_out:
        emit_json({"catalogs": [{**asdict(c), "path": str(c.path)} for c in report.catalogs]})
    else:
        for c in report.catalogs:
            if c.error:
                typer.echo(f"error: {c.error}", err=True)
                continue
            typer.echo(f"{c.path} ({c.lang}): {c.approved + c.fuzzy} filled ({c.approved} approved, {c.fuzzy} fuzzy, "
                       f"{c.plural} plural), {c.untranslated} left untranslated" + ("" if c.written else "; unchanged"))
    if report.errors:
        raise typer.Exit(1)


@tm_app.command("export")
def tm_export(
    out: Path = typer.Argument(..., help="File to write (replaced atomically)."),
    fmt: str = typer.Option("tmx", "--format", help="Output format: tmx (TMX 1.4b)."),
    langs: list[str] = typer.Option(None, "--lang", help="Target language(s) to export (default: all)."),
    source_lang: str = typer.Option("en", "--source-lang", help="Source language."),
    include_machine: bool = typer.Option(False, "--include-machine", help="Also export machine drafts."),
    root: Path = RootOption,
    memory: str = MemoryOption,
    json_out: bool = JsonOption,
) -> None:
    """Write the approved units as TMX 1.4b, readable by translate-toolkit, OmegaT, Weblate and others."""
    if fmt.lower() != "tmx":
        fail(f"unknown format {fmt!r}: only tmx is supported", 2)
    with _tm_memory(root, memory, must_exist=True) as tm:
        try:
            count = tm.export_tmx(out, source_lang=source_lang, target_langs=langs or None,
                                      include_machine=include_machine)
        except OSError as e:
            fail(f"cannot write {out}: {e.strerror or e}")
    if json_out:
        emit_json({"path": str(out), "units": count, "format": "tmx"})
    else:
        typer.echo(f"wrote {count} units to {out}")


@tm_app.command("lookup")
def tm_lookup(
    text: str = typer.Argument(..., help="Source sentence to look up."),
    lang: str = typer.Option(..., "--lang", help="Target language, e.g. ru."),
    min_score: float = typer.Option(DEFAULT_MIN_SCORE, "--min-score", min=0, max=100,
                                    help="Lowest fuzzy score shown (translate-toolkit's scale)."),
    limit: int = typer.Option(5, "--limit", min=1, help="Most matches shown."),
    source_lang: str = typer.Option("en", "--source-lang", help="Source language."),
    include_machine: bool = typer.Option(False, "--include-machine", help="Also show machine drafts."),
    context: str = typer.Option(None, "--context", metavar="MSGCTXT",
                                help="The entry's msgctxt ('' for none): matches from another context score "
                                     "0.95 of their similarity. Default: any context, no penalty."),
    plural: str = typer.Option(None, "--plural", metavar="MSGID_PLURAL",
                               help="Look up a plural entry (TEXT is its msgid): exact matches with their forms."),
    root: Path = RootOption,
    memory: str = MemoryOption,
    json_out: bool = JsonOption,
) -> None:
    """Exact and fuzzy matches for TEXT, best first."""
    with _tm_memory(root, memory, must_exist=True) as tm:
        if plural:
            matches = tm.lookup_plural(text, plural, lang, source_lang=source_lang, include_machine=include_machine,
                                       context=context, min_score=min_score, limit=limit)
        else:
            matches = tm.lookup(text, lang, min_score=min_score, limit=limit, source_lang=source_lang,
                                include_machine=include_machine, context=context)
    if json_out:
        emit_json([{"source": m.source, "target": m.target, "score": round(m.score, 2), "origin": m.origin,
                    "status": m.status, "context": m.context,
                    **({"plural": m.plural, "forms": m.forms} if m.plural else {})} for m in matches])
        return
    if not matches:
        typer.echo(f"no match scoring {min_score:g} or more")
        return
    for m in matches:
        flag = "" if m.status == "approved" else f" [{m.status}]"
        where = f" [context: {m.context}]" if m.context else ""
        target = "\n        ".join(f"{c}: {t}" for c, t in m.forms.items()) if m.plural else m.target
        typer.echo(f"{m.score:6.2f}  {m.source}{where}\n        {target}{flag}\n"
                   f"        ({m.origin or 'no origin'})")


@tm_app.command("stats")
def tm_stats(root: Path = RootOption, memory: str = MemoryOption, json_out: bool = JsonOption) -> None:
    """Units per language pair, approved and machine drafts."""
    from dataclasses import asdict

    with _tm_memory(root, memory, must_exist=True) as tm:
        stats = tm.stats()
    if json_out:
        emit_json(asdict(stats))
        return
    typer.echo(f"{stats.path}: {stats.units} units ({stats.approved} approved, {stats.machine} machine), "
               f"{stats.sources} distinct sources, {stats.origins} origins, {stats.size_bytes / 1e6:.1f} MB")
    for p in stats.pairs:
        typer.echo(f"  {p.source_lang} -> {p.target_lang}: {p.approved} approved, {p.machine} machine")
    if stats.plural or stats.in_context:
        typer.echo(f"{stats.plural} plural entries, {stats.in_context} units with a context (msgctxt)")
    if stats.last_updated:
        typer.echo(f"last updated {stats.last_updated}")


@tm_app.command("migrate")
def tm_migrate(
    to: str = typer.Option(..., "--to", metavar="FILE_OR_URL",
                           help="Where to copy the memory: a postgresql:// URL or a SQLite file; it must be empty."),
    root: Path = RootOption,
    memory: str = MemoryOption,
    json_out: bool = JsonOption,
) -> None:
    """Copy the memory, nothing lost, into PostgreSQL (a desk's shared memory) or back into a SQLite file.

    Every unit (source as written, target, status, origin, dates) in order of arrival, and the record of what each
    catalog last said (which decides memory conflicts). One transaction on the target: on any error it stays empty.
    """
    from dataclasses import asdict

    from rich.console import Console
    from rich.progress import Progress

    from pipeline import workflow

    ws = open_workspace(root, need_articles=False, memory=memory)
    with reported(json_out, then="\nnothing was copied"), \
            Progress(console=Console(stderr=True), transient=True, disable=json_out) as bar:
        task = bar.add_task("copying units", total=None)
        report = workflow.migrate_memory(ws, to, progress=lambda n: bar.update(task, completed=n))
    if json_out:
        emit_json(asdict(report))
        return
    typer.echo(f"copied {report.units} units ({report.sources} sources, {report.seen} catalog records) from "
               f"{report.source} to {report.target}\nto use it, pass --memory, set PIPELINE_MEMORY_URL, or put it "
               "in pipeline.toml under [memory] location")



# ---------------------------------------------------------------- publish


@app.command("publish")
def publish_command(
    root: Path = RootOption,
    out: Path | None = typer.Option(None, "--out", help="Where the site goes (default: [publish] out in "
                                    "pipeline.toml, else published/ in the root). Files an earlier publish "
                                    "wrote are rewritten; nothing else there is touched."),
    langs: list[str] | None = LangsOption,
    include_fuzzy: bool | None = typer.Option(None, "--include-fuzzy/--approved-only", help="Publish fuzzy "
                                              "(machine / unreviewed) translations too, marked on the page as "
                                              "machine drafts (default: [publish] include_fuzzy, else off)."),
    min_complete: float | None = typer.Option(None, "--min-complete", min=0.0, max=100.0, help="Publish an "
                                              "article in a language only when at least this percent of its "
                                              "segments has a usable translation; the rest shows in English, "
                                              "marked (default: [publish] min_complete, else 100)."),
    strict: bool = typer.Option(False, "--strict", help="Refuse translations that `pipeline check` finds an "
                                "error in: they count as untranslated (shown in English)."),
    keep_going: bool = typer.Option(False, "--keep-going", help="Exit 0 even when a catalog or article could "
                                    "not be read (its last good pages stay online either way)."),
    as_json: bool = JsonOption,
) -> None:
    """Reassemble translated articles: Markdown, a static HTML site per language and manifest.json.

    Publishing some languages leaves the pages of the others as the last publish wrote them. An article whose
    catalog or source cannot be read keeps what was published for it and the command exits 1.
    """
    from pipeline import publish as publishing

    codes = parse_langs(langs)
    ws = open_workspace(root)
    target = out if out is not None else ws.published
    with reported(then="; nothing was published"):
        results = publishing.publish(ws, target, codes, include_fuzzy=include_fuzzy,
                                     min_complete=min_complete, strict=strict)
    failed = [pub for pub in results if pub.failed]
    if as_json:
        emit_json([{**vars(pub), "completeness": shown_percent(pub.completeness), "paths": dict(pub.paths)}
                   for pub in results])
        _publish_failures(failed, keep_going)
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    if not results:
        console.print(f"No articles in {root / 'source_texts'}: nothing to publish.")
        return
    table = Table(title=f"Published to {target}", show_lines=False)
    for column in ("article", "lang", "complete", "status"):
        table.add_column(column, overflow="fold")
    for pub in results:
        status = (f"[green]{escape(pub.paths['html'])}[/green]" if pub.published
                  else f"[yellow]{escape(pub.reason)}[/yellow]")
        if pub.published and pub.drafts:
            status += f" [magenta](machine draft: {pub.drafts} unreviewed)[/magenta]"
        if pub.published and pub.fallbacks:
            status += f" ({pub.fallbacks} shown in English)"
        if pub.published and pub.refused:
            status += f" ({pub.refused} refused by --strict)"
        table.add_row(escape(pub.slug), pub.lang, publishing.percent(pub.completeness), status)
    console.print(table, markup=True)
    done = sum(pub.published for pub in results)
    console.print(f"{done} of {len(results)} article versions published; site: {target / 'index.html'}, "
                  f"manifest: {target / 'manifest.json'}", highlight=False)
    if not done and not failed:
        console.print("Nothing was publishable yet: review the catalogs (approve entries), or use "
                      "--include-fuzzy / --min-complete.", highlight=False)
    if not ws.settings.site.base_url:
        console.print("No sitemap.xml, feeds or canonical links: set base_url under [site] in pipeline.toml "
                      "to the address the site is served from.", highlight=False)
    _publish_failures(failed, keep_going)


def _publish_failures(failed, keep_going: bool) -> None:
    """A deploy script must not ship a site missing pages unknowingly: name each skipped version, exit 1."""
    for pub in failed:
        word = "warning" if keep_going else "error"
        typer.echo(f"{word}: {pub.slug} ({pub.lang}) not republished, its last published page is kept: "
                   f"{pub.reason}", err=True)
    if failed and not keep_going:
        raise typer.Exit(1)


def main() -> None:
    app()
