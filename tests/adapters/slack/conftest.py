"""Fixtures for the Slack adapter: the Web API stand-in, settings pointing at it, and the
running HTTP-mode server. (tests/conftest.py clears the environment, which bolt reads on
its own.)"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

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


