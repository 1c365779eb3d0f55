"""Expire unpaid appointment holds and free their slots."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from domain.models import AppointmentStatus
from domain.ports import Clock, UnitOfWork, UnitOfWorkFactory


class ExpireHoldsUseCase:
    """Expires holds whose time ran out.

    - Only ``pending_payment`` appointments past ``hold_expires_at`` expire.
    - Each expiry frees its slot in the same transaction; a hold that a payment confirmed
      meanwhile is left alone.
    - A hold whose payment is still in progress (the client may be paying right now) is
      kept while that payment is younger than ``payment_grace``: YooKassa settles or cancels
      it within about an hour, and its outcome confirms or frees the slot.
    - Works in bounded batches; returns how many holds expired.
    """

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        batch_size: int = 200,
        payment_grace: timedelta = timedelta(hours=2),
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._batch_size = batch_size
        self._payment_grace = payment_grace

    async def execute(self) -> int:
        now = self._clock.now()
        async with self._uow() as uow:
            expired = await uow.appointments.list_expired_holds(now, self._batch_size)
            count = 0
            for appointment in expired:
                if await self._payment_in_progress(uow, appointment.id, now):
                    continue
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

    async def _payment_in_progress(
        self, uow: UnitOfWork, appointment_id: UUID, now: datetime
    ) -> bool:
        live = await uow.payments.find_live(appointment_id)
        return live is not None and now - live.created_at < self._payment_grace
