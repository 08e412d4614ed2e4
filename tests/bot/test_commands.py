"""Chat commands in the five languages, and what is not a command."""

from __future__ import annotations

import pytest

from bot.commands import parse_command
from bot.models import CheckCommand


@pytest.mark.parametrize(
    ("text", "check", "language"),
    [
        ("check example.com", CheckCommand("domain", ("example.com",)), None),
        ("zkontroluj prosím example.cz", CheckCommand("domain", ("example.cz",)), "cs"),
        ("prüfe mx example.de", CheckCommand("mx", ("example.de",)), "de"),
        ("vérifie ssl0.ovh.net:465", CheckCommand("port", ("ssl0.ovh.net", "465")), "fr"),
        ("comprueba smtp.example.es 587", CheckCommand("port", ("smtp.example.es", "587")), "es"),
        ("check ssl0.ovh.net 465 587 993", CheckCommand("port", ("ssl0.ovh.net", "465", "587", "993")), None),
        ("check port 8.8.8.8 ２５", CheckCommand("port", ("8.8.8.8", "25")), None),
        ('check "info@example.net\u00a0"', CheckCommand("address", ("info@example.net\u00a0",)), None),
        ("is ssl0.ovh.net:465 up?", CheckCommand("port", ("ssl0.ovh.net", "465")), None),
        # a link is checked by its host; localhost is a check, for the checker to refuse
        ("check https://example.com/contact", CheckCommand("domain", ("example.com",)), None),
        ("check localhost", CheckCommand("domain", ("localhost",)), None),
        # a bare IPv6 literal's colons are its own; a port after one is given in brackets
        ("check ::1 25", CheckCommand("port", ("::1", "25")), None),
        ("check [::1]:25", CheckCommand("port", ("::1", "25")), None),
        ("check 2001:db8::25", CheckCommand("domain", ("2001:db8::25",)), None),
    ],
)
def test_check_commands(text: str, check: CheckCommand, language: str | None) -> None:
    command = parse_command(text)
    assert command is not None and command.name == "check"
    assert command.check == check
    assert command.language == language


@pytest.mark.parametrize(
    "text",
    [
        "Over quota, mails bounce",
        "test email bounced with 550",
        "Check: my mails to gmail bounce",
        "agent login fails",
        "why does the check of my mail fail?",
        "Human resources mailbox is full",
    ],
)
def test_sentences_are_not_commands(text: str) -> None:
    assert parse_command(text) is None


def test_lang_help_human_and_bare_check() -> None:
    assert parse_command("lang fr").argument == "fr"  # type: ignore[union-attr]
    with_message = parse_command("lang es\n552 5.2.2 Mailbox full")
    assert with_message is not None and (with_message.argument, with_message.then) == ("es", "552 5.2.2 Mailbox full")
    assert parse_command("language is German here") is None  # no code after the word: a sentence
    assert parse_command("Sprache de").name == "lang"  # type: ignore[union-attr]
    assert parse_command("aide").language == "fr"  # type: ignore[union-attr]
    assert parse_command("humano por favor").name == "human"  # type: ignore[union-attr]
    bare = parse_command("check")
    assert bare is not None and bare.check is None  # answered with the usage text


@pytest.mark.parametrize(
    ("text", "name", "language"),
    [
        ("thanks!", "thanks", "en"),
        ("díky moc, funguje to", "thanks", "cs"),
        ("Danke, jetzt geht es", "thanks", "de"),
        ("merci beaucoup", "thanks", "fr"),
        ("muchas gracias", "thanks", "es"),
        ("hi", "help", "en"),
        ("Dobrý den", "help", "cs"),
        ("hola", "help", "es"),
        ("thank you, that fixed it", "thanks", "en"),
        ("ok", "ack", None),
        ("got it", "ack", None),
    ],
)
def test_a_greeting_or_a_thank_you_alone_is_small_talk(text: str, name: str, language: str | None) -> None:
    command = parse_command(text)
    assert command is not None
    assert (command.name, command.language) == (name, language)


@pytest.mark.parametrize(
    "text",
    [
        "thanks, but I still get 550 5.1.1 user unknown",
        "hi, my mail bounces with 552 mailbox full",
        "Hallo, Postfach voll",
        "ok, and what about imap?",
        "thanks, that fixed it, but now 535 authentication failed",
    ],
)
def test_small_talk_in_front_of_a_problem_leaves_the_problem(text: str) -> None:
    assert parse_command(text) is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("it still doesn't work", "en"),
        ("sorry, still the same error", "en"),
        ("Es geht immer noch nicht", "de"),
        ("ça ne marche toujours pas", "fr"),
        ("sigue sin funcionar", "es"),
        ("pořád to nefunguje", "cs"),
    ],
)
def test_still_not_working_is_a_follow_up(text: str, language: str) -> None:
    command = parse_command(text)
    assert command is not None and (command.name, command.language) == ("still", language)


@pytest.mark.parametrize(
    "text",
    [
        "the webmail doesn't work",  # a problem of its own
        "Outlook still does not send",
        "still getting 550 5.1.1 user unknown",  # a new error to read
        "it still doesn't work, what port do I need for IMAP with SSL on the iPhone?",  # too long for a follow-up
    ],
)
def test_a_new_problem_is_no_follow_up(text: str) -> None:
    command = parse_command(text)
    assert command is None or command.name != "still"
