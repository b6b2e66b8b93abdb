"""Runs every check over the catalogs of a workspace: what `pipeline check` reports, `run` and `status` count and
`publish --strict` refuses.

Each entry goes through the per-entry checks (terms, numbers, script, punctuation, leftovers, length); then the
entries of a language are compared with each other (name and memory consistency). A reviewer silences a check on
one entry with a Weblate-style flag, `#, ignore-numbers`, which the catalogs stage keeps across merges; silenced
problems are counted, not listed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polib

from pipeline import TARGET_LANGS
from pipeline.errors import CatalogError
from pipeline.formats.po import read_po
from pipeline.glossary import target_forms
from pipeline.qa import consistency, leftovers, length, numbers, punctuation, script, terms
from pipeline.qa.base import CHECKS, ERROR, WARNING, Entry, Finding, Problem
from pipeline.termmatch import Glossary, TermMatch

ONLY = ("approved", "fuzzy", "all")


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    silenced: int = 0
    entries: int = 0  # entries checked
    catalogs: list[str] = field(default_factory=list)  # checked, relative to the root
    unreadable: list[str] = field(default_factory=list)  # "file:line: message" of catalogs that could not be read

    @property
    def errors(self) -> int:
        return sum(p.severity == ERROR for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.severity == WARNING for p in self.problems)

    def per_catalog(self) -> dict[str, dict[str, int]]:
        """{catalog: {"error": n, "warning": n}} for every checked catalog (zeros included)."""
        out = {c: {ERROR: 0, WARNING: 0} for c in self.catalogs}
        for p in self.problems:
            out.setdefault(p.catalog, {ERROR: 0, WARNING: 0})[p.severity] += 1
        return out

    def counts(self) -> dict:
        by_check: dict[str, dict[str, int]] = {}
        for p in self.problems:
            row = by_check.setdefault(p.check, {ERROR: 0, WARNING: 0})
            row[p.severity] += 1
        return {"entries": self.entries, "catalogs": len(self.catalogs), "error": self.errors,
                "warning": self.warnings, "silenced": self.silenced, "unreadable": len(self.unreadable),
                "by_check": dict(sorted(by_check.items())), "by_catalog": self.per_catalog()}

    def as_dict(self) -> dict:
        return {"problems": [p.as_dict() for p in self.problems], "counts": self.counts(),
                "unreadable": list(self.unreadable)}


def _detector() -> script.Detector | None:
    try:
        return script.lingua_detector()
    except ImportError:  # the checks still run; only Kazakh written without its own letters goes unexamined
        return None


def _kept(found: Sequence[TermMatch], lang: str) -> list[str]:
    """Latin-script forms a translation may contain: do-not-translate names and Latin targets (WAM, Astana Hub)."""
    out = []
    for m in found:
        out += [f for f in target_forms(m.concept, lang) if f.isascii()]
        if m.concept.dnt:
            out += [m.text, m.concept.en, *m.concept.en_variants]
    return out


def entry_findings(entry: Entry, found: Sequence[TermMatch], detect: script.Detector | None) -> list[Finding]:
    """Every per-entry check on one entry (before silencing)."""
    return (terms.check(entry, found) + numbers.check(entry) + script.check(entry, _kept(found, entry.lang), detect)
            + punctuation.check(entry) + leftovers.check(entry) + length.check(entry))


def check_entries(entries: Sequence[Entry], glossary: Glossary | None = None,
                  detect: script.Detector | None | Callable = _detector) -> tuple[list[Problem], int]:
    """(problems, silenced count) for entries; cross-entry checks compare entries of the same language."""
    glossary = glossary or Glossary([])
    if detect is _detector:
        detect = _detector()
    matches_of: dict[str, list[TermMatch]] = {}
    found = []
    for e in entries:
        if e.msgid not in matches_of:
            matches_of[e.msgid] = glossary.find(e.msgid)
        found.append(matches_of[e.msgid])
    per_entry: list[list[Finding]] = [entry_findings(e, f, detect) for e, f in zip(entries, found, strict=True)]
    for k, finding in terms.check_names(entries, found) + consistency.check(entries):
        per_entry[k].append(finding)
    problems, silenced = [], 0
    for entry, findings in zip(entries, per_entry, strict=True):
        off = entry.silenced()
        for finding in findings:
            if finding.check in off:
                silenced += 1
            else:
                problems.append(finding.problem(entry))
    return problems, silenced


def wanted(entry: polib.POEntry, only: str) -> bool:
    """Is a catalog entry checked under --only? Never obsolete, empty or plural entries."""
    if entry.obsolete or not entry.msgstr.strip() or entry.msgid_plural:
        return False
    fuzzy = "fuzzy" in entry.flags
    return only == "all" or (only == "fuzzy") == fuzzy


def catalog_entries(po: polib.POFile, catalog: str, lang: str, only: str = "approved") -> list[Entry]:
    return [Entry(e.msgid, e.msgstr, lang, catalog, e.linenum or 0, e.msgctxt, "fuzzy" in e.flags,
                  tuple(f for f in e.flags if f))
            for e in po if wanted(e, only)]


def find_catalogs(root: Path, langs: Sequence[str] = TARGET_LANGS) -> list[tuple[str, Path]]:
    """(lang, path) of every catalog under locales/<lang>/LC_MESSAGES/, sorted."""
    out = []
    for lang in langs:
        folder = root / "locales" / lang / "LC_MESSAGES"
        if folder.is_dir():
            out += [(lang, path) for path in sorted(folder.glob("*.po")) if path.is_file()]
    return out


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def check_workspace(root: Path, langs: Sequence[str] = TARGET_LANGS, only: str = "approved",
                    glossary: Glossary | None = None, catalogs: Sequence[tuple[str, Path]] | None = None,
                    detect: script.Detector | None | Callable = _detector) -> Report:
    """Check the catalogs of a workspace (or the given (lang, path) catalogs); unreadable ones are reported."""
    if only not in ONLY:
        raise ValueError(f"--only must be one of {', '.join(ONLY)}, not {only!r}")
    report = Report()
    entries: list[Entry] = []
    for lang, path in catalogs if catalogs is not None else find_catalogs(root, langs):
        name = _relative(path, root)
        try:
            po = read_po(path)
        except CatalogError as exc:
            report.unreadable.append(str(exc))
            continue
        report.catalogs.append(name)
        entries += catalog_entries(po, name, lang, only)
    report.entries = len(entries)
    report.problems, report.silenced = check_entries(entries, glossary, detect)
    order = {c: k for k, c in enumerate(report.catalogs)}
    report.problems.sort(key=lambda p: (order.get(p.catalog, 0), p.line, p.check))
    return report


def error_keys(report: Report) -> dict[str, set[str]]:
    """{catalog: {msgid with an error}}: what `publish --strict` refuses."""
    out: dict[str, set[str]] = {}
    for p in report.problems:
        if p.severity == ERROR:
            out.setdefault(p.catalog, set()).add(p.msgid)
    return out


__all__ = ["CHECKS", "ONLY", "Report", "check_entries", "check_workspace", "entry_findings", "find_catalogs",
           "catalog_entries", "error_keys"]
