"""Load the Slack HTTP mode on loopback and print numbers.

Starts the Web API stand-in of the tests and the real HTTP-mode server (uvicorn, the real
core, a SQLite store in a temporary directory), sends N signed app_mention events with C in
flight, then sends them all again as Slack's retries, and prints: the ack latency Slack
sees (p50/p95/max), the time until every answer was posted, the answers per second, and
how many retries were wrongly answered (must be 0). Everything stays on 127.0.0.1.

    python scripts/slack_load.py [N] [C]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import Settings  # noqa: E402
from tests.adapters.slack.harness import SIGNING_SECRET, start_server, stop_server  # noqa: E402
from tests.adapters.slack.slack_standin import BOT_USER_ID, SlackStandIn  # noqa: E402

MESSAGES = [
    "Bonjour, je ne peux plus envoyer de courriels. Le serveur me répond : Sorry, that domain isn't allowed "
    "to be relayed thru this MTA",
    "Hallo, beim Senden kommt immer: 554 5.7.1 <kunde@example.de>: Relay access denied",
    "Hola, mis correos vuelven con 550 5.1.1 User unknown, ¿qué pasa?",
    "what are the smtp settings for outlook?",
    "Dobrý den, nefunguje mi odesílání pošty, píše to chybu relay access denied",
]


async def main(total: int, concurrency: int) -> None:
    with SlackStandIn() as standin, tempfile.TemporaryDirectory() as tmp:
        standin.locales.update({f"U{i:08d}": ("cs-CZ", "de-DE", "en-US", "fr-FR", "es-ES")[i % 5] for i in range(50)})
        settings = Settings(
            db=str(Path(tmp) / "load.db"),
            slack_bot_token="xoxb-load",
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=standin.api_url,
        )
        client, server, task = await start_server(settings)
        try:
            callbacks = [
                client.event(
                    {
                        "type": "app_mention",
                        "user": f"U{i % 50:08d}",
                        "text": f"<@{BOT_USER_ID}> {MESSAGES[i % len(MESSAGES)]}",
                        "ts": f"1700000000.{i:06d}",
                        "channel": f"C{i % 7:08d}",
                    }
                )
                for i in range(total)
            ]
            gate = asyncio.Semaphore(concurrency)
            acks: list[float] = []

            async def send(callback: dict[str, object], retry: int | None = None) -> None:
                async with gate:
                    started = time.perf_counter()
                    response = await client.post_event(callback, retry=retry)
                    acks.append(time.perf_counter() - started)
                    assert response.status_code == 200, response.status_code

            started = time.perf_counter()
            await asyncio.gather(*(send(c) for c in callbacks))
            await standin.wait_for("chat.postMessage", total, timeout=300)
            elapsed = time.perf_counter() - started
            first_acks = sorted(acks)
            acks.clear()
            await asyncio.gather(*(send(c, retry=1) for c in callbacks))
            await asyncio.sleep(1.0)
            extra = len(standin.of("chat.postMessage")) - total
        finally:
            await stop_server(client, server, task)

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(q * len(values)))] * 1000

    print(f"events: {total}, in flight: {concurrency}")
    print(f"ack latency ms: p50 {pct(first_acks, 0.5):.1f}  p95 {pct(first_acks, 0.95):.1f}  "
          f"max {first_acks[-1] * 1000:.1f}  mean {statistics.mean(first_acks) * 1000:.1f}")
    print(f"all {total} answers posted in {elapsed:.2f} s: {total / elapsed:.1f} answers/s")
    print(f"retries answered again: {extra}")


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    c = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    asyncio.run(main(n, c))
