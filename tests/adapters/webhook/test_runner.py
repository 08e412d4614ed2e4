"""``serve(settings)``: which platforms start, on one server, and a clean stop.

The Slack and Discord adapters are written elsewhere; here small stand-in modules take their
place in ``sys.modules`` (their contract: ``slack_routes(bot, settings)``,
``start_socket_mode(bot, settings)``, ``start(bot, settings)``), so the runner's wiring is
tested without their SDKs.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import sys
import types
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adapters.runner import platforms_configured, serve
from bot.config import Settings
from bot.errors import ConfigError


class _Platforms:
    """Stand-ins for adapters.slack_app and adapters.discord_app that record what was asked."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        self.cancelled: list[str] = []
        self.closed: list[str] = []
        slack = types.ModuleType("adapters.slack_app")
        discord = types.ModuleType("adapters.discord_app")

        async def events(request: Request) -> JSONResponse:
            return JSONResponse({"slack": await request.json()})

        def slack_routes(bot: Any, settings: Settings) -> list[Route]:
            self.calls.append("slack_routes")
            assert bot.store is not None and settings.slack_signing_secret
            return [Route("/slack/events", events, methods=["POST"])]

        async def start_socket_mode(bot: Any, settings: Settings) -> Any:
            self.calls.append("socket_mode")
            platforms = self

            class Handler:
                async def close_async(self) -> None:
                    platforms.closed.append("socket_mode")

            return Handler()

        async def start(bot: Any, settings: Settings) -> None:
            self.calls.append("discord")
            try:
                await asyncio.Event().wait()  # a client runs until it is cancelled
            except asyncio.CancelledError:
                self.cancelled.append("discord")
                raise

        slack.slack_routes = slack_routes  # type: ignore[attr-defined]
        slack.start_socket_mode = start_socket_mode  # type: ignore[attr-defined]
        discord.start = start  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "adapters.slack_app", slack)
        monkeypatch.setitem(sys.modules, "adapters.discord_app", discord)


async def _run(settings: Settings, check: Any) -> None:
    """Serve ``settings`` on a loopback port, run ``check(client)``, then stop."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    stop = asyncio.Event()
    task = asyncio.ensure_future(serve(settings, sock=sock, stop=stop))
    try:
        async with httpx.AsyncClient(base_url=url, timeout=5.0) as client:
            for _ in range(500):
                if task.done():
                    task.result()
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.02)
            await check(client)
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
        sock.close()


async def test_slack_over_http_and_discord_share_the_service(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    platforms = _Platforms(monkeypatch)
    settings = Settings(
        db=str(tmp_path / "s.db"), slack_bot_token="xoxb-1", slack_signing_secret="sec", discord_token="d"
    )

    async def check(client: httpx.AsyncClient) -> None:
        slack = await client.post("/slack/events", json={"type": "url_verification"})
        assert slack.json() == {"slack": {"type": "url_verification"}}
        triage = await client.post("/v1/triage", json={"id": "r-1", "body": "554 5.7.1 Relay access denied"})
        assert triage.status_code == 200 and triage.json()["entry"] == "relay-denied"

    await _run(settings, check)

    assert platforms.calls == ["slack_routes", "discord"]
    assert platforms.cancelled == ["discord"]
    with sqlite3.connect(settings.db) as conn:  # the ticket was committed to MAILMEDIC_DB
        assert conn.execute("SELECT ticket_id FROM triage").fetchall() == [("r-1",)]
    conn.close()


async def test_socket_mode_is_started_and_closed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    platforms = _Platforms(monkeypatch)
    settings = Settings(db=str(tmp_path / "s.db"), slack_bot_token="xoxb-1", slack_app_token="xapp-1")

    async def check(client: httpx.AsyncClient) -> None:
        assert (await client.post("/slack/events", json={})).status_code == 404  # no HTTP mode

    await _run(settings, check)

    assert platforms.calls == ["socket_mode"]
    assert platforms.closed == ["socket_mode"]


async def test_without_tokens_no_platform_is_imported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("adapters.slack_app", "adapters.discord_app", "slack_bolt", "discord"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    settings = Settings(db=str(tmp_path / "s.db"))

    async def check(client: httpx.AsyncClient) -> None:
        assert (await client.get("/readyz")).status_code == 200

    await _run(settings, check)

    assert not platforms_configured(settings)
    assert not {"adapters.slack_app", "adapters.discord_app", "slack_bolt", "discord"} & set(sys.modules)


@pytest.mark.parametrize(
    ("tokens", "variable"),
    [({"slack_bot_token": "xoxb-1"}, "SLACK_SIGNING_SECRET"), ({"slack_signing_secret": "s"}, "SLACK_BOT_TOKEN")],
)
async def test_half_configured_slack_is_a_config_error(tmp_path: Path, tokens: dict[str, str], variable: str) -> None:
    settings = Settings(db=str(tmp_path / "s.db"), **tokens)  # type: ignore[arg-type]

    with pytest.raises(ConfigError) as caught:
        await serve(settings, stop=asyncio.Event())

    assert caught.value.variable == variable


async def test_a_platform_that_fails_stops_the_service(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    discord = types.ModuleType("adapters.discord_app")
    refuse = asyncio.Event()

    async def start(bot: Any, settings: Settings) -> None:
        await refuse.wait()  # logging in... then Discord refuses the token
        raise ConfigError("Discord refused DISCORD_TOKEN", variable="DISCORD_TOKEN")

    discord.start = start  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "adapters.discord_app", discord)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings(db=str(tmp_path / "s.db"), discord_token="bad")

    task = asyncio.ensure_future(serve(settings, sock=sock))
    async with httpx.AsyncClient(base_url=url, timeout=5.0) as client:
        up = False
        for _ in range(500):
            try:
                up = (await client.get("/healthz")).status_code == 200
                break
            except httpx.TransportError:
                await asyncio.sleep(0.02)
        refuse.set()
        with pytest.raises(ConfigError) as caught:
            await asyncio.wait_for(task, 15)
        with pytest.raises(httpx.TransportError):
            await client.get("/healthz")
    sock.close()

    assert up
    assert caught.value.variable == "DISCORD_TOKEN"
