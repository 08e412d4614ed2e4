"""Which recipient each line of a delivery report is about.

A report for a message sent to several people lists each failed recipient with its own
reason, in one of two shapes: the address and the reason on one line (Postfix's
``<a@example.com>: host ... said: 550 ...``, Exchange's ``Remote Server returned '550 5.1.1
<a@example.com>...'``), or the address on a line of its own and the reason below it
(qmail, Sendmail's ``(reason: ...)``). So a line is about the address it names, or else
about the last recipient named above it.

Addresses that are not recipients are skipped: the sender in a transcript's ``MAIL
From:<...>``, and the ``From:``, ``Message-ID:`` and other header lines of a returned
message (a Message-ID looks like an address).
"""

from __future__ import annotations

import re

from .normalize import first_address

__all__ = ["by_recipient"]

_HEADER = re.compile(r"([\w-]+):\s")
_RECIPIENT_HEADERS = frozenset({"to", "cc", "final-recipient", "original-recipient", "x-failed-recipients"})
_SENDER = re.compile(r"mail from", re.IGNORECASE)


def by_recipient(segments: list[str]) -> list[tuple[str, str | None, bool]]:
    """Each of a report's logical lines with the recipient it is about.

    Args:
        segments: the report's logical lines, in order (wrapped lines joined).

    Returns:
        ``(line, recipient, names_one)`` per line: the recipient in lower case (None before
        the first one), and whether the line names that recipient itself.
    """
    current: str | None = None
    out: list[tuple[str, str | None, bool]] = []
    for segment in segments:
        header = _HEADER.match(segment)
        if _SENDER.search(segment) or (header and header.group(1).lower() not in _RECIPIENT_HEADERS):
            out.append((segment, current, False))
            continue
        found = first_address(segment)
        if found is not None:
            current = found
        out.append((segment, current, found is not None))
    return out
