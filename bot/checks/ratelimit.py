"""The per-user rate limit on check requests (a sliding window of one minute).

The clock is injectable, so a test moves time instead of sleeping. The state lives in this
process: with several instances, each enforces the limit on what it serves, which bounds
what one user can make the deployment send to ``instances x limit`` a minute.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable

log = logging.getLogger(__name__)

__all__ = ["RateLimiter"]

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
