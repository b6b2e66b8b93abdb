"""A desk's shared memory through the CLI: two workspaces, one PostgreSQL database, `tm migrate`, masked passwords."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import polib
import psycopg
import pytest
from conftest import FakeEngine
from typer.testing import CliRunner

from pipeline import cli, engine
from pipeline.workspace import catalog_path

runner = CliRunner()

ARTICLE = """Grand Mufti meets the ambassador

The Grand Mufti met the Ambassador of Egypt on Monday.
The meeting took place in a warm and friendly atmosphere.
Both sides agreed to hold a joint conference next year.
"""
APPROVED = "Кездесу жылы әрі достық атмосферада өтті."


def invoke(*args: str):
    return runner.invoke(cli.app, [str(a) for a in args], catch_exceptions=False)


def password(url: str) -> str:
    return psycopg.conninfo.conninfo_to_dict(url).get("password") or "\0no password\0"


@pytest.fixture
def desk(tmp_path, monkeypatch):
    """Factory: a workspace with the same article; machine translation is a stand-in that counts its calls."""
    calls: list[str] = []

    def load(directory, to_code, from_code="en", **settings):
        return FakeEngine(to_code, calls=calls)

    monkeypatch.setattr(engine.Engine, "load", staticmethod(load))
    monkeypatch.delenv("PIPELINE_MEMORY_URL", raising=False)
    monkeypatch.delenv("PIPELINE_MEMORY", raising=False)

    def make(name: str) -> Path:
        root = tmp_path / name
        (root / "source_texts").mkdir(parents=True)
        (root / "source_texts" / "grand-mufti.txt").write_text(ARTICLE, encoding="utf-8")
        return root

    make.calls = calls
    return make


def approve(path: Path, msgid: str, msgstr: str) -> None:
    po = polib.pofile(str(path))
    entry = po.find(msgid)
    entry.msgstr = msgstr
    if "fuzzy" in entry.flags:
        entry.flags.remove("fuzzy")
    po.save(str(path))


def test_a_second_workspace_sees_the_first_ones_approval_in_its_very_next_run(desk, postgres_database, monkeypatch):
    url = postgres_database()
    first, second = desk("desk-astana"), desk("desk-almaty")
    # the first desk names the database in its environment, the second in its settings file
    (second / "pipeline.toml").write_text(f'[memory]\nlocation = "{url}"\n', encoding="utf-8")
    monkeypatch.setenv("PIPELINE_MEMORY_URL", url)
    result = invoke("translate", "--root", first, "--langs", "kk")
    assert result.exit_code == 0, result.output
    sentence = "The meeting took place in a warm and friendly atmosphere."
    approve(catalog_path(first, "kk", "grand-mufti"), sentence, APPROVED)
    assert invoke("translate", "--root", first, "--langs", "kk").exit_code == 0  # its harvest reaches the database
    monkeypatch.delenv("PIPELINE_MEMORY_URL")

    desk.calls.clear()
    result = invoke("translate", "--root", second, "--langs", "kk", "--json")
    assert result.exit_code == 0, result.output
    entry = polib.pofile(str(catalog_path(second, "kk", "grand-mufti"))).find(sentence)
    assert entry.msgstr == APPROVED and "fuzzy" not in entry.flags
    assert "provenance: memory 100%" in entry.tcomment and "locales/kk/LC_MESSAGES/grand-mufti.po" in entry.tcomment
    assert sentence not in desk.calls  # not sent to machine translation again
    assert not (second / ".pipeline" / "memory.sqlite").exists()  # no private memory on the side
    assert password(url) not in result.output

    result = invoke("tm", "lookup", sentence, "--lang", "kk", "--root", second, "--json")
    assert json.loads(result.stdout)[0]["target"] == APPROVED


def test_memory_flag_and_masked_password_on_the_tm_commands(tmp_path, postgres_database, monkeypatch):
    monkeypatch.delenv("PIPELINE_MEMORY_URL", raising=False)
    url = postgres_database()
    root = tmp_path / "ws"
    catalog = root / "locales" / "ru" / "LC_MESSAGES" / "a.po"
    catalog.parent.mkdir(parents=True)
    catalog.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: ru\\n"\n\n'
                       'msgid "The mufti spoke."\nmsgstr "Муфтий выступил."\n', encoding="utf-8")
    result = invoke("tm", "import", root / "locales", "--root", root, "--memory", url)
    assert result.exit_code == 0, result.output
    assert "imported 1 units" in result.output and "***" in result.output and password(url) not in result.output
    result = invoke("tm", "stats", "--root", root, "--memory", url, "--json")
    stats = json.loads(result.stdout)
    assert stats["units"] == 1 and password(url) not in result.output and "***" in stats["path"]
    result = invoke("tm", "lookup", "The mufti spoke!", "--lang", "ru", "--root", root, "--memory", url, "--json")
    assert json.loads(result.stdout)[0]["target"] == "Муфтий выступил."
    assert not (root / ".pipeline" / "memory.sqlite").exists()


def test_tm_migrate_both_ways_through_the_cli(tmp_path, postgres_database, monkeypatch):
    monkeypatch.delenv("PIPELINE_MEMORY_URL", raising=False)
    root = tmp_path / "ws"
    catalog = root / "locales" / "kk" / "LC_MESSAGES" / "a.po"
    catalog.parent.mkdir(parents=True)
    catalog.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: kk\\n"\n\n'
                       'msgid "Hello."\nmsgstr "Сәлем."\n\nmsgid "Bye."\nmsgstr "Сау бол."\n\n'
                       'msgctxt "greeting card"\nmsgid "Hello."\nmsgstr "Сәлеметсіз бе!"\n\n'
                       'msgid "{n} article"\nmsgid_plural "{n} articles"\nmsgstr[0] "{n} мақала"\n'
                       'msgstr[1] "{n} мақалалар"\n', encoding="utf-8")
    assert invoke("tm", "import", root / "locales", "--root", root).exit_code == 0
    url = postgres_database()
    result = invoke("tm", "migrate", "--to", url, "--root", root, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["units"], report["sources"], report["seen"]) == (4, 3, 4)
    assert password(url) not in result.output and "***" in report["target"]

    back = tmp_path / "laptop.sqlite"
    result = invoke("tm", "migrate", "--to", back, "--root", root, "--memory", url)
    assert result.exit_code == 0, result.output
    assert "copied 4 units" in result.output and password(url) not in result.output
    for memory in (url, str(back)):
        found = json.loads(invoke("tm", "lookup", "Hello.", "--lang", "kk", "--context", "greeting card", "--root",
                                  root, "--memory", memory, "--json").stdout)
        assert [(m["target"], m["score"], m["context"]) for m in found] == [("Сәлеметсіз бе!", 100, "greeting card"),
                                                                          ("Сәлем.", 95, "")]
        (plural,) = json.loads(invoke("tm", "lookup", "{n} article", "--plural", "{n} articles", "--lang", "kk",
                                      "--root", root, "--memory", memory, "--json").stdout)
        assert plural["forms"] == {"one": "{n} мақала", "other": "{n} мақалалар"}
        stats = json.loads(invoke("tm", "stats", "--root", root, "--memory", memory, "--json").stdout)
        assert (stats["units"], stats["plural"], stats["in_context"]) == (4, 1, 1)
        assert "1 plural entries, 1 units with a context" in invoke("tm", "stats", "--root", root, "--memory",
                                                                     memory).stdout
    exported = [invoke("tm", "export", tmp_path / f"{n}.tmx", "--root", root, "--memory", m).exit_code
                for n, m in (("a", str(root / ".pipeline" / "memory.sqlite")), ("b", url), ("c", str(back)))]
    assert exported == [0, 0, 0]
    body = [(tmp_path / f"{n}.tmx").read_text(encoding="utf-8").split("<body>")[1] for n in "abc"]
    assert body[0] == body[1] == body[2]

    result = invoke("tm", "migrate", "--to", url, "--root", root)  # not empty any more
    assert result.exit_code == 1 and "already holds 4 units" in result.output and "nothing was copied" in result.output
    result = invoke("tm", "migrate", "--to", root / ".pipeline" / "memory.sqlite", "--root", root)
    assert result.exit_code == 1 and "itself" in result.output


def test_an_unreachable_server_is_one_clear_line(tmp_path, desk):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://desk:Sup3rS3cret@127.0.0.1:{port}/newsroom"
    root = desk("ws")
    for args in (["tm", "stats"], ["translate", "--langs", "kk"], ["tm", "migrate", "--to", tmp_path / "x.sqlite"]):
        result = invoke(*args, "--root", root, "--memory", url)
        assert result.exit_code == 1, (args, result.output)
        assert "Sup3rS3cret" not in result.output and "Traceback" not in result.output
        assert f"cannot reach the translation memory at postgresql://desk:***@127.0.0.1:{port}/newsroom" \
            in result.output, result.output
