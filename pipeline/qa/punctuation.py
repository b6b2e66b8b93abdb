"""Punctuation as each language writes it, and quotes and brackets that open and close.

Arabic writes its own comma, semicolon and question mark (، ؛ ؟); Russian quotes with «ёлочки» („лапки“ inside);
Russian and Kazakh put no space before , . ; : ! ?; a question stays a question. Kazakh typesetting uses «», “”
and even “…“, so only the count of its quote marks is checked, not their shape.
"""

from __future__ import annotations

import re

from pipeline.qa.base import Entry, Finding

_CLOSERS = "\"'»”’“„)]}›"
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f]")
_LATIN_MARK = re.compile(r"(?<!\s)\s*([,;?])(?!\d)|(?<!\d)([,;?])(?=\d)")
_SPACE_BEFORE = re.compile(r"(?<=[^\s\d])[ \t\u00a0]+([,;:!?]|\.(?!\.))(?=\s|$)")
_PAIRS = (("(", ")"), ("[", "]"), ("{", "}"), ("«", "»"))
_DOUBLE = "\"“”„‟"
_ARABIC_FOR = {",": "،", ";": "؛", "?": "؟"}


def final_mark(text: str) -> str:
    """The sentence-final mark, looking past closing quotes and brackets: ?, !, ., …, : or ""."""
    text = text.rstrip().rstrip(_CLOSERS).rstrip()
    if not text:
        return ""
    last = text[-1]
    if last in "?؟":
        return "?"
    if last == "!":
        return "!"
    if text.endswith("...") or last == "…":
        return "…"
    if last in ".。":
        return "."
    if last in ":;؛":
        return ":"
    return ""


_SINGLE_OPEN = re.compile(r"(?:^|(?<=[\s(\[]))['‘]")
_SINGLE_CLOSE = re.compile(r"(?<=\S)['’](?=\s|$|[.,!?;:)\]\"])")


def _unbalanced(text: str) -> list[str]:
    """Brackets and quotes that do not close: «» by count, and the double quotes " “ ” „ together by parity
    (a quote opened with „ closes with “ in Russian, “…“ is seen in Kazakh)."""
    out = [opening + closing for opening, closing in _PAIRS if text.count(opening) != text.count(closing)]
    if sum(text.count(q) for q in _DOUBLE) % 2:
        out.append('"')
    return out


def _quotes_open(source: str, unbalanced: list[str]) -> bool:
    """Does the source sentence leave a quotation open (it runs over sentences, in double or single marks)?
    Then the translation's quotes cannot be counted against it."""
    singles = len(_SINGLE_OPEN.findall(source)) != len(_SINGLE_CLOSE.findall(source))
    return singles or any(p in ('"', "«»") for p in unbalanced)


def check(entry: Entry) -> list[Finding]:
    source, target = entry.msgid, entry.msgstr
    findings: list[Finding] = []
    in_source = _unbalanced(source)
    skip = in_source + (['"', "«»"] if _quotes_open(source, in_source) else [])
    broken = [pair for pair in _unbalanced(target) if pair not in skip]
    if broken:
        # a pair that does not close is an error; straight or curly double quotes are only counted (odd = one
        # is missing), which a quotation running over sentences also gives: a warning
        severity = "warning" if broken == ['"'] else ""
        findings.append(Finding("brackets", f"unbalanced {' '.join(broken)} in the translation; close what "
                                            "opens (or mark ignore-brackets when the quote runs on)", severity))
    if entry.lang == "ar":
        latin = sorted({m.group(1) or m.group(2) for m in _LATIN_MARK.finditer(target)
                        if _ARABIC.search(target[max(0, m.start() - 6): m.start() + 1])})
        if latin:
            shown = ", ".join(f"{mark} → {_ARABIC_FOR[mark]}" for mark in latin)
            findings.append(Finding("punctuation", f"Latin punctuation in Arabic text; write {shown}"))
    if entry.lang == "ru" and ('"' in target or "”" in target):
        findings.append(Finding("punctuation", 'Russian quotes are «ёлочки» („лапки“ inside); replace "…"'))
    if entry.lang in ("ru", "kk"):
        spaced = sorted({m.group(1) for m in _SPACE_BEFORE.finditer(target)})
        if spaced:
            findings.append(Finding("punctuation", f"a space before {' '.join(spaced)}; remove it"))
    want, have = final_mark(source), final_mark(target)
    if want == "?" and have != "?":
        mark = "؟" if entry.lang == "ar" else "?"
        findings.append(Finding("punctuation", f"the source asks a question; end the translation with {mark}"))
    elif have == "?" and want in (".", "!"):
        findings.append(Finding("punctuation", "the translation ends with a question mark, the source does not"))
    elif want in (".", "!", "…") and have == "" and entry.lang != "ar" and \
            not target.rstrip().endswith(tuple(_CLOSERS)):
        findings.append(Finding("punctuation", f"the source ends with {want!r}, the translation has no final "
                                               "punctuation; add it"))
    return findings
