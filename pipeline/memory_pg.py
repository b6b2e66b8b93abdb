"""The shared translation memory on PostgreSQL: one database that every desk's workspace reads and harvests into.

Same contract as the SQLite store (`pipeline.memory.MemoryStore`), so scoring, harvest and TMX stay in one place and
a lookup gives the same best match on either store. Candidates are the SQLite store's too: the same trigrams (every
three characters as written, as FTS5's trigram tokenizer cuts them), the same document frequencies, the same pairs of
rarest trigrams, the same length window and cap. A GIN index over integer keys, one per (trigram, length band) of
each source, finds the sources holding a pair within the window's bands without reading any other row, so a lookup
reads a few hundred rows even at a million units, short queries included.

Writers serialise on a transaction-level advisory lock: several workspaces can harvest at once with no lost or
duplicated unit and no deadlock, while readers (MVCC) never wait. Unique indexes back the lock up.
"""

from __future__ import annotations

import hashlib
import re
import time
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from urllib.parse import urlsplit, urlunsplit

from pipeline.memory import (
    APPROVED,
    MACHINE,
    MemoryStats,
    PairStats,
    StoredUnit,
    Unit,
    _key,
    _trigrams,
    apply_upgrades,
    needs_upgrade,
    rare_trigram_pairs,
    seen_slot,
)

SCHEMA_VERSION = 4
_SCHEMES = ("postgresql://", "postgres://")
_LENGTH_SHIFT = 40  # id = length << 40 | arrival: sorts by length, then arrival, like the SQLite store's ids
_WRITE_LOCK = 0x706970656C696E65  # "pipeline": the advisory lock every writer takes for its transaction
_SETUP_LOCK = _WRITE_LOCK + 1

# Length bands: a source of length n is in band bisect_right(_BANDS, n) (SQL: width_bucket). Bands grow by 1/8, so a
# lookup's length window (75%..133% of the query) spans about five of them. Part of the schema: the index keys of
# every stored source depend on it (changing it needs a new schema version).
_BANDS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24, 27, 30, 33, 37, 41, 46, 51, 57, 64,
          71, 79, 88, 98, 109, 121, 134, 149, 165, 183, 203, 225, 250, 277, 307, 340, 377, 418, 463, 513, 568, 629,
          696, 771, 854, 946, 1048, 1161, 1286, 1425, 1579, 1750, 1939, 2149, 2382, 2640, 2926, 3243, 3595, 3985,
          4417, 4896, 5427, 6015, 6667, 7390, 8191, 9079, 10063, 11153, 12362, 13702, 15187, 16833, 18658, 20680)
_PRIME = 4294967291  # the largest prime below 2**32: keys are (trigram, band) hashed into an integer

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tm_meta (
    name text PRIMARY KEY,
    value text NOT NULL
);
CREATE SEQUENCE IF NOT EXISTS tm_arrival;
CREATE TABLE IF NOT EXISTS tm_sources (
    id bigint PRIMARY KEY,           -- length << 40 | arrival
    lang text NOT NULL,
    text text NOT NULL,              -- normalised source: the lookup key
    digest bytea NOT NULL UNIQUE,    -- blake2b-128 of (lang, text): one row per source, however many writers
    keys integer[] NOT NULL          -- one per (distinct trigram as written, length band): `_source_keys`
);
-- document frequency of each trigram (as the SQLite store counts them): a lookup picks the rarest
CREATE TABLE IF NOT EXISTS tm_grams (
    lang text NOT NULL,
    gram text NOT NULL,
    df bigint NOT NULL,
    PRIMARY KEY (lang, gram)
);
CREATE TABLE IF NOT EXISTS tm_units (
    id bigserial PRIMARY KEY,
    source_id bigint NOT NULL REFERENCES tm_sources (id),
    target_lang text NOT NULL,
    source text,                     -- original source when it differs from the normalised one
    target text NOT NULL,
    target_digest bytea NOT NULL,    -- _unit_digest: one unit per (source, language, target, context, plural)
    status text NOT NULL CHECK (status IN ('approved', 'machine')),
    origin text NOT NULL,
    created text NOT NULL,
    updated text NOT NULL,
    context text NOT NULL DEFAULT '',  -- msgctxt (version 2)
    plural text NOT NULL DEFAULT '',   -- normalised msgid_plural; target holds the forms by category (version 2)
    UNIQUE (source_id, target_lang, target_digest)
);
-- whether a language holds any unit (has_units) is a probe of this index, not a scan of the table (version 4)
CREATE INDEX IF NOT EXISTS tm_units_lang ON tm_units (target_lang, source_id);
-- sources per length: how big a lookup's length window is, without counting rows
CREATE TABLE IF NOT EXISTS tm_lengths (
    len integer PRIMARY KEY,
    n bigint NOT NULL
);
-- what each origin (a catalog, a TMX file) last said for a source: see the SQLite store
CREATE TABLE IF NOT EXISTS tm_seen (
    origin text NOT NULL,
    source_id bigint NOT NULL REFERENCES tm_sources (id),
    target_lang text NOT NULL,
    target_key bigint NOT NULL,
    PRIMARY KEY (origin, source_id, target_lang)
);
"""
# New sources go to the index's pending list and each write batch folds it in, in bulk, before it commits: imports
# run at bulk speed and a lookup never scans a long pending list (milliseconds per query).
_KEYS_INDEX = """
CREATE INDEX IF NOT EXISTS tm_sources_keys ON tm_sources USING gin (keys)
    WITH (fastupdate = on, gin_pending_list_limit = 16384);
"""
_TABLES = ("tm_meta", "tm_sources", "tm_grams", "tm_lengths", "tm_units", "tm_seen")



def _upgrade_2(c) -> None:
    """2 -> 3: candidates as the SQLite store finds them (trigrams as written, not pg_trgm's letters and digits):
    the sources get their index keys, the trigram counts are counted again."""
    c.execute("SET LOCAL maintenance_work_mem = '256MB'")
    c.execute("DROP INDEX IF EXISTS tm_sources_trgm")
    c.execute("ALTER TABLE tm_sources ADD COLUMN IF NOT EXISTS keys integer[]")
    c.execute("CREATE TEMPORARY TABLE tm_upgrade_keys (id bigint PRIMARY KEY, keys integer[] NOT NULL) "
              "ON COMMIT DROP")
    grams: Counter[tuple[str, str]] = Counter()
    last = -1
    while True:
        rows = c.execute("SELECT id, lang, text FROM tm_sources WHERE id > %s ORDER BY id LIMIT 20000",
                         (last,)).fetchall()
        if not rows:
            break
        with c.cursor().copy("COPY tm_upgrade_keys (id, keys) FROM STDIN") as copy:
            for sid, lang, text in rows:
                words = _trigrams(text)
                grams.update((lang, g) for g in words)
                copy.write_row((sid, _source_keys(text, words)))
        last = rows[-1][0]
    c.execute("UPDATE tm_sources s SET keys = k.keys FROM tm_upgrade_keys k WHERE s.id = k.id")
    c.execute("ALTER TABLE tm_sources ALTER COLUMN keys SET NOT NULL")
    c.execute(_KEYS_INDEX)
    c.execute("DELETE FROM tm_grams")
    with c.cursor().copy("COPY tm_grams (lang, gram, df) FROM STDIN") as copy:
        for (lang, gram), n in sorted(grams.items()):
            copy.write_row((lang, gram, n))


# Upgrades in place: schema version -> the step that makes it the next version (SQL, or a function of the
# connection); all steps of an upgrade run in one transaction.
_UPGRADES = {
    # 1 -> 2: contexts and plurals (new columns with defaults: no row is rewritten)
    1: "ALTER TABLE tm_units ADD COLUMN IF NOT EXISTS context text NOT NULL DEFAULT '', "
       "ADD COLUMN IF NOT EXISTS plural text NOT NULL DEFAULT ''",
    2: _upgrade_2,
    # 3 -> 4: has_units probes an index instead of scanning the units of a language the memory lacks
    3: "CREATE INDEX IF NOT EXISTS tm_units_lang ON tm_units (target_lang, source_id)",
}


class MemoryUnavailable(RuntimeError):
    """The shared memory cannot be reached or used; the message names the server (never the password)."""


class MemorySchemaError(MemoryUnavailable):
    """The database holds a memory of another schema version."""


def is_url(location) -> bool:
    return isinstance(location, str) and location.lower().startswith(_SCHEMES)


def mask_url(url: str) -> str:
    """The URL with its password replaced by `***`, fit for messages and logs."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "postgresql://***"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        netloc = f"{userinfo}@{host}"
    query = re.sub(r"(?i)(^|&)(password)=[^&]*", r"\1\2=***", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _scrub(message: str, url: str) -> str:
    """A driver message with any trace of the password removed."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        password = conninfo_to_dict(url).get("password")
    except Exception:  # an unparsable URL: nothing to scrub but the URL itself
        password = None
    message = message.replace(url, mask_url(url))
    if password:
        message = message.replace(str(password), "***")
    return " ".join(message.split())


def _digest(*parts: str) -> bytes:
    return hashlib.blake2b("\0".join(parts).encode(), digest_size=16).digest()


def _unit_digest(target: str, context: str, plural: str) -> bytes:
    """A unit's identity within its source and language. A singular unit without context hashes its target alone,
    as version 1 did, so upgrading an older memory rewrites no row."""
    return _digest(target) if not context and not plural else _digest(target, context, plural)


def _band(length: int) -> int:
    return bisect_right(_BANDS, length)


def _gram_key(gram: str, band: int) -> int:
    """The index key of a trigram in a length band: a 32-bit hash (a collision only adds a candidate, which the
    lookup drops when it checks the trigrams themselves)."""
    a, b, c = map(ord, gram)
    return ((((a << 21 | b) << 21 | c) % _PRIME) * 257 + band) % _PRIME - 2147483648


def _source_keys(text: str, words: Iterable[str]) -> str:
    """The keys a source is indexed under, as the `integer[]` literal COPY takes: each of its trigrams (`words`, from
    `_trigrams`) in its length band. `_gram_key` inlined (an import spends much of its time here)."""
    band = _band(len(text))
    return "{" + ",".join([str(((((ord(g[0]) << 21 | ord(g[1])) << 21 | ord(g[2])) % _PRIME) * 257 + band) % _PRIME
                               - 2147483648) for g in words]) + "}"


def _id_range(min_len: int, max_len: int) -> tuple[int, int]:
    return max(min_len, 0) << _LENGTH_SHIFT, ((max_len + 1) << _LENGTH_SHIFT) - 1


class PostgresStore:
    """A memory shared by a whole desk: PostgreSQL 12+ (no extension needed)."""

    PICKS = 12  # rarest trigrams a fuzzy lookup asks the index for ...
    PER_WORD = 2  # ... at most this many from one word, so that one changed word cannot hide a match
    SCAN_LIMIT = 500  # length windows this small are scored in full: exact and cheap
    CANDIDATE_CAP = 2000  # beyond this many index hits, keep those sharing the most trigram pairs
    STATS_TTL = 300.0  # seconds a lookup trusts its copy of the trigram and length counts

    def __init__(self, url: str, *, connect_timeout: int = 10):
        try:
            import psycopg
        except ImportError as e:  # pragma: no cover - a dependency of the package
            raise MemoryUnavailable("the PostgreSQL memory needs psycopg 3: pip install 'psycopg[binary]'") from e
        self._psycopg = psycopg
        self.url = url
        self.path = mask_url(url)
        options = {} if "connect_timeout" in url else {"connect_timeout": connect_timeout}
        try:
            self._conn = psycopg.connect(url, autocommit=True, application_name="pipeline", **options)
        except (psycopg.Error, ValueError) as e:
            raise MemoryUnavailable(
                f"cannot reach the translation memory at {self.path}: {_scrub(str(e), url)}; check that the "
                "server runs and the URL (--memory, PIPELINE_MEMORY_URL or the workspace setting) is right"
            ) from None
        self._depth = 0
        # Trigram and length counts, read once and kept up to date with this store's own writes: a lookup is
        # then one round trip to the server (a round trip costs more than the query on a busy machine). Counts
        # others add meanwhile only shift which trigrams look rarest; they are re-read every STATS_TTL seconds.
        self._df: dict[str, dict[str, int]] = {}
        self._lengths: dict[int, int] | None = None
        self._absent: dict[str, set[str]] = {}  # trigrams the server did not know when last asked
        self._stats_read = 0.0
        self._owner: bool | None = None
        self._locked = False
        self._stack: ExitStack | None = None
        try:
            self._setup()
        except BaseException:
            self._conn.close()
            raise

    # ------------------------------------------------------------------ schema

    def _setup(self) -> None:
        psycopg = self._psycopg
        c = self._conn
        version = self._version()
        if version is None:
            try:
                with c.transaction():
                    c.execute("SELECT pg_advisory_xact_lock(%s)", (_SETUP_LOCK,))
                    if self._version() is None:  # another workspace may have created it meanwhile (and the
                        # catalog cache may not know yet: everything below tolerates an existing schema)
                        c.execute(_SCHEMA)
                        c.execute(_KEYS_INDEX)
                        c.execute("INSERT INTO tm_meta (name, value) VALUES ('schema_version', %s) "
                                  "ON CONFLICT (name) DO NOTHING", (str(SCHEMA_VERSION),))
            except psycopg.errors.InsufficientPrivilege as e:
                raise MemoryUnavailable(
                    f"{self.path}: cannot create the memory tables ({_scrub(str(e), self.url)}); ask the database "
                    "owner to grant CREATE on the database's schema") from None
            except psycopg.Error as e:
                raise MemoryUnavailable(f"{self.path}: cannot create the memory tables: "
                                        f"{_scrub(str(e), self.url)}") from None
            version = self._version()
        if needs_upgrade(version, SCHEMA_VERSION, _UPGRADES, location=self.path, remedy=self._remedy(),
                         error=MemorySchemaError):
            self._upgrade()

    def _remedy(self) -> str:
        return (f"Copy it into a new database with `pipeline tm migrate --memory {self.path} --to NEW_URL_OR_FILE` "
                "run by the pipeline version that wrote it, or upgrade this one")

    def _upgrade(self) -> None:
        """Bring a memory of an older schema up to this one in place: versioned steps, one transaction, while
        other desks wait (lookups too: the steps rebuild an index). The first desk to open it does it, once."""
        psycopg = self._psycopg
        c = self._conn
        version = self._version()
        try:
            with c.transaction():
                c.execute("SELECT pg_advisory_xact_lock(%s)", (_SETUP_LOCK,))
                c.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
                version = self._version()
                apply_upgrades(version, SCHEMA_VERSION, _UPGRADES,
                               lambda step: c.execute(step) if isinstance(step, str) else step(c),
                               lambda reached: c.execute("UPDATE tm_meta SET value = %s WHERE name = 'schema_version'",
                                                         (str(reached),)),
                               location=self.path, remedy=self._remedy(), error=MemorySchemaError)
        except psycopg.Error as e:
            raise MemorySchemaError(
                f"{self.path} holds a translation memory of schema version {version}, which this pipeline upgrades "
                f"in place to version {SCHEMA_VERSION} on first use, but the upgrade failed: "
                f"{_scrub(str(e), self.url)}. Open it once as the owner of its tables (e.g. `pipeline tm stats "
                f"--memory URL`), or copy it into a new database with `pipeline tm migrate --memory {self.path} "
                "--to NEW_URL_OR_FILE` run by the pipeline version that wrote it") from None

    def _version(self) -> int | None:
        row = self._conn.execute("SELECT to_regclass('tm_meta') IS NOT NULL").fetchone()
        if not row[0]:
            return None
        row = self._conn.execute("SELECT value FROM tm_meta WHERE name = 'schema_version'").fetchone()
        try:
            return int(row[0]) if row else None
        except ValueError:
            return -1

    # ------------------------------------------------------------------ transactions

    @contextmanager
    def transaction(self):
        """Nestable: only the outermost level commits; any exception rolls everything back."""
        if self._depth == 0:
            self._stack = ExitStack()
            self._stack.enter_context(self._conn.transaction())
            self._locked = False
        self._depth += 1
        try:
            yield
        except BaseException as e:
            self._depth -= 1
            if self._depth == 0:
                stack, self._stack = self._stack, None
                if not stack.__exit__(type(e), e, e.__traceback__):
                    raise
                return
            raise
        self._depth -= 1
        if self._depth == 0:
            stack, self._stack = self._stack, None
            stack.close()

    def _write_lock(self) -> None:
        """Writers take turns (per transaction); lookups never wait for them."""
        if not self._locked:
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
            self._locked = True

    # ------------------------------------------------------------------ writing

    def _owns_index(self) -> bool:
        """Only the index owner may fold its pending list in; other writers leave it to the size limit."""
        if self._owner is None:
            self._owner = bool(self._conn.execute(
                "SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = 'tm_sources_keys'::regclass"
            ).fetchone()[0])
        return self._owner

    def upsert(self, rows: Sequence[tuple[str, Unit]]) -> int:
        """The SQLite store's rules, applied row by row to the batch's state read up front, written in bulk."""
        if not rows:
            return 0
        c = self._conn
        with self.transaction():
            self._write_lock()
            digests = {(u.source_lang, text): _digest(u.source_lang, text) for text, u in rows}
            sids: dict[bytes, int] = dict(c.execute(
                "SELECT digest, id FROM tm_sources WHERE digest = ANY(%s)", (list(set(digests.values())),)))
            new_sources = [(lang, text, d) for (lang, text), d in digests.items() if d not in sids]
            grams: Counter[tuple[str, str]] = Counter()
            lengths: Counter[int] = Counter(len(text) for _, text, _ in new_sources)
            if new_sources:
                arrivals = [n for (n,) in c.execute("SELECT nextval('tm_arrival') FROM generate_series(1, %s)",
                                                    (len(new_sources),))]
                with c.cursor().copy("COPY tm_sources (id, lang, text, digest, keys) FROM STDIN") as copy:
                    for (lang, text, d), n in zip(new_sources, sorted(arrivals), strict=True):
                        if len(text) >= 1 << (63 - _LENGTH_SHIFT):
                            raise ValueError(f"a source of {len(text)} characters is too long for the memory")
                        sid = len(text) << _LENGTH_SHIFT | n
                        sids[d] = sid
                        words = _trigrams(text)
                        copy.write_row((sid, lang, text, d, _source_keys(text, words)))
                        grams.update((lang, g) for g in words)
                if self._owns_index():
                    c.execute("SELECT gin_clean_pending_list('tm_sources_keys'::regclass)")
            known = set(sids) - {d for _, _, d in new_sources}

            # State of the units and seen rows this batch touches, then the rules, row by row.
            keys = {(sids[digests[(u.source_lang, text)]], u.target_lang, _unit_digest(u.target, u.context, u.plural))
                    for text, u in rows}
            units: dict[tuple[int, str, bytes], list] = {}
            if known:
                for uid, sid, lang, tdigest, status, updated in c.execute(
                        "SELECT u.id, u.source_id, u.target_lang, u.target_digest, u.status, u.updated "
                        "FROM tm_units u JOIN unnest(%s::bigint[], %s::text[], %s::bytea[]) AS k (s, l, d) "
                        "ON u.source_id = k.s AND u.target_lang = k.l AND u.target_digest = k.d",
                        ([k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys])):
                    units[(sid, lang, bytes(tdigest))] = [uid, status, None, updated, False]
            seen_keys = {(u.origin, sids[digests[(u.source_lang, text)]], seen_slot(u.target_lang, u.context, u.plural))
                         for text, u in rows if u.origin}
            seen: dict[tuple[str, int, str], int] = {}
            if known and seen_keys:
                for origin, sid, lang, tkey in c.execute(
                        "SELECT s.origin, s.source_id, s.target_lang, s.target_key FROM tm_seen s "
                        "JOIN unnest(%s::text[], %s::bigint[], %s::text[]) AS k (o, s, l) "
                        "ON s.origin = k.o AND s.source_id = k.s AND s.target_lang = k.l",
                        ([k[0] for k in seen_keys], [k[1] for k in seen_keys], [k[2] for k in seen_keys])):
                    seen[(origin, sid, lang)] = tkey
            seen_writes: dict[tuple[str, int, str], int] = {}
            inserts: list[tuple] = []
            pending: dict[tuple[int, str, bytes], int] = {}  # units first met in this batch -> their insert row
            changed = 0
            for text, unit in rows:
                sid = sids[digests[(unit.source_lang, text)]]
                target_key = _key(unit.target_lang, unit.target)
                slot = seen_slot(unit.target_lang, unit.context, unit.plural)
                fresh = not unit.origin or seen.get((unit.origin, sid, slot)) != target_key
                if unit.origin and unit.status == APPROVED:
                    seen[(unit.origin, sid, slot)] = target_key
                    seen_writes[(unit.origin, sid, slot)] = target_key
                ukey = (sid, unit.target_lang, _unit_digest(unit.target, unit.context, unit.plural))
                existing = units.get(ukey)
                if existing is None:
                    original = None if unit.source == text else unit.source
                    pending[ukey] = len(inserts)
                    inserts.append((sid, unit.target_lang, original, unit.target, ukey[2], unit.status,
                                    unit.origin, unit.created, unit.updated, unit.context, unit.plural))
                    units[ukey] = [None, unit.status, None, unit.updated, False]
                    changed += 1
                    continue
                uid, status, _, updated, _ = existing
                if status == APPROVED and unit.status == MACHINE:
                    continue  # a machine draft never overrides a human's approval
                upgraded = status == MACHINE and unit.status == APPROVED
                if upgraded or (fresh and unit.updated > updated):
                    units[ukey] = [uid, unit.status, unit.origin, max(updated, unit.updated), True]
                    if uid is None:  # first met earlier in this batch: rewrite its pending row
                        i = pending[ukey]
                        first = inserts[i]
                        inserts[i] = first[:5] + (unit.status, unit.origin, first[7], max(updated, unit.updated),
                                                  *first[9:])
                    changed += upgraded

            if inserts:
                with c.cursor().copy("COPY tm_units (source_id, target_lang, source, target, target_digest, status, "
                                     "origin, created, updated, context, plural) FROM STDIN") as copy:
                    for row in inserts:
                        copy.write_row(row)
            updates = [(uid, status, origin, updated) for uid, status, origin, updated, dirty in units.values()
                       if dirty and uid is not None]
            if updates:
                c.execute("UPDATE tm_units u SET status = k.status, origin = k.origin, updated = k.updated "
                          "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) AS k (id, status, origin, "
                          "updated) WHERE u.id = k.id",
                          ([r[0] for r in updates], [r[1] for r in updates], [r[2] for r in updates],
                           [r[3] for r in updates]))
            if seen_writes:
                items = list(seen_writes.items())
                c.execute("INSERT INTO tm_seen (origin, source_id, target_lang, target_key) "
                          "SELECT * FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::bigint[]) "
                          "ON CONFLICT (origin, source_id, target_lang) DO UPDATE SET target_key = excluded.target_key",
                          ([k[0] for k, _ in items], [k[1] for k, _ in items], [k[2] for k, _ in items],
                           [v for _, v in items]))
            if lengths:
                items = sorted(lengths.items())
                c.execute("INSERT INTO tm_lengths (len, n) SELECT * FROM unnest(%s::integer[], %s::bigint[]) "
                          "ON CONFLICT (len) DO UPDATE SET n = tm_lengths.n + excluded.n",
                          ([k for k, _ in items], [n for _, n in items]))
                if self._lengths is not None:
                    for k, n in items:
                        self._lengths[k] = self._lengths.get(k, 0) + n
            if grams:
                items = sorted(grams.items())
                for (lang, g), n in items:
                    if lang in self._df:
                        self._df[lang][g] = self._df[lang].get(g, 0) + n
                    self._absent.get(lang, set()).discard(g)
                c.execute("INSERT INTO tm_grams (lang, gram, df) "
                          "SELECT * FROM unnest(%s::text[], %s::text[], %s::bigint[]) "
                          "ON CONFLICT (lang, gram) DO UPDATE SET df = tm_grams.df + excluded.df",
                          ([k[0] for k, _ in items], [k[1] for k, _ in items], [n for _, n in items]))
        return changed

    # ------------------------------------------------------------------ reading

    def source_id(self, lang: str, text: str) -> int | None:
        row = self._conn.execute("SELECT id FROM tm_sources WHERE digest = %s", (_digest(lang, text),)).fetchone()
        return row[0] if row else None

    def exact_units(self, lang: str, text: str, target_lang: str,
                    statuses: Sequence[str]) -> tuple[int | None, list[StoredUnit]]:
        rows = self._conn.execute(
            "SELECT s.id, coalesce(u.source, s.text), u.target, u.status, u.origin, u.updated, u.context, u.plural "
            "FROM tm_sources s LEFT JOIN tm_units u ON u.source_id = s.id AND u.target_lang = %s "
            "AND u.status = ANY(%s) WHERE s.digest = %s "
            "ORDER BY u.status = 'approved' DESC, u.updated COLLATE \"C\" DESC, u.id DESC",
            (target_lang, list(statuses), _digest(lang, text))).fetchall()
        if not rows:
            return None, []
        return rows[0][0], [StoredUnit(*r) for r in rows if r[2] is not None]

    def _counts(self, lang: str) -> tuple[dict[str, int], dict[int, int]]:
        now = time.monotonic()
        if now - self._stats_read > self.STATS_TTL:
            self._df, self._lengths, self._absent, self._stats_read = {}, None, {}, now
        if self._lengths is None:
            self._lengths = dict(self._conn.execute("SELECT len, n FROM tm_lengths").fetchall())
        if lang not in self._df:
            self._df[lang] = dict(self._conn.execute("SELECT gram, df FROM tm_grams WHERE lang = %s",
                                                     (lang,)).fetchall())
        return self._df[lang], self._lengths

    def candidates(self, lang: str, text: str, min_len: int, max_len: int) -> list[tuple[int, str]]:
        """The SQLite store's candidates: sources in the length window holding both trigrams of one of the query's
        pairs of rarest trigrams; beyond CANDIDATE_CAP, those holding the most pairs."""
        c = self._conn
        low, high = _id_range(min_len, max_len)
        counts, lengths = self._counts(lang)
        in_window = sum(n for length, n in lengths.items() if min_len <= length <= max_len)
        if in_window <= self.SCAN_LIMIT:
            return c.execute("SELECT id, text FROM tm_sources WHERE id BETWEEN %s AND %s AND lang = %s",
                             (low, high, lang)).fetchall()
        words = _trigrams(text)
        unknown = [g for g in words if g not in counts and g not in self._absent.setdefault(lang, set())]
        if unknown:  # perhaps another desk's new words since the counts were read: ask once, remember absences
            counts.update(c.execute("SELECT gram, df FROM tm_grams WHERE lang = %s AND gram = ANY(%s)",
                                    (lang, unknown)).fetchall())
            self._absent[lang].update(g for g in unknown if g not in counts)
        groups = rare_trigram_pairs(words, {g: counts[g] for g in words if g in counts}, self.PICKS, self.PER_WORD)
        if not groups:
            return []
        # one index condition per (pair, length band of the window): the index yields only sources in those bands
        # holding the pair, and the id range trims the two edge bands (`id + 0`: on those rows, never by reading a
        # whole window of the primary key)
        keys = [[_gram_key(g, band) for g in group] for band in range(_band(min_len), _band(max_len) + 1)
                for group in groups]
        sql = ("SELECT id, lang, text FROM tm_sources WHERE ("
               + " OR ".join(["keys @> %s::integer[]"] * len(keys))
               + ") AND id + 0 BETWEEN %s AND %s")
        # never prepared: a generic plan cannot know that these keys are rare (it would scan in parallel)
        rows = c.execute(sql, [*keys, low, high], prepare=False).fetchall()
        # a source holds a pair as FTS5 sees it: the trigrams themselves (keys may collide)
        pairs = [(group[0], group[-1]) for group in groups]
        if len(rows) > self.CANDIDATE_CAP:  # those holding the most pairs (every kept one holds at least one)
            held = sorted((-n, sid, source_lang, t) for sid, source_lang, t in rows
                          if (n := sum(a in t and b in t for a, b in pairs)))
            return [(sid, t) for _, sid, source_lang, t in held[:self.CANDIDATE_CAP] if source_lang == lang]
        return [(sid, t) for sid, source_lang, t in rows
                if source_lang == lang and any(a in t and b in t for a, b in pairs)]

    def has_units(self, source_lang: str, target_lang: str) -> bool:
        """A probe of tm_units_lang: a language without units costs one index seek however big the memory is.
        Never prepared: a generic plan, blind to the language, guesses every unit matches and scans the sources
        (a second a call at a million units, from the eleventh call on one connection)."""
        return bool(self._conn.execute(
            "SELECT EXISTS (SELECT 1 FROM tm_units u JOIN tm_sources s ON s.id = u.source_id "
            "WHERE u.target_lang = %s AND s.lang = %s)", (target_lang, source_lang), prepare=False).fetchone()[0])

    def units(self, source_ids: Sequence[int], target_lang: str, statuses: Sequence[str]) -> list[StoredUnit]:
        if not source_ids:
            return []
        rows = self._conn.execute(
            "SELECT u.source_id, coalesce(u.source, s.text), u.target, u.status, u.origin, u.updated, u.context, "
            "u.plural FROM tm_units u JOIN tm_sources s ON s.id = u.source_id "
            "WHERE u.source_id = ANY(%s) AND u.target_lang = %s AND u.status = ANY(%s) "
            "ORDER BY u.status = 'approved' DESC, u.updated COLLATE \"C\" DESC, u.id DESC",
            (list(source_ids), target_lang, list(statuses))).fetchall()
        return [StoredUnit(*r) for r in rows]

    def iter_units(self, source_lang: str | None, target_langs: Sequence[str] | None,
                   statuses: Sequence[str]) -> Iterator[Unit]:
        where = ["u.status = ANY(%s)"]
        args: list = [list(statuses)]
        if source_lang:
            where.append("s.lang = %s")
            args.append(source_lang)
        if target_langs:
            where.append("u.target_lang = ANY(%s)")
            args.append(list(target_langs))
        sql = ("SELECT s.lang, u.target_lang, coalesce(u.source, s.text), u.target, u.status, u.origin, "
               f"u.created, u.updated, u.context, u.plural FROM tm_units u JOIN tm_sources s ON s.id = u.source_id "
               f"WHERE {' AND '.join(where)} ORDER BY u.id")
        yield from (Unit(*row) for row in self._stream(sql, args))

    def iter_seen(self) -> Iterator[tuple[str, str, str, str, int]]:
        """(origin, source language, normalised source, target language, target key), oldest source first."""
        yield from self._stream("SELECT e.origin, s.lang, s.text, e.target_lang, e.target_key FROM tm_seen e "
                                "JOIN tm_sources s ON s.id = e.source_id ORDER BY e.source_id, e.origin, "
                                "e.target_lang", [])

    def load_seen(self, rows: Iterable[tuple[str, str, str, str, int]]) -> int:
        """Replace the seen-table with these rows (a migration); rows naming unknown sources are an error."""
        c = self._conn
        count = 0
        with self.transaction():
            self._write_lock()
            c.execute("DELETE FROM tm_seen")
            batch: list[tuple] = []

            def flush() -> None:
                ids = dict(c.execute("SELECT digest, id FROM tm_sources WHERE digest = ANY(%s)",
                                     (list({_digest(r[1], r[2]) for r in batch}),)))
                missing = [r for r in batch if _digest(r[1], r[2]) not in ids]
                if missing:
                    raise ValueError(f"seen-table row for a source the memory lacks: {missing[0][2][:80]!r}")
                with c.cursor().copy("COPY tm_seen (origin, source_id, target_lang, target_key) FROM STDIN") as cp:
                    for origin, lang, text, target_lang, key in batch:
                        cp.write_row((origin, ids[_digest(lang, text)], target_lang, key))
                batch.clear()

            for row in rows:
                batch.append(row)
                count += 1
                if len(batch) >= 5000:
                    flush()
            if batch:
                flush()
        return count

    def _stream(self, sql: str, args: list) -> Iterator[tuple]:
        """Rows through a server-side cursor: exporting a million units never holds them all in memory."""
        with self.transaction(), self._conn.cursor(name=f"pipeline_{id(self)}_{self._depth}") as cur:
            cur.itersize = 5000
            cur.execute(sql, args)
            yield from cur

    def stats(self) -> MemoryStats:
        c = self._conn
        pairs = [PairStats(sl, tl, a, m) for sl, tl, a, m in c.execute(
            "SELECT s.lang, u.target_lang, count(*) FILTER (WHERE u.status = 'approved'), "
            "count(*) FILTER (WHERE u.status = 'machine') "
            "FROM tm_units u JOIN tm_sources s ON s.id = u.source_id GROUP BY 1, 2 ORDER BY 1, 2")]
        sources = c.execute("SELECT count(*) FROM tm_sources").fetchone()[0]
        origins, last, plural, in_context = c.execute(
            "SELECT count(DISTINCT origin), max(updated COLLATE \"C\"), count(*) FILTER (WHERE plural <> ''), "
            "count(*) FILTER (WHERE context <> '') FROM tm_units").fetchone()
        size = c.execute("SELECT sum(pg_total_relation_size(t::regclass)) FROM unnest(%s::text[]) t",
                         (list(_TABLES),)).fetchone()[0]
        approved = sum(p.approved for p in pairs)
        machine = sum(p.machine for p in pairs)
        return MemoryStats(self.path, int(size or 0), approved + machine, approved, machine, sources, origins,
                           pairs, last or "", plural, in_context)

    def optimize(self) -> None:
        """Fold the GIN pending list into the index and refresh the planner's statistics after a bulk import."""
        for table in _TABLES:
            self._conn.execute(f"VACUUM ANALYZE {table}")

    def close(self) -> None:
        self._conn.close()
