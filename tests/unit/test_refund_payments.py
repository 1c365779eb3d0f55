"""Refunds of payments we cannot honour, with the in-memory provider: one refund per payment."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.errors import ProviderRejected, ProviderUnavailable
from domain.models import AppointmentStatus, Money, SlotStatus
from domain.payments import (
    Payment,
    PaymentEventType,
    PaymentKind,
    PaymentStatus,
    ProviderRefund,
    ProviderRefundStatus,
    RefundReason,
    request_fingerprint,
)
from domain.use_cases.handle_payment_notification import NotificationOutcome, PaymentNotification
from tests.unit.test_payment_use_cases import NOW, World

pytestmark = pytest.mark.anyio


async def started(world: World) -> str:
    await world.create.execute(world.command())
    provider_id = world.payments()[0].provider_payment_id
    assert provider_id is not None
    return provider_id


def set_appointment(world: World, status: AppointmentStatus) -> None:
    store = world.uow.store
    store.appointments[world.appointment.id] = replace(
        store.appointments[world.appointment.id], status=status
    )


async def paid_too_late(world: World, status: AppointmentStatus) -> str:
    """The client pays after the appointment stopped waiting for the payment."""
    provider_id = await started(world)
    set_appointment(world, status)
    world.gateway.settle(provider_id, PaymentStatus.SUCCEEDED)
    return provider_id


def the_payment(world: World) -> Payment:
    [payment] = world.payments()
    return payment


@pytest.mark.parametrize(
    ("appointment", "reason"),
    [
        (AppointmentStatus.EXPIRED, RefundReason.HOLD_EXPIRED),
        (AppointmentStatus.CANCELLED, RefundReason.APPOINTMENT_CANCELLED),
    ],
)
async def test_a_payment_for_an_appointment_that_cannot_be_honoured_is_refunded_in_full(
    appointment: AppointmentStatus, reason: RefundReason
) -> None:
    world = World()
    provider_id = await paid_too_late(world, appointment)

    outcome = await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))

    assert outcome is NotificationOutcome.APPLIED
    payment = the_payment(world)
    assert payment.status is PaymentStatus.REFUNDED
    assert payment.refund_reason is reason
    assert payment.refunded_at == NOW
    [call] = world.gateway.refund_calls
    assert call.idempotence_key == f"eb-refund-{payment.id}"
    assert call.provider_payment_id == provider_id
    assert call.amount == payment.amount == Money.rub("1500")
    [refund] = world.gateway.refunds.values()
    assert payment.provider_refund_id == refund.provider_refund_id
    # The appointment stays as it was: unconfirmed, its slot not booked.
    assert world.appointment_status() is appointment
    assert world.slot_status() is not SlotStatus.BOOKED
    assert [event for event, _ in world.hook.events] == [
        PaymentEventType.SUCCEEDED,
        PaymentEventType.REFUNDED,
    ]


async def test_a_second_payment_for_an_appointment_already_paid_is_refunded() -> None:
    world = World()
    provider_id = await started(world)
    world.gateway.settle(provider_id, PaymentStatus.SUCCEEDED)
    await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))
    assert world.appointment_status() is AppointmentStatus.CONFIRMED
    # A second payment for the same appointment (made before the first was recorded).
    twin = Payment.start(
        appointment_id=world.appointment.id,
        kind=PaymentKind.FULL,
        amount=Money.rub("5000"),
        request_fingerprint=request_fingerprint(world.appointment.id, PaymentKind.FULL),
        now=NOW,
    )
    twin.status = PaymentStatus.PENDING
    twin.provider_payment_id = "prov-twin"
    world.uow.store.payments[twin.id] = twin
    world.gateway.payments["prov-twin"] = replace(
        world.gateway.payments[provider_id],
        provider_payment_id="prov-twin",
        amount=Money.rub("5000"),
    )

    await world.notify.execute(PaymentNotification("payment.succeeded", "prov-twin"))

    stored = world.uow.store.payments
    assert stored[twin.id].status is PaymentStatus.REFUNDED
    assert stored[twin.id].refund_reason is RefundReason.ALREADY_PAID
    first = next(p for p in stored.values() if p.id != twin.id)
    assert first.status is PaymentStatus.SUCCEEDED
    assert [c.provider_payment_id for c in world.gateway.refund_calls] == ["prov-twin"]
    assert world.appointment_status() is AppointmentStatus.CONFIRMED


async def test_an_honoured_payment_is_never_refunded() -> None:
    world = World()
    provider_id = await started(world)
    world.gateway.settle(provider_id, PaymentStatus.SUCCEEDED)
    await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))
    world.clock.advance(timedelta(hours=1))
    await world.reconcile.execute()
    assert the_payment(world).status is PaymentStatus.SUCCEEDED
    assert world.gateway.refund_calls == []


async def test_redelivered_notifications_make_one_refund() -> None:
    world = World()
    provider_id = await paid_too_late(world, AppointmentStatus.EXPIRED)
    note = PaymentNotification("payment.succeeded", provider_id)
    outcomes = [await world.notify.execute(note) for _ in range(4)]
    world.clock.advance(timedelta(hours=1))
    await world.reconcile.execute()

    assert outcomes[0] is NotificationOutcome.APPLIED
    assert set(outcomes[1:]) == {NotificationOutcome.UNCHANGED}
    assert len(world.gateway.refunds) == 1
    assert len(world.gateway.refund_calls) == 1
    assert [e for e, _ in world.hook.events].count(PaymentEventType.REFUNDED) == 1


async def test_an_unavailable_provider_leaves_the_refund_to_the_worker() -> None:
    world = World()
    provider_id = await paid_too_late(world, AppointmentStatus.EXPIRED)
    world.gateway.fail_next_refund.append(ProviderUnavailable())
    outcome = await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))
    assert outcome is NotificationOutcome.APPLIED  # the notification is answered all the same
    assert the_payment(world).status is PaymentStatus.REFUND_PENDING

    assert await world.refunds.execute() == 0  # not yet due: retried after a pause
    world.clock.advance(timedelta(minutes=1))
    assert await world.reconcile.execute() == 1

    assert the_payment(world).status is PaymentStatus.REFUNDED
    assert len(world.gateway.refunds) == 1


async def test_a_refund_made_but_not_recorded_is_the_same_refund_on_the_next_pass() -> None:
    world = World()
    provider_id = await paid_too_late(world, AppointmentStatus.CANCELLED)
    world.gateway.crash_after_create = True  # the provider made it; we never heard back

    await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))
    assert the_payment(world).status is PaymentStatus.REFUND_PENDING
    assert the_payment(world).provider_refund_id is None
    assert len(world.gateway.refunds) == 1

    world.clock.advance(timedelta(minutes=1))
    await world.reconcile.execute()

    payment = the_payment(world)
    assert payment.status is PaymentStatus.REFUNDED
    assert len(world.gateway.refund_calls) == 2  # asked twice, under one key
    assert {c.idempotence_key for c in world.gateway.refund_calls} == {
        payment.refund_idempotence_key
    }
    assert len(world.gateway.refunds) == 1


async def test_a_pending_refund_is_finished_by_its_verified_notification() -> None:
    world = World()
    world.gateway.refund_status = ProviderRefundStatus.PENDING
    provider_id = await paid_too_late(world, AppointmentStatus.EXPIRED)
    await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))
    payment = the_payment(world)
    assert payment.status is PaymentStatus.REFUND_PENDING
    refund_id = payment.provider_refund_id
    assert refund_id is not None

    # The notification alone proves nothing: the provider still says pending.
    note = PaymentNotification("refund.succeeded", refund_id, payment_id=provider_id)
    assert await world.notify.execute(note) is NotificationOutcome.UNCHANGED
    assert the_payment(world).status is PaymentStatus.REFUND_PENDING

    world.gateway.settle_refund(refund_id, ProviderRefundStatus.SUCCEEDED)
    assert await world.notify.execute(note) is NotificationOutcome.APPLIED
    assert await world.notify.execute(note) is NotificationOutcome.UNCHANGED
    assert the_payment(world).status is PaymentStatus.REFUNDED
    assert [e for e, _ in world.hook.events].count(PaymentEventType.REFUNDED) == 1
    assert len(world.gateway.refund_calls) == 1


async def test_the_worker_finishes_a_pending_refund_by_asking_about_it() -> None:
    world = World()
    world.gateway.refund_status = ProviderRefundStatus.PENDING
    provider_id = await paid_too_late(world, AppointmentStatus.EXPIRED)
    await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))
    refund_id = the_payment(world).provider_refund_id or ""
    world.gateway.settle_refund(refund_id, ProviderRefundStatus.SUCCEEDED)

    world.clock.advance(timedelta(minutes=1))
    assert await world.reconcile.execute() == 1

    assert the_payment(world).status is PaymentStatus.REFUNDED
    assert len(world.gateway.refund_calls) == 1  # asked about, never asked for again


async def test_forged_or_foreign_refund_notifications_change_nothing() -> None:
    world = World()
    world.gateway.refund_status = ProviderRefundStatus.PENDING
    provider_id = await paid_too_late(world, AppointmentStatus.EXPIRED)
    await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))
    unknown = PaymentNotification("refund.succeeded", "refund-nope", payment_id=provider_id)
    assert await world.notify.execute(unknown) is NotificationOutcome.UNKNOWN_PAYMENT
    other_payment = PaymentNotification("refund.succeeded", "r", payment_id="prov-unknown")
    assert await world.notify.execute(other_payment) is NotificationOutcome.UNKNOWN_PAYMENT
    no_payment = PaymentNotification("refund.succeeded", "r")
    assert await world.notify.execute(no_payment) is NotificationOutcome.IGNORED_EVENT
    # A real, succeeded refund of another payment, named with ours.
    world.gateway.refunds["refund-other"] = ProviderRefund(
        provider_refund_id="refund-other",
        provider_payment_id="prov-other",
        status=ProviderRefundStatus.SUCCEEDED,
        amount=Money.rub("1500"),
    )
    foreign = PaymentNotification("refund.succeeded", "refund-other", payment_id=provider_id)
    assert await world.notify.execute(foreign) is NotificationOutcome.UNKNOWN_PAYMENT
    assert the_payment(world).status is PaymentStatus.REFUND_PENDING


async def test_a_refund_the_provider_cancels_goes_to_staff(
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = World()
    world.gateway.refund_status = ProviderRefundStatus.PENDING
    provider_id = await paid_too_late(world, AppointmentStatus.EXPIRED)
    await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))
    payment = the_payment(world)
    world.gateway.settle_refund(payment.provider_refund_id or "", ProviderRefundStatus.CANCELED)
    world.clock.advance(timedelta(minutes=1))

    with caplog.at_level(logging.INFO):
        await world.reconcile.execute()

    assert the_payment(world).status is PaymentStatus.REFUND_FAILED
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert str(payment.id) in record.getMessage()
    assert "anna" not in caplog.text.lower() and "1500" not in caplog.text
    # Staff then refund by hand in YooKassa; its notification closes the payment.
    world.gateway.refunds["refund-by-hand"] = ProviderRefund(
        provider_refund_id="refund-by-hand",
        provider_payment_id=provider_id,
        status=ProviderRefundStatus.SUCCEEDED,
        amount=payment.amount,
    )
    note = PaymentNotification("refund.succeeded", "refund-by-hand", payment_id=provider_id)
    assert await world.notify.execute(note) is NotificationOutcome.APPLIED
    assert the_payment(world).status is PaymentStatus.REFUNDED
    assert the_payment(world).refund_reason is RefundReason.HOLD_EXPIRED


async def test_a_rejected_refund_of_a_payment_already_refunded_is_recorded_as_refunded() -> None:
    world = World()
    provider_id = await paid_too_late(world, AppointmentStatus.EXPIRED)
    # Refunded in full already (by a refund whose key the provider has forgotten): the
    # provider refuses another, and its payment says why.
    world.gateway.payments[provider_id] = replace(
        world.gateway.payments[provider_id], refunded_amount=Money.rub("1500")
    )
    world.gateway.fail_next_refund.append(ProviderRejected())
    await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))

    payment = the_payment(world)
    assert payment.status is PaymentStatus.REFUNDED
    assert payment.refund_reason is RefundReason.HOLD_EXPIRED
    assert world.gateway.refunds == {}


async def test_a_rejected_refund_with_nothing_refunded_goes_to_staff() -> None:
    world = World()
    provider_id = await paid_too_late(world, AppointmentStatus.EXPIRED)
    world.gateway.fail_next_refund.append(ProviderRejected())
    await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))
    assert the_payment(world).status is PaymentStatus.REFUND_FAILED
    assert [e for e, _ in world.hook.events] == [PaymentEventType.SUCCEEDED]


async def test_a_full_refund_staff_made_in_yookassa_is_recorded_a_partial_one_is_not() -> None:
    world = World()
    provider_id = await started(world)
    world.gateway.settle(provider_id, PaymentStatus.SUCCEEDED)
    await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))
    world.gateway.refunds["partial"] = ProviderRefund(
        provider_refund_id="partial",
        provider_payment_id=provider_id,
        status=ProviderRefundStatus.SUCCEEDED,
        amount=Money(Decimal("500.00")),
    )
    partial = PaymentNotification("refund.succeeded", "partial", payment_id=provider_id)
    assert await world.notify.execute(partial) is NotificationOutcome.UNCHANGED
    assert the_payment(world).status is PaymentStatus.SUCCEEDED

    world.gateway.refunds["full"] = replace(
        world.gateway.refunds["partial"], provider_refund_id="full", amount=Money.rub("1500")
    )
    full = PaymentNotification("refund.succeeded", "full", payment_id=provider_id)
    assert await world.notify.execute(full) is NotificationOutcome.APPLIED
    payment = the_payment(world)
    assert payment.status is PaymentStatus.REFUNDED
    assert payment.refund_reason is RefundReason.BY_STAFF
    assert payment.provider_refund_id == "full"
    assert world.gateway.refund_calls == []


def test_the_refund_key_is_derived_from_the_payment_and_fits_the_provider() -> None:
    payment = Payment.start(
        appointment_id=uuid4(),
        kind=PaymentKind.DEPOSIT,
        amount=Money.rub("1500"),
        request_fingerprint="f",
        now=NOW,
    )
    assert payment.refund_idempotence_key == f"eb-refund-{payment.id}"
    assert payment.refund_idempotence_key == replace(payment).refund_idempotence_key
    assert len(payment.refund_idempotence_key) <= 64
    assert payment.refund_idempotence_key != payment.idempotence_key
