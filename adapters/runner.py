"""Run the service: the HTTP app on ``PORT`` plus whichever chat platforms are configured.

``serve(settings)`` is what ``mailmedic serve``, ``mailmedic run`` (when a platform token is
set) and the Procfile's ``web`` process run. One process, one event loop:

* the webhook app (:mod:`adapters.webhook`) under uvicorn, always;
* Slack over HTTP (``/slack/events`` on the same server) when ``SLACK_BOT_TOKEN`` and
  ``SLACK_SIGNING_SECRET`` are set and ``SLACK_APP_TOKEN`` is not;
* Slack in Socket Mode when ``SLACK_APP_TOKEN`` is set;
* Discord when ``DISCORD_TOKEN`` is set.

The platform adapters are imported only when their token is set, so the service starts
without their SDKs. SIGTERM or SIGINT stops it gracefully: uvicorn stops accepting, lets the
requests in flight finish (each ticket is committed before it is acknowledged), then the
platform tasks are cancelled and the store is closed.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import uvicorn
from starlette.routing import BaseRoute

from bot.checks import Checker, default_checker
from bot.config import Settings
from bot.errors import ConfigError
from bot.knowledge import load_knowledge
from bot.service import SupportBot
from bot.store import Store, open_store

from .webhook import create_app

__all__ = ["main", "serve"]

log = logging.getLogger(__name__)

_GRACE_SECONDS = 10


async def serve(settings: Settings, *, sock: socket.socket | None = None, stop: asyncio.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or ``stop`` is set), then shut down gracefully.

    Args:
        settings: the configuration (``Settings.from_env()``).
        sock: an already bound listening socket to serve on instead of ``host:port``
            (for tests and the load script, which bind port 0).
        stop: set it to stop the service as a signal would (for embedding and tests).

    Raises:
        ConfigError: the store cannot be opened, or a platform is half configured.
        ImportError: a platform's token is set but its adapter is not installed.
    """
    store = open_store(settings.db)
    try:
        bot = SupportBot(settings=settings, store=store, checker=_checker(settings, store))
        await _serve_bot(bot, settings, sock, stop)
    finally:
        store.close()
        log.info("store closed")


def _adapter(name: str) -> Any:
    """Import a platform adapter (and so its SDK) only when its token is set.

    Raises:
        ImportError: the adapter or its SDK is not installed.
    """
    return importlib.import_module(f"{__package__}.{name}")


def _checker(settings: Settings, store: Store) -> Checker:
    """The deployment's DNS and port checker (guarded: public mail servers only), its rate
    limit kept in the deployment's store.

    Raises:
        ConfigError: ``MAILMEDIC_DNS_SERVERS`` is malformed.
    """
    return default_checker(settings, load_knowledge(), store)


async def _serve_bot(
    bot: SupportBot, settings: Settings, sock: socket.socket | None, stop: asyncio.Event | None
) -> None:
    extra_routes: list[BaseRoute] = []
    background: list[tuple[str, Any]] = []
    halt = asyncio.Event()
    failures: list[BaseException] = []

    def crashed(name: str, exc: BaseException) -> None:
        log.error("%s stopped with %s; stopping the service", name, type(exc).__name__, exc_info=exc)
        failures.append(exc)
        halt.set()

    if settings.slack_app_token:
        slack_app = _adapter("slack_app")
        background.append(("slack", await _start("slack", slack_app.start_socket_mode(bot, settings), crashed)))
        log.info("slack: socket mode")
    elif settings.slack_bot_token and settings.slack_signing_secret:
        slack_app = _adapter("slack_app")
        extra_routes.extend(slack_app.slack_routes(bot, settings))
        log.info("slack: HTTP mode on /slack/events")
    elif settings.slack_bot_token or settings.slack_signing_secret:
        missing = "SLACK_SIGNING_SECRET" if settings.slack_bot_token else "SLACK_BOT_TOKEN"
        raise ConfigError(f"Slack over HTTP needs {missing} too (or SLACK_APP_TOKEN for Socket Mode)", variable=missing)
    if settings.discord_token:
        background.append(("discord", await _start("discord", _adapter("discord_app").start(bot, settings), crashed)))
        log.info("discord: connecting")

    app = create_app(bot, settings, extra_routes=extra_routes)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=_GRACE_SECONDS,
        lifespan="on",
        ws="none",
    )
    server = uvicorn.Server(config)
    watchers = [asyncio.ensure_future(_exit_on(event, server)) for event in (halt, stop) if event is not None]
    try:
        with _signals_end_serving():
            await server.serve(sockets=[sock] if sock is not None else None)
    finally:
        for watcher in watchers:
            watcher.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
        for name, handle in reversed(background):
            await _stop(name, handle)
    log.info("stopped")
    if failures:
        raise failures[0]


async def _exit_on(event: asyncio.Event, server: uvicorn.Server) -> None:
    await event.wait()
    server.should_exit = True


@contextmanager
def _signals_end_serving() -> Iterator[None]:
    """Let SIGTERM/SIGINT end ``server.serve()`` and no more.

    uvicorn handles both signals while it serves (stop accepting, finish the requests in
    flight), then raises the signal again under the handlers it found. With these no-op
    handlers in place that second delivery is harmless, so the platforms get stopped and the
    store closed before the process exits.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _note(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)

    previous = {sig: signal.signal(sig, _note) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


async def _start(name: str, started: Any, crashed: Callable[[str, BaseException], None]) -> Any:
    """Turn what a platform's ``start`` returned into something :func:`_stop` can stop.

    A coroutine that runs the platform (until cancelled) becomes a task, and ``crashed`` is
    called if it ends with an error (the service then stops: a supervisor restarts it rather
    than leaving it up without the platform). An awaitable that returns a handle (a client,
    a handler) is awaited; anything else is kept as it is.
    """
    if inspect.iscoroutine(started):
        task: asyncio.Task[Any] = asyncio.ensure_future(started)

        def _done(task: asyncio.Task[Any]) -> None:
            if not task.cancelled() and task.exception() is not None:
                crashed(name, task.exception())  # type: ignore[arg-type]

        task.add_done_callback(_done)
        await asyncio.sleep(0)  # let it start; a coroutine that returns a handle is done now
        if task.done() and task.exception() is None:
            return task.result()
        return task
    if isinstance(started, Awaitable):
        return await started
    return started


async def _stop(name: str, handle: Any) -> None:
    """Stop one platform: cancel its task or close its handle; never raises."""
    try:
        if isinstance(handle, asyncio.Task):
            if not handle.done():
                handle.cancel()
                await asyncio.gather(handle, return_exceptions=True)
                log.info("%s stopped", name)
                return
            if handle.cancelled() or handle.exception() is not None:
                log.info("%s had stopped already", name)
                return
            handle = handle.result()  # a start coroutine that returned its handle
        if handle is not None:
            for method in ("aclose", "close_async", "close", "disconnect", "stop"):
                closer = getattr(handle, method, None)
                if callable(closer):
                    result = closer()
                    if inspect.isawaitable(result):
                        await result
                    break
        log.info("%s stopped", name)
    except Exception:
        log.exception("%s did not stop cleanly", name)


def platforms_configured(settings: Settings) -> bool:
    """True when a chat platform token is set (``mailmedic run`` then serves)."""
    return bool(settings.slack_bot_token or settings.slack_app_token or settings.discord_token)


def main(argv: list[str] | None = None) -> int:
    """``python -m adapters.runner``: serve with the settings from the environment.

    Returns:
        The process exit code: 0 after a graceful stop, 2 for a configuration error.
    """
    try:
        settings = Settings.from_env(os.environ)
    except ConfigError as exc:
        print(f"mailmedic: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(serve(settings))
    except ConfigError as exc:
        log.error("%s", exc)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
