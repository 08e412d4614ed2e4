"""The checks through the core's one door: chat commands in the five languages."""

from __future__ import annotations

import pytest

from bot.checks import default_checker
from bot.knowledge import Knowledge
from bot.models import Inbound
from bot.service import SupportBot
from bot.store import MemoryStore

from .conftest import DnsFixture, settings


@pytest.fixture
def chat_bot(dns_server: DnsFixture, knowledge: Knowledge) -> SupportBot:
    config = settings(dns_servers=dns_server.servers, check_rate_per_minute=2)
    return SupportBot(knowledge, settings=config, store=MemoryStore(), checker=default_checker(config, knowledge))


@pytest.mark.parametrize(
    ("text", "language", "kind", "words"),
    [
        ("check nohost.test", "en", "check", "Host found but no data record"),
        ("zkontroluj prosím missing.test", "cs", "check", "neexistuje"),
        ("prüfe 169.254.169.254 25", "de", "refused", "Link-Local-Adresse"),
        ("vérifie 'info@good.test '", "fr", "check", "se termine par un caractère invisible"),
        ("comprueba good.test:22", "es", "refused", "Solo compruebo los puertos de correo"),
    ],
)
async def test_chat_check_commands(chat_bot: SupportBot, text: str, language: str, kind: str, words: str) -> None:
    reply = await chat_bot.handle(Inbound(text=text, user=f"user-{language}"))
    assert reply.kind == kind and reply.language == language
    assert any(words in f.summary for f in reply.findings), [f.summary for f in reply.findings]
    assert words in reply.text


async def test_chat_rate_limit_answers_slow_down(chat_bot: SupportBot) -> None:
    for _ in range(2):
        assert (await chat_bot.handle(Inbound(text="check good.test", user="eager"))).kind == "check"
    reply = await chat_bot.handle(Inbound(text="check good.test", user="eager"))
    assert reply.kind == "refused"
    assert "slow down" in reply.text and "you can run 2 checks a minute" in reply.text
    assert reply.findings[0].target == "good.test"
    # the same id on another platform is another person
    other = await chat_bot.handle(Inbound(text="check good.test", user="eager", platform="discord"))
    assert other.kind == "check"


async def test_answer_offers_the_check_its_entry_names(chat_bot: SupportBot) -> None:
    paste = "<info@nohost.test>: Name service error for mx2.nohost.test: Host found but no data record of requested type"
    reply = await chat_bot.handle(Inbound(text=paste, user="offer"))
    assert (reply.kind, reply.entry_id) == ("answer", "mx-host-no-record")
    assert reply.offer_check == "check mx nohost.test"
    assert reply.findings == ()  # offered, not run: MAILMEDIC_AUTO_CHECKS is off
    assert "check mx nohost.test" in reply.text


async def test_auto_checks_run_the_offered_check(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    config = settings(dns_servers=dns_server.servers, auto_checks=True)
    bot = SupportBot(knowledge, settings=config, store=MemoryStore(), checker=default_checker(config, knowledge))
    paste = "<info@nohost.test>: Name service error for mx2.nohost.test: Host found but no data record of requested type"
    assert bot.plans_check(Inbound(text=paste))
    reply = await bot.handle(Inbound(text=paste, user="auto"))
    assert reply.entry_id == "mx-host-no-record"
    confirming = [f for f in reply.findings if f.entry_id == "mx-host-no-record"]
    assert confirming and confirming[0].confirms is True
    assert "Host found but no data record" in reply.text
