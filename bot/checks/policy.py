"""The sender policies of a domain: SPF (RFC 7208) and DMARC (RFC 7489) TXT records.

Present, well-formed, and what they ask receivers to do. Parsed here rather than with
checkdmarc: checkdmarc resolves through its own resolver, which would bypass our seam
(and the guard's choice of DNS servers), and it follows includes recursively, which costs
a request budget we keep for the user's own question. What is not done: counting the DNS
lookups of nested includes (only the record's own are counted), and the DMARC policy a
subdomain inherits from its organisational domain.
"""

from __future__ import annotations

import ipaddress
import logging
import re

from ..models import Finding
from .mx import describe
from .report import Report
from .resolver import Resolver

log = logging.getLogger(__name__)

__all__ = ["check_dmarc", "check_spf", "spf_errors"]

_SPF_MECHANISM = re.compile(
    r"^[+\-~?]?(all|include:\S+|exists:\S+|a(:[^/\s]+)?(/\d{1,2})?(//\d{1,3})?"
    r"|mx(:[^/\s]+)?(/\d{1,2})?(//\d{1,3})?|ptr(:\S+)?|ip4:\S+|ip6:\S+)$",
    re.IGNORECASE,
)
_SPF_MODIFIER = re.compile(r"^([a-z][a-z0-9_.-]*)=(\S*)$", re.IGNORECASE)
_LOOKUP_TERMS = ("include:", "a", "mx", "ptr", "exists:")
_DMARC_POLICIES = ("none", "quarantine", "reject")


def spf_errors(record: str) -> tuple[list[str], str, int]:
    """Read an SPF record.

    Args:
        record: the TXT record, starting with ``v=spf1``.

    Returns:
        The malformed terms, the policy of the record's end (``-all``, ``~all``, ``?all``,
        ``+all``, ``redirect=...`` or ``""`` when it has neither) and the number of DNS
        lookups the record itself asks for.
    """
    bad: list[str] = []
    policy = ""
    lookups = 0
    for term in record.split()[1:]:
        lowered = term.lower()
        if _SPF_MECHANISM.match(term):
            bare = lowered.lstrip("+-~?")
            if bare == "all":
                qualifier = lowered[0] if lowered[0] in "+-~?" else "+"
                policy = f"{qualifier}all"
            elif bare.startswith(("ip4:", "ip6:")):
                try:
                    network = ipaddress.ip_network(bare[4:], strict=False)
                except ValueError:
                    bad.append(term)
                    continue
                if network.version != (4 if bare.startswith("ip4:") else 6):
                    bad.append(term)
            elif bare.startswith(_LOOKUP_TERMS) and not bare.startswith("all"):
                lookups += 1
            continue
        modifier = _SPF_MODIFIER.match(term)
        if modifier is None:
            bad.append(term)
            continue
        if modifier.group(1).lower() == "redirect":
            lookups += 1
            policy = policy or f"redirect={modifier.group(2)}"
    return bad, policy, lookups


async def check_spf(resolver: Resolver, report: Report, domain: str, sink: list[Finding]) -> None:
    """Check the SPF record of ``domain``, appending findings to ``sink``."""
    answer = await resolver.resolve(domain, "TXT")
    evidence: tuple[str, ...] = (describe(answer),)
    if answer.status in ("timeout", "servfail"):
        sink.append(report.finding("spf", domain, "unknown", "spf.timeout", evidence=evidence))
        return
    if answer.status == "nxdomain":
        return  # the MX check has said the domain does not exist
    records = [r for r in answer.records if r.lower() == "v=spf1" or r.lower().startswith("v=spf1 ")]
    if not records:
        sink.append(_spf(report, domain, "problem", "spf.missing", evidence))
        return
    evidence = tuple(records)
    if len(records) > 1:
        sink.append(_spf(report, domain, "problem", "spf.multiple", evidence, count=len(records)))
        return
    bad, policy, lookups = spf_errors(records[0])
    if bad:
        sink.append(_spf(report, domain, "problem", "spf.syntax", evidence, terms=" ".join(bad)))
    elif policy == "+all":
        sink.append(_spf(report, domain, "problem", "spf.pass-all", evidence))
    elif lookups > 10:
        sink.append(_spf(report, domain, "problem", "spf.too-many-lookups", evidence, count=lookups))
    else:
        sink.append(_spf(report, domain, "ok", "spf.ok", evidence, policy=policy or "?all"))


async def check_dmarc(resolver: Resolver, report: Report, domain: str, sink: list[Finding]) -> None:
    """Check the DMARC record at ``_dmarc.<domain>``, appending findings to ``sink``."""
    name = f"_dmarc.{domain}"
    answer = await resolver.resolve(name, "TXT")
    evidence: tuple[str, ...] = (describe(answer),)
    if answer.status in ("timeout", "servfail"):
        sink.append(report.finding("dmarc", domain, "unknown", "dmarc.timeout", evidence=evidence))
        return
    records = [r for r in answer.records if r.replace(" ", "").upper().startswith("V=DMARC1")]
    if not records:
        sink.append(_dmarc(report, domain, "problem", "dmarc.missing", evidence))
        return
    evidence = tuple(records)
    if len(records) > 1:
        sink.append(_dmarc(report, domain, "problem", "dmarc.multiple", evidence, count=len(records)))
        return
    tags: dict[str, str] = {}
    for part in records[0].split(";"):
        key, sep, value = part.partition("=")
        if sep:
            tags.setdefault(key.strip().lower(), value.strip())
    policy = tags.get("p", "").lower()
    pct = tags.get("pct")
    if policy not in _DMARC_POLICIES:
        sink.append(_dmarc(report, domain, "problem", "dmarc.syntax", evidence, policy=policy or "-"))
    elif pct is not None and not (pct.isdigit() and 0 <= int(pct) <= 100):
        sink.append(_dmarc(report, domain, "problem", "dmarc.pct", evidence, pct=pct[:20]))
    elif policy == "none":
        sink.append(_dmarc(report, domain, "ok", "dmarc.monitoring", evidence))
    else:
        sink.append(_dmarc(report, domain, "ok", "dmarc.ok", evidence, policy=policy))


def _spf(report: Report, domain: str, verdict: str, key: str, evidence: tuple[str, ...], **params: object) -> Finding:
    return report.finding(
        "spf", domain, "problem" if verdict == "problem" else "ok", key, evidence=evidence,
        entry_id="spf-dmarc-failed", confirms=verdict == "problem", **params,
    )


def _dmarc(report: Report, domain: str, verdict: str, key: str, evidence: tuple[str, ...], **params: object) -> Finding:
    return report.finding(
        "dmarc", domain, "problem" if verdict == "problem" else "ok", key, evidence=evidence,
        entry_id="spf-dmarc-failed", confirms=verdict == "problem", **params,
    )
