"""Per-key request limits: in one process, or shared by every process through Redis.

Both count requests in fixed one-minute windows: simple, cheap (one INCR on Redis) and good
enough against a form being hammered. A key is the client IP plus the endpoint.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import math
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("adapters.rate_limit")

WINDOW_SECONDS = 60


class InMemoryRateLimiter:
    """Implements ``api.rate_limit.RateLimiter`` for one process."""

    def __init__(
        self, limit_per_minute: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit_per_minute
        self._clock = clock
        self._window = -1
        self._counts: dict[str, int] = {}
        self._lock = asyncio.Lock()

    async def check(self, key: str) -> int | None:
        now = self._clock()
        window = int(now // WINDOW_SECONDS)
        async with self._lock:
            if window != self._window:  # a new minute: forget the last one
                self._window = window
                self._counts.clear()
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
        if count <= self._limit:
            return None
        return max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))

    async def close(self) -> None:
        """Nothing to release: the counts live in this process."""


class RedisRateLimiter:
    """Implements ``api.rate_limit.RateLimiter`` across processes with one counter per window.

    When Redis does not answer, requests are let through (and the error class is logged):
    the limiter protects the service, it must not take it down. Keys hold a client IP, which
    is personal data, so Redis only ever sees an HMAC of them (``key_secret``).
    """

    def __init__(
        self,
        redis_url: str,
        limit_per_minute: int,
        *,
        key_secret: bytes,
        prefix: str = "eb:rl",
        clock: Callable[[], float] = time.time,
        client: Any = None,
    ) -> None:
        if client is None:
            import redis.asyncio as aioredis

            client = aioredis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._redis = client
        self._key_secret = key_secret
        self._limit = limit_per_minute
        self._prefix = prefix
        self._clock = clock

    def __repr__(self) -> str:
        return f"RedisRateLimiter(limit={self._limit})"

    async def check(self, key: str) -> int | None:
        now = self._clock()
        window = int(now // WINDOW_SECONDS)
        digest = hmac.new(self._key_secret, key.encode(), hashlib.sha256).hexdigest()[:32]
        redis_key = f"{self._prefix}:{window}:{digest}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(redis_key)
                pipe.expire(redis_key, WINDOW_SECONDS * 2)
                count, _ = await pipe.execute()
        except Exception as exc:  # noqa: BLE001 - fail open, see the class docstring
            logger.error("rate limiter unavailable: %s", type(exc).__name__)
            return None
        if int(count) <= self._limit:
            return None
        return max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))

    async def close(self) -> None:
        await self._redis.aclose()
