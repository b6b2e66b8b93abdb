"""The per-directory catalog lock: two writers of one catalog folder take turns, so neither merges from a
state the other is about to replace."""

from __future__ import annotations

import threading
import time

import polib

from pipeline import catalogs, files


def drafts(*msgids: str) -> list[catalogs.Draft]:
    return [catalogs.Draft(msgid=m, msgctxt=None, occurrences=[("source_texts/a.txt", str(n))], msgstr=f"[kk] {m}")
            for n, m in enumerate(msgids, 1)]


def test_two_writers_of_one_catalog_folder_take_turns(tmp_path, monkeypatch):
    folder = tmp_path / "locales" / "kk" / "LC_MESSAGES"
    first, second = folder / "a.po", folder / "b.po"
    inside, release = threading.Event(), threading.Event()
    replaced: list[str] = []

    def hold_the_first(path):  # called inside the writer, just before its rename
        replaced.append(path.name)
        if path == first:
            inside.set()
            release.wait(10)

    monkeypatch.setattr(files, "before_replace", hold_the_first)
    errors: list[BaseException] = []

    def write(path, msgids):
        try:
            catalogs.update_catalog(path, "kk", drafts(*msgids), project="p")
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)

    one = threading.Thread(target=write, args=(first, ["One.", "Two."]))
    one.start()
    assert inside.wait(10)
    two = threading.Thread(target=write, args=(second, ["Three."]))
    two.start()
    time.sleep(0.5)  # plenty for an unlocked writer to merge a one-entry catalog and reach its rename
    waited = list(replaced)
    release.set()
    one.join(10)
    two.join(10)
    assert not errors, errors
    assert waited == ["a.po"], "the second writer must wait for the first to finish"
    assert replaced == ["a.po", "b.po"]
    assert {e.msgid for e in polib.pofile(str(first))} == {"One.", "Two."}
    assert {e.msgid for e in polib.pofile(str(second))} == {"Three."}
