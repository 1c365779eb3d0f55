"""Payments on the real database (SQLite and PostgreSQL) with the real SDK and the sandbox."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from adapters.tracking_sinks import HttpTrackingSink, LogTrackingSink
from adapters.yookassa.sandbox import YooKassaSandbox
from domain.errors import IdempotencyKeyInUse, ProviderUnavailable
from domain.models import Money
from domain.payments import Payment, PaymentKind, PaymentStatus
from domain.use_cases.create_payment_intent import CreatePaymentIntentCommand
from domain.use_cases.deliver_tracking_events import DeliverTrackingEventsUseCase
from domain.use_cases.handle_payment_notification import PaymentNotification
from tables.core.tables import AppointmentTable, SlotTable, TrackingEventTable
from tables.core.tracking_delivery import PiccoloTrackingDeliveryQueue
from tables.payments.tables import IdempotencyKeyTable, PaymentTable
from tables.uow import PiccoloUnitOfWork
from tests.support.live_server import live_server
from tests.support.payment_world import (
    CLIENT_EMAIL,
    OffsetClock,
    PaymentsWorld,
)

pytestmark = [pytest.mark.anyio, pytest.mark.db]


def uow(world: PaymentsWorld) -> PiccoloUnitOfWork:
    made: PiccoloUnitOfWork = world.container.uow()
    return made


def provider_payments_for(sandbox: YooKassaSandbox, appointment_id: object) -> list[str]:
    return [
        pid
        for pid in sandbox.payment_ids()
        if sandbox.payment(pid)["metadata"].get("appointment_id") == str(appointment_id)
    ]


# Concurrency in the schema ----------------------------------------------------------------


async def test_concurrent_claims_of_one_idempotency_key_have_one_winner(
    world: PaymentsWorld,
) -> None:
    now = datetime.now(UTC)

    async def claim() -> object:
        async with uow(world) as unit:
            holder = await unit.idempotency_keys.claim(
                "payments:key:k", "h", now, now + timedelta(minutes=2), now + timedelta(hours=24)
            )
            await unit.commit()
        return holder

    holders = await asyncio.gather(*(claim() for _ in range(8)))
    assert sum(1 for h in holders if h is None) == 1
    assert await IdempotencyKeyTable.count() == 1


async def test_concurrent_reconciliation_claims_never_share_a_payment(
    world: PaymentsWorld,
) -> None:
    now = datetime.now(UTC)
    for n in range(3):
        appointment_id = await world.hold(n)  # three clients: one may hold only so many
        async with uow(world) as unit:
            await unit.payments.add(
                Payment.start(
                    appointment_id=appointment_id,
                    kind=PaymentKind.DEPOSIT,
                    amount=Money.rub("1500"),
                    request_fingerprint="f",
                    now=now - timedelta(minutes=5),
                )
            )
            await unit.commit()

    async def claim() -> list[object]:
        async with uow(world) as unit:
            won = await unit.payments.claim_stale(
                PaymentStatus.CREATING, now, now, now + timedelta(minutes=2), 10
            )
            await unit.commit()
        return [p.id for p in won]

    claimed = await asyncio.gather(*(claim() for _ in range(4)))
    everything = [pid for batch in claimed for pid in batch]
    assert len(everything) == len(set(everything)) == 3


# Creating payments -------------------------------------------------------------------------


async def test_sixteen_concurrent_identical_requests_make_one_row_and_one_provider_payment(
    world: PaymentsWorld, sandbox: YooKassaSandbox
) -> None:
    appointment_id = await world.hold()
    command = CreatePaymentIntentCommand(appointment_id=appointment_id, idempotency_key="same")

    results = await asyncio.gather(
        *(world.create.execute(command) for _ in range(16)), return_exceptions=True
    )

    winners = [r for r in results if not isinstance(r, BaseException)]
    others = [r for r in results if isinstance(r, BaseException)]
    assert winners, results
    assert all(isinstance(e, IdempotencyKeyInUse) for e in others), others
    assert len({w.payment_id for w in winners}) == 1
    assert await PaymentTable.count() == 1
    assert len(provider_payments_for(sandbox, appointment_id)) == 1


async def test_sixteen_concurrent_requests_with_different_keys_still_make_one_payment(
    world: PaymentsWorld, sandbox: YooKassaSandbox
) -> None:
    appointment_id = await world.hold()
    results = await asyncio.gather(
        *(
            world.create.execute(
                CreatePaymentIntentCommand(appointment_id=appointment_id, idempotency_key=f"k{n}")
            )
            for n in range(16)
        ),
        return_exceptions=True,
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert len({r.payment_id for r in results if not isinstance(r, BaseException)}) == 1
    assert await PaymentTable.count() == 1
    assert len(provider_payments_for(sandbox, appointment_id)) == 1


async def test_the_row_is_committed_creating_before_the_provider_call(
    world: PaymentsWorld, sandbox: YooKassaSandbox
) -> None:
    appointment_id = await world.hold()
    sandbox.inject("500", times=1000)
    with pytest.raises(ProviderUnavailable):
        await world.create.execute(CreatePaymentIntentCommand(appointment_id=appointment_id))
    sandbox.clear_faults()
    row = await PaymentTable.select().first()
    assert row is not None
    assert row["status"] == "creating"
    assert row["idempotence_key"].startswith("eb-")
    assert row["amount"] == Decimal("1500.00") or Decimal(row["amount"]) == Decimal("1500.00")
    event = await TrackingEventTable.select().first()
    assert event is not None and event["name"] == "payment_started"
    assert await IdempotencyKeyTable.count() == 0  # the 503 is not kept for replay

    result = await world.create.execute(CreatePaymentIntentCommand(appointment_id=appointment_id))
    assert result.status is PaymentStatus.PENDING
    assert await PaymentTable.count() == 1
    assert len(provider_payments_for(sandbox, appointment_id)) == 1


async def test_a_process_killed_between_the_call_and_the_write_leaves_one_payment_after_retry(
    world: PaymentsWorld, sandbox: YooKassaSandbox, sandbox_and_url: tuple[YooKassaSandbox, str]
) -> None:
    appointment_id = await world.hold()
    env = dict(os.environ)
    crashed = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "tests.support.crash_between_call_and_write",
            "payment",
            sandbox_and_url[1],
            str(appointment_id),
            "retry-me",
        ],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert crashed.returncode == 137, crashed.stderr.decode()[-2000:]
    row = await PaymentTable.select().first()
    assert row is not None and row["status"] == "creating" and row["provider_payment_id"] is None
    assert len(provider_payments_for(sandbox, appointment_id)) == 1  # made, never recorded

    command = CreatePaymentIntentCommand(appointment_id=appointment_id, idempotency_key="retry-me")
    with pytest.raises(IdempotencyKeyInUse):  # the dead request's claim still runs
        await world.create.execute(command)
    world.clock.offset = timedelta(minutes=3)  # type: ignore[attr-defined]  # lease over
    result = await world.create.execute(command)

    assert result.status is PaymentStatus.PENDING
    assert await PaymentTable.count() == 1
    provider_ids = provider_payments_for(sandbox, appointment_id)
    assert len(provider_ids) == 1
    row = await PaymentTable.select().first()
    assert row is not None and row["provider_payment_id"] == provider_ids[0]


async def test_the_worker_recovers_a_payment_whose_process_died(
    world: PaymentsWorld, sandbox: YooKassaSandbox
) -> None:
    appointment_id = await world.hold()
    sandbox.inject("500_after_create", times=1000)
    with pytest.raises(ProviderUnavailable):
        await world.create.execute(CreatePaymentIntentCommand(appointment_id=appointment_id))
    sandbox.clear_faults()
    world.clock.offset = timedelta(minutes=2)  # type: ignore[attr-defined]

    assert await world.reconcile.execute() == 1

    row = await PaymentTable.select().first()
    assert row is not None and row["status"] == "pending"
    assert [row["provider_payment_id"]] == provider_payments_for(sandbox, appointment_id)


async def test_a_paid_payment_confirms_the_appointment_and_stores_no_card_data(
    world: PaymentsWorld, sandbox: YooKassaSandbox
) -> None:
    appointment_id = await world.hold()
    result = await world.create.execute(CreatePaymentIntentCommand(appointment_id=appointment_id))
    provider_id = provider_payments_for(sandbox, appointment_id)[0]
    sandbox.settle(provider_id, "succeeded")

    await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))
    await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))

    status = await world.get.execute(result.payment_id)
    assert status.status is PaymentStatus.SUCCEEDED
    assert status.appointment_status is not None
    assert status.appointment_status.value == "confirmed"
    appointment = (
        await AppointmentTable.select().where(AppointmentTable.id == appointment_id).first()
    )
    assert appointment is not None
    slot = (
        await SlotTable.select(SlotTable.status).where(SlotTable.id == appointment["slot"]).first()
    )
    assert slot == {"status": "booked"}
    dumped = repr(await PaymentTable.select()) + repr(await IdempotencyKeyTable.select())
    # Markers of card data (bare digits such as "4477" also occur in timestamps and ids).
    for card_data in ("first6", "last4", "*4477", "MasterCard", "bank_card", "869559887526342"):
        assert card_data not in dumped


async def test_a_canceled_payment_frees_the_slot(
    world: PaymentsWorld, sandbox: YooKassaSandbox
) -> None:
    appointment_id = await world.hold()
    await world.create.execute(CreatePaymentIntentCommand(appointment_id=appointment_id))
    provider_id = provider_payments_for(sandbox, appointment_id)[0]
    sandbox.settle(provider_id, "canceled")
    await world.notify.execute(PaymentNotification("payment.canceled", provider_id))

    appointment = (
        await AppointmentTable.select().where(AppointmentTable.id == appointment_id).first()
    )
    assert appointment is not None and appointment["status"] == "cancelled"
    slot = (
        await SlotTable.select(SlotTable.status).where(SlotTable.id == appointment["slot"]).first()
    )
    assert slot == {"status": "free"}
    row = await PaymentTable.select().first()
    assert row is not None and row["cancellation_reason"] == "expired_on_confirmation"


# Tracking delivery -------------------------------------------------------------------------


async def test_payment_started_is_delivered_to_the_log_sink_once_with_its_id(
    world: PaymentsWorld, caplog: pytest.LogCaptureFixture
) -> None:
    appointment_id = await world.hold()
    await world.create.execute(CreatePaymentIntentCommand(appointment_id=appointment_id))
    caplog.set_level(logging.INFO, logger="tracking")
    deliver = DeliverTrackingEventsUseCase(
        queue=PiccoloTrackingDeliveryQueue(), sink=LogTrackingSink(), clock=world.clock
    )

    assert await deliver.execute() == 1
    assert await deliver.execute() == 0
    [event] = await TrackingEventTable.select()
    assert event["delivered_at"] is not None
    lines = [r.getMessage() for r in caplog.records if r.name == "tracking"]
    assert len(lines) == 1
    assert str(event["id"]) in lines[0]
    assert '"service_slug"' in lines[0] and '"amount": "' in lines[0]
    assert CLIENT_EMAIL not in lines[0]


async def test_concurrent_tracking_workers_claim_disjoint_events(world: PaymentsWorld) -> None:
    from domain.models import TrackingEvent

    now = datetime.now(UTC)
    async with uow(world) as unit:
        for n in range(12):
            await unit.tracking.add(
                TrackingEvent(
                    id=uuid4(), name="payment_started", properties={"n": n}, occurred_at=now
                )
            )
        await unit.commit()
    queue = PiccoloTrackingDeliveryQueue()
    ids: list[object] = []
    for _ in range(12):  # rounds of four concurrent workers until nothing is left
        batches = await asyncio.gather(
            *(queue.claim(now, now + timedelta(minutes=1), 5) for _ in range(4))
        )
        claimed = [c.event.id for batch in batches for c in batch]
        if not claimed:
            break
        ids.extend(claimed)
    assert len(ids) == len(set(ids)) == 12


async def test_the_http_sink_gets_batches_and_a_failing_one_is_retried(
    world: PaymentsWorld,
) -> None:
    received: list[Any] = []
    fail = {"on": True}

    async def receiver(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status = 503 if fail["on"] else 202
        if not fail["on"]:
            import json

            received.append(json.loads(body))
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    appointment_id = await world.hold()
    await world.create.execute(CreatePaymentIntentCommand(appointment_id=appointment_id))
    clock = OffsetClock()
    with live_server(receiver, port=None) as url:
        deliver = DeliverTrackingEventsUseCase(
            queue=PiccoloTrackingDeliveryQueue(),
            sink=HttpTrackingSink(url + "/events"),
            clock=clock,
        )
        assert await deliver.execute() == 0
        fail["on"] = False
        assert await deliver.execute() == 0  # backing off
        clock.offset = timedelta(minutes=5)
        assert await deliver.execute() == 1
    [batch] = received
    [event] = batch["events"]
    row = await TrackingEventTable.select().first()
    assert row is not None
    assert event["event_id"] == str(row["id"])
    assert event["properties"]["provider"] == "yookassa"
    assert row["attempts"] == 1
