"""The port probe: connect, read the greeting, try TLS, read what the server offers.

It speaks just enough SMTP, POP3 and IMAP to see what a mail client would see:

- SMTP (25, 587: STARTTLS; 465: implicit TLS): the 220 greeting, EHLO, STARTTLS, then
  EHLO again for the SIZE limit and the AUTH methods (often offered only after TLS).
- POP3 (110: STLS; 995: implicit TLS): ``+OK``, CAPA, STLS.
- IMAP (143: STARTTLS; 993: implicit TLS): ``* OK``, CAPABILITY, STARTTLS.

The certificate is verified against the system trust store (``SSL_CERT_FILE`` works) and
the name the user gave. On a name mismatch the probe connects once more without the name
check (the chain is still verified) to read the names the certificate does carry: the
alias-versus-``ssl0`` trap. Refused, timed out and connected-but-silent are different
results. The probe never sends credentials and never starts a mail transaction.

Raw facts only: :mod:`bot.checks.port` turns a :class:`ProbeResult` into findings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from .connector import Connector

log = logging.getLogger(__name__)

__all__ = ["ProbeResult", "probe", "protocol_for"]

Protocol = Literal["smtp", "pop3", "imap"]
ConnectStatus = Literal["ok", "refused", "timeout", "unreachable"]
GreetingStatus = Literal["ok", "bad", "silent", "closed"]
TlsStatus = Literal["ok", "mismatch", "untrusted", "failed", "timeout"]

_PROTOCOLS: dict[int, tuple[Protocol, bool]] = {
    25: ("smtp", False),
    587: ("smtp", False),
    465: ("smtp", True),
    110: ("pop3", False),
    995: ("pop3", True),
    143: ("imap", False),
    993: ("imap", True),
}
_HOSTNAME_MISMATCH = 62  # X509_V_ERR_HOSTNAME_MISMATCH
_MAX_LINES = 100
_MAX_SHOWN = 200
_EHLO_NAME = "mailmedic.invalid"


def protocol_for(port: int) -> tuple[Protocol, bool]:
    """The protocol spoken on a mail port and whether TLS is implicit there.

    Raises:
        KeyError: not a mail port (the guard refuses those first).
    """
    return _PROTOCOLS[port]


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What one probe saw.

    Attributes:
        host: the name the user gave (the certificate is checked against it).
        address: the vetted address connected to.
        port: the port.
        protocol: ``smtp``, ``pop3`` or ``imap``.
        implicit_tls: True on 465, 995 and 993.
        connect: ``ok``, ``refused``, ``timeout`` (never accepted) or ``unreachable``.
        greeting: ``ok``, ``bad`` (an error greeting), ``silent`` (nothing within the time),
            ``closed`` (the server hung up); None when not connected or TLS failed first.
        greeting_line: the greeting's first line, verbatim (trimmed, control characters out).
        starttls_offered: whether STARTTLS/STLS was offered; None on implicit-TLS ports or
            when the conversation did not get that far.
        tls: the TLS result; None when TLS was not attempted.
        tls_detail: the verification message on failure.
        tls_version: ``TLSv1.3`` and the like.
        cert_names: the DNS names (and IPs) on the certificate.
        size: the SMTP SIZE limit in bytes, when advertised with a number.
        auth: the SMTP AUTH methods advertised (after TLS when TLS worked).
        ehlo_refused: the server's reply when it refused EHLO.
    """

    host: str
    address: str
    port: int
    protocol: Protocol
    implicit_tls: bool
    connect: ConnectStatus
    greeting: GreetingStatus | None = None
    greeting_line: str | None = None
    starttls_offered: bool | None = None
    tls: TlsStatus | None = None
    tls_detail: str = ""
    tls_version: str | None = None
    cert_names: tuple[str, ...] = ()
    size: int | None = None
    auth: tuple[str, ...] = ()
    ehlo_refused: str | None = None


@dataclass(slots=True)
class _Facts:
    """The mutable notebook of one conversation; frozen into a ProbeResult at the end."""

    connect: ConnectStatus = "ok"
    greeting: GreetingStatus | None = None
    greeting_line: str | None = None
    starttls_offered: bool | None = None
    tls: TlsStatus | None = None
    tls_detail: str = ""
    tls_version: str | None = None
    cert_names: tuple[str, ...] = ()
    size: int | None = None
    auth: tuple[str, ...] = field(default_factory=tuple)
    ehlo_refused: str | None = None


class _Mismatch(Exception):
    """The certificate does not carry the name asked for."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class _Stop(Exception):
    """The conversation cannot go on; what was seen so far stands."""


async def probe(
    connector: Connector,
    address: str,
    port: int,
    host: str,
    *,
    timeout: float = 5.0,
    tls_context: Callable[[], ssl.SSLContext] = ssl.create_default_context,
) -> ProbeResult:
    """Probe one mail port.

    Args:
        connector: opens the TCP connection (to ``address``, never to ``host``).
        address: the vetted IP address.
        port: a mail port (the guard has checked it).
        host: the name the user gave; TLS checks the certificate against it.
        timeout: the time each step (connect, greeting, each reply, handshake) may take.
        tls_context: makes a verifying client context (system trust store by default).

    Returns:
        What the probe saw. Network failures are results, not exceptions.

    Raises:
        KeyError: ``port`` is not a mail port.
    """
    protocol, implicit = protocol_for(port)
    strict = tls_context()
    try:
        facts = await _converse(connector, address, port, host, protocol, implicit, strict, timeout)
    except _Mismatch as mismatch:
        lax = tls_context()
        lax.check_hostname = False
        lax.verify_mode = ssl.CERT_REQUIRED
        try:
            facts = await _converse(connector, address, port, host, protocol, implicit, lax, timeout)
        except _Mismatch:  # pragma: no cover - cannot happen without the name check
            facts = _Facts()
        if facts.tls in ("ok", None):
            # The names (and the rest of the conversation) come from the second look;
            # the verdict stays the first one's.
            facts.tls = "mismatch"
            facts.tls_detail = mismatch.detail
    return ProbeResult(
        host=host,
        address=address,
        port=port,
        protocol=protocol,
        implicit_tls=implicit,
        connect=facts.connect,
        greeting=facts.greeting,
        greeting_line=facts.greeting_line,
        starttls_offered=facts.starttls_offered,
        tls=facts.tls,
        tls_detail=facts.tls_detail,
        tls_version=facts.tls_version,
        cert_names=facts.cert_names,
        size=facts.size,
        auth=facts.auth,
        ehlo_refused=facts.ehlo_refused,
    )


async def _converse(
    connector: Connector,
    address: str,
    port: int,
    host: str,
    protocol: Protocol,
    implicit: bool,
    context: ssl.SSLContext,
    timeout: float,
) -> _Facts:
    facts = _Facts()
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await connector.connect(address, port)
    except ConnectionRefusedError:
        facts.connect = "refused"
        return facts
    except TimeoutError:
        facts.connect = "timeout"
        return facts
    except OSError as exc:
        log.debug("connect to %s:%d failed: %s", address, port, exc)
        facts.connect = "unreachable"
        return facts
    session = _Session(reader, writer, host, context, timeout, facts)
    try:
        if implicit:
            await session.start_tls()
        await session.greet(protocol)
        if protocol == "smtp":
            await session.smtp(starttls=not implicit)
        elif protocol == "pop3":
            await session.pop3(starttls=not implicit)
        else:
            await session.imap(starttls=not implicit)
    except _Stop:
        pass
    finally:
        await session.close()
    return facts


class _Session:
    """One conversation over a stream, noting what it sees in ``facts``."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        host: str,
        context: ssl.SSLContext,
        timeout: float,
        facts: _Facts,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._host = host
        self._context = context
        self._timeout = timeout
        self._imap_greeting = ""
        self.facts = facts

    # -- plumbing -----------------------------------------------------------------------

    async def _line(self) -> str:
        try:
            async with asyncio.timeout(self._timeout):
                raw = await self._reader.readline()
        except TimeoutError:
            raise _Stop from None
        except (ValueError, OSError, asyncio.IncompleteReadError):
            raise _Stop from None
        if not raw:
            raise _Stop
        return raw.decode("utf-8", "replace").rstrip("\r\n")

    async def _send(self, line: str) -> None:
        try:
            self._writer.write(line.encode("ascii") + b"\r\n")
            async with asyncio.timeout(self._timeout):
                await self._writer.drain()
        except (OSError, TimeoutError):
            raise _Stop from None

    async def _smtp_reply(self) -> tuple[int, list[str]]:
        lines: list[str] = []
        for _ in range(_MAX_LINES):
            line = await self._line()
            lines.append(line[4:])
            if len(line) < 4 or line[3] != "-":
                code = line[:3]
                return (int(code) if code.isdigit() else 0), lines
        raise _Stop

    async def start_tls(self) -> None:
        """Upgrade to TLS, noting the result; stops the conversation when it fails.

        Raises:
            _Mismatch: the certificate is valid but for other names.
            _Stop: TLS failed otherwise.
        """
        facts = self.facts
        try:
            async with asyncio.timeout(self._timeout):
                await self._writer.start_tls(
                    self._context, server_hostname=self._host, ssl_handshake_timeout=self._timeout
                )
        except ssl.SSLCertVerificationError as exc:
            if exc.verify_code == _HOSTNAME_MISMATCH:
                raise _Mismatch(_shown(exc.verify_message or "hostname mismatch")) from None
            facts.tls = "untrusted"
            facts.tls_detail = _shown(exc.verify_message or str(exc))
            raise _Stop from None
        except TimeoutError:
            facts.tls = "timeout"
            raise _Stop from None
        except (ssl.SSLError, OSError, EOFError) as exc:
            facts.tls = "failed"
            facts.tls_detail = _shown(getattr(exc, "reason", None) or type(exc).__name__)
            raise _Stop from None
        facts.tls = "ok"
        ssl_object = self._writer.get_extra_info("ssl_object")
        if isinstance(ssl_object, ssl.SSLObject):
            facts.tls_version = ssl_object.version()
            facts.cert_names = _cert_names(ssl_object.getpeercert())

    async def close(self) -> None:
        """Close without waiting long for a server that does not close back."""
        writer = self._writer
        writer.close()
        try:
            async with asyncio.timeout(1.0):
                await writer.wait_closed()
        except (OSError, TimeoutError, ssl.SSLError):
            writer.transport.abort()
        except asyncio.CancelledError:
            writer.transport.abort()
            raise

    # -- greetings ----------------------------------------------------------------------

    async def greet(self, protocol: Protocol) -> None:
        """Read the greeting; silent, closed and error greetings stop the conversation."""
        facts = self.facts
        try:
            async with asyncio.timeout(self._timeout):
                raw = await self._reader.readline()
        except TimeoutError:
            facts.greeting = "silent"
            raise _Stop from None
        except (ValueError, OSError):
            facts.greeting = "closed"
            raise _Stop from None
        if not raw:
            facts.greeting = "closed"
            raise _Stop
        first = raw.decode("utf-8", "replace").rstrip("\r\n")
        facts.greeting_line = _shown(first)
        if protocol == "smtp":
            ok = first.startswith("220")
        elif protocol == "pop3":
            ok = first.startswith("+OK")
        else:
            ok = first.upper().startswith(("* OK", "* PREAUTH"))
            self._imap_greeting = first
        facts.greeting = "ok" if ok else "bad"
        if not ok:
            raise _Stop
        line = first
        for _ in range(_MAX_LINES):  # the rest of a multi-line "220-" greeting
            if protocol != "smtp" or len(line) < 4 or line[3] != "-":
                break
            line = await self._line()

    # -- SMTP ---------------------------------------------------------------------------

    async def smtp(self, *, starttls: bool) -> None:
        """EHLO, STARTTLS when asked, EHLO again; note SIZE and AUTH.

        Raises:
            _Stop: the server refused EHLO (noted), or the conversation broke off.
        """
        capabilities = await self._ehlo()
        if starttls:
            offered = "STARTTLS" in capabilities
            self.facts.starttls_offered = offered
            if offered:
                await self._send("STARTTLS")
                code, lines = await self._smtp_reply()
                if code != 220:
                    self.facts.tls = "failed"
                    self.facts.tls_detail = _shown(f"{code} {' '.join(lines)}")
                    raise _Stop
                await self.start_tls()
                capabilities = await self._ehlo()
        self._note_smtp(capabilities)
        with contextlib.suppress(_Stop):
            await self._send("QUIT")

    async def _ehlo(self) -> dict[str, str]:
        await self._send(f"EHLO {_EHLO_NAME}")
        code, lines = await self._smtp_reply()
        if code != 250:
            self.facts.ehlo_refused = _shown(f"{code} {' '.join(lines)}")
            raise _Stop
        capabilities: dict[str, str] = {}
        for line in lines[1:]:
            keyword, _, value = line.strip().partition(" ")
            keyword = keyword.upper()
            if keyword.startswith("AUTH="):  # the pre-RFC 4954 form some servers still send
                keyword, value = "AUTH", keyword[5:] + " " + value
            if keyword in capabilities:
                value = f"{capabilities[keyword]} {value}"
            capabilities[keyword] = value.strip()
        return capabilities

    def _note_smtp(self, capabilities: dict[str, str]) -> None:
        size = capabilities.get("SIZE", "")
        if size.isdigit() and int(size) > 0:
            self.facts.size = int(size)
        if "AUTH" in capabilities:
            self.facts.auth = tuple(dict.fromkeys(m.upper() for m in capabilities["AUTH"].split()))

    # -- POP3 ---------------------------------------------------------------------------

    async def pop3(self, *, starttls: bool) -> None:
        """CAPA and STLS when asked."""
        if starttls:
            await self._send("CAPA")
            first = await self._line()
            capabilities: set[str] = set()
            if first.startswith("+OK"):
                for _ in range(_MAX_LINES):
                    line = await self._line()
                    if line == ".":
                        break
                    capabilities.add(line.split(" ", 1)[0].upper())
            offered = "STLS" in capabilities
            self.facts.starttls_offered = offered
            if offered:
                await self._send("STLS")
                reply = await self._line()
                if not reply.startswith("+OK"):
                    self.facts.tls = "failed"
                    self.facts.tls_detail = _shown(reply)
                    raise _Stop
                await self.start_tls()
        with contextlib.suppress(_Stop):
            await self._send("QUIT")

    # -- IMAP ---------------------------------------------------------------------------

    async def imap(self, *, starttls: bool) -> None:
        """CAPABILITY and STARTTLS when asked."""
        if starttls:
            capabilities = _imap_capabilities(self._imap_greeting)
            if not capabilities:
                await self._send("a1 CAPABILITY")
                for _ in range(_MAX_LINES):
                    line = await self._line()
                    if line.upper().startswith("* CAPABILITY"):
                        capabilities = {c.upper() for c in line.split()[2:]}
                    elif line.startswith("a1 "):
                        break
            offered = "STARTTLS" in capabilities
            self.facts.starttls_offered = offered
            if offered:
                await self._send("a2 STARTTLS")
                for _ in range(_MAX_LINES):
                    reply = await self._line()
                    if reply.startswith("a2 "):
                        break
                if not reply.upper().startswith("A2 OK"):
                    self.facts.tls = "failed"
                    self.facts.tls_detail = _shown(reply)
                    raise _Stop
                await self.start_tls()
        with contextlib.suppress(_Stop):
            await self._send("a3 LOGOUT")


def _imap_capabilities(greeting: str) -> set[str]:
    upper = greeting.upper()
    start = upper.find("[CAPABILITY ")
    if start < 0:
        return set()
    end = upper.find("]", start)
    return set(upper[start + 12 : end if end > 0 else None].split())


def _cert_names(cert: object) -> tuple[str, ...]:
    """The DNS names and IP addresses a (decoded) certificate carries."""
    if not isinstance(cert, dict):
        return ()
    names = [value for kind, value in cert.get("subjectAltName", ()) if kind in ("DNS", "IP Address")]
    if not names:
        for rdn in cert.get("subject", ()):
            names.extend(value for key, value in rdn if key == "commonName")
    return tuple(dict.fromkeys(str(n) for n in names))


def _shown(text: str) -> str:
    """Text from the other side, safe to show: printable and short."""
    clean = "".join(ch if ch.isprintable() else " " for ch in str(text)).strip()
    return clean if len(clean) <= _MAX_SHOWN else clean[: _MAX_SHOWN - 1] + "…"
