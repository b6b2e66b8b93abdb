"""Russian case forms of glossary names: the head phrase inflects, everything after it stays.

"Духовное управление мусульман Казахстана" -> gen "Духовного управления мусульман Казахстана": the adjectives
before the head noun agree with it, the genitive tail ("мусульман Казахстана"), appositions ("Республика
Казахстан"), prepositional tails ("Советник по Центральной Азии") and quoted names («Нур-Мубарак») are left as
written. Words come from pymorphy3's OpenCorpora dictionary; the phrase logic is ours.
"""

from __future__ import annotations

import re

CASES = ("nom", "gen", "dat", "acc", "ins", "prep")
GRAMMEME = {"nom": "nomn", "gen": "gent", "dat": "datv", "acc": "accs", "ins": "ablt", "prep": "loct"}
_MODIFIER = {"ADJF", "PRTF"}
_TOKEN = re.compile(r"\S+|\s+")
_PUNCT = ".,:;!?…"
_FUNCTION_WORDS = {"PREP", "CONJ", "PRCL", "INTJ"}
_WORD = re.compile(r"^[А-Яа-яЁё][А-Яа-яЁё-]*$")


def _match_case(original: str, new: str) -> str:
    """Give new the letter case and ё-spelling of original (pymorphy3 answers in lower case, with ё)."""
    if "ё" not in original.lower():
        new = new.replace("ё", "е")
    if original.isupper() and len(original) > 1:
        return new.upper()
    old_parts, new_parts = original.split("-"), new.split("-")
    if len(old_parts) != len(new_parts):
        old_parts, new_parts = [original], [new]
    return "-".join(n[:1].upper() + n[1:] if o[:1].isupper() else n for o, n in zip(old_parts, new_parts,
                                                                                      strict=True))


def _known(parse) -> bool:
    """The word is in the dictionary as it stands (not guessed from an ending or an unknown prefix)."""
    stack = parse.methods_stack
    return len(stack) == 1 and stack[0][0].__class__.__name__ == "DictionaryAnalyzer"


class Russian:
    """Inflects phrases; holds the pymorphy3 analyzer (loaded once per instance, ~0.1 s)."""

    def __init__(self, morph=None):
        if morph is None:
            import pymorphy3

            morph = pymorphy3.MorphAnalyzer(lang="ru")
        self.morph = morph
        self._parses: dict[str, list] = {}

    def parse(self, word: str) -> list:
        key = word.lower()
        found = self._parses.get(key)
        if found is None:
            found = self._parses[key] = self.morph.parse(key)
        return found

    def _nominative(self, word: str, pos: set[str]):
        word = word.rstrip(_PUNCT)
        if not _WORD.match(word):
            return None
        parses = self.parse(word)
        if parses and parses[0].tag.POS in _FUNCTION_WORDS:
            return None  # "в", "и", "по": never part of the inflecting head, whatever rare reading they have
        for p in parses:
            if "Abbr" in p.tag or "Init" in p.tag:
                continue
            if p.tag.POS in pos and p.tag.case == "nomn":
                if not _known(p) and p.tag.number == "plur" and p.tag.POS == "NOUN":
                    return None  # a guessed plural of an unknown name ("Елбасы"): leave it as written
                return p
        return None

    def _inflect_word(self, parse, word: str, grammemes: set[str]) -> str:
        """One word in the wanted form; a hyphenated name pymorphy3 only guessed inflects its last part."""
        if parse is None:
            return word
        bare = word.rstrip(_PUNCT)
        if bare != word:
            return self._inflect_word(parse, bare, grammemes) + word[len(bare):]
        method = parse.methods_stack[0][0].__class__.__name__ if parse.methods_stack else ""
        if "-" in word and method == "HyphenatedWordsAnalyzer":
            head, _, last = word.rpartition("-")
            last_parse = self._nominative(last, {parse.tag.POS})
            return f"{head}-{self._inflect_word(last_parse, last, grammemes)}" if last_parse else word
        if "Fixd" in parse.tag:
            return word
        form = parse.inflect(grammemes)
        if form is None:
            form = parse.inflect({g for g in grammemes if g in GRAMMEME.values() or g in ("sing", "plur")})
        return _match_case(word, form.word) if form is not None else word

    def _head(self, words: list[str]) -> tuple[list[tuple[int, object, str]], int]:
        """(index, parse, role) of the words that inflect - role "mod" or "head" - and where the tail starts."""
        parts: list[tuple[int, object, str]] = []
        i = 0
        seen_head = False
        while i < len(words):
            word = words[i]
            if word.lower() == "и" and parts:
                # coordination: "Чрезвычайный и Полномочный Посол", "Духовная дипломатия и сохранение ..."
                nxt = words[i + 1] if i + 1 < len(words) else ""
                if not seen_head and self._nominative(nxt, _MODIFIER):
                    i += 1
                    continue
                if seen_head:
                    p = self._nominative(nxt, {"NOUN"})
                    if p is not None and self.parse(nxt)[0].tag.case != "gent":
                        parts.append((i + 1, p, "head"))
                        i += 2
                        continue
                break
            if seen_head:
                break
            modifier = self._nominative(word, _MODIFIER)
            noun = self._nominative(word, {"NOUN"})
            if noun is not None and (modifier is None or i + 1 >= len(words)
                                     or self._nominative(words[i + 1], {"NOUN"}) is None):
                parts.append((i, noun, "head"))
                seen_head = True
            elif modifier is not None:
                parts.append((i, modifier, "mod"))
            else:
                break
            i += 1
        return parts, i

    def inflect(self, phrase: str, plural: bool = False) -> dict[str, str]:
        """The six case forms of phrase (nom included); plural=True gives the plural forms."""
        main, paren = phrase, ""
        m = re.match(r"^(.*?)(\s*\(.*\))$", phrase)
        if m and m.group(1).strip():
            main, paren = m.group(1), m.group(2)
        tokens = _TOKEN.findall(main)
        word_at = [k for k, t in enumerate(tokens) if not t.isspace()]
        words = [tokens[k] for k in word_at]
        parts, _ = self._head(words)
        heads = [p for _, p, role in parts if role == "head"]
        forms = {}
        for case in CASES:
            out = list(tokens)
            for index, parse, role in parts:
                agree = heads[0] if heads and role == "mod" else parse
                number = "plur" if plural or str(agree.tag.number) == "plur" else "sing"
                wanted = {GRAMMEME[case], number}
                if role == "mod" and number == "sing" and agree.tag.gender:
                    wanted.add(str(agree.tag.gender))
                if case == "acc" and role == "mod":
                    # no head noun: a substantivised adjective names a person ("Временного поверенного")
                    animate = str(agree.tag.animacy) == "anim" or (not heads and number == "sing"
                                                                    and str(agree.tag.gender) == "masc")
                    wanted.add("anim" if animate else "inan")
                out[word_at[index]] = self._inflect_word(parse, words[index], wanted)
            forms[case] = "".join(out) + paren
        return forms
