"""The gettext PO file format, read strictly: a broken catalog is an error with its file and line, never a
silently truncated string (polib alone skips `#~|` lines and cuts a string with a missing quote).

Not a stage: the catalogs stage merges and writes catalogs, the memory harvests them and publish reads them,
all through this one reader.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import polib

from pipeline.errors import CatalogError

WRAP_WIDTH = 79  # GNU gettext's default page width


_KEYWORD = re.compile(r"(msgctxt|msgid_plural|msgid|msgstr\[(\d+)\]|msgstr)(?=[\s\"]|$)")
_CHARSET = re.compile(rb"charset=([A-Za-z0-9_.:\-]+)")
# How a character is written inside a PO string literal (the inverse of _SIMPLE_ESCAPES).
ESCAPES = {"\\": "\\\\", "\t": "\\t", "\r": "\\r", "\n": "\\n", "\v": "\\v", "\b": "\\b", "\f": "\\f",
           '"': '\\"'}
_POLIB_LINE = re.compile(r"\(line (\d+)\)")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "a": "\a", "b": "\b", "f": "\f",
                   "v": "\v"}


def _header_charset(data: bytes, path: Path) -> tuple[str, str]:
    """(python codec, name as written) from the header's Content-Type; UTF-8 when absent or a placeholder."""
    head = data[:8192]
    match = _CHARSET.search(head)
    if not match or match.group(1).upper() == b"CHARSET":
        return "utf-8", "UTF-8"
    name = match.group(1).decode("ascii")
    try:
        codec = __import__("codecs").lookup(name).name
    except LookupError:
        line = head[: match.start()].count(b"\n") + 1
        raise CatalogError(path, line, f"unknown charset {name!r} in Content-Type; use UTF-8") from None
    return codec, name


def _decode_literal(text: str, path: Path, lineno: int, codec: str) -> str:
    """The value of one quoted PO string (without its quotes), GNU escapes included."""
    out: list[str] = []
    raw = bytearray()
    i = 0

    def flush() -> None:
        if raw:
            try:
                out.append(raw.decode(codec))
            except UnicodeDecodeError:
                raise CatalogError(path, lineno, f"numeric escapes do not form valid {codec} text") from None
            raw.clear()

    while i < len(text):
        ch = text[i]
        if ch != "\\":
            flush()
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if nxt in _SIMPLE_ESCAPES:
            flush()
            out.append(_SIMPLE_ESCAPES[nxt])
            i += 2
        elif nxt in "01234567":
            digits = re.match(r"[0-7]{1,3}", text[i + 1:]).group(0)
            raw.append(int(digits, 8) & 0xFF)
            i += 1 + len(digits)
        elif nxt == "x" and re.match(r"[0-9A-Fa-f]{1,2}", text[i + 2:]):
            digits = re.match(r"[0-9A-Fa-f]{1,2}", text[i + 2:]).group(0)
            raw.append(int(digits, 16))
            i += 2 + len(digits)
        else:
            raise CatalogError(path, lineno, f"invalid escape sequence \\{nxt} in a string")
    flush()
    return "".join(out)


def _literal(rest: str, path: Path, lineno: int, codec: str) -> str:
    """Validate `"..."` (the whole rest of a line) and return it re-quoted with the escapes polib knows."""
    rest = rest.strip()
    if not rest.startswith('"'):
        raise CatalogError(path, lineno, 'expected a quoted string ("...")')
    match = re.match(r'"((?:[^"\\]|\\.)*)"', rest)
    if not match:
        raise CatalogError(path, lineno, "string is not terminated: a closing \" is missing")
    if rest[match.end():].strip():
        extra = rest[match.end():][:30]
        raise CatalogError(path, lineno, f"unexpected text after the closing quote: {extra!r}")
    value = _decode_literal(match.group(1), path, lineno, codec)
    return '"' + "".join(ESCAPES.get(c, c) for c in value) + '"'


def _prescan(lines: list[str], path: Path, codec: str) -> list[str]:
    """Check every line and rewrite it into what polib parses faithfully (one output line per input line).

    Catches what polib would silently get wrong: an unterminated string, an unknown escape, text after a
    string, a msgid without msgstr. Rewrites `#~|` (which polib skips) into `#|`: the entry it belongs to is
    then marked obsolete by its `#~ msgid` line, so the previous msgid survives.
    """
    out: list[str] = []
    expect: tuple[int, str] | None = None  # (line, keyword) still waiting for its msgstr
    for lineno, original in enumerate(lines, 1):
        line = original.strip()
        if lineno == 1 and line.startswith("\ufeff"):
            line = line[1:].strip()
        prefix = ""
        if line.startswith("#~"):
            body = line[2:]
            if body.startswith("|"):
                prefix, line = "#| ", body[1:].strip()
            else:
                line = body.strip()
                if not line:
                    out.append("")
                    continue
                if line.startswith("#"):  # "#~ #, fuzzy" and the like: a comment of an obsolete entry
                    prefix = ""
                else:
                    prefix = "#~ "
        elif line.startswith("#|"):
            prefix, line = "#| ", line[2:].strip()
        elif line.startswith("#"):
            out.append(_normalise_comment(line))
            continue
        if not line:  # a bare "#|" or "#~|" carries nothing
            out.append("")
            continue
        if line.startswith("#"):
            out.append(_normalise_comment(line))
            continue
        if line.startswith('"'):
            out.append(prefix + _literal(line, path, lineno, codec))
            continue
        match = _KEYWORD.match(line)
        if not match:
            raise CatalogError(path, lineno, f"unexpected text {line[:40]!r}: a PO line starts with #, "
                                             "msgctxt, msgid, msgid_plural, msgstr or a quoted string")
        keyword = match.group(1)
        if match.group(2) is not None and int(match.group(2)) > 9:
            raise CatalogError(path, lineno, f"plural form index {match.group(2)} is not supported (max 9)")
        value = _literal(line[match.end():], path, lineno, codec)
        if prefix != "#| ":
            base = "msgstr" if keyword.startswith("msgstr") else keyword
            if base in ("msgid", "msgctxt") and expect and expect[1] in ("msgid", "msgid_plural"):
                raise CatalogError(path, expect[0], f"{expect[1]} without msgstr")
            if base == "msgid_plural" and not (expect and expect[1] == "msgid"):
                raise CatalogError(path, lineno, "msgid_plural without msgid")
            if base == "msgstr":
                if not expect or expect[1] not in ("msgid", "msgid_plural", "msgstr"):
                    raise CatalogError(path, lineno, "msgstr without msgid")
                if expect[1] == "msgid" and keyword != "msgstr":
                    raise CatalogError(path, lineno, "msgstr[n] without msgid_plural")
                if expect[1] == "msgid_plural" and keyword == "msgstr":
                    raise CatalogError(path, lineno, "msgid_plural needs msgstr[0], msgstr[1], ...")
            expect = (lineno, base) if base != "msgctxt" else (lineno, "msgctxt")
        out.append(f"{prefix}{keyword} {value}")
    if expect and expect[1] in ("msgid", "msgid_plural", "msgctxt"):
        raise CatalogError(path, expect[0], f"{expect[1]} without msgstr at the end of the file")
    return out


def _normalise_comment(line: str) -> str:
    """`#.foo` -> `#. foo` etc., which polib needs; translator comments keep their text."""
    if len(line) > 1 and line[1] in ".:,|":
        mark, rest = line[:2], line[2:]
        return f"{mark} {rest[1:] if rest.startswith(' ') else rest}" if rest.strip() else mark
    if line == "#" or line[1] == " ":
        return line
    return "# " + line[1:]


def parse_po(data: bytes, path: Path) -> polib.POFile:
    """A polib POFile from the bytes of a catalog, or CatalogError with the line that is wrong."""
    codec, _ = _header_charset(data, path)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CatalogError(path, line, f"bytes that are not valid {codec} (declared charset)") from None
    crlf = text.count("\r\n")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    clean = _prescan(lines, path, codec)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".po", delete=False) as tmp:
        tmp.write("\n".join(clean) + "\n")
    try:
        po = polib.pofile(tmp.name, encoding="utf-8", wrapwidth=WRAP_WIDTH)
    except (OSError, ValueError, IndexError, KeyError) as exc:
        match = _POLIB_LINE.search(str(exc))
        line = int(match.group(1)) if match else 1
        raise CatalogError(path, line, "syntax error: entry fields out of order "
                                       "(expected comments, msgctxt, msgid, msgid_plural, msgstr)") from None
    finally:
        os.unlink(tmp.name)
    po.fpath = str(path)
    po.encoding = codec
    po.newline = "\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n"
    seen: dict[tuple[str | None, str], int] = {}
    for entry in po:
        if entry.obsolete:
            continue
        key = (entry.msgctxt, entry.msgid)
        line = entry.linenum or 1
        if key in seen:
            raise CatalogError(path, line, f"duplicate message definition (first at line {seen[key]}): "
                                           f"{entry.msgid[:50]!r}")
        seen[key] = line
    return po


def read_po(path: Path) -> polib.POFile:
    """The catalog on disk; an absent file reads as an empty catalog."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return empty_po(path)
    return parse_po(data, path)


def empty_po(path: Path) -> polib.POFile:
    po = polib.POFile(wrapwidth=WRAP_WIDTH, encoding="utf-8")
    po.fpath = str(path)
    po.newline = "\n"
    return po


