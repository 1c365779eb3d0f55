"""Adding slots in bulk: admins only, days and times in the practice's zone, no duplicates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID, uuid4

import pytest

from domain.errors import RoleRequired, ServiceNotFound
from domain.models import StaffRole
from domain.practice_time import PracticeTimezone
from domain.schedule import (
    MalformedStartTime,
    NoDaysInRange,
    NothingLeftToAdd,
    ScheduleChangeKind,
    ScheduledService,
    ServiceDurationInvalid,
    SlotRangeInPast,
    SlotRangeReversed,
    SlotRangeTooLong,
    StartTimesRequired,
    TooManyStartTimes,
    Weekday,
    WeekdaysRequired,
)
from domain.staff import StaffMember
from domain.use_cases.add_slots import (
    AddSlotsCommand,
    AddSlotsUseCase,
    parse_start_times,
)
from domain.use_cases.list_schedulable_services import (
    ListSchedulableServicesCommand,
    ListSchedulableServicesUseCase,
)
from tests.support.fakes import FixedClock
from tests.support.schedule_fakes import (
    InMemoryScheduleUnitOfWork,
    InMemoryServiceCatalogue,
    ScheduleStore,
)
from tests.support.staff_fakes import FakeStaffDirectory

pytestmark = pytest.mark.anyio

ADMIN, MANAGER, OPERATOR, NOBODY = 1, 2, 3, 99
MOSCOW = PracticeTimezone.named("Europe/Moscow")
# Monday 7 December 2026, 10:00 in Moscow.
NOW = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
MONDAY = date(2026, 12, 7)
SERVICE = ScheduledService(uuid4(), "Индивидуальная консультация", 50, active=True)
WEEKDAYS = frozenset({Weekday.MONDAY, Weekday.WEDNESDAY})


@pytest.fixture
def store() -> ScheduleStore:
    return ScheduleStore(services={SERVICE.id: SERVICE})


def use_case(store: ScheduleStore, zone: PracticeTimezone = MOSCOW) -> AddSlotsUseCase:
    staff = FakeStaffDirectory(
        StaffMember(ADMIN, "anna", StaffRole.ADMIN),
        StaffMember(MANAGER, "maria", StaffRole.MANAGER),
        StaffMember(OPERATOR, "oleg", StaffRole.OPERATOR),
    )
    return AddSlotsUseCase(
        uow=lambda: InMemoryScheduleUnitOfWork(store),
        clock=FixedClock(NOW),
        staff=staff,
        timezone=zone,
    )


def command(**changes: object) -> AddSlotsCommand:
    values: dict[str, object] = {
        "staff_user_id": ADMIN,
        "service_id": SERVICE.id,
        "date_from": MONDAY + timedelta(days=1),  # Tuesday
        "date_to": MONDAY + timedelta(days=14),  # Monday two weeks on
        "weekdays": WEEKDAYS,
        "start_times": "14:00, 10:00",
    }
    values.update(changes)
    return AddSlotsCommand(**values)  # type: ignore[arg-type]


def moscow(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=MOSCOW.zone).astimezone(UTC)


async def test_slots_are_made_on_the_chosen_weekdays_at_moscow_times(store: ScheduleStore) -> None:
    result = await use_case(store).execute(command())

    # Wednesday 9, Monday 14, Wednesday 16, Monday 21: two times each.
    days = [date(2026, 12, 9), date(2026, 12, 14), date(2026, 12, 16), date(2026, 12, 21)]
    expected = sorted(moscow(day, hour) for day in days for hour in (10, 14))
    assert sorted(start for _, start in store.slots) == expected
    assert all(s.ends_at - s.starts_at == timedelta(minutes=50) for s in store.slots.values())
    assert store.slots[(SERVICE.id, moscow(days[0], 10))].starts_at.hour == 7  # UTC
    assert (result.created, result.existing, result.past) == (8, 0, 0)
    assert (result.first_start, result.last_start) == (expected[0], expected[-1])
    assert result.service_title == SERVICE.title


async def test_the_change_is_audited_with_who_what_and_the_counts(store: ScheduleStore) -> None:
    await use_case(store).execute(command())
    await use_case(store).execute(command(start_times="10:00, 16:30"))

    first, second = store.changes
    assert first.kind is ScheduleChangeKind.SLOTS_ADDED
    assert (first.actor_user_id, first.service_id) == (ADMIN, SERVICE.id)
    assert (first.date_from, first.date_to) == (date(2026, 12, 8), date(2026, 12, 21))
    assert first.weekdays == (Weekday.MONDAY, Weekday.WEDNESDAY)
    assert first.start_times == (time(10), time(14))
    assert (first.created_count, first.existing_count) == (8, 0)
    assert first.occurred_at == NOW
    assert (second.created_count, second.existing_count) == (4, 4)


async def test_a_repeated_addition_creates_nothing_and_says_all_existed(
    store: ScheduleStore,
) -> None:
    await use_case(store).execute(command())
    again = await use_case(store).execute(command())
    assert (again.created, again.existing) == (0, 8)
    assert len(store.slots) == 8


async def test_an_existing_slot_is_counted_not_duplicated(store: ScheduleStore) -> None:
    await use_case(store).execute(command(date_to=date(2026, 12, 9), start_times="10:00"))
    result = await use_case(store).execute(command())
    assert (result.created, result.existing) == (7, 1)
    assert len(store.slots) == 8


async def test_today_starts_already_past_are_skipped_and_counted(store: ScheduleStore) -> None:
    # Today is Monday, 10:00 in Moscow: 09:00 has passed, 10:00 is now (passed), 11:00 is not.
    result = await use_case(store).execute(
        command(date_from=MONDAY, date_to=MONDAY, start_times="9:00 10:00 11:00")
    )
    assert (result.created, result.existing, result.past) == (1, 0, 2)
    assert list(store.slots) == [(SERVICE.id, moscow(MONDAY, 11))]


async def test_when_every_start_has_passed_nothing_is_written(store: ScheduleStore) -> None:
    with pytest.raises(NothingLeftToAdd):
        await use_case(store).execute(
            command(date_from=MONDAY, date_to=MONDAY, start_times="08:00, 09:59")
        )
    assert store.slots == {} and store.changes == []


async def test_times_are_read_in_the_configured_practice_zone(store: ScheduleStore) -> None:
    samara = PracticeTimezone.named("Europe/Samara")  # UTC+4
    await use_case(store, samara).execute(command(date_to=date(2026, 12, 9), start_times="10:00"))
    assert list(store.slots) == [(SERVICE.id, datetime(2026, 12, 9, 6, 0, tzinfo=UTC))]


@pytest.mark.parametrize("actor", [MANAGER, OPERATOR, NOBODY])
async def test_only_an_admin_adds_slots(store: ScheduleStore, actor: int) -> None:
    with pytest.raises(RoleRequired):
        await use_case(store).execute(command(staff_user_id=actor))
    assert store.slots == {} and store.changes == []


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        (
            {"date_to": MONDAY + timedelta(days=1), "date_from": MONDAY + timedelta(days=2)},
            SlotRangeReversed,
        ),
        ({"date_from": MONDAY - timedelta(days=1)}, SlotRangeInPast),
        ({"date_from": MONDAY, "date_to": MONDAY + timedelta(days=366)}, SlotRangeTooLong),
        ({"weekdays": frozenset()}, WeekdaysRequired),
        ({"start_times": "  , ;"}, StartTimesRequired),
        ({"start_times": "10:00, 25:00"}, MalformedStartTime),
        ({"start_times": "10-00"}, MalformedStartTime),
        ({"start_times": "10:7"}, MalformedStartTime),
        ({"start_times": "десять"}, MalformedStartTime),
        (
            {"start_times": " ".join(f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 30, 45))},
            TooManyStartTimes,
        ),
        (  # Tuesday only, in a range of Wednesday and Thursday
            {
                "date_from": date(2026, 12, 9),
                "date_to": date(2026, 12, 10),
                "weekdays": frozenset({Weekday.TUESDAY}),
            },
            NoDaysInRange,
        ),
        ({"service_id": UUID(int=1)}, ServiceNotFound),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_written(
    store: ScheduleStore, changes: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        await use_case(store).execute(command(**changes))
    assert store.slots == {} and store.changes == []


async def test_a_range_of_366_days_is_allowed(store: ScheduleStore) -> None:
    result = await use_case(store).execute(
        command(
            date_from=MONDAY + timedelta(days=1),
            date_to=MONDAY + timedelta(days=366),
            weekdays=frozenset({Weekday.FRIDAY}),
            start_times="12:00",
        )
    )
    assert result.created == 52


async def test_a_service_without_a_positive_duration_gets_no_slots(store: ScheduleStore) -> None:
    broken = ScheduledService(uuid4(), "Без длительности", 0, active=True)
    store.services[broken.id] = broken
    with pytest.raises(ServiceDurationInvalid):
        await use_case(store).execute(command(service_id=broken.id))
    assert store.slots == {}


def test_start_times_are_sorted_deduplicated_and_take_dots_and_spaces() -> None:
    assert parse_start_times("14:00; 9.30 10:00,10:00\n9:30") == (time(9, 30), time(10), time(14))


def test_a_malformed_time_names_the_piece_that_is_wrong() -> None:
    with pytest.raises(MalformedStartTime) as caught:
        parse_start_times("10:00, 24:00, 11:00")
    assert caught.value.value == "24:00"


async def test_the_pick_list_has_active_services_first_and_is_for_admins_only(
    store: ScheduleStore,
) -> None:
    closed = ScheduledService(uuid4(), "Архивная услуга", 60, active=False)
    other = ScheduledService(uuid4(), "Группа", 90, active=True)
    store.services.update({closed.id: closed, other.id: other})
    staff = FakeStaffDirectory(
        StaffMember(ADMIN, "anna", StaffRole.ADMIN),
        StaffMember(MANAGER, "maria", StaffRole.MANAGER),
    )
    services = ListSchedulableServicesUseCase(services=InMemoryServiceCatalogue(store), staff=staff)
    listed = await services.execute(ListSchedulableServicesCommand(ADMIN))
    assert [s.title for s in listed] == ["Группа", "Индивидуальная консультация", "Архивная услуга"]
    for actor in (MANAGER, NOBODY):
        with pytest.raises(RoleRequired):
            await services.execute(ListSchedulableServicesCommand(actor))
