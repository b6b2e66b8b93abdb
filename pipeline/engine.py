"""Stage 5: offline machine translation through installed argos packages.

Never calls argostranslate.translate.translate() (it downloads sentence splitters and fails offline): we feed
our own segments through the package's tokenizer and its CTranslate2 translator.

Package format: an argos package directory (`metadata.json`, `model/` = CTranslate2 model,
`sentencepiece.model` or `bpe.model`). Our engine also reads three optional metadata fields that stock
argos ignores, so packages converted from OPUS-MT (pipeline.opus) translate correctly here and still load
in stock argostranslate:

- `source_sentencepiece`: SentencePiece model (path inside the package) that encodes the English source;
  default `sentencepiece.model`.
- `target_sentencepiece`: SentencePiece model that decodes the output; default: the source one.
- `source_prefix`: token(s) put before every source segment, e.g. `>>kaz<<` for multilingual OPUS-MT
  models or `eng_Latn` for NLLB-200 (the source-side twin of argos' own `target_prefix`); a string (tokens
  separated by spaces) or a list of tokens.
- `source_suffix`: token(s) put after every source segment, e.g. `</s>` for NLLB-200 (same forms).
- `family`, `licence`: what the model is and under which terms its output may be used (shown by `models list`
  and in each draft's provenance).
- `model_sha256`: checksum of model/model.bin; packages with the same one (the pairs of one multilingual model)
  share a single loaded translator within a run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from pipeline import TARGET_LANGS, archives, files
from pipeline.errors import ModelError
from pipeline.languages import LANGUAGE_CODE

# Codes the pipeline translates English into; `models list` reports which are missing.
TARGET_CODES = TARGET_LANGS  # what the pipeline translates into
STAGING_PREFIX = ".pipeline-"  # temp dirs inside the packages dir; hidden from listings
SPECIAL_TOKENS = frozenset({"<s>", "</s>", "<unk>", "<pad>", "<blank>", "<mask>"})
# NLLB-200's language tokens (kaz_Cyrl, rus_Cyrl, …): a confused model may emit one mid-sentence; never text.
LANGUAGE_TOKEN = re.compile(r"[a-z]{3}_[A-Z][a-z]{3}")
ARGOS_INDEX_URL = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/index.json"
# One line must not hold a run hostage: a segment longer than MAX_SOURCE_TOKENS goes to the model in pieces cut
# at sentence, then clause, then word boundaries (and the translations are joined again), and no piece may
# decode more than MAX_DECODING_TOKENS, whatever its length.
MAX_SOURCE_TOKENS = 200
MAX_DECODING_TOKENS = 512
# Source tokens per batch: small batches waste the least decoding (a batch decodes as long as its longest
# sentence needs) and keep every core busy; measured in benchmarks/engine.py --tune (README: performance).
DEFAULT_BATCH_TOKENS = 256
MAX_MT_CHARACTERS = 5_000  # a longer segment is not machine-translated at all (a run reports it, untranslated)
_BOUNDARIES = (re.compile(r"(?<=[.!?…»\"”])\s+"), re.compile(r"(?<=[;:])\s+"), re.compile(r"(?<=[,–—])\s+"),
               re.compile(r"\s+"))


@dataclass(frozen=True)
class ModelInfo:
    from_code: str
    to_code: str
    package_version: str
    path: Path
    size: int  # bytes on disk
    from_name: str = ""
    to_name: str = ""
    source_prefix: str = ""  # tokens separated by spaces
    target_prefix: str = ""
    source_suffix: str = ""  # tokens separated by spaces
    family: str = ""  # e.g. nllb-200, opus-mt; "" for argos index packages
    licence: str = ""  # e.g. CC-BY-NC-4.0
    model_sha256: str = ""

    @property
    def pair(self) -> str:
        return f"{self.from_code}→{self.to_code}"

    @property
    def label(self) -> str:
        """What provenance comments and the memory record as the engine: family, pair, version, licence."""
        text = f"{self.family or 'argos'} {self.pair} {self.package_version}"
        return f"{text} ({self.licence})" if self.licence else text


@dataclass(frozen=True)
class ModelProblem:
    """An installed package directory that cannot be used, and why."""

    path: Path
    message: str
    from_code: str | None = None
    to_code: str | None = None


def packages_dir(explicit: Path | None = None) -> Path:
    """explicit > $ARGOS_PACKAGES_DIR > argos' own default; never read at import time."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("ARGOS_PACKAGES_DIR")
    if env:
        return Path(env).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "argos-translate" / "packages"


# ---------------------------------------------------------------- reading packages


def _inside(name: object, field: str, where: str) -> str:
    """A file name from metadata that must stay inside the package."""
    if not isinstance(name, str) or not name:
        raise ModelError(f"{where}: metadata field {field!r} must be a file name inside the package")
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts:
        raise ModelError(f"{where}: metadata field {field!r} points outside the package: {name!r}")
    return name


def _check_metadata(metadata: object, where: str) -> dict:
    """Fields our engine needs; raises ModelError naming the file."""
    if not isinstance(metadata, dict):
        raise ModelError(f"{where}: metadata.json must hold a JSON object")
    for field in ("from_code", "to_code"):
        value = metadata.get(field)
        if not isinstance(value, str) or not value.strip():
            raise ModelError(f"{where}: metadata.json lacks {field!r}; this is not a translation package")
        if not LANGUAGE_CODE.match(value):  # the codes name the install folder: never a path
            raise ModelError(f"{where}: metadata field {field!r} is {value!r}, not a language code (such as "
                             "kk, ru or pt-BR); refusing the package")
    kind = metadata.get("type", "translate")
    if kind != "translate":
        raise ModelError(f"{where}: package type is {kind!r}, not a translation model")
    for field in ("target_prefix", "package_version", "family", "licence", "model_sha256"):
        if field in metadata and not isinstance(metadata[field], str):
            raise ModelError(f"{where}: metadata field {field!r} must be a string")
    for field in ("source_prefix", "source_suffix"):
        value = metadata.get(field, "")
        if not (isinstance(value, str) or (isinstance(value, list) and all(isinstance(t, str) and t.strip()
                                                                          for t in value))):
            raise ModelError(f"{where}: metadata field {field!r} must be a token string or a list of tokens")
    for field in ("source_sentencepiece", "target_sentencepiece"):
        if field in metadata:
            _inside(metadata[field], field, where)
    return metadata


def tokens_field(metadata: dict, field: str) -> tuple[str, ...]:
    """source_prefix / source_suffix as tokens: a string of space-separated tokens or a list."""
    value = metadata.get(field) or ""
    return tuple(value.split() if isinstance(value, str) else value)


def _tokenizer_files(metadata: dict) -> list[str]:
    """Tokenizer files the package must contain (relative paths)."""
    files = [metadata[f] for f in ("source_sentencepiece", "target_sentencepiece") if f in metadata]
    return files


def _read_metadata(path: Path) -> dict:
    meta_path = path / "metadata.json"
    if not meta_path.is_file():
        raise ModelError(f"{path}: no metadata.json; not an argos package (remove the directory or "
                         "reinstall)")
    try:
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelError(f"{meta_path}: unreadable JSON ({err}); reinstall the package") from err
    return _check_metadata(metadata, str(meta_path))


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def read_package(path: Path) -> ModelInfo:
    """Check one installed package directory and describe it; ModelError says what is wrong."""
    path = Path(path)
    metadata = _read_metadata(path)
    if not (path / "model" / "model.bin").is_file():
        raise ModelError(f"{path}: model/model.bin is missing; the package is incomplete, reinstall it")
    if not ((path / "sentencepiece.model").is_file() or (path / "bpe.model").is_file()):
        raise ModelError(f"{path}: no tokenizer (sentencepiece.model or bpe.model); reinstall the package")
    for name in _tokenizer_files(metadata):
        if not (path / name).is_file():
            raise ModelError(f"{path}: tokenizer {name} named in metadata.json is missing; "
                             "reinstall the package")
    return ModelInfo(
        from_code=metadata["from_code"],
        to_code=metadata["to_code"],
        package_version=str(metadata.get("package_version", "")),
        path=path,
        size=_dir_size(path),
        from_name=str(metadata.get("from_name", "")),
        to_name=str(metadata.get("to_name", "")),
        source_prefix=" ".join(tokens_field(metadata, "source_prefix")),
        target_prefix=metadata.get("target_prefix", ""),
        source_suffix=" ".join(tokens_field(metadata, "source_suffix")),
        family=metadata.get("family", ""),
        licence=metadata.get("licence", ""),
        model_sha256=metadata.get("model_sha256", ""),
    )


def scan_models(directory: Path) -> tuple[list[ModelInfo], list[ModelProblem]]:
    """Usable packages and broken ones under `directory` (missing directory = nothing installed)."""
    directory = Path(directory)
    models: list[ModelInfo] = []
    problems: list[ModelProblem] = []
    if not directory.is_dir():
        return models, problems
    for path in sorted(directory.iterdir()):
        if not path.is_dir() or path.name.startswith("."):
            continue
        try:
            models.append(read_package(path))
        except ModelError as err:
            codes: dict[str, Any] = {}
            try:
                raw = json.loads((path / "metadata.json").read_text(encoding="utf-8"))
                if isinstance(raw, dict):
                    codes = raw
            except (OSError, ValueError):
                pass
            if codes.get("type", "translate") != "translate":
                continue  # e.g. argos sentence-boundary packages: not ours to judge
            problems.append(ModelProblem(path, str(err), codes.get("from_code"), codes.get("to_code")))
    return models, problems


def list_models(directory: Path) -> list[ModelInfo]:
    return scan_models(directory)[0]


def _newest(items: Sequence[Any]) -> Any:
    """The item with the highest package_version (PEP 440 order, else plain text order)."""
    try:
        from packaging.version import InvalidVersion, Version

        return max(items, key=lambda item: Version(str(item.package_version)))
    except (ImportError, InvalidVersion):
        return max(items, key=lambda item: str(item.package_version))


def find_model(directory: Path, to_code: str, from_code: str = "en") -> ModelInfo | None:
    """The newest usable package for the pair; ModelError when only a broken one is installed."""
    models, problems = scan_models(directory)
    matching = [m for m in models if m.from_code == from_code and m.to_code == to_code]
    if matching:
        return _newest(matching)
    for problem in problems:
        if problem.from_code == from_code and problem.to_code == to_code:
            raise ModelError(problem.message)
    return None


# ---------------------------------------------------------------- vocabulary checks


def _ct2_vocabulary(model_dir: Path, side: str) -> list[str] | None:
    """The CTranslate2 model's source or target vocabulary (None when it cannot be found)."""
    for name in (f"{side}_vocabulary", "shared_vocabulary"):
        json_path = model_dir / f"{name}.json"
        if json_path.is_file():
            try:
                tokens = json.loads(json_path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
                raise ModelError(f"{json_path}: unreadable vocabulary ({err}); reinstall the package") \
                    from err
            return [str(t) for t in tokens]
        txt_path = model_dir / f"{name}.txt"
        if txt_path.is_file():
            return txt_path.read_text(encoding="utf-8").splitlines()
    return None


def _sentencepiece_pieces(path: Path) -> list[str]:
    import sentencepiece as spm

    try:
        processor = spm.SentencePieceProcessor(model_file=str(path))
    except (OSError, RuntimeError) as err:
        raise ModelError(f"{path}: not a SentencePiece model ({err}); reinstall the package") from err
    return [
        processor.id_to_piece(i)
        for i in range(processor.get_piece_size())
        if not (processor.is_control(i) or processor.is_unknown(i) or processor.is_unused(i)
                or processor.is_byte(i))
    ]


def check_vocabulary(path: Path, min_coverage: float = 0.5) -> None:
    """The tokenizers and prefixes must fit the model's vocabularies, or translation is silent garbage."""
    path = Path(path)
    metadata = _read_metadata(path)
    model_dir = path / "model"
    source_spm = metadata.get("source_sentencepiece", "sentencepiece.model")
    checks = (
        ("source", source_spm, tokens_field(metadata, "source_prefix") + tokens_field(metadata, "source_suffix")),
        ("target", metadata.get("target_sentencepiece", source_spm), tokens_field(metadata, "target_prefix")),
    )
    for side, spm_name, extra in checks:
        vocabulary = _ct2_vocabulary(model_dir, side)
        if vocabulary is None:
            continue  # old model layouts keep vocabularies inside model.bin
        known = set(vocabulary)
        for prefix in extra:
            if prefix not in known:
                raise ModelError(f"{path}: {side} prefix {prefix!r} is not in the model's {side} vocabulary; "
                                 "wrong language token or wrong model")
        spm_path = path / spm_name
        if not spm_path.is_file():
            continue  # BPE packages
        pieces = _sentencepiece_pieces(spm_path)
        if pieces:
            coverage = sum(p in known for p in pieces) / len(pieces)
            if coverage < min_coverage:
                raise ModelError(
                    f"{path}: the tokenizer {spm_name} does not match the model's {side} vocabulary "
                    f"(only {coverage:.0%} of its pieces are known); the files come from different models"
                )


def check_loads(path: Path) -> None:
    import ctranslate2

    try:
        ctranslate2.Translator(str(path / "model"), device="cpu", inter_threads=1, intra_threads=1)
    except Exception as err:  # CTranslate2 raises RuntimeError/ValueError for corrupt models
        raise ModelError(f"{path}: CTranslate2 cannot load model/ ({err}); the file is corrupt or "
                         "from an incompatible converter") from err


# ---------------------------------------------------------------- installing


def _archive_layout(zf: zipfile.ZipFile, archive: Path) -> str:
    """The single top-level directory of a package archive; rejects paths escaping it."""
    tops: set[str] = set()
    for name in zf.namelist():
        pure = PurePosixPath(name)
        if pure.is_absolute() or ".." in pure.parts or "\\" in name:
            raise ModelError(f"{archive}: unsafe path in archive: {name!r}; refusing to install it")
        if pure.parts and pure.parts[0] != "__MACOSX":  # resource forks added by macOS zip tools
            tops.add(pure.parts[0])
    if len(tops) != 1:
        raise ModelError(f"{archive}: an .argosmodel holds exactly one top-level directory, found "
                         f"{len(tops)} ({', '.join(sorted(tops)[:5])}); not an argos package")
    top = tops.pop()
    if top.startswith(".") or not any(n.startswith(top + "/") for n in zf.namelist()):
        raise ModelError(f"{archive}: the top-level entry {top!r} is not a package directory")
    return top


def inspect_archive(archive: Path, limits: archives.Limits | None = None) -> tuple[str, dict]:
    """Cheap checks before extracting: (top-level dir, metadata). ModelError names the file and the fix."""
    archive = Path(archive)
    if not archive.is_file():
        raise ModelError(f"{archive}: no such file. Give the path of a downloaded .argosmodel file, or a "
                         "language code (`pipeline models install ru`) to fetch one from the argos index")
    if not zipfile.is_zipfile(archive):
        raise ModelError(f"{archive}: not a zip archive, so not an .argosmodel (an interrupted download "
                         "or an HTML error page?); download it again")
    try:
        with zipfile.ZipFile(archive) as zf:
            top = _archive_layout(zf, archive)
            archives.check_members(zf, archive, limits or archives.Limits())
            names = set(zf.namelist())
            meta_name = f"{top}/metadata.json"
            if meta_name not in names:
                raise ModelError(f"{archive}: no {meta_name}; not an argos package")
            try:
                metadata = json.loads(zf.read(meta_name).decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as err:
                raise ModelError(f"{archive}: {meta_name} is not valid JSON ({err})") from err
            _check_metadata(metadata, f"{archive}: {meta_name}")
            if f"{top}/model/model.bin" not in names:
                raise ModelError(f"{archive}: no {top}/model/model.bin (the CTranslate2 model); the package "
                                 "is incomplete, download or rebuild it")
            tokenizers = [f"{top}/sentencepiece.model", f"{top}/bpe.model"]
            if not any(t in names for t in tokenizers):
                raise ModelError(f"{archive}: no tokenizer ({top}/sentencepiece.model or bpe.model)")
            for name in _tokenizer_files(metadata):
                if f"{top}/{name}" not in names:
                    raise ModelError(f"{archive}: tokenizer {top}/{name} named in metadata.json is missing")
            bad = zf.testzip()
            if bad is not None:
                raise ModelError(f"{archive}: {bad} is corrupt (CRC mismatch); download the file again")
    except zipfile.BadZipFile as err:
        raise ModelError(f"{archive}: damaged zip archive ({err}); download it again") from err
    return top, metadata


def install_model(archive: Path, directory: Path, *, limits: archives.Limits | None = None,
                  on_note: Callable[[str], None] | None = None) -> ModelInfo:
    """Validate a .argosmodel and install it atomically; nothing installed changes on error.

    An installed package for the same language pair is replaced (whatever its directory is called). The
    archive may unpack to at most `limits` (checked before and while unpacking). Staging folders left by an
    interrupted install are removed first, and `on_note` is told so.
    """
    archive, directory = Path(archive), Path(directory)
    limits = limits or archives.Limits()
    top, _ = inspect_archive(archive, limits)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ModelError(f"{directory}: cannot create the packages directory ({err})") from err
    from pipeline.workspace import directory_lock

    with directory_lock(directory):  # one install at a time: any other staging folder is stale
        return _install_locked(archive, directory, top, limits, on_note)


def remove_stale_staging(directory: Path) -> list[tuple[Path, int]]:
    """Delete `.pipeline-new-*`/`.pipeline-old-*` folders (an install killed half-way); (path, bytes) each.

    Call only while holding the packages directory lock, so a running install's folder is never touched.
    """
    removed = []
    for path in sorted(directory.glob(STAGING_PREFIX + "*")):
        if path.is_dir() and not path.is_symlink() and path.name.startswith((STAGING_PREFIX + "new-",
                                                                             STAGING_PREFIX + "old-")):
            size = _dir_size(path)
            shutil.rmtree(path, ignore_errors=True)
            removed.append((path, size))
    return removed


def _install_locked(archive: Path, directory: Path, top: str, limits: archives.Limits,
                    on_note: Callable[[str], None] | None) -> ModelInfo:
    stale = remove_stale_staging(directory)
    if stale and on_note:
        total = sum(size for _, size in stale)
        on_note(f"removed {len(stale)} staging folder(s) left in {directory} by an interrupted install "
                f"({archives.human_size(total)}): {', '.join(p.name for p, _ in stale)}")
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX + "new-", dir=directory))
    try:
        try:
            with zipfile.ZipFile(archive) as zf:
                archives.extract(zf, archive, staging, limits, [n for n in zf.namelist() if n.startswith(top + "/")])
        except (OSError, zipfile.BadZipFile) as err:
            raise ModelError(f"{archive}: extraction failed ({err}); nothing was installed") from err
        package = staging / top
        try:
            info = read_package(package)
            check_vocabulary(package)
            check_loads(package)
        except ModelError as err:  # name the archive the user gave, not our staging dir
            message = str(err).replace(str(package), str(archive))
            raise ModelError(f"{message}; nothing was installed") from err
        final = _install_dir(directory, top, info)
        _swap_in(package, final, info, directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return read_package(final)


def _install_dir(directory: Path, top: str, info: ModelInfo) -> Path:
    """Where the package goes: its archive's folder name, unless that name is taken by a package of another
    pair (an archive can be named anything; what it translates is in its metadata)."""
    pair = (info.from_code, info.to_code)
    same_pair = {m.path for m in list_models(directory) if (m.from_code, m.to_code) == pair}
    candidate, n = directory / top, 1
    while candidate.exists() and candidate not in same_pair:
        n += 1
        candidate = directory / f"{top}-{info.from_code}_{info.to_code}" if n == 2 else \
            directory / f"{top}-{info.from_code}_{info.to_code}-{n - 1}"
    if candidate.resolve().parent != directory.resolve():  # belt and braces: names were checked already
        raise ModelError(f"{candidate}: the package would be installed outside {directory}; refusing it")
    return candidate


def _swap_in(package: Path, final: Path, info: ModelInfo, directory: Path) -> None:
    """Move older packages of the same pair aside, move the new one in, then delete the old ones.

    Only packages whose metadata names the same pair are replaced: never another pair's package.
    """
    pair = (info.from_code, info.to_code)
    old = [m.path for m in list_models(directory) if (m.from_code, m.to_code) == pair]
    moved: list[tuple[Path, Path]] = []
    try:
        for path in old:
            aside = directory / f"{STAGING_PREFIX}old-{uuid.uuid4().hex}"
            os.replace(path, aside)
            moved.append((path, aside))
        os.replace(package, final)
    except OSError as err:
        for path, aside in reversed(moved):
            os.replace(aside, path)
        raise ModelError(f"{final}: could not install ({err}); the installed packages are unchanged") from err
    for _, aside in moved:
        shutil.rmtree(aside, ignore_errors=True)


# ---------------------------------------------------------------- the argos index (online)


def argos_index(timeout: float = 30.0) -> list:
    """argostranslate's AvailablePackage list, refreshing its local index copy first (needs internet).

    Falls back to argos' cached index when the download fails; raises ModelError when there is neither.
    """
    import urllib.request

    from argostranslate import package, settings

    url = getattr(settings, "remote_package_index", ARGOS_INDEX_URL)
    local = Path(settings.local_package_index)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data = response.read()
        json.loads(data)
        files.write_bytes(local, data)
    except Exception as err:
        if not local.is_file():
            raise ModelError(f"cannot download the argos package index from {url} ({err})") from err
    return package.get_available_packages()


def install_from_index(
    to_code: str,
    directory: Path,
    from_code: str = "en",
    fetch_index: Callable[[], Sequence[Any]] | None = None,
    limits: archives.Limits | None = None,
    on_note: Callable[[str], None] | None = None,
) -> ModelInfo:
    """Download the newest from->to package of the argos index and install it through install_model.

    `fetch_index` returns argos AvailablePackage-like objects (from_code, to_code, package_version, type,
    download() -> Path); tests pass a fake, the default asks the internet.
    """
    pair = f"{from_code}→{to_code}"
    offline_hint = (f"Without internet: copy translate-{from_code}_{to_code}-*.argosmodel from a machine "
                    "that has it and run `pipeline models install PATH.argosmodel`")
    try:
        available = list((fetch_index or argos_index)())
    except Exception as err:
        raise ModelError(f"{pair}: cannot reach the argos package index ({err}). {offline_hint}") from err
    candidates = [
        p for p in available
        if getattr(p, "type", "translate") == "translate"
        and (p.from_code, p.to_code) == (from_code, to_code)
    ]
    if not candidates:
        raise ModelError(f"{pair}: the argos package index has no such package. For Kazakh, convert an "
                         "OPUS-MT model: `pipeline models import-opus` (see the README)")
    best = _newest(candidates)
    try:
        downloaded = Path(best.download())
    except Exception as err:
        raise ModelError(f"{pair}: download of package {best.package_version} failed ({err}). "
                         f"{offline_hint}") from err
    info = install_model(downloaded, directory, limits=limits, on_note=on_note)
    _drop_argos_download(downloaded)
    return info


def _drop_argos_download(path: Path) -> None:
    """Delete a file argos downloaded into its cache (the package is installed now); leave others alone."""
    from argostranslate import settings

    try:
        if path.resolve().parent == Path(settings.downloads_dir).resolve():
            path.unlink(missing_ok=True)
    except OSError:
        pass


# ---------------------------------------------------------------- translating


class _SentencePiece:
    def __init__(self, path: Path):
        import sentencepiece as spm

        try:
            self.processor = spm.SentencePieceProcessor(model_file=str(path))
        except (OSError, RuntimeError) as err:
            raise ModelError(f"{path}: not a SentencePiece model ({err}); reinstall the package") from err

    def encode(self, text: str) -> list[str]:
        return self.processor.encode(text, out_type=str)

    def decode(self, tokens: list[str]) -> str:
        return self.processor.decode_pieces(tokens)


def _available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def _translator_key(info: ModelInfo, threads: int | None, inter_threads: int = 1) -> tuple:
    """Which packages may share one loaded translator: the same weights (checksum and size, or the same file)."""
    weights = (info.path / "model" / "model.bin").stat()
    if info.model_sha256:
        return ("sha256", info.model_sha256, weights.st_size, threads, inter_threads)
    return ("file", weights.st_dev, weights.st_ino, threads, inter_threads)


T = TypeVar("T")


def cut_batches(items: Sequence[T], size: Callable[[T], int], max_batch_size: int,
                max_batch_tokens: int) -> list[list[T]]:
    """Items in length order, cut at the size and token bounds: similar lengths together, so each batch's
    decoding bound fits its segments. One rule for a local engine and a cluster's driver (same batches, same
    drafts)."""
    batches: list[list[T]] = []
    current: list[T] = []
    tokens = 0
    for item in sorted(items, key=size):
        length = size(item)
        if current and (len(current) >= max_batch_size or tokens + length > max_batch_tokens):
            batches.append(current)
            current, tokens = [], 0
        current.append(item)
        tokens += length
    if current:
        batches.append(current)
    if len(batches) == 1 and len(batches[0]) > 1:
        # A small call (one article, the final retries of a run) still gets two batches, so two cores share it.
        # The rule depends on the segments alone, never on the machine: the same batches and drafts anywhere.
        only = batches[0]
        half, cut, tokens = sum(size(item) for item in only) / 2, 1, size(only[0])
        while cut < len(only) - 1 and tokens < half:
            tokens += size(only[cut])
            cut += 1
        batches = [only[:cut], only[cut:]]
    return batches


class Engine:
    """One loaded en->xx package."""

    label: str  # e.g. "argos en->kk 1.0" for provenance comments

    def __init__(self, info: ModelInfo, translator, encode: Callable[[str], list[str]],
                 decode: Callable[[list[str]], str], beam_size: int = 2, max_batch_size: int = 32,
                 max_batch_tokens: int = DEFAULT_BATCH_TOKENS, inter_threads: int = 1):
        self.info = info
        self.label = info.label
        self.translator = translator
        self._encode = encode
        self._decode = decode
        self.source_prefix = info.source_prefix.split()
        self.source_suffix = info.source_suffix.split()
        self.target_prefix = info.target_prefix
        self.beam_size = beam_size
        self.max_batch_size = max_batch_size
        self.max_batch_tokens = max_batch_tokens
        self.inter_threads = inter_threads  # batches decoded at once (each by its own replica of the model)
        self.encode_target: Callable[[str], list[str]] | None = None  # for score(); set by from_package

    @classmethod
    def load(cls, directory: Path, to_code: str, from_code: str = "en", *, beam_size: int = 2,
             threads: int | None = None, translators: dict | None = None, **options) -> Engine | None:
        """None when no package for the pair is installed. `translators`, `options`: see from_package."""
        info = find_model(Path(directory), to_code, from_code)
        if info is None:
            return None
        return cls.from_package(info.path, beam_size=beam_size, threads=threads, translators=translators, **options)

    @classmethod
    def from_package(cls, path: Path, *, beam_size: int = 2, threads: int | None = None,
                     translators: dict | None = None, inter_threads: int | None = None,
                     batch_tokens: int | None = None) -> Engine:
        """Load one package directory (argos metadata and tokenizer, our CTranslate2 settings).

        `threads`: CPU threads for translation (default: every core the process may use), spent as
        `inter_threads` batches decoded at once (default: as many as threads, one thread each: measured fastest,
        see the README's performance section) times threads // inter_threads threads per batch.
        `batch_tokens`: source tokens per batch (default DEFAULT_BATCH_TOKENS).

        `translators`: a dict the caller keeps for one run; packages of one multilingual model (same
        model_sha256, or hard links to the same model.bin) then share one loaded translator instead of
        holding a copy of the weights each.
        """
        import ctranslate2
        from argostranslate.package import Package

        info = read_package(Path(path))
        metadata = _read_metadata(info.path)
        try:
            package = Package(info.path)
        except Exception as err:
            raise ModelError(f"{info.path}: argostranslate cannot read the package ({err})") from err
        source_spm = metadata.get("source_sentencepiece")
        if source_spm:
            encode = _SentencePiece(info.path / source_spm).encode
        elif getattr(package, "tokenizer", None) is not None:
            encode = package.tokenizer.encode
        else:
            raise ModelError(f"{info.path}: no usable tokenizer; reinstall the package")
        target_spm = metadata.get("target_sentencepiece") or source_spm
        if target_spm:
            target = _SentencePiece(info.path / target_spm)
            decode, encode_target = target.decode, target.encode
        elif (info.path / "sentencepiece.model").is_file():
            target = _SentencePiece(info.path / "sentencepiece.model")
            decode, encode_target = target.decode, target.encode
        else:
            decode, encode_target = package.tokenizer.decode, package.tokenizer.encode  # BPE packages
        threads = threads or _available_cores()
        inter_threads = max(1, min(inter_threads or threads, threads))
        key = _translator_key(info, threads, inter_threads)
        translator = translators.get(key) if translators is not None else None
        if translator is None:
            try:
                translator = ctranslate2.Translator(
                    str(info.path / "model"), device="cpu", compute_type="auto", inter_threads=inter_threads,
                    intra_threads=max(1, threads // inter_threads),
                )
            except Exception as err:
                raise ModelError(f"{info.path}: CTranslate2 cannot load model/ ({err}); reinstall the "
                                 "package") from err
            if translators is not None:
                translators[key] = translator
        engine = cls(info, translator, encode, decode, beam_size=beam_size,
                     max_batch_tokens=batch_tokens or DEFAULT_BATCH_TOKENS, inter_threads=inter_threads)
        engine.encode_target = encode_target
        return engine

    def encode(self, text: str) -> list[str]:
        """Source tokens exactly as the translator receives them (source prefix and suffix included)."""
        return [*self.source_prefix, *self._encode(text), *self.source_suffix]

    def _batches(self, items: list[tuple[int, list[str]]]) -> list[list[tuple[int, list[str]]]]:
        return cut_batches(items, lambda item: len(item[1]), self.max_batch_size, self.max_batch_tokens)

    def _run(self, batches: list[list[tuple[int, list[str]]]], **options) -> Iterator[tuple[list, list]]:
        """(batch, its results) in order. With inter_threads > 1 every batch is handed to CTranslate2 at once
        (asynchronously) so its replicas decode several batches side by side; each is still read in order."""
        def call(batch, **extra):
            sources = [tokens for _, tokens in batch]
            return self.translator.translate_batch(
                sources, target_prefix=[[self.target_prefix] for _ in batch] if self.target_prefix else None,
                max_batch_size=self.max_batch_size, replace_unknowns=True,
                max_decoding_length=max(self.decoding_bound(len(tokens)) for tokens in sources), **options, **extra)

        if self.inter_threads <= 1 or len(batches) < 2:
            for batch in batches:
                yield batch, call(batch)
            return
        pending = [call(batch, asynchronous=True) for batch in batches]
        for batch, results in zip(batches, pending, strict=True):
            yield batch, [result.result() for result in results]

    def decoding_bound(self, source_tokens: int) -> int:
        """Most target tokens a segment may get: twice the source and an absolute cap, so neither a confused
        model nor an over-long line can run away."""
        return min(2 * source_tokens + 10, MAX_DECODING_TOKENS) + (1 if self.target_prefix else 0)

    def pieces(self, text: str) -> list[str]:
        """`text` cut into pieces of at most MAX_SOURCE_TOKENS tokens (one piece when it fits)."""
        return split_for_mt(text, lambda piece: len(self.encode(piece)) <= MAX_SOURCE_TOKENS)

    def _clean(self, tokens: list[str]) -> str:
        tokens = list(tokens)
        if self.target_prefix and tokens and tokens[0] == self.target_prefix:
            tokens = tokens[1:]
        tokens = [t for t in tokens if t not in SPECIAL_TOKENS and not LANGUAGE_TOKEN.fullmatch(t)]
        text = self._decode(tokens) if tokens else ""
        if self.target_prefix and text.startswith(self.target_prefix):
            text = text[len(self.target_prefix):]
        return text.strip()

    def _units(self, texts: list[str]) -> tuple[list[list[str]], list[int]]:
        """Source tokens to decode, each text encoded once; an over-long text becomes several units (its pieces),
        and owners[k] names the text unit k belongs to."""
        units: list[list[str]] = []
        owners: list[int] = []
        for i, text in enumerate(texts):
            if not text or not text.strip():
                continue
            tokens = self.encode(text)
            pieces = [tokens] if len(tokens) <= MAX_SOURCE_TOKENS else [self.encode(p) for p in self.pieces(text)]
            units += pieces
            owners += [i] * len(pieces)
        return units, owners

    def translate(self, texts: list[str], on_batch: Callable[[int], None] | None = None) -> list[str]:
        """Batch-translate segments: every text of the call sorted by length and cut into batches of at most
        max_batch_tokens source tokens; decoding length bounded by source length.

        `on_batch(n)` is called after each batch with how many of the (non-blank) texts it finished; an
        over-long text is decoded in pieces and joined again.
        """
        return [found[0] if found else "" for found in self._beam(texts, on_batch, 1)]

    def hypotheses(self, texts: list[str], on_batch: Callable[[int], None] | None = None, *,
                   one_batch: bool = False) -> list[list[str]]:
        """Like translate, with every hypothesis the beam search kept for each segment, best first.

        The beam keeps `beam_size` hypotheses anyway, so the others cost nothing and the best is the one
        translate gives. A segment whose glossary placeholders broke in the best one often has them intact
        in another, still the model's own wording. An over-long segment (decoded in pieces) has one.

        `one_batch`: the texts are one batch already, cut by `cut_batches` elsewhere (a cluster's driver), and
        are decoded as they are; cutting them again would change their batch-mates, and so the drafts.
        """
        return self._beam(texts, on_batch, self.beam_size, one_batch)

    def _beam(self, texts: list[str], on_batch: Callable[[int], None] | None, n: int,
              one_batch: bool = False) -> list[list[str]]:
        units, owners = self._units(texts)
        outputs: list[list[str]] = [[] for _ in units]
        pieces = Counter(owners)  # units per text: more than one for an over-long text
        remaining = dict(pieces) if len(pieces) != len(owners) else None
        items = list(enumerate(units))
        batches = ([items] if items else []) if one_batch else self._batches(items)
        for batch, output in self._run(batches, beam_size=self.beam_size, num_hypotheses=n):
            finished = 0
            for (index, tokens), result in zip(batch, output, strict=True):
                # The batch shares one bound; each segment keeps only its own.
                bound = self.decoding_bound(len(tokens))
                outputs[index] = list(dict.fromkeys(self._clean(h[:bound]) for h in result.hypotheses))
                if remaining is None:
                    finished += 1
                else:
                    remaining[owners[index]] -= 1
                    finished += remaining[owners[index]] == 0
            if on_batch:
                on_batch(finished)
        results: list[list[str]] = [[] for _ in texts]
        for index, found in zip(owners, outputs, strict=True):
            if pieces[index] == 1:
                results[index] = found
                continue
            text, before = (found[0] if found else ""), (results[index][0] if results[index] else "")
            results[index] = [f"{before} {text}" if before and text else before or text]
        return results

    def score(self, source: str, candidates: list[str]) -> list[float]:
        """Log-probability per target token of each candidate translation of source (CTranslate2 score_batch).

        Placement asks it when its rules are unsure which form of a term a sentence needs.
        """
        if not candidates:
            return []
        encode_target = self.encode_target or self._encode
        source_tokens = self.encode(source)[:MAX_SOURCE_TOKENS]
        targets = [([self.target_prefix] if self.target_prefix else []) + encode_target(c) for c in candidates]
        results = self.translator.score_batch([source_tokens] * len(candidates), targets,
                                              max_batch_size=self.max_batch_size)
        return [sum(r.log_probs) / max(1, len(r.log_probs)) for r in results]

def package_metadata(from_code: str, to_code: str, version: str, converted_from: str, **fields) -> dict:
    """The `metadata.json` every package we build starts from (stock argostranslate reads these keys)."""
    from pipeline.languages import english_name

    return {"package_version": version, "argos_version": "1.0", "from_code": from_code,
            "from_name": english_name(from_code), "to_code": to_code, "to_name": english_name(to_code),
            "type": "translate", "source_sentencepiece": "sentencepiece.model", **fields,
            "converted_from": converted_from}


# How to get a model for a pipeline language that has none installed (Kazakh has no argos index package).
INSTALL_HINTS = {
    "ru": "pipeline models install ru        (online: from the argos index)",
    "ar": "pipeline models install ar        (online: from the argos index)",
    "kk": "pipeline models import-ct2 NLLB_CT2_DIR --family nllb --to kk   (an NLLB-200 conversion; see README)\n"
          "    or: pipeline models import-opus OPUS_MT_DIR_OR_ZIP --to kk   (OPUS-MT eng-kaz; no argos index package)",
}


def split_for_mt(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Pieces of `text` that each `fits`, cut at the strongest boundary available (sentence end, then `;:`,
    then a comma or dash, then any space, and in a text without spaces between characters)."""
    if fits(text):
        return [text]
    for boundary in _BOUNDARIES:
        parts = [part for part in boundary.split(text) if part]
        if len(parts) < 2:
            continue
        chunks: list[str] = []
        for part in parts:
            joined = f"{chunks[-1]} {part}" if chunks else part
            if chunks and fits(joined):
                chunks[-1] = joined
            else:
                chunks.append(part)
        return [piece for chunk in chunks for piece in split_for_mt(chunk, fits)]
    if len(text) < 2:
        return [text]
    half = len(text) // 2
    return split_for_mt(text[:half], fits) + split_for_mt(text[half:], fits)


def install_hint(lang: str) -> str:
    return INSTALL_HINTS.get(lang, "pipeline models install PATH.argosmodel")
