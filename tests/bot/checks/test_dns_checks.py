"""mx, address and domain checks against a real DNS server on loopback (UDP and TCP)."""

from __future__ import annotations

import time

import pytest

from bot.checks import GuardedChecker
from bot.checks.resolver import DnsResolver, parse_servers
from bot.knowledge import Knowledge
from bot.models import CheckCommand, CheckOutcome, Finding

from .conftest import DnsFixture, RecordingConnector, settings


def _checker(knowledge: Knowledge, servers: tuple[str, ...], **kwargs: object) -> tuple[GuardedChecker, RecordingConnector]:
    connector = RecordingConnector()
    checker = GuardedChecker(
        settings(dns_servers=servers, check_rate_per_minute=1000), knowledge, connector=connector, **kwargs  # type: ignore[arg-type]
    )
    return checker, connector


async def _run(checker: GuardedChecker, kind: str, *args: str, language: str = "en") -> CheckOutcome:
    return await checker.run(CheckCommand(kind, args), user="tester", language=language)  # type: ignore[arg-type]


def _only(outcome: CheckOutcome, check: str, target: str) -> list[Finding]:
    return [f for f in outcome.findings if f.check == check and f.target == target]


async def test_good_domain_lists_mx_by_preference_with_their_addresses(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, connector = _checker(knowledge, dns_server.servers)
    outcome = await _run(checker, "mx", "good.test")
    assert outcome.status == "ok", outcome
    mx = _only(outcome, "mx", "good.test")[0]
    assert mx.verdict == "ok"
    assert mx.evidence == ("10 mx1.good.test", "20 mx2.good.test")
    assert "mx1.good.test, mx2.good.test" in mx.summary
    mx1 = _only(outcome, "mx-host", "mx1.good.test")[0]
    assert mx1.verdict == "ok" and "93.184.216.34" in mx1.summary
    assert (mx1.entry_id, mx1.confirms) == ("mx-host-no-record", False)
    mx2 = _only(outcome, "mx-host", "mx2.good.test")[0]
    assert "2a00:1450:4001:80b::1" in mx2.summary
    assert connector.calls == []  # DNS only: nothing connects to the hosts found


async def test_mx_host_without_address_is_no_answer_not_nxdomain(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server.servers)
    outcome = await _run(checker, "mx", "nohost.test")
    assert outcome.status == "problem"
    host = _only(outcome, "mx-host", "ghost.nohost.test")[0]
    assert host.verdict == "problem"
    assert (host.entry_id, host.confirms) == ("mx-host-no-record", True)
    assert "Host found but no data record" in host.summary
    assert "ghost.nohost.test A NOERROR, no records" in host.evidence


async def test_mx_host_that_does_not_exist(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server.servers)
    outcome = await _run(checker, "mx", "lostmx.test")
    host = _only(outcome, "mx-host", "gone.lostmx.test")[0]
    assert host.verdict == "problem" and "NXDOMAIN" in host.summary
    assert host.entry_id == "mx-host-no-record"


async def test_nxdomain_says_the_domain_does_not_exist(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server.servers)
    outcome = await _run(checker, "mx", "missing.test")
    assert outcome.status == "problem"
    (finding,) = outcome.findings
    assert finding.verdict == "problem"
    assert (finding.entry_id, finding.confirms) == ("remote-domain-not-found", True)
    assert "does not exist" in finding.summary


async def test_null_mx_accepts_no_mail(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server.servers)
    outcome = await _run(checker, "mx", "nullmx.test")
    (finding,) = outcome.findings
    assert finding.verdict == "problem" and "RFC 7505" in finding.summary
    assert finding.evidence == ("nullmx.test MX 0 .",)


async def test_no_mx_falls_back_to_the_address(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server.servers)
    outcome = await _run(checker, "mx", "nomx.test")
    (finding,) = outcome.findings
    assert finding.verdict == "problem"
    assert "no MX record" in finding.summary and "93.184.216.35" in finding.summary
    assert "nomx.test MX NOERROR, no records" in finding.evidence


async def test_no_mx_and_no_address_accepts_no_mail(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server.servers)
    outcome = await _run(checker, "mx", "empty.test")
    (finding,) = outcome.findings
    assert finding.verdict == "problem" and "neither an MX record nor an address" in finding.summary


async def test_mx_at_a_cname_is_named(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server.servers)
    outcome = await _run(checker, "mx", "cname.test")
    host = _only(outcome, "mx-host", "alias.cname.test")[0]
    assert host.verdict == "problem"
    assert "CNAME" in host.summary and "real.cname.test" in host.summary


async def test_mx_host_on_a_private_address_is_a_problem(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, connector = _checker(knowledge, dns_server.servers)
    outcome = await _run(checker, "mx", "privmx.test")
    assert outcome.status == "problem"
    assert any(f.verdict == "problem" and "10.1.2.3" in f.summary for f in outcome.findings)
    assert connector.calls == []


async def test_servfail_is_not_blamed_on_the_domain(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server.servers)
    outcome = await _run(checker, "mx", "servfail.test")
    (finding,) = outcome.findings
    assert finding.verdict == "unknown"
    assert "SERVFAIL" in finding.summary and finding.entry_id is None


async def test_a_dns_server_that_never_answers_is_a_timeout_not_a_broken_domain(silent_dns: str, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, (silent_dns,), dns_timeout=0.4)
    started = time.monotonic()
    outcome = await _run(checker, "mx", "good.test")
    assert time.monotonic() - started < 3
    (finding,) = outcome.findings
    assert finding.verdict == "unknown"
    assert "did not answer in time" in finding.summary and "says nothing about the domain" in finding.summary
    assert outcome.status == "ok"  # nothing found wrong; the finding says we could not tell


async def test_a_large_answer_comes_over_tcp(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server.servers)
    outcome = await _run(checker, "mx", "big.test")
    mx = _only(outcome, "mx", "big.test")[0]
    assert len(mx.evidence) == 30
    protocols = {q[2] for q in dns_server.asked("big.test") if q[1] == "MX"}
    assert protocols == {"udp", "tcp"}  # truncated over UDP, then asked again over TCP
    # only the first ten MX hosts are looked up, and the cut is said
    hosts = {f.target for f in outcome.findings if f.check == "mx-host"}
    assert len(hosts) == 10
    assert any("checked the first 10" in f.summary for f in outcome.findings)


async def test_findings_are_localised(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server.servers)
    expected = {
        "cs": "neexistuje",
        "de": "existiert nicht",
        "en": "does not exist",
        "fr": "n'existe pas",
        "es": "no existe",
    }
    for language, words in expected.items():
        outcome = await _run(checker, "mx", "missing.test", language=language)
        assert words in outcome.findings[0].summary, language


async def test_address_with_trailing_space(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server.servers)
    outcome = await _run(checker, "address", "info@good.test ")
    assert outcome.status == "problem"
    spaces = outcome.findings[0]
    assert spaces.check == "address" and spaces.verdict == "problem"
    assert (spaces.entry_id, spaces.confirms) == ("address-trailing-space", True)
    assert "U+0020 SPACE" in spaces.summary and "ends with" in spaces.summary
    # the syntax and the domain's MX are still checked, on the address without the space
    assert any(f.check == "mx" and f.target == "good.test" and f.verdict == "ok" for f in outcome.findings)


@pytest.mark.parametrize(
    ("address", "char", "where"),
    [
        ("\u00a0info@good.test", "U+00A0 NO-BREAK SPACE", "starts with"),
        ("info@good.test\u200b", "U+200B ZERO WIDTH SPACE", "ends with"),
        ("\ufeffinfo@good.test\u2060", "U+FEFF ZERO WIDTH NO-BREAK SPACE", "starts and ends"),
    ],
)
async def test_invisible_characters_around_an_address(
    dns_server: DnsFixture, knowledge: Knowledge, address: str, char: str, where: str
) -> None:
    checker, _ = _checker(knowledge, dns_server.servers)
    outcome = await _run(checker, "address", address)
    spaces = outcome.findings[0]
    assert spaces.verdict == "problem" and char in spaces.summary and where in spaces.summary


async def test_clean_address_rules_out_the_space_entry(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server.servers)
    outcome = await _run(checker, "address", "info@good.test")
    assert outcome.status == "ok"
    assert (outcome.findings[0].entry_id, outcome.findings[0].confirms) == ("address-trailing-space", False)


@pytest.mark.parametrize("address", ["info.good.test", "a@b@", "in fo@good.test", "@good.test", "info@exa mple.test", "a..b@good.test"])
async def test_malformed_addresses_are_reported_without_dns(dns_server: DnsFixture, knowledge: Knowledge, address: str) -> None:
    checker, _ = _checker(knowledge, dns_server.servers)
    before = len(dns_server.zone.questions)
    outcome = await _run(checker, "address", address)
    assert outcome.status == "problem"
    assert outcome.findings[-1].verdict == "problem" and outcome.findings[-1].check == "address"
    assert len(dns_server.zone.questions) == before


async def test_address_at_a_missing_domain(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server.servers)
    outcome = await _run(checker, "address", "info@missing.test")
    assert outcome.findings[-1].entry_id == "remote-domain-not-found"


async def test_domain_with_good_policies(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server.servers)
    outcome = await _run(checker, "domain", "good.test")
    assert outcome.status == "ok", [f.summary for f in outcome.findings]
    spf = _only(outcome, "spf", "good.test")[0]
    assert spf.verdict == "ok" and "-all" in spf.summary
    assert spf.evidence == ("v=spf1 mx ip4:93.184.216.0/24 -all",)
    dmarc = _only(outcome, "dmarc", "good.test")[0]
    assert dmarc.verdict == "ok" and "p=reject" in dmarc.summary
    assert (dmarc.entry_id, dmarc.confirms) == ("spf-dmarc-failed", False)


async def test_domain_with_two_spf_records_and_no_dmarc_policy(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server.servers)
    outcome = await _run(checker, "domain", "badpolicy.test")
    assert outcome.status == "problem"
    spf = _only(outcome, "spf", "badpolicy.test")[0]
    assert spf.verdict == "problem" and "2 SPF records" in spf.summary
    assert (spf.entry_id, spf.confirms) == ("spf-dmarc-failed", True)
    dmarc = _only(outcome, "dmarc", "badpolicy.test")[0]
    assert dmarc.verdict == "problem" and "no valid policy" in dmarc.summary


async def test_domain_with_pass_all_spf_and_monitoring_dmarc(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server.servers)
    outcome = await _run(checker, "domain", "openspf.test")
    spf = _only(outcome, "spf", "openspf.test")[0]
    assert spf.verdict == "problem" and "+all" in spf.summary
    dmarc = _only(outcome, "dmarc", "openspf.test")[0]
    assert dmarc.verdict == "ok" and "p=none" in dmarc.summary


async def test_domain_with_spf_syntax_errors(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server.servers)
    outcome = await _run(checker, "domain", "typospf.test")
    spf = _only(outcome, "spf", "typospf.test")[0]
    assert spf.verdict == "problem" and "ip4:300.1.1.1 foo" in spf.summary


async def test_domain_without_policies(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server.servers)
    outcome = await _run(checker, "domain", "nopolicy.test")
    keys = {(f.check, f.verdict) for f in outcome.findings}
    assert ("spf", "problem") in keys and ("dmarc", "problem") in keys
    assert ("mx", "ok") in keys


async def test_domain_that_does_not_exist_reports_only_that(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server.servers)
    outcome = await _run(checker, "domain", "missing.test")
    assert [f.check for f in outcome.findings] == ["mx"]
    assert outcome.findings[0].entry_id == "remote-domain-not-found"


async def test_several_domains_in_one_request_keep_their_order(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server.servers)
    outcome = await _run(checker, "mx", "missing.test, good.test", "nullmx.test")
    assert [f.target for f in outcome.findings if f.check == "mx"] == ["missing.test", "good.test", "nullmx.test"]


async def test_the_request_budget_bounds_a_slow_dns(silent_dns: str, knowledge: Knowledge) -> None:
    connector = RecordingConnector()
    slow = DnsResolver(parse_servers((silent_dns,)), timeout=5.0)  # slower than the budget
    checker = GuardedChecker(settings(check_budget_seconds=0.5), knowledge, resolver=slow, connector=connector)
    started = time.monotonic()
    outcome = await checker.run(CheckCommand("domain", ("good.test",)), user="t", language="es")
    assert time.monotonic() - started < 1.5
    (finding,) = outcome.findings
    assert finding.check == "budget" and finding.verdict == "unknown"
    assert "Se acabó el tiempo (0.5 s)" in finding.summary


async def test_dmarc_with_a_bad_percentage(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker, _ = _checker(knowledge, dns_server.servers)
    outcome = await _run(checker, "domain", "badpct.test")
    dmarc = _only(outcome, "dmarc", "badpct.test")[0]
    assert dmarc.verdict == "problem" and "pct=abc" in dmarc.summary
