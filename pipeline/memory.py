"""Stage 4: the translation memory (SQLite).

Approved human translations are reused wherever the same or a close sentence comes back. The memory lives
in `.pipeline/memory.sqlite` (git-ignored): the reviewed catalogs in `locales/` are the source of truth and
the memory can always be rebuilt from them (`pipeline tm import locales`).

Scores follow translate-toolkit (`translate.search.lshtein`): character Levenshtein similarity,
100 - 100 * distance / length of the longer string, on normalised text (NFC, collapsed whitespace).
Candidates come from an FTS5 trigram index, so a lookup reads a few hundred rows, never the whole memory.

Storage sits behind `MemoryStore`: SQLite here, a shared PostgreSQL memory in `memory_pg`; scoring, harvesting,
TMX and the choice of candidates are shared.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from pipeline import files
from pipeline.errors import CatalogError, MemoryImportError, TmxError
from pipeline.formats.langtag import lang_code
from pipeline.formats.po import read_po
from pipeline.languages import CLDR_ORDER, plural_categories_of
from pipeline.segment import is_repeat_context
from pipeline.segment import normalise as segment_normalise
from pipeline.similarity import DEFAULT_MIN_SCORE, similarity

if TYPE_CHECKING:
    import polib

    from pipeline.formats.tmx import TmxPair

APPROVED = "approved"
MACHINE = "machine"
STATUSES = (APPROVED, MACHINE)

# TMX <prop> types we write and read back, so that status and origin survive an export/import round trip.
PROP_STATUS = "x-pipeline-status"
PROP_ORIGIN = "x-pipeline-origin"
PROP_CONTEXT = "x-pipeline-context"  # the msgctxt a unit was approved in
PROP_PLURAL = "x-pipeline-plural"  # a plural entry's msgid_plural; its forms follow, one prop per CLDR category
PROP_FORM = "x-pipeline-form-"  # + category: x-pipeline-form-one, x-pipeline-form-few, ...

# A match whose context differs from the entry's is worth this much of its score (Weblate's factor): an exact
# source in another context scores 95, below the same source in the same context, and is never taken as exact.
CONTEXT_MISMATCH = 0.95


@dataclass(frozen=True)
class Unit:
    source_lang: str
    target_lang: str
    source: str
    target: str
    status: str = APPROVED
    origin: str = ""
    created: str = ""  # ISO 8601 UTC; empty: now
    updated: str = ""  # ISO 8601 UTC; empty: now. Last time a source (catalog, TMX) confirmed the unit.
    context: str = ""  # the msgctxt it was approved in ("" for none; see memory_context)
    plural: str = ""  # a plural entry's msgid_plural; then `target` is its forms (plural_target)

    @property
    def forms(self) -> dict[str, str]:
        """A plural unit's translations by CLDR category ({} for a singular one)."""
        return plural_forms(self.target) if self.plural else {}


@dataclass(frozen=True)
class Match:
    source: str
    target: str
    score: float  # 100 = exact, same context; translate-toolkit's similarity, x 0.95 for another context
    origin: str
    status: str = APPROVED
    updated: str = ""
    context: str = ""
    plural: str = ""

    @property
    def forms(self) -> dict[str, str]:
        return plural_forms(self.target) if self.plural else {}


@dataclass(frozen=True)
class PairStats:
    source_lang: str
    target_lang: str
    approved: int
    machine: int


@dataclass(frozen=True)
class MemoryStats:
    path: str
    size_bytes: int
    units: int
    approved: int
    machine: int
    sources: int
    origins: int
    pairs: list[PairStats] = field(default_factory=list)
    last_updated: str = ""
    plural: int = 0  # units of plural entries
    in_context: int = 0  # units approved in a msgctxt


@dataclass(frozen=True)
class ImportReport:
    files: int = 0
    read: int = 0  # usable units found in the files
    added: int = 0  # new units, or machine drafts now approved
    skipped: int = 0  # TMX units without the source language or a target; plural entries not aligned to CLDR

    def __add__(self, other: ImportReport) -> ImportReport:
        return ImportReport(self.files + other.files, self.read + other.read, self.added + other.added,
                            self.skipped + other.skipped)


@dataclass(frozen=True)
class MigrationReport:
    source: str  # where from and to, passwords masked
    target: str
    units: int
    sources: int
    seen: int  # seen-table rows: what each catalog last said, which decides future conflicts


class MemoryMigrationError(RuntimeError):
    """A copy that cannot start or did not come out whole; the other side keeps nothing."""


# ------------------------------------------------------------------------------------------ text and scores



def memory_context(msgctxt: str | None) -> str:
    """The context a catalog entry's msgctxt gives its memory unit: "" for none and for the pipeline's own
    "occurrence N" markers of repeated sentences (they say where, not what), the msgctxt itself otherwise."""
    if not msgctxt or is_repeat_context(msgctxt):
        return ""
    return msgctxt


def context_score(score: float, unit_context: str, wanted: str | None) -> float:
    """A unit's score for an entry whose memory context (`memory_context` of its msgctxt, worked out once per
    lookup) is `wanted` (None: any context, no penalty)."""
    if wanted is None or unit_context == wanted:
        return score
    return score * CONTEXT_MISMATCH


def plural_target(forms: Mapping[str, str]) -> str:
    """How a plural unit stores its forms: a JSON object keyed by CLDR category, in CLDR's order (so one entry's
    forms always give one text, and one unit)."""
    unknown = set(forms) - set(CLDR_ORDER)
    if unknown:
        raise ValueError(f"not CLDR plural categories: {', '.join(sorted(unknown))}")
    return json.dumps({c: forms[c] for c in CLDR_ORDER if c in forms}, ensure_ascii=False)


def usable_forms(forms: Iterable[str]) -> bool:
    """Whether a plural entry's forms are worth a unit: at least one, and none blank (a gap would be reused)."""
    texts = list(forms)
    return bool(texts) and all(f.strip() for f in texts)


def plural_forms(target: str) -> dict[str, str]:
    """A plural unit's forms by CLDR category."""
    try:
        forms = json.loads(target)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in forms.items()} if isinstance(forms, dict) else {}


def normalise(text: str) -> str:
    """The lookup key: exactly what the segmenter makes a msgid (NFC, invisible and bidi characters dropped,
    whitespace collapsed), so a TMX unit matches the catalog entry of the same sentence. The original is kept."""
    return segment_normalise(text)


def _iso_micros(micros: int) -> str:
    seconds, fraction = divmod(micros, 1_000_000)
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{fraction:06d}Z"


def _now() -> str:
    return _iso_micros(time.time_ns() // 1000)


def _trigrams(text: str) -> dict[str, int]:
    """Each distinct trigram of `text` with the index of the word it starts in."""
    out: dict[str, int] = {}
    word = 0
    for i in range(len(text) - 2):
        if text[i] == " ":
            word += 1
        out.setdefault(text[i:i + 3], word)
    return out


def rare_trigram_pairs(words: dict[str, int], df: dict[str, int], picks: int, per_word: int) -> list[list[str]]:
    """The pairs of trigrams a fuzzy lookup asks the index for: the text's rarest (by document frequency `df`;
    `words` from `_trigrams`), at most `per_word` from one word, `picks` in all, paired in order of rarity.

    Both stores ask for the same pairs, so both score the same candidates and agree on the best match.
    """
    chosen: list[str] = []
    taken: Counter[int] = Counter()
    for g in sorted(df, key=lambda g: (df[g], g)):
        if taken[words[g]] < per_word:
            taken[words[g]] += 1
            chosen.append(g)
            if len(chosen) == picks:
                break
    if len(chosen) == 1:
        return [chosen]
    return [chosen[i:i + 2] for i in range(0, len(chosen) - 1, 2)]


# ------------------------------------------------------------------------------------------ storage


def schema_mismatch(location: str, version: int | None, expected: int, remedy: str) -> str:
    """What a store says of a memory whose schema no upgrade step leads from (one wording for every store)."""
    return (f"{location} holds a translation memory of schema version {version}; this pipeline reads version "
            f"{expected}. {remedy}")


def needs_upgrade(version: int | None, expected: int, steps: Mapping[int, object], *, location: str, remedy: str,
                  error: type[Exception] = RuntimeError) -> bool:
    """Whether a memory of `version` must be upgraded to `expected`; `error` when no step of `steps` leads on from
    it (a newer memory, or one from before upgrades existed)."""
    if version == expected:
        return False
    if version not in steps:
        raise error(schema_mismatch(location, version, expected, remedy))
    return True


def apply_upgrades(version: int | None, expected: int, steps: Mapping[int, object], run: Callable[[object], None],
                   record: Callable[[int], None], *, location: str, remedy: str,
                   error: type[Exception] = RuntimeError) -> int:
    """Step a memory up to `expected`, one version at a time: `run` the step `steps[version]` (SQL in the store's
    own dialect), `record` the version it reached. The caller holds the transaction, so a failed step leaves the
    memory as it was."""
    while needs_upgrade(version, expected, steps, location=location, remedy=remedy, error=error):
        run(steps[version])
        version += 1
        record(version)
    return version


@dataclass(frozen=True)
class StoredUnit:
    """A unit as a backend returns it for lookup."""

    source_id: int
    source: str
    target: str
    status: str
    origin: str
    updated: str
    context: str = ""
    plural: str = ""


class MemoryStore(Protocol):
    """What the memory needs from a database: `SQLiteStore` here, `memory_pg.PostgresStore` for a shared one."""

    path: str

    def transaction(self): ...  # context manager: all or nothing

    def upsert(self, rows: Sequence[tuple[str, Unit]]) -> int:
        """(normalised source, unit) pairs; returns how many were new or moved from machine to approved."""

    def source_id(self, lang: str, text: str) -> int | None: ...

    def exact_units(self, lang: str, text: str, target_lang: str,
                    statuses: Sequence[str]) -> tuple[int | None, list[StoredUnit]]:
        """The source's id and its units (as `units` orders them): one round trip where the store is a server."""

    def candidates(self, lang: str, text: str, min_len: int, max_len: int) -> list[tuple[int, str]]:
        """(source id, normalised source) of sources likely close to `text`, within the length window.

        Ids must sort by source length, then by arrival: the memory breaks fuzzy ties on them.
        """

    def units(self, source_ids: Sequence[int], target_lang: str, statuses: Sequence[str]) -> list[StoredUnit]:
        """Units of those sources, approved first, newest first."""

    def has_units(self, source_lang: str, target_lang: str) -> bool:
        """Whether any unit (approved or machine) translates source_lang into target_lang."""

    def iter_units(self, source_lang: str | None, target_langs: Sequence[str] | None,
                   statuses: Sequence[str]) -> Iterator[Unit]: ...

    def stats(self) -> MemoryStats: ...

    def optimize(self) -> None: ...

    def close(self) -> None: ...


_SCHEMA_VERSION = 3
_SCHEMA = """
-- id = length << 32 | n: sources sort by length, then by arrival. A length window is an id range, which the
-- FTS5 index honours while it reads its posting lists, and fuzzy ties break like translate-toolkit's matcher.
CREATE TABLE IF NOT EXISTS sources (
    id INTEGER PRIMARY KEY,
    lang TEXT NOT NULL,
    text TEXT NOT NULL,              -- normalised source: the lookup key
    key INTEGER NOT NULL             -- 64-bit hash of (lang, text): a small index for exact lookups
);
CREATE INDEX IF NOT EXISTS sources_key ON sources (key);
CREATE VIRTUAL TABLE IF NOT EXISTS sources_fts USING fts5 (
    text, content='sources', content_rowid='id', tokenize='trigram case_sensitive 1', detail='none'
);
-- document frequency of each trigram: lets a lookup pick the rarest ones of its text
CREATE TABLE IF NOT EXISTS grams (
    lang TEXT NOT NULL,
    gram TEXT NOT NULL,
    df INTEGER NOT NULL,
    PRIMARY KEY (lang, gram)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS units (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources (id),
    target_lang TEXT NOT NULL,
    source TEXT,                     -- original source when it differs from the normalised one
    target TEXT NOT NULL,            -- unique per (source_id, target_lang, context, plural): upsert checks it
    status TEXT NOT NULL CHECK (status IN ('approved', 'machine')),
    origin TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    context TEXT NOT NULL DEFAULT '',  -- msgctxt (version 2)
    plural TEXT NOT NULL DEFAULT ''    -- normalised msgid_plural; target holds the forms by category (version 2)
);
CREATE INDEX IF NOT EXISTS units_source ON units (source_id, target_lang);
-- whether a language holds any unit (has_units) is a probe of this index, not a scan of the table (version 3)
CREATE INDEX IF NOT EXISTS units_lang ON units (target_lang, source_id);
"""
# What each origin (a catalog, a TMX file) last said for a source: tells a fresh approval (the translator changed
# the entry: it moves forward) from a catalog that merely holds the same approval again after a rewrite.
_SEEN = """
CREATE TABLE IF NOT EXISTS seen (
    origin TEXT NOT NULL,
    source_id INTEGER NOT NULL,
    target_lang TEXT NOT NULL,
    target_key INTEGER NOT NULL,     -- 64-bit hash of the target: enough to tell "the same" from "changed"
    PRIMARY KEY (origin, source_id, target_lang)
) WITHOUT ROWID;
"""
# Each step takes a memory of one version to the next, in place: columns with defaults, nothing rewritten.
_UPGRADES = {
    1: ("ALTER TABLE units ADD COLUMN context TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE units ADD COLUMN plural TEXT NOT NULL DEFAULT ''"),
    2: ("CREATE INDEX IF NOT EXISTS units_lang ON units (target_lang, source_id)",),
}
_REBUILD = "Delete the file and rebuild it from the catalogs with `pipeline tm import locales`."
_LENGTH_SHIFT = 32


def _key(lang: str, text: str) -> int:
    digest = hashlib.blake2b(f"{lang}\0{text}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _id_range(min_len: int, max_len: int) -> tuple[int, int]:
    return max(min_len, 0) << _LENGTH_SHIFT, ((max_len + 1) << _LENGTH_SHIFT) - 1


def seen_slot(target_lang: str, context: str, plural: str) -> str:
    """The seen-table's language column for a unit: the language alone for a singular unit without context (as in
    version 1), else language, context and msgid_plural joined by EOT (gettext's own msgctxt separator in .mo
    files), so each context and plural entry of a catalog keeps its own record without a new key column."""
    return target_lang if not context and not plural else f"{target_lang}\x04{context}\x04{plural}"


class SQLiteStore:
    """The embedded default: one SQLite file in WAL mode, FTS5 trigram index over normalised sources."""

    PICKS = 12  # rarest trigrams a fuzzy lookup asks the index for ...
    PER_WORD = 2  # ... at most this many from one word, so that one changed word cannot hide a match
    SCAN_LIMIT = 500  # length windows this small are scored in full: exact and cheap
    CANDIDATE_CAP = 2000  # beyond this many index hits, keep those sharing the most trigram pairs

    def __init__(self, path: Path):
        self.path = str(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        try:
            self._setup()
        except BaseException:
            self._conn.close()
            raise
        self._depth = 0

    def _setup(self) -> None:
        c = self._conn
        version = c.execute("PRAGMA user_version").fetchone()[0]
        has_tables = c.execute("SELECT count(*) FROM sqlite_master WHERE name = 'units'").fetchone()[0]
        upgrade = has_tables and needs_upgrade(version, _SCHEMA_VERSION, _UPGRADES, location=self.path,
                                               remedy=_REBUILD)
        c.execute("PRAGMA journal_mode = WAL")
        c.execute("PRAGMA synchronous = NORMAL")
        c.execute("PRAGMA foreign_keys = ON")
        c.execute("PRAGMA cache_size = -32000")
        c.execute("PRAGMA journal_size_limit = 67108864")
        # Lookups touch a few hundred scattered rows: mapped pages spare a read() per page.
        c.execute("PRAGMA mmap_size = 2147418112")
        c.executescript(_SEEN)
        if upgrade:
            self._upgrade()
        if not has_tables:
            try:
                c.executescript("BEGIN;" + _SCHEMA + f"PRAGMA user_version = {_SCHEMA_VERSION}; COMMIT;")
            except sqlite3.OperationalError as e:
                if c.in_transaction:
                    c.execute("ROLLBACK")
                raise RuntimeError(f"{self.path}: SQLite {sqlite3.sqlite_version} lacks the FTS5 trigram "
                                   f"tokenizer (needs 3.34+): {e}") from e

    def _upgrade(self) -> None:
        """An older memory is brought to this version in one transaction: all steps or none (another process
        that got there first leaves nothing to do)."""
        c = self._conn
        c.execute("BEGIN IMMEDIATE")
        try:
            apply_upgrades(c.execute("PRAGMA user_version").fetchone()[0], _SCHEMA_VERSION, _UPGRADES,
                           lambda step: [c.execute(sql) for sql in step],
                           lambda version: c.execute(f"PRAGMA user_version = {int(version)}"),
                           location=self.path, remedy=_REBUILD)
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    @contextmanager
    def transaction(self):
        """Nestable: only the outermost level commits; any exception rolls everything back."""
        if self._depth == 0:
            self._conn.execute("BEGIN IMMEDIATE")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self._conn.execute("ROLLBACK")
            raise
        self._depth -= 1
        if self._depth == 0:
            self._conn.execute("COMMIT")

    def _new_source(self, lang: str, text: str, key: int) -> int:
        low, high = _id_range(len(text), len(text))
        last = self._conn.execute("SELECT max(id) FROM sources WHERE id BETWEEN ? AND ?",
                                  (low, high)).fetchone()[0]
        sid = low if last is None else last + 1
        if sid > high:
            raise RuntimeError(f"{self.path}: more than 2**32 sources of length {len(text)}")
        self._conn.execute("INSERT INTO sources (id, lang, text, key) VALUES (?, ?, ?, ?)",
                           (sid, lang, text, key))
        self._conn.execute("INSERT INTO sources_fts (rowid, text) VALUES (?, ?)", (sid, text))
        return sid

    def upsert(self, rows: Sequence[tuple[str, Unit]]) -> int:
        c = self._conn
        changed = 0
        grams: Counter[tuple[str, str]] = Counter()
        with self.transaction():
            for text, unit in rows:
                key = _key(unit.source_lang, text)
                sid = self._find_source(unit.source_lang, text, key)
                known = sid is not None
                if sid is None:
                    sid = self._new_source(unit.source_lang, text, key)
                    grams.update((unit.source_lang, g) for g in _trigrams(text))
                fresh = not known or self._fresh(unit, sid)
                if unit.origin and unit.status == APPROVED:
                    c.execute("INSERT OR REPLACE INTO seen (origin, source_id, target_lang, target_key) "
                              "VALUES (?, ?, ?, ?)",
                              (unit.origin, sid, seen_slot(unit.target_lang, unit.context, unit.plural),
                               _key(unit.target_lang, unit.target)))
                existing = c.execute("SELECT id, status, updated FROM units WHERE source_id = ? AND target_lang = ? "
                                     "AND target = ? AND context = ? AND plural = ?",
                                     (sid, unit.target_lang, unit.target, unit.context, unit.plural)
                                     ).fetchone() if known else None
                if existing is None:
                    original = None if unit.source == text else unit.source
                    c.execute("INSERT INTO units (source_id, target_lang, source, target, status, origin, "
                              "created, updated, context, plural) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              (sid, unit.target_lang, original, unit.target, unit.status, unit.origin,
                               unit.created, unit.updated, unit.context, unit.plural))
                    changed += 1
                    continue
                uid, status, updated = existing
                if status == APPROVED and unit.status == MACHINE:
                    continue  # a machine draft never overrides a human's approval
                upgraded = status == MACHINE and unit.status == APPROVED
                if upgraded or (fresh and unit.updated > updated):
                    c.execute("UPDATE units SET status = ?, origin = ?, updated = ? WHERE id = ?",
                              (unit.status, unit.origin, max(updated, unit.updated), uid))
                    changed += upgraded
            if grams:
                c.executemany("INSERT INTO grams (lang, gram, df) VALUES (?, ?, ?) "
                              "ON CONFLICT (lang, gram) DO UPDATE SET df = df + excluded.df",
                              [(lang, g, n) for (lang, g), n in grams.items()])
        return changed

    def _fresh(self, unit: Unit, sid: int) -> bool:
        """Is this a new statement of its origin (or a unit without one), not the same approval read again?"""
        if not unit.origin:
            return True
        row = self._conn.execute("SELECT target_key FROM seen WHERE origin = ? AND source_id = ? AND target_lang = ?",
                                 (unit.origin, sid, seen_slot(unit.target_lang, unit.context, unit.plural))
                                 ).fetchone()
        return row is None or row[0] != _key(unit.target_lang, unit.target)

    def _find_source(self, lang: str, text: str, key: int) -> int | None:
        row = self._conn.execute("SELECT id FROM sources WHERE key = ? AND lang = ? AND text = ?",
                                 (key, lang, text)).fetchone()
        return row[0] if row else None

    def source_id(self, lang: str, text: str) -> int | None:
        return self._find_source(lang, text, _key(lang, text))

    def exact_units(self, lang: str, text: str, target_lang: str,
                    statuses: Sequence[str]) -> tuple[int | None, list[StoredUnit]]:
        sid = self.source_id(lang, text)
        return sid, self.units([sid], target_lang, statuses) if sid is not None else []

    def candidates(self, lang: str, text: str, min_len: int, max_len: int) -> list[tuple[int, str]]:
        c = self._conn
        low, high = _id_range(min_len, max_len)
        in_window = c.execute("SELECT count(*) FROM (SELECT 1 FROM sources WHERE id BETWEEN ? AND ? LIMIT ?)",
                              (low, high, self.SCAN_LIMIT + 1)).fetchone()[0]
        if in_window <= self.SCAN_LIMIT:
            return c.execute("SELECT id, text FROM sources WHERE id BETWEEN ? AND ? AND lang = ?",
                             (low, high, lang)).fetchall()
        groups = self._pair_rare_trigrams(lang, text)
        if not groups:
            return []
        queries = [" AND ".join('"' + g.replace('"', '""') + '"' for g in group) for group in groups]
        hits_sql = "SELECT rowid FROM sources_fts WHERE sources_fts MATCH ? AND rowid BETWEEN ? AND ?"
        ids = [r for (r,) in c.execute(hits_sql, (" OR ".join(f"({q})" for q in queries), low, high))]
        if len(ids) > self.CANDIDATE_CAP:
            hits: Counter[int] = Counter()
            for q in queries:
                hits.update(r for (r,) in c.execute(hits_sql, (q, low, high)))
            best = sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))[:self.CANDIDATE_CAP]
            ids = sorted(r for r, _ in best)
        rows: list[tuple[int, str]] = []
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            rows += c.execute(f"SELECT id, text FROM sources WHERE id IN ({','.join('?' * len(chunk))}) "
                              "AND lang = ?", (*chunk, lang)).fetchall()
        return rows

    def _pair_rare_trigrams(self, lang: str, text: str) -> list[list[str]]:
        """The text's rarest trigrams, spread over its words, in pairs: a close source holds some pair.

        Single rare trigrams pull in every sentence sharing one rare word; pairs from different words are
        far more selective, and a sentence within 25% edits keeps most pairs intact.
        """
        words = _trigrams(text)
        if not words:
            return []
        df: dict[str, int] = {}
        grams = list(words)
        for i in range(0, len(grams), 500):
            chunk = grams[i:i + 500]
            df.update(self._conn.execute(f"SELECT gram, df FROM grams WHERE lang = ? AND gram IN "
                                         f"({','.join('?' * len(chunk))})", (lang, *chunk)).fetchall())
        return rare_trigram_pairs(words, df, self.PICKS, self.PER_WORD)

    def units(self, source_ids: Sequence[int], target_lang: str, statuses: Sequence[str]) -> list[StoredUnit]:
        if not source_ids:
            return []
        rows = self._conn.execute(
            "SELECT u.source_id, coalesce(u.source, s.text), u.target, u.status, u.origin, u.updated, u.context, "
            "u.plural FROM units u JOIN sources s ON s.id = u.source_id "
            f"WHERE u.source_id IN ({','.join('?' * len(source_ids))}) AND u.target_lang = ? "
            f"AND u.status IN ({','.join('?' * len(statuses))}) "
            "ORDER BY u.status = 'approved' DESC, u.updated DESC, u.id DESC",
            (*source_ids, target_lang, *statuses)).fetchall()
        return [StoredUnit(*r) for r in rows]

    def has_units(self, source_lang: str, target_lang: str) -> bool:
        """A probe of units_lang: a language without units costs one index seek however big the memory is.
        CROSS JOIN keeps units the outer loop whatever the statistics say (SQLite never reorders it)."""
        return bool(self._conn.execute(
            "SELECT EXISTS (SELECT 1 FROM units u CROSS JOIN sources s ON s.id = u.source_id "
            "WHERE u.target_lang = ? AND s.lang = ?)", (target_lang, source_lang)).fetchone()[0])

    def iter_units(self, source_lang: str | None, target_langs: Sequence[str] | None,
                   statuses: Sequence[str]) -> Iterator[Unit]:
        where = [f"u.status IN ({','.join('?' * len(statuses))})"]
        args: list[str] = list(statuses)
        if source_lang:
            where.append("s.lang = ?")
            args.append(source_lang)
        if target_langs:
            where.append(f"u.target_lang IN ({','.join('?' * len(target_langs))})")
            args += list(target_langs)
        cur = self._conn.execute(
            "SELECT s.lang, u.target_lang, coalesce(u.source, s.text), u.target, u.status, u.origin, "
            "u.created, u.updated, u.context, u.plural FROM units u JOIN sources s ON s.id = u.source_id "
            f"WHERE {' AND '.join(where)} "
            "ORDER BY u.id", args)
        for row in cur:
            yield Unit(*row)

    def iter_seen(self) -> Iterator[tuple[str, str, str, str, int]]:
        """(origin, source language, normalised source, target language, target key), oldest source first."""
        yield from self._conn.execute(
            "SELECT e.origin, s.lang, s.text, e.target_lang, e.target_key FROM seen e "
            "JOIN sources s ON s.id = e.source_id ORDER BY e.source_id, e.origin, e.target_lang")

    def load_seen(self, rows: Iterable[tuple[str, str, str, str, int]]) -> int:
        """Replace the seen-table with these rows (a migration); rows naming unknown sources are an error."""
        count = 0
        with self.transaction():
            self._conn.execute("DELETE FROM seen")
            for origin, lang, text, target_lang, target_key in rows:
                sid = self.source_id(lang, text)
                if sid is None:
                    raise ValueError(f"seen-table row for a source the memory lacks: {text[:80]!r}")
                self._conn.execute("INSERT INTO seen (origin, source_id, target_lang, target_key) "
                                   "VALUES (?, ?, ?, ?)", (origin, sid, target_lang, target_key))
                count += 1
        return count

    def stats(self) -> MemoryStats:
        c = self._conn
        pairs = [PairStats(sl, tl, a, m) for sl, tl, a, m in c.execute(
            "SELECT s.lang, u.target_lang, sum(u.status = 'approved'), sum(u.status = 'machine') "
            "FROM units u JOIN sources s ON s.id = u.source_id GROUP BY 1, 2 ORDER BY 1, 2")]
        sources = c.execute("SELECT count(*) FROM sources").fetchone()[0]
        origins, last, plural, in_context = c.execute(
            "SELECT count(DISTINCT origin), max(updated), coalesce(sum(plural <> ''), 0), "
            "coalesce(sum(context <> ''), 0) FROM units").fetchone()
        size = sum(os.path.getsize(self.path + ext) for ext in ("", "-wal")
                   if os.path.exists(self.path + ext))
        approved = sum(p.approved for p in pairs)
        machine = sum(p.machine for p in pairs)
        return MemoryStats(self.path, size, approved + machine, approved, machine, sources, origins, pairs,
                           last or "", plural, in_context)

    def optimize(self) -> None:
        """Merge the index segments after a bulk import (FTS5 `optimize`)."""
        self._conn.execute("INSERT INTO sources_fts (sources_fts) VALUES ('optimize')")
        self._conn.execute("PRAGMA optimize")

    def close(self) -> None:
        self._conn.close()


# ------------------------------------------------------------------------------------------ the memory


class Memory:
    """Open with Memory.open(path); use as a context manager."""

    TMX_BATCH = 2000  # units per upsert while a TMX file streams in

    def __init__(self, store: MemoryStore):
        self.store = store
        self._last_stamp = 0  # microseconds since the epoch
        self._holds: dict[tuple[str, str], bool] = {}  # (source, target language) -> any unit; see _holds_pair

    @classmethod
    def open(cls, location: Path | str) -> Memory:
        """A SQLite file (the default), or a shared PostgreSQL memory given as a `postgresql://` URL."""
        from pipeline import memory_pg

        if memory_pg.is_url(location):
            return cls(memory_pg.PostgresStore(str(location)))
        return cls(SQLiteStore(Path(location)))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def path(self) -> str:
        return self.store.path

    # ------------------------------------------------------------------ writing

    def _stamp(self) -> str:
        """Now, strictly after the previous stamp: of two approved targets, the later import comes first."""
        micros = max(time.time_ns() // 1000, self._last_stamp + 1)
        self._last_stamp = micros
        return _iso_micros(micros)

    def _prepared(self, units: Iterable[Unit], *, canonical: bool = False) -> list[tuple[str, Unit]]:
        """(lookup key, unit) rows ready for the store. `canonical`: the plural units' targets are already what the
        store keeps (`plural_target` of usable forms: the importers build them so), taken as they are where a unit
        from `add` has its JSON read and written again in CLDR order."""
        rows = []
        for u in units:
            if u.status not in STATUSES:
                raise ValueError(f"unit status must be one of {STATUSES}, not {u.status!r}")
            source, target = u.source, u.target  # kept byte for byte; only the lookup key is normalised
            text = normalise(source)
            plural = normalise(u.plural) if u.plural else ""
            if u.plural and not plural:  # its target holds forms for a msgid_plural that says nothing
                continue
            if plural and not canonical:
                forms = plural_forms(target)
                if not usable_forms(forms.values()):
                    continue
                target = plural_target(forms)
            if not text or not target.strip():
                continue
            stamp = u.updated or self._stamp()
            rows.append((text, replace(u, source_lang=lang_code(u.source_lang),
                                       target_lang=lang_code(u.target_lang), source=source, target=target,
                                       created=u.created or stamp, updated=stamp, context=u.context or "",
                                       plural=plural)))
        return rows

    def add(self, units: list[Unit]) -> int:
        """Store units; returns how many are new or were machine drafts now approved.

        Units are keyed by (source language, target language, normalised source, target). Adding a unit that
        is already there refreshes its `updated` time and origin, so the most recently confirmed of two
        approved targets for one source comes first; a machine draft never downgrades an approved unit.
        """
        return self._upsert(self._prepared(units))

    def _upsert(self, rows: Sequence[tuple[str, Unit]]) -> int:
        """Every write of units goes through here: what this object remembered of which pairs hold units is
        forgotten, so a unit it adds is found by its next lookup."""
        try:
            return self.store.upsert(rows)
        finally:
            self._holds.clear()

    # ------------------------------------------------------------------ reading

    def exact(self, text: str, target_lang: str, *, source_lang: str = "en", include_machine: bool = False,
              context: str | None = None) -> Match | None:
        """The best exact match (same context first, approved first, then the most recently confirmed), or None.
        A match from another context scores 95 (`context` None: any context, all score 100)."""
        target_lang, source_lang = lang_code(target_lang), lang_code(source_lang)
        if not self._holds_pair(source_lang, target_lang):
            return None
        sid, found = self._exact(normalise(text), target_lang, source_lang, self._statuses(include_machine), context)
        return found[0] if found else None

    def _exact(self, text: str, target_lang: str, source_lang: str, statuses: Sequence[str],
               context: str | None = None, plural: str = "") -> tuple[int | None, list[Match]]:
        """The source's id and its units of this plural (singular: ""), scored for the context, best first."""
        sid, units = self.store.exact_units(source_lang, text, target_lang, statuses)
        wanted = None if context is None else memory_context(context)
        found = [self._match(u, 100.0, wanted) for u in units if u.plural == plural]
        found.sort(key=lambda m: -m.score)  # stable: approved first, newest first within a score
        return sid, found

    @staticmethod
    def _match(u: StoredUnit, score: float, wanted: str | None) -> Match:
        return Match(u.source, u.target, context_score(score, u.context, wanted), u.origin, u.status, u.updated,
                     u.context, u.plural)

    @staticmethod
    def _statuses(include_machine: bool) -> tuple[str, ...]:
        return STATUSES if include_machine else (APPROVED,)

    def _holds_pair(self, source_lang: str, target_lang: str) -> bool:
        """Whether the memory has any unit, of any status, for this pair of language codes. When it has none no
        lookup can find anything, so `exact`, `lookup` and `lookup_plural` answer at once instead of querying the
        store for every segment (a run or `tm fill` on a language the memory has never seen).

        Asked once per pair and remembered for the life of this object; any write through it (`add`, imports, a
        harvest, a migration into it) forgets the answers. Units that another process writes meanwhile (another
        desk harvesting into a shared PostgreSQL memory) are not seen for a pair this object found empty until it
        is opened again: the answer lasts one command.
        """
        pair = (source_lang, target_lang)
        held = self._holds.get(pair)
        if held is None:
            held = self._holds[pair] = self.store.has_units(source_lang, target_lang)
        return held

    def lookup(self, text: str, target_lang: str, *, min_score: float = DEFAULT_MIN_SCORE, limit: int = 5,
               source_lang: str = "en", include_machine: bool = False, context: str | None = None) -> list[Match]:
        """Singular matches, best first; approved units only unless include_machine.

        `context` is the entry's msgctxt: a unit approved in another context scores 0.95 of its similarity (an
        exact source there: 95), as Weblate does; None looks up without regard to context. Fuzzy ties are broken
        like translate-toolkit's matcher: the shorter source first, then the older one.
        """
        if limit <= 0:
            return []
        target_lang, source_lang = lang_code(target_lang), lang_code(source_lang)
        if not self._holds_pair(source_lang, target_lang):  # before the text is even normalised
            return []
        query = normalise(text)
        if not query:
            return []
        statuses = self._statuses(include_machine)
        exact_id, found = self._exact(query, target_lang, source_lang, statuses, context)
        matches = [m for m in found if m.score >= min(min_score, 100)]
        if (len(matches) >= limit and matches[limit - 1].score >= 100) or min_score > 100:
            return matches[:limit]
        ranked = self._fuzzy(query, source_lang, min_score, exclude=exact_id)
        wanted = None if context is None else memory_context(context)
        best = heapq.nlargest(limit, (m.score for m in matches))  # the best `limit` scores so far, as a min-heap
        heapq.heapify(best)

        def settled(next_score: float) -> bool:
            """Nothing scoring next_score or less can enter the best `limit` any more."""
            return len(best) >= limit and best[0] >= next_score

        for i in range(0, len(ranked), 50):
            chunk = ranked[i:i + 50]
            if settled(chunk[0][2]):
                break
            by_source: dict[int, list[StoredUnit]] = {}
            for u in self.store.units([sid for sid, _, _ in chunk], target_lang, statuses):
                by_source.setdefault(u.source_id, []).append(u)
            for sid, _, score in chunk:
                if settled(score):
                    break
                for u in by_source.get(sid, []):
                    if u.plural:
                        continue
                    match = self._match(u, score, wanted)
                    if match.score >= min_score:
                        matches.append(match)
                        if len(best) < limit:
                            heapq.heappush(best, match.score)
                        elif match.score > best[0]:
                            heapq.heapreplace(best, match.score)
        matches.sort(key=lambda m: -m.score)  # stable: ties keep the order above
        return matches[:limit]

    def lookup_plural(self, msgid: str, msgid_plural: str, target_lang: str, *, source_lang: str = "en",
                      include_machine: bool = False, context: str | None = None, min_score: float = 0.0,
                      limit: int | None = None) -> list[Match]:
        """Plural units of exactly this msgid and msgid_plural, best first (another context: 95), those scoring
        `min_score` or more, at most `limit` (None: all); each match's `forms` holds the translations by CLDR
        category."""
        plural = normalise(msgid_plural)
        if not plural or (limit is not None and limit <= 0):
            return []
        target_lang, source_lang = lang_code(target_lang), lang_code(source_lang)
        if not self._holds_pair(source_lang, target_lang):
            return []
        _, found = self._exact(normalise(msgid), target_lang, source_lang, self._statuses(include_machine), context,
                               plural)
        return [m for m in found if m.score >= min_score][:limit]

    def _fuzzy(self, query: str, source_lang: str, min_score: float,
               exclude: int | None) -> list[tuple[int, str, float]]:
        """(source id, normalised source, score) of sources scoring at least min_score, best first."""
        n = len(query)
        ratio = max(min_score, 0.0) / 100.0
        min_len = max(1, int(n * ratio - 1e-9)) if ratio else 1
        max_len = int(n / ratio + 1e-9) + 1 if ratio else 1 << 30
        cands = [(sid, t) for sid, t in self.store.candidates(source_lang, query, min_len, max_len)
                 if sid != exclude]
        if not cands:
            return []
        # rapidfuzz's C loop filters; the score is recomputed with translate-toolkit's exact expression.
        hits = process.extract(query, [t for _, t in cands], scorer=Levenshtein.normalized_similarity,
                               score_cutoff=max(ratio - 1e-9, 0.0), limit=None)
        scored = []
        for _, _, i in hits:
            sid, t = cands[i]
            score = similarity(query, t)
            if score >= min_score:
                scored.append((sid, t, score))
        scored.sort(key=lambda r: (-r[2], r[0]))  # ids sort by length, then arrival
        return scored

    # ------------------------------------------------------------------ harvest and exchange

    def import_catalogs(self, path: Path, *, source_lang: str = "en", origin_root: Path | None = None) -> int:
        """Harvest approved entries (non-empty, not fuzzy, not obsolete) from .po files under path.

        One transaction: a catalog that cannot be read raises MemoryImportError and nothing is kept.
        A missing directory yields 0 (nothing reviewed yet).
        """
        return self.import_path(path, source_lang=source_lang, origin_root=origin_root, tmx=False).added

    def import_path(self, path: Path, *, source_lang: str | None = None, origin_root: Path | None = None,
                    tmx: bool = True, catalogs: bool = True,
                    on_file: Callable[[Path], None] | None = None,
                    read: Callable[[Path], polib.POFile] | None = None) -> ImportReport:
        """Import a .po or .tmx file, or every one under a directory, in one transaction. `read`: how a catalog is
        read (a run passes its reader, which parses each catalog once for every stage)."""
        path = Path(path)
        if not path.exists():
            return ImportReport()
        if path.is_dir():
            kinds = ([".po"] if catalogs else []) + ([".tmx"] if tmx else [])
            files = sorted(p for p in path.rglob("*") if p.suffix.lower() in kinds and p.is_file())
        elif path.suffix.lower() in ((".po",) if catalogs else ()) + ((".tmx",) if tmx else ()):
            files = [path]
        else:
            kinds = " or ".join(k for k, on in (("a .po catalog", catalogs), ("a .tmx file", tmx)) if on)
            raise MemoryImportError(path, 0, f"expected {kinds}, or a directory of them")
        report = ImportReport()
        with self.store.transaction():
            for f in files:
                if f.suffix.lower() == ".tmx":
                    report += self._import_tmx(f, source_lang, origin_root)
                else:
                    report += self._import_catalog(f, source_lang or "en", origin_root, read or read_po)
                if on_file:
                    on_file(f)
        return report

    def _import_catalog(self, path: Path, source_lang: str, origin_root: Path | None,
                        read: Callable[[Path], polib.POFile] = read_po) -> ImportReport:
        try:
            catalog = read(path)  # the strict reader: a broken string is an error, never a truncated unit
        except CatalogError as e:
            raise MemoryImportError(path, e.line, f"cannot read the catalog: {e.message}; fix it or leave it "
                                                  "out") from e
        except OSError as e:
            raise MemoryImportError(path, 0, f"cannot read the catalog: {e}") from e
        target_lang = catalog_language(catalog.metadata, path)
        origin = _origin(path, origin_root)
        # An approval is as new as the catalog file that holds it: harvesting an unchanged catalog again changes
        # nothing, and of two disagreeing approvals the one saved last comes first.
        saved = _iso_micros(path.stat().st_mtime_ns // 1000)
        approved = [e for e in catalog if e.msgid and not e.obsolete and "fuzzy" not in e.flags]
        units = [Unit(source_lang, target_lang, e.msgid, e.msgstr, APPROVED, origin, saved, saved,
                      memory_context(e.msgctxt))
                 for e in approved if not e.msgid_plural and e.msgstr.strip()]
        plurals = [e for e in approved if e.msgid_plural and usable_forms(e.msgstr_plural.values())]
        skipped = 0
        if plurals:
            categories = plural_categories_of(catalog.metadata.get("Plural-Forms"), target_lang)
            for e in plurals:
                forms = catalog_forms(e.msgstr_plural, categories)
                if forms is None:
                    skipped += 1  # its forms cannot be told apart by category: nothing sure to reuse
                    continue
                units.append(Unit(source_lang, target_lang, e.msgid, plural_target(forms), APPROVED, origin, saved,
                                  saved, memory_context(e.msgctxt), e.msgid_plural))
        rows = self._prepared(units, canonical=True)
        return ImportReport(1, len(rows), self._upsert(rows), skipped)

    def import_tmx(self, path: Path, *, source_lang: str | None = None,
                   origin_root: Path | None = None) -> int:
        """Import a TMX 1.4b file in one transaction; a malformed file raises TmxError (with its line)."""
        with self.store.transaction():
            return self._import_tmx(Path(path), source_lang, origin_root).added

    def _import_tmx(self, path: Path, source_lang: str | None, origin_root: Path | None) -> ImportReport:
        from pipeline.formats.tmx import TmxReader  # TMX (and its XML parser) loads only when a TMX is read

        origin = _origin(path, origin_root)
        added = read = 0
        tmx = TmxReader(path, source_lang)
        batch: list[Unit] = []
        for pair in tmx:
            status = pair.props.get(PROP_STATUS, APPROVED).strip()
            if status not in STATUSES:
                raise TmxError(path, pair.line, f"unknown {PROP_STATUS} {status!r}; use approved or machine")
            # Plural only when msgid_plural says something: a blank prop leaves the pair as the plain unit it is.
            target, plural = pair.target, normalise(pair.props.get(PROP_PLURAL, ""))
            if plural:
                forms = {kind[len(PROP_FORM):]: text for kind, text in pair.props.items()
                         if kind.startswith(PROP_FORM)}
                unknown = sorted(set(forms) - set(CLDR_ORDER))
                if not forms or unknown:
                    raise TmxError(path, pair.line, f"a plural unit ({PROP_PLURAL}) needs its forms as "
                                                    f"{PROP_FORM}<category> props, categories of "
                                                    f"{', '.join(CLDR_ORDER)}"
                                                    + (f"; found {', '.join(unknown)}" if unknown else ""))
                if not usable_forms(forms.values()):
                    continue  # a blank form: nothing sure to reuse
                target = plural_target(forms)
            batch.append(Unit(pair.source_lang, pair.target_lang, pair.source, target, status,
                              pair.props.get(PROP_ORIGIN, "").strip() or origin, pair.created, pair.updated,
                              pair.props.get(PROP_CONTEXT, ""), plural))
            if len(batch) >= self.TMX_BATCH:
                rows = self._prepared(batch, canonical=True)
                read += len(rows)
                added += self._upsert(rows)
                batch = []
        rows = self._prepared(batch, canonical=True)
        read += len(rows)
        added += self._upsert(rows)
        return ImportReport(1, read, added, tmx.skipped)

    def export_tmx(self, path: Path, *, source_lang: str = "en", target_langs: Sequence[str] | None = None,
                   include_machine: bool = False) -> int:
        """Write a TMX 1.4b file (one <tu> per unit), atomically; returns the number of units written.

        Status, origin and context travel as <prop>s, so an export/import round trip keeps them. A plural entry is
        one <tu> too: its <seg>s are the msgid and the "one" form (what any TMX tool can reuse for the singular),
        and props carry the msgid_plural and every form by CLDR category, which an import puts back together."""
        from pipeline import __version__
        from pipeline.formats.tmx import write_tmx

        langs = [lang_code(t) for t in target_langs] if target_langs else None
        units = self.store.iter_units(lang_code(source_lang), langs, self._statuses(include_machine))
        pairs = (_tmx_pair(u) for u in units)
        files.output_folder(path)
        return write_tmx(Path(path), pairs, source_lang=source_lang, created=_now(), tool="pipeline",
                         tool_version=__version__, original_format="pipeline-sqlite")

    def stats(self) -> MemoryStats:
        return self.store.stats()

    def migrate_to(self, other: Memory, *, batch: int = 5000,
                   progress: Callable[[int], None] | None = None) -> MigrationReport:
        """Copy every unit (sources, targets, statuses, origins, dates) and the seen-table into an empty memory.

        Units go in their order of arrival, so fuzzy ties break the same way on both sides; one transaction on the
        other side: a failure leaves it empty.
        """
        existing = other.stats().units
        if existing:
            raise MemoryMigrationError(f"{other.path} already holds {existing} units: migrate into an empty "
                                       "memory (a new file or database), or merge with `pipeline tm export` + "
                                       "`pipeline tm import`")
        units = 0
        with other.store.transaction():
            rows: list[tuple[str, Unit]] = []
            for u in self.store.iter_units(None, None, STATUSES):
                rows.append((normalise(u.source), u))
                if len(rows) >= batch:
                    other._upsert(rows)
                    units += len(rows)
                    rows = []
                    if progress:
                        progress(units)
            if rows:
                other._upsert(rows)
                units += len(rows)
            seen = other.store.load_seen(self.store.iter_seen())
        mine, theirs = self.stats(), other.stats()
        if (mine.units, mine.sources, mine.approved) != (theirs.units, theirs.sources, theirs.approved):
            raise MemoryMigrationError(f"copy incomplete: {self.path} has {mine.units} units / {mine.sources} "
                                       f"sources, {other.path} got {theirs.units} / {theirs.sources}")
        return MigrationReport(self.path, other.path, units, theirs.sources, seen)

    def optimize(self) -> None:
        self.store.optimize()


def _tmx_pair(u: Unit) -> TmxPair:
    from pipeline.formats.tmx import TmxPair

    props = {PROP_STATUS: u.status, **({PROP_ORIGIN: u.origin} if u.origin else {}),
             **({PROP_CONTEXT: u.context} if u.context else {})}
    target = u.target
    if u.plural:
        forms = u.forms
        props[PROP_PLURAL] = u.plural
        props.update({PROP_FORM + category: text for category, text in forms.items()})
        target = forms.get("one") or next(iter(forms.values()), "")
    return TmxPair(u.source_lang, u.target_lang, u.source, target, props, u.created, u.updated)


def catalog_forms(msgstr_plural: Mapping[int, str], categories: Sequence[str] | None) -> dict[str, str] | None:
    """msgstr[n] by the CLDR category of index n (`categories`: plural_categories_of the catalog), or None when
    the entry's forms do not match the catalog's Plural-Forms."""
    by_index = {int(n): text for n, text in msgstr_plural.items()}
    if categories is None or sorted(by_index) != list(range(len(categories))):
        return None
    return {categories[n]: by_index[n] for n in sorted(by_index)}


def default_path(root: Path) -> Path:
    return root / ".pipeline" / "memory.sqlite"


# ------------------------------------------------------------------------------------------ helpers


def catalog_language(metadata: Mapping[str, str], path: Path) -> str:
    """A catalog's target language: its `Language` header, else its Language-Team, else its
    `<lang>/LC_MESSAGES/` path; MemoryImportError when none of them names one."""
    team = metadata.get("Language-Team", "")
    lang = lang_code(metadata.get("Language", "")) or _lang_from_team(team) or _lang_from_path(path)
    if not lang:
        raise MemoryImportError(path, 0, "cannot tell the target language: the `Language` header is empty, "
                                         f"the Language-Team {team!r} names no language, and the file is not "
                                         "under <lang>/LC_MESSAGES/; add a `Language: ru` header")
    return lang


def _lang_from_team(team: str) -> str:
    """`Russian <ru@li.org>`, `Русский`, `Kazakh`, `<kk@li.org>` -> the code; "" when it names no language
    (the template's `LANGUAGE <LL@li.org>` included)."""
    from pipeline.languages import LANGUAGES

    name, _, address = team.partition("<")
    name = name.strip().casefold()
    for lang in LANGUAGES.values():
        if name in (lang.english_name.casefold(), lang.native_name.casefold(), lang.code):
            return lang.code
    local = address.split("@", 1)[0].strip()
    return lang_code(local) if lang_code(local) in LANGUAGES else ""


def _lang_from_path(path: Path) -> str:
    parts = path.resolve().parts
    if "LC_MESSAGES" in parts:
        i = parts.index("LC_MESSAGES")
        if i > 0:
            return lang_code(parts[i - 1])
    return ""


def _origin(path: Path, root: Path | None) -> str:
    """The file as a person would name it: relative to the workspace when inside it, else absolute.

    Without a workspace the current directory stands in; with one, the origin never depends on where the
    command was run from.
    """
    resolved = path.resolve()
    for base in [root] if root else [Path.cwd()]:
        try:
            return resolved.relative_to(Path(base).resolve()).as_posix()
        except ValueError:
            continue
    return resolved.as_posix()
