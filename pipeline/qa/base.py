"""What every check shares: the entry it looks at, the problem it reports, and the list of checks.

A check is a pure function of one entry (and, for the terms check, the glossary matches of its source); the
checks that compare entries with each other (consistency) take all of them. None reads files.
"""

from __future__ import annotations

from dataclasses import dataclass

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Check:
    id: str  # also the Weblate-style flag that silences it: `#, ignore-<id>`
    severity: str  # default severity; a check may report a milder case as a warning
    family: str
    summary: str


CHECKS: dict[str, Check] = {c.id: c for c in (
    Check("terms", ERROR, "terms", "a required glossary target (or a do-not-translate name) is missing"),
    Check("names", WARNING, "terms", "one glossary concept written in different accepted forms across entries"),
    Check("numbers", ERROR, "numbers", "a number, year, percentage, ordinal or date of the source is missing"),
    Check("script", ERROR, "script", "text in the wrong script or language (e.g. Russian in a Kazakh entry)"),
    Check("english", ERROR, "script", "English left untranslated outside names and do-not-translate terms"),
    Check("punctuation", WARNING, "punctuation", "punctuation the target language writes differently"),
    Check("brackets", ERROR, "punctuation", "unbalanced quotes or brackets"),
    Check("placeholders", ERROR, "leftovers", "a term placeholder (XT1...) left in the translation"),
    Check("markup", ERROR, "leftovers", "HTML/Markdown markup or link targets differ from the source"),
    Check("length", WARNING, "length", "translation much shorter or longer than news translations are"),
    Check("consistency", WARNING, "consistency", "one source translated differently, or one translation for "
                                                 "different sources"),
)}

# Flags Weblate writes for its own checks, read as ours so catalogs reviewed in Weblate keep their silencing.
WEBLATE_FLAGS = {
    "ignore-same": "english", "ignore-inconsistent": "consistency", "ignore-translated": "consistency",
    "ignore-end-stop": "punctuation", "ignore-end-question": "punctuation", "ignore-end-exclamation": "punctuation",
    "ignore-end-colon": "punctuation", "ignore-end-semicolon": "punctuation", "ignore-end-ellipsis": "punctuation",
    "ignore-punctuation-spacing": "punctuation", "ignore-brackets": "brackets", "ignore-xml-tags": "markup",
    "ignore-md-link": "markup", "ignore-md-reflink": "markup", "ignore-md-syntax": "markup",
    "ignore-xml-invalid": "markup", "ignore-max-length": "length",
}


@dataclass(frozen=True)
class Entry:
    """One translation to check: a catalog entry (or any source/target pair, in tests and benchmarks)."""

    msgid: str
    msgstr: str
    lang: str
    catalog: str = ""  # path relative to the workspace root
    line: int = 0
    msgctxt: str | None = None
    fuzzy: bool = False
    flags: tuple[str, ...] = ()

    def silenced(self) -> frozenset[str]:
        """Check ids this entry's `#, ignore-…` flags silence."""
        out = set()
        for flag in self.flags:
            if flag in WEBLATE_FLAGS:
                out.add(WEBLATE_FLAGS[flag])
            elif flag.startswith("ignore-") and flag[7:] in CHECKS:
                out.add(flag[7:])
        return frozenset(out)


@dataclass(frozen=True)
class Finding:
    """What a check found on one entry, before it is tied to the entry."""

    check: str
    message: str
    severity: str = ""  # "" = the check's default

    def problem(self, entry: Entry) -> Problem:
        return Problem(entry.catalog, entry.line, entry.lang, entry.msgid, self.check,
                       self.severity or CHECKS[self.check].severity, self.message, entry.msgctxt)


@dataclass(frozen=True)
class Problem:
    catalog: str
    line: int
    lang: str
    msgid: str
    check: str
    severity: str
    message: str
    msgctxt: str | None = None  # with msgid, which entry; in the JSON only when set

    def as_dict(self) -> dict:
        return {"catalog": self.catalog, "line": self.line, "lang": self.lang, "msgid": self.msgid,
                "check": self.check, "severity": self.severity, "message": self.message,
                **({"msgctxt": self.msgctxt} if self.msgctxt is not None else {})}

    def __str__(self) -> str:
        return f"{self.catalog}:{self.line}: {self.severity} [{self.check}] {self.message}"


def shorten(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
