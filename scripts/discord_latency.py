"""How long the Discord adapter takes, from a gateway event to the reply on the wire.

Runs the real client against the loopback stand-in of Discord's REST API used by the tests
(tests/adapters/discord/discord_standin.py), feeds N mentions and N ``/ask`` interactions, and
prints the median and 95th percentile from handing the event to discord.py until the reply
request reached the stand-in, plus the time to render an embed. No network.

    python scripts/discord_latency.py [N]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "adapters" / "discord")]
warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)

import discord  # noqa: E402
from discord_standin import BOT_ID, DiscordStandin, payload, snowflake  # noqa: E402

from adapters.discord_app import build_client, to_embed  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.models import Inbound  # noqa: E402
from bot.service import SupportBot  # noqa: E402
from bot.store import MemoryStore  # noqa: E402

TEXTS = (
    "Ich kann keine Mails verschicken, Fehler: Relay access denied",
    "Je n'arrive pas à recevoir mes mails, la boîte est pleine",
    "nemůžu se přihlásit k IMAP, jaký je port?",
    "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown",
    "¿Cuál es el servidor SMTP para enviar correo?",
)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _wait_for(standin: DiscordStandin, count: int) -> None:
    while len(standin.calls) < count:
        await asyncio.sleep(0.0005)


async def main(n: int) -> None:
    standin = DiscordStandin()
    discord.http.Route.BASE = await standin.start()
    bot = SupportBot(settings=Settings(), store=MemoryStore())
    client = build_client(bot, Settings(), guild_ready_timeout=0.01)
    try:
        await client.login("benchmark-token")
        client._connection.parsers["READY"](payload("ready"))
        client._connection.parsers["GUILD_CREATE"](payload("guild_create"))
        await client.wait_until_ready()

        mentions: list[float] = []
        for i in range(n):
            event = payload("message_create", id=snowflake(), content=f"<@{BOT_ID}> {TEXTS[i % len(TEXTS)]}")
            before = len(standin.calls)
            started = time.perf_counter()
            client._connection.parsers["MESSAGE_CREATE"](event)
            await _wait_for(standin, before + 1)
            mentions.append((time.perf_counter() - started) * 1000)

        commands: list[float] = []
        for i in range(n):
            data = {"type": 1, "name": "ask", "id": snowflake(), "options": [
                {"type": 3, "name": "text", "value": TEXTS[i % len(TEXTS)]}]}
            event = payload("interaction_command", id=snowflake(), token=f"t-{snowflake()}", data=data, locale="de")
            before = len(standin.calls)
            started = time.perf_counter()
            client._connection.parsers["INTERACTION_CREATE"](event)
            await _wait_for(standin, before + 1)
            commands.append((time.perf_counter() - started) * 1000)

        reply = await bot.handle(Inbound(text=TEXTS[0], platform="discord"))
        started = time.perf_counter()
        for _ in range(1000):
            to_embed(reply, ui=bot.ui)
        render_us = (time.perf_counter() - started) * 1000

        print(f"mention -> reply on the wire: median {statistics.median(mentions):.1f} ms, "
              f"p95 {_pct(mentions, 0.95):.1f} ms (n={n})")
        print(f"/ask -> interaction response: median {statistics.median(commands):.1f} ms, "
              f"p95 {_pct(commands, 0.95):.1f} ms (n={n})")
        print(f"to_embed: {render_us:.1f} us per answer")
    finally:
        await asyncio.sleep(0.05)
        await client.close()
        await standin.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
