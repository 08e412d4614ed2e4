"""The store: migrations, the triage ledger, report reads, both implementations alike."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.models import Feedback, Triage
from bot.store import (
    SCHEMA_VERSION,
    MemoryStore,
    ReportSource,
    SqliteStore,
    Store,
    TriageLedger,
    open_store,
)

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


@pytest.fixture(params=["sqlite", "memory"])
def store_and_clock(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, _Clock]]:
    clock = _Clock()
    store: Store = (
        SqliteStore(str(tmp_path / "s.db"), clock=clock) if request.param == "sqlite" else MemoryStore(clock=clock)
    )
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


def test_open_store_names_the_variable_for_postgres() -> None:
    with pytest.raises(ConfigError) as caught:
        open_store("postgresql://db.internal/mailmedic")
    assert caught.value.variable == "MAILMEDIC_DB"


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
