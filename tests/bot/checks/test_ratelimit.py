"""The per-user sliding window, with a clock the test moves; and the same limit shared through a store."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.checks.ratelimit import RateLimiter, SharedRateLimiter
from bot.store import SqliteStore


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_window_slides_and_says_how_long_to_wait() -> None:
    clock = _Clock()
    limiter = RateLimiter(2, clock=clock)
    assert limiter.acquire("u") == 0
    clock.now = 10
    assert limiter.acquire("u") == 0
    clock.now = 15
    assert limiter.acquire("u") == 45  # the first request leaves the window at t=60
    clock.now = 59.5
    assert limiter.acquire("u") == 1
    clock.now = 60
    assert limiter.acquire("u") == 0  # t=0 left; t=10 and t=60 are in
    assert limiter.acquire("u") == 10


def test_refused_requests_are_not_counted() -> None:
    clock = _Clock()
    limiter = RateLimiter(1, clock=clock)
    assert limiter.acquire("u") == 0
    for second in range(1, 50):
        clock.now = second
        assert limiter.acquire("u") > 0
    clock.now = 60
    assert limiter.acquire("u") == 0


def test_users_are_independent() -> None:
    limiter = RateLimiter(1, clock=_Clock())
    assert limiter.acquire("a") == 0
    assert limiter.acquire("b") == 0
    assert limiter.acquire("a") > 0


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_a_shared_limit_holds_across_instances_and_frees_after_a_minute(tmp_path: Path) -> None:
    # two instances of the service, one database: the user gets the limit once, not twice
    clock = _Clock()
    store = SqliteStore(str(tmp_path / "shared.db"), clock=clock)
    first, second = SharedRateLimiter(store, 2), SharedRateLimiter(store, 2)
    assert first.acquire("slack:U1") == 0
    assert second.acquire("slack:U1") == 0
    assert first.acquire("slack:U1") == 60 and second.acquire("slack:U1") == 60
    assert second.acquire("discord:42") == 0  # per user
    clock.now = 59.9
    assert first.acquire("slack:U1") > 0
    clock.now = 60.0
    assert second.acquire("slack:U1") == 0  # both slots freed a minute after they were taken
    assert first.acquire("slack:U1") == 0
    assert first.acquire("slack:U1") > 0
    store.close()


class _BrokenStore:
    def first_seen(self, key: str, ttl_seconds: float = 3600.0) -> bool:
        raise OSError("database is down")


def test_a_failing_store_leaves_this_processs_own_limit(caplog: pytest.LogCaptureFixture) -> None:
    clock = _Clock()
    limiter = SharedRateLimiter(_BrokenStore(), 1, fallback=RateLimiter(1, clock=clock))
    assert limiter.acquire("u") == 0  # checks still run
    assert limiter.acquire("u") == 60  # ... within this process's limit
    assert "the store failed (OSError)" in caplog.text
    with pytest.raises(ValueError):
        SharedRateLimiter(_BrokenStore(), 0)
