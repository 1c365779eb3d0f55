"""Holding slots on the real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from adapters.settings import load_settings
from composition.container import build_container
from domain.errors import SlotNotAvailable
from domain.models import ConsentEvidence, SlotStatus
from domain.use_cases.hold_slot import HoldSlotCommand
from tables.core.tables import AppointmentTable, ConsentRecordTable, SlotTable
from tables.demo import seed_demo

pytestmark = [pytest.mark.anyio, pytest.mark.db]


def hold_command(slot_id, n: int = 0) -> HoldSlotCommand:  # type: ignore[no-untyped-def]
    return HoldSlotCommand(
        slot_id=slot_id,
        client_name=f"Клиент {n}",
        email=f"client{n}@example.com",
        phone=None,
        personal_data_consent=True,
        communications_consent=False,
        consent_version="2026-11-01",
        evidence=ConsentEvidence(ip="198.51.100.1", user_agent="pytest"),
    )


async def free_slot_id() -> object:
    row = (
        await SlotTable.select(SlotTable.id)
        .where(
            (SlotTable.status == "free")
            & (SlotTable.starts_at > datetime.now(UTC) + timedelta(hours=1))
        )
        .first()
    )
    assert row is not None
    return row["id"]


async def test_eight_concurrent_holds_of_one_slot_give_exactly_one_appointment(db: object) -> None:
    await seed_demo()
    container = build_container(load_settings())
    slot_id = await free_slot_id()

    results = await asyncio.gather(
        *(container.hold_slot.execute(hold_command(slot_id, n)) for n in range(8)),
        return_exceptions=True,
    )

    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, SlotNotAvailable) for r in losers), losers
    assert await AppointmentTable.count().where(AppointmentTable.slot == slot_id) == 1
    assert await ConsentRecordTable.count() == 1
    slot = await SlotTable.select(SlotTable.status).where(SlotTable.id == slot_id).first()
    assert slot is not None and slot["status"] == SlotStatus.HELD.value


async def test_contacts_are_stored_only_encrypted(db: object) -> None:
    await seed_demo()
    container = build_container(load_settings())
    await container.hold_slot.execute(hold_command(await free_slot_id(), 7))

    row = await AppointmentTable.select().first()
    assert row is not None
    dumped = repr(row)
    assert "client7@example.com" not in dumped
    assert "Клиент 7" not in dumped
    assert container.encryptor.decrypt(row["client_email_encrypted"]) == "client7@example.com"


async def test_expired_holds_free_their_slot(db: object) -> None:
    await seed_demo()
    container = build_container(load_settings())
    slot_id = await free_slot_id()
    result = await container.hold_slot.execute(hold_command(slot_id))
    await AppointmentTable.update(
        {AppointmentTable.hold_expires_at: datetime.now(UTC) - timedelta(minutes=1)}
    ).where(AppointmentTable.id == result.appointment_id)

    assert await container.expire_holds.execute() == 1
    assert await container.expire_holds.execute() == 0
    row = (
        await AppointmentTable.select(AppointmentTable.status)
        .where(AppointmentTable.id == result.appointment_id)
        .first()
    )
    assert row == {"status": "expired"}
    slot = await SlotTable.select(SlotTable.status).where(SlotTable.id == slot_id).first()
    assert slot == {"status": "free"}
