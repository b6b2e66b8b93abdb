"""Kazakh case forms of glossary names: the last word takes the case ending, chosen by the rules of the language.

No Kazakh morphology package exists for Python, so the rules are written out here:
- vowel harmony: the last vowel of the word decides back (а о ұ ы я) or front (ә ө ү і е э) endings;
- the sound the word ends with picks the consonant of the ending (ның/дың/тың, ға/қа, ны/ды/ты, да/та,
  дан/нан/тан, мен/бен/пен);
- a name ending in the 3rd-person possessive (басқармасы, министрлігі, Елбасы) takes the pronominal n:
  басқармасының, басқармасына, басқармасын, басқармасында, басқармасынан, басқармасымен;
- acronyms and Latin names take the ending after a hyphen (ҚМДБ-ның, Kazinform-ның).
"""

from __future__ import annotations

import re

CASES = ("nom", "gen", "dat", "acc", "loc", "abl", "ins")
BACK = set("аоұыяё")
FRONT = set("әөүіеэ")
VOWELS = BACK | FRONT | set("иуюәө")
_SONORANT_N = set("мнң")
_SONORANT = set("рлйуи")
_VOICED = set("жз")
_VOICELESS = set("кқпстфхцчшщбвгд")
_LATIN = str.maketrans("abcdefghijklmnopqrstuvwxyz", "абкдефгһийклмнопқрстувуксз")
_SUFFIXES = {  # case -> (back, front) endings by what the word ends with
    "gen": {"vowel": ("ның", "нің"), "n": ("ның", "нің"), "son": ("дың", "дің"), "voiced": ("дың", "дің"),
            "voiceless": ("тың", "тің"), "poss": ("ның", "нің")},
    "dat": {"vowel": ("ға", "ге"), "n": ("ға", "ге"), "son": ("ға", "ге"), "voiced": ("ға", "ге"),
            "voiceless": ("қа", "ке"), "poss": ("на", "не")},
    "acc": {"vowel": ("ны", "ні"), "n": ("ды", "ді"), "son": ("ды", "ді"), "voiced": ("ды", "ді"),
            "voiceless": ("ты", "ті"), "poss": ("н", "н")},
    "loc": {"vowel": ("да", "де"), "n": ("да", "де"), "son": ("да", "де"), "voiced": ("да", "де"),
            "voiceless": ("та", "те"), "poss": ("нда", "нде")},
    "abl": {"vowel": ("дан", "ден"), "n": ("нан", "нен"), "son": ("дан", "ден"), "voiced": ("дан", "ден"),
            "voiceless": ("тан", "тен"), "poss": ("нан", "нен")},
    "ins": {"vowel": ("мен", "мен"), "n": ("мен", "мен"), "son": ("мен", "мен"), "voiced": ("бен", "бен"),
            "voiceless": ("пен", "пен"), "poss": ("мен", "мен")},
}
_PLURAL = {"vowel": ("лар", "лер"), "n": ("дар", "дер"), "son": ("лар", "лер"), "voiced": ("дар", "дер"),
           "voiceless": ("тар", "тер")}
# Every ending a model may glue to a placeholder, with the case it means (plural + case chains included).
_ALL_ENDINGS: dict[str, str] = {}
for _case, _table in _SUFFIXES.items():
    for _pair in _table.values():
        for _ending in _pair:
            _ALL_ENDINGS.setdefault(_ending, _case)
for _extra, _case in (("а", "dat"), ("е", "dat"), ("сын", "acc"), ("сін", "acc"), ("ын", "acc"), ("ін", "acc"),
                      ("ының", "gen"), ("інің", "gen"), ("сының", "gen"), ("сінің", "gen"), ("ына", "dat"),
                      ("іне", "dat"), ("сына", "dat"), ("сіне", "dat"), ("ында", "loc"), ("інде", "loc"),
                      ("сында", "loc"), ("сінде", "loc"), ("ынан", "abl"), ("інен", "abl"), ("сынан", "abl"),
                      ("сінен", "abl"), ("ымен", "ins"), ("імен", "ins"), ("сымен", "ins"), ("сімен", "ins")):
    _ALL_ENDINGS.setdefault(_extra, _case)
_PLURALS = ("лар", "лер", "дар", "дер", "тар", "тер")


def front(word: str) -> bool:
    """True when the word takes front-vowel endings (its last clear vowel is front)."""
    w = word.lower().translate(_LATIN) if re.search("[a-z]", word.lower()) else word.lower()
    for ch in reversed(w):
        if ch in FRONT or ch == "и":  # a last-syllable и is front in names: Париждің, Берлинде, Мадридке
            return True
        if ch in BACK:
            return False
    return "ю" in w


def ending_class(word: str) -> str:
    """vowel | n (м н ң) | son (р л й у и) | voiced (ж з) | voiceless (also б в г д)."""
    w = word.lower().rstrip("ьъ")
    if re.search("[a-z]", w):
        w = w.translate(_LATIN)
    last = w[-1:] if w else "а"
    if last in _SONORANT or last in "ю":
        return "son" if last != "ю" else "vowel"
    if last in VOWELS:
        return "vowel"
    if last in _SONORANT_N:
        return "n"
    if last in _VOICED:
        return "voiced"
    return "voiceless"


def is_possessive(phrase: str) -> bool:
    """A name ending in the 3rd-person possessive: "... басқармасы", "... министрлігі", "Елбасы".

    Agent nouns in -шы/-ші (елші, кеңесші) are not possessive; a single word is only when it ends in -сы/-сі.
    """
    words = phrase.split()
    if not words:
        return False
    last = words[-1].lower()
    if not last.endswith(("ы", "і")) or last.endswith(("шы", "ші")):
        return False
    return len(words) > 1 or last.endswith(("сы", "сі"))


def _is_acronym(word: str) -> bool:
    return len(word) >= 2 and word.isupper()


def _spoken(word: str) -> str:
    """How an acronym or Latin name sounds, for its ending. An acronym with a vowel is read as a word (АҚШ-тың,
    БҰҰ-ның, ЕО-дан); one without is spelled out, its last letter named with ы (ҚМДБ: "…бы" -> ҚМДБ-ның)."""
    if _is_acronym(word):
        low = word.lower()
        return low if any(ch in VOWELS for ch in low) else low + "ы"
    return word


def suffix(word: str, case: str, possessive: bool = False) -> str:
    """The ending word takes in case ("" for nom), hyphen included for acronyms and Latin names."""
    if case == "nom":
        return ""
    if _is_acronym(word) or re.search("[A-Za-z]", word[-1:]):
        return "-" + _SUFFIXES[case][ending_class(_spoken(word))][front(_spoken(word))]
    kind = "poss" if possessive else ending_class(word)
    return _SUFFIXES[case][kind][front(word)]


def plural(phrase: str) -> str:
    """The plural of a name: -лар/-лер/-дар/-дер/-тар/-тер, before the possessive when there is one."""
    head, _, last = phrase.rpartition(" ")
    if is_possessive(phrase):
        stem = last[:-2] if last.lower().endswith(("сы", "сі")) else last[:-1]
        stem = stem[:-1] + {"ғ": "қ", "г": "к", "б": "п"}.get(stem[-1:], stem[-1:]) if stem else stem
        many = stem + _PLURAL[ending_class(stem)][front(stem)]
        word = many + ("і" if front(many) else "ы")
    else:
        word = last + _PLURAL[ending_class(last)][front(last)]
    return f"{head} {word}" if head else word


def decline(phrase: str, many: bool = False) -> dict[str, str]:
    """The seven case forms of phrase; the ending goes on the last word (quotes and brackets kept after it)."""
    main, paren = phrase, ""
    m = re.match(r"^(.*?)(\s*\(.*\))$", phrase)
    if m and m.group(1).strip():
        main, paren = m.group(1), m.group(2)
    if many:
        main = plural(main)
    closing = re.search(r"[»”\"')\].,:;!?]*$", main).group(0)
    body = main[: len(main) - len(closing)] if closing else main
    last = body.split()[-1] if body.split() else body
    possessive = is_possessive(body)
    return {case: body + suffix(last, case, possessive) + closing + paren for case in CASES}


def case_of_ending(ending: str) -> str | None:
    """The case a glued ending means ("ның" -> gen, "ларға" -> dat, "сынан" -> abl); None when unknown."""
    e = ending.lower().lstrip("-‐'’ ")
    if not e:
        return "nom"
    if e in _ALL_ENDINGS:
        return _ALL_ENDINGS[e]
    for p in _PLURALS:
        if e.startswith(p):
            rest = e[len(p):]
            if not rest:
                return "nom"
            if rest in _ALL_ENDINGS:
                return _ALL_ENDINGS[rest]
    return None


def is_plural_ending(ending: str) -> bool:
    return ending.lower().lstrip("-‐'’ ").startswith(_PLURALS)


def harmonise(word: str, particle: str) -> str:
    """A separate particle agreeing with the word before it: мен/бен/пен ("and"), да/де/та/те ("too")."""
    p = particle.lower()
    if p in ("мен", "бен", "пен"):
        return _SUFFIXES["ins"][ending_class(word)][0]
    if p in ("да", "де", "та", "те"):
        kind = ending_class(word)
        return ("та", "те")[front(word)] if kind == "voiceless" else ("да", "де")[front(word)]
    return particle
