"""The address check: stray spaces, syntax, then the MX of the address's domain.

A copied address often carries a space, a no-break space or a zero-width character at
either end; the mail server then looks up ``"info@example.net "``, which does not exist.
These are named by their Unicode code point, since they are invisible in a chat.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

from ..errors import GuardError
from ..models import Finding
from .guard import parse_domain
from .mx import check_mx
from .report import Report
from .resolver import Resolver

log = logging.getLogger(__name__)

__all__ = ["ParsedAddress", "check_address", "parse_address"]

# Characters that look like nothing, or like a plain space: Unicode White_Space plus the
# zero-width and byte-order-mark characters that str.strip() leaves in place.
_INVISIBLE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\u180e\u200b\u200c\u200d\u2060\ufeff"
)
_LOCAL_ATOM = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\U0010ffff-]+$")


@dataclass(frozen=True, slots=True)
class ParsedAddress:
    """An address as given, and what was read from it.

    Attributes:
        raw: the address exactly as given.
        core: without the invisible characters at either end.
        leading: the invisible characters found at the start, as ``U+00A0`` names.
        trailing: the same at the end.
        inside: invisible characters inside the address.
        local: the part before the last ``@`` (empty when there is none).
        domain: the vetted domain, or None when the syntax is wrong.
    """

    raw: str
    core: str
    leading: tuple[str, ...]
    trailing: tuple[str, ...]
    inside: tuple[str, ...]
    local: str
    domain: str | None


def parse_address(raw: str) -> ParsedAddress:
    """Read an address without trusting it.

    Raises:
        GuardError: the domain is an address in disguise (``user@127.1``) or an IP literal.
    """
    start, end = 0, len(raw)
    while start < end and raw[start] in _INVISIBLE:
        start += 1
    while end > start and raw[end - 1] in _INVISIBLE:
        end -= 1
    core = raw[start:end]
    inside = tuple(dict.fromkeys(_name(ch) for ch in core if ch in _INVISIBLE))
    local, at, host = core.rpartition("@")
    domain: str | None = None
    if at and local and host and not inside and _local_ok(local):
        try:
            domain = parse_domain(host)
        except GuardError as refusal:
            if refusal.reason != "bad-target":
                raise GuardError(refusal.reason, target=raw) from None
    return ParsedAddress(
        raw=raw,
        core=core,
        leading=tuple(_name(ch) for ch in raw[:start]),
        trailing=tuple(_name(ch) for ch in raw[end:]),
        inside=inside,
        local=local,
        domain=domain,
    )


async def check_address(resolver: Resolver, report: Report, address: ParsedAddress, sink: list[Finding]) -> None:
    """Check one parsed address, appending findings to ``sink``."""
    shown = address.core or address.raw
    if address.leading or address.trailing:
        where = "both" if address.leading and address.trailing else ("leading" if address.leading else "trailing")
        sink.append(
            report.finding(
                "address", shown, "problem", f"address.spaces-{where}",
                evidence=(repr(address.raw), *address.leading, *address.trailing),
                entry_id="address-trailing-space", confirms=True,
                chars=", ".join(dict.fromkeys(address.leading + address.trailing)),
            )
        )
    else:
        sink.append(
            report.finding(
                "address", shown, "ok", "address.no-spaces", evidence=(repr(address.raw),),
                entry_id="address-trailing-space", confirms=False,
            )
        )
    if address.domain is None:
        key = "address.spaces-inside" if address.inside else "address.syntax"
        sink.append(
            report.finding("address", shown, "problem", key, evidence=(repr(address.core),), chars=", ".join(address.inside))
        )
        return
    sink.append(report.finding("address", shown, "ok", "address.syntax-ok", domain=address.domain))
    await check_mx(resolver, report, address.domain, sink)


def _local_ok(local: str) -> bool:
    if len(local) > 64:
        return False
    if local.startswith('"') and local.endswith('"') and len(local) >= 2:
        return True
    return all(part and _LOCAL_ATOM.match(part) for part in local.split("."))


def _name(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'SPACE')}"
