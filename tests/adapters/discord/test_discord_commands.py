"""Slash commands and feedback buttons, through real discord.Interaction objects.

Each interaction is an INTERACTION_CREATE payload handed to the client's ConnectionState,
which builds the ``discord.Interaction`` and runs the command tree or the button, as the
gateway would; responses travel through discord.py's webhook adapter to the stand-in.
"""

from __future__ import annotations

import asyncio
from typing import Any

import discord
from discord_standin import (
    APP_ID,
    BOT_ID,
    Deliver,
    DiscordStandin,
    RecordingChecker,
    payload,
    settle,
    snowflake,
)

from adapters import discord_app
from adapters.discord_app import MailmedicClient, to_inbound
from bot.service import SupportBot
from bot.store import MemoryStore

GERMAN_RELAY = "Ich kann keine Mails verschicken, Fehler: Relay access denied"


def command(name: str, options: list[dict[str, Any]] | None = None, **changes: Any) -> dict[str, Any]:
    """An INTERACTION_CREATE for slash command ``name`` (its default, English name)."""
    return payload(
        "interaction_command",
        id=snowflake(),
        token=f"token-{snowflake()}",
        data={"type": 1, "name": name, "id": snowflake(), "options": options or []},
        **changes,
    )


def option(name: str, value: Any, kind: int = 3) -> dict[str, Any]:
    return {"type": kind, "name": name, "value": value}


def callbacks(standin: DiscordStandin, interaction: dict[str, Any]) -> list[Any]:
    return standin.sent(rf"POST /interactions/{interaction['id']}/[^/]+/callback")


async def test_ask_with_czech_locale_and_short_text_answers_in_czech(
    client: MailmedicClient, deliver: Deliver, standin: DiscordStandin, support_bot: SupportBot
) -> None:
    # Two words say nothing about the language: the user's locale decides, not the guild's.
    event = command("ask", [option("text", "imap port")], locale="cs", guild_locale="en-US")
    deliver("INTERACTION_CREATE", event)
    await settle()

    (call,) = callbacks(standin, event)
    assert call.body["type"] == 4  # an immediate answer, no defer: no check ran
    (embed,) = call.embeds
    czech = support_bot.knowledge.render("imap-settings", "cs")
    assert embed["title"] == czech.title
    assert embed["description"] == czech.cause
    buttons = [b["label"] for row in call.components for b in row["components"]]
    assert buttons == [support_bot.ui("cs", f"discord.feedback.{key}") for key in ("helpful", "unhelpful")]


async def test_check_defers_then_follows_up_with_the_findings(
    client: MailmedicClient, deliver: Deliver, standin: DiscordStandin, checker: RecordingChecker
) -> None:
    event = command("check", [option("target", "example.org")], locale="de", guild_locale="de")
    deliver("INTERACTION_CREATE", event)
    await settle()

    (defer,) = callbacks(standin, event)
    assert defer.body["type"] == 5  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: "thinking..."
    (followup,) = standin.sent(rf"POST /webhooks/{APP_ID}/{event['token']}")
    assert standin.calls.index(defer) < standin.calls.index(followup)
    assert followup.query.get("wait") in ("1", "true")
    (embed,) = followup.embeds
    assert any("example.org" in field["name"] for field in embed["fields"])
    ((asked, user, _),) = checker.commands
    # the rate limit counts per platform and person
    assert asked.args == ("example.org",) and user == f"discord:{event['member']['user']['id']}"


async def test_check_with_a_port_passes_both_to_the_core(
    client: MailmedicClient, deliver: Deliver, standin: DiscordStandin, checker: RecordingChecker
) -> None:
    event = command("check", [option("target", "mail.example.org"), option("port", 465, kind=4)])
    deliver("INTERACTION_CREATE", event)
    await settle()

    ((asked, _, _),) = checker.commands
    assert asked.kind == "port" and asked.args == ("mail.example.org", "465")


async def test_a_trailing_space_in_an_address_reaches_the_check(
    client: MailmedicClient, deliver: Deliver, standin: DiscordStandin, checker: RecordingChecker
) -> None:
    deliver("INTERACTION_CREATE", command("check", [option("target", "info@example.org ")]))
    await settle()

    ((asked, _, _),) = checker.commands
    assert asked.kind == "address" and asked.args == ("info@example.org ",)


async def test_a_slow_answer_is_deferred_before_discords_three_seconds(
    client: MailmedicClient,
    deliver: Deliver,
    standin: DiscordStandin,
    support_bot: SupportBot,
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(discord_app, "DEFER_AFTER", 0.05)
    real = support_bot.handle

    async def slow(inbound: Any) -> Any:
        await asyncio.sleep(0.3)
        return await real(inbound)

    monkeypatch.setattr(support_bot, "handle", slow)
    event = command("ask", [option("text", GERMAN_RELAY)], locale="de")
    deliver("INTERACTION_CREATE", event)
    await settle()

    (defer,) = callbacks(standin, event)
    assert defer.body["type"] == 5
    (followup,) = standin.sent(rf"POST /webhooks/{APP_ID}/{event['token']}")
    assert followup.embeds[0]["title"] == support_bot.knowledge.render("relay-denied", "de").title


async def test_help_answers_privately_in_the_users_locale(
    client: MailmedicClient, deliver: Deliver, standin: DiscordStandin, support_bot: SupportBot
) -> None:
    event = command("help", locale="es-ES", guild_locale="de")
    deliver("INTERACTION_CREATE", event)
    await settle()

    (call,) = callbacks(standin, event)
    assert call.body["type"] == 4
    assert call.body["data"]["flags"] & 64  # ephemeral
    assert call.embeds[0]["description"] == support_bot.ui("es", "help")


async def test_guild_locale_is_the_hint_when_the_users_locale_is_not_supported(client: MailmedicClient) -> None:
    data = command("help", locale="ja", guild_locale="fr")
    interaction = discord.Interaction(data=data, state=client._connection)  # type: ignore[arg-type]

    inbound = to_inbound(interaction)

    assert inbound.locale_hint == "fr"
    assert inbound.text == "help"
    assert inbound.platform == "discord"
    assert inbound.user == data["member"]["user"]["id"]


async def test_a_feedback_click_is_recorded_once(
    client: MailmedicClient, deliver: Deliver, standin: DiscordStandin, store: MemoryStore
) -> None:
    deliver("MESSAGE_CREATE", payload("message_create", id=snowflake(), content=f"<@{BOT_ID}> {GERMAN_RELAY}"))
    await settle()
    (answer,) = standin.sent(r"POST /channels/\d+/messages")
    sent = standin.messages[max(standin.messages)]  # the message the bot posted, as Discord stored it
    thumbs_up = answer.components[0]["components"][0]

    def click() -> dict[str, Any]:
        event = payload(
            "interaction_component",
            id=snowflake(),
            token=f"token-{snowflake()}",
            message=sent,
            data={"custom_id": thumbs_up["custom_id"], "component_type": 2},
        )
        deliver("INTERACTION_CREATE", event)
        return event

    first = click()
    await settle()
    second = click()
    await settle()

    (feedback,) = store.feedback
    assert feedback.platform == "discord"
    assert feedback.entry_id == "relay-denied"
    assert feedback.helpful is True
    assert feedback.language == "de"
    assert feedback.message_ref == sent["id"]
    assert 0.0 < feedback.confidence <= 1.0
    (thanks,) = callbacks(standin, first)
    (again,) = callbacks(standin, second)
    assert thanks.body["data"]["flags"] & 64 and again.body["data"]["flags"] & 64
    assert thanks.body["data"]["content"] != again.body["data"]["content"]
