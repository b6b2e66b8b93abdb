"""The gettext PO format: a strict reader and a GNU msgcat-compatible writer.

Reading is strict: a broken catalog is an error with its file and line, never a silently truncated string
(polib alone skips `#~|` lines and cuts a string with a missing quote). Writing follows GNU msgcat's layout
(page width 79, the same Unicode line-breaking opportunities as libunistring), so a round trip through
`msgcat` or `msgmerge` does not reflow the whole file.

A format, not a stage: the catalogs stage merges and writes catalogs, the memory harvests them and publish
reads them, all through this module.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

import polib

from pipeline import files
from pipeline.errors import CatalogError
from pipeline.formats import utf16_without_bom

WRAP_WIDTH = 79  # GNU gettext's default page width


_KEYWORD = re.compile(r"(msgctxt|msgid_plural|msgid|msgstr\[(\d+)\]|msgstr)(?=[\s\"]|$)")
_CHARSET = re.compile(rb"charset=([A-Za-z0-9_.:\-]+)")
# How a character is written inside a PO string literal (the inverse of _SIMPLE_ESCAPES).
ESCAPES = {"\\": "\\\\", "\t": "\\t", "\r": "\\r", "\n": "\\n", "\v": "\\v", "\b": "\\b", "\f": "\\f",
           '"': '\\"'}
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


_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
_ESCAPE = re.compile(r"\\(.?)")


def _unescape(body: str, path: Path, lineno: int, codec: str) -> str:
    """The value of a string body that holds backslashes: the simple escapes by one regex pass, octal and hex
    escapes (bytes in the catalog's charset) by the slower decoder."""

    def simple(match: re.Match) -> str:
        value = _SIMPLE_ESCAPES.get(match.group(1))
        if value is None:
            raise _NotSimple
        return value

    try:
        return _ESCAPE.sub(simple, body)
    except _NotSimple:
        return _decode_literal(body, path, lineno, codec)


class _NotSimple(Exception):
    """An octal or hex escape (or an invalid one): the full decoder takes over."""


def _string(rest: str, path: Path, lineno: int, codec: str) -> str:
    """The value of `"..."` (the whole rest of a line), checked: a missing quote or text after it is an error."""
    rest = rest.strip()
    if len(rest) > 1 and rest[0] == '"' and rest[-1] == '"' and "\\" not in rest and '"' not in rest[1:-1]:
        return rest[1:-1]  # nothing to decode: most lines, and the reader's hot path
    if not rest.startswith('"'):
        raise CatalogError(path, lineno, 'expected a quoted string ("...")')
    match = _STRING.match(rest)
    if not match:
        raise CatalogError(path, lineno, "string is not terminated: a closing \" is missing")
    if rest[match.end():].strip():
        extra = rest[match.end():][:30]
        raise CatalogError(path, lineno, f"unexpected text after the closing quote: {extra!r}")
    body = match.group(1)
    return _unescape(body, path, lineno, codec) if "\\" in body else body


def _normalise_comment(line: str) -> str:
    """`#.foo` -> `#. foo` etc.; translator comments keep their text."""
    if len(line) > 1 and line[1] in ".:,|":
        mark, rest = line[:2], line[2:]
        return f"{mark} {rest[1:] if rest.startswith(' ') else rest}" if rest.strip() else mark
    if line == "#" or line[1] == " ":
        return line
    return "# " + line[1:]


def _transitions() -> dict[tuple[str, str], str]:
    """Which line may follow which (gettext's order of an entry's parts), as polib's state machine has it:
    (symbol of the line, state) -> next state. Translator comments before the first entry are the header's."""
    every = ["st", "he", "gc", "oc", "fl", "ct", "pc", "pm", "pp", "tc", "ms", "mp", "mx", "mi"]
    table: dict[tuple[str, str], str] = {}
    for symbol, states, after in (
            ("tc", ["st", "he"], "he"),
            ("tc", ["gc", "oc", "fl", "tc", "pc", "pm", "pp", "ms", "mp", "mx", "mi"], "tc"),
            ("gc", every, "gc"), ("oc", every, "oc"), ("fl", every, "fl"), ("pc", every, "pc"),
            ("pm", every, "pm"), ("pp", every, "pp"),
            ("ct", ["st", "he", "gc", "oc", "fl", "tc", "pc", "pm", "pp", "ms", "mx"], "ct"),
            ("mi", ["st", "he", "gc", "oc", "fl", "ct", "tc", "pc", "pm", "pp", "ms", "mx"], "mi"),
            ("mp", ["tc", "gc", "pc", "pm", "pp", "mi"], "mp"),
            ("ms", ["mi", "mp", "tc"], "ms"),
            ("mx", ["mi", "mx", "mp", "tc"], "mx"),
            ("mc", ["ct", "mi", "mp", "ms", "mx", "pm", "pp", "pc"], "mc")):
        for state in states:
            table[(symbol, state)] = after
    return table


_NEXT = _transitions()
_FIELD = {"msgctxt": "ct", "msgid": "mi", "msgstr": "ms", "msgid_plural": "mp"}
_PREVIOUS_FIELD = {"msgctxt": "pc", "msgid": "pm", "msgid_plural": "pp"}
# The entry attribute each reader state fills (msgstr[n], state "mx", goes into msgstr_plural).
_ATTRIBUTE = {"ct": "msgctxt", "mi": "msgid", "mp": "msgid_plural", "ms": "msgstr",
              "pc": "previous_msgctxt", "pm": "previous_msgid", "pp": "previous_msgid_plural"}
_OUT_OF_ORDER = "syntax error: entry fields out of order (expected comments, msgctxt, msgid, msgid_plural, msgstr)"


class _Disorder(Exception):
    """A part of an entry where it cannot be (a msgstr before its msgid, ...): reported after the line checks,
    which name a more precise problem anywhere in the file."""

    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


class _Reader:
    """One pass over a catalog's lines: each line checked (what polib alone would silently get wrong: an
    unterminated string, an unknown escape, text after a string, a msgid without msgstr) and put into the entry
    it belongs to. The entries are polib's, filled as polib's own parser fills them (the same fields, line numbers
    and header), `#~|` previous strings of obsolete entries included (polib skips those)."""

    def __init__(self, path: Path, codec: str):
        self.path, self.codec = path, codec
        self.po = polib.POFile(wrapwidth=WRAP_WIDTH, encoding="utf-8")
        self.entry = polib.POEntry(linenum=0)
        self.state = "st"
        self.expect: tuple[int, str] | None = None  # (line, keyword) still waiting for its msgstr
        self.plural = 0  # the msgstr[n] a continuation line extends
        self.disorder: int | None = None  # the first line out of order: the rest is only checked

    def step(self, symbol: str, lineno: int) -> None:
        """Move to the next part of an entry; a part that starts a new entry closes the one before."""
        after = _NEXT.get((symbol, self.state))
        if after is None:
            raise _Disorder(lineno)
        if symbol in ("tc", "gc", "oc", "fl", "pp", "pm", "pc", "ct", "mi") and self.state in ("ms", "mx"):
            self.po.append(self.entry)
            self.entry = polib.POEntry(linenum=lineno)
        if symbol != "mc":
            self.state = after

    def comment(self, line: str, lineno: int) -> None:
        mark = line[:2]
        if mark in ("#.", "#:", "#,") and len(line.split(None, 2)) <= 1:
            return  # an empty `#.`, `#:` or `#,` carries nothing
        if mark == "#.":
            self.step("gc", lineno)
            self.entry.comment = f"{self.entry.comment}\n{line[3:]}" if self.entry.comment else line[3:]
        elif mark == "#:":
            self.step("oc", lineno)
            for occurrence in line[3:].split():
                where, _, number = occurrence.rpartition(":")
                self.entry.occurrences.append((where, number) if where and number.isdigit() else (occurrence, ""))
        elif mark == "#,":
            self.step("fl", lineno)
            self.entry.flags += [flag.strip() for flag in line[3:].split(",")]
        else:
            text = line.lstrip("#")
            text = text[1:] if text.startswith(" ") else text
            if self.state in ("st", "he"):
                self.step("tc", lineno)
                self.po.header = f"{self.po.header}\n{text}" if self.po.header else text
                return
            self.step("tc", lineno)
            self.entry.tcomment = f"{self.entry.tcomment}\n{text}" if self.entry.tcomment else text

    def check_order(self, keyword: str, lineno: int) -> None:
        """An entry's msgid needs its msgstr before anything else starts (checked before the order of parts)."""
        base = "msgstr" if keyword.startswith("msgstr") else keyword
        expect = self.expect
        if base in ("msgid", "msgctxt") and expect and expect[1] in ("msgid", "msgid_plural"):
            raise CatalogError(self.path, expect[0], f"{expect[1]} without msgstr")
        if base == "msgid_plural" and not (expect and expect[1] == "msgid"):
            raise CatalogError(self.path, lineno, "msgid_plural without msgid")
        if base == "msgstr":
            if not expect or expect[1] not in ("msgid", "msgid_plural", "msgstr"):
                raise CatalogError(self.path, lineno, "msgstr without msgid")
            if expect[1] == "msgid" and keyword != "msgstr":
                raise CatalogError(self.path, lineno, "msgstr[n] without msgid_plural")
            if expect[1] == "msgid_plural" and keyword == "msgstr":
                raise CatalogError(self.path, lineno, "msgid_plural needs msgstr[0], msgstr[1], ...")
        self.expect = (lineno, base)

    def field(self, keyword: str, value: str, lineno: int, obsolete: bool) -> None:
        entry = self.entry
        if keyword.startswith("msgstr["):
            self.step("mx", lineno)
            self.plural = int(keyword[7])
            entry.msgstr_plural[self.plural] = value
            return
        symbol = _FIELD[keyword]
        self.step(symbol, lineno)
        entry = self.entry  # a new entry when this line began one
        if symbol == "mi":
            entry.obsolete = int(obsolete)
        setattr(entry, _ATTRIBUTE[symbol], value)

    def previous(self, keyword: str, value: str, lineno: int) -> None:
        symbol = _PREVIOUS_FIELD.get(keyword)
        if symbol is None:  # `#| msgstr`: only sources have a previous version
            raise _Disorder(lineno)
        self.step(symbol, lineno)
        setattr(self.entry, _ATTRIBUTE[symbol], value)

    def continuation(self, value: str, lineno: int) -> None:
        self.step("mc", lineno)
        entry, state = self.entry, self.state
        if state == "mx":
            entry.msgstr_plural[self.plural] += value
        elif state in _ATTRIBUTE:
            name = _ATTRIBUTE[state]
            setattr(entry, name, getattr(entry, name) + value)

    def _build(self, part, *args) -> None:
        """Put a line into its entry, until a line is out of order (then the lines are only checked)."""
        if self.disorder is None:
            try:
                part(*args)
            except _Disorder as exc:
                self.disorder = exc.line

    def read(self, lines: list[str]) -> polib.POFile:
        path, codec = self.path, self.codec
        last_is_comment = True  # the entry in progress is kept only if the file does not end in comments
        for lineno, original in enumerate(lines, 1):
            line = original.strip()
            if lineno == 1 and line.startswith("\ufeff"):
                line = line[1:].strip()
            if not line:
                continue
            obsolete = previous = False
            if line[0] == "#":
                mark = line[1:2]
                if mark == "~":
                    body = line[2:]
                    if body.startswith("|"):
                        previous, line = True, body[1:].strip()
                    else:
                        line = body.strip()
                        obsolete = not line.startswith("#")  # "#~ #, fuzzy": a comment of an obsolete entry
                elif mark == "|":
                    previous, line = True, line[2:].strip()
                if not line:  # a bare "#|", "#~" or "#~|" carries nothing
                    continue
                if line[0] == "#":
                    line = _normalise_comment(line)
                    if line.startswith("#|"):  # "#~ #| msgid ...": a previous string all the same
                        previous, line = True, line[2:].strip()
                        if not line:
                            continue
                    else:
                        self._build(self.comment, line, lineno)
                        last_is_comment = True
                        continue
            last_is_comment = previous
            if line[0] == '"':
                self._build(self.continuation, _string(line, path, lineno, codec), lineno)
                continue
            match = _KEYWORD.match(line)
            if not match:
                raise CatalogError(path, lineno, f"unexpected text {line[:40]!r}: a PO line starts with #, "
                                                 "msgctxt, msgid, msgid_plural, msgstr or a quoted string")
            keyword = match.group(1)
            if match.group(2) is not None and int(match.group(2)) > 9:
                raise CatalogError(path, lineno, f"plural form index {match.group(2)} is not supported (max 9)")
            value = _string(line[match.end():], path, lineno, codec)
            if previous:
                self._build(self.previous, keyword, value, lineno)
            else:
                self.check_order(keyword, lineno)
                self._build(self.field, keyword, value, lineno, obsolete)
        if self.expect and self.expect[1] in ("msgid", "msgid_plural", "msgctxt"):
            raise CatalogError(path, self.expect[0], f"{self.expect[1]} without msgstr at the end of the file")
        if self.disorder is not None:
            raise CatalogError(path, self.disorder, _OUT_OF_ORDER)
        if not last_is_comment:
            self.po.append(self.entry)
        self._header()
        return self.po

    def _header(self) -> None:
        """The entry with an empty msgid becomes the header fields, as polib does."""
        po = self.po
        found = [e for e in po if not e.obsolete and e.msgid == ""]
        if not found:
            return
        header = found[0] if len(found) == 1 else next((e for e in reversed(found) if not e.msgctxt), found[0])
        po.remove(header)
        po.metadata_is_fuzzy = header.flags
        key = None
        for line in header.msgstr.splitlines():
            try:
                key, value = line.split(":", 1)
                po.metadata[key] = value.strip()
            except ValueError:
                if key is not None:
                    po.metadata[key] += "\n" + line.strip()


def parse_po(data: bytes, path: Path) -> polib.POFile:
    """A polib POFile from the bytes of a catalog, or CatalogError with the line that is wrong."""
    if encoding := utf16_without_bom(data):
        raise CatalogError(path, 1, f"the file is {encoding} without a byte-order mark; gettext reads catalogs in "
                                    "an ASCII-compatible encoding: save it as UTF-8")
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
    po = _Reader(path, codec).read(lines)
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


# ---------------------------------------------------------------- writing (GNU msgcat layout)

_CLOSE = set("}\u0f3b\u0f3d\u169c\u2046\u207e\u208e\u232a\u3009\u300b\u300d\u300f\u3011")
_CLOSE_PAREN = set(")]")
_EXCLAM = set("!?\u061b\u061e\u061f\u06d4\u0f0d\u1802\u1803\u1808\u1809\u2762\u2763\ufe15\ufe16\uff01\uff1f")
_INFIX = set(",.:;\u037e\u0589\u060c\u060d\u07f8\u2044\ufe10\ufe13\ufe14")
_BREAK_AFTER = set("|\u00ad\u058a\u1680\u2010\u2012\u2013\u205f\u2027\u2000\u2001\u2002\u2003\u2004\u2005"
                   "\u2006\u2008\u2009\u200a")
_GLUE = set("\u00a0\u202f\u2007\u2011\u0f0c\u034f\u2060\ufeff\u180e")
_ELLIPSIS = set("\u2024\u2025\u2026\ufe19")
_PREFIX = set("$+\\\u00a3\u00a5\u20ac\u00b1\u2116")
_POSTFIX = set("%\u00a2\u00b0\u2030\u2031\u2032\u2033")
_QUOTE = set("\"'\u00ab\u00bb\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u2039\u203a")
_WORDISH = {"AL", "NU", "PR", "PO", "QU"}


@lru_cache(maxsize=8192)  # a pure function of one character: each distinct one is classified once
def _break_class(ch: str) -> str:
    """A Unicode line-breaking class (UAX #14, the part libunistring applies to PO strings)."""
    if ch == " ":
        return "SP"
    if ch == "-":
        return "HY"
    if ch == "/":
        return "SY"
    if ch == "\u2014":
        return "B2"
    if ch == "\u200b":
        return "ZW"
    for chars, cls in ((_GLUE, "GL"), (_EXCLAM, "EX"), (_INFIX, "IS"), (_CLOSE_PAREN, "CP"), (_CLOSE, "CL"),
                       (_BREAK_AFTER, "BA"), (_ELLIPSIS, "IN"), (_PREFIX, "PR"), (_POSTFIX, "PO"),
                       (_QUOTE, "QU")):
        if ch in chars:
            return cls
    category = unicodedata.category(ch)
    if category in ("Mn", "Me", "Mc", "Cf"):
        return "CM"
    if category == "Nd":
        return "NU"
    if category == "Ps":
        return "OP"
    if category == "Pe":
        return "CL"
    if category in ("Pi", "Pf"):
        return "QU"
    if category == "Sc":
        return "PR"
    if category == "Zs":
        return "BA"
    return "AL"


@lru_cache(maxsize=8192)
def _char_width(ch: str) -> int:
    if unicodedata.category(ch) in ("Mn", "Me", "Cf") or ch == "\u200b":
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


_INSIDE_WORD = (_WORDISH, _WORDISH | {"OP"})  # (before, after) pairs where UAX #14 never breaks


def _may_break(classes: list[str], i: int) -> bool:
    """May a line break before position i (classes of the escaped characters, combining marks resolved)?"""
    if i == 0:
        return False
    b = classes[i]
    j = i - 1
    while j > 0 and classes[j] == "CM":
        j -= 1
    a = classes[j]
    if a == "CM":
        a = "AL"
    if b == "CM":
        return False
    if a == "ZW":
        return True
    if b in ("SP", "CL", "CP", "EX", "IS", "SY", "GL") or a == "GL":
        return False
    if a == "SP":
        k = j
        while k > 0 and classes[k] == "SP":
            k -= 1
        before = classes[k]
        return not (before == "OP" or (before == "QU" and b == "OP") or (before == "B2" and b == "B2"))
    if a == "OP" or b in ("BA", "HY", "IN"):
        return False
    if b == "QU" or a == "QU":
        return False
    if b == "NU" and a in ("HY", "IS", "SY", "PR", "PO", "AL", "NU", "CP"):
        return False
    if a in _INSIDE_WORD[0] and b in _INSIDE_WORD[1]:
        return False
    if (a == "CP" and b == "AL") or (a in ("CL", "CP") and b in ("PR", "PO")):
        return False
    if a == "B2" and b == "B2":
        return False
    return True


def _escape_portion(portion: str) -> tuple[list[str], list[bool]]:
    """Escaped characters of one portion and, per character, whether a break before it is forbidden."""
    chars: list[str] = []
    forbid: list[bool] = []
    for ch in portion:
        if ch in ESCAPES:
            chars += ["\\", ESCAPES[ch][1]]
            forbid += [False, True]
        else:
            chars.append(ch)
            forbid.append(False)
    if portion.endswith("\n"):
        forbid[-2] = True  # never break right before the final "\n"
    return chars, forbid


def _opportunities(chars: list[str], forbid: list[bool]) -> tuple[list[int], list[int]]:
    """Where a line may break (positions) and the columns the characters take (prefix sums): both independent
    of where the line starts, so each portion is classified once for both layouts `_wrapped` tries. Most places
    are inside a word, which the pair test settles without the full rules."""
    classes = [_break_class(c) for c in chars]
    before, after = _INSIDE_WORD
    places = [i for i in range(1, len(chars))
              if not forbid[i] and not (classes[i - 1] in before and classes[i] in after) and _may_break(classes, i)]
    return places, list(accumulate(map(_char_width, chars), initial=0))


def _line_breaks(places: list[int], columns: list[int], width: int, startcol: int) -> list[int]:
    """Greedy breaking as libunistring does: a piece that would cross `width` moves to the next line."""
    breaks: list[int] = []
    column = startcol
    last: int | None = None
    start = 0
    for place in places:
        piece = columns[place] - columns[start]
        if last is not None and column + piece > width:
            breaks.append(last)
            column = 0
        last = place
        column += piece
        start = place
    if last is not None and column + columns[-1] - columns[start] > width:
        breaks.append(last)
    return breaks


def _wrap(prefix: str, name: str, value: str, width: int = WRAP_WIDTH) -> list[str]:
    """`name "value"` lines as GNU gettext writes them (page width, `\\n` ends a line, `name ""` first)."""
    return list(_wrapped(prefix, name, value, width))


@lru_cache(maxsize=65536)  # a run writes one sentence into a template and three catalogs, and re-runs rewrite none
def _wrapped(prefix: str, name: str, value: str, width: int) -> tuple[str, ...]:
    portions = re.findall(r"[^\n]*\n|[^\n]+$", value) or [""]
    lines: list[str] = []
    first = True
    after_break = len(prefix) + 1
    avail = width - 1 - after_break
    for index, portion in enumerate(portions):
        chars, forbid = _escape_portion(portion)
        places, columns = _opportunities(chars, forbid)
        startcol = (len(prefix) + len(name) + 2 if first else len(prefix) + 1) - after_break
        breaks = _line_breaks(places, columns, avail, startcol)
        if first and chars and (index < len(portions) - 1 or startcol > avail or breaks):
            lines.append(f'{prefix}{name} ""')
            first = False
            breaks = _line_breaks(places, columns, avail, 0)
        bounds = [0, *breaks, len(chars)]
        for n in range(len(bounds) - 1):
            text = "".join(chars[bounds[n]:bounds[n + 1]])
            lead = f"{name} " if first else ""
            first = False
            lines.append(f'{prefix}{lead}"{text}"')
    return tuple(lines)


def _comment_lines(mark: str, text: str) -> list[str]:
    return [f"{mark} {line}" if line else mark for line in text.split("\n")]


def _reference_lines(occurrences: Sequence[tuple[str, str]], width: int = WRAP_WIDTH) -> list[str]:
    lines: list[str] = []
    current = "#:"
    for source, line in occurrences:
        ref = f"{source}:{line}" if line else source
        if current != "#:" and len(current) + len(ref) + 1 > width:
            lines.append(current)
            current = "#:"
        current += " " + ref
    if current != "#:":
        lines.append(current)
    return lines


def written_flags(entry: polib.POEntry) -> list[str]:
    """The flags as the file shows them: each once, `fuzzy` first."""
    flags = [f for f in dict.fromkeys(entry.flags) if f]
    if "fuzzy" in flags:
        flags.remove("fuzzy")
        flags.insert(0, "fuzzy")
    return flags


def _render_entry(entry: polib.POEntry, width: int = WRAP_WIDTH) -> list[str]:
    out: list[str] = []
    if entry.tcomment:
        out += _comment_lines("#", entry.tcomment)
    if entry.comment:
        out += _comment_lines("#.", entry.comment)
    out += _reference_lines(entry.occurrences, width)
    flags = written_flags(entry)
    if flags:
        out.append("#, " + ", ".join(flags))
    prev = "#~| " if entry.obsolete else "#| "
    if entry.previous_msgctxt is not None:
        out += _wrap(prev, "msgctxt", entry.previous_msgctxt, width)
    if entry.previous_msgid is not None:
        out += _wrap(prev, "msgid", entry.previous_msgid, width)
    if entry.previous_msgid_plural is not None:
        out += _wrap(prev, "msgid_plural", entry.previous_msgid_plural, width)
    lead = "#~ " if entry.obsolete else ""
    if entry.msgctxt is not None:
        out += _wrap(lead, "msgctxt", entry.msgctxt, width)
    out += _wrap(lead, "msgid", entry.msgid, width)
    if entry.msgid_plural:
        out += _wrap(lead, "msgid_plural", entry.msgid_plural, width)
        for index in sorted(entry.msgstr_plural):
            out += _wrap(lead, f"msgstr[{index}]", entry.msgstr_plural[index], width)
    else:
        out += _wrap(lead, "msgstr", entry.msgstr, width)
    return out


def _blocks(po: polib.POFile, width: int) -> tuple[list[list[str]], list[polib.POEntry], bool]:
    """The file's blocks of lines (header first, if any), the entries in the order of their blocks, and whether
    there is a header block."""
    blocks: list[list[str]] = []
    head: list[str] = _comment_lines("#", po.header) if po.header else []
    if po.metadata or po.metadata_is_fuzzy:
        flags = [f for f in (po.metadata_is_fuzzy or []) if f] if isinstance(po.metadata_is_fuzzy, list) \
            else (["fuzzy"] if po.metadata_is_fuzzy else [])
        if flags:
            head.append("#, " + ", ".join(flags))
        head.append('msgid ""')
        value = "".join(f"{key}: {val}\n" for key, val in po.metadata.items())
        head += _wrap("", "msgstr", value, width)
    if head:
        blocks.append(head)
    entries = [e for e in po if not e.obsolete] + [e for e in po if e.obsolete]
    blocks += [_render_entry(e, width) for e in entries]
    return blocks, entries, bool(head)


def render_po(po: polib.POFile, width: int = WRAP_WIDTH) -> str:
    """The catalog as text, GNU layout: header, live entries in list order, then obsolete entries."""
    blocks = _blocks(po, width)[0]
    return "\n\n".join("\n".join(block) for block in blocks) + "\n" if blocks else ""


def po_bytes(po: polib.POFile, width: int = WRAP_WIDTH, *, as_read: bool = False) -> bytes:
    """The catalog as its file holds it: rendered, in its own charset and line endings.

    as_read: the entries become what the reader would make of these bytes (their line numbers, flags as written),
    so a caller can keep using them instead of parsing the file it has just written."""
    blocks, entries, has_head = _blocks(po, width)
    text = "\n\n".join("\n".join(block) for block in blocks) + "\n" if blocks else ""
    if as_read:
        line = len(blocks[0]) + 2 if has_head else 1
        header_entry = bool(po.metadata or po.metadata_is_fuzzy)
        for index, (entry, block) in enumerate(zip(entries, blocks[1:] if has_head else blocks, strict=True)):
            # an entry is numbered from its first line, except a first entry with no header entry before it (0)
            entry.linenum = line if header_entry or index else 0
            entry.flags = written_flags(entry)
            line += len(block) + 1
    newline = getattr(po, "newline", "\n")
    if newline != "\n":
        text = text.replace("\n", newline)
    return text.encode(po.encoding or "utf-8")


def save_po(po: polib.POFile, path: Path) -> None:
    """Write a catalog atomically in its own charset and line endings (round trips keep what they read)."""
    files.write_bytes(path, po_bytes(po))
