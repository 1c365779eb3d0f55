"""The practice's schedule as admins change it: slots added in bulk, and the audit of each change.

A bulk addition names a service, a range of days, the weekdays and the start times, all in the
practice's time zone; each start that falls on one of those days is a slot as long as the
service's session. A slot is one service at one start: the database keeps one row per pair
(a unique index), so a repeated or concurrent addition creates each slot once.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from domain.errors import ValidationFailed


class ScheduleChangeKind(enum.StrEnum):
    SLOTS_ADDED = "slots_added"


class Weekday(enum.IntEnum):
    """ISO numbering less one, as ``date.weekday()`` counts: Monday is 0."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


@dataclass(frozen=True, slots=True)
class ScheduledService:
    id: UUID
    title: str
    duration_minutes: int
    active: bool


@dataclass(frozen=True, slots=True)
class NewSlot:
    id: UUID
    service_id: UUID
    starts_at: datetime  # aware, UTC
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class ScheduleChange:
    """One row of the append-only ``schedule_changes``: who changed the schedule, how."""

    id: UUID
    actor_user_id: int
    kind: ScheduleChangeKind
    service_id: UUID
    date_from: date
    date_to: date
    weekdays: tuple[Weekday, ...]
    start_times: tuple[time, ...]
    created_count: int
    existing_count: int
    occurred_at: datetime


# Why a bulk addition was refused: each has a stable code the admin says in Russian.


class InvalidSlotSchedule(ValidationFailed):
    code = "invalid_slot_schedule"
    message = "The slots to add are not valid."


class SlotRangeReversed(InvalidSlotSchedule):
    code = "slot_range_reversed"
    message = "The last day is before the first day."


class SlotRangeTooLong(InvalidSlotSchedule):
    code = "slot_range_too_long"
    message = "The range of days is too long."


class SlotRangeInPast(InvalidSlotSchedule):
    code = "slot_range_in_past"
    message = "The first day is in the past."


class WeekdaysRequired(InvalidSlotSchedule):
    code = "weekdays_required"
    message = "No weekday was chosen."


class StartTimesRequired(InvalidSlotSchedule):
    code = "start_times_required"
    message = "No start time was given."


class MalformedStartTime(InvalidSlotSchedule):
    """``value``: the piece of the staff member's text that is not a time (no personal data)."""

    code = "malformed_start_time"
    message = "A start time is not of the form HH:MM."

    def __init__(self, value: str) -> None:
        self.value = value
        super().__init__()


class TooManyStartTimes(InvalidSlotSchedule):
    code = "too_many_start_times"
    message = "Too many start times at once."


class NoDaysInRange(InvalidSlotSchedule):
    code = "no_days_in_range"
    message = "None of the chosen weekdays falls in the range."


class NothingLeftToAdd(InvalidSlotSchedule):
    code = "slots_all_in_past"
    message = "Every start in the range has already passed."


class ServiceDurationInvalid(InvalidSlotSchedule):
    code = "service_duration_invalid"
    message = "The service has no positive duration."


class ServiceCatalogue(Protocol):
    """Every service, read outside any transaction (for a pick list)."""

    async def all(self) -> Sequence[ScheduledService]: ...


class Schedule(Protocol):
    """The slots table and the schedule's audit, inside one transaction."""

    async def service(self, service_id: UUID) -> ScheduledService | None: ...

    async def add_free_slots(self, slots: Sequence[NewSlot]) -> int:
        """Insert each slot as ``free`` unless its service already has a slot at that start
        (whatever its status); how many were inserted. Safe against a concurrent addition."""
        ...

    async def record(self, change: ScheduleChange) -> None:
        """Append one row to the schedule's audit."""
        ...


class ScheduleUnitOfWork(Protocol):
    @property
    def schedule(self) -> Schedule: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


ScheduleUnitOfWorkFactory = Callable[[], ScheduleUnitOfWork]
