"""Forget when contacts were last sent a waitlist confirmation, once that says nothing."""

from __future__ import annotations

from domain.crm_ports import WaitlistConfirmationLog
from domain.emails import CONFIRMATION_INTERVAL
from domain.ports import Clock


class PurgeWaitlistConfirmationsUseCase:
    """Deletes the confirmation log's entries older than ``CONFIRMATION_INTERVAL``.

    - An entry only holds back a second confirmation for that interval; past it, it changes
      nothing, and it still names a contact (by blind index) and a service: it goes.
    - Works in bounded batches; returns how many entries were deleted.
    """

    def __init__(
        self, *, confirmations: WaitlistConfirmationLog, clock: Clock, batch_size: int = 500
    ) -> None:
        self._confirmations = confirmations
        self._clock = clock
        self._batch_size = batch_size

    async def execute(self) -> int:
        cutoff = self._clock.now() - CONFIRMATION_INTERVAL
        return await self._confirmations.purge_queued_before(cutoff, self._batch_size)
