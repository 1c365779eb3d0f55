"""MAX_ACTIVE_HOLDS_PER_CONTACT on the real database, under concurrency (SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.settings import load_settings
from composition.container import Container, build_container
from domain.errors import TooManyHolds
from domain.models import ConsentEvidence
from domain.use_cases.hold_slot import HoldSlotCommand
from tables.core.tables import AppointmentTable, SlotTable
from tables.demo import seed_demo

pytestmark = [pytest.mark.anyio, pytest.mark.db]


def hold(slot_id: Any, *, email: str | None, phone: str | None) -> HoldSlotCommand:
    return HoldSlotCommand(
        slot_id=slot_id,
        client_name="Анна",
        email=email,
        phone=phone,
        personal_data_consent=True,
        communications_consent=False,
        consent_version="2026-11-01",
        evidence=ConsentEvidence(ip="198.51.100.1", user_agent="pytest"),
    )


async def free_slot_ids(count: int) -> list[Any]:
    rows = (
        await SlotTable.select(SlotTable.id)
        .where(
            (SlotTable.status == "free")
            & (SlotTable.starts_at > datetime.now(UTC) + timedelta(hours=1))
        )
        .order_by(SlotTable.starts_at)
        .limit(count)
    )
    assert len(rows) == count
    return [row["id"] for row in rows]


async def container_with_limit(limit: int) -> Container:
    await seed_demo()
    return build_container(replace(load_settings(), max_active_holds_per_contact=limit))


async def test_six_concurrent_holds_by_one_email_give_exactly_two(db: object) -> None:
    container = await container_with_limit(2)
    slots = await free_slot_ids(6)

    results = await asyncio.gather(
        *(
            container.hold_slot.execute(hold(slot, email="anna@example.com", phone=None))
            for slot in slots
        ),
        return_exceptions=True,
    )

    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 2, results
    assert all(isinstance(r, TooManyHolds) for r in losers), losers
    assert await AppointmentTable.count() == 2
    assert await SlotTable.count().where(SlotTable.status == "held") == 2


async def test_concurrent_holds_by_email_by_phone_and_by_both_count_as_one_client(
    db: object,
) -> None:
    container = await container_with_limit(2)
    slots = await free_slot_ids(6)
    contacts = [
        ("anna@example.com", None),
        (None, "+7 999 123-45-67"),
        ("anna@example.com", "+7 999 123-45-67"),
    ] * 2

    results = await asyncio.gather(
        *(
            container.hold_slot.execute(hold(slot, email=email, phone=phone))
            for slot, (email, phone) in zip(slots, contacts, strict=True)
        ),
        return_exceptions=True,
    )

    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    # Email-only and phone-only holds are separate clients unless a hold gives both, so the
    # only promise is per index: no index ever ends with more than two live holds.
    assert all(isinstance(r, TooManyHolds) for r in losers), losers
    assert 2 <= len(winners) <= 4
    rows = await AppointmentTable.select(
        AppointmentTable.client_email_index, AppointmentTable.client_phone_index
    )
    for column in ("client_email_index", "client_phone_index"):
        indexes = [row[column] for row in rows if row[column] is not None]
        assert all(indexes.count(index) <= 2 for index in indexes), rows


async def test_an_expired_hold_not_yet_swept_does_not_count(db: object) -> None:
    container = await container_with_limit(1)
    first, second = await free_slot_ids(2)
    held = await container.hold_slot.execute(hold(first, email="anna@example.com", phone=None))
    with pytest.raises(TooManyHolds):
        await container.hold_slot.execute(hold(second, email="anna@example.com", phone=None))
    await AppointmentTable.update(
        {AppointmentTable.hold_expires_at: datetime.now(UTC) - timedelta(seconds=1)}
    ).where(AppointmentTable.id == held.appointment_id)

    await container.hold_slot.execute(hold(second, email="ANNA@example.com", phone=None))

    assert await AppointmentTable.count().where(AppointmentTable.status == "pending_payment") == 2
