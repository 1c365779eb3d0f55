"""Payment events on the timeline of the lead whose contact booked the appointment."""

from __future__ import annotations

import logging
from datetime import datetime

from domain.crm import LeadStatus, LeadTimelineEvent, LeadTimelineEventType
from domain.models import Appointment
from domain.payment_ports import PaymentEventUnitOfWork
from domain.payments import Payment, PaymentEventType, PaymentStatus

logger = logging.getLogger("domain.crm")

_TIMELINE_TYPES = {
    PaymentEventType.SUCCEEDED: LeadTimelineEventType.PAYMENT_SUCCEEDED,
    PaymentEventType.CANCELED: LeadTimelineEventType.PAYMENT_CANCELED,
    PaymentEventType.REFUNDED: LeadTimelineEventType.PAYMENT_REFUNDED,
}


class RecordLeadPaymentEventUseCase:
    """Implements the payments' ``PaymentEventHook``: the CRM hears about payments.

    - Runs inside the transaction that records the payment change: both commit or neither.
    - The lead is found by blind index: the appointment's email or phone index equals a
      lead's contact index. No lead for that contact: nothing is written.
    - ``payment_succeeded``, ``payment_canceled`` and ``payment_refunded`` go on the timeline
      with references to the payment and the appointment, once per payment and type
      (a redelivered notification adds nothing). Waiting for capture is not a CRM event.
    - A successful payment converts a lead that is still new or in progress; not one that
      is being refunded because its appointment could not be honoured.
    """

    async def on_payment_event(
        self,
        uow: PaymentEventUnitOfWork,
        event: PaymentEventType,
        payment: Payment,
        appointment: Appointment | None,
        now: datetime,
    ) -> None:
        timeline_type = _TIMELINE_TYPES.get(event)
        if timeline_type is None or appointment is None:
            return
        indexes = [
            index
            for index in (appointment.client.email_index, appointment.client.phone_index)
            if index
        ]
        for lead in await uow.leads.find_by_indexes(indexes):
            if await uow.lead_timeline.exists(lead.id, timeline_type.value, payment.id):
                continue
            await uow.lead_timeline.add(
                LeadTimelineEvent.of(
                    lead.id,
                    timeline_type,
                    now,
                    appointment_id=appointment.id,
                    payment_id=payment.id,
                )
            )
            if (
                timeline_type is LeadTimelineEventType.PAYMENT_SUCCEEDED
                and payment.status is PaymentStatus.SUCCEEDED  # not one going back
                and not lead.status.is_terminal
            ):
                await uow.leads.set_status(
                    lead.id, lead.status.value, LeadStatus.CONVERTED.value, now
                )
            logger.info("lead %s: %s for payment %s", lead.id, timeline_type.value, payment.id)
