"""The HTTP door: ticket triage for a helpdesk, a question endpoint, health and metrics.

A Starlette application, served by uvicorn (see :mod:`adapters.runner`). It holds a
:class:`~bot.service.SupportBot` and only translates: JSON in, ``bot.triage`` /
``bot.handle`` in the middle, JSON out. The same application carries Slack's
``/slack/events`` in HTTP mode when the runner passes it ``extra_routes``.

Endpoints::

    POST /v1/triage   one ticket (an object) or up to 100 (an array) -> triage result(s)
    POST /v1/ask      {"text": ...} -> the Reply as JSON
    GET  /healthz     the process answers
    GET  /readyz      the knowledge base is loaded and the store takes writes
    GET  /metrics     Prometheus text format

Authentication of ``/v1/`` (``MAILMEDIC_API_TOKEN``), one of:

* ``Authorization: Bearer <token>``;
* ``X-Mailmedic-Timestamp: <unix seconds>`` and
  ``X-Mailmedic-Signature: v1=<hex HMAC-SHA256(token, "v1:" + timestamp + ":" + body)>``,
  the timestamp within five minutes of the server's clock (Slack's scheme, our names).

Both are compared in constant time. With no token configured, ``/v1/`` answers loopback
clients only. A ticket is acknowledged (2xx) only after its triage is committed to the
store, so a crash loses nothing the helpdesk was told had been taken.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.exposition import choose_encoder
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.config import Settings
from bot.models import CheckCommand, CheckOutcome, Feedback, Inbound, Reply, Ticket, Triage
from bot.normalize import MAX_CHARS, scrub
from bot.service import SupportBot
from bot.store import Store, TriageLedger

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_TICKETS",
    "SIGNATURE_TOLERANCE_SECONDS",
    "create_app",
    "sign",
    "ticket_tags",
]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
"""Largest request body accepted (413 above)."""
MAX_TICKETS = 100
"""Most tickets in one ``/v1/triage`` request (413 above)."""
MAX_JSON_DEPTH = 16
"""Deepest nesting of arrays and objects accepted (a ticket list is 2 deep; helpdesks may
send custom fields, which are ignored but still parsed)."""
SIGNATURE_TOLERANCE_SECONDS = 300
"""How far a signed request's timestamp may be from the server's clock."""

_MAX_ID = 200
_MAX_SHORT = 200
_MAX_ASK_TEXT = 20_000
_OUTCOMES = {"answer": "answered", "suggest": "suggested", "unknown": "unknown"}


# --------------------------------------------------------------------------- errors


class _HttpError(Exception):
    """A 4xx/5xx answered as ``{"error": code, "message": ..., "field": ...}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        return JSONResponse(body, status_code=self.status, headers=self.headers)


# --------------------------------------------------------------------------- auth


def sign(token: str, timestamp: str, body: bytes) -> str:
    """The ``X-Mailmedic-Signature`` value for ``body`` sent at ``timestamp``.

    Args:
        token: the shared secret (``MAILMEDIC_API_TOKEN``).
        timestamp: Unix seconds as sent in ``X-Mailmedic-Timestamp``.
        body: the exact request body bytes.

    Returns:
        ``"v1=" + hex(HMAC-SHA256(token, b"v1:" + timestamp + b":" + body))``.
    """
    base = b"v1:" + timestamp.encode("ascii") + b":" + body
    return "v1=" + hmac.new(token.encode("utf-8"), base, hashlib.sha256).hexdigest()


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


@dataclass(frozen=True, slots=True)
class _Auth:
    token: str | None
    clock: Callable[[], float]

    async def body(self, request: Request) -> bytes:
        """Authorize ``request`` and return its body (read within the size limit).

        Raises:
            _HttpError: 401 (no or wrong credentials), 403 (no token configured and the
                client is not on loopback), 413 (body too large).
        """
        if self.token is None:
            client = request.client.host if request.client else None
            if not _is_loopback(client):
                raise _HttpError(
                    403,
                    "forbidden",
                    "this service has no MAILMEDIC_API_TOKEN set, so it answers loopback clients only",
                )
            return await _read_body(request)
        secret = self.token.encode("utf-8")
        authorization = request.headers.get("authorization")
        if authorization is not None:
            scheme, _, credentials = authorization.partition(" ")
            if scheme.lower() != "bearer" or not credentials.strip():
                raise _unauthorized("invalid_token", "the Authorization header must be 'Bearer <token>'")
            if not hmac.compare_digest(credentials.strip().encode("utf-8"), secret):
                raise _unauthorized("invalid_token", "the bearer token is wrong")
            return await _read_body(request)
        signature = request.headers.get("x-mailmedic-signature")
        if signature is None:
            raise _unauthorized(
                "unauthorized", "send 'Authorization: Bearer <token>' or sign the body (X-Mailmedic-Signature)"
            )
        timestamp = request.headers.get("x-mailmedic-timestamp", "").strip()
        if not timestamp.isdigit() or not timestamp.isascii():
            raise _unauthorized("invalid_signature", "X-Mailmedic-Timestamp must be Unix seconds")
        if abs(self.clock() - int(timestamp)) > SIGNATURE_TOLERANCE_SECONDS:
            raise _unauthorized("stale_signature", "X-Mailmedic-Timestamp is more than five minutes off")
        body = await _read_body(request)
        expected = sign(self.token, timestamp, body)
        if not hmac.compare_digest(signature.strip().encode("utf-8"), expected.encode("ascii")):
            raise _unauthorized("invalid_signature", "the signature does not match the body")
        return body


def _unauthorized(code: str, message: str) -> _HttpError:
    return _HttpError(401, code, message, headers={"WWW-Authenticate": 'Bearer realm="mailmedic"'})


# --------------------------------------------------------------------------- request parsing


async def _read_body(request: Request) -> bytes:
    """The request body, refused past :data:`MAX_BODY_BYTES` without buffering the rest.

    Raises:
        _HttpError: 413 when the body is too large, 400 for a malformed Content-Length,
            415 for a body that is not declared as JSON.
    """
    content_type = request.headers.get("content-type")
    if content_type is not None:
        media = content_type.split(";", 1)[0].strip().lower()
        if media != "application/json" and not media.endswith("+json"):
            raise _HttpError(415, "unsupported_media_type", "send the body as application/json")
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise _HttpError(400, "bad_request", "Content-Length is not a number")
        if int(declared) > MAX_BODY_BYTES:
            raise _too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> _HttpError:
    return _HttpError(413, "body_too_large", f"the body is larger than {MAX_BODY_BYTES} bytes")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_json(body: bytes) -> Any:
    """Decode a JSON body and bound its nesting.

    Raises:
        _HttpError: 400 ``bad_json`` (not UTF-8, not JSON, empty) or ``too_deep``.
    """
    if not body.strip():
        raise _HttpError(400, "bad_json", "the body is empty; send a JSON document")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _HttpError(400, "bad_json", "the body is not UTF-8") from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise _HttpError(
            400, "bad_json", f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except ValueError as exc:
        raise _HttpError(400, "bad_json", f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise _too_deep() from None
    if _depth(data) > MAX_JSON_DEPTH:
        raise _too_deep()
    if _has_lone_surrogate(data):
        # valid JSON ("\ud800"), but no UTF-8 store or reply can carry it: refuse, never 503
        raise _HttpError(400, "bad_json", "a string holds a lone UTF-16 surrogate escape (\\ud800-\\udfff)")
    return data


def _has_lone_surrogate(data: Any) -> bool:
    if isinstance(data, str):
        return scrub(data) != data
    if isinstance(data, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in data.items())
    if isinstance(data, list):
        return any(_has_lone_surrogate(v) for v in data)
    return False


def _too_deep() -> _HttpError:
    return _HttpError(400, "too_deep", f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels")


def _depth(data: Any) -> int:
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            children: Sequence[Any] = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def _string(obj: dict[str, Any], key: str, where: str, *, required: bool, limit: int) -> str | None:
    value = obj.get(key)
    field = f"{where}{key}"
    if value is None:
        if required:
            raise _HttpError(400, "missing_field", f"'{field}' is required", field=field)
        return None
    if not isinstance(value, str):
        raise _HttpError(400, "wrong_type", f"'{field}' must be a string", field=field)
    if len(value) > limit:
        raise _HttpError(400, "too_long", f"'{field}' is longer than {limit} characters", field=field)
    return value


@dataclass(frozen=True, slots=True)
class _Item:
    ticket: Ticket
    text: str


def _ticket(obj: Any, where: str) -> _Item:
    """Validate one ticket object.

    Raises:
        _HttpError: 400 naming the field that is missing or of the wrong type.
    """
    if not isinstance(obj, dict):
        field = where.rstrip(".") or "body"
        raise _HttpError(400, "wrong_type", f"'{field}' must be a ticket object", field=field)
    raw_id = obj.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int | None):
        raise _HttpError(400, "wrong_type", f"'{where}id' must be a string or an integer", field=f"{where}id")
    ticket_id = str(raw_id) if isinstance(raw_id, int) else raw_id
    if ticket_id is None:
        raise _HttpError(400, "missing_field", f"'{where}id' is required", field=f"{where}id")
    ticket_id = ticket_id.strip()
    if not ticket_id or len(ticket_id) > _MAX_ID or not ticket_id.isprintable():
        raise _HttpError(
            400,
            "invalid_field",
            f"'{where}id' must be 1 to {_MAX_ID} printable characters",
            field=f"{where}id",
        )
    subject = _string(obj, "subject", where, required=False, limit=MAX_BODY_BYTES) or ""
    body = _string(obj, "body", where, required=True, limit=MAX_BODY_BYTES) or ""
    if not (subject.strip() or body.strip()):
        raise _HttpError(400, "invalid_field", f"'{where}body' is empty", field=f"{where}body")
    locale = _string(obj, "locale", where, required=False, limit=35)
    channel = _string(obj, "channel", where, required=False, limit=_MAX_SHORT)
    customer = _string(obj, "customer", where, required=False, limit=_MAX_SHORT)
    text = f"{subject.strip()}\n\n{body}" if subject.strip() else body
    ticket = Ticket(id=ticket_id, text=text, locale=locale or None, channel=channel, customer=customer)
    return _Item(ticket, text[:MAX_CHARS])  # the store keeps what the matcher reads


def _tickets(data: Any) -> tuple[list[_Item], bool]:
    """The tickets of a ``/v1/triage`` body, and whether it was a list.

    Raises:
        _HttpError: 400 for a malformed ticket or an empty list, 413 past :data:`MAX_TICKETS`.
    """
    if isinstance(data, list):
        if not data:
            raise _HttpError(400, "invalid_field", "the ticket list is empty", field="body")
        if len(data) > MAX_TICKETS:
            raise _HttpError(413, "too_many_tickets", f"{len(data)} tickets in one request; send at most {MAX_TICKETS}")
        return [_ticket(obj, f"[{index}].") for index, obj in enumerate(data)], True
    return [_ticket(data, "")], False


# --------------------------------------------------------------------------- triage


def ticket_tags(result: dict[str, Any]) -> list[str]:
    """Tags a helpdesk can act on, from a triage result (``Triage.to_json()``).

    ``lang:fr``, ``category:sending``, ``entry:relay-denied`` (``entry:none`` when unsure),
    ``priority:high``, and ``needs-human`` when an agent must look first.
    """
    tags = [
        f"lang:{result['language']}",
        f"category:{result['category']}",
        f"entry:{result['entry'] or 'none'}",
        f"priority:{result['priority']}",
    ]
    if result.get("needs_human"):
        tags.append("needs-human")
    return tags


@dataclass(frozen=True, slots=True)
class _Done:
    result: dict[str, Any]
    duplicate: bool
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {**self.result, "tags": ticket_tags(self.result), "duplicate": self.duplicate}


async def _triage_all(bot: SupportBot, items: list[_Item]) -> list[_Done]:
    """Triage ``items``, then commit them; a ticket is acknowledged only after this returns.

    Matching is CPU work of about a millisecond a ticket: it runs on the event loop, which
    yields between the tickets of a batch, rather than in worker threads, where it would make
    the loop wait for the GIL on every socket call. The commit (disk I/O, the GIL released)
    runs in a worker thread.

    A ticket id stored already keeps its stored result, which comes back with ``duplicate``
    set, so a helpdesk that retries gets the same answer.

    Raises:
        Exception: whatever the store raises when it cannot commit; nothing is acknowledged.
    """
    triaged: list[tuple[Triage, float]] = []
    for index, item in enumerate(items):
        if index:
            await asyncio.sleep(0)  # let other requests in between the tickets of a batch
        started = time.perf_counter()
        triaged.append((bot.triage(item.ticket), time.perf_counter() - started))
    pairs = [(triage, item.text) for (triage, _), item in zip(triaged, items, strict=True)]
    stored = await run_in_threadpool(_commit, bot.store, pairs)
    return [
        _Done(triage.to_json(), False, seconds) if earlier is None else _Done(earlier, True, seconds)
        for (triage, seconds), earlier in zip(triaged, stored, strict=True)
    ]


def _commit(store: Store, pairs: list[tuple[Triage, str]]) -> list[dict[str, Any] | None]:
    """Write ``pairs`` in one transaction where the store can; None for each new ticket,
    the stored result for each id that was there already (or earlier in the batch)."""
    if isinstance(store, TriageLedger):
        written = store.record_triages(pairs)
        return [
            None if new else (store.triage_result(t.id) or t.to_json())
            for (t, _), new in zip(pairs, written, strict=True)
        ]
    return [None if store.record_triage(t, text) else t.to_json() for t, text in pairs]


# --------------------------------------------------------------------------- metrics


class _Metrics:
    """Prometheus metrics of one app, fed by the SupportBot hooks and the triage endpoint."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        self.messages = Counter(
            "mailmedic_messages",
            "Messages handled, by platform, reply language and outcome.",
            ("platform", "language", "outcome"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "mailmedic_message_seconds",
            "Time to handle a message, by platform.",
            ("platform",),
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        self.checks = Counter(
            "mailmedic_checks",
            "Checks asked for, by kind and status (ok, problem, refused, error).",
            ("kind", "status"),
            registry=self.registry,
        )
        self.refusals = Counter(
            "mailmedic_checks_refused",
            "Checks refused by the guard or the rate limit, by reason.",
            ("reason",),
            registry=self.registry,
        )
        self.feedback = Counter(
            "mailmedic_feedback",
            "Feedback on answers, by platform and vote (up, down).",
            ("platform", "vote"),
            registry=self.registry,
        )
        self.tickets = Counter(
            "mailmedic_tickets",
            "Tickets triaged (duplicates not counted), by language, category and priority.",
            ("language", "category", "priority"),
            registry=self.registry,
        )
        self.duplicates = Counter(
            "mailmedic_ticket_duplicates",
            "Tickets posted again with an id stored already.",
            registry=self.registry,
        )
        self.triage_latency = Histogram(
            "mailmedic_triage_seconds",
            "Time to triage one ticket (store commit excluded).",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
            registry=self.registry,
        )

    def on_handled(self, inbound: Inbound, reply: Reply, seconds: float) -> None:
        outcome = _OUTCOMES.get(reply.kind, reply.kind)
        self.messages.labels(inbound.platform, reply.language, outcome).inc()
        self.latency.labels(inbound.platform).observe(seconds)

    def on_check(self, command: CheckCommand, outcome: CheckOutcome) -> None:
        self.checks.labels(command.kind, outcome.status).inc()
        if outcome.status == "refused":
            self.refusals.labels(outcome.reason or "unspecified").inc()

    def on_feedback(self, feedback: Feedback) -> None:
        self.feedback.labels(feedback.platform, "up" if feedback.helpful else "down").inc()

    def on_triaged(self, done: _Done) -> None:
        if done.duplicate:
            self.duplicates.inc()
            return
        result = done.result
        self.tickets.labels(result["language"], result["category"], result["priority"]).inc()
        self.triage_latency.observe(done.seconds)


# --------------------------------------------------------------------------- the app


def create_app(bot: SupportBot, settings: Settings, *, extra_routes: Sequence[BaseRoute] = ()) -> Starlette:
    """Build the HTTP application around ``bot``.

    Args:
        bot: the SupportBot every endpoint talks to.
        settings: ``api_token`` (``MAILMEDIC_API_TOKEN``) decides the authentication.
        extra_routes: more routes on the same server (Slack's ``/slack/events``).

    Returns:
        The Starlette application; its metrics hooks are attached to ``bot`` now and
        detached when the application's lifespan ends.
    """
    metrics = _Metrics()
    auth = _Auth(settings.api_token, time.time)
    hooks: tuple[tuple[list[Any], Any], ...] = (
        (bot.on_handled, metrics.on_handled),
        (bot.on_check, metrics.on_check),
        (bot.on_feedback, metrics.on_feedback),
    )
    for hook_list, hook in hooks:
        hook_list.append(hook)

    async def triage(request: Request) -> Response:
        try:
            items, many = _tickets(_parse_json(await auth.body(request)))
        except _HttpError as error:
            return error.response()
        try:
            done = await _triage_all(bot, items)
        except Exception:
            log.exception("triage of %d ticket(s) failed; nothing acknowledged", len(items))
            return _HttpError(
                503, "unavailable", "the tickets could not be stored; retry later", headers={"Retry-After": "5"}
            ).response()
        for item in done:
            metrics.on_triaged(item)
            result = item.result
            log.info(
                "triage ticket=%s language=%s entry=%s priority=%s confidence=%.2f%s",
                result["id"],
                result["language"],
                result["entry"],
                result["priority"],
                result["confidence"],
                " duplicate" if item.duplicate else "",
            )
        payload: Any = [d.to_json() for d in done] if many else done[0].to_json()
        return JSONResponse(payload)

    async def ask(request: Request) -> Response:
        try:
            data = _parse_json(await auth.body(request))
            if not isinstance(data, dict):
                raise _HttpError(400, "wrong_type", "the body must be an object with 'text'", field="body")
            text = _string(data, "text", "", required=True, limit=_MAX_ASK_TEXT) or ""
            if not text.strip():
                raise _HttpError(400, "invalid_field", "'text' is empty", field="text")
            user = _string(data, "user", "", required=False, limit=_MAX_SHORT) or "anonymous"
            locale = _string(data, "locale", "", required=False, limit=35)
            thread = _string(data, "thread", "", required=False, limit=_MAX_SHORT)
            channel = _string(data, "channel", "", required=False, limit=_MAX_SHORT) or "webhook"
        except _HttpError as error:
            return error.response()
        inbound = Inbound(
            text=text, user=user, channel=channel, platform="webhook", locale_hint=locale or None, thread=thread
        )
        try:
            reply = await bot.handle(inbound)
        except Exception:
            log.exception("handling a /v1/ask message failed")
            apology = bot.apology(inbound).to_json()
            return JSONResponse(
                {
                    "error": "internal",
                    "message": "the message could not be handled; it has been logged",
                    "reply": apology,
                },
                status_code=500,
            )
        return JSONResponse(reply.to_json())

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        knowledge = _knowledge_state(bot)
        try:
            store_ok = await run_in_threadpool(bot.store.ping)
        except Exception:
            log.exception("store ping failed")
            store_ok = False
        ready = knowledge.startswith("ok") and store_ok
        body = {
            "status": "ready" if ready else "not ready",
            "knowledge": knowledge,
            "store": "ok" if store_ok else "not writable",
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    async def metrics_endpoint(request: Request) -> Response:
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encoder(metrics.registry), media_type=content_type)

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        codes = {404: "not_found", 405: "method_not_allowed"}
        detail = exc.detail if isinstance(exc, HTTPException) else "error"
        headers = exc.headers if isinstance(exc, HTTPException) else None
        return JSONResponse(
            {"error": codes.get(status, "http_error"), "message": f"{detail}: {request.method} {request.url.path}"},
            status_code=status,
            headers=headers,
        )

    async def internal_error(request: Request, exc: Exception) -> Response:
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path, exc_info=exc)
        return JSONResponse({"error": "internal", "message": "internal error; it has been logged"}, status_code=500)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            for hook_list, hook in hooks:
                if hook in hook_list:
                    hook_list.remove(hook)

    routes: list[BaseRoute] = [
        Route("/v1/triage", triage, methods=["POST"]),
        Route("/v1/ask", ask, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        *extra_routes,
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error, Exception: internal_error},
    )
    app.state.metrics_registry = metrics.registry
    if settings.api_token is None:
        log.warning("MAILMEDIC_API_TOKEN is not set: /v1/ answers loopback clients only")
    return app


def _knowledge_state(bot: SupportBot) -> str:
    knowledge = bot.knowledge
    if knowledge is None:
        return "not loaded"
    entries = getattr(knowledge, "entries", None)
    if entries is None:
        return "ok"
    return f"ok ({len(entries)} entries)" if len(entries) else "empty"
