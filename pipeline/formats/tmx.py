"""TMX 1.4b, the exchange format of translation memories (OmegaT, Trados, Weblate, translate-toolkit).

Reading streams (a million-unit file never sits in memory) through defusedxml's SAX parser: entity
expansion and external entities are refused, an external DTD is skipped, never fetched. Each `<tu>` becomes
one `TmxPair` per target language. Writing produces one `<tu>` per pair, atomically.

A format, not a stage: the memory decides what a pair means (status, origin) from its `<prop>`s.
"""

from __future__ import annotations

import re
import xml.sax
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.handler import ContentHandler
from xml.sax.saxutils import escape, quoteattr

from defusedxml import DefusedXmlException
from defusedxml.expatreader import create_parser

from pipeline.errors import TmxError
from pipeline.files import atomic_writer
from pipeline.formats.langtag import lang_code

DEFAULT_SOURCE_LANG = "en"  # when neither the caller, the <tu> nor the <header> says
_CHUNK = 1 << 16
# XML 1.0 cannot carry these; they are dropped on export.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class TmxPair:
    """One source segment and its translation into one language, from one `<tu>`."""

    source_lang: str
    target_lang: str
    source: str
    target: str
    props: dict[str, str] = field(default_factory=dict)  # the <tu>'s <prop type="...">text</prop>, in order, unstripped
    created: str = ""  # ISO 8601 UTC; empty: the file does not say
    updated: str = ""
    line: int = 0  # where the <tu> starts


def tmx_date(iso: str) -> str:
    """ISO 8601 -> TMX `YYYYMMDDThhmmssZ` (empty when unreadable)."""
    digits = re.sub(r"[^0-9T]", "", iso)[:15]
    return digits + "Z" if len(digits) == 15 else ""


def iso_date(tmx: str) -> str:
    """TMX `YYYYMMDDThhmmssZ` -> ISO 8601 (empty when unreadable)."""
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z?", tmx.strip())
    return f"{m[1]}-{m[2]}-{m[3]}T{m[4]}:{m[5]}:{m[6]}.000000Z" if m else ""


def xml_text(text: str) -> str:
    """Element text; \\r is written as a character reference (any XML parser would turn it into \\n)."""
    return escape(_NOT_XML.sub("", text)).replace("\r", "&#13;")


# ------------------------------------------------------------------------------------------ reading

class TmxReader:
    """The pairs of a TMX file, streamed: `for pair in TmxReader(path): ...`; then `skipped` counts the
    `<tu>`s without a source-language segment or without a translation. A malformed file raises TmxError with
    its line, possibly after some pairs were yielded (callers that must keep nothing use a transaction)."""

    def __init__(self, path: Path, source_lang: str | None = None):
        self.path = Path(path)
        self.source_lang = lang_code(source_lang) if source_lang else None
        self.skipped = 0

    def __iter__(self) -> Iterator[TmxPair]:
        handler = _Handler(self.path, self.source_lang)
        parser = create_parser(forbid_external=False)  # external DTD: skipped, never fetched
        parser.setContentHandler(handler)
        handler.locator = parser
        try:
            with open(self.path, "rb") as f:
                while chunk := f.read(_CHUNK):
                    parser.feed(chunk)
                    yield from handler.take()
            parser.close()
        except xml.sax.SAXParseException as e:
            raise TmxError(self.path, e.getLineNumber(), f"malformed XML: {e.getMessage()}") from e
        except DefusedXmlException as e:
            raise TmxError(self.path, parser.getLineNumber() or 0,
                           f"refused: {type(e).__name__} (entities and external references are not allowed)"
                           ) from e
        finally:
            self.skipped = handler.skipped
        yield from handler.take()


class _Handler(ContentHandler):
    """SAX callbacks. TMX 1.4b: header/tu srclang, tuv xml:lang (or TMX 1.1 `lang`)."""

    def __init__(self, path: Path, source_lang: str | None):
        super().__init__()
        self.path, self.forced_lang = path, source_lang
        self.locator = None
        self.header_lang: str | None = None
        self.stack: list[str] = []
        self.ready: list[TmxPair] = []
        self.skipped = 0
        self.tu: dict | None = None
        self.tuv: dict | None = None
        self.text: list[str] | None = None  # collecting <seg> or <prop> text

    def take(self) -> list[TmxPair]:
        ready, self.ready = self.ready, []
        return ready

    def _line(self) -> int:
        return self.locator.getLineNumber() if self.locator else 0

    def _error(self, message: str) -> TmxError:
        return TmxError(self.path, self._line(), message)

    def startElement(self, name, attrs):
        parent = self.stack[-1] if self.stack else None
        self.stack.append(name)
        if parent is None:
            if name != "tmx":
                raise self._error(f"not a TMX file: the root element is <{name}>, expected <tmx>")
        elif name == "header" and parent == "tmx":
            lang = attrs.get("srclang", "")
            self.header_lang = None if lang.strip().lower() == "*all*" else lang_code(lang) or None
        elif name == "tu":
            if parent != "body":
                raise self._error("<tu> outside <body>")
            lang = attrs.get("srclang", "")
            self.tu = {"line": self._line(), "srclang": None if lang.strip().lower() == "*all*" else
                       lang_code(lang) or None, "created": iso_date(attrs.get("creationdate", "")),
                       "updated": iso_date(attrs.get("changedate", "")), "props": {}, "tuvs": []}
        elif name == "prop" and parent == "tu":
            self.tu["prop"] = attrs.get("type", "")
            self.text = []
        elif name == "tuv":
            if parent != "tu":
                raise self._error("<tuv> outside <tu>")
            lang = attrs.get("xml:lang") or attrs.get("lang") or ""
            if not lang_code(lang):
                raise self._error("<tuv> without xml:lang")
            self.tuv = {"lang": lang_code(lang), "seg": None,
                        "updated": iso_date(attrs.get("changedate", "")),
                        "created": iso_date(attrs.get("creationdate", ""))}
        elif name == "seg":
            if parent != "tuv":
                raise self._error("<seg> outside <tuv>")
            self.text = []

    def characters(self, content):
        if self.text is not None:
            self.text.append(content)  # inline codes (<ph>, <bpt>, ...) keep their text: the native markup

    def endElement(self, name):
        self.stack.pop()
        if name == "seg" and self.tuv is not None:
            self.tuv["seg"] = "".join(self.text or [])
            self.text = None
        elif name == "prop" and self.tu is not None and self.text is not None and self.stack[-1:] == ["tu"]:
            self.tu["props"][self.tu.pop("prop", "")] = "".join(self.text)  # as written: a value may need its spaces
            self.text = None
        elif name == "tuv" and self.tu is not None and self.tuv is not None:
            if self.tuv["seg"] is not None:
                self.tu["tuvs"].append(self.tuv)
            self.tuv = None
        elif name == "tu" and self.tu is not None:
            self._emit(self.tu)
            self.tu = None

    def _emit(self, tu: dict) -> None:
        src_lang = self.forced_lang or tu["srclang"] or self.header_lang or DEFAULT_SOURCE_LANG
        sources = [t for t in tu["tuvs"] if t["lang"] == src_lang]
        targets = [t for t in tu["tuvs"] if t["lang"] != src_lang and t["seg"].strip()]
        if not sources or not sources[0]["seg"].strip() or not targets:
            self.skipped += 1
            return
        for t in targets:
            self.ready.append(TmxPair(src_lang, t["lang"], sources[0]["seg"], t["seg"], tu["props"],
                                      t["created"] or tu["created"], t["updated"] or tu["updated"], tu["line"]))


# ------------------------------------------------------------------------------------------ writing

def write_tmx(path: Path, pairs: Iterable[TmxPair], *, source_lang: str, created: str, tool: str,
              tool_version: str, original_format: str) -> int:
    """Write a TMX 1.4b file, one `<tu>` per pair, atomically; returns the number of pairs written.

    `created` (ISO 8601) dates the header; `original_format` is the header's o-tmf (where the units live).
    """
    count = 0
    with atomic_writer(Path(path)) as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE tmx SYSTEM "tmx14.dtd">\n'
                  '<tmx version="1.4">\n'
                  f'  <header creationtool={quoteattr(tool)} creationtoolversion={quoteattr(tool_version)} '
                  f'segtype="sentence" o-tmf={quoteattr(original_format)} adminlang="en" '
                  f'srclang={quoteattr(lang_code(source_lang))} datatype="plaintext" '
                  f'creationdate="{tmx_date(created)}"/>\n  <body>\n')
        for pair in pairs:
            dates = "".join(f' {k}="{d}"' for k, d in (("creationdate", tmx_date(pair.created)),
                                                     ("changedate", tmx_date(pair.updated))) if d)
            props = "".join(f"      <prop type={quoteattr(kind)}>{xml_text(value)}</prop>\n"
                            for kind, value in pair.props.items())
            out.write(f"    <tu{dates}>\n{props}"
                      f'      <tuv xml:lang={quoteattr(pair.source_lang)}><seg>{xml_text(pair.source)}'
                      f'</seg></tuv>\n'
                      f'      <tuv xml:lang={quoteattr(pair.target_lang)}><seg>{xml_text(pair.target)}'
                      f'</seg></tuv>\n    </tu>\n')
            count += 1
        out.write("  </body>\n</tmx>\n")
    return count
