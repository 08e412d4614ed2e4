"""Shared fixtures: a clean environment for every test, and one loaded knowledge base."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from bot import SupportBot, load_knowledge
from bot.knowledge import Knowledge
from bot.store import MemoryStore

_KEEP = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "PYTHONPATH", "VIRTUAL_ENV", "SSL_CERT_FILE"}


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
