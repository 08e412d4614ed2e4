"""What must last across restarts: language choices, seen event ids, feedback, triage records,
and the answers a vote may come back to.

``Store`` is the interface the core and the adapters use. ``SqliteStore`` is the embedded
default (one file, WAL mode); ``MemoryStore`` is the same thing in a dict for tests and the
terminal chat; ``PostgresStore`` (:mod:`bot.postgres_store`, opened by :func:`open_store` for
a ``postgresql://`` URL) is one database that several instances share, on several hosts. The
two database stores run the same statements (:mod:`bot.store_sql`) through the same
operations (:class:`SqlStore`). Nothing here assumes it is the only process (event dedup and
the triage ledger are an ``INSERT`` that either wins or loses, not a read-then-write).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from .errors import ConfigError
from .models import Feedback, PostedAnswer, Triage
from .store_sql import (
    SQL,
    Statements,
    feedback_params,
    interaction_params,
    posted_answer_from_row,
    posted_answer_params,
    triage_params,
)

__all__ = [
    "FeedbackRow",
    "InteractionRow",
    "MemoryStore",
    "ReportSource",
    "SqlStore",
    "SqliteStore",
    "Store",
    "TriageLedger",
    "TriageRow",
    "open_store",
]

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class Store(Protocol):
    """The persistence seam. Every method is safe to call from several threads."""

    def user_language(self, platform: str, user: str) -> str | None: ...

    def set_user_language(self, platform: str, user: str, language: str | None) -> None: ...

    def thread_language(self, platform: str, thread: str) -> str | None: ...

    def set_thread_language(self, platform: str, thread: str, language: str) -> None:
        """The language a conversation is in now: the one last detected in it."""
        ...

    def first_seen(self, key: str, ttl_seconds: float = 3600.0) -> bool:
        """Record ``key``; True the first time, False while an earlier record is alive."""
        ...

    def record_feedback(self, feedback: Feedback) -> None: ...

    def remember_answer(self, platform: str, ref: str, answer: PostedAnswer, ttl_seconds: float) -> None:
        """Keep what the posted message ``ref`` (Slack: ``channel:ts``) answered, for
        ``ttl_seconds``, so that a vote arriving with only the message's id can be recorded."""
        ...

    def posted_answer(self, platform: str, ref: str) -> PostedAnswer | None:
        """What :meth:`remember_answer` kept for ``ref``; None if nothing, or it expired."""
        ...

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

    def last_interaction(self, platform: str, user: str, within_seconds: float) -> tuple[str, str | None] | None:
        """``(outcome, entry_id)`` of the person's latest handled message in the last
        ``within_seconds``, or None."""
        ...

    def ping(self) -> bool:
        """True when the store can be written to."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class TriageLedger(Protocol):
    """What the webhook needs beyond :class:`Store` to acknowledge tickets safely.

    The built-in stores implement it; a store that does not gets one ``record_triage`` call
    per ticket instead.
    """

    def record_triages(self, items: Sequence[tuple[Triage, str]]) -> list[bool]:
        """Store several triages in one transaction.

        Returns:
            For each item, True if it was written, False if its ticket id was stored already.
            When this returns, every item is committed (or was committed before).
        """
        ...

    def triage_result(self, ticket_id: str) -> dict[str, Any] | None:
        """The stored triage of a ticket (its ``Triage.to_json()``), or None."""
        ...


@dataclass(frozen=True, slots=True)
class InteractionRow:
    """One handled chat message, as a report reads it."""

    at: float
    platform: str
    language: str
    outcome: str
    entry_id: str | None
    confidence: float
    text: str

    @classmethod
    def from_sql(cls, r: tuple[Any, ...]) -> InteractionRow:
        """A row of ``Statements.interactions_between``."""
        return cls(float(r[0]), r[1], r[2], r[3], r[4], float(r[5]), r[6])


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    """One 👍/👎 with the message it was about, when that message is known.

    ``text`` is the latest interaction of the same person on the same platform, with the same
    entry, at or before the vote (feedback records carry no message text of their own).
    """

    at: float
    platform: str
    entry_id: str | None
    language: str
    helpful: bool
    text: str | None

    @classmethod
    def from_sql(cls, r: tuple[Any, ...]) -> FeedbackRow:
        """A row of ``Statements.feedback_between``."""
        return cls(float(r[0]), r[1], r[2], r[3], bool(r[4]), r[5])


@dataclass(frozen=True, slots=True)
class TriageRow:
    """One triaged ticket, as a report reads it."""

    at: float
    ticket_id: str
    language: str
    entry_id: str | None
    category: str
    priority: str
    needs_human: bool
    text: str

    @classmethod
    def from_sql(cls, r: tuple[Any, ...]) -> TriageRow:
        """A row of ``Statements.triages_between``."""
        return cls(float(r[0]), r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7])


@runtime_checkable
class ReportSource(Protocol):
    """Read-only access to a period of records, for ``mailmedic report``.

    Periods are half-open: ``since <= at < until``, in Unix seconds. Rows come oldest first.
    """

    def interactions_between(self, since: float, until: float) -> list[InteractionRow]: ...

    def feedback_between(self, since: float, until: float) -> list[FeedbackRow]: ...

    def triages_between(self, since: float, until: float) -> list[TriageRow]: ...


_V1: tuple[str, ...] = (
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

_V2: tuple[str, ...] = (
    # reports: triages by period, and the message a 👍/👎 was about (latest interaction of
    # the same person on the same platform before the vote)
    "CREATE INDEX IF NOT EXISTS triage_at ON triage (at)",
    "CREATE INDEX IF NOT EXISTS interaction_user ON interaction (platform, user, at)",
)

_V3: tuple[str, ...] = (
    # the answers the bot posted, so that an emoji reaction (which names only the message)
    # can be recorded as feedback on the right entry, after a restart and on any instance
    """
    CREATE TABLE IF NOT EXISTS posted_answer (
        platform TEXT NOT NULL, ref TEXT NOT NULL, entry_id TEXT, language TEXT NOT NULL,
        confidence REAL NOT NULL, thread TEXT, expires REAL NOT NULL,
        PRIMARY KEY (platform, ref))
    """,
    "CREATE INDEX IF NOT EXISTS posted_answer_expires ON posted_answer (expires)",
)

_MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3)
"""Schema versions in order: ``_MIGRATIONS[n - 1]`` brings a version ``n - 1`` file to ``n``.

Append a tuple to change the schema (and the same step to ``bot.postgres_store``'s list);
never edit one that has shipped. The file's version is SQLite's ``PRAGMA user_version``.
"""
SCHEMA_VERSION = len(_MIGRATIONS)


class SqlStore:
    """What the two database stores share: every operation is one of :mod:`bot.store_sql`'s
    statements, run the same way; only connecting, locking and migrating differ.

    A subclass sets ``_sql`` (the statements in its placeholder style) and ``_clock``, and
    gives ``_tx()`` (one transaction; what it yields has ``execute(sql, params)`` returning a
    cursor with ``rowcount``) and ``query()``; ``_clean()`` may adapt parameters the
    database cannot take as they are.
    """

    _sql: Statements = SQL
    _clock: Clock

    def _tx(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Read-only rows, for reports."""
        raise NotImplementedError

    def _clean(self, params: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(params)

    def _one(self, sql: str, *args: Any) -> Any:
        rows = self.query(sql, *args)
        return rows[0][0] if rows else None

    def user_language(self, platform: str, user: str) -> str | None:
        value = self._one(self._sql.user_language, platform, user)
        return str(value) if value else None

    def set_user_language(self, platform: str, user: str, language: str | None) -> None:
        with self._tx() as db:
            if language is None:
                db.execute(self._sql.forget_user_language, self._clean((platform, user)))
            else:
                db.execute(self._sql.set_user_language, self._clean((platform, user, language)))

    def thread_language(self, platform: str, thread: str) -> str | None:
        value = self._one(self._sql.thread_language, platform, thread)
        return str(value) if value else None

    def set_thread_language(self, platform: str, thread: str, language: str) -> None:
        with self._tx() as db:
            db.execute(self._sql.set_thread_language, self._clean((platform, thread, language, self._clock())))

    def first_seen(self, key: str, ttl_seconds: float = 3600.0) -> bool:
        now = self._clock()
        with self._tx() as db:
            db.execute(self._sql.forget_expired_key, self._clean((key, now)))
            inserted = bool(db.execute(self._sql.insert_seen, self._clean((key, now + ttl_seconds))).rowcount == 1)
            if inserted and int(now) % 64 == 0:
                db.execute(self._sql.forget_expired, (now,))
        return inserted

    def record_feedback(self, feedback: Feedback) -> None:
        with self._tx() as db:
            db.execute(self._sql.insert_feedback, self._clean(feedback_params(feedback, self._clock())))

    def remember_answer(self, platform: str, ref: str, answer: PostedAnswer, ttl_seconds: float) -> None:
        now = self._clock()
        params = posted_answer_params(platform, ref, answer, now + ttl_seconds)
        with self._tx() as db:
            db.execute(self._sql.remember_answer, self._clean(params))
            if int(now) % 64 == 0:
                db.execute(self._sql.forget_expired_answers, (now,))

    def posted_answer(self, platform: str, ref: str) -> PostedAnswer | None:
        rows = self.query(self._sql.posted_answer, platform, ref, self._clock())
        return posted_answer_from_row(rows[0] if rows else None)

    def record_triage(self, triage: Triage, text: str) -> bool:
        return self.record_triages([(triage, text)])[0]

    def record_triages(self, items: Sequence[tuple[Triage, str]]) -> list[bool]:
        # Inserted in ticket-id order (stable, so the first of two equal ids wins): two
        # instances writing overlapping batches then wait on each other's ids in the same
        # order and never deadlock. The answers keep the order of ``items``.
        order = sorted(range(len(items)), key=lambda i: items[i][0].id)
        written = [False] * len(items)
        now = self._clock()
        with self._tx() as db:
            for i in order:
                triage, text = items[i]
                params = self._clean(triage_params(triage, text, now))
                written[i] = db.execute(self._sql.insert_triage, params).rowcount == 1
        return written

    def triage_result(self, ticket_id: str) -> dict[str, Any] | None:
        value = self._one(self._sql.triage_result, ticket_id)
        if value is None:
            return None
        result: dict[str, Any] = json.loads(value)
        return result

    def last_interaction(self, platform: str, user: str, within_seconds: float) -> tuple[str, str | None] | None:
        rows = self.query(self._sql.last_interaction, platform, user, self._clock() - within_seconds)
        if not rows:
            return None
        outcome, entry_id = rows[0]
        return str(outcome), (str(entry_id) if entry_id is not None else None)

    def interactions_between(self, since: float, until: float) -> list[InteractionRow]:
        rows = self.query(self._sql.interactions_between, float(since), float(until))
        return [InteractionRow.from_sql(r) for r in rows]

    def feedback_between(self, since: float, until: float) -> list[FeedbackRow]:
        rows = self.query(self._sql.feedback_between, float(since), float(until))
        return [FeedbackRow.from_sql(r) for r in rows]

    def triages_between(self, since: float, until: float) -> list[TriageRow]:
        rows = self.query(self._sql.triages_between, float(since), float(until))
        return [TriageRow.from_sql(r) for r in rows]

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
        params = interaction_params(
            at=self._clock(),
            platform=platform,
            user=user,
            language=language,
            outcome=outcome,
            entry_id=entry_id,
            confidence=confidence,
            text=text,
        )
        with self._tx() as db:
            db.execute(self._sql.insert_interaction, self._clean(params))


class SqliteStore(SqlStore):
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
            self._wal()
            # FULL: a commit is on disk before it returns, so what the webhook acknowledged
            # survives a power cut too, not only a killed process (about 0.15 ms a commit here).
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=10000")
            self._migrate()
        except sqlite3.Error as exc:
            raise ConfigError(f"cannot open the store at {path}: {exc}", variable="MAILMEDIC_DB") from exc

    def _wal(self, *, deadline: float = 10.0) -> None:
        """Switch the file to WAL mode.

        Switching needs the file to itself, and SQLite answers "database is locked" at once
        (its busy handler does not wait here) while another process is doing the same: so
        retry, briefly, until the deadline.

        Raises:
            sqlite3.OperationalError: still locked after ``deadline`` seconds.
        """
        give_up = time.monotonic() + deadline
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > give_up:
                    raise
                time.sleep(0.02)

    def _migrate(self) -> None:
        """Bring the file to :data:`SCHEMA_VERSION`, one version per step.

        The version is read inside the write transaction, so two processes starting on the
        same file at once apply each step once: the second waits, then finds nothing to do.

        Raises:
            sqlite3.DatabaseError: the file was written by a newer version of this code.
        """
        with self._tx() as db:
            (version,) = db.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"schema version {version} is newer than this code ({SCHEMA_VERSION})")
            for step in range(version, SCHEMA_VERSION):
                for statement in _MIGRATIONS[step]:
                    db.execute(statement)
                log.info("store %s migrated to schema version %d", self.path, step + 1)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @property
    def schema_version(self) -> int:
        """The schema version of the open file."""
        return int(self._one("PRAGMA user_version"))

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

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Read-only rows, for reports."""
        with self._lock:
            return list(self._db.execute(sql, args).fetchall())

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
        self._feedback_at: list[float] = []
        self.answers: dict[tuple[str, str], tuple[float, PostedAnswer]] = {}
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
            self.threads[(platform, thread)] = language

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
            self._feedback_at.append(self._clock())

    def remember_answer(self, platform: str, ref: str, answer: PostedAnswer, ttl_seconds: float) -> None:
        with self._lock:
            self.answers[(platform, ref)] = (self._clock() + ttl_seconds, answer)

    def posted_answer(self, platform: str, ref: str) -> PostedAnswer | None:
        hit = self.answers.get((platform, ref))
        if hit is None or hit[0] <= self._clock():
            return None
        return hit[1]

    def record_triage(self, triage: Triage, text: str) -> bool:
        with self._lock:
            return self._insert_triage(triage, text)

    def _insert_triage(self, triage: Triage, text: str) -> bool:
        if triage.id in self.triages:
            return False
        self.triages[triage.id] = {**triage.to_json(), "text": text, "at": self._clock()}
        return True

    def record_triages(self, items: Sequence[tuple[Triage, str]]) -> list[bool]:
        with self._lock:
            return [self._insert_triage(triage, text) for triage, text in items]

    def triage_result(self, ticket_id: str) -> dict[str, Any] | None:
        with self._lock:
            stored = self.triages.get(ticket_id)
        if stored is None:
            return None
        return {key: value for key, value in stored.items() if key not in ("text", "at")}

    def last_interaction(self, platform: str, user: str, within_seconds: float) -> tuple[str, str | None] | None:
        since = self._clock() - within_seconds
        with self._lock:
            for i in reversed(self.interactions):
                if i["platform"] == platform and i["user"] == user and i["at"] >= since:
                    return str(i["outcome"]), i["entry_id"]
        return None

    def interactions_between(self, since: float, until: float) -> list[InteractionRow]:
        with self._lock:
            rows = [dict(i) for i in self.interactions if since <= i["at"] < until]
        return [
            InteractionRow(
                r["at"], r["platform"], r["language"], r["outcome"], r["entry_id"], r["confidence"], r["text"]
            )
            for r in rows
        ]

    def feedback_between(self, since: float, until: float) -> list[FeedbackRow]:
        with self._lock:
            votes = [(at, f) for at, f in zip(self._feedback_at, self.feedback, strict=True) if since <= at < until]
            interactions = list(self.interactions)
        out: list[FeedbackRow] = []
        for at, f in votes:
            text: str | None = None
            for i in reversed(interactions):
                same = i["platform"] == f.platform and i["user"] == f.user and i["entry_id"] == f.entry_id
                if same and i["at"] <= at:
                    text = i["text"]
                    break
            out.append(FeedbackRow(at, f.platform, f.entry_id, f.language, f.helpful, text))
        return out

    def triages_between(self, since: float, until: float) -> list[TriageRow]:
        with self._lock:
            stored = [dict(t) for t in self.triages.values() if since <= t["at"] < until]
        return [
            TriageRow(
                t["at"], t["id"], t["language"], t["entry"], t["category"], t["priority"], t["needs_human"], t["text"]
            )
            for t in sorted(stored, key=lambda t: (t["at"], t["id"]))
        ]

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
    """Open the store a setting names: ``memory``, a SQLite file path (or ``:memory:``), or a
    PostgreSQL URL (``postgresql://user:password@host/db`` or ``postgres://...``) that several
    instances share.

    psycopg is imported only here, and only for a PostgreSQL URL.

    Raises:
        ConfigError: the file or the database cannot be opened, the schema is newer than this
            code, or a PostgreSQL URL is given but the ``postgres`` extra is not installed. It
            names ``MAILMEDIC_DB`` and never shows the URL's password.
    """
    if url.startswith(("postgres://", "postgresql://")):
        try:
            from .postgres_store import PostgresStore
        except ImportError as exc:
            raise ConfigError(
                f"PostgreSQL needs psycopg ({exc.name} is missing): pip install 'mailmedic[postgres]'",
                variable="MAILMEDIC_DB",
            ) from None
        return PostgresStore(url)
    if url == "memory":
        return MemoryStore()
    return SqliteStore(url)
