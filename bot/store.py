"""What must last across restarts: language choices, seen event ids, feedback, triage records.

``Store`` is the interface the core and the adapters use. ``SqliteStore`` is the embedded
default (one file, WAL mode); ``MemoryStore`` is the same thing in a dict for tests and the
terminal chat. A PostgreSQL implementation can take over behind the same interface when
several instances run: nothing here assumes it is the only process (event dedup is an
``INSERT`` that either wins or loses, not a read-then-write).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from .errors import ConfigError
from .models import Feedback, Triage

__all__ = ["MemoryStore", "SqliteStore", "Store", "open_store"]

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class Store(Protocol):
    """The persistence seam. Every method is safe to call from several threads."""

    def user_language(self, platform: str, user: str) -> str | None: ...

    def set_user_language(self, platform: str, user: str, language: str | None) -> None: ...

    def thread_language(self, platform: str, thread: str) -> str | None: ...

    def set_thread_language(self, platform: str, thread: str, language: str) -> None: ...

    def first_seen(self, key: str, ttl_seconds: float = 3600.0) -> bool:
        """Record ``key``; True the first time, False while an earlier record is alive."""
        ...

    def record_feedback(self, feedback: Feedback) -> None: ...

    def record_triage(self, triage: Triage, text: str) -> bool:
        """Store a triage; False (and nothing written) when that ticket id is stored already."""
        ...

    def record_interaction(
        self,
        *,
        platform: str,
        user: str,
        language: str,
        outcome: str,
        entry_id: str | None,
        confidence: float,
        text: str,
    ) -> None: ...

    def ping(self) -> bool:
        """True when the store can be written to."""
        ...

    def close(self) -> None: ...


_SCHEMA: tuple[str, ...] = (
    # version 1
    """
    CREATE TABLE IF NOT EXISTS user_language (
        platform TEXT NOT NULL, user TEXT NOT NULL, language TEXT NOT NULL,
        PRIMARY KEY (platform, user))
    """,
    """
    CREATE TABLE IF NOT EXISTS thread_language (
        platform TEXT NOT NULL, thread TEXT NOT NULL, language TEXT NOT NULL, at REAL NOT NULL,
        PRIMARY KEY (platform, thread))
    """,
    """
    CREATE TABLE IF NOT EXISTS seen_event (
        key TEXT PRIMARY KEY, expires REAL NOT NULL)
    """,
    """
    CREATE TABLE IF NOT EXISTS feedback (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, platform TEXT NOT NULL,
        user TEXT NOT NULL, entry_id TEXT, language TEXT NOT NULL, confidence REAL NOT NULL,
        helpful INTEGER NOT NULL, message_ref TEXT NOT NULL DEFAULT '')
    """,
    """
    CREATE TABLE IF NOT EXISTS triage (
        ticket_id TEXT PRIMARY KEY, at REAL NOT NULL, language TEXT NOT NULL, entry_id TEXT,
        confidence REAL NOT NULL, category TEXT NOT NULL, priority TEXT NOT NULL,
        needs_human INTEGER NOT NULL, result TEXT NOT NULL, text TEXT NOT NULL)
    """,
    """
    CREATE TABLE IF NOT EXISTS interaction (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, platform TEXT NOT NULL,
        user TEXT NOT NULL, language TEXT NOT NULL, outcome TEXT NOT NULL, entry_id TEXT,
        confidence REAL NOT NULL, text TEXT NOT NULL)
    """,
    "CREATE INDEX IF NOT EXISTS interaction_at ON interaction (at)",
    "CREATE INDEX IF NOT EXISTS feedback_at ON feedback (at)",
)
SCHEMA_VERSION = 1


class SqliteStore:
    """The embedded store: one SQLite file in WAL mode.

    Args:
        path: the database file (``":memory:"`` for a throwaway one).
        clock: wall-clock seconds, injectable for tests of expiry.

    Raises:
        ConfigError: the file cannot be opened or migrated.
    """

    def __init__(self, path: str, *, clock: Clock = time.time) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=10000")
            self._migrate()
        except sqlite3.Error as exc:
            raise ConfigError(f"cannot open the store at {path}: {exc}", variable="MAILMEDIC_DB") from exc

    def _migrate(self) -> None:
        (version,) = self._db.execute("PRAGMA user_version").fetchone()
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"schema version {version} is newer than this code ({SCHEMA_VERSION})")
        with self._tx() as db:
            for statement in _SCHEMA:
                db.execute(statement)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _one(self, sql: str, *args: Any) -> Any:
        with self._lock:
            row = self._db.execute(sql, args).fetchone()
        return row[0] if row else None

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Read-only rows, for reports."""
        with self._lock:
            return list(self._db.execute(sql, args).fetchall())

    def user_language(self, platform: str, user: str) -> str | None:
        value = self._one("SELECT language FROM user_language WHERE platform=? AND user=?", platform, user)
        return str(value) if value else None

    def set_user_language(self, platform: str, user: str, language: str | None) -> None:
        with self._tx() as db:
            if language is None:
                db.execute("DELETE FROM user_language WHERE platform=? AND user=?", (platform, user))
            else:
                db.execute(
                    "INSERT INTO user_language (platform, user, language) VALUES (?, ?, ?) "
                    "ON CONFLICT (platform, user) DO UPDATE SET language=excluded.language",
                    (platform, user, language),
                )

    def thread_language(self, platform: str, thread: str) -> str | None:
        value = self._one("SELECT language FROM thread_language WHERE platform=? AND thread=?", platform, thread)
        return str(value) if value else None

    def set_thread_language(self, platform: str, thread: str, language: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO thread_language (platform, thread, language, at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (platform, thread) DO NOTHING",
                (platform, thread, language, self._clock()),
            )

    def first_seen(self, key: str, ttl_seconds: float = 3600.0) -> bool:
        now = self._clock()
        with self._tx() as db:
            db.execute("DELETE FROM seen_event WHERE key=? AND expires<=?", (key, now))
            cursor = db.execute(
                "INSERT INTO seen_event (key, expires) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                (key, now + ttl_seconds),
            )
            inserted = cursor.rowcount == 1
            if inserted and int(now) % 64 == 0:
                db.execute("DELETE FROM seen_event WHERE expires<=?", (now,))
        return inserted

    def record_feedback(self, feedback: Feedback) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO feedback (at, platform, user, entry_id, language, confidence, helpful, message_ref) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self._clock(),
                    feedback.platform,
                    feedback.user,
                    feedback.entry_id,
                    feedback.language,
                    feedback.confidence,
                    int(feedback.helpful),
                    feedback.message_ref,
                ),
            )

    def record_triage(self, triage: Triage, text: str) -> bool:
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO triage (ticket_id, at, language, entry_id, confidence, category, priority, "
                "needs_human, result, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (ticket_id) DO NOTHING",
                (
                    triage.id,
                    self._clock(),
                    triage.language,
                    triage.entry_id,
                    triage.confidence,
                    triage.category,
                    triage.priority,
                    int(triage.needs_human),
                    json.dumps(triage.to_json(), ensure_ascii=False),
                    text,
                ),
            )
            return cursor.rowcount == 1

    def record_interaction(
        self,
        *,
        platform: str,
        user: str,
        language: str,
        outcome: str,
        entry_id: str | None,
        confidence: float,
        text: str,
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO interaction (at, platform, user, language, outcome, entry_id, confidence, text) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (self._clock(), platform, user, language, outcome, entry_id, confidence, text[:4000]),
            )

    def ping(self) -> bool:
        try:
            with self._tx() as db:
                db.execute("PRAGMA user_version")
        except sqlite3.Error:
            return False
        return True

    def close(self) -> None:
        with self._lock:
            self._db.close()


class MemoryStore:
    """The store in memory: for tests and a throwaway terminal chat."""

    def __init__(self, *, clock: Clock = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.users: dict[tuple[str, str], str] = {}
        self.threads: dict[tuple[str, str], str] = {}
        self.seen: dict[str, float] = {}
        self.feedback: list[Feedback] = []
        self.triages: dict[str, dict[str, Any]] = {}
        self.interactions: list[dict[str, Any]] = []

    def user_language(self, platform: str, user: str) -> str | None:
        return self.users.get((platform, user))

    def set_user_language(self, platform: str, user: str, language: str | None) -> None:
        with self._lock:
            if language is None:
                self.users.pop((platform, user), None)
            else:
                self.users[(platform, user)] = language

    def thread_language(self, platform: str, thread: str) -> str | None:
        return self.threads.get((platform, thread))

    def set_thread_language(self, platform: str, thread: str, language: str) -> None:
        with self._lock:
            self.threads.setdefault((platform, thread), language)

    def first_seen(self, key: str, ttl_seconds: float = 3600.0) -> bool:
        now = self._clock()
        with self._lock:
            expires = self.seen.get(key)
            if expires is not None and expires > now:
                return False
            self.seen[key] = now + ttl_seconds
            return True

    def record_feedback(self, feedback: Feedback) -> None:
        with self._lock:
            self.feedback.append(feedback)

    def record_triage(self, triage: Triage, text: str) -> bool:
        with self._lock:
            if triage.id in self.triages:
                return False
            self.triages[triage.id] = {**triage.to_json(), "text": text}
            return True

    def record_interaction(
        self,
        *,
        platform: str,
        user: str,
        language: str,
        outcome: str,
        entry_id: str | None,
        confidence: float,
        text: str,
    ) -> None:
        with self._lock:
            self.interactions.append(
                {
                    "at": self._clock(),
                    "platform": platform,
                    "user": user,
                    "language": language,
                    "outcome": outcome,
                    "entry_id": entry_id,
                    "confidence": confidence,
                    "text": text,
                }
            )

    def ping(self) -> bool:
        return True

    def close(self) -> None:
        return None


def open_store(url: str) -> Store:
    """Open the store a setting names: ``:memory:``, a file path, or (later) ``postgresql://``.

    Raises:
        ConfigError: the URL names a backend this build does not have, or the file cannot
            be opened.
    """
    if url.startswith(("postgres://", "postgresql://")):
        raise ConfigError("PostgreSQL support is not installed in this build", variable="MAILMEDIC_DB")
    if url == "memory":
        return MemoryStore()
    return SqliteStore(url)

