"""Finding glossary terms in English text: normalisation, a token trie, longest leftmost matches.

Matching is the hot path of every run (each segment against every term), and the part whose rules
(spelling, dashes, quotes, case, an "(ABBR)" after a name) translators ask about; it lives on its own so
those rules and their speed can change without touching how the glossary is stored or enforced.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.concepts import Concept


@dataclass(frozen=True)
class TermMatch:
    text: str  # as it appears in the segment
    start: int
    end: int
    concept: Concept
    form: str = ""  # the glossary form (en or one of en_variants) that matched
    abbrev: str = ""  # "SAMK" when the match swallowed "(SAMK)" after the full name



# ---------------------------------------------------------------- normalisation

# One-to-one character map, so offsets in the normalised text are offsets in the original.
_CHAR_MAP = str.maketrans(
    {
        **dict.fromkeys("\u2019\u2018\u201b\u02bc\u02bb\u2032\u00b4`\uff07", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a\u2033\uff02", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
    }
)
# Words (with inner apostrophes, but a possessive 's split off), or one punctuation mark. Hyphens, dashes and
# spaces separate words and are never tokens: "Nur-Mubarak" = "Nur Mubarak" = "Nur–Mubarak". Quotes are tokens
# (all one key), optional inside a glossary form: the form `University "Nur-Mubarak"` matches the text with
# or without quotes, and a match never starts or ends between a quote and its word.
_TOKEN = re.compile(r"\w+(?:'(?![sS]\b)\w+)*|'[sS]\b|[^\w\s-]")
_QUOTE_KEY = '"'

_SPELLING_WORDS = {
    "programme": "program", "programmes": "programs", "defence": "defense", "offence": "offense",
    "licence": "license", "pretence": "pretense", "practise": "practice", "practised": "practiced",
    "practising": "practicing", "judgement": "judgment", "ageing": "aging", "enrolment": "enrollment",
    "fulfil": "fulfill", "grey": "gray", "jewellery": "jewelry", "cheque": "check", "plough": "plow",
    "mould": "mold", "sceptic": "skeptic", "aluminium": "aluminum", "storey": "story", "kerb": "curb",
}
_SPELLING_RULES = (
    (re.compile(r"^(\w{3,})ogue(s?)$"), r"\1og\2"),  # dialogue, catalogue, synagogue
    (re.compile(r"^(\w+)(t|b)re(s|d)?$"), r"\1\2er\3"),  # centre, theatre, metre, fibre
    (re.compile(r"^(\w{2,})is(e|es|ed|ing|er|ers|ation|ations|ational|able)$"), r"\1iz\2"),  # organise
    (re.compile(r"^(\w{2,})ys(e|es|ed|ing)$"), r"\1yz\2"),  # analyse
    (re.compile(r"^(\w{3,})our(s|ed|ing|able|ite|ites|less)?$"), r"\1or\2"),  # honour, labour, behaviour
    (re.compile(r"^(\w{3,}[aeiou])ll(ed|ing|er|ers|or|ors)$"), r"\1l\2"),  # counsellor, travelled
)


def _spelling(word: str) -> str:
    """British -> American canonical spelling of a casefolded word (both sides of a match go through it)."""
    known = _SPELLING_WORDS.get(word)
    if known is not None:
        return known
    if not word.isascii():
        return word
    for pattern, repl in _SPELLING_RULES:
        new, n = pattern.subn(repl, word)
        if n:
            return new
    return word


def _is_word(token: str) -> bool:
    return token[0].isalnum() or token[0] == "_" or token[:2].lower() == "'s"


def _fold_key(token: str) -> str:
    if token == "'":
        return _QUOTE_KEY
    if not _is_word(token):
        return token
    return _spelling(token.casefold())


def _form_keys(form: str, case: str) -> tuple[str, ...]:
    """Trie keys of a glossary form: case-sensitive tokens carry a '=' marker and match only exactly."""
    keys = []
    for token in _TOKEN.findall(unicodedata.normalize("NFC", form).translate(_CHAR_MAP)):
        exact = _is_word(token) and (
            case == "sensitive" or (case == "auto" and len(token) >= 2 and token.isupper())
        )
        keys.append("=" + token if exact else _fold_key(token))
    return tuple(keys)


def match_keys(form: str, case: str) -> list[tuple[str, ...]]:
    """The trie keys a glossary form is found by: as written, and without quotes when it has any.

    Empty when the form has nothing but quotes and punctuation (`glossary check` reports that).
    """
    keys = _form_keys(form, case)
    bare = tuple(k for k in keys if k != _QUOTE_KEY)
    if not bare:
        return []
    return [keys, bare] if bare != keys else [keys]


def _initials(form: str) -> str:
    return "".join(t[0].upper() for t in _TOKEN.findall(form.translate(_CHAR_MAP)) if t[0].isalnum())


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


# ---------------------------------------------------------------- matching


@dataclass(frozen=True)
class _Form:
    concept: Concept
    form: str


_END = ""  # trie key of the terminal slot; no token is empty


class Glossary:
    """Matcher over all concepts: a trie over normalised word tokens, longest leftmost match first."""

    def __init__(self, concepts: Sequence[Concept]):
        self.concepts: tuple[Concept, ...] = tuple(concepts)
        self._by_id = {c.id: c for c in self.concepts}
        self._root: dict = {}
        self._memo: dict[str, tuple[str, str | None, bool]] = {}
        for concept in self.concepts:
            for form in (concept.en, *concept.en_variants):
                for keys in match_keys(form, concept.case):
                    node = self._root
                    for key in keys:
                        node = node.setdefault(key, {})
                    if _END not in node:  # the first concept (file order) wins; `check` reports the clash
                        node[_END] = _Form(concept, form)

    def __len__(self) -> int:
        return len(self.concepts)

    def get(self, concept_id: str) -> Concept | None:
        return self._by_id.get(concept_id)

    def _keys(self, token: str) -> tuple[str, str | None, bool]:
        """(folded key, exact key, can start a term) of a text token, memoised: news reuses its words."""
        keys = self._memo.get(token)
        if keys is None:
            if len(self._memo) > 200_000:
                self._memo.clear()
            fk, ek = _fold_key(token), "=" + token if _is_word(token) else None
            keys = (fk, ek, fk in self._root or ek in self._root)
            self._memo[token] = keys
        return keys

    def find(self, text: str) -> list[TermMatch]:
        """Longest, non-overlapping matches in text order."""
        norm = text.translate(_CHAR_MAP)
        tokens = _TOKEN.findall(norm)
        memo, lookup = self._memo, self._keys
        keys = [memo.get(t) or lookup(t) for t in tokens]
        candidates = [i for i, k in enumerate(keys) if k[2]]
        if not candidates:
            return []
        spans = _Spans(norm, tokens)
        matches: list[TermMatch] = []
        done = 0
        for i in candidates:
            if i < done:
                continue
            end, form = self._walk(self._root, keys, i)
            if form is None:
                continue
            start_char, end_char = spans.start(i), spans.end(end - 1)
            abbrev = ""
            close = self._abbreviation(keys, tokens, end, form)
            if close:
                abbrev = text[spans.start(end + 1):spans.end(close - 1)]
                end_char, end = spans.end(close), close + 1
            matches.append(TermMatch(text[start_char:end_char], start_char, end_char, form.concept,
                                     form.form, abbrev))
            done = end
        return matches

    @staticmethod
    def _walk(root: dict, keys: list, i: int) -> tuple[int, _Form | None]:
        """Follow the trie from token i as far as it goes; the longest terminal wins."""
        best_end, best = i, None
        states = [s for s in (root.get(keys[i][0]), root.get(keys[i][1])) if s is not None]
        j = i + 1
        n = len(keys)
        while states:
            for s in states:
                f = s.get(_END)
                if f is not None:
                    best_end, best = j, f
                    break
            if j >= n:
                break
            fk, ek, _ = keys[j]
            nxt = []
            for s in states:
                c = s.get(fk)
                if c is not None:
                    nxt.append(c)
                if ek is not None:
                    c = s.get(ek)
                    if c is not None:
                        nxt.append(c)
            states = nxt
            j += 1
        return best_end, best

    def _abbreviation(self, keys: list, tokens: list[str], end: int, form: _Form) -> int:
        """Token index of ')' when "(ABBR)" right after the match abbreviates the same concept, else 0.

        "(SAMK)" after "Spiritual Administration of Muslims of Kazakhstan" joins that match: one term, one
        placeholder, so MT cannot split the name from its abbreviation. Accepted: another form of the same
        concept, or an all-capitals word whose letters are initials of the name, in order.
        """
        if end + 2 >= len(keys) or keys[end][0] != "(":
            return 0
        for close in range(end + 2, min(end + 8, len(keys))):
            if keys[close][0] == ")":
                break
        else:
            return 0
        inner = keys[end + 1:close]
        node = self._root
        for fk, ek, _ in inner:
            child = node.get(fk)
            node = child if child is not None else node.get(ek)
            if node is None:
                break
        else:
            f = node.get(_END)
            if f is not None:  # another concept's name in parentheses is a term of its own
                return close if f.concept is form.concept else 0
        if close == end + 2:
            word = tokens[end + 1]
            if 2 <= len(word) <= 12 and word.isupper() and word.isalpha() \
                    and word[0] == _initials(form.form)[:1] and _is_subsequence(word, _initials(form.form)):
                return close
        return 0


class _Spans:
    """Character offsets of tokens, found only as far as a match needs them.

    Tokens are separated by nothing but spaces and hyphens, which no token contains, so the next
    occurrence of a token's text after the previous token is that token.
    """

    def __init__(self, norm: str, tokens: list[str]):
        self.norm, self.tokens, self.starts, self.pos = norm, tokens, [], 0

    def start(self, k: int) -> int:
        starts, tokens = self.starts, self.tokens
        while len(starts) <= k:
            token = tokens[len(starts)]
            at = self.norm.find(token, self.pos)
            starts.append(at)
            self.pos = at + len(token)
        return starts[k]

    def end(self, k: int) -> int:
        return self.start(k) + len(self.tokens[k])

