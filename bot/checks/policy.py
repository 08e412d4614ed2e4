"""The sender policies of a domain: SPF (RFC 7208) and DMARC (RFC 7489) TXT records.

Present, well-formed, and what they ask receivers to do. Parsed here rather than with
checkdmarc: checkdmarc resolves through its own resolver, which would bypass our seam (and
the guard's choice of DNS servers). Every question below goes to the :class:`Resolver`
the check was given.

SPF is followed as a receiver evaluates it, through ``include:`` and ``redirect=``, and
the DNS-querying terms (include, a, mx, ptr, exists, redirect) are counted over the whole
tree, as RFC 7208 §4.6.4 does. Reported per tree: more than 10 lookups (with the include
chains that cost most), an include or redirect to a name without an SPF record, a loop,
more than 2 void lookups, and, for every record reached, the checks of the domain's own
record (syntax, several records, ``+all``). The work is bounded like a receiver's: at
most 10 lookup terms are followed, at most 10 levels deep, each level's questions asked
together, and all of it stops at the ``deadline`` the runner gives, saying which parts it
could not verify. Not resolved: ``ptr`` (it depends on the sending address), terms with
macros (they depend on the sender), and the addresses of the MX hosts an ``mx`` term
names (a receiver looks those up only for the address it is checking).

DMARC: a subdomain without a record of its own gets its organisational domain's (RFC 7489
§6.6.3), with that record's ``sp=`` when it has one; the organisational domain comes from
the Public Suffix List shipped with the code (:mod:`bot.checks.orgdomain`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ..models import Finding
from .deadline import wait_within
from .mx import describe
from .orgdomain import organisational_domain
from .report import Report
from .resolver import DnsAnswer, RecordType, Resolver

log = logging.getLogger(__name__)

__all__ = ["check_dmarc", "check_spf", "spf_errors"]

_SPF_MECHANISM = re.compile(
    r"^[+\-~?]?(all|include:\S+|exists:\S+|a(:[^/\s]+)?(/\d{1,2})?(//\d{1,3})?"
    r"|mx(:[^/\s]+)?(/\d{1,2})?(//\d{1,3})?|ptr(:\S+)?|ip4:\S+|ip6:\S+)$",
    re.IGNORECASE,
)
_SPF_MODIFIER = re.compile(r"^([a-z][a-z0-9_.-]*)=(\S*)$", re.IGNORECASE)
# A domain-spec we are willing to ask about: letters, digits, hyphens and the underscores
# of names like _spf.example.com; a top label that is not all digits (RFC 7208 toplabel).
_NAME_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_DMARC_POLICIES = ("none", "quarantine", "reject")

MAX_LOOKUPS = 10
"""RFC 7208 §4.6.4: more DNS-querying terms than this over the whole tree is a permerror."""
MAX_VOID_LOOKUPS = 2
"""RFC 7208 §4.6.4: more lookups that find nothing than this is a permerror."""
MAX_DEPTH = 10
"""How many include/redirect levels are followed at most (the lookup limit binds first)."""
_SHOWN_CHAINS = 3


@dataclass(frozen=True, slots=True)
class _Term:
    """A DNS-querying term of an SPF record.

    Attributes:
        kind: ``include``, ``a``, ``mx``, ``ptr``, ``exists`` or ``redirect``.
        text: the term as written.
        name: the name it asks about; ``None`` for the record's own domain.
        macro: the name holds a macro (``%{i}``...), so it depends on the sender.
    """

    kind: str
    text: str
    name: str | None
    macro: bool = False


def _domain_spec(spec: str) -> tuple[str | None, bool]:
    """(name, macro) for a domain-spec; name is ``None`` when it is malformed."""
    if "%" in spec:
        return spec, True
    name = spec.lower()
    name = name[:-1] if name.endswith(".") else name
    labels = name.split(".")
    if (
        len(name) > 253
        or len(labels) < 2
        or not all(_NAME_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        return None, False
    return name, False


def _read(record: str) -> tuple[list[str], str, list[_Term]]:
    """The malformed terms, the policy of the record's end and its DNS-querying terms."""
    bad: list[str] = []
    policy = ""
    lookups: list[_Term] = []
    redirect: _Term | None = None
    has_all = False
    for term in record.split()[1:]:
        lowered = term.lower()
        if _SPF_MECHANISM.match(term):
            bare = lowered.lstrip("+-~?")
            if bare == "all":
                qualifier = lowered[0] if lowered[0] in "+-~?" else "+"
                policy = f"{qualifier}all"
                has_all = True
            elif bare.startswith(("ip4:", "ip6:")):
                try:
                    network = ipaddress.ip_network(bare[4:], strict=False)
                except ValueError:
                    bad.append(term)
                    continue
                if network.version != (4 if bare.startswith("ip4:") else 6):
                    bad.append(term)
            else:
                head, colon, rest = bare.partition(":")
                kind = head.split("/")[0]
                spec = rest if kind in ("include", "exists") else rest.split("/")[0]
                name: str | None = None
                macro = False
                if colon:
                    name, macro = _domain_spec(spec)
                    if name is None:
                        bad.append(term)
                        continue
                lookups.append(_Term(kind, term, name, macro))
            continue
        modifier = _SPF_MODIFIER.match(term)
        if modifier is None:
            bad.append(term)
            continue
        if modifier.group(1).lower() == "redirect":
            name, macro = _domain_spec(modifier.group(2))
            if name is None:
                bad.append(term)
                continue
            redirect = _Term("redirect", term, name, macro)
            policy = policy or f"redirect={modifier.group(2)}"
    # RFC 7208 §6.1: redirect= is ignored when the record has an "all" mechanism.
    if redirect is not None and not has_all:
        lookups.append(redirect)
    return bad, policy, lookups


def spf_errors(record: str) -> tuple[list[str], str, int]:
    """Read an SPF record.

    Args:
        record: the TXT record, starting with ``v=spf1``.

    Returns:
        The malformed terms, the policy of the record's end (``-all``, ``~all``, ``?all``,
        ``+all``, ``redirect=...`` or ``""`` when it has neither) and the number of DNS
        lookups the record itself asks for (its includes' own are not counted here: see
        :func:`check_spf`).
    """
    bad, policy, lookups = _read(record)
    return bad, policy, len(lookups)


def _spf_records(answer: DnsAnswer) -> list[str]:
    return [r for r in answer.records if r.lower() == "v=spf1" or r.lower().startswith("v=spf1 ")]


@dataclass(slots=True)
class _Node:
    """A record reached while following the tree: the domain's own, or an included one."""

    name: str
    path: tuple[str, ...]  # the include/redirect terms from the domain's record to this one
    names: tuple[str, ...]  # the names on that path, this one included (for loops)
    record: str = ""
    policy: str = ""
    own: int = 0  # the DNS-querying terms of this record
    children: list[_Node] = field(default_factory=list)

    @property
    def cost(self) -> int:
        return self.own + sum(child.cost for child in self.children)


@dataclass(frozen=True, slots=True)
class _Job:
    """Questions to ask together with the rest of a level, and what to do with the answers."""

    label: str
    ask: Callable[[], Awaitable[tuple[DnsAnswer, ...]]]
    settle: Callable[[tuple[DnsAnswer, ...]], list[_Job]]


class _Walk:
    """Follows the SPF tree of one domain, level by level, within the lookup limit."""

    def __init__(self, resolver: Resolver, report: Report, root: _Node) -> None:
        self._resolver = resolver
        self._report = report
        self.root = root
        self.count = 0
        self.void: list[str] = []
        self.unverified: list[str] = []
        self.problems: list[Finding] = []
        self.evidence: list[str] = []

    def take(self, node: _Node, record: str) -> list[_Job]:
        """Count the lookup terms of ``node``'s record and plan the questions they ask."""
        bad, policy, terms = _read(record)
        node.record, node.policy = record, policy
        if node is not self.root:
            self.evidence.append(f"{node.name}: {record}")
            if bad:
                self._problem("spf.include-syntax", node, terms=" ".join(bad))
            if policy == "+all":
                self._problem("spf.include-pass-all", node)
        jobs: list[_Job] = []
        for term in terms:
            self.count += 1
            node.own += 1
            if self.count > MAX_LOOKUPS or term.macro:
                continue  # over the limit a receiver stops; a macro depends on the sender
            target = term.name or node.name
            if term.kind in ("include", "redirect"):
                if target in node.names:
                    self._problem("spf.loop", node, term=term.text, name=target, chain=self._chain(node, term.text))
                    continue
                if len(node.path) >= MAX_DEPTH:
                    self.unverified.append(term.text)
                    continue
                child = _Node(target, node.path + (term.text,), node.names + (target,))
                node.children.append(child)
                jobs.append(self._follow(child))
            elif term.kind == "a":
                jobs.append(self._void(term.text, target, ("A", "AAAA")))
            elif term.kind == "mx":
                jobs.append(self._void(term.text, target, ("MX",)))
            elif term.kind == "exists":
                jobs.append(self._void(term.text, target, ("A",)))
            # ptr: its lookups start from the sending address, which a check does not have.
        return jobs

    def _follow(self, node: _Node) -> _Job:
        async def ask() -> tuple[DnsAnswer, ...]:
            return (await self._resolver.resolve(node.name, "TXT"),)

        def settle(answers: tuple[DnsAnswer, ...]) -> list[_Job]:
            (answer,) = answers
            term = node.path[-1]
            if answer.status in ("timeout", "servfail"):
                self.unverified.append(term)
                return []
            if answer.status in ("nxdomain", "noanswer"):
                self.void.append(node.name)
            records = _spf_records(answer)
            if answer.status == "nxdomain":
                self._problem("spf.include-nxdomain", node, evidence=describe(answer))
            elif not records:
                self._problem("spf.include-missing", node, evidence=describe(answer))
            elif len(records) > 1:
                self._problem("spf.include-multiple", node, evidence=describe(answer), count=len(records))
            else:
                return self.take(node, records[0])
            return []

        return _Job(node.path[-1], ask, settle)

    def _void(self, label: str, name: str, rdtypes: tuple[RecordType, ...]) -> _Job:
        async def ask() -> tuple[DnsAnswer, ...]:
            return tuple(await asyncio.gather(*(self._resolver.resolve(name, t) for t in rdtypes)))

        def settle(answers: tuple[DnsAnswer, ...]) -> list[_Job]:
            statuses = {a.status for a in answers}
            if statuses & {"timeout", "servfail"}:
                self.unverified.append(label)
            elif statuses <= {"nxdomain", "noanswer"}:
                # For "a", void when neither A nor AAAA exists: void whatever the sender's family.
                self.void.append(name)
            return []

        return _Job(label, ask, settle)

    async def run(self, jobs: list[_Job], deadline: float | None) -> None:
        """Ask each level's questions together, until the tree ends or the deadline passes."""
        loop = asyncio.get_running_loop()
        while jobs:
            tasks = [asyncio.ensure_future(job.ask()) for job in jobs]
            _, pending = await wait_within(tasks, None if deadline is None else max(0.0, deadline - loop.time()))
            following: list[_Job] = []
            for job, task in zip(jobs, tasks):
                if task.cancelled():
                    self.unverified.append(job.label)
                else:
                    following.extend(job.settle(task.result()))
            if pending:
                self.unverified.extend(job.label for job in following)
                return
            jobs = following

    def _problem(self, key: str, node: _Node, *, evidence: str = "", **params: object) -> None:
        params.setdefault("name", node.name)
        params.setdefault("chain", self._chain(node))
        params.setdefault("term", node.path[-1] if node.path else node.name)
        lines = (evidence,) if evidence else ((f"{node.name}: {node.record}",) if node.record else ())
        self.problems.append(
            _spf(self._report, self.root.name, "problem", key, lines, domain=self.root.name, **params)
        )

    def _chain(self, node: _Node, last: str = "") -> str:
        return " → ".join((self.root.name, *node.path, *((last,) if last else ())))

    def costliest(self) -> str:
        """The include chains that cost most lookups, costliest first."""
        parts: list[tuple[int, str]] = []
        for child in self.root.children:
            terms = [child.path[-1]]
            step = child
            while step.children:
                step = max(step.children, key=lambda c: c.cost)
                terms.append(step.path[-1])
            parts.append((1 + child.cost, f"{' → '.join(terms)} ({1 + child.cost})"))
        own = self.root.own - len(self.root.children)
        if own:
            parts.append((own, self._report.say("spf.own-terms", count=own)))
        parts.sort(key=lambda part: -part[0])  # stable: ties keep the record's order
        return ", ".join(text for _, text in parts[:_SHOWN_CHAINS])

    def policy(self) -> str:
        """The policy of the record's end, through redirect= when it was followed."""
        node, shown = self.root, self.root.policy
        while node.policy.startswith("redirect=") and node.children:
            last = node.children[-1]
            if not last.path[-1].lower().startswith("redirect=") or not last.record:
                break
            node = last
            shown += f" → {node.policy or '?all'}"
        return shown or "?all"


async def check_spf(
    resolver: Resolver, report: Report, domain: str, sink: list[Finding], *, deadline: float | None = None
) -> None:
    """Check the SPF record of ``domain`` and the records it includes, appending findings to ``sink``.

    Args:
        resolver: our resolver; every question goes to it.
        report: makes localised findings.
        domain: a vetted domain (IDNA ASCII, no final dot).
        sink: where the findings go.
        deadline: the event loop's time at which to stop following includes and report
            what is known, with the parts not verified; ``None`` for no deadline (the
            resolver's timeout still bounds every question).
    """
    loop = asyncio.get_running_loop()
    try:
        timeout = None if deadline is None else max(0.0, deadline - loop.time())
        answer = await asyncio.wait_for(resolver.resolve(domain, "TXT"), timeout)
    except TimeoutError:
        return  # nothing known yet: the runner says the time ran out
    evidence: tuple[str, ...] = (describe(answer),)
    if answer.status in ("timeout", "servfail"):
        sink.append(report.finding("spf", domain, "unknown", "spf.timeout", evidence=evidence))
        return
    if answer.status == "nxdomain":
        return  # the MX check has said the domain does not exist
    records = _spf_records(answer)
    if not records:
        sink.append(_spf(report, domain, "problem", "spf.missing", evidence))
        return
    evidence = tuple(records)
    if len(records) > 1:
        sink.append(_spf(report, domain, "problem", "spf.multiple", evidence, count=len(records)))
        return
    root = _Node(domain, (), (domain,))
    walk = _Walk(resolver, report, root)
    jobs = walk.take(root, records[0])
    await walk.run(jobs, deadline)
    tree = evidence + tuple(walk.evidence)
    bad, policy, _ = _read(records[0])
    found: list[Finding] = []
    if bad:
        found.append(_spf(report, domain, "problem", "spf.syntax", evidence, terms=" ".join(bad)))
    if policy == "+all":
        found.append(_spf(report, domain, "problem", "spf.pass-all", evidence))
    found.extend(walk.problems)
    if walk.count > MAX_LOOKUPS:
        found.append(
            _spf(report, domain, "problem", "spf.too-many-lookups", tree, count=walk.count, chains=walk.costliest())
        )
    if len(walk.void) > MAX_VOID_LOOKUPS:
        found.append(
            _spf(report, domain, "problem", "spf.void-lookups", tree,
                 count=len(walk.void), names=", ".join(dict.fromkeys(walk.void)))
        )
    if not found:
        found.append(_spf(report, domain, "ok", "spf.ok", tree, policy=walk.policy(), count=walk.count))
    if walk.unverified:
        found.append(
            report.finding(
                "spf", domain, "unknown", "spf.unverified", evidence=tree,
                terms=", ".join(dict.fromkeys(walk.unverified)),
            )
        )
    sink.extend(found)


async def check_dmarc(resolver: Resolver, report: Report, domain: str, sink: list[Finding]) -> None:
    """Check the DMARC record that applies to ``domain``, appending findings to ``sink``.

    That is the record at ``_dmarc.<domain>``, or, when there is none and ``domain`` is a
    subdomain, the one of its organisational domain (RFC 7489 §6.6.3), whose ``sp=`` (or
    else ``p=``) then sets the policy.
    """
    answer = await resolver.resolve(f"_dmarc.{domain}", "TXT")
    evidence: tuple[str, ...] = (describe(answer),)
    if answer.status in ("timeout", "servfail"):
        sink.append(report.finding("dmarc", domain, "unknown", "dmarc.timeout", evidence=evidence))
        return
    records = _dmarc_records(answer)
    if records:
        sink.extend(_judge_dmarc(report, domain, records))
        return
    org = organisational_domain(domain)
    if org is None or org == domain:
        sink.append(_dmarc(report, domain, "problem", "dmarc.missing", evidence))
        return
    inherited = await resolver.resolve(f"_dmarc.{org}", "TXT")
    evidence += (describe(inherited),)
    if inherited.status in ("timeout", "servfail"):
        sink.append(report.finding("dmarc", org, "unknown", "dmarc.timeout", evidence=evidence))
        return
    records = _dmarc_records(inherited)
    if not records:
        sink.append(_dmarc(report, domain, "problem", "dmarc.missing-org", evidence, org=org))
        return
    judged = _judge_dmarc(report, org, records)
    if any(f.verdict == "problem" for f in judged):
        sink.extend(judged)  # the organisational domain's record is itself broken
        return
    tags = _dmarc_tags(records[0])
    policy = tags.get("p", "").lower()
    sub = tags.get("sp", "").lower()
    evidence = (evidence[0], f"_dmarc.{org}: {records[0]}")
    if sub:
        sink.append(
            _dmarc(report, domain, "ok", "dmarc.inherited-sp", evidence, org=org, policy=sub, org_policy=policy)
        )
    else:
        sink.append(_dmarc(report, domain, "ok", "dmarc.inherited", evidence, org=org, policy=policy))


def _dmarc_records(answer: DnsAnswer) -> list[str]:
    return [r for r in answer.records if r.replace(" ", "").upper().startswith("V=DMARC1")]


def _dmarc_tags(record: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for part in record.split(";"):
        key, sep, value = part.partition("=")
        if sep:
            tags.setdefault(key.strip().lower(), value.strip())
    return tags


def _judge_dmarc(report: Report, domain: str, records: list[str]) -> list[Finding]:
    """The findings for the DMARC record(s) published at ``_dmarc.<domain>``."""
    evidence = tuple(records)
    if len(records) > 1:
        return [_dmarc(report, domain, "problem", "dmarc.multiple", evidence, count=len(records))]
    tags = _dmarc_tags(records[0])
    policy = tags.get("p", "").lower()
    pct = tags.get("pct")
    sub = tags.get("sp")
    if policy not in _DMARC_POLICIES:
        return [_dmarc(report, domain, "problem", "dmarc.syntax", evidence, policy=policy or "-")]
    if pct is not None and not (pct.isdigit() and 0 <= int(pct) <= 100):
        return [_dmarc(report, domain, "problem", "dmarc.pct", evidence, pct=pct[:20])]
    if sub is not None and sub.lower() not in _DMARC_POLICIES:
        return [_dmarc(report, domain, "problem", "dmarc.sp", evidence, sp=sub[:20] or "-")]
    if policy == "none":
        return [_dmarc(report, domain, "ok", "dmarc.monitoring", evidence)]
    return [_dmarc(report, domain, "ok", "dmarc.ok", evidence, policy=policy)]


def _spf(
    report: Report, target: str, verdict: str, key: str, evidence: tuple[str, ...], /, **params: object
) -> Finding:
    return report.finding(
        "spf", target, "problem" if verdict == "problem" else "ok", key, evidence=evidence,
        entry_id="spf-dmarc-failed", confirms=verdict == "problem", **params,
    )


def _dmarc(
    report: Report, target: str, verdict: str, key: str, evidence: tuple[str, ...], /, **params: object
) -> Finding:
    return report.finding(
        "dmarc", target, "problem" if verdict == "problem" else "ok", key, evidence=evidence,
        entry_id="spf-dmarc-failed", confirms=verdict == "problem", **params,
    )
