"""Benchmark: ``check domain`` for 1 and for 50 domains at once, against a loopback DNS server.

    /work/venv/bin/python scripts/bench_checks.py [--delay 0.02] [--rounds 3]

Starts a dnslib DNS server on 127.0.0.1 (dnslib comes with the ``test`` extra) serving 50
domains, each with two MX hosts (A and AAAA), SPF and DMARC: eight DNS questions a domain
(the SPF record's ``mx`` term asks for the MX once more, to count void lookups).
``--delay`` makes the server wait before each answer, like a resolver a few milliseconds
away; with no delay the numbers only measure this process's CPU. Prints the time of one
domain, of 50 domains at once (50 concurrent requests, as 50 chat users would send), and
of the same 50 one after the other, so the gain of concurrency is visible.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dnslib import AAAA, MX, QTYPE, RCODE, RR, TXT, A, DNSLabel, DNSRecord  # noqa: E402
from dnslib.server import DNSServer  # noqa: E402

from bot.checks import GuardedChecker  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.knowledge import load_knowledge  # noqa: E402
from bot.models import CheckCommand  # noqa: E402

DOMAINS = [f"bench{i:02d}.test" for i in range(50)]


class _Zone:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.records: dict[DNSLabel, list[tuple[str, Any]]] = {}
        for i, domain in enumerate(DOMAINS):
            self.records[DNSLabel(domain)] = [
                ("MX", MX(f"mx1.{domain}", 10)),
                ("MX", MX(f"mx2.{domain}", 20)),
                ("TXT", TXT("v=spf1 mx -all")),
            ]
            self.records[DNSLabel(f"mx1.{domain}")] = [("A", A(f"93.184.216.{i + 1}"))]
            self.records[DNSLabel(f"mx2.{domain}")] = [("AAAA", AAAA(f"2a00:1450:4001:80b::{i + 1:x}"))]
            self.records[DNSLabel(f"_dmarc.{domain}")] = [("TXT", TXT("v=DMARC1; p=quarantine"))]
        self.questions = 0

    def resolve(self, request: DNSRecord, handler: Any) -> DNSRecord:
        self.questions += 1
        if self.delay:
            time.sleep(self.delay)
        reply = request.reply()
        records = self.records.get(request.q.qname)
        if records is None:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        qtype = QTYPE[request.q.qtype]
        for rtype, rdata in records:
            if rtype == qtype:
                reply.add_answer(RR(request.q.qname, getattr(QTYPE, rtype), rdata=rdata, ttl=60))
        return reply


class _Quiet:
    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


async def _bench(checker: GuardedChecker, domains: list[str], *, together: bool) -> float:
    started = time.perf_counter()
    commands = [CheckCommand("domain", (d,)) for d in domains]
    if together:
        outcomes = await asyncio.gather(*(checker.run(c, user=f"user{i}", language="en") for i, c in enumerate(commands)))
    else:
        outcomes = [await checker.run(c, user=f"user{i}", language="en") for i, c in enumerate(commands)]
    elapsed = time.perf_counter() - started
    bad = [o for o in outcomes if o.status != "ok"]
    if bad:
        raise SystemExit(f"unexpected outcome: {bad[0]}")
    return elapsed


async def _main(delay: float, rounds: int) -> None:
    zone = _Zone(delay)
    server = DNSServer(zone, address="127.0.0.1", port=0, logger=_Quiet())
    server.start_thread()
    port = server.server.server_address[1]
    try:
        settings = Settings(dns_servers=(f"127.0.0.1:{port}",), check_rate_per_minute=10_000)
        checker = GuardedChecker(settings, load_knowledge())
        await _bench(checker, DOMAINS[:1], together=True)  # warm up
        one = [await _bench(checker, DOMAINS[:1], together=True) for _ in range(rounds)]
        fifty = [await _bench(checker, DOMAINS, together=True) for _ in range(rounds)]
        serial = [await _bench(checker, DOMAINS, together=False) for _ in range(max(1, rounds // 2))]
    finally:
        server.stop()
        server.server.server_close()
    t1, t50, ts = statistics.median(one), statistics.median(fifty), statistics.median(serial)
    print(f"DNS server delay per answer: {delay * 1000:.0f} ms; {zone.questions} questions answered")
    print(f"check domain,  1 domain:             {t1 * 1000:8.1f} ms")
    print(f"check domain, 50 domains at once:    {t50 * 1000:8.1f} ms  ({t50 / t1:.1f} x one domain)")
    print(f"check domain, 50 domains in a row:   {ts * 1000:8.1f} ms  ({ts / t1:.1f} x one domain)")
    print(f"concurrency gain: {ts / t50:.1f} x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.02, help="seconds the DNS server waits per answer")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each measurement (the median is shown)")
    args = parser.parse_args()
    asyncio.run(_main(args.delay, args.rounds))


if __name__ == "__main__":
    main()
