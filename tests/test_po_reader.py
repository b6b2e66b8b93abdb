"""The PO reader reads in one pass what polib's own parser reads from a well-formed catalog (same entries, fields,
line numbers and header), and keeps checking what polib alone gets wrong."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest

from pipeline.errors import CatalogError
from pipeline.formats.po import parse_po, po_bytes

FIELDS = ("msgid", "msgstr", "msgid_plural", "msgstr_plural", "msgctxt", "comment", "tcomment", "flags",
          "previous_msgctxt", "previous_msgid", "previous_msgid_plural", "linenum")
LAYOUT = Path(__file__).resolve().parent / "data" / "run-layout"


def view(po: polib.POFile) -> tuple:
    entries = [tuple(getattr(e, f) for f in FIELDS) + (bool(e.obsolete), [tuple(o) for o in e.occurrences])
               for e in po]
    return po.header, dict(po.metadata), po.metadata_is_fuzzy, entries


def catalogs(shared: Path) -> list[Path]:
    found = sorted((shared / "realworld-po").glob("*.po")) + sorted(LAYOUT.rglob("*.po*"))
    assert len(found) > 10
    return found


def test_the_reader_reads_what_polib_reads_from_real_catalogs(shared):
    for path in catalogs(shared):
        data = path.read_bytes()
        ours = parse_po(data, path)
        theirs = polib.pofile(data.decode("utf-8"), encoding="utf-8")
        assert view(ours) == view(theirs), path.name


def test_entries_read_back_from_what_the_writer_wrote(shared):
    for path in catalogs(shared):
        po = parse_po(path.read_bytes(), path)
        again = parse_po(po_bytes(po), path)
        assert (again.header, again.metadata) == (po.header, po.metadata), path.name
        assert [(e.msgctxt, e.msgid, e.msgstr, e.msgstr_plural, bool(e.obsolete)) for e in again] == \
               [(e.msgctxt, e.msgid, e.msgstr, e.msgstr_plural, bool(e.obsolete)) for e in po], path.name


def test_escapes_and_previous_strings_of_obsolete_entries_are_read():
    data = (b'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
            b'#, fuzzy\n#| msgid "Old"\nmsgid "Tab\\there \\"q\\" \\\\ \\v\\b\\f\\a \\101\\x42"\nmsgstr "x"\n\n'
            b'#~| msgid "Older"\n#~ msgid "Gone"\n#~ msgstr "Kept"\n')
    po = parse_po(data, Path("x.po"))
    live, gone = list(po)
    assert live.msgid == 'Tab\there "q" \\ \v\b\f\a AB' and live.previous_msgid == "Old" and live.flags == ["fuzzy"]
    assert (gone.obsolete, gone.msgid, gone.msgstr, gone.previous_msgid) == (1, "Gone", "Kept", "Older")
    assert (live.linenum, gone.linenum) == (4, 9)


@pytest.mark.parametrize(("text", "line", "message"), [
    ('msgid "a"\nmsgstr "b\n', 2, "not terminated"),
    ('msgid "a"\nmsgstr "b" c\n', 2, "after the closing quote"),
    ('msgid "a"\nmsgstr "\\q"\n', 2, "invalid escape"),
    ('msgid "a"\n\nmsgid "b"\nmsgstr ""\n', 1, "msgid without msgstr"),
    ('msgid "a"\n', 1, "at the end of the file"),
    ('msgstr "a"\n', 1, "msgstr without msgid"),
    ('msgid "a"\nmsgstr[0] "b"\n', 2, "msgstr[n] without msgid_plural"),
    ('msgid "a"\nmsgstr "b"\n"c"\n#. note\n"d"\n', 5, "out of order"),
    ('msgid "a"\nmsgstr "b"\n#| msgstr "c"\nmsgid "d"\nmsgstr ""\n', 3, "out of order"),
    # a precise problem anywhere in the file is named before an order problem
    ('msgid "a"\nmsgstr "b"\n#. note\n"d"\n\nmsgid "e"\nmsgstr "f\n', 7, "not terminated"),
    ('msgid "a"\nmsgstr "b"\n\nmsgid "a"\nmsgstr "c"\n', 4, "duplicate message definition"),
    ('garbage\n', 1, "unexpected text"),
])
def test_a_broken_catalog_is_an_error_at_its_line(text, line, message):
    with pytest.raises(CatalogError) as caught:
        parse_po(text.encode(), Path("x.po"))
    assert caught.value.line == line and message in caught.value.message


def test_entries_as_written_are_what_the_reader_makes_of_the_bytes(shared):
    """po_bytes(as_read=True) numbers the entries and writes their flags as a parse of its bytes would, so a run
    checks and publishes a catalog it has just written without parsing it."""
    for path in catalogs(shared):
        po = parse_po(path.read_bytes(), path)
        for entry in po:
            entry.linenum = None
            entry.flags = [*entry.flags, "", *entry.flags[:1]]  # duplicates and blanks the writer drops
        data = po_bytes(po, as_read=True)
        assert view(po) == view(parse_po(data, path)), path.name
