"""Stage 2: cut an article into headings and sentences.

Translators review sentence by sentence and the memory only pays off when the same sentence is cut the same
way every time, so the splitter is deterministic, rule-based and tuned for English news (datelines,
honorifics, initials, "U.S.", "a.i.", quotes closing after the stop).

Layout rules:

* Plain text: every line break ends a paragraph (blank lines too). Markdown is read as CommonMark with GFM tables
  (markdown-it-py's block tokens and their line maps): ``#`` and setext underlines mark headings; paragraphs of
  list items and block quotes are paragraphs of their own and remember the lists, items and quotes around them
  (nested lists stay nested); each table cell is one segment, never cut into sentences. YAML front matter, code
  (fenced, indented, or inside a quote or item), HTML comments and image-only lines are not translated.
* A heading is a short line (at most 20 words) that starts with a capital letter or digit and has no final
  punctuation. The first block of an article is its title when it looks like one (at most 30 words, one
  sentence, not ending in ``.``, ``:`` ``;`` or ``,``; a ``?`` or ``!`` title is fine). A long, sentence-like
  first line (a lead paragraph, or ``date 2021-03-01 NUR-SULTAN. KAZINFORM – ...``) stays a paragraph.
* Sentence boundaries follow the Golden Rules of the pragmatic segmenter where they apply, but a quotation of
  several sentences is cut at its real sentence ends, so a quote reads the same whether it closes in this
  paragraph or a later one.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Container:
    """One level of Markdown nesting around a segment: a list, an item, a quote, a table, a row or a cell.

    Publish rebuilds the article's structure from these: segments (and code blocks) that share a container sit
    in the same list, item, quote or table.
    """

    kind: str  # "list" | "item" | "quote" | "table" | "row" | "cell"
    serial: int  # order of opening in the article: tells two sibling items or cells apart
    line: int  # 1-based line where it opens
    ordered: bool = False  # list: numbered
    start: int = 1  # list: the first number of a numbered list
    tight: bool = True  # list: no blank lines between its items
    header: bool = False  # row, cell: the table's header row
    position: int = 0  # row: 0-based row of the table (header first); cell: 0-based column
    align: str = ""  # cell: "left" | "center" | "right" | "" (the table's delimiter row)


@dataclass(frozen=True)
class Segment:
    """One translatable unit, as a translator sees it in the catalog."""

    id: str  # stable across runs: derived from the normalised text (+ occurrence), not from position
    index: int  # 0-based order in the article
    paragraph: int  # 0-based paragraph number in the article
    kind: str  # "heading" | "sentence" | "cell" (a Markdown table cell, never cut into sentences)
    text: str  # original text, kept for reassembly
    norm: str  # NFC, whitespace collapsed: the msgid and the key for glossary / memory lookups
    line: int  # 1-based line of the source file where the segment starts
    level: int = 0  # headings: 1 title / setext "=" / "#", 2 section head / "##", ...; sentences: 0
    block: str = "paragraph"  # the innermost Markdown container: "paragraph" (none) | "item" | "quote" | "cell"
    ordered: bool = False  # in a numbered list (the innermost list it sits in)
    containers: tuple[Container, ...] = ()  # Markdown nesting, outermost first


# ----------------------------------------------------------------------------------------------------
# Normalisation

_WS = re.compile(r"\s+")
# Invisible characters that only get in the way of matching: zero-width space, BOM, soft hyphen, word joiner;
# and bidirectional controls (LRM/RLM, embeddings, overrides, isolates), which in an English source can only
# hide or reorder text in a translator's editor ("Trojan source").
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\ufeff\u00ad\u2060\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                                    "\u2066\u2067\u2068\u2069"), None)


_REPEAT = re.compile(r"occurrence [0-9]+\Z")


def repeat_context(n: int) -> str | None:
    """The msgctxt of the n-th occurrence of a sentence in one article: none for the first, "occurrence n" after
    (stable while the article keeps its repeats, and readable in an editor)."""
    return None if n == 1 else f"occurrence {n}"


def is_repeat_context(msgctxt: str) -> bool:
    """Whether a msgctxt is one `repeat_context` gives (it says where a sentence is, not what it means)."""
    return bool(_REPEAT.match(msgctxt))


def normalise(text: str) -> str:
    """NFC + collapsed whitespace, so cosmetic edits do not change msgids."""
    return _WS.sub(" ", unicodedata.normalize("NFC", text).translate(_INVISIBLE)).strip()


def segment_id(norm: str, occurrence: int = 1) -> str:
    """Short hash of the normalised text; repeats in one article get ``-2``, ``-3``... ."""
    base = hashlib.sha1(norm.encode("utf-8")).hexdigest()[:12]
    return base if occurrence == 1 else f"{base}-{occurrence}"


# ----------------------------------------------------------------------------------------------------
# Sentence splitting

# Titles and honorifics: always followed by a name, never the end of a sentence.
_PREPOSITIVE = frozenset(
    """mr mrs ms messrs mme mlle dr prof acad assoc st sts mt gen col lt capt cpt sgt cpl pvt maj adm cmdr gov
    sen sens rep reps rev ven hon pres amb fr supt insp det atty rt brig msgr cllr exc h.e h.h h.r.h h.m
    """.split()
)
# Abbreviations that are not a boundary when a number follows ("No. 5", "p. 55", "Sept. 11", "N°. 1026").
_BEFORE_NUMBER = frozenset(
    """no nos nr n° art arts fig figs vol vols p pp ch chap sec para paras op tel ext ca c approx pt pts ed
    jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)
# Other abbreviations: a boundary only when a typical sentence opener follows ("Jane and co. They know.").
_ABBREVIATIONS = (
    _PREPOSITIVE
    | _BEFORE_NUMBER
    | frozenset(
        """co corp inc ltd llc plc jr sr bros dept univ assn ave blvd rd hwy est govt intl natl min max al
        e.g i.e cf viz vs a.i ph.d b.a m.a m.sc b.sc a.m p.m a.d b.c u.s u.k u.n e.u u.s.a""".split()
    )
)
# Words that usually open a sentence: after an ambiguous abbreviation they tip the balance towards a boundary.
_STARTERS = frozenset(
    """A About According After Again All Also Although Among An And Another Any As At Because Before Being
    Both
    But By Can Could Currently Despite Did Do Does During Each Earlier Either Even Every Finally First
    For Furthermore From Has Have He Her Here His How However I If In Instead Is It Its Last Later Let
    Many May Meanwhile Moreover Most Much Must My Neither Never Nevertheless No Nor Not Now Of On Once
    One Only Or Other Our Over Several She Should Since So Some Such That The Their Then There Therefore
    These They This Those Though Thus To Today Under Unlike Until Was We Were What When Where Whether
    Which While Who Why Will With Within Without Would Yesterday Yet You Your""".split()
)

_OPENERS = "\"'“‘«‹„‚([{¿¡"
_CLOSERS = "\"'”’»›)]}」』"
# A stop: a spaced ellipsis ". . ." (possibly a fourth dot), or a run of . ! ? … and friends.
_STOP = re.compile(r"\.(?:[ \u00a0]\.){2,}|[.!?…‼⁇⁈⁉]+")
_CLOSE_RUN = re.compile("[" + re.escape(_CLOSERS) + "]*")
# Zero-width characters count as space between sentences ("Egypt.\u200b Then"), as they do in msgids.
_SPACE_RUN = re.compile(r"[\s\u200b\u2060\ufeff]+")
_NEXT_WORD = re.compile(r"[" + re.escape(_OPENERS) + r"–—\-\s]*(\S*)")
_MULTI_PERIOD = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")
# A dateline opens the paragraph: place in capitals (after an optional "date 2021-03-01"), then the agency.
_DATELINE_HEAD = re.compile(r"\s*(?:date\s+\S+\s+)?[A-Z][A-Z'’\-]+(?:[ ,]+[A-Z][A-Z'’\-]+)*")
_DATELINE_AFTER = re.compile(r"[A-Z][\w&'’\-]*(?:\s+[A-Z][\w&'’\-]*){0,2}\s*(?:[–—]|--?)\s")
_BARE_TIME = re.compile(
    r"(?:(?:at|by|before|after|from|until|till|around|about|since)\s+)?\d{1,2}(?:[:.]\d{2})?", re.I
)
_MARKER_ONLY = re.compile(r"\W*(?:\d{1,3}|[A-Za-z]|[IVXLCDM]{1,6}|[ivxlcdm]{1,6}|N°)\W*")
_WEBBY = re.compile(r"@|://|^www\.", re.I)
_BULLETS = "•⁃▪‣◦"
_ENUM_START = re.compile(r"\s*(?:(\d{1,3})|([a-z]))(\.\)|\)|\.)\s")


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph, original text, in order."""
    return [paragraph[a:b] for a, b in sentence_spans(paragraph)]


def sentence_spans(paragraph: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence in ``paragraph``, outer whitespace excluded."""
    spans: list[tuple[int, int]] = []
    chunk_starts = [0, *_list_breaks(paragraph), len(paragraph)]
    for lo, hi in zip(chunk_starts, chunk_starts[1:], strict=False):
        cut = lo
        for end in _boundaries(paragraph, lo, hi):
            _add_span(paragraph, cut, end, spans)
            cut = end
        _add_span(paragraph, cut, hi, spans)
    return spans


def _is_space(char: str) -> bool:
    return char.isspace() or char in "\u200b\u2060\ufeff"


def _add_span(text: str, a: int, b: int, spans: list[tuple[int, int]]) -> None:
    while a < b and _is_space(text[a]):
        a += 1
    while b > a and _is_space(text[b - 1]):
        b -= 1
    if a < b:
        spans.append((a, b))


def _list_breaks(text: str) -> list[int]:
    """Where an inline list ("1. a 2. b", "• a • b", "a. x b. y") forces a new sentence."""
    stripped = text.lstrip()
    if stripped and stripped[0] in _BULLETS:
        return [m.start() for m in re.finditer(r"(?<=\s)" + re.escape(stripped[0]), text)]
    m = _ENUM_START.match(text)
    if not m:
        return []
    number, letter, style = m.groups()
    expected = int(number) + 1 if number else ord(letter) + 1
    label = r"(\d{1,4})" if number else r"([a-z])"
    breaks = []
    for item in re.finditer(r"(?<=\s)" + label + re.escape(style) + r"\s", text[m.end():]):
        if (int(item.group(1)) if number else ord(item.group(1))) == expected:
            breaks.append(m.end() + item.start())
            expected += 1
    return breaks


def _boundaries(text: str, lo: int, hi: int):
    """End offsets of the sentences that end inside text[lo:hi] (excluding hi itself)."""
    sentence_start = lo
    pos = lo
    while True:
        m = _STOP.search(text, pos, hi)
        if not m:
            return
        stop_start, stop_end = m.span()
        close_end = _CLOSE_RUN.match(text, stop_end, hi).end()
        pos = close_end
        cut = _decide(text, lo, hi, sentence_start, stop_start, stop_end, close_end)
        if cut is not None:
            yield cut
            sentence_start = cut
            pos = max(pos, cut)


def _decide(text, lo, hi, sentence_start, stop_start, stop_end, close_end):
    """Offset where the sentence ends if this stop ends one, else None."""
    stop = text[stop_start:stop_end]
    if close_end >= hi:
        return None  # end of chunk: the caller closes the sentence anyway
    space = _SPACE_RUN.match(text, close_end, hi)
    if space is None:
        return _glued(text, sentence_start, stop_start, stop, close_end)
    after = space.end()
    word_m = _NEXT_WORD.match(text, after, hi)
    word = word_m.group(1) if word_m else ""
    if not word:
        return None
    first = word[0]
    if first.islower():
        return None  # "co. at noon", "a.i. of the Embassy", "great.' she said", "Yahoo! in"
    # The word the stop is attached to ("" when the stop stands alone, as in "is . . . I").
    token_start = _word_start(text, sentence_start, stop_start)
    prev_token = text[token_start:stop_start].lstrip(_OPENERS)
    if "." not in stop and "…" not in stop:
        return close_end  # ! ? clusters
    if stop_start > 0 and text[stop_start - 1] in "[(" and text[close_end - 1:close_end] in "])":
        return None  # "[...]" marks an omission inside a sentence
    if close_end - sentence_start <= 12 and _MARKER_ONLY.fullmatch(text, sentence_start, close_end):
        return None  # list marker "1.", "a.", "• 9." opening a sentence
    dots = stop.count(".")
    if len(stop) > 1 or "…" in stop:  # an ellipsis of some kind
        spaced = " " in stop or "\u00a0" in stop
        attached = bool(prev_token)
        if spaced:
            if attached and dots >= 4:
                return stop_start + 1  # "compounds. . . . The practice": the ellipsis opens the next one
            if not attached and dots >= 4:
                return close_end  # "with a period . . . . Next sentence."
            return None  # ". . . I didn't mean it": an omission, not an end
        return close_end if attached else None  # "that.... She left", "he paused… Then"
    return _after_period(text, lo, sentence_start, token_start, stop_start, close_end, prev_token, word)


def _word_start(text: str, lo: int, end: int) -> int:
    """Start of the whitespace-free run that ends at ``end`` (not before ``lo``)."""
    i = end
    while i > lo and not text[i - 1].isspace():
        i -= 1
    return i


def _glued(text, lo, stop_start, stop, close_end):
    """"world.Today": a period with no space, between a word and a capitalised word, ends a sentence."""
    if stop != "." or close_end != stop_start + 1:
        return None
    nxt = text[close_end:close_end + 2]
    if len(nxt) < 2 or not (nxt[0].isupper() and nxt[1].islower()):
        return None
    # The whole glued token, within reach: a run of 100 characters without a space is not prose.
    token_start = _word_start(text, max(lo, stop_start - 100), stop_start)
    space = _SPACE_RUN.search(text, close_end, close_end + 100)
    if token_start == stop_start - 100 or space is None and close_end + 100 < len(text):
        return None
    token = text[token_start:space.start() if space else len(text)]
    prev = text[token_start:stop_start].lstrip(_OPENERS)
    if _WEBBY.search(token) or prev.lower() in _ABBREVIATIONS:
        return None
    if len(prev) >= 2 and (prev[-1].isdigit() or (prev[-1].islower() and prev[-2].isalpha())):
        return close_end
    return None


def _after_period(text, lo, sentence_start, token_start, stop_start, close_end, prev_token, word):
    """A single period followed by whitespace and a word starting with a capital, digit or symbol."""
    cut = close_end
    if not prev_token:
        return cut
    if _WEBBY.search(prev_token):
        return cut  # "Jane.Doe@example.com. I sent"
    key = prev_token.lower()
    bare_word = word.rstrip(".,;:!?" + _CLOSERS)
    starter = bare_word in _STARTERS
    digit = word[0].isdigit()
    if key in ("a.m", "p.m"):
        # "At 5 a.m. Mr. Smith went" goes on; "at 6 P.M. Mr. Smith then went" ends.
        head = text[sentence_start:token_start].strip() if token_start - sentence_start < 40 else "long"
        return None if _BARE_TIME.fullmatch(head) else cut
    if key in _PREPOSITIVE:
        return None  # "Dr. Darhan", "H.E. Mr.", "St. Michael's"
    if key in _BEFORE_NUMBER and digit:
        return None  # "No. 5", "p. 55", "Sept. 11"
    if key == "etc":
        return cut
    if key in _ABBREVIATIONS or _MULTI_PERIOD.fullmatch(prev_token):
        return cut if starter else None  # "U.S. Government" goes on, "the U.S. How about you?" ends
    if len(prev_token) == 1 and prev_token.isalpha():
        if prev_token.islower():
            return cut if starter else None
        end = token_start
        while end > lo and text[end - 1].isspace():
            end -= 1
        before_word = text[_word_start(text, lo, end):end]
        capital_before = before_word[:1].isupper()
        # Initials ("Jonas E. Smith", "of N. Nazarbayev Center") go on; "you and I. Did you" ends.
        return cut if starter and (prev_token == "I" or not capital_before) else None
    if (stop_start - lo < 100 and _DATELINE_HEAD.fullmatch(text, lo, stop_start)
            and _DATELINE_AFTER.match(text, close_end + 1)):
        return None  # dateline "NUR-SULTAN. KAZINFORM – Last week, ..."
    return cut


# ----------------------------------------------------------------------------------------------------
# Paragraphs and headings

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_FINAL_PUNCT = ".!?:;,…"


def looks_like_heading(line: str, *, first: bool = False) -> bool:
    """Short, unpunctuated line: a title or section head. ``first``: the article's first block."""
    s = normalise(line)
    if not s or not (s[0].isupper() or s[0].isdigit()):
        return False
    core = s.rstrip(_CLOSERS + " ")
    words = len(s.split())
    if first:
        return words <= 30 and not core.endswith((".", "…", ":", ";", ",")) and len(sentence_spans(s)) == 1
    return words <= 20 and not core.endswith(tuple(_FINAL_PUNCT))


@dataclass(frozen=True)
class _Block:
    """A run of text that becomes one heading, one table cell or one paragraph of sentences."""

    text: str  # original text; may hold line breaks (Markdown soft wraps)
    line: int  # 1-based line of its first character
    heading_level: int = 0  # > 0: an explicit Markdown heading
    plain: bool = True  # a paragraph that may turn out to be a heading by the heuristic
    containers: tuple[Container, ...] = ()
    cell: bool = False  # a table cell: one segment, never cut into sentences


def segment_text(text: str, *, markdown: bool = False) -> list[Segment]:
    """All segments of one article (plain text: one paragraph per line; Markdown: CommonMark blocks)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    blocks = _commonmark_blocks(text) if markdown else _plain_blocks(_LINE_BREAK.split(text))
    segments: list[Segment] = []
    seen: dict[str, int] = {}

    def add(paragraph: int, kind: str, raw: str, line: int, level: int = 0, block: _Block | None = None) -> None:
        norm = normalise(raw)
        if not norm:
            return
        seen[norm] = seen.get(norm, 0) + 1
        containers = block.containers if block else ()
        segments.append(Segment(segment_id(norm, seen[norm]), len(segments), paragraph, kind, raw, norm, line,
                                level, _block_name(containers), _ordered(containers), containers))

    for number, block in enumerate(blocks):
        if block.heading_level:
            add(number, "heading", block.text.strip(), block.line, block.heading_level, block)
        elif block.cell:
            add(number, "cell", block.text.strip(), block.line, block=block)
        elif block.plain and "\n" not in block.text and looks_like_heading(block.text, first=number == 0):
            add(number, "heading", block.text.strip(), block.line, 1 if number == 0 else 2)
        else:
            line, counted = block.line, 0
            for a, b in sentence_spans(block.text):
                line += block.text.count("\n", counted, a)
                counted = a
                add(number, "sentence", block.text[a:b], line, block=block)
    return segments


def _block_name(containers: tuple[Container, ...]) -> str:
    inner = containers[-1].kind if containers else "paragraph"
    return {"item": "item", "quote": "quote", "cell": "cell"}.get(inner, "paragraph")


def _ordered(containers: tuple[Container, ...]) -> bool:
    return next((c.ordered for c in reversed(containers) if c.kind == "list"), False)


def _plain_blocks(lines: list[str]) -> list[_Block]:
    return [_Block(line, number) for number, line in enumerate(lines, 1) if line.strip()]


# ----------------------------------------------------------------------------------------------------
# Markdown: CommonMark block structure through markdown-it-py (block tokens with line maps)

_IMAGE_ONLY = re.compile(r"\s*(?:\[?!\[[^\]]*\]\([^)]*\)(?:\]\([^)]*\))?\s*)+")
_COMMENT_ONLY = re.compile(r"\s*<!--.*?-->\s*", re.S)
_ALIGN = re.compile(r"text-align:\s*(left|center|right)")
_CLOSES = frozenset({"bullet_list_close", "ordered_list_close", "list_item_close", "blockquote_close",
                     "table_close", "tr_close", "th_close", "td_close"})


@dataclass(frozen=True)
class CodeBlock:
    """A fenced, indented or quoted code block: never translated, published as written."""

    line: int  # 1-based line where it opens
    info: str  # the info string after the opening fence (e.g. the language); "" for indented code
    code: str  # the code, without its final line break
    containers: tuple[Container, ...] = ()


def _parser():
    from markdown_it import MarkdownIt

    # CommonMark + GFM tables. Raw HTML stays paragraph text (as it always was here): a translator sees it, and
    # publish escapes it like any other text.
    return MarkdownIt("commonmark").enable("table").disable("html_block")


def _without_front_matter(text: str) -> str:
    """YAML front matter becomes blank lines, so line numbers still count from the top of the file."""
    lines = _LINE_BREAK.split(text)
    if lines and lines[0].strip() == "---":
        for end in range(1, len(lines)):
            if lines[end].strip() in ("---", "..."):
                return "\n" * (end + 1) + "\n".join(lines[end + 1:])
    return text


def _tight_lists(tokens) -> set[int]:
    """Indexes of the list tokens whose items are tight (markdown-it hides the paragraphs of such items)."""
    loose: set[int] = set()
    lists: list[int] = []
    for index, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            lists.append(index)
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif token.type == "paragraph_open" and lists and token.level == tokens[lists[-1]].level + 2 \
                and not token.hidden:
            loose.add(lists[-1])
    return {i for i, t in enumerate(tokens) if t.type in ("bullet_list_open", "ordered_list_open")} - loose


def _opened(token, index: int, line: int, serial: int, tight: set[int], row: int, column: int,
            header: bool) -> Container:
    kind = token.type
    if kind in ("bullet_list_open", "ordered_list_open"):
        start = str(token.attrs.get("start", 1))
        return Container("list", serial, line, ordered=kind == "ordered_list_open", tight=index in tight,
                         start=int(start) if start.isdigit() else 1)
    if kind == "tr_open":
        return Container("row", serial, line, header=header, position=row)
    if kind in ("th_open", "td_open"):
        align = _ALIGN.search(str(token.attrs.get("style", "")))
        return Container("cell", serial, line, header=kind == "th_open", position=column,
                         align=align.group(1) if align else "")
    return Container({"list_item_open": "item", "blockquote_open": "quote", "table_open": "table"}[kind],
                     serial, line)


_OPENS = frozenset({"bullet_list_open", "ordered_list_open", "list_item_open", "blockquote_open", "table_open",
                    "tr_open", "th_open", "td_open"})


def _leaves(text: str):
    """(opening token, leaf token, containers) of each text or code block of a Markdown article, in order.

    The leaf is an inline token (heading, paragraph or cell text) or a code block. Containers (lists, items,
    quotes, tables, rows, cells) open and close as the block tokens nest; each has a serial, so two sibling
    items never compare equal.
    """
    tokens = _parser().parse(_without_front_matter(text))
    tight = _tight_lists(tokens)
    stack: list[Container] = []
    serial = row = column = 0
    header = False
    opener = None
    for index, token in enumerate(tokens):
        line = token.map[0] + 1 if token.map else (stack[-1].line if stack else 1)
        if token.type in _OPENS:
            serial += 1
            stack.append(_opened(token, index, line, serial, tight, row, column, header))
            if token.type == "table_open":
                row = 0
            elif token.type == "tr_open":
                row, column = row + 1, 0
            elif token.type in ("th_open", "td_open"):
                column += 1
        elif token.type in _CLOSES:
            stack.pop()
        elif token.type in ("thead_open", "tbody_open"):
            header = token.type == "thead_open"
        elif token.type in ("inline", "fence", "code_block"):
            yield opener, token, tuple(stack)
        opener = token


def _commonmark_blocks(text: str) -> list[_Block]:
    """Headings, table cells and paragraphs of a Markdown article, with the containers they sit in."""
    blocks: list[_Block] = []
    for opener, token, containers in _leaves(text):
        if token.type != "inline" or not token.map:
            continue
        line = token.map[0] + 1
        raw, body = token.content, _plain_text(token)
        if opener.type == "heading_open":
            if body.strip():
                blocks.append(_Block(body, line, int(opener.tag[1]), False, containers))
        elif opener.type in ("th_open", "td_open"):
            blocks.append(_Block(body, line, 0, False, containers, cell=True))
        elif body.strip() and not _IMAGE_ONLY.fullmatch(raw) and not _COMMENT_ONLY.fullmatch(raw):
            blocks.append(_Block(body, line, 0, not containers, containers))
    return blocks


def _plain_text(token) -> str:
    """The text of an inline token without its Markdown: a msgid is plain text. Emphasis marks and link targets
    are dropped (the link text stays), code spans keep their text, escapes and entities are resolved; raw HTML
    stays as written (it is translated and published as text). Line breaks stay, so lines still count."""
    if not token.children:
        return token.content
    parts = []
    for child in token.children:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            parts.append(child.content)  # the alt text
    return "".join(parts)


def markdown_code_blocks(text: str) -> list[CodeBlock]:
    """The code blocks of a Markdown article (fenced, indented, inside quotes or items), in order."""
    text = text.lstrip("\ufeff")
    return [CodeBlock(token.map[0] + 1, token.info.strip(), token.content.removesuffix("\n"), containers)
            for _, token, containers in _leaves(text) if token.type in ("fence", "code_block")]


# ----------------------------------------------------------------------------------------------------
# The ".segments" review format: one segment per line as "H<TAB>text", "S<TAB>text" (or "C<TAB>text" for a
# table cell), a blank line between
# paragraphs. Used for gold segmentations and for showing a translator how an article will be cut.

_KIND_CODE = {"heading": "H", "sentence": "S", "cell": "C"}
_CODE_KIND = {code: kind for kind, code in _KIND_CODE.items()}


def format_segments(segments: list[Segment]) -> str:
    """Segments in the ``.segments`` format (line breaks inside a segment become spaces)."""
    out: list[str] = []
    last = None
    for seg in segments:
        if last is not None and seg.paragraph != last:
            out.append("")
        last = seg.paragraph
        out.append(f"{_KIND_CODE[seg.kind]}\t{one_line(seg.text)}")
    return "\n".join(out) + "\n" if out else ""


def parse_segments(text: str, *, source: str = "<segments>") -> list[list[tuple[str, str]]]:
    """Paragraphs of (kind, text) from the ``.segments`` format; ``#`` lines are comments."""
    paragraphs: list[list[tuple[str, str]]] = [[]]
    for number, line in enumerate(_LINE_BREAK.split(text.lstrip("\ufeff")), 1):
        if not line.strip():
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        if line.startswith("#"):
            continue
        code, tab, body = line.partition("\t")
        if not tab or code not in _CODE_KIND or not body.strip():
            raise ValueError(f"{source}:{number}: expected 'H<TAB>text' or 'S<TAB>text', got {line[:60]!r}")
        paragraphs[-1].append((_CODE_KIND[code], body.strip()))
    return [p for p in paragraphs if p]


def one_line(text: str) -> str:
    """A segment's text with its line breaks (Markdown soft wraps) turned into single spaces."""
    return re.sub(r"[ \t]*(?:\r\n|\r|\n)[ \t]*", " ", text)
