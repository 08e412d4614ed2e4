"""The MX check: where a domain's mail goes, and whether those hosts exist.

It tells apart what a bounce lumps together:

- NXDOMAIN: the domain does not exist.
- No MX at all: implicit MX, mail falls back to the domain's own A/AAAA (or nowhere).
- Null MX (RFC 7505, ``0 .``): the domain says it accepts no mail.
- An MX host without A/AAAA ("Host found but no data record of requested type": the host
  is missing from its zone), or one that does not exist.
- An MX host that is an alias (CNAME), which RFC 2181 forbids and some senders refuse.
- A timeout or SERVFAIL: the DNS did not answer, which says nothing about the domain.

Only our resolver is asked; nothing connects to the hosts found.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging

from ..errors import GuardError
from ..models import Finding, Verdict
from .guard import MAX_TARGETS, vet_address
from .report import Report
from .resolver import DnsAnswer, Resolver

log = logging.getLogger(__name__)

__all__ = ["check_mx", "describe"]

_STATUS_TEXT = {
    "nxdomain": "NXDOMAIN",
    "noanswer": "NOERROR, no records",
    "servfail": "SERVFAIL",
    "timeout": "no answer (timeout)",
}


def describe(answer: DnsAnswer) -> str:
    """One line of evidence for an answer: ``mx1.example.com A 192.0.2.1`` or its status."""
    head = f"{answer.name} {answer.rdtype}"
    if answer.status == "ok":
        via = f" (CNAME -> {answer.canonical})" if answer.canonical else ""
        return f"{head}{via} " + ", ".join(answer.records)
    return f"{head} {_STATUS_TEXT[answer.status]}"


async def check_mx(resolver: Resolver, report: Report, domain: str, sink: list[Finding]) -> None:
    """Check the MX of ``domain``, appending findings to ``sink`` as they are made.

    Findings are appended as soon as they are known, so a request that runs out of time
    still shows what was learned.

    Args:
        resolver: our resolver.
        report: makes localised findings.
        domain: a vetted domain (IDNA ASCII, no final dot).
        sink: where the findings go, in order.
    """
    answer = await resolver.resolve(domain, "MX")
    if answer.status == "nxdomain":
        sink.append(
            report.finding(
                "mx", domain, "problem", "mx.nxdomain",
                evidence=(describe(answer),), entry_id="remote-domain-not-found", confirms=True,
            )
        )
        return
    if answer.status in ("timeout", "servfail"):
        sink.append(report.finding("mx", domain, "unknown", f"mx.{answer.status}", evidence=(describe(answer),)))
        return
    if answer.status == "noanswer":
        await _implicit_mx(resolver, report, domain, answer, sink)
        return

    records = sorted(_parse_mx(answer.records))
    if any(host == "." for _, host in records):
        key = "mx.null" if len(records) == 1 else "mx.null-mixed"
        sink.append(report.finding("mx", domain, "problem", key, evidence=(describe(answer),)))
        return
    hosts = list(dict.fromkeys(host for _, host in records))
    sink.append(
        report.finding(
            "mx", domain, "ok", "mx.found",
            evidence=tuple(f"{pref} {host}" for pref, host in records),
            entry_id="remote-domain-not-found", confirms=False,
            count=len(records), hosts=", ".join(hosts),
        )
    )
    if len(hosts) > MAX_TARGETS:
        sink.append(
            report.finding("mx", domain, "unknown", "mx.truncated", count=len(hosts), limit=MAX_TARGETS)
        )
    checked = hosts[:MAX_TARGETS]
    results = await asyncio.gather(*(_addresses(resolver, host) for host in checked))
    for host, (a, aaaa) in zip(checked, results):
        sink.extend(_host_findings(report, domain, host, a, aaaa))


async def _addresses(resolver: Resolver, name: str) -> tuple[DnsAnswer, DnsAnswer]:
    a, aaaa = await asyncio.gather(resolver.resolve(name, "A"), resolver.resolve(name, "AAAA"))
    return a, aaaa


async def _implicit_mx(
    resolver: Resolver, report: Report, domain: str, mx: DnsAnswer, sink: list[Finding]
) -> None:
    a, aaaa = await _addresses(resolver, domain)
    evidence = (describe(mx), describe(a), describe(aaaa))
    found = a.records + aaaa.records
    if found:
        sink.append(
            report.finding(
                "mx", domain, "problem", "mx.implicit", evidence=evidence, addresses=", ".join(found)
            )
        )
        sink.extend(_public_findings(report, domain, found))
    elif "timeout" in (a.status, aaaa.status) or "servfail" in (a.status, aaaa.status):
        sink.append(report.finding("mx", domain, "unknown", "mx.timeout", evidence=evidence))
    else:
        sink.append(report.finding("mx", domain, "problem", "mx.none", evidence=evidence))


def _host_findings(report: Report, domain: str, host: str, a: DnsAnswer, aaaa: DnsAnswer) -> list[Finding]:
    evidence = (describe(a), describe(aaaa))
    found = a.records + aaaa.records
    out: list[Finding] = []
    if found:
        canonical = a.canonical or aaaa.canonical
        if canonical:
            out.append(
                report.finding(
                    "mx-host", host, "problem", "mx.cname", evidence=evidence, domain=domain, canonical=canonical
                )
            )
        else:
            out.append(
                report.finding(
                    "mx-host", host, "ok", "mx.host-ok", evidence=evidence,
                    entry_id="mx-host-no-record", confirms=False, addresses=", ".join(found),
                )
            )
        out.extend(_public_findings(report, host, found))
        return out
    outcome, verdict = addressless(a.status, aaaa.status)
    key = {"nxdomain": "mx.host-nxdomain", "noanswer": "mx.host-no-record", "timeout": "mx.host-timeout"}[outcome]
    confirms = True if verdict == "problem" else None
    out.append(
        report.finding(
            "mx-host", host, verdict, key, evidence=evidence,
            entry_id="mx-host-no-record" if confirms else None, confirms=confirms, domain=domain,
        )
    )
    return out


def _public_findings(report: Report, host: str, addresses: tuple[str, ...]) -> list[Finding]:
    """A problem for each address that the rest of the Internet cannot reach."""
    out: list[Finding] = []
    for text in addresses:
        try:
            vet_address(ipaddress.ip_address(text), allow_loopback=False)
        except GuardError as refusal:
            out.append(
                report.finding(
                    "mx-host", host, "problem", "mx.not-public", evidence=(f"{host} {text} ({refusal.reason})",),
                    address=text,
                )
            )
        except ValueError:
            continue
    return out


def _parse_mx(records: tuple[str, ...]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for record in records:
        pref, _, host = record.partition(" ")
        out.append((int(pref) if pref.isdigit() else 65535, host.strip().lower() if host.strip() != "." else "."))
    return out


def addressless(a_status: str, aaaa_status: str) -> tuple[str, Verdict]:
    """Why a host has no address, from its A and AAAA lookups.

    Returns:
        ``("nxdomain", "problem")`` when the name does not exist, ``("noanswer", "problem")``
        when it exists without an address record, ``("timeout", "unknown")`` when the DNS
        did not say.
    """
    statuses = {a_status, aaaa_status}
    if "nxdomain" in statuses:
        return "nxdomain", "problem"
    if statuses == {"noanswer"}:
        return "noanswer", "problem"
    return "timeout", "unknown"
