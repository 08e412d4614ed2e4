"""A stand-in for Discord's REST API on loopback, and the gateway payloads the tests feed.

discord.py talks to Discord through two doors: ``HTTPClient.request`` for the bot API and
``AsyncWebhookAdapter.request`` for interaction responses and follow-ups. Both build their
URLs from ``discord.http.Route.BASE``; the tests point it at this server (as bolt-python's
tests point ``WebClient(base_url=...)`` at theirs), so every byte discord.py sends goes through
its real serialisation, rate-limit and multipart code and lands here, recorded.

The gateway side needs no socket: the tests hand Discord's JSON events (``payloads/*.json``,
shaped as Discord sends them) to the client's real ``ConnectionState`` parsers.

Why not dpytest 0.7.0: with discord.py 2.7 its ``message()`` finds no author unless the
client has the privileged members intent, which this bot must not need, and it has no
interactions at all.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.models import CheckCommand, CheckOutcome, Finding

PAYLOADS = Path(__file__).parent / "payloads"

BOT_ID = "1100000000000000001"
APP_ID = BOT_ID
GUILD_ID = "1200000000000000001"
CHANNEL_ID = "1300000000000000001"
USER_ID = "1400000000000000001"
OTHER_BOT_ID = "1500000000000000001"

Deliver = Callable[[str, dict[str, Any]], None]
"""Hands a gateway event (``"MESSAGE_CREATE"``, payload) to the client, as its websocket would."""

_snowflakes = itertools.count(1600000000000000001)


def snowflake() -> str:
    return str(next(_snowflakes))


def payload(name: str, **changes: Any) -> dict[str, Any]:
    """A recorded payload from ``payloads/<name>.json`` with top-level keys replaced."""
    data: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    data.update(copy.deepcopy(changes))
    return data


@dataclass
class Call:
    """One request discord.py sent."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def embeds(self) -> list[dict[str, Any]]:
        data = self.body or {}
        if "data" in data and isinstance(data["data"], dict):  # interaction callback
            data = data["data"]
        return list(data.get("embeds") or [])

    @property
    def components(self) -> list[dict[str, Any]]:
        data = self.body or {}
        if "data" in data and isinstance(data["data"], dict):
            data = data["data"]
        return list(data.get("components") or [])


@dataclass
class DiscordStandin:
    """The fake REST API. ``calls`` holds every request, in order."""

    calls: list[Call] = field(default_factory=list)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_threads: bool = False
    fail_sync: bool = False
    refuse_token: bool = False
    _runner: web.AppRunner | None = None
    base: str = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/v10/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}/api/v10"
        return self.base

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def routes(self) -> list[str]:
        return [call.route for call in self.calls]

    def sent(self, pattern: str) -> list[Call]:
        """The calls whose ``"METHOD /path"`` matches ``pattern`` (a regular expression)."""
        return [call for call in self.calls if re.fullmatch(pattern, call.route)]

    async def _handle(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.content_type == "application/json":
            body = await request.json()
        elif request.content_type.startswith("multipart/"):
            form = await request.post()
            raw = form.get("payload_json")
            body = json.loads(str(raw)) if raw is not None else None
        call = Call(request.method, path, dict(request.query), body, dict(request.headers))
        self.calls.append(call)
        status, data = self._respond(call)
        if status == 204:
            return web.Response(status=204)
        # Exactly "application/json", as Discord sends it: discord.py compares the header as is.
        body = json.dumps(data).encode()
        return web.Response(status=status, body=body, headers={"Content-Type": "application/json"})

    # ---- canned answers, shaped as Discord's

    def _respond(self, call: Call) -> tuple[int, Any]:
        route = call.route
        if route == "GET /users/@me":
            if self.refuse_token:
                return 401, {"message": "401: Unauthorized", "code": 0}
            return 200, user(BOT_ID, "mailmedic", bot=True)
        if route == "GET /oauth2/applications/@me":
            return 200, application()
        if m := re.fullmatch(r"PUT /applications/(\d+)/commands", route):
            if self.fail_sync:
                return 400, {"message": "Invalid Form Body", "code": 50035, "errors": {}}
            return 200, [
                {**command, "id": snowflake(), "application_id": m.group(1), "version": snowflake(), "type": 1}
                for command in call.body
            ]
        if re.fullmatch(r"POST /channels/\d+/typing", route):
            return 204, None
        if m := re.fullmatch(r"POST /channels/(\d+)/messages/(\d+)/threads", route):
            if self.fail_threads:
                return 403, {"message": "Missing Permissions", "code": 50013}
            return 201, thread(m.group(2), m.group(1), call.body["name"])
        if m := re.fullmatch(r"POST /channels/(\d+)/messages", route):
            return 200, self._message(m.group(1), call.body)
        if m := re.fullmatch(r"POST /interactions/(\d+)/([^/]+)/callback", route):
            return 200, self._callback(m.group(1), call.body)
        if m := re.fullmatch(r"POST /webhooks/(\d+)/([^/]+)", route):
            return 200, self._message(CHANNEL_ID, call.body, webhook_id=m.group(1))
        return 404, {"message": "404: Not Found", "code": 0}

    def _message(self, channel_id: str, body: dict[str, Any], *, webhook_id: str | None = None) -> dict[str, Any]:
        data = message(
            snowflake(),
            channel_id=channel_id,
            author=user(BOT_ID, "mailmedic", bot=True),
            content=body.get("content") or "",
        )
        data["embeds"] = body.get("embeds") or []
        data["components"] = body.get("components") or []
        data["flags"] = body.get("flags", 0)
        if body.get("message_reference"):
            data["message_reference"] = body["message_reference"]
            data["type"] = 19
        if webhook_id is not None:
            data["webhook_id"] = webhook_id
        self.messages[data["id"]] = data
        return data

    def _callback(self, interaction_id: str, body: dict[str, Any]) -> dict[str, Any]:
        kind = body["type"]
        data = body.get("data") or {}
        flags = data.get("flags", 0)
        answer: dict[str, Any] = {
            "interaction": {
                "id": interaction_id,
                "type": 2,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(flags & 64),
            },
            "resource": {"type": kind},
        }
        if kind == 4:
            sent = self._message(CHANNEL_ID, data)
            answer["interaction"]["response_message_id"] = sent["id"]
            answer["resource"]["message"] = sent
        return answer


# ---- payload builders (the shapes of Discord's API v10 objects)


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


def user(user_id: str, name: str, *, bot: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": user_id,
        "username": name,
        "discriminator": "0",
        "global_name": name.title(),
        "avatar": None,
        "public_flags": 0,
        "flags": 0,
    }
    if bot:
        data["bot"] = True
    return data


def application() -> dict[str, Any]:
    return {
        "id": APP_ID,
        "name": "mailmedic",
        "icon": None,
        "description": "Mail support bot",
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": 0,
        "owner": user(USER_ID, "owner"),
        "team": None,
        "summary": "",
        "rpc_origins": [],
    }


def message(
    message_id: str,
    *,
    channel_id: str,
    author: dict[str, Any],
    content: str,
    guild_id: str | None = None,
    mentions: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": message_id,
        "channel_id": channel_id,
        "author": author,
        "content": content,
        "timestamp": now(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": mentions or [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
        "flags": 0,
        "components": [],
    }
    if guild_id is not None:
        data["guild_id"] = guild_id
    return data


def thread(thread_id: str, parent_id: str, name: str) -> dict[str, Any]:
    return {
        "id": thread_id,
        "type": 11,
        "guild_id": GUILD_ID,
        "parent_id": parent_id,
        "owner_id": BOT_ID,
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": now(),
            "locked": False,
        },
    }


async def settle(timeout: float = 10.0) -> None:
    """Wait until every task discord.py started for an event has finished."""
    prefixes = ("discord.py: ", "CommandTree-invoker", "discord-ui-dynamic-item", "discord-ui-view-dispatch")
    current = asyncio.current_task()
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        pending = [
            task
            for task in asyncio.all_tasks()
            if task is not current and not task.done() and task.get_name().startswith(prefixes)
        ]
        if not pending:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still running: {[t.get_name() for t in pending]}")
        await asyncio.wait(pending, timeout=0.2)


class RecordingChecker:
    """A Checker that answers at once from a table (the network checks are tested elsewhere).

    It records what it was asked, so a test can see that a slash command reached the checks.
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.commands: list[tuple[CheckCommand, str, str]] = []

    async def run(self, command: CheckCommand, *, user: str, language: str) -> CheckOutcome:
        self.commands.append((command, user, language))
        await asyncio.sleep(self.delay)
        target = " ".join(command.args)
        finding = Finding(
            check=command.kind,
            target=target,
            verdict="problem",
            summary=f"{target}: no MX record",
            evidence=("example.org. 300 IN SOA ns.example.org. hostmaster.example.org.",),
        )
        return CheckOutcome(status="problem", findings=(finding,))
