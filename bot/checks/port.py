"""Findings from a port probe: reachability, greeting, TLS, certificate names, SIZE, AUTH."""

from __future__ import annotations

import logging
from typing import Any

from ..models import Finding, Verdict
from .probe import ProbeResult
from .report import Report

log = logging.getLogger(__name__)

__all__ = ["port_findings"]

_SUBMISSION = (465, 587)


def port_findings(report: Report, result: ProbeResult) -> list[Finding]:
    """Turn what a probe saw into localised findings, in the order a client meets them."""
    target = f"{result.host}:{result.port}"
    smtp25 = result.port == 25
    unreachable_entry = "remote-smtp-unreachable" if smtp25 else None
    out: list[Finding] = []

    def add(verdict: Verdict, key: str, **kwargs: Any) -> None:
        out.append(report.finding("port", target, verdict, key, **kwargs))

    where = f"{result.address}:{result.port}"
    if result.connect != "ok":
        add(
            "problem", f"port.{result.connect}", evidence=(f"{where} {result.connect}",),
            entry_id=unreachable_entry, confirms=True if smtp25 else None, address=result.address,
        )
        return out
    add(
        "ok", "port.open", evidence=(f"{where} connected",),
        entry_id=unreachable_entry, confirms=False if smtp25 else None, address=result.address,
    )

    # On implicit-TLS ports the handshake comes before the greeting.
    if result.implicit_tls:
        _tls_findings(report, result, target, out)
        if result.tls not in ("ok", "mismatch"):
            return out
    greeting = result.greeting
    line = (result.greeting_line,) if result.greeting_line else ()
    if greeting == "ok":
        add("ok", "port.greeting", evidence=line, protocol=result.protocol.upper())
    elif greeting is not None:
        add("problem", f"port.greeting-{greeting}", evidence=line, protocol=result.protocol.upper())
        return out
    if result.ehlo_refused:
        add("unknown", "port.ehlo-refused", evidence=(result.ehlo_refused,))
    if not result.implicit_tls:
        if result.starttls_offered is False:
            add("problem", "port.no-starttls", entry_id="remote-tls-failed", confirms=True)
        elif result.starttls_offered:
            _tls_findings(report, result, target, out)
    if result.protocol == "smtp":
        if result.size is not None:
            add(
                "ok", "port.size", evidence=(f"SIZE {result.size}",), entry_id="message-too-large",
                size_mb=f"{result.size / 1048576:.1f}".rstrip("0").rstrip("."),
            )
        if result.auth:
            add("ok", "port.auth", evidence=("AUTH " + " ".join(result.auth),), methods=", ".join(result.auth))
        elif result.port in _SUBMISSION and result.tls in ("ok", "mismatch"):
            add("problem", "port.no-auth")
    return out


def _tls_findings(report: Report, result: ProbeResult, target: str, out: list[Finding]) -> None:
    names = ", ".join(result.cert_names)
    evidence = tuple(f"certificate name: {n}" for n in result.cert_names)
    if result.tls == "ok":
        out.append(
            report.finding(
                "tls", target, "ok", "port.tls-ok", evidence=(result.tls_version or "TLS",),
                entry_id="remote-tls-failed", confirms=False, version=result.tls_version or "TLS",
            )
        )
        out.append(
            report.finding(
                "certificate", target, "ok", "port.cert-ok", evidence=evidence,
                entry_id="tls-hostname-mismatch", confirms=False, host=result.host, names=names,
            )
        )
    elif result.tls == "mismatch":
        suggestion = next((n for n in result.cert_names if not n.startswith("*") and ":" not in n), "")
        key = "port.cert-mismatch-use" if suggestion else "port.cert-mismatch"
        out.append(
            report.finding(
                "certificate", target, "problem", key, evidence=(result.tls_detail, *evidence),
                entry_id="tls-hostname-mismatch", confirms=True,
                host=result.host, names=names or "?", name=suggestion,
            )
        )
    elif result.tls is not None:
        out.append(
            report.finding(
                "tls", target, "problem", f"port.tls-{result.tls}",
                evidence=(result.tls_detail,) if result.tls_detail else (),
                entry_id="remote-tls-failed", confirms=True, detail=result.tls_detail or "-",
            )
        )
