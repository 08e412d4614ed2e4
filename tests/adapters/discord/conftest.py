"""Fixtures: the real SupportBot, a discord.py client logged in to a loopback stand-in of
Discord's REST API, and a way to push gateway events through the client's real state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
from discord_standin import BOT_ID, Deliver, DiscordStandin, RecordingChecker, payload, settle

from adapters.discord_app import MailmedicClient, build_client
from bot.config import Settings
from bot.service import SupportBot
from bot.store import MemoryStore


@pytest.fixture
async def standin(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DiscordStandin]:
    server = DiscordStandin()
    base = await server.start()
    # discord.py builds every REST and webhook URL from this class attribute.
    monkeypatch.setattr(discord.http.Route, "BASE", base)
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def checker() -> RecordingChecker:
    return RecordingChecker()


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def support_bot(store: MemoryStore, checker: RecordingChecker, settings: Settings) -> SupportBot:
    return SupportBot(settings=settings, store=store, checker=checker)


@pytest.fixture
async def client(
    standin: DiscordStandin, support_bot: SupportBot, settings: Settings
) -> AsyncIterator[MailmedicClient]:
    """A client that has logged in (REST) and received READY and GUILD_CREATE (gateway)."""
    made = build_client(support_bot, settings, guild_ready_timeout=0.05)
    try:
        await made.login("test-token")
        state = made._connection
        state.parsers["READY"](payload("ready"))
        state.parsers["GUILD_CREATE"](payload("guild_create"))
        await asyncio.wait_for(made.wait_until_ready(), 5)
        assert made.user is not None and made.user.id == int(BOT_ID)
        yield made
    finally:
        await settle()
        await made.close()


@pytest.fixture
def deliver(client: MailmedicClient) -> Deliver:
    """Hand a gateway event (``"MESSAGE_CREATE"``, payload) to the client, as its websocket would."""

    def _deliver(event: str, data: dict[str, Any]) -> None:
        client._connection.parsers[event](data)

    return _deliver
