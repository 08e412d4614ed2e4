"""The terminal chat: the embedded default, with no platform and no token.

Type a question or paste an error (a paste of several lines ends with an empty line), read
the answer. ``help``, ``lang fr`` and ``check example.com`` work as in Slack or Discord.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import TextIO

from bot import Inbound, Reply, SupportBot

__all__ = ["ConsoleChat", "to_inbound", "to_text"]

log = logging.getLogger(__name__)

_PROMPT = "you> "
_QUIT = {"quit", "exit", "bye", "konec", "ende", "fin", "salir", ":q"}


def to_inbound(text: str, *, user: str = "console") -> Inbound:
    return Inbound(text=text, user=user, channel="console", platform="console", thread="console")


def to_text(reply: Reply) -> str:
    return reply.text


class ConsoleChat:
    """A chat loop over a pair of text streams (the terminal, or pipes in tests)."""

    def __init__(self, bot: SupportBot, *, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        self.bot = bot
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout

    def _read_message(self) -> str | None:
        interactive = self.stdin.isatty()
        if interactive:
            self.stdout.write(_PROMPT)
            self.stdout.flush()
        first = self.stdin.readline()
        if first == "":
            return None
        lines = [first.rstrip("\n")]
        # A paste arrives as several lines at once; gather what is already waiting.
        if not interactive:
            return lines[0]
        while _has_pending_input(self.stdin):
            nxt = self.stdin.readline()
            if nxt == "":
                break
            lines.append(nxt.rstrip("\n"))
        return "\n".join(lines)

    async def run(self) -> int:
        """Chat until end of input or a quit word. Returns the exit code."""
        self.stdout.write(self.bot.ui(self.bot.settings.default_language, "help") + "\n\n")
        self.stdout.flush()
        while True:
            text = self._read_message()
            if text is None:
                return 0
            if text.strip().lower().removeprefix("/") in _QUIT:  # "/quit" too, as in a chat app
                return 0
            inbound = to_inbound(text)
            try:
                reply = await self.bot.handle(inbound)
            except Exception:  # the runner is the one place that catches everything
                log.exception("internal error while handling a console message")
                reply = self.bot.apology(inbound)
            self.stdout.write("bot> " + to_text(reply).replace("\n", "\n     ") + "\n\n")
            self.stdout.flush()


def _has_pending_input(stream: TextIO) -> bool:
    try:
        import select

        ready, _, _ = select.select([stream], [], [], 0.05)
        return bool(ready)
    except (OSError, ValueError):
        return False


def main(bot: SupportBot) -> int:
    return asyncio.run(ConsoleChat(bot).run())
