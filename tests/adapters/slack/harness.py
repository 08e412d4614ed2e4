"""The Slack adapter's test harness: the real core with a SQLite store, and the real
HTTP-mode server (uvicorn) on a loopback port, fed requests signed as Slack signs them."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import httpx
import uvicorn
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adapters.slack_app import slack_routes
from bot.checks import Checker
from bot.config import Settings
from bot.service import SupportBot
from bot.store import SqliteStore

from .slack_standin import BOT_USER_ID, TEAM_ID

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ESCALATE_TO = "S0SUPPORT"
TRIAGE_CHANNEL = "CTRIAGE01"


class SlackServer:
    """The running HTTP-mode server and a Slack-like client that signs what it sends."""

    def __init__(self, base: str, bot: SupportBot, store: SqliteStore) -> None:
        self.base = base
        self.bot = bot
        self.store = store
        self.http = httpx.AsyncClient(base_url=base, timeout=10.0)
        self._events = 0

    async def _post(self, body: str, content_type: str, *, secret: str = SIGNING_SECRET,
                    headers: dict[str, str] | None = None) -> httpx.Response:
        timestamp = str(int(time.time()))
        signature = str(SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body))
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
            **(headers or {}),
        }
        return await self.http.post("/slack/events", content=body.encode(), headers=sent)

    def event(self, event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
        """An Events API callback around ``event``."""
        self._events += 1
        return {
            "token": "legacy",
            "team_id": TEAM_ID,
            "api_app_id": "A0MAILMEDIC",
            "type": "event_callback",
            "event_id": event_id or f"Ev{self._events:08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
            "event": event,
        }

    async def post_event(self, callback: dict[str, Any], *, retry: int | None = None,
                         secret: str = SIGNING_SECRET) -> httpx.Response:
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        return await self._post(json.dumps(callback), "application/json", secret=secret, headers=headers)

    async def post_command(self, form: dict[str, str]) -> httpx.Response:
        return await self._post(urlencode(form), "application/x-www-form-urlencoded")

    async def post_action(self, payload: dict[str, Any]) -> httpx.Response:
        return await self._post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


def make_bot(settings: Settings, *, checker: Checker | None = None) -> tuple[SupportBot, SqliteStore]:
    store = SqliteStore(settings.db)
    return SupportBot(settings=settings, store=store, checker=checker), store


async def _healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def _service(bot: SupportBot, settings: Settings) -> Starlette:
    """The bot's one HTTP service with Slack's routes on it: the webhook service's app when
    it is there (as `mailmedic serve` composes it), else Slack's routes and a /healthz."""
    try:
        from adapters.webhook import create_app
    except ImportError:
        return Starlette(routes=[*slack_routes(bot, settings), Route("/healthz", _healthz)])
    app: Starlette = create_app(bot, settings, extra_routes=slack_routes(bot, settings))
    return app


async def start_server(settings: Settings, *, checker: Checker | None = None) -> tuple[SlackServer, uvicorn.Server, asyncio.Task[None]]:
    bot, store = make_bot(settings, checker=checker)
    app = _service(bot, settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return SlackServer(f"http://127.0.0.1:{port}", bot, store), server, task


async def stop_server(client: SlackServer, server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    await client.http.aclose()
    server.should_exit = True
    await task
    # let bolt's listeners still running in the background finish before the store closes
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    if pending:
        await asyncio.wait(pending, timeout=5)
    client.store.close()


def with_settings(settings: Settings, **changes: Any) -> Settings:
    return replace(settings, **changes)
