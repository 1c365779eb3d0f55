"""The client hears about their payment by email: a confirmation, or a refund and why."""

from __future__ import annotations

import logging
from datetime import datetime

from domain.emails import (
    EmailTemplate,
    OutgoingEmail,
    outbox_id,
    payment_confirmation_params,
    payment_refund_params,
)
from domain.models import Appointment, AppointmentStatus, Service, Slot
from domain.payment_ports import PaymentEventUnitOfWork
from domain.payments import Payment, PaymentEventType, PaymentStatus, RefundReason
from domain.practice_time import MOSCOW, PracticeTimezone

logger = logging.getLogger("domain.emails")


class NotifyClientOfPaymentUseCase:
    """Implements the payments' ``PaymentEventHook``: queues the client's emails.

    - Runs inside the transaction that records the payment change: the email is queued if and
      only if that change commits; the worker sends it later, outside any transaction.
    - ``payment_succeeded`` for a payment still ``succeeded`` whose appointment is now
      ``confirmed`` queues the confirmation: service, date and time in the practice's
      timezone, amount paid (deposit or full), what happens next, an ``.ics`` file. A payment
      that already went on to a refund (an appointment we could not keep) gets none.
    - ``payment_refunded`` queues the refund email: why (one sentence per refund reason) and
      how much, when the money arrives.
    - At most one email per payment and template: its outbox id is derived from both and
      inserted only if absent, so a redelivered notification or a concurrent worker adds none.
    - Only clients with an email address get one; the recipient is the appointment's own
      ciphertext, never decrypted here. The parameters hold no contact and nothing about
      health: service title, times and amounts only.
    """

    def __init__(self, *, timezone: PracticeTimezone = MOSCOW) -> None:
        self._timezone = timezone

    async def on_payment_event(
        self,
        uow: PaymentEventUnitOfWork,
        event: PaymentEventType,
        payment: Payment,
        appointment: Appointment | None,
        now: datetime,
    ) -> None:
        if appointment is None or not appointment.client.email:
            return
        if event is PaymentEventType.SUCCEEDED:
            if payment.status is not PaymentStatus.SUCCEEDED:
                return
            if appointment.status is not AppointmentStatus.CONFIRMED:
                return
            template = EmailTemplate.PAYMENT_CONFIRMATION
        elif event is PaymentEventType.REFUNDED and payment.status is PaymentStatus.REFUNDED:
            template = EmailTemplate.PAYMENT_REFUND
        else:
            return
        service = await uow.services.get(appointment.service_id)
        slot = await uow.slots.get(appointment.slot_id)
        if service is None or slot is None:
            logger.warning("payment %s: appointment without service or slot, no email", payment.id)
            return
        params = (
            self._confirmation(payment, appointment, service, slot, now)
            if template is EmailTemplate.PAYMENT_CONFIRMATION
            else self._refund(payment, service, slot)
        )
        email = OutgoingEmail.queue(
            id=outbox_id(template, payment.id),
            recipient_ciphertext=appointment.client.email,
            # So a withdrawal of consent finds and cancels it by the contact's blind index.
            recipient_index=appointment.client.email_index,
            template=template,
            params=params,
            now=now,
        )
        if await uow.email_outbox.add_once(email):
            logger.info("email %s queued: %s for payment %s", email.id, template.value, payment.id)

    def _confirmation(
        self,
        payment: Payment,
        appointment: Appointment,
        service: Service,
        slot: Slot,
        now: datetime,
    ) -> dict[str, str]:
        return payment_confirmation_params(
            appointment_id=appointment.id,
            service_title=service.title,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            when=self._timezone.describe(slot.starts_at, slot.ends_at),
            amount=payment.amount,
            kind=payment.kind,
            price=service.price,
            issued_at=now,
        )

    def _refund(self, payment: Payment, service: Service, slot: Slot) -> dict[str, str]:
        return payment_refund_params(
            service_title=service.title,
            when=self._timezone.describe(slot.starts_at, slot.ends_at),
            amount=payment.amount,
            reason=payment.refund_reason or RefundReason.BY_STAFF,
        )
