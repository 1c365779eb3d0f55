"""Refunds on the real database (SQLite and PostgreSQL) with the real SDK and the sandbox:
what cannot be honoured goes back in full, exactly once, whatever happens."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
import pytest

from adapters.yookassa.sandbox import YooKassaSandbox
from domain.emails import EmailTemplate
from domain.payments import PaymentStatus
from domain.use_cases.create_payment_intent import CreatePaymentIntentCommand
from domain.use_cases.expire_holds import ExpireHoldsUseCase
from domain.use_cases.handle_payment_notification import NotificationOutcome, PaymentNotification
from tables.core.tables import AppointmentTable, SlotTable
from tables.crm.tables import EmailOutboxTable
from tables.payments.tables import PaymentTable
from tests.support.payment_world import OffsetClock, PaymentsWorld

pytestmark = [pytest.mark.anyio, pytest.mark.db]


async def paid_after_the_hold_expired(
    world: PaymentsWorld, sandbox: YooKassaSandbox
) -> tuple[UUID, str]:
    """A client starts paying, the hold expires (past its grace), then the payment succeeds."""
    appointment_id = await world.hold()
    result = await world.create.execute(CreatePaymentIntentCommand(appointment_id=appointment_id))
    [provider_id] = [
        pid
        for pid in sandbox.payment_ids()
        if sandbox.payment(pid)["metadata"].get("payment_id") == str(result.payment_id)
    ]
    later = OffsetClock()
    later.offset = timedelta(hours=6)
    assert await ExpireHoldsUseCase(uow=world.container.uow, clock=later).execute() >= 1
    sandbox.settle(provider_id, "succeeded")
    return appointment_id, provider_id


async def payment_row(provider_id: str) -> dict[str, Any]:
    row = await PaymentTable.select().where(PaymentTable.provider_payment_id == provider_id).first()
    assert row is not None
    return row


async def test_a_payment_for_an_expired_hold_is_refunded_in_full_and_the_slot_stays_free(
    world: PaymentsWorld, sandbox: YooKassaSandbox
) -> None:
    appointment_id, provider_id = await paid_after_the_hold_expired(world, sandbox)

    outcome = await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))

    assert outcome is NotificationOutcome.APPLIED
    row = await payment_row(provider_id)
    assert row["status"] == "refunded"
    assert row["refund_reason"] == "hold_expired"
    assert row["refunded_at"] is not None
    [refund] = sandbox.refunds_for(provider_id)
    assert row["provider_refund_id"] == refund["id"]
    assert Decimal(refund["amount"]["value"]) == Decimal(row["amount"])
    assert sandbox.payment(provider_id)["refunded_amount"]["value"] == refund["amount"]["value"]
    key, body = sandbox.refund_request(refund["id"])
    assert key == f"eb-refund-{row['id']}"
    assert body["payment_id"] == provider_id
    appointment = (
        await AppointmentTable.select().where(AppointmentTable.id == appointment_id).first()
    )
    assert appointment is not None and appointment["status"] == "expired"
    slot = (
        await SlotTable.select(SlotTable.status).where(SlotTable.id == appointment["slot"]).first()
    )
    assert slot == {"status": "free"}
    # The client is told why and how much, once; never that the appointment is confirmed.
    emails = await EmailOutboxTable.select(EmailOutboxTable.template, EmailOutboxTable.params)
    assert [e["template"] for e in emails] == [EmailTemplate.PAYMENT_REFUND.value]
    params = emails[0]["params"]
    params = params if isinstance(params, dict) else json.loads(params)
    assert params["reason"] == "hold_expired"
    assert Decimal(params["amount"]) == Decimal(row["amount"])


async def test_concurrent_redeliveries_and_workers_make_one_refund(
    world: PaymentsWorld, sandbox: YooKassaSandbox
) -> None:
    _, provider_id = await paid_after_the_hold_expired(world, sandbox)
    world.clock.offset = timedelta(minutes=5)  # type: ignore[attr-defined]  # workers due too
    note = PaymentNotification("payment.succeeded", provider_id)

    await asyncio.gather(
        *(world.notify.execute(note) for _ in range(6)),
        *(world.reconcile.execute() for _ in range(3)),
        *(world.refunds.execute() for _ in range(3)),
    )
    world.clock.offset = timedelta(minutes=30)  # type: ignore[attr-defined]
    await world.reconcile.execute()

    assert len(sandbox.refunds_for(provider_id)) == 1
    row = await payment_row(provider_id)
    assert row["status"] == "refunded"
    assert row["provider_refund_id"] == sandbox.refunds_for(provider_id)[0]["id"]
    assert await EmailOutboxTable.count() == 1  # one refund email


async def test_a_process_killed_between_the_refund_and_the_write_leaves_one_refund(
    world: PaymentsWorld, sandbox: YooKassaSandbox, sandbox_and_url: tuple[YooKassaSandbox, str]
) -> None:
    _, provider_id = await paid_after_the_hold_expired(world, sandbox)
    crashed = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "tests.support.crash_between_call_and_write",
            "refund",
            sandbox_and_url[1],
            provider_id,
        ],
        env=dict(os.environ),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert crashed.returncode == 137, crashed.stderr.decode()[-2000:]
    row = await payment_row(provider_id)
    assert row["status"] == "refund_pending"  # recorded before the call ...
    assert row["provider_refund_id"] is None  # ... the refund's answer never was
    assert len(sandbox.refunds_for(provider_id)) == 1  # but YooKassa made it

    # A redelivered notification changes nothing; the worker finishes the same refund.
    note = PaymentNotification("payment.succeeded", provider_id)
    assert await world.notify.execute(note) is NotificationOutcome.UNCHANGED
    world.clock.offset = timedelta(minutes=5)  # type: ignore[attr-defined]
    assert await world.reconcile.execute() == 1

    [refund] = sandbox.refunds_for(provider_id)
    row = await payment_row(provider_id)
    assert row["status"] == "refunded"
    assert row["provider_refund_id"] == refund["id"]


async def test_a_pending_refund_is_finished_by_its_webhook_notification(
    world: PaymentsWorld, sandbox: YooKassaSandbox
) -> None:
    _, provider_id = await paid_after_the_hold_expired(world, sandbox)
    sandbox.hold_next_refunds()
    await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))
    row = await payment_row(provider_id)
    assert row["status"] == "refund_pending"
    refund_id = row["provider_refund_id"]
    assert refund_id is not None
    sandbox.settle_refund(refund_id, "succeeded")

    body = sandbox.refund_notification_body(refund_id)
    app = world.app(yookassa_webhook_allowed_ips=(ipaddress.ip_network("185.71.76.0/27"),))
    transport = httpx.ASGITransport(app=app, client=("185.71.76.10", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        first = await client.post("/api/webhooks/yookassa", content=body)
        again = await client.post("/api/webhooks/yookassa", content=body)

    assert first.status_code == again.status_code == 200
    assert first.json() == {"result": "applied"}
    assert again.json() == {"result": "unchanged"}
    row = await payment_row(provider_id)
    assert row["status"] == "refunded"
    assert len(sandbox.refunds_for(provider_id)) == 1


async def test_a_refund_the_provider_cancels_is_left_to_staff(
    world: PaymentsWorld, sandbox: YooKassaSandbox
) -> None:
    _, provider_id = await paid_after_the_hold_expired(world, sandbox)
    sandbox.hold_next_refunds()
    await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))
    row = await payment_row(provider_id)
    sandbox.settle_refund(row["provider_refund_id"], "canceled")
    world.clock.offset = timedelta(minutes=5)  # type: ignore[attr-defined]

    await world.reconcile.execute()

    row = await payment_row(provider_id)
    assert row["status"] == "refund_failed"
    assert PaymentStatus(row["status"]) is PaymentStatus.REFUND_FAILED
