"""Feedback by emoji reaction, end to end: a signed ``reaction_added`` callback about one of
the bot's answers (whose ``ts`` the Web API stand-in handed out) is recorded like a 👍/👎
button click, once per person and answer, in the store the next process reads too."""

from __future__ import annotations

import json
from typing import Any

from bot.config import Settings
from bot.store import SqliteStore

from .harness import ESCALATE_TO, SlackServer, start_server, stop_server, with_settings
from .slack_standin import BOT_USER_ID, SlackStandIn
from .test_slack_http import FRENCH_RELAY, feedback_value, mention, message, quiet

ANSWERED = "1700002000.000100"  # the ts of the person's message the bot answers


def reaction(name: str, channel: str, ts: str, *, user: str = "UFR00001", item_user: str | None = BOT_USER_ID,
             kind: str = "reaction_added") -> dict[str, Any]:
    event: dict[str, Any] = {"type": kind, "user": user, "reaction": name, "event_ts": "1700009999.000100",
                             "item": {"type": "message", "channel": channel, "ts": ts}}
    if item_user:
        event["item_user"] = item_user
    return event


def click(standin: SlackStandIn, channel: str, ts: str, action: str, value: str, *, trigger_id: str) -> dict[str, Any]:
    """A 👍/👎 button click on the answer at ``ts`` (``action``: ``up`` or ``down``), answered at response/click."""
    return {
        "type": "block_actions", "user": {"id": "UFR00001"}, "team": {"id": "T0000001"},
        "container": {"type": "message", "message_ts": ts, "channel_id": channel},
        "channel": {"id": channel}, "message": {"ts": ts, "thread_ts": ANSWERED},
        "response_url": standin.response_url("click"), "trigger_id": trigger_id,
        "actions": [{"type": "button", "action_id": f"mailmedic.feedback.{action}", "value": value}],
    }


async def answer(slack: SlackServer, standin: SlackStandIn, event: dict[str, Any] | None = None) -> tuple[str, str, dict[str, Any]]:
    """Have the bot answer a French relay question: (channel, ts of the answer, button value)."""
    before = len(standin.of("chat.postMessage"))
    await slack.post_event(slack.event(event or mention(FRENCH_RELAY, ts=ANSWERED)))
    posts = await standin.wait_for("chat.postMessage", before + 1)
    channel, ts = standin.posted[before]
    up, _ = feedback_value(posts[before].params)
    return channel, ts, json.loads(up)


def votes(store: SqliteStore) -> list[tuple[Any, ...]]:
    return store.query("SELECT user, entry_id, language, confidence, helpful, message_ref FROM feedback ORDER BY id")


async def test_thumbs_up_on_an_answer_is_recorded_like_the_button(slack: SlackServer, standin: SlackStandIn) -> None:
    channel, ts, value = await answer(slack, standin)
    assert value["e"] == "relay-denied" and value["l"] == "fr"

    response = await slack.post_event(slack.event(reaction("+1", channel, ts)))
    assert response.status_code == 200
    await quiet(standin)

    assert votes(slack.store) == [("UFR00001", "relay-denied", "fr", value["c"], 1, f"{channel}:{ts}")]
    assert len(standin.of("chat.postMessage")) == 1  # a 👍 is recorded quietly
    assert standin.of("chat.postEphemeral") == []


async def test_thumbs_down_calls_the_escalation_contact_into_the_thread(
    slack: SlackServer, standin: SlackStandIn
) -> None:
    channel, ts, value = await answer(slack, standin)

    await slack.post_event(slack.event(reaction("thumbsdown", channel, ts, user="UDE00002")))
    escalation = (await standin.wait_for("chat.postMessage", 2))[1]

    assert escalation.params["channel"] == channel
    assert escalation.params["thread_ts"] == ANSWERED  # the thread's root, not the answer in it
    assert escalation.params["text"] == slack.bot.ui(
        "fr", "slack.feedback.escalate", group=f"<!subteam^{ESCALATE_TO}>", user="<@UDE00002>"
    )
    assert votes(slack.store) == [("UDE00002", "relay-denied", "fr", value["c"], 0, f"{channel}:{ts}")]


async def test_one_vote_per_person_and_answer_whatever_the_way(slack: SlackServer, standin: SlackStandIn) -> None:
    channel, ts, _ = await answer(slack, standin)
    _, down = feedback_value(standin.of("chat.postMessage")[0].params)

    for name in ("+1", "+1::skin-tone-3", "-1"):  # a skin tone is the same 👍; a 👎 after it is a second vote
        await slack.post_event(slack.event(reaction(name, channel, ts)))
    await slack.post_action(click(standin, channel, ts, "down", down, trigger_id="1.2.8"))  # a button after the reaction
    (already,) = await standin.wait_for("response/click")
    assert already.params["text"] == slack.bot.ui("fr", "slack.feedback.already")
    await slack.post_event(slack.event(reaction("+1", channel, ts, user="UOTHER01")))  # someone else counts
    await quiet(standin)

    assert [(user, helpful) for user, _, _, _, helpful, _ in votes(slack.store)] == [("UFR00001", 1), ("UOTHER01", 1)]
    assert len(standin.of("chat.postMessage")) == 1  # the second 👎 did not escalate either


async def test_a_reaction_after_a_click_is_not_counted_again(slack: SlackServer, standin: SlackStandIn) -> None:
    channel, ts, _ = await answer(slack, standin)
    up, _ = feedback_value(standin.of("chat.postMessage")[0].params)
    await slack.post_action(click(standin, channel, ts, "up", up, trigger_id="1.2.9"))
    await standin.wait_for("response/click")
    await slack.post_event(slack.event(reaction("-1", channel, ts)))
    await quiet(standin)
    assert [helpful for *_, helpful, _ in votes(slack.store)] == [1]
    assert len(standin.of("chat.postMessage")) == 1


async def test_other_reactions_record_nothing(slack: SlackServer, standin: SlackStandIn) -> None:
    channel, ts, _ = await answer(slack, standin)
    ignored = [
        reaction("tada", channel, ts),  # another emoji on the answer
        reaction("heart", channel, ts),
        reaction("+1", channel, ANSWERED, item_user="UFR00001"),  # the person's own message
        reaction("+1", channel, ANSWERED, item_user=None),  # ... even when Slack leaves item_user out
        reaction("+1", channel, "1700002999.000100", item_user="UOTHERBOT"),  # another bot's message
        reaction("+1", channel, ts, user=BOT_USER_ID),  # the bot itself
        reaction("-1", channel, ts, kind="reaction_removed"),  # removing is not a vote
        {"type": "reaction_added", "user": "UFR00001", "reaction": "+1", "item_user": BOT_USER_ID,
         "item": {"type": "file", "file": "F0001"}},  # a reaction on a file
    ]
    for event in ignored:
        response = await slack.post_event(slack.event(event))
        assert response.status_code == 200, event
    await quiet(standin, 0.5)
    assert votes(slack.store) == []
    assert len(standin.of("chat.postMessage")) == 1
    assert standin.of("chat.postEphemeral") == []


async def test_a_triage_note_is_not_an_answer(slack: SlackServer, standin: SlackStandIn) -> None:
    from .harness import TRIAGE_CHANNEL

    text = "Bonjour, mes mails partent plus. Le serveur répond : Sorry, that domain isn't allowed to be relayed"
    await slack.post_event(slack.event(message(text, user="UCUST001", channel=TRIAGE_CHANNEL, ts="1700002100.000100")))
    await standin.wait_for("chat.postMessage")
    channel, note_ts = standin.posted[0]
    await slack.post_event(slack.event(reaction("-1", channel, note_ts, user="UAGENT01")))
    await quiet(standin)
    assert votes(slack.store) == []
    assert len(standin.of("chat.postMessage")) == 1


async def test_thumbs_down_in_a_dm_is_answered_to_the_person_alone(slack: SlackServer, standin: SlackStandIn) -> None:
    standin.locales["UES00001"] = "es-ES"
    text = "Hola, no puedo enviar correos, me sale el error 554 5.7.1 Relay access denied al enviar"
    event = message(text, user="UES00001", channel="D0DIRECT1", channel_type="im", ts="1700002200.000100")
    channel, ts, value = await answer(slack, standin, event)

    await slack.post_event(slack.event(reaction("-1", channel, ts, user="UES00001")))
    (sorry,) = await standin.wait_for("chat.postEphemeral")

    assert sorry.params["channel"] == "D0DIRECT1" and sorry.params["user"] == "UES00001"
    assert sorry.params["text"] == slack.bot.ui("es", "slack.feedback.sorry")
    assert len(standin.of("chat.postMessage")) == 1  # nobody is called into a DM
    assert votes(slack.store) == [("UES00001", "relay-denied", "es", value["c"], 0, f"D0DIRECT1:{ts}")]


async def test_a_vote_on_an_answer_from_before_a_restart_counts(settings: Settings, standin: SlackStandIn) -> None:
    """The answers are remembered in the store, not in the process: another process (a
    restart, or a second instance on the same database) records the reaction."""
    settings = with_settings(settings, slack_escalate_to=None)
    first, server, task = await start_server(settings)
    try:
        channel, ts, value = await answer(first, standin)
    finally:
        await stop_server(first, server, task)

    second, server, task = await start_server(settings)
    try:
        vote = second.event(reaction("-1", channel, ts, user="UFR00009"), event_id="EvAFTERRESTART")
        await second.post_event(vote)
        (sorry,) = await standin.wait_for("chat.postEphemeral")
        assert sorry.params["thread_ts"] == ANSWERED
        assert votes(second.store) == [("UFR00009", "relay-denied", "fr", value["c"], 0, f"{channel}:{ts}")]
    finally:
        await stop_server(second, server, task)
