"""GuardedChecker: hostile targets refused with nothing sent, the rate limit, the target cap."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.checks import GuardedChecker, default_checker
from bot.checks.ratelimit import SharedRateLimiter
from bot.knowledge import Knowledge
from bot.models import CheckCommand
from bot.store import SqliteStore

from .conftest import RecordingConnector, RecordingResolver, settings

HOSTILE_LITERALS = [
    ("10.0.0.1", "private-address"),
    ("192.168.1.1", "private-address"),
    ("172.16.0.1", "private-address"),
    ("169.254.169.254", "link-local"),
    ("100.64.0.1", "shared-address"),
    ("127.0.0.1", "loopback"),
    ("::1", "loopback"),
    ("fe80::1", "link-local"),
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:10.0.0.1", "private-address"),
    ("64:ff9b::a9fe:a9fe", "link-local"),
    ("2002:7f00:1::1", "loopback"),
    ("127.1", "ambiguous-address"),
    ("2130706433", "ambiguous-address"),
    ("0x7f.1", "ambiguous-address"),
]


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _guarded(knowledge: Knowledge, resolver: RecordingResolver | None = None, **overrides: object) -> tuple[GuardedChecker, RecordingResolver, RecordingConnector]:
    resolver = resolver or RecordingResolver()
    connector = RecordingConnector()
    clock = _Clock()
    checker = GuardedChecker(settings(**overrides), knowledge, resolver=resolver, connector=connector, clock=clock)
    checker.clock = clock  # type: ignore[attr-defined]
    return checker, resolver, connector


@pytest.mark.parametrize(("target", "reason"), HOSTILE_LITERALS)
async def test_hostile_port_targets_are_refused_before_any_packet(knowledge: Knowledge, target: str, reason: str) -> None:
    checker, resolver, connector = _guarded(knowledge)
    outcome = await checker.run(CheckCommand("port", (target, "25")), user="mallory", language="en")
    assert (outcome.status, outcome.reason) == ("refused", reason)
    assert resolver.calls == [] and connector.calls == []
    (finding,) = outcome.findings
    assert finding.check == "guard" and target in finding.summary


@pytest.mark.parametrize(("target", "reason"), [(t, r) for t, r in HOSTILE_LITERALS if r == "ambiguous-address"] + [("10.0.0.1", "not-a-domain"), ("::1", "not-a-domain")])
@pytest.mark.parametrize("kind", ["mx", "domain"])
async def test_hostile_domain_targets_are_refused_before_any_question(knowledge: Knowledge, kind: str, target: str, reason: str) -> None:
    checker, resolver, connector = _guarded(knowledge)
    outcome = await checker.run(CheckCommand(kind, (target,)), user="mallory", language="en")  # type: ignore[arg-type]
    assert (outcome.status, outcome.reason) == ("refused", reason)
    assert resolver.calls == [] and connector.calls == []


async def test_address_at_a_numeric_host_is_refused(knowledge: Knowledge) -> None:
    checker, resolver, _ = _guarded(knowledge)
    outcome = await checker.run(CheckCommand("address", ("root@127.1",)), user="mallory", language="en")
    assert (outcome.status, outcome.reason) == ("refused", "ambiguous-address")
    assert resolver.calls == []


async def test_loopback_switch_does_not_unlock_hidden_or_private_forms(knowledge: Knowledge) -> None:
    checker, resolver, connector = _guarded(knowledge, allow_loopback=True)
    for target in ("::ffff:127.0.0.1", "2002:7f00:1::1", "10.0.0.1", "169.254.169.254", "127.1"):
        outcome = await checker.run(CheckCommand("port", (target, "25")), user="t", language="en")
        assert outcome.status == "refused", target
    assert connector.calls == [] and resolver.calls == []
    allowed = await checker.run(CheckCommand("port", ("127.0.0.1", "25")), user="t", language="en")
    assert allowed.status != "refused" and connector.calls == [("127.0.0.1", 25)]


@pytest.mark.parametrize("port", ["22", "8080", "443", "0"])
async def test_ports_outside_the_mail_ports_are_refused(knowledge: Knowledge, port: str) -> None:
    checker, resolver, connector = _guarded(knowledge)
    outcome = await checker.run(CheckCommand("port", ("mail.example.com", port)), user="t", language="es")
    assert (outcome.status, outcome.reason) == ("refused", "port-not-allowed")
    assert resolver.calls == [] and connector.calls == []
    assert "25, 465, 587, 110, 995, 143, 993" in outcome.findings[0].summary


async def test_a_name_resolving_to_a_private_address_is_refused_without_connecting(knowledge: Knowledge) -> None:
    resolver = RecordingResolver({("intranet.example.com", "A"): ("10.0.0.5",)})
    checker, _, connector = _guarded(knowledge, resolver)
    outcome = await checker.run(CheckCommand("port", ("intranet.example.com", "465")), user="t", language="en")
    assert (outcome.status, outcome.reason) == ("refused", "private-address")
    assert connector.calls == []
    assert {name for name, _ in resolver.calls} == {"intranet.example.com"}


async def test_one_private_address_among_public_ones_refuses_the_whole_request(knowledge: Knowledge) -> None:
    resolver = RecordingResolver(
        {
            ("mail.example.com", "A"): ("93.184.216.34",),
            ("rebind.example.com", "A"): ("93.184.216.34", "192.168.1.1"),
        }
    )
    checker, _, connector = _guarded(knowledge, resolver)
    outcome = await checker.run(
        CheckCommand("port", ("mail.example.com", "465", "rebind.example.com", "465")), user="t", language="en"
    )
    assert outcome.reason == "private-address"
    assert connector.calls == []


async def test_an_aaaa_record_hiding_loopback_is_refused(knowledge: Knowledge) -> None:
    resolver = RecordingResolver({("sneaky.example.com", "AAAA"): ("::ffff:7f00:1",)})
    checker, _, connector = _guarded(knowledge, resolver, allow_loopback=True)
    outcome = await checker.run(CheckCommand("port", ("sneaky.example.com", "25")), user="t", language="en")
    assert (outcome.status, outcome.reason) == ("refused", "loopback")
    assert connector.calls == []


async def test_public_name_connects_to_the_vetted_address_once_resolved(knowledge: Knowledge) -> None:
    resolver = RecordingResolver({("mail.example.com", "A"): ("93.184.216.34",)})
    checker, _, connector = _guarded(knowledge, resolver)
    outcome = await checker.run(CheckCommand("port", ("mail.example.com:587",)), user="t", language="en")
    assert connector.calls == [("93.184.216.34", 587)]
    assert outcome.status == "problem"  # the recording connector refuses every connection
    assert sorted(resolver.calls) == [("mail.example.com", "A"), ("mail.example.com", "AAAA")]


async def test_more_than_ten_targets_are_refused(knowledge: Knowledge) -> None:
    checker, resolver, _ = _guarded(knowledge)
    domains = tuple(f"d{i}.example.com" for i in range(11))
    outcome = await checker.run(CheckCommand("mx", domains), user="t", language="cs")
    assert (outcome.status, outcome.reason) == ("refused", "too-many-targets")
    assert "11" in outcome.findings[0].summary and "10" in outcome.findings[0].summary
    assert resolver.calls == []
    ports = ("mail.example.com",) + tuple(str(p) for p in (25, 465, 587, 110, 995, 143, 993) * 2)
    outcome = await checker.run(CheckCommand("port", ports), user="t", language="en")
    assert outcome.reason == "too-many-targets"


async def test_ten_targets_are_fine(knowledge: Knowledge) -> None:
    checker, resolver, _ = _guarded(knowledge)
    outcome = await checker.run(CheckCommand("mx", tuple(f"d{i}.example.com" for i in range(10))), user="t", language="en")
    assert outcome.status == "problem"  # all NXDOMAIN in the recording resolver
    assert len({n for n, _ in resolver.calls}) == 10


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("mail.example.com",), "port-missing"),
        (("mail.example.com", "other.example.com", "25"), "port-missing"),
        ((), "no-target"),
        (("exa mple.com:25",), "bad-target"),
        (("bad_name.example.com", "25"), "bad-target"),
    ],
)
async def test_malformed_port_requests_are_refused(knowledge: Knowledge, args: tuple[str, ...], reason: str) -> None:
    checker, resolver, connector = _guarded(knowledge)
    outcome = await checker.run(CheckCommand("port", args), user="t", language="en")
    assert (outcome.status, outcome.reason) == ("refused", reason)
    assert resolver.calls == [] and connector.calls == []


async def test_unknown_check_kind_is_refused(knowledge: Knowledge) -> None:
    checker, _, _ = _guarded(knowledge)
    outcome = await checker.run(CheckCommand("traceroute", ("example.com",)), user="t", language="en")  # type: ignore[arg-type]
    assert (outcome.status, outcome.reason) == ("refused", "unknown-check")


async def test_rate_limit_per_user_with_a_localised_slow_down(knowledge: Knowledge) -> None:
    checker, resolver, _ = _guarded(knowledge, check_rate_per_minute=3)
    clock = checker.clock  # type: ignore[attr-defined]
    command = CheckCommand("mx", ("example.com",))
    for _ in range(3):
        assert (await checker.run(command, user="alice", language="de")).status != "refused"
    clock.now += 20
    limited = await checker.run(command, user="alice", language="de")
    assert (limited.status, limited.reason) == ("refused", "rate-limited")
    assert "langsamer" in limited.findings[0].summary and "40 Sekunden" in limited.findings[0].summary
    asked = len(resolver.calls)
    assert (await checker.run(command, user="bob", language="de")).status != "refused"  # per user
    clock.now += 40
    assert (await checker.run(command, user="alice", language="de")).status != "refused"  # the window moved
    assert len(resolver.calls) > asked


async def test_guard_refusals_do_not_use_up_the_rate_limit(knowledge: Knowledge) -> None:
    checker, _, _ = _guarded(knowledge, check_rate_per_minute=1)
    for _ in range(5):
        await checker.run(CheckCommand("port", ("10.0.0.1", "25")), user="carol", language="en")
    assert (await checker.run(CheckCommand("mx", ("example.com",)), user="carol", language="en")).status != "refused"


async def test_an_unexpected_failure_is_an_error_outcome(knowledge: Knowledge) -> None:
    class Broken:
        async def resolve(self, name: str, rdtype: str) -> object:
            raise RuntimeError("boom")

    checker = GuardedChecker(settings(), knowledge, resolver=Broken(), connector=RecordingConnector())  # type: ignore[arg-type]
    outcome = await checker.run(CheckCommand("mx", ("example.com",)), user="t", language="fr")
    assert (outcome.status, outcome.reason) == ("error", "internal")
    assert "boom" not in outcome.findings[0].summary and "erreur" in outcome.findings[0].summary


def test_default_checker_reads_the_dns_servers_setting(knowledge: Knowledge) -> None:
    from bot.errors import ConfigError

    assert isinstance(default_checker(settings(dns_servers=("127.0.0.1:5353", "[::1]:53")), knowledge), GuardedChecker)
    with pytest.raises(ConfigError):
        default_checker(settings(dns_servers=("dns.example.com:53",)), knowledge)


async def test_cancelling_a_request_cancels_its_lookups(knowledge: Knowledge) -> None:
    import asyncio

    started = asyncio.Event()
    cancelled: list[str] = []

    class Hanging:
        async def resolve(self, name: str, rdtype: str) -> object:
            started.set()
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                cancelled.append(name)
                raise
            raise AssertionError("not reached")

    checker = GuardedChecker(settings(), knowledge, resolver=Hanging(), connector=RecordingConnector())  # type: ignore[arg-type]
    request = asyncio.create_task(checker.run(CheckCommand("mx", ("a.example.com", "b.example.com")), user="t", language="en"))
    await started.wait()
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    await asyncio.sleep(0)
    assert sorted(cancelled) == ["a.example.com", "b.example.com"]


async def test_instances_sharing_a_store_share_the_rate_limit(knowledge: Knowledge, tmp_path: Path) -> None:
    # the deployment's limit, not each instance's: the third request is refused by whichever serves it
    store = SqliteStore(str(tmp_path / "shared.db"))
    resolver = RecordingResolver()
    one, two = (
        GuardedChecker(settings(), knowledge, resolver=resolver, connector=RecordingConnector(), limiter=SharedRateLimiter(store, 2))
        for _ in range(2)
    )
    command = CheckCommand("mx", ("example.com",))
    assert (await one.run(command, user="alice", language="fr")).status != "refused"
    assert (await two.run(command, user="alice", language="fr")).status != "refused"
    asked = len(resolver.calls)
    limited = await one.run(command, user="alice", language="fr")
    assert (limited.status, limited.reason) == ("refused", "rate-limited")
    assert "60 secondes" in limited.findings[0].summary
    assert len(resolver.calls) == asked  # nothing was sent for it
    store.close()
