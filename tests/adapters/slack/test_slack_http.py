"""The HTTP-mode server, end to end: signed requests to /slack/events of the running uvicorn
server, the real core behind it, and the Web API stand-in recording what the bot sends."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from .harness import ESCALATE_TO, TRIAGE_CHANNEL, SlackServer, start_server, stop_server, with_settings
from .slack_standin import BOT_ID, BOT_USER_ID, SlackStandIn

from bot.checks.runner import GuardedChecker, default_checker
from bot.config import Settings
from bot.knowledge import load_knowledge
from bot.store import SqliteStore

FRENCH_RELAY = (
    f"<@{BOT_USER_ID}> Bonjour, je ne peux plus envoyer de courriels. Le serveur me répond : "
    "Sorry, that domain isn't allowed to be relayed thru this MTA"
)


def mention(text: str, *, user: str = "UFR00001", channel: str = "CGENERAL1", ts: str = "1700000100.000200",
            thread_ts: str | None = None) -> dict[str, Any]:
    event = {"type": "app_mention", "user": user, "text": text, "ts": ts, "channel": channel,
             "event_ts": ts, "team": "T0000001"}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message(text: str, *, user: str = "UFR00001", channel: str = "CGENERAL1", ts: str = "1700000100.000200",
            channel_type: str = "channel", **extra: Any) -> dict[str, Any]:
    return {"type": "message", "user": user, "text": text, "ts": ts, "channel": channel, "event_ts": ts,
            "channel_type": channel_type, "team": "T0000001", **extra}


def feedback_value(call_params: dict[str, Any]) -> tuple[str, str]:
    """The (up, down) button values of a posted answer."""
    blocks = call_params["blocks"]
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    actions = [b for b in blocks if b["type"] == "actions"]
    assert actions, "the answer has no feedback buttons"
    values = {e["action_id"]: e["value"] for e in actions[0]["elements"]}
    return values["mailmedic.feedback.up"], values["mailmedic.feedback.down"]


def all_text(params: dict[str, Any]) -> str:
    blocks = params.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return str(params.get("text", "")) + "\n" + json.dumps(blocks, ensure_ascii=False)


async def quiet(standin: SlackStandIn, seconds: float = 0.4) -> None:
    """Give a wrongly scheduled second reply the time to show up."""
    await asyncio.sleep(seconds)


async def test_french_mention_gets_one_french_answer_in_its_thread(slack: SlackServer, standin: SlackStandIn) -> None:
    standin.locales["UFR00001"] = "en-US"  # the words decide, not the locale
    callback = slack.event(mention(FRENCH_RELAY))

    response = await slack.post_event(callback)
    assert response.status_code == 200

    (post,) = await standin.wait_for("chat.postMessage")
    assert post.params["channel"] == "CGENERAL1"
    assert post.params["thread_ts"] == "1700000100.000200"
    assert post.authorization == "Bearer xoxb-test-token"
    french = slack.bot.knowledge.render("relay-denied", "fr")
    assert french.title in post.params["text"]
    assert french.title in all_text(post.params)
    up, _ = feedback_value(post.params)
    assert json.loads(up)["e"] == "relay-denied"
    assert json.loads(up)["l"] == "fr"

    retry = await slack.post_event(callback, retry=1)
    assert retry.status_code == 200
    await quiet(standin)
    assert len(standin.of("chat.postMessage")) == 1


async def test_bad_signature_is_refused_and_nothing_is_posted(slack: SlackServer, standin: SlackStandIn) -> None:
    response = await slack.post_event(slack.event(mention(FRENCH_RELAY)), secret="not-the-secret")
    assert response.status_code == 401
    await quiet(standin)
    assert standin.of("chat.postMessage") == []


async def test_healthz_on_the_same_port(slack: SlackServer) -> None:
    response = await slack.http.get("/healthz")
    assert response.status_code == 200


async def test_a_mention_delivered_twice_is_answered_once(slack: SlackServer, standin: SlackStandIn) -> None:
    """Subscribed to app_mention and message.channels, Slack sends a mention twice (two
    event ids, one message); in a triage channel it must not get a triage note either."""
    text = f"<@{BOT_USER_ID}> my mail bounces with 550 5.7.1 Unable to relay"
    for channel in ("CGENERAL1", TRIAGE_CHANNEL):
        ts = "1700000200.000100" if channel == "CGENERAL1" else "1700000300.000100"
        await slack.post_event(slack.event(message(text, channel=channel, ts=ts)))
        await slack.post_event(slack.event(mention(text, channel=channel, ts=ts)))
        await slack.post_event(slack.event(message(text, channel=channel, ts=ts)))
    posts = await standin.wait_for("chat.postMessage", 2)
    await quiet(standin)
    posts = standin.of("chat.postMessage")
    assert sorted(p.params["channel"] for p in posts) == sorted(["CGENERAL1", TRIAGE_CHANNEL])
    assert all("relay-denied" in all_text(p.params) for p in posts)
    assert standin.of("reactions.add") == []  # no triage emoji: it was an answer


async def test_direct_message_is_answered_in_the_dm(slack: SlackServer, standin: SlackStandIn) -> None:
    standin.locales["UES00001"] = "es-ES"
    text = "Hola, no puedo enviar correos, me sale el error 554 5.7.1 Relay access denied al enviar"
    await slack.post_event(slack.event(message(text, user="UES00001", channel="D0DIRECT1", channel_type="im")))
    (post,) = await standin.wait_for("chat.postMessage")
    assert post.params["channel"] == "D0DIRECT1"
    assert "thread_ts" not in post.params or post.params["thread_ts"] is None
    assert slack.bot.knowledge.render("relay-denied", "es").title in post.params["text"]


async def test_short_message_takes_the_language_of_the_users_slack_locale(
    slack: SlackServer, standin: SlackStandIn
) -> None:
    standin.locales["UDE00001"] = "de-DE"
    await slack.post_event(slack.event(mention(f"<@{BOT_USER_ID}> help", user="UDE00001", ts="1700000400.000100")))
    (post,) = await standin.wait_for("chat.postMessage")
    assert post.params["text"] == slack.bot.ui("de", "help")
    (info,) = standin.of("users.info")
    assert info.params["user"] == "UDE00001"
    assert str(info.params["include_locale"]).lower() in ("1", "true")

    # the locale is cached per user: a second message costs no second users.info
    await slack.post_event(slack.event(mention(f"<@{BOT_USER_ID}> hilfe", user="UDE00001", ts="1700000401.000100")))
    await standin.wait_for("chat.postMessage", 2)
    assert len(standin.of("users.info")) == 1


async def test_a_thread_keeps_its_language(slack: SlackServer, standin: SlackStandIn) -> None:
    standin.locales["UFR00001"] = "en-US"
    await slack.post_event(slack.event(mention(FRENCH_RELAY, ts="1700000500.000100")))
    await standin.wait_for("chat.postMessage")
    follow_up = mention(f"<@{BOT_USER_ID}> ok", ts="1700000501.000100", thread_ts="1700000500.000100")
    await slack.post_event(slack.event(follow_up))
    posts = await standin.wait_for("chat.postMessage", 2)
    assert posts[1].params["thread_ts"] == "1700000500.000100"
    assert json.loads(feedback_value(posts[0].params)[0])["l"] == "fr"
    # a short reply in the thread ("ok") is answered in the thread's French, not the en-US locale
    assert posts[1].params["text"].startswith(slack.bot.ui("fr", "ack.reply"))


async def test_rate_limited_post_is_retried(slack: SlackServer, standin: SlackStandIn) -> None:
    standin.fail_next("chat.postMessage", 429)
    await slack.post_event(slack.event(mention(f"<@{BOT_USER_ID}> 550 5.7.1 Unable to relay")))
    posts = await standin.wait_for("chat.postMessage", 2, timeout=15)
    assert posts[0].params == posts[1].params  # the same message, sent again after Retry-After
    await quiet(standin)
    assert len(standin.of("chat.postMessage")) == 2


async def test_dropped_connection_is_retried(slack: SlackServer, standin: SlackStandIn) -> None:
    standin.fail_next("chat.postMessage", "disconnect")
    await slack.post_event(slack.event(mention(f"<@{BOT_USER_ID}> 550 5.7.1 Unable to relay")))
    posts = await standin.wait_for("chat.postMessage", 2, timeout=15)
    assert posts[0].params == posts[1].params


async def test_slash_command_is_acknowledged_fast_and_answered_via_response_url(
    slack: SlackServer, standin: SlackStandIn
) -> None:
    standin.locales["UCS00001"] = "cs-CZ"
    form = {
        "command": "/mailmedic", "text": "help", "user_id": "UCS00001", "user_name": "jana",
        "channel_id": "CGENERAL1", "channel_name": "general", "team_id": "T0000001",
        "response_url": standin.response_url("help"), "trigger_id": "1.2.3", "api_app_id": "A0MAILMEDIC",
    }
    started = time.monotonic()
    response = await slack.post_command(form)
    assert response.status_code == 200
    assert time.monotonic() - started < 3.0
    (answer,) = await standin.wait_for("response/help")
    assert answer.params["text"] == slack.bot.ui("cs", "help")
    assert answer.params["response_type"] == "ephemeral"


async def test_slash_lang_sets_the_users_language(slack: SlackServer, standin: SlackStandIn) -> None:
    standin.locales["UEN00001"] = "en-GB"
    form = {
        "command": "/mailmedic", "text": "lang fr", "user_id": "UEN00001", "channel_id": "CGENERAL1",
        "team_id": "T0000001", "response_url": standin.response_url("lang"), "trigger_id": "1.2.4",
    }
    assert (await slack.post_command(form)).status_code == 200
    (answer,) = await standin.wait_for("response/lang")
    assert answer.params["text"] == slack.bot.ui("fr", "lang.set")
    # from now on, even an English question gets a French answer
    await slack.post_event(
        slack.event(mention(f"<@{BOT_USER_ID}> I can't send email, it says relay access denied", user="UEN00001"))
    )
    (post,) = await standin.wait_for("chat.postMessage")
    assert slack.bot.knowledge.render("relay-denied", "fr").title in post.params["text"]


async def test_feedback_click_is_recorded_and_survives_a_restart(
    settings: Settings, standin: SlackStandIn
) -> None:
    client, server, task = await start_server(settings)
    try:
        await client.post_event(client.event(mention(FRENCH_RELAY, ts="1700000600.000100")))
        (post,) = await standin.wait_for("chat.postMessage")
        up, down = feedback_value(post.params)
        message_ts = "1700000999.000100"
        payload = {
            "type": "block_actions",
            "user": {"id": "UFR00001", "username": "marie", "team_id": "T0000001"},
            "api_app_id": "A0MAILMEDIC",
            "team": {"id": "T0000001"},
            "container": {"type": "message", "message_ts": message_ts, "channel_id": "CGENERAL1"},
            "channel": {"id": "CGENERAL1", "name": "general"},
            "message": {"type": "message", "ts": message_ts, "thread_ts": "1700000600.000100", "bot_id": BOT_ID},
            "response_url": standin.response_url("feedback"),
            "trigger_id": "1.2.5",
            "actions": [{"type": "button", "action_id": "mailmedic.feedback.down", "block_id": "mailmedic.feedback",
                         "value": down, "action_ts": "1700001000.000100"}],
        }
        response = await client.post_action(payload)
        assert response.status_code == 200
        # a 👎 calls the configured group into the thread
        escalation = (await standin.wait_for("chat.postMessage", 2))[1]
        assert escalation.params["thread_ts"] == "1700000600.000100"
        assert f"<!subteam^{ESCALATE_TO}>" in escalation.params["text"]
        assert "<@UFR00001>" in escalation.params["text"]
        # a second click by the same person is not counted twice
        await client.post_action(payload)
        await standin.wait_for("response/feedback")
    finally:
        await stop_server(client, server, task)

    store = SqliteStore(settings.db)  # a new process's view of the same file
    try:
        rows = store.query("SELECT platform, user, entry_id, language, confidence, helpful, message_ref FROM feedback")
    finally:
        store.close()
    assert len(rows) == 1
    platform, user, entry_id, language, confidence, helpful, ref = rows[0]
    assert (platform, user, entry_id, language, helpful) == ("slack", "UFR00001", "relay-denied", "fr", 0)
    assert confidence == pytest.approx(json.loads(up)["c"])
    assert ref == f"CGENERAL1:{message_ts}"


async def test_thumbs_up_thanks_without_calling_anyone(slack: SlackServer, standin: SlackStandIn) -> None:
    await slack.post_event(slack.event(mention(FRENCH_RELAY)))
    (post,) = await standin.wait_for("chat.postMessage")
    up, _ = feedback_value(post.params)
    payload = {
        "type": "block_actions", "user": {"id": "UFR00001"}, "team": {"id": "T0000001"},
        "container": {"type": "message", "message_ts": "1700000001.000100", "channel_id": "CGENERAL1"},
        "channel": {"id": "CGENERAL1"}, "message": {"ts": "1700000001.000100", "thread_ts": "1700000100.000200"},
        "response_url": standin.response_url("thanks"), "trigger_id": "1.2.6",
        "actions": [{"type": "button", "action_id": "mailmedic.feedback.up", "value": up}],
    }
    await slack.post_action(payload)
    (thanks,) = await standin.wait_for("response/thanks")
    assert thanks.params["text"] == slack.bot.ui("fr", "slack.feedback.thanks")
    assert len(standin.of("chat.postMessage")) == 1
    rows = slack.store.query("SELECT helpful FROM feedback")
    assert rows == [(1,)]


async def test_new_message_in_a_triage_channel_gets_a_note_and_an_emoji(
    slack: SlackServer, standin: SlackStandIn
) -> None:
    standin.locales["UCUST001"] = "fr-FR"
    text = ("Bonjour, mes clients ne recoivent plus mes mails. Le serveur me répond : "
            "Sorry, that domain isn't allowed to be relayed thru this MTA")
    await slack.post_event(slack.event(message(text, user="UCUST001", channel=TRIAGE_CHANNEL, ts="1700000700.000100")))
    (note,) = await standin.wait_for("chat.postMessage")
    assert note.params["channel"] == TRIAGE_CHANNEL
    assert note.params["thread_ts"] == "1700000700.000100"
    body = all_text(note.params)
    assert "relay-denied" in body
    assert "sending" in body
    french_fix_start = slack.bot.knowledge.render("relay-denied", "fr").fix[:40]
    assert french_fix_start in body  # the suggested reply, in the customer's language
    (reaction,) = await standin.wait_for("reactions.add")
    assert reaction.params["name"] == "outbox_tray"
    assert reaction.params["timestamp"] == "1700000700.000100"
    assert slack.store.query("SELECT entry_id FROM triage") == [("relay-denied",)]

    # replies in the thread and messages of other channels are left alone
    await slack.post_event(slack.event(message("merci", user="UCUST001", channel=TRIAGE_CHANNEL,
                                               ts="1700000701.000100", thread_ts="1700000700.000100")))
    await slack.post_event(slack.event(message(text, user="UCUST001", channel="COTHER001", ts="1700000702.000100")))
    await quiet(standin)
    assert len(standin.of("chat.postMessage")) == 1


ODD_EVENTS: list[dict[str, Any]] = [
    message("", subtype="message_changed", channel_type="im", channel="D0DIRECT1",
            message={"type": "message", "user": "UFR00001", "text": "edited", "ts": "1.1"},
            previous_message={"type": "message", "user": "UFR00001", "text": "before", "ts": "1.1"}),
    message("", subtype="message_deleted", channel_type="im", channel="D0DIRECT1", deleted_ts="1.1"),
    message("Sorry, that domain isn't allowed to be relayed", subtype="bot_message", bot_id="BOTHER01",
            channel_type="im", channel="D0DIRECT1"),
    message("Sorry, that domain isn't allowed to be relayed", user=BOT_USER_ID, bot_id=BOT_ID,
            channel_type="im", channel="D0DIRECT1"),
    message("Sorry, that domain isn't allowed to be relayed", user=BOT_USER_ID, channel=TRIAGE_CHANNEL),
    message("", subtype="channel_join", channel=TRIAGE_CHANNEL),
    message("", channel=TRIAGE_CHANNEL, subtype="file_share", files=[{"id": "F1", "name": "bounce.png"}]),
    message("something", subtype="some_future_subtype", channel_type="im", channel="D0DIRECT1"),
    {"type": "message", "channel": "D0DIRECT1", "channel_type": "im", "ts": "1700000800.000100"},
    {"type": "reaction_added", "user": "UFR00001", "reaction": "thumbsup",
     "item": {"type": "message", "channel": "CGENERAL1", "ts": "1.1"}},
]


async def test_odd_events_are_acknowledged_and_ignored(slack: SlackServer, standin: SlackStandIn) -> None:
    """Edits, deletions, bots (this one included), joins, files without words, subtypes Slack
    may add, a message without text, an event type nobody subscribed to: 200, no reply."""
    for event in ODD_EVENTS:
        response = await slack.post_event(slack.event(event))
        assert response.status_code == 200, event
    await quiet(standin, 0.5)
    assert standin.of("chat.postMessage") == []
    assert standin.of("reactions.add") == []


async def test_dm_with_only_a_file_gets_help_not_a_crash(slack: SlackServer, standin: SlackStandIn) -> None:
    standin.locales["UEN00002"] = "en-US"
    event = message("", user="UEN00002", channel="D0DIRECT2", channel_type="im", subtype="file_share",
                    files=[{"id": "F1", "name": "bounce.png"}])
    await slack.post_event(slack.event(event))
    (post,) = await standin.wait_for("chat.postMessage")
    assert post.params["text"] == slack.bot.ui("en", "help")


def _checker(settings: Settings) -> GuardedChecker:
    """The core's real checker, asking the loopback DNS server of the test."""
    return default_checker(settings, load_knowledge())


async def test_a_check_gets_eyes_while_it_runs(settings: Settings, standin: SlackStandIn,
                                               dns_servers: tuple[str, ...]) -> None:
    settings = with_settings(settings, dns_servers=dns_servers)
    client, server, task = await start_server(settings, checker=_checker(settings))
    try:
        standin.locales["UFR00003"] = "fr-FR"
        await client.post_event(client.event(mention(f"<@{BOT_USER_ID}> check <http://example.com|example.com>",
                                                     user="UFR00003", ts="1700000900.000100")))
        (post,) = await standin.wait_for("chat.postMessage")
        (remove,) = await standin.wait_for("reactions.remove")
    finally:
        await stop_server(client, server, task)
    (eyes,) = standin.of("reactions.add")
    assert eyes.params["name"] == "eyes" and eyes.params["timestamp"] == "1700000900.000100"
    assert remove.params["name"] == "eyes"
    assert eyes.at < post.at <= remove.at
    body = all_text(post.params)
    # the real check's findings, in French, with the DNS evidence verbatim in a code block
    assert "mx1.example.com" in body and "```mx1.example.com A 93.184.216.34" in body
    assert post.params["text"].startswith(client.bot.ui("fr", "label.findings"))


async def test_no_eyes_for_a_plain_answer(slack: SlackServer, standin: SlackStandIn) -> None:
    await slack.post_event(slack.event(mention(FRENCH_RELAY)))
    await standin.wait_for("chat.postMessage")
    assert standin.of("reactions.add") == []


async def test_slash_check_answers_in_channel(settings: Settings, standin: SlackStandIn,
                                             dns_servers: tuple[str, ...]) -> None:
    settings = with_settings(settings, dns_servers=dns_servers)
    client, server, task = await start_server(settings, checker=_checker(settings))
    try:
        form = {"command": "/mailmedic", "text": "check nowhere.example.org", "user_id": "UEN00004",
                "channel_id": "CGENERAL1", "team_id": "T0000001", "trigger_id": "1.2.7",
                "response_url": standin.response_url("check")}
        started = time.monotonic()
        assert (await client.post_command(form)).status_code == 200
        assert time.monotonic() - started < 3.0
        interim, answer = await standin.wait_for("response/check", 2)
    finally:
        await stop_server(client, server, task)
    assert interim.params["response_type"] == "ephemeral"
    assert interim.params["text"] == client.bot.ui("en", "slack.checking")
    assert answer.params["response_type"] == "in_channel"
    body = all_text(answer.params)
    assert ":x: *nowhere.example.org*" in body and "NXDOMAIN" in body


async def test_slash_check_says_checking_at_once_in_the_users_language(
    settings: Settings, standin: SlackStandIn, dns_servers: tuple[str, ...]
) -> None:
    settings = with_settings(settings, dns_servers=dns_servers)
    client, server, task = await start_server(settings, checker=_checker(settings))
    try:
        standin.locales["UCS00005"] = "cs-CZ"
        form = {"command": "/mailmedic", "text": "check example.com", "user_id": "UCS00005",
                "channel_id": "CGENERAL1", "team_id": "T0000001", "trigger_id": "1.3.1",
                "response_url": standin.response_url("check-cs")}
        assert (await client.post_command(form)).status_code == 200
        interim, result = await standin.wait_for("response/check-cs", 2)
        await quiet(standin)
        assert len(standin.of("response/check-cs")) == 2
    finally:
        await stop_server(client, server, task)
    assert interim.at <= result.at
    assert interim.params["text"] == client.bot.ui("cs", "slack.checking")
    assert interim.params["response_type"] == "ephemeral"
    assert str(interim.params["replace_original"]).lower() in ("0", "false")
    assert result.params["response_type"] == "in_channel"
    assert "mx1.example.com" in all_text(result.params)


async def test_slash_question_or_help_gets_no_interim(
    settings: Settings, standin: SlackStandIn, dns_servers: tuple[str, ...]
) -> None:
    settings = with_settings(settings, dns_servers=dns_servers)
    client, server, task = await start_server(settings, checker=_checker(settings))
    try:
        for name, text in (("question", "554 5.7.1 Relay access denied"), ("help", "help")):
            form = {"command": "/mailmedic", "text": text, "user_id": "UEN00006", "channel_id": "CGENERAL1",
                    "team_id": "T0000001", "trigger_id": "1.3.2", "response_url": standin.response_url(name)}
            assert (await client.post_command(form)).status_code == 200
            await standin.wait_for(f"response/{name}")
        await quiet(standin)
        (question,) = standin.of("response/question")
        (help_,) = standin.of("response/help")
    finally:
        await stop_server(client, server, task)
    assert "relay-denied" in all_text(question.params)
    assert help_.params["text"] == client.bot.ui("en", "help")
    assert client.bot.ui("en", "slack.checking") not in question.params["text"] + help_.params["text"]
