"""The shared memory on PostgreSQL: migration both ways, many writers at once, masked credentials, clear errors.

These run against a real server (PIPELINE_TEST_POSTGRES_URL; `scripts/test-postgres.sh start` makes one). The
store-independent memory tests in test_memory.py run against both stores.
"""

from __future__ import annotations

import os
import random
import socket
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from pipeline.memory import (
    APPROVED,
    MACHINE,
    STATUSES,
    Memory,
    MemoryMigrationError,
    SQLiteStore,
    Unit,
    normalise,
    plural_target,
)
from pipeline.memory_pg import MemorySchemaError, MemoryUnavailable, PostgresStore, mask_url

SENTENCE = "The Spiritual Administration of Muslims of Kazakhstan met the ambassador in Astana on Monday."


def write_catalog(path, entries: dict[str, str], mtime_ns: int, language: str = "ru"):
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f'msgid "{k}"\nmsgstr "{v}"\n\n' for k, v in entries.items())
    path.write_text(f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: {language}\\n"\n\n'
                    + body, encoding="utf-8")
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def rich_memory(memory: Memory, root) -> None:
    """A memory with everything migration must keep: both statuses, origins, dates, sources whose original
    spelling differs from the lookup key, conflicting approvals, several languages, and a seen-table in which a
    rewritten catalog still holds an old approval."""
    memory.add([
        Unit("en", "ru", "  The mufti   spoke.", "Муфтий выступил.", APPROVED, "tm/a.tmx",
             "2020-01-02T03:04:05.000006Z", "2021-01-02T03:04:05.000006Z"),
        Unit("en", "ru", "The mufti spoke.", "Муфтий сказал.", APPROVED, "tm/b.tmx",
             "2019-01-01T00:00:00.000000Z", "2022-01-01T00:00:00.000000Z"),
        Unit("en", "kk", "The mufti spoke.", "Муфти сөйледі.", MACHINE, "argos en→kk 1.9"),
        Unit("en", "ar", "Tags <b>&amp; \"quotes\"\r\n", "وسوم <b>&amp;", APPROVED, ""),
        Unit("kk", "ru", "Сәлем, әлем.", "Привет, мир.", APPROVED, "x.po"),
    ] + [Unit("en", "ru", f"The mufti met delegation number {i} in Astana.", f"делегация {i}", origin="bulk.po",
              updated=f"2023-01-01T00:00:{i:02d}.000000Z") for i in range(40)])
    locales = root / "locales" / "ru" / "LC_MESSAGES"
    write_catalog(locales / "a.po", {SENTENCE: "X"}, 1_700_000_000_000_000_000)
    memory.import_catalogs(root / "locales", origin_root=root)
    write_catalog(locales / "b.po", {SENTENCE: "Y"}, 1_800_000_000_000_000_000)
    memory.import_catalogs(root / "locales", origin_root=root)
    # contexts and plural entries, from a catalog (so the seen-table has their rows too) and from units
    ui = locales / "ui.po"
    ui.write_text('msgid ""\nmsgstr ""\n"Language: ru\\n"\n\nmsgctxt "menu"\nmsgid "The mufti spoke."\n'
                  'msgstr "Выступление муфтия"\n\nmsgctxt "counter"\nmsgid "{n} article"\n'
                  'msgid_plural "{n} articles"\nmsgstr[0] "{n} статья"\nmsgstr[1] "{n} статьи"\n'
                  'msgstr[2] "{n} статей"\n', encoding="utf-8")
    memory.import_catalogs(root / "locales", origin_root=root)
    memory.add([Unit("en", "ar", "{n} article", plural_target(dict(zip(  # noqa: B905
        ("zero", "one", "two", "few", "many", "other"), ("لا مقالات", "مقالة", "مقالتان", "{n} مقالات", "{n} مقالة",
                                                         "{n} مقالة")))), origin="tm/ar.tmx", plural="{n} articles")])


def contents(memory: Memory):
    return (list(memory.store.iter_units(None, None, STATUSES)), list(memory.store.iter_seen()),
            [memory.lookup(q, "ru", limit=10, include_machine=True, context=c)
             for q in ("The mufti spoke!", "The mufti met delegation number 7 in Almaty.", SENTENCE)
             for c in (None, "", "menu")],
            [memory.lookup_plural("{n} article", "{n} articles", lang, context=c)
             for lang in ("ru", "ar") for c in (None, "counter")])


def test_migration_round_trips_sqlite_postgresql_sqlite(tmp_path, postgres_database):
    with Memory.open(tmp_path / "first.sqlite") as first:
        rich_memory(first, tmp_path / "ws")
        original = contents(first)
        with Memory.open(postgres_database()) as shared:
            report = first.migrate_to(shared)
            assert (report.units, report.seen) == (len(original[0]), len(original[1]))
            assert "***" in report.target and "@" in report.target
            assert contents(shared) == original
            with Memory.open(tmp_path / "back.sqlite") as back:
                shared.migrate_to(back)
                assert contents(back) == original
                with Memory.open(postgres_database()) as again:  # and PostgreSQL to PostgreSQL
                    back.migrate_to(again)
                    assert contents(again) == original
    # the seen-table came along: the rewritten older catalog still does not overtake the newer approval
    with Memory.open(tmp_path / "back.sqlite") as back:
        a = tmp_path / "ws" / "locales" / "ru" / "LC_MESSAGES" / "a.po"
        os.utime(a, ns=(1_900_000_000_000_000_000,) * 2)
        back.import_catalogs(tmp_path / "ws" / "locales", origin_root=tmp_path / "ws")
        assert back.exact(SENTENCE, "ru").target == "Y"
    assert len(original[1]) >= 2 and {u.status for u in original[0]} == {APPROVED, MACHINE}
    assert {(u.context, u.plural) for u in original[0]} >= {("menu", ""), ("counter", "{n} articles"),
                                                            ("", "{n} articles")}
    menu = original[2][2]  # "The mufti spoke!" looked up in context "menu"
    assert (menu[0].target, menu[0].context) == ("Выступление муфтия", "menu")
    assert original[3][1][0].forms == {"one": "{n} статья", "few": "{n} статьи", "many": "{n} статей"}


def test_migration_refuses_a_memory_that_is_not_empty(tmp_path, postgres_database):
    url = postgres_database()
    with Memory.open(tmp_path / "a.sqlite") as a, Memory.open(url) as b:
        a.add([Unit("en", "ru", SENTENCE, "один")])
        b.add([Unit("en", "ru", "Another sentence.", "другое")])
        with pytest.raises(MemoryMigrationError, match="already holds 1 units"):
            a.migrate_to(b)
        assert b.stats().units == 1


def test_a_failed_migration_leaves_the_target_empty(tmp_path, postgres_database, monkeypatch):
    with Memory.open(tmp_path / "a.sqlite") as a, Memory.open(postgres_database()) as b:
        a.add([Unit("en", "ru", f"Sentence number {i}.", f"предложение {i}") for i in range(30)])

        def broken_seen():
            yield ("x.po", "en", "A source the memory never had.", "ru", 1)

        monkeypatch.setattr(a.store, "iter_seen", broken_seen)
        with pytest.raises(ValueError, match="lacks"):
            a.migrate_to(b, batch=7)
        assert b.stats().units == 0


def test_password_is_masked_everywhere(postgres_database):
    url = postgres_database()
    password = psycopg.conninfo.conninfo_to_dict(url).get("password") or "no-password"
    with Memory.open(url) as memory:
        assert password not in memory.path and password not in memory.stats().path
    assert mask_url("postgresql://desk:s3cret@db.example:5432/tm?sslmode=require") == \
        "postgresql://desk:***@db.example:5432/tm?sslmode=require"
    assert mask_url("postgres://db/tm?user=desk&password=s3cret") == "postgres://db/tm?user=desk&password=***"
    assert mask_url("postgresql://desk@db/tm") == "postgresql://desk@db/tm"


def test_unreachable_server_is_a_clear_error_without_the_password():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://desk:Sup3rS3cret@127.0.0.1:{port}/tm"
    with pytest.raises(MemoryUnavailable) as err:
        Memory.open(url)
    message = str(err.value)
    assert "Sup3rS3cret" not in message
    assert f"cannot reach the translation memory at postgresql://desk:***@127.0.0.1:{port}/tm" in message


def test_wrong_password_is_a_clear_error_without_it(postgres_database):
    url = postgres_database()
    parts = psycopg.conninfo.conninfo_to_dict(url)
    bad = (f"postgresql://{parts.get('user', 'postgres')}:WrongPassw0rd@{parts['host']}:{parts['port']}/"
           f"{parts['dbname']}")
    with pytest.raises(MemoryUnavailable) as err:
        Memory.open(bad)
    assert "WrongPassw0rd" not in str(err.value) and "***" in str(err.value)


def test_a_schema_from_another_version_names_the_migrate_command(postgres_database):
    url = postgres_database()
    Memory.open(url).close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE tm_meta SET value = '99' WHERE name = 'schema_version'")
    with pytest.raises(MemorySchemaError) as err:
        Memory.open(url)
    message = str(err.value)
    assert "schema version 99" in message and "pipeline tm migrate" in message
    assert (psycopg.conninfo.conninfo_to_dict(url).get("password") or "\0") not in message


def test_a_version_1_database_is_upgraded_in_place(postgres_database):
    url = postgres_database()
    with Memory.open(url) as m:
        m.add([Unit("en", "ru", SENTENCE, "один", APPROVED, "a.po", "2020-01-01T00:00:00.000000Z",
                    "2021-01-01T00:00:00.000000Z"),
               Unit("en", "kk", SENTENCE, "бір", MACHINE, "argos en→kk 1.9")])
    with psycopg.connect(url, autocommit=True) as conn:  # the tables as version 1 made them
        conn.execute("ALTER TABLE tm_units DROP COLUMN context, DROP COLUMN plural")
        conn.execute("DROP INDEX tm_sources_keys, tm_units_lang")
        conn.execute("ALTER TABLE tm_sources DROP COLUMN keys")
        conn.execute("UPDATE tm_meta SET value = '1' WHERE name = 'schema_version'")
    with Memory.open(url) as m:
        stats = m.stats()
        assert (stats.units, stats.approved, stats.machine) == (2, 1, 1)
        found = m.exact(SENTENCE, "ru", context="")
        assert (found.target, found.score, found.origin, found.updated) == ("один", 100, "a.po",
                                                                             "2021-01-01T00:00:00.000000Z")
        assert m.add([Unit("en", "ru", SENTENCE, "один", origin="a.po")]) == 0, "an old unit is still itself"
        assert m.add([Unit("en", "ru", SENTENCE, "один", context="caption")]) == 1
        assert [x.score for x in m.lookup(SENTENCE, "ru", context="caption")] == [100, 95]
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT value FROM tm_meta WHERE name = 'schema_version'").fetchone()[0] == "4"
        assert conn.execute("SELECT to_regclass('tm_units_lang')").fetchone()[0] is not None


def has_units_plan(conn, source_lang: str, target_lang: str) -> str:
    """PostgreSQL's plan for the query PostgresStore.has_units runs (caught as it runs)."""
    ran: list[str] = []

    class Tracing:
        def execute(self, sql, params=None, **options):
            ran.append(sql)
            return conn.execute(sql, params, **options)

    store = PostgresStore.__new__(PostgresStore)
    store._conn = Tracing()
    store.has_units(source_lang, target_lang)
    [sql] = ran
    return "\n".join(row[0] for row in conn.execute("EXPLAIN " + sql, (target_lang, source_lang)))


def test_a_version_3_database_gets_the_language_index_in_place(postgres_database):
    """Version 4 indexes units by language: whether a language holds any unit is an index probe, where it scanned
    the units of a shared memory lacking that language."""
    url = postgres_database()
    with Memory.open(url) as m:
        m.add([Unit("en", "ru", f"The mufti met delegation number {i}.", f"Делегация {i}.", origin="a.po")
               for i in range(3000)] + [Unit("en", "kk", SENTENCE, "бір", MACHINE, "argos en→kk 1.9")])
        before = list(m.store.iter_units(None, None, STATUSES))
    with psycopg.connect(url, autocommit=True) as conn:  # the database as version 3 left it
        conn.execute("DROP INDEX tm_units_lang")
        conn.execute("UPDATE tm_meta SET value = '3' WHERE name = 'schema_version'")
    with Memory.open(url) as m:
        assert list(m.store.iter_units(None, None, STATUSES)) == before
        assert m.store.has_units("en", "kk") and not m.store.has_units("en", "ar")
        assert m.lookup("The mufti met delegation number 7.", "ru")[0].target == "Делегация 7."
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT value FROM tm_meta WHERE name = 'schema_version'").fetchone()[0] == "4"
        assert conn.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'tm_units_lang'").fetchone()[0] \
            .endswith("ON public.tm_units USING btree (target_lang, source_id)")
        conn.execute("ANALYZE tm_units")
        conn.execute("ANALYZE tm_sources")
        plan = has_units_plan(conn, "en", "ar")
    assert "Index Only Scan using tm_units_lang on tm_units" in plan and "Seq Scan" not in plan, plan


def test_has_units_is_never_a_prepared_statement(postgres_database):
    """psycopg prepares a query run five times on a connection, and the server then plans it once for any language:
    that generic plan scans every source (a second a call at a million units), so has_units is planned afresh."""
    with Memory.open(postgres_database()) as m:
        m.add([Unit("en", "ru", SENTENCE, "один")])
        for _ in range(12):
            assert m.store.has_units("en", "ru") and not m.store.has_units("en", "kk")
        prepared = m.store._conn.execute("SELECT statement FROM pg_prepared_statements").fetchall()
    assert not [sql for (sql,) in prepared if "tm_units u JOIN tm_sources" in sql and "EXISTS" in sql], prepared


def test_two_workspaces_creating_the_schema_at_once(postgres_database):
    url = postgres_database()
    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: Memory.open(url), range(4)))
    for m in stores:
        assert m.stats().units == 0
        m.close()


def test_four_writers_and_four_readers_lose_and_duplicate_nothing(postgres_database):
    """Four workspaces harvest overlapping batches (each twice: harvest is idempotent) while four others look
    up: every unit ends up exactly once, nobody deadlocks, readers see only whole transactions."""
    url = postgres_database()
    shared_units = [Unit("en", "ru", f"The council met delegation number {i} in Astana today.", f"делегация {i}",
                         origin="shared.po", updated="2024-01-01T00:00:00.000000Z") for i in range(300)]
    own = {w: [Unit("en", lang, f"Workspace {w} approved sentence number {i} about the congress.",
                    f"{lang} {w} {i}", origin=f"ws{w}.po", updated="2024-02-01T00:00:00.000000Z")
               for i in range(150) for lang in ("kk", "ru")] for w in range(4)}
    Memory.open(url).close()
    stop = threading.Event()
    errors: list[BaseException] = []
    looked = [0]

    def writer(w: int) -> list[int]:
        rng = random.Random(w)
        added = []
        with Memory.open(url) as m:
            for _ in range(2):
                units = shared_units + own[w]
                rng.shuffle(units)
                for i in range(0, len(units), 100):
                    with m.store.transaction():  # a harvest: several batches in one transaction
                        added.append(m.add(units[i:i + 100]))
        return added

    def reader(r: int) -> None:
        rng = random.Random(100 + r)
        with Memory.open(url) as m:
            while not stop.is_set():
                i = rng.randrange(300)
                found = m.lookup(f"The council met delegation number {i} in Astana yesterday.", "ru", limit=3)
                for match in found:  # whatever is visible is whole: a source always comes with its target
                    assert match.target.startswith("делегация ")
                looked[0] += 1

    with ThreadPoolExecutor(8) as pool:
        readers = [pool.submit(reader, r) for r in range(4)]
        writers = [pool.submit(writer, w) for w in range(4)]
        try:
            results = [f.result(timeout=240) for f in writers]
        finally:
            stop.set()
            for f in readers:
                try:
                    f.result(timeout=60)
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)
    assert not errors, errors
    expected = len(shared_units) + sum(len(units) for units in own.values())
    assert sum(sum(r) for r in results) == expected  # each unit counted new exactly once, by one writer
    with Memory.open(url) as m:
        stats = m.stats()
        assert (stats.units, stats.sources) == (expected, 300 + 4 * 150)
        assert m.add(shared_units + own[0]) == 0  # harvesting again writes nothing
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM (SELECT source_id, target_lang, target FROM tm_units "
                            "GROUP BY 1, 2, 3 HAVING count(*) > 1) d").fetchone()[0] == 0
        grams = conn.execute("SELECT df FROM tm_grams WHERE lang = 'en' AND gram = 'Ast'").fetchone()[0]
    assert grams == 300  # the trigram counts saw every new source once, whoever wrote it
    assert looked[0] > 0


def test_a_writer_waits_for_another_and_readers_do_not(postgres_database):
    """The advisory lock is the guard: while one harvest is open, a second writer waits and a reader does not."""
    url = postgres_database()
    with Memory.open(url) as first, Memory.open(url) as second, Memory.open(url) as reader:
        first.add([Unit("en", "ru", SENTENCE, "до")])
        done = threading.Event()
        with first.store.transaction():
            first.add([Unit("en", "ru", "A sentence in an open harvest.", "открыто")])

            def write() -> None:
                second.add([Unit("en", "ru", "Mufti Qaz 2024", "второй")])
                done.set()

            t = threading.Thread(target=write)
            t.start()
            assert reader.exact(SENTENCE, "ru").target == "до"  # readers are not blocked
            assert reader.exact("A sentence in an open harvest.", "ru") is None  # nor see half a harvest
            assert not done.wait(0.5)  # the second writer waits for the first
        t.join(30)
        assert done.is_set()
        assert reader.stats().units == 3


def test_store_class_is_postgres_for_urls(postgres_database, tmp_path):
    with Memory.open(postgres_database()) as m:
        assert isinstance(m.store, PostgresStore)
    started = time.monotonic()
    with Memory.open(tmp_path / "x.sqlite") as m:
        assert not isinstance(m.store, PostgresStore)
    assert time.monotonic() - started < 30


def test_a_desk_finds_what_another_desk_added_after_it_opened_the_memory(postgres_database, monkeypatch):
    """Lookups keep their own trigram counts; words another desk brings in meanwhile are still found."""
    monkeypatch.setattr(PostgresStore, "SCAN_LIMIT", 0)  # through the index, not a scan of the length window
    url = postgres_database()
    with Memory.open(url) as reader, Memory.open(url) as writer:
        writer.add([Unit("en", "ru", f"The council met delegation number {i} in Astana today.", f"делегация {i}")
                    for i in range(20)])
        assert reader.lookup("The council met delegation number 3 in Astana yesterday.", "ru")
        writer.add([Unit("en", "ru", "Zhambyl oblast akimat hosted Qyzylorda muftiate.", "Акимат принял муфтият.")])
        (found,) = reader.lookup("Zhambyl oblast akimat hosted the Qyzylorda muftiate.", "ru")
        assert found.target == "Акимат принял муфтият."


# ---------------------------------------------------------------- the same candidates as the SQLite store

AWKWARD = ["ab", "abc", "The mufti's \"visit\" — 2024.", "Муфтий посетил Астану, 12 мая!", "مفتي قازاقستان زار",
           "Qazaqstan\u0301 e\u0301", "emoji 🕌🕌 and 𝔘nicode", "  spaced   out  ", "a" * 140, "x" * 20681]


def texts_for_agreement(count: int, seed: int) -> list[str]:
    """Headline-sized and sentence-sized texts sharing words and punctuation: the trigrams that pg_trgm leaves
    out (spaces, quotes, commas, case) decide which sources are candidates."""
    rng = random.Random(seed)
    words = ["The", "the", "mufti", "Mufti", "met", "\"they", "told\"", "me,", "Astana", "Astana's", "(SAMK)",
             "council", "didn't", "up", "anything.", "—", "Whether", "or", "not", "driver", "of", "lays", "2024",
             "Муфтий", "Астана,", "сказал:", "«нет»"]
    return [" ".join(rng.choice(words) for _ in range(rng.choice((2, 3, 4, 6, 9, 14, 20)))) for _ in range(count)]


def test_a_source_is_indexed_under_the_keys_a_lookup_asks_for():
    from pipeline.memory import _trigrams
    from pipeline.memory_pg import _band, _gram_key, _source_keys

    for text in AWKWARD + ["x" * n for n in range(1, 40)]:
        words = _trigrams(text)
        keys = [int(k) for k in _source_keys(text, words).strip("{}").split(",") if k]
        assert keys == [_gram_key(g, _band(len(text))) for g in words]
        assert all(-2**31 <= k < 2**31 for k in keys)


def test_candidates_are_the_sqlite_stores_candidates(tmp_path, postgres_database, monkeypatch):
    """Same content, same query: both stores score exactly the same sources, through the index (no window scan),
    including the cap on many hits, punctuation, case and short queries."""
    for store in (SQLiteStore, PostgresStore):
        monkeypatch.setattr(store, "SCAN_LIMIT", 0)
        monkeypatch.setattr(store, "CANDIDATE_CAP", 40)
    sources = texts_for_agreement(1500, 1) + AWKWARD
    units = [Unit("en", "ru", s, f"перевод {i}") for i, s in enumerate(sources)]
    with Memory.open(tmp_path / "m.sqlite") as lite, Memory.open(postgres_database()) as shared:
        for i in range(0, len(units), 400):
            lite.add(units[i:i + 400])
            shared.add(units[i:i + 400])
        shared.add([Unit("kk", "ru", s, "басқа тіл") for s in sources[:50]])  # another source language
        lite.add([Unit("kk", "ru", s, "басқа тіл") for s in sources[:50]])
        queries = texts_for_agreement(150, 2) + [normalise(s) for s in AWKWARD]
        capped = 0
        for q in queries:
            n = len(q)
            lo, hi = max(1, int(n * 0.75 - 1e-9)), int(n / 0.75 + 1e-9) + 1
            a = [text for _, text in sorted(lite.store.candidates("en", q, lo, hi))]  # ids differ, their order not
            b = [text for _, text in sorted(shared.store.candidates("en", q, lo, hi))]
            assert b == a, q
            capped += len(a) == 40
            assert [(m.source, m.target, m.score) for m in shared.lookup(q, "ru", limit=3)] == \
                [(m.source, m.target, m.score) for m in lite.lookup(q, "ru", limit=3)]
        assert capped  # the cap was exercised


@pytest.mark.parametrize("version", [1, 2])
def test_a_memory_of_an_older_schema_gets_the_sqlite_stores_candidates_in_place(tmp_path, postgres_database, version):
    """A memory written before (pg_trgm index, pg_trgm's trigram counts; schema 1, or 2 with contexts) is upgraded
    by the first desk that opens it: same units, and lookups find what the SQLite store finds."""
    url = postgres_database()
    sources = texts_for_agreement(400, 3)
    units = [Unit("en", "ru", s, f"перевод {i}", origin="a.po") for i, s in enumerate(sources)]
    with Memory.open(url) as m:
        m.add(units)
        before = list(m.store.iter_units(None, None, STATUSES))
    with psycopg.connect(url, autocommit=True) as conn:  # what such a memory looks like
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.execute("DROP INDEX tm_sources_keys, tm_units_lang")
        conn.execute("ALTER TABLE tm_sources DROP COLUMN keys")
        conn.execute("CREATE INDEX tm_sources_trgm ON tm_sources USING gin (text gin_trgm_ops)")
        conn.execute("UPDATE tm_grams SET gram = '#' || gram")  # counts of other trigrams (pg_trgm's)
        if version == 1:
            conn.execute("ALTER TABLE tm_units DROP COLUMN context, DROP COLUMN plural")
        conn.execute("UPDATE tm_meta SET value = %s WHERE name = 'schema_version'", (str(version),))
    with Memory.open(tmp_path / "m.sqlite") as lite:
        lite.add(units)
        lite.store.SCAN_LIMIT = 0  # both through their indexes
        with ThreadPoolExecutor(3) as pool:  # three desks open it at once: one upgrades, the others wait
            opened = list(pool.map(lambda _: Memory.open(url), range(3)))
        for m in opened:
            assert list(m.store.iter_units(None, None, STATUSES)) == before
            m.store.SCAN_LIMIT = 0
            for q in texts_for_agreement(40, 4):
                assert [(x.source, x.target, x.score) for x in m.lookup(q, "ru")] == \
                    [(x.source, x.target, x.score) for x in lite.lookup(q, "ru")], q
            m.close()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT value FROM tm_meta WHERE name = 'schema_version'").fetchone()[0] == "4"
        assert conn.execute("SELECT to_regclass('tm_sources_trgm')").fetchone()[0] is None
        assert conn.execute("SELECT to_regclass('tm_units_lang')").fetchone()[0] is not None
        df = dict(conn.execute("SELECT gram, df FROM tm_grams").fetchall())
    with sqlite3.connect(tmp_path / "m.sqlite") as conn:
        assert df == dict(conn.execute("SELECT gram, df FROM grams").fetchall())


def test_an_upgrade_that_cannot_run_names_what_to_do(postgres_database):
    url = postgres_database()
    Memory.open(url).close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP INDEX tm_sources_keys, tm_units_lang")
        conn.execute("UPDATE tm_meta SET value = '2' WHERE name = 'schema_version'")
        conn.execute("CREATE ROLE pipeline_desk_test LOGIN PASSWORD 'DeskPassw0rd'") if not conn.execute(
            "SELECT 1 FROM pg_roles WHERE rolname = 'pipeline_desk_test'").fetchone() else None
        conn.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO pipeline_desk_test")
        conn.execute("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO pipeline_desk_test")
    parts = psycopg.conninfo.conninfo_to_dict(url)
    desk = f"postgresql://pipeline_desk_test:DeskPassw0rd@{parts['host']}:{parts['port']}/{parts['dbname']}"
    with pytest.raises(MemorySchemaError) as err:
        Memory.open(desk)
    message = str(err.value)
    assert "schema version 2" in message and "owner" in message and "pipeline tm migrate" in message
    assert "DeskPassw0rd" not in message
    with psycopg.connect(url) as conn:  # nothing half-done
        assert conn.execute("SELECT value FROM tm_meta WHERE name = 'schema_version'").fetchone()[0] == "2"
        assert conn.execute("SELECT to_regclass('tm_sources_keys')").fetchone()[0] is None
        assert conn.execute("SELECT to_regclass('tm_units_lang')").fetchone()[0] is None
