"""Two people's data on a real database, written by the real use cases, for subject access.

``seed_subjects`` stores, for the subject: two waitlist requests (typed two ways, one lead),
an appointment with a name, an email and the same phone, a paid deposit with its provider
secrets, the consents of all three and the lead's timeline. For another person: a request
and an appointment of their own. Tests then check the subject's file holds the first and
never the second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from composition.container import Container
from domain.models import ConsentEvidence, Money
from domain.payments import Payment, PaymentEventType, PaymentKind, PaymentStatus
from domain.use_cases.create_waitlist_request import CreateWaitlistRequestCommand
from domain.use_cases.hold_slot import HoldSlotCommand
from domain.use_cases.record_lead_payment_event import RecordLeadPaymentEventUseCase
from tables.core.tables import SlotTable
from tables.demo import DEMO_SERVICES, seed_demo
from tables.payments.tables import PaymentTable

SUBJECT_PHONE = "+79165550011"
SUBJECT_NAME = "Анна Петрова"
SUBJECT_EMAIL = "anna.petrova@example.org"
SUBJECT_IP = "203.0.113.7"
OTHER_PHONE = "+79165550022"
OTHER_NAME = "Борис Другой"
OTHER_EMAIL = "boris@example.org"
CONFIRMATION_URL = "https://yoomoney.ru/checkout/payments/v2/contract?orderId=SECRET-ORDER"
PROVIDER_ID = "2f1e-provider-payment-id"


@dataclass(frozen=True, slots=True)
class SeededSubjects:
    request_ids: tuple[UUID, UUID]
    appointment_id: UUID
    payment_id: UUID
    idempotence_key: str
    other_request_id: UUID
    other_appointment_id: UUID
    service_titles: tuple[str, str]


def waitlist_command(slug: str, phone: str, ip: str | None) -> CreateWaitlistRequestCommand:
    return CreateWaitlistRequestCommand(
        service_slug=slug,
        preferred_contact_method="phone",
        contact_value=phone,
        preferred_time_window="evening",
        personal_data_consent=True,
        communications_consent=True,
        consent_version="2026-11-01",
        evidence=ConsentEvidence(ip=ip, user_agent="Mozilla/5.0 (X11; Linux) Firefox/128.0"),
    )


def hold_command(slot_id: UUID, name: str, email: str, phone: str) -> HoldSlotCommand:
    return HoldSlotCommand(
        slot_id=slot_id,
        client_name=name,
        email=email,
        phone=phone,
        personal_data_consent=True,
        communications_consent=False,
        consent_version="2026-11-01",
        evidence=ConsentEvidence(ip=None, user_agent=None),
    )


async def seed_subjects(c: Container) -> SeededSubjects:
    await seed_demo()
    # The demo's own services: a test's other services may have any slug.
    first, second = DEMO_SERVICES[0], DEMO_SERVICES[1]
    # The same phone typed two ways: one contact, one lead.
    one = await c.create_waitlist_request.execute(
        waitlist_command(first.slug, "8 (916) 555-00-11", SUBJECT_IP)
    )
    two = await c.create_waitlist_request.execute(
        waitlist_command(second.slug, "+7 916 555 00 11", SUBJECT_IP)
    )
    other = await c.create_waitlist_request.execute(
        waitlist_command(first.slug, OTHER_PHONE, "198.51.100.9")
    )
    slots = (
        await SlotTable.select(SlotTable.id)
        .where(
            (SlotTable.status == "free")
            & (SlotTable.starts_at > datetime.now(UTC) + timedelta(hours=2))
        )
        .order_by(SlotTable.starts_at)
        .limit(2)
    )
    held = await c.hold_slot.execute(
        hold_command(slots[0]["id"], SUBJECT_NAME, SUBJECT_EMAIL, "+7 (916) 555-00-11")
    )
    other_held = await c.hold_slot.execute(
        hold_command(slots[1]["id"], OTHER_NAME, OTHER_EMAIL, OTHER_PHONE)
    )
    now = c.clock.now()
    payment = Payment.start(
        appointment_id=held.appointment_id,
        kind=PaymentKind.DEPOSIT,
        amount=Money.rub("1500"),
        request_fingerprint="f",
        now=now,
    )
    async with c.uow() as uow:
        await uow.payments.add(payment)
        await uow.commit()
    await PaymentTable.update(
        {
            PaymentTable.status: PaymentStatus.SUCCEEDED.value,
            PaymentTable.provider_payment_id: PROVIDER_ID,
            PaymentTable.confirmation_type: "redirect",
            PaymentTable.confirmation_url: CONFIRMATION_URL,
        }
    ).where(PaymentTable.id == payment.id)
    payment.status = PaymentStatus.SUCCEEDED
    async with c.uow() as uow:
        appointment = await uow.appointments.get(held.appointment_id)
        await RecordLeadPaymentEventUseCase().on_payment_event(
            uow, PaymentEventType.SUCCEEDED, payment, appointment, now
        )
        await uow.commit()
    return SeededSubjects(
        request_ids=(one.waitlist_request_id, two.waitlist_request_id),
        appointment_id=held.appointment_id,
        payment_id=payment.id,
        idempotence_key=payment.idempotence_key,
        other_request_id=other.waitlist_request_id,
        other_appointment_id=other_held.appointment_id,
        service_titles=(first.title, second.title),
    )
