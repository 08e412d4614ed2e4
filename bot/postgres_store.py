"""The PostgreSQL store: one database that several service instances share.

``MAILMEDIC_DB=postgresql://user:pass@host/db`` (or ``postgres://``) makes
:func:`bot.store.open_store` return a :class:`PostgresStore`. It behaves as ``SqliteStore`` does
and runs the same statements (:mod:`bot.store_sql`); what differs is how it connects (a pool of
psycopg connections, shared by the threads and the event loop of one process), how several
processes agree (row locks and unique keys, not a file lock) and how the schema is versioned
(a one-row table, not ``PRAGMA user_version``).

psycopg is imported by this module only, and this module only when such a URL is opened, so
the default install (``pip install mailmedic``, without the ``postgres`` extra) and the cold
start do not pay for it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool

from .config import redact_url, url_secrets
from .errors import ConfigError
from .store import Clock, SqlStore
from .store_sql import SQL

__all__ = ["SCHEMA_VERSION", "PostgresStore"]

log = logging.getLogger(__name__)

_V1: tuple[str, ...] = (
    """
    CREATE TABLE IF NOT EXISTS user_language (
        platform TEXT NOT NULL, "user" TEXT NOT NULL, language TEXT NOT NULL,
        PRIMARY KEY (platform, "user"))
    """,
    """
    CREATE TABLE IF NOT EXISTS thread_language (
        platform TEXT NOT NULL, thread TEXT NOT NULL, language TEXT NOT NULL,
        at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (platform, thread))
    """,
    """
    CREATE TABLE IF NOT EXISTS seen_event (
        key TEXT PRIMARY KEY, expires DOUBLE PRECISION NOT NULL)
    """,
    """
    CREATE TABLE IF NOT EXISTS feedback (
        id BIGSERIAL PRIMARY KEY, at DOUBLE PRECISION NOT NULL, platform TEXT NOT NULL,
        "user" TEXT NOT NULL, entry_id TEXT, language TEXT NOT NULL,
        confidence DOUBLE PRECISION NOT NULL, helpful BOOLEAN NOT NULL,
        message_ref TEXT NOT NULL DEFAULT '')
    """,
    # ticket ids compare byte by byte ("C"), as in SQLite, whatever the database's collation
    """
    CREATE TABLE IF NOT EXISTS triage (
        ticket_id TEXT COLLATE "C" PRIMARY KEY, at DOUBLE PRECISION NOT NULL,
        language TEXT NOT NULL, entry_id TEXT, confidence DOUBLE PRECISION NOT NULL,
        category TEXT NOT NULL, priority TEXT NOT NULL, needs_human BOOLEAN NOT NULL,
        result TEXT NOT NULL, text TEXT NOT NULL)
    """,
    """
    CREATE TABLE IF NOT EXISTS interaction (
        id BIGSERIAL PRIMARY KEY, at DOUBLE PRECISION NOT NULL, platform TEXT NOT NULL,
        "user" TEXT NOT NULL, language TEXT NOT NULL, outcome TEXT NOT NULL, entry_id TEXT,
        confidence DOUBLE PRECISION NOT NULL, text TEXT NOT NULL)
    """,
    "CREATE INDEX IF NOT EXISTS interaction_at ON interaction (at)",
    "CREATE INDEX IF NOT EXISTS feedback_at ON feedback (at)",
)

_V2: tuple[str, ...] = (
    "CREATE INDEX IF NOT EXISTS triage_at ON triage (at)",
    'CREATE INDEX IF NOT EXISTS interaction_user ON interaction (platform, "user", at)',
)

_V3: tuple[str, ...] = (
    """
    CREATE TABLE IF NOT EXISTS posted_answer (
        platform TEXT NOT NULL, ref TEXT COLLATE "C" NOT NULL, entry_id TEXT,
        language TEXT NOT NULL, confidence DOUBLE PRECISION NOT NULL, thread TEXT,
        expires DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (platform, ref))
    """,
    "CREATE INDEX IF NOT EXISTS posted_answer_expires ON posted_answer (expires)",
)

_MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3)
"""Schema versions in order, step for step the same as SQLite's in ``bot.store``.

Append a tuple to change the schema (and one to SQLite's); never edit one that has shipped.
The database's version is the one row of ``schema_version``.
"""
SCHEMA_VERSION = len(_MIGRATIONS)

_VERSION_TABLE = """
    CREATE TABLE IF NOT EXISTS schema_version (
        only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row), version INTEGER NOT NULL)
"""

_MIGRATION_LOCK = 0x6D61696C6D656469  # "mailmedi": the advisory lock migrations take

_PG = replace(
    SQL.in_pyformat(),
    # another instance's first_seen may hold some of the expired rows: skip them rather
    # than wait (two sweeps that waited on each other's rows would deadlock)
    forget_expired=(
        "DELETE FROM seen_event WHERE key IN "
        "(SELECT key FROM seen_event WHERE expires<=%s FOR UPDATE SKIP LOCKED)"
    ),
)

_DEFAULTS = {"connect_timeout": "10", "application_name": "mailmedic"}


class PostgresStore(SqlStore):
    """The shared store: a PostgreSQL database, through a pool of connections.

    Every write is one transaction, committed before the method returns, so whatever a
    caller acknowledged is in the database (as durable as the server's ``synchronous_commit``
    makes it: ``on`` by default). Several instances may share the database: ticket ids and
    seen events are unique keys that one ``INSERT ... ON CONFLICT DO NOTHING`` wins, and the
    schema is migrated under an advisory lock, so instances starting together migrate once.
    Times come from ``clock`` (the instances' clocks should agree, as NTP makes them).

    Args:
        url: a libpq URL, ``postgresql://user:password@host:port/database?sslmode=...``.
        clock: wall-clock seconds, injectable for tests of expiry.
        max_connections: the pool's size; a caller beyond it waits for a free connection.

    Raises:
        ConfigError: the database cannot be reached or logged into, or its schema is newer
            than this code. The message names the URL without its password.
    """

    _sql = _PG

    def __init__(self, url: str, *, clock: Clock = time.time, max_connections: int = 10) -> None:
        self.url = redact_url(url)
        self._clock = clock
        try:
            given = conninfo_to_dict(url)
            conninfo = make_conninfo(url, **{k: v for k, v in _DEFAULTS.items() if k not in given})
            with psycopg.connect(conninfo, autocommit=True) as conn:
                self._migrate(conn)
            self._pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]] = ConnectionPool(
                conninfo,
                min_size=1,
                max_size=max_connections,
                kwargs={"autocommit": True},
                check=ConnectionPool.check_connection,
                name="mailmedic-store",
                open=False,
            )
            try:
                self._pool.open(wait=True, timeout=_seconds(given.get("connect_timeout")))
            except BaseException:
                self._pool.close()
                raise
        except psycopg.Error as exc:
            # not "from exc": psycopg's message and its chain are shown only once scrubbed
            raise ConfigError(
                f"cannot open the store at {self.url} (MAILMEDIC_DB): {_scrubbed(str(exc), url)}",
                variable="MAILMEDIC_DB",
            ) from None

    def _migrate(self, conn: psycopg.Connection[tuple[Any, ...]]) -> None:
        """Bring the database to :data:`SCHEMA_VERSION`, one version per step, in one transaction.

        The transaction first takes an advisory lock, so of several instances starting at once
        one migrates and the others wait, then find nothing to do.

        Raises:
            ConfigError: the database was written by a newer version of this code.
            psycopg.Error: the database refused a statement.
        """
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            # no DDL when there is nothing to do: a database that is up to date opens read-only too
            if conn.execute("SELECT to_regclass('schema_version')").fetchone() == (None,):
                conn.execute(_VERSION_TABLE)
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise ConfigError(
                    f"the store at {self.url} (MAILMEDIC_DB) has schema version {version}, "
                    f"newer than this code ({SCHEMA_VERSION})",
                    variable="MAILMEDIC_DB",
                )
            for step in range(version, SCHEMA_VERSION):
                for statement in _MIGRATIONS[step]:
                    conn.execute(statement)
                log.info("store %s migrated to schema version %d", self.url, step + 1)
            if version != SCHEMA_VERSION:
                conn.execute(
                    "INSERT INTO schema_version (only_row, version) VALUES (TRUE, %s) "
                    "ON CONFLICT (only_row) DO UPDATE SET version=excluded.version",
                    (SCHEMA_VERSION,),
                )

    @property
    def schema_version(self) -> int:
        """The schema version of the database."""
        return int(self._one("SELECT version FROM schema_version"))

    @contextmanager
    def _tx(self) -> Iterator[psycopg.Cursor[tuple[Any, ...]]]:
        """One transaction on a pooled connection: committed when the block ends, rolled back
        if it raises."""
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            yield cursor

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Read-only rows, for reports and tests (``%s`` placeholders)."""
        with self._pool.connection() as conn:
            return conn.execute(sql, _text_safe(args)).fetchall()

    def _clean(self, params: Sequence[Any]) -> tuple[Any, ...]:
        return _text_safe(params)

    def ping(self) -> bool:
        """True when the database answers within 5 seconds and takes writes (a standby
        that a failover left behind does not)."""
        try:
            with self._pool.connection(timeout=5.0) as conn:
                row = conn.execute("SHOW transaction_read_only").fetchone()
        except psycopg.Error:
            return False
        return row is not None and row[0] == "off"

    def close(self) -> None:
        self._pool.close()


def _seconds(connect_timeout: object) -> float:
    """How long to wait for the pool's first connection: the URL's ``connect_timeout`` (libpq
    reads 0 or nothing as "forever"; here that is 10 seconds)."""
    try:
        return float(str(connect_timeout)) or 10.0
    except ValueError:
        return 10.0


def _text_safe(params: Sequence[Any]) -> tuple[Any, ...]:
    """``params`` with NUL characters in strings replaced by U+FFFD.

    A ticket body may carry one (JSON ``"\\u0000"``) and SQLite keeps it, but a PostgreSQL
    ``TEXT`` cannot: refusing the ticket would make the helpdesk retry it forever.
    """
    return tuple(p.replace("\x00", "\ufffd") if isinstance(p, str) and "\x00" in p else p for p in params)


def _scrubbed(message: str, url: str) -> str:
    """``message`` without any password ``url`` carries (libpq does not show it, but a
    malformed URL is echoed back in parts)."""
    for secret in url_secrets(url):
        message = message.replace(secret, "***")
    return message.strip()
