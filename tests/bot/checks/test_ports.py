"""Port checks against real mail servers on loopback: aiosmtpd with trustme certificates,
small POP3 and IMAP servers, and ports that refuse, stay silent, or never accept."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.checks import GuardedChecker
from bot.knowledge import Knowledge
from bot.models import CheckCommand, CheckOutcome, Finding

from .conftest import DOMAIN, DnsFixture, LoopbackConnector, Servers, settings, start_scripted

pytestmark = pytest.mark.usefixtures("trust_test_ca")


def _checker(
    knowledge: Knowledge, dns: DnsFixture, mapping: dict[int, int], **kwargs: object
) -> tuple[GuardedChecker, LoopbackConnector]:
    connector = LoopbackConnector(mapping)
    checker = GuardedChecker(
        settings(dns_servers=dns.servers, allow_loopback=True, check_rate_per_minute=1000),
        knowledge,
        connector=connector,
        **kwargs,  # type: ignore[arg-type]
    )
    return checker, connector


async def _port(checker: GuardedChecker, host: str, port: int, language: str = "en") -> CheckOutcome:
    return await checker.run(CheckCommand("port", (host, str(port))), user="tester", language=language)


def _by(outcome: CheckOutcome, key: str) -> Finding:
    for finding in outcome.findings:
        if finding.check == key:
            return finding
    raise AssertionError(f"no {key} finding in {[f.summary for f in outcome.findings]}")


async def test_submission_with_starttls_size_and_auth(servers: Servers, dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, connector = _checker(knowledge, dns_server, {587: servers.ports["smtp-starttls"]})
    outcome = await _port(checker, f"ssl0.{DOMAIN}", 587)
    assert outcome.status == "ok", [f.summary for f in outcome.findings]
    assert connector.calls == [("127.0.0.1", 587)]  # the vetted address from our DNS, not the name
    summaries = " | ".join(f.summary for f in outcome.findings)
    assert "accepts connections" in summaries
    greeting = next(f for f in outcome.findings if "greets correctly" in f.summary)
    assert greeting.evidence[0].startswith("220 ")
    tls = _by(outcome, "tls")
    assert tls.verdict == "ok" and (tls.entry_id, tls.confirms) == ("remote-tls-failed", False)
    cert = _by(outcome, "certificate")
    assert cert.verdict == "ok" and (cert.entry_id, cert.confirms) == ("tls-hostname-mismatch", False)
    size = next(f for f in outcome.findings if f.entry_id == "message-too-large")
    assert "10 MB" in size.summary and size.evidence == ("SIZE 10485760",)
    # aiosmtpd offers AUTH only after STARTTLS: the probe read the second EHLO
    auth = next(f for f in outcome.findings if "login methods" in f.summary)
    assert "PLAIN" in auth.summary and "LOGIN" in auth.summary


async def test_implicit_tls_on_465(servers: Servers, dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server, {465: servers.ports["smtp-implicit"]})
    outcome = await _port(checker, f"ssl0.{DOMAIN}", 465)
    assert outcome.status == "ok", [f.summary for f in outcome.findings]
    assert _by(outcome, "tls").verdict == "ok"
    assert _by(outcome, "certificate").evidence == (f"certificate name: ssl0.{DOMAIN}",)
    assert any("PLAIN" in f.summary for f in outcome.findings)


async def test_alias_name_gets_the_certificates_real_name(servers: Servers, dns_server: DnsFixture, knowledge: Knowledge) -> None:
    """smtp.<domain> points at the server whose certificate is for ssl0.<domain> only."""
    checker, connector = _checker(knowledge, dns_server, {465: servers.ports["smtp-implicit"]})
    outcome = await _port(checker, f"smtp.{DOMAIN}", 465)
    assert outcome.status == "problem"
    cert = _by(outcome, "certificate")
    assert cert.verdict == "problem"
    assert (cert.entry_id, cert.confirms) == ("tls-hostname-mismatch", True)
    assert f"not for smtp.{DOMAIN}" in cert.summary
    assert f"Use ssl0.{DOMAIN} as the server name" in cert.summary
    assert f"certificate name: ssl0.{DOMAIN}" in cert.evidence
    # a second look without the name check read the names: two connections, same address
    assert connector.calls == [("127.0.0.1", 465), ("127.0.0.1", 465)]


async def test_alias_mismatch_through_starttls_in_french(servers: Servers, dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server, {587: servers.ports["smtp-starttls"]})
    outcome = await _port(checker, f"smtp.{DOMAIN}", 587, language="fr")
    cert = _by(outcome, "certificate")
    assert cert.verdict == "problem"
    assert f"Indiquez ssl0.{DOMAIN} comme nom de serveur" in cert.summary


async def test_untrusted_certificate(servers: Servers, dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server, {465: servers.ports["smtp-stranger"]})
    outcome = await _port(checker, f"ssl0.{DOMAIN}", 465)
    tls = _by(outcome, "tls")
    assert tls.verdict == "problem" and "not trusted" in tls.summary
    assert (tls.entry_id, tls.confirms) == ("remote-tls-failed", True)


async def test_trust_comes_from_the_system_store(
    servers: Servers, dns_server: DnsFixture, knowledge: Knowledge, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With SSL_CERT_FILE pointing elsewhere, the test CA is no longer trusted."""
    empty = tmp_path / "none.pem"
    empty.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(empty))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    checker, _ = _checker(knowledge, dns_server, {465: servers.ports["smtp-implicit"]})
    outcome = await _port(checker, f"ssl0.{DOMAIN}", 465)
    assert _by(outcome, "tls").verdict == "problem"


async def test_smtp_without_starttls(servers: Servers, dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server, {25: servers.ports["smtp-plain"]})
    outcome = await _port(checker, f"ssl0.{DOMAIN}", 25)
    assert outcome.status == "problem"
    open_ = outcome.findings[0]
    assert (open_.entry_id, open_.confirms) == ("remote-smtp-unreachable", False)
    missing = next(f for f in outcome.findings if "does not offer STARTTLS" in f.summary)
    assert (missing.entry_id, missing.confirms) == ("remote-tls-failed", True)


async def test_pop3_stls_and_pop3s(servers: Servers, dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server, {110: servers.ports["pop3-stls"], 995: servers.ports["pop3-implicit"]})
    plain = await _port(checker, f"ssl0.{DOMAIN}", 110)
    assert plain.status == "ok", [f.summary for f in plain.findings]
    assert any(f.evidence == ("+OK POP3 mailmedic-test ready",) for f in plain.findings)
    assert _by(plain, "tls").verdict == "ok"
    implicit = await _port(checker, f"ssl0.{DOMAIN}", 995)
    assert implicit.status == "ok"
    assert _by(implicit, "certificate").verdict == "ok"


async def test_imap_starttls_and_imaps(servers: Servers, dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server, {143: servers.ports["imap-starttls"], 993: servers.ports["imap-implicit"]})
    plain = await _port(checker, f"ssl0.{DOMAIN}", 143)
    assert plain.status == "ok", [f.summary for f in plain.findings]
    assert _by(plain, "tls").verdict == "ok"
    implicit = await _port(checker, f"smtp.{DOMAIN}", 993)
    assert _by(implicit, "certificate").verdict == "problem"


async def test_refused_port(servers: Servers, dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server, {25: servers.ports["refused"]})
    outcome = await _port(checker, "127.0.0.1", 25)
    (finding,) = outcome.findings
    assert finding.verdict == "problem" and "refused the connection" in finding.summary
    assert (finding.entry_id, finding.confirms) == ("remote-smtp-unreachable", True)


async def test_port_that_accepts_and_stays_silent(servers: Servers, dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server, {25: servers.ports["silent"]}, probe_timeout=0.5)
    outcome = await _port(checker, "127.0.0.1", 25)
    assert [f.verdict for f in outcome.findings] == ["ok", "problem"]
    assert "said nothing" in outcome.findings[1].summary


async def test_port_that_never_accepts(servers: Servers, dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server, {25: servers.ports["never"]}, probe_timeout=0.5)
    started = time.monotonic()
    outcome = await _port(checker, "127.0.0.1", 25)
    assert time.monotonic() - started < 2.5
    (finding,) = outcome.findings
    assert finding.verdict == "problem" and "did not accept the connection in time" in finding.summary
    assert (finding.entry_id, finding.confirms) == ("remote-smtp-unreachable", True)


async def test_the_three_failures_are_three_different_findings(
    servers: Servers, dns_server: DnsFixture, knowledge: Knowledge
) -> None:
    mapping = {25: servers.ports["refused"], 587: servers.ports["silent"], 465: servers.ports["never"]}
    checker, _ = _checker(knowledge, dns_server, mapping, probe_timeout=0.5)
    outcome = await checker.run(CheckCommand("port", ("127.0.0.1", "25", "587", "465")), user="t", language="de")
    summaries = [f.summary for f in outcome.findings if f.verdict == "problem"]
    assert len(summaries) == 3 and len(set(summaries)) == 3
    assert "abgelehnt" in summaries[0] and "nichts gesagt" in summaries[1] and "nicht rechtzeitig" in summaries[2]


async def test_host_that_does_not_exist(servers: Servers, dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, connector = _checker(knowledge, dns_server, {})
    outcome = await _port(checker, f"nope.{DOMAIN}", 465)
    (finding,) = outcome.findings
    assert finding.verdict == "problem" and "does not exist" in finding.summary
    assert connector.calls == []


async def test_host_without_address(servers: Servers, dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, connector = _checker(knowledge, dns_server, {})
    outcome = await _port(checker, f"noaddr.{DOMAIN}", 465)
    assert "no address" in outcome.findings[0].summary
    assert connector.calls == []


async def test_concurrent_probes_are_capped(servers: Servers, dns_server: DnsFixture, knowledge: Knowledge) -> None:
    """With one probe slot, five silent ports are probed one after the other."""
    mapping = {p: servers.ports["silent"] for p in (25, 465, 587, 110, 143)}
    checker, _ = _checker(knowledge, dns_server, mapping, probe_timeout=0.2, max_probes=1)
    started = time.monotonic()
    await checker.run(CheckCommand("port", ("127.0.0.1", "25", "587", "110", "143")), user="t", language="en")
    serial = time.monotonic() - started
    assert serial >= 4 * 0.2
    wide, _ = _checker(knowledge, dns_server, mapping, probe_timeout=0.2, max_probes=10)
    started = time.monotonic()
    await wide.run(CheckCommand("port", ("127.0.0.1", "25", "587", "110", "143")), user="t", language="en")
    assert time.monotonic() - started < serial / 2


async def test_the_request_budget_cuts_slow_probes(servers: Servers, dns_server: DnsFixture, knowledge: Knowledge) -> None:
    connector = LoopbackConnector({25: servers.ports["silent"], 587: servers.ports["smtp-starttls"]})
    checker = GuardedChecker(
        settings(dns_servers=dns_server.servers, allow_loopback=True, check_budget_seconds=1.0),
        knowledge,
        connector=connector,
        probe_timeout=5.0,
        max_probes=1,
    )
    started = time.monotonic()
    outcome = await checker.run(CheckCommand("port", (f"ssl0.{DOMAIN}", "25", "587")), user="t", language="en")
    assert time.monotonic() - started < 2.0
    budget = [f for f in outcome.findings if f.check == "budget"]
    assert budget and all(f.verdict == "unknown" for f in budget)
    assert "ran out of time (1 s)" in budget[0].summary


@pytest.fixture
async def scripted() -> AsyncIterator[Callable[..., Awaitable[int]]]:
    started: list[asyncio.AbstractServer] = []

    async def start(lines: list[bytes], *, then_close: bool = False) -> int:
        server, port = await start_scripted(lines, then_close=then_close)
        started.append(server)
        return port

    yield start
    for server in started:
        server.close()
        await server.wait_closed()


async def test_error_greeting(scripted: Callable[..., Awaitable[int]], dns_server: DnsFixture, knowledge: Knowledge) -> None:
    port = await scripted([b"554 5.7.1 No SMTP service here\r\n"])
    checker, _ = _checker(knowledge, dns_server, {25: port}, probe_timeout=1.0)
    outcome = await _port(checker, "127.0.0.1", 25)
    bad = outcome.findings[-1]
    assert bad.verdict == "problem" and "error instead of a greeting" in bad.summary
    assert bad.evidence == ("554 5.7.1 No SMTP service here",)


async def test_server_that_hangs_up_at_once(scripted: Callable[..., Awaitable[int]], dns_server: DnsFixture, knowledge: Knowledge) -> None:
    port = await scripted([], then_close=True)
    checker, _ = _checker(knowledge, dns_server, {143: port}, probe_timeout=1.0)
    outcome = await _port(checker, "127.0.0.1", 143)
    assert "closed it at once" in outcome.findings[-1].summary


async def test_multiline_greeting_and_broken_starttls(
    scripted: Callable[..., Awaitable[int]], dns_server: DnsFixture, knowledge: Knowledge
) -> None:
    port = await scripted(
        [
            b"220-mx.example ESMTP\r\n220-no UCE\r\n220 ready\r\n",
            b"250-mx.example\r\n250-STARTTLS\r\n250 SIZE 5242880\r\n",
            b"454 4.7.0 TLS not available due to local problem\r\n",
        ]
    )
    checker, _ = _checker(knowledge, dns_server, {587: port}, probe_timeout=1.0)
    outcome = await _port(checker, "127.0.0.1", 587)
    tls = _by(outcome, "tls")
    assert tls.verdict == "problem" and (tls.entry_id, tls.confirms) == ("remote-tls-failed", True)
    assert "454 4.7.0 TLS not available" in tls.summary


async def test_implicit_tls_port_speaking_plain_text(servers: Servers, dns_server: DnsFixture, knowledge: Knowledge) -> None:
    """A client set to SSL on 465 against a plain SMTP server: the handshake fails."""
    checker, _ = _checker(knowledge, dns_server, {465: servers.ports["smtp-plain"]}, probe_timeout=1.0)
    outcome = await _port(checker, f"ssl0.{DOMAIN}", 465)
    tls = _by(outcome, "tls")
    assert tls.verdict == "problem" and tls.entry_id == "remote-tls-failed"
    assert not any("greets" in f.summary for f in outcome.findings)


async def test_pop3_without_stls(scripted: Callable[..., Awaitable[int]], dns_server: DnsFixture, knowledge: Knowledge) -> None:
    port = await scripted([b"+OK ready\r\n", b"+OK\r\nUSER\r\nUIDL\r\n.\r\n", b"+OK bye\r\n"])
    checker, _ = _checker(knowledge, dns_server, {110: port}, probe_timeout=1.0)
    outcome = await _port(checker, "127.0.0.1", 110)
    missing = outcome.findings[-1]
    assert missing.verdict == "problem" and "does not offer STARTTLS" in missing.summary


def test_submission_without_auth(knowledge: Knowledge) -> None:
    """A submission server that never offers AUTH, even after TLS, is a problem for clients."""
    from bot.checks.port import port_findings
    from bot.checks.probe import ProbeResult
    from bot.checks.report import Report

    result = ProbeResult(
        host="h.example", address="93.184.216.34", port=465, protocol="smtp", implicit_tls=True, connect="ok",
        greeting="ok", greeting_line="220 hi", tls="ok", tls_version="TLSv1.3", cert_names=("h.example",),
    )
    findings = port_findings(Report(knowledge, "en"), result)
    assert findings[-1].verdict == "problem" and "no login" in findings[-1].summary


async def test_refused_ehlo_is_said_not_mistaken_for_missing_starttls(
    scripted: Callable[..., Awaitable[int]], dns_server: DnsFixture, knowledge: Knowledge
) -> None:
    port = await scripted([b"220 mx.example ESMTP\r\n", b"550 5.7.1 Bad HELO name\r\n"])
    checker, _ = _checker(knowledge, dns_server, {25: port}, probe_timeout=1.0)
    outcome = await _port(checker, "127.0.0.1", 25)
    last = outcome.findings[-1]
    assert last.verdict == "unknown" and "refused our EHLO" in last.summary
    assert last.evidence == ("550 5.7.1 Bad HELO name",)
    assert not any("STARTTLS" in f.summary and f.verdict == "problem" for f in outcome.findings)


async def test_auth_in_both_spellings_is_merged(
    scripted: Callable[..., Awaitable[int]], dns_server: DnsFixture, knowledge: Knowledge
) -> None:
    port = await scripted(
        [b"220 mx.example ESMTP\r\n", b"250-mx.example\r\n250-AUTH LOGIN PLAIN\r\n250-AUTH=LOGIN CRAM-MD5\r\n250 SIZE\r\n"]
    )
    checker, _ = _checker(knowledge, dns_server, {25: port}, probe_timeout=1.0)
    outcome = await _port(checker, "127.0.0.1", 25)
    auth = next(f for f in outcome.findings if "login methods" in f.summary)
    assert auth.evidence == ("AUTH LOGIN PLAIN CRAM-MD5",)
    assert not any(f.entry_id == "message-too-large" for f in outcome.findings)  # SIZE without a number
