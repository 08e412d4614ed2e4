"""SPF trees (includes, redirect=, loops, the lookup limits) and inherited DMARC, against the
loopback DNS server; every question goes to it through our resolver seam."""

from __future__ import annotations

import time

import pytest

from bot.checks import GuardedChecker
from bot.checks.policy import spf_errors
from bot.checks.resolver import DnsResolver, parse_servers
from bot.knowledge import Knowledge
from bot.models import LANGUAGES, CheckCommand, CheckOutcome, Finding

from .conftest import DnsFixture, ForwardingRecorder, RecordingConnector, RecordingResolver, settings


def _checker(knowledge: Knowledge, servers: tuple[str, ...], **kwargs: object) -> GuardedChecker:
    return GuardedChecker(
        settings(dns_servers=servers, check_rate_per_minute=1000), knowledge,
        connector=RecordingConnector(), **kwargs,  # type: ignore[arg-type]
    )


async def _domain(checker: GuardedChecker, domain: str, language: str = "en") -> CheckOutcome:
    return await checker.run(CheckCommand("domain", (domain,)), user="tester", language=language)


def _spf(outcome: CheckOutcome, domain: str) -> list[Finding]:
    return [f for f in outcome.findings if f.check == "spf" and f.target == domain]


def _txt_asked(dns: DnsFixture, name: str) -> bool:
    return any(q[1] == "TXT" for q in dns.asked(name))


# -- reading one record ---------------------------------------------------------------------


def test_redirect_is_not_counted_when_the_record_has_all() -> None:
    assert spf_errors("v=spf1 -all redirect=_spf.example.com") == ([], "-all", 0)
    assert spf_errors("v=spf1 redirect=_spf.example.com") == ([], "redirect=_spf.example.com", 1)


def test_a_name_that_cannot_be_asked_is_a_syntax_error_not_a_question() -> None:
    bad, _, lookups = spf_errors("v=spf1 include:bad..name include:a_b mx:1.2.3.4 a:%{d}.example.com -all")
    assert bad == ["include:bad..name", "include:a_b", "mx:1.2.3.4"]
    assert lookups == 1  # the macro is counted, and not followed


# -- SPF trees ------------------------------------------------------------------------------


async def test_nested_includes_within_the_limit_pass_with_their_count(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    outcome = await _domain(_checker(knowledge, dns_server.servers), "nested.test")
    assert outcome.status == "ok", [f.summary for f in outcome.findings]
    (spf,) = _spf(outcome, "nested.test")
    assert spf.verdict == "ok"
    # include:_spf, mx; its include:_a, include:_b; _b's a:mx1.good.test
    assert "needs 5 of the 10 DNS lookups" in spf.summary and "-all" in spf.summary
    assert spf.evidence[0] == "v=spf1 include:_spf.nested.test mx -all"
    assert "_b.nested.test: v=spf1 a:mx1.good.test ip6:2a00:1450::/32 ~all" in spf.evidence
    for name in ("_spf.nested.test", "_a.nested.test", "_b.nested.test"):
        assert _txt_asked(dns_server, name), name


async def test_a_chain_over_ten_lookups_is_a_permerror_naming_the_costly_chain(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    outcome = await _domain(_checker(knowledge, dns_server.servers), "deep.test")
    assert outcome.status == "problem"
    (spf,) = _spf(outcome, "deep.test")
    assert (spf.verdict, spf.entry_id, spf.confirms) == ("problem", "spf-dmarc-failed", True)
    assert "at least 11 DNS lookups" in spf.summary and "permerror" in spf.summary
    chain = " → ".join(f"include:l{i}.deep.test" for i in range(1, 9))
    assert f"{chain} (9)" in spf.summary
    assert spf.summary.index("(9)") < spf.summary.index("include:side.deep.test (1)")
    # a receiver stops at ten lookups, and so do we: the eleventh include is never asked
    assert _txt_asked(dns_server, "l8.deep.test")
    assert not dns_server.asked("l9.deep.test") and not dns_server.asked("l12.deep.test")


async def test_includes_of_a_name_without_spf_and_of_a_missing_name(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    outcome = await _domain(_checker(knowledge, dns_server.servers), "noinc.test")
    assert outcome.status == "problem"
    missing, gone = _spf(outcome, "noinc.test")
    assert missing.verdict == "problem" and "nospf.noinc.test has no SPF record" in missing.summary
    assert "noinc.test → include:nospf.noinc.test" in missing.summary
    assert gone.verdict == "problem" and "gone.noinc.test does not exist (NXDOMAIN)" in gone.summary
    assert gone.evidence == ("gone.noinc.test TXT NXDOMAIN",)


async def test_an_include_loop_is_reported_and_the_walk_ends(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    before = len(dns_server.asked("loop.test"))
    outcome = await _domain(_checker(knowledge, dns_server.servers), "loop.test")
    (spf,) = _spf(outcome, "loop.test")
    assert spf.verdict == "problem" and "loops" in spf.summary
    assert "loop.test → include:a.loop.test → include:b.loop.test → include:loop.test" in spf.summary
    # loop.test's TXT was asked once, for the domain itself, not again through the loop
    asked = [q for q in dns_server.asked("loop.test")[before:] if q[1] == "TXT"]
    assert len({q[2] for q in asked}) == 1 and len(asked) == 1


async def test_redirect_is_followed_and_its_policy_shown(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    outcome = await _domain(_checker(knowledge, dns_server.servers), "redir.test")
    (spf,) = _spf(outcome, "redir.test")
    assert spf.verdict == "ok", spf.summary
    assert "redirect=_spf.redir.test → -all" in spf.summary and "needs 2 of the 10" in spf.summary
    assert _txt_asked(dns_server, "_spf.redir.test") and _txt_asked(dns_server, "_a.nested.test")


async def test_redirect_to_a_missing_name(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    outcome = await _domain(_checker(knowledge, dns_server.servers), "redirnone.test")
    (spf,) = _spf(outcome, "redirnone.test")
    assert spf.verdict == "problem"
    assert "redirect=_spf.nothing.test" in spf.summary and "NXDOMAIN" in spf.summary


async def test_the_record_checks_apply_to_included_records(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    outcome = await _domain(_checker(knowledge, dns_server.servers), "badinc.test")
    syntax, pass_all = _spf(outcome, "badinc.test")
    assert "_spf.badinc.test" in syntax.summary and "ip4:300.1.1.1" in syntax.summary
    assert "+all" in pass_all.summary and "pass SPF as badinc.test" in pass_all.summary
    outcome = await _domain(_checker(knowledge, dns_server.servers), "twoinc.test")
    (two,) = _spf(outcome, "twoinc.test")
    assert two.verdict == "problem" and "has 2 SPF records" in two.summary


async def test_more_than_two_void_lookups_is_a_permerror(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker = _checker(knowledge, dns_server.servers)
    (spf,) = _spf(await _domain(checker, "void.test"), "void.test")
    assert spf.verdict == "problem"
    assert "3 DNS lookups" in spf.summary and "find nothing" in spf.summary
    assert "none1.void.test, none2.void.test, none3.void.test" in spf.summary
    (two,) = _spf(await _domain(checker, "twovoid.test"), "twovoid.test")
    assert two.verdict == "ok", two.summary  # two are allowed


async def test_a_silent_include_times_out_and_is_named(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    checker = _checker(knowledge, dns_server.servers, dns_timeout=0.4)
    started = time.monotonic()
    outcome = await _domain(checker, "silentinc.test")
    assert time.monotonic() - started < 2
    ok, unverified = _spf(outcome, "silentinc.test")
    assert ok.verdict == "ok"
    assert unverified.verdict == "unknown" and unverified.entry_id is None
    assert "include:_spf.silentinc.test" in unverified.summary and "could not verify" in unverified.summary
    assert not any(f.check == "budget" for f in outcome.findings)


async def test_a_silent_include_slower_than_the_budget_ends_within_it(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    # The resolver would wait 5 s; the request has 1.5 s. The walk stops before the budget
    # and says what it could not verify, instead of being cut off with nothing said.
    slow = DnsResolver(parse_servers(dns_server.servers), timeout=5.0)
    checker = GuardedChecker(
        settings(check_budget_seconds=1.5, check_rate_per_minute=1000), knowledge,
        resolver=slow, connector=RecordingConnector(),
    )
    started = time.monotonic()
    outcome = await _domain(checker, "silentinc.test", language="de")
    assert time.monotonic() - started < 1.5 + 0.3
    findings = _spf(outcome, "silentinc.test")
    assert [f.verdict for f in findings] == ["ok", "unknown"]
    assert "include:_spf.silentinc.test" in findings[1].summary and "nicht prüfen" in findings[1].summary
    assert any(f.check == "mx" and f.verdict == "ok" for f in outcome.findings)


async def test_every_question_goes_to_the_configured_server_through_our_seam(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    recorder = ForwardingRecorder(DnsResolver(parse_servers(dns_server.servers), timeout=2.0))
    connector = RecordingConnector()
    checker = GuardedChecker(settings(check_rate_per_minute=1000), knowledge, resolver=recorder, connector=connector)
    before = len(dns_server.zone.questions)
    for domain in ("nested.test", "deep.test", "loop.test", "redir.test", "mail.inherit.test"):
        await _domain(checker, domain)
    served = {(name, rdtype) for name, rdtype, _ in dns_server.zone.questions[before:]}
    assert set(recorder.calls) == served  # nothing asked elsewhere, nothing asked around the seam
    assert ("_spf.nested.test", "TXT") in served and ("l8.deep.test", "TXT") in served
    assert ("_dmarc.inherit.test", "TXT") in served
    assert connector.calls == []


async def test_the_walk_asks_only_the_resolver_it_is_given(knowledge: Knowledge) -> None:
    resolver = RecordingResolver(
        {
            ("example.com", "MX"): ("10 mx.example.com",),
            ("mx.example.com", "A"): ("93.184.216.34",),
            ("example.com", "TXT"): ("v=spf1 include:_spf.example.net -all",),
            ("_spf.example.net", "TXT"): ("v=spf1 exists:%{i}.x.example.net include:_b.example.net ~all",),
            ("_b.example.net", "TXT"): ("v=spf1 ip4:93.184.216.0/24 ~all",),
            ("_dmarc.example.com", "TXT"): ("v=DMARC1; p=reject",),
        }
    )
    checker = GuardedChecker(settings(), knowledge, resolver=resolver, connector=RecordingConnector())
    outcome = await _domain(checker, "example.com")
    (spf,) = _spf(outcome, "example.com")
    assert spf.verdict == "ok" and "needs 3 of the 10" in spf.summary  # the macro counts, unasked
    assert ("_b.example.net", "TXT") in resolver.calls
    assert not any("%" in name for name, _ in resolver.calls)


# -- DMARC of the organisational domain ----------------------------------------------------------


async def test_a_subdomain_inherits_dmarc_with_sp(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    outcome = await _domain(_checker(knowledge, dns_server.servers), "mail.inherit.test")
    (dmarc,) = [f for f in outcome.findings if f.check == "dmarc"]
    assert (dmarc.target, dmarc.verdict, dmarc.confirms) == ("mail.inherit.test", "ok", False)
    assert "organisational domain inherit.test" in dmarc.summary
    assert "sp=quarantine" in dmarc.summary and "p=reject" in dmarc.summary
    assert dmarc.evidence == (
        "_dmarc.mail.inherit.test TXT NXDOMAIN",
        "_dmarc.inherit.test: v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@inherit.test",
    )


async def test_a_subdomain_inherits_p_when_there_is_no_sp(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    outcome = await _domain(_checker(knowledge, dns_server.servers), "mail.nosp.test")
    (dmarc,) = [f for f in outcome.findings if f.check == "dmarc"]
    assert dmarc.verdict == "ok" and "no sp=" in dmarc.summary and "p=reject applies to mail.nosp.test" in dmarc.summary


async def test_a_subdomain_whose_organisational_domain_has_no_dmarc(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    outcome = await _domain(_checker(knowledge, dns_server.servers), "mail.nopolicy.test")
    (dmarc,) = [f for f in outcome.findings if f.check == "dmarc"]
    assert dmarc.verdict == "problem" and "Neither mail.nopolicy.test" in dmarc.summary
    assert "_dmarc.nopolicy.test" in dmarc.summary


async def test_an_invalid_sp_in_the_organisational_record_is_a_problem(dns_server: DnsFixture, knowledge: Knowledge) -> None:
    outcome = await _domain(_checker(knowledge, dns_server.servers), "mail.badsp.test")
    (dmarc,) = [f for f in outcome.findings if f.check == "dmarc"]
    assert (dmarc.target, dmarc.verdict) == ("badsp.test", "problem")
    assert "sp=bogus" in dmarc.summary


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_new_findings_are_localised(dns_server: DnsFixture, knowledge: Knowledge, language: str) -> None:
    checker = _checker(knowledge, dns_server.servers)
    for domain in ("deep.test", "loop.test", "void.test", "noinc.test", "mail.inherit.test"):
        outcome = await _domain(checker, domain, language)
        english = await _domain(checker, domain, "en")
        for finding, reference in zip(outcome.findings, english.findings, strict=True):
            assert finding.summary and "{" not in finding.summary, (language, finding.summary)
            if language != "en" and finding.check in ("spf", "dmarc"):
                assert finding.summary != reference.summary, (language, finding.summary)
