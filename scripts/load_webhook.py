#!/usr/bin/env python3
"""Load the webhook: N tickets over C concurrent connections to a service this script starts.

    python scripts/load_webhook.py [--tickets 2000] [--concurrency 20] [--batch 1] [--postgres]

It starts ``python -m adapters.runner`` on a free loopback port with a fresh SQLite file in a
temporary directory, or with ``--postgres`` a throwaway PostgreSQL server on loopback (the
tests' ``tests/postgres_server.py``; needs ``initdb`` and the ``postgres`` extra); every
ticket is committed before it is acknowledged, as in production. It then waits for
``/readyz``, sends the tickets with httpx over ``--concurrency`` keep-alive
connections, then stops the service with SIGTERM. It prints throughput, latency percentiles
per request and the error count, and checks that the store holds every ticket once.

Traffic goes to 127.0.0.1 only; the run is bounded by the ticket count.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "load-test-token"
TEXTS = (
    ("Mail bounced", "554 5.7.1 <anna@example.org>: Relay access denied"),
    ("Nelze odeslat", "Dobrý den, nemůžu odeslat e-mail, server píše 550 5.7.1 Unable to relay. Co s tím?"),
    (
        "Unzustellbar",
        "Hallo, meine Mail kam zurück: 550 5.1.1 <max@beispiel.de>: Recipient address rejected: User unknown",
    ),
    ("Message non distribué", "Bonjour, j'ai reçu : 552 5.2.2 Mailbox full, la boîte du destinataire est pleine ?"),
    ("Configuración", "Hola, ¿cuáles son los parámetros IMAP para configurar mi correo en el móvil?"),
    ("Outlook", "Which port should I use for SMTP with SSL in Outlook? It keeps asking for my password."),
    ("URGENT", "Our whole office cannot send email since this morning!!! 535 5.7.8 authentication failed"),
    ("Question", "Hello, do you also sell domain names and web hosting for a small shop?"),
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(db: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "MAILMEDIC_DB": str(db),
        "MAILMEDIC_API_TOKEN": TOKEN,
        "PORT": str(port),
        "BOT_HOST": "127.0.0.1",
        "BOT_LOG_LEVEL": "WARNING",
    }
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "adapters.runner"], cwd=ROOT, env=env, stdout=out, stderr=out)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the service exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise SystemExit("the service did not become ready in 30 s")


async def _load(url: str, tickets: int, concurrency: int, batch: int) -> tuple[list[float], int, float]:
    queue: asyncio.Queue[list[dict[str, str]]] = asyncio.Queue()
    run = int(time.time())
    for start in range(0, tickets, batch):
        queue.put_nowait(
            [
                {"id": f"load-{run}-{n}", "subject": TEXTS[n % len(TEXTS)][0], "body": TEXTS[n % len(TEXTS)][1]}
                for n in range(start, min(start + batch, tickets))
            ]
        )
    latencies: list[float] = []
    errors = 0
    headers = {"Authorization": f"Bearer {TOKEN}"}

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        while True:
            try:
                chunk = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            payload: object = chunk if batch > 1 else chunk[0]
            started = time.perf_counter()
            try:
                async with session.post(f"{url}/v1/triage", json=payload) as response:
                    await response.read()
                    ok = response.status == 200
            except aiohttp.ClientError:
                ok = False
            latencies.append(time.perf_counter() - started)
            errors += 0 if ok else 1

    # aiohttp rather than httpx here: it costs the client about a fifth of the CPU per
    # request, and client and service share this machine's cores.
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, headers=headers, timeout=timeout) as session:
        async with session.get(f"{url}/healthz") as warm:
            await warm.read()
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, errors, elapsed


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux), to report the service's cost per request."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--batch", type=int, default=1, help="tickets per request (1..100)")
    parser.add_argument("--postgres", action="store_true", help="store in a throwaway PostgreSQL server, not SQLite")
    args = parser.parse_args()
    if not 1 <= args.batch <= 100 or args.tickets < 1 or args.concurrency < 1:
        parser.error("--tickets and --concurrency must be positive, --batch 1..100")

    server = None
    if args.postgres:
        sys.path.insert(0, str(ROOT / "tests"))
        import postgres_server

        server = postgres_server.start()
    try:
        return _run(args, server)
    finally:
        if server is not None:
            server.stop()


def _count(db: str) -> tuple[int, int]:
    """Rows and distinct ticket ids in the store's triage table."""
    query = "SELECT COUNT(*), COUNT(DISTINCT ticket_id) FROM triage"
    if db.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(db) as pg:
            row = pg.execute(query).fetchone()
    else:
        with contextlib.closing(sqlite3.connect(db)) as conn:
            row = conn.execute(query).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def _run(args: argparse.Namespace, server: Any) -> int:
    with tempfile.TemporaryDirectory(prefix="mailmedic-load-") as tmp:
        db = server.url(server.create_database()) if server is not None else str(Path(tmp) / "load.db")
        log = Path(tmp) / "service.log"
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        process = _start(db, port, log)
        try:
            _wait_ready(url, process, log)
            cpu_before = _cpu_seconds(process.pid)
            latencies, errors, elapsed = asyncio.run(_load(url, args.tickets, args.concurrency, args.batch))
            cpu_after = _cpu_seconds(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait(5)
        stored = _count(db)

    requests = len(latencies)
    ms = sorted(x * 1000 for x in latencies)
    print(f"store          {'PostgreSQL' if server is not None else 'SQLite'}")
    print(
        f"tickets        {args.tickets} in {requests} request(s) of up to {args.batch}, {args.concurrency} connections"
    )
    print(f"elapsed        {elapsed:.2f} s")
    print(f"throughput     {args.tickets / elapsed:.0f} tickets/s, {requests / elapsed:.0f} requests/s")
    print(
        f"latency        p50 {_percentile(ms, 50):.1f} ms  p90 {_percentile(ms, 90):.1f} ms  "
        f"p99 {_percentile(ms, 99):.1f} ms  max {ms[-1]:.1f} ms"
    )
    if cpu_before is not None and cpu_after is not None:
        print(f"service CPU    {(cpu_after - cpu_before) * 1000 / args.tickets:.2f} ms per ticket")
    print(f"errors         {errors}")
    print(f"stored         {stored[0]} rows, {stored[1]} distinct ids")
    print(f"service exit   {code} (0 = graceful)")
    return 0 if errors == 0 and stored[1] == args.tickets else 1


if __name__ == "__main__":
    raise SystemExit(main())
