"""Add free slots in bulk (the admin form ``Добавить окна``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID, uuid4

from domain.errors import RoleRequired, ServiceNotFound
from domain.models import StaffRole
from domain.ports import Clock
from domain.practice_time import PracticeTimezone
from domain.schedule import (
    MalformedStartTime,
    NewSlot,
    NoDaysInRange,
    NothingLeftToAdd,
    ScheduleChange,
    ScheduleChangeKind,
    ScheduleUnitOfWorkFactory,
    ServiceDurationInvalid,
    SlotRangeInPast,
    SlotRangeReversed,
    SlotRangeTooLong,
    StartTimesRequired,
    TooManyStartTimes,
    Weekday,
    WeekdaysRequired,
)
from domain.staff_ports import StaffDirectory
from domain.use_cases.staff_access import require_staff

MAX_RANGE_DAYS = 366  # both ends included: a year, leap or not
MAX_START_TIMES = 48
_SEPARATORS = re.compile(r"[\s,;]+")
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")


@dataclass(frozen=True, slots=True)
class AddSlotsCommand:
    staff_user_id: int
    service_id: UUID
    date_from: date
    date_to: date
    weekdays: frozenset[Weekday]
    start_times: str  # "10:00, 11:30, 14:00": as the staff member typed them


@dataclass(frozen=True, slots=True)
class AddSlotsResult:
    service_title: str
    created: int
    existing: int  # the service already had a slot at that start
    past: int  # starts earlier today, not added
    first_start: datetime | None  # of the slots asked for (created or not), UTC
    last_start: datetime | None


def parse_start_times(text: str) -> tuple[time, ...]:
    """``"10:00, 9.30 14:00"`` -> 09:30, 10:00, 14:00 (sorted, each once).

    Separators are commas, semicolons and spaces; a time is ``H:MM`` or ``HH:MM`` (a dot works
    too), 00:00 to 23:59. Anything else names the piece that is wrong.
    """
    pieces = [piece for piece in _SEPARATORS.split(text.strip()) if piece]
    if not pieces:
        raise StartTimesRequired()
    found: set[time] = set()
    for piece in pieces:
        match = _TIME.match(piece)
        hour, minute = (int(match[1]), int(match[2])) if match else (-1, -1)
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            raise MalformedStartTime(piece[:20])
        found.add(time(hour, minute))
    if len(found) > MAX_START_TIMES:
        raise TooManyStartTimes()
    return tuple(sorted(found))


class AddSlotsUseCase:
    """Creates the free slots of one service on the chosen weekdays of a range of days.

    - Admins only (``role_required`` for every other role and for accounts without one),
      checked before anything is read or written.
    - The service must exist (``service_not_found``) and have a positive duration; a slot ends
      that many minutes after it starts. An inactive service may get slots in advance.
    - Days are in the practice's time zone, both ends included: the first may not be after the
      last, nor before today; at most 366 days. At least one weekday and one start time
      (``H:MM``, 00:00-23:59, at most 48) are needed, and at least one chosen weekday must fall
      in the range. Each refusal has its own code and writes nothing.
    - Starts that have already passed (earlier today) are not added, only counted; if every
      start has passed, nothing is written.
    - A service never gets two slots at one start: a start it already has (free, held or
      booked) is counted as existing, also when two additions run at once.
    - New slots are ``free``. One append-only audit row (who, service, days, weekdays, times,
      how many created and already there) is written in the same transaction.
    """

    def __init__(
        self,
        *,
        uow: ScheduleUnitOfWorkFactory,
        clock: Clock,
        staff: StaffDirectory,
        timezone: PracticeTimezone,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._staff = staff
        self._timezone = timezone

    async def execute(self, command: AddSlotsCommand) -> AddSlotsResult:
        member = await require_staff(self._staff, command.staff_user_id)
        if member.role is not StaffRole.ADMIN:
            raise RoleRequired()
        now = self._clock.now()
        days = self._days(command, today=self._timezone.local(now).date())
        times = parse_start_times(command.start_times)
        async with self._uow() as uow:
            service = await uow.schedule.service(command.service_id)
            if service is None:
                raise ServiceNotFound()
            if service.duration_minutes <= 0:
                raise ServiceDurationInvalid()
            length = timedelta(minutes=service.duration_minutes)
            starts = [self._start(day, at) for day in days for at in times]
            future = [start for start in starts if start > now]
            if not future:
                raise NothingLeftToAdd()
            slots = [
                NewSlot(id=uuid4(), service_id=service.id, starts_at=s, ends_at=s + length)
                for s in future
            ]
            created = await uow.schedule.add_free_slots(slots)
            existing = len(slots) - created
            await uow.schedule.record(
                ScheduleChange(
                    id=uuid4(),
                    actor_user_id=member.user_id,
                    kind=ScheduleChangeKind.SLOTS_ADDED,
                    service_id=service.id,
                    date_from=command.date_from,
                    date_to=command.date_to,
                    weekdays=tuple(sorted(command.weekdays)),
                    start_times=times,
                    created_count=created,
                    existing_count=existing,
                    occurred_at=now,
                )
            )
            await uow.commit()
        return AddSlotsResult(
            service_title=service.title,
            created=created,
            existing=existing,
            past=len(starts) - len(future),
            first_start=future[0],
            last_start=future[-1],
        )

    @staticmethod
    def _days(command: AddSlotsCommand, *, today: date) -> list[date]:
        first, last = command.date_from, command.date_to
        if last < first:
            raise SlotRangeReversed()
        if first < today:
            raise SlotRangeInPast()
        span = (last - first).days + 1
        if span > MAX_RANGE_DAYS:
            raise SlotRangeTooLong()
        if not command.weekdays:
            raise WeekdaysRequired()
        days = [
            day
            for day in (first + timedelta(days=i) for i in range(span))
            if Weekday(day.weekday()) in command.weekdays
        ]
        if not days:
            raise NoDaysInRange()
        return days

    def _start(self, day: date, at: time) -> datetime:
        # A wall-clock time in the practice's zone; stored in UTC.
        return datetime.combine(day, at, self._timezone.zone).astimezone(UTC)
