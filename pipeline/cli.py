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

PackagesDirOption = typer.Option(
    None, "--packages-dir",
    help="Where argos packages are installed. Default: $ARGOS_PACKAGES_DIR, else "
    "~/.local/share/argos-translate/packages.",
)


def _human_size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _model_json(info) -> dict:
    return {
        "from_code": info.from_code, "to_code": info.to_code, "from_name": info.from_name,
        "to_name": info.to_name, "package_version": info.package_version, "label": info.label,
        "path": str(info.path), "size": info.size, "source_prefix": info.source_prefix,
        "target_prefix": info.target_prefix,
    }


@models_app.command("list")
def models_list(packages_dir: Path | None = PackagesDirOption, as_json: bool = JsonOption) -> None:
    """Installed translation packages, and which en->kk/ru/ar pairs the pipeline still lacks."""
    from pipeline import engine

    directory = engine.packages_dir(packages_dir)
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
        table = Table("pair", "version", "size", "directory")
        for m in models:
            table.add_row(m.pair, m.package_version, _human_size(m.size), m.path.name)
        console.print(table)
    else:
        console.print("No translation packages installed.")
    for problem in problems:
        console.print(f"[red]broken:[/red] {problem.message}", highlight=False)
    if missing:
        pairs = ", ".join(f"en→{code}" for code in missing)
        console.print(f"Missing for the pipeline: {pairs}. Install with `pipeline models install "
                      f"{' '.join(missing)}` (online) or `pipeline models install PATH.argosmodel`; "
                      "for Kazakh see `pipeline models import-opus`.", highlight=False)


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
    as_json: bool = JsonOption,
) -> None:
    """Validate and install translation packages; a package for the same pair is replaced."""
    import functools

    from pipeline import engine

    directory = engine.packages_dir(packages_dir)
    fetch_index = functools.cache(engine.argos_index)
    installed, errors = [], []
    for target in targets:
        try:
            if _is_language_code(target):
                typer.echo(f"fetching {from_code}→{target} from the argos index ...", err=True)
                info = engine.install_from_index(target, directory, from_code=from_code,
                                                 fetch_index=fetch_index)
            else:
                info = engine.install_model(Path(target), directory)
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
    as_json: bool = JsonOption,
) -> None:
    """Convert an OPUS-MT (Marian) release into an argos package and install it (or write it with --out)."""
    from rich.console import Console

    from pipeline import engine, opus

    directory = engine.packages_dir(packages_dir)
    try:
        with Console(stderr=True).status(f"converting {source.name} ({from_code}→{to_code}) ..."):
            result = opus.import_opus(
                source, to_code, directory=directory, out=out, from_code=from_code, lang_token=lang_token,
                quantization=None if quantization == "float32" else quantization,
                package_version=package_version,
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


# ---------------------------------------------------------------- glossary


# ---------------------------------------------------------------- tm (memory)


# ---------------------------------------------------------------- publish


def main() -> None:
    app()
