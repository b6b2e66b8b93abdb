import os
import stat

import pytest

from pipeline.files import atomic_write_text, atomic_writer


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_replacing_a_file_keeps_its_mode(tmp_path):
    path = tmp_path / "terms.csv"
    path.write_text("old\n")
    os.chmod(path, 0o640)
    atomic_write_text(path, "new\n", newline="\r\n")
    assert path.read_bytes() == b"new\r\n" and mode(path) == 0o640


def test_a_new_file_gets_the_umask_mode_not_mkstemps_0600(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "sub" / "out.tmx", "x")
    finally:
        os.umask(old)
    assert mode(tmp_path / "sub" / "out.tmx") == 0o644


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    path = tmp_path / "memory.tmx"
    path.write_text("kept")
    with pytest.raises(RuntimeError), atomic_writer(path) as handle:
        handle.write("half")
        raise RuntimeError("disk full")
    assert path.read_text() == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["memory.tmx"]
