"""Real servers on loopback for the checks: a DNS server (UDP and TCP), mail servers, CAs.

Nothing here leaves the machine: the DNS server answers from the zone below, the mail
servers listen on 127.0.0.1, and the probes reach them through :class:`LoopbackConnector`,
which maps a mail port (25, 465...) to the port the test server really listens on (tests
cannot bind the privileged ports, and must not collide with other suites).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.smtp import SMTP, AuthResult
from dnslib import AAAA, CNAME, MX, QTYPE, RCODE, RR, SOA, TXT, A, DNSError, DNSLabel, DNSRecord
from dnslib.server import DNSHandler, DNSServer

from bot.checks.resolver import DnsAnswer, RecordType
from bot.config import Settings

DOMAIN = "mailmedic.test"
PUBLIC_A = "93.184.216.34"

# name -> [(type, rdata)]; a name listed with [] exists with no records (an empty non-terminal).
ZONE: dict[str, list[tuple[str, Any]]] = {
    # a good domain: two MX hosts, one with A, one with AAAA, SPF and DMARC
    "good.test": [
        ("MX", MX("mx1.good.test", 10)),
        ("MX", MX("mx2.good.test", 20)),
        ("TXT", TXT("v=spf1 mx ip4:93.184.216.0/24 -all")),
        ("TXT", TXT("google-site-verification=abc")),
    ],
    "mx1.good.test": [("A", A(PUBLIC_A))],
    "mx2.good.test": [("AAAA", AAAA("2a00:1450:4001:80b::1"))],
    "_dmarc.good.test": [("TXT", TXT("v=DMARC1; p=reject; rua=mailto:dmarc@good.test"))],
    # the MX host exists in the zone (it has a TXT record) but has no A/AAAA
    "nohost.test": [("MX", MX("ghost.nohost.test", 10))],
    "ghost.nohost.test": [("TXT", TXT("this host has no address"))],
    # the MX host does not exist at all
    "lostmx.test": [("MX", MX("gone.lostmx.test", 10))],
    # RFC 7505 null MX
    "nullmx.test": [("MX", MX(".", 0))],
    # no MX, an A record: implicit MX
    "nomx.test": [("A", A("93.184.216.35"))],
    # no MX, no address
    "empty.test": [("TXT", TXT("v=spf1 -all"))],
    # an MX at a CNAME
    "cname.test": [("MX", MX("alias.cname.test", 10))],
    "alias.cname.test": [("CNAME", CNAME("real.cname.test"))],
    "real.cname.test": [("A", A("93.184.216.36"))],
    # an MX host on a private address
    "privmx.test": [("MX", MX("mx.privmx.test", 10))],
    "mx.privmx.test": [("A", A("10.1.2.3"))],
    # sender policies gone wrong
    "badpolicy.test": [
        ("MX", MX("mx1.good.test", 10)),
        ("TXT", TXT("v=spf1 include:_spf.example.net ~all")),
        ("TXT", TXT("v=spf1 mx -all")),
    ],
    "_dmarc.badpolicy.test": [("TXT", TXT("v=DMARC1; rua=mailto:x@badpolicy.test"))],
    "openspf.test": [("MX", MX("mx1.good.test", 10)), ("TXT", TXT("v=spf1 a mx +all"))],
    "_dmarc.openspf.test": [("TXT", TXT("v=DMARC1; p=none"))],
    "typospf.test": [("MX", MX("mx1.good.test", 10)), ("TXT", TXT("v=spf1 ip4:300.1.1.1 mx foo -all"))],
    "nopolicy.test": [("MX", MX("mx1.good.test", 10))],
    "badpct.test": [("MX", MX("mx1.good.test", 10)), ("TXT", TXT("v=spf1 mx -all"))],
    "_dmarc.badpct.test": [("TXT", TXT("v=DMARC1; p=reject; pct=abc"))],
    # SPF trees: includes within the limit, through redirect=, and gone wrong
    "nested.test": [("MX", MX("mx1.good.test", 10)), ("TXT", TXT("v=spf1 include:_spf.nested.test mx -all"))],
    "_spf.nested.test": [("TXT", TXT("v=spf1 include:_a.nested.test include:_b.nested.test ~all"))],
    "_a.nested.test": [("TXT", TXT("v=spf1 ip4:93.184.216.0/24 ~all"))],
    "_b.nested.test": [("TXT", TXT("v=spf1 a:mx1.good.test ip6:2a00:1450::/32 ~all"))],
    "_dmarc.nested.test": [("TXT", TXT("v=DMARC1; p=quarantine"))],
    # eleven levels of includes beside two cheap terms: the eleventh lookup is never asked
    "deep.test": [
        ("MX", MX("mx1.good.test", 10)),
        ("TXT", TXT("v=spf1 include:l1.deep.test include:side.deep.test mx -all")),
    ],
    **{f"l{i}.deep.test": [("TXT", TXT(f"v=spf1 include:l{i + 1}.deep.test ~all"))] for i in range(1, 12)},
    "l12.deep.test": [("TXT", TXT("v=spf1 ip4:93.184.216.0/24 ~all"))],
    "side.deep.test": [("TXT", TXT("v=spf1 ip4:93.184.216.0/24 ~all"))],
    # includes of a name without SPF and of a name that does not exist
    "noinc.test": [
        ("MX", MX("mx1.good.test", 10)),
        ("TXT", TXT("v=spf1 include:nospf.noinc.test include:gone.noinc.test -all")),
    ],
    "nospf.noinc.test": [("TXT", TXT("google-site-verification=abc"))],
    # a loop: loop.test -> a.loop.test -> b.loop.test -> loop.test
    "loop.test": [("MX", MX("mx1.good.test", 10)), ("TXT", TXT("v=spf1 include:a.loop.test -all"))],
    "a.loop.test": [("TXT", TXT("v=spf1 include:b.loop.test ~all"))],
    "b.loop.test": [("TXT", TXT("v=spf1 ip4:93.184.216.0/24 include:loop.test ~all"))],
    # redirect=, followed; and an included record with its own faults
    "redir.test": [("MX", MX("mx1.good.test", 10)), ("TXT", TXT("v=spf1 redirect=_spf.redir.test"))],
    "_spf.redir.test": [("TXT", TXT("v=spf1 ip4:93.184.216.0/24 include:_a.nested.test -all"))],
    "redirnone.test": [("MX", MX("mx1.good.test", 10)), ("TXT", TXT("v=spf1 redirect=_spf.nothing.test"))],
    "badinc.test": [("MX", MX("mx1.good.test", 10)), ("TXT", TXT("v=spf1 include:_spf.badinc.test -all"))],
    "_spf.badinc.test": [("TXT", TXT("v=spf1 ip4:300.1.1.1 +all"))],
    "twoinc.test": [("MX", MX("mx1.good.test", 10)), ("TXT", TXT("v=spf1 include:_spf.twoinc.test -all"))],
    "_spf.twoinc.test": [("TXT", TXT("v=spf1 ip4:93.184.216.0/24 -all")), ("TXT", TXT("v=spf1 -all"))],
    # void lookups: three names with nothing behind them, and two
    "void.test": [
        ("MX", MX("mx1.good.test", 10)),
        ("TXT", TXT("v=spf1 a:none1.void.test mx:none2.void.test exists:none3.void.test -all")),
    ],
    "twovoid.test": [
        ("MX", MX("mx1.good.test", 10)),
        ("TXT", TXT("v=spf1 a:none1.void.test mx:none2.void.test a:mx1.good.test -all")),
    ],
    # one include at a name whose server never answers (see SILENT), beside a good one
    "silentinc.test": [
        ("MX", MX("mx1.good.test", 10)),
        ("TXT", TXT("v=spf1 include:_spf.silentinc.test include:_a.nested.test -all")),
    ],
    "_spf.silentinc.test": [("TXT", TXT("v=spf1 -all"))],
    # DMARC from the organisational domain: with sp=, without sp=, and none at all
    "mail.inherit.test": [("MX", MX("mx1.good.test", 10))],
    "_dmarc.inherit.test": [("TXT", TXT("v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@inherit.test"))],
    "mail.nosp.test": [("MX", MX("mx1.good.test", 10))],
    "_dmarc.nosp.test": [("TXT", TXT("v=DMARC1; p=reject"))],
    "mail.nopolicy.test": [("MX", MX("mx1.good.test", 10))],
    "mail.badsp.test": [("MX", MX("mx1.good.test", 10))],
    "_dmarc.badsp.test": [("TXT", TXT("v=DMARC1; p=reject; sp=bogus"))],
    # an answer too big for 512 bytes of UDP: the resolver has to retry over TCP
    "big.test": [("MX", MX(f"mx{i:02d}.big-provider-with-a-long-name.test", i)) for i in range(1, 31)],
    # hosts for the port probes
    f"ssl0.{DOMAIN}": [("A", A("127.0.0.1"))],
    f"smtp.{DOMAIN}": [("A", A("127.0.0.1"))],
    f"intranet.{DOMAIN}": [("A", A("10.0.0.5"))],
    f"mixed.{DOMAIN}": [("A", A(PUBLIC_A)), ("A", A("192.168.1.1"))],
    f"v6loop.{DOMAIN}": [("AAAA", AAAA("::ffff:7f00:1"))],
    f"noaddr.{DOMAIN}": [("TXT", TXT("no address here"))],
}
SERVFAIL = {"servfail.test"}
SILENT = {"_spf.silentinc.test"}  # the server reads the question and never answers


class Zone:
    """A dnslib resolver that gets NoAnswer right: NOERROR with an empty answer (and the
    SOA in the authority section) for a name that exists without that type; NXDOMAIN only
    for names that do not exist. dnslib's stock ZoneResolver says NXDOMAIN for both."""

    def __init__(self, zone: dict[str, list[tuple[str, Any]]]) -> None:
        self._zone = {DNSLabel(name): rrs for name, rrs in zone.items()}
        self._exists = set(self._zone)
        for name in list(self._zone):
            label = name
            while len(label.label) > 1:  # parents are empty non-terminals
                label = DNSLabel(label.label[1:])
                self._exists.add(label)
        self.questions: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()

    def resolve(self, request: DNSRecord, handler: DNSHandler) -> DNSRecord:
        reply = request.reply()
        qname, qtype = request.q.qname, QTYPE[request.q.qtype]
        with self._lock:
            self.questions.append((str(qname).rstrip("."), qtype, handler.protocol))
        if str(qname).rstrip(".") in SILENT:
            raise DNSError("silent name: no reply")  # dnslib's handler then sends nothing
        if str(qname).rstrip(".") in SERVFAIL:
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        name = qname
        for _ in range(8):  # follow CNAMEs inside the zone
            if name not in self._exists:
                reply.header.rcode = RCODE.NXDOMAIN
                reply.add_auth(self._soa())
                return reply
            records = self._zone.get(name, [])
            aliases = [rd for rt, rd in records if rt == "CNAME"]
            if aliases and qtype != "CNAME":
                reply.add_answer(RR(name, QTYPE.CNAME, rdata=aliases[0], ttl=60))
                name = aliases[0].label
                continue
            matching = [rd for rt, rd in records if rt == qtype]
            for rdata in matching:
                reply.add_answer(RR(name, getattr(QTYPE, qtype), rdata=rdata, ttl=60))
            if not matching:
                reply.add_auth(self._soa())
            return reply
        return reply

    @staticmethod
    def _soa() -> RR:
        return RR("test", QTYPE.SOA, rdata=SOA("ns.test", "hostmaster.test", (1, 3600, 600, 86400, 60)), ttl=60)


class _Quiet:
    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


class _Truncating(DNSHandler):
    """Answers bigger than 512 bytes go out over UDP with TC set and the question kept, as a
    real server does (dnslib's own truncate() drops the question, which resolvers reject);
    the client then asks again over TCP."""

    def get_reply(self, data: bytes) -> bytes:
        request = DNSRecord.parse(data)
        reply = self.server.resolver.resolve(request, self)
        packed = reply.pack()
        if self.protocol == "udp" and len(packed) > 512:
            truncated = request.reply()
            truncated.header.tc = 1
            packed = truncated.pack()
        return packed


@dataclass
class DnsFixture:
    port: int
    zone: Zone

    @property
    def servers(self) -> tuple[str, ...]:
        return (f"127.0.0.1:{self.port}",)

    def asked(self, name: str) -> list[tuple[str, str, str]]:
        return [q for q in self.zone.questions if q[0] == name]


@pytest.fixture(scope="session")
def dns_server() -> Iterator[DnsFixture]:
    """A real DNS server on 127.0.0.1, UDP and TCP on the same port."""
    zone = Zone(ZONE)
    for _ in range(20):
        udp = DNSServer(zone, address="127.0.0.1", port=0, logger=_Quiet(), handler=_Truncating)
        port = udp.server.server_address[1]
        try:
            tcp = DNSServer(zone, address="127.0.0.1", port=port, tcp=True, logger=_Quiet(), handler=_Truncating)
        except OSError:
            udp.server.server_close()
            continue
        break
    else:  # pragma: no cover
        raise RuntimeError("no free port pair for the DNS server")
    udp.start_thread()
    tcp.start_thread()
    yield DnsFixture(port, zone)
    for server in (udp, tcp):
        server.stop()
        server.server.server_close()
        server.thread.join(timeout=5)


@pytest.fixture(scope="session")
def silent_dns() -> Iterator[str]:
    """A 'DNS server' that never answers: a bound UDP socket nobody reads."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MAILMEDIC_ALLOW_LOOPBACK", "MAILMEDIC_DNS_SERVERS", "MAILMEDIC_CHECK_RATE", "MAILMEDIC_CHECK_BUDGET", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)


# -- certificates -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def trust_test_ca(ca_file: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the system trust store at the test CA, the way an operator would."""
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return ca_file


@pytest.fixture(scope="session")
def server_context(ca: trustme.CA) -> ssl.SSLContext:
    """A server context whose certificate is for ssl0.<test domain> only."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(f"ssl0.{DOMAIN}").configure_cert(context)
    return context


@pytest.fixture(scope="session")
def stranger_context() -> ssl.SSLContext:
    """A server context whose certificate comes from a CA nobody trusts."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert(f"ssl0.{DOMAIN}").configure_cert(context)
    return context


# -- mail servers -------------------------------------------------------------------------


class _Sink:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # pragma: no cover
        return "250 OK"


def _no_login(*args: Any) -> AuthResult:  # pragma: no cover - the probe never logs in
    return AuthResult(success=False, handled=False)


@dataclass
class Servers:
    """Loopback servers of one test, by role; closed at the end of the test."""

    ports: dict[str, int] = field(default_factory=dict)
    closers: list[Any] = field(default_factory=list)
    accepted: dict[str, int] = field(default_factory=dict)


@pytest.fixture
async def servers(server_context: ssl.SSLContext, stranger_context: ssl.SSLContext) -> AsyncIterator[Servers]:
    loop = asyncio.get_running_loop()
    out = Servers()

    async def smtp(role: str, *, tls: ssl.SSLContext | None = None, implicit: ssl.SSLContext | None = None) -> None:
        def factory() -> SMTP:
            out.accepted[role] = out.accepted.get(role, 0) + 1
            return SMTP(
                _Sink(),
                hostname=f"ssl0.{DOMAIN}",
                ident="mailmedic-test ESMTP",
                data_size_limit=10 * 1024 * 1024,
                tls_context=tls,
                authenticator=_no_login,
                auth_require_tls=implicit is None,
            )

        server = await loop.create_server(factory, "127.0.0.1", 0, ssl=implicit)
        out.ports[role] = server.sockets[0].getsockname()[1]
        out.closers.append(server)

    await smtp("smtp-starttls", tls=server_context)
    await smtp("smtp-implicit", implicit=server_context)
    await smtp("smtp-plain")
    await smtp("smtp-stranger", implicit=stranger_context)

    async def stream(role: str, handler: Any, *, implicit: ssl.SSLContext | None = None) -> None:
        async def counted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            out.accepted[role] = out.accepted.get(role, 0) + 1
            try:
                await handler(reader, writer, server_context)
            except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()

        server = await asyncio.start_server(counted, "127.0.0.1", 0, ssl=implicit)
        out.ports[role] = server.sockets[0].getsockname()[1]
        out.closers.append(server)

    await stream("pop3-stls", _pop3)
    await stream("pop3-implicit", _pop3_tls, implicit=server_context)
    await stream("imap-starttls", _imap)
    await stream("imap-implicit", _imap_tls, implicit=server_context)
    await stream("silent", _silent)

    # refused: a port that was bound, then closed, so nothing listens there
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    out.ports["refused"] = probe.getsockname()[1]
    probe.close()

    # never accepts: a listening socket whose backlog is full, so new SYNs are dropped
    full = socket.socket()
    full.bind(("127.0.0.1", 0))
    full.listen(0)
    out.ports["never"] = full.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", out.ports["never"]))
        fillers.append(filler)
    await asyncio.sleep(0.05)

    yield out

    for server in out.closers:
        server.close()
        with contextlib.suppress(Exception):
            await server.wait_closed()
    for filler in fillers:
        filler.close()
    full.close()


async def _pop3(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, context: ssl.SSLContext) -> None:
    writer.write(b"+OK POP3 mailmedic-test ready\r\n")
    while line := await reader.readline():
        command = line.strip().upper()
        if command == b"CAPA":
            writer.write(b"+OK Capability list follows\r\nUSER\r\nSTLS\r\nUIDL\r\n.\r\n")
        elif command == b"STLS":
            writer.write(b"+OK Begin TLS negotiation\r\n")
            await writer.drain()
            await writer.start_tls(context)
        elif command == b"QUIT":
            writer.write(b"+OK Bye\r\n")
            await writer.drain()
            return
        else:
            writer.write(b"-ERR unknown command\r\n")
        await writer.drain()


async def _pop3_tls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, context: ssl.SSLContext) -> None:
    writer.write(b"+OK POP3S mailmedic-test ready\r\n")
    await writer.drain()
    if (await reader.readline()).strip().upper() == b"QUIT":
        writer.write(b"+OK Bye\r\n")
        await writer.drain()


async def _imap(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, context: ssl.SSLContext) -> None:
    writer.write(b"* OK IMAP4rev1 mailmedic-test ready\r\n")
    while line := await reader.readline():
        tag, _, command = line.strip().partition(b" ")
        command = command.upper()
        if command == b"CAPABILITY":
            writer.write(b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n" + tag + b" OK CAPABILITY completed\r\n")
        elif command == b"STARTTLS":
            writer.write(tag + b" OK Begin TLS negotiation now\r\n")
            await writer.drain()
            await writer.start_tls(context)
        elif command == b"LOGOUT":
            writer.write(b"* BYE logging out\r\n" + tag + b" OK LOGOUT completed\r\n")
            await writer.drain()
            return
        else:
            writer.write(tag + b" BAD unknown command\r\n")
        await writer.drain()


async def _imap_tls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, context: ssl.SSLContext) -> None:
    writer.write(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] IMAPS mailmedic-test ready\r\n")
    await writer.drain()
    await reader.readline()


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, context: ssl.SSLContext) -> None:
    await reader.read()  # says nothing; waits until the client hangs up


# -- seams for tests ----------------------------------------------------------------------


class LoopbackConnector:
    """Opens real TCP connections on loopback, mapping a mail port to a test server's port.

    It refuses anything but 127.0.0.1 and ::1, so a guard bug cannot reach out.
    """

    def __init__(self, mapping: dict[int, int]) -> None:
        self.mapping = mapping
        self.calls: list[tuple[str, int]] = []

    async def connect(self, address: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        self.calls.append((address, port))
        assert address in ("127.0.0.1", "::1"), f"a test tried to reach {address}"
        return await asyncio.open_connection("127.0.0.1", self.mapping[port])


class RecordingConnector:
    """Records every connection attempt and makes none."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    async def connect(self, address: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        self.calls.append((address, port))
        raise ConnectionRefusedError("recording connector")


class RecordingResolver:
    """Records every question; answers from a small table, NXDOMAIN otherwise."""

    def __init__(self, answers: dict[tuple[str, str], tuple[str, ...]] | None = None) -> None:
        self.answers = answers or {}
        self.calls: list[tuple[str, str]] = []

    async def resolve(self, name: str, rdtype: RecordType) -> DnsAnswer:
        self.calls.append((name, rdtype))
        records = self.answers.get((name, rdtype))
        if records:
            return DnsAnswer(name, rdtype, "ok", records)
        if any(n == name for n, _ in self.answers):
            return DnsAnswer(name, rdtype, "noanswer")
        return DnsAnswer(name, rdtype, "nxdomain")


class ForwardingRecorder:
    """Records every question and passes it on to ``inner`` (a real resolver)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[tuple[str, str]] = []

    async def resolve(self, name: str, rdtype: RecordType) -> DnsAnswer:
        self.calls.append((name, rdtype))
        answer: DnsAnswer = await self.inner.resolve(name, rdtype)
        return answer


def settings(**overrides: Any) -> Settings:
    """Settings for a test: the environment's defaults with ``overrides``."""
    base = Settings.from_env({})
    from dataclasses import replace

    return replace(base, **overrides)


async def start_scripted(lines: list[bytes], *, then_close: bool = False) -> tuple[asyncio.AbstractServer, int]:
    """A server that writes ``lines`` on connect (one per client command after the first)
    and then waits, or closes when ``then_close``."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            for index, line in enumerate(lines):
                if index:
                    if not await reader.readline():
                        return
                writer.write(line)
                await writer.drain()
            if not then_close:
                await reader.read()
        except ConnectionError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]
