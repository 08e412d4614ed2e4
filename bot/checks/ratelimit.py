"""The per-user rate limit on check requests (a sliding window of one minute).

:class:`RateLimiter` keeps its state in this process; the clock is injectable, so a test
moves time instead of sleeping. :class:`SharedRateLimiter` keeps it in the store the
instances of a deployment share (SQLite or PostgreSQL), so that the limit holds for the
deployment, not for each instance.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

__all__ = ["Claims", "Limiter", "RateLimiter", "SharedRateLimiter"]

_WINDOW = 60.0
_MAX_USERS = 100_000


class RateLimiter:
    """At most ``per_minute`` requests per user in any 60 seconds.

    Args:
        per_minute: requests a user may make in any window of 60 seconds.
        clock: monotonic seconds (default :func:`time.monotonic`).
    """

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self._limit = per_minute
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}

    def acquire(self, user: str) -> int:
        """Count one request for ``user`` if the limit allows it.

        Returns:
            0 when the request may go ahead (and is counted); otherwise the whole seconds
            until it would be allowed (at least 1); a refused request is not counted.
        """
        now = self._clock()
        stamps = self._seen.get(user)
        if stamps is None:
            if len(self._seen) >= _MAX_USERS:
                self._forget(now)
            stamps = self._seen.setdefault(user, deque())
        while stamps and now - stamps[0] >= _WINDOW:
            stamps.popleft()
        if len(stamps) >= self._limit:
            return max(1, math.ceil(_WINDOW - (now - stamps[0])))
        stamps.append(now)
        return 0

    def _forget(self, now: float) -> None:
        """Drop users with nothing in the window, so memory stays bounded."""
        for user in [u for u, s in self._seen.items() if not s or now - s[-1] >= _WINDOW]:
            del self._seen[user]


class Limiter(Protocol):
    """What the checker asks before it sends anything: may ``user`` make one more request?"""

    def acquire(self, user: str) -> int:
        """0 when the request may go ahead (and is counted), else the seconds to wait (at least 1)."""
        ...


class Claims(Protocol):
    """The store's claim of a key for a while (:meth:`bot.store.Store.first_seen`)."""

    def first_seen(self, key: str, ttl_seconds: float = 3600.0) -> bool: ...


class SharedRateLimiter:
    """At most ``per_minute`` requests per user in any 60 seconds, across every instance
    that shares ``store``.

    A user has ``per_minute`` slots; a request claims a free one for 60 seconds
    (``first_seen`` with a time to live), so no 60 seconds hold more requests than slots,
    whichever instance served them. The store does not say when a slot frees, so a refusal
    asks to wait the whole window at most (60 s). When the store fails, this process's own
    limit (``fallback``) decides, and the check still runs.

    Args:
        store: the claims (the deployment's store).
        per_minute: requests a user may make in any window of 60 seconds.
        fallback: the limit to use while the store fails (default: a :class:`RateLimiter`).
    """

    def __init__(self, store: Claims, per_minute: int, *, fallback: Limiter | None = None) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self._store = store
        self._limit = per_minute
        self._fallback = fallback or RateLimiter(per_minute)

    def acquire(self, user: str) -> int:
        try:
            for slot in range(self._limit):
                if self._store.first_seen(f"check-rate:{user}:{slot}", _WINDOW):
                    return 0
        except Exception as exc:  # noqa: BLE001 -- any store failure (driver, lock, disk): a database that is down must not stop checks
            log.warning("check rate limit: the store failed (%s); this process's own limit applies", type(exc).__name__)
            return self._fallback.acquire(user)
        return int(_WINDOW)
