"""Expire unpaid appointment holds and free their slots."""

from __future__ import annotations

from datetime import timedelta

from domain.models import AppointmentStatus
from domain.ports import Clock, UnitOfWorkFactory

DEFAULT_PAYMENT_GRACE = timedelta(minutes=120)


class ExpireHoldsUseCase:
    """Expires holds whose time ran out.

    - Only ``pending_payment`` appointments past ``hold_expires_at`` expire.
    - Each expiry frees its slot in the same transaction; a hold that a payment confirmed
      meanwhile is left alone.
    - A hold whose payment is still in progress (the client may be paying right now) is kept
      until ``payment_grace`` after its expiry: YooKassa settles or cancels a payment within
      about an hour, and its outcome confirms or frees the slot.
    - Kept holds are left out by the query itself, so every batch is work and no number of
      kept holds can stall the ones behind them.
    - Works in bounded batches; returns how many holds expired.
    """

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        batch_size: int = 200,
        payment_grace: timedelta = DEFAULT_PAYMENT_GRACE,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._batch_size = batch_size
        self._payment_grace = payment_grace

    async def execute(self) -> int:
        now = self._clock.now()
        async with self._uow() as uow:
            expired = await uow.appointments.list_expired_holds(
                now, self._batch_size, payment_grace=self._payment_grace
            )
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
