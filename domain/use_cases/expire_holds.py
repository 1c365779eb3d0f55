"""Expire unpaid appointment holds and free their slots."""

from __future__ import annotations

from domain.models import AppointmentStatus
from domain.ports import Clock, UnitOfWorkFactory


class ExpireHoldsUseCase:
    """Expires holds whose time ran out.

    - Only ``pending_payment`` appointments past ``hold_expires_at`` expire.
    - Each expiry frees its slot in the same transaction; a hold that a payment confirmed
      meanwhile is left alone.
    - Works in bounded batches; returns how many holds expired.
    """

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, batch_size: int = 200) -> None:
        self._uow = uow
        self._clock = clock
        self._batch_size = batch_size

    async def execute(self) -> int:
        now = self._clock.now()
        async with self._uow() as uow:
            expired = await uow.appointments.list_expired_holds(now, self._batch_size)
            count = 0
            for appointment in expired:
                # A concurrent payment or worker may have moved it already: compare-and-set.
                if await uow.appointments.transition(
                    appointment.id,
                    AppointmentStatus.PENDING_PAYMENT,
                    AppointmentStatus.EXPIRED,
                    now,
                ):
                    await uow.slots.release(appointment.slot_id)
                    count += 1
            await uow.commit()
        return count
