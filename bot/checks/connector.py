"""The TCP seam: open a connection to an address the guard has already vetted.

A :class:`Connector` is given an IP address, never a name, so there is no second
resolution between the guard and the socket. :class:`TcpConnector` opens it with
``AI_NUMERICHOST``, which makes ``getaddrinfo`` refuse anything that is not a literal.
Tests inject their own connector to record calls (and prove none were made) or to reach a
loopback server on an unprivileged port.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Protocol

log = logging.getLogger(__name__)

__all__ = ["Connector", "TcpConnector"]


class Connector(Protocol):
    """Opens a TCP stream to a vetted address."""

    async def connect(self, address: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Connect to ``address`` (an IP literal) on ``port``.

        Raises:
            OSError: the connection was refused or the network is unreachable.
        """
        ...


class TcpConnector:
    """:class:`Connector` over asyncio streams."""

    async def connect(self, address: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Connect with ``AI_NUMERICHOST``: a name here is a bug, and fails. See :class:`Connector`."""
        return await asyncio.open_connection(address, port, flags=socket.AI_NUMERICHOST)
