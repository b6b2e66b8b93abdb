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


def main() -> None:
    app()
