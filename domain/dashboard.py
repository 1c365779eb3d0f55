"""The managers' dashboard: waitlist demand, the 30-day funnel, payments per day, queue age.

Everything here is an aggregate: counts and instants. No port returns a contact, a ciphertext
or a row about one person, so the page built from it cannot show one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.crm import TimeWindow
from domain.models import require_aware
from domain.payments import PaymentStatus

PRACTICE_TZ = ZoneInfo("Europe/Moscow")
REPORT_DAYS = 30
# Tracking events (``domain/tracking_plan.py``) that open the funnel.
SHOW_NO_SLOTS = "show_no_slots"
WAITLIST_SUBMITTED = "waitlist_submitted"
# Stacked bottom-up: what is settled first, then what is under way, then what went wrong.
PAYMENT_STATUS_ORDER: tuple[str, ...] = (
    PaymentStatus.SUCCEEDED,
    PaymentStatus.WAITING_FOR_CAPTURE,
    PaymentStatus.PENDING,
    PaymentStatus.CREATING,
    PaymentStatus.CANCELED,
    PaymentStatus.FAILED,
)


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """Whole local days ``first_day..last_day``; in UTC ``[start, end)``, ``end`` being now."""

    first_day: date
    last_day: date
    start: datetime
    end: datetime
    timezone: ZoneInfo

    @classmethod
    def last_days(cls, now: datetime, days: int, timezone: ZoneInfo) -> ReportPeriod:
        if days < 1:
            raise ValueError("a report period has at least one day")
        now = require_aware(now)
        last_day = now.astimezone(timezone).date()
        first_day = last_day - timedelta(days=days - 1)
        start = datetime.combine(first_day, time.min, tzinfo=timezone)
        return cls(first_day, last_day, start.astimezone(UTC), now.astimezone(UTC), timezone)

    def days(self) -> tuple[date, ...]:
        count = (self.last_day - self.first_day).days + 1
        return tuple(self.first_day + timedelta(days=n) for n in range(count))


# What the queries return -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemandCount:
    """Active waitlist requests (new, in work, contacted) of one service and time window."""

    service_id: UUID
    service_title: str
    time_window: str
    count: int


@dataclass(frozen=True, slots=True)
class FunnelCounts:
    """The funnel's steps over one period; each step is defined in ``GetDashboardUseCase``."""

    shown_no_slots: int
    waitlist_submitted: int
    in_work: int
    booked: int
    paid: int


@dataclass(frozen=True, slots=True)
class PaymentDayCount:
    """Payments created on one local day that now have this status."""

    day: date
    status: str
    count: int


@dataclass(frozen=True, slots=True)
class NewRequestsSummary:
    count: int
    oldest_created_at: datetime | None


class DashboardQueries(Protocol):
    """Aggregates for the dashboard, each computed by the database in one statement."""

    async def waitlist_demand(self) -> Sequence[DemandCount]:
        """Active requests grouped by service and time window (any submission date)."""
        ...

    async def funnel(self, period: ReportPeriod) -> FunnelCounts: ...

    async def payments_per_day(self, period: ReportPeriod) -> Sequence[PaymentDayCount]:
        """Payments created in the period, by local creation day and current status."""
        ...

    async def new_requests(self) -> NewRequestsSummary:
        """How many requests are ``new`` and when the oldest of them was submitted."""
        ...


# What the page gets ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemandRow:
    service_title: str
    counts: tuple[int, ...]  # one per ``DemandMatrix.windows``
    total: int


@dataclass(frozen=True, slots=True)
class DemandMatrix:
    windows: tuple[TimeWindow, ...]
    rows: tuple[DemandRow, ...]  # most demanded service first

    @property
    def total(self) -> int:
        return sum(row.total for row in self.rows)

    @property
    def largest(self) -> int:
        return max((count for row in self.rows for count in row.counts), default=0)


@dataclass(frozen=True, slots=True)
class PaymentDay:
    day: date
    counts: tuple[int, ...]  # one per ``PaymentsByDay.statuses``

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True, slots=True)
class PaymentsByDay:
    statuses: tuple[str, ...]  # only statuses seen in the period, in stacking order
    days: tuple[PaymentDay, ...]  # every day of the period, oldest first, zeros included

    @property
    def total(self) -> int:
        return sum(day.total for day in self.days)

    @property
    def largest_day(self) -> int:
        return max((day.total for day in self.days), default=0)

    def total_of(self, status: str) -> int:
        index = self.statuses.index(status)
        return sum(day.counts[index] for day in self.days)


@dataclass(frozen=True, slots=True)
class QueueAge:
    new_count: int
    oldest_created_at: datetime | None
    oldest_age: timedelta | None


def demand_matrix(counts: Sequence[DemandCount]) -> DemandMatrix:
    windows = tuple(TimeWindow)
    by_service: dict[UUID, tuple[str, list[int]]] = {}
    for item in counts:
        try:
            column = windows.index(TimeWindow(item.time_window))
        except ValueError:
            continue  # a window the domain no longer knows is not demand we can act on
        _, cells = by_service.setdefault(item.service_id, (item.service_title, [0] * len(windows)))
        cells[column] += item.count
    rows = [DemandRow(title, tuple(cells), sum(cells)) for title, cells in by_service.values()]
    rows.sort(key=lambda row: (-row.total, row.service_title))
    return DemandMatrix(windows, tuple(rows))


def payments_by_day(period: ReportPeriod, counts: Sequence[PaymentDayCount]) -> PaymentsByDay:
    seen = {item.status for item in counts if item.count}
    statuses = [status for status in PAYMENT_STATUS_ORDER if status in seen]
    # Statuses added later (refunds, say) still show, after the known ones.
    statuses += sorted(seen - set(statuses))
    cells = {(item.day, item.status): item.count for item in counts}
    days = tuple(
        PaymentDay(day, tuple(cells.get((day, status), 0) for status in statuses))
        for day in period.days()
    )
    return PaymentsByDay(tuple(str(status) for status in statuses), days)
