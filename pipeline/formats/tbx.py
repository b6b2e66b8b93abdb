"""TBX, the terminology exchange format (ISO 30042): what translators' tools (OmegaT, Trados, memoQ,
Weblate) import and export, so a glossary can travel both ways.

Writes TBX-Basic v3 (DCA style, with the `<?xml-model?>` lines naming its RELAX NG and Schematron schemas) and
TBX v2 (martif: termEntry/langSet/tig, what translate-toolkit's tbx storage and so Weblate read); reads v3
(conceptEntry/langSec/termSec) and v2 (martif termEntry/langSet/tig)
through defusedxml with line numbers. A format module: it builds the glossary's Concept dataclasses from the
model module and imports no stage.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from pipeline.concepts import CASE_RULES, LANGS, Concept, GlossaryError, looks_like_acronym
from pipeline.files import write_text

TBX_NS = "urn:iso:std:iso:30042:ed-2"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_FLAG = "pipeline:"  # concept-level <note> carrying a field TBX-Basic has no data category for
# The schema lines of TBX-Basic (LTAC's dialect files), so a validating editor checks the file against them.
_XML_MODEL = (
    '<?xml-model href="https://raw.githubusercontent.com/LTAC-Global/TBX-Basic_dialect/master/DCA/'
    'TBXcoreStructV03_TBX-Basic_integrated.rng" type="application/xml" '
    'schematypens="http://relaxng.org/ns/structure/1.0"?>\n'
    '<?xml-model href="https://raw.githubusercontent.com/LTAC-Global/TBX-Basic_dialect/master/DCA/'
    'TBX-Basic_DCA.sch" type="application/xml" schematypens="http://purl.oclc.org/dsdl/schematron"?>\n')
_DROPPED_STATUS = ("deprecated", "superseded", "notrecommended", "obsolete", "forbidden")


# ---------------------------------------------------------------- writing


def tbx_text(concepts: Iterable[Concept]) -> str:
    """TBX-Basic (ISO 30042:2019, DCA style). Our fields TBX-Basic lacks go into `pipeline:` notes."""
    root = ET.Element("tbx", {"type": "TBX-Basic", "style": "dca", _XML_LANG: "en", "xmlns": TBX_NS})
    source_desc = ET.SubElement(ET.SubElement(ET.SubElement(root, "tbxHeader"), "fileDesc"), "sourceDesc")
    ET.SubElement(source_desc, "p").text = f"Exported by `pipeline glossary export` (en -> {', '.join(LANGS)})"
    body = ET.SubElement(ET.SubElement(root, "text"), "body")
    for c in concepts:
        _write_entry(body, c, "conceptEntry", "langSec", "termSec")
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + _XML_MODEL + ET.tostring(root, encoding="unicode") + "\n"


def tbx2_text(concepts: Iterable[Concept]) -> str:
    """TBX v2 (martif, ISO 30042:2008): the dialect translate-toolkit's tbx storage reads, and so Weblate's
    glossary import. The same content as tbx_text."""
    root = ET.Element("martif", {"type": "TBX", _XML_LANG: "en"})
    source_desc = ET.SubElement(ET.SubElement(ET.SubElement(root, "martifHeader"), "fileDesc"), "sourceDesc")
    ET.SubElement(source_desc, "p").text = f"Exported by `pipeline glossary export` (en -> {', '.join(LANGS)})"
    body = ET.SubElement(ET.SubElement(root, "text"), "body")
    for c in concepts:
        _write_entry(body, c, "termEntry", "langSet", "tig")
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _write_entry(body: ET.Element, c: Concept, entry_tag: str, lang_tag: str, term_tag: str) -> None:
    """One concept. Its type (institution, title, place…) is a `pipeline:type=` note: subjectField is for a
    subject (law, religion), which the glossary does not record."""
    entry = ET.SubElement(body, entry_tag, {"id": c.id})
    flags = [f"type={c.type}"] if c.type else []
    flags += [f"dnt={'yes' if c.dnt else 'no'}", f"confirmed={'yes' if c.confirmed else 'no'}"]
    if c.case != "auto":
        flags.append(f"case={c.case}")
    flags += [f"column:{k}={v}" for k, v in c.extra.items()]
    for flag in flags:
        ET.SubElement(entry, "note").text = _FLAG + flag
    if c.notes:
        ET.SubElement(entry, "note").text = c.notes
    _write_lang(entry, "en", (c.en, *c.en_variants), "", lang_tag, term_tag)
    for lang in LANGS:
        if lang in c.targets or lang in c.sources:
            terms = (c.targets.get(lang, ""), *c.target_variants.get(lang, ()))
            _write_lang(entry, lang, terms, c.sources.get(lang, ""), lang_tag, term_tag)


def _write_lang(entry: ET.Element, lang: str, terms: tuple[str, ...], source: str, lang_tag: str,
                term_tag: str) -> None:
    """One langSec (langSet): the preferred term first (with its source), then the admitted variants."""
    lang_sec = ET.SubElement(entry, lang_tag, {_XML_LANG: lang})
    for k, term in enumerate(terms):
        term_sec = ET.SubElement(lang_sec, term_tag)
        ET.SubElement(term_sec, "term").text = term
        if looks_like_acronym(term) and len(term) < 8:
            ET.SubElement(term_sec, "termNote", {"type": "termType"}).text = "acronym"
        status = "preferredTerm-admn-sts" if k == 0 else "admittedTerm-admn-sts"
        ET.SubElement(term_sec, "termNote", {"type": "administrativeStatus"}).text = status
        if k == 0 and source:
            ET.SubElement(term_sec, "admin", {"type": "source"}).text = source


def write_tbx(concepts: Iterable[Concept], path: Path) -> None:
    write_text(path, tbx_text(concepts))


def write_tbx2(concepts: Iterable[Concept], path: Path) -> None:
    write_text(path, tbx2_text(concepts))


# ---------------------------------------------------------------- reading


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[_Node] = field(default_factory=list)
    text: str = ""

    def kids(self, *tags: str) -> list[_Node]:
        return [k for k in self.children if k.tag in tags]


def _parse_xml(data: bytes, path: str) -> _Node:
    """Element tree with line numbers, through defusedxml.

    Entity declarations are refused (no billion laughs); an external DTD (TBX v2 files name TBXcdv04.dtd)
    is skipped, never fetched.
    """
    from xml.sax import SAXParseException
    from xml.sax.handler import ContentHandler, feature_external_ges, feature_external_pes

    from defusedxml import DefusedXmlException
    from defusedxml.expatreader import DefusedExpatParser

    class Builder(ContentHandler):
        def __init__(self):
            super().__init__()
            self.stack: list[_Node] = []
            self.root: _Node | None = None
            self._locator = None

        def setDocumentLocator(self, locator):  # noqa: N802 (SAX API)
            self._locator = locator

        def startElement(self, name, attrs):  # noqa: N802
            line = self._locator.getLineNumber() if self._locator else 0
            node = _Node(name.split(":")[-1], dict(attrs), line)
            if self.stack:
                self.stack[-1].children.append(node)
            else:
                self.root = node
            self.stack.append(node)

        def endElement(self, name):  # noqa: N802
            self.stack.pop()

        def characters(self, content):
            if self.stack:
                self.stack[-1].text += content

    builder = Builder()
    parser = DefusedExpatParser(forbid_dtd=False, forbid_entities=True, forbid_external=False)
    parser.setFeature(feature_external_ges, False)
    parser.setFeature(feature_external_pes, False)
    parser.setContentHandler(builder)
    try:
        parser.parse(io.BytesIO(data))
    except SAXParseException as exc:
        raise GlossaryError(path, exc.getLineNumber(), f"malformed XML: {exc.getMessage()}") from None
    except DefusedXmlException as exc:
        raise GlossaryError(path, parser.getLineNumber(), f"refused XML (entity declarations are not "
                            f"allowed): {exc}") from None
    assert builder.root is not None
    return builder.root


def _lang_code(value: str) -> str:
    return value.replace("_", "-").split("-")[0].lower()


@dataclass(frozen=True)
class _Term:
    text: str
    status: str  # administrativeStatus, lower case ("preferredterm-admn-sts"), "" when not given
    source: str


@dataclass
class _Fields:
    """Concept-level data of an entry: subject field, notes, our `pipeline:` flags and carried columns."""

    type: str = ""
    notes: list[str] = field(default_factory=list)
    flags: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)


def read_tbx(path: Path, lang_map: dict[str, str] | None = None) -> tuple[list[Concept], list[str]]:
    """Concepts from a TBX file (TBX v3 conceptEntry/langSec/termSec, or v2 martif termEntry/langSet/tig).

    `lang_map` renames language codes first (`{"xx": "ru"}`: translate-toolkit's csv2tbx writes `xx` when it is
    not told the language). Returns warnings for what has no place in the glossary (other languages beside
    ours, deprecated terms). Raises GlossaryError with the line for malformed XML, an entry that cannot become
    a concept, or a file whose only target languages are unknown codes (it would import as English only).
    """
    shown = str(path)
    root = _parse_xml(Path(path).read_bytes(), shown)
    if root.tag not in ("tbx", "martif"):
        raise GlossaryError(shown, root.line, f"not a TBX file: the root element is <{root.tag}>")
    lang_map = {_lang_code(k): _lang_code(v) for k, v in (lang_map or {}).items()}
    _check_languages(root, lang_map, shown)
    warnings: list[str] = []
    concepts = [_read_entry(entry, shown, warnings, lang_map) for entry in _entries(root)]
    return concepts, warnings


def _section_lang(node: _Node, lang_map: dict[str, str]) -> str:
    code = _lang_code(node.attrs.get("xml:lang", node.attrs.get("lang", "")))
    return lang_map.get(code, code)


def _check_languages(root: _Node, lang_map: dict[str, str], shown: str) -> None:
    """Unknown codes are an error when they are the file's only target languages (a mislabelled file)."""
    found: dict[str, int] = {}
    first: dict[str, int] = {}
    for entry in _entries(root):
        for section in entry.kids("langSec", "langSet"):
            code = _section_lang(section, lang_map)
            found[code] = found.get(code, 0) + 1
            first.setdefault(code, section.line)
    unknown = {code: n for code, n in found.items() if code not in ("en", *LANGS)}
    if unknown and not any(code in LANGS for code in found):
        listed = ", ".join(f"{code or '(none)'} ({n} entries)" for code, n in sorted(unknown.items()))
        example = next(iter(sorted(unknown))) or "xx"
        raise GlossaryError(shown, first[next(iter(sorted(unknown)))],
                            f"no language this glossary knows ({', '.join(LANGS)}); languages found: {listed}. "
                            f"Name each with --lang-map, e.g. --lang-map {example}=ru")


def _entries(root: _Node) -> list[_Node]:
    """Every conceptEntry (v3) or termEntry (v2) in document order, wherever it is nested."""
    entries, stack = [], list(reversed(root.children))
    while stack:
        node = stack.pop()
        if node.tag in ("conceptEntry", "termEntry"):
            entries.append(node)
        else:
            stack.extend(reversed(node.children))
    return entries


def _read_entry(entry: _Node, shown: str, warnings: list[str], lang_map: dict[str, str]) -> Concept:
    concept_id = entry.attrs.get("id", "").strip()
    fields = _concept_fields(entry)
    terms: dict[str, tuple[_Term, ...]] = {}  # lang -> kept terms, preferred first
    for lang_sec in entry.kids("langSec", "langSet"):
        lang = _section_lang(lang_sec, lang_map)
        kept = _lang_terms(lang_sec, lang, shown, warnings)
        if kept:
            terms[lang] = kept
    if "en" not in terms:
        raise GlossaryError(shown, entry.line, f"entry {concept_id or '(no id)'} has no English term")
    en = terms.pop("en")
    if concept_id == en[0].text and not re.fullmatch(r"[a-z0-9-]+", concept_id):
        concept_id = ""  # another tool's id is the English term (csv2tbx): ours is its slug
    if not concept_id:
        concept_id = re.sub(r"[^a-z0-9]+", "-", en[0].text.casefold()).strip("-") or f"line-{entry.line}"
        if entry.attrs.get("id", "").strip() != en[0].text:
            warnings.append(f"{shown}:{entry.line}: entry without id: named it {concept_id!r}")
    case = fields.flags.get("case", "auto")
    if case not in CASE_RULES:
        raise GlossaryError(shown, entry.line, f"pipeline:case={case!r}: expected one of {CASE_RULES}")
    return Concept(
        id=concept_id, type=fields.flags.get("type", fields.type), en=en[0].text,
        en_variants=tuple(t.text for t in en[1:]),
        targets={lang: kept[0].text for lang, kept in terms.items()},
        target_variants={lang: tuple(t.text for t in kept[1:]) for lang, kept in terms.items() if kept[1:]},
        dnt=fields.flags.get("dnt") == "yes", notes="\n".join(fields.notes),
        sources={lang: kept[0].source for lang, kept in terms.items() if kept[0].source},
        confirmed=fields.flags.get("confirmed", "no") == "yes", case=case, extra=fields.extra,
    )


def _concept_fields(entry: _Node) -> _Fields:
    fields = _Fields()
    for k in entry.children:
        if k.tag == "descrip" and k.attrs.get("type") == "subjectField":
            fields.type = k.text.strip()
        elif k.tag == "note" and k.text.startswith(_FLAG) and "=" in k.text:
            name, _, value = k.text[len(_FLAG):].partition("=")
            if name.startswith("column:"):
                fields.extra[name[len("column:"):]] = value
            else:
                fields.flags[name] = value
        elif k.tag == "note":
            fields.notes.append(k.text)
        elif k.tag in ("descrip", "descripGrp") and k.text.strip():
            fields.notes.append(f"{k.attrs.get('type', k.tag)}: {k.text.strip()}")
    return fields


def _lang_terms(lang_sec: _Node, lang: str, shown: str, warnings: list[str]) -> tuple[_Term, ...]:
    """The usable terms of one language section, preferred first; warns about what it leaves out."""
    terms = [_read_term(ts, shown) for ts in lang_sec.kids("termSec", "tig", "ntig")]
    kept = [t for t in terms if not t.status.startswith(_DROPPED_STATUS)]
    for t in terms:
        if t.status.startswith(_DROPPED_STATUS):
            warnings.append(f"{shown}:{lang_sec.line}: dropped {t.status} {lang} term {t.text!r}")
    if lang not in ("en", *LANGS):
        warnings.append(f"{shown}:{lang_sec.line}: ignored language {lang!r} ({len(terms)} term(s))")
        return ()
    if not kept:
        return ()
    preferred = next((t for t in kept if t.status.startswith("preferred")), kept[0])
    return (preferred, *(t for t in kept if t is not preferred))


def _read_term(ts: _Node, shown: str) -> _Term:
    """A termSec (v3) or tig/ntig (v2): the term, its administrative status and its source."""
    groups = [ts, *ts.kids("termGrp")]
    term_nodes = [n for g in groups for n in g.kids("term")]
    if not term_nodes or not term_nodes[0].text.strip():
        raise GlossaryError(shown, ts.line, "a term section without a term")
    status, source = "", ""
    for n in (n for g in groups for n in g.children):
        if n.tag == "administrativeStatus" or (n.tag == "termNote" and n.attrs.get("type") == "administrativeStatus"):
            status = n.text.strip().lower()
        elif n.tag in ("admin", "descrip") and n.attrs.get("type") == "source":
            source = n.text.strip()
    return _Term(term_nodes[0].text.strip(), status, source)
