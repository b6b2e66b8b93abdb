"""The workspace: which files are articles, nothing read or written outside it, one catalog per article,
the run lock, and the settings file. Security cases are written as attacks that must fail."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline import catalogs, engine, publish, workflow
from pipeline.cli import app
from pipeline.workspace import (
    OutsideWorkspace,
    Workspace,
    WorkspaceBusy,
    WorkspaceError,
    catalog_path,
    directory_lock,
    is_article_name,
    read_settings,
)

ARTICLE = """Grand Mufti meets the ambassador

The Grand Mufti met the Ambassador of Egypt on Monday in Astana.
They discussed cooperation between the two countries and the role of religious education.
"""
OTHER = """A library exhibition

The National Library opened an exhibition of rare manuscripts on Tuesday.
Visitors will be able to see the collection until the end of the month.
"""
SECRET = """Quarterly salary report

The confidential salary of the director is forty thousand dollars every single month.
"""

needs_symlinks = pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt",
                                    reason="symbolic links need privileges on Windows")


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def root(tmp_path, monkeypatch):
    root = tmp_path / "ws"
    (root / "source_texts").mkdir(parents=True)
    (root / "source_texts" / "a.txt").write_text(ARTICLE, encoding="utf-8")
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "no-packages"))
    monkeypatch.delenv("PIPELINE_MEMORY", raising=False)
    return root


@pytest.fixture
def sent_to_mt(monkeypatch) -> list[str]:
    """Every text handed to machine translation (a fake engine that echoes)."""
    calls: list[str] = []

    class Echo:
        label = "echo 0.1"

        def translate(self, texts):
            calls.extend(texts)
            return [f"[mt] {text}" for text in texts]

    monkeypatch.setattr(engine.Engine, "load", staticmethod(lambda *args, **kwargs: Echo()))
    return calls


def everything_written(root: Path) -> str:
    """The text of every catalog, template and site file and the memory's bytes, for leak checks."""
    parts = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and "source_texts" not in path.parts:
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


# ---------------------------------------------------------------- opening a workspace


def test_open_refuses_a_folder_without_source_texts(tmp_path):
    with pytest.raises(WorkspaceError, match="no source_texts/ folder"):
        Workspace.open(tmp_path)
    with pytest.raises(WorkspaceError, match="no such workspace folder"):
        Workspace.open(tmp_path / "missing")
    assert Workspace.open(tmp_path, need_articles=False).root == tmp_path  # memory and glossary commands
    assert list(tmp_path.iterdir()) == []


def test_library_publish_validates_the_workspace_like_the_cli(tmp_path):
    with pytest.raises(WorkspaceError, match="no source_texts/"):
        publish.publish(tmp_path, tmp_path / "site", ["kk"])
    assert not (tmp_path / "site").exists() and not (tmp_path / ".pipeline").exists()


def test_paths_of_a_workspace(root):
    ws = Workspace.open(root)
    assert ws.catalog_path("kk", "a") == root / "locales" / "kk" / "LC_MESSAGES" / "a.po"
    assert catalog_path(root, "kk", "a") == ws.catalog_path("kk", "a")
    assert ws.template_path("a") == root / "locales" / "templates" / "a.pot"
    assert ws.memory_location == root / ".pipeline" / "memory.sqlite"
    assert ws.published == root / "published"
    assert ws.packages_dir == root.parent / "no-packages"  # $ARGOS_PACKAGES_DIR


# ---------------------------------------------------------------- which files are articles


@pytest.mark.parametrize("name", [".hidden.txt", ".a.md", "a.txt~", "#a.txt#", ".a.txt.swp", "a.md.bak",
                                  "notes.docx", "a.txt.orig"])
def test_hidden_files_and_editor_backups_are_not_articles(root, name, sent_to_mt):
    (root / "source_texts" / name).write_text(SECRET, encoding="utf-8")
    assert not is_article_name(name)
    assert [p.name for p in Workspace.open(root).scan_articles().paths] == ["a.txt"]
    result = invoke("run", "--root", str(root), "--langs", "kk", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [c["article"] for c in data["catalogs"]] == ["a"]
    assert data["totals"]["total"] == data["catalogs"][0]["stats"]["total"] == data["totals"]["drafted"] > 0
    assert not any("salary" in text for text in sent_to_mt)
    assert "salary" not in everything_written(root)


def test_articles_are_txt_and_md_in_name_order(root):
    for name in ("b.md", "c.TXT", "notes.docx"):
        (root / "source_texts" / name).write_text(OTHER, encoding="utf-8")
    (root / "source_texts" / "folder.txt").mkdir()
    assert [p.name for p in Workspace.open(root).scan_articles().paths] == ["a.txt", "b.md", "c.TXT"]


# ---------------------------------------------------------------- nothing outside the workspace


@needs_symlinks
def test_attack_an_article_linked_to_a_file_outside_is_refused_by_every_command(root, tmp_path, sent_to_mt):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    link = root / "source_texts" / "leak.txt"
    link.symlink_to(secret)

    result = invoke("run", "--root", str(root), "--langs", "kk")
    assert result.exit_code == 1
    assert f"{link}: the article resolves to {secret}, outside the workspace" in result.output
    assert catalog_path(root, "kk", "a").exists(), "the other articles are still translated"
    assert not catalog_path(root, "kk", "leak").exists() and not (root / "locales" / "templates" / "leak.pot").exists()
    assert not any("salary" in text for text in sent_to_mt)
    assert "salary" not in everything_written(root)

    result = invoke("translate", str(link), "--root", str(root), "--langs", "kk")
    assert result.exit_code != 0 and "outside the workspace" in result.output

    status = invoke("status", "--root", str(root), "--langs", "kk", "--json")
    assert status.exit_code == 1 and any("outside the workspace" in e for e in json.loads(status.stdout)["errors"])

    site = invoke("publish", "--root", str(root), "--langs", "kk", "--json")
    rows = {row["slug"]: row for row in json.loads(site.stdout)}
    assert not rows["leak"]["published"] and "outside the workspace" in rows["leak"]["reason"]
    assert "salary" not in everything_written(root)
    assert secret.read_text(encoding="utf-8") == SECRET


@needs_symlinks
def test_a_link_that_stays_inside_the_workspace_is_an_article(root):
    (root / "drafts").mkdir()
    (root / "drafts" / "b.txt").write_text(OTHER, encoding="utf-8")
    (root / "source_texts" / "b.txt").symlink_to(root / "drafts" / "b.txt")
    scan = Workspace.open(root).scan_articles()
    assert [p.name for p in scan.paths] == ["a.txt", "b.txt"] and scan.refused == []


@needs_symlinks
def test_attack_a_catalog_linked_outside_is_neither_read_nor_replaced(root, tmp_path, sent_to_mt):
    outside = tmp_path / "outside.po"
    outside.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                       'msgid "The confidential salary"\nmsgstr "secret"\n', encoding="utf-8")
    before = outside.read_bytes()
    path = catalog_path(root, "kk", "a")
    path.parent.mkdir(parents=True)
    path.symlink_to(outside)
    result = invoke("run", "--root", str(root), "--langs", "kk", "--no-publish")
    assert result.exit_code == 1
    assert "the catalog resolves to" in result.output and "outside the workspace" in result.output
    assert path.is_symlink() and outside.read_bytes() == before
    with workflow.open_memory(Workspace.open(root)) as tm:
        assert tm.lookup("The confidential salary", "kk", min_score=50) == []


@needs_symlinks
def test_attack_a_glossary_file_linked_outside_is_refused(root, tmp_path):
    outside = tmp_path / "terms.csv"
    outside.write_text("id,en,kk,ru,ar\nx,secret,a,b,c\n", encoding="utf-8")
    (root / "glossary").mkdir()
    (root / "glossary" / "terms.csv").symlink_to(outside)
    result = invoke("run", "--root", str(root), "--langs", "kk", "--no-publish")
    assert result.exit_code == 1
    assert "the glossary file resolves to" in result.output and "outside the workspace" in result.output
    assert not (root / "locales").exists()
    for command in (["glossary", "check"], ["glossary", "find", "secret"],
                    ["glossary", "export", str(tmp_path / "x.tbx")], ["glossary", "import", str(outside)],
                    ["segment", str(root / "source_texts" / "a.txt")], ["glossary", "forms", "x", "--lang", "ru"],
                    ["glossary", "place", "XT1", "--term", "XT1=x", "--lang", "ru"]):
        result = invoke(*command, "--root", str(root))
        assert result.exit_code == 1 and "outside the workspace" in result.output, command
        assert "secret" not in result.stdout.replace("find secret", "")
    assert not (tmp_path / "x.tbx").exists()


def test_inside_refuses_a_path_that_climbs_out(root, tmp_path):
    ws = Workspace.open(root)
    assert ws.inside(root / "locales" / "x.po") == (root / "locales" / "x.po").resolve()
    with pytest.raises(OutsideWorkspace, match="outside the workspace"):
        ws.inside(root / "locales" / ".." / ".." / "elsewhere.po")


# ---------------------------------------------------------------- one catalog per article


@pytest.mark.parametrize("names", [("a.txt", "a.md"), ("A.txt", "a.txt"), ("Қазақстан.txt", "Мир.md")])
def test_two_articles_never_share_a_catalog(root, names, sent_to_mt):
    (root / "source_texts" / "a.txt").unlink()
    for name, text in zip(names, (ARTICLE, OTHER), strict=True):
        (root / "source_texts" / name).write_text(text, encoding="utf-8")
    (root / "source_texts" / "c.txt").write_text(OTHER.replace("library", "museum"), encoding="utf-8")
    if len(list((root / "source_texts").iterdir())) < 3:
        pytest.skip("case-insensitive file system")
    result = invoke("run", "--root", str(root), "--langs", "kk")
    assert result.exit_code == 1
    assert f"{names[0]} and {names[1]} would share the catalog" in result.output \
        or f"{names[1]} and {names[0]} would share the catalog" in result.output
    slug = "a" if names[0].lower().startswith("a") else "article"
    assert not catalog_path(root, "kk", slug).exists(), "neither article got the shared catalog"
    assert catalog_path(root, "kk", "c").exists(), "the other articles are still translated"
    rows = json.loads(invoke("publish", "--root", str(root), "--langs", "kk", "--json").stdout)
    refused = [row for row in rows if row["slug"] == slug]
    assert len(refused) == 2 and not any(row["published"] for row in refused)
    assert all("would share the catalog" in row["reason"] for row in refused)


# ---------------------------------------------------------------- locks


def test_library_publish_fails_at_once_while_a_run_holds_the_workspace(root):
    ws = Workspace.open(root)
    with Workspace.open(root).lock():
        with pytest.raises(WorkspaceBusy, match="in use by another pipeline run"):
            publish.publish(ws, None, ["kk"])
    assert not (root / "published").exists()
    publish.publish(ws, None, ["kk"])
    assert (root / "published" / "manifest.json").is_file()


def test_the_lock_is_reentrant_for_one_workspace_object(root):
    ws = Workspace.open(root)
    with ws.lock():
        with ws.lock():
            assert ws.locked
        assert ws.locked
        with pytest.raises(WorkspaceBusy):
            with Workspace.open(root).lock():
                pass
    assert not ws.locked
    with Workspace.open(root).lock():
        pass


def test_library_tm_import_takes_the_lock(root):
    ws = Workspace.open(root)
    with Workspace.open(root).lock():
        with pytest.raises(WorkspaceBusy):
            workflow.import_memory(ws, [root / "source_texts"])
    assert not ws.memory_location.exists()


def test_a_catalog_directory_has_one_writer_at_a_time(tmp_path):
    """Two writers of one LC_MESSAGES folder: the second enters only after the first has left."""
    folder = tmp_path / "LC_MESSAGES"
    holding, release, entered = threading.Event(), threading.Event(), threading.Event()

    def first():
        with directory_lock(folder):
            holding.set()
            release.wait(10)

    def second():
        with directory_lock(folder):
            entered.set()

    one = threading.Thread(target=first)
    one.start()
    assert holding.wait(10)
    two = threading.Thread(target=second)
    two.start()
    assert not entered.wait(0.3), "the second writer got in while the first held the folder"
    release.set()
    assert entered.wait(10)
    one.join(10)
    two.join(10)
    assert list(folder.iterdir()) == [], "no lock files beside the catalogs"


def test_update_catalog_holds_the_directory_lock(tmp_path, monkeypatch):
    path = catalog_path(tmp_path, "kk", "a")
    seen = []
    real = catalogs.directory_lock

    def spy(directory):
        seen.append(directory)
        return real(directory)

    monkeypatch.setattr(catalogs, "directory_lock", spy)
    catalogs.update_catalog(path, "kk", [catalogs.Draft("One.", None, [("a.txt", "1")])], project="p")
    assert seen == [path.parent]


# ---------------------------------------------------------------- settings


def test_settings_file_sets_memory_packages_and_site(root, tmp_path, monkeypatch):
    monkeypatch.delenv("ARGOS_PACKAGES_DIR")
    (root / "pipeline.toml").write_text(
        '[memory]\nlocation = "shared/tm.sqlite"\n[models]\npackages_dir = "models"\n'
        '[publish]\nout = "site"\ninclude_fuzzy = true\nmin_complete = 50\n', encoding="utf-8")
    ws = Workspace.open(root)
    assert ws.memory_location == root / "shared" / "tm.sqlite"
    assert ws.packages_dir == root / "models"
    assert ws.published == root / "site"
    assert (ws.settings.publish.include_fuzzy, ws.settings.publish.min_complete) == (True, 50.0)
    # Environment variables override the file; explicit arguments (CLI flags) override both.
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "env-models"))
    monkeypatch.setenv("PIPELINE_MEMORY", str(tmp_path / "env.sqlite"))
    ws = Workspace.open(root)
    assert ws.packages_dir == tmp_path / "env-models" and ws.memory_location == tmp_path / "env.sqlite"
    ws = Workspace.open(root, packages_dir=tmp_path / "flag", memory=tmp_path / "flag.sqlite")
    assert ws.packages_dir == tmp_path / "flag" and ws.memory_location == tmp_path / "flag.sqlite"


def test_publish_uses_the_site_settings_and_flags_win(root):
    (root / "pipeline.toml").write_text('[publish]\nout = "site"\nmin_complete = 0\n', encoding="utf-8")
    assert invoke("run", "--root", str(root), "--langs", "kk", "--no-publish").exit_code == 0
    result = invoke("publish", "--root", str(root), "--langs", "kk", "--json")
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert row["published"], "min_complete = 0 from the settings file"
    assert (root / "site" / "kk" / "a.html").is_file() and not (root / "published").exists()
    [row] = json.loads(invoke("publish", "--root", str(root), "--langs", "kk", "--json",
                              "--min-complete", "100").stdout)
    assert not row["published"]


@pytest.mark.parametrize(("text", "message"), [
    ("[memory\nlocation = 1\n", "pipeline.toml:1: not valid TOML"),
    ('[publish]\nout = "x"\nmin_complete = "all"\n', "[publish] min_complete must be a number"),
    ("[publish]\ninclude_fuzzy = 1\n", "[publish] include_fuzzy must be true or false"),
    ('[publish]\noutput = "x"\n', "unknown setting [publish] output; known: out, include_fuzzy, min_complete"),
    ('[website]\nout = "x"\n', "unknown setting 'website'"),
    ('[site]\nout = "x"\n', "unknown setting [site] out"),
    ("[publish]\nmin_complete = 150\n", "min_complete must be a number from 0 to 100"),
    ("[models]\nthreads = 0\n", "[models] threads must be a whole number of CPU threads, 1 or more, not 0"),
    ('[models]\nthreads = "all"\n', "[models] threads must be a whole number of CPU threads"),
    ("[models]\nbatch_tokens = 8\n", "[models] batch_tokens must be a whole number of tokens, 16 or more, not 8"),
])
def test_a_bad_settings_file_is_a_usage_error_naming_file_and_key(root, text, message):
    (root / "pipeline.toml").write_text(text, encoding="utf-8")
    with pytest.raises(WorkspaceError) as info:
        read_settings(root)
    assert message in str(info.value) and str(root / "pipeline.toml") in str(info.value)
    result = invoke("status", "--root", str(root))
    assert result.exit_code == 2 and message in result.output


def test_a_database_url_reaches_the_memory_unchanged(root, monkeypatch):
    (root / "pipeline.toml").write_text('[memory]\nlocation = "postgresql://tm:secret@tm.example/pipeline"\n',
                                        encoding="utf-8")
    ws = Workspace.open(root)
    assert ws.memory_location == "postgresql://tm:secret@tm.example/pipeline"
    assert "secret" not in workflow.memory_name(ws)
    opened = []
    monkeypatch.setattr(workflow.memory.Memory, "open", classmethod(lambda cls, location: opened.append(location)))
    workflow.open_memory(ws)
    assert opened == ["postgresql://tm:secret@tm.example/pipeline"]


def test_models_commands_use_the_packages_dir_of_the_workspace_here(tmp_path, monkeypatch):
    monkeypatch.delenv("ARGOS_PACKAGES_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pipeline.toml").write_text('[models]\npackages_dir = "models"\n', encoding="utf-8")
    result = invoke("models", "list", "--json")
    assert result.exit_code == 0, result.output
    assert Path(json.loads(result.stdout)["packages_dir"]).resolve() == (tmp_path / "models").resolve()
    flag = json.loads(invoke("models", "list", "--json", "--packages-dir", str(tmp_path / "flag")).stdout)
    assert flag["packages_dir"] == str(tmp_path / "flag")


def test_glossary_import_takes_the_workspace_lock_and_fails_at_once(root):
    repo_terms = Path(__file__).resolve().parent.parent / "glossary" / "terms.csv"
    (root / "glossary").mkdir()
    terms = root / "glossary" / "terms.csv"
    terms.write_bytes(repo_terms.read_bytes().splitlines(keepends=True)[0])  # the header only
    before = terms.read_bytes()
    with Workspace.open(root).lock():
        result = invoke("glossary", "import", str(repo_terms), "--root", str(root))
    assert result.exit_code == 1 and "in use by another pipeline run" in result.output
    assert terms.read_bytes() == before
    result = invoke("glossary", "import", str(repo_terms), "--root", str(root))
    assert result.exit_code == 0, result.output
    assert terms.read_bytes() != before


@needs_symlinks
def test_attack_check_never_reads_a_catalog_linked_outside(root, tmp_path):
    outside = tmp_path / "outside.po"
    outside.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                       'msgid "The confidential salary"\nmsgstr "secret salary"\n', encoding="utf-8")
    path = catalog_path(root, "kk", "a")
    path.parent.mkdir(parents=True)
    path.symlink_to(outside)
    result = invoke("check", "--root", str(root), "--langs", "kk", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert "salary" not in json.dumps(data.get("problems", []), ensure_ascii=False)
    assert "outside the workspace" in result.output


@needs_symlinks
def test_attack_a_locales_folder_linked_outside_gets_no_new_catalog_or_template(root, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "kk").mkdir(parents=True)
    (elsewhere / "templates").mkdir()
    (root / "locales").mkdir()
    (root / "locales" / "kk").symlink_to(elsewhere / "kk", target_is_directory=True)
    (root / "locales" / "templates").symlink_to(elsewhere / "templates", target_is_directory=True)
    result = invoke("run", "--root", str(root), "--langs", "kk", "--no-publish")
    assert result.exit_code == 1
    assert "the catalog resolves to" in result.output and "the template resolves to" in result.output
    assert [p for p in elsewhere.rglob("*") if p.is_file()] == []


WINDOWS_LIKE = '''
import fcntl as posix, os, sys, time, types
from pathlib import Path

# No fcntl (as on Windows); msvcrt.locking emulated with POSIX record locks on the same byte range.
sys.modules["fcntl"] = None
msvcrt = types.ModuleType("msvcrt")
msvcrt.LK_NBLCK, msvcrt.LK_UNLCK = 2, 0


def locking(fd, mode, nbytes):
    start = os.lseek(fd, 0, os.SEEK_CUR)
    op = posix.LOCK_UN if mode == msvcrt.LK_UNLCK else posix.LOCK_EX | posix.LOCK_NB
    posix.lockf(fd, op, nbytes, start, 0)


msvcrt.locking = locking
sys.modules["msvcrt"] = msvcrt
from pipeline import workspace
assert workspace.fcntl is None
root, hold = Path(sys.argv[1]), float(sys.argv[2])
try:
    with workspace.workspace_lock(root):
        print("locked", flush=True)
        time.sleep(hold)
except workspace.WorkspaceBusy as exc:
    print("busy:", exc, flush=True)
'''


@pytest.mark.skipif(os.name == "nt", reason="emulates the Windows fallback on POSIX")
def test_the_lock_works_without_fcntl(tmp_path):
    """The package imports and locks without fcntl (Windows): the fallback excludes a second process and still
    names the holder."""
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    first = subprocess.Popen([sys.executable, "-c", WINDOWS_LIKE, str(tmp_path), "3"], env=env,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert first.stdout.readline().strip() == "locked"
        second = subprocess.run([sys.executable, "-c", WINDOWS_LIKE, str(tmp_path), "0"], env=env,
                                capture_output=True, text=True, timeout=60)
        assert second.stdout.startswith("busy:"), second.stdout + second.stderr
        assert f"pid {first.pid}" in second.stdout
    finally:
        first.wait(timeout=60)
    again = subprocess.run([sys.executable, "-c", WINDOWS_LIKE, str(tmp_path), "0"], env=env,
                           capture_output=True, text=True, timeout=60)
    assert again.stdout.strip() == "locked", again.stderr


def test_memory_flag_beats_the_environment_and_the_settings_file(root, tmp_path, monkeypatch):
    (root / "pipeline.toml").write_text('[memory]\nlocation = "from-file.sqlite"\n', encoding="utf-8")
    monkeypatch.setenv("PIPELINE_MEMORY", str(tmp_path / "from-env.sqlite"))
    flag = tmp_path / "from-flag.sqlite"
    assert invoke("run", "--root", str(root), "--langs", "kk", "--no-publish", "--memory", str(flag)).exit_code == 0
    assert flag.is_file() and not (tmp_path / "from-env.sqlite").exists() and not (root / "from-file.sqlite").exists()
    stats = invoke("tm", "stats", "--root", str(root), "--memory", str(flag), "--json")
    assert stats.exit_code == 0 and json.loads(stats.stdout)["path"].endswith("from-flag.sqlite")
    assert invoke("tm", "stats", "--root", str(root)).exit_code == 1  # the env memory does not exist yet
    monkeypatch.delenv("PIPELINE_MEMORY")
    invoke("run", "--root", str(root), "--langs", "kk", "--no-publish")
    assert (root / "from-file.sqlite").is_file()


def test_real_paths_are_remembered_for_one_hold_of_the_lock_only(tmp_path):
    """A folder that becomes a link out of the workspace between two runs of one Workspace object is refused."""
    from pipeline.workspace import OutsideWorkspace

    root = tmp_path / "ws"
    (root / "locales").mkdir(parents=True)
    (root / "locales" / "a.po").write_text("", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.po").write_text("", encoding="utf-8")
    ws = Workspace(root)
    with ws.lock():
        ws.inside(root / "locales" / "a.po")
    (root / "locales" / "a.po").unlink()
    (root / "locales").rmdir()
    (root / "locales").symlink_to(elsewhere)
    with ws.lock(), pytest.raises(OutsideWorkspace):
        ws.inside(root / "locales" / "a.po")


@pytest.mark.parametrize("locked", [False, True])
def test_a_link_to_a_folder_followed_by_dot_dot_is_resolved_as_the_kernel_resolves_it(tmp_path, locked):
    """`link/..` is the parent of the link's target, not the folder holding the link: a path through a linked
    folder and back up is judged by where it really leads (with the run lock held too, when folders are cached)."""
    root = tmp_path / "ws"
    (root / "locales" / "kk" / "LC_MESSAGES").mkdir(parents=True)
    (root / "locales" / "secret.po").write_text("inside", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "dir").mkdir(parents=True)
    (elsewhere / "secret.po").write_text(SECRET, encoding="utf-8")
    (root / "locales" / "out").symlink_to(elsewhere / "dir", target_is_directory=True)
    # a link deep inside: lexically `deep/../..` climbs out of locales/, really it stays in locales/kk/
    (root / "locales" / "deep").symlink_to(root / "locales" / "kk" / "LC_MESSAGES", target_is_directory=True)
    (root / "locales" / "kk" / "x.po").write_text("", encoding="utf-8")
    ws = Workspace(root)
    with ws.lock() if locked else contextlib.nullcontext():
        climbing = root / "locales" / "out" / ".." / "secret.po"
        with pytest.raises(OutsideWorkspace, match="outside the workspace"):
            ws.inside(climbing)
        with pytest.raises(OutsideWorkspace):
            ws.inside(root / "locales" / "out" / "..")
        staying = root / "locales" / "deep" / ".." / "x.po"
        assert ws.inside(staying) == (root / "locales" / "kk" / "x.po").resolve() == Path(os.path.realpath(staying))
        assert ws.inside(root / "locales" / "kk" / "x.po") == (root / "locales" / "kk" / "x.po").resolve()


def test_workspace_relative_names_files_as_the_module_function_does_locked_or_not(tmp_path):
    from pipeline.workspace import Workspace, relative

    root = tmp_path / "ws"
    (root / "source_texts").mkdir(parents=True)
    (root / "source_texts" / "a.txt").write_text("The text.\n", encoding="utf-8")
    (root / "elsewhere").mkdir()
    (root / "linked").symlink_to(root / "source_texts")  # a link inside the workspace, to inside it
    (tmp_path / "outside").mkdir()
    (root / "out-link").symlink_to(tmp_path / "outside")
    ws = Workspace(root)
    paths = [root / "source_texts" / "a.txt", root / "linked" / "a.txt", root, root / "out-link" / "b.txt",
             tmp_path / "outside" / "c.txt", root / "elsewhere" / ".." / "source_texts" / "a.txt"]
    expected = [relative(path, root) for path in paths]
    assert expected[:3] == ["source_texts/a.txt", "source_texts/a.txt", "."]
    assert [ws.relative(path) for path in paths] == expected
    with ws.lock():
        assert [ws.relative(path) for path in paths] == expected
        assert [ws.relative(path) for path in paths] == expected  # folders resolved once, same answers


def test_a_file_is_resolved_once_per_hold_of_the_lock_and_again_in_the_next(tmp_path, monkeypatch):
    """A run asks about each catalog at harvest, merge and publish: one look at the file per hold of the lock.
    A file that became a link out of the workspace between two holds is refused."""
    from pipeline.workspace import OutsideWorkspace, Workspace

    root = tmp_path / "ws"
    (root / "locales").mkdir(parents=True)
    catalog = root / "locales" / "a.po"
    catalog.write_text("", encoding="utf-8")
    (tmp_path / "secret.po").write_text(SECRET, encoding="utf-8")
    looks: list[str] = []
    real_islink = os.path.islink
    monkeypatch.setattr(os.path, "islink", lambda path: looks.append(path) or real_islink(path))
    ws = Workspace(root)
    with ws.lock():
        for _ in range(3):
            ws.inside(catalog)
        assert len(looks) == 1
    catalog.unlink()
    catalog.symlink_to(tmp_path / "secret.po")
    with ws.lock(), pytest.raises(OutsideWorkspace):
        ws.inside(catalog)
    with pytest.raises(OutsideWorkspace):
        ws.inside(catalog)  # unlocked: never remembered
