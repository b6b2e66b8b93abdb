"""What a translation must not gain or lose on its way through MT and editing: term placeholders (XT1…) that
never got their term back, and markup — HTML tags, Markdown emphasis, code and links — that differs from the
source. Link targets must be the same; link texts are translated.
"""

from __future__ import annotations

import re
from collections import Counter

from pipeline.placement import placeholder_pattern
from pipeline.qa.base import Entry, Finding

# The engine step's placeholder (XT1) however an engine damaged it: the same reader placement uses, so a
# placeholder that placement could not put back is the one this check reports.
PLACEHOLDER = placeholder_pattern()
_TAG = re.compile(r"</?([A-Za-z][\w:-]*)\b[^<>]*?/?>")
_MD_LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()\"«»]+[^\s<>()\"«».,;:!?]")
_CODE = re.compile(r"`+[^`]+`+")
_EMPHASIS = re.compile(r"(?<![\w*])(\*\*|__|\*)(?=\S)")


def check_placeholders(entry: Entry) -> list[Finding]:
    left = [m.group(0) for m in PLACEHOLDER.finditer(entry.msgstr)]
    known = {m.group(0) for m in PLACEHOLDER.finditer(entry.msgid)}
    left = [p for p in left if p not in known]
    if not left:
        return []
    return [Finding("placeholders", f"placeholder {', '.join(dict.fromkeys(left))} left in the translation; "
                                    "put the glossary term it stands for there (see the `#. term:` lines)")]


def _markup(text: str) -> dict[str, Counter]:
    return {
        "HTML tags": Counter(m.group(0).split()[0].rstrip(">").lower() + ">" for m in _TAG.finditer(text)),
        "link targets": Counter(m.group(1) for m in _MD_LINK.finditer(text))
        + Counter(m.group(0) for m in _URL.finditer(_MD_LINK.sub(" ", text))),
        "code spans": Counter(m.group(0) for m in _CODE.finditer(text)),
        "emphasis marks": Counter(m.group(1) for m in _EMPHASIS.finditer(_CODE.sub(" ", text))),
    }


_MARKUP_SIGNS = re.compile(r"[<\[`*_]|https?:|www\.")


def check_markup(entry: Entry) -> list[Finding]:
    if not _MARKUP_SIGNS.search(entry.msgid) and not _MARKUP_SIGNS.search(entry.msgstr):
        return []
    source, target = _markup(entry.msgid), _markup(entry.msgstr)
    findings = []
    for kind, want in source.items():
        have = target[kind]
        if want == have:
            continue
        lost = sorted((want - have).elements())
        added = sorted((have - want).elements())
        parts = ([f"missing {', '.join(dict.fromkeys(lost))}"] if lost else []) + \
                ([f"not in the source {', '.join(dict.fromkeys(added))}"] if added else [])
        findings.append(Finding("markup", f"{kind} differ from the source ({'; '.join(parts)}); keep them as "
                                          "the source has them"))
    return findings


def check(entry: Entry) -> list[Finding]:
    return check_placeholders(entry) + check_markup(entry)
