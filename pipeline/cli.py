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


def _tm_memory(root: Path, *, must_exist: bool):
    """Open the workspace memory; reading commands on a workspace without one get a hint instead."""
    import sqlite3

    from pipeline.memory import Memory, default_path

    path = default_path(root)
    if must_exist and not path.exists():
        fail(f"no translation memory at {path}: import reviewed catalogs first with "
             f"`pipeline tm import {root / 'locales'} --root {root}`")
    try:
        return Memory.open(path)
    except (RuntimeError, sqlite3.Error) as e:
        fail(f"cannot open the translation memory {path}: {e}")


@tm_app.command("import")
def tm_import(
    paths: list[Path] = typer.Argument(..., help="Reviewed .po catalogs, TMX 1.4b files, or directories."),
    root: Path = RootOption,
    source_lang: str = typer.Option(None, "--source-lang",
                                    help="Source language (default: en for catalogs, the TMX srclang)."),
    json_out: bool = JsonOption,
) -> None:
    """Harvest approved entries (non-empty, not fuzzy, not obsolete) and TMX units into the memory.

    All files go in one transaction: a malformed file stops the import with its line and nothing is kept.
    """
    from dataclasses import asdict

    from rich.console import Console
    from rich.progress import Progress

    from pipeline.memory import ImportReport, MemoryImportError

    for p in paths:
        if not p.exists():
            fail(f"{p}: no such file or directory")
    memory = _tm_memory(root, must_exist=False)
    report = ImportReport()
    try:
        with memory, Progress(console=Console(stderr=True), transient=True, disable=json_out) as bar:
            task = bar.add_task("importing", total=None)
            with memory.store.transaction():
                for p in paths:
                    report += memory.import_path(
                        p, source_lang=source_lang, origin_root=root,
                        on_file=lambda f: bar.update(task, advance=1, description=f.name))
            if report.added > 50_000:
                memory.optimize()
    except MemoryImportError as e:
        fail(f"{e}\nnothing was imported; the memory is unchanged")
    if json_out:
        emit_json({**asdict(report), "memory": str(memory.path)})
        return
    typer.echo(f"imported {report.read} units from {report.files} files into {memory.path}: "
               f"{report.added} new or newly approved"
               + (f"; {report.skipped} TMX units without source or target skipped" if report.skipped else ""))


@tm_app.command("export")
def tm_export(
    out: Path = typer.Argument(..., help="File to write (replaced atomically)."),
    fmt: str = typer.Option("tmx", "--format", help="Output format: tmx (TMX 1.4b)."),
    langs: list[str] = typer.Option(None, "--lang", help="Target language(s) to export (default: all)."),
    source_lang: str = typer.Option("en", "--source-lang", help="Source language."),
    include_machine: bool = typer.Option(False, "--include-machine", help="Also export machine drafts."),
    root: Path = RootOption,
    json_out: bool = JsonOption,
) -> None:
    """Write the approved units as TMX 1.4b, readable by translate-toolkit, OmegaT, Weblate and others."""
    if fmt.lower() != "tmx":
        fail(f"unknown format {fmt!r}: only tmx is supported")
    with _tm_memory(root, must_exist=True) as memory:
        try:
            count = memory.export_tmx(out, source_lang=source_lang, target_langs=langs or None,
                                      include_machine=include_machine)
        except OSError as e:
            fail(f"cannot write {out}: {e}")
    if json_out:
        emit_json({"path": str(out), "units": count, "format": "tmx"})
    else:
        typer.echo(f"wrote {count} units to {out}")


@tm_app.command("lookup")
def tm_lookup(
    text: str = typer.Argument(..., help="Source sentence to look up."),
    lang: str = typer.Option(..., "--lang", help="Target language, e.g. ru."),
    min_score: float = typer.Option(75.0, "--min-score", min=0, max=100,
                                    help="Lowest fuzzy score shown (translate-toolkit's scale)."),
    limit: int = typer.Option(5, "--limit", min=1, help="Most matches shown."),
    source_lang: str = typer.Option("en", "--source-lang", help="Source language."),
    include_machine: bool = typer.Option(False, "--include-machine", help="Also show machine drafts."),
    root: Path = RootOption,
    json_out: bool = JsonOption,
) -> None:
    """Exact and fuzzy matches for TEXT, best first."""
    with _tm_memory(root, must_exist=True) as memory:
        matches = memory.lookup(text, lang, min_score=min_score, limit=limit, source_lang=source_lang,
                                include_machine=include_machine)
    if json_out:
        emit_json([{"source": m.source, "target": m.target, "score": round(m.score, 2), "origin": m.origin,
                    "status": m.status} for m in matches])
        return
    if not matches:
        typer.echo(f"no match scoring {min_score:g} or more")
        return
    for m in matches:
        flag = "" if m.status == "approved" else f" [{m.status}]"
        typer.echo(f"{m.score:6.2f}  {m.source}\n        {m.target}{flag}\n"
                   f"        ({m.origin or 'no origin'})")


@tm_app.command("stats")
def tm_stats(root: Path = RootOption, json_out: bool = JsonOption) -> None:
    """Units per language pair, approved and machine drafts."""
    from dataclasses import asdict

    with _tm_memory(root, must_exist=True) as memory:
        stats = memory.stats()
    if json_out:
        emit_json(asdict(stats))
        return
    typer.echo(f"{stats.path}: {stats.units} units ({stats.approved} approved, {stats.machine} machine), "
               f"{stats.sources} distinct sources, {stats.origins} origins, {stats.size_bytes / 1e6:.1f} MB")
    for p in stats.pairs:
        typer.echo(f"  {p.source_lang} -> {p.target_lang}: {p.approved} approved, {p.machine} machine")
    if stats.last_updated:
        typer.echo(f"last updated {stats.last_updated}")



# ---------------------------------------------------------------- publish


def main() -> None:
    app()
