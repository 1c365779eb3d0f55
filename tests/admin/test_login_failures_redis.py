"""Failed admin logins per username shared by every process through Redis (a real Redis).

Regression: the per-username limit lived in each process, so with two ``serve`` processes an
account got twice the guesses (SPEC 9.5: rate limits hold across processes).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import redis.asyncio as aioredis

from adapters.login_failures import RedisLoginFailures
from adapters.settings import load_settings
from admin.login_guard import InMemoryLoginFailures
from composition.web import admin_config, build_login_failures

pytestmark = pytest.mark.anyio

REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET = b"s" * 32


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    prefix = f"eb-test-lf:{uuid.uuid4().hex}"
    yield prefix
    client = aioredis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def process(
    prefix: str, clock: Clock, *, limit: int = 3, url: str = REDIS_URL
) -> RedisLoginFailures:
    """The store as one ``serve`` process builds it."""
    return RedisLoginFailures(
        url,
        limit=limit,
        window=900,
        key_secret=SECRET,
        fallback=InMemoryLoginFailures(limit=limit, window=timedelta(seconds=900)),
        prefix=prefix,
        clock=clock,
    )


async def test_failures_in_two_processes_add_up_to_one_limit(prefix: str) -> None:
    clock = Clock()
    first, second = process(prefix, clock), process(prefix, clock)
    try:
        for store in (first, second, first):
            assert await store.begin("anna") is None
            await store.failed("anna")
        # three failures in all: the next guess is refused by either process
        assert await second.begin("anna") is not None
        assert await first.begin("anna") is not None
        assert await first.begin("boris") is None  # another account is not touched
        clock.now += 901  # the window slides past every failure
        assert await second.begin("anna") is None
    finally:
        await first.close()
        await second.close()


async def test_attempts_still_running_count_across_processes(prefix: str) -> None:
    clock = Clock()
    first, second = process(prefix, clock, limit=2), process(prefix, clock, limit=2)
    try:
        assert await first.begin("anna") is None
        assert await second.begin("anna") is None
        assert await first.begin("anna") == 1  # two guesses in flight: a third waits
        await second.abandoned("anna")  # checked no password: frees its reservation
        assert await first.begin("anna") is None
    finally:
        await first.close()
        await second.close()


async def test_a_success_forgets_the_failures_and_the_wait_ends_with_the_window(
    prefix: str,
) -> None:
    clock = Clock()
    store = process(prefix, clock, limit=2)
    try:
        for _ in range(2):
            assert await store.begin("anna") is None
            clock.now += 100
            await store.failed("anna")
        assert await store.begin("anna") == 800  # the oldest failure leaves the window then
        clock.now += 700  # the first failure leaves the window 100 s from now
        assert await store.begin("anna") == 100
        clock.now += 100
        assert await store.begin("anna") is None
        await store.succeeded("anna")
        assert await store.begin("anna") is None
    finally:
        await store.close()


async def test_redis_holds_no_username(prefix: str) -> None:
    store = process(prefix, Clock())
    try:
        assert await store.begin("anna.secret") is None
        await store.failed("anna.secret")
        client = aioredis.from_url(REDIS_URL)
        keys = [key.decode() async for key in client.scan_iter(f"{prefix}:*")]
        members = [m.decode() for k in keys if ":f:" in k for m in await client.zrange(k, 0, -1)]
        await client.aclose()
        assert len(keys) == 2
        assert not any("anna" in text for text in keys + members)
    finally:
        await store.close()


async def test_without_redis_each_process_still_limits(
    prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = process(prefix, Clock(), limit=2, url="redis://127.0.0.1:1/0")
    try:
        for _ in range(2):
            assert await store.begin("anna") is None
            await store.failed("anna")
        assert await store.begin("anna") is not None  # fails closed to this process's counts
    finally:
        await store.close()
    assert "login failure store unavailable: ConnectionError" in caplog.text


def test_the_app_shares_the_login_limit_when_redis_is_configured(tmp_path: object) -> None:
    with_redis = load_settings({"REDIS_URL": REDIS_URL}, var_dir=tmp_path)  # type: ignore[arg-type]
    without = load_settings({}, var_dir=tmp_path)  # type: ignore[arg-type]

    shared = build_login_failures(with_redis, admin_config(with_redis))

    assert isinstance(shared, RedisLoginFailures)
    assert shared.limit == admin_config(with_redis).username_login_failures
    assert build_login_failures(without, admin_config(without)) is None
