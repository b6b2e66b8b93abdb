"""Runs every check over the catalogs of a workspace: what `pipeline check` reports, `run` and `status` count and
`publish --strict` refuses.

Each entry goes through the per-entry checks (terms, numbers, script, punctuation, leftovers, length); then the
entries of a language are compared with each other (name and memory consistency). A reviewer silences a check on
one entry with a Weblate-style flag, `#, ignore-numbers`, which the catalogs stage keeps across merges; silenced
problems are counted, not listed.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polib

from pipeline import TARGET_LANGS
from pipeline.errors import CatalogError
from pipeline.formats.po import read_po
from pipeline.forms import Forms
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


def language_detector() -> script.Detector | None:
    """The statistical detector the script check asks (lingua, en/kk/ru/ar); build it once and pass it on."""
    return _detector()


def wrong_language(msgid: str, msgstr: str, lang: str, found: Sequence[TermMatch] = (),
                   detect: script.Detector | None = None) -> str:
    """Why a translation is not in `lang` (Russian or Latin-script Kazakh for Kazakh, …), or ""."""
    findings = script.check(Entry(msgid, msgstr, lang), _kept(found, lang), detect)
    return "; ".join(f.message for f in findings if f.check == "script")


def entry_findings(entry: Entry, found: Sequence[TermMatch], detect: script.Detector | None,
                   forms: Forms | None = None) -> list[Finding]:
    """Every per-entry check on one entry (before silencing); forms: the term-forms maker the terms check asks
    when the stem rule finds a term missing."""
    return (terms.check(entry, found, forms) + numbers.check(entry)
            + script.check(entry, _kept(found, entry.lang), detect)
            + punctuation.check(entry) + leftovers.check(entry) + length.check(entry))


@dataclass
class _Checked:
    """Entries with their per-entry findings and the glossary forms they use (for the cross-entry checks)."""

    entries: list[Entry] = field(default_factory=list)
    findings: list[list[Finding]] = field(default_factory=list)
    uses: list[dict[str, str]] = field(default_factory=list)

    def extend(self, other: _Checked) -> None:
        self.entries += other.entries
        self.findings += other.findings
        self.uses += other.uses


def _check_each(entries: Sequence[Entry], glossary: Glossary, detect) -> _Checked:
    matches_of: dict[str, list[TermMatch]] = {}
    out = _Checked(list(entries))
    forms = Forms()  # loads the Russian analyzer only if a Russian term needs it
    for entry in entries:
        if entry.msgid not in matches_of:
            matches_of[entry.msgid] = glossary.find(entry.msgid)
        found = matches_of[entry.msgid]
        out.findings.append(entry_findings(entry, found, detect, forms))
        out.uses.append(terms.forms_used(entry, found))
    return out


def _finish(checked: _Checked) -> tuple[list[Problem], int]:
    """Cross-entry checks, then silencing by `ignore-` flags."""
    per_entry = checked.findings
    for k, finding in terms.check_names(checked.entries, checked.uses) + consistency.check(checked.entries):
        per_entry[k].append(finding)
    problems, silenced = [], 0
    for entry, findings in zip(checked.entries, per_entry, strict=True):
        off = entry.silenced()
        for finding in findings:
            if finding.check in off:
                silenced += 1
            else:
                problems.append(finding.problem(entry))
    return problems, silenced


def check_entries(entries: Sequence[Entry], glossary: Glossary | None = None,
                  detect: script.Detector | None | Callable = _detector) -> tuple[list[Problem], int]:
    """(problems, silenced count) for entries; cross-entry checks compare entries of the same language."""
    if detect is _detector:
        detect = _detector()
    return _finish(_check_each(entries, glossary or Glossary([]), detect))


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


def catalog_name(path: Path, root: Path) -> str:
    """How reports name a catalog: its path relative to the workspace root."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


PARALLEL_FROM = 5_000  # entries to check; below this a process pool costs more than it saves


def _check_chunk(entries: Sequence[Entry], glossary: Glossary, use_detector: bool) -> _Checked:
    return _check_each(entries, glossary, _detector() if use_detector else None)


def check_workspace(root: Path, langs: Sequence[str] = TARGET_LANGS, only: str = "approved",
                    glossary: Glossary | None = None, catalogs: Sequence[tuple[str, Path]] | None = None,
                    detect: bool = True, workers: int | None = None,
                    read: Callable[[Path], polib.POFile] | None = None) -> Report:
    """Check the catalogs of a workspace (or the given (lang, path) catalogs); unreadable ones are reported.

    The catalogs are read here (`read`: a run passes its reader, which has parsed them already); many entries are
    checked in parallel (one process per core, `workers` to choose); the checks that compare entries run once over
    all of them. detect=False leaves out the statistical language detector.
    """
    if only not in ONLY:
        raise ValueError(f"--only must be one of {', '.join(ONLY)}, not {only!r}")
    glossary = glossary or Glossary([])
    read = read or read_po
    chosen = [(lang, path, catalog_name(path, root))
              for lang, path in (catalogs if catalogs is not None else find_catalogs(root, langs))]
    report, entries = Report(), []
    for lang, path, name in chosen:
        try:
            po = read(path)
        except CatalogError as exc:
            report.unreadable.append(str(exc))
            continue
        report.catalogs.append(name)
        entries += catalog_entries(po, name, lang, only)
    workers = workers or (min(os.cpu_count() or 1, 8) if len(entries) >= PARALLEL_FROM else 1)
    checked = _Checked()
    if workers > 1 and len(entries) > 1:
        size = -(-len(entries) // workers)  # contiguous chunks: entries come back in catalog order
        chunks = [entries[k:k + size] for k in range(0, len(entries), size)]
        # spawned, not forked: a run calls this with its engine's threads alive
        with ProcessPoolExecutor(max_workers=len(chunks), mp_context=multiprocessing.get_context("spawn")) as pool:
            for part in pool.map(_check_chunk, chunks, [glossary] * len(chunks), [detect] * len(chunks)):
                checked.extend(part)
    else:
        checked = _check_chunk(entries, glossary, detect)
    report.entries = len(checked.entries)
    report.problems, report.silenced = _finish(checked)
    order = {c: k for k, c in enumerate(report.catalogs)}
    report.problems.sort(key=lambda p: (order.get(p.catalog, 0), p.line, p.check))
    return report


def error_keys(report: Report) -> dict[str, set[tuple[str | None, str]]]:
    """{catalog: {(msgctxt, msgid) of each entry with an error}}: what `publish --strict` refuses."""
    out: dict[str, set[tuple[str | None, str]]] = {}
    for p in report.problems:
        if p.severity == ERROR:
            out.setdefault(p.catalog, set()).add((p.msgctxt, p.msgid))
    return out


__all__ = ["CHECKS", "ONLY", "Report", "check_entries", "check_workspace", "entry_findings", "find_catalogs",
           "catalog_entries", "catalog_name", "error_keys"]
