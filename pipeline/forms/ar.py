"""Arabic forms of glossary names: the proclitics و ف ب ل ك joined to the name, the term's letters untouched.

The one spelling rule that changes a letter is the article after lām: ل + الإدارة -> للإدارة (the alif of ال
drops), and ل + اللغة -> للغة (ل + ال before a word beginning with ل writes two lāms). An article the model
put on the placeholder (بالXT1) is dropped: the name brings its own, or is the head of an idafa that takes none.
"""

from __future__ import annotations

CLITICS = "وفبلك"
FORMS = ("plain", "wa", "fa", "bi", "li", "ka")
_NAMES = {"wa": "و", "fa": "ف", "bi": "ب", "li": "ل", "ka": "ك"}
ARTICLE = "ال"


def attach(clitics: str, term: str) -> str:
    """clitics (e.g. "و", "وب", "فل") joined to term with the article rules."""
    if not clitics:
        return term
    if clitics.endswith("ل") and term.startswith(ARTICLE) and len(term) > 2:
        rest = term[2:]
        if rest.startswith("ل"):
            return clitics + rest  # ل + اللغة -> للغة
        return clitics + "ل" + rest  # ل + الإدارة -> للإدارة
    return clitics + term


def split_clitics(prefix: str) -> tuple[str, bool]:
    """(the proclitics, whether the model also put an article) from what was glued before a placeholder.

    "و" -> ("و", False); "بال" -> ("ب", True); "لل" -> ("ل", True); "وال" -> ("و", True).
    """
    article = False
    if prefix.endswith("ال"):
        prefix, article = prefix[:-2], True
    elif prefix.endswith("لل"):
        prefix, article = prefix[:-1], True
    if all(ch in CLITICS for ch in prefix) and len(prefix) <= 3:
        return prefix, article
    return "", False  # the end of another word (مال, قال): nothing of it belongs to the name


def forms(term: str) -> dict[str, str]:
    """The name alone and with each proclitic."""
    out = {"plain": term}
    for name, clitic in _NAMES.items():
        out[name] = attach(clitic, term)
    return out
