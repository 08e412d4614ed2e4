"""The two translators: Slack markup -> Inbound, Reply -> Block Kit within Slack's limits."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.slack_app import (
    FEEDBACK_ACTIONS,
    MAX_BLOCKS,
    MAX_SECTION,
    MAX_TEXT,
    mention,
    to_blocks,
    to_inbound,
    to_text,
    to_text_fallback,
    triage_blocks,
)
from bot.knowledge import load_knowledge
from bot.models import LANGUAGES, Finding, OtherProblem, Reply, Suggestion, Triage

UI = load_knowledge().ui_text


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    """Every mrkdwn / plain text of the blocks."""
    out: list[str] = []
    for block in blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        for element in block.get("elements", []) + block.get("fields", []):
            if "text" in element:
                out.append(element["text"] if isinstance(element["text"], str) else element["text"]["text"])
    return out


@pytest.mark.parametrize(
    ("slack", "typed"),
    [
        ("<@UBOT0001> check <http://example.com|example.com>", "check example.com"),
        ("<@UBOT0001> check &lt;<mailto:jan@example.cz|jan@example.cz>&gt;", "check <jan@example.cz>"),
        ("554 5.7.1 &lt;<mailto:a@b.c|a@b.c>&gt;: Relay access denied", "554 5.7.1 <a@b.c>: Relay access denied"),
        ("see <https://example.com/x?a=1&amp;b=2>", "see https://example.com/x?a=1&b=2"),
        ("ask <@U0OTHER1> in <#C0HELP01|help> <!here> or <!subteam^S0SUP|@support>", "ask @U0OTHER1 in #help @here or @support"),
        ("<@UBOT0001>", ""),
        ("Tom &amp; Jerry", "Tom & Jerry"),
    ],
)
def test_slack_markup_becomes_what_the_person_typed(slack: str, typed: str) -> None:
    assert to_text(slack, bot_user_id="UBOT0001") == typed


def test_inbound_of_a_channel_mention_names_its_thread() -> None:
    event = {"type": "app_mention", "user": "U1", "channel": "C1", "ts": "111.1", "text": "<@UBOT0001> hello there"}
    inbound = to_inbound(event, locale="fr-FR", bot_user_id="UBOT0001", event_id="Ev1")
    assert (inbound.text, inbound.user, inbound.channel, inbound.platform) == ("hello there", "U1", "C1", "slack")
    assert (inbound.locale_hint, inbound.thread, inbound.event_id) == ("fr-FR", "C1:111.1", "Ev1")
    in_thread = to_inbound({**event, "ts": "222.2", "thread_ts": "111.1"}, bot_user_id="UBOT0001")
    assert in_thread.thread == "C1:111.1"


def test_inbound_of_a_dm_and_of_a_slash_command() -> None:
    dm = to_inbound({"type": "message", "channel_type": "im", "user": "U1", "channel": "D1", "ts": "1.1", "text": "hi"})
    assert dm.thread is None and dm.channel == "D1"
    command = to_inbound({"command": "/mailmedic", "text": "", "user_id": "U2", "channel_id": "C2"}, locale="de-DE")
    assert (command.text, command.user, command.channel, command.thread) == ("help", "U2", "C2", None)
    assert command.locale_hint == "de-DE"


def _answer(language: str = "en", **changes: Any) -> Reply:
    fields: dict[str, Any] = {
        "kind": "answer", "language": language, "text": "The server refuses to relay\nCause: ...",
        "entry_id": "relay-denied", "confidence": 0.87, "title": "The server refuses to relay your mail",
        "cause": "Our SMTP server does not know it is you.", "fix": "Turn on SMTP-AUTH on port 587.",
        "quote": "554 5.7.1 <user@example.com>: Relay access denied",
    }
    fields.update(changes)
    return Reply(**fields)


def test_an_answer_shows_title_quote_cause_fix_and_feedback() -> None:
    blocks = to_blocks(_answer(offer_check="check mail.example.com 587"), UI)
    shown = "\n".join(texts(blocks))
    assert "*The server refuses to relay your mail*" in shown
    # the quote is verbatim, escaped for mrkdwn, in a code block
    assert "```554 5.7.1 &lt;user@example.com&gt;: Relay access denied```" in shown
    assert "Our SMTP server does not know it is you." in shown and "Turn on SMTP-AUTH on port 587." in shown
    assert "check mail.example.com 587" in shown
    (actions,) = [b for b in blocks if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == list(FEEDBACK_ACTIONS)
    value = json.loads(actions["elements"][0]["value"])
    assert value == {"e": "relay-denied", "l": "en", "c": 0.87, "k": "answer"}


def test_another_recipients_problem_gets_its_own_section_under_the_answer() -> None:
    other = OtherProblem(
        entry_id="recipient-mailbox-full", title="Das Postfach des Empfängers ist voll", fix="Bitten Sie ihn, Platz zu schaffen.",
        quote="552 5.2.2 <petra@example.org>: Mailbox full", confidence=0.97,
    )
    text = "Der Server verweigert das Weiterleiten\nIm selben Bericht auch, für einen anderen Empfänger:\n• x: y\n  Lösung: z"
    blocks = to_blocks(_answer("de", others=(other,), text=text), UI)
    shown = texts(blocks)
    head = shown.index(f"*{UI('de', 'label.others')}*")
    assert head > next(i for i, t in enumerate(shown) if "Turn on SMTP-AUTH" in t)  # after the answer's own fix
    section = shown[head + 1]
    assert section.startswith("*Das Postfach des Empfängers ist voll*")
    assert "```552 5.2.2 &lt;petra@example.org&gt;: Mailbox full```" in section
    assert f"*{UI('de', 'label.fix')}*\nBitten Sie ihn, Platz zu schaffen." in section
    # the plain text's lines for it are shown by the blocks, not repeated as leftover context
    assert not any(b["type"] == "context" and "Lösung: z" in b["elements"][0]["text"] for b in blocks)
    assert f"*{UI('de', 'label.others')}*" not in texts(to_blocks(_answer("de"), UI))
    huge = OtherProblem(entry_id="x", title="T" * 5000, fix="f " * 5000, quote="552 " * 2000, confidence=0.9)
    sections = [b["text"]["text"] for b in to_blocks(_answer("de", others=(huge, huge)), UI) if b["type"] == "section"]
    assert all(len(text) <= MAX_SECTION for text in sections)
    assert [text.count("```") for text in sections if text.startswith("*TTT")] == [2, 2]  # each quote still closed


def test_a_huge_reply_stays_inside_slacks_limits() -> None:
    evidence = tuple(f"mx{i}.example.com. 300 IN A 192.0.2.{i % 250}" for i in range(200))
    findings = tuple(
        Finding(check="mx", target=f"host{i}.example.com", verdict="problem", summary="no answer " * 40, evidence=evidence)
        for i in range(120)
    )
    reply = _answer(quote="Sorry, that domain isn't allowed ```to be``` relayed\n" * 400, cause="c" * 9000,
                    fix="f" * 9000, findings=findings, text="x" * 50_000)
    blocks = to_blocks(reply, UI)
    assert len(blocks) <= MAX_BLOCKS
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= MAX_SECTION
    shown = "\n".join(texts(blocks))
    cut_note = UI("en", "slack.cut", count=0).split("0")[0]
    assert cut_note in shown
    assert UI("en", "slack.more_findings", count=0).split("0")[0] in shown
    assert blocks[-1]["type"] in ("actions", "context")  # the buttons survive the cut
    assert any(b["type"] == "actions" for b in blocks)
    # a pasted ``` cannot close the code block early
    quote_block = blocks[1]["text"]["text"]
    assert quote_block.count("```") == 2
    fallback = to_text_fallback(reply, UI)
    assert len(fallback) <= MAX_TEXT and cut_note in fallback


def test_long_help_is_split_between_paragraphs() -> None:
    paragraphs = [f"Paragraph {i}: " + "word " * 300 for i in range(12)]
    reply = Reply(kind="help", language="en", text="\n\n".join(paragraphs))
    blocks = to_blocks(reply, UI)
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert len(sections) >= 2
    assert all(len(s) <= MAX_SECTION for s in sections)
    assert sections[0].startswith("Paragraph 0:")
    assert not any(b["type"] == "actions" for b in blocks)  # no feedback on help


def test_suggestions_and_unknown_list_the_closest_entries() -> None:
    suggestions = (Suggestion("relay-denied", "The server refuses to relay", 0.5),
                   Suggestion("smtp-auth-failed", "SMTP login fails", 0.4))
    suggest = to_blocks(Reply(kind="suggest", language="de", text="...", suggestions=suggestions, confidence=0.5), UI)
    shown = "\n".join(texts(suggest))
    assert UI("de", "suggest.intro") in shown and "The server refuses to relay" in shown
    unknown = to_blocks(Reply(kind="unknown", language="cs", text="...", suggestions=suggestions, needs_human=True), UI)
    assert UI("cs", "unknown.intro") in "\n".join(texts(unknown))
    assert UI("cs", "unknown.paste") in "\n".join(texts(unknown))  # no error quoted: ask for its lines
    quoted = Reply(kind="unknown", language="cs", text="...", quote="554 5.4.6 Hop count exceeded", needs_human=True)
    assert UI("cs", "unknown.paste") not in "\n".join(texts(to_blocks(quoted, UI)))


def test_check_findings_carry_their_evidence_and_the_rest_of_the_text() -> None:
    finding = Finding(check="mx", target="example.com", verdict="problem", summary="No MX record",
                      evidence=("example.com. 300 IN A 192.0.2.1",))
    text = "Checks:\n✘ example.com: No MX record\n    example.com. 300 IN A 192.0.2.1\nThe lookup took 2 s."
    blocks = to_blocks(Reply(kind="check", language="en", text=text, findings=(finding,)), UI)
    shown = "\n".join(texts(blocks))
    assert ":x: *example.com*: No MX record" in shown
    assert "```example.com. 300 IN A 192.0.2.1```" in shown
    assert "The lookup took 2 s." in shown  # a note of the core's is not lost
    assert shown.count("No MX record") == 1  # and the finding is not shown twice


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_renders(language: str) -> None:
    """Every string the adapter uses exists in every language."""
    blocks = to_blocks(_answer(language, offer_check="check example.com", findings=(
        Finding(check="mx", target="example.com", verdict="ok", summary="ok"),)), UI)
    assert blocks
    triage = Triage(id="slack:C1:1.1", language=language, entry_id=None, confidence=0.2, category="unknown",
                    priority="normal", needs_human=True, reply="Hello", suggestions=("relay-denied",))
    text, note = triage_blocks(triage, UI, agent_language=language)
    assert text and note
    for key in ("slack.feedback.thanks", "slack.feedback.already", "slack.feedback.sorry"):
        assert UI(language, key)
    assert "{" not in UI(language, "slack.feedback.escalate", group="<!subteam^S1>", user="<@U1>")
    assert "{" not in UI(language, "slack.needs_human", group="<!here>")


def test_triage_note_for_agents() -> None:
    triage = Triage(id="slack:C1:1.1", language="fr", entry_id="relay-denied", confidence=0.93, category="sending",
                    priority="high", needs_human=False, reply="Bonjour,\n\nActivez SMTP-AUTH <port 587>.\n\nCordialement")
    text, blocks = triage_blocks(triage, UI, agent_language="en")
    assert "Priority: high" in text and "Entry: relay-denied" in text
    shown = "\n".join(texts(blocks))
    assert ":outbox_tray: sending" in shown and "93 %" in shown
    assert "```Bonjour,\n\nActivez SMTP-AUTH &lt;port 587&gt;.\n\nCordialement```" in shown
    assert UI("en", "slack.triage.reply", code="fr") in shown
    assert UI("en", "label.others") not in shown
    two = Triage(id="t2", language="de", entry_id="remote-user-unknown", confidence=0.9, category="delivery",
                 priority="normal", needs_human=False, reply="Hallo", others=("recipient-mailbox-full",))
    _, blocks = triage_blocks(two, UI, agent_language="en")
    assert f"{UI('en', 'label.others')}: recipient-mailbox-full" in "\n".join(texts(blocks))


@pytest.mark.parametrize(
    ("configured", "markup"),
    [("S0SUPPORT", "<!subteam^S0SUPPORT>"), ("@U0AGENT1", "<@U0AGENT1>"), ("here", "<!here>"),
     ("<!subteam^S1|@mail>", "<!subteam^S1|@mail>"), ("support-team", "@support-team")],
)
def test_escalation_target_becomes_a_mention(configured: str, markup: str) -> None:
    assert mention(configured) == markup


def test_missing_secrets_are_named() -> None:
    from adapters.slack_app import build_slack_app, slack_routes
    from bot.config import Settings
    from bot.errors import ConfigError
    from bot.service import SupportBot

    bot = SupportBot()
    with pytest.raises(ConfigError) as token:
        slack_routes(bot, Settings(slack_signing_secret="s"))
    assert token.value.variable == "SLACK_BOT_TOKEN"
    with pytest.raises(ConfigError) as secret:
        slack_routes(bot, Settings(slack_bot_token="xoxb-1"))
    assert secret.value.variable == "SLACK_SIGNING_SECRET"
    # Socket Mode needs no signing secret: the connection itself is authenticated
    assert build_slack_app(bot, Settings(slack_bot_token="xoxb-1", slack_app_token="xapp-1")) is not None


def test_to_blocks_defaults_to_the_packaged_strings() -> None:
    assert to_blocks(_answer("es")) == to_blocks(_answer("es"), UI)
