"""Read a payment's state for the return page."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.errors import PaymentNotFound
from domain.models import AppointmentStatus, Money
from domain.payments import PaymentKind, PaymentStatus
from domain.ports import UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class PaymentStatusResult:
    payment_id: UUID
    status: PaymentStatus
    kind: PaymentKind
    amount: Money
    appointment_status: AppointmentStatus | None


class GetPaymentUseCase:
    """Returns a payment's status, kind, amount and its appointment's status.

    - An unknown payment id is ``payment_not_found`` (ids are random UUIDs).
    - Only what the return page needs: no provider ids, no confirmation data.
    """

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def execute(self, payment_id: UUID) -> PaymentStatusResult:
        async with self._uow() as uow:
            payment = await uow.payments.get(payment_id)
            if payment is None:
                raise PaymentNotFound()
            appointment = await uow.appointments.get(payment.appointment_id)
        return PaymentStatusResult(
            payment_id=payment.id,
            status=payment.status,
            kind=payment.kind,
            amount=payment.amount,
            appointment_status=None if appointment is None else appointment.status,
        )
