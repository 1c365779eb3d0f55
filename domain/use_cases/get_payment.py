"""Read a payment's state for the return page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.errors import PaymentNotFound
from domain.models import AppointmentStatus, Money
from domain.payments import PaymentKind, PaymentStatus, RefundReason
from domain.ports import UnitOfWorkFactory
from domain.practice_time import MOSCOW, PracticeTimezone


@dataclass(frozen=True, slots=True)
class PaymentStatusResult:
    payment_id: UUID
    status: PaymentStatus
    kind: PaymentKind
    amount: Money
    appointment_status: AppointmentStatus | None
    service_title: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    local_time: str | None = None  # «четверг, 10 декабря 2026, 14:00–14:50 (Москва)»
    refund_reason: RefundReason | None = None


class GetPaymentUseCase:
    """Returns a payment's status, kind, amount, its appointment's status and what the
    appointment is: service title, start and end, and both as the client reads them; for a
    payment paid back, why.

    - An unknown payment id is ``payment_not_found`` (ids are random UUIDs).
    - Only what the return page needs: no provider ids, no confirmation data, no contact.
    - Times are UTC; ``local_time`` is written in the practice's timezone, in Russian.
    """

    def __init__(self, *, uow: UnitOfWorkFactory, timezone: PracticeTimezone = MOSCOW) -> None:
        self._uow = uow
        self._timezone = timezone

    async def execute(self, payment_id: UUID) -> PaymentStatusResult:
        async with self._uow() as uow:
            payment = await uow.payments.get(payment_id)
            if payment is None:
                raise PaymentNotFound()
            appointment = await uow.appointments.get(payment.appointment_id)
            service = slot = None
            if appointment is not None:
                service = await uow.services.get(appointment.service_id)
                slot = await uow.slots.get(appointment.slot_id)
        return PaymentStatusResult(
            payment_id=payment.id,
            status=payment.status,
            kind=payment.kind,
            amount=payment.amount,
            appointment_status=None if appointment is None else appointment.status,
            service_title=None if service is None else service.title,
            starts_at=None if slot is None else slot.starts_at,
            ends_at=None if slot is None else slot.ends_at,
            local_time=None
            if slot is None
            else self._timezone.describe(slot.starts_at, slot.ends_at),
            refund_reason=payment.refund_reason,
        )
