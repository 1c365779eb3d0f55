"""Payment events reach the timeline of the lead with the same contact (real database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.settings import load_settings
from composition.container import build_container
from domain.models import ConsentEvidence, Money
from domain.payments import Payment, PaymentEventType, PaymentKind, PaymentStatus
from domain.use_cases.create_waitlist_request import CreateWaitlistRequestCommand
from domain.use_cases.hold_slot import HoldSlotCommand
from domain.use_cases.record_lead_payment_event import RecordLeadPaymentEventUseCase
from tables.core.tables import SlotTable
from tables.crm.tables import LeadTable, LeadTimelineEventTable
from tables.demo import seed_demo

pytestmark = [pytest.mark.anyio, pytest.mark.db]


async def test_payment_events_are_added_once_to_the_matching_lead_and_convert_it(
    db: object,
) -> None:
    await seed_demo()
    container = build_container(load_settings())
    slug = (await container.list_services.execute())[-1].slug
    await container.create_waitlist_request.execute(
        CreateWaitlistRequestCommand(
            service_slug=slug,
            preferred_contact_method="phone",
            contact_value="8 (916) 555-00-11",
            preferred_time_window="any",
            personal_data_consent=True,
            communications_consent=True,
            consent_version="2026-11-01",
            evidence=ConsentEvidence(ip=None, user_agent=None),
        )
    )
    slot = (
        await SlotTable.select(SlotTable.id)
        .where(
            (SlotTable.status == "free")
            & (SlotTable.starts_at > datetime.now(UTC) + timedelta(hours=2))
        )
        .first()
    )
    assert slot is not None
    held = await container.hold_slot.execute(
        HoldSlotCommand(
            slot_id=slot["id"],
            client_name="Клиент",
            email="other@example.org",
            phone="+7 916 555 00 11",
            personal_data_consent=True,
            communications_consent=False,
            consent_version="2026-11-01",
            evidence=ConsentEvidence(ip=None, user_agent=None),
        )
    )
    hook = RecordLeadPaymentEventUseCase()
    now = container.clock.now()
    payment = Payment.start(
        appointment_id=held.appointment_id,
        kind=PaymentKind.DEPOSIT,
        amount=Money.rub("1500"),
        request_fingerprint="f",
        now=now,
    )
    for event in (
        PaymentEventType.WAITING_FOR_CAPTURE,
        PaymentEventType.SUCCEEDED,
        PaymentEventType.SUCCEEDED,
    ):
        payment.status = PaymentStatus(event.value.removeprefix("payment_"))
        async with container.uow() as uow:
            appointment = await uow.appointments.get(held.appointment_id)
            await hook.on_payment_event(uow, event, payment, appointment, now)
            await uow.commit()

    [lead] = await LeadTable.select()
    assert lead["status"] == "converted"
    events = await LeadTimelineEventTable.select().order_by(LeadTimelineEventTable.occurred_at)
    assert [e["type"] for e in events] == ["waitlist_submitted", "payment_succeeded"]
    assert events[1]["payment_id"] == payment.id
    assert events[1]["appointment"] == held.appointment_id

    async with container.uow() as uow:
        appointment = await uow.appointments.get(held.appointment_id)
        await hook.on_payment_event(uow, PaymentEventType.CANCELED, payment, appointment, now)
        # no commit: the hook's writes belong to the caller's transaction
    assert await LeadTimelineEventTable.count() == 2


async def test_a_payment_without_a_matching_lead_writes_nothing(db: object) -> None:
    await seed_demo()
    container = build_container(load_settings())
    slot = (
        await SlotTable.select(SlotTable.id)
        .where(SlotTable.status == "free")
        .order_by(SlotTable.starts_at, ascending=False)
        .first()
    )
    assert slot is not None
    held = await container.hold_slot.execute(
        HoldSlotCommand(
            slot_id=slot["id"],
            client_name="Клиент",
            email="nobody@example.org",
            phone=None,
            personal_data_consent=True,
            communications_consent=False,
            consent_version="2026-11-01",
            evidence=ConsentEvidence(ip=None, user_agent=None),
        )
    )
    now = container.clock.now()
    payment = Payment.start(
        appointment_id=held.appointment_id,
        kind=PaymentKind.FULL,
        amount=Money.rub("5000"),
        request_fingerprint="f",
        now=now,
    )
    async with container.uow() as uow:
        appointment = await uow.appointments.get(held.appointment_id)
        await RecordLeadPaymentEventUseCase().on_payment_event(
            uow, PaymentEventType.SUCCEEDED, payment, appointment, now
        )
        await uow.commit()
    assert await LeadTimelineEventTable.count() == 0
    assert await LeadTable.count() == 0
