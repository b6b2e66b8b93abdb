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
