"""Repositories and the unit of work on the real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from adapters.settings import load_settings
from composition.container import build_container
from domain.models import (
    Appointment,
    AppointmentStatus,
    ConsentChannel,
    ConsentKind,
    ConsentRecord,
    ConsentSubject,
    EncryptedClient,
    Money,
    SlotStatus,
    TrackingEvent,
)
from tables.core.tables import AppointmentTable, ServiceTable, SlotTable, TrackingEventTable
from tables.uow import PiccoloUnitOfWork

pytestmark = [pytest.mark.anyio, pytest.mark.db]

NOW = datetime.now(UTC).replace(microsecond=0)


async def a_service(slug: str = "individual-session", *, active: bool = True) -> object:
    service_id = uuid4()
    await ServiceTable.insert(
        ServiceTable(
            id=service_id,
            slug=slug,
            title="Индивидуальная консультация",
            duration_minutes=50,
            price=Decimal("5000.00"),
            deposit=None if slug != "individual-session" else Decimal("1500.50"),
            active=active,
        )
    )
    return service_id


async def a_slot(service_id: object, starts_at: datetime, status: str = "free") -> object:
    slot_id = uuid4()
    await SlotTable.insert(
        SlotTable(
            id=slot_id,
            service=service_id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=50),
            status=status,
        )
    )
    return slot_id


def uow(db: object) -> PiccoloUnitOfWork:
    return PiccoloUnitOfWork(db)  # type: ignore[arg-type]


def an_appointment(slot, expires: datetime) -> Appointment:  # type: ignore[no-untyped-def]
    return Appointment.hold(
        slot=slot,
        client=EncryptedClient(
            name="enc-name", email="enc-email", phone=None, email_index="idx", phone_index=None
        ),
        now=expires - timedelta(minutes=30),
    )


async def test_services_come_back_with_money_and_only_active_ones_are_listed(db: object) -> None:
    service_id = await a_service()
    await a_service("couples-session")
    await a_service("retired", active=False)

    async with uow(db) as unit:
        active = await unit.services.list_active()
        service = await unit.services.get_active_by_slug("individual-session")
        retired = await unit.services.get_active_by_slug("retired")
        by_id = await unit.services.get(service_id)  # type: ignore[arg-type]

    assert sorted(s.slug for s in active) == ["couples-session", "individual-session"]
    assert service is not None and service == by_id
    assert service.price == Money.rub("5000.00")
    assert service.deposit == Money.rub("1500.50")
    assert isinstance(service.price.amount, Decimal)
    assert retired is None


async def test_slots_are_aware_utc_and_only_free_future_ones_in_range_are_listed(
    db: object,
) -> None:
    service_id = await a_service()
    soon = await a_slot(service_id, NOW + timedelta(hours=2))
    await a_slot(service_id, NOW + timedelta(hours=3), status="held")
    await a_slot(service_id, NOW + timedelta(days=40))

    async with uow(db) as unit:
        free = await unit.slots.list_free(service_id, NOW, NOW + timedelta(days=30))  # type: ignore[arg-type]
        slot = await unit.slots.get(soon)  # type: ignore[arg-type]

    assert [s.id for s in free] == [soon]
    assert slot is not None
    assert slot.starts_at == NOW + timedelta(hours=2)
    assert slot.starts_at.utcoffset() == timedelta(0)
    assert slot.status is SlotStatus.FREE


async def test_try_hold_wins_once_and_never_holds_a_started_slot(db: object) -> None:
    service_id = await a_service()
    future = await a_slot(service_id, NOW + timedelta(hours=2))
    started = await a_slot(service_id, NOW - timedelta(minutes=1))

    async with uow(db) as unit:
        assert await unit.slots.try_hold(future, NOW)  # type: ignore[arg-type]
        assert not await unit.slots.try_hold(future, NOW)  # type: ignore[arg-type]
        assert not await unit.slots.try_hold(started, NOW)  # type: ignore[arg-type]
        assert not await unit.slots.try_hold(uuid4(), NOW)
        await unit.slots.book(future)  # type: ignore[arg-type]
        await unit.commit()
    assert await SlotTable.select(SlotTable.status).where(SlotTable.id == future).first() == {
        "status": "booked"
    }
    async with uow(db) as unit:
        await unit.slots.release(future)  # type: ignore[arg-type]
        await unit.commit()
    assert await SlotTable.select(SlotTable.status).where(SlotTable.id == future).first() == {
        "status": "free"
    }


async def test_appointments_round_trip_and_transition_by_compare_and_set(db: object) -> None:
    service_id = await a_service()
    slot_id = await a_slot(service_id, NOW + timedelta(days=1))
    async with uow(db) as unit:
        slot = await unit.slots.get(slot_id)  # type: ignore[arg-type]
    appointment = an_appointment(slot, NOW + timedelta(minutes=30))

    async with uow(db) as unit:
        await unit.appointments.add(appointment)
        await unit.commit()
    async with uow(db) as unit:
        loaded = await unit.appointments.get(appointment.id)
        assert loaded == appointment
        assert await unit.appointments.transition(
            appointment.id,
            AppointmentStatus.PENDING_PAYMENT,
            AppointmentStatus.CONFIRMED,
            NOW + timedelta(minutes=1),
        )
        assert not await unit.appointments.transition(
            appointment.id,
            AppointmentStatus.PENDING_PAYMENT,
            AppointmentStatus.EXPIRED,
            NOW + timedelta(minutes=2),
        )
        assert await unit.appointments.count_by_status(AppointmentStatus.CONFIRMED) == 1
        await unit.commit()
    async with uow(db) as unit:
        confirmed = await unit.appointments.get(appointment.id)
    assert confirmed is not None
    assert confirmed.status is AppointmentStatus.CONFIRMED
    assert confirmed.updated_at == NOW + timedelta(minutes=1)


async def test_expired_holds_are_listed_oldest_first_within_the_limit(db: object) -> None:
    service_id = await a_service()
    appointments = []
    for minutes in (5, 15, 10):
        slot_id = await a_slot(service_id, NOW + timedelta(days=1, minutes=minutes))
        async with uow(db) as unit:
            slot = await unit.slots.get(slot_id)  # type: ignore[arg-type]
            appointment = an_appointment(slot, NOW - timedelta(minutes=minutes))
            await unit.appointments.add(appointment)
            await unit.commit()
        appointments.append(appointment)
    live_slot = await a_slot(service_id, NOW + timedelta(days=2))
    async with uow(db) as unit:
        live = an_appointment(await unit.slots.get(live_slot), NOW + timedelta(minutes=5))  # type: ignore[arg-type]
        await unit.appointments.add(live)
        await unit.commit()

    async with uow(db) as unit:
        expired = await unit.appointments.list_expired_holds(
            NOW, limit=2, payment_grace=timedelta(hours=2)
        )

    assert [a.id for a in expired] == [appointments[1].id, appointments[2].id]


async def test_consents_and_tracking_events_are_stored(db: object) -> None:
    subject = uuid4()
    record = ConsentRecord(
        id=uuid4(),
        subject_type=ConsentSubject.APPOINTMENT,
        subject_id=subject,
        kind=ConsentKind.PERSONAL_DATA,
        text_version="2026-11-01",
        channel=ConsentChannel.BOOKING_API,
        granted_at=NOW,
        evidence_ciphertext="enc-evidence",
    )
    event = TrackingEvent(
        id=uuid4(), name="show_no_slots", properties={"service_slug": "x"}, occurred_at=NOW
    )
    async with uow(db) as unit:
        await unit.consents.add(record)
        await unit.tracking.add(event)
        await unit.commit()
    async with uow(db) as unit:
        assert await unit.consents.list_for_subject(subject) == [record]
    row = await TrackingEventTable.select().first()
    assert row is not None and row["name"] == "show_no_slots"


async def test_nothing_is_kept_without_commit(db: object) -> None:
    service_id = await a_service()
    slot_id = await a_slot(service_id, NOW + timedelta(days=1))

    async with uow(db) as unit:
        assert await unit.slots.try_hold(slot_id, NOW)  # type: ignore[arg-type]
        slot = await unit.slots.get(slot_id)  # type: ignore[arg-type]
        await unit.appointments.add(an_appointment(slot, NOW + timedelta(minutes=30)))
        # no commit

    assert await AppointmentTable.count() == 0
    assert await SlotTable.select(SlotTable.status).where(SlotTable.id == slot_id).first() == {
        "status": "free"
    }


async def test_an_exception_rolls_everything_back(db: object) -> None:
    service_id = await a_service()
    slot_id = await a_slot(service_id, NOW + timedelta(days=1))

    async def hold_then_fail() -> None:
        async with uow(db) as unit:
            assert await unit.slots.try_hold(slot_id, NOW)  # type: ignore[arg-type]
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await hold_then_fail()

    assert await SlotTable.select(SlotTable.status).where(SlotTable.id == slot_id).first() == {
        "status": "free"
    }
    # The engine is usable again: no transaction was left open.
    async with uow(db) as unit:
        assert await unit.slots.try_hold(slot_id, NOW)  # type: ignore[arg-type]
        await unit.commit()


async def test_an_explicit_rollback_discards_the_work(db: object) -> None:
    service_id = await a_service()
    slot_id = await a_slot(service_id, NOW + timedelta(days=1))
    async with uow(db) as unit:
        assert await unit.slots.try_hold(slot_id, NOW)  # type: ignore[arg-type]
        await unit.rollback()
    assert await SlotTable.select(SlotTable.status).where(SlotTable.id == slot_id).first() == {
        "status": "free"
    }


async def test_units_of_work_do_not_nest(db: object) -> None:
    async with uow(db):
        with pytest.raises(RuntimeError, match="never nests"):
            async with uow(db):
                pass


async def test_a_service_with_slots_cannot_be_deleted(db: object) -> None:
    service_id = await a_service()
    await a_slot(service_id, NOW + timedelta(days=1))
    with pytest.raises(Exception):  # noqa: B017, PT011 - the driver's integrity error
        await ServiceTable.delete().where(ServiceTable.id == service_id)
    assert await ServiceTable.count() == 1


async def test_the_container_uses_the_same_database(db: object) -> None:
    container = build_container(load_settings())
    await a_service()
    services = await container.list_services.execute()
    assert [s.slug for s in services] == ["individual-session"]
