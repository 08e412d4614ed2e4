"""The organisational domain of a name (RFC 7489 §3.2), without any network.

DMARC applies the record of the organisational domain to a subdomain that has none of its
own (§6.6.3). The organisational domain is the public suffix plus one label, and the
public suffixes come from the Public Suffix List as shipped inside the ``publicsuffixlist``
wheel: nothing is downloaded at run time (its ``update`` helper is never called), so the
answer does not depend on the network and a check never leaves the guard's DNS servers.
The list is read once, on first use, so importing the checks stays cheap.
"""

from __future__ import annotations

import functools
import logging

from publicsuffixlist import PublicSuffixList

log = logging.getLogger(__name__)

__all__ = ["organisational_domain"]


@functools.cache
def _suffixes() -> PublicSuffixList:
    # The wheel's own copy of the list; ICANN and private sections both count, as receivers
    # that implement RFC 7489 read them (a user's site under github.io is its own domain).
    return PublicSuffixList()


def organisational_domain(name: str) -> str | None:
    """The organisational domain of ``name``.

    Args:
        name: a domain in IDNA ASCII, without the final dot (``mail.example.co.uk``).

    Returns:
        The public suffix plus one label (``example.co.uk``); ``None`` when ``name`` is
        itself a public suffix. A name under an unknown top-level domain counts that
        domain as its suffix (``mail.good.test`` -> ``good.test``).
    """
    return _suffixes().privatesuffix(name.lower().rstrip("."))
