"""Crash safety: SIGKILL the real service mid-stream; every 2xx ticket survives, none twice.

The service runs as its own process (``python -m adapters.runner``, the Procfile's code
path) with a SQLite file in a temp directory. Four client threads stream single-ticket
requests; the test kills the process with SIGKILL while requests are in flight, starts it
again on the same file, and re-sends every ticket, acknowledged or not, as a helpdesk retry
would.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "crash-test-token"
BODIES = (
    "554 5.7.1 <a@example.org>: Relay access denied",
    "Bonjour, je ne peux plus envoyer : 550 5.7.1 Unable to relay",
    "Wie lauten die IMAP-Einstellungen für mein Postfach?",
    "Dobrý den, zpráva se vrátila: 550 5.1.1 User unknown",
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _service(db: Path, log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "MAILMEDIC_DB": str(db),
        "MAILMEDIC_API_TOKEN": TOKEN,
        "PORT": str(port),
        "BOT_HOST": "127.0.0.1",
        "BOT_LOG_LEVEL": "WARNING",
    }
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "adapters.runner"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the service exited with {process.returncode}: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the service did not become ready")
            time.sleep(0.05)
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def test_sigkill_mid_stream_loses_no_acknowledged_ticket(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    log = tmp_path / "service.log"
    acknowledged: set[str] = set()
    attempted: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def stream(worker: int, url: str) -> None:
        """Send tickets one by one, with a list of three every fourth request."""
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=url, timeout=5.0, headers=headers) as client:
            for n in range(10_000):
                if stop.is_set():
                    return
                size = 3 if n % 4 == 3 else 1
                ids = [f"w{worker}-{n:05d}-{k}" for k in range(size)]
                with lock:
                    attempted.extend(ids)
                tickets = [
                    {"id": i, "subject": "help", "body": BODIES[(n + k) % len(BODIES)]} for k, i in enumerate(ids)
                ]
                try:
                    response = client.post("/v1/triage", json=tickets if size > 1 else tickets[0])
                except httpx.TransportError:
                    return  # the server died under this request: not acknowledged
                if 200 <= response.status_code < 300:
                    results = response.json() if size > 1 else [response.json()]
                    assert [r["id"] for r in results] == ids
                    with lock:
                        acknowledged.update(ids)

    with _service(db, log) as (process, url):
        workers = [threading.Thread(target=stream, args=(w, url)) for w in range(4)]
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + 20
        while len(acknowledged) < 60 and time.monotonic() < deadline:
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        stop.set()
        for worker in workers:
            worker.join(10)

    assert process.returncode == -signal.SIGKILL
    assert len(acknowledged) >= 60, log.read_text()[-2000:]

    with _service(db, log) as (process, url):
        with httpx.Client(base_url=url, timeout=10.0, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            retried = {}
            for start in range(0, len(attempted), 100):
                chunk = attempted[start : start + 100]
                response = client.post(
                    "/v1/triage", json=[{"id": i, "subject": "help", "body": "retry"} for i in chunk]
                )
                assert response.status_code == 200, response.text
                retried.update({r["id"]: r for r in response.json()})
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0  # a graceful stop

    # every acknowledged ticket was stored before the kill: the retry finds it there
    for ticket_id in acknowledged:
        assert retried[ticket_id]["duplicate"] is True, ticket_id
    with sqlite3.connect(db) as conn:
        rows = dict(conn.execute("SELECT ticket_id, COUNT(*) FROM triage GROUP BY ticket_id").fetchall())
        texts = dict(conn.execute("SELECT ticket_id, text FROM triage").fetchall())
    conn.close()
    assert set(rows) == set(attempted)
    assert set(rows.values()) == {1}
    # the stored text of an acknowledged ticket is the original, not the retry's
    assert all("retry" not in texts[ticket_id] for ticket_id in acknowledged)
