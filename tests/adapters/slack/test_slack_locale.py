"""The per-user locale cache, through slack_sdk's real client against the stand-in."""

from __future__ import annotations

import asyncio

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack_app import LocaleCache

from .slack_standin import SlackStandIn


async def test_locale_is_fetched_once_per_user_and_failures_expire_sooner(standin: SlackStandIn) -> None:
    standin.locales["UFR00001"] = "fr-FR"
    now = [1000.0]
    cache = LocaleCache(AsyncWebClient(token="xoxb-1", base_url=standin.api_url), ttl=3600, clock=lambda: now[0])

    # ten messages of one user arriving together cost one users.info
    results = await asyncio.gather(*(cache.get("UFR00001") for _ in range(10)))
    assert results == ["fr-FR"] * 10
    assert len(standin.of("users.info")) == 1

    # a user Slack does not know (a guest of a shared channel...) gives no hint, and no crash
    assert await cache.get("UGHOST001") is None
    assert await cache.get("UGHOST001") is None
    assert len(standin.of("users.info")) == 2

    now[0] += 600  # past the short memory of a failure, within the locale's hour
    standin.locales["UGHOST001"] = "de-AT"
    assert await cache.get("UGHOST001") == "de-AT"
    assert await cache.get("UFR00001") == "fr-FR"
    assert len(standin.of("users.info")) == 3

    now[0] += 3600  # a locale is refreshed after its time to live
    standin.locales["UFR00001"] = "es-ES"
    assert await cache.get("UFR00001") == "es-ES"
    assert await cache.get(None) is None
