"""The seed's error lines find their entry, alone and inside a sentence in each language."""

from __future__ import annotations

import pytest

from bot import Inbound, SupportBot
from bot.matching import Matcher, calibrate
from bot.knowledge import Knowledge

SEED_LINES = [
    ("Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)", "remote-smtp-unreachable"),
    (
        "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1) I'm not going to try again; "
        "this message has been in the queue too long.",
        "queue-expired",
    ),
    ("Sorry, that domain isn't allowed to be relayed thru this MTA", "relay-denied"),
    ("TLS not available: connect failed: error:00000000:lib(0):func(0):reason(0)", "remote-tls-failed"),
    ("554 sorry, your envelope sender is in my badmailfrom list", "sender-blacklisted"),
    (
        "while talking to air-yb04.mail.aol.com.:> RCPT To:<jdoe@aol.com> < 550 MAILBOX NOT FOUND 550 "
        "<jdoe@aol.com>... User unknown",
        "remote-user-unknown",
    ),
    ("<bob@example.org>: Sorry, no mailbox here by that name. vpopmail (#5.1.1)", "local-mailbox-missing"),
    (
        "<info@jamesxxx.com>: Name service error for mx2.jamesxxx.com: Host found but no data record of requested type",
        "mx-host-no-record",
    ),
    ("Non-existing DNS_MX: MAIL FROM: <info@example.net >", "address-trailing-space"),
    ("Your server has unexpectedly terminated the connection.", "pop-polling-too-often"),
]

SENTENCES = {
    "cs": "Dobrý den, zákazník mi přeposlal tuhle hlášku: {line} Co s tím máme dělat?",
    "de": "Hallo, ein Kunde hat mir diese Meldung weitergeleitet: {line} Was können wir da tun?",
    "en": "Hi, a customer forwarded me this message: {line} What should we do about it?",
    "fr": "Bonjour, un client m'a transféré ce message : {line} Qu'est-ce qu'on doit faire ?",
    "es": "Hola, un cliente me ha reenviado este mensaje: {line} ¿Qué tenemos que hacer?",
}


@pytest.fixture(scope="module")
def matcher(knowledge: Knowledge) -> Matcher:
    return Matcher(knowledge)


@pytest.mark.parametrize(("line", "entry_id"), SEED_LINES, ids=[e for _, e in SEED_LINES])
async def test_seed_line_alone_is_answered_in_english(bot: SupportBot, line: str, entry_id: str) -> None:
    reply = await bot.handle(Inbound(text=line))
    assert reply.kind == "answer"
    assert reply.entry_id == entry_id
    assert reply.language == "en"
    assert reply.quote is not None


@pytest.mark.parametrize("language", sorted(SENTENCES))
@pytest.mark.parametrize(("line", "entry_id"), SEED_LINES, ids=[e for _, e in SEED_LINES])
async def test_seed_line_inside_a_sentence(bot: SupportBot, line: str, entry_id: str, language: str) -> None:
    reply = await bot.handle(Inbound(text=SENTENCES[language].format(line=line)))
    assert (reply.kind, reply.entry_id) == ("answer", entry_id)
    assert reply.language == language
    # the error is quoted verbatim, never translated
    assert reply.quote is not None and reply.quote.split()[0] in line


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        ("550 5.2.2 <anna@example.com>: user is over quota", "recipient-mailbox-full"),
        ("535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6", "smtp-auth-failed"),
        ("Client host [203.0.113.9] blocked using zen.spamhaus.org", "sender-ip-blocklisted"),
        ("552 5.3.4 Message size exceeds fixed maximum message size", "message-too-large"),
        # the plainest one-line wordings of each failure: a signature too close to any of them
        # (a bare "550 ... does not exist") would take it from its entry
        ("550 No such user", "remote-user-unknown"),
        ("550 Invalid recipient", "remote-user-unknown"),
        ("550 Mailbox unavailable", "remote-user-unknown"),
        ("550 No such domain", "remote-domain-not-found"),
        ("550 Host unknown", "remote-domain-not-found"),
        ("552 Quota exceeded", "recipient-mailbox-full"),
        ("552 User's mailbox is full", "recipient-mailbox-full"),
        ("554 Message exceeds maximum size", "message-too-large"),
        ("550 Spam detected", "spam-rejected"),
        ("550 Message content rejected", "spam-rejected"),
        ("550 Your IP address is listed in an RBL", "sender-ip-blocklisted"),
        ("550 Rejected 203.0.113.9 found in dnsbl.sorbs.net", "sender-ip-blocklisted"),
        ("553 Sender rejected", "sender-blacklisted"),
        ("550 Not allowed to relay", "relay-denied"),
        ("535 Invalid username or password", "smtp-auth-failed"),
        ("550 DMARC policy violation", "spf-dmarc-failed"),
        ("421 Too many concurrent connections from your IP", "too-many-connections"),
        ("Connection refused", "remote-smtp-unreachable"),
        ("Could not deliver for 24 hours, giving up", "queue-expired"),
        ("TLS handshake failed", "remote-tls-failed"),
        ("certificate name does not match host name", "tls-hostname-mismatch"),
    ],
)
def test_other_servers_wordings(matcher: Matcher, text: str, entry_id: str) -> None:
    found = matcher.match(text)
    assert found.entry_id == entry_id
    assert found.outcome == "answer"


@pytest.mark.parametrize(
    ("text", "entries"),
    [
        # the same two words, in the other order and beside another word: word pairs decide
        ("550 <ops@shop.example>... Host unknown", {"remote-domain-not-found", "mx-host-no-record"}),
        ("Deferred: unknown host nowhere.example", {"remote-domain-not-found", "mx-host-no-record"}),
        ("550 unknown user <ops@shop.example>", {"remote-user-unknown"}),
        ("<ops@shop.example>: host mx.shop.example[203.0.113.9] said: 550 user unknown", {"remote-user-unknown"}),
    ],
)
def test_which_word_is_unknown_decides(matcher: Matcher, text: str, entries: set[str]) -> None:
    found = matcher.match(text)
    assert found.entry_id in entries
    assert found.outcome == "answer"


def test_a_reports_frame_does_not_outvote_its_cause(matcher: Matcher) -> None:
    # the delay warning's banner is one entry's signature, but here it frames a full mailbox
    text = (
        "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
        "Your message could not be delivered for more than 4 hours.\n"
        "<anna@firma.example>: temporary failure.\n"
        "Mailbox quota exceeded, delivery failed to /srv/mail/anna/Maildir"
    )
    found = matcher.match(text)
    assert (found.outcome, found.entry_id) == ("answer", "recipient-mailbox-full")


_EXIM_DELAY = (
    "This message was created automatically by mail delivery software.\n\n"
    "A message that you sent has not yet been delivered to one or more of its\n"
    "recipients after more than 8 hours on the queue on smtp.shop.example.\n\n"
    "The message identifier is:     1tAbCd-000XyZ-7q\n"
    "The subject of the message is: Invoice 2291\n"
    "The date of the message is:    Mon, 02 Feb 2026 10:00:00 +0100\n\n"
    "The address to which the message has not yet been delivered is:\n\n"
    "  petra@firma.example\n"
    "    Delay reason: {cause}\n\n"
    "No action is required on your part. Delivery attempts will continue for\n"
    "some time, and this warning may be repeated at intervals if the message\n"
    "remains undelivered. Eventually the mail delivery software will give up,\n"
    "and when that happens, the message will be returned to you.\n"
)


@pytest.mark.parametrize(
    ("cause", "entry"),
    [
        ("SMTP error from remote mail server after RCPT TO:<petra@firma.example>: "
         "451 4.7.1 Could not check SPF policy: DNS timeout, try again later", "spf-dmarc-failed"),
        ("SMTP error from remote mail server after end of data: "
         "451 4.7.1 DKIM key lookup failed, try again later", "spf-dmarc-failed"),
        ("SMTP error from remote mail server after RCPT TO:<petra@firma.example>: "
         "452 4.2.2 Mailbox full", "recipient-mailbox-full"),
    ],
)
def test_a_frames_own_sentences_say_nothing_of_the_cause(matcher: Matcher, cause: str, entry: str) -> None:
    # Exim's delay warning speaks of queues, retries and giving up: words of other entries,
    # which answered remote-smtp-unreachable for a temporary SPF or DKIM failure
    found = matcher.match(_EXIM_DELAY.format(cause=cause))
    assert (found.outcome, found.entry_id) == ("answer", entry)


def test_a_frame_sentences_words_still_count_outside_it(matcher: Matcher) -> None:
    # "Network congestion or failure." is a line of Courier's delay notice: there it says
    # nothing, in a server's reply it is read
    notice = (
        "DELAYS IN DELIVERING YOUR MESSAGE\n\n"
        "The delivery of the following E-mail message has been delayed.  This is an\n"
        "advisory notice only; it is sent only to notify you about a temporary delay\n"
        "in delivering your message.  You DO NOT need to do anything at this time.\n"
        "Additional attempts to deliver your message will be made.  Some possible\n"
        "reasons for this delay:\n\n"
        "   * Network congestion or failure.\n\n"
        "   * The destination mail server is temporarily off-line.\n"
    )
    assert matcher.scores(notice, pasted=True) == []
    replied = matcher.scores("Diagnostic-Code: smtp; 421 4.4.2 Network congestion or failure.", pasted=True)
    assert replied[0][0] == "too-many-connections"  # congestion: RFC 3463's X.4.5 is that entry's


@pytest.mark.parametrize(
    "frame",
    [
        "Undelivered Mail Returned to Sender",
        "Mail delivery failed: returning message to sender",
        "The following addresses had permanent fatal errors",
        "Delivery to the following recipient failed permanently:",
        "Undelivered Mail Returned to Sender\nThis is the mail system at host mx.shop.example.\n"
        "I'm sorry to have to inform you that your message could not be delivered",
    ],
)
def test_a_reports_frame_without_its_cause_is_never_answered(matcher: Matcher, frame: str) -> None:
    # the frame says a message failed, not why: there is nothing to answer yet
    assert matcher.match(frame).outcome != "answer"


def test_a_repeated_status_code_is_no_wording_of_its_own(matcher: Matcher) -> None:
    # "Status: 5.2.1" alone would match any signature that carries 5.2.1, here a disabled
    # account's, which the knowledge base does not cover; the reason is in the line above
    report = (
        "Final-Recipient: rfc822; ivo@shop.example\n"
        "Action: failed\n"
        "Diagnostic-Code: smtp; 550 5.2.1 <ivo@shop.example>... User unknown\n"
        "Status: 5.2.1\n"
    )
    found = matcher.match(report)
    assert (found.outcome, found.entry_id) == ("answer", "remote-user-unknown")


@pytest.mark.parametrize(
    ("error", "entry"),
    [
        ("550 Domain shop.example does not exist", "remote-domain-not-found"),
        ("550 Recipient <eva@shop.example> does not exist", "remote-user-unknown"),
    ],
)
def test_what_does_not_exist_decides_not_the_words_does_not_exist(matcher: Matcher, error: str, entry: str) -> None:
    # "does not exist" is said of domains and of mailboxes alike: a signature that is little
    # more than those words would take the one for the other
    assert matcher.match(error).entry_id == entry


@pytest.mark.parametrize("error", ["550 5.1.1 <eva@shop.example>: unknown user", "550 5.1.2 Domain not found"])
def test_a_refusal_of_mail_from_is_never_about_the_recipient(matcher: Matcher, error: str) -> None:
    report = "<eva@shop.example>: host mx.shop.example[203.0.113.4] said: {} (in reply to {} command)"
    to_recipient = matcher.match(report.format(error, "RCPT TO"))
    assert to_recipient.outcome == "answer"
    assert to_recipient.entry_id in {"remote-user-unknown", "remote-domain-not-found"}
    # the same words in reply to MAIL FROM: the server knows no recipient yet, it refuses the sender
    to_sender = matcher.match(report.format(error, "MAIL FROM"))
    assert to_sender.entry_id not in {"remote-user-unknown", "remote-domain-not-found"}


def test_postfixs_delayed_sender_check_is_about_the_sender(matcher: Matcher) -> None:
    # smtpd_delay_reject: Postfix refuses the MAIL FROM address in reply to RCPT TO
    report = (
        "<eva@shop.example>: host mx.shop.example[203.0.113.4] said: 550 5.1.0 <ivo@firm.example>: "
        "Sender address rejected: User unknown in local recipient table (in reply to RCPT TO command)"
    )
    found = matcher.match(report)
    assert (found.outcome, found.entry_id) == ("answer", "sender-blacklisted")


def test_a_server_that_never_answered_is_a_delay_until_the_message_comes_back(matcher: Matcher) -> None:
    failure = "<ops@shop.example>: connect to mx.shop.example[203.0.113.8]:25: Connection timed out"
    warning = (
        "This is the mail system at host out.mail.example.\n"
        "####################################################################\n"
        "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
        "####################################################################\n"
        "Your message could not be delivered for more than 3 hour(s). It will be retried until it is 1 day(s) old.\n"
        f"{failure}\n"
        "Action: delayed\n"
        "Status: 4.4.1"
    )
    returned = (
        "This is the mail system at host out.mail.example.\n"
        "I'm sorry to have to inform you that your message could not be delivered to one or more recipients.\n"
        f"{failure}\n"
        "Action: failed\n"
        "Status: 4.4.1"
    )
    still_retried = matcher.match(warning)
    assert (still_retried.outcome, still_retried.entry_id) == ("answer", "remote-smtp-unreachable")
    # the same failure in a report that returns the message: the server gave up, the queue time is over
    given_up = matcher.match(returned)
    assert (given_up.outcome, given_up.entry_id) == ("answer", "queue-expired")


@pytest.mark.parametrize(
    ("notice", "entry_id"),
    [
        ("Die Nachricht wurde noch nicht zugestellt. Es wird weiterhin versucht, sie zuzustellen.", "remote-smtp-unreachable"),
        ("Die Nachricht konnte nach mehreren Versuchen über 2 Tage nicht zugestellt werden.", "queue-expired"),
        ("La remise de ce message a été retardée. Le serveur continuera d'essayer de le remettre.", "remote-smtp-unreachable"),
        ("Le message n'a pas pu être remis après plusieurs tentatives pendant 2 jours.", "queue-expired"),
    ],
)
def test_a_delay_or_a_give_up_is_read_in_the_reports_language(matcher: Matcher, notice: str, entry_id: str) -> None:
    # providers send their reports in their customers' language; the failure line stays the server's
    found = matcher.match(f"{notice}\n\n<ops@shop.example>: 451 4.4.1 Connection timed out")
    assert (found.outcome, found.entry_id) == ("answer", entry_id)


@pytest.mark.parametrize("text", ["Error, ERROR_CODE :421, Host not reachable.", "451 the domain is not reachable, will retry"])
def test_not_reachable_is_unreachable(matcher: Matcher, text: str) -> None:
    # no signature says "not reachable": the lexicon's variants read it as "unreachable"
    found = matcher.match(text)
    assert (found.outcome, found.entry_id) == ("answer", "remote-smtp-unreachable")


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        ("my ISP blocks outgoing port 25, what now?", "smtp-auth"),
        ("Free bloque le port 25, je fais comment pour envoyer ?", "smtp-auth"),
        # the mail program cannot reach our outgoing server: its name, port 587 and SSL setting
        ("Thunderbird: The message could not be sent because the connection to Outgoing server (SMTP) "
         "smtp.firma.example timed out. Try again.", "smtp-settings"),
    ],
)
def test_a_blocked_port_25_is_the_submission_port_not_a_blocklist(matcher: Matcher, text: str, entry_id: str) -> None:
    # "blocked" is the word of every blocklist rejection; here the person's network blocks a port
    found = matcher.match(text)
    assert (found.outcome, found.entry_id) == ("answer", entry_id)


@pytest.mark.parametrize(
    "report",
    [
        "<sales@shop.example>: host {host}[198.51.100.7] said: 550 5.1.1 <sales@shop.example>: Recipient address "
        "rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)",
        "SMTP error from remote mail server after RCPT TO:<sales@shop.example>:\n"
        "    host {host} [198.51.100.7]: 550 5.1.1 <sales@shop.example>: unknown user",
        "... while talking to {host}.:\n>>> RCPT To:<sales@shop.example>\n<<< 550 5.1.1 <sales@shop.example>... User unknown",
    ],
)
def test_an_unknown_user_on_our_own_server_is_a_mailbox_missing_with_us(matcher: Matcher, report: str) -> None:
    elsewhere = matcher.match(report.format(host="mx.shop.example"))
    assert (elsewhere.outcome, elsewhere.entry_id) == ("answer", "remote-user-unknown")
    # the provider's own server (provider.toml's smtp_host) refused: the mailbox is missing with us
    ours = matcher.match(report.format(host="ns0.ovh.net"))
    assert (ours.outcome, ours.entry_id) == ("answer", "local-mailbox-missing")


def test_a_full_mailbox_on_our_own_server_is_the_customers_quota(matcher: Matcher) -> None:
    report = "<info@shop.example>: host {host}[198.51.100.7] said: 552 5.2.2 <info@shop.example>: Mailbox full"
    assert matcher.match(report.format(host="mx.shop.example")).entry_id == "recipient-mailbox-full"
    ours = matcher.match(report.format(host="ns0.ovh.net"))  # provider.toml's smtp_host
    assert (ours.outcome, ours.entry_id) == ("answer", "mailbox-quota")


# whose server refused tells whose mailbox is missing or full: the provider's own (a *_host of
# provider.toml, or the IMAP or POP3 server a mail program reads from), or another's (a host the
# report names, or a reply quoted as "Remote host said", "Remote Server returned")
WHOSE_MAILBOX = [
    pytest.param(
        "<sales@shop.example>: host mx.shop.example[198.51.100.7] said: 550 Sorry, no mailbox here by that name. (#5.1.1)",
        "remote-user-unknown",
        id="qmail-elsewhere",
    ),
    pytest.param(
        "<sales@shop.example>: host ns0.ovh.net[198.51.100.7] said: 550 Sorry, no mailbox here by that name. (#5.1.1)",
        "local-mailbox-missing",
        id="qmail-ours",
    ),
    pytest.param(
        "<ivo@firm.example>:\n198.51.100.7 does not like recipient.\nRemote host said: 550 sorry, no mailbox here by that name",
        "remote-user-unknown",
        id="remote-host-said",
    ),
    pytest.param(
        "Delivery has failed to these recipients or groups:\nivo@firm.example\n"
        "Remote Server returned '550 Sorry, no mailbox here by that name. (#5.1.1)'",
        "remote-user-unknown",
        id="remote-server-returned",
    ),
    pytest.param("A7 APPEND Sent {2321}\nA7 NO [OVERQUOTA] Quota exceeded", "mailbox-quota", id="imap-append"),
    pytest.param("Thunderbird log: 12 NO Mailbox is full", "mailbox-quota", id="imap-no"),
    pytest.param("-ERR Mailbox over quota", "mailbox-quota", id="pop3-err"),
]


@pytest.mark.parametrize(
    "text",
    [
        "People writing to info@shop.example get: 550 5.1.1 <info@shop.example>: Recipient address rejected: User unknown",
        "Kunden, die uns schreiben, bekommen zurück: 550 5.1.1 User unknown",
        "Nos clients qui nous écrivent reçoivent : 550 5.1.1 User unknown",
    ],
)
def test_an_unknown_user_in_mail_sent_to_the_person_is_a_mailbox_missing_with_us(matcher: Matcher, text: str) -> None:
    # their own words say the mail was sent to them: the refusing server is ours
    found = matcher.match(text)
    assert (found.outcome, found.entry_id) == ("answer", "local-mailbox-missing")
    sent = matcher.match("My mail to a customer came back: 550 5.1.1 User unknown")
    assert sent.entry_id == "remote-user-unknown"


@pytest.mark.parametrize(
    "text",
    [
        "-ERR authorization failed",
        "-ERR [AUTH] Invalid login",
        "Thunderbird: the IMAP server says NO [AUTHENTICATIONFAILED] Invalid credentials",
    ],
)
def test_a_refused_pop_or_imap_login_is_the_login_format_not_smtp(matcher: Matcher, text: str) -> None:
    # POP3's "-ERR" and IMAP's "NO [AUTHENTICATIONFAILED]" are the incoming server: the fix is
    # the user name with % and the password, not the outgoing server's authentication
    found = matcher.match(text)
    assert (found.outcome, found.entry_id) == ("answer", "login-format")


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        ("Outlook error 0x800CCC0E", "smtp-settings"),
        ("outlook keeps giving me 0x800CCC92", "login-format"),
        ("Thunderbird says: SSL received a record that exceeded the maximum permissible length", "ssl-tls-options"),
        ("Thunderbird: Login to server mail.firma.de with username info@firma.de failed.", "login-format"),
        # a mail program looks up its own outgoing server, never the recipient's domain
        ("Thunderbird: cannot locate host smtp.shop.exmple: Name or service not known", "smtp-settings"),
        (
            "msmtp: cannot locate host smtp.shop.exmple: Name or service not known\n"
            "msmtp: could not send mail (account default from /home/ivo/.msmtprc)",
            "smtp-settings",
        ),
    ],
)
def test_a_mail_programs_own_errors(matcher: Matcher, text: str, entry_id: str) -> None:
    # the program's error, not a server's reply: a record too long is SSL on a plain port, not a big message
    found = matcher.match(text)
    assert (found.outcome, found.entry_id) == ("answer", entry_id)


def test_a_programs_own_error_is_not_a_failure_only_reports_show(matcher: Matcher) -> None:
    # the printer's own connection to our server failed: its encryption settings, not the
    # recipient's server; the same words in a report are the recipient's server
    printer = matcher.match("printer says TLS handshake failed")
    assert (printer.outcome, printer.entry_id) == ("answer", "ssl-tls-options")
    # a server's send-only client (msmtp, nullmailer...) is a mail program too
    relay = matcher.match("mutt: SMTP session failed: TLS handshake failed")
    assert (relay.outcome, relay.entry_id) == ("answer", "ssl-tls-options")
    report = matcher.match(
        "TLS error on connection to mx.shop.example [203.0.113.5] (SSL_connect): TLS handshake failed\n"
        "<ivo@shop.example>: delivery temporarily suspended"
    )
    assert report.entry_id == "remote-tls-failed"


_SPAMCOP = "550 5.7.1 Service unavailable; client [203.0.113.7] blocked using bl.spamcop.net"


def _sendmail_report(refusal: str, transcript: str) -> str:
    """Sendmail's report of a recipient refused with ``refusal``, then its ``transcript``."""
    return (
        "   ----- The following addresses had permanent fatal errors -----\n"
        "<ivo@shop.example>\n"
        f"    (reason: {refusal})\n\n"
        "   ----- Transcript of session follows -----\n"
        f"{transcript}"
    )


@pytest.mark.parametrize(
    ("refusal", "entry", "summary"),
    [
        (_SPAMCOP, "sender-ip-blocklisted", "<ivo@shop.example>"),
        ("552 5.2.2 Mailbox over quota", "recipient-mailbox-full", "<ivo@shop.example>"),
        ("550 5.1.1 <ivo@shop.example>... No such user here", "remote-user-unknown", "<ivo@shop.example>"),
        (_SPAMCOP, "sender-ip-blocklisted", "ivo@shop.example"),  # an alias's expansion: the address bare
    ],
)
def test_sendmails_own_user_unknown_after_a_refusal_is_frame(
    matcher: Matcher, refusal: str, entry: str, summary: str
) -> None:
    # Sendmail writes "User unknown" after any refusal of a recipient: the reply above is the cause
    report = _sendmail_report(
        refusal,
        f"... while talking to mx.shop.example.:\n>>> RCPT To:<ivo@shop.example>\n<<< {refusal}\n"
        f"550 5.1.1 {summary}... User unknown\n",
    )
    found = matcher.match(report)
    assert (found.outcome, found.entry_id) == ("answer", entry)


@pytest.mark.parametrize(
    ("refusal", "entry"),
    [
        ("551 not our customer", "remote-user-unknown"),
        # a disabled account is no entry's: not the first server's "busy" either
        ("554 delivery error: dd This account has been disabled or discontinued [#102].", None),
    ],
)
def test_an_earlier_attempts_temporary_reply_is_history(matcher: Matcher, refusal: str, entry: str | None) -> None:
    # the first MX was busy, the second refused for good: the refusal is the cause
    report = _sendmail_report(
        refusal,
        "... while talking to mx1.shop.example.:\n<<< 450 busy - please try later\n"
        f"... while talking to mx2.shop.example.:\n>>> DATA\n<<< {refusal}\n554 5.0.0 Service unavailable\n",
    )
    found = matcher.match(report)
    assert found.entry_id == entry and found.outcome == ("answer" if entry else "unknown")


@pytest.mark.parametrize(
    "report",
    [
        "SMTP error from remote mail server after initial connection:\n    554 Spam source, connection refused",
        "<ivo@shop.example>: host mx.shop.example[203.0.113.9] refused to talk to me: 550 Sender rejected by policy",
        "<ivo@shop.example>: host mx.shop.example[203.0.113.9] refused to talk to me: 554 Your host is a known spam source",
    ],
)
def test_a_refused_greeting_is_about_the_sending_server(matcher: Matcher, report: str) -> None:
    # the server answered the connection itself: it was reached, and it knew no sender,
    # recipient or content yet; only the sending server's standing (or load) can be the cause
    found = matcher.match(report)
    assert found.outcome != "answer" or found.entry_id in {"sender-ip-blocklisted", "too-many-connections"}


def test_sender_is_a_telling_word_though_frames_use_it(matcher: Matcher) -> None:
    # "returning message to sender" is frame; "does not accept mail from this sender" is the cause
    report = (
        "<ivo@shop.example>: host mx.shop.example[203.0.113.150] said: 550 5.7.1\n"
        "    <ivo@shop.example>: the recipient does not accept mail from this sender\n"
        "    address (in reply to RCPT TO command)"
    )
    found = matcher.match(report)
    assert (found.outcome, found.entry_id) == ("answer", "sender-blacklisted")


@pytest.mark.parametrize(
    ("refusal", "entry"),
    [
        ("550 Sender IP address 198.51.100.7 blacklisted here", "sender-ip-blocklisted"),
        ("550 5.7.1 The sender IP 198.51.100.7 is blacklisted here", "sender-ip-blocklisted"),
        ("554 Rejected: the IP-address of the sender is blacklisted", "sender-ip-blocklisted"),
        ("550 5.7.1 Sender's IP 203.0.113.9 is blacklisted by local policy", "sender-ip-blocklisted"),
        ("554 Rejected: the sender's address is on our local blacklist", "sender-blacklisted"),
        ("550 Your sender address <promo@deals.example> is blacklisted here", "sender-blacklisted"),
        # the word "IP" is about an IP; an IP address in a report's frame is not
        ("Your IP address has been blocked due to suspicious activity.", "sender-ip-blocklisted"),
    ],
)
def test_the_senders_ip_is_the_sending_server_not_the_senders_address(matcher: Matcher, refusal: str, entry: str) -> None:
    # "sender IP" names the sending server, as "Client host" does: another party than the
    # sender's address, though both say "sender"
    found = matcher.match(refusal)
    assert (found.outcome, found.entry_id) == ("answer", entry)


@pytest.mark.parametrize(
    "text", ["how much is the pro plan", "is there a problem with your servers right now? outage?", "Was kostet das Angebot mit 5 Postfächern?"]
)
def test_prices_and_outages_are_not_mail_problems(matcher: Matcher, text: str) -> None:
    assert matcher.match(text).outcome != "answer"


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("how do I change the DNS of my domain?", None),
        ("wie ändere ich die Nameserver meiner Domain", None),
        # the DNS of a mail problem is still that problem
        ("my MX host mx2 has no A record, where do I add it in the zone?", "mx-host-no-record"),
        ("how do I add an SPF record to my DNS", "spf-dmarc-failed"),
    ],
)
def test_managing_a_domains_dns_is_no_mail_problem(matcher: Matcher, text: str, entry: str | None) -> None:
    found = matcher.match(text)
    assert (found.outcome == "answer", found.entry_id if found.outcome == "answer" else None) == (entry is not None, entry)


def test_variable_parts_do_not_change_the_match(matcher: Matcher) -> None:
    one = matcher.match("<anna@firma-eins.cz>: host mx1.firma-eins.cz[198.51.100.7] said: 550 5.1.1 user unknown")
    two = matcher.match("<petr@jina.example>: host mail.jina.example[203.0.113.250] said: 550 5.1.1 user unknown")
    assert one.entry_id == two.entry_id == "remote-user-unknown"
    assert abs(one.confidence - two.confidence) < 0.05


def test_typos_and_missing_diacritics_are_tolerated(matcher: Matcher) -> None:
    assert matcher.match("jak velka muze byt postovni schranka, jaka je kvota?").entry_id == "mailbox-quota"
    assert matcher.match("Sory, that domian isnt alowed to be relayed thru this MTA").entry_id == "relay-denied"


@pytest.mark.parametrize(
    "text",
    [
        "What is the weather like in Prague tomorrow?",
        "Wie backe ich einen Apfelkuchen?",
        "¿Quién ganó el partido de fútbol ayer?",
        "Quelle est la capitale de l'Australie ?",
        "Kolik stojí lístek na vlak do Brna?",
    ],
)
def test_off_topic_is_never_a_confident_answer(matcher: Matcher, text: str) -> None:
    assert matcher.match(text).outcome != "answer"


def test_confidence_is_between_zero_and_one(matcher: Matcher) -> None:
    for text, _ in SEED_LINES:
        found = matcher.match(text)
        assert 0.0 <= found.confidence <= 1.0
        assert all(0.0 <= c <= 1.0 for _, c in found.ranked)


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        ("Hi, got this: Non-existing DNS_MX: MAIL FROM: <info@example.net >  what now?", "<info@example.net >"),
        ("Bonjour, depuis ce matin Outlook me dit : 550 5.7.1 Relay access denied", "550 5.7.1 Relay access denied"),
        (
            "host said: 550 5.1.1 <a@b.cz>: Recipient address rejected: User unknown in virtual mailbox table",
            "Recipient address rejected: User unknown in virtual mailbox table",
        ),
        ("Thunderbird says: 535 5.7.8 Error: authentication failed", "535 5.7.8 Error: authentication failed"),
        (
            # the codes and the address before the words the signature aligned with are the error too
            "Bonjour, je reçois ceci : 550 5.1.1 <paul@boulangerie.example>: Recipient address rejected: "
            "User unknown in virtual mailbox table. Que faire ?",
            "550 5.1.1 <paul@boulangerie.example>: Recipient address rejected: User unknown in virtual mailbox table",
        ),
    ],
)
async def test_the_quote_is_the_error_as_pasted(bot: SupportBot, text: str, quote: str) -> None:
    reply = await bot.handle(Inbound(text=text))
    assert reply.quote is not None
    assert quote in reply.quote
    assert not reply.quote.lower().startswith(("hi", "bonjour", "host said"))


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        # a frame's word is no quote: the server's reply, unwrapped, is
        (
            "This is the mail system at host out.shop.example.\n\n"
            "I'm sorry to have to inform you that your message could not\n"
            "be delivered to one or more recipients. It's attached below.\n\n"
            "                   The mail system\n\n"
            "<ivo@firm.example>: host mx.firm.example[198.51.100.7] said: 550 User\n"
            "    [ivo@firm.example] does not exist (in reply to RCPT TO command)\n",
            "550 User [ivo@firm.example] does not exist",
        ),
        # Sendmail's "(reason: ...)" closes around the reply, not inside it
        (
            "   ----- The following addresses had permanent fatal errors -----\n<ivo@firm.example>\n"
            "    (reason: 550 Requested action not taken: mailbox unavailable)\n",
            "550 Requested action not taken: mailbox unavailable",
        ),
    ],
)
async def test_the_quote_is_the_reply_not_its_frame(bot: SupportBot, text: str, quote: str) -> None:
    reply = await bot.handle(Inbound(text=text))
    assert (reply.kind, reply.quote) == ("answer", quote)


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        (
            # Exim's "SMTP error from remote mail server after RCPT TO:" opens many signatures,
            # but it is the frame: quoted alone, it would tell the person nothing
            "SMTP error from remote mail server after RCPT TO:<max@beispiel.de>:\n"
            "    550 5.7.1 Service unavailable; client [203.0.113.45] blocked using zen.spamhaus.org",
            "550 5.7.1 Service unavailable; client [203.0.113.45] blocked using zen.spamhaus.org",
        ),
        (
            "Hallo, meine Mail kam zurück mit: SMTP error from remote mail server after RCPT TO:<max@beispiel.de>: "
            "550 5.2.2 <max@beispiel.de>: mailbox full",
            "550 5.2.2 <max@beispiel.de>: mailbox full",
        ),
        (
            # a port after a host name is no status code to start the quote from
            "Im Zertifikatsdialog für smtp.firma.de:465 steht: Sichere Kommunikation mit der Gegenstelle ist "
            "nicht möglich: Angeforderter Domainname stimmt nicht mit dem Zertifikat des Servers überein.",
            "Sichere Kommunikation mit der Gegenstelle ist nicht möglich: Angeforderter Domainname stimmt nicht "
            "mit dem Zertifikat des Servers überein.",
        ),
        (
            # a host name is quoted whole, not from its last label on
            "The Outgoing server (SMTP) smtp.brightside-studio.co.uk does not support the selected authentication "
            "method. Please change the 'Authentication method' in 'Account Settings | Outgoing Server (SMTP)'.",
            "smtp.brightside-studio.co.uk does not support the selected authentication method.",
        ),
    ],
)
def test_the_quote_is_the_servers_reply_with_host_names_whole(matcher: Matcher, text: str, quote: str) -> None:
    found = matcher.match(text)
    assert found.entry_id is not None
    assert matcher.quote(text, found.entry_id) == quote


@pytest.mark.parametrize("word", ["entry", "list", "blocked", "quota", "{entry}", "server", "mail"])
def test_one_word_is_never_an_answer(matcher: Matcher, word: str) -> None:
    assert matcher.match(word).outcome != "answer"


def test_two_telling_words_can_be_an_answer(matcher: Matcher) -> None:
    found = matcher.match("mailbox full")
    assert (found.outcome, found.entry_id) == ("answer", "recipient-mailbox-full")


@pytest.mark.parametrize(
    "text",
    ["Wie heißt der POP-Server?", "nom du serveur pop ?", "cual es el servidor pop?", "incoming POP server for my phone?"],
)
def test_pop_without_its_version_is_the_pop3_settings(matcher: Matcher, text: str) -> None:
    assert matcher.match(text).entry_id == "pop3-settings"


@pytest.mark.parametrize(
    "text",
    [
        # close to a mail topic (a refused sender, certificates) but about something else
        "how can I block a newsletter sender that keeps mailing me?",
        "how do I renew the SSL certificate of my WordPress site?",
    ],
)
def test_near_an_uncovered_topic_is_never_an_answer(matcher: Matcher, text: str) -> None:
    assert matcher.match(text).outcome != "answer"


def test_a_close_runner_up_lowers_the_confidence() -> None:
    clear = calibrate(0.3, 0.1)
    close = calibrate(0.3, 0.28)
    assert close < clear
    assert calibrate(0.5, 0.1) > clear  # and a higher score raises it
    assert calibrate(0.3, 0.1, report=True) < clear  # a report must match more closely


@pytest.mark.parametrize(
    "text",
    ["what is your POP server?", "how do I renew the SSL certificate of my WordPress site?", "relay?", "Postfach"],
)
def test_ranked_confidences_never_rise_and_unknown_is_never_sure(matcher: Matcher, text: str) -> None:
    found = matcher.match(text)
    confidences = [confidence for _, confidence in found.ranked]
    assert confidences == sorted(confidences, reverse=True)
    if found.outcome != "answer":
        assert all(confidence < matcher.answer_threshold for confidence in confidences)


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        # a signature longer than the text aligned all of it, the person's words too
        ("Seznam nám vrací 421 4.7.0 Try again later, closing connection. Co s tím?",
         "421 4.7.0 Try again later, closing connection."),
        ("pourquoi 'Sorry, that domain isn't allowed to be relayed thru this MTA' quand j'envoie ?",
         "Sorry, that domain isn't allowed to be relayed thru this MTA"),
        ('Kunde bekommt "552 5.2.2 <anna@firma.example>: Mailbox full" - was tun?',
         "552 5.2.2 <anna@firma.example>: Mailbox full"),
        # a signature matches a part of the line ("User unknown", "zen.spamhaus.org"): the
        # quote is the whole error, from its status code or opening quotation mark on
        ('Ahoj, vrati se mi "550 5.1.1 <petr@klient.example>: Recipient address rejected: User unknown". Co s tim?',
         "550 5.1.1 <petr@klient.example>: Recipient address rejected: User unknown"),
        ("<bob@example.org>: host mx.example.org[203.0.113.5] said: 554 5.7.1 Service unavailable; Client host "
         "[198.51.100.2] blocked using zen.spamhaus.org (in reply to RCPT TO command)",
         "554 5.7.1 Service unavailable; Client host [198.51.100.2] blocked using zen.spamhaus.org"),
        ("Thunderbird : « Échec de l'envoi du message », le serveur répond 535 5.7.8 Error: authentication failed. "
         "J'ai vérifié le mot de passe.",
         "535 5.7.8 Error: authentication failed."),
        # a signature matches a word or two of a program's message: the quote is its sentence
        ("Outlook for Mac: Mail could not be sent. The SMTP server requires authentication. Error code 17997",
         "The SMTP server requires authentication."),
        # ... but not the person's sentence around the error
        ("Un cliente dice que su servidor rechaza algunos de nuestros correos por SPF fail.", "SPF fail"),
        # a wrapped Postfix reply is quoted from its code on the first line, and a link keeps its IP whole
        ("<ann@shop.example>: host mx.shop.example[203.0.113.5] said: 554 5.7.1\n"
         "    Service unavailable; Client host [198.51.100.47] blocked using\n"
         "    bl.spamcop.net; Blocked - see https://www.spamcop.net/bl.shtml?198.51.100.47\n"
         "    (in reply to RCPT TO command)",
         "554 5.7.1 Service unavailable; Client host [198.51.100.47] blocked using bl.spamcop.net; "
         "Blocked - see https://www.spamcop.net/bl.shtml?198.51.100.47"),
        # Postfix wraps its frame too
        ("<a@shop.example>: host mx.shop.example[203.0.113.5] said: 552 5.2.2 Mailbox full (in reply to RCPT TO\n"
         "    command)",
         "552 5.2.2 Mailbox full"),
        # a program's sentence in another language is quoted whole, not up to where its words stop matching
        ("Die Nachricht konnte nach mehreren Versuchen nicht zugestellt werden.\n\n<ops@shop.example>: "
         "451 4.4.1 Connection timed out",
         "Die Nachricht konnte nach mehreren Versuchen nicht zugestellt werden."),
        ("Delivery time expired: the message could not be delivered within the time limit set by the post office.",
         "Delivery time expired: the message could not be delivered within the time limit set by the post office."),
    ],
)
def test_the_quote_stops_where_the_persons_words_begin(matcher: Matcher, text: str, quote: str) -> None:
    found = matcher.match(text)
    assert found.entry_id is not None
    assert matcher.quote(text, found.entry_id) == quote


async def test_a_settings_question_quotes_no_error_and_keeps_its_language(bot: SupportBot) -> None:
    # "Servidor de correo entrante (POP3)" is a client label among pop3-settings' signatures
    reply = await bot.handle(Inbound(text="servidor de correo entrante pop?"))
    assert reply.entry_id == "pop3-settings"
    assert reply.quote is None
    assert reply.language == "es"


@pytest.mark.parametrize(
    "text", ["outgoing mail server name?", "server odchozi posty?", "what's the outgoing server?", "jaký je server pro odchozí poštu?"]
)
def test_a_settings_question_in_common_words_is_answered(matcher: Matcher, text: str) -> None:
    # "smtp", "server" and "mail" are in every entry and in every report's frame; asked
    # plainly, they are still a question with one answer
    found = matcher.match(text)
    assert (found.outcome, found.entry_id) == ("answer", "smtp-settings")


@pytest.mark.parametrize(
    ("text", "entries"),
    [
        ("I can't send emails", {"smtp-settings"}),
        ("nemůžu odesílat maily", {"smtp-settings"}),
        ("I can't receive emails", {"pop3-settings", "imap-settings"}),
        ("ich kann keine Mails empfangen", {"pop3-settings", "imap-settings"}),
    ],
)
def test_cannot_send_or_receive_leads_to_the_settings(matcher: Matcher, text: str, entries: set[str]) -> None:
    # the first thing to check; a pasted error, if there is one, names the cause
    assert matcher.match(text).entry_id in entries


# the sentences some servers write around any failure: qmail-remote's "Giving up on <host>."
# (no expired queue), Exchange's "had a problem processing this message" (no unknown problem)
SERVER_FRAMES = {
    "qmail": (
        "Hi. This is the qmail-send program at mail.shop.example.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        "<ivo@firm.example>:\n198.51.100.7 does not like recipient.\n"
        "Remote host said: {reply}\nGiving up on 198.51.100.7.\n"
    ),
    "exchange": (
        "Delivery has failed to these recipients or groups:\n\nivo@firm.example\n"
        "The e-mail system had a problem processing this message. It won't try to deliver this message again.\n\n"
        "Diagnostic information for administrators:\n\nGenerating server: EX01.shop.example\n\n"
        "ivo@firm.example\nmx.firm.example #{reply} ##\n"
    ),
}


@pytest.mark.parametrize(
    ("frame", "reply", "entry"),
    [
        ("qmail", "550 Invalid recipient", "remote-user-unknown"),
        ("qmail", "450 Too many messages, slow down", "too-many-connections"),
        ("exchange", "550 Mailbox unavailable", "remote-user-unknown"),
        ("exchange", "550 Message content rejected", "spam-rejected"),
    ],
)
def test_a_servers_own_frame_sentences_are_frame(matcher: Matcher, frame: str, reply: str, entry: str) -> None:
    found = matcher.match(SERVER_FRAMES[frame].format(reply=reply))
    assert (found.outcome, found.entry_id) == ("answer", entry)


@pytest.mark.parametrize(
    "report",
    [
        "<ivo@firm.example>: host mx.firm.example[198.51.100.7] said: 550 5.1.7 No such domain shop.example"
        " (in reply to MAIL FROM command)",
        "SMTP error from remote mail server after MAIL FROM:<ann@shop.example> SIZE=2345:\n    550 No such user",
        "... while talking to mx.firm.example.:\n>>> MAIL From:<ann@shop.example>\n<<< 553 Unknown domain",
    ],
)
def test_nothing_found_in_reply_to_mail_from_is_about_the_sender(matcher: Matcher, report: str) -> None:
    # MAIL FROM names one address, the sender's: its domain or user is what was not found
    found = matcher.match(report)
    assert (found.outcome, found.entry_id) == ("answer", "sender-blacklisted")
    recipient = matcher.match(report.replace("MAIL FROM", "RCPT TO").replace("MAIL From", "RCPT To"))
    assert recipient.entry_id in {"remote-domain-not-found", "remote-user-unknown"}


def test_giving_up_outside_qmails_own_line_is_an_expired_queue(matcher: Matcher) -> None:
    # only "Giving up on <host>." is qmail's frame; a server's own "Giving up." still says it
    report = (
        "Final-Recipient: rfc822; ivo@firm.example\nAction: failed\nStatus: 5.0.0\n"
        "Diagnostic-Code: smtp; 554 Could not deliver for the last 72 hours. Giving up."
    )
    found = matcher.match(report)
    assert (found.outcome, found.entry_id) == ("answer", "queue-expired")


@pytest.mark.parametrize(
    "text",
    [
        "450 4.7.1 <bob@example.org>: Recipient address rejected: Greylisted, please try again later",
        "my mail is late, the report says: 451 4.7.1 Greylisting in action, please come back later",
    ],
)
def test_greylisting_is_no_flood_of_connections(matcher: Matcher, text: str) -> None:
    # a first delivery put off on purpose, retried by the sending server: the base has no entry
    # for it, and "too many connections" would send the customer after a problem they do not have
    found = matcher.match(text)
    assert found.outcome != "answer"
    assert matcher.match("421 4.7.0 Too many connections from your IP, try again later").entry_id == "too-many-connections"


def test_a_policy_that_is_not_named_is_no_known_cause(matcher: Matcher) -> None:
    # "Policy violation" alone could be content, a compliance rule or authentication
    bare = ("<bob@client.example>: host mx.client.example[198.51.100.4] said: 554 5.7.1 <bob@client.example>: "
            "Recipient address rejected: Policy violation (in reply to RCPT TO command)")
    assert matcher.match(bare).outcome != "answer"
    named = matcher.match("550 5.7.1 SPF policy violation. Host 203.0.113.9 is not allowed to send mail as ann@shop.example.")
    assert (named.outcome, named.entry_id) == ("answer", "spf-dmarc-failed")


@pytest.mark.parametrize(
    "text",
    [
        "<bob@gmail.example>: host gmail-smtp-in.l.google.example[203.0.113.26] said: 550-5.2.1 The email account that you\n"
        "    tried to reach is disabled. Learn more at https://support.google.com/mail/?p=DisabledUser (in reply to RCPT TO command)",
        "Your message to bob@example.org bounced: this account has been temporarily suspended",
    ],
)
def test_a_disabled_account_is_not_a_full_mailbox(matcher: Matcher, text: str) -> None:
    # Gmail words a disabled account like a full one ("The email account that you tried to
    # reach is over quota"); the base has no entry for an account its provider disabled
    assert matcher.match(text).outcome != "answer"


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        ("----- The following addresses had permanent fatal errors -----\n<ann@shop.example>\n"
         "    (reason: 550 Host does not accept mail)", "remote-domain-not-found"),
        ("<ann@shop.example>: host smtp.relay.example[198.51.100.9] said: 550 Unauthenticated senders not allowed"
         " (in reply to MAIL FROM command)", "relay-denied"),
        # old servers' words for a mailbox and its quota
        ("* [ann@shop.example]: 550 ann@shop.example...User account is overquota", "recipient-mailbox-full"),
        ("<ann@shop.example>:\nThe e-mail message could not be delivered because the user's mailfolder is full.",
         "recipient-mailbox-full"),
        # IMail's and Exchange 5.5's unknown recipient
        ("Invalid final delivery userid: ann@shop.example", "remote-user-unknown"),
        # InterScan's give-up, and a delay notice that says only that it keeps trying
        ("The following mail could not be delivered.\nReason:  Exceeded Maximum Delivery Attempts.", "queue-expired"),
        ("could not be delivered to the following recipients:\nann@shop.example\n"
         "Please do not resend your original message.\nDelivery attempts will continue to be made for 3 day(s).",
         "remote-smtp-unreachable"),
        ("did not reach the following recipient(s):\nann@shop.example on Thu, 11 Jul 2002 16:54:54 -0300\n"
         "    The recipient name is not recognized", "remote-user-unknown"),
        # AT&T's name for its DNS blocklist
        ("<ann@att.example>: host mailrelay.att.example[192.0.2.75] said: 521-203.0.113.9 blocked by sbc:blacklist."
         "mailrelay.att.example. 521 DNSRBL: Blocked for abuse. (in reply to MAIL FROM command)", "sender-ip-blocklisted"),
        # OpenSMTPD's, qmail's and a French Domino's wordings
        ("Delivery to <ann@shop.example> failed: No MX found for domain shop.example", "remote-domain-not-found"),
        ("<ann@shop.example>:\nConnected to 198.51.100.7 but sender was rejected.", "sender-blacklisted"),
        ("ann@shop.example non répertorié dans l'annuaire Domino", "remote-user-unknown"),
        # Exim gives up on a full mailbox in the same words as on a server it never reached
        ("The following address(es) failed:\n\n  ann@shop.example\n    mailbox is full (MTA-imposed quota exceeded"
         " while writing to file /var/vmail/shop.example/ann/Maildir/new): retry timeout exceeded", "recipient-mailbox-full"),
        # Exchange Online's DANE refusals are the recipient's TLS failing, not a setting of ours
        ("<ann@shop.example>: host shop-example.mail.protection.outlook.example[198.51.100.9] said: 450 4.7.323"
         " tlsa-invalid: The domain shop.example failed DANE validation", "remote-tls-failed"),
        # a link in the body on a URI blocklist is the content, not the sending IP
        ("554 5.7.1 Rejected: the body contains a URL listed on SURBL and the Spamhaus DBL", "spam-rejected"),
        # 5.2.2 is a full mailbox, except when Exchange counts what the sender submitted
        ("Remote Server returned '550 5.2.2 Submission quota exceeded'", "too-many-connections"),
        # amavisd-new's report names the cause once, then explains backscatter at length
        ("A message from <ann@shop.example> to:\n-> bob@client.example\n\nwas considered unsolicited bulk e-mail (UBE)."
         "\n\nOur internal reference code for your message is 12345-06/AbCdEf\n\nThe message carried your return address,"
         " so it was either a genuine mail\nfrom you, or a sender address was faked and your e-mail address abused\n"
         "by third party, in which case we apologize for undesired notification.", "spam-rejected"),
        # Sendmail's closing "554 5.0.0 Service unavailable" is no cause, nor is an undefined 5.0.0
        ("----- The following addresses had permanent fatal errors -----\n<ann@shop.example>\n"
         "    (reason: 550 Host does not accept mail)\n554 5.0.0 Service unavailable", "remote-domain-not-found"),
        ("<ann@shop.example>: host mx.shop.example[198.51.100.9] said: 550 5.0.0 unknown mailbox"
         " (in reply to RCPT TO command)", "remote-user-unknown"),
        # older Sendmail gives up with "Cannot send message for 5 days", and no other frame
        ("----- Transcript of session follows -----\n451 4.4.1 reply: read error from mx.shop.example.\n"
         "<ops@shop.example>... Cannot send message for 5 days", "queue-expired"),
    ],
)
def test_other_servers_wordings_of_a_known_failure(matcher: Matcher, text: str, entry_id: str) -> None:
    # "unauthenticated" is DMARC's word too, and "does not accept" a blocklist's; old servers
    # wrote "mail box", "mailfolder" and "overquota"
    found = matcher.match(text)
    assert (found.outcome, found.entry_id) == ("answer", entry_id)


def test_a_report_in_a_script_it_cannot_read_is_no_confident_match(matcher: Matcher) -> None:
    # only "Failure Reasons" is readable: the Japanese line is the cause, and unknown
    japanese = "------- Failure Reasons  --------\n宛先サーバーで不明なエラーが発生しました\nbob@example.jp"
    assert matcher.match(japanese).outcome != "answer"
    # ... unless it is a template a signature holds: Notes' "not in the directory list"
    notes = "------- Failure Reasons  --------\nディレクトリのリストにありません\nbob@example.jp"
    assert (matcher.match(notes).outcome, matcher.match(notes).entry_id) == ("answer", "remote-user-unknown")
    # with the server's English reply next to the Japanese, the reply decides
    both = "送信先のメールボックスが一杯のため、送信できませんでした。\n552 5.2.2 <bob@example.jp>: Mailbox full"
    found = matcher.match(both)
    assert (found.outcome, found.entry_id) == ("answer", "recipient-mailbox-full")


def test_a_session_transcript_is_read_line_by_line(matcher: Matcher) -> None:
    # every line of the transcript is indented under its heading: they are no wrapped line
    # to read as one, or the server's greeting and AUTH offer outweigh the one refusal
    steps = [
        "Attempting SMTP connection to [198.51.100.7 : 25]", "Waiting for socket connection...",
        "Socket connection established", "Waiting for protocol initiation...", "220 mx.shop.example ESMTP ready",
        "EHLO relay.example.net", "250-mx.shop.example Hello relay.example.net, ESMTP hello!", "250-VRFY", "250-EXPN",
        "250-AUTH LOGIN CRAM-MD5", "250-8BITMIME", "250 SIZE 40000000", "MAIL From:<news@example.net> SIZE=1861",
        "250 <news@example.net>, Sender ok", "RCPT To:<ann@shop.example>",
        "552 Message for <ann@shop.example> would exceed mailbox quota", "QUIT",
    ]
    text = (
        "The attached message had PERMANENT fatal delivery errors! After one or more unsuccessful delivery\n"
        "attempts the attached message has been removed from the mail queue on this server.\n\n"
        "--- Session Transcript ---\n"
    )
    text += "\n".join(" " + s for s in steps)
    found = matcher.match(text + "\n--- End Transcript ---")
    assert (found.outcome, found.entry_id) == ("answer", "recipient-mailbox-full")


def test_a_connection_dropped_in_a_report_is_the_other_servers(matcher: Matcher) -> None:
    # pop-polling-too-often is the person's own program losing its POP3 connection to us
    # (shown_in = "program"); inside a delivery report, the recipient's server dropped ours
    report = (
        "Delivery to the following recipient failed permanently:\n"
        "Technical details of permanent failure:\n"
        "Connection was dropped by remote host (SENT_HELO)"
    )
    found = matcher.match(report)
    assert found.entry_id in ("queue-expired", "remote-smtp-unreachable")
    own = matcher.match("Outlook: Your server has stopped the connection in an unexpected way. Error 0x800CCC0F")
    assert (own.outcome, own.entry_id) == ("answer", "pop-polling-too-often")


@pytest.mark.parametrize("text", ["Failure Reasons", "------- Failure Reasons  --------", "failure reason?"])
def test_a_heading_alone_is_no_answer(matcher: Matcher, text: str) -> None:
    # "reason" was a word of remote-tls-failed's seed line ("...func(0):reason(0)"), so two
    # vague words were a confident answer; a report's heading says nothing of its cause
    assert matcher.match(text).outcome != "answer"


POSTFIX_TWO_RECIPIENTS = """This is the mail system at host mail.example.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

<jan.novak@firma.example>: host mx.firma.example[192.0.2.5] said: 550 5.1.1
    <jan.novak@firma.example>: Recipient address rejected: User unknown in virtual
    mailbox table (in reply to RCPT TO command)

<petra@example.org>: host mx.example.org[198.51.100.7] said: 552 5.2.2
    <petra@example.org>: Mailbox full (in reply to RCPT TO command)
"""


def _others(matcher: Matcher, text: str) -> tuple[str | None, list[str]]:
    found = matcher.match(text)
    assert found.outcome == "answer" and found.entry_id is not None
    quote = matcher.quote(text, found.entry_id)
    return found.entry_id, [entry for entry, _, _ in matcher.others(text, found, quote)]


def test_another_recipients_problem_in_the_same_report_is_named(matcher: Matcher) -> None:
    main, others = _others(matcher, POSTFIX_TWO_RECIPIENTS)
    assert (main, others) == ("remote-user-unknown", ["recipient-mailbox-full"])
    found = matcher.match(POSTFIX_TWO_RECIPIENTS)
    quote = matcher.quote(POSTFIX_TWO_RECIPIENTS, "remote-user-unknown")
    ((_, confidence, line),) = matcher.others(POSTFIX_TWO_RECIPIENTS, found, quote)
    assert confidence >= 0.8 and "Mailbox full" in line and "petra@example.org" in line


def test_a_reason_under_its_recipients_address_counts_too(matcher: Matcher) -> None:
    qmail = (
        "Hi. This is the qmail-send program at mail.example.net.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        "<anna@one.example>:\n"
        "192.0.2.7 does not like recipient.\n"
        "Remote host said: 550 5.1.1 <anna@one.example>... User unknown\n\n"
        "<karel@two.example>:\n"
        "The users mailfolder is over the allowed quota (size). (#5.2.2)\n"
    )
    main, others = _others(matcher, qmail)
    assert {main, *others} == {"remote-user-unknown", "recipient-mailbox-full"} and len(others) == 1


@pytest.mark.parametrize(
    "text",
    [
        # one recipient: Sendmail's closing "Service unavailable" is the frame, not a second problem
        "----- The following addresses had permanent fatal errors -----\n"
        "<neko@example.org>\n"
        "    (reason: 550 5.1.1 <neko@example.org>... User unknown)\n"
        "----- Transcript of session follows -----\n"
        "... while talking to mx.example.org.:\n"
        ">>> RCPT To:<neko@example.org>\n"
        "<<< 550 5.1.1 <neko@example.org>... User unknown\n"
        "554 5.0.0 Service unavailable\n",
        # the sender in the transcript's MAIL From is nobody's recipient
        "----- The following addresses had permanent fatal errors -----\n"
        "<neko@example.org>\n"
        "    (reason: 450 4.7.1 Access denied. IP name lookup failed [192.0.2.222])\n"
        ">>> MAIL From:<nyanko@example.jp>\n"
        "<<< 450 4.7.1 Access denied. IP name lookup failed [192.0.2.222]\n"
        "<<< 421 4.7.0 mx.example.org Error: too many errors\n"
        "Message could not be delivered for 2 hours\n",
        # two recipients, one problem: said once
        POSTFIX_TWO_RECIPIENTS.replace("552 5.2.2", "550 5.1.1").replace("Mailbox full", "User unknown"),
    ],
)
def test_no_second_problem_where_the_report_has_one(matcher: Matcher, text: str) -> None:
    _, others = _others(matcher, text)
    assert others == []


def test_a_delay_and_the_give_up_it_leads_to_are_one_problem(matcher: Matcher) -> None:
    # remote-smtp-unreachable hands a returned message over to queue-expired (on_failure):
    # for two recipients the same story is not two problems
    report = (
        "This is the mail system at host mail.example.net.\n\n"
        "<a@one.example>: connect to mx.one.example[192.0.2.1]:25: Connection timed out\n"
        "<b@two.example>: host mx.two.example[192.0.2.2] said: 421 4.4.2 Connection timed out; "
        "message expired after 5 days, I'm not going to try again; this message has been in the queue too long.\n"
    )
    assert matcher.match(report.splitlines()[2]).entry_id == "remote-smtp-unreachable"  # alone, a delay
    assert _others(matcher, report) == ("queue-expired", [])


_POSTFIX_SAID = "This is the mail system at host mail.example.net.\n\n<kim@example.ch>: host mx.example.ch[192.0.2.5] said: "


@pytest.mark.parametrize(
    ("reply", "entry"),
    [
        ("554 5.7.1 <me@example.com>: Sender address rejected: Access denied", "sender-blacklisted"),
        ("554 5.7.1 <unknown[192.0.2.10]>: Client host rejected: Access denied", "sender-ip-blocklisted"),
    ],
)
def test_the_party_a_refusal_names_decides_between_like_wordings(matcher: Matcher, reply: str, entry: str) -> None:
    found = matcher.match(_POSTFIX_SAID + reply + " (in reply to RCPT TO command)")
    assert (found.outcome, found.entry_id) == ("answer", entry)


def test_a_refusal_about_the_recipient_is_not_one_about_the_sender(matcher: Matcher) -> None:
    # "Recipient address rejected: Access denied" shares every word with "Sender address
    # rejected: Access denied" but the party; sender-blacklisted's many phrasings of the latter
    # made it the answer at 95%. It is about the recipient (Exchange Online's unknown
    # recipient, or a relay refusal): which of the two is still a close call.
    reply = "554 5.7.1 <kim@example.ch>: Recipient address rejected: Access denied"
    found = matcher.match(_POSTFIX_SAID + reply + " (in reply to RCPT TO command)")
    assert found.entry_id in ("remote-user-unknown", "relay-denied")
    exim = (
        "A message that you sent could not be delivered to one or more of its recipients. This is a permanent "
        "error. The following address(es) failed:\n\n  kim@example.ch\n    host mx1.example.ch [192.0.2.32]\n"
        "    SMTP error from remote mail server after RCPT TO:<kim@example.ch>:\n    " + reply
    )
    assert (matcher.match(exim).outcome, matcher.match(exim).entry_id) == ("answer", "remote-user-unknown")


# Plain messages a person writes or pastes, each with the one reading the bot must make; the
# id says why it was hard.
PLAIN_ANSWERS = [
    pytest.param("550 Empfänger unbekannt", "remote-user-unknown", id="de-user-unknown"),
    pytest.param("552 Das Postfach des Empfängers ist voll", "recipient-mailbox-full", id="de-mailbox-full"),
    pytest.param("554 Nachricht als Spam abgelehnt", "spam-rejected", id="de-spam"),
    pytest.param("550 Destinataire inconnu", "remote-user-unknown", id="fr-user-unknown"),
    pytest.param("552 Message trop volumineux", "message-too-large", id="fr-too-large"),
    pytest.param("550 Domaine inexistant", "remote-domain-not-found", id="fr-inexistant-is-exist"),
    pytest.param("552 Buzón lleno", "recipient-mailbox-full", id="es-mailbox-full"),
    pytest.param("550 El dominio no existe", "remote-domain-not-found", id="es-no-domain"),
    pytest.param("535 Autenticación fallida", "smtp-auth-failed", id="es-auth"),
    pytest.param("550 Adresát neexistuje", "remote-user-unknown", id="cs-user-unknown"),
    pytest.param("552 Zpráva je příliš velká", "message-too-large", id="cs-too-large"),
    pytest.param("535 Ověření se nezdařilo", "smtp-auth-failed", id="cs-auth"),
    pytest.param(
        "Could not be delivered to: <eva@shop.example> As the remote domain doesnt exist.",
        "remote-domain-not-found",
        id="an-apostrophe-left-out-is-still-a-not",
    ),
    pytest.param(
        "Your message wasn't delivered because the recipient's email provider rejected it as spam.",
        "spam-rejected",
        id="a-report-speaks-to-the-sender",
    ),
    pytest.param(
        "My mail wasn't delivered to gmail, they say my IP is on a blacklist",
        "sender-ip-blocklisted",
        id="a-person-speaks-of-my-message",
    ),
    pytest.param("my mailbox is full, what can I do?", "mailbox-quota", id="my-mailbox-is-ours"),
    pytest.param("ma boîte mail est pleine", "mailbox-quota", id="ma-boite-is-ours"),
    pytest.param("my email to bob bounced: mailbox full", "recipient-mailbox-full", id="a-recipients-mailbox"),
    pytest.param("Gmail rejected my newsletter as spam", "spam-rejected", id="outgoing-spam"),
    # open-smtp's texts say "log in to POP3/IMAP" and "works": the question is still IMAP's
    pytest.param("funguje IMAP?", "imap-settings", id="cs-does-imap-work"),
    pytest.param("does IMAP work?", "imap-settings", id="does-imap-work"),
    pytest.param("can I delete postmaster@firma.cz?", "postmaster-account", id="a-postmaster-address-keeps-its-role"),
    pytest.param("Kann ich postmaster@firma.de löschen?", "postmaster-account", id="de-postmaster-address"),
]


@pytest.mark.parametrize(("text", "entry"), PLAIN_ANSWERS + WHOSE_MAILBOX)
def test_plain_messages_get_their_entry(matcher: Matcher, text: str, entry: str) -> None:
    found = matcher.match(text)
    assert (found.outcome, found.entry_id) == ("answer", entry)


# ... and plain messages no entry answers: any entry would be a guess or another topic
NOT_ANSWERED = [
    # the bot asks for the bounce's error lines instead (unknown.paste)
    pytest.param("my message was not delivered, why?", id="no-cause-yet"),
    pytest.param("moje zpráva nebyla doručena, proč?", id="cs-no-cause-yet"),
    pytest.param("meine Mail wurde nicht zugestellt, warum?", id="de-no-cause-yet"),
    pytest.param("my website shows a certificate error", id="a-websites-certificate"),
    pytest.param("Firefox: the certificate of my web site is not trusted", id="a-browsers-certificate-warning"),
    # spam the person receives is their filter's: spam-rejected is about mail they send
    pytest.param("I get a lot of spam, how do I filter it?", id="incoming-spam"),
    pytest.param("Ich bekomme viel Spam, wie filtere ich ihn?", id="de-incoming-spam"),
    # "nicht bekommen", "schicken": delivery words, but a helpdesk ticket about billing
    pytest.param("Rechnung: habe sie nicht bekommen, bitte nochmal schicken", id="an-invoice-not-received"),
    # a success notice: its other words are all the frame's
    pytest.param(
        "Your message has been delivered to the following recipients:\nIvo Novák (ivo@firm.example)\nSubject: Order 2024/17",
        id="delivered",
    ),
    pytest.param("Ihre Nachricht wurde erfolgreich zugestellt an: ivo@firm.example", id="de-delivered"),
    pytest.param("Final-Recipient: rfc822; ivo@firm.example\nAction: delivered\nStatus: 2.0.0", id="dsn-delivered"),
]


@pytest.mark.parametrize("text", NOT_ANSWERED)
def test_plain_messages_no_entry_answers(matcher: Matcher, text: str) -> None:
    assert matcher.match(text).outcome != "answer"
