"""Listing services and free slots, with the in-memory unit of work."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.errors import ServiceNotFound, ValidationFailed
from domain.models import SlotStatus
from domain.use_cases.expire_holds import ExpireHoldsUseCase
from domain.use_cases.get_availability import GetAvailabilityCommand, GetAvailabilityUseCase
from domain.use_cases.list_services import ListServicesUseCase
from tests.support.builders import a_service, a_slot
from tests.support.fakes import FixedClock, InMemoryUnitOfWorkFactory

pytestmark = pytest.mark.anyio

# 09:00 UTC is 12:00 in Moscow, on Sunday 22 November 2026.
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def setup() -> tuple[GetAvailabilityUseCase, InMemoryUnitOfWorkFactory, object]:
    uow = InMemoryUnitOfWorkFactory()
    service = a_service("individual-session")
    uow.store.services[service.id] = service
    return GetAvailabilityUseCase(uow=uow, clock=FixedClock(NOW)), uow, service


def add_slot(uow: InMemoryUnitOfWorkFactory, service, starts_at: datetime, **kw):  # type: ignore[no-untyped-def]
    slot = a_slot(service, starts_at, **kw)
    uow.store.slots[slot.id] = slot
    return slot


async def test_without_dates_the_next_thirty_days_of_free_future_slots_are_listed_in_order() -> (
    None
):
    use_case, uow, service = setup()
    later = add_slot(uow, service, NOW + timedelta(days=3))
    sooner = add_slot(uow, service, NOW + timedelta(hours=2))
    add_slot(uow, service, NOW - timedelta(hours=1))  # already started
    add_slot(uow, service, NOW + timedelta(days=2), status=SlotStatus.HELD)
    add_slot(uow, service, NOW + timedelta(days=2), status=SlotStatus.BOOKED)
    add_slot(uow, service, NOW + timedelta(days=32))  # beyond the default range
    other = a_service("couples-session")
    uow.store.services[other.id] = other
    add_slot(uow, other, NOW + timedelta(days=1))

    result = await use_case.execute(GetAvailabilityCommand("individual-session"))

    assert [slot.id for slot in result.slots] == [sooner.id, later.id]
    assert result.service.id == service.id
    assert not result.no_slots


async def test_dates_are_moscow_days_with_both_ends_included() -> None:
    use_case, uow, service = setup()
    # 2026-11-25 00:30 in Moscow is still 2026-11-24 21:30 UTC: it belongs to the 25th.
    first_minute = add_slot(uow, service, datetime(2026, 11, 24, 21, 30, tzinfo=UTC))
    last_hour = add_slot(uow, service, datetime(2026, 11, 26, 20, 0, tzinfo=UTC))  # 23:00 MSK 26th
    add_slot(uow, service, datetime(2026, 11, 24, 20, 30, tzinfo=UTC))  # 23:30 MSK on the 24th
    add_slot(uow, service, datetime(2026, 11, 26, 21, 0, tzinfo=UTC))  # 00:00 MSK on the 27th

    result = await use_case.execute(
        GetAvailabilityCommand("individual-session", date(2026, 11, 25), date(2026, 11, 26))
    )

    assert [slot.id for slot in result.slots] == [first_minute.id, last_hour.id]


async def test_a_range_of_one_day_and_a_range_starting_in_the_past_list_only_future_slots() -> None:
    use_case, uow, service = setup()
    add_slot(uow, service, NOW - timedelta(hours=2))
    this_afternoon = add_slot(uow, service, NOW + timedelta(hours=3))

    result = await use_case.execute(
        GetAvailabilityCommand("individual-session", date(2026, 11, 20), date(2026, 11, 22))
    )

    assert [slot.id for slot in result.slots] == [this_afternoon.id]


async def test_no_free_slot_means_no_slots() -> None:
    use_case, uow, service = setup()
    add_slot(uow, service, NOW + timedelta(days=1), status=SlotStatus.HELD)
    result = await use_case.execute(GetAvailabilityCommand("individual-session"))
    assert result.slots == []
    assert result.no_slots


async def test_the_end_date_may_not_come_before_the_start_date() -> None:
    use_case, _, _ = setup()
    with pytest.raises(ValidationFailed):
        await use_case.execute(
            GetAvailabilityCommand("individual-session", date(2026, 12, 2), date(2026, 12, 1))
        )


async def test_at_most_ninety_two_days_are_listed_at_once() -> None:
    use_case, _, _ = setup()
    start = date(2026, 12, 1)
    await use_case.execute(
        GetAvailabilityCommand("individual-session", start, start + timedelta(days=92))
    )
    with pytest.raises(ValidationFailed):
        await use_case.execute(
            GetAvailabilityCommand("individual-session", start, start + timedelta(days=93))
        )


async def test_an_unknown_or_inactive_service_is_not_found() -> None:
    use_case, uow, _ = setup()
    hidden = a_service("hidden", active=False)
    uow.store.services[hidden.id] = hidden
    for slug in ("nope", "hidden"):
        with pytest.raises(ServiceNotFound):
            await use_case.execute(GetAvailabilityCommand(slug))


async def test_only_active_services_are_listed_sorted_by_title() -> None:
    uow = InMemoryUnitOfWorkFactory()
    for slug, active in (("b", True), ("a", True), ("c", False)):
        service = a_service(slug, active=active)
        uow.store.services[service.id] = service
    services = await ListServicesUseCase(uow=uow).execute()
    assert [s.slug for s in services] == ["a", "b"]


async def test_expiring_holds_frees_their_slots_and_leaves_live_holds_alone() -> None:
    from tests.unit.test_hold_slot import command, make, seeded

    clock = FixedClock(NOW)
    use_case, uow, _ = make(clock)
    old_slot = seeded(uow, clock)
    old = await use_case.execute(command(old_slot.id))
    clock.advance(timedelta(minutes=20))
    new_slot = seeded(uow, clock)
    new = await use_case.execute(command(new_slot.id))
    clock.advance(timedelta(minutes=10))

    expire = ExpireHoldsUseCase(uow=uow, clock=clock)
    assert await expire.execute() == 1
    assert await expire.execute() == 0

    assert uow.store.appointments[old.appointment_id].status.value == "expired"
    assert uow.store.slots[old_slot.id].status is SlotStatus.FREE
    assert uow.store.appointments[new.appointment_id].status.value == "pending_payment"
    assert uow.store.slots[new_slot.id].status is SlotStatus.HELD
