"""Bad input, as one table: what is given -> the exit code and the words of the error -> what must stay as it was.

Every row runs the real CLI in a fresh folder (`tmp/ws` a workspace with two articles, `tmp/packages` the argos
packages, `tmp/outside` a folder beside the workspace that nothing may ever write into). The check after each
row is the same: the exit code, the message fragment on stderr, no traceback, the listed paths byte for byte as
before, and nothing new in `tmp/outside`.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import FakeEngine
from typer.testing import CliRunner

from pipeline import cli, engine

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()

ARTICLE = "A visit\n\nThe Grand Mufti met the Ambassador of Egypt on Monday.\nThey discussed cooperation.\n"
OTHER = "A library\n\nThe National Library opened an exhibition of rare manuscripts.\n"


@dataclass
class Env:
    tmp: Path
    ws: Path
    packages: Path
    outside: Path
    model: Callable[..., Path]  # tiny_model_archive factory

    def article(self, name: str, data: bytes | str) -> Path:
        path = self.ws / "source_texts" / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    def catalog(self, lang: str, slug: str) -> Path:
        return self.ws / "locales" / lang / "LC_MESSAGES" / f"{slug}.po"


# ---------------------------------------------------------------- builders: each makes one bad input


def _repacked(env: Env, name: str, change: Callable[[dict], None] | None = None,
              extra: dict[str, bytes] | None = None) -> Path:
    """The tiny en->kk package archive, its metadata changed and/or members added."""
    source = env.model("kk")
    out = env.tmp / name
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith("/metadata.json") and change:
                meta = json.loads(data)
                change(meta)
                data = json.dumps(meta).encode()
            zf.writestr(item, data)
        top = src.namelist()[0].split("/")[0]
        for member, data in (extra or {}).items():
            zf.writestr(member.replace("TOP", top), data)
    return out


def escaping_to_code(env: Env) -> list[str]:
    archive = _repacked(env, "escape.argosmodel",
                        lambda m: m.update(to_code=f"x/../../../..{env.outside}/ESCAPED"))
    with zipfile.ZipFile(archive) as zf:  # the archive's folder name is taken, so the codes name the folder
        (env.packages / zf.namelist()[0].split("/")[0]).mkdir()
    return ["models", "install", str(archive), "--packages-dir", str(env.packages)]


def escaping_from_code(env: Env) -> list[str]:
    archive = _repacked(env, "escape-from.argosmodel", lambda m: m.update(from_code="../../outside"))
    return ["models", "install", str(archive), "--packages-dir", str(env.packages)]


def zip_bomb(env: Env) -> list[str]:
    # 8 MiB of zeros deflate to a few KiB: the declared size is over the 1 MiB limit given here
    archive = _repacked(env, "bomb.argosmodel", extra={"TOP/padding.bin": bytes(8 << 20)})
    return ["models", "install", str(archive), "--packages-dir", str(env.packages), "--max-unpacked-size", "1M"]


def too_many_members(env: Env) -> list[str]:
    archive = _repacked(env, "many.argosmodel", extra={f"TOP/f/{i}": b"" for i in range(10_001)})
    return ["models", "install", str(archive), "--packages-dir", str(env.packages)]


def zip_slip_model(env: Env) -> list[str]:
    archive = _repacked(env, "slip.argosmodel", extra={"TOP/../../outside/evil.txt": b"owned"})
    return ["models", "install", str(archive), "--packages-dir", str(env.packages)]


def opus_bad_to(env: Env) -> list[str]:
    release = env.tmp / "release.zip"
    with zipfile.ZipFile(release, "w") as zf:
        zf.writestr("README.md", "x")
    return ["models", "import-opus", str(release), "--to", "../../outside/kk", "--packages-dir", str(env.packages)]


def opus_bomb(env: Env) -> list[str]:
    release = env.tmp / "opus-bomb.zip"
    with zipfile.ZipFile(release, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("README.md", "* source language(s): eng\n* target language(s): kaz\n")
        zf.writestr("opus.bin", bytes(8 << 20))
    return ["models", "import-opus", str(release), "--to", "kk", "--packages-dir", str(env.packages),
            "--max-unpacked-size", "1M"]


def bad_size_flag(env: Env) -> list[str]:
    return ["models", "install", str(env.model("kk")), "--packages-dir", str(env.packages),
            "--max-unpacked-size", "lots"]


@dataclass(frozen=True)
class Case:
    build: Callable[[Env], list[str]]
    exit: int
    message: str
    unchanged: tuple[str, ...]  # paths under tmp (files or folders) that must be byte-identical afterwards


TABLE: dict[str, Case] = {
    # input                              exit  message fragment                unchanged
    "to_code with ../ in metadata": Case(escaping_to_code, 1, "not a language code", ("packages",)),
    "from_code with ../ in metadata": Case(escaping_from_code, 1, "not a language code", ("packages",)),
    "zip bomb (declared size)": Case(zip_bomb, 1, "more than the limit of 1.0 MiB", ("packages",)),
    "10,001 members": Case(too_many_members, 1, "more than the limit of 10000", ("packages",)),
    "zip slip in a package": Case(zip_slip_model, 1, "unsafe path in archive", ("packages",)),
    "import-opus --to ../": Case(opus_bad_to, 1, "not a language code", ("packages",)),
    "import-opus zip bomb": Case(opus_bomb, 1, "more than the limit of 1.0 MiB", ("packages",)),
    "--max-unpacked-size lots": Case(bad_size_flag, 2, "not a size", ("packages",)),
}


# ---------------------------------------------------------------- the runner


def _snapshot(path: Path) -> dict[str, bytes | None]:
    if not path.exists():
        return {}
    if path.is_file():
        return {"": path.read_bytes()}
    return {str(p.relative_to(path)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(path.rglob("*")) if p.name != "lock"}


@pytest.fixture
def env(tmp_path, monkeypatch, tiny_model_archive) -> Env:
    ws = tmp_path / "ws"
    (ws / "source_texts").mkdir(parents=True)
    shutil.copytree(REPO / "glossary", ws / "glossary")
    (ws / "source_texts" / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (ws / "source_texts" / "b.txt").write_text(OTHER, encoding="utf-8")
    packages = tmp_path / "packages"
    packages.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not yours\n")
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(packages))
    monkeypatch.chdir(ws)

    def load(directory, to_code, from_code="en", **settings):
        return FakeEngine(to_code)

    monkeypatch.setattr(engine.Engine, "load", staticmethod(load))
    return Env(tmp_path, ws, packages, outside, tiny_model_archive)


@pytest.mark.parametrize("name", list(TABLE))
def test_bad_input(name, env):
    case = TABLE[name]
    args = case.build(env)
    before = {path: _snapshot(env.tmp / path) for path in case.unchanged}
    outside = _snapshot(env.outside)
    result = runner.invoke(cli.app, args)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), \
        f"traceback: {result.exception!r}"
    assert result.exit_code == case.exit, (result.exit_code, result.output, result.stderr)
    assert case.message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    for path in case.unchanged:
        assert _snapshot(env.tmp / path) == before[path], f"{path} changed"
    assert _snapshot(env.outside) == outside, "something was written outside the workspace"
    assert not list(env.tmp.glob("ESCAPED*")) and not list(Path("/tmp").glob("ESCAPED*"))


