"""A stand-in for Slack's Web API on loopback, in the manner of bolt-python's
tests/mock_web_api_server: a threaded HTTP server that answers the methods the bot calls,
records every call, and fails on demand (429 with Retry-After, a dropped connection).

slack_sdk reaches it through ``base_url`` (``SLACK_API_URL``); ``response_url`` posts of
slash commands and button clicks land on ``/response/<name>`` of the same server.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BOT_USER_ID = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM_ID = "T0000001"


@dataclass(frozen=True)
class Call:
    """One request the stand-in received."""

    method: str  # "chat.postMessage", or "response/<name>" for a response_url post
    params: dict[str, Any]
    authorization: str
    at: float


class SlackStandIn:
    """The stand-in server. Use as a context manager; it listens on 127.0.0.1, a free port."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.locales: dict[str, str] = {}
        self.socket_url: str | None = None
        self.posted: list[tuple[str, str]] = []  # (channel, ts) of each message posted, in order
        self._failures: dict[str, list[int | str]] = {}
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
                return None

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                params: dict[str, Any] = dict(parse_qsl(split.query))
                if raw:
                    if (self.headers.get("Content-Type") or "").startswith("application/json"):
                        params.update(json.loads(raw))
                    else:
                        params.update(parse_qsl(raw.decode()))
                path = split.path.strip("/")
                method = path[len("api/") :] if path.startswith("api/") else path
                failure = standin._next_failure(method)
                standin._record(Call(method, params, self.headers.get("Authorization") or "", time.monotonic()))
                if failure == "disconnect":
                    self.close_connection = True
                    return
                if isinstance(failure, int):
                    self._send(failure, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"})
                    return
                self._send(200, standin._answer(method, params))

            def _send(self, status: int, data: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="slack-standin", daemon=True)

    # -- life --

    def __enter__(self) -> SlackStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def api_url(self) -> str:
        """The Web API base URL, as SLACK_API_URL."""
        return self.base + "/api/"

    def response_url(self, name: str) -> str:
        return f"{self.base}/response/{name}"

    # -- scripting --

    def fail_next(self, method: str, *failures: int | str) -> None:
        """Answer the next calls of ``method`` with these failures (an HTTP status such as
        429, or ``"disconnect"``), then normally again."""
        with self._lock:
            self._failures.setdefault(method, []).extend(failures)

    def _next_failure(self, method: str) -> int | str | None:
        with self._lock:
            queue = self._failures.get(method)
            return queue.pop(0) if queue else None

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://example.slack.com/", "team": "Example", "user": "mailmedic",
                    "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False}
        if method == "users.info":
            user = str(params.get("user"))
            if user not in self.locales:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": user, "name": user.lower(), "locale": self.locales[user]}}
        if method in ("chat.postMessage", "chat.update"):
            ts = f"{1700000000 + next(self._ts)}.000100"
            if method == "chat.postMessage":
                with self._lock:
                    self.posted.append((str(params.get("channel")), ts))
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": {"text": params.get("text"), "ts": ts}}
        if method in ("reactions.add", "reactions.remove", "chat.postEphemeral"):
            return {"ok": True}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_url} if self.socket_url else {"ok": False, "error": "invalid_auth"}
        if method.startswith("response/"):
            return {"ok": True}
        return {"ok": False, "error": "unknown_method"}

    # -- reading --

    def of(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """The calls of ``method`` once there are ``count`` of them.

        Raises:
            AssertionError: fewer arrived within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.of(method)
            if len(calls) >= count:
                return calls
            await asyncio.sleep(0.02)
        raise AssertionError(f"expected {count} {method} call(s), got {len(self.of(method))}: {self.methods()}")

    def methods(self) -> list[str]:
        with self._lock:
            return [call.method for call in self.calls]
