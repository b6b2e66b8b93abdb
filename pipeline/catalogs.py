"""Stage 6: gettext catalogs that translators review; merged like msgmerge, never losing an edit.

Translators live in these files (Poedit, Lokalize, Weblate) while the pipeline keeps running over the same
articles, so every write is a merge of what is on disk *now* with what the pipeline proposes:

* an entry whose (msgctxt, msgid) is still in the article keeps its msgstr, flags and `#` translator comments;
  only `#:` references, `#.` comments and the pipeline's own `# pipeline: ` lines are refreshed;
* a changed sentence gets the old translation as a fuzzy suggestion, the old source as `#|` previous msgid;
* a removed sentence with a translation becomes an obsolete `#~` entry (a removed *untranslated* entry is
  dropped, as msgmerge does: there is no work in it to lose);
* an obsolete entry whose sentence comes back is revived with its translation.

Where the notes live: `#.` extracted comments belong to the template (msgmerge replaces them with the POT's),
so a `#.` line holds only what the POT holds too (`kind:`). Everything that speaks of one language's translation
(terms and their targets, provenance, term forms, warnings, memory conflicts) is a translator-comment line with
the prefix `pipeline: `: msgmerge, msgcat, Poedit, Lokalize and Weblate keep translator comments with the entry
(also when msgmerge offers it as a fuzzy match for an edited sentence), and a run rewrites only its own prefixed
lines, leaving the translator's lines as they are.

Reading and writing go through `pipeline/formats/po.py` (strict reader, GNU msgcat layout), so a broken
catalog gets a `CatalogError` with file and line and is never written, and a round trip through `msgcat` or
`msgmerge` does not reflow the whole file.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import math
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import polib

from pipeline import GENERATOR, files, percent_text
from pipeline.errors import CatalogError
from pipeline.formats.po import empty_po, parse_po, po_bytes, render_po, written_flags
from pipeline.languages import english_name, plural_forms
from pipeline.segment import Segment, repeat_context
from pipeline.similarity import DEFAULT_MIN_SCORE, similarity
from pipeline.workspace import directory_lock

SIMILARITY = DEFAULT_MIN_SCORE  # minimum similarity (0-100) for a previous-translation suggestion
PROVENANCE = "provenance:"  # `#.` lines with this prefix survive a run that brings no new proposal
# `#.` lines asking a reviewer to check something about the current msgstr (a glossary term MT may have broken,
# a missing required term, disagreeing memory): kept with the translation while it is fuzzy, dropped once a
# translator approves it.
ATTENTION = ("glossary:", "check terms:", "memory conflict:")
FORMS = "term forms:"  # the forms the engine's terms took: kept with the provenance line it explains
TEMPLATE_PREFIXES = ("kind:",)  # the only `#.` lines of a catalog: the same as its template's
NOTE = "pipeline: "  # the prefix of the pipeline's translator-comment lines (a run rewrites only these)
MACHINE = "machine translation"  # how a machine provenance begins
APPROVED = "translator-approved"  # the provenance of an entry a translator approved
MERGE_ATTEMPTS = 5


Key = tuple[str | None, str]  # (msgctxt, msgid): what makes an entry unique in a catalog


@dataclass
class Draft:
    """What the pipeline proposes for one segment of one catalog."""

    msgid: str
    msgctxt: str | None
    occurrences: list[tuple[str, str]]  # (source path relative to root, line)
    comments: list[str] = field(default_factory=list)  # `#.` lines: kind, terms, provenance
    msgstr: str = ""  # empty: no proposal
    fuzzy: bool = True
    previous_msgid: str | None = None  # `#|` for fuzzy memory / previous-catalog suggestions
    previous_msgctxt: str | None = None  # `#| msgctxt` of a memory match from another context
    # An untouched machine draft this proposal may replace: only when the live entry is still fuzzy and its msgstr
    # is exactly this text (a translator's edit is never replaced).
    replaces: str | None = None


@dataclass(frozen=True)
class Existing:
    msgstr: str
    fuzzy: bool
    machine: bool = False  # an untouched machine draft (its provenance fingerprint still matches the msgstr)


@dataclass(frozen=True)
class Suggestion:
    old_msgid: str
    msgstr: str
    score: float
    old_msgctxt: str | None = None
    machine: bool = False  # an untouched machine draft (not worth offering: the new wording is translated afresh)


@dataclass(frozen=True)
class CatalogStats:
    total: int
    approved: int
    fuzzy: int
    untranslated: int
    obsolete: int

    @property
    def percent_approved(self) -> float:
        return 100.0 * self.approved / self.total if self.total else 0.0


def entry_keys(segments: Sequence[Segment]) -> list[tuple[str | None, str]]:
    """(msgctxt, msgid) per segment: msgctxt only for repeats of a sentence within one article.

    The first occurrence has no context, the n-th repeat gets "occurrence n": stable while the article keeps
    its repeats, and readable in an editor.
    """
    seen: dict[str, int] = {}
    keys: list[tuple[str | None, str]] = []
    for seg in segments:
        n = seen.get(seg.norm, 0) + 1
        seen[seg.norm] = n
        keys.append((repeat_context(n), seg.norm))
    return keys


def format_comments(kind: str, terms: Sequence[tuple[str, str]] = (),
                    provenance: str | None = None) -> list[str]:
    """`#.` lines of one entry in the layout the merge knows (a `provenance:` line is kept across runs)."""
    lines = [f"kind: {kind}"]
    lines += [f"term: {source} => {target}" for source, target in terms]
    if provenance:
        lines.append(provenance_line(provenance))
    return lines


def provenance_line(text: str) -> str:
    """The `#.` line saying where an entry's current msgstr came from (kept across runs that bring none)."""
    return f"{PROVENANCE} {text}"


def memory_provenance(score: float, origin: str) -> str:
    return f"memory {percent_text(score)} ({origin})"


def engine_provenance(engine: str, version: str) -> str:
    return f"{MACHINE} {engine} {version}"


def draft_fingerprint(msgstr: str) -> str:
    """A short checksum of the text the engine wrote, kept in the provenance line: while the entry is fuzzy and
    its msgstr still has this checksum, it is an untouched machine draft (no memory needed to tell)."""
    return hashlib.sha256(msgstr.encode("utf-8")).hexdigest()[:8]


def machine_provenance(label: str, msgstr: str, extra: str = "") -> str:
    """`machine translation argos en→kk 1.0; term forms by rule; draft 1a2b3c4d`."""
    return f"{MACHINE} {label}{extra}; draft {draft_fingerprint(msgstr)}" if msgstr else f"{MACHINE} {label}{extra}"


WRAPPED = 50  # a `# ` line at least this long, whose next line's first word would not have fitted, was wrapped


def _tcomment_lines(tcomment: str) -> list[str]:
    """Translator-comment lines, with the pieces of a `pipeline: ` note that an editor wrapped on save (polib
    does, at 78 columns) joined again. A translator's own line after a short note stays a line of its own."""
    lines: list[str] = []
    for line in (tcomment or "").split("\n"):
        if lines and lines[-1].startswith(NOTE) and line and not line.startswith(NOTE) \
                and len(lines[-1].rsplit("\n", 1)[-1]) + 2 >= WRAPPED \
                and len(lines[-1].rsplit("\n", 1)[-1]) + 3 + len(line.split(" ", 1)[0]) > 78:
            lines[-1] = f"{lines[-1]}\n{line}"  # kept apart until the join below: the next piece checks its own
        else:
            lines.append(line)
    return [_join_pieces(line.split("\n")) for line in lines]


def _join_pieces(pieces: list[str]) -> str:
    """Wrapped pieces joined by a space, or by nothing after a word's hyphen (textwrap breaks `Әл-Азһар` there)."""
    text = pieces[0]
    for piece in pieces[1:]:
        glue = "" if len(text) > 1 and text.endswith("-") and text[-2].isalnum() else " "
        text = f"{text}{glue}{piece.strip()}"
    return text


def entry_notes(entry: polib.POEntry) -> list[str]:
    """The pipeline's notes on an entry, without their prefix: `# pipeline: ` lines, and `#.` lines an older
    run wrote (migrated to translator comments on the next run)."""
    own = [line[len(NOTE):] for line in _tcomment_lines(entry.tcomment) if line.startswith(NOTE)]
    legacy = [line for line in _our_comment_lines(entry.comment) if line and not line.startswith(TEMPLATE_PREFIXES)]
    return own + [line for line in legacy if line not in own]


def translator_lines(entry: polib.POEntry) -> list[str]:
    """The translator's own `#` comment lines (everything but the pipeline's notes)."""
    return [line for line in _tcomment_lines(entry.tcomment) if line and not line.startswith(NOTE)]


def is_untouched_machine_draft(entry: polib.POEntry) -> bool:
    """Fuzzy, and its msgstr is still exactly what the engine wrote (the provenance line's checksum says so)."""
    if not _is_fuzzy(entry) or not entry.msgstr:
        return False
    mark = f"; draft {draft_fingerprint(entry.msgstr)}"
    return any(line.startswith(f"{PROVENANCE} {MACHINE}") and line.endswith(mark) for line in entry_notes(entry))


def approval_provenance(metadata: dict[str, str]) -> str:
    """`translator-approved (Jane Doe <jane@example.org>, 2026-11-30 10:00+0000)` from the catalog header."""
    who = metadata.get("Last-Translator", "").strip()
    when = metadata.get("PO-Revision-Date", "").strip()
    details = [v for v in (who, when) if v and v not in (
        "Automatically generated", "FULL NAME <EMAIL@ADDRESS>", "YEAR-MO-DA HO:MI+ZONE")]
    return f"{APPROVED} ({', '.join(details)})" if details else APPROVED




# ---------------------------------------------------------------- catalog queries

def _translated(entry: polib.POEntry) -> bool:
    if entry.msgid_plural:
        return bool(entry.msgstr_plural) and all(entry.msgstr_plural.values())
    return bool(entry.msgstr)


def _has_text(entry: polib.POEntry) -> bool:
    return bool(entry.msgstr) or any(entry.msgstr_plural.values())


def _is_fuzzy(entry: polib.POEntry) -> bool:
    return "fuzzy" in entry.flags




def _stats(po: polib.POFile) -> CatalogStats:
    live = [e for e in po if not e.obsolete]
    approved = sum(1 for e in live if _translated(e) and not _is_fuzzy(e))
    fuzzy = sum(1 for e in live if _translated(e) and _is_fuzzy(e))
    return CatalogStats(total=len(live), approved=approved, fuzzy=fuzzy,
                        untranslated=len(live) - approved - fuzzy,
                        obsolete=sum(1 for e in po if e.obsolete))


class Catalog:
    """A catalog as it is on disk now (an absent file reads as empty)."""

    def __init__(self, path: Path, po: polib.POFile, data: bytes | None):
        self.path, self.po, self.data = path, po, data
        self._live = {(e.msgctxt, e.msgid): e for e in po if not e.obsolete}
        self._previous: tuple[Collection[str], _PreviousIndex] | None = None
        self._place: dict[Key, int] | None = None  # each live entry's place in the file
        self._live_entries: list[polib.POEntry] | None = None  # the live entries in file order

    @classmethod
    def load(cls, path: Path) -> Catalog:
        data = files.read_or_none(path)
        po = empty_po(path) if data is None else parse_po(data, path)
        return cls(path, po, data)

    def keys(self) -> list[tuple[str | None, str]]:
        """(msgctxt, msgid) of the live entries, in file order."""
        return list(self._live)

    def stats(self) -> CatalogStats:
        return _stats(self.po)

    def existing(self, msgctxt: str | None, msgid: str) -> Existing | None:
        """The live entry's translation, when it has a non-empty msgstr."""
        entry = self._live.get((msgctxt, msgid))
        if entry is None or not _translated(entry):
            return None
        text = entry.msgstr_plural[min(entry.msgstr_plural)] if entry.msgid_plural else entry.msgstr
        return Existing(msgstr=text, fuzzy=_is_fuzzy(entry),
                        machine=not entry.msgid_plural and is_untouched_machine_draft(entry))

    def previous_suggestion(self, msgid: str, min_score: float = SIMILARITY,
                            current: Collection[str] = (), keys: Sequence[Key] = (),
                            index: int | None = None) -> Suggestion | None:
        """Best old translation whose source is gone from the article (changed sentence).

        The entry that held this position (between the same kept neighbours; `keys` are the article's entries
        and `index` this one's place) is offered whatever its score, as msgmerge offers a sentence edited in
        place. Otherwise every translated singular entry, live or obsolete, whose msgid is neither this one nor
        one still in the article (`current`: those keep their own translation) competes; approved entries win
        over fuzzy ones at equal similarity.
        """
        placed = self._at_position(keys, index, current) if index is not None else None
        if placed is not None:
            return _suggestion(placed, similarity(msgid, placed.msgid))
        # One index per `current` (a run asks for every entry of an article with the same set): the old
        # translations that can be suggested, by length, so a query never scans the whole catalog.
        if self._previous is None or self._previous[0] is not current:
            self._previous = (current, _PreviousIndex(e for e in self.po if e.msgid not in current
                                                      and not e.msgid_plural and e.msgstr))
        best: tuple[float, int, polib.POEntry] | None = None
        for entry in self._previous[1].near(msgid, min_score):
            if entry.msgid == msgid:
                continue
            score = similarity(msgid, entry.msgid)
            if score < min_score:
                continue
            rank = (score, 0 if _is_fuzzy(entry) else 1)
            if best is None or rank > best[:2]:
                best = (*rank, entry)
        return None if best is None else _suggestion(best[2], best[0])

    def _places(self) -> dict[Key, int]:
        if self._place is None:
            self._place = {key: i for i, key in enumerate(self._live)}
        return self._place

    def _in_order(self) -> list[polib.POEntry]:
        if self._live_entries is None:
            self._live_entries = list(self._live.values())
        return self._live_entries

    def _at_position(self, keys: Sequence[Key], index: int, current: Collection[str]) -> polib.POEntry | None:
        """The sentence edited in place: between the same two kept neighbours (or the start or end), the old
        catalog had exactly one entry, now gone from the article, and the article has exactly this one."""
        if not keys:
            return None
        # Its neighbours in the article are kept entries (or the start or end): checked in O(1), every entry of a
        # big article asks.
        before = index - 1 if index > 0 else None
        after = index + 1 if index + 1 < len(keys) else None
        if (before is not None and keys[before] not in self._live) or (after is not None
                                                                      and keys[after] not in self._live):
            return None
        place = self._places()
        start = place[keys[before]] + 1 if before is not None else 0
        end = place[keys[after]] if after is not None else len(place)
        if end - start != 1:
            return None
        entry = self._in_order()[start]
        if entry.msgid in current or entry.msgid_plural or not entry.msgstr:
            return None
        return entry


class CatalogReader:
    """The catalogs of one run, each file parsed once: reading it again costs a read of its bytes, and a parse
    only when they changed (a translator saved meanwhile, so their save is what the run goes on with); what the
    run wrote is known from the writing, without a parse."""

    def __init__(self) -> None:
        self._known: dict[str, Catalog] = {}
        self._seen: dict[str, bytes | None] = {}  # bytes of files looked at without a parse
        self._files: dict[str, tuple[tuple, bytes | None, str | None]] = {}  # path -> (stat, bytes, SHA-256)
        self.parsed = 0  # files parsed by this reader
        self.changed: set[str] = set()  # files whose bytes changed on disk during the run (someone saved)

    def contents(self, path: Path) -> tuple[bytes | None, str | None]:
        """A file's bytes and their SHA-256 ((None, None) when absent): read in full the first time this run
        asks, and again whenever its size, times or inode moved, so every stage sees what is on disk at one stat
        a look (a translator's save moves them) and no stage reads an unchanged file twice."""
        key = os.path.abspath(path)
        try:
            stat = os.stat(key)
        except FileNotFoundError:
            self._files.pop(key, None)
            return None, None
        signature = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
        known = self._files.get(key)
        if known is not None and known[0] == signature:
            return known[1], known[2]
        data = files.read_or_none(path)
        sha = None if data is None else hashlib.sha256(data).hexdigest()
        self._files[key] = (signature, data, sha)
        return data, sha

    def seen(self, path: Path, data: bytes | None) -> None:
        """The bytes a stage looked at without parsing them (so a later change is noticed)."""
        self._seen.setdefault(os.path.abspath(path), data)

    def load(self, path: Path) -> Catalog:
        """The catalog on disk now (an absent file reads as empty); CatalogError when it does not parse."""
        data = self.contents(path)[0]
        key = os.path.abspath(path)
        known = self._known.get(key)
        if known is not None and known.data == data:
            return known
        if known is not None or self._seen.get(key, data) != data:
            self.changed.add(key)
        self.parsed += data is not None
        catalog = Catalog(Path(path), empty_po(path) if data is None else parse_po(data, path), data)
        self._known[key] = catalog
        return catalog

    def read(self, path: Path) -> polib.POFile:
        """`read_po` for the stages after the merge (harvest, checks, publish)."""
        return self.load(path).po

    def remember(self, catalog: Catalog) -> None:
        """What was just written (its entries as the reader would make them of its bytes)."""
        self._known[os.path.abspath(catalog.path)] = catalog

    def known(self, path: Path) -> Catalog | None:
        """The catalog as this run last read or wrote it, unless it changed on disk during the run."""
        key = os.path.abspath(path)
        return None if key in self.changed else self._known.get(key)


def _suggestion(entry: polib.POEntry, score: float) -> Suggestion:
    return Suggestion(old_msgid=entry.msgid, msgstr=entry.msgstr, score=score, old_msgctxt=entry.msgctxt,
                      machine=is_untouched_machine_draft(entry))


class _PreviousIndex:
    """Old translated entries sorted by msgid length. A similarity of s% needs lengths within s% of each other
    (the distance is at least the length difference), so only that window is scored."""

    def __init__(self, entries):
        self.entries = sorted(entries, key=lambda e: len(e.msgid))
        self.lengths = [len(e.msgid) for e in self.entries]

    def near(self, msgid: str, min_score: float) -> list[polib.POEntry]:
        if not self.entries:
            return []
        length = len(msgid)
        ratio = max(min_score, 1e-9) / 100
        low, high = math.ceil(length * ratio - 1e-9), math.floor(length / ratio + 1e-9)
        return self.entries[bisect.bisect_left(self.lengths, low):bisect.bisect_right(self.lengths, high)]


# ---------------------------------------------------------------- merge

def _now_stamp(now: datetime | None) -> str:
    moment = (now or datetime.now()).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M%z")


def _fit_newlines(msgid: str, msgstr: str) -> str:
    """A proposal must begin and end with \\n exactly when the msgid does (msgfmt --check)."""
    if not msgstr:
        return msgstr
    msgstr = msgstr.strip("\n")
    if msgid.startswith("\n"):
        msgstr = "\n" + msgstr
    if msgid.endswith("\n"):
        msgstr += "\n"
    return msgstr


def _set_flag(entry: polib.POEntry, flag: str, on: bool) -> None:
    flags = [f for f in entry.flags if f != flag]
    if on:
        flags.insert(0, flag)
    entry.flags = flags


_OUR_PREFIXES = ("kind:", "term:", PROVENANCE, *ATTENTION)


def _our_comment_lines(comment: str) -> list[str]:
    """`#.` lines as the pipeline wrote them, even after an editor re-wrapped long ones on save (a line that
    starts with none of our prefixes continues the one before)."""
    lines: list[str] = []
    for line in (comment or "").split("\n"):
        if lines and not line.startswith(_OUR_PREFIXES):
            lines[-1] = f"{lines[-1]} {line.strip()}".rstrip()
        else:
            lines.append(line)
    return lines


def _replaced_by_approval(provenance: str) -> bool:
    """A provenance that described a proposal (machine, fuzzy memory, a previous translation): once a translator
    approves the entry, it is theirs. An exact approved memory match stays what it was."""
    text = provenance[len(PROVENANCE):].strip()
    if text.startswith(MACHINE) or text.startswith("previous translation"):
        return True
    return text.startswith("memory ") and not text.startswith("memory 100%")


def _refresh_comments(entry: polib.POEntry, draft: Draft, approval: str = APPROVED) -> None:
    """`#.` gets the template's lines; the pipeline's `# pipeline: ` lines are rewritten from the draft. When the
    draft brings no new proposal, the old provenance (and the term forms it explains) stays, and so do the old
    attention notes while the entry is still fuzzy; a proposal a translator approved says so."""
    extracted = [line for line in draft.comments if line.startswith(TEMPLATE_PREFIXES)]
    notes = [line for line in draft.comments if not line.startswith(TEMPLATE_PREFIXES)]
    if not any(line.startswith(PROVENANCE) for line in notes):
        old = entry_notes(entry)
        fuzzy, approved = _is_fuzzy(entry), _has_text(entry) and not _is_fuzzy(entry)
        for line in old:
            if line in notes:
                continue
            if line.startswith(PROVENANCE):
                notes.append(provenance_line(approval) if approved and _replaced_by_approval(line) else line)
            elif line.startswith(FORMS) or (fuzzy and line.startswith(ATTENTION)):
                notes.append(line)
    entry.comment = "\n".join(extracted)
    entry.tcomment = "\n".join(translator_lines(entry) + [NOTE + line for line in notes])


def _apply_proposal(entry: polib.POEntry, draft: Draft) -> None:
    """The draft's proposal replaces the msgstr; the old notes spoke of the old msgstr."""
    entry.msgstr = _fit_newlines(draft.msgid, draft.msgstr)
    _set_flag(entry, "fuzzy", draft.fuzzy)
    entry.previous_msgid = draft.previous_msgid if draft.fuzzy else None
    entry.previous_msgctxt = draft.previous_msgctxt if draft.fuzzy else None
    entry.previous_msgid_plural = None


def _new_entry(draft: Draft) -> polib.POEntry:
    entry = polib.POEntry(msgid=draft.msgid, msgctxt=draft.msgctxt, msgstr="",
                          occurrences=[tuple(o) for o in draft.occurrences])
    _refresh_comments(entry, draft)
    if draft.msgstr:
        _apply_proposal(entry, draft)
    return entry


@dataclass
class _OldEntries:
    """The catalog on disk, split for a merge. Entries are copies: the merge never changes what it read."""

    live: dict[Key, polib.POEntry]
    obsolete: list[polib.POEntry]
    obsolete_by_key: dict[Key, polib.POEntry]  # the first obsolete entry of each key
    # id() of old entries whose translation went into a merged entry: they do not also stay behind as obsolete
    consumed: set[int] = field(default_factory=set)
    approval: str = APPROVED  # the provenance of what a translator approved (who and when, from the header)

    @classmethod
    def split(cls, po: polib.POFile) -> _OldEntries:
        live: dict[Key, polib.POEntry] = {}
        obsolete: list[polib.POEntry] = []
        for entry in po:
            copy = _copy_entry(entry)
            if entry.obsolete:
                obsolete.append(copy)
            else:
                live[(copy.msgctxt, copy.msgid)] = copy
        by_key: dict[Key, polib.POEntry] = {}
        for entry in obsolete:
            by_key.setdefault((entry.msgctxt, entry.msgid), entry)
        return cls(live, obsolete, by_key, approval=approval_provenance(po.metadata))

    def consume(self, entry: polib.POEntry) -> None:
        self.consumed.add(id(entry))

    def is_consumed(self, entry: polib.POEntry) -> bool:
        return id(entry) in self.consumed

    def left_article(self, wanted: Collection[Key]) -> list[polib.POEntry]:
        """Entries whose sentence is no longer in the article: live ones first, then obsolete ones."""
        return [e for k, e in self.live.items() if k not in wanted] + self.obsolete


@dataclass(frozen=True)
class _Similar:
    """An old translation close enough to a changed sentence to be offered as a fuzzy suggestion."""

    score: float
    old: polib.POEntry
    order: int  # the old entry's place among the candidates (live before obsolete)
    index: int  # the draft's place in the article

    def rank(self) -> tuple[float, bool, int, int]:
        """Best pairs first, like msgmerge: higher score, then a live entry, then catalog and article order."""
        return -self.score, self.old.obsolete, self.order, self.index


def merge_entries(po: polib.POFile, drafts: Sequence[Draft],
                  min_score: float = SIMILARITY) -> list[polib.POEntry]:
    """Entries of the merged catalog: drafts in article order, then obsolete entries. `po` is not changed.

    The steps: each draft finds its own entry (kept, revived from obsolete or new); a changed sentence takes
    the closest translation whose source left the article; what is left with a translation becomes obsolete.
    """
    keys = _draft_keys(drafts)
    wanted = set(keys)
    old = _OldEntries.split(po)
    merged = [_place_draft(draft, key, old, wanted) for draft, key in zip(drafts, keys, strict=True)]
    _suggest_for_changed_sentences(drafts, merged, old, wanted, min_score)
    for index, entry in enumerate(merged):
        if entry is None:
            merged[index] = _new_entry(drafts[index])
    return [e for e in merged if e is not None] + _left_behind(old, wanted)


def _draft_keys(drafts: Sequence[Draft]) -> list[Key]:
    keys = [(d.msgctxt, d.msgid) for d in drafts]
    if any(not d.msgid for d in drafts):
        raise ValueError("a draft with an empty msgid would clash with the catalog header")
    if len(set(keys)) != len(keys):
        dupes = sorted({k[1][:40] for k in keys if keys.count(k) > 1})
        raise ValueError(f"two drafts share msgctxt and msgid (use entry_keys): {dupes}")
    return keys


def _place_draft(draft: Draft, key: Key, old: _OldEntries, wanted: set[Key]) -> polib.POEntry | None:
    """The draft's entry from its own sentence; None when only a similar old sentence can help (later step)."""
    entry = old.live.get(key)
    revived = old.obsolete_by_key.get(key)
    if entry is not None:
        return _keep_live(entry, revived, draft, old)
    if revived is not None and _has_text(revived):
        return _revive(revived, draft, old)
    if revived is not None:
        old.consume(revived)  # an untranslated obsolete twin carries no work
    if draft.msgstr:
        return _new_with_proposal(draft, old, wanted)
    return None


def _keep_live(entry: polib.POEntry, revived: polib.POEntry | None, draft: Draft,
               old: _OldEntries) -> polib.POEntry:
    """The sentence is still there: keep the translator's work, refresh references and our `#.` lines."""
    if revived is not None:
        if not _has_text(entry) and _has_text(revived):
            entry.msgstr, entry.msgstr_plural = revived.msgstr, dict(revived.msgstr_plural)
            entry.flags = list(revived.flags)
            entry.previous_msgid = revived.previous_msgid
            entry.previous_msgctxt = revived.previous_msgctxt
        elif _has_text(revived) and revived.msgstr != entry.msgstr:
            note = "earlier translation: " + revived.msgstr.replace("\n", " ")
            entry.tcomment = f"{entry.tcomment}\n{note}" if entry.tcomment else note
        old.consume(revived)
    entry.occurrences = [tuple(o) for o in draft.occurrences]
    _refresh_comments(entry, draft, old.approval)
    if draft.msgstr and (not _has_text(entry) or _replaces_machine_draft(entry, draft)):
        _apply_proposal(entry, draft)
    return entry


def _replaces_machine_draft(entry: polib.POEntry, draft: Draft) -> bool:
    """The live msgstr is still exactly the machine draft this proposal improves on (never a translator's edit)."""
    return draft.replaces is not None and _is_fuzzy(entry) and entry.msgstr == draft.replaces


def _revive(revived: polib.POEntry, draft: Draft, old: _OldEntries) -> polib.POEntry:
    """The sentence came back: its obsolete entry returns with its translation."""
    revived.obsolete = False
    revived.occurrences = [tuple(o) for o in draft.occurrences]
    _refresh_comments(revived, draft, old.approval)
    old.consume(revived)
    return revived


def _new_with_proposal(draft: Draft, old: _OldEntries, wanted: set[Key]) -> polib.POEntry:
    entry = _new_entry(draft)
    if draft.previous_msgid is not None:
        source = _find_old(draft, old, wanted)
        if source is not None:
            old.consume(source)
            _keep_translator_lines(entry, source)
    return entry


def _keep_translator_lines(entry: polib.POEntry, source: polib.POEntry) -> None:
    """The translator's comments travel with their translation to the changed sentence."""
    entry.tcomment = "\n".join(translator_lines(source) + (entry.tcomment or "").split("\n")).strip("\n")


def _find_old(draft: Draft, old: _OldEntries, wanted: set[Key]) -> polib.POEntry | None:
    """The old entry a draft's `#|` suggestion came from (so it does not also stay behind as obsolete)."""
    for entry in old.left_article(wanted):
        if not old.is_consumed(entry) and entry.msgid == draft.previous_msgid and entry.msgstr == draft.msgstr:
            return entry
    return None


def _suggest_for_changed_sentences(drafts: Sequence[Draft], merged: list[polib.POEntry | None],
                                   old: _OldEntries, wanted: set[Key], min_score: float) -> None:
    """Drafts still without an entry take the best old translation whose source is gone (msgmerge's fuzzy
    match), best pairs first; each old translation is offered once."""
    pending = [index for index, entry in enumerate(merged) if entry is None]
    gone = [e for e in old.left_article(wanted) if _has_text(e) and not e.msgid_plural]
    pairs = []
    for index in pending:
        for order, entry in enumerate(gone):
            if old.is_consumed(entry):
                continue
            score = similarity(drafts[index].msgid, entry.msgid)
            if score >= min_score:
                pairs.append(_Similar(score, entry, order, index))
    for pair in sorted(pairs, key=_Similar.rank):
        if merged[pair.index] is not None or old.is_consumed(pair.old):
            continue
        old.consume(pair.old)
        merged[pair.index] = _from_previous(drafts[pair.index], pair.old)


def _left_behind(old: _OldEntries, wanted: set[Key]) -> list[polib.POEntry]:
    """Obsolete entries of the merged catalog: old obsolete ones not reused, then translated live entries whose
    sentence left the article. An untranslated one is dropped, as msgmerge does, and so is an untouched machine
    draft: there is no human work in either (the memory keeps the machine's output)."""
    kept = [e for e in old.obsolete if not old.is_consumed(e) and not is_untouched_machine_draft(e)]
    for key, entry in old.live.items():
        if key in wanted or old.is_consumed(entry) or not _has_text(entry) or is_untouched_machine_draft(entry):
            continue
        entry.obsolete = True
        entry.occurrences = []
        kept.append(entry)
    return kept


def _from_previous(draft: Draft, old: polib.POEntry) -> polib.POEntry:
    """A changed sentence: the old translation as a fuzzy suggestion, old source as `#|`."""
    entry = _new_entry(draft)
    entry.msgstr = old.msgstr
    entry.flags = ["fuzzy"] + [f for f in old.flags if f != "fuzzy"]
    if _is_fuzzy(old) and old.previous_msgid is not None:
        entry.previous_msgid, entry.previous_msgctxt = old.previous_msgid, old.previous_msgctxt
    else:
        entry.previous_msgid = old.msgid
        entry.previous_msgctxt = old.msgctxt if old.msgctxt != draft.msgctxt else None
    if not any(line.startswith(PROVENANCE) for line in draft.comments):
        draft = Draft(msgid=draft.msgid, msgctxt=draft.msgctxt, occurrences=draft.occurrences,
                      comments=[*draft.comments, provenance_line("previous translation of this article")])
        _refresh_comments(entry, draft)
    _keep_translator_lines(entry, old)
    return entry


def _copy_entry(entry: polib.POEntry) -> polib.POEntry:
    return polib.POEntry(
        msgid=entry.msgid, msgstr=entry.msgstr, msgid_plural=entry.msgid_plural,
        msgstr_plural=dict(entry.msgstr_plural), msgctxt=entry.msgctxt, obsolete=bool(entry.obsolete),
        comment=entry.comment, tcomment=entry.tcomment, occurrences=list(entry.occurrences),
        flags=list(entry.flags), previous_msgctxt=entry.previous_msgctxt, previous_msgid=entry.previous_msgid,
        previous_msgid_plural=entry.previous_msgid_plural, linenum=entry.linenum)


def _translation_view(entries: Sequence[polib.POEntry]) -> list:
    return [(e.msgctxt, e.msgid, e.obsolete, e.msgstr, sorted(e.msgstr_plural.items()), written_flags(e),
             translator_lines(e), e.previous_msgid) for e in entries]


def _source_view(entries: Sequence[polib.POEntry]) -> list:
    """What moves POT-Creation-Date: the sentences and where they are. Not the `#.` notes: they speak of the
    translation, and editors that re-wrap long comment lines on save would make every run look like a change."""
    return [(e.msgctxt, e.msgid, e.msgid_plural, bool(e.obsolete), list(e.occurrences)) for e in entries]


def _catalog_header(old: polib.POFile, lang: str, project: str, stamp: str, translation_changed: bool,
                    source_changed: bool) -> dict[str, str]:
    """Header fields: the translator's stay, missing ones are filled, dates move only when content did."""
    fields = dict(old.metadata)
    defaults = {
        "Project-Id-Version": project,
        "Report-Msgid-Bugs-To": "",
        "POT-Creation-Date": stamp,
        "PO-Revision-Date": stamp,
        "Last-Translator": "Automatically generated",
        "Language-Team": english_name(lang),
        "Language": lang,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": plural_forms(lang),
        "X-Generator": GENERATOR,
    }
    placeholders = {"Project-Id-Version": "PACKAGE VERSION", "Last-Translator": "FULL NAME <EMAIL@ADDRESS>",
                    "Language-Team": "LANGUAGE <LL@li.org>", "PO-Revision-Date": "YEAR-MO-DA HO:MI+ZONE",
                    "Plural-Forms": "nplurals=INTEGER; plural=EXPRESSION;"}
    ordered: dict[str, str] = {}
    for key, default in defaults.items():
        value = fields.pop(key, None)
        if value is None or (not value.strip() and key != "Report-Msgid-Bugs-To") \
                or value == placeholders.get(key):
            value = default
        ordered[key] = value
    ordered.update(fields)  # fields of other tools (X-Poedit-*, ...) keep their values
    ordered["Content-Type"] = "text/plain; charset=UTF-8"
    if source_changed:
        ordered["POT-Creation-Date"] = stamp
    if translation_changed:
        ordered["PO-Revision-Date"] = stamp
    if translation_changed or source_changed:
        ordered["X-Generator"] = GENERATOR
    return ordered


def _merged_catalog(old: polib.POFile, lang: str, drafts: Sequence[Draft], project: str,
                    now: datetime | None) -> polib.POFile:
    entries = merge_entries(old, drafts)
    before = [e for e in old if not e.obsolete] + [e for e in old if e.obsolete]
    po = empty_po(Path(old.fpath or "catalog.po"))
    po.header = old.header or f"{english_name(lang)} translation of {project}."
    po.metadata_is_fuzzy = [f for f in (old.metadata_is_fuzzy or []) if f != "fuzzy"] \
        if isinstance(old.metadata_is_fuzzy, list) else []  # the header is complete now, as msginit leaves it
    po.newline = getattr(old, "newline", "\n")
    resized = len(entries) != len(before)  # a new catalog: no entry-by-entry comparison needed to know it changed
    po.metadata = _catalog_header(old, lang, project, _now_stamp(now),
                                  resized or _translation_view(entries) != _translation_view(before),
                                  resized or _source_view(entries) != _source_view(before))
    po.extend(entries)
    return po


def _header_flags(po: polib.POFile) -> list[str]:
    fuzzy = po.metadata_is_fuzzy
    return [f for f in fuzzy if f] if isinstance(fuzzy, list) else (["fuzzy"] if fuzzy else [])


def _written_the_same(po: polib.POFile, old: polib.POFile) -> bool:
    """Would `po` be written as `old` is? Every field the writer puts in the file, compared without rendering."""
    return (po.header == old.header and list(po.metadata.items()) == list(old.metadata.items())
            and _header_flags(po) == _header_flags(old) and po.encoding == old.encoding
            and getattr(po, "newline", "\n") == getattr(old, "newline", "\n")
            and _entries_view(po) == _entries_view(old))


@dataclass
class Merged:
    """A catalog as read and the merge of a run's drafts into it; `after` is None when nothing would change."""

    before: Catalog
    after: Catalog | None
    stats: CatalogStats


def merge_catalog(catalog: Catalog, lang: str, drafts: Sequence[Draft], *, project: str,
                  now: datetime | None = None, pot_date: str | None = None) -> Merged:
    """Merge drafts into the catalog as read; nothing is rendered when the merge leaves every entry and header field
    as it was (the file, in whatever layout an editor saved it, stays as it is)."""
    old = catalog.po
    po = _merged_catalog(old, lang, drafts, project, now)
    if pot_date:  # the template's date, as msgmerge would set it
        po.metadata["POT-Creation-Date"] = pot_date
    if _written_the_same(po, old):
        return Merged(catalog, None, _stats(old))
    new = po_bytes(po, as_read=True)
    if new == catalog.data:
        return Merged(catalog, None, _stats(po))
    return Merged(catalog, Catalog(catalog.path, po, new), _stats(po))


def update_catalog(path: Path, lang: str, drafts: Sequence[Draft], *, project: str,
                   now: datetime | None = None, pot_date: str | None = None,
                   loaded: Catalog | None = None, reader: CatalogReader | None = None) -> CatalogStats:
    """Merge drafts into the catalog on disk and write atomically; re-merges if the file changed meanwhile.

    Nothing is written when the merge changes nothing. `pot_date`: the template's POT-Creation-Date. A catalog
    that does not parse raises CatalogError and stays as it is. `loaded`: the catalog as the caller read it this
    run; its parse is reused while the file still holds the same bytes, so each file is parsed once (`reader`:
    the same for a whole run, which also learns what was written).
    """
    reader = reader or CatalogReader()
    if loaded is not None:
        reader.remember(loaded)
    with directory_lock(path.parent):
        for _attempt in range(MERGE_ATTEMPTS):
            merged = merge_catalog(reader.load(path), lang, drafts, project=project, now=now, pot_date=pot_date)
            if merged.after is None:
                return merged.stats
            if files.write_bytes(path, merged.after.data, expected=merged.before.data, follow_link=True):
                reader.remember(merged.after)  # a linked catalog stays linked
                return merged.stats
    raise CatalogError(path, 1, f"the catalog kept changing while it was merged ({MERGE_ATTEMPTS} attempts); "
                                "save it in the editor and run again")


@dataclass
class CatalogJob:
    """One catalog of a run: the drafts for it, the catalog as the run read it, the template's date."""

    path: Path
    lang: str
    drafts: Sequence[Draft]
    catalog: Catalog
    pot_date: str | None = None


def update_catalogs(jobs: Sequence[CatalogJob], *, project: str, reader: CatalogReader,
                    now: datetime | None = None) -> dict[Path, CatalogStats | CatalogError | OSError]:
    """`update_catalog` for many catalogs, with one sync for every file that changes (files.write_many).

    Each is merged from what the run read; a catalog whose file changed since (a translator saved) is merged again
    from the file, one at a time, as update_catalog does: no save is ever overwritten.
    """
    results: dict[Path, CatalogStats | CatalogError | OSError] = {}
    pending: dict[Path, tuple[CatalogJob, Merged]] = {}
    for job in jobs:
        try:
            merged = merge_catalog(job.catalog, job.lang, job.drafts, project=project, now=now,
                                   pot_date=job.pot_date)
        except CatalogError as exc:
            results[job.path] = exc
            continue
        results[job.path] = merged.stats
        if merged.after is not None:
            pending[job.path] = (job, merged)
    with contextlib.ExitStack() as locks:
        for folder in sorted({path.parent for path in pending}):
            locks.enter_context(directory_lock(folder))
        written = files.write_many([(path, merged.after.data, merged.before.data)
                                    for path, (_job, merged) in pending.items()], follow_link=True)
    for path, outcome in written.items():
        job, merged = pending[path]
        if outcome is True:
            reader.remember(merged.after)
        elif isinstance(outcome, OSError):
            results[path] = outcome
        else:  # changed on disk since the run read it: merge again from what is there now
            try:
                results[path] = update_catalog(path, job.lang, job.drafts, project=project, now=now,
                                               pot_date=job.pot_date, reader=reader)
            except (CatalogError, OSError) as exc:
                results[path] = exc
    return results


@dataclass
class _TemplateUpdate:
    pot_date: str  # the template's POT-Creation-Date (the one on disk when nothing changed)
    data: bytes | None  # the file as read
    new: bytes | None  # what to write; None when the entries are unchanged


def _template_update(path: Path, drafts: Sequence[Draft], project: str, now: datetime | None) -> _TemplateUpdate:
    entries = []
    for draft in drafts:
        entry = polib.POEntry(msgid=draft.msgid, msgctxt=draft.msgctxt, msgstr="",
                              occurrences=[tuple(o) for o in draft.occurrences])
        entry.comment = "\n".join(c for c in draft.comments if not c.startswith(PROVENANCE))
        entries.append(entry)
    data = files.read_or_none(path)
    old = None
    if data is not None:
        with contextlib.suppress(CatalogError):
            old = parse_po(data, path)
    po = empty_po(path)
    po.header = f"Translation template for {project}.\nGenerated from the article: edit the article."
    po.metadata_is_fuzzy = ["fuzzy"]
    po.metadata = {
        "Project-Id-Version": project,
        "Report-Msgid-Bugs-To": "",
        "POT-Creation-Date": _now_stamp(now),
        "PO-Revision-Date": "YEAR-MO-DA HO:MI+ZONE",
        "Last-Translator": "FULL NAME <EMAIL@ADDRESS>",
        "Language-Team": "LANGUAGE <LL@li.org>",
        "Language": "",
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "X-Generator": GENERATOR,
    }
    po.extend(entries)
    if old is not None and old.metadata.get("Project-Id-Version") == project and (
            _entries_view(old) == _entries_view(po)  # the same fields, so the same text: nothing to render
            or render_po(_without_header(old)) == render_po(_without_header(po))):
        return _TemplateUpdate(old.metadata.get("POT-Creation-Date") or po.metadata["POT-Creation-Date"], data,
                               None)
    return _TemplateUpdate(po.metadata["POT-Creation-Date"], data, po_bytes(po))


def write_template(path: Path, drafts: Sequence[Draft], *, project: str, now: datetime | None = None) -> str:
    """The POT: sources only, empty msgstrs; rewritten only when the entries change. Returns its
    POT-Creation-Date, which the catalogs take over (as msgmerge does, so an update from the POT changes none)."""
    update = _template_update(path, drafts, project, now)
    if update.new is None:
        return update.pot_date
    return _write_template(path, update)


def _write_template(path: Path, update: _TemplateUpdate) -> str:
    data = update.data
    with directory_lock(path.parent):
        for _attempt in range(MERGE_ATTEMPTS):
            if files.write_bytes(path, update.new, expected=data):
                return update.pot_date
            data = files.read_or_none(path)
    raise CatalogError(path, 1, "the template kept changing while it was written")


def write_templates(templates: Sequence[tuple[Path, Sequence[Draft]]], *, project: str,
                    now: datetime | None = None, data: dict[Path, bytes] | None = None
                    ) -> dict[Path, str | CatalogError | OSError]:
    """`write_template` for many templates, with one sync for every file that changes (files.write_many).
    Returns each template's POT-Creation-Date, or the error that kept it from being written; `data`, when given,
    gets the bytes each template now holds (written or found unchanged), so no caller reads them back."""
    results: dict[Path, str | CatalogError | OSError] = {}
    changed: dict[Path, _TemplateUpdate] = {}
    on_disk: dict[Path, bytes] = {}
    for path, drafts in templates:
        update = _template_update(path, drafts, project, now)
        results[path] = update.pot_date
        if update.new is not None:
            changed[path] = update
            on_disk[path] = update.new
        elif update.data is not None:
            on_disk[path] = update.data
    with contextlib.ExitStack() as locks:
        for folder in sorted({path.parent for path in changed}):
            locks.enter_context(directory_lock(folder))
        written = files.write_many([(path, update.new, update.data) for path, update in changed.items()])
    for path, outcome in written.items():
        if isinstance(outcome, OSError):
            results[path] = outcome
        elif outcome is False:  # changed meanwhile: written one at a time, as write_template does
            try:
                results[path] = _write_template(path, changed[path])
            except (CatalogError, OSError) as exc:
                results[path] = exc
    if data is not None:
        data.update((path, content) for path, content in on_disk.items() if isinstance(results[path], str))
    return results


def _entries_view(po: polib.POFile) -> list:
    """Every field of every entry that the writer puts in the file, in file order."""
    return [(e.obsolete, e.tcomment, e.comment, list(e.occurrences), written_flags(e), e.previous_msgctxt,
             e.previous_msgid, e.previous_msgid_plural, e.msgctxt, e.msgid, e.msgid_plural,
             sorted(e.msgstr_plural.items()), e.msgstr) for e in sorted(po, key=lambda e: bool(e.obsolete))]


def _without_header(po: polib.POFile) -> polib.POFile:
    bare = empty_po(Path(po.fpath or "x.po"))
    bare.extend(po)
    return bare


# ---------------------------------------------------------------- filling entries from the memory

def has_text(entry: polib.POEntry) -> bool:
    """Any translation at all (a plural entry: any form): such an entry is the translator's, never filled."""
    return _has_text(entry)


def fill_entry(entry: polib.POEntry, text: str | dict[int, str], *, fuzzy: bool, provenance: str,
               previous_msgid: str | None = None, previous_msgctxt: str | None = None,
               notes: Sequence[str] = ()) -> None:
    """An empty entry takes a proposal: its msgstr (a plural entry: every msgstr[n]), fuzzy unless it was exact,
    `#|` naming what it was proposed from, and a provenance note; the translator's own comment lines stay."""
    if isinstance(text, dict):
        entry.msgstr_plural = {n: _fit_newlines(entry.msgid_plural if n else entry.msgid, form)
                               for n, form in sorted(text.items())}
    else:
        entry.msgstr = _fit_newlines(entry.msgid, text)
    _set_flag(entry, "fuzzy", fuzzy)
    entry.previous_msgid = previous_msgid if fuzzy else None
    entry.previous_msgctxt = previous_msgctxt if fuzzy and previous_msgid is not None else None
    entry.previous_msgid_plural = entry.msgid_plural if fuzzy and previous_msgid and entry.msgid_plural else None
    kept = [line for line in entry_notes(entry) if not line.startswith(PROVENANCE)]
    lines = [*kept, provenance_line(provenance), *notes]
    entry.tcomment = "\n".join(translator_lines(entry) + [NOTE + line for line in lines])


def save_catalog(catalog: Catalog) -> bool:
    """Write back a catalog changed in memory, atomically; False (nothing written) when the file no longer holds
    what was read (someone saved it meanwhile) or the bytes would not change."""
    new = po_bytes(catalog.po)
    if new == catalog.data:
        return False
    with directory_lock(catalog.path.parent):
        if not files.write_bytes(catalog.path, new, expected=catalog.data, follow_link=True):
            raise CatalogError(catalog.path, 1, "the catalog changed while it was being filled; nothing was "
                                                "written: run again")
    return True


def catalog_stats(path: Path) -> CatalogStats:
    return Catalog.load(path).stats()


def mo_bytes(po: polib.POFile) -> bytes:
    """The catalog as a GNU .mo file with its approved entries only (translated, not fuzzy, not obsolete): what a
    site using gettext at run time may show. The header goes along (charset, Plural-Forms)."""
    mo = polib.MOFile(wrapwidth=0)
    mo.metadata = dict(po.metadata)
    for entry in po:
        if entry.obsolete or _is_fuzzy(entry) or not _translated(entry):
            continue
        mo.append(polib.MOEntry(msgid=entry.msgid, msgctxt=entry.msgctxt, msgstr=entry.msgstr,
                                msgid_plural=entry.msgid_plural, msgstr_plural=dict(entry.msgstr_plural)))
    return mo.to_binary()


def compile_catalog(path: Path, out: Path) -> CatalogStats:
    """Write `out` (atomically) from the catalog at `path`; a broken catalog raises CatalogError."""
    catalog = Catalog.load(path)
    if catalog.data is None:
        raise CatalogError(path, 0, "no such catalog")
    files.write_bytes(out, mo_bytes(catalog.po))
    return catalog.stats()
