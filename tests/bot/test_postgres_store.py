"""The shared PostgreSQL store: what several service instances on one database need.

Each test gets a new database of a real server on loopback (tests/postgres_server.py), skipped
where PostgreSQL is not installed. The contract every store keeps is in test_store.py.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from bot import store as sqlite_side
from bot.errors import ConfigError
from bot.models import Triage
from bot.store import open_store
from tests.postgres_server import PostgresServer

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[test]')")

from bot import postgres_store  # noqa: E402  (needs psycopg)
from bot.postgres_store import SCHEMA_VERSION, PostgresStore  # noqa: E402

T = TypeVar("T")


class _Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _triage(ticket_id: str) -> Triage:
    return Triage(
        id=ticket_id,
        language="de",
        entry_id="relay-denied",
        confidence=0.9,
        category="sending",
        priority="high",
        needs_human=False,
        reply="SMTP-AUTH einschalten.",
    )


def _together(jobs: list[Callable[[], T]]) -> list[T]:
    """Run ``jobs`` in threads released at the same moment; their results, in order."""
    gate = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        gate.wait()
        try:
            results[i] = jobs[i]()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    return results


@pytest.fixture
def two_instances(pg_url: str) -> Iterator[tuple[PostgresStore, PostgresStore, _Clock]]:
    """Two "service instances" on one database, with one clock (as NTP keeps hosts' clocks)."""
    clock = _Clock()
    first = PostgresStore(pg_url, clock=clock)
    second = PostgresStore(pg_url, clock=clock)
    yield first, second, clock
    first.close()
    second.close()


# --------------------------------------------------------------------------- schema


def test_its_migrations_mirror_sqlites() -> None:
    assert SCHEMA_VERSION == sqlite_side.SCHEMA_VERSION
    assert [len(step) for step in postgres_store._MIGRATIONS] == [len(step) for step in sqlite_side._MIGRATIONS]


def test_a_new_database_gets_the_current_schema(pg_url: str) -> None:
    store = PostgresStore(pg_url)
    try:
        assert store.schema_version == SCHEMA_VERSION
        tables = {r[0] for r in store.query("SELECT tablename FROM pg_tables WHERE schemaname='public'")}
        assert tables == {"user_language", "thread_language", "seen_event", "feedback", "triage", "interaction",
                          "posted_answer", "schema_version"}
        assert store.query("SELECT COUNT(*) FROM schema_version") == [(1,)]
    finally:
        store.close()


def test_a_version_1_database_is_migrated_and_keeps_its_data(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(postgres_store._VERSION_TABLE)
        for statement in postgres_store._MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version (version) VALUES (1)")
        conn.execute("""INSERT INTO user_language VALUES ('slack', 'U1', 'cs')""")

    store = PostgresStore(pg_url)
    try:
        assert store.schema_version == SCHEMA_VERSION
        indexes = {r[0] for r in store.query("SELECT indexname FROM pg_indexes WHERE schemaname='public'")}
        assert {"triage_at", "interaction_user"} <= indexes
        assert store.user_language("slack", "U1") == "cs"
    finally:
        store.close()


def test_instances_starting_together_migrate_once(pg_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.postgres_store")

    stores = _together([lambda: PostgresStore(pg_url) for _ in range(6)])
    try:
        assert {s.schema_version for s in stores} == {SCHEMA_VERSION}
        steps = [r.getMessage() for r in caplog.records if "migrated to schema version" in r.getMessage()]
        assert len(steps) == SCHEMA_VERSION  # each step by one instance only
        assert stores[0].query("SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]
    finally:
        for s in stores:
            s.close()


def test_a_database_from_a_newer_version_is_refused(pg_url: str, postgres: PostgresServer) -> None:
    PostgresStore(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE schema_version SET version=%s", (SCHEMA_VERSION + 1,))

    with pytest.raises(ConfigError) as caught:
        PostgresStore(pg_url)

    assert caught.value.variable == "MAILMEDIC_DB"
    assert "newer" in str(caught.value)
    assert postgres.password not in str(caught.value)
    with psycopg.connect(pg_url) as conn:  # refused, and left as it was
        assert conn.execute("SELECT version FROM schema_version").fetchone() == (SCHEMA_VERSION + 1,)


# --------------------------------------------------------------------------- several instances


def test_racing_instances_store_each_triage_once(
    two_instances: tuple[PostgresStore, PostgresStore, _Clock],
) -> None:
    first, second, _ = two_instances
    ids = [f"T-{n}" for n in range(40)]

    def batch(store: PostgresStore, seed: int) -> Callable[[], list[tuple[str, bool]]]:
        def run() -> list[tuple[str, bool]]:
            shuffled = random.Random(seed).sample(ids, len(ids))  # other orders: no deadlock either
            out: list[tuple[str, bool]] = []
            for start in range(0, len(shuffled), 8):
                chunk = shuffled[start : start + 8]
                written = store.record_triages([(_triage(i), f"text of {i}") for i in chunk])
                out.extend(zip(chunk, written, strict=True))
            out.extend((i, store.record_triage(_triage(i), "single")) for i in shuffled[:5])
            return out

        return run

    results = _together([batch(first if n % 2 else second, n) for n in range(8)])

    wins = Counter(ticket for outcome in results for ticket, won in outcome if won)
    assert wins == {i: 1 for i in ids}
    assert first.query("SELECT COUNT(*) FROM triage") == [(len(ids),)]
    assert second.triage_result("T-7") == _triage("T-7").to_json()


def test_racing_instances_see_an_event_first_once(
    two_instances: tuple[PostgresStore, PostgresStore, _Clock],
) -> None:
    first, second, clock = two_instances
    keys = [f"slack:ev-{n}" for n in range(30)]

    def seen(store: PostgresStore, seed: int) -> Callable[[], list[str]]:
        def run() -> list[str]:
            return [k for k in random.Random(seed).sample(keys, len(keys)) if store.first_seen(k, ttl_seconds=3600)]

        return run

    firsts = _together([seen(first if n % 2 else second, n) for n in range(8)])
    assert Counter(k for won in firsts for k in won) == {k: 1 for k in keys}

    clock.now += 64 * 100  # all expired, and a multiple of 64: the winners sweep as they go
    again = _together([seen(first if n % 2 else second, 100 + n) for n in range(8)])
    assert Counter(k for won in again for k in won) == {k: 1 for k in keys}


def test_what_one_instance_writes_the_other_reads(
    two_instances: tuple[PostgresStore, PostgresStore, _Clock],
) -> None:
    first, second, _ = two_instances
    first.set_user_language("slack", "U1", "fr")
    first.record_interaction(
        platform="slack", user="U1", language="fr", outcome="answer", entry_id="relay-denied", confidence=0.8, text="q"
    )

    assert second.user_language("slack", "U1") == "fr"
    assert [i.text for i in second.interactions_between(0, 2_000_000)] == ["q"]
    assert second.first_seen("once") is True
    assert first.first_seen("once") is False


def test_committed_data_survives_closing_and_reopening(pg_url: str) -> None:
    first = PostgresStore(pg_url)
    assert first.record_triages([(_triage("t1"), "one"), (_triage("t2"), "two")]) == [True, True]
    first.set_user_language("discord", "U9", "es")
    second = PostgresStore(pg_url)  # before the first is closed: the commit is what counts
    try:
        assert second.triage_result("t1") is not None
    finally:
        second.close()
    first.close()

    reopened = PostgresStore(pg_url)
    try:
        assert reopened.triage_result("t2") == _triage("t2").to_json()
        assert reopened.user_language("discord", "U9") == "es"
        assert reopened.record_triage(_triage("t1"), "again") is False
    finally:
        reopened.close()


def test_ping_says_whether_the_database_takes_writes(pg_url: str) -> None:
    store = PostgresStore(pg_url)
    try:
        assert store.ping() is True
        with psycopg.connect(pg_url, autocommit=True) as conn:
            dbname = conn.info.dbname
            conn.execute(f"ALTER DATABASE {dbname} SET default_transaction_read_only = on")
        fresh = PostgresStore(pg_url)  # the setting applies to new sessions
        try:
            assert fresh.ping() is False
        finally:
            fresh.close()
    finally:
        store.close()
    store.close()  # twice is harmless
    assert store.ping() is False


# --------------------------------------------------------------------------- errors and secrets


def test_a_wrong_password_is_a_config_error_that_does_not_show_it(
    postgres: PostgresServer, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-Pa55word-4711"
    url = pg_url.replace(postgres.password, wrong)

    with pytest.raises(ConfigError) as caught:
        open_store(url)

    message = str(caught.value)
    assert caught.value.variable == "MAILMEDIC_DB"
    assert "MAILMEDIC_DB" in message and "password authentication failed" in message
    assert "mailmedic:***@127.0.0.1" in message
    assert wrong not in message and postgres.password not in message
    assert wrong not in caplog.text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_password_echoed_by_a_malformed_url_is_scrubbed() -> None:
    with pytest.raises(ConfigError) as caught:
        PostgresStore("postgresql://mailmedic:s3cr3t-value@127.0.0.1:notaport/db")
    assert "s3cr3t-value" not in str(caught.value)
    assert caught.value.variable == "MAILMEDIC_DB"
