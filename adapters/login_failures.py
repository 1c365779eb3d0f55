"""Failed admin logins per username, shared by every ``serve`` process through Redis.

Implements ``admin.login_guard.LoginFailures`` (structurally: adapters never import the admin)
with the same rules as the in-process ``InMemoryLoginFailures``: a sliding window of failures
per username, and attempts still running reserved so that a burst of parallel guesses gets no
more tries than a queue of them, now across all processes.

- Each step is one Lua script, so two processes never both take the last attempt.
- A username is not stored: Redis sees an HMAC of it (``key_secret``).
- Reservations expire (``RESERVATION_SECONDS``) so a process that died mid-login does not
  lock the username for ever; failures expire with the window.
- When Redis does not answer, the error class is logged and ``fallback`` (this process's own
  counts) decides instead: the per-username limit then holds per process, as without Redis,
  never not at all.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any, Protocol

logger = logging.getLogger("adapters.login_failures")

RESERVATION_SECONDS = 120

# KEYS: failures (zset of timestamps), running (counter). ARGV: now, window, limit, ttl.
# Returns -1 when the attempt is reserved, else the seconds to wait.
_BEGIN = """
local now, window, limit, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]),
    tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local failures = redis.call('ZCARD', KEYS[1])
local running = tonumber(redis.call('GET', KEYS[2]) or '0')
if failures + running >= limit then
  if failures == 0 then return 1 end
  local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
  return math.max(1, math.ceil(oldest + window - now))
end
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ttl)
return -1
"""

# KEYS: failures, running. ARGV: now, window, member. Returns the failures in the window.
_FAILED = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('EXPIRE', KEYS[1], math.ceil(window) + 1)
return redis.call('ZCARD', KEYS[1])
"""

# KEYS: failures, running. ARGV: "1" to forget the failures (a success), "0" not to.
_DONE = """
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
if ARGV[1] == '1' then redis.call('DEL', KEYS[1]) end
return 0
"""


class Failures(Protocol):
    """What ``fallback`` must offer: ``admin.login_guard.LoginFailures``."""

    async def begin(self, key: str) -> int | None: ...
    async def failed(self, key: str) -> int: ...
    async def succeeded(self, key: str) -> None: ...
    async def abandoned(self, key: str) -> None: ...


class RedisLoginFailures:
    """Failed logins per username within ``window`` seconds, at most ``limit``, in Redis."""

    def __init__(
        self,
        redis_url: str,
        *,
        limit: int,
        window: float,
        key_secret: bytes,
        fallback: Failures,
        prefix: str = "eb:lf",
        clock: Callable[[], float] = time.time,
        client: Any = None,
    ) -> None:
        if client is None:
            import redis.asyncio as aioredis

            client = aioredis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._redis = client
        self._begin = client.register_script(_BEGIN)
        self._failed = client.register_script(_FAILED)
        self._done = client.register_script(_DONE)
        self.limit = limit
        self.window = window
        self._key_secret = key_secret
        self._fallback = fallback
        self._prefix = prefix
        self._clock = clock
        # Attempts ``fallback`` reserved (Redis did not answer at ``begin``): they end there.
        self._local: Counter[str] = Counter()

    def __repr__(self) -> str:
        return f"RedisLoginFailures(limit={self.limit}, window={self.window:g}s)"

    def _keys(self, key: str) -> list[str]:
        digest = hmac.new(self._key_secret, key.encode(), hashlib.sha256).hexdigest()[:32]
        return [f"{self._prefix}:f:{digest}", f"{self._prefix}:r:{digest}"]

    async def begin(self, key: str) -> int | None:
        try:
            wait = int(
                await self._begin(
                    keys=self._keys(key),
                    args=[self._clock(), self.window, self.limit, RESERVATION_SECONDS],
                )
            )
        except Exception as exc:  # noqa: BLE001 - this process's own counts decide instead
            logger.error("login failure store unavailable: %s", type(exc).__name__)
            local = await self._fallback.begin(key)
            if local is None:
                self._local[key] += 1
            return local
        return None if wait < 0 else max(1, math.ceil(wait))

    async def failed(self, key: str) -> int:
        if self._take_local(key):
            return await self._fallback.failed(key)
        member = f"{self._clock():.6f}:{uuid.uuid4().hex[:8]}"
        try:
            return int(
                await self._failed(keys=self._keys(key), args=[self._clock(), self.window, member])
            )
        except Exception as exc:  # noqa: BLE001 - counted here at least
            logger.error("login failure store unavailable: %s", type(exc).__name__)
            await self._fallback.begin(key)
            return await self._fallback.failed(key)

    async def succeeded(self, key: str) -> None:
        if self._take_local(key):
            await self._fallback.succeeded(key)
            return
        await self._end(key, forget=True)

    async def abandoned(self, key: str) -> None:
        if self._take_local(key):
            await self._fallback.abandoned(key)
            return
        await self._end(key, forget=False)

    async def close(self) -> None:
        await self._redis.aclose()

    def _take_local(self, key: str) -> bool:
        if self._local[key] <= 0:
            return False
        self._local[key] -= 1
        if not self._local[key]:
            del self._local[key]
        return True

    async def _end(self, key: str, *, forget: bool) -> None:
        try:
            await self._done(keys=self._keys(key), args=["1" if forget else "0"])
        except Exception as exc:  # noqa: BLE001 - the reservation expires on its own
            logger.error("login failure store unavailable: %s", type(exc).__name__)
