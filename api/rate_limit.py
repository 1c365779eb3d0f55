"""Per-client-IP limits on the public POST endpoints (``RATE_LIMIT_PER_MINUTE``).

The port is here; ``adapters/rate_limiters.py`` implements it in-process or over Redis and
``main.py`` picks one. Every ``POST /api/public/...`` counts against the client IP and the
endpoint; over the limit the answer is ``429`` with ``Retry-After`` (a problem document).
Webhooks are not limited: YooKassa would only redeliver.
"""

from __future__ import annotations

from typing import Protocol

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from api.client_ip import client_ip
from api.errors import RateLimited

LIMITED_PREFIX = "/api/public/"


class RateLimiter(Protocol):
    async def check(self, key: str) -> int | None:
        """Count one request for ``key``: ``None`` when allowed, else seconds to wait."""
        ...

    async def close(self) -> None:
        """Release what the limiter holds (connections); called once at shutdown."""
        ...


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self._app = app
        self._limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == ScopeType.HTTP
            and scope.get("method") == "POST"
            and str(scope.get("path", "")).startswith(LIMITED_PREFIX)
        ):
            ip = client_ip(ASGIConnection(scope))
            retry_after = await self._limiter.check(f"{ip} {scope['path']}")
            if retry_after is not None:
                raise RateLimited(retry_after_seconds=retry_after)
        await self._app(scope, receive, send)
