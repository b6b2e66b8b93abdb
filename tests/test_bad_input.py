"""Bad input, as one table: what is given -> the exit code and the words of the error -> what must stay as it was.

Every row runs the real CLI in a fresh folder (`tmp/ws` a workspace with two articles, `tmp/packages` the argos
packages, `tmp/outside` a folder beside the workspace that nothing may ever write into). The check after each
row is the same: the exit code, the message fragment on stderr, no traceback, the listed paths byte for byte as
before, and nothing new in `tmp/outside`.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
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
    monkeypatch: pytest.MonkeyPatch

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


def run(env: Env) -> list[str]:
    return ["run", "--langs", "kk", "--no-publish"]


def long_line(env: Env) -> list[str]:
    env.article("c.txt", "A long line\n\n" + "They discussed cooperation and dialogue at length " * 1000 + "\n")
    return run(env)


def long_line_untranslated(env: Env) -> None:
    import polib

    po = polib.pofile(str(env.catalog("kk", "c")))
    (entry,) = [e for e in po if len(e.msgid) > 5000]
    assert entry.msgstr == "" and "machine translation: skipped" in entry.tcomment
    assert all(e.msgstr for e in po if e is not entry)  # the title still went to MT


def non_utf8_article(env: Env) -> list[str]:
    env.article("c.txt", "Caf\xe9 society\n\nThe caf\xe9 opened.\n".encode("latin-1"))
    return run(env)


def empty_article(env: Env) -> list[str]:
    env.article("c.txt", "")
    return run(env)


def broken_catalog(env: Env) -> list[str]:
    path = env.catalog("kk", "a")
    path.parent.mkdir(parents=True)
    path.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "x"\nmsgstr "y\n',
                    encoding="utf-8")
    return run(env)


def symlinked_article(env: Env) -> list[str]:
    (env.outside / "secret.txt").write_text("Secret title\n\nroot:x:0:0:root:/root:/bin/bash\n")
    (env.ws / "source_texts" / "c.txt").symlink_to(env.outside / "secret.txt")
    return run(env)


def nothing_from_outside(env: Env) -> None:
    for po in (env.ws / "locales").rglob("*.po*"):
        assert "root:x:0:0" not in po.read_text(encoding="utf-8")
    assert not (env.ws / "locales" / "kk" / "LC_MESSAGES" / "c.po").exists()


def slug_collision(env: Env) -> list[str]:
    env.article("a.md", "# Another A\n\nA different article.\n")
    return run(env)


def no_shared_catalog(env: Env) -> None:
    assert not env.catalog("kk", "a").exists()
    assert env.catalog("kk", "b").exists()  # the other article still ran


def hidden_files(env: Env) -> list[str]:
    env.article(".draft.txt", "Hidden\n\nA hidden draft.\n")
    env.article("b.txt~", "Backup\n\nAn editor back-up.\n")
    return run(env)


def only_real_articles(env: Env) -> None:
    names = sorted(p.name for p in (env.ws / "locales" / "kk" / "LC_MESSAGES").iterdir())
    assert names == ["a.po", "b.po"], names


def hostile_tmx(env: Env) -> list[str]:
    tmx = env.tmp / "bomb.tmx"
    tmx.write_text('<?xml version="1.0"?>\n<!DOCTYPE tmx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">'
                   '<!ENTITY c SYSTEM "file:///etc/passwd">]>\n<tmx version="1.4"><header srclang="en"/><body>'
                   '<tu><tuv xml:lang="en"><seg>&b;</seg></tuv><tuv xml:lang="kk"><seg>&c;</seg></tuv></tu>'
                   '</body></tmx>\n', encoding="utf-8")
    return ["tm", "import", str(tmx)]


def memory_empty(env: Env) -> None:
    path = env.ws / ".pipeline" / "memory.sqlite"
    assert not path.exists() or b"root:" not in path.read_bytes()
    if path.exists():
        assert sqlite3.connect(path).execute("SELECT count(*) FROM units").fetchone() == (0,)


def hostile_tbx(env: Env) -> list[str]:
    tbx = env.tmp / "bomb.tbx"
    tbx.write_text('<?xml version="1.0"?>\n<!DOCTYPE tbx [<!ENTITY c SYSTEM "file:///etc/passwd">]>\n'
                   '<tbx type="TBX-Basic" style="dca" xml:lang="en" xmlns="urn:iso:std:iso:30042:ed-2">'
                   '<text><body><conceptEntry id="x"><langSec xml:lang="en"><termSec><term>&c;</term>'
                   '</termSec></langSec></conceptEntry></body></text></tbx>\n', encoding="utf-8")
    return ["glossary", "import", str(tbx)]


def _first_run(env: Env) -> None:
    """A workspace that has run once (catalogs, templates and memory exist)."""
    assert runner.invoke(cli.app, ["run", "--langs", "kk,ru", "--no-publish"]).exit_code == 0


def garbage_memory(env: Env) -> list[str]:
    _first_run(env)
    (env.ws / ".pipeline" / "memory.sqlite").write_bytes(bytes(range(256)) * 64)
    return run(env)


def truncated_memory(env: Env) -> list[str]:
    _first_run(env)
    path = env.ws / ".pipeline" / "memory.sqlite"
    for extra in path.parent.glob("memory.sqlite-*"):
        extra.unlink()
    path.write_bytes(path.read_bytes()[:6000])
    return run(env)


def _failing_writes(env: Env, folder: str, error: int) -> None:
    """Writing a file into `folder` fails with `error` (a full disk or a read-only folder: as root, chmod alone
    would not stop the test)."""
    import errno
    import os

    from pipeline import files

    real = files._create_temp

    def create(path):
        if Path(path).parent.name == "LC_MESSAGES" and Path(path).parent.parent.name == folder:
            raise OSError(error, os.strerror(error), str(path))
        return real(path)

    env.monkeypatch.setattr(files, "_create_temp", create)
    assert errno.errorcode[error]


def catalog_disk_full(env: Env) -> list[str]:
    import errno

    _failing_writes(env, "kk", errno.ENOSPC)
    return ["run", "--langs", "kk,ru", "--no-publish"]


def catalog_read_only(env: Env) -> list[str]:
    import errno

    _failing_writes(env, "kk", errno.EACCES)
    return ["run", "--langs", "kk,ru", "--no-publish"]


def ru_still_written(env: Env) -> None:
    assert env.catalog("ru", "a").is_file() and env.catalog("ru", "b").is_file()
    assert not env.catalog("kk", "a").exists()
    assert not list((env.ws / "locales" / "kk" / "LC_MESSAGES").glob(".*.tmp"))


def memory_disk_full(env: Env) -> list[str]:
    from pipeline import memory

    def full(self, rows):
        raise sqlite3.OperationalError("database or disk is full")

    _first_run(env)
    env.monkeypatch.setattr(memory.SQLiteStore, "upsert", full)
    env.article("c.txt", "A third article\n\nIt has a sentence.\n")
    return run(env)


def read_only_workspace(env: Env) -> list[str]:
    import errno
    import os

    from pipeline import workspace

    real = os.open

    def guarded(path, flags, *args, **kwargs):
        if str(path).endswith("lock") and flags & os.O_CREAT:
            raise PermissionError(errno.EROFS, "Read-only file system", str(path))
        return real(path, flags, *args, **kwargs)

    env.monkeypatch.setattr(workspace.os, "open", guarded)
    return run(env)


def folder_named_po(env: Env) -> list[str]:
    env.catalog("kk", "a").mkdir(parents=True)
    return run(env)


def b_still_written(env: Env) -> None:
    assert env.catalog("kk", "a").is_dir() and env.catalog("kk", "b").is_file()


def utf16_article(env: Env) -> list[str]:
    env.article("c.txt", "A visit\n\nThe Grand Mufti met the Ambassador.\n".encode("utf-16-le"))
    return run(env)


def utf16_catalog(env: Env) -> list[str]:
    path = env.catalog("kk", "a")
    path.parent.mkdir(parents=True)
    path.write_bytes('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'.encode("utf-16-le"))
    return run(env)


def _edited_article(env: Env) -> None:
    _first_run(env)
    env.article("a.txt", ARTICLE + "A new sentence was added later.\n")


def linked_catalog(env: Env) -> list[str]:
    _edited_article(env)
    shared = env.ws / "translations" / "a-kk.po"
    shared.parent.mkdir()
    env.catalog("kk", "a").rename(shared)
    env.catalog("kk", "a").symlink_to(Path("../../../translations/a-kk.po"))
    return run(env)


def link_kept(env: Env) -> None:
    link = env.catalog("kk", "a")
    assert link.is_symlink() and "A new sentence was added later." in link.read_text(encoding="utf-8")


def catalog_linked_outside(env: Env) -> list[str]:
    _edited_article(env)
    env.catalog("kk", "a").rename(env.outside / "a-kk.po")
    env.catalog("kk", "a").symlink_to(env.outside / "a-kk.po")
    return run(env)


def read_only_catalog(env: Env) -> list[str]:
    _edited_article(env)
    env.catalog("kk", "a").chmod(0o444)
    return run(env)


def export_to_missing_folder(env: Env) -> list[str]:
    return ["glossary", "export", str(env.tmp / "no-such-folder" / "terms.tbx")]


def tm_export_to_missing_folder(env: Env) -> list[str]:
    _first_run(env)
    return ["tm", "export", str(env.tmp / "no-such-folder" / "memory.tmx")]


def no_folder_created(env: Env) -> None:
    assert not (env.tmp / "no-such-folder").exists()


def glossary_import_while_busy(env: Env) -> list[str]:
    import contextlib

    from pipeline.workspace import workspace_lock

    csv_file = env.tmp / "more.csv"
    csv_file.write_text((env.ws / "glossary" / "terms.csv").read_text(encoding="utf-8"), encoding="utf-8")
    held = contextlib.ExitStack()
    held.enter_context(workspace_lock(env.ws))  # another run holds the workspace (released at test end)
    env.monkeypatch.setattr(env, "held", held, raising=False)
    return ["glossary", "import", str(csv_file)]


def _catalog_header_and_entry(env: Env, header: str, entry: str) -> list[str]:
    path = env.catalog("kk", "a")
    path.parent.mkdir(parents=True)
    path.write_text(f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n{header}\n{entry}',
                    encoding="utf-8")
    return run(env)


def bad_plural_forms(env: Env) -> list[str]:
    return _catalog_header_and_entry(env, '"Plural-Forms: nplurals=2; plural=(n > 1 ? 2 : 0);\\n"\n', "")


def c_format_mismatch(env: Env) -> list[str]:
    return _catalog_header_and_entry(env, "", '#, c-format\nmsgid "They discussed cooperation."\n'
                                              'msgstr "%d талқылады."\n')


@dataclass(frozen=True)
class Case:
    build: Callable[[Env], list[str]]
    exit: int
    message: str
    unchanged: tuple[str, ...]  # paths under tmp (files or folders) that must be byte-identical afterwards
    after: Callable[[Env], None] | None = None  # what else must hold (e.g. the entry stayed untranslated)


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
    "a 50,000-character line": Case(long_line, 0, "machine translation: skipped", ("ws/source_texts",),
                                    long_line_untranslated),
    "non-UTF-8 article": Case(non_utf8_article, 1, "c.txt", ("ws/source_texts",)),
    "empty article": Case(empty_article, 1, "c.txt:1: article is empty", ("ws/source_texts",)),
    "broken catalog": Case(broken_catalog, 1, "a.po:", ("ws/locales/kk/LC_MESSAGES/a.po",)),
    "article linked to a file outside": Case(symlinked_article, 1, "outside the workspace", ("ws/source_texts",),
                                             nothing_from_outside),
    "a.txt + a.md (one slug)": Case(slug_collision, 1, "would share the catalog", ("ws/source_texts",),
                                    no_shared_catalog),
    "hidden file and editor back-up": Case(hidden_files, 0, "", ("ws/source_texts",), only_real_articles),
    "TMX with entities (billion laughs, XXE)": Case(hostile_tmx, 1, "bomb.tmx", ("ws/locales",), memory_empty),
    "TBX with an external entity": Case(hostile_tbx, 1, "bomb.tbx", ("ws/glossary",)),
    "memory.sqlite is garbage": Case(garbage_memory, 1, "is damaged (file is not a database); nothing in the "
                                     "catalogs depends on it: move it aside", ("ws/locales", "ws/.pipeline")),
    "memory.sqlite is truncated": Case(truncated_memory, 1, "pipeline tm import", ("ws/locales", "ws/.pipeline")),
    "disk full writing a catalog": Case(catalog_disk_full, 1, "a.po: the disk is full", ("ws/locales/kk",),
                                        ru_still_written),
    "read-only LC_MESSAGES": Case(catalog_read_only, 1, "LC_MESSAGES writable", ("ws/locales/kk",),
                                  ru_still_written),
    "disk full in the memory": Case(memory_disk_full, 1, "the disk is full (database or disk is full)",
                                    ("ws/locales/kk", "ws/.pipeline")),
    "read-only workspace": Case(read_only_workspace, 1, "lock: not writable", ("ws",)),
    "UTF-16 article without a BOM": Case(utf16_article, 1, "c.txt:1: file is UTF-16LE without a byte-order mark",
                                         ("ws/source_texts",)),
    "UTF-16 catalog without a BOM": Case(utf16_catalog, 1, "a.po:1: the file is UTF-16LE without a byte-order",
                                         ("ws/locales/kk/LC_MESSAGES/a.po",)),
    "catalog linked inside the workspace": Case(linked_catalog, 0, "", ("ws/source_texts",), link_kept),
    "catalog linked outside the workspace": Case(catalog_linked_outside, 1, "outside the workspace",
                                                 ("ws/source_texts",)),
    "read-only catalog": Case(read_only_catalog, 1, "a.po: the file is read-only", ("ws/locales/kk/LC_MESSAGES",)),
    "glossary export into a missing folder": Case(export_to_missing_folder, 1, "no such folder", ("ws",),
                                                  no_folder_created),
    "tm export into a missing folder": Case(tm_export_to_missing_folder, 1, "create it first", ("ws",),
                                            no_folder_created),
    "glossary import while a run holds the lock": Case(glossary_import_while_busy, 1, "is in use by another "
                                                       "pipeline run", ("ws/glossary",)),
    "invalid Plural-Forms": Case(bad_plural_forms, 0, "a.po:1: Plural-Forms gives form 2 for n=2",
                                 ("ws/source_texts",)),
    "c-format mismatch": Case(c_format_mismatch, 0, "c-format: the translation has %d, the source none",
                              ("ws/source_texts",)),
    "a folder named a.po": Case(folder_named_po, 1, "a.po: is a folder, not a file", ("ws/source_texts",),
                                b_still_written),
}


# ---------------------------------------------------------------- the runner


def _snapshot(path: Path) -> dict[str, bytes | None]:
    if not path.exists():
        return {}
    if path.is_file():
        return {"": path.read_bytes()}
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*"))
            if p.is_file() and p.name != "lock"}


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
    return Env(tmp_path, ws, packages, outside, tiny_model_archive, monkeypatch)


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
    if case.after:
        case.after(env)


