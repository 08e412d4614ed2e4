"""Which recipient each line of a delivery report is about."""

from __future__ import annotations

from bot.recipients import by_recipient


def test_a_line_naming_its_recipient_is_about_that_one() -> None:
    lines = [
        "<jan@firma.example>: host mx.firma.example[192.0.2.5] said: 550 5.1.1 User unknown",
        "<petra@example.org>: host mx.example.org[198.51.100.7] said: 552 5.2.2 Mailbox full",
    ]
    assert by_recipient(lines) == [(lines[0], "jan@firma.example", True), (lines[1], "petra@example.org", True)]


def test_a_reason_under_its_address_is_about_the_address_above() -> None:
    lines = ["<a@one.example>:", "Sorry, no mailbox here by that name. (#5.1.1)", "<B@Two.example>:", "over quota (#5.2.2)"]
    assert [(rcpt, names) for _, rcpt, names in by_recipient(lines)] == [
        ("a@one.example", True),
        ("a@one.example", False),
        ("b@two.example", True),
        ("b@two.example", False),
    ]


def test_the_sender_and_a_returned_messages_headers_are_no_recipients() -> None:
    lines = [
        "<rcpt@example.org>... Deferred: 450 4.7.1 Access denied",
        ">>> MAIL From:<sender@example.jp> SIZE=1024",
        "<<< 450 4.7.1 Access denied",
        "Message-ID: <20260601.1234@mail.example.jp>",
        "From: Sender <sender@example.jp>",
        "Final-Recipient: rfc822; other@example.net",
    ]
    assert [rcpt for _, rcpt, _ in by_recipient(lines)] == [
        "rcpt@example.org",
        "rcpt@example.org",
        "rcpt@example.org",
        "rcpt@example.org",
        "rcpt@example.org",
        "other@example.net",
    ]


def test_lines_before_any_recipient_have_none() -> None:
    assert by_recipient(["This is the mail system at host mail.example.net."]) == [
        ("This is the mail system at host mail.example.net.", None, False)
    ]


def test_an_address_after_a_long_run_of_letters_is_found() -> None:
    # read run by run: a pattern over the whole 19,000-letter run would backtrack for a second
    line = "x" * 19_000 + " <Petra@Example.org>: 552 5.2.2 Mailbox full"
    assert by_recipient([line]) == [(line, "petra@example.org", True)]
