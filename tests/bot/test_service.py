"""SupportBot.handle: bad input, commands, language hints, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import Inbound, SupportBot, Ticket
from bot.knowledge import Knowledge
from bot.models import LANGUAGES
from bot.store import SqliteStore


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "input.empty"),
        ("   \n\t  ", "input.empty"),
        ("\u200b\u200b\u200d", "input.empty"),
        ("😀🎉👍", "input.no_words"),
        ("!!! ??? ...", "input.no_words"),
        ("\x00\x01\x02binary\x00\x00\x03\x04" * 50, "input.binary"),
    ],
)
async def test_bad_input_gets_a_clear_reply(bot: SupportBot, text: str, key: str) -> None:
    reply = await bot.handle(Inbound(text=text))
    assert reply.kind == "error"
    assert reply.text == bot.ui("en", key)


async def test_bad_input_reply_uses_the_locale(bot: SupportBot) -> None:
    reply = await bot.handle(Inbound(text="", locale_hint="de-DE"))
    assert reply.language == "de"
    assert reply.text == bot.ui("de", "input.empty")


async def test_huge_paste_is_read_in_part_and_said_so(bot: SupportBot) -> None:
    paste = "550 5.2.2 <anna@example.com>: mailbox full, user is over quota\n" + ("x" * 70 + "\n") * 15_000
    assert len(paste) > 1_000_000
    reply = await bot.handle(Inbound(text=paste))
    assert reply.entry_id == "recipient-mailbox-full"
    assert "20000" in reply.text


async def test_control_and_zero_width_characters_do_not_hide_the_error(bot: SupportBot) -> None:
    text = "Sorry,\u200b that domain isn't\x07 allowed to be re\u200dlayed thru this MTA"
    reply = await bot.handle(Inbound(text=text))
    assert reply.entry_id == "relay-denied"


async def test_off_topic_gets_dont_know_and_a_human(bot: SupportBot) -> None:
    reply = await bot.handle(Inbound(text="Can you recommend a good pizza place near the office?"))
    assert reply.kind in ("unknown", "suggest")
    assert reply.entry_id is None
    if reply.kind == "unknown":
        assert reply.needs_human
        assert bot.ui("en", "unknown.human") in reply.text


async def test_dont_know_asks_for_the_bounces_error_lines_unless_it_has_them(bot: SupportBot) -> None:
    told = await bot.handle(Inbound(text="Bonjour, pouvez-vous me conseiller un bon restaurant ?"))
    assert (told.kind, told.language) == ("unknown", "fr")
    assert bot.ui("fr", "unknown.paste") in told.text
    pasted = await bot.handle(Inbound(text="550 5.4.6 Hop count exceeded - possible mail loop detected"))
    assert pasted.kind == "unknown" and pasted.quote
    assert bot.ui("en", "unknown.paste") not in pasted.text


async def test_a_thank_you_is_answered_and_flags_no_one(bot: SupportBot) -> None:
    reply = await bot.handle(Inbound(text="díky moc, funguje to"))
    assert (reply.kind, reply.language, reply.needs_human) == ("info", "cs", False)
    assert reply.text == bot.ui("cs", "thanks.reply")


async def test_help_in_every_language(bot: SupportBot) -> None:
    for word, language in (("help", "en"), ("hilfe", "de"), ("aide", "fr"), ("ayuda", "es"), ("nápověda", "cs")):
        reply = await bot.handle(Inbound(text=word, user=f"u-{language}"))
        assert reply.kind == "help"
        assert reply.language == language


async def test_lang_sticks_for_that_user_only(bot: SupportBot) -> None:
    set_reply = await bot.handle(Inbound(text="lang fr", user="alice"))
    assert set_reply.language == "fr"
    english = "I can't send email, the server says relay access denied"
    alice = await bot.handle(Inbound(text=english, user="alice"))
    bob = await bot.handle(Inbound(text=english, user="bob"))
    assert (alice.language, alice.entry_id) == ("fr", "relay-denied")
    assert (bob.language, bob.entry_id) == ("en", "relay-denied")
    await bot.handle(Inbound(text="lang auto", user="alice"))
    again = await bot.handle(Inbound(text=english, user="alice"))
    assert again.language == "en"


async def test_unknown_language_is_refused_politely(bot: SupportBot) -> None:
    reply = await bot.handle(Inbound(text="lang xx"))
    assert reply.kind == "error"
    assert "xx" in reply.text


async def test_short_text_follows_the_locale_hint(bot: SupportBot) -> None:
    reply = await bot.handle(Inbound(text="550 5.1.1 user unknown", locale_hint="es-419"))
    assert reply.entry_id == "remote-user-unknown"
    assert reply.language == "es"


async def test_two_give_away_words_switch_a_conversations_language(bot: SupportBot) -> None:
    first = await bot.handle(Inbound(text="Bonjour, quel est le port IMAP ?", user="u", channel="c", thread="t"))
    then = await bot.handle(Inbound(text="what is the imap port", user="u", channel="c", thread="t"))
    assert (first.language, then.language) == ("fr", "en")


async def test_thread_keeps_its_language(bot: SupportBot) -> None:
    first = await bot.handle(Inbound(text="Bonjour, je n'arrive plus à envoyer de mails depuis Outlook", thread="t1"))
    assert first.language == "fr"
    second = await bot.handle(Inbound(text="554 5.7.1 Relay access denied", thread="t1"))
    assert second.language == "fr"


async def test_language_hint_is_the_language_a_commands_reply_takes(bot: SupportBot) -> None:
    assert bot.language_hint(Inbound(text="check example.com", user="u1", locale_hint="cs-CZ")) == "cs"
    assert bot.language_hint(Inbound(text="prüfe example.com", user="u1", locale_hint="cs-CZ")) == "de"
    assert bot.language_hint(Inbound(text="check example.com", user="u1")) == "en"
    await bot.handle(Inbound(text="lang fr", user="u1"))
    assert bot.language_hint(Inbound(text="prüfe example.com", user="u1", locale_hint="cs-CZ")) == "fr"


async def test_check_without_checker_says_so(bot: SupportBot) -> None:
    reply = await bot.handle(Inbound(text="check example.com"))
    assert reply.text == bot.ui("en", "check.unavailable")


async def test_reply_json_has_the_contract_fields(bot: SupportBot) -> None:
    reply = await bot.handle(Inbound(text="Sorry, that domain isn't allowed to be relayed thru this MTA"))
    data = reply.to_json()
    for key in ("language", "entry", "confidence", "title", "text", "suggestions"):
        assert key in data
    assert data["entry"] == "relay-denied"
    assert isinstance(data["suggestions"], list)


def test_triage_priority_and_reply_language(bot: SupportBot) -> None:
    result = bot.triage(Ticket(id="T1", text="Nemůžu odesílat poštu, server hlásí: 554 5.7.1 Relay access denied"))
    assert result.entry_id == "relay-denied"
    assert result.language == "cs"
    assert result.priority in ("high", "urgent")
    assert result.reply.startswith(bot.ui("cs", "reply.greeting"))
    question = bot.triage(Ticket(id="T2", text="What is the maximum size of a mailbox on your offers?"))
    assert question.priority == "low"


async def test_a_whole_message_pasted_is_read_past_its_routing_headers(bot: SupportBot) -> None:
    # 300 Received: headers (over 50 KB) in front of the bounce: the cut must not lose the error
    headers = "".join(
        f"Received: from relay{n}.example.net (relay{n}.example.net [198.51.100.{n % 250}])\n"
        f"\tby mx.example.org (Postfix) with ESMTPS id 4Xk{n:05d}; Mon, 3 Jun 2026 10:00:00 +0200\n"
        for n in range(300)
    )
    bounce = "<a@shop.example>: host mx.shop.example[203.0.113.5] said: 552 5.2.2 Mailbox full (in reply to RCPT TO command)"
    reply = await bot.handle(Inbound(text=headers + "\n" + bounce))
    assert (reply.kind, reply.entry_id) == ("answer", "recipient-mailbox-full")


async def test_an_acknowledgement_is_no_case_for_a_human(bot: SupportBot) -> None:
    reply = await bot.handle(Inbound(text="ok"))
    assert reply.kind == "info" and not reply.needs_human and reply.entry_id is None
    assert reply.text == bot.ui("en", "ack.reply")


async def test_lang_with_a_message_sets_the_language_and_answers_it(bot: SupportBot) -> None:
    reply = await bot.handle(Inbound(text="lang fr 552 5.2.2 Mailbox full", user="u9"))
    assert (reply.kind, reply.entry_id, reply.language) == ("answer", "recipient-mailbox-full", "fr")
    later = await bot.handle(Inbound(text="552 5.2.2 Mailbox full", user="u9"))
    assert later.language == "fr"  # the choice sticks


async def test_an_english_command_word_answers_in_the_threads_language(bot: SupportBot) -> None:
    await bot.handle(Inbound(text="Bonjour, mon client reçoit 552 5.2.2 Mailbox full, que faire ?", thread="t7"))
    handoff = await bot.handle(Inbound(text="human", thread="t7"))
    assert handoff.needs_human and handoff.language == "fr"
    german = await bot.handle(Inbound(text="mensch", thread="t7"))
    assert german.language == "de"  # a word of another language is that language's


async def test_a_conversation_follows_the_language_its_people_last_wrote_in(bot: SupportBot) -> None:
    await bot.handle(Inbound(text="Bonjour, mes messages ne partent plus depuis ce matin", thread="t8"))
    czech = await bot.handle(Inbound(text="Dobrý den, jaká je maximální velikost přílohy u vás?", thread="t8"))
    assert czech.language == "cs"
    # a command's English word and a bare paste say nothing of a language: the thread's Czech holds
    check = await bot.handle(Inbound(text="check 10.0.0.1 25", thread="t8"))
    paste = await bot.handle(Inbound(text="552 5.2.2 Mailbox full", thread="t8"))
    assert (check.language, paste.language) == ("cs", "cs")


def test_triage_raises_a_ticket_whose_sender_cannot_send_at_all(bot: SupportBot) -> None:
    question = "Which outgoing server do I enter in Outlook?"
    asked = bot.triage(Ticket(id="T4", text=question))
    blocked = bot.triage(Ticket(id="T5", text=question + " We can't send anything since this morning."))
    assert asked.entry_id == blocked.entry_id == "smtp-settings"
    assert asked.priority == "low"
    assert blocked.priority == "high"


def test_triage_an_urgent_ticket_no_entry_matched_goes_up_too(bot: SupportBot) -> None:
    calm = bot.triage(Ticket(id="T6", text="Hello, the invoice for last month shows two mailboxes, we have one."))
    urgent = bot.triage(Ticket(id="T7", text="URGENT: nothing goes out since 9am, the whole company is affected!!"))
    assert calm.entry_id is None and calm.priority == "normal"
    assert urgent.needs_human and urgent.priority == "urgent"  # at least high, then one step for the tone


def test_triage_unknown_angry_goes_to_a_human(bot: SupportBot) -> None:
    result = bot.triage(Ticket(id="T3", text="This is unacceptable, your invoice is wrong again and nobody answers!"))
    assert result.entry_id is None
    assert result.needs_human
    assert result.priority == "normal"
    assert result.category == "unknown"


def test_every_ui_string_renders_in_every_language(bot: SupportBot) -> None:
    params = {"percent": 50, "limit": 100, "code": "xx", "command": "check example.com"}
    for key in bot.knowledge.ui_keys():
        for language in LANGUAGES:
            try:
                text = bot.ui(language, key, **params)
            except KeyError:
                continue  # a feature string with parameters of its own; the loader checks they agree
            assert text.strip() and "{" not in text


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hallo, Outlook sagt: 552 5.2.2 Mailbox full", "de"),
        ("Bonjour, Thunderbird me dit `535 5.7.8 Error: authentication failed`, une idée ?", "fr"),
        ("does your smtp support AUTH LOGIN on 587?", "en"),
        ("Ahoj, newsletter se vrátil s `550 5.1.1 user unknown`, co s tím?", "cs"),
        ("Hola, el correo vuelve con: 552 5.2.2 mailbox full, ¿qué hago?", "es"),
        # the error inline, from its status code on, with no colon or quotes to set it apart
        ("Outlook dice 554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using bl.example.net", "es"),
        ("orange me renvoie 550 5.7.1 Service refused, the sending IP is listed. c'est grave ?", "fr"),
        ("Gmail meldet 'Recipient address rejected: User unknown in virtual mailbox table' bei einem Kunden", "de"),
        # a few words of one's own: a letter only one of the five languages writes decides
        ("Was heißt 'Relay access denied'?", "de"),
        ("¿'Relay access denied'?", "es"),
        ("Proč 'Relay access denied'?", "cs"),
        # a word whose accent only Spanish writes, against langdetect's sure French
        ("Qué es open smtp?", "es"),
        # the person's German after the error, past a comma
        ("552 5.2.2 Mailbox full, Adresse ist aber richtig", "de"),
        # a server's reply alone is no language: "-ERR" is in French texts only because they quote it
        ("-ERR authorization failed", "en"),
        ("Outlook error 0x800CCC0E", "en"),
        # a program's few English words: langdetect is sure of French and Spanish here
        ("eM Client: Cannot send message: 550 5.7.1 Relaying denied", "en"),
        ("eM Client: Message could not be sent. 552 Message size exceeds maximum permitted", "en"),
        # the person's words after a double dash
        ("550 5.1.1 User unknown -- ale ta adresa urcite existuje", "cs"),
        ("552 5.3.4 Message size exceeds fixed maximum message size -- eran unas fotos", "es"),
        # French words that read like a pasted report ("message" twice): still French
        ("Le message n'est pas parti et le message reste bloqué dans la boîte d'envoi depuis hier", "fr"),
        # nothing of one's own but a program's French message: the program speaks the person's language
        ("Le serveur auquel vous êtes connecté utilise un certificat de sécurité qui ne peut pas être vérifié.", "fr"),
    ],
)
async def test_pasted_english_and_jargon_do_not_decide_the_language(bot: SupportBot, text: str, language: str) -> None:
    reply = await bot.handle(Inbound(text=text))
    assert reply.language == language


@pytest.mark.parametrize(
    "text",
    [
        "Over the weekend my mails bounced with 550 5.1.1 user unknown",
        "Test email bounced: 550 5.1.1 user unknown",
        "Check: my emails to a customer bounce with 550 5.1.1 user unknown",
    ],
)
async def test_a_sentence_starting_with_a_command_word_is_not_a_command(bot: SupportBot, text: str) -> None:
    reply = await bot.handle(Inbound(text=text))
    assert (reply.kind, reply.entry_id, reply.language) == ("answer", "remote-user-unknown", "en")


async def test_human_and_help_take_only_polite_words_after_them(bot: SupportBot) -> None:
    assert (await bot.handle(Inbound(text="Hilfe bitte"))).kind == "help"
    assert (await bot.handle(Inbound(text="human please"))).needs_human
    reply = await bot.handle(Inbound(text="Human resources mailbox full, mails bounce with 552 5.2.2"))
    assert reply.entry_id == "recipient-mailbox-full"


async def test_lone_surrogates_are_scrubbed_not_fatal(knowledge: Knowledge, tmp_path: Path) -> None:
    bot = SupportBot(knowledge, store=SqliteStore(str(tmp_path / "s.db")))
    reply = await bot.handle(Inbound(text="Relay access denied \ud800", user="u\udc00"))
    assert reply.entry_id == "relay-denied"
    assert bot.apology(Inbound(text="x", user="\ud800")).kind == "error"
    triage = bot.triage(Ticket(id="t\ud800", text="Relay access denied \ud800"))
    assert bot.store.record_triage(triage, "text")


@pytest.mark.parametrize(
    ("text", "language"),
    [("Postfach voll", "de"), ("Boîte pleine", "fr"), ("Buzón lleno", "es"), ("Schránka plná", "cs")],
)
async def test_two_words_of_one_language_decide_it(bot: SupportBot, text: str, language: str) -> None:
    assert (await bot.handle(Inbound(text=text))).language == language


async def test_still_not_working_follows_up_on_the_last_answer(bot: SupportBot) -> None:
    answer = await bot.handle(Inbound(text="552 5.2.2 Mailbox full", user="u9"))
    assert answer.entry_id == "recipient-mailbox-full"
    follow_up = await bot.handle(Inbound(text="pořád to nefunguje", user="u9"))
    assert follow_up.kind == "info" and follow_up.language == "cs"
    assert bot.knowledge.render("recipient-mailbox-full", "cs").title in follow_up.text
    # a problem of its own after the answer is answered, not followed up
    other = await bot.handle(Inbound(text="Relay access denied, still", user="u9"))
    assert other.entry_id == "relay-denied"


async def test_a_command_in_a_languages_own_words_sets_the_conversations_language(bot: SupportBot) -> None:
    thread = {"user": "u11", "thread": "t11"}
    await bot.handle(Inbound(text="Outlook can't send, error 0x800CCC0F", **thread))
    assert (await bot.handle(Inbound(text="pořád to nefunguje", **thread))).language == "cs"
    # "check" has no language of its own: it follows the conversation, now Czech
    assert (await bot.handle(Inbound(text="check", **thread))).language == "cs"
    # an English command word changes nothing
    assert (await bot.handle(Inbound(text="help", **thread))).language == "cs"


async def test_still_not_working_without_an_answer_before_is_a_message_like_any_other(bot: SupportBot) -> None:
    reply = await bot.handle(Inbound(text="it still doesn't work", user="u10"))
    assert reply.kind in ("suggest", "unknown")


async def test_an_exchange_code_is_not_offered_as_a_domain_to_check(bot: SupportBot) -> None:
    reply = await bot.handle(Inbound(text="#554 5.4.4 SMTPSEND.DNS.NonExistentDomain ##"))
    assert reply.entry_id == "remote-domain-not-found"
    assert reply.offer_check is None or "SMTPSEND" not in reply.offer_check
    named = await bot.handle(Inbound(text="550 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain shop.example"))
    assert named.offer_check == "check mx shop.example"


_TWO_RECIPIENTS = (
    "<jan@firma.example>: host mx.firma.example[192.0.2.5] said: 550 5.1.1 <jan@firma.example>: "
    "Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)\n"
    "<petra@example.org>: host mx.example.org[198.51.100.7] said: 552 5.2.2 <petra@example.org>: "
    "Mailbox full (in reply to RCPT TO command)\n"
)


async def test_a_report_with_two_recipients_problems_answers_both(bot: SupportBot) -> None:
    reply = await bot.handle(Inbound(text="Hallo, diese Mail kam zurück, was soll ich tun?\n" + _TWO_RECIPIENTS))
    assert (reply.kind, reply.language, reply.entry_id) == ("answer", "de", "remote-user-unknown")
    (other,) = reply.others
    mailbox_full = bot.knowledge.render("recipient-mailbox-full", "de")
    assert (other.entry_id, other.title, other.fix) == ("recipient-mailbox-full", mailbox_full.title, mailbox_full.fix)
    assert "petra@example.org" in other.quote and "Mailbox full" in other.quote
    assert bot.ui("de", "label.others") in reply.text and mailbox_full.fix in reply.text
    data = reply.to_json()
    assert [o["entry"] for o in data["others"]] == ["recipient-mailbox-full"]
    single = await bot.handle(Inbound(text=_TWO_RECIPIENTS.splitlines()[0]))
    assert single.others == () and single.to_json()["others"] == []
    assert bot.ui("en", "label.others") not in single.text


def test_triage_of_a_report_with_two_problems_replies_to_both(bot: SupportBot) -> None:
    result = bot.triage(Ticket(id="T9", text="Bonjour, ce message m'est revenu :\n" + _TWO_RECIPIENTS))
    assert (result.entry_id, result.others, result.language) == ("remote-user-unknown", ("recipient-mailbox-full",), "fr")
    assert bot.knowledge.render("recipient-mailbox-full", "fr").fix in result.reply
    assert result.to_json()["others"] == ["recipient-mailbox-full"]
