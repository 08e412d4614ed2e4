"""The real webhook service on a loopback port, for tests that drive it with httpx.

``live_service`` builds a real SupportBot (packaged knowledge base, SQLite store in a temp
directory), wraps it in the webhook app and serves it with uvicorn from a thread on
127.0.0.1, port chosen by the kernel. Requests go over real TCP.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from adapters.webhook import create_app
from bot.checks import Checker
from bot.config import Settings
from bot.service import SupportBot
from bot.store import SqliteStore

TOKEN = "test-token-5f1c"


@dataclass
class Service:
    url: str
    bot: SupportBot
    store: SqliteStore
    settings: Settings

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10.0, **kwargs)  # type: ignore[arg-type]


@contextmanager
def serving(bot: SupportBot, settings: Settings) -> Iterator[str]:
    """Serve ``create_app(bot, settings)`` on 127.0.0.1 until the block ends; yields the URL."""
    app = create_app(bot, settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test service did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


ServiceFactory = Callable[..., Service]


def _start(stack: ExitStack, db: Path, *, api_token: str | None, checker: Checker | None) -> Service:
    settings = Settings(api_token=api_token, db=str(db))
    store = SqliteStore(settings.db)
    stack.callback(store.close)
    bot = SupportBot(settings=settings, store=store, checker=checker)
    url = stack.enter_context(serving(bot, settings))
    return Service(url, bot, store, settings)


@pytest.fixture
def make_service(tmp_path: Path) -> Iterator[ServiceFactory]:
    """Start services on demand: ``make_service(api_token=..., checker=...)``."""
    with ExitStack() as stack:
        count = 0

        def start(*, api_token: str | None = TOKEN, checker: Checker | None = None) -> Service:
            nonlocal count
            count += 1
            return _start(stack, tmp_path / f"store{count}.db", api_token=api_token, checker=checker)

        yield start


@pytest.fixture(scope="module")
def refusing_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One service for a module's tests that only send requests it must refuse (4xx)."""
    with ExitStack() as stack:
        yield _start(stack, tmp_path_factory.mktemp("refusing") / "store.db", api_token=TOKEN, checker=None)


@pytest.fixture
def service(make_service: ServiceFactory) -> Service:
    """A service that wants the bearer token :data:`TOKEN`."""
    return make_service()


@pytest.fixture
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}
