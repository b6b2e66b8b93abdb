"""Numbers, years, percentages, ordinals and dates carried over from the English source.

Each number of the source must appear in the translation, whatever way the language writes it: Arabic-Indic
digits are the same digits, "3.5" is "3,5" or "٣٫٥", "1,500" is "1 500", "1500" or "1,5 тыс.", "8th" is
"8-го", "8-ші" or "الثامن". Human translators write small numbers as words ("two" ↔ "два", "екі", "اثنين"),
so a missing number up to twenty (and round tens, hundred, thousand) is accepted when the translation has its
word. A month next to a number ("Sept. 15") must come back as that month ("15 сентября", "15 қыркүйек",
"15 سبتمبر" or "١٥ أيلول"). Only the source-to-target direction is checked: a changed number is a missing one.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from pipeline.qa.base import Entry, Finding

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_SEPARATORS = str.maketrans({"٫": ".", "٬": ",", "\u00a0": " ", "\u202f": " ", "\u2009": " "})

# A number as written: digit groups joined by . , or a (narrow) space before exactly three digits.
_NUMBER = re.compile(r"(?<![\d.,])\d+(?:(?:[.,]\d+)|(?: \d{3})(?!\d))*")
_SCALE = {
    "thousand": 1000, "million": 10**6, "billion": 10**9, "trillion": 10**12, "bn": 10**9, "m": 10**6,
    "тыс": 1000, "тысяч": 1000, "тысячи": 1000, "тысяча": 1000, "млн": 10**6, "миллион": 10**6,
    "миллиона": 10**6, "миллионов": 10**6, "млрд": 10**9, "миллиард": 10**9, "миллиарда": 10**9,
    "миллиардов": 10**9, "трлн": 10**12, "мың": 1000,
    "ألف": 1000, "آلاف": 1000, "الف": 1000, "مليون": 10**6, "ملايين": 10**6, "مليار": 10**9, "مليارات": 10**9,
}
_SCALE_AFTER = re.compile(r"\s*-?\s*(\w+)")
_SCALE_STEMS = tuple(k for k in _SCALE if len(k) >= 3)


def _scale(word: str) -> int | None:
    """The multiplier a word after a number stands for ("million", "млн", "мыңдық", "ملايين")."""
    word = word.casefold()
    if word in _SCALE:
        return _SCALE[word]
    stem = next((k for k in _SCALE_STEMS if word.startswith(k)), None)
    return _SCALE[stem] if stem else None

MONTHS_EN = {
    1: ("january", "jan"), 2: ("february", "feb"), 3: ("march", "mar"), 4: ("april", "apr"), 5: ("may",),
    6: ("june", "jun"), 7: ("july", "jul"), 8: ("august", "aug"), 9: ("september", "sept", "sep"),
    10: ("october", "oct"), 11: ("november", "nov"), 12: ("december", "dec"),
}
_MONTH_EN = re.compile(r"\b(" + "|".join(sorted((n for ns in MONTHS_EN.values() for n in ns), key=len, reverse=True))
                       + r")\b\.?", re.IGNORECASE)
# Month names as each language writes them (stems; Arabic: the Gulf/Egyptian and the Levantine names).
MONTHS = {
    "ru": ("январ", "феврал", "март", "апрел", "ма[йяюе]", "июн", "июл", "август", "сентябр", "октябр", "ноябр",
           "декабр"),
    "kk": ("қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз", "қыркүйе[кг]", "қазан",
           "қараша", "желтоқсан"),
    "ar": ("يناير|كانون الثاني", "فبراير|شباط", "مارس|آذار|اذار", "أبريل|ابريل|إبريل|نيسان", "مايو|أيار|ايار",
           "يونيو|يونيه|حزيران", "يوليو|يوليه|تموز", "أغسطس|اغسطس|آب", "سبتمبر|أيلول|ايلول",
           "أكتوبر|اكتوبر|تشرين الأول|تشرين الاول", "نوفمبر|تشرين الثاني", "ديسمبر|كانون الأول|كانون الاول"),
}


def _month_pattern(names: str, lang: str) -> re.Pattern:
    if lang == "ar":  # a name may carry attached particles (وفي سبتمبر, بسبتمبر)
        return re.compile("(?:" + names + ")")
    return re.compile(r"(?<!\w)(?:" + "|".join(n + r"\w*" for n in names.split("|")) + r")(?!\w)", re.IGNORECASE)


_MONTH_TARGET = {lang: [_month_pattern(names, lang) for names in stems] for lang, stems in MONTHS.items()}
_NUMERIC_DATE = re.compile(r"\b\d{1,2}[./-]\d{1,2}(?:[./-]\d{2,4})?\b")

# Number words (cardinal and ordinal stems) that stand for a small number in a translation.
_WORDS = {
    "en": {0: "zero|no", 1: "one|first|a|an|single", 2: "two|second|both|twice|pair|couple", 3: "three|third|thrice",
           4: "four|fourth", 5: "five|fifth", 6: "six|sixth", 7: "seven|seventh", 8: "eight|eighth",
           9: "nine|ninth", 10: "ten|tenth", 11: "eleven|eleventh", 12: "twelve|twelfth|dozen",
           20: "twenty|twentieth", 100: "hundred|century", 1000: "thousand"},
    "ru": {0: "ноль|нул", 1: "один|одн|перв|единств", 2: "два|двух|двум|двое|двои|втор|обе|оба|пар",
           3: "три|трех|трём|трем|трое|трет",
           4: "четыр|четвер", 5: "пят", 6: "шест", 7: "сем|седьм", 8: "восем|восьм", 9: "девят", 10: "десят|десяток",
           11: "одиннадцат", 12: "двенадцат|дюжин", 13: "тринадцат", 14: "четырнадцат", 15: "пятнадцат",
           16: "шестнадцат", 17: "семнадцат", 18: "восемнадцат", 19: "девятнадцат", 20: "двадцат", 30: "тридцат",
           40: "сорок", 50: "пятьдесят|пятидесят", 60: "шестьдесят|шестидесят", 70: "семьдесят|семидесят",
           80: "восемьдесят|восьмидесят", 90: "девяност", 100: "сто|сотн|ста|столет|век", 1000: "тысяч"},
    "kk": {0: "нөл", 1: "бір|алғашқы", 2: "екі|қос", 3: "үш(?!ін)", 4: "төрт", 5: "бес", 6: "алты", 7: "жеті",
           8: "сегіз", 9: "тоғыз", 10: "он", 20: "жиырма", 30: "отыз", 40: "қырық", 50: "елу", 60: "алпыс",
           70: "жетпіс", 80: "сексен", 90: "тоқсан", 100: "жүз|ғасыр", 1000: "мың"},
    "ar": {0: "صفر", 1: "واحد|اول|أول|أولى|اولى|وحيد", 2: "اثن|إثن|ثاني|ثانى|مرتين|ين$|ان$", 3: "ثلاث|ثالث",
           4: "أربع|اربع|رابع", 5: "خمس|خامس", 6: "ست|سادس", 7: "سبع|سابع", 8: "ثمان|ثامن", 9: "تسع|تاسع",
           10: "عشر|عاشر", 20: "عشرين|عشرون", 30: "ثلاثين|ثلاثون", 40: "أربعين|اربعين", 50: "خمسين|خمسون",
           60: "ستين|ستون", 70: "سبعين|سبعون", 80: "ثمانين|ثمانون", 90: "تسعين|تسعون", 100: "مائة|مئة|مئات|قرن",
           1000: "ألف|الف|آلاف"},
}
_ARABIC_PREFIXES = re.compile(r"^(?:و|ف)?(?:ب|ل|ك)?(?:ال)?")


def _word_tests(lang: str) -> dict[int, re.Pattern]:
    out = {}
    for value, stems in _WORDS.get(lang, {}).items():
        alternatives = "|".join(stems.split("|"))
        out[value] = re.compile(rf"^(?:{alternatives})" if lang != "en" else rf"^(?:{alternatives})$")
    return out


_WORD_TESTS = {lang: _word_tests(lang) for lang in _WORDS}
_TOKEN = re.compile(r"\w+")


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text).normalize()
    except InvalidOperation:
        return None


def readings(token: str, *, english: bool) -> set[Decimal]:
    """The values a written number can mean: English "1,500" is 1500, Russian "1,5" is 1.5, "1 500" is 1500."""
    token = token.replace(" ", "")
    values = set()
    if "," not in token and "." not in token:
        values.add(_decimal(token))
    else:
        seps = re.findall(r"[.,]", token)
        groups = re.split(r"[.,]", token)
        grouped = all(len(g) == 3 for g in groups[1:])
        if len(set(seps)) == 1:
            if grouped and (english is False or seps[0] == "," or len(groups) > 2):
                values.add(_decimal("".join(groups)))  # thousands separators
            if len(groups) == 2 and not (english and seps[0] == ","):
                values.add(_decimal(groups[0] + "." + groups[1]))  # decimal point or comma
            if english and seps[0] == "," and not grouped:  # "3,5" in an English source: a list or a typo
                values.update(_decimal(g) for g in groups)
        else:  # "1,234.5" or "1.234,5": the last separator is the decimal one
            last = max(token.rfind(","), token.rfind("."))
            values.add(_decimal(re.sub(r"[.,]", "", token[:last]) + "." + token[last + 1:]))
    return {v for v in values if v is not None}


def _numbers(text: str, *, english: bool) -> list[tuple[str, set[Decimal], int, int]]:
    """(as written, values, start, end) of every number, with its value times a scale word after it."""
    out = []
    for m in _NUMBER.finditer(text):
        token = m.group(0)
        values = readings(token, english=english)
        after = _SCALE_AFTER.match(text, m.end())
        scale = _scale(after.group(1)) if after else None
        if scale:
            values |= {(v * scale).normalize() for v in values}
        out.append((token, values, m.start(), m.end()))
    return out


_ANY_DIGIT = re.compile(r"\d")
_SPECIAL = re.compile("[\u0660-\u066c\u06f0-\u06f9\u00a0\u202f\u2009]")


def _prepare(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    if _SPECIAL.search(text):
        text = text.translate(_DIGITS).translate(_SEPARATORS)
    return re.sub(r"(?<=\d)،(?=\d{3}(?!\d))", ",", text)  # an Arabic comma used as a thousands separator


def _has_word_for(value: Decimal, words: list[str], lang: str) -> bool:
    tests = _WORD_TESTS.get(lang, {})
    test = tests.get(int(value)) if value == value.to_integral_value() else None
    if test is None:
        return False
    if lang == "ar":
        return any(test.search(_ARABIC_PREFIXES.sub("", w, count=1)) or test.search(w) for w in words)
    return any(test.search(w) for w in words)


def source_months(text: str) -> list[tuple[int, str]]:
    """(month number, as written) for each English month name next to a number ("Sept. 15", "15 May 2019")."""
    out = []
    for m in _MONTH_EN.finditer(text):
        word = m.group(1)
        month = next(k for k, names in MONTHS_EN.items() if word.casefold() in names)
        if word[0].islower():
            continue
        before, after = text[max(0, m.start() - 4): m.start()], text[m.end(): m.end() + 3]
        if re.search(r"\d\s*$", before) or re.match(r",?\s*\d", after):
            if word.casefold() in ("mar", "may", "jun") and not re.match(r"\s*\d", after) and len(word) == 3:
                continue
            day_after = re.match(r"\s*\d{1,2}(?!\d)", text[m.end():])
            day_before = re.search(r"\d{1,2}\s*$", text[:m.start()])
            if day_after:
                written = text[m.start(): m.end() + day_after.end()]
            elif day_before:
                written = text[day_before.start(): m.end()]
            else:
                written = m.group(0)
            out.append((month, written.strip()))
    return out


def target_months(text: str, lang: str) -> set[int]:
    return {k + 1 for k, pattern in enumerate(_MONTH_TARGET.get(lang, ())) if pattern.search(text)}


_TIME = re.compile(r"(?<![\d.,:])(\d{1,2})(?:[.:](\d{2}))?\s*([ap])\.?\s?m\b\.?|(?<![\d.,:])(\d{1,2}):(\d{2})(?!\d)",
                   re.IGNORECASE)
_DECADE = re.compile(r"(?<!\d)(?:\d\d)?(\d0)(?:'?s)\b")
_IMPERIAL = re.compile(r"\s*-?\s*(?:yards?|yd|miles?|mph|feet|foot|ft|inch(?:es)?|in\b|pounds?|lbs?|ounces?|oz|"
                       r"gallons?|acres?|stone|degrees?|°?f\b|fahrenheit)", re.IGNORECASE)
_ROMAN = re.compile(r"\b[IVXLC]+\b")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def roman(token: str) -> int | None:
    """The value of a Roman numeral (centuries and congress numbers are written so in ru/kk): XIX -> 19."""
    total, prev = 0, 0
    for ch in reversed(token):
        value = _ROMAN_VALUES[ch]
        total += -value if value < prev else value
        prev = max(prev, value)
    return total if total and token == _to_roman(total) else None


def _to_roman(n: int) -> str:
    out = ""
    for value, letters in ((100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"),
                           (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + letters, n - value
    return out


def _target_values(target: str) -> set[Decimal]:
    have: set[Decimal] = set()
    for _token, values, _s, _e in _numbers(target, english=False):
        have |= values
    for m in _ROMAN.finditer(target):
        value = roman(m.group(0))
        if value:
            have.add(Decimal(value))
    for m in re.finditer(r"\d+", target):  # every digit run on its own: "15:00", "0800 555 111" read right to left
        have.add(Decimal(m.group(0)).normalize())
    return have


def _word_present(value: int, words: list[str], lang: str) -> bool:
    if _has_word_for(Decimal(value), words, lang):
        return True
    if 11 <= value <= 19 or (value > 20 and value < 100 and value % 10):  # "он бес", "خمسة عشر", "двадцать пять"
        tens = 10 if value < 20 else value - value % 10
        return _has_word_for(Decimal(value % 10), words, lang) and _has_word_for(Decimal(tens), words, lang)
    return False


def _times(source: str) -> list[tuple[int, int, int, int]]:
    """(start, end, hour, minutes) of clock times: "3 p.m.", "7.55am", "04:00"."""
    out = []
    for m in _TIME.finditer(source):
        if m.group(1):
            hour, minutes = int(m.group(1)), int(m.group(2) or 0)
            if m.group(3).lower() == "p" and hour < 12:
                hour += 12
        else:
            hour, minutes = int(m.group(4)), int(m.group(5))
        out.append((m.start(), m.end(), hour, minutes))
    return out


def _time_present(hour: int, minutes: int, have: set[Decimal], words: list[str], lang: str) -> bool:
    hours = {hour, hour % 12 or 12}
    hour_ok = any(Decimal(h) in have or _word_present(h, words, lang) for h in hours)
    return hour_ok and (minutes == 0 or Decimal(minutes) in have)


def check(entry: Entry) -> list[Finding]:
    if not _ANY_DIGIT.search(entry.msgid):
        return []  # no number; a month always comes with one
    source, target = _prepare(entry.msgid), _prepare(entry.msgstr)
    have = _target_values(target)
    words = _TOKEN.findall(target.casefold())
    missing, converted = [], []
    times = _times(source)
    for start, end, hour, minutes in times:
        if not _time_present(hour, minutes, have, words, entry.lang):
            missing.append(source[start:end].strip())
    for token, values, start, end in _numbers(source, english=True):
        if any(s <= start < e for s, e, _h, _m in times):
            continue
        if values & have or any(_word_present(int(v), words, entry.lang) for v in values if v == int(v)):
            continue
        if " " in token and all(Decimal(part) in have for part in token.split()):
            continue  # a phone number or a list, its groups in another order
        decade = _DECADE.match(source, start)
        if decade and decade.end() > start and _word_present(int(decade.group(1)), words, entry.lang):
            continue  # "the 1930s" -> "ثلاثينيات", "30-х"
        if re.match(r"\d{4}[-–]$", source[max(0, start - 5):start]) and \
                Decimal(source[start - 5:start - 3] + token) in have:
            continue  # "1950-53" written out as "1950–1953"
        glued = (start and source[start - 1].isalpha()) or (end < len(source) and source[end].isalpha())
        if _IMPERIAL.match(source, end) or glued:  # converted units; codes like SS19, 247sports
            converted.append(token)
            continue
        missing.append(token)
    findings = []
    if missing:
        shown = ", ".join(dict.fromkeys(missing))
        findings.append(Finding("numbers", f"{shown} of the source is missing or changed in the translation; "
                                           "write the same number (in digits or in words)"))
    if converted:
        shown = ", ".join(dict.fromkeys(converted))
        findings.append(Finding("numbers", f"{shown} not found (converted units or a code?); check the value",
                                "warning"))
    dates = source_months(entry.msgid)
    target_month = target_months(entry.msgstr, entry.lang) if dates else set()
    for month, written in dates:
        if month in target_month or _NUMERIC_DATE.search(target):
            continue
        if target_month:
            findings.append(Finding("numbers", f"the date says {written.strip()!r} in the source but another "
                                               "month in the translation; correct the month"))
        else:
            findings.append(Finding("numbers", f"the month of {written.strip()!r} is missing; translate the "
                                               "date with its month", "warning"))
    return findings
