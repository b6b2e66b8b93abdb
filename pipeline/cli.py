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


@glossary_app.command("check")
def glossary_check(root: Path = RootOption, as_json: bool = JsonOption) -> None:
    """Report duplicates, conflicting targets, missing languages, empty cells and malformed rows.

    Each problem comes with its file and line; the exit code is 1 when there is any problem.
    """
    from pipeline import glossary

    directory = root / "glossary"
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
    out: Path = typer.Argument(..., help="File to write (replaced atomically)."),
    fmt: str = typer.Option("", "--format", "-f",
                            help="tbx (TBX-Basic, ISO 30042) or csv; default: from OUT's suffix."),
    root: Path = RootOption,
    as_json: bool = JsonOption,
) -> None:
    """Write the whole glossary (every glossary/*.csv) as one TBX-Basic or CSV file."""
    from pipeline import glossary

    fmt = (fmt or out.suffix.lstrip(".") or "tbx").lower()
    if fmt not in ("tbx", "csv"):
        fail(f"unknown format {fmt!r}: use --format tbx or --format csv")
    try:
        concepts = glossary.load_concepts(root / "glossary")
    except glossary.GlossaryError as exc:
        fail(f"{exc}")
    (glossary.write_tbx if fmt == "tbx" else glossary.write_csv)(concepts, out)
    if as_json:
        emit_json({"format": fmt, "path": str(out), "concepts": len(concepts)})
    else:
        typer.echo(f"wrote {len(concepts)} concepts to {out} ({fmt})")


@glossary_app.command("import")
def glossary_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                help="A .tbx (TBX v3 or v2/martif) or a glossary .csv."),
    out: Path | None = typer.Option(None, "--out", "-o",
                                    help="Write the imported concepts to this new CSV instead of merging."),
    replace: bool = typer.Option(False, "--replace", help="On a differing cell the imported value wins."),
    root: Path = RootOption,
    as_json: bool = JsonOption,
) -> None:
    """Merge a TBX or CSV glossary into glossary/terms.csv (atomically), or write it to a new CSV.

    Known ids get empty cells filled and variants added.

    A cell that differs is a conflict: nothing is written unless --replace.
    """
    from pipeline import glossary

    try:
        report, warnings = glossary.import_file(file, root / "glossary", out, replace)
    except glossary.GlossaryError as exc:
        fail(f"{exc}")
    written = not report.conflicts
    if as_json:
        emit_json({"written": written, "path": str(out or root / "glossary" / "terms.csv"),
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
    lang: str = typer.Option("kk", "--lang", "-l", help="Target language for the required terms."),
    root: Path = RootOption,
    as_json: bool = JsonOption,
) -> None:
    """Show which glossary terms a sentence contains and what they must become."""
    from pipeline import glossary

    try:
        gloss = glossary.Glossary.load(root / "glossary")
    except glossary.GlossaryError as exc:
        fail(f"{exc}")
    matches = gloss.find(text)
    if as_json:
        emit_json([{"text": m.text, "start": m.start, "end": m.end, "id": m.concept.id,
                    "target": glossary.target_for(m, lang)} for m in matches])
    else:
        typer.echo(glossary.term_comment(matches, lang) or "no glossary terms")


# ---------------------------------------------------------------- tm (memory)


# ---------------------------------------------------------------- publish


def main() -> None:
    app()
