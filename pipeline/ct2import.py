"""CTranslate2 conversions of multilingual models (NLLB-200) -> argos packages, one per language pair.

NLLB-200 translates English into Kazakh, Russian and Arabic with one set of weights. A user converts it with
`ct2-transformers-converter --model facebook/nllb-200-distilled-600M --output_dir DIR` and puts the model's
`sentencepiece.bpe.model` beside it. Each pair becomes an ordinary argos package (stock argostranslate loads it)
whose metadata.json states what NLLB needs and argos cannot express: the source language token before the
pieces and `</s>` after them (`source_prefix`, `source_suffix`), the target language token (`target_prefix`),
the family and licence, and the checksum of the weights. Installed side by side, the packages hard-link one
copy of the weights, and pipeline.engine loads that copy once per run for every language.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import TARGET_LANGS, files
from pipeline.engine import (
    STAGING_PREFIX,
    ModelError,
    ModelInfo,
    _ct2_vocabulary,
    _install_dir,
    _swap_in,
    check_loads,
    check_vocabulary,
    package_metadata,
    read_package,
)
from pipeline.languages import LANGUAGE_CODE, english_name
from pipeline.opus import _zip_atomically


@dataclass(frozen=True)
class Family:
    """What a multilingual model family needs around each segment, and under which licence it is published."""

    name: str
    title: str
    licence: str
    licence_note: str
    codes: dict[str, str]  # pipeline language code -> the model's language token
    source_suffix: tuple[str, ...]
    tokenizers: tuple[str, ...]  # SentencePiece file names the model is published with, preferred first


FAMILIES = {
    "nllb": Family(
        name="nllb-200",
        title="NLLB-200 (Meta AI, No Language Left Behind)",
        licence="CC-BY-NC-4.0",
        licence_note="CC-BY-NC-4.0: attribution required; non-commercial use only. Translations it drafts may "
                     "not be published for commercial purposes (for example on a site that sells advertising or "
                     "subscriptions) without a separate licence from Meta.",
        codes={"en": "eng_Latn", "kk": "kaz_Cyrl", "ru": "rus_Cyrl", "ar": "arb_Arab", "tr": "tur_Latn",
               "uz": "uzn_Latn", "ky": "kir_Cyrl", "tt": "tat_Cyrl", "fa": "pes_Arab", "de": "deu_Latn",
               "fr": "fra_Latn", "zh": "zho_Hans"},
        source_suffix=("</s>",),
        tokenizers=("sentencepiece.bpe.model", "sentencepiece.model"),
    ),
}
MODEL_FILES = ("model.bin", "config.json")


@dataclass
class Ct2Import:
    packages: list[dict] = field(default_factory=list)  # metadata.json of each pair
    notes: list[str] = field(default_factory=list)
    archives: list[Path] = field(default_factory=list)  # written with --out
    installed: list[ModelInfo] = field(default_factory=list)


@dataclass(frozen=True)
class _Conversion:
    directory: Path
    files: tuple[Path, ...]  # model.bin, config.json, the vocabulary files
    tokenizer: Path
    vocabulary: frozenset[str]


def _read_conversion(directory: Path, family: Family) -> _Conversion:
    """Check that DIR is a CTranslate2 conversion of this family; ModelError says what is missing."""
    if not directory.is_dir():
        raise ModelError(f"{directory}: no such directory; give the --output_dir of ct2-transformers-converter")
    for name in MODEL_FILES:
        if not (directory / name).is_file():
            hint = (" This looks like a Hugging Face checkpoint: convert it first with `ct2-transformers-converter "
                    f"--model {directory} --output_dir DIR`." if (directory / "pytorch_model.bin").is_file()
                    or (directory / "model.safetensors").is_file() else "")
            raise ModelError(f"{directory}: {name} is missing, so this is not a CTranslate2 conversion.{hint}")
    vocabulary = _ct2_vocabulary(directory, "source")
    if vocabulary is None:
        raise ModelError(f"{directory}: no shared_vocabulary.json or .txt; convert the model again with "
                         "ct2-transformers-converter (CTranslate2 3.0 or newer)")
    vocab_files = tuple(p for p in sorted(directory.iterdir()) if p.is_file() and p.name.endswith(
        ("_vocabulary.json", "_vocabulary.txt")))
    tokenizer = next((directory / n for n in family.tokenizers if (directory / n).is_file()), None)
    if tokenizer is None:
        raise ModelError(f"{directory}: {family.tokenizers[0]} is missing; copy it from the model's Hugging Face "
                         "repository (e.g. facebook/nllb-200-distilled-600M) beside model.bin")
    known = frozenset(vocabulary)
    if not {family.codes["en"], *family.source_suffix} <= known:
        raise ModelError(f"{directory}: the vocabulary has no {family.codes['en']} token, so this is not an "
                         f"{family.title} conversion")
    return _Conversion(directory, tuple(directory / n for n in MODEL_FILES) + vocab_files, tokenizer, known)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pair_metadata(family: Family, conversion: _Conversion, from_code: str, to_code: str, version: str,
                   sha: str) -> dict:
    return package_metadata(
        from_code, to_code, version, f"{family.title}: CTranslate2 conversion {conversion.directory.name}",
        target_sentencepiece="sentencepiece.model", source_prefix=[family.codes[from_code]],
        source_suffix=list(family.source_suffix), target_prefix=family.codes[to_code], family=family.name,
        licence=family.licence, model_sha256=sha)


def _package_readme(family: Family, metadata: dict) -> str:
    return "\n".join([
        f"# {metadata['from_name']} → {metadata['to_name']} ({family.title})",
        "",
        f"Packaged by `pipeline models import-ct2` from {metadata['converted_from']}.",
        f"Licence: {family.licence_note}",
        "Machine translation drafts need human review.",
        "",
        "metadata.json fields read by the pipeline engine (ignored by stock argostranslate):",
        "`source_prefix`, `source_suffix`, `family`, `licence`, `model_sha256`. Stock argostranslate applies",
        "`target_prefix` but not the source tokens, so its output from this package is poorer.",
    ]) + "\n"


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link where the file system allows it (one copy of the weights on disk), else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _write_package(package: Path, family: Family, conversion: _Conversion, metadata: dict,
                   weights_from: Path | None) -> None:
    """One pair's package; its model/ files are hard links to `weights_from` (another package's model/)."""
    (package / "model").mkdir(parents=True)
    for path in conversion.files:
        if weights_from is not None:
            _link_or_copy(weights_from / path.name, package / "model" / path.name)
        else:
            shutil.copyfile(path, package / "model" / path.name)
    shutil.copyfile(conversion.tokenizer, package / "sentencepiece.model")
    files.write_text(package / "metadata.json", json.dumps(metadata, ensure_ascii=False, indent=2) + "\n")
    files.write_text(package / "README.md", _package_readme(family, metadata))


def _check_options(family_name: str, to_codes: Sequence[str], from_code: str, version: str) -> Family:
    family = FAMILIES.get(family_name)
    if family is None:
        raise ModelError(f"--family {family_name!r} is not supported; choose one of {', '.join(FAMILIES)}")
    if not to_codes:
        raise ModelError("--to names no language; give codes such as kk,ru,ar")
    for code, option in [*((c, "--to") for c in to_codes), (from_code, "--from")]:
        if not LANGUAGE_CODE.match(code or ""):
            raise ModelError(f"{option} {code!r} is not a language code (such as kk, ru or ar)")
        if code not in family.codes:
            raise ModelError(f"{option} {code}: no {family.title} language token known for it; the pipeline "
                             f"knows {', '.join(sorted(family.codes))}")
    if from_code in to_codes:
        raise ModelError(f"--to {from_code} is the source language itself")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,31}", version or ""):
        raise ModelError(f"--package-version {version!r} must be a version such as 1.0 or 1.2.3")
    return family


def _top_name(family: Family, from_code: str, to_code: str, version: str) -> str:
    return f"translate-{from_code}_{to_code}-{family.name}-{version.replace('.', '_')}"


def import_ct2(source: Path, *, family: str = "nllb", to_codes: Sequence[str] = TARGET_LANGS,
               directory: Path | None = None, out: Path | None = None, from_code: str = "en",
               package_version: str = "1.0", on_progress: Callable[[str], None] | None = None) -> Ct2Import:
    """Install one package per pair into `directory` (weights hard-linked), or write `.argosmodel`s into `out`."""
    fam = _check_options(family, list(dict.fromkeys(to_codes)), from_code, package_version)
    to_codes = list(dict.fromkeys(to_codes))
    conversion = _read_conversion(Path(source), fam)
    result = Ct2Import()
    for code in [from_code, *to_codes]:
        if fam.codes[code] not in conversion.vocabulary:
            raise ModelError(f"{source}: the model's vocabulary has no {fam.codes[code]} token, so it cannot "
                             f"translate {'from' if code == from_code else 'into'} {english_name(code)}")
    if on_progress:
        on_progress(f"checksum of {conversion.files[0].name}")
    sha = _sha256(conversion.files[0])
    if out is None and directory is None:
        raise ModelError("import_ct2 needs `out` (write .argosmodel files) or `directory` (install them)")
    target_root = Path(out) if out is not None else Path(directory)
    target_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}ct2-", dir=target_root)) if out is None else \
        Path(tempfile.mkdtemp(prefix="pipeline-ct2-"))
    try:
        built: list[Path] = []
        for code in to_codes:
            metadata = _pair_metadata(fam, conversion, from_code, code, package_version, sha)
            package = staging / _top_name(fam, from_code, code, package_version)
            if on_progress:
                on_progress(f"packaging {from_code}→{code}")
            _write_package(package, fam, conversion, metadata, built[0] / "model" if built else None)
            read_package(package)
            check_vocabulary(package)
            if not built and not result.archives:
                if on_progress:
                    on_progress("loading the model once to check it")
                check_loads(package)
            result.packages.append(metadata)
            if out is not None:  # one copy of the weights at a time in the temp dir
                result.archives.append(_zip_atomically(package, Path(out) / f"{package.name}.argosmodel"))
                shutil.rmtree(package)
            else:
                built.append(package)
        if out is not None:
            result.notes.append("each .argosmodel holds its own copy of the weights; once installed the pairs "
                                "still share one loaded model per run (same model_sha256)")
        for package in built:
            info = read_package(package)
            final = _install_dir(Path(directory), package.name, info)
            _swap_in(package, final, info, Path(directory))
            result.installed.append(read_package(final))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if fam.licence.startswith("CC-BY-NC"):
        result.notes.append(f"licence {fam.licence_note}")
    return result


def licence_note(info: ModelInfo) -> str:
    """What the licence of an installed package means for a publisher ("" when the package states none)."""
    for family in FAMILIES.values():
        if info.family == family.name:
            return family.licence_note
    return ""


__all__ = ["FAMILIES", "Ct2Import", "import_ct2", "licence_note"]
