"""Fixtures for the Slack adapter: the Web API stand-in, settings pointing at it, and the
running HTTP-mode server. (tests/conftest.py clears the environment, which bolt reads on
its own.)"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from dnslib.server import DNSServer
from dnslib.zoneresolver import ZoneResolver

from bot.config import Settings

from .harness import ESCALATE_TO, SIGNING_SECRET, TRIAGE_CHANNEL, SlackServer, start_server, stop_server
from .slack_standin import SlackStandIn


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn() as server:
        yield server


@pytest.fixture
def settings(standin: SlackStandIn, tmp_path: Path) -> Settings:
    return Settings(
        db=str(tmp_path / "mailmedic.db"),
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=standin.api_url,
        slack_escalate_to=ESCALATE_TO,
        slack_triage_channels=(TRIAGE_CHANNEL,),
    )


@pytest.fixture
async def slack(settings: Settings) -> AsyncIterator[SlackServer]:
    client, server, task = await start_server(settings)
    try:
        yield client
    finally:
        await stop_server(client, server, task)




ZONE = """
example.com. 60 IN MX 10 mx1.example.com.
mx1.example.com. 60 IN A 93.184.216.34
"""


class _Quiet:
    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


@pytest.fixture(scope="session")
def dns_servers() -> Iterator[tuple[str, ...]]:
    """A real DNS server on 127.0.0.1 (UDP and TCP on one port) serving a small zone, for
    the core's real checker: example.com has an MX; every other name is NXDOMAIN."""
    resolver = ZoneResolver(ZONE)
    udp = DNSServer(resolver, address="127.0.0.1", port=0, logger=_Quiet())
    port = udp.server.server_address[1]
    tcp = DNSServer(resolver, address="127.0.0.1", port=port, tcp=True, logger=_Quiet())
    udp.start_thread()
    tcp.start_thread()
    yield (f"127.0.0.1:{port}",)
    for server in (udp, tcp):
        server.stop()
        server.server.server_close()
        server.thread.join(timeout=5)
