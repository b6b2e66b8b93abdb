"""The `pipeline` command: a thin shell over the stage modules."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

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


def fail(message: str, code: int = 1) -> None:
    """Print an error for a person and stop with a non-zero exit code."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def emit_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


# ---------------------------------------------------------------- run / translate / segment / status

LangsOption = typer.Option("kk,ru,ar", "--langs", help="Target languages, comma-separated.")
PackagesOption = typer.Option(None, "--packages-dir", help="argos packages dir (default: $ARGOS_PACKAGES_DIR "
                              "or argos' own).")
MinScoreOption = typer.Option(75.0, "--min-score", min=0, max=100, help="Lowest fuzzy memory score reused.")
ExactFuzzyOption = typer.Option(False, "--exact-as-fuzzy", help="Flag exact memory matches fuzzy too, so a "
                                "reviewer sees every reuse.")
PublishOption = typer.Option(True, "--publish/--no-publish", help="Publish what is publishable at the end.")

INSTALL_HINTS = {
    "ru": "pipeline models install ru        (online: from the argos index)",
    "ar": "pipeline models install ar        (online: from the argos index)",
    "kk": "pipeline models import-opus OPUS_MT_DIR_OR_ZIP --to kk   (no argos index package; see README)",
}


def parse_langs(value: str) -> tuple[str, ...]:
    from pipeline import TARGET_LANGS

    langs = tuple(dict.fromkeys(code.strip() for code in value.split(",") if code.strip()))
    unknown = [code for code in langs if code not in TARGET_LANGS]
    if not langs or unknown:
        fail(f"--langs takes a comma-separated subset of {','.join(TARGET_LANGS)}; got {value!r}", 2)
    return langs


def _run_job(root: Path, files: list[Path] | None, langs: str, packages_dir: Path | None, min_score: float,
             exact_as_fuzzy: bool, publish_at_end: bool, as_json: bool) -> None:
    from rich.progress import Progress

    from pipeline import catalogs, engine, glossary, memory, workflow

    options = workflow.RunOptions(root=root, langs=parse_langs(langs), packages_dir=packages_dir,
                                  min_score=min_score, exact_as_fuzzy=exact_as_fuzzy, publish=publish_at_end)
    if not (root / "source_texts").is_dir() and not files:
        fail(f"{root}: no source_texts/ folder; run from a workspace or pass --root DIR", 2)
    try:
        with Progress(transient=True, disable=as_json) as bar:
            tasks: dict[str, int] = {}

            def progress(description: str, done: int, total: int) -> None:
                if description not in tasks:
                    tasks[description] = bar.add_task(description, total=total)
                bar.update(tasks[description], completed=done)

            report = workflow.run(options, files, progress)
    except (catalogs.CatalogError, glossary.GlossaryError, engine.ModelError, memory.MemoryError) as exc:
        fail(str(exc))
    except TimeoutError as exc:
        fail(str(exc))
    if as_json:
        emit_json(_report_json(report))
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(1)


def _report_json(report) -> dict:
    return {
        "catalogs": [
            {"article": r.slug, "lang": r.lang, "path": str(r.path), "entries": r.entries, "kept": r.kept,
             "memory_exact": r.memory_exact, "memory_fuzzy": r.memory_fuzzy, "previous": r.previous,
             "drafted": r.drafted, "untranslated_before_merge": r.untranslated, "error": r.error,
             "stats": None if r.stats is None
             else {**r.stats.__dict__, "percent_approved": round(r.stats.percent_approved, 1)}}
            for r in report.catalogs
        ],
        "engines": report.engines,
        "missing_models": report.missing_models,
        "harvested": report.harvested,
        "errors": report.errors,
        "published": [p.__dict__ for p in report.publications],
    }


def _print_report(report) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="Catalogs")
    for column in ("article", "lang", "entries", "kept", "memory", "drafted", "untranslated", "approved %"):
        table.add_column(column, justify="left" if column in ("article", "lang") else "right")
    for r in report.catalogs:
        if r.error:
            table.add_row(r.slug, r.lang, "-", "-", "-", "-", "-", "error")
            continue
        untranslated = r.stats.untranslated if r.stats else r.untranslated
        approved = f"{r.stats.percent_approved:.0f}" if r.stats else "-"
        reused = r.memory_exact + r.memory_fuzzy + r.previous
        table.add_row(r.slug, r.lang, str(r.entries), str(r.kept), str(reused), str(r.drafted),
                      str(untranslated), approved)
    console.print(table)
    if report.harvested:
        console.print(f"memory: harvested {report.harvested} approved entries from locales/")
    for lang, label in report.engines.items():
        console.print(f"en→{lang}: drafted with {label}")
    for lang in report.missing_models:
        console.print(f"[yellow]en→{lang}: no model installed; catalogs written with empty translations. "
                      f"Install one:[/yellow]\n    {INSTALL_HINTS.get(lang, 'pipeline models install PATH.argosmodel')}"
                      "\n    or: pipeline models install PATH.argosmodel")
    published = [p for p in report.publications if p.published]
    if report.publications:
        console.print(f"published {len(published)} of {len(report.publications)} article versions to published/")
    for error in report.errors:
        console.print(f"[red]error:[/red] {error}")


@app.command()
def run(root: Path = RootOption, langs: str = LangsOption, packages_dir: Path = PackagesOption,
        min_score: float = MinScoreOption, exact_as_fuzzy: bool = ExactFuzzyOption,
        publish_at_end: bool = PublishOption, as_json: bool = JsonOption) -> None:
    """Translate every article in source_texts/ into catalogs, then publish what is approved."""
    _run_job(root, None, langs, packages_dir, min_score, exact_as_fuzzy, publish_at_end, as_json)


@app.command()
def translate(files: list[Path] = typer.Argument(None, help="Articles to translate (default: all)."),
              root: Path = RootOption, langs: str = LangsOption, packages_dir: Path = PackagesOption,
              min_score: float = MinScoreOption, exact_as_fuzzy: bool = ExactFuzzyOption,
              as_json: bool = JsonOption) -> None:
    """Translate chosen articles into catalogs (memory first, then machine translation)."""
    for path in files or []:
        if not path.is_file():
            fail(f"{path}: no such article", 2)
    _run_job(root, files or None, langs, packages_dir, min_score, exact_as_fuzzy, False, as_json)


@app.command()
def segment(file: Path = typer.Argument(..., help="An article (.txt or .md)."), root: Path = RootOption,
            as_json: bool = JsonOption) -> None:
    """Show how an article is cut into headings and sentences, with the glossary terms found."""
    from pipeline import glossary, sources, workflow
    from pipeline.segment import segment_text

    try:
        article = sources.read_article(file)
        terms = workflow.load_glossary(root)
    except (sources.SourceError, glossary.GlossaryError) as exc:
        fail(str(exc), 2)
    segments = segment_text(article.text, markdown=article.markdown)
    rows = []
    for seg in segments:
        found = terms.find(seg.text)
        rows.append({
            "id": seg.id, "paragraph": seg.paragraph, "kind": seg.kind, "text": seg.text, "line": seg.line,
            "terms": [{"text": m.text, "start": m.start, "end": m.end, "concept": m.concept.id,
                       "targets": {lang: m.concept.targets.get(lang, "") for lang in ("kk", "ru", "ar")}}
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
def status(root: Path = RootOption, langs: str = LangsOption, as_json: bool = JsonOption) -> None:
    """Per article and language: entries, approved, fuzzy, untranslated, obsolete."""
    from rich.console import Console
    from rich.table import Table

    from pipeline import catalogs, workflow

    try:
        rows = workflow.status(root, parse_langs(langs))
    except catalogs.CatalogError as exc:
        fail(str(exc))
    totals = {"total": 0, "approved": 0, "fuzzy": 0, "untranslated": 0, "obsolete": 0}
    for _, _, stats in rows:
        for key in totals:
            totals[key] += getattr(stats, key)
    percent = 100.0 * totals["approved"] / totals["total"] if totals["total"] else 0.0
    if as_json:
        emit_json({"catalogs": [{"article": slug, "lang": lang, **stats.__dict__,
                                 "translated": stats.approved, "percent_approved": round(stats.percent_approved, 1)}
                                for slug, lang, stats in rows],
                   "totals": {**totals, "percent_approved": round(percent, 1)}})
        return
    table = Table(title="Catalog status")
    for column in ("article", "lang", "total", "approved", "fuzzy", "untranslated", "obsolete", "approved %"):
        table.add_column(column, justify="left" if column in ("article", "lang") else "right")
    for slug, lang, s in rows:
        table.add_row(slug, lang, str(s.total), str(s.approved), str(s.fuzzy), str(s.untranslated),
                      str(s.obsolete), f"{s.percent_approved:.0f}")
    table.add_row("total", "", *(str(totals[k]) for k in totals), f"{percent:.0f}")
    Console().print(table)
    if not rows:
        typer.echo("no catalogs yet: run `pipeline run` first")



# ---------------------------------------------------------------- models (engine)


# ---------------------------------------------------------------- glossary


# ---------------------------------------------------------------- tm (memory)


# ---------------------------------------------------------------- publish


def _publish_langs(values: list[str] | None, default: tuple[str, ...] = ("kk", "ru", "ar")) -> list[str]:
    """`--langs kk,ru --langs ar` and `--langs kk ru` style values, in order, without repeats."""
    found: list[str] = []
    for value in values or default:
        for code in value.replace(",", " ").split():
            if code and code not in found:
                found.append(code)
    return found


@app.command("publish")
def publish_command(
    root: Path = RootOption,
    out: Path | None = typer.Option(None, "--out", help="Where the site goes (default: published/ in the "
                                    "root). Files an earlier publish wrote are rewritten; nothing else there "
                                    "is touched."),
    langs: list[str] | None = typer.Option(None, "--langs", help="Target languages, e.g. --langs kk,ru,ar "
                                           "(default: kk, ru, ar)."),
    include_fuzzy: bool = typer.Option(False, "--include-fuzzy", help="Publish fuzzy (machine / unreviewed) "
                                       "translations too, marked on the page as machine drafts."),
    min_complete: float = typer.Option(100.0, "--min-complete", min=0.0, max=100.0, help="Publish an article "
                                       "in a language only when at least this percent of its segments has a "
                                       "usable translation; the rest shows in English, marked."),
    as_json: bool = JsonOption,
) -> None:
    """Reassemble translated articles: Markdown, a static HTML site per language and manifest.json."""
    from pipeline import publish as publishing
    from pipeline.sources import SourceError

    target = out if out is not None else root / "published"
    try:
        results = publishing.publish(root, target, _publish_langs(langs), include_fuzzy=include_fuzzy,
                                     min_complete=min_complete)
    except (publishing.PublishError, SourceError) as exc:
        fail(str(exc))
        return
    if as_json:
        emit_json([{**vars(pub), "paths": dict(pub.paths)} for pub in results])
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
        if pub.published and pub.untranslated:
            status += f" ({pub.untranslated} shown in English)"
        table.add_row(escape(pub.slug), pub.lang, publishing.percent(pub.completeness), status)
    console.print(table, markup=True)
    done = sum(pub.published for pub in results)
    console.print(f"{done} of {len(results)} article versions published; site: {target / 'index.html'}, "
                  f"manifest: {target / 'manifest.json'}", highlight=False)
    if not done:
        console.print("Nothing was publishable yet: review the catalogs (approve entries), or use "
                      "--include-fuzzy / --min-complete.", highlight=False)


def main() -> None:
    app()
