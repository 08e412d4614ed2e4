"""Shared fixtures: a clean environment for every test, one loaded knowledge base, and a
PostgreSQL server on loopback for the tests of the shared store."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

from bot import SupportBot, load_knowledge
from bot.knowledge import Knowledge
from bot.store import MemoryStore

from . import postgres_server
from .postgres_server import PostgresServer

log = logging.getLogger(__name__)

_KEEP = {
    "PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "PYTHONPATH", "VIRTUAL_ENV", "SSL_CERT_FILE",
    "MAILMEDIC_CACHE_DIR",
}

# the matcher's index is cached on disk: in a directory of this run's own, never the user's
_INDEX_CACHE = tempfile.mkdtemp(prefix="mailmedic-index-")
os.environ["MAILMEDIC_CACHE_DIR"] = _INDEX_CACHE
atexit.register(shutil.rmtree, _INDEX_CACHE, ignore_errors=True)


@pytest.fixture(autouse=True)
def clean_environ() -> Iterator[None]:
    """No test sees the developer's tokens or settings; each restores the environment."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name not in _KEEP:
            del os.environ[name]
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load_knowledge()


@pytest.fixture
def bot(knowledge: Knowledge) -> SupportBot:
    return SupportBot(knowledge, store=MemoryStore())


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One server for the whole run, stopped at the end whatever happened; its tests are
    skipped where PostgreSQL (or psycopg) is not installed."""
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[test]')")
    try:
        server = postgres_server.start()
    except postgres_server.ServerUnavailableError as exc:
        pytest.skip(str(exc))
    log.info("postgres on 127.0.0.1:%d started in %.2f s", server.port, server.started_in)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    """The URL of a new, empty database of that server, with the role's password in it."""
    return postgres.url(postgres.create_database())
