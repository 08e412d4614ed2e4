"""HTML bodies (helpdesk tickets, Exchange's reports) are read as their text."""

from __future__ import annotations

import pytest

from bot import Inbound, SupportBot, Ticket
from bot.markup import html_to_text
from bot.normalize import MAX_CHARS, clean_input

EXCHANGE_NDR = """<html><head><style>p {font-family: Calibri}</style><title>Undeliverable</title></head>
<body><p><b><font color="#000066" size="3">Delivery has failed to these recipients or groups:</font></b></p>
<p><a href="mailto:novak@firma.example">novak@firma.example</a><br>The email address you entered couldn&#39;t
be found.</p><p>Diagnostic information for administrators:</p><p>Generating server: mx.example.net</p>
<p>novak@firma.example<br>Remote Server returned &#39;550 5.1.1 &lt;novak@firma.example&gt;: Recipient address
rejected: User unknown in virtual mailbox table&#39;</p></body></html>"""


def test_html_becomes_the_text_a_person_reads() -> None:
    text = html_to_text(EXCHANGE_NDR)
    assert text is not None
    assert "<" not in text.replace("<novak@firma.example>", "")  # no tag left; the escaped address is back
    assert "font-family" not in text and "Undeliverable" not in text  # the head and its style are not text
    assert "Remote Server returned '550 5.1.1 <novak@firma.example>: Recipient address" in text
    assert "Delivery has failed to these recipients or groups:\n" in text  # a paragraph ends its line


@pytest.mark.parametrize(
    "text",
    [
        "<<< 550 5.1.1 <a@example.org>... User unknown",
        "<info@example.net >: malformed address: > may not follow info@example.net",
        "if a < b and c > d, then <b> is bold",  # one tag-like word is no HTML
        "",
    ],
)
def test_text_that_is_not_html_is_left_alone(text: str) -> None:
    assert html_to_text(text) is None
    assert clean_input(text or " x").text == (text or "x").strip()


def test_an_address_written_raw_inside_html_is_kept() -> None:
    assert html_to_text("<p>Mail to <jan@example.cz> came back:</p><p>550 5.1.1 User unknown</p>") == (
        "Mail to <jan@example.cz> came back:\n\n550 5.1.1 User unknown"
    )


def test_a_huge_html_paste_is_read_in_part_and_said_so() -> None:
    body = "<p>" + "filler words here " * 20 + "</p>"
    cleaned = clean_input("<html><body>" + body * 5000 + "</body></html>")
    assert cleaned.truncated and cleaned.problem is None
    assert len(cleaned.text) <= MAX_CHARS and "<p>" not in cleaned.text


async def test_an_html_ticket_and_message_get_the_entry_and_a_clean_quote(bot: SupportBot) -> None:
    reply = await bot.handle(Inbound(text=EXCHANGE_NDR))
    assert (reply.kind, reply.entry_id) == ("answer", "remote-user-unknown")
    assert reply.quote is not None and "<" not in reply.quote.replace("<novak@firma.example>", "")
    html_ticket = "<div dir='ltr'>Dobrý den,<br>tohle se mi vrátilo, co s tím?<br><br>" + EXCHANGE_NDR + "</div>"
    triage = bot.triage(Ticket(id="H1", text=html_ticket))
    assert (triage.entry_id, triage.language) == ("remote-user-unknown", "cs")
