"""The retention job: erase contacts kept longer than ``CONTACT_RETENTION_DAYS``."""

from __future__ import annotations

from datetime import timedelta

from domain.ports import Clock
from domain.privacy_ports import ContactRetention

DEFAULT_RETENTION = timedelta(days=180)


class EraseExpiredContactsUseCase:
    """Erases the contacts nobody needs any more; returns how many rows it erased.

    - A waitlist request closed (booked, declined, expired, withdrawn) for longer than the
      retention period (``updated_at``, the moment it closed) loses its ciphertext and blind
      index, and so do the emails queued with that ciphertext.
    - A lead with nothing active (every request's contact erased) and no activity for longer
      than the retention period loses its contact too, with its emails and withdrawal tokens.
    - Consent records stay as proof of consent: they never held the contact.
    - A zero period erases at the next pass. Bounded batches (``batch_size`` each per pass);
      idempotent (an erased row no longer matches); several workers are safe (each row is
      one conditional UPDATE).
    """

    def __init__(
        self,
        *,
        store: ContactRetention,
        clock: Clock,
        retention: timedelta = DEFAULT_RETENTION,
        batch_size: int = 200,
    ) -> None:
        self._store = store
        self._clock = clock
        self._retention = retention
        self._batch_size = batch_size

    async def execute(self) -> int:
        now = self._clock.now()
        cutoff = now - self._retention
        erased = await self._store.erase_closed_requests(cutoff, self._batch_size)
        erased += await self._store.erase_idle_leads(cutoff, self._batch_size, now)
        return erased
