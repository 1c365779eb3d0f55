"""An access log that names no person: method, route template, status and duration.

Never the client's IP, user agent, query string or even the concrete path (a path segment can
be anything a visitor typed): uvicorn's own access log, which prints the client's address, is
switched off in ``serve``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("api.access")


class AccessLog:
    """Wraps an ASGI app; lifespan and websocket traffic pass through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            logger.info(
                "%s %s %d %.0fms",
                scope.get("method", "-"),
                scope.get("path_template") or "(no route)",
                status,
                (time.perf_counter() - started) * 1000,
            )

    def __getattr__(self, name: str) -> Any:  # e.g. the wrapped app's ``state`` for tests
        return getattr(self.app, name)
