"""Payment use cases with fakes: amounts, idempotency, recovery, notifications, reconciliation."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.errors import (
    AppointmentNotFound,
    AppointmentNotPayable,
    DepositNotAvailable,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    InvalidStatusTransition,
    LivePaymentExists,
    PaymentNotFound,
    ProviderRejected,
    ProviderUnavailable,
)
from domain.models import Appointment, AppointmentStatus, EncryptedClient, Money, SlotStatus
from domain.payments import (
    ConfirmationType,
    Payment,
    PaymentEventType,
    PaymentKind,
    PaymentStatus,
    ReceiptPaymentMode,
    request_fingerprint,
)
from domain.use_cases.create_payment_intent import (
    CreatePaymentIntentCommand,
    CreatePaymentIntentUseCase,
    PaymentIntentResult,
)
from domain.use_cases.deliver_tracking_events import DeliverTrackingEventsUseCase
from domain.use_cases.get_payment import GetPaymentUseCase
from domain.use_cases.handle_payment_notification import (
    HandlePaymentNotificationUseCase,
    NotificationOutcome,
    PaymentNotification,
)
from domain.use_cases.payment_status import PaymentSettings
from domain.use_cases.purge_idempotency_keys import PurgeIdempotencyKeysUseCase
from domain.use_cases.reconcile_payments import ReconcilePaymentsUseCase
from domain.use_cases.refund_payments import RefundPaymentsUseCase
from tests.support.builders import a_service, a_slot
from tests.support.fakes import FakeEncryptor, FixedClock, InMemoryUnitOfWorkFactory
from tests.support.payment_fakes import (
    FakePaymentGateway,
    InMemoryPayments,
    InMemoryTrackingQueue,
    RecordingPaymentHook,
)

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
SETTINGS = PaymentSettings(public_site_url="https://site.example")


class World:
    def __init__(
        self, *, deposit: str | None = "1500.00", settings: PaymentSettings = SETTINGS
    ) -> None:
        self.uow = InMemoryUnitOfWorkFactory()
        self.clock = FixedClock(NOW)
        self.gateway = FakePaymentGateway()
        self.encryptor = FakeEncryptor()
        self.hook = RecordingPaymentHook()
        self.service = a_service(price="5000.00", deposit=deposit)
        self.slot = replace(a_slot(self.service, NOW + timedelta(days=2)), status=SlotStatus.HELD)
        self.appointment = Appointment.hold(
            slot=self.slot,
            client=EncryptedClient(
                name=self.encryptor.encrypt("Анна"),
                email=self.encryptor.encrypt("anna@example.com"),
                phone=self.encryptor.encrypt("+79161234567"),
                email_index="e",
                phone_index="p",
            ),
            now=NOW,
        )
        store = self.uow.store
        store.services[self.service.id] = self.service
        store.slots[self.slot.id] = self.slot
        store.appointments[self.appointment.id] = self.appointment
        common = {"uow": self.uow, "clock": self.clock, "gateway": self.gateway}
        self.create = CreatePaymentIntentUseCase(
            **common, encryptor=self.encryptor, settings=settings, hook=self.hook
        )
        self.refunds = RefundPaymentsUseCase(**common, hook=self.hook)
        self.notify = HandlePaymentNotificationUseCase(
            **common, test_shop=False, refunds=self.refunds, hook=self.hook
        )
        self.reconcile = ReconcilePaymentsUseCase(
            **common,
            encryptor=self.encryptor,
            settings=settings,
            test_shop=False,
            refunds=self.refunds,
            hook=self.hook,
        )

    def command(self, **kw: object) -> CreatePaymentIntentCommand:
        return CreatePaymentIntentCommand(appointment_id=self.appointment.id, **kw)  # type: ignore[arg-type]

    def payments(self) -> list[Payment]:
        return list(self.uow.store.payments.values())

    def appointment_status(self) -> AppointmentStatus:
        return self.uow.store.appointments[self.appointment.id].status

    def slot_status(self) -> SlotStatus:
        return self.uow.store.slots[self.slot.id].status


# The payment entity ------------------------------------------------------------------------


def a_payment(status: PaymentStatus = PaymentStatus.CREATING) -> Payment:
    payment = Payment.start(
        appointment_id=uuid4(),
        kind=PaymentKind.DEPOSIT,
        amount=Money.rub("1500"),
        request_fingerprint="f",
        now=NOW,
    )
    payment.status = status
    return payment


def test_a_new_payment_is_creating_with_its_own_provider_key_of_at_most_64_chars() -> None:
    payment = a_payment()
    assert payment.status is PaymentStatus.CREATING
    assert payment.idempotence_key == f"eb-{payment.id}"
    assert len(payment.idempotence_key) <= 64


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (PaymentStatus.SUCCEEDED, PaymentStatus.PENDING),
        (PaymentStatus.SUCCEEDED, PaymentStatus.CANCELED),
        (PaymentStatus.CANCELED, PaymentStatus.SUCCEEDED),
        (PaymentStatus.FAILED, PaymentStatus.PENDING),
        (PaymentStatus.WAITING_FOR_CAPTURE, PaymentStatus.PENDING),
        (PaymentStatus.PENDING, PaymentStatus.CREATING),
        (PaymentStatus.PENDING, PaymentStatus.FAILED),
    ],
)
def test_payment_states_never_move_backwards_or_leave_a_terminal_state(
    start: PaymentStatus, target: PaymentStatus
) -> None:
    payment = a_payment(start)
    assert not payment.can_advance_to(target)
    with pytest.raises(InvalidStatusTransition):
        payment.advance_to(target, NOW)
    assert payment.status is start


def test_payment_states_move_forward_and_keep_a_short_cancellation_reason() -> None:
    payment = a_payment()
    payment.advance_to(PaymentStatus.PENDING, NOW)
    payment.advance_to(PaymentStatus.WAITING_FOR_CAPTURE, NOW)
    payment.advance_to(PaymentStatus.CANCELED, NOW, cancellation_reason="x" * 100)
    assert payment.status is PaymentStatus.CANCELED
    assert payment.cancellation_reason == "x" * 64


def test_the_fingerprint_depends_on_appointment_and_kind_only() -> None:
    appointment = uuid4()
    assert request_fingerprint(appointment, PaymentKind.FULL) == request_fingerprint(
        appointment, PaymentKind.FULL
    )
    assert request_fingerprint(appointment, PaymentKind.FULL) != request_fingerprint(
        appointment, PaymentKind.DEPOSIT
    )


# Creating a payment ------------------------------------------------------------------------


async def test_without_a_kind_the_deposit_is_charged_when_the_service_has_one() -> None:
    world = World()
    result = await world.create.execute(world.command())

    assert result.kind is PaymentKind.DEPOSIT
    assert result.amount == Money.rub("1500.00")
    assert result.status is PaymentStatus.PENDING
    assert result.confirmation is not None
    assert result.confirmation.type is ConfirmationType.REDIRECT
    [payment] = world.payments()
    assert payment.provider_payment_id in world.gateway.payments
    sent = world.gateway.create_calls[0]
    assert sent.amount == Money.rub("1500.00")
    assert sent.idempotence_key == payment.idempotence_key
    assert sent.metadata == {
        "appointment_id": str(world.appointment.id),
        "payment_id": str(payment.id),
    }
    assert sent.return_url == (
        f"https://site.example/booking/payment-return/?payment_id={payment.id}"
    )


async def test_without_a_kind_a_service_without_deposit_is_paid_in_full() -> None:
    world = World(deposit=None)
    result = await world.create.execute(world.command())
    assert result.kind is PaymentKind.FULL
    assert result.amount == Money.rub("5000.00")


async def test_a_full_payment_charges_the_price_even_when_a_deposit_exists() -> None:
    world = World()
    result = await world.create.execute(world.command(kind=PaymentKind.FULL))
    assert result.amount == Money.rub("5000.00")


async def test_a_deposit_on_a_service_without_one_is_refused_and_nothing_is_written() -> None:
    world = World(deposit=None)
    with pytest.raises(DepositNotAvailable):
        await world.create.execute(world.command(kind=PaymentKind.DEPOSIT))
    assert world.payments() == []
    assert world.gateway.create_calls == []


async def test_an_unknown_appointment_is_not_found() -> None:
    world = World()
    with pytest.raises(AppointmentNotFound):
        await world.create.execute(CreatePaymentIntentCommand(appointment_id=uuid4()))


@pytest.mark.parametrize(
    "status", [AppointmentStatus.EXPIRED, AppointmentStatus.CANCELLED, AppointmentStatus.CONFIRMED]
)
async def test_an_appointment_that_is_not_pending_payment_cannot_be_paid(
    status: AppointmentStatus,
) -> None:
    world = World()
    world.uow.store.appointments[world.appointment.id].status = status
    with pytest.raises(AppointmentNotPayable):
        await world.create.execute(world.command())
    assert world.payments() == []
    assert world.uow.store.idempotency_keys == {}


async def test_a_hold_that_ran_out_cannot_be_paid() -> None:
    world = World()
    world.clock.advance(timedelta(minutes=31))
    with pytest.raises(AppointmentNotPayable):
        await world.create.execute(world.command())


async def test_payment_started_is_tracked_in_the_same_commit_as_the_creating_row() -> None:
    world = World()
    world.gateway.fail_next.append(ProviderUnavailable())
    with pytest.raises(ProviderUnavailable):
        await world.create.execute(world.command())

    [payment] = world.payments()
    assert payment.status is PaymentStatus.CREATING
    [event] = world.uow.store.tracking
    assert event.name == "payment_started"
    assert event.properties == {
        "provider": "yookassa",
        "amount": "1500.00",
        "currency": "RUB",
        "service_slug": world.service.slug,
    }


# One live payment per appointment, across kinds -------------------------------------------


async def test_another_kind_while_a_payment_is_live_is_payment_in_progress() -> None:
    world = World()
    deposit = await world.create.execute(world.command(idempotency_key="deposit"))
    with pytest.raises(LivePaymentExists) as refused:
        await world.create.execute(world.command(kind=PaymentKind.FULL, idempotency_key="full"))

    assert refused.value.code == "payment_in_progress"
    assert [p.id for p in world.payments()] == [deposit.payment_id]
    assert len(world.gateway.create_calls) == 1
    # The refused request's key is released: the same request may be asked again later.
    assert "payments:key:full" not in world.uow.store.idempotency_keys


async def test_the_same_kind_under_another_key_returns_the_live_payment() -> None:
    world = World()
    first = await world.create.execute(world.command(idempotency_key="a"))
    again = await world.create.execute(world.command(kind=PaymentKind.DEPOSIT, idempotency_key="b"))

    assert again.payment_id == first.payment_id
    assert len(world.payments()) == 1
    assert world.gateway.created_count == 1


@pytest.mark.parametrize("status", [PaymentStatus.FAILED, PaymentStatus.CANCELED])
async def test_a_payment_that_ended_without_money_lets_another_kind_start(
    status: PaymentStatus,
) -> None:
    world = World()
    await world.create.execute(world.command())
    world.payments()[0].status = status
    full = await world.create.execute(world.command(kind=PaymentKind.FULL))

    assert full.kind is PaymentKind.FULL
    assert len(world.payments()) == 2
    assert world.gateway.created_count == 2


@pytest.mark.parametrize(
    ("competitor", "expected"),
    [(PaymentKind.FULL, "payment_in_progress"), (PaymentKind.DEPOSIT, "the competitor")],
)
async def test_a_concurrent_insert_the_read_missed_is_decided_by_the_unique_rule(
    competitor: PaymentKind, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World()
    rival = Payment.start(
        appointment_id=world.appointment.id,
        kind=competitor,
        amount=Money.rub("1500.00"),
        request_fingerprint=request_fingerprint(world.appointment.id, competitor),
        now=NOW,
    )
    rival.provider_payment_id = "prov-rival"
    rival.status = PaymentStatus.PENDING
    world.uow.store.payments[rival.id] = rival
    # The first read runs before the rival's commit (as a concurrent request's would).
    real_find_live = InMemoryPayments.find_live
    reads: list[object] = []

    async def racing_find_live(self: InMemoryPayments, appointment_id: object) -> Payment | None:
        reads.append(appointment_id)
        if len(reads) == 1:
            return None
        return await real_find_live(self, appointment_id)  # type: ignore[arg-type]

    monkeypatch.setattr(InMemoryPayments, "find_live", racing_find_live)

    if expected == "payment_in_progress":
        with pytest.raises(LivePaymentExists):
            await world.create.execute(world.command(kind=PaymentKind.DEPOSIT))
    else:
        result = await world.create.execute(world.command(kind=PaymentKind.DEPOSIT))
        assert result.payment_id == rival.id
    assert [p.id for p in world.payments()] == [rival.id]
    assert world.gateway.create_calls == []
    assert len(reads) == 2


async def test_the_same_key_and_body_replays_the_first_answer() -> None:
    world = World()
    first = await world.create.execute(world.command(idempotency_key="key-1"))
    world.gateway.settle(world.payments()[0].provider_payment_id or "", PaymentStatus.SUCCEEDED)
    again = await world.create.execute(world.command(idempotency_key="key-1"))

    assert again.replayed and not first.replayed
    assert again.to_json() == first.to_json()
    assert len(world.gateway.create_calls) == 1
    assert len(world.payments()) == 1


async def test_the_same_key_with_another_request_is_refused() -> None:
    world = World()
    await world.create.execute(world.command(idempotency_key="key-1"))
    with pytest.raises(IdempotencyKeyReused):
        await world.create.execute(world.command(idempotency_key="key-1", kind=PaymentKind.FULL))


async def test_a_repeat_while_the_first_request_runs_is_a_conflict() -> None:
    world = World()
    async with world.uow() as uow:
        await uow.idempotency_keys.claim(
            "payments:key:busy",
            request_fingerprint(world.appointment.id, PaymentKind.DEPOSIT),
            NOW,
            NOW + timedelta(minutes=2),
            NOW + timedelta(hours=24),
        )
        await uow.commit()
    with pytest.raises(IdempotencyKeyInUse):
        await world.create.execute(world.command(idempotency_key="busy"))
    assert world.gateway.create_calls == []


@pytest.mark.parametrize("key", ["", "a" * 65, "spaces are bad", "ключ", "a/b"])
async def test_malformed_idempotency_keys_are_refused(key: str) -> None:
    world = World()
    with pytest.raises(InvalidIdempotencyKey):
        await world.create.execute(world.command(idempotency_key=key))


async def test_without_a_header_the_key_is_derived_from_appointment_and_kind() -> None:
    world = World()
    first = await world.create.execute(world.command())
    again = await world.create.execute(world.command(kind=PaymentKind.DEPOSIT))
    assert again.replayed
    assert again.payment_id == first.payment_id


async def test_another_key_for_a_live_payment_returns_that_payment_not_a_second_one() -> None:
    world = World()
    first = await world.create.execute(world.command(idempotency_key="a"))
    second = await world.create.execute(world.command(idempotency_key="b"))
    assert second.payment_id == first.payment_id
    assert len(world.payments()) == 1
    assert world.gateway.created_count == 1


async def test_an_unavailable_provider_leaves_a_recoverable_payment_and_frees_the_key() -> None:
    world = World()
    world.gateway.crash_after_create = True  # created at the provider, answer lost
    with pytest.raises(ProviderUnavailable):
        await world.create.execute(world.command(idempotency_key="k"))
    assert world.uow.store.idempotency_keys == {}

    result = await world.create.execute(world.command(idempotency_key="k"))

    assert result.status is PaymentStatus.PENDING
    assert world.gateway.created_count == 1
    assert len(world.payments()) == 1
    keys = {call.idempotence_key for call in world.gateway.create_calls}
    assert len(keys) == 1  # the retry re-sent our key ...
    assert world.gateway.create_calls[0] == world.gateway.create_calls[1]  # ... and body


async def test_a_rejected_create_fails_the_payment_and_a_new_request_may_start_over() -> None:
    world = World()
    world.gateway.fail_next.append(ProviderRejected())
    with pytest.raises(ProviderRejected):
        await world.create.execute(world.command())
    [failed] = world.payments()
    assert failed.status is PaymentStatus.FAILED

    result = await world.create.execute(world.command())
    assert result.payment_id != failed.id
    assert result.status is PaymentStatus.PENDING


async def test_receipts_carry_the_decrypted_email_and_the_prepayment_mode() -> None:
    world = World(settings=replace(SETTINGS, receipts_enabled=True, vat_code=4))
    await world.create.execute(world.command())
    world.payments()[0].status = PaymentStatus.FAILED  # no longer live: a full one may start
    await world.create.execute(world.command(kind=PaymentKind.FULL))

    deposit, full = (call.receipt for call in world.gateway.create_calls)
    assert deposit is not None and full is not None
    assert deposit.customer_email == "anna@example.com"
    assert deposit.customer_phone is None
    assert deposit.payment_mode is ReceiptPaymentMode.PARTIAL_PREPAYMENT
    assert full.payment_mode is ReceiptPaymentMode.FULL_PREPAYMENT
    assert deposit.vat_code == 4
    assert deposit.payment_subject == "service"
    assert deposit.amount == Money.rub("1500.00")
    assert "anna" not in repr(deposit)


async def test_without_email_the_receipt_goes_to_the_phone() -> None:
    world = World(settings=replace(SETTINGS, receipts_enabled=True))
    stored = world.uow.store.appointments[world.appointment.id]
    stored.client = replace(stored.client, email=None)
    await world.create.execute(world.command())
    receipt = world.gateway.create_calls[0].receipt
    assert receipt is not None
    assert receipt.customer_email is None
    assert receipt.customer_phone == "79161234567"


async def test_receipts_are_left_out_when_disabled() -> None:
    world = World()
    await world.create.execute(world.command())
    assert world.gateway.create_calls[0].receipt is None


async def test_the_stored_answer_round_trips_exactly() -> None:
    world = World(settings=replace(SETTINGS, confirmation_type=ConfirmationType.EMBEDDED))
    result = await world.create.execute(world.command())
    assert result.confirmation is not None
    assert result.confirmation.confirmation_token
    again = PaymentIntentResult.from_json(result.to_json())
    assert replace(again, replayed=False) == result
    assert "anna" not in result.to_json()
    assert json.loads(result.to_json())["amount"] == "1500.00"


# Reading a payment -------------------------------------------------------------------------


async def test_a_payment_is_read_with_its_appointment_status() -> None:
    world = World()
    created = await world.create.execute(world.command())
    result = await GetPaymentUseCase(uow=world.uow).execute(created.payment_id)
    assert result.status is PaymentStatus.PENDING
    assert result.amount == Money.rub("1500.00")
    assert result.appointment_status is AppointmentStatus.PENDING_PAYMENT
    with pytest.raises(PaymentNotFound):
        await GetPaymentUseCase(uow=world.uow).execute(uuid4())


# Notifications -----------------------------------------------------------------------------


async def paid_world(outcome: PaymentStatus) -> tuple[World, str]:
    world = World()
    await world.create.execute(world.command())
    provider_id = world.payments()[0].provider_payment_id
    assert provider_id is not None
    world.gateway.settle(provider_id, outcome, "expired_on_confirmation")
    return world, provider_id


async def test_payment_succeeded_confirms_the_appointment_and_books_the_slot() -> None:
    world, provider_id = await paid_world(PaymentStatus.SUCCEEDED)
    outcome = await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))

    assert outcome is NotificationOutcome.APPLIED
    assert world.payments()[0].status is PaymentStatus.SUCCEEDED
    assert world.appointment_status() is AppointmentStatus.CONFIRMED
    assert world.slot_status() is SlotStatus.BOOKED
    assert world.hook.events == [(PaymentEventType.SUCCEEDED, world.payments()[0].id)]


async def test_payment_canceled_cancels_the_appointment_and_frees_the_slot() -> None:
    world, provider_id = await paid_world(PaymentStatus.CANCELED)
    await world.notify.execute(PaymentNotification("payment.canceled", provider_id))

    [payment] = world.payments()
    assert payment.status is PaymentStatus.CANCELED
    assert payment.cancellation_reason == "expired_on_confirmation"
    assert world.appointment_status() is AppointmentStatus.CANCELLED
    assert world.slot_status() is SlotStatus.FREE


@pytest.mark.parametrize(("test_shop", "test_payment"), [(False, True), (True, False)])
async def test_a_notification_for_a_payment_of_the_other_mode_is_ignored_with_ids_only(
    test_shop: bool, test_payment: bool, caplog: pytest.LogCaptureFixture
) -> None:
    world = World()
    notify = HandlePaymentNotificationUseCase(
        uow=world.uow,
        clock=world.clock,
        gateway=world.gateway,
        test_shop=test_shop,
        refunds=world.refunds,
        hook=world.hook,
    )
    await world.create.execute(world.command())
    provider_id = world.payments()[0].provider_payment_id or ""
    world.gateway.settle(provider_id, PaymentStatus.SUCCEEDED)
    remote = world.gateway.payments[provider_id]
    world.gateway.payments[provider_id] = replace(remote, test=test_payment)

    with caplog.at_level(logging.DEBUG):
        outcome = await notify.execute(PaymentNotification("payment.succeeded", provider_id))

    assert outcome is NotificationOutcome.WRONG_MODE
    assert world.payments()[0].status is PaymentStatus.PENDING
    assert world.appointment_status() is AppointmentStatus.PENDING_PAYMENT
    assert world.hook.events == []
    [record] = [r for r in caplog.records if "ignored" in r.getMessage()]
    assert str(world.payments()[0].id) in record.getMessage()
    assert "anna" not in caplog.text.lower() and "1500" not in caplog.text


async def test_a_notification_of_the_shop_s_own_mode_is_applied() -> None:
    world = World()
    await world.create.execute(world.command())
    provider_id = world.payments()[0].provider_payment_id or ""
    world.gateway.settle(provider_id, PaymentStatus.SUCCEEDED)
    assert world.gateway.payments[provider_id].test is False  # the fake is a live shop
    outcome = await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))
    assert outcome is NotificationOutcome.APPLIED


async def test_a_duplicate_notification_changes_nothing() -> None:
    world, provider_id = await paid_world(PaymentStatus.SUCCEEDED)
    note = PaymentNotification("payment.succeeded", provider_id)
    await world.notify.execute(note)
    outcome = await world.notify.execute(note)
    assert outcome is NotificationOutcome.UNCHANGED
    assert len(world.hook.events) == 1


async def test_the_notification_body_is_not_trusted_only_the_provider_is() -> None:
    world = World()
    await world.create.execute(world.command())
    provider_id = world.payments()[0].provider_payment_id or ""
    # Claims success, but the provider still says pending.
    outcome = await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))
    assert outcome is NotificationOutcome.UNCHANGED
    assert world.payments()[0].status is PaymentStatus.PENDING
    assert world.appointment_status() is AppointmentStatus.PENDING_PAYMENT


async def test_an_out_of_order_cancel_after_success_changes_nothing() -> None:
    world, provider_id = await paid_world(PaymentStatus.SUCCEEDED)
    await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))
    world.gateway.settle(provider_id, PaymentStatus.CANCELED)  # even if the API said so
    outcome = await world.notify.execute(PaymentNotification("payment.canceled", provider_id))
    assert outcome is NotificationOutcome.UNCHANGED
    assert world.payments()[0].status is PaymentStatus.SUCCEEDED
    assert world.appointment_status() is AppointmentStatus.CONFIRMED


async def test_waiting_for_capture_is_recorded() -> None:
    world, provider_id = await paid_world(PaymentStatus.WAITING_FOR_CAPTURE)
    await world.notify.execute(PaymentNotification("payment.waiting_for_capture", provider_id))
    assert world.payments()[0].status is PaymentStatus.WAITING_FOR_CAPTURE
    assert world.appointment_status() is AppointmentStatus.PENDING_PAYMENT
    assert world.hook.events[0][0] is PaymentEventType.WAITING_FOR_CAPTURE


async def test_unknown_payments_and_events_are_ignored_without_asking_the_provider() -> None:
    world = World()
    assert (
        await world.notify.execute(PaymentNotification("payment.succeeded", "nope"))
        is NotificationOutcome.UNKNOWN_PAYMENT
    )
    assert (
        await world.notify.execute(PaymentNotification("deal.closed", "x"))
        is NotificationOutcome.IGNORED_EVENT
    )
    assert world.gateway.get_calls == []


async def test_a_provider_amount_other_than_ours_is_never_applied() -> None:
    world, provider_id = await paid_world(PaymentStatus.SUCCEEDED)
    world.gateway.payments[provider_id] = replace(
        world.gateway.payments[provider_id], amount=Money(Decimal("1.00"))
    )
    outcome = await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))
    assert outcome is NotificationOutcome.UNCHANGED
    assert world.appointment_status() is AppointmentStatus.PENDING_PAYMENT


async def test_an_unreachable_provider_makes_the_notification_retry() -> None:
    world, provider_id = await paid_world(PaymentStatus.SUCCEEDED)
    world.gateway.fail_next.append(ProviderUnavailable())
    with pytest.raises(ProviderUnavailable):
        await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))
    assert world.payments()[0].status is PaymentStatus.PENDING


# Reconciliation ----------------------------------------------------------------------------


async def test_the_worker_resends_a_stuck_create_with_the_same_key_and_records_it() -> None:
    world = World()
    world.gateway.crash_after_create = True
    with pytest.raises(ProviderUnavailable):
        await world.create.execute(world.command())
    assert await world.reconcile.execute() == 0  # within the grace period: left alone

    world.clock.advance(timedelta(minutes=2))
    assert await world.reconcile.execute() == 1

    [payment] = world.payments()
    assert payment.status is PaymentStatus.PENDING
    assert payment.provider_payment_id is not None
    assert world.gateway.created_count == 1
    assert world.gateway.create_calls[0] == world.gateway.create_calls[1]


async def test_a_create_stuck_past_the_providers_key_lifetime_fails() -> None:
    world = World()
    world.gateway.fail_next.append(ProviderUnavailable())
    with pytest.raises(ProviderUnavailable):
        await world.create.execute(world.command())
    world.clock.advance(timedelta(hours=25))
    assert await world.reconcile.execute() == 1
    [payment] = world.payments()
    assert payment.status is PaymentStatus.FAILED
    assert payment.cancellation_reason == "provider_unreachable"
    assert len(world.gateway.create_calls) == 1


async def test_the_worker_asks_the_provider_about_long_pending_payments() -> None:
    world, provider_id = await paid_world(PaymentStatus.SUCCEEDED)  # the notification was lost
    world.clock.advance(timedelta(minutes=11))
    assert await world.reconcile.execute() == 1
    assert world.payments()[0].status is PaymentStatus.SUCCEEDED
    assert world.appointment_status() is AppointmentStatus.CONFIRMED
    assert world.gateway.get_calls == [provider_id]


async def test_the_worker_does_not_apply_a_payment_of_the_other_mode(
    caplog: pytest.LogCaptureFixture,
) -> None:
    world, provider_id = await paid_world(PaymentStatus.SUCCEEDED)
    remote = world.gateway.payments[provider_id]
    world.gateway.payments[provider_id] = replace(remote, test=True)  # a live shop's worker
    world.clock.advance(timedelta(minutes=11))
    with caplog.at_level(logging.WARNING):
        assert await world.reconcile.execute() == 0
    assert world.payments()[0].status is PaymentStatus.PENDING
    assert world.appointment_status() is AppointmentStatus.PENDING_PAYMENT
    assert str(world.payments()[0].id) in caplog.text and "1500" not in caplog.text


async def test_a_claimed_payment_is_not_reconciled_twice_while_its_lease_runs() -> None:
    world = World()
    world.gateway.fail_next.append(ProviderUnavailable())
    with pytest.raises(ProviderUnavailable):
        await world.create.execute(world.command())
    world.clock.advance(timedelta(minutes=2))
    world.gateway.fail_next.append(ProviderUnavailable())
    assert await world.reconcile.execute() == 0  # claimed, provider down
    calls = len(world.gateway.create_calls)
    assert await world.reconcile.execute() == 0  # still leased: not sent again
    assert len(world.gateway.create_calls) == calls


# Idempotency-Key retention and tracking delivery -------------------------------------------


async def test_keys_are_kept_24_hours_then_purged() -> None:
    world = World()
    await world.create.execute(world.command(idempotency_key="k"))
    purge = PurgeIdempotencyKeysUseCase(uow=world.uow, clock=world.clock)
    world.clock.advance(timedelta(hours=23, minutes=59))
    assert await purge.execute() == 0
    world.clock.advance(timedelta(minutes=1))
    assert await purge.execute() == 1


class RecordingSink:
    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.fail = False

    async def deliver(self, events):  # type: ignore[no-untyped-def]
        if self.fail:
            raise ConnectionError("sink down")
        self.batches.append([str(e.id) for e in events])


async def test_tracking_events_are_delivered_at_least_once_with_backoff_on_failure() -> None:
    world = World()
    await world.create.execute(world.command())
    queue = InMemoryTrackingQueue(world.uow.store.tracking)
    sink = RecordingSink()
    deliver = DeliverTrackingEventsUseCase(queue=queue, sink=sink, clock=world.clock)

    sink.fail = True
    assert await deliver.execute() == 0
    sink.fail = False
    assert await deliver.execute() == 0  # backing off
    world.clock.advance(timedelta(seconds=11))
    assert await deliver.execute() == 1
    assert await deliver.execute() == 0
    assert sink.batches == [[str(world.uow.store.tracking[0].id)]]


async def test_a_hold_is_kept_while_its_payment_is_in_progress_then_settles_normally() -> None:
    from domain.use_cases.expire_holds import ExpireHoldsUseCase

    world = World()
    await world.create.execute(world.command())
    expire = ExpireHoldsUseCase(uow=world.uow, clock=world.clock)
    world.clock.advance(timedelta(minutes=45))  # past the 30-minute hold, still paying

    assert await expire.execute() == 0
    assert world.appointment_status() is AppointmentStatus.PENDING_PAYMENT

    provider_id = world.payments()[0].provider_payment_id or ""
    world.gateway.settle(provider_id, PaymentStatus.SUCCEEDED)
    await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))
    assert world.appointment_status() is AppointmentStatus.CONFIRMED
    assert world.slot_status() is SlotStatus.BOOKED


async def test_a_hold_whose_payment_never_settles_expires_after_the_grace() -> None:
    from domain.use_cases.expire_holds import ExpireHoldsUseCase

    world = World()
    await world.create.execute(world.command())
    expire = ExpireHoldsUseCase(
        uow=world.uow, clock=world.clock, payment_grace=timedelta(minutes=90)
    )
    world.clock.advance(timedelta(minutes=30 + 89))  # the 30-minute hold, then the grace
    assert await expire.execute() == 0
    world.clock.advance(timedelta(minutes=1))
    assert await expire.execute() == 1
    assert world.appointment_status() is AppointmentStatus.EXPIRED
    assert world.slot_status() is SlotStatus.FREE


async def test_holds_kept_for_payments_never_fill_the_batch() -> None:
    from domain.use_cases.expire_holds import ExpireHoldsUseCase

    world = World()
    store = world.uow.store
    kept, expirable = [], []
    for n in range(10):
        slot = replace(
            a_slot(world.service, NOW + timedelta(days=3, hours=n)), status=SlotStatus.HELD
        )
        # The seven oldest holds have a payment in progress; the three newest have none.
        appointment = Appointment.hold(
            slot=slot, client=world.appointment.client, now=NOW + timedelta(minutes=n)
        )
        store.slots[slot.id] = slot
        store.appointments[appointment.id] = appointment
        if n < 7:
            payment = Payment.start(
                appointment_id=appointment.id,
                kind=PaymentKind.DEPOSIT,
                amount=Money.rub("1500.00"),
                request_fingerprint="f",
                now=NOW,
            )
            payment.status = PaymentStatus.PENDING
            store.payments[payment.id] = payment
            kept.append(appointment.id)
        else:
            expirable.append(appointment.id)
    del store.appointments[world.appointment.id]
    world.clock.advance(timedelta(minutes=45))
    expire = ExpireHoldsUseCase(uow=world.uow, clock=world.clock, batch_size=5)

    assert await expire.execute() == 3
    assert await expire.execute() == 0
    statuses = {a.id: a.status for a in store.appointments.values()}
    assert {statuses[i] for i in expirable} == {AppointmentStatus.EXPIRED}
    assert {statuses[i] for i in kept} == {AppointmentStatus.PENDING_PAYMENT}


async def test_a_hold_without_a_payment_expires_on_time() -> None:
    from domain.use_cases.expire_holds import ExpireHoldsUseCase

    world = World()
    world.clock.advance(timedelta(minutes=31))
    assert await ExpireHoldsUseCase(uow=world.uow, clock=world.clock).execute() == 1
