"""OPUS-MT (Marian) releases -> argos packages: the road to a real English->Kazakh model.

The argos index has no en->kk package, but Helsinki-NLP publishes open (CC-BY 4.0) Marian models, e.g.
Tatoeba-Challenge `eng-kaz` or multilingual English->Turkic models that need a `>>kaz<<` token before the
source. CTranslate2 converts them without torch. Such a release has two SentencePiece models (source.spm,
target.spm) and may need a source-side token, which argos packages cannot express; we record both in
metadata.json fields that pipeline.engine reads (`source_sentencepiece`, `target_sentencepiece`,
`source_prefix`) and still ship `sentencepiece.model` so stock argostranslate can load the package.
"""

from __future__ import annotations

import filecmp
import json
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pipeline import archives, files
from pipeline.engine import (
    ModelError,
    ModelInfo,
    check_loads,
    check_vocabulary,
    install_model,
    package_metadata,
    read_package,
)
from pipeline.languages import LANGUAGE_CODE

# Codes OPUS-MT releases use for each pipeline language, in order of preference for the target token
# (Kazakh in Cyrillic script first: the pipeline publishes Cyrillic Kazakh).
LANGUAGE_ALIASES = {
    "en": ("eng", "en"),
    "kk": ("kaz_Cyrl", "kaz", "kk"),
    "ru": ("rus", "ru"),
    "ar": ("ara", "arb", "ar"),
}
QUANTIZATIONS = ("int8", "int8_float32", "int16", "float16", "float32")
LABEL_PATTERN = re.compile(r">>[A-Za-z0-9_]+<<")


@dataclass(frozen=True)
class OpusRelease:
    """The files of one extracted OPUS-MT release and what its README / release yml say about it."""

    directory: Path
    name: str
    model: Path
    vocabularies: tuple[Path, ...]
    source_spm: Path
    target_spm: Path
    source_languages: tuple[str, ...] = ()  # empty when the release does not say
    target_languages: tuple[str, ...] = ()
    language_labels: tuple[str, ...] = ()  # target tokens such as >>kaz_Cyrl<< (source vocabulary first)
    token_required: bool = False  # the model was trained with a target token before each source
    readme: str = ""


@dataclass(frozen=True)
class OpusImport:
    metadata: dict
    notes: tuple[str, ...] = ()  # what could not be verified; show them to the user
    archive: Path | None = None  # written with --out
    installed: ModelInfo | None = None


def _readme_languages(text: str, side: str) -> list[str]:
    codes: list[str] = []
    for match in re.finditer(rf"{side} language\(s\):[ \t]*(.*)", text):
        codes.extend(match.group(1).replace(",", " ").split())
    return codes


def _readme_labels(text: str) -> list[str]:
    return [t for line in text.splitlines() if "label" in line.lower() for t in LABEL_PATTERN.findall(line)]


def _release_yml(root: Path) -> dict:
    """Languages and labels from the release's own <name>.yml (Tatoeba-Challenge ships one)."""
    import yaml

    found: dict[str, list[str]] = {"source-languages": [], "target-languages": [], "use-target-labels": []}
    for path in sorted(root.glob("*.yml")):
        if path.name == "decoder.yml" or path.name.endswith("vocab.yml"):
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if isinstance(data, dict):
            for key, values in found.items():
                if isinstance(data.get(key), list):
                    values.extend(str(v) for v in data[key])
    return found


def _vocabulary_labels(path: Path) -> list[str]:
    """Target-language tokens present in a Marian vocab.yml."""
    return LABEL_PATTERN.findall(path.read_text(encoding="utf-8", errors="replace"))


def _unique(items) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _find_release_root(directory: Path) -> Path:
    if (directory / "decoder.yml").is_file():
        return directory
    found = sorted(directory.glob("*/decoder.yml"))
    if len(found) == 1:
        return found[0].parent
    hint = ""
    if (directory / "config.json").is_file() or (directory / "pytorch_model.bin").is_file():
        hint = (" This looks like a Hugging Face transformers checkpoint; take the Marian release zip "
                "(opus-*.zip from the Tatoeba-Challenge / OPUS-MT pages) instead.")
    raise ModelError(f"{directory}: no decoder.yml, so not an OPUS-MT (Marian) release.{hint}")


def read_release(directory: Path) -> OpusRelease:
    """Locate model, vocabularies and tokenizers from decoder.yml; ModelError says what is missing."""
    import yaml

    root = _find_release_root(Path(directory))
    decoder_path = root / "decoder.yml"
    try:
        decoder = yaml.safe_load(decoder_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise ModelError(f"{decoder_path}: unreadable YAML ({err})") from err
    if not isinstance(decoder, dict) or not decoder.get("models") or not decoder.get("vocabs"):
        raise ModelError(f"{decoder_path}: needs `models:` and `vocabs:` lists; not an OPUS-MT release")

    def member(name: object, what: str) -> Path:
        pure = PurePosixPath(name) if isinstance(name, str) else None
        if pure is None or pure.is_absolute() or ".." in pure.parts:
            raise ModelError(f"{decoder_path}: {what} entry {name!r} is not a file of the release")
        path = root / name
        if not path.is_file():
            raise ModelError(f"{root}: {what} file {name} (named in decoder.yml) is missing; "
                             "the release is incomplete, download it again")
        return path

    model = member(decoder["models"][0], "model")
    vocabularies = tuple(member(v, "vocabulary") for v in decoder["vocabs"])
    for name in ("source.spm", "target.spm"):
        if not (root / name).is_file():
            raise ModelError(f"{root}: {name} is missing; OPUS-MT releases ship source.spm and target.spm")
    readme = ""
    if (root / "README.md").is_file():
        readme = (root / "README.md").read_text(encoding="utf-8", errors="replace")
    yml = _release_yml(root)
    vocab_labels = _vocabulary_labels(vocabularies[0])
    labels = _unique(vocab_labels + yml["use-target-labels"] + _readme_labels(readme))
    return OpusRelease(
        directory=root,
        name=root.name,
        model=model,
        vocabularies=vocabularies,
        source_spm=root / "source.spm",
        target_spm=root / "target.spm",
        source_languages=_unique(yml["source-languages"] + _readme_languages(readme, "source")),
        target_languages=_unique(yml["target-languages"] + _readme_languages(readme, "target")),
        language_labels=labels,
        token_required=bool(vocab_labels or yml["use-target-labels"])
        or "language token is required" in readme,
        readme=readme,
    )


def _aliases(code: str) -> tuple[str, ...]:
    return LANGUAGE_ALIASES.get(code, (code,))


def check_direction(release: OpusRelease, to_code: str, from_code: str = "en",
                    lang_token: str | None = None) -> tuple[str | None, list[str]]:
    """(source token to use, notes). ModelError for a release that translates the wrong way."""
    notes: list[str] = []
    where = release.directory
    sources, targets = release.source_languages, release.target_languages
    source_aliases, target_aliases = _aliases(from_code), _aliases(to_code)
    if sources and not set(sources) & set(source_aliases):
        raise ModelError(f"{where}: wrong direction: this model translates from {' '.join(sources)}, "
                         f"not from {from_code}; take a {source_aliases[0]}-* release")
    if targets and not set(targets) & set(target_aliases):
        raise ModelError(f"{where}: wrong model: it translates into {' '.join(targets[:20])}, "
                         f"not into {to_code}")
    if not sources or not targets:
        notes.append(f"{where}: the release does not state its languages; cannot verify that it "
                     f"translates {from_code}→{to_code}")
    labels = release.language_labels
    if lang_token:
        if labels and lang_token not in labels:
            raise ModelError(f"{where}: language token {lang_token} is unknown to this model; its tokens "
                             f"are: {' '.join(labels[:30])}")
        return lang_token, notes
    multilingual = len({t.split("_")[0] for t in targets}) > 1
    if not (release.token_required or multilingual):
        return None, notes
    wanted = [f">>{alias}<<" for alias in target_aliases]
    known = [t for t in wanted if t in labels]
    if known:
        notes.append(f"the model needs a target-language token: using {known[0]}")
        return known[0], notes
    if labels:
        raise ModelError(f"{where}: the model has no target-language token for {to_code} (its tokens: "
                         f"{' '.join(labels[:30])}); wrong model, or pass --lang-token")
    raise ModelError(f"{where}: the model needs a target-language token; pass --lang-token "
                     f"'{wanted[0]}' (see the release README)")


def _extract_zip(archive: Path, into: Path, limits: archives.Limits) -> Path:
    if not zipfile.is_zipfile(archive):
        raise ModelError(f"{archive}: not a zip archive; give an OPUS-MT release .zip or its extracted "
                         "directory (download it again if it was interrupted)")
    try:
        with zipfile.ZipFile(archive) as zf:
            archives.check_members(zf, archive, limits)  # paths, member count and declared sizes first
            bad = zf.testzip()
            if bad is not None:
                raise ModelError(f"{archive}: {bad} is corrupt (CRC mismatch); download the release again")
            archives.extract(zf, archive, into, limits)
    except zipfile.BadZipFile as err:
        raise ModelError(f"{archive}: damaged zip archive ({err}); download it again") from err
    return into


def _convert(release: OpusRelease, model_dir: Path, quantization: str | None) -> None:
    from ctranslate2.converters import MarianConverter

    try:
        MarianConverter(str(release.model), [str(v) for v in release.vocabularies]).convert(
            str(model_dir), quantization=quantization
        )
    except Exception as err:  # converter raises ValueError/KeyError/RuntimeError for unsupported models
        raise ModelError(f"{release.directory}: CTranslate2 cannot convert {release.model.name} ({err}); "
                         "it must be a Marian transformer release whose vocabulary fits the model") from err


def _package_readme(release: OpusRelease, metadata: dict, source_name: str) -> str:
    lines = [
        f"# {metadata['from_name']} → {metadata['to_name']} (converted from OPUS-MT)",
        "",
        f"Converted by `pipeline models import-opus` from {source_name} (Marian model, via CTranslate2).",
        "OPUS-MT / Tatoeba-Challenge models are published by Helsinki-NLP under CC-BY 4.0: keep this",
        "attribution. Machine translation drafts need human review.",
        "",
        "metadata.json fields read by the pipeline engine (ignored by stock argostranslate):",
        "`source_sentencepiece`, `target_sentencepiece`, `source_prefix`.",
    ]
    if release.readme:
        lines += ["", "## Original README", "", release.readme]
    return "\n".join(lines) + "\n"


def _zip_atomically(package: Path, out: Path) -> Path:
    with files.atomic_binary_writer(out) as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(package, package.name + "/")
        for path in sorted(package.rglob("*")):
            zf.write(path, f"{package.name}/{path.relative_to(package).as_posix()}")
    return out


def _build(source: Path, root: Path, package: Path, to_code: str, from_code: str, lang_token: str | None,
           quantization: str | None, package_version: str) -> tuple[dict, list[str]]:
    release = read_release(root)
    token, notes = check_direction(release, to_code, from_code, lang_token)
    package.mkdir(parents=True)
    _convert(release, package / "model", quantization)
    shutil.copyfile(release.source_spm, package / "sentencepiece.model")
    metadata = package_metadata(from_code, to_code, package_version, f"OPUS-MT {source.name}")
    if not filecmp.cmp(release.source_spm, release.target_spm, shallow=False):
        shutil.copyfile(release.target_spm, package / "target_sentencepiece.model")
        metadata["target_sentencepiece"] = "target_sentencepiece.model"
    else:
        metadata["target_sentencepiece"] = "sentencepiece.model"
    if token:
        metadata["source_prefix"] = token
    if quantization:
        metadata["quantization"] = quantization
    (package / "metadata.json").write_text(json.dumps(metadata, ensure_ascii=False, indent=2) + "\n",
                                           encoding="utf-8")
    (package / "README.md").write_text(_package_readme(release, metadata, source.name), encoding="utf-8")
    if (release.directory / "LICENSE").is_file():
        shutil.copyfile(release.directory / "LICENSE", package / "LICENSE")
    read_package(package)
    check_vocabulary(package)
    check_loads(package)
    return metadata, notes


def build_package(source: Path, to_code: str, out: Path, *, from_code: str = "en",
                  lang_token: str | None = None, quantization: str | None = "int8",
                  package_version: str = "1.0", limits: archives.Limits | None = None) -> OpusImport:
    """Convert an OPUS-MT release (zip or directory) into a checked `.argosmodel` at `out`."""
    source, out = Path(source), Path(out)
    for code, option in ((to_code, "--to"), (from_code, "--from")):
        if not LANGUAGE_CODE.match(code or ""):
            raise ModelError(f"{option} {code!r} is not a language code (such as kk, ru or pt-BR)")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,31}", package_version or ""):
        raise ModelError(f"--package-version {package_version!r} must be a version such as 1.0 or 1.2.3")
    if not source.exists():
        raise ModelError(f"{source}: no such file or directory; give an OPUS-MT release .zip or its folder")
    try:
        files.output_folder(out)
    except FileNotFoundError as exc:
        raise ModelError(f"--out {out}: {exc.strerror}") from None
    if quantization is not None and quantization not in QUANTIZATIONS:
        raise ModelError(f"unknown quantization {quantization!r}; choose one of {', '.join(QUANTIZATIONS)}")
    with tempfile.TemporaryDirectory(prefix="pipeline-opus-") as tmp:
        work = Path(tmp)
        root = work / "release" if source.is_file() else source
        package = work / "package" / f"translate-{from_code}_{to_code}-{package_version.replace('.', '_')}"
        try:
            if source.is_file():
                _extract_zip(source, root, limits or archives.Limits())
            metadata, notes = _build(source, root, package, to_code, from_code, lang_token, quantization,
                                     package_version)
        except ModelError as err:  # name the user's file, not our temp dirs
            message = str(err).replace(str(package), f"{source} (converted)").replace(str(root), str(source))
            raise ModelError(message) from err
        _zip_atomically(package, out)
    return OpusImport(metadata=metadata, notes=tuple(notes), archive=out)


def import_opus(source: Path, to_code: str, *, directory: Path | None = None, out: Path | None = None,
                from_code: str = "en", lang_token: str | None = None, quantization: str | None = "int8",
                package_version: str = "1.0", limits: archives.Limits | None = None,
                on_note=None) -> OpusImport:
    """Convert a release; write it to `out`, or (without `out`) install it into `directory`."""
    options = dict(from_code=from_code, lang_token=lang_token, quantization=quantization,
                   package_version=package_version, limits=limits)
    if out is not None:
        return build_package(source, to_code, Path(out), **options)
    if directory is None:
        raise ModelError("import_opus needs `out` (write an .argosmodel) or `directory` (install it)")
    with tempfile.TemporaryDirectory(prefix="pipeline-opus-") as tmp:
        built = build_package(source, to_code, Path(tmp) / "converted.argosmodel", **options)
        info = install_model(built.archive, Path(directory), limits=limits, on_note=on_note)
    return OpusImport(metadata=built.metadata, notes=built.notes, installed=info)
