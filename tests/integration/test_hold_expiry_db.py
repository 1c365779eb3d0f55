"""Hold expiry on the real database (SQLite and PostgreSQL): holds kept for a payment in
progress never fill the batch, and they go once the payment grace is over."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from adapters.settings import load_settings
from composition.container import Container, build_container
from domain.models import ConsentEvidence, Money
from domain.payments import Payment, PaymentKind
from domain.use_cases.expire_holds import ExpireHoldsUseCase
from domain.use_cases.hold_slot import HoldSlotCommand
from tables.core.tables import AppointmentTable, SlotTable
from tables.demo import seed_demo

pytestmark = [pytest.mark.anyio, pytest.mark.db]

BATCH = 5
KEPT = 7
EXPIRABLE = 3
GRACE = timedelta(minutes=120)


async def hold(container: Container, slot_id: UUID, n: int) -> UUID:
    result = await container.hold_slot.execute(
        HoldSlotCommand(
            slot_id=slot_id,
            client_name=f"Клиент {n}",
            email=f"client{n}@example.com",
            phone=None,
            personal_data_consent=True,
            communications_consent=False,
            consent_version="2026-11-01",
            evidence=ConsentEvidence(ip="198.51.100.1", user_agent="pytest"),
        )
    )
    appointment_id: UUID = result.appointment_id
    return appointment_id


async def expired_at(appointment_id: UUID, when: datetime) -> None:
    await AppointmentTable.update({AppointmentTable.hold_expires_at: when}).where(
        AppointmentTable.id == appointment_id
    )


async def statuses(ids: list[UUID]) -> set[str]:
    rows = await AppointmentTable.select(AppointmentTable.status).where(
        AppointmentTable.id.is_in(ids)
    )
    return {row["status"] for row in rows}


async def test_holds_kept_for_payments_never_block_the_ones_behind_them(db: object) -> None:
    await seed_demo()
    container = build_container(load_settings())
    now = datetime.now(UTC)
    slots = (
        await SlotTable.select(SlotTable.id)
        .where((SlotTable.status == "free") & (SlotTable.starts_at > now + timedelta(hours=1)))
        .order_by(SlotTable.starts_at)
        .limit(KEPT + EXPIRABLE)
    )
    assert len(slots) == KEPT + EXPIRABLE
    ids = [await hold(container, row["id"], n) for n, row in enumerate(slots)]
    kept, expirable = ids[:KEPT], ids[KEPT:]
    # The kept holds are the oldest: a query that read them first would see nothing else.
    for n, appointment_id in enumerate(kept):
        await expired_at(appointment_id, now - timedelta(minutes=30, seconds=n))
        async with container.uow() as uow:
            await uow.payments.add(
                Payment.start(
                    appointment_id=appointment_id,
                    kind=PaymentKind.FULL,
                    amount=Money.rub("5000"),
                    request_fingerprint="f",
                    now=now - timedelta(minutes=40),
                )
            )
            await uow.commit()
    for appointment_id in expirable:
        await expired_at(appointment_id, now - timedelta(minutes=1))
    expire = ExpireHoldsUseCase(
        uow=container.uow, clock=container.clock, batch_size=BATCH, payment_grace=GRACE
    )

    assert await expire.execute() == EXPIRABLE
    assert await expire.execute() == 0
    assert await statuses(expirable) == {"expired"}
    assert await statuses(kept) == {"pending_payment"}

    # Past the grace the kept holds go too, a batch at a time.
    for appointment_id in kept:
        await expired_at(appointment_id, now - GRACE - timedelta(minutes=1))
    assert await expire.execute() == BATCH
    assert await expire.execute() == KEPT - BATCH
    assert await statuses(kept) == {"expired"}
    freed = await SlotTable.count().where(
        SlotTable.id.is_in([row["id"] for row in slots]) & (SlotTable.status == "free")
    )
    assert freed == KEPT + EXPIRABLE


async def test_the_worker_keeps_a_paying_hold_for_payment_grace_minutes(db: object) -> None:
    await seed_demo()
    default = build_container(load_settings())
    short = build_container(load_settings({**os.environ, "PAYMENT_GRACE_MINUTES": "0.05"}))
    now = datetime.now(UTC)
    slot = (
        await SlotTable.select(SlotTable.id)
        .where((SlotTable.status == "free") & (SlotTable.starts_at > now + timedelta(hours=1)))
        .first()
    )
    assert slot is not None
    appointment_id = await hold(default, slot["id"], 0)
    async with default.uow() as uow:
        await uow.payments.add(
            Payment.start(
                appointment_id=appointment_id,
                kind=PaymentKind.FULL,
                amount=Money.rub("5000"),
                request_fingerprint="f",
                now=now,
            )
        )
        await uow.commit()
    await expired_at(appointment_id, now - timedelta(seconds=10))

    assert await default.expire_holds.execute() == 0  # 120 minutes of grace
    assert await short.expire_holds.execute() == 1  # 3 seconds of grace
    assert await statuses([appointment_id]) == {"expired"}
