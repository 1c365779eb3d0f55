"""Deliver the tracking outbox to the analytics sink, at least once."""

from __future__ import annotations

import logging
from datetime import timedelta

from domain.payment_ports import TrackingDeliveryQueue, TrackingSink
from domain.ports import Clock

logger = logging.getLogger("domain.tracking")


class DeliverTrackingEventsUseCase:
    """Sends one batch of undelivered tracking events.

    - Events are claimed with a lease, so several workers never send the same batch at once;
      a worker that dies mid-batch leaves it to be claimed again when the lease ends.
    - Delivery is at least once: an event is marked delivered only after the sink accepted
      it, and it keeps its id, so a receiver can drop duplicates.
    - A failed batch is retried later with exponential backoff (capped at an hour).
    - Returns how many events were delivered.
    """

    def __init__(
        self,
        *,
        queue: TrackingDeliveryQueue,
        sink: TrackingSink,
        clock: Clock,
        batch_size: int = 100,
        lease: timedelta = timedelta(minutes=1),
    ) -> None:
        self._queue = queue
        self._sink = sink
        self._clock = clock
        self._batch_size = batch_size
        self._lease = lease

    async def execute(self) -> int:
        now = self._clock.now()
        lease_until = now + self._lease
        claimed = await self._queue.claim(now, lease_until, self._batch_size)
        if not claimed:
            return 0
        try:
            await self._sink.deliver([item.event for item in claimed])
        except Exception as exc:  # noqa: BLE001 - any sink failure means "try again later"
            logger.warning(
                "tracking delivery of %d events failed: %s", len(claimed), type(exc).__name__
            )
            for item in claimed:
                delay = timedelta(seconds=min(3600, 10 * 2 ** min(item.attempts, 12)))
                await self._queue.retry_later(item.event.id, lease_until, now + delay)
            return 0
        return await self._queue.mark_delivered(
            [item.event.id for item in claimed], lease_until, self._clock.now()
        )
