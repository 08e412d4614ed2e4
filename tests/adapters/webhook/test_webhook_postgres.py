"""Two webhook services on one PostgreSQL database: the helpdesk may reach either.

Each service is a real SupportBot with its own ``PostgresStore`` (as two instances on two
hosts would have), served on loopback; the database is a new one on the tests' PostgreSQL
server (skipped where PostgreSQL is not installed).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from bot.config import Settings
from bot.service import SupportBot

from .conftest import TOKEN, serving

pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[test]')")

from bot.postgres_store import PostgresStore  # noqa: E402  (needs psycopg)

RELAY = "Bonjour, je n'arrive plus à envoyer: 554 5.7.1 <x@example.org>: Relay access denied"


@pytest.fixture
def two_services(pg_url: str) -> Iterator[list[str]]:
    with ExitStack() as stack:
        urls = []
        for _ in range(2):
            settings = Settings(api_token=TOKEN, db=pg_url)
            store = PostgresStore(settings.db)
            stack.callback(store.close)
            urls.append(stack.enter_context(serving(SupportBot(settings=settings, store=store), settings)))
        yield urls


def test_a_batch_sent_to_two_instances_at_once_is_stored_once(two_services: list[str], pg_url: str) -> None:
    batch = [{"id": f"PG-{n}", "body": RELAY} for n in range(20)]
    gate = threading.Barrier(4)
    answers: list[list[dict[str, Any]]] = []
    lock = threading.Lock()

    def post(url: str) -> None:
        with httpx.Client(base_url=url, timeout=30.0) as client:
            gate.wait()
            response = client.post("/v1/triage", json=batch, headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200, response.text
        with lock:
            answers.append(response.json())

    threads = [threading.Thread(target=post, args=(two_services[n % 2],)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert len(answers) == 4
    fresh = Counter(a["id"] for answer in answers for a in answer if not a["duplicate"])
    assert fresh == {t["id"]: 1 for t in batch}  # one instance stored each; the others said duplicate
    assert all(a["entry"] == "relay-denied" for answer in answers for a in answer)
    store = PostgresStore(pg_url)
    try:
        assert store.query("SELECT COUNT(*) FROM triage") == [(20,)]
    finally:
        store.close()


def test_readiness_reports_the_shared_store(two_services: list[str]) -> None:
    for url in two_services:
        with httpx.Client(base_url=url, timeout=10.0) as client:
            response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json()["store"] == "ok"
