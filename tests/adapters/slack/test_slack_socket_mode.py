"""Socket Mode, end to end: slack_sdk's own Socket Mode client gets its WebSocket URL from
the Web API stand-in (apps.connections.open) and connects to a loopback WebSocket server
that plays Slack: it sends an event envelope, expects the ack, and sends the retry Slack
sends when an ack is late (same event id, ``retry_attempt`` 1)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

from aiohttp import WSMsgType, web
from .harness import make_bot
from .slack_standin import BOT_USER_ID, TEAM_ID, SlackStandIn

from adapters.slack_app import start_socket_mode
from bot.config import Settings


class FakeSlackSocket:
    """A WebSocket endpoint speaking Slack's Socket Mode envelopes."""

    def __init__(self) -> None:
        self.acks: list[dict[str, Any]] = []
        self.connected = asyncio.Event()
        self.to_send: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/link", self._socket)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        host, port = self.runner.addresses[0][:2]
        self.url = f"ws://{host}:{port}/link"

    async def stop(self) -> None:
        assert self.runner is not None
        await self.runner.cleanup()

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}}))
        self.connected.set()
        sender = asyncio.create_task(self._send_all(ws))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self.acks.append(json.loads(msg.data))
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
        return ws

    async def _send_all(self, ws: web.WebSocketResponse) -> None:
        while True:
            envelope = await self.to_send.get()
            await ws.send_str(json.dumps(envelope))

    async def wait_acks(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        async def _wait() -> None:
            while len(self.acks) < count:
                await asyncio.sleep(0.02)

        await asyncio.wait_for(_wait(), timeout)
        return self.acks


def _envelope(envelope_id: str, retry_attempt: int, event_id: str) -> dict[str, Any]:
    text = f"<@{BOT_USER_ID}> Hallo, beim Senden kommt immer: 554 5.7.1 <kunde@example.de>: Relay access denied"
    event = {"type": "app_mention", "user": "UDE00009", "text": text, "ts": "1700001000.000100",
             "channel": "CGENERAL1", "event_ts": "1700001000.000100"}
    payload = {"token": "legacy", "team_id": TEAM_ID, "api_app_id": "A1", "type": "event_callback",
               "event_id": event_id, "event_time": 1700001000, "event": event}
    return {"envelope_id": envelope_id, "payload": payload, "type": "events_api",
            "accepts_response_payload": False, "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else ""}


async def test_socket_mode_answers_once_and_acks_every_envelope(settings: Settings, standin: SlackStandIn) -> None:
    socket = FakeSlackSocket()
    await socket.start()
    standin.socket_url = socket.url
    standin.locales["UDE00009"] = "de-DE"
    socket_settings = replace(settings, slack_app_token="xapp-test-token", slack_signing_secret=None)
    bot, store = make_bot(socket_settings)
    task = asyncio.create_task(start_socket_mode(bot, socket_settings))
    try:
        await asyncio.wait_for(socket.connected.wait(), 10)
        (opened,) = standin.of("apps.connections.open")
        assert opened.authorization == "Bearer xapp-test-token"

        await socket.to_send.put(_envelope("env-1", 0, "EvSOCKET1"))
        (post,) = await standin.wait_for("chat.postMessage")
        assert post.params["channel"] == "CGENERAL1" and post.params["thread_ts"] == "1700001000.000100"
        assert bot.knowledge.render("relay-denied", "de").title in post.params["text"]

        await socket.to_send.put(_envelope("env-2", 1, "EvSOCKET1"))
        acks = await socket.wait_acks(2)
        assert [ack["envelope_id"] for ack in acks] == ["env-1", "env-2"]
        await asyncio.sleep(0.3)
        assert len(standin.of("chat.postMessage")) == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await socket.stop()
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=5)
        store.close()

