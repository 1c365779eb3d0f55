"""The migration that makes one slot per service and start: what it does with existing rows.

Surplus free slots nobody refers to go (the oldest free one stays, or the one in use); two
slots in use at one start stop the migration with a clear message and change nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

from tables.core.piccolo_migrations import core_2026_12_02t20_45_00_000000 as migration
from tables.core.tables import AppointmentTable, ServiceTable, SlotTable
from tables.demo import seed_demo

pytestmark = [pytest.mark.anyio, pytest.mark.db]

STARTS = datetime(2031, 2, 3, 7, 0, tzinfo=UTC)


async def run(sql: str) -> list[dict[str, object]]:
    return await engine_finder().run_querystring(QueryString(sql))  # type: ignore[union-attr]


@pytest.fixture
async def without_index(db: object) -> AsyncIterator[UUID]:
    """A service, and the slots table as it was before the migration (no unique index)."""
    await run(migration.DROP)
    service_id = uuid4()
    await ServiceTable.insert(
        ServiceTable(
            id=service_id,
            slug="individual",
            title="Консультация",
            duration_minutes=50,
            price="5000.00",
        )
    )
    try:
        yield service_id
    finally:
        await run("DELETE FROM appointments")
        await run("DELETE FROM slots")
        await run(migration.CREATE)


async def a_slot(service_id: UUID, status: str, created_minutes_ago: int) -> UUID:
    slot_id = uuid4()
    await SlotTable.insert(
        SlotTable(
            id=slot_id,
            service=service_id,
            starts_at=STARTS,
            ends_at=STARTS + timedelta(minutes=50),
            status=status,
            created_at=datetime.now(UTC) - timedelta(minutes=created_minutes_ago),
        )
    )
    return slot_id


async def migrate() -> None:
    manager = await migration.forwards()
    await manager.run()


async def remaining() -> set[UUID]:
    return {row["id"] for row in await SlotTable.select(SlotTable.id)}


async def test_of_free_doubles_the_oldest_stays(without_index: UUID) -> None:
    oldest = await a_slot(without_index, "free", 30)
    await a_slot(without_index, "free", 20)
    await a_slot(without_index, "free", 10)
    await migrate()
    assert await remaining() == {oldest}


async def test_a_slot_in_use_stays_and_its_free_doubles_go(without_index: UUID) -> None:
    await a_slot(without_index, "free", 30)
    held = await a_slot(without_index, "held", 10)
    await migrate()
    assert await remaining() == {held}
    with pytest.raises(Exception, match=r"(?i)unique"):
        await a_slot(without_index, "free", 0)


async def test_a_free_slot_an_appointment_refers_to_is_kept(without_index: UUID) -> None:
    await a_slot(without_index, "free", 30)
    referred = await a_slot(without_index, "free", 10)
    await AppointmentTable.insert(
        AppointmentTable(
            id=uuid4(),
            slot=referred,
            service=without_index,
            client_name_encrypted="x",
            status="expired",
            hold_expires_at=STARTS,
        )
    )
    await migrate()
    assert await remaining() == {referred}


async def test_two_slots_in_use_at_one_start_stop_the_migration(without_index: UUID) -> None:
    first = await a_slot(without_index, "held", 30)
    second = await a_slot(without_index, "booked", 10)
    with pytest.raises(RuntimeError, match="1 service start"):
        await migrate()
    assert await remaining() == {first, second}


async def test_seeding_the_demo_keeps_a_slot_an_admin_added_at_a_demo_start(db: object) -> None:
    await seed_demo()
    demo = await SlotTable.select().order_by(SlotTable.starts_at).first()
    assert demo is not None
    # As if an admin had added this start first: another id, held by now.
    await SlotTable.delete().where(SlotTable.id == demo["id"])
    await SlotTable.insert(SlotTable(**{**demo, "id": uuid4(), "status": "held"}))
    total = await SlotTable.count()

    await seed_demo()  # the next start-up in development

    assert await SlotTable.count() == total
    kept = await SlotTable.select(SlotTable.status).where(
        (SlotTable.service == demo["service"]) & (SlotTable.starts_at == demo["starts_at"])
    )
    assert kept == [{"status": "held"}]
