"""GuardedChecker: the :class:`~bot.checks.Checker` the service uses.

A request goes through, in order:

1. the plan: every target read strictly and vetted (:mod:`bot.checks.guard`): mail ports
   only, IP literals public, names well-formed, at most ten targets. A refusal here sends
   nothing at all, not even a DNS question;
2. the per-user rate limit;
3. for ports, the resolution of every name by our resolver and the vetting of every
   address it returned; a name with a private address refuses the whole request before any
   connection is opened;
4. the checks themselves, within the request's time budget, with a cap on the probes and
   DNS questions in flight across all requests.

Whatever ran out of time is reported as such next to what was found in time.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import ssl
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from ..config import Settings
from ..errors import GuardError
from ..models import CheckCommand, CheckOutcome, CheckStatus, Finding
from .address import ParsedAddress, check_address, parse_address
from .connector import Connector, TcpConnector
from .deadline import wait_within
from .guard import (
    ALLOWED_PORTS,
    MAX_TARGETS,
    HostTarget,
    check_target_count,
    parse_domain,
    parse_host,
    parse_port,
    vet_address,
)
from .mx import addressless, check_mx, describe
from .policy import check_dmarc, check_spf
from .port import port_findings
from .probe import probe
from .ratelimit import Claims, Limiter, RateLimiter, SharedRateLimiter
from .report import Report, UiTexts
from .resolver import DnsAnswer, DnsResolver, RecordType, Resolver, parse_servers

log = logging.getLogger(__name__)

__all__ = ["GuardedChecker", "default_checker"]

_SPLIT = re.compile(r"[\s,;]+")
_REFUSAL_FINDING = "guard"
_SPF_RESERVE = 0.25  # seconds of the budget kept for reporting a cut-short SPF walk


@dataclass(frozen=True, slots=True)
class _PortTarget:
    host: HostTarget
    port: int


@dataclass(frozen=True, slots=True)
class _Plan:
    kind: str
    domains: tuple[str, ...] = ()
    addresses: tuple[ParsedAddress, ...] = ()
    ports: tuple[_PortTarget, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        if self.kind == "port":
            return tuple(f"{t.host.text}:{t.port}" for t in self.ports)
        if self.kind == "address":
            return tuple(a.core or a.raw for a in self.addresses)
        return self.domains


class _Capped:
    """A resolver that keeps at most ``slots`` questions in flight."""

    def __init__(self, inner: Resolver, slots: asyncio.Semaphore) -> None:
        self._inner = inner
        self._slots = slots

    async def resolve(self, name: str, rdtype: RecordType) -> DnsAnswer:
        async with self._slots:
            return await self._inner.resolve(name, rdtype)


class GuardedChecker:
    """Runs checks behind the guard, the rate limit and the time budget.

    Args:
        settings: ``allow_loopback``, ``dns_servers``, ``check_rate_per_minute`` and
            ``check_budget_seconds`` are read.
        knowledge: the interface strings (``ui_text``) the findings are written with.
        resolver: the DNS seam (default: dnspython, at ``settings.dns_servers`` when set).
        connector: the TCP seam (default: asyncio streams to the vetted address).
        clock: monotonic seconds for the rate limit (default :func:`time.monotonic`).
        limiter: the per-user rate limit (default: this process's own
            :class:`~bot.checks.ratelimit.RateLimiter` at ``check_rate_per_minute``).
        tls_context: makes the verifying TLS client context (default: the system trust
            store, which honours ``SSL_CERT_FILE``).
        probe_timeout: seconds for each probe step (connect, greeting, reply, handshake).
        dns_timeout: seconds for one DNS question, retries included.
        max_probes: port probes in flight at once, across requests.
        max_dns: DNS questions in flight at once, across requests.

    Raises:
        ConfigError: ``settings.dns_servers`` is malformed.
    """

    def __init__(
        self,
        settings: Settings,
        knowledge: UiTexts,
        *,
        resolver: Resolver | None = None,
        connector: Connector | None = None,
        clock: Callable[[], float] | None = None,
        tls_context: Callable[[], ssl.SSLContext] = ssl.create_default_context,
        probe_timeout: float = 5.0,
        dns_timeout: float = 3.0,
        max_probes: int = 10,
        max_dns: int = 64,
        limiter: Limiter | None = None,
    ) -> None:
        self._settings = settings
        self._texts = knowledge
        budget = settings.check_budget_seconds
        base = resolver or DnsResolver(parse_servers(settings.dns_servers), timeout=min(dns_timeout, budget))
        self._resolver = _Capped(base, asyncio.Semaphore(max_dns))
        self._connector = connector or TcpConnector()
        self._limiter = limiter or RateLimiter(settings.check_rate_per_minute, clock=clock or time.monotonic)
        self._tls_context = tls_context
        self._probe_timeout = min(probe_timeout, budget)
        self._probes = asyncio.Semaphore(max_probes)
        self._budget = budget

    async def run(self, command: CheckCommand, *, user: str, language: str) -> CheckOutcome:
        """Run ``command`` for ``user``, writing in ``language``. See :class:`~bot.checks.Checker`.

        Never raises: a refusal is ``status="refused"`` with a ``reason``, an unexpected
        failure is ``status="error"`` (logged with its traceback).
        """
        report = Report(self._texts, language)
        started = time.monotonic()
        try:
            plan = self._plan(command)
            wait = self._limiter.acquire(user)
            if wait:
                raise GuardError("rate-limited", detail=str(wait))
            findings = await self._execute(plan, report)
        except GuardError as refusal:
            # The service logs the one INFO line of the message; this is detail.
            log.debug("check %s refused: %s", command.kind, refusal.reason)
            log.debug("refused target %r", refusal.target)
            return self._refused(report, refusal, command)
        except Exception:
            log.exception("check %s failed", command.kind)
            return CheckOutcome(
                "error",
                (report.finding(_REFUSAL_FINDING, command.kind, "unknown", "error.internal"),),
                reason="internal",
            )
        status: CheckStatus = "problem" if any(f.verdict == "problem" for f in findings) else "ok"
        log.debug(
            "check %s: %d target(s), %s, %d finding(s) in %.2fs",
            plan.kind, len(plan.labels), status, len(findings), time.monotonic() - started,
        )
        return CheckOutcome(status, tuple(findings))

    # -- the plan: pure, nothing sent -------------------------------------------------------

    def _plan(self, command: CheckCommand) -> _Plan:
        kind = command.kind
        if kind in ("mx", "domain"):
            tokens = [t for arg in command.args for t in _SPLIT.split(arg) if t]
            check_target_count(len(tokens))
            domains = tuple(dict.fromkeys(parse_domain(t) for t in tokens))
            return _Plan(kind, domains=domains)
        if kind == "address":
            raw = [a for a in command.args if a.strip()]
            check_target_count(len(raw))
            return _Plan(kind, addresses=tuple(parse_address(a) for a in raw))
        if kind == "port":
            ports = self._port_targets(command.args)
            check_target_count(len(ports))
            return _Plan(kind, ports=ports)
        raise GuardError("unknown-check", target=str(kind))

    def _port_targets(self, args: Sequence[str]) -> tuple[_PortTarget, ...]:
        tokens = [t for arg in args for t in _SPLIT.split(arg) if t]
        targets: list[_PortTarget] = []
        current: HostTarget | None = None
        has_port = False
        for token in tokens:
            if current is not None and token.isascii() and token.isdigit():
                targets.append(_PortTarget(current, parse_port(token)))
                has_port = True
                if len(targets) > MAX_TARGETS:
                    check_target_count(len(targets))
                continue
            if current is not None and not has_port:
                raise GuardError("port-missing", target=current.text)
            host, port = _split_host_port(token)
            current = parse_host(host)
            if current.address is not None:
                vet_address(current.address, allow_loopback=self._settings.allow_loopback, target=current.text)
            has_port = port is not None
            if port is not None:
                targets.append(_PortTarget(current, parse_port(port)))
        if current is not None and not has_port:
            raise GuardError("port-missing", target=current.text)
        return tuple(dict.fromkeys(targets))

    # -- the run ------------------------------------------------------------------------

    async def _execute(self, plan: _Plan, report: Report) -> list[Finding]:
        sinks: list[list[Finding]] = [[] for _ in plan.labels]
        jobs: list[Callable[[], Coroutine[Any, Any, None]]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._budget
        if plan.kind == "port":
            try:
                async with asyncio.timeout_at(deadline):
                    vetted = await self._resolve_ports(plan.ports, report, sinks)
            except TimeoutError:
                return self._out_of_time(report, plan.labels, sinks, [True] * len(sinks))
            for index, (target, address) in enumerate(zip(plan.ports, vetted)):
                if address is not None:
                    jobs.append(_bind(self._probe_one, report, target, address, sinks[index]))
                else:
                    jobs.append(_noop)
        else:
            for index, label in enumerate(plan.labels):
                if plan.kind == "mx":
                    jobs.append(_bind(check_mx, self._resolver, report, label, sinks[index]))
                elif plan.kind == "domain":
                    jobs.append(_bind(self._domain, report, label, sinks[index], deadline))
                else:
                    jobs.append(_bind(check_address, self._resolver, report, plan.addresses[index], sinks[index]))
        tasks = [asyncio.create_task(job()) for job in jobs]
        # out of time, or the caller gave up (cancelled us): no probe outlives the request
        done, pending = await wait_within(tasks, max(0.0, deadline - loop.time()))
        for task in done:
            error = task.exception()
            if error is not None:
                raise error
        return self._out_of_time(report, plan.labels, sinks, [t in pending for t in tasks])

    async def _domain(self, report: Report, domain: str, sink: list[Finding], deadline: float) -> None:
        spf: list[Finding] = []
        dmarc: list[Finding] = []
        # The SPF walk stops a little before the request does, so that what it found, and
        # which includes it could not follow, is reported rather than cancelled with it.
        spf_deadline = deadline - min(_SPF_RESERVE, self._budget / 10)
        try:
            await asyncio.gather(
                check_mx(self._resolver, report, domain, sink),
                check_spf(self._resolver, report, domain, spf, deadline=spf_deadline),
                check_dmarc(self._resolver, report, domain, dmarc),
            )
        finally:
            nxdomain = any(f.entry_id == "remote-domain-not-found" and f.confirms for f in sink)
            if not nxdomain:
                sink.extend(spf)
                sink.extend(dmarc)

    async def _resolve_ports(
        self, targets: Sequence[_PortTarget], report: Report, sinks: list[list[Finding]]
    ) -> list[str | None]:
        """Resolve and vet every target's host; refuse the request if any address is private.

        Raises:
            GuardError: a name resolved to an address the guard refuses.
        """
        names = list(dict.fromkeys(t.host.name for t in targets if t.host.name is not None))
        answers = await asyncio.gather(*(self._lookup(name) for name in names))
        resolved = dict(zip(names, answers))
        # Vet everything before anything connects: one bad address refuses the request.
        for name, (a, aaaa) in resolved.items():
            for text in a.records + aaaa.records:
                try:
                    vet_address(
                        ipaddress.ip_address(text), allow_loopback=self._settings.allow_loopback, target=name
                    )
                except ValueError:
                    raise GuardError("bad-target", target=name, detail=text) from None
        out: list[str | None] = []
        for index, target in enumerate(targets):
            if target.host.address is not None:
                vetted = vet_address(target.host.address, allow_loopback=self._settings.allow_loopback)
                out.append(str(vetted))
                continue
            assert target.host.name is not None
            a, aaaa = resolved[target.host.name]
            found = a.records + aaaa.records
            if found:
                address = ipaddress.ip_address(found[0])
                out.append(str(vet_address(address, allow_loopback=self._settings.allow_loopback)))
                continue
            out.append(None)
            outcome, verdict = addressless(a.status, aaaa.status)
            key = {
                "nxdomain": "port.host-nxdomain",
                "noanswer": "port.host-no-address",
                "timeout": "port.host-timeout",
            }[outcome]
            sinks[index].append(
                report.finding(
                    "a", f"{target.host.text}:{target.port}", verdict, key,
                    evidence=(describe(a), describe(aaaa)), host=target.host.text,
                )
            )
        return out

    async def _lookup(self, name: str) -> tuple[DnsAnswer, DnsAnswer]:
        a, aaaa = await asyncio.gather(self._resolver.resolve(name, "A"), self._resolver.resolve(name, "AAAA"))
        return a, aaaa

    async def _probe_one(self, report: Report, target: _PortTarget, address: str, sink: list[Finding]) -> None:
        async with self._probes:
            # TLS checks the certificate against the user's name, normalised (IDNA, no final dot).
            result = await probe(
                self._connector, address, target.port, target.host.name or target.host.text,
                timeout=self._probe_timeout, tls_context=self._tls_context,
            )
        sink.extend(port_findings(report, result))

    # -- outcomes -----------------------------------------------------------------------

    def _out_of_time(
        self, report: Report, labels: Sequence[str], sinks: list[list[Finding]], late: Sequence[bool]
    ) -> list[Finding]:
        findings: list[Finding] = []
        for label, sink, was_late in zip(labels, sinks, late):
            findings.extend(sink)
            if was_late:
                findings.append(
                    report.finding("budget", label, "unknown", "budget", seconds=f"{self._budget:g}")
                )
        return findings

    def _refused(self, report: Report, refusal: GuardError, command: CheckCommand | None = None) -> CheckOutcome:
        shown = refusal.target or (" ".join(command.args)[:200] if command else "")
        params: dict[str, object] = {"target": refusal.target or "-"}
        if refusal.reason == "rate-limited":
            params["seconds"] = refusal.detail or "60"
            params["limit"] = self._settings.check_rate_per_minute
        elif refusal.reason == "too-many-targets":
            params["count"] = refusal.detail or "?"
            params["limit"] = 10
        elif refusal.reason == "port-not-allowed":
            params["ports"] = ", ".join(str(p) for p in ALLOWED_PORTS)
        summary = report.say(f"refused.{refusal.reason}", **params)
        finding = Finding(check=_REFUSAL_FINDING, target=shown or (command.kind if command else "check"), verdict="unknown", summary=summary)
        return CheckOutcome("refused", (finding,), reason=refusal.reason)


def default_checker(settings: Settings, knowledge: UiTexts, store: Claims | None = None) -> GuardedChecker:
    """The checker a deployment uses: dnspython at ``MAILMEDIC_DNS_SERVERS`` (or the
    system's resolver), real TCP and TLS, the limits from ``settings``; with ``store``, the
    per-user rate limit is kept there, shared by every instance using it.

    Raises:
        ConfigError: ``MAILMEDIC_DNS_SERVERS`` is malformed.
    """
    if store is None:
        return GuardedChecker(settings, knowledge)
    return GuardedChecker(settings, knowledge, limiter=SharedRateLimiter(store, settings.check_rate_per_minute))


def _split_host_port(token: str) -> tuple[str, str | None]:
    """``host:25`` -> (``host``, ``"25"``); ``[::1]:25`` -> (``::1``, ``"25"``); a bare IPv6 stays whole."""
    if token.startswith("["):
        host, _, rest = token[1:].partition("]")
        return host, (rest[1:] if rest.startswith(":") and rest[1:] else None)
    if token.count(":") == 1:
        host, _, port = token.partition(":")
        return host, port or None
    return token, None


def _bind(func: Callable[..., Coroutine[Any, Any, None]], *args: object) -> Callable[[], Coroutine[Any, Any, None]]:
    async def job() -> None:
        await func(*args)

    return job


async def _noop() -> None:
    return None
