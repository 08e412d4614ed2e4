"""The DNS seam: one question in, one plain answer out.

:class:`Resolver` is the Protocol the checks use; :class:`DnsResolver` implements it with
dnspython's async resolver. dnspython's exceptions are translated here into a
:class:`DnsAnswer` status, so nothing of dnspython leaves this module:

- ``NXDOMAIN``: the name does not exist.
- ``NoAnswer``: the name exists, without a record of that type ("Host found but no data
  record of requested type").
- ``NoNameservers`` (SERVFAIL, REFUSED from every server): ``servfail``.
- ``LifetimeTimeout``: ``timeout``. Neither of the last two says anything about the domain.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import dns.asyncresolver
import dns.exception
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver

from ..errors import ConfigError

log = logging.getLogger(__name__)

__all__ = ["DnsAnswer", "DnsResolver", "DnsStatus", "RecordType", "Resolver", "parse_servers"]

_MAX_TXT = 4096

DnsStatus = Literal["ok", "nxdomain", "noanswer", "servfail", "timeout"]
RecordType = Literal["A", "AAAA", "MX", "TXT", "CNAME"]


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    """The answer to one question, as plain values.

    Attributes:
        name: the name asked, without the final dot.
        rdtype: the record type asked.
        status: see the module docstring.
        records: the records in presentation form: ``"10 mx1.example.com"`` for MX (no final
            dot), the address for A/AAAA, the joined strings for TXT.
        canonical: the name the answer was found at, when the asked name is an alias (CNAME).
    """

    name: str
    rdtype: RecordType
    status: DnsStatus
    records: tuple[str, ...] = ()
    canonical: str | None = None


class Resolver(Protocol):
    """Answers DNS questions. Tests inject their own to record what was asked."""

    async def resolve(self, name: str, rdtype: RecordType) -> DnsAnswer:
        """Ask for ``rdtype`` records of ``name`` (IDNA ASCII, no final dot).

        Returns:
            The answer; a failure is a status, never an exception.
        """
        ...


def parse_servers(servers: Sequence[str]) -> list[tuple[str, int]]:
    """Read ``MAILMEDIC_DNS_SERVERS`` entries: ``127.0.0.1:5353``, ``[::1]:53``, ``9.9.9.9``.

    Raises:
        ConfigError: an entry is not an IP address with an optional port.
    """
    out: list[tuple[str, int]] = []
    for entry in servers:
        host, port = entry.strip(), "53"
        if host.startswith("["):
            host, _, rest = host[1:].partition("]")
            if rest.startswith(":"):
                port = rest[1:]
        elif host.count(":") == 1:
            host, _, port = host.partition(":")
        try:
            address = ipaddress.ip_address(host)
            number = int(port)
        except ValueError:
            raise ConfigError(
                f"MAILMEDIC_DNS_SERVERS: {entry!r} is not an IP address with an optional :port",
                variable="MAILMEDIC_DNS_SERVERS",
            ) from None
        if not 0 < number < 65536:
            raise ConfigError(f"MAILMEDIC_DNS_SERVERS: port out of range in {entry!r}", variable="MAILMEDIC_DNS_SERVERS")
        out.append((str(address), number))
    return out


class DnsResolver:
    """:class:`Resolver` on dnspython's async resolver.

    Args:
        servers: ``(address, port)`` pairs to ask; empty means the system's resolv.conf.
        timeout: the whole time one question may take, retries included (seconds).

    Raises:
        ConfigError: no servers were given and the system has none configured.
    """

    def __init__(self, servers: Sequence[tuple[str, int]] = (), *, timeout: float = 3.0) -> None:
        if servers:
            resolver = dns.asyncresolver.Resolver(configure=False)
            # dnspython takes one port for all servers; per-server ports need Nameserver objects.
            resolver.nameservers = [
                dns.nameserver.Do53Nameserver(address, port) for address, port in servers
            ]
        else:
            try:
                resolver = dns.asyncresolver.Resolver()
            except dns.resolver.NoResolverConfiguration:
                raise ConfigError(
                    "no DNS server: the system has none configured; set MAILMEDIC_DNS_SERVERS",
                    variable="MAILMEDIC_DNS_SERVERS",
                ) from None
        resolver.lifetime = timeout
        resolver.timeout = min(timeout, 2.0)
        self._resolver = resolver
        self._timeout = timeout

    async def resolve(self, name: str, rdtype: RecordType) -> DnsAnswer:
        """Ask one question. See :class:`Resolver`."""
        qname = name.rstrip(".")
        try:
            answer = await self._resolver.resolve(
                dns.name.from_text(qname), rdtype, search=False, raise_on_no_answer=True, lifetime=self._timeout
            )
        except dns.resolver.NXDOMAIN:
            return DnsAnswer(qname, rdtype, "nxdomain")
        except dns.resolver.NoAnswer:
            return DnsAnswer(qname, rdtype, "noanswer")
        except dns.resolver.NoNameservers:
            return DnsAnswer(qname, rdtype, "servfail")
        except dns.exception.Timeout:
            return DnsAnswer(qname, rdtype, "timeout")
        except dns.exception.DNSException as exc:
            # A malformed reply or the like: the DNS did not give a usable answer.
            log.debug("DNS question %s %s failed: %s", qname, rdtype, type(exc).__name__)
            return DnsAnswer(qname, rdtype, "servfail")
        canonical = answer.canonical_name.to_text().rstrip(".")
        return DnsAnswer(
            qname,
            rdtype,
            "ok",
            tuple(_present(rdata, rdtype) for rdata in answer),
            canonical if canonical.lower() != qname.lower() else None,
        )


def _present(rdata: object, rdtype: RecordType) -> str:
    if rdtype == "TXT":
        # Text from someone else's zone: shown to users, so printable and bounded.
        strings = getattr(rdata, "strings", ())
        text = "".join(part.decode("utf-8", "replace") for part in strings)
        text = "".join(ch if ch.isprintable() else "?" for ch in text)
        return text if len(text) <= _MAX_TXT else text[: _MAX_TXT - 1] + "…"
    if rdtype == "MX":
        exchange = getattr(rdata, "exchange").to_text()
        # The root name "." stays as it is: it is the null MX of RFC 7505.
        return f"{getattr(rdata, 'preference')} {exchange if exchange == '.' else exchange.rstrip('.')}"
    return str(rdata).rstrip(".")

