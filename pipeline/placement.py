"""Putting each glossary term back into an MT output in the form its sentence needs.

The engine sees placeholders (XT1) instead of names and returns them damaged in known ways: other letter case,
spaces inside ("X T 1", "XT 1", argos turning "_" into a space), Cyrillic look-alikes (ХТ1), Arabic-Indic
digits, a stutter ("XT1 XT1"), a Kazakh case ending glued on ("XT1-ның", "XT1 ның", "XT1ның"), an Arabic
proclitic glued on ("وXT1", "بالXT1"). Reading is tolerant of all of them; what the model glued on, and the words
around, decide the form:

- Kazakh: the glued ending names the case, and the ending is re-made for the term with its own harmony
  (never "басқармасы-ның"); else a postposition after the placeholder (туралы, үшін, дейін, кейін, бірге…);
- Russian: the governing preposition, verb, noun or adjective before the placeholder (pymorphy3 analysis);
- Arabic: the glued proclitics are joined to the name with the article rules (ل + ال -> لل).

Rules decide first. Where a rule is unsure (a list of plausible forms), a caller with a real model passes a
scorer and the most probable sentence wins; each placed term says which decided: "rule" or "model".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pipeline.forms import Forms, ar, kk

Scorer = Callable[[list[str]], list[float]]  # candidate sentences -> log-probability (higher is better)

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_HOMOGLYPHS = {
    "A": "AaАа", "B": "BbВв", "C": "CcСс", "E": "EeЕе", "H": "HhНн", "K": "KkКк", "M": "MmМм",
    "O": "OoОо", "P": "PpРр", "T": "TtТтΤτ", "X": "XxХхΧχ", "Y": "YyУу",
}
_LETTERS = "A-Za-zА-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі"
_CYRILLIC_TAIL = re.compile(r"(?:[-‐‑'’]\s?)?([а-яёәғқңөұүһі]+)", re.IGNORECASE)
_ARABIC_HEAD = re.compile(r"([\u0621-\u064a]{1,4})(\s?)$")
_WORD_BEFORE = re.compile(rf"([{_LETTERS}]+(?:-[{_LETTERS}]+)*)([^{_LETTERS}\d]*)$")
_WORD_AFTER = re.compile(rf"^([^{_LETTERS}\d]*?)([{_LETTERS}]+)")


_ARABIC_LETTER_NAMES = {"X": "[إا]كس", "T": "تي", "M": "[إا]م", "P": "بي", "K": "كي", "Z": "زد"}


def placeholder_pattern(prefix: str = "XT") -> re.Pattern:
    """Finds a placeholder however an engine returned it; group 1 is the number.

    A letter (Latin or Cyrillic) or digit right before means it is part of another word; Arabic letters before
    are proclitics the model glued on, and are read by the caller. An Arabic model may also spell the letters
    out ("إكس تي 1").
    """
    letters = r"[\s_]?".join(f"[{re.escape(_HOMOGLYPHS.get(ch.upper(), ch + ch.lower()))}]" for ch in prefix)
    if all(ch.upper() in _ARABIC_LETTER_NAMES for ch in prefix):
        spelled = r"\s?".join(_ARABIC_LETTER_NAMES[ch.upper()] for ch in prefix)
        letters = f"(?:{letters}|(?<![\u0621-\u064a]){spelled})"
    return re.compile(rf"(?<![{_LETTERS}\d]){letters}[\s_‐‑-]?([0-9٠-٩۰-۹]+)(?!\d)")


@dataclass(frozen=True)
class Term:
    """One protected term: its placeholder number, concept and the forms it may take (case -> text)."""

    number: int
    concept: str
    forms: dict[str, str]
    plural_forms: dict[str, str] | None = None  # Kazakh: used when the model glued a plural on
    kind: str = ""  # the concept's type (person, place, institution…): a person's name stands in apposition


@dataclass(frozen=True)
class Placed:
    placeholder: str  # "XT1"
    number: int
    concept: str
    form: str  # case name (ru/kk) or clitic name (ar), "pl.gen" for a plural
    text: str
    decided_by: str  # rule | model


@dataclass(frozen=True)
class Placement:
    text: str
    terms: tuple[Placed, ...] = ()
    problems: dict[int, str] = field(default_factory=dict)  # number -> lost or garbled | duplicated | mixed up

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Hit:
    number: int
    start: int  # where the replacement starts (clitics and glued endings included)
    end: int
    core: tuple[int, int]  # the placeholder itself
    ending: str = ""  # Kazakh/Russian letters glued after it
    clitics: str = ""  # Arabic proclitics glued before it
    candidates: tuple[str, ...] = ()  # plausible forms, best first; one = sure
    particle: tuple[int, int, str] | None = None  # a Kazakh мен/да after it to re-harmonise


# ---------------------------------------------------------------- Russian government

_RU_PREP = {
    "gen": {"без", "безо", "у", "от", "ото", "до", "из", "изо", "для", "около", "вокруг", "после", "против",
            "среди", "кроме", "вместо", "возле", "мимо", "ради", "из-за", "из-под", "вне", "внутри", "вдоль",
            "напротив", "накануне", "посредством", "путем", "путём", "помимо", "относительно", "вследствие",
            "близ", "позади", "сверх", "свыше", "вроде", "насчет", "насчёт", "ввиду"},
    "dat": {"к", "ко", "благодаря", "согласно", "вопреки", "навстречу", "по", "подобно"},
    "ins": {"с", "со", "над", "надо", "перед", "передо", "между", "меж"},
    "prep": {"о", "об", "обо", "при"},
    "acc": {"про", "через", "сквозь", "чрез"},
}
_RU_PREP_CASE = {word: case for case, words in _RU_PREP.items() for word in words}
_RU_LOCATIVE_OR_DIRECTION = {"в", "во", "на"}
_RU_DIRECTION_LEMMAS = {
    "прибыть", "прибывать", "приехать", "приезжать", "прилететь", "прилетать", "направиться", "направляться",
    "отправиться", "отправляться", "поехать", "ехать", "вернуться", "возвращаться", "войти", "входить",
    "вступить", "вступать", "поступить", "поступать", "передать", "передавать", "направить", "направлять",
    "пригласить", "приглашать", "включить", "включать", "внести", "вносить", "обратиться", "обращаться",
    "превратить", "превращаться", "отвезти", "доставить", "перенести", "визит", "поездка", "приезд",
    "прибытие", "путь", "вступление", "приглашение", "вклад", "переезд", "обращение", "командировка",
    "делегация", "въезд", "экскурсия", "вера", "верить", "зачислить", "избрать", "избирать", "пойти",
    "идти", "прийти", "приходить", "ответ", "отвечать", "ответить", "влиять", "повлиять", "надеяться",
    "отклик", "похожий", "опираться", "опереться", "смотреть", "посмотреть", "взгляд",
}
_RU_VERB_CASE = {
    "ins": {"руководить", "управлять", "являться", "стать", "становиться", "считаться", "называться",
            "заниматься", "гордиться", "интересоваться", "восхищаться", "возглавляться", "оставаться",
            "остаться", "пользоваться", "владеть", "обладать", "быть"},
    "dat": {"помочь", "помогать", "содействовать", "способствовать", "принадлежать", "сообщить", "сообщать",
            "предложить", "предлагать", "пожелать", "желать", "поручить", "позвонить", "звонить", "ответить",
            "отвечать", "вручить", "вручать", "подарить", "адресовать", "посвятить", "посвящать",
            "соответствовать", "доверять", "доверить", "аплодировать", "выразить", "выражать", "направить",
            "направлять", "передать", "передавать", "отправить", "отправлять", "представить"},
    "gen": {"достичь", "достигать", "добиться", "добиваться", "касаться", "коснуться", "бояться", "лишить",
            "лишиться", "избегать", "избежать", "придерживаться", "требовать", "ожидать"},
}
_RU_VERB_CASE_OF = {lemma: case for case, lemmas in _RU_VERB_CASE.items() for lemma in lemmas}
_RU_DATIVE_NOUNS = {"благодарность", "признательность", "письмо", "послание", "телеграмма", "поздравление",
                    "памятник", "помощь", "подарок", "соболезнование", "обращение", "доклад", "вызов",
                    "угроза", "дань", "уважение", "доверие"}
_RU_CASE = {"nomn": "nom", "gent": "gen", "gen2": "gen", "datv": "dat", "accs": "acc", "ablt": "ins",
            "loct": "prep", "loc2": "prep", "voct": "nom"}
_RU_SPEECH_VERBS = {"сказать", "говорить", "заявить", "заявлять", "рассказать", "рассказывать", "отметить",
                    "отмечать", "подчеркнуть", "подчёркивать", "подчеркивать", "добавить", "добавлять", "пояснить",
                    "пояснять", "считать", "признаться", "утверждать", "объяснить", "объяснять", "уточнить",
                    "уточнять", "напомнить", "напоминать", "заметить", "замечать", "констатировать", "полагать",
                    "сообщить", "сообщать", "написать", "писать", "признать", "признавать", "цитировать"}
_RU_CLASSIFIERS = {"город", "село", "посёлок", "поселок", "деревня", "провинция", "область", "район", "штат", "остров",
                   "река", "озеро", "компания", "корпорация", "сеть", "агентство", "газета", "журнал", "телеканал",
                   "издание", "шоу", "фильм", "проект", "конкурс", "фестиваль", "операция", "движение", "портал",
                   "сайт", "мечеть", "аул", "станция", "аэропорт", "улица", "проспект", "площадь"}
_APPOSITIVE_KINDS = {"place", "media", "event", "document", "person"}  # not "на сайте Посольства"
_RU_PERSON_TITLES = {"президент", "премьер-министр", "министр", "капитан", "преподобный", "господин", "госпожа",
                     "генсек", "сенатор", "депутат", "король", "королева", "принц", "принцесса", "посол", "муфтий",
                     "имам", "профессор", "доктор", "генерал", "полковник", "майор", "судья", "губернатор", "мэр",
                     "аким", "спикер", "канцлер", "папа", "патриарх", "митрополит", "епископ", "раввин", "шейх",
                     "сэр", "мистер", "миссис", "мисс", "тренер", "игрок", "актер", "актёр", "певец", "писатель",
                     "журналист", "лидер", "глава", "председатель", "директор", "ректор", "основатель", "автор",
                     "брат", "сестра", "сын", "дочь", "отец", "мать", "муж", "жена"}
_RU_COORDINATORS = {"и", "или", "а", "также", "либо", "ни"}


# ---------------------------------------------------------------- Kazakh postpositions

_KK_POSTPOSITION_CASE = {
    "туралы": "nom", "жайлы": "nom", "жайында": "nom", "арқылы": "nom", "үшін": "nom", "бойынша": "nom",
    "сияқты": "nom", "секілді": "nom", "жөнінде": "nom", "жөніндегі": "nom", "ретінде": "nom", "ретінде,": "nom",
    "қарай": "dat", "дейін": "dat", "шейін": "dat", "байланысты": "dat", "сәйкес": "dat", "қарсы": "dat",
    "арнап": "dat", "арналған": "dat", "орай": "dat", "қатысты": "dat", "жақын": "dat", "қарамастан": "dat",
    "кейін": "abl", "соң": "abl", "бері": "abl", "бұрын": "abl", "басқа": "abl", "гөрі": "abl", "тыс": "abl",
    "өзге": "abl", "бірге": "ins", "қатар": "ins", "бірлесіп": "ins", "бірлесе": "ins",
}
_KK_VERB_ENDINGS = ("ды", "ді", "ты", "ті", "ған", "ген", "қан", "кен", "йды", "йді", "ады", "еді", "уда",
                    "уде", "мақ", "мек", "ып", "іп", "п", "са", "се", "ма", "ме")
_KK_CLASSIFIERS = ("қаласы", "облысы", "ауданы", "ауылы", "кенті", "өзені", "көлі", "тауы", "мемлекеті",
                   "елі", "атындағы")
_KK_POSSESSED = re.compile(r"(сы|сі|лары|лері|дары|дері|тары|тері|ы|і)$")


class Placer:
    """Places terms into MT outputs of one target language (ru, kk or ar); one per run and language."""

    def __init__(self, lang: str, forms: Forms | None = None, prefix: str = "XT"):
        self.lang = lang
        self.forms = forms or Forms()
        self.prefix = prefix
        self.pattern = placeholder_pattern(prefix)

    # ------------------------------------------------------------ reading

    def _hits(self, output: str) -> list[_Hit]:
        hits: list[_Hit] = []
        for m in self.pattern.finditer(output):
            n = int(m.group(1).translate(_DIGITS))
            hit = _Hit(n, m.start(), m.end(), (m.start(), m.end()))
            if self.lang == "ar":
                head = _ARABIC_HEAD.search(output, 0, m.start())
                whole = head and (head.start() == 0 or not _is_arabic_letter(output[head.start() - 1]))
                if whole:
                    clitics, article = ar.split_clitics(head.group(1))
                    # glued: any clitics (and a model's article); with a space crept in: one clitic letter,
                    # or clitics with the article ("بال XT1", "ال XT1"), which are no word of their own either
                    if (clitics or article) and (not head.group(2) or len(head.group(1)) == 1 or article):
                        hit.start, hit.clitics = head.start(), clitics
            elif self.lang in ("kk", "ru"):
                tail = _CYRILLIC_TAIL.match(output, m.end())
                if tail:
                    hit.ending, hit.end = tail.group(1), tail.end()
                elif self.lang == "kk":
                    spaced = re.match(r"\s+([а-яёәғқңөұүһі]+)(?=$|[^\w])", output[m.end():], re.IGNORECASE)
                    if spaced:
                        word = spaced.group(1)
                        if word.lower() in ("мен", "бен", "пен", "да", "де", "та", "те"):
                            hit.particle = (m.end() + spaced.start(1), m.end() + spaced.end(1), word)
                        elif kk.case_of_ending(word) not in (None, "nom") and not _kk_standalone(word):
                            hit.ending, hit.end = word, m.end() + spaced.end(1)
            hits.append(hit)
        return self._collapse_stutters(output, hits)

    @staticmethod
    def _collapse_stutters(output: str, hits: list[_Hit]) -> list[_Hit]:
        """"XT1 XT1" (the same code twice with only spaces or a hyphen between) is one placeholder."""
        kept: list[_Hit] = []
        for hit in hits:
            if kept and kept[-1].number == hit.number and not kept[-1].ending \
                    and re.fullmatch(r"[\s‐‑-]*", output[kept[-1].end:hit.start]) and not hit.clitics:
                kept[-1].end, kept[-1].ending, kept[-1].particle = hit.end, hit.ending, hit.particle
                continue
            kept.append(hit)
        return kept

    def numbers(self, output: str) -> list[int]:
        return [h.number for h in self._hits(output)]

    # ------------------------------------------------------------ deciding

    def _decide_kk(self, output: str, hit: _Hit) -> tuple[str, ...]:
        if hit.ending:
            case = kk.case_of_ending(hit.ending)
            if case is not None:
                prefix = "pl." if kk.is_plural_ending(hit.ending) else ""
                return (prefix + case,)
            return ("nom",)
        if hit.particle:
            word = hit.particle[2].lower()
            if word in ("да", "де", "та", "те"):  # locative with a space, or the particle "too"
                return ("loc", "nom")
            return ("nom",)
        after = _WORD_AFTER.match(output[hit.end:])
        if after and not re.search(r"[.!?;:]", after.group(1)):
            word = after.group(2).lower()
            if word in _KK_POSTPOSITION_CASE:
                return (_KK_POSTPOSITION_CASE[word],)
            if word.startswith(_KK_CLASSIFIERS):  # "Астана қаласы": a name before its classifier stays as it is
                return ("nom",)
            if not after.group(1).strip() and _KK_POSSESSED.search(word) and not word.endswith(_KK_VERB_ENDINGS) \
                    and not _kk_standalone(word):
                return ("gen", "nom")  # "XT1 төрағасы": the possessor takes the genitive
        return ("nom",)

    def _decide_ru(self, output: str, hit: _Hit, term: Term) -> tuple[str, ...]:
        if hit.ending:
            return self._ru_by_ending(hit.ending, term)
        before = output[:hit.start]
        m = _WORD_BEFORE.search(before)
        if not m:
            return ("nom",)
        word, gap = m.group(1), m.group(2)
        if gap.strip() and gap.strip() not in ("«", '"', "„", "“"):
            if gap.strip() == ",":
                return ("nom", "gen")
            return ("nom",)
        low = word.lower()
        if low in _RU_PREP_CASE:
            return (_RU_PREP_CASE[low],)
        russian = self.forms.russian
        if low in _RU_LOCATIVE_OR_DIRECTION:
            gov = _WORD_BEFORE.search(before[:m.start()])
            if gov and not gov.group(2).strip():
                lemmas = {p.normal_form for p in russian.parse(gov.group(1))[:3]}
                if lemmas & _RU_DIRECTION_LEMMAS:
                    return ("acc", "prep")
                if any(p.tag.POS in ("VERB", "INFN") for p in russian.parse(gov.group(1))[:1]):
                    return ("prep", "acc")
            return ("prep",)
        if low in ("за", "под"):
            return ("acc", "ins") if low == "за" else ("ins", "acc")
        if low in _RU_COORDINATORS:
            return self._ru_coordinated(before[:m.start()])
        parses = russian.parse(word)
        if not parses:
            return ("nom",)
        best = parses[0]
        pos = best.tag.POS
        if pos == "NOUN" and word[:1].isupper() and ({"Name", "Patr", "Surn"} & _grammemes(best)) \
                and best.tag.case and m.start() > 0:
            return (_RU_CASE.get(str(best.tag.case), "nom"),)  # "Элину XT1": a name agrees with the one before
        if pos == "NOUN":
            if best.normal_form in _RU_DATIVE_NOUNS:
                return ("dat", "gen")
            if best.normal_form in _RU_CLASSIFIERS and term.kind in _APPOSITIVE_KINDS:
                return ("nom", "gen")  # "в городе Астана", "агентство Kazinform": a name in apposition
            if term.kind == "person" and best.normal_form in _RU_PERSON_TITLES:
                return ("nom",)  # "Президент Трамп", "капитан Гайлз"
            return ("gen",)
        if pos in ("ADJF", "PRTF", "NUMR") and best.tag.case:
            cases = list(dict.fromkeys(_RU_CASE.get(str(p.tag.case), "nom") for p in parses
                                       if p.tag.POS == pos and p.tag.case))
            return tuple(cases) or ("nom",)
        if pos in ("VERB", "INFN", "GRND", "PRTS"):
            lemma = best.normal_form
            if lemma in _RU_SPEECH_VERBS:
                return ("nom",)  # "— сказал XT1": the speaker follows the verb
            if lemma in _RU_VERB_CASE_OF:
                case = _RU_VERB_CASE_OF[lemma]
                return (case, "acc") if case != "acc" and "tran" in best.tag else (case,)
            if pos == "PRTS" and "pssv" in best.tag:
                return ("ins", "nom")
            if "tran" in best.tag and not low.endswith(("ся", "сь")):
                return ("acc", "nom")
            return ("nom",)
        return ("nom",)

    def _ru_coordinated(self, before: str) -> tuple[str, ...]:
        """After "и"/"или": the case of the nearest inflected word before it (встреча с A и XT1 -> ins)."""
        russian = self.forms.russian
        words = re.findall(rf"[{_LETTERS}]+(?:-[{_LETTERS}]+)*|[.!?;:]", before)[-6:]
        for word in reversed(words):
            if word in ".!?;:":
                break
            low = word.lower()
            if low in _RU_PREP_CASE:
                return (_RU_PREP_CASE[low], "nom")
            if low in _RU_LOCATIVE_OR_DIRECTION:
                return ("prep", "nom")
            parses = russian.parse(word)
            best = parses[0] if parses else None
            if best is not None and best.tag.POS in ("NOUN", "ADJF", "PRTF") and best.tag.case \
                    and "Fixd" not in best.tag:
                case = _RU_CASE.get(str(best.tag.case), "nom")
                return (case, "nom") if case != "nom" else ("nom",)
        return ("nom",)

    @staticmethod
    def _ru_by_ending(ending: str, term: Term) -> tuple[str, ...]:
        """"XT1ом" -> the case whose form ends so; several or none -> unsure."""
        ending = ending.lower()
        nom = term.forms.get("nom", "")
        found = []
        for case, form in term.forms.items():
            changed = [w for w, o in zip(form.split(), nom.split(), strict=False) if w != o] or form.split()[:1]
            if any(w.lower().endswith(ending) for w in changed):
                found.append(case)
        return tuple(found) if found else ("nom",)

    def _decide(self, output: str, hit: _Hit, term: Term) -> tuple[str, ...]:
        if self.lang == "kk":
            return self._decide_kk(output, hit)
        if self.lang == "ru":
            return self._decide_ru(output, hit, term)
        if self.lang == "ar":
            return (_AR_NAME.get(hit.clitics, "clitics"),)
        return ("nom",)

    # ------------------------------------------------------------ placing

    def _text(self, hit: _Hit, term: Term, form: str) -> str:
        if self.lang == "ar":
            return ar.attach(hit.clitics, term.forms.get("plain") or next(iter(term.forms.values())))
        if form.startswith("pl."):
            forms = term.plural_forms or term.forms
            return forms.get(form[3:]) or term.forms.get(form[3:]) or term.forms["nom"]
        return term.forms.get(form) or next(iter(term.forms.values()))

    def _render(self, output: str, hits: list[_Hit], chosen: dict[int, str], terms: dict[int, Term]) -> str:
        out, pos = [], 0
        for k, hit in enumerate(hits):
            term = terms.get(hit.number)
            if term is None:
                continue
            text = self._text(hit, term, chosen[k])
            before = output[pos:hit.start]
            if self.lang == "ru":
                before = _ru_preposition_fits(before, text)
            if text[:1].islower() and _SENTENCE_START.search(output, 0, hit.start):
                text = text[0].upper() + text[1:]  # a lower-case term opening a sentence
            out += [before, text]
            pos = hit.end
            if hit.particle and self.lang == "kk":
                start, end, word = hit.particle
                if chosen[k] == "loc" and word.lower() in ("да", "де", "та", "те"):
                    pos = end  # the locative ending is already in the form
                else:
                    out.append(output[pos:start] + _same_case(word, kk.harmonise(text, word)))
                    pos = end
        out.append(output[pos:])
        return "".join(out)

    def place(self, output: str, terms: Sequence[Term], source_numbers: Sequence[int] = (),
              scorer: Scorer | None = None) -> Placement:
        """output with every placeholder replaced by its term's form; problems when a placeholder went wrong."""
        by_number = {t.number: t for t in terms}
        if not by_number:
            return Placement(output)
        hits = self._hits(output)
        counts: dict[int, int] = {}
        for h in hits:
            counts[h.number] = counts.get(h.number, 0) + 1
        problems = {n: "lost or garbled" for n in by_number if counts.get(n, 0) == 0}
        problems.update({n: "duplicated" for n in by_number if counts.get(n, 0) > 1})
        strangers = set(counts) - set(by_number) - set(source_numbers)
        if strangers and not problems:
            problems = dict.fromkeys(by_number, "mixed up")
        if problems:
            return Placement(output, (), problems)
        hits = [h for h in hits if h.number in by_number]
        options = [self._decide(output, h, by_number[h.number]) for h in hits]
        chosen = {k: opts[0] for k, opts in enumerate(options)}
        decided = dict.fromkeys(range(len(hits)), "rule")
        if scorer is not None:
            for k, opts in enumerate(options):
                distinct = list(dict.fromkeys(opts))
                texts = {o: self._text(hits[k], by_number[hits[k].number], o) for o in distinct}
                if len(set(texts.values())) < 2:
                    continue
                candidates = []
                for option in distinct:
                    trial = dict(chosen)
                    trial[k] = option
                    candidates.append(self._render(output, hits, trial, by_number))
                scores = list(scorer(candidates))
                best = max(range(len(distinct)), key=lambda i: scores[i])
                if distinct[best] != chosen[k]:
                    chosen[k] = distinct[best]
                decided[k] = "model"
        text = self._render(output, hits, chosen, by_number)
        placed = tuple(
            Placed(f"{self.prefix}{h.number}", h.number, by_number[h.number].concept, chosen[k],
                   self._text(h, by_number[h.number], chosen[k]), decided[k])
            for k, h in enumerate(hits))
        return Placement(text, placed, {})


_SENTENCE_START = re.compile(r"(?:^|[.!?…])\s*[«\"„“(]?$")
_AR_NAME = {"": "plain", "و": "wa", "ف": "fa", "ب": "bi", "ل": "li", "ك": "ka"}


_RU_PAIRS = {"о": "о", "об": "о", "обо": "о", "в": "в", "во": "в", "с": "с", "со": "с", "к": "к", "ко": "к"}
_RU_PREP_AT_END = re.compile(r"(?<![\w-])(о|об|обо|в|во|с|со|к|ко)(\s+)$", re.IGNORECASE)
_RU_CONSONANTS = "бвгджзйклмнпрстфхцчшщ"


def _ru_preposition_fits(before: str, form: str) -> str:
    """о/об, в/во, с/со, к/ко before the term as it now begins: "об Организации", "во Дворце", "со Священным"."""
    m = _RU_PREP_AT_END.search(before)
    if not m or not form:
        return before
    word = m.group(1)
    base = _RU_PAIRS[word.lower()]
    head = form.lower()
    if base == "о":
        new = "об" if head[0] in "аоуэи" else "о"
    elif base == "в":
        new = "во" if (head[:1] in "вф" and head[1:2] in _RU_CONSONANTS) or head.startswith(("дв", "мн", "вс")) else "в"
    elif base == "с":
        new = "со" if (head[:1] in "сзшж" and head[1:2] in _RU_CONSONANTS) or head.startswith(("мн", "вс")) else "с"
    else:
        new = "ко" if head.startswith(("мн", "вс", "вт")) else "к"
    if new == word.lower():
        return before
    new = new.capitalize() if word[:1].isupper() else new
    return before[:m.start(1)] + new + m.group(2)


def _grammemes(parse) -> set[str]:
    return set(str(parse.tag).replace(" ", ",").split(","))


def _is_arabic_letter(ch: str) -> bool:
    return "\u0621" <= ch <= "\u064a"


def _kk_standalone(word: str) -> bool:
    """Kazakh words that look like endings but stand alone after a noun (conjunctions, particles, "I")."""
    return word.lower() in {"мен", "бен", "пен", "да", "де", "та", "те", "ма", "ме", "ба", "бе", "па", "пе",
                            "ғой", "қой", "ше", "ал", "не", "не,"}


def _same_case(original: str, new: str) -> str:
    return new.upper() if original.isupper() and len(original) > 1 else (
        new[:1].upper() + new[1:] if original[:1].isupper() else new)
