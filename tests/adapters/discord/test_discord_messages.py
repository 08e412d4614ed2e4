"""Mentions and direct messages, through discord.py's own gateway parsing and REST client."""

from __future__ import annotations

from typing import Any

import pytest
from discord_standin import (
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    OTHER_BOT_ID,
    USER_ID,
    Deliver,
    DiscordStandin,
    RecordingChecker,
    payload,
    settle,
    snowflake,
    user,
)

from adapters import discord_app
from adapters.discord_app import MailmedicClient, build_client
from bot.config import Settings
from bot.service import SupportBot

MENTION = f"<@{BOT_ID}>"
GERMAN_RELAY = "Ich kann keine Mails verschicken, Fehler: Relay access denied"


def mention(content: str, **changes: Any) -> dict[str, Any]:
    """A MESSAGE_CREATE in the server's #support channel from a person, with a fresh id."""
    return payload("message_create", id=snowflake(), content=content, **changes)


def replies(standin: DiscordStandin) -> list[Any]:
    return standin.sent(r"POST /channels/\d+/messages")


async def test_german_mention_gets_one_german_embed_with_the_right_entry(
    client: MailmedicClient, deliver: Deliver, standin: DiscordStandin, support_bot: SupportBot
) -> None:
    event = mention(f"{MENTION} {GERMAN_RELAY}")
    deliver("MESSAGE_CREATE", event)
    await settle()

    sent = replies(standin)
    assert len(sent) == 1
    call = sent[0]
    assert call.path == f"/channels/{CHANNEL_ID}/messages"
    assert str(call.body["message_reference"]["message_id"]) == event["id"]
    assert call.body["allowed_mentions"]["parse"] == []
    (embed,) = call.embeds
    german = support_bot.knowledge.render("relay-denied", "de")
    assert embed["title"] == german.title
    assert embed["description"] == german.cause
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    assert fields[support_bot.ui("de", "label.fix")] == german.fix
    assert "relay-denied" in embed["footer"]["text"]
    assert "Relay access denied" in fields[support_bot.ui("de", "label.error")]
    buttons = [button for row in call.components for button in row["components"]]
    assert [b["label"] for b in buttons] == ["Hilfreich", "Nicht hilfreich"]


async def test_bare_mention_gets_help_in_the_servers_language(
    client: MailmedicClient, deliver: Deliver, standin: DiscordStandin, support_bot: SupportBot
) -> None:
    deliver("MESSAGE_CREATE", mention(MENTION))
    await settle()

    (call,) = replies(standin)
    (embed,) = call.embeds
    # The server's preferred locale (guild_create.json) is German.
    assert embed["description"] == support_bot.ui("de", "help")
    assert call.components == []


async def test_mention_with_only_an_attachment_gets_help(
    client: MailmedicClient, deliver: Deliver, standin: DiscordStandin, support_bot: SupportBot
) -> None:
    attachment = {
        "id": snowflake(),
        "filename": "bounce.png",
        "size": 48213,
        "url": "https://cdn.discordapp.com/attachments/1/2/bounce.png",
        "proxy_url": "https://media.discordapp.net/attachments/1/2/bounce.png",
        "content_type": "image/png",
        "width": 800,
        "height": 600,
    }
    deliver("MESSAGE_CREATE", mention(MENTION, attachments=[attachment]))
    await settle()

    (call,) = replies(standin)
    assert call.embeds[0]["description"] == support_bot.ui("de", "help")


async def test_another_bots_message_gets_nothing(
    client: MailmedicClient, deliver: Deliver, standin: DiscordStandin
) -> None:
    before = len(standin.calls)
    other = user(OTHER_BOT_ID, "helperbot", bot=True)
    deliver("MESSAGE_CREATE", mention(f"{MENTION} {GERMAN_RELAY}", author=other))
    mine = user(BOT_ID, "mailmedic", bot=True)
    deliver("MESSAGE_CREATE", mention(f"{MENTION} {GERMAN_RELAY}", author=mine))
    await settle()

    assert standin.calls[before:] == []


async def test_a_message_that_does_not_mention_the_bot_gets_nothing(
    client: MailmedicClient, deliver: Deliver, standin: DiscordStandin
) -> None:
    before = len(standin.calls)
    # Without the message-content intent Discord sends such messages with empty content.
    deliver("MESSAGE_CREATE", mention("", mentions=[]))
    everyone = mention("@everyone Relay access denied", mentions=[], mention_everyone=True)
    deliver("MESSAGE_CREATE", everyone)
    await settle()

    assert standin.calls[before:] == []


async def test_direct_message_is_answered_in_its_own_language(
    client: MailmedicClient, deliver: Deliver, standin: DiscordStandin, support_bot: SupportBot
) -> None:
    dm_channel = snowflake()
    event = mention("Je n'arrive pas à envoyer de mails, j'ai l'erreur Relay access denied", mentions=[])
    event.pop("guild_id")
    event.pop("member")
    event["channel_id"] = dm_channel
    event["channel_type"] = 1
    deliver("MESSAGE_CREATE", event)
    await settle()

    (call,) = replies(standin)
    assert call.path == f"/channels/{dm_channel}/messages"
    assert call.embeds[0]["title"] == support_bot.knowledge.render("relay-denied", "fr").title


async def test_the_same_event_delivered_twice_is_answered_once(
    client: MailmedicClient, deliver: Deliver, standin: DiscordStandin
) -> None:
    event = mention(f"{MENTION} {GERMAN_RELAY}")
    deliver("MESSAGE_CREATE", event)
    deliver("MESSAGE_CREATE", dict(event))
    await settle()

    assert len(replies(standin)) == 1


async def test_an_edit_is_survived_and_not_answered_again(
    client: MailmedicClient, deliver: Deliver, standin: DiscordStandin
) -> None:
    event = mention(f"{MENTION} {GERMAN_RELAY}")
    deliver("MESSAGE_CREATE", event)
    await settle()
    edited = dict(event, content=f"{MENTION} {GERMAN_RELAY}!", edited_timestamp="2026-11-21T23:31:00.000000+00:00")
    deliver("MESSAGE_UPDATE", edited)
    # An edit of a message the client never cached, with its attachments only.
    deliver("MESSAGE_UPDATE", mention("", edited_timestamp="2026-11-21T23:32:00.000000+00:00"))
    await settle()

    assert len(replies(standin)) == 1


async def test_a_mention_in_a_thread_is_answered_in_the_thread(
    client: MailmedicClient, deliver: Deliver, standin: DiscordStandin, support_bot: SupportBot
) -> None:
    thread_id = snowflake()
    deliver(
        "THREAD_CREATE",
        {
            "id": thread_id,
            "type": 11,
            "guild_id": GUILD_ID,
            "parent_id": CHANNEL_ID,
            "owner_id": USER_ID,
            "name": "Mailprobleme",
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "flags": 0,
            "newly_created": True,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": "2026-11-21T23:00:00.000000+00:00",
                "locked": False,
            },
        },
    )
    deliver("MESSAGE_CREATE", mention(f"{MENTION} {GERMAN_RELAY}", channel_id=thread_id, channel_type=11))
    await settle()

    (call,) = replies(standin)
    assert call.path == f"/channels/{thread_id}/messages"
    assert standin.sent(r"POST /channels/\d+/messages/\d+/threads") == []


async def test_check_results_start_a_thread_on_the_message(
    client: MailmedicClient, deliver: Deliver, standin: DiscordStandin, checker: RecordingChecker
) -> None:
    event = mention(f"{MENTION} check example.org")
    deliver("MESSAGE_CREATE", event)
    await settle()

    (command, _, _) = checker.commands[0]
    assert command.args == ("example.org",)
    assert standin.sent(r"POST /channels/\d+/typing")
    (thread,) = standin.sent(r"POST /channels/\d+/messages/\d+/threads")
    assert thread.path == f"/channels/{CHANNEL_ID}/messages/{event['id']}/threads"
    assert 1 <= len(thread.body["name"]) <= 100
    (call,) = replies(standin)
    # A thread started on a message has the message's id.
    assert call.path == f"/channels/{event['id']}/messages"
    (embed,) = call.embeds
    assert any("example.org" in field["name"] and field["name"].startswith("❌") for field in embed["fields"])


async def test_a_long_answer_goes_to_a_thread_named_after_it(
    client: MailmedicClient,
    deliver: Deliver,
    standin: DiscordStandin,
    support_bot: SupportBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(discord_app, "LONG_REPLY", 200)
    event = mention(f"{MENTION} {GERMAN_RELAY}")
    deliver("MESSAGE_CREATE", event)
    await settle()

    (thread,) = standin.sent(r"POST /channels/\d+/messages/\d+/threads")
    assert thread.body["name"] == support_bot.knowledge.render("relay-denied", "de").title
    (call,) = replies(standin)
    assert call.path == f"/channels/{event['id']}/messages"


async def test_without_thread_permission_the_reply_goes_to_the_channel(
    client: MailmedicClient, deliver: Deliver, standin: DiscordStandin
) -> None:
    standin.fail_threads = True
    deliver("MESSAGE_CREATE", mention(f"{MENTION} check example.org"))
    await settle()

    (call,) = replies(standin)
    assert call.path == f"/channels/{CHANNEL_ID}/messages"
    assert call.embeds


async def test_a_failure_in_the_core_gets_the_apology_and_leaks_nothing(
    client: MailmedicClient,
    deliver: Deliver,
    standin: DiscordStandin,
    support_bot: SupportBot,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("db password is hunter2")

    assert support_bot.checker is not None
    monkeypatch.setattr(support_bot.checker, "run", broken)
    deliver("MESSAGE_CREATE", mention(f"{MENTION} check example.org"))
    await settle()

    (call,) = replies(standin)
    (embed,) = call.embeds
    assert embed["description"] == support_bot.ui("de", "error.internal")
    assert "hunter2" not in str(call.body)


async def test_a_refused_command_sync_does_not_keep_the_bot_off_discord(
    standin: DiscordStandin, support_bot: SupportBot, caplog: pytest.LogCaptureFixture
) -> None:
    standin.fail_sync = True
    client = build_client(support_bot, Settings(), guild_ready_timeout=0.05)
    try:
        await client.login("test-token")
        client._connection.parsers["READY"](payload("ready"))
        client._connection.parsers["GUILD_CREATE"](payload("guild_create"))
        client._connection.parsers["MESSAGE_CREATE"](mention(f"{MENTION} {GERMAN_RELAY}"))
        await settle()
    finally:
        await client.close()

    assert standin.sent(r"PUT /applications/\d+/commands")
    assert len(replies(standin)) == 1
    assert "slash commands not synced: HTTP 400" in caplog.text
    assert "test-token" not in caplog.text
