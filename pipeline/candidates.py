"""Names the glossary lacks: institutions, titles, people, acronyms and places found in the articles.

The glossary cannot be complete, and what it does not know goes to MT unprotected and comes back differently in
every article. This module shows the gap so a terminologist can close it cheaply: it reads the English segments,
finds capitalised name sequences (with their inner "of", "for", "and", "the"), splits titles from the people who
hold them, pairs acronyms with their expansions, groups spelling variants of one name ("Nauryzbay kazhy Taganuly"
/ "Nauryzbai Kazhy Taganuly", "N.Nazarbayev Center" / "N. Nazarbayev Center") and keeps a longer name that
contains a glossary term ("Secretary-General of the Muslim Council of Elders" where only the Council is known).

Everything is rule-based and offline: a few word lists (titles, institution head words, function words) plus the
corpus itself, whose lower-case words tell common English from names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from pipeline import TARGET_LANGS
from pipeline.concepts import Concept
from pipeline.errors import LocatedError
from pipeline.sources import Article
from pipeline.termmatch import Glossary, TermMatch
from pipeline.workspace import relative

if TYPE_CHECKING:
    from pipeline.workspace import Workspace

KINDS = ("institution", "title", "person", "acronym", "place")

# Words that make a capitalised sequence a title (the office, not the body).
TITLE_WORDS = frozenset("""
president vice-president chairman chairwoman chairperson chair minister deputy first secretary secretary-general
director head rector imam mufti grand supreme chief ambassador speaker representative high counsellor councillor
counselor metropolitan archbishop bishop patriarch pope cardinal rabbi sheikh shaykh governor akim senator vice
commissioner coordinator advisor adviser consul envoy special executive general prime mayor dean professor
member leader prosecutor-general ombudsman chancellor king queen prince emir crown sultan deputy-chairman
spokesperson spokesman press-secretary attaché attache mullah hierarch priest archpriest abbot
""".split())
# Honorifics before a name: the words after them are a person.
HONORIFICS = frozenset("""
mr mrs ms miss dr prof professor sheikh shaykh h.e his her excellency sir lord madam hajji haji kazhy acad
archbishop bishop metropolitan pope cardinal rabbi imam mufti father rev reverend st saint sen senator gen
""".split()) - {"st", "saint"}
_BARE_HONORIFICS = HONORIFICS - TITLE_WORDS | {"sheikh", "shaykh"}  # "Sheikh", "Dr.": never a title alone
# Head words of institution names (the body).
INSTITUTION_HEADS = frozenset("""
ministry committee council university institute mosque center centre league alliance assembly senate mazhilis
majilis parliament administration board academy agency foundation fund association organisation organization
bank union nations department office library museum palace cathedral church synagogue madrasa madrasah college
school forum congress conference summit commission service court government embassy consulate akimat
observatory archdiocese diocese eparchy district mission delegation secretariat chamber group society
federation network partnership initiative programme program declaration law code constitution document
convention charter treaty memorandum agreement festival exhibition award prize order medal corporation company
press newspaper agency television radio channel seminary cooperation chair
""".split())
# Heads after which "in", "on" or "to" still belong to the name ("Forum on Interfaith Dialogue",
# "Archdiocese of Saint Mary in Astana", "Mission to the Organisation of Islamic Cooperation").
_ON_HEADS = frozenset("document strategy concept forum law declaration conference convention committee council "
                      "commission code seminar summit dialogue agreement memorandum charter treaty congress "
                      "festival programme program observatory".split())
_IN_HEADS = frozenset("archdiocese diocese eparchy district church embassy mission consulate office "
                      "representation delegation".split())
# Units named inside a larger body ("Committee for Religious Affairs of the Ministry of Culture and Information").
_UNIT_HEADS = frozenset("department committee directorate division office commission agency service secretariat "
                        "chamber board".split())
_STATE_HEADS = frozenset("kingdom republic emirate sultanate state principality".split())
_TO_HEADS = frozenset("mission delegation representation".split())
# Everyday institution vocabulary: capitalised inside names but never a person's name.
INSTITUTION_WORDS = frozenset("""
state republic kingdom emirate emirates federation united nations national international islamic muslim muslims
religious religion religions affairs culture information foreign internal justice education science sciences
higher spiritual world traditional leaders development interfaith intercivilization intercivilisational
inter-civilization dialogue peace reconciliation accord harmony human rights civilizations civilisations
civilization civilisation friends youth global regional central north south east west eastern western middle
arab egyptian kazakh kazakhstan's saudi orthodox catholic roman russian christian jewish buddhist holy public
social policy political studies study research analytical issues history art arts heritage fraternity
scholars elders people peoples multilateral diplomacy diplomatic legislation judicial-legal reform general
intercultural interreligious philosophy strategic security defence defense economy economic finance trade
health labour labor digital media press new old great sacred supreme grand high chief joint permanent
cooperation relations communications sport sports tourism energy agriculture environment ecology emergency
situations water resources industry infrastructure transport investment investments family women children
young veterans memory unity independence day week year month city region district village oblast
""".split())
# Country and city names that are never part of a person's name ("to Kazakhstan Karim Fathy Mansour").
PLACE_WORDS = frozenset("""
kazakhstan egypt uzbekistan kyrgyzstan tajikistan turkmenistan russia china turkey türkiye iran iraq syria
jordan palestine israel lebanon india pakistan afghanistan azerbaijan armenia georgia belarus ukraine saudi
arabia qatar kuwait bahrain oman yemen emirates uae france germany italy spain britain england america japan
korea indonesia malaysia morocco algeria tunisia libya sudan astana almaty cairo moscow tashkent bishkek
dushanbe ashgabat baku ankara istanbul tehran riyadh jeddah mecca medina doha dubai shymkent
turkistan aktobe karaganda tatarstan vatican rome geneva washington london paris brussels
""".split())
# Words that never start or end a name (function words, days and months): stripped from a name's edges.
FUNCTION_WORDS = frozenset("""
the a an and or but of for on in at to by with from as into during after before since until about over under
this that these those he she it they we you i his her its their our my your there here when where while
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
september october november december jan feb mar apr jun jul aug sep sept oct nov dec
according among also both each every some many most several other another all no not yes however meanwhile
moreover furthermore besides thus therefore then later today yesterday tomorrow last next dear
""".split())
# Capitalised words that are never a name on their own (nationality and faith adjectives, numbers...).
STOPWORDS = FUNCTION_WORDS | frozenset("""
kazakh kazakhstani egyptian arab arabic russian english turkish uzbek kyrgyz tajik turkmen tatar saudi emirati
persian chinese american european islamic muslim muslims christian christians jewish jews orthodox catholic
buddhist hindu sunni shia god allah almighty prophet islam asian kazakhstanis europeans arabs egyptians
first second third one two three four five six seven eight nine ten mr mrs ms dr prof h.e sheikh
""".split())
_CONNECTORS = frozenset(("of", "for", "and", "the", "on", "in", "to", "de", "des", "du", "la"))
_PARTICLES = frozenset("bin ibn bint binti al el ad ash as at ar an az ul uly kyzy kazhy qazhy haji hajji de da "
                       "del della der van von le du dos das y".split())
# the unions the token tests use, built once
_JOINERS = _CONNECTORS | _PARTICLES
_EDGE_WORDS = _JOINERS | FUNCTION_WORDS | {"."}
_JOINED_TERMS = _CONNECTORS | _BARE_HONORIFICS
_NEVER_ALONE = HONORIFICS | TITLE_WORDS | INSTITUTION_WORDS
_TITLE_HONORIFICS = HONORIFICS - TITLE_WORDS
_ROMAN = re.compile(r"^[IVXLC]+$")
_ARTICLE_NAME = re.compile(r"^(?:al|el|ad|ash|as|at|ar|an|az|ul|bin|ibn|abu|abd|d|o)[-'’][A-ZÀ-ÖØ-ÞА-ЯЁ]")
# Words with inner hyphens, apostrophes and dots (Kassym-Jomart, Qur’an, N.Nazarbayev, U.N), a plural
# possessive (Muslims’), or one punctuation mark.
_TOKEN = re.compile(r"[^\W_][\w]*(?:[-‐'’.][^\W_][\w]*)*(?:(?<=s)[’'](?!\w))?|[^\w\s]")


_APPOSITION_BEFORE = re.compile(r",\s+(?:(?:Dr|Mr|Mrs|Ms|Prof|Sheikh|H\.E)\.?\s+)*")
_CAPITALISED_BEFORE = re.compile(r"[A-Z][\w.'’-]*\s+$")
_HONORIFICS_BEFORE = re.compile(r"(?:\b(?:Dr|Mr|Mrs|Ms|Prof|Sheikh|H\.E)\.?\s+)+$")
_APPOSITION_AFTER = re.compile(r",\s+(?:the\s+)?")


@dataclass(frozen=True)
class Occurrence:
    article: str  # the article's path as the user gave it (source_texts/x.txt)
    line: int
    sentence: str


@dataclass
class Candidate:
    """One name the glossary lacks, with what a terminologist needs to decide on it."""

    text: str
    kind: str  # institution | title | person | acronym | place
    count: int = 0
    articles: list[str] = field(default_factory=list)
    occurrences: list[Occurrence] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)  # other spellings of the same name seen in the articles
    overlaps: list[str] = field(default_factory=list)  # glossary concepts inside (or around) the name
    titles: list[str] = field(default_factory=list)  # for a person: the titles written next to the name
    expansion: str = ""  # for an acronym: its long form
    suggested: dict[str, str] = field(default_factory=dict)  # lang -> target suggested from approved work
    score: float = 0.0

    def to_json(self) -> dict:
        data = {"text": self.text, "kind": self.kind, "count": self.count, "articles": self.articles,
                "overlaps": self.overlaps, "suggested": self.suggested, "variants": self.variants,
                "occurrences": [{"article": o.article, "line": o.line} for o in self.occurrences]}
        if self.titles:
            data["titles"] = self.titles
        if self.expansion:
            data["expansion"] = self.expansion
        return data


@dataclass(frozen=True)
class Sentence:
    """What the extractor reads: one English segment and where it is."""

    article: str
    line: int
    text: str
    # the glossary's matches in text, when the caller has them already (a run has: it drafts the catalogs with them)
    matches: Sequence[TermMatch] | None = field(default=None, compare=False, repr=False)


# ---------------------------------------------------------------- keys


_POSSESSIVE = re.compile(r"[’']s\b")
_POSSESSIVE_END = re.compile(r"[’']s$")
_KEY_WORD = re.compile(r"[^\W_]+")
_IEV = re.compile(r"ie?v\b")
_DOUBLED = re.compile(r"(.)\1")
_Y_J = str.maketrans("yj", "ii")


def name_key(text: str) -> str:
    """A spelling-blind key: case, accents, dots, spaces, hyphens, y/i, kh/h, doubled letters and
    Centre/Center do not count, so "Nauryzbay kazhy Taganuly" and "Nauryzbai Kazhy Taganuly" are one name."""
    folded = text.casefold()
    if not folded.isascii():  # ASCII has nothing to decompose
        folded = unicodedata.normalize("NFKD", folded)
        folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    if "'" in folded or "’" in folded:
        folded = _POSSESSIVE.sub("", folded)
    key = " ".join(_KEY_WORD.findall(folded))
    # in this order: kh/h, y/i, -iev/-ev/-iv/-v, ou/u, doubled letters, centre/center, q/k, ph/f
    key = key.replace("kh", "h").translate(_Y_J)
    if "v" in key:
        key = _IEV.sub("v", key)
    key = _DOUBLED.sub(r"\1", key.replace("ou", "u"))
    return key.replace("centre", "center").replace("q", "k").replace("ph", "f").replace(" ", "")


# ---------------------------------------------------------------- tokens


class _Tok(NamedTuple):  # a NamedTuple: cheap to make, and there are many
    text: str
    start: int
    end: int
    word: bool


def _tokens(text: str) -> list[_Tok]:
    toks = []
    new = tuple.__new__  # the NamedTuple's own constructor is a Python call per token
    for m in _TOKEN.finditer(text):
        word = m.group()
        start, end = m.span()
        toks.append(new(_Tok, (word, start, end, word[0].isalnum())))
    return toks


def _lower(word: str) -> str:
    return word.casefold().rstrip("’'")


def _is_cap(word: str) -> bool:
    first = word[0]
    if first.isupper():
        return not first.isdigit()
    # "al-Tayeb", "d'Estaing": only a word with a hyphen or an apostrophe can be one
    return ("-" in word or "'" in word or "’" in word) and bool(_ARTICLE_NAME.match(word)) and not first.isdigit()


def _is_acronym(word: str) -> bool:
    letters = word.replace(".", "")
    return 2 <= len(letters) <= 8 and letters.isalpha() and letters.isupper() and not _ROMAN.match(letters)


_CORPUS_WORD = re.compile(r"[^\W\d_][\w'’-]*")


class _Corpus:
    """What the whole set of articles says about words: which are common English (seen in lower case) and which
    are capitalised in the middle of a sentence (so names even at the start of one)."""

    def __init__(self, sentences: Sequence[Sentence]):
        self.lower: set[str] = set()
        self.mid_caps: set[str] = set()
        lower, mid_caps = self.lower, self.mid_caps
        for text in dict.fromkeys(s.text for s in sentences):  # a repeated sentence says nothing new
            for k, w in enumerate(_CORPUS_WORD.findall(text)):
                if w[0].islower():
                    if "-" not in w:
                        lower.add(w.casefold())
                elif k:
                    mid_caps.add(w)

    def common(self, word: str) -> bool:
        low = _lower(word)
        return low in self.lower or low in STOPWORDS


# ---------------------------------------------------------------- finding runs in one sentence


@dataclass
class _Piece:
    """A name found in one sentence: its text, kind and the context needed to merge it across articles."""

    text: str
    kind: str
    start: int
    end: int
    overlaps: tuple[str, ...] = ()
    title: str = ""  # a person's title in this sentence
    expansion: str = ""
    variants: tuple[str, ...] = ()


class _Extractor:
    def __init__(self, terms: Glossary, corpus: _Corpus):
        self.terms = terms
        self.corpus = corpus
        self._keys: dict[str, str] = {}  # name_key of every text asked for: names and their words recur
        self._names: dict[str, bool] = {}  # whether each word read can be part of a person's name

    def key(self, text: str) -> str:
        found = self._keys.get(text)
        if found is None:
            found = self._keys[text] = name_key(text)
        return found

    # --- token classes

    def _head(self, word: str) -> bool:
        return _lower(word) in INSTITUTION_HEADS

    def _title_word(self, word: str) -> bool:
        low = _lower(word)
        return low in TITLE_WORDS or (low.count("-") == 1 and low.split("-")[0] in TITLE_WORDS)

    def _name_like(self, tok: _Tok, known: bool) -> bool:
        """A word that can be part of a person's name: capitalised, not a title, head or everyday word."""
        if known or not tok.word:
            return False
        found = self._names.get(tok.text)
        if found is None:
            found = self._names[tok.text] = self._name_like_word(tok.text)
        return found

    def _name_like_word(self, w: str) -> bool:
        if _is_acronym(w) or w.isdigit():
            return False
        if not _is_cap(w):
            return False
        low = _lower(w)
        if low in TITLE_WORDS or low in INSTITUTION_HEADS or low in INSTITUTION_WORDS or low in STOPWORDS \
                or low in PLACE_WORDS:
            return False
        return _lower(w.split("-")[-1] if _ARTICLE_NAME.match(w) else w) not in self.corpus.lower

    # --- runs

    def runs(self, text: str, matches: Sequence[TermMatch] | None = None) -> list[_Piece]:
        toks = _tokens(text)
        matches = self.terms.find(text) if matches is None else list(matches)
        known = [None] * len(toks)  # glossary match covering each token
        mi, found = 0, len(matches)
        for k, t in enumerate(toks):
            while mi < found and matches[mi].end <= t.start:
                mi += 1
            if mi == found:
                break  # no match left: the other tokens are not known
            if matches[mi].start <= t.start < matches[mi].end:
                known[k] = matches[mi]
        pieces: list[_Piece] = []
        k, n = 0, len(toks)
        first_word = 0 if n and toks[0].word else next((i for i, t in enumerate(toks) if t.word), n)
        while k < n:
            t = toks[k]
            if not t.word or known[k] is None and not (t.text[0].isupper() or _is_cap(t.text)):
                k += 1
                continue
            run = self._grow(toks, known, k)
            if not run:
                k += 1
                continue
            pieces.extend(self._analyse(text, toks, known, run, sentence_start=(k == first_word
                                                                                  or self._after_break(toks, k))))
            k = run[-1] + 1
        pieces.extend(self._acronyms(text, toks, known, pieces))
        self._appositions(text, pieces, matches)
        return pieces

    @staticmethod
    def _appositions(text: str, pieces: list[_Piece], matches: list) -> None:
        """A title and a name side by side with a comma: "Maulen Ashimbayev, Chairman of the Senate", "Rector of
        the University, Dr. Ahmed Ibrahim"."""
        titles = [(p.start, p.end, p.text) for p in pieces if p.kind == "title"]
        titles += [(m.start, m.end, m.text) for m in matches if m.concept.type == "title"]
        if not titles:
            return
        for p in pieces:
            if p.kind != "person" or p.title:
                continue
            led = None  # looked for once a title after the name asks (two regexes over the text before it)
            for start, end, title in titles:
                if end <= p.start and _APPOSITION_BEFORE.fullmatch(text[end:p.start]):
                    p.title = title
                    break
                if start >= p.end and _APPOSITION_AFTER.fullmatch(text[p.end:start]):
                    # "... to the Republic of Kazakhstan Andre Carstens, Ambassador of ...": the next title is
                    # someone else's
                    if led is None:
                        led = bool(_CAPITALISED_BEFORE.search(_HONORIFICS_BEFORE.sub("", text[:p.start])))
                    if not led:
                        p.title = title
                        break

    @staticmethod
    def _after_break(toks: list[_Tok], k: int) -> bool:
        """A word right after an opening quote or a dateline dash starts a sentence of its own."""
        return k > 0 and toks[k - 1].text in "“\"«‘–—" and (k < 2 or not toks[k - 2].word
                                                             or toks[k - 2].end < toks[k - 1].start)

    def _grow(self, toks: list[_Tok], known: list, k: int) -> list[int]:
        """Indices of the longest run from token k: capitalised words, inner connectors and particles."""
        run = [k]
        heads = [_lower(toks[k].text)] if self._head(toks[k].text) else []
        titled = self._title_word(toks[k].text)
        linked = False  # an "of"/"for"/"on" seen: words after it are the complement of a head
        j = k + 1
        n = len(toks)
        while j < n:
            t = toks[j]
            prev = toks[j - 1]
            if t.word and (_is_cap(t.text) or known[j] is not None and known[j] is known[j - 1]):
                run.append(j)
                if self._head(t.text):
                    heads.append(_lower(t.text))
                titled = titled or self._title_word(t.text)
                j += 1
                continue
            if t.text == "." and prev.word and run[-1] == j - 1 and j + 1 < n and toks[j + 1].word \
                    and (_lower(prev.text) in HONORIFICS or len(prev.text) == 1 and prev.text.isupper()) \
                    and _is_cap(toks[j + 1].text):
                run.append(j)  # "Dr. Al-Issa", "N. Nazarbayev"
                j += 1
                continue
            low = t.text.casefold()
            if t.word and (low in _PARTICLES or low in _CONNECTORS):
                m = j
                while m < n and toks[m].word and toks[m].text.casefold() in _JOINERS \
                        and m - j < 2:
                    m += 1
                if not (m < n and toks[m].word and _is_cap(toks[m].text)):
                    break
                words = [toks[x].text.casefold() for x in range(j, m)]
                if not self._joins(words, toks, known, run, m, heads, titled, linked):
                    break
                linked = linked or any(w in ("of", "for", "on") for w in words)
                run.extend(range(j, m))
                j = m
                continue
            if t.text == "," and linked and heads and j + 1 < n and toks[j + 1].word and _is_cap(toks[j + 1].text):
                tail = self._list_tail(toks, known, j + 1)
                if tail:  # "Institute of Philosophy, Political Science and Religious Studies"
                    run.extend(range(j, tail))
                    j = tail
                    continue
                break
            if t.text in "–—-" and prev.word and not _is_acronym(prev.text) and j + 1 < n \
                    and toks[j + 1].word and _is_cap(toks[j + 1].text) and len(run) >= 3:
                # "First President of Kazakhstan – Elbasy": a short capitalised tail after a dash
                m = j + 1
                while m < n and toks[m].word and _is_cap(toks[m].text):
                    m += 1
                if m - (j + 1) <= 2 and not any(self._title_word(toks[x].text) for x in range(j + 1, m)):
                    run.extend(range(j, m))
                    j = m
                    continue
            break
        while run and toks[run[-1]].text.casefold() in _JOINERS:
            run.pop()
        return run

    def _joins(self, words: list[str], toks: list[_Tok], known: list, run: list[int], m: int,
               heads: list[str], titled: bool, linked: bool) -> bool:
        """Whether connector words between two capitalised words keep one name going."""
        if len(words) > 1 and not (words[0] in ("of", "for", "on", "to", "in") and words[1] == "the") \
                and not all(w in _PARTICLES for w in words):
            return False  # "and the", "and of": two names
        first = words[0]
        last_head = heads[-1] if heads else ""
        if first in _PARTICLES and first not in _CONNECTORS:
            return True
        if first == "in":
            return last_head in _IN_HEADS
        if first == "on":
            return last_head in _ON_HEADS
        if first == "to":
            return last_head in _TO_HEADS
        if first == "for":
            return bool(heads) or titled
        if first == "and":
            right = self._segment_after(toks, m)
            right_words = [_lower(toks[x].text) for x in right]
            if not right or known[right[0]] is not None and all(known[x] is known[right[0]] for x in right):
                return False  # "... and Kazakhstan": a known name of its own
            if all(w in PLACE_WORDS for w in right_words):
                return False  # "... and Kazakhstan"
            if any(w in TITLE_WORDS or w in HONORIFICS for w in right_words[:1]):
                return False  # "... and Minister of ...", "... and Bishop ..."
            right_head = any(w in INSTITUTION_HEADS for w in right_words)
            if linked:
                return not right_head  # "Ministry of Culture and Information"
            return right_head and not heads  # "Research and Analytical Centre"
        return True  # "of", "the", "de"

    @staticmethod
    def _segment_after(toks: list[_Tok], m: int) -> list[int]:
        """The capitalised words from m up to the next connector or punctuation."""
        out = []
        while m < len(toks) and toks[m].word and _is_cap(toks[m].text):
            out.append(m)
            m += 1
        return out

    def _list_tail(self, toks: list[_Tok], known: list, j: int) -> int:
        """End of ", B and C" when it completes "X of A, B and C"; 0 when the comma ends the name."""
        n = len(toks)
        m = j
        saw_and = False
        while m < n:
            t = toks[m]
            if t.word and _is_cap(t.text):
                if self._head(t.text) or self._title_word(t.text) or known[m] is not None:
                    return 0
                m += 1
            elif t.text == "," and not saw_and:
                m += 1
            elif t.word and t.text == "and" and not saw_and and m + 1 < n and _is_cap(toks[m + 1].text):
                saw_and = True
                m += 1
            else:
                break
        return m if saw_and and toks[m - 1].word else 0

    def _analyse(self, text: str, toks: list[_Tok], known: list, run: list[int],
                 sentence_start: bool) -> list[_Piece]:
        idx = list(run)
        # the first word of a sentence is capitalised anyway: keep it only when it is a name elsewhere too
        if sentence_start and idx:
            w = toks[idx[0]].text
            low = _lower(w)
            if known[idx[0]] is None and not (w in self.corpus.mid_caps or _is_acronym(w) or low in HONORIFICS
                                              or self._title_word(w) or self._head(w)) or low in FUNCTION_WORDS:
                idx = idx[1:]
        while idx and (toks[idx[0]].text.casefold() in _JOINERS or not toks[idx[0]].word
                       or _ROMAN.match(toks[idx[0]].text) and len(idx) > 1):
            idx = idx[1:]  # "IX Congress": the ordinal stays outside the name
        if not idx:
            return []
        pieces: list[_Piece] = []
        cut = 0
        for a, b, titled in self._person_spans(toks, known, idx):
            before = idx[cut:a]
            titled = titled or self._titled_prefix(toks, known, before)
            title = ""
            if before and titled:
                stripped = self._strip_honorifics(text, toks, known, before)
                if stripped:
                    title = stripped[0]
                    pieces.extend(stripped[1])
            elif before:
                pieces.extend(self._name_pieces(text, toks, known, before))
            overlaps = tuple(dict.fromkeys(m.concept.id for m in (known[i] for i in before) if m))
            kind = "person"
            prev_word = next((t for t in reversed(toks[:idx[a]]) if t.word), None)
            if not title and not before and prev_word is not None and prev_word.text in ("in", "at", "from", "to") \
                    and prev_word.end + 1 == toks[idx[a]].start:
                kind = "place"  # "signed in Abu Dhabi"
            if not all(known[i] is not None for i in idx[a:b] if toks[i].word):  # else the glossary has them
                pieces.append(_Piece(self._span_text(text, toks, idx[a], idx[b - 1]), kind, toks[idx[a]].start,
                                     toks[idx[b - 1]].end, overlaps, title))
            cut = b
            # "Archbishop Tomash Peta of the Roman Catholic Archdiocese": what follows "of" is a body of its own
            while cut < len(idx) and toks[idx[cut]].text.casefold() in _CONNECTORS:
                cut += 1
        rest = idx[cut:]
        if rest:
            pieces.extend(self._name_pieces(text, toks, known, rest))
        return pieces

    def _personal(self, toks: list[_Tok], known: list, i: int) -> bool:
        """A word of a person's name: name-like, or part of a person the glossary knows."""
        if known[i] is not None:
            return known[i].concept.type == "person"
        return self._name_like(toks[i], False)

    def _titled_prefix(self, toks: list[_Tok], known: list, before: list[int]) -> bool:
        """The words before a name are a title: they start with a title word or honorific, or are a glossary title."""
        words = [i for i in before if toks[i].word and _lower(toks[i].text) not in _CONNECTORS]
        if not words:
            return False
        i = words[0]
        return self._title_word(toks[i].text) or _lower(toks[i].text) in HONORIFICS \
            or known[i] is not None and known[i].concept.type == "title"

    def _person_spans(self, toks: list[_Tok], known: list, idx: list[int]) -> list[tuple[int, int, bool]]:
        """(start, end) positions in idx of person names, with whether a title or honorific stands before."""
        spans = []
        personal = [self._personal(toks, known, i) for i in idx]  # each asked several times below
        p = 0
        while p < len(idx):
            if not personal[p]:
                p += 1
                continue
            q = p
            while q < len(idx):
                t = toks[idx[q]]
                if personal[q] or t.text == "." and q > p:
                    q += 1
                elif t.text.casefold() in _PARTICLES and q + 1 < len(idx) \
                        and personal[q + 1]:
                    q += 1
                else:
                    break
            while q > p and not toks[idx[q - 1]].word:
                q -= 1
            prev = toks[idx[p - 1]] if p else None
            titled = prev is not None and (
                _lower(prev.text) in HONORIFICS or self._title_word(prev.text) or prev.text == "."
                or known[idx[p - 1]] is not None and known[idx[p - 1]].concept.type == "title")
            after_of = prev is not None and prev.text.casefold() in _CONNECTORS
            size = sum(1 for i in idx[p:q] if toks[i].word and toks[i].text.casefold() not in _PARTICLES)
            at_end = q == len(idx) or toks[idx[q]].text.casefold() in ("of",)
            if after_of and size >= 2:
                # "Grand Imam of Al-Azhar Ahmed al-Tayeb": the word after "of" belongs to the institution
                p += 1
                continue
            if not after_of and (size >= 2 and (at_end or titled) or size == 1 and titled and at_end):
                spans.append((p, q, titled))
            p = q
        return spans

    def _strip_honorifics(self, text, toks, known, title_toks) -> tuple[str, list[_Piece]] | None:
        """The title before a person's name, minus honorifics; the title itself is a candidate too."""
        ids = [i for i in title_toks if toks[i].word or toks[i].text not in "."]
        while ids and (_lower(toks[ids[-1]].text) in _TITLE_HONORIFICS or toks[ids[-1]].text == "."
                       or _lower(toks[ids[-1]].text) in ("sheikh", "shaykh", "kazhy")):
            ids.pop()
        if not ids:
            return None
        while ids and (toks[ids[-1]].text == "." or toks[ids[-1]].text.casefold() in _CONNECTORS):
            ids.pop()
        if not ids:
            return None
        title = self._span_text(text, toks, ids[0], ids[-1])
        return title, self._name_pieces(text, toks, known, ids, title_context=True)

    @staticmethod
    def _span_text(text: str, toks: list[_Tok], a: int, b: int) -> str:
        s = text[toks[a].start:toks[b].end]
        return _POSSESSIVE_END.sub("", s) if s.endswith("s") else s

    def _name_pieces(self, text: str, toks: list[_Tok], known: list, idx: list[int],
                     title_context: bool = False) -> list[_Piece]:
        """A run without a person in it: an institution, a title, a place or an acronym."""
        edge = _EDGE_WORDS
        while idx and (_lower(toks[idx[-1]].text) in edge or not toks[idx[-1]].word) and known[idx[-1]] is None:
            idx = idx[:-1]
        while idx and (_lower(toks[idx[0]].text) in edge or not toks[idx[0]].word) and known[idx[0]] is None:
            idx = idx[1:]
        if not idx:
            return []
        words = [toks[i].text for i in idx if toks[i].word]
        if all(_lower(w) in STOPWORDS or _lower(w) in INSTITUTION_WORDS for w in words) \
                and not any(known[i] for i in idx):
            return []  # "Kazakh Muslims", "Muslim World"
        if len(words) == 1 and words[0].endswith("ing") and not _is_acronym(words[0]):
            return []  # "Preserving": a verb that starts a heading
        start, end = toks[idx[0]].start, toks[idx[-1]].end
        matches = [m for m in dict.fromkeys(known[i] for i in idx) if m is not None]
        if len(matches) == 1 and matches[0].start <= start and matches[0].end >= end:
            return []  # the glossary has it
        if all(known[i] is not None or _lower(toks[i].text) in _JOINED_TERMS for i in idx
               if toks[i].word) \
                and not self._composed_title(toks, known, idx):
            return []  # only glossary terms joined by "and": each is known
        if len(words) == 1 and len(idx) == 1 and 0 < idx[0] < len(toks) - 1 and toks[idx[0] + 1].word \
                and toks[idx[0] + 1].text[0].islower() and toks[idx[0] + 1].text.casefold() not in FUNCTION_WORDS:
            return []  # "the Hanafi tradition", "Ottoman manuscripts": an adjective, not a name
        if len(words) == 1:
            low = _lower(words[0])
            if low in _NEVER_ALONE or low in INSTITUTION_HEADS \
                    and low not in ("senate", "mazhilis", "majilis", "akimat") or _ROMAN.match(words[0]):
                return []  # a bare "Sheikh", "Deputy", "Committee"
        overlaps = tuple(dict.fromkeys(m.concept.id for m in matches))
        name = self._span_text(text, toks, idx[0], idx[-1])
        kind = self._kind(toks, idx, known)
        if kind == "acronym":
            return []  # acronyms are collected with their expansions in _acronyms
        pieces = [_Piece(name, kind, start, end, overlaps)]
        if kind == "title":
            pieces.extend(self._inner_body(text, toks, known, idx))
        elif kind == "institution":
            pieces.extend(self._outer_body(text, toks, known, idx))
        return pieces

    def _outer_body(self, text, toks, known, idx) -> list[_Piece]:
        """"Department of Multilateral Diplomacy of the Ministry of Foreign Affairs": the Department is named
        on its own too, when what follows its last "of" is a body with a head word or a glossary term."""
        for p in range(1, len(idx) - 1):
            if toks[idx[p]].text.casefold() != "of" or known[idx[p]] is not None:
                continue
            if p < 2 or not any(_lower(toks[j].text) in _UNIT_HEADS for j in idx[:p]):
                continue
            rest = idx[p + 1:]
            while rest and toks[rest[0]].text.casefold() in _CONNECTORS:
                rest = rest[1:]
            lead = []
            for j in rest:
                if toks[j].text.casefold() in ("of", "for", "on", "in", "to"):
                    break
                lead.append(j)
            first = known[rest[0]] if rest else None
            if first is not None and first.concept.type in ("institution", "organisation") \
                    or any(self._head(toks[j].text) for j in lead):
                head = idx[:p]
                return [_Piece(self._span_text(text, toks, head[0], head[-1]), "institution",
                               toks[head[0]].start, toks[head[-1]].end)]
        return []
        return []

    @staticmethod
    def _composed_title(toks: list[_Tok], known: list, idx: list[int]) -> bool:
        """A glossary title joined to another term by "of" or a dash ("Rector of the Nur-Mubarak University",
        "First President of Kazakhstan – Elbasy"): a name of its own, which MT cannot build from the parts."""
        first = known[idx[0]]
        if first is None or first.concept.type != "title":
            return False
        return any(known[i] is None and (toks[i].text.casefold() in ("of", "for") or toks[i].text in "–—-")
                   for i in idx)

    def _inner_body(self, text, toks, known, idx) -> list[_Piece]:
        """"Secretary-General of the Muslim World League" also names the League."""
        for p, i in enumerate(idx):
            if toks[i].text.casefold() in ("of", "for"):
                rest = idx[p + 1:]
                while rest and toks[rest[0]].text.casefold() in _CONNECTORS:
                    rest = rest[1:]
                if not rest or known[rest[0]] is not None and all(known[j] is known[rest[0]] for j in rest):
                    return []
                if any(self._title_word(toks[j].text) for j in rest[:1]):
                    return []
                lead = []
                for j in rest:
                    if toks[j].text.casefold() in ("of", "for", "on", "in", "to"):
                        break
                    lead.append(j)
                has_head = any(self._head(toks[j].text) or _lower(toks[j].text) in _STATE_HEADS for j in lead)
                single = len(rest) == 1 and known[rest[0]] is None and not self.corpus.common(toks[rest[0]].text) \
                    and _lower(toks[rest[0]].text) not in INSTITUTION_WORDS
                if has_head or single:
                    sub = self._name_pieces(text, toks, known, rest)
                    return [s for s in sub if s.kind != "title"]
                return []
        return []

    def _kind(self, toks: list[_Tok], idx: list[int], known: list) -> str:
        words = [toks[i].text for i in idx if toks[i].word]
        if len(words) == 1 and _is_acronym(words[0]):
            return "acronym"
        lead = []  # the words before the first "of"/"for": the head of the name
        for w in words:
            if w.casefold() in ("of", "for", "to", "on", "in"):
                break
            lead.append(w)
        if any(self._head(w) for w in lead):
            return "institution"
        if any(self._title_word(w) for w in lead) or known[idx[0]] is not None \
                and known[idx[0]].concept.type == "title":
            return "title"
        if any(self._head(w) for w in words):
            return "institution"
        if len(words) == 1:
            return "place"
        if all(self._name_like(toks[i], known[i] is not None) or toks[i].text.casefold() in _PARTICLES
               for i in idx if toks[i].word):
            return "person"
        return "institution" if any(w.casefold() in _CONNECTORS for w in words) else "place"

    def _acronyms(self, text: str, toks: list[_Tok], known: list, pieces: list[_Piece]) -> list[_Piece]:
        """"Name (ABBR)", "ABBR – Name" and acronyms on their own."""
        found = []
        for k, t in enumerate(toks):
            if not t.word or len(t.text) < 2 or not (t.text[1].isupper() or t.text[1] == ".") \
                    or not _is_acronym(t.text) or known[k] is not None or _lower(t.text) in HONORIFICS:
                continue  # "H.E." is an honorific, not an acronym
            expansion = ""
            if 0 < k < len(toks) - 1 and toks[k - 1].text == "(" and toks[k + 1].text == ")":
                before = [p for p in pieces if p.end <= toks[k - 1].start and p.kind != "person"]
                if before and _initials_fit(t.text, before[-1].text):
                    expansion = before[-1].text
                    before[-1].variants = (*before[-1].variants, t.text)
                elif k >= 2 and known[k - 2] is not None:
                    continue  # "(OIC)" after a glossary name: the glossary holds both
            found.append(_Piece(t.text, "acronym", t.start, t.end, (), "", expansion))
        return found


_LETTERS = re.compile(r"[^\W\d_]+")


def _initials_fit(acronym: str, name: str) -> bool:
    """The acronym's letters are initials of the name's words, in order (the first letter first)."""
    words = _LETTERS.findall(name)
    initials = "".join(w[0].upper() for w in words if w.casefold() not in ("of", "the", "and", "for", "on", "in"))
    all_initials = "".join(w[0].upper() for w in words)
    letters = acronym.replace(".", "")
    if not initials or letters[0] != initials[0]:
        return False
    it = iter(all_initials + "".join(w.upper() for w in words))
    return all(ch in it for ch in letters)


# ---------------------------------------------------------------- merging, ranking


_SHAPE = {"institution": 1.5, "title": 1.5, "person": 1.5, "acronym": 1.0, "place": 0.5}


def extract(sentences: Sequence[Sentence], terms: Glossary, min_count: int = 1) -> list[Candidate]:
    """Every name the glossary lacks, best first: seen in more articles, more often, with a clearer shape."""
    corpus = _Corpus(sentences)
    ex = _Extractor(terms, corpus)
    groups: dict[tuple[str, str], dict] = {}
    order: list[tuple[str, str]] = []
    pieces_of: dict[str, list[_Piece]] = {}  # a sentence repeated across articles is read once
    for s in sentences:
        pieces = pieces_of.get(s.text)
        if pieces is None:
            pieces = pieces_of[s.text] = ex.runs(s.text, s.matches)
        occurrence = Occurrence(s.article, s.line, s.text) if pieces else None  # frozen: one serves every piece
        for piece in pieces:
            kind = piece.kind
            key = ("person" if kind == "person" else "name", ex.key(piece.text))
            g = groups.get(key)
            if g is None:
                g = groups[key] = {"forms": {}, "kinds": {}, "occ": [], "articles": {}, "overlaps": {},
                                   "titles": {}, "expansion": "", "variants": {}}
                order.append(key)
            g["forms"][piece.text] = g["forms"].get(piece.text, 0) + 1
            g["kinds"][kind] = g["kinds"].get(kind, 0) + 1
            g["occ"].append(occurrence)
            g["articles"][s.article] = None
            if piece.overlaps:
                g["overlaps"].update(dict.fromkeys(piece.overlaps))
            if piece.title:
                g["titles"][piece.title] = None
            if piece.expansion and not g["expansion"]:
                g["expansion"] = piece.expansion
            if piece.variants:
                g["variants"].update(dict.fromkeys(piece.variants))
    _merge_short_forms(groups, order, ex.key)
    candidates = []
    for key in order:
        g = groups.get(key)
        if g is None:
            continue
        seen = g["forms"]
        forms = list(seen) if len(seen) == 1 else sorted(seen, key=lambda f: (-seen[f], -_form_quality(f), f))
        text = forms[0]
        kinds = g["kinds"]
        kind = next(iter(kinds)) if len(kinds) == 1 else max(kinds, key=lambda k: (kinds[k], k == "person"))
        if _known(terms, forms):
            continue
        count = len(g["occ"])
        if count < min_count:
            continue
        variants = [f for f in forms[1:]] + [v for v in g["variants"] if v not in forms]
        articles = list(g["articles"])
        score = 2.0 * len(articles) + count + _SHAPE[kind] + (1.0 if g["titles"] else 0.0) \
            + (1.0 if g["expansion"] else 0.0) + (0.5 if g["overlaps"] else 0.0) \
            + (0.5 if len(text.split()) > 1 else 0.0)
        candidates.append(Candidate(text, kind, count, articles, g["occ"], variants, list(g["overlaps"]),
                                    list(g["titles"]), g["expansion"], {}, round(score, 2)))
    heads = _title_heads(terms)
    for c in candidates:
        if c.kind == "title" and not c.overlaps:
            c.overlaps = heads.get(ex.key(c.text), [])
    candidates.sort(key=lambda c: (-c.score, c.text.casefold()))
    return candidates


def _title_heads(terms: Glossary) -> dict[str, list[str]]:
    """"Grand Imam" is the head of the glossary's "Grand Imam of Al-Azhar": a short form of a known title."""
    heads: dict[str, list[str]] = {}
    for concept in terms.concepts:
        if concept.type != "title":
            continue
        for form in (concept.en, *concept.en_variants):
            head = form.split(" of ")[0]
            if head != form:
                ids = heads.setdefault(name_key(head), [])
                if concept.id not in ids:
                    ids.append(concept.id)
    return heads


def _form_quality(form: str) -> int:
    """Between spellings seen equally often, prefer the one written with capitals and spaces after dots."""
    return sum(1 for w in form.split() if w[:1].isupper()) + form.count(". ")


def _known(terms: Glossary, forms: Iterable[str]) -> bool:
    """True when the glossary already matches one of the forms as a whole."""
    for form in forms:
        matches = terms.find(form)
        if len(matches) == 1 and matches[0].start == 0 and matches[0].end >= len(form.rstrip(".")):
            return True
    return False


def _absorb(groups: dict, into: tuple, key: tuple) -> None:
    """Fold group key into group into: its spellings become variants, its occurrences count for into."""
    target, g = groups[into], groups.pop(key)
    for f in g["forms"]:
        if f not in target["forms"]:
            target["variants"][f] = None
    target["variants"].update(g["variants"])
    target["occ"].extend(g["occ"])
    target["articles"].update(g["articles"])
    target["titles"].update(g["titles"])
    target["overlaps"].update(g["overlaps"])


def _merge_short_forms(groups: dict, order: list, key_of: Callable[[str], str] = name_key) -> None:
    """"Tokayev", "Mohammad Al-Issa" after "Mohammad bin Abdulkarim Al-Issa": the same person, a shorter form
    (same last name, the other words among the full name's). "Grand Imam" beside "Grand Imam of Al-Azhar": the
    same title, cut short."""
    people: dict[str, list[tuple]] = {}
    titles: dict[str, list[tuple]] = {}
    words_of: dict[str, list[str]] = {}  # the keys of each form's words, worked out once

    def word_keys(form: str) -> list[str]:
        found = words_of.get(form)
        if found is None:
            found = words_of[form] = [key_of(w) for w in form.split()]
        return found

    for key in order:
        g = groups.get(key)
        if g is None:
            continue
        person, titled = key[0] == "person", "title" in g["kinds"]
        if not person and not titled:
            continue
        for form in g["forms"]:
            if person:
                words = word_keys(form)
                if len(words) >= 2:
                    people.setdefault(words[-1], []).append((key, words))
            if titled:
                head = form.split(" of ")[0]
                if head != form:
                    titles.setdefault(key_of(head), []).append((key, word_keys(form)))
    longest_first = sorted(order, key=lambda k: -max((len(f.split()) for f in groups[k]["forms"]), default=0)
                           if k in groups else 0)
    for key in longest_first:
        g = groups.get(key)
        if g is None:
            continue
        if key[0] != "person" and "place" not in g["kinds"] and "title" not in g["kinds"]:
            continue  # no owner is looked for: the name stays as it is
        for form in list(g["forms"]):
            words = word_keys(form)
            if key[0] == "person" or len(words) == 1 and words[0] in people and "place" in g["kinds"]:
                owners = {k for k, full in people.get(words[-1], ()) if k != key and k in groups
                          and len(full) > len(words)
                          and set(words) <= set(full)}
            elif "title" in g["kinds"]:
                owners = {k for k, _ in titles.get(key[1], ()) if k != key and k in groups}
            else:
                owners = set()
            if len(owners) == 1:
                owner = owners.pop()
                if owner in groups:
                    _absorb(groups, owner, key)
                break


# ---------------------------------------------------------------- suggested targets


_TARGET_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_CYRILLIC_LATIN = str.maketrans({
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "i", "к": "k", "қ": "k", "л": "l", "м": "m", "н": "n", "ң": "n", "о": "o",
    "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u", "ү": "u", "ф": "f", "х": "kh",
    "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "", "ы": "y", "і": "i", "ь": "", "э": "e",
    "ю": "yu", "я": "ya"})
_ARABIC_MARKS = re.compile(r"[\u064b-\u065f\u0670\u0640]")


def _stem(word: str, lang: str) -> str:
    """A crude stem so inflected forms meet: the first letters of a Kazakh or Russian word, an Arabic word
    without diacritics, tatweel, the article or an attached و/ب/ل."""
    w = word.casefold().replace("’", "'")
    if lang == "ar":
        w = _ARABIC_MARKS.sub("", w).replace("أ", "ا").replace("إ", "ا").replace("آ", "ا").replace("ة", "ه")
        w = re.sub(r"^(?:[وبلف]?ال|[وبل](?=ال))", "", w)
        return w[:6]
    return w[:max(4, min(5, len(w) - 2))] if len(w) > 4 else w  # Корея, Кореи, Корее: коре


def _latin(text: str) -> str:
    return name_key(text.casefold().translate(_CYRILLIC_LATIN))


class ApprovedTexts:
    """The approved translations of one language, indexed by stem: which translations contain a word group is
    a set intersection, so every candidate is scored against all of them cheaply."""

    def __init__(self, table: dict[str, str], lang: str):
        self.lang = lang
        self.sources = list(table)
        self.targets = [table[s] for s in self.sources]
        self.row = {s: i for i, s in enumerate(self.sources)}
        self.words = [[m.group() for m in _TARGET_WORD.finditer(t)] for t in self.targets]
        self._stems: dict[str, str] = {}
        self.stems = [{self.stem(w) for w in words} for words in self.words]
        self.index: dict[str, set[int]] = {}
        for i, stems in enumerate(self.stems):
            for stem in stems:
                self.index.setdefault(stem, set()).add(i)

    def stem(self, word: str) -> str:
        found = self._stems.get(word)
        if found is None:
            found = self._stems[word] = _stem(word, self.lang)
        return found

    def containing(self, key: tuple[str, ...]) -> set[int]:
        sets = sorted((self.index.get(stem, set()) for stem in set(key)), key=len)
        return set.intersection(*sets) if sets else set()


def suggest(candidate: Candidate, approved: ApprovedTexts) -> str:
    """The words of the approved translations that render the candidate, or "" when they do not agree.

    The translations of the sentences that contain the candidate are compared: a word group all of them share,
    and the other translations rarely have, is the rendering; with one sentence only, a name is recognised by its
    sound (Cyrillic transliterated back and compared with the English), never guessed.
    """
    mine = [approved.row[s] for s in dict.fromkeys(o.sentence for o in candidate.occurrences) if s in approved.row]
    if not mine or len(mine) == 1 and candidate.kind != "person":
        return ""  # one sentence tells a word group from its context only for a name, by its sound
    from rapidfuzz import fuzz

    lang = approved.lang
    size = len(candidate.text.split())
    english = name_key(candidate.text)
    single = len(mine) == 1
    longest = size + 1 if single else min(size + 3, 10)
    surfaces: dict[tuple[str, ...], dict[str, int]] = {}  # stems -> how often each spelling occurs
    for i in mine:  # in article order: the same answer every run
        words = approved.words[i]
        for n in range(1, longest + 1):
            for j in range(len(words) - n + 1):
                gram = words[j:j + n]
                if single and not all(w[:1].isupper() for w in gram):
                    continue  # a name is written with capitals
                forms = surfaces.setdefault(tuple(approved.stem(w) for w in gram), {})
                text = " ".join(gram)
                forms[text] = forms.get(text, 0) + 1
    own = set(mine)
    others = len(approved.targets) - len(own)
    best, best_score = "", 0.0
    for key, forms in surfaces.items():
        gram = max(forms, key=lambda f: forms[f])  # the spelling the translators wrote most often
        length = abs(len(key) - size) / max(size, 1)
        if single:
            sound = fuzz.ratio(_latin(gram), english) / 100 if lang != "ar" else 0.0
            score = sound - 0.1 * length
            ok = sound >= 0.75
        else:
            having = approved.containing(key)
            if len(having & own) < len(own):
                continue  # every translation of the candidate's sentences must have it
            contrast = len(having - own) / others if others else 0.0
            if contrast >= 0.2:
                continue
            sound = fuzz.ratio(_latin(gram), english) / 100 if lang != "ar" else 0.0
            score = 1.0 - 2 * contrast - 0.15 * length + 0.3 * sound
            ok = True
        if ok and score > best_score:
            best, best_score = gram, score
    return best


def approved_translations(root: Path | Workspace, sentences: Sequence[str], langs: Sequence[str],
                          warnings: list[str]) -> dict[str, dict[str, str]]:
    """lang -> {English sentence: approved translation}, from the catalogs in locales/ and the memory (read
    only: finding candidates never writes)."""
    from pipeline import memory
    from pipeline.formats.po import read_po
    from pipeline.segment import normalise
    from pipeline.workspace import Workspace

    ws = root if isinstance(root, Workspace) else Workspace(Path(root))
    found: dict[str, dict[str, str]] = {lang: {} for lang in langs}
    locales = ws.locales
    for lang in langs:
        folder = locales / lang / "LC_MESSAGES"
        for path in sorted(folder.glob("*.po")) if folder.is_dir() else []:
            try:
                catalog = read_po(path)
            except LocatedError as exc:
                warnings.append(f"no suggestions from {exc}")
                continue
            for entry in catalog:
                if entry.msgstr and not entry.fuzzy and not entry.obsolete:
                    found[lang][normalise(entry.msgid)] = entry.msgstr
    path = ws.memory_location
    if isinstance(path, str) or path.is_file():
        with memory.Memory.open(path) as tm:
            for lang in langs:
                for sentence in sentences:
                    if sentence not in found[lang]:
                        match = tm.exact(sentence, lang)
                        if match is not None:
                            found[lang][sentence] = match.target
    return found


def add_suggestions(candidates: Sequence[Candidate], approved: dict[str, dict[str, str]]) -> None:
    for lang, table in approved.items():
        if not table:
            continue
        texts = ApprovedTexts(table, lang)
        for c in candidates:
            target = suggest(c, texts)
            if target:
                c.suggested[lang] = target


# ---------------------------------------------------------------- the command: find, and add to the glossary


@dataclass
class Report:
    candidates: list[Candidate]
    articles: int
    errors: list[str] = field(default_factory=list)  # articles that could not be read, with file:line
    warnings: list[str] = field(default_factory=list)
    added: list[Concept] = field(default_factory=list)
    glossary_file: Path | None = None


def article_sentences(article: Article, root: Path) -> list[Sentence]:
    from pipeline.segment import segment_text

    shown = relative(article.path, root)
    return [Sentence(shown, s.line, s.norm) for s in segment_text(article.text, markdown=article.markdown)]


def find(root: Path | Workspace, *, min_count: int = 1, add_rows: bool = False, langs: Sequence[str] = TARGET_LANGS,
         suggestions: bool = True) -> Report:
    """Candidates over every article of source_texts/, best first, with targets suggested from approved work;
    with add_rows, appended to glossary/terms.csv as unconfirmed rows. GlossaryError on a malformed glossary."""
    from pipeline import sources
    from pipeline.workflow import load_glossary
    from pipeline.workspace import Workspace

    ws = root if isinstance(root, Workspace) else Workspace(Path(root))
    terms = load_glossary(ws)
    report = Report([], 0)
    sentences: list[Sentence] = []
    scan = ws.scan_articles()  # hidden files, back-ups, links out of the workspace and shared slugs left out
    report.errors.extend(str(exc) for exc in scan.refused)
    for path in scan.paths:
        try:
            article = sources.read_article(path)
        except LocatedError as exc:
            report.errors.append(str(exc))
            continue
        report.articles += 1
        sentences += article_sentences(article, ws.root)
    report.candidates = extract(sentences, terms, min_count=min_count)
    if suggestions and report.candidates:
        approved = approved_translations(ws, list(dict.fromkeys(s.text for s in sentences)), langs,
                                         report.warnings)
        add_suggestions(report.candidates, approved)
    if add_rows:
        report.glossary_file, report.added = add(ws.root, report.candidates, terms)
    return report


_TYPE_OF_KIND = {"institution": "institution", "title": "title", "person": "person", "acronym": "organisation",
                 "place": "place"}
ADDED_NOTE = "added by `pipeline glossary candidates --add`: check the name, fill kk/ru/ar from official sources"


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    ascii_text = "".join(ch for ch in folded if ch.isascii())
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:60].strip("-") or "term"


def new_concepts(candidates: Sequence[Candidate], terms: Glossary, taken_ids: Iterable[str]) -> list[Concept]:
    """Rows for the candidates: confirmed=no, suggested targets (or none), variants the glossary does not
    already hold, a fresh id each. An acronym whose expansion is added too travels as its variant."""
    taken = set(taken_ids)
    used_forms: set[str] = set()
    expansions = {name_key(c.text) for c in candidates if c.kind != "acronym"}
    rows = []
    for c in candidates:
        if c.kind == "acronym" and c.expansion and name_key(c.expansion) in expansions:
            continue
        forms = []
        for form in (c.text, *c.variants):
            key = name_key(form) if c.kind == "person" else form.casefold()
            if key in used_forms or _known(terms, [form]) or len(form) < 2:
                continue
            if c.kind == "person" and len(form.split()) == 1 and form != c.text:
                continue  # a surname alone would match other people
            used_forms.add(key)
            forms.append(form)
        if not forms or forms[0] != c.text:
            continue
        base = _slug(c.text)
        cid, n = base, 2
        while cid in taken:
            cid, n = f"{base}-{n}", n + 1
        taken.add(cid)
        first = c.occurrences[0] if c.occurrences else None
        notes = ADDED_NOTE + (f"; first seen in {first.article}:{first.line}" if first else "")
        if c.titles:
            notes += "; seen with the titles: " + "; ".join(c.titles)
        if c.suggested:
            notes += "; suggested targets come from approved translations of sentences that contain it"
        rows.append(Concept(cid, _TYPE_OF_KIND[c.kind], c.text, tuple(forms[1:]), targets=dict(c.suggested),
                            confirmed=False, notes=notes))
    return rows


def append_to_glossary(path: Path, concepts: Sequence[Concept]) -> None:
    """Append rows to a glossary CSV, byte for byte keeping what is there (its header, line ends, rows)."""
    import csv

    from pipeline.files import write_bytes
    from pipeline.formats.glossary_csv import COLUMNS, csv_text

    data = path.read_bytes() if path.exists() else b""
    text = data.decode("utf-8-sig")
    newline = "\r\n" if "\r\n" in text else "\n"
    header = next(csv.reader([text.splitlines()[0]])) if text.strip() else list(COLUMNS)
    rows = csv_text(concepts, header)
    if text.strip():
        rows = rows.split("\n", 1)[1]
    addition = rows.replace("\n", newline).encode("utf-8")
    if data and not data.endswith(b"\n"):
        addition = newline.encode() + addition
    write_bytes(path, data + addition)


def add(root: Path, candidates: Sequence[Candidate], terms: Glossary) -> tuple[Path, list[Concept]]:
    """Append the candidates to glossary/terms.csv as unconfirmed rows; existing rows are never touched."""
    path = root / "glossary" / "terms.csv"
    rows = new_concepts(candidates, terms, (c.id for c in terms.concepts))
    if rows:
        path.parent.mkdir(parents=True, exist_ok=True)
        append_to_glossary(path, rows)
    return path, rows


# ---------------------------------------------------------------- the gap per article, for `run`


@dataclass(frozen=True)
class ArticleGap:
    """The names of one article the glossary does not know yet: what MT will render on its own."""

    article: str  # the article's path as shown (source_texts/x.txt)
    names: tuple[Candidate, ...]


def gaps(sentences: Sequence[Sentence], terms: Glossary) -> list[ArticleGap]:
    """Per article, the candidate names found in it (ranked over all the articles given), in article order."""
    found = extract(sentences, terms)
    order = list(dict.fromkeys(s.article for s in sentences))
    per: dict[str, list[Candidate]] = {a: [] for a in order}
    for c in found:
        for a in c.articles:
            per[a].append(c)
    return [ArticleGap(a, tuple(per[a])) for a in order]
