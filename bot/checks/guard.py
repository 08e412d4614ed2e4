"""The guard: what may be checked, decided before any packet leaves.

Three gates, all pure functions of the user's text and the addresses our own resolver
returned:

- :func:`parse_host` reads a target as the user wrote it. Only two shapes pass: a strict
  IP literal (four decimal octets, or an IPv6 address) and a syntactically valid host name
  whose last label is not numeric. Everything that only a lenient parser reads as an
  address (``127.1``, ``2130706433``, ``0x7f.1``, ``017700000001``) is refused as
  ambiguous, because ``getaddrinfo`` would read it as loopback. User text never reaches
  ``getaddrinfo``.
- :func:`vet_address` refuses every address that is not globally routable, including the
  same address hidden in an IPv4-mapped, IPv4-compatible, 6to4, Teredo or NAT64 IPv6 form.
  It returns the address to connect to, so the probe connects to exactly what was vetted.
- :func:`parse_port` allows the mail ports only.

``allow_loopback`` (``MAILMEDIC_ALLOW_LOOPBACK=1``, for tests) lets 127.0.0.0/8 and ``::1``
through, written plainly; nothing else is ever unlocked, and a loopback address hidden in
another form stays refused.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from dataclasses import dataclass

from ..errors import GuardError

log = logging.getLogger(__name__)

__all__ = [
    "ALLOWED_PORTS",
    "MAX_TARGETS",
    "HostTarget",
    "check_target_count",
    "parse_domain",
    "parse_host",
    "parse_port",
    "vet_address",
]

ALLOWED_PORTS: tuple[int, ...] = (25, 465, 587, 110, 995, 143, 993)
"""SMTP, SMTPS, submission, POP3, POP3S, IMAP, IMAPS: the only ports a probe may reach."""

MAX_TARGETS = 10
"""At most this many targets in one request."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_DOTTED_QUAD = re.compile(r"^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$")
# A "name" made only of digits, hex numbers and dots is an address in disguise.
_NUMERIC_ISH = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*\.?$", re.IGNORECASE)
_NAT64_WKP = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPAT = ipaddress.ip_network("::/96")
_LOOPBACK_V4 = ipaddress.ip_network("127.0.0.0/8")
_LOOPBACK_V6 = ipaddress.ip_address("::1")
_SHARED_V4 = ipaddress.ip_network("100.64.0.0/10")

SPECIAL_USE = frozenset({"local", "invalid", "onion", "internal", "lan", "intranet", "corp", "home", "private"})
"""Top-level names that are no public domain: special-use (RFC 6761, 6762, 7686) or in wide
private use on company networks. Nobody can register a name under them, and asking the
public DNS about them only leaks an internal name. ``.test`` (RFC 6761 too) is left out: it
names nothing internal, and it is what a resolver on loopback serves in tests."""


@dataclass(frozen=True, slots=True)
class HostTarget:
    """A host as the user wrote it, read strictly.

    Attributes:
        text: the user's text, trimmed (kept for TLS: the certificate is checked against it).
        name: the host name in IDNA form, lower case, without a final dot; None for a literal.
        address: the literal address, when the user gave one.
    """

    text: str
    name: str | None
    address: IPAddress | None


def parse_host(text: str) -> HostTarget:
    """Read a probe target strictly: an IP literal or a host name, nothing in between.

    Args:
        text: the host as the user wrote it (``"ssl0.ovh.net"``, ``"2001:db8::1"``,
            ``"[2001:db8::1]"``).

    Returns:
        The parsed target; a literal still has to pass :func:`vet_address`.

    Raises:
        GuardError: ``ambiguous-address`` for forms only a lenient parser reads as an
            address, ``bad-target`` for anything that is neither an address nor a name.
    """
    raw = text.strip()
    if raw.startswith("[") and raw.endswith("]"):
        raw = raw[1:-1]
    if not raw:
        raise GuardError("bad-target", target=text)
    if ":" in raw:
        try:
            v6 = ipaddress.IPv6Address(raw)
        except ValueError:
            raise GuardError("bad-target", target=text) from None
        return HostTarget(text=raw, name=None, address=v6)
    if _DOTTED_QUAD.match(raw):
        return HostTarget(text=raw, name=None, address=ipaddress.IPv4Address(raw))
    if _NUMERIC_ISH.match(raw):
        raise GuardError("ambiguous-address", target=text)
    return HostTarget(text=raw, name=parse_domain(raw), address=None)


def parse_domain(text: str) -> str:
    """Read a domain or host name (no addresses), IDNA-encoded and lower-cased.

    Args:
        text: the name as the user wrote it; a final dot and Unicode labels are accepted.

    Returns:
        The name in ASCII (``xn--`` labels for Unicode ones), without the final dot.

    Raises:
        GuardError: ``ambiguous-address`` for numeric forms (``127.1``, ``2130706433``),
            ``not-a-domain`` for an IP literal, ``bad-target`` for anything else invalid.
    """
    raw = text.strip()
    if _DOTTED_QUAD.match(raw) or ":" in raw or (raw.startswith("[") and raw.endswith("]")):
        raise GuardError("not-a-domain", target=text)
    if _NUMERIC_ISH.match(raw):
        raise GuardError("ambiguous-address", target=text)
    name = raw[:-1] if raw.endswith(".") else raw
    try:
        ascii_name = name.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise GuardError("bad-target", target=text) from None
    labels = ascii_name.split(".")
    if labels[-1] == "localhost":
        raise GuardError("loopback", target=text)  # RFC 6761: always this machine
    if labels[-1] in SPECIAL_USE or ascii_name.endswith(".home.arpa"):
        raise GuardError("special-use", target=text)  # never sent to the public DNS
    if len(ascii_name) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise GuardError("bad-target", target=text)
    if labels[-1].isdigit():
        raise GuardError("ambiguous-address", target=text)
    return ascii_name


def parse_port(text: str) -> int:
    """Read a port and allow only the mail ports.

    Raises:
        GuardError: ``port-not-allowed`` for any other port (or a malformed one).
    """
    raw = text.strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 5:
        raise GuardError("port-not-allowed", target=text)
    port = int(raw)
    if port not in ALLOWED_PORTS:
        raise GuardError("port-not-allowed", target=text)
    return port


def check_target_count(count: int) -> None:
    """Refuse a request with more than :data:`MAX_TARGETS` targets, or none.

    Raises:
        GuardError: ``too-many-targets`` or ``no-target``.
    """
    if count <= 0:
        raise GuardError("no-target")
    if count > MAX_TARGETS:
        raise GuardError("too-many-targets", detail=str(count))


def vet_address(address: IPAddress, *, allow_loopback: bool = False, target: str = "") -> IPAddress:
    """Refuse an address that is not globally routable, hidden forms included.

    Args:
        address: an address from a literal or from our own resolver.
        allow_loopback: let plain 127.0.0.0/8 and ``::1`` through (tests only).
        target: what the user wrote, for the error.

    Returns:
        The address to connect to: the embedded IPv4 address for an IPv4-mapped one,
        otherwise ``address`` itself.

    Raises:
        GuardError: ``loopback``, ``private-address``, ``link-local``, ``shared-address``
            (CGNAT), ``multicast``, ``reserved`` or ``unspecified``.
    """
    shown = target or str(address)
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            raise GuardError("link-local", target=shown)
        embedded = _embedded_v4(address)
        if embedded is not None:
            inner, mapped = embedded
            # A hidden loopback stays refused even with the loopback switch.
            _vet_plain(inner, allow_loopback=False, target=shown)
            if mapped:
                return inner
            if address in _NAT64_WKP:
                return address
        if address in _NAT64_LOCAL:
            raise GuardError("reserved", target=shown)
    _vet_plain(address, allow_loopback=allow_loopback, target=shown)
    return address


def _embedded_v4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, bool] | None:
    """The IPv4 address an IPv6 form carries, and whether it is a plain mapping."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped, True
    if address.sixtofour is not None:
        return address.sixtofour, False
    if address.teredo is not None:
        server, client = address.teredo
        # Vet the client (the real endpoint) first; the server must be public too.
        for inner in (client, server):
            if not _is_public_v4(inner):
                return inner, False
        return client, False
    if address in _NAT64_WKP or (address in _IPV4_COMPAT and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), False
    return None


def _is_public_v4(address: ipaddress.IPv4Address) -> bool:
    try:
        _vet_plain(address, allow_loopback=False, target="")
    except GuardError:
        return False
    return True


def _vet_plain(address: IPAddress, *, allow_loopback: bool, target: str) -> None:
    if address.is_loopback:
        if allow_loopback and (address in _LOOPBACK_V4 if address.version == 4 else address == _LOOPBACK_V6):
            return
        raise GuardError("loopback", target=target)
    if address.is_unspecified:
        raise GuardError("unspecified", target=target)
    if address.is_link_local:
        raise GuardError("link-local", target=target)
    if address.is_multicast:
        raise GuardError("multicast", target=target)
    if address.version == 4 and address in _SHARED_V4:
        raise GuardError("shared-address", target=target)
    if address.is_reserved or (address.version == 6 and address.is_site_local):
        raise GuardError("reserved", target=target)
    if address.is_private or not address.is_global:
        raise GuardError("private-address", target=target)
