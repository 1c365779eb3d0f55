"""Where tracking events go: structured log lines (default) or an HTTP batch endpoint."""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from domain.models import TrackingEvent

logger = logging.getLogger("tracking")


def event_payload(event: TrackingEvent) -> dict[str, Any]:
    """One event as JSON; ``event_id`` is stable across redeliveries, for deduplication."""
    return {
        "event_id": str(event.id),
        "name": event.name,
        "source": event.source,
        "occurred_at": event.occurred_at.isoformat(),
        "properties": dict(event.properties),
    }


class LogTrackingSink:
    """One JSON log line per event on the ``tracking`` logger (properties hold no contacts)."""

    async def deliver(self, events: Sequence[TrackingEvent]) -> None:
        for event in events:
            logger.info("tracking_event %s", json.dumps(event_payload(event), sort_keys=True))


class TrackingSinkError(Exception):
    """The HTTP sink did not accept the batch; the worker retries it later."""


class HttpTrackingSink:
    """POSTs ``{"events": [...]}`` to ``TRACKING_SINK_URL``; any 2xx accepts the batch."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self._url = url
        self._timeout = timeout

    def __repr__(self) -> str:
        return "HttpTrackingSink(url=***)"

    async def deliver(self, events: Sequence[TrackingEvent]) -> None:
        body = json.dumps({"events": [event_payload(e) for e in events]}).encode()
        await asyncio.to_thread(self._post, body)

    def _post(self, body: bytes) -> None:
        request = urllib.request.Request(  # noqa: S310 - the configured http(s) sink URL
            self._url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                status = int(response.status)
        except urllib.error.HTTPError as exc:
            raise TrackingSinkError(f"HTTP {exc.code}") from None
        except OSError as exc:
            raise TrackingSinkError(type(exc).__name__) from None
        if not 200 <= status < 300:
            raise TrackingSinkError(f"HTTP {status}")
