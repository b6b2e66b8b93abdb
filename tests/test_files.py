"""The one atomic writer: every guard here fails its test when removed."""

import errno
import os
import stat
import zipfile
from pathlib import Path

import pytest

from pipeline import files
from pipeline.files import atomic_binary_writer, atomic_write_text, atomic_writer, write_bytes, write_if_changed


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask():
    """Set the process umask for one test, restored after."""
    saved = os.umask(0o022)
    os.umask(saved)

    def set_mask(mask: int) -> None:
        os.umask(mask)
    yield set_mask
    os.umask(saved)


def test_replacing_a_file_keeps_its_mode(tmp_path):
    path = tmp_path / "terms.csv"
    path.write_text("old\n")
    os.chmod(path, 0o640)
    atomic_write_text(path, "new\n", newline="\r\n")
    assert path.read_bytes() == b"new\r\n" and mode(path) == 0o640


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_a_new_file_gets_the_umask_mode_not_mkstemps_0600(tmp_path, umask, mask, expected):
    umask(mask)
    atomic_write_text(tmp_path / "sub" / "out.tmx", "x")
    write_bytes(tmp_path / "page.html", b"<p>")
    with atomic_binary_writer(tmp_path / "a.zip") as handle:
        handle.write(b"PK")
    assert [mode(tmp_path / n) for n in ("sub/out.tmx", "page.html", "a.zip")] == [expected] * 3
    assert os.umask(mask) == mask, "the umask is left as it was"


def test_the_file_is_replaced_not_rewritten_in_place(tmp_path, monkeypatch):
    path = tmp_path / "kk.po"
    path.write_bytes(b"old")
    inode = path.stat().st_ino
    seen = []
    monkeypatch.setattr(files, "before_replace", lambda target: seen.append(target.read_bytes()))
    assert write_bytes(path, b"new") is True
    assert seen == [b"old"], "until the rename, readers see the whole old file"
    assert path.read_bytes() == b"new" and path.stat().st_ino != inode


def test_a_crash_before_the_rename_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "kk.po"
    path.write_bytes(b"old")

    def power_cut(target):
        raise KeyboardInterrupt
    monkeypatch.setattr(files, "before_replace", power_cut)
    with pytest.raises(KeyboardInterrupt):
        write_bytes(path, b"new")
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["kk.po"]


def test_a_failed_stream_leaves_the_old_file_and_no_temp(tmp_path):
    path = tmp_path / "memory.tmx"
    path.write_text("kept")
    with pytest.raises(RuntimeError), atomic_writer(path) as handle:
        handle.write("half")
        raise RuntimeError("disk full")
    assert path.read_text() == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["memory.tmx"]


def test_data_and_directory_are_fsynced_before_and_after_the_rename(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append((stat.S_ISDIR(os.fstat(fd).st_mode), (tmp_path / "x.po").exists()))
        real_fsync(fd)
    monkeypatch.setattr(os, "fsync", fsync)
    write_bytes(tmp_path / "x.po", b"data")
    assert synced == [(False, False), (True, True)], "file data before the rename, the directory after"


def test_compare_and_swap_refuses_when_someone_saved_meanwhile(tmp_path, monkeypatch):
    path = tmp_path / "kk.po"
    path.write_bytes(b"v1")
    monkeypatch.setattr(files, "before_replace", lambda target: target.write_bytes(b"translator's save"))
    assert write_bytes(path, b"merged from v1", expected=b"v1") is False
    assert path.read_bytes() == b"translator's save" and [p.name for p in tmp_path.iterdir()] == ["kk.po"]


def test_compare_and_swap_with_none_expects_no_file(tmp_path, monkeypatch):
    path = tmp_path / "new.po"
    monkeypatch.setattr(files, "before_replace", lambda target: target.write_bytes(b"created meanwhile"))
    assert write_bytes(path, b"ours", expected=None) is False
    assert path.read_bytes() == b"created meanwhile"
    monkeypatch.setattr(files, "before_replace", lambda target: None)
    assert write_bytes(tmp_path / "other.po", b"ours", expected=None) is True


def test_write_if_changed_leaves_an_identical_file_alone(tmp_path):
    target = tmp_path / "a" / "page.html"
    assert write_if_changed(target, "one") is True
    inode = target.stat().st_ino
    assert write_if_changed(target, "one") is False and target.stat().st_ino == inode
    assert write_if_changed(target, "two") is True and target.read_text(encoding="utf-8") == "two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["page.html"]


def test_a_zip_archive_can_be_streamed_into_the_binary_writer(tmp_path):
    out = tmp_path / "m.argosmodel"
    with atomic_binary_writer(out) as handle, zipfile.ZipFile(handle, "w") as zf:
        zf.writestr("pkg/metadata.json", "{}")
    assert zipfile.ZipFile(out).namelist() == ["pkg/metadata.json"]


def test_write_many_writes_each_file_and_syncs_them_together(tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr(files, "_syncfs", lambda: lambda fd: synced.append(fd) or 0)
    items = [(tmp_path / f"d{n % 2}" / f"f{n}.po", f"data {n}".encode(), files.ANY_CONTENT) for n in range(6)]
    (tmp_path / "d0").mkdir()
    (tmp_path / "d0" / "f0.po").write_bytes(b"old")
    assert files.write_many(items) == {path: True for path, _, _ in items}
    assert all(path.read_bytes() == data for path, data, _ in items)
    assert len(synced) == 1  # one filesystem, one sync for all six
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_write_many_makes_each_folder_once_and_removes_only_what_it_did_not_move(tmp_path, monkeypatch):
    """Thousands of catalogs share a few folders: one mkdir per folder; a temp file renamed into place is not
    removed again (a failed system call per file), one left behind is."""
    made, removed = [], []
    real_mkdir, real_unlink = Path.mkdir, Path.unlink
    monkeypatch.setattr(Path, "mkdir", lambda self, *a, **k: made.append(self) or real_mkdir(self, *a, **k))
    monkeypatch.setattr(Path, "unlink", lambda self, *a, **k: removed.append(self) or real_unlink(self, *a, **k))
    items = [(tmp_path / f"d{n % 2}" / f"f{n}.po", b"x", files.ANY_CONTENT) for n in range(6)]
    kept = tmp_path / "d0" / "kept.po"
    items.append((kept, b"new", b"what the run read"))  # changed meanwhile: its temp file stays unmoved
    result = files.write_many(items)
    assert sorted(made) == [tmp_path / "d0", tmp_path / "d1"]
    assert result[kept] is False and len(removed) == 1 and removed[0].name.startswith(".kept.po.")
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_write_many_falls_back_to_an_fsync_per_file(tmp_path, monkeypatch):
    fsynced = []
    real = os.fsync
    monkeypatch.setattr(files, "_syncfs", lambda: None)
    monkeypatch.setattr(os, "fsync", lambda fd: fsynced.append(fd) or real(fd))
    items = [(tmp_path / f"f{n}.po", b"x", files.ANY_CONTENT) for n in range(3)]
    assert set(files.write_many(items).values()) == {True}
    assert len(fsynced) == 3 + 1  # each file, then the folder once


def test_write_many_never_overwrites_a_concurrent_save_and_reports_each_failure(tmp_path, monkeypatch):
    kept, saved, broken = tmp_path / "kept.po", tmp_path / "saved.po", tmp_path / "broken.po"
    kept.write_bytes(b"old kept")
    saved.write_bytes(b"old saved")
    broken.mkdir()  # a folder where a catalog should be

    def translator_saves(target):
        if target == saved:
            target.write_bytes(b"translator's save")

    monkeypatch.setattr(files, "before_replace", translator_saves)
    result = files.write_many([(kept, b"new kept", b"old kept"), (saved, b"new saved", b"old saved"),
                               (broken, b"new", None)])
    assert result[kept] is True and result[saved] is False and isinstance(result[broken], OSError)
    assert kept.read_bytes() == b"new kept" and saved.read_bytes() == b"translator's save" and broken.is_dir()
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_write_many_leaves_a_file_it_could_not_make_durable_and_writes_the_others(tmp_path, monkeypatch):
    """A failed sync (EIO, a full disk) is that file's error: it is not replaced, the others are, nothing raises."""
    real = os.fsync
    ok, failing = tmp_path / "ok.po", tmp_path / "failing.po"
    failing.write_bytes(b"the last good catalog")

    def fsync(fd):
        if os.readlink(f"/proc/self/fd/{fd}").startswith(str(tmp_path / ".failing.po")):
            raise OSError(errno.EIO, "Input/output error")
        return real(fd)

    monkeypatch.setattr(files, "_syncfs", lambda: lambda fd: -1)  # syncfs fails: an fsync each says which
    monkeypatch.setattr(os, "fsync", fsync)
    result = files.write_many([(ok, b"new ok", files.ANY_CONTENT), (failing, b"new", files.ANY_CONTENT)])
    assert result[ok] is True and isinstance(result[failing], OSError)
    assert ok.read_bytes() == b"new ok" and failing.read_bytes() == b"the last good catalog"
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
