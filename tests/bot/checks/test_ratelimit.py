"""The per-user sliding window, with a clock the test moves."""

from __future__ import annotations

import pytest

from bot.checks.ratelimit import RateLimiter


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
