"""Waiting for a check's probes until its deadline, and leaving none of them running after."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

__all__ = ["wait_within"]


async def wait_within(
    tasks: Sequence[asyncio.Future[Any]], timeout: float | None
) -> tuple[set[asyncio.Future[Any]], set[asyncio.Future[Any]]]:
    """Wait for ``tasks`` for at most ``timeout`` seconds (``None``: until all are done).

    Those still running then are cancelled, and awaited until they have stopped; so are all
    of them when the caller itself is cancelled. No probe outlives the request.

    Returns:
        The tasks done in time, and those that were cancelled for being late.
    """
    try:
        done, pending = await asyncio.wait(tasks, timeout=timeout)
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
    if pending:
        await asyncio.wait(pending)
    return done, pending
