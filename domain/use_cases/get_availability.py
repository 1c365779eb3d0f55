"""Free slots of one service in a date range."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.errors import ServiceNotFound, ValidationFailed
from domain.models import Service, Slot
from domain.ports import Clock, UnitOfWorkFactory

PRACTICE_TZ = ZoneInfo("Europe/Moscow")
DEFAULT_RANGE_DAYS = 30
MAX_RANGE_DAYS = 92


@dataclass(frozen=True, slots=True)
class GetAvailabilityCommand:
    service_slug: str
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True, slots=True)
class AvailabilityResult:
    service: Service
    slots: Sequence[Slot]

    @property
    def no_slots(self) -> bool:
        return not self.slots


class GetAvailabilityUseCase:
    """Lists the free slots of a service.

    - The service must exist and be active, else ``service_not_found``.
    - Dates are days in the practice's time zone (Europe/Moscow), both ends inclusive.
    - Without dates the range is today and the next 30 days; at most 92 days at once.
    - Only free slots that have not started yet are listed, earliest first.
    """

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def execute(self, command: GetAvailabilityCommand) -> AvailabilityResult:
        now = self._clock.now()
        today = now.astimezone(PRACTICE_TZ).date()
        first = command.date_from or today
        last = command.date_to or (first + timedelta(days=DEFAULT_RANGE_DAYS))
        if last < first:
            raise ValidationFailed("The end date is before the start date.")
        if (last - first).days > MAX_RANGE_DAYS:
            raise ValidationFailed(f"At most {MAX_RANGE_DAYS} days can be asked at once.")
        starts_from = max(now, datetime.combine(first, time.min, PRACTICE_TZ))
        starts_before = datetime.combine(last + timedelta(days=1), time.min, PRACTICE_TZ)
        async with self._uow() as uow:
            service = await uow.services.get_active_by_slug(command.service_slug)
            if service is None:
                raise ServiceNotFound()
            slots = await uow.slots.list_free(service.id, starts_from, starts_before)
        return AvailabilityResult(
            service=service, slots=sorted(slots, key=lambda slot: slot.starts_at)
        )
