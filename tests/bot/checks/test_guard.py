"""The guard's pure gates: target parsing, address vetting (hidden forms included), ports."""

from __future__ import annotations

import ipaddress

import pytest

from bot.checks.guard import ALLOWED_PORTS, check_target_count, parse_domain, parse_host, parse_port, vet_address
from bot.errors import GuardError


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("10.0.0.1", "private-address"),
        ("192.168.1.1", "private-address"),
        ("172.16.0.1", "private-address"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "shared-address"),
        ("127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("192.0.2.1", "private-address"),  # TEST-NET-1: documentation, not routed
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private-address"),
        ("fec0::1", "reserved"),  # deprecated site-local, which ipaddress calls global
        ("ff02::1", "multicast"),
        ("2001:db8::1", "private-address"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private-address"),
        ("::ffff:169.254.169.254", "link-local"),
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
        ("64:ff9b::7f00:1", "loopback"),
        ("64:ff9b:1::1", "reserved"),  # local-use NAT64 prefix
        ("2002:7f00:1::1", "loopback"),  # 6to4 of 127.0.0.1
        ("2002:c0a8:101::1", "private-address"),  # 6to4 of 192.168.1.1
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "private-address"),  # Teredo
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"),  # Teredo hiding client 127.0.0.1
        ("::7f00:1", "loopback"),  # IPv4-compatible 127.0.0.1
        ("::a00:1", "private-address"),  # IPv4-compatible 10.0.0.1
    ],
)
def test_non_public_addresses_are_refused(text: str, reason: str) -> None:
    with pytest.raises(GuardError) as refused:
        vet_address(ipaddress.ip_address(text), allow_loopback=False)
    assert refused.value.reason == reason


@pytest.mark.parametrize("text", ["93.184.216.34", "8.8.8.8", "2a00:1450:4001:80b::1", "2606:4700::1111"])
def test_public_addresses_pass_unchanged(text: str) -> None:
    address = ipaddress.ip_address(text)
    assert vet_address(address) == address


def test_mapped_public_address_connects_to_the_ipv4_inside() -> None:
    assert vet_address(ipaddress.ip_address("::ffff:93.184.216.34")) == ipaddress.ip_address("93.184.216.34")


def test_nat64_and_6to4_of_public_addresses_pass() -> None:
    nat64 = ipaddress.ip_address("64:ff9b::5db8:d822")  # 93.184.216.34
    assert vet_address(nat64) == nat64
    sixtofour = ipaddress.ip_address("2002:5db8:d822::1")
    assert vet_address(sixtofour) == sixtofour


@pytest.mark.parametrize("text", ["127.0.0.1", "127.9.8.7", "::1"])
def test_loopback_switch_unlocks_plain_loopback(text: str) -> None:
    assert str(vet_address(ipaddress.ip_address(text), allow_loopback=True)) == text


@pytest.mark.parametrize(
    "text", ["10.0.0.1", "169.254.169.254", "::ffff:127.0.0.1", "2002:7f00:1::1", "64:ff9b::7f00:1", "fe80::1", "0.0.0.0"]
)
def test_loopback_switch_unlocks_nothing_else(text: str) -> None:
    with pytest.raises(GuardError):
        vet_address(ipaddress.ip_address(text), allow_loopback=True)


def test_scoped_ipv6_is_refused() -> None:
    with pytest.raises(GuardError) as refused:
        vet_address(ipaddress.ip_address("fe80::1%1"))
    assert refused.value.reason == "link-local"


@pytest.mark.parametrize(
    "text",
    ["127.1", "2130706433", "0x7f.1", "0x7f000001", "017700000001", "127.0.1", "0177.0.0.1", "10.1", "127.0.0.1.", "1.2.3.4.5"],
)
def test_numeric_forms_a_lenient_parser_reads_as_addresses_are_ambiguous(text: str) -> None:
    with pytest.raises(GuardError) as refused:
        parse_host(text)
    assert refused.value.reason == "ambiguous-address"


@pytest.mark.parametrize("text", ["exa mple.com", "-bad.example.com", "a..b", "", "under_score.example.com", "x" * 64 + ".com"])
def test_malformed_names_are_refused(text: str) -> None:
    with pytest.raises(GuardError) as refused:
        parse_host(text)
    assert refused.value.reason == "bad-target"


def test_host_parsing_keeps_the_name_for_tls_and_reads_literals_strictly() -> None:
    name = parse_host("SSL0.OVH.net.")
    assert name.name == "ssl0.ovh.net" and name.address is None and name.text == "SSL0.OVH.net."
    v4 = parse_host("93.184.216.34")
    assert v4.address == ipaddress.ip_address("93.184.216.34") and v4.name is None
    v6 = parse_host("[2a00:1450::1]")
    assert v6.address == ipaddress.ip_address("2a00:1450::1")


def test_unicode_domains_are_idna_encoded() -> None:
    assert parse_domain("příklad.cz") == "xn--pklad-zsa96e.cz"


def test_a_domain_check_refuses_ip_literals() -> None:
    for text in ("93.184.216.34", "::1", "[::1]"):
        with pytest.raises(GuardError) as refused:
            parse_domain(text)
        assert refused.value.reason == "not-a-domain"


@pytest.mark.parametrize("port", [str(p) for p in ALLOWED_PORTS])
def test_mail_ports_are_allowed(port: str) -> None:
    assert parse_port(port) == int(port)


@pytest.mark.parametrize("port", ["22", "8080", "0", "80", "443", "65536", "-25", "25a", "２５", "0025x"])
def test_other_ports_are_refused(port: str) -> None:
    with pytest.raises(GuardError) as refused:
        parse_port(port)
    assert refused.value.reason == "port-not-allowed"


def test_target_count_limits() -> None:
    check_target_count(10)
    with pytest.raises(GuardError) as refused:
        check_target_count(11)
    assert refused.value.reason == "too-many-targets"
    with pytest.raises(GuardError):
        check_target_count(0)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("localhost", "loopback"),
        ("mail.localhost", "loopback"),
        ("printer.local", "special-use"),
        ("mail.internal.lan", "special-use"),
        ("example.invalid", "special-use"),
        ("NAS.Home.Arpa.", "special-use"),
        ("hidden.onion", "special-use"),
    ],
)
def test_names_no_public_dns_knows_are_refused_before_any_query(text: str, reason: str) -> None:
    with pytest.raises(GuardError) as refused:
        parse_host(text)
    assert refused.value.reason == reason
