"""The client's payment emails are queued by the payment event hook (fakes, no mocks)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.emails import EmailTemplate, OutgoingEmail, outbox_id, refund_reason_text, render
from domain.models import Appointment, AppointmentStatus, EncryptedClient, SlotStatus
from domain.payment_ports import PaymentEventHooks
from domain.payments import Payment, PaymentEventType, PaymentStatus, RefundReason
from domain.practice_time import PracticeTimezone
from domain.use_cases.create_payment_intent import (
    CreatePaymentIntentCommand,
    CreatePaymentIntentUseCase,
)
from domain.use_cases.get_payment import GetPaymentUseCase
from domain.use_cases.handle_payment_notification import (
    HandlePaymentNotificationUseCase,
    PaymentNotification,
)
from domain.use_cases.notify_client_of_payment import NotifyClientOfPaymentUseCase
from domain.use_cases.payment_status import PaymentSettings
from domain.use_cases.refund_payments import RefundPaymentsUseCase
from tests.support.builders import a_service, a_slot
from tests.support.fakes import FakeEncryptor, FixedClock, InMemoryUnitOfWorkFactory
from tests.support.payment_fakes import FakePaymentGateway, RecordingPaymentHook

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
# Thursday 10 December 2026, 14:00 in Moscow.
STARTS = datetime(2026, 12, 10, 11, 0, tzinfo=UTC)
EMAIL = "anna.private@example.com"
PHONE = "+79161234567"
NAME = "Анна Тайная"


class World:
    """One held appointment, the payment use cases and the client-email hook behind them."""

    def __init__(self, *, email: str | None = EMAIL, phone: str | None = PHONE) -> None:
        self.uow = InMemoryUnitOfWorkFactory()
        self.clock = FixedClock(NOW)
        self.gateway = FakePaymentGateway()
        self.encryptor = FakeEncryptor()
        self.recorded = RecordingPaymentHook()
        self.notify_client = NotifyClientOfPaymentUseCase()
        hook = PaymentEventHooks(self.recorded, self.notify_client)
        self.service = a_service(price="5000.00", deposit="1500.00")
        self.slot = replace(a_slot(self.service, STARTS), status=SlotStatus.HELD)
        self.appointment = Appointment.hold(
            slot=self.slot,
            client=EncryptedClient(
                name=self.encryptor.encrypt(NAME),
                email=None if email is None else self.encryptor.encrypt(email),
                phone=None if phone is None else self.encryptor.encrypt(phone),
                email_index=None if email is None else "e",
                phone_index=None if phone is None else "p",
            ),
            now=NOW,
        )
        store = self.uow.store
        store.services[self.service.id] = self.service
        store.slots[self.slot.id] = self.slot
        store.appointments[self.appointment.id] = self.appointment
        common = {"uow": self.uow, "clock": self.clock, "gateway": self.gateway}
        self.create = CreatePaymentIntentUseCase(
            **common,
            encryptor=self.encryptor,
            settings=PaymentSettings(public_site_url="https://site.example"),
            hook=hook,
        )
        self.notify = HandlePaymentNotificationUseCase(
            **common,
            test_shop=False,
            refunds=RefundPaymentsUseCase(**common, hook=hook),
            hook=hook,
        )

    async def pay(self, outcome: PaymentStatus = PaymentStatus.SUCCEEDED) -> Payment:
        await self.create.execute(CreatePaymentIntentCommand(appointment_id=self.appointment.id))
        [payment] = self.uow.store.payments.values()
        assert payment.provider_payment_id is not None
        self.gateway.settle(payment.provider_payment_id, outcome)
        event = "payment.succeeded" if outcome is PaymentStatus.SUCCEEDED else "payment.canceled"
        await self.notify.execute(PaymentNotification(event, payment.provider_payment_id))
        return self.uow.store.payments[payment.id]

    def emails(self) -> list[OutgoingEmail]:
        return list(self.uow.store.emails.values())

    async def hear(
        self,
        event: PaymentEventType,
        payment: Payment,
        appointment: Appointment | None = None,
        *,
        commit: bool = True,
    ) -> None:
        """The hook on its own, inside a unit of work, as the payment use cases call it."""
        async with self.uow() as unit:
            await self.notify_client.on_payment_event(
                unit, event, payment, appointment or self.appointment, self.clock.now()
            )
            if commit:
                await unit.commit()


def refunded(payment: Payment, reason: RefundReason) -> Payment:
    return replace(payment, status=PaymentStatus.REFUNDED, refund_reason=reason, refunded_at=NOW)


def assert_nothing_personal(email: OutgoingEmail) -> None:
    stored = repr(email.params) + "".join(email.params.values())
    for secret in (EMAIL, PHONE, PHONE.lstrip("+"), NAME, "Анна"):
        assert secret not in stored


# The confirmation --------------------------------------------------------------------------


async def test_a_paid_and_confirmed_appointment_queues_one_confirmation_to_its_email() -> None:
    world = World()
    payment = await world.pay()

    [email] = world.emails()
    assert email.template is EmailTemplate.PAYMENT_CONFIRMATION
    assert email.id == outbox_id(EmailTemplate.PAYMENT_CONFIRMATION, payment.id)
    # The appointment's own ciphertext: the hook never decrypts the address.
    assert email.recipient_ciphertext == world.appointment.client.email
    assert world.encryptor.decrypt(email.recipient_ciphertext) == EMAIL
    assert email.next_attempt_at == NOW
    assert_nothing_personal(email)
    rendered = render(email.template, email.params)
    assert "Индивидуальная консультация" in rendered.text
    assert "четверг, 10 декабря 2026, 14:00–14:50 (Москва)" in rendered.text
    assert "1\u00a0500\u00a0₽ — предоплата" in rendered.text
    assert [a.filename for a in rendered.attachments] == ["zapis.ics"]


async def test_a_redelivered_success_notification_queues_no_second_confirmation() -> None:
    world = World()
    payment = await world.pay()
    assert payment.provider_payment_id is not None
    for _ in range(3):
        await world.notify.execute(
            PaymentNotification("payment.succeeded", payment.provider_payment_id)
        )
    # The hook heard once more (a replayed event must not double-queue either).
    await world.hear(
        PaymentEventType.SUCCEEDED, payment, world.uow.store.appointments[payment.appointment_id]
    )
    assert len(world.emails()) == 1


async def test_the_crm_hook_still_hears_every_event_before_the_emails() -> None:
    world = World()
    payment = await world.pay()
    assert world.recorded.events == [(PaymentEventType.SUCCEEDED, payment.id)]
    assert len(world.emails()) == 1


async def test_a_phone_only_client_gets_no_email() -> None:
    world = World(email=None)
    payment = await world.pay()
    assert payment.status is PaymentStatus.SUCCEEDED
    assert world.uow.store.appointments[world.appointment.id].status is (
        AppointmentStatus.CONFIRMED
    )
    assert world.emails() == []


async def test_a_canceled_payment_sends_nothing() -> None:
    world = World()
    await world.pay(PaymentStatus.CANCELED)
    assert world.emails() == []


async def test_money_for_a_hold_that_ran_out_is_refunded_with_no_confirmation() -> None:
    world = World()
    await world.create.execute(CreatePaymentIntentCommand(appointment_id=world.appointment.id))
    store = world.uow.store
    store.appointments[world.appointment.id].status = AppointmentStatus.EXPIRED
    [payment] = store.payments.values()
    assert payment.provider_payment_id is not None
    world.gateway.settle(payment.provider_payment_id, PaymentStatus.SUCCEEDED)
    await world.notify.execute(
        PaymentNotification("payment.succeeded", payment.provider_payment_id)
    )
    # The money goes back at once: the client hears of the refund, never of a booking.
    assert store.payments[payment.id].status is PaymentStatus.REFUNDED
    assert [email.template for email in world.emails()] == [EmailTemplate.PAYMENT_REFUND]


async def test_a_payment_already_on_its_way_back_gets_no_confirmation() -> None:
    # Another payment confirmed the appointment; this one was moved on to a refund in the
    # same transaction, before the hook heard "succeeded".
    world = World()
    payment = await world.pay()
    world.uow.store.emails.clear()
    second = replace(payment, id=uuid4(), status=PaymentStatus.SUCCEEDED)
    second.start_refund(RefundReason.ALREADY_PAID, NOW)
    confirmed = world.uow.store.appointments[world.appointment.id]
    assert confirmed.status is AppointmentStatus.CONFIRMED
    await world.hear(PaymentEventType.SUCCEEDED, second, confirmed)
    assert world.emails() == []


async def test_the_email_is_queued_in_the_payment_s_transaction_or_not_at_all() -> None:
    world = World()
    payment = await world.pay()
    world.uow.store.emails.clear()
    confirmed = world.uow.store.appointments[world.appointment.id]
    await world.hear(PaymentEventType.SUCCEEDED, payment, confirmed, commit=False)
    assert world.emails() == []


async def test_waiting_for_capture_sends_nothing() -> None:
    world = World()
    payment = await world.pay()
    world.uow.store.emails.clear()
    await world.hear(PaymentEventType.WAITING_FOR_CAPTURE, payment)
    assert world.emails() == []


async def test_the_practice_timezone_sets_the_time_in_the_email() -> None:
    world = World()
    world.notify_client = NotifyClientOfPaymentUseCase(
        timezone=PracticeTimezone.named("Asia/Yekaterinburg")
    )
    payment = await world.pay()
    world.uow.store.emails.clear()
    confirmed = world.uow.store.appointments[world.appointment.id]
    await world.hear(PaymentEventType.SUCCEEDED, payment, confirmed)
    [email] = world.emails()
    assert email.params["when"] == "четверг, 10 декабря 2026, 16:00–16:50 (Екатеринбург)"
    assert email.params["starts_at"] == "2026-12-10T11:00:00+00:00"


# The refund email --------------------------------------------------------------------------


@pytest.mark.parametrize("reason", list(RefundReason))
async def test_a_refund_queues_one_email_with_its_reason_and_amount(reason: RefundReason) -> None:
    world = World()
    payment = await world.pay()
    back = refunded(payment, reason)
    for _ in range(2):
        await world.hear(PaymentEventType.REFUNDED, back)

    refunds = [e for e in world.emails() if e.template is EmailTemplate.PAYMENT_REFUND]
    assert len(refunds) == 1
    [email] = refunds
    assert email.id == outbox_id(EmailTemplate.PAYMENT_REFUND, payment.id)
    assert email.recipient_ciphertext == world.appointment.client.email
    assert email.params["reason"] == reason.value
    assert_nothing_personal(email)
    rendered = render(email.template, email.params)
    assert refund_reason_text(reason) in rendered.text
    assert "1\u00a0500\u00a0₽" in rendered.text
    assert "четверг, 10 декабря 2026, 14:00–14:50 (Москва)" in rendered.text


async def test_a_refund_event_for_a_payment_that_is_not_refunded_sends_nothing() -> None:
    # A partial refund made by hand in YooKassa leaves the payment succeeded.
    world = World()
    payment = await world.pay()
    world.uow.store.emails.clear()
    await world.hear(PaymentEventType.REFUNDED, payment)
    assert world.emails() == []


async def test_a_refund_to_a_phone_only_client_sends_nothing() -> None:
    world = World(email=None)
    payment = await world.pay()
    await world.hear(PaymentEventType.REFUNDED, refunded(payment, RefundReason.HOLD_EXPIRED))
    assert world.emails() == []


async def test_an_event_without_its_appointment_sends_nothing() -> None:
    world = World()
    payment = await world.pay()
    world.uow.store.emails.clear()
    async with world.uow() as unit:
        await world.notify_client.on_payment_event(
            unit, PaymentEventType.SUCCEEDED, payment, None, NOW
        )
        await unit.commit()
    assert world.emails() == []


# The return page's read --------------------------------------------------------------------


async def test_the_payment_is_read_with_service_and_times_for_the_return_page() -> None:
    world = World()
    payment = await world.pay()
    result = await GetPaymentUseCase(uow=world.uow).execute(payment.id)
    assert result.service_title == "Индивидуальная консультация"
    assert result.starts_at == STARTS
    assert result.ends_at == STARTS + timedelta(minutes=50)
    assert result.local_time == "четверг, 10 декабря 2026, 14:00–14:50 (Москва)"
    result = await GetPaymentUseCase(
        uow=world.uow, timezone=PracticeTimezone.named("Europe/Kaliningrad")
    ).execute(payment.id)
    assert result.local_time == "четверг, 10 декабря 2026, 13:00–13:50 (Калининград)"
