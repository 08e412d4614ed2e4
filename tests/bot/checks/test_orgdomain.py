"""The organisational domain, from the Public Suffix List shipped in the wheel (no network)."""

from __future__ import annotations

import socket

import pytest

from bot.checks import orgdomain
from bot.checks.orgdomain import organisational_domain


def test_the_organisational_domain_comes_from_the_public_suffix_list(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the public suffix list must not be fetched")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    orgdomain._suffixes.cache_clear()  # read the list now, with the network closed
    assert organisational_domain("mail.example.com") == "example.com"
    assert organisational_domain("a.b.example.co.uk") == "example.co.uk"
    assert organisational_domain("Mail.Example.COM.") == "example.com"
    assert organisational_domain("mail.inherit.test") == "inherit.test"  # unknown TLD: its own suffix
    assert organisational_domain("site.user.github.io") == "user.github.io"  # private suffixes count
    assert organisational_domain("co.uk") is None
