"""The per-username count of failed admin logins, on a hand-driven clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from admin.login_guard import InMemoryLoginFailures

pytestmark = pytest.mark.anyio


class HandClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def failures(
    limit: int = 3, *, max_tracked: int = 50_000
) -> tuple[InMemoryLoginFailures, HandClock]:
    clock = HandClock()
    counter = InMemoryLoginFailures(
        limit=limit, window=timedelta(minutes=15), clock=clock, max_tracked=max_tracked
    )
    return counter, clock


async def fail(counter: InMemoryLoginFailures, key: str, times: int = 1) -> None:
    for _ in range(times):
        assert await counter.begin(key) is None
        await counter.failed(key)


async def test_a_username_is_refused_until_its_oldest_failure_leaves_the_window() -> None:
    counter, clock = failures(limit=3)
    await fail(counter, "admin")
    clock.now += 60
    await fail(counter, "admin", 2)

    assert await counter.begin("admin") == 15 * 60 - 60
    clock.now += 15 * 60 - 60
    assert await counter.begin("admin") is None  # the first failure has left the window


async def test_attempts_still_running_count_so_a_burst_gets_no_extra_tries() -> None:
    counter, _ = failures(limit=3)
    running = [await counter.begin("admin") for _ in range(3)]

    assert running == [None, None, None]
    assert await counter.begin("admin") == 1
    await counter.abandoned("admin")  # e.g. refused for its CSRF token: no password checked
    assert await counter.begin("admin") is None


async def test_a_success_forgets_the_failures_of_that_username_only() -> None:
    counter, _ = failures(limit=2)
    await fail(counter, "admin")
    await fail(counter, "manager", 2)
    assert await counter.begin("admin") is None
    await counter.succeeded("admin")

    await fail(counter, "admin")
    assert await counter.begin("admin") is None
    assert await counter.begin("manager") is not None


async def test_failures_report_their_count_within_the_window() -> None:
    counter, clock = failures(limit=10)
    assert await counter.begin("admin") is None
    assert await counter.failed("admin") == 1
    clock.now += 16 * 60
    assert await counter.begin("admin") is None
    assert await counter.failed("admin") == 1


async def test_memory_stays_bounded_when_many_usernames_fail() -> None:
    counter, _ = failures(limit=3, max_tracked=100)
    for n in range(1000):
        await fail(counter, f"user{n}")
    await fail(counter, "admin", 3)

    assert len(counter) <= 100
    assert await counter.begin("admin") is not None  # the most recent are kept
