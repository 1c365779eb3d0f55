"""One live payment per appointment, across kinds, decided by the database (SQLite and
PostgreSQL): the partial unique index, and concurrent deposit and full requests over the real
app with the real SDK against the sandbox."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID

import httpx
import pytest
from asyncpg.exceptions import UniqueViolationError  # type: ignore[import-untyped]

from adapters.yookassa.sandbox import YooKassaSandbox
from domain.errors import LivePaymentExists
from domain.models import Money
from domain.payments import Payment, PaymentKind, PaymentStatus
from tables.payments.tables import PaymentTable
from tables.uow import PiccoloUnitOfWork
from tests.support.payment_world import PaymentsWorld, payments_world, seeded

pytestmark = [pytest.mark.anyio, pytest.mark.db]

ROUNDS = 4
EACH_KIND = 3


@pytest.fixture
async def world(
    db: object, sandbox_and_url: tuple[YooKassaSandbox, str]
) -> AsyncIterator[PaymentsWorld]:
    sandbox_and_url[0].clear_faults()
    await seeded()
    built = payments_world(sandbox_and_url[1])
    yield built
    built.close()


def uow(world: PaymentsWorld) -> PiccoloUnitOfWork:
    made: PiccoloUnitOfWork = world.container.uow()
    return made


def start(appointment_id: UUID, kind: PaymentKind) -> Payment:
    return Payment.start(
        appointment_id=appointment_id,
        kind=kind,
        amount=Money.rub("1500"),
        request_fingerprint="f",
        now=datetime.now(UTC),
    )


def provider_payments_for(sandbox: YooKassaSandbox, appointment_id: UUID) -> list[str]:
    return [
        pid
        for pid in sandbox.payment_ids()
        if sandbox.payment(pid)["metadata"].get("appointment_id") == str(appointment_id)
    ]


async def test_the_database_refuses_a_second_live_payment_of_any_kind(
    world: PaymentsWorld,
) -> None:
    appointment_id = await world.hold()
    first = start(appointment_id, PaymentKind.DEPOSIT)
    async with uow(world) as unit:
        await unit.payments.add(first)
        await unit.commit()
    for kind in PaymentKind:
        with pytest.raises(LivePaymentExists):
            async with uow(world) as unit:
                await unit.payments.add(start(appointment_id, kind))

    now = datetime.now(UTC)
    first.advance_to(PaymentStatus.FAILED, now)
    async with uow(world) as unit:
        assert await unit.payments.save(first, PaymentStatus.CREATING)
        await unit.commit()
    async with uow(world) as unit:  # a failed one no longer counts
        await unit.payments.add(start(appointment_id, PaymentKind.FULL))
        await unit.commit()
    assert await PaymentTable.count() == 2


async def test_another_unique_violation_is_not_taken_for_a_live_payment(
    world: PaymentsWorld,
) -> None:
    appointment_id = await world.hold()
    payment = start(appointment_id, PaymentKind.DEPOSIT)
    payment.advance_to(PaymentStatus.FAILED, datetime.now(UTC))
    async with uow(world) as unit:
        await unit.payments.add(payment)
        await unit.commit()

    # The same id and provider key again: the primary key refuses it, not the live index.
    with pytest.raises((sqlite3.IntegrityError, UniqueViolationError)):
        async with uow(world) as unit:
            await unit.payments.add(payment)


async def test_concurrent_deposit_and_full_requests_make_one_provider_payment(
    world: PaymentsWorld, sandbox: YooKassaSandbox
) -> None:
    app = world.app()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("203.0.113.5", 40000)),
        base_url="http://testserver",
        timeout=60,
    ) as http:
        for round_ in range(ROUNDS):
            appointment_id = await world.hold(round_, with_deposit=True)
            kinds = [kind for kind in PaymentKind for _ in range(EACH_KIND)]
            responses = await asyncio.gather(
                *(
                    http.post(
                        "/api/public/payments",
                        json={"appointment_id": str(appointment_id), "kind": kind.value},
                        headers={"Idempotency-Key": f"r{round_}-{n}"},
                    )
                    for n, kind in enumerate(kinds)
                )
            )

            created = [r.json() for r in responses if r.status_code == 201]
            assert created, [r.text for r in responses]
            (winner,) = {c["kind"] for c in created}
            assert len({c["payment_id"] for c in created}) == 1
            for kind, response in zip(kinds, responses, strict=True):
                if kind.value == winner:  # the same kind returns the live payment
                    assert response.status_code == 201, response.text
                else:
                    assert response.status_code == 409, response.text
                    assert response.json()["code"] == "payment_in_progress"
            rows = await PaymentTable.select(PaymentTable.id).where(
                PaymentTable.appointment_id == appointment_id
            )
            assert [str(row["id"]) for row in rows] == [created[0]["payment_id"]]
            assert len(provider_payments_for(sandbox, appointment_id)) == 1
