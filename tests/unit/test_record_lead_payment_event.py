"""The CRM hears about payments: a refund-bound success is on the timeline, not a conversion."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.crm import EncryptedContact, Lead, LeadSource, LeadStatus
from domain.models import ContactMethod
from domain.payments import PaymentEventType, PaymentStatus
from domain.use_cases.record_lead_payment_event import RecordLeadPaymentEventUseCase
from tests.unit.test_payment_use_cases import NOW, World

pytestmark = pytest.mark.anyio


async def timeline_after(status: PaymentStatus, events: list[PaymentEventType]) -> World:
    world = World()
    lead = Lead.first_seen(
        contact=EncryptedContact(ContactMethod.EMAIL, "enc:v1:anna", "e"),
        source=LeadSource.WAITLIST,
        now=NOW,
    )
    world.uow.store.leads[lead.id] = lead
    await world.create.execute(world.command())
    [payment] = world.payments()
    hook = RecordLeadPaymentEventUseCase()
    for event in events:
        async with world.uow() as uow:
            appointment = await uow.appointments.get(world.appointment.id)
            await hook.on_payment_event(
                uow, event, replace(payment, status=status), appointment, NOW
            )
            await uow.commit()
    return world


async def test_a_kept_success_converts_the_lead() -> None:
    world = await timeline_after(PaymentStatus.SUCCEEDED, [PaymentEventType.SUCCEEDED])
    [lead] = world.uow.store.leads.values()
    assert lead.status is LeadStatus.CONVERTED


async def test_a_success_being_refunded_is_recorded_but_converts_nobody() -> None:
    world = await timeline_after(
        PaymentStatus.REFUND_PENDING, [PaymentEventType.SUCCEEDED, PaymentEventType.REFUNDED]
    )
    [lead] = world.uow.store.leads.values()
    assert lead.status is LeadStatus.NEW
    types = [event.type.value for event in world.uow.store.lead_timeline]
    assert types == ["payment_succeeded", "payment_refunded"]
