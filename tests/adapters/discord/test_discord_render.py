"""Slash commands as synced (localised in five languages) and embeds within Discord's limits."""

from __future__ import annotations

import re
from typing import Any

import discord
import pytest
from discord_standin import APP_ID, DiscordStandin

from adapters.discord_app import MailmedicClient, feedback_view, to_embed
from bot.knowledge import load_knowledge
from bot.models import LANGUAGES, Finding, OtherProblem, Reply, Suggestion

# Discord's locales for the five languages (English is the default name itself).
LOCALES = {"cs": ["cs"], "de": ["de"], "fr": ["fr"], "es": ["es-ES", "es-419"], "en": ["en-US", "en-GB"]}
NAME = re.compile(r"^[-_\w]{1,32}$")


@pytest.fixture
def synced(client: MailmedicClient, standin: DiscordStandin) -> dict[str, dict[str, Any]]:
    """The commands the client sent to Discord at login, by name."""
    (call,) = standin.sent(rf"PUT /applications/{APP_ID}/commands")
    return {command["name"]: command for command in call.body}


def test_the_three_commands_are_synced_at_start(synced: dict[str, dict[str, Any]]) -> None:
    assert sorted(synced) == ["ask", "check", "help"]
    assert [o["name"] for o in synced["ask"]["options"]] == ["text"]
    assert [(o["name"], o["required"]) for o in synced["check"]["options"]] == [("target", True), ("port", False)]
    port = synced["check"]["options"][1]
    assert (port["min_value"], port["max_value"]) == (1, 65535)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_name_and_description_exists_in_each_language(
    synced: dict[str, dict[str, Any]], language: str
) -> None:
    ui = load_knowledge().ui_text
    for name, command in synced.items():
        things = [(command, f"discord.command.{name}")]
        things += [(o, f"discord.option.{o['name']}") for o in command.get("options", [])]
        for thing, key in things:
            expected_name = ui(language, f"{key}.name")
            expected_description = ui(language, f"{key}.description")
            assert NAME.fullmatch(expected_name) and expected_name == expected_name.lower(), expected_name
            assert 1 <= len(expected_description) <= 100, key
            for locale in LOCALES[language]:
                assert thing["name_localizations"][locale] == expected_name, (key, locale)
                assert thing["description_localizations"][locale] == expected_description, (key, locale)


def test_names_are_really_translated(synced: dict[str, dict[str, Any]]) -> None:
    assert synced["check"]["name_localizations"]["de"] == "prüfen"
    assert synced["help"]["name_localizations"]["fr"] == "aide"
    assert synced["ask"]["name_localizations"]["es-419"] == "preguntar"
    # Names within one command stay distinct in every locale.
    for command in synced.values():
        for locale in ("cs", "de", "fr", "es-ES"):
            names = [o["name_localizations"][locale] for o in command.get("options", [])]
            assert len(names) == len(set(names))


def test_the_english_names_are_the_ones_discord_sends_back() -> None:
    ui = load_knowledge().ui_text
    for name in ("ask", "check", "help"):
        assert ui("en", f"discord.command.{name}.name") == name
    for name in ("text", "target", "port"):
        assert ui("en", f"discord.option.{name}.name") == name


# ---------------------------------------------------------------- embed limits


def _check_limits(embed: discord.Embed) -> None:
    data = embed.to_dict()
    assert len(embed) <= 6000
    assert len(data.get("title", "")) <= 256
    assert len(data.get("description", "")) <= 4096
    assert len(data.get("fields", [])) <= 25
    for field in data.get("fields", []):
        assert 1 <= len(field["name"]) <= 256
        assert 1 <= len(field["value"]) <= 1024
    assert len(data.get("footer", {}).get("text", "")) <= 2048


def test_a_huge_answer_fits_every_limit_and_says_it_was_shortened() -> None:
    findings = tuple(
        Finding(
            check="mx",
            target=f"host{i}.example.org",
            verdict="problem",
            summary="no record " * 30,
            evidence=tuple(f"record {j} " * 10 for j in range(20)),
        )
        for i in range(30)
    )
    reply = Reply(
        kind="answer",
        language="en",
        text="plain",
        entry_id="relay-denied",
        confidence=0.91,
        title="T" * 400,
        cause="cause " * 1200,
        fix="fix the setting. " * 400,
        quote="554 5.7.1 ``` Relay access denied " * 100,
        findings=findings,
        offer_check="check example.org",
    )
    embed = to_embed(reply)
    _check_limits(embed)
    data = embed.to_dict()
    assert data["title"].endswith("…")
    assert load_knowledge().ui_text("en", "discord.reply.shortened") in data["footer"]["text"]
    # The fix comes first among the fields, in pieces that keep its words whole.
    assert data["fields"][0]["name"] == "Fix"
    assert data["fields"][0]["value"].startswith("fix the setting.")


def test_a_normal_answer_is_not_shortened() -> None:
    knowledge = load_knowledge()
    texts = knowledge.render("relay-denied", "fr")
    reply = Reply(
        kind="answer",
        language="fr",
        text="plain",
        entry_id="relay-denied",
        confidence=0.8,
        title=texts.title,
        cause=texts.cause,
        fix=texts.fix,
        quote="554 5.7.1 <a@b.example>: Relay access denied",
    )
    data = to_embed(reply).to_dict()
    assert data["title"] == texts.title and data["description"] == texts.cause
    assert data["fields"][0] == {"name": knowledge.ui_text("fr", "label.fix"), "value": texts.fix, "inline": False}
    assert data["fields"][1]["value"] == "```\n554 5.7.1 <a@b.example>: Relay access denied\n```"
    assert "80" in data["footer"]["text"]
    assert knowledge.ui_text("fr", "discord.reply.shortened") not in data["footer"]["text"]


def test_another_recipients_problem_is_a_field_of_its_own() -> None:
    knowledge = load_knowledge()
    full = knowledge.render("recipient-mailbox-full", "es")
    other = OtherProblem("recipient-mailbox-full", full.title, full.fix, "552 5.2.2 <petra@example.org>: Mailbox full", 0.97)
    reply = Reply(kind="answer", language="es", text="plain", entry_id="remote-user-unknown", confidence=0.9,
                  title="t", cause="c", fix="f", quote="550 5.1.1 User unknown", others=(other, other))
    embed = to_embed(reply)
    _check_limits(embed)
    fields = embed.to_dict()["fields"]
    also = [f for f in fields if f["name"].startswith(knowledge.ui_text("es", "label.others"))]
    assert len(also) == 2 and also[0]["name"].endswith(full.title)
    assert also[0]["value"] == "```\n552 5.2.2 <petra@example.org>: Mailbox full\n```\n" + full.fix
    huge = OtherProblem("recipient-mailbox-full", "T" * 400, "fix " * 600, "552 " * 600, 0.9)
    _check_limits(to_embed(Reply(kind="answer", language="en", text="p", title="t", cause="c", fix="f", others=(huge,) * 2)))


def test_a_long_plain_reply_is_cut_at_4096() -> None:
    embed = to_embed(Reply(kind="help", language="de", text="Hilfe " * 2000))
    _check_limits(embed)
    assert embed.description is not None and len(embed.description) == 4096


def test_an_empty_reply_still_makes_a_valid_embed() -> None:
    data = to_embed(Reply(kind="info", language="cs", text="   ")).to_dict()
    assert data.get("title") or data.get("description") or data.get("fields")


def test_suggestions_are_listed() -> None:
    reply = Reply(
        kind="suggest",
        language="en",
        text="plain",
        confidence=0.4,
        suggestions=(Suggestion("relay-denied", "The server refuses to relay", 0.4),),
    )
    data = to_embed(reply).to_dict()
    ui = load_knowledge().ui_text
    assert data["description"] == ui("en", "suggest.intro")
    assert data["fields"][0]["name"] == ui("en", "label.suggestions")
    assert data["fields"][0]["value"] == "• The server refuses to relay (`relay-denied`)"
    assert data["footer"]["text"] == ui("en", "suggest.pick")


async def test_feedback_buttons_only_under_answers_and_suggestions() -> None:
    answer = Reply(kind="answer", language="de", text="x", entry_id="relay-denied", confidence=0.87)
    view = feedback_view(answer, ui=load_knowledge().ui_text)
    assert view is not None
    ids = [item.custom_id for item in view.children]
    assert ids == ["mailmedic:fb:up:de:87:relay-denied", "mailmedic:fb:down:de:87:relay-denied"]
    assert all(len(i) <= 100 for i in ids)
    for kind in ("help", "info", "check", "refused", "error", "unknown"):
        assert feedback_view(Reply(kind=kind, language="de", text="x"), ui=load_knowledge().ui_text) is None
