"""Benchmark the core: ``python scripts/bench_core.py [--messages FILE ...]``.

Prints, on this machine:
- median and p99 time of ``SupportBot.handle`` per message (target: p99 under 10 ms);
- triage throughput over 10,000 messages on one core (target: 500 per second or more);
- wall time of ``mailmedic ask`` from a cold start, a new process each time (target: under 1 s),
  with the index's cache file and without it.

Messages default to the development sets beside the project (../shared/eval), or a small
built-in list when they are absent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot import Inbound, SupportBot, Ticket  # noqa: E402
from bot.store import MemoryStore  # noqa: E402

_FALLBACK = [
    "Sorry, that domain isn't allowed to be relayed thru this MTA",
    "Bonjour, quel est le serveur SMTP à indiquer dans Outlook ?",
    "550 5.1.1 <a@example.com>: Recipient address rejected: User unknown in virtual mailbox table",
    "Wie groß darf ein Postfach bei euch sein?",
    "no puedo enviar correos, me sale 535 5.7.8 authentication failed",
    "Dobrý den, schránka příjemce je plná, co s tím?",
]


def _messages(files: list[Path]) -> list[str]:
    texts: list[str] = []
    for path in files:
        if path.exists():
            texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts or _FALLBACK


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def _handle_times(bot: SupportBot, texts: list[str], rounds: int) -> list[float]:
    times: list[float] = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            await bot.handle(Inbound(text=text, user="bench"))
            times.append(time.perf_counter() - started)
    return times


def main() -> int:
    default = [ROOT.parent / "shared" / "eval" / "questions_dev.jsonl", ROOT.parent / "shared" / "eval" / "bounces_dev.jsonl"]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", nargs="*", type=Path, default=default)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--cold-starts", type=int, default=5)
    args = parser.parse_args()

    import logging

    logging.disable(logging.INFO)
    texts = _messages(args.messages)
    bot = SupportBot(store=MemoryStore())
    times = asyncio.run(_handle_times(bot, texts, args.rounds))
    print(f"handle: {len(times)} messages, median {statistics.median(times) * 1000:.2f} ms, "
          f"p99 {_percentile(times, 0.99) * 1000:.2f} ms, max {max(times) * 1000:.2f} ms")

    tickets = [Ticket(id=str(i), text=texts[i % len(texts)]) for i in range(args.tickets)]
    started = time.perf_counter()
    for ticket in tickets:
        bot.triage(ticket)
    elapsed = time.perf_counter() - started
    print(f"triage: {len(tickets)} tickets in {elapsed:.2f} s = {len(tickets) / elapsed:.0f} per second (one core)")

    # with the index's cache file (every start after the first), and without it (the first
    # start after an install or a knowledge-base change)
    for label, cache in (("index cached", None), ("no index cache", "off")):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        if cache is not None:
            env["MAILMEDIC_CACHE_DIR"] = cache
        walls: list[float] = []
        for _ in range(args.cold_starts):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "adapters.cli", "ask", "--json", _FALLBACK[0]],
                cwd=ROOT, env=env, capture_output=True, check=True,
            )
            walls.append(time.perf_counter() - started)
        print(f"mailmedic ask cold start ({label}): median {statistics.median(walls):.3f} s, "
              f"max {max(walls):.3f} s over {len(walls)} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
