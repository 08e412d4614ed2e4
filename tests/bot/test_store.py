"""The store: migrations, the triage ledger, report reads, every implementation alike.

The contract tests run on SQLite, in memory and on PostgreSQL (a loopback server the tests
start; skipped where PostgreSQL is not installed). What only the shared PostgreSQL store does
(several instances at once) is in test_postgres_store.py.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.models import Feedback, PostedAnswer, Triage
from bot.store import (
    SCHEMA_VERSION,
    MemoryStore,
    ReportSource,
    SqliteStore,
    Store,
    TriageLedger,
    open_store,
)
from tests.postgres_server import PostgresServer

# The schema as the first release wrote it (version 1), to migrate from.
_V1_FILE = """
CREATE TABLE user_language (platform TEXT NOT NULL, user TEXT NOT NULL, language TEXT NOT NULL,
    PRIMARY KEY (platform, user));
CREATE TABLE thread_language (platform TEXT NOT NULL, thread TEXT NOT NULL, language TEXT NOT NULL,
    at REAL NOT NULL, PRIMARY KEY (platform, thread));
CREATE TABLE seen_event (key TEXT PRIMARY KEY, expires REAL NOT NULL);
CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, platform TEXT NOT NULL,
    user TEXT NOT NULL, entry_id TEXT, language TEXT NOT NULL, confidence REAL NOT NULL,
    helpful INTEGER NOT NULL, message_ref TEXT NOT NULL DEFAULT '');
CREATE TABLE triage (ticket_id TEXT PRIMARY KEY, at REAL NOT NULL, language TEXT NOT NULL, entry_id TEXT,
    confidence REAL NOT NULL, category TEXT NOT NULL, priority TEXT NOT NULL,
    needs_human INTEGER NOT NULL, result TEXT NOT NULL, text TEXT NOT NULL);
CREATE TABLE interaction (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, platform TEXT NOT NULL,
    user TEXT NOT NULL, language TEXT NOT NULL, outcome TEXT NOT NULL, entry_id TEXT,
    confidence REAL NOT NULL, text TEXT NOT NULL);
CREATE INDEX interaction_at ON interaction (at);
CREATE INDEX feedback_at ON feedback (at);
INSERT INTO user_language VALUES ('slack', 'U1', 'cs');
INSERT INTO triage VALUES ('old-1', 1000.0, 'de', 'relay-denied', 0.9, 'sending', 'high', 0,
    '{"id": "old-1", "entry": "relay-denied"}', 'Relay access denied');
PRAGMA user_version = 1;
"""


class _Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _triage(ticket_id: str, entry: str | None = "relay-denied", language: str = "en") -> Triage:
    return Triage(
        id=ticket_id,
        language=language,
        entry_id=entry,
        confidence=0.9 if entry else 0.1,
        category="sending" if entry else "unknown",
        priority="high" if entry else "normal",
        needs_human=entry is None,
        reply="Turn on SMTP-AUTH.",
    )


@pytest.fixture(params=["sqlite", "memory", "postgres"])
def store_and_clock(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, _Clock]]:
    clock = _Clock()
    store: Store
    if request.param == "sqlite":
        store = SqliteStore(str(tmp_path / "s.db"), clock=clock)
    elif request.param == "memory":
        store = MemoryStore(clock=clock)
    else:
        from bot.postgres_store import PostgresStore

        store = PostgresStore(request.getfixturevalue("pg_url"), clock=clock)
    yield store, clock
    store.close()


# --------------------------------------------------------------------------- migrations


def test_a_new_file_gets_the_current_schema(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "new.db"))
    try:
        assert store.schema_version == SCHEMA_VERSION
        assert store.query("PRAGMA journal_mode")[0][0] == "wal"
    finally:
        store.close()


def test_a_version_1_file_is_migrated_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(_V1_FILE)
    conn.close()

    store = SqliteStore(str(path))
    try:
        assert store.schema_version == SCHEMA_VERSION
        indexes = {row[0] for row in store.query("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"triage_at", "interaction_user"} <= indexes
        assert store.user_language("slack", "U1") == "cs"
        assert store.triage_result("old-1") == {"id": "old-1", "entry": "relay-denied"}
        assert store.record_triage(_triage("old-1"), "again") is False
    finally:
        store.close()

    reopened = SqliteStore(str(path))  # migrating twice changes nothing
    try:
        assert reopened.schema_version == SCHEMA_VERSION
        assert reopened.query("SELECT COUNT(*) FROM triage")[0][0] == 1
    finally:
        reopened.close()


def test_a_file_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()

    with pytest.raises(ConfigError) as caught:
        SqliteStore(str(path))

    assert caught.value.variable == "MAILMEDIC_DB"
    assert "newer" in str(caught.value)


def test_processes_starting_together_migrate_once(tmp_path: Path) -> None:
    path = str(tmp_path / "race.db")
    stores: list[SqliteStore] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            stores.append(SqliteStore(path))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert {s.schema_version for s in stores} == {SCHEMA_VERSION}
    finally:
        for s in stores:
            s.close()


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_a_postgres_url_opens_the_shared_store(scheme: str, postgres: PostgresServer, pg_url: str) -> None:
    from bot.postgres_store import PostgresStore

    store = open_store(pg_url.replace("postgresql://", f"{scheme}://", 1))
    try:
        assert isinstance(store, PostgresStore)
        assert store.schema_version == SCHEMA_VERSION
        assert store.url.startswith(f"{scheme}://mailmedic:***@127.0.0.1:")
        assert postgres.password not in store.url
    finally:
        store.close()


def test_an_unreachable_postgres_is_a_config_error_without_the_password(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    with pytest.raises(ConfigError) as caught:
        open_store(f"postgresql://mailmedic:hunter2-secret@127.0.0.1:{port}/mailmedic?connect_timeout=3")

    assert caught.value.variable == "MAILMEDIC_DB"
    assert "MAILMEDIC_DB" in str(caught.value)
    assert "hunter2-secret" not in str(caught.value)
    assert "hunter2-secret" not in caplog.text


def test_psycopg_is_imported_only_for_a_postgres_url() -> None:
    code = (
        "import sys, bot, bot.store, adapters.cli, adapters.runner\n"
        "bot.store.open_store(':memory:').close()\n"
        "print(sorted(m for m in sys.modules if m.startswith(('psycopg', 'bot.postgres'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


def test_without_the_extra_a_postgres_url_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "bot.postgres_store")

    with pytest.raises(ConfigError) as caught:
        open_store("postgresql://mailmedic:not-shown@db.internal/mailmedic")

    assert caught.value.variable == "MAILMEDIC_DB"
    assert "mailmedic[postgres]" in str(caught.value)
    assert "not-shown" not in str(caught.value)


# --------------------------------------------------------------------------- languages and seen events


def test_language_choices_are_kept_and_cleared(store_and_clock: tuple[Store, _Clock]) -> None:
    store, _ = store_and_clock
    assert store.user_language("slack", "U1") is None

    store.set_user_language("slack", "U1", "de")
    store.set_user_language("slack", "U1", "cs")  # the latest choice wins
    store.set_user_language("discord", "U1", "fr")

    assert store.user_language("slack", "U1") == "cs"
    assert store.user_language("discord", "U1") == "fr"
    store.set_user_language("slack", "U1", None)
    assert store.user_language("slack", "U1") is None
    assert store.user_language("discord", "U1") == "fr"


def test_a_thread_is_in_the_language_last_set(store_and_clock: tuple[Store, _Clock]) -> None:
    store, _ = store_and_clock
    store.set_thread_language("slack", "C1:1.0", "es")
    store.set_thread_language("slack", "C1:1.0", "en")

    assert store.thread_language("slack", "C1:1.0") == "en"
    assert store.thread_language("slack", "C1:2.0") is None


def test_an_event_is_first_seen_once_until_it_expires(store_and_clock: tuple[Store, _Clock]) -> None:
    store, clock = store_and_clock
    clock.now = 1_000_000.0  # a multiple of 64: the expired records are swept too

    assert store.first_seen("ev-1", ttl_seconds=60) is True
    assert store.first_seen("ev-1", ttl_seconds=60) is False
    assert store.first_seen("ev-2", ttl_seconds=60) is True
    clock.now += 59.5
    assert store.first_seen("ev-1", ttl_seconds=60) is False
    clock.now += 0.5  # expired exactly at now + ttl
    assert store.first_seen("ev-1", ttl_seconds=60) is True
    assert store.first_seen("ev-1", ttl_seconds=60) is False


def test_a_posted_answer_is_kept_until_it_expires(store_and_clock: tuple[Store, _Clock]) -> None:
    store, clock = store_and_clock
    clock.now = 1_000_000.0  # a multiple of 64: the expired records are swept too
    answer = PostedAnswer(entry_id="relay-denied", language="fr", confidence=0.873, thread="1700000100.000200")
    unknown = PostedAnswer(entry_id=None, language="cs", confidence=0.0)

    store.remember_answer("slack", "C1:1700000200.000100", answer, ttl_seconds=60)
    store.remember_answer("slack", "D1:1700000300.000100", unknown, ttl_seconds=60)

    assert store.posted_answer("slack", "C1:1700000200.000100") == answer
    assert store.posted_answer("slack", "D1:1700000300.000100") == unknown
    assert store.posted_answer("discord", "C1:1700000200.000100") is None  # per platform
    assert store.posted_answer("slack", "C1:1700000999.000100") is None
    clock.now += 59.5
    assert store.posted_answer("slack", "C1:1700000200.000100") == answer
    clock.now += 0.5  # expired exactly at now + ttl
    assert store.posted_answer("slack", "C1:1700000200.000100") is None
    store.remember_answer("slack", "C1:1700000200.000100", answer, ttl_seconds=60)  # written again: alive again
    assert store.posted_answer("slack", "C1:1700000200.000100") == answer


# --------------------------------------------------------------------------- the triage ledger


def test_both_stores_are_ledgers_and_report_sources(store_and_clock: tuple[Store, _Clock]) -> None:
    store, _ = store_and_clock
    assert isinstance(store, TriageLedger)
    assert isinstance(store, ReportSource)


def test_a_batch_is_stored_once_per_id(store_and_clock: tuple[Store, _Clock]) -> None:
    store, _ = store_and_clock
    assert isinstance(store, TriageLedger)
    assert store.record_triage(_triage("a"), "first a") is True

    written = store.record_triages(
        [(_triage("a"), "a again"), (_triage("b", None), "b"), (_triage("b"), "b again"), (_triage("c"), "c")]
    )

    assert written == [False, True, False, True]
    assert store.triage_result("b") == _triage("b", None).to_json()
    assert store.triage_result("missing") is None


def test_a_committed_triage_is_there_after_a_reopen(tmp_path: Path) -> None:
    path = str(tmp_path / "durable.db")
    first = SqliteStore(path)
    first.record_triages([(_triage("t1"), "one"), (_triage("t2"), "two")])
    # no close(): the process "dies" here; the commit is what counts
    second = SqliteStore(path)
    try:
        assert second.triage_result("t1") is not None
        assert second.triage_result("t2") is not None
    finally:
        second.close()
        first.close()


def test_a_body_with_a_nul_character_is_stored(store_and_clock: tuple[Store, _Clock]) -> None:
    # valid JSON ("\u0000") that a helpdesk may send; refusing it would make it retry forever
    store, _ = store_and_clock
    assert isinstance(store, TriageLedger) and isinstance(store, ReportSource)

    assert store.record_triages([(_triage("nul"), "before\x00after")]) == [True]

    (row,) = store.triages_between(0, 2_000_000)
    assert row.text in ("before\x00after", "before\ufffdafter")  # PostgreSQL's TEXT holds no NUL
    assert store.triage_result("nul") == _triage("nul").to_json()


# --------------------------------------------------------------------------- report reads


def test_periods_are_half_open_and_ordered(store_and_clock: tuple[Store, _Clock]) -> None:
    store, clock = store_and_clock
    assert isinstance(store, ReportSource) and isinstance(store, TriageLedger)
    for at, text in ((100.0, "before"), (200.0, "first"), (250.0, "second"), (300.0, "at the end")):
        clock.now = at
        store.record_interaction(
            platform="slack", user="U1", language="en", outcome="unknown", entry_id=None, confidence=0.1, text=text
        )
        store.record_triage(_triage(f"t-{text}"), text)
        store.record_feedback(Feedback("slack", "U1", None, "en", 0.1, helpful=False))

    interactions = store.interactions_between(200.0, 300.0)
    triages = store.triages_between(200.0, 300.0)
    votes = store.feedback_between(200.0, 300.0)

    assert [i.text for i in interactions] == ["first", "second"]
    assert [t.ticket_id for t in triages] == ["t-first", "t-second"]
    assert [t.text for t in triages] == ["first", "second"]
    assert [v.at for v in votes] == [200.0, 250.0]
    assert interactions[0].outcome == "unknown" and interactions[0].platform == "slack"


def test_a_vote_carries_the_message_it_was_about(store_and_clock: tuple[Store, _Clock]) -> None:
    store, clock = store_and_clock
    assert isinstance(store, ReportSource)

    def said(at: float, user: str, entry: str | None, text: str, platform: str = "slack") -> None:
        clock.now = at
        store.record_interaction(
            platform=platform, user=user, language="fr", outcome="answer", entry_id=entry, confidence=0.8, text=text
        )

    def voted(at: float, user: str, entry: str | None, platform: str = "slack") -> None:
        clock.now = at
        store.record_feedback(Feedback(platform, user, entry, "fr", 0.8, helpful=False))

    said(10, "U1", "relay-denied", "old relay question")
    said(20, "U1", "relay-denied", "new relay question")
    said(25, "U1", "imap-settings", "imap question")
    said(26, "U2", "relay-denied", "someone else's question")
    said(27, "U1", "relay-denied", "same user on discord", platform="discord")
    voted(30, "U1", "relay-denied")
    said(40, "U1", "relay-denied", "asked after the vote")
    voted(50, "U3", "relay-denied")

    votes = store.feedback_between(0, 100)

    assert [v.text for v in votes] == ["new relay question", None]
    assert votes[0].helpful is False and votes[0].entry_id == "relay-denied"


def test_the_last_interaction_of_a_person_within_a_time(store_and_clock: tuple[Store, _Clock]) -> None:
    store, clock = store_and_clock
    assert store.last_interaction("slack", "U1", 3600) is None
    store.record_interaction(
        platform="slack", user="U1", language="en", outcome="answer", entry_id="relay-denied", confidence=0.9, text="a"
    )
    clock.now += 10
    store.record_interaction(
        platform="slack", user="U2", language="en", outcome="unknown", entry_id=None, confidence=0.1, text="b"
    )
    assert store.last_interaction("slack", "U1", 3600) == ("answer", "relay-denied")
    assert store.last_interaction("slack", "U2", 3600) == ("unknown", None)
    assert store.last_interaction("discord", "U1", 3600) is None
    clock.now += 3600
    assert store.last_interaction("slack", "U1", 3600) is None  # an hour later it is no context any more
