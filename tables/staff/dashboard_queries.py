"""The managers' dashboard's aggregates, counted and grouped by the database.

Every statement here selects counts, service titles or one instant: no contact column,
ciphertext or blind index appears in any of them. The same statements run on SQLite and
PostgreSQL, except the local day of a payment: PostgreSQL converts with the time-zone
database; SQLite has none, so it shifts by the zone's UTC offset at the end of the period
(exact for Europe/Moscow, which has kept UTC+3 since 2014).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from piccolo.engine.base import Engine
from piccolo.query.functions.aggregate import Count, Min

from domain.crm import ACTIVE_WAITLIST_STATUSES, WaitlistStatus
from domain.dashboard import (
    SHOW_NO_SLOTS,
    WAITLIST_SUBMITTED,
    DemandCount,
    FunnelCounts,
    NewRequestsSummary,
    PaymentDayCount,
    ReportPeriod,
)
from domain.payments import PaymentStatus
from tables.core.tables import TrackingEventTable
from tables.crm.tables import WaitlistRequestTable
from tables.database import as_utc_or_none, is_sqlite
from tables.payments.tables import PaymentTable

_W = WaitlistRequestTable
_T = TrackingEventTable
_P = PaymentTable
_ACTIVE = sorted(status.value for status in ACTIVE_WAITLIST_STATUSES)


def _payments_per_day_sql(sqlite: bool) -> str:
    table = _P._meta.tablename
    created = _P.created_at._meta.db_column_name
    status = _P.status._meta.db_column_name
    if sqlite:
        day = f"strftime('%Y-%m-%d', {created}, {{}})"  # the offset, as '+180 minutes'
    else:
        day = f"to_char({created} AT TIME ZONE {{}}, 'YYYY-MM-DD')"  # the zone's name
    # Names come from the table's metadata; every value is a bound parameter.
    return (
        f"SELECT {day} AS day, {status} AS status, COUNT(*) AS count FROM {table} "  # noqa: S608
        f"WHERE {created} >= {{}} AND {created} < {{}} GROUP BY 1, 2"
    )


class PiccoloDashboardQueries:
    """Implements ``DashboardQueries``."""

    def __init__(self, engine: Engine) -> None:  # type: ignore[type-arg]
        self._sqlite = is_sqlite(engine)
        self._payments_per_day_sql = _payments_per_day_sql(self._sqlite)

    async def waitlist_demand(self) -> Sequence[DemandCount]:
        rows = (
            await _W.select(
                _W.service,
                _W.service.title,
                _W.preferred_time_window,
                Count(alias="count"),
            )
            .where(_W.status.is_in(_ACTIVE))
            .group_by(_W.service, _W.service.title, _W.preferred_time_window)
        )
        return [
            DemandCount(
                service_id=row["service"],
                service_title=row["service.title"],
                time_window=row["preferred_time_window"],
                count=int(row["count"]),
            )
            for row in rows
        ]

    async def funnel(self, period: ReportPeriod) -> FunnelCounts:
        events = (
            await _T.select(_T.name, Count(alias="count"))
            .where(
                _T.name.is_in([SHOW_NO_SLOTS, WAITLIST_SUBMITTED])
                & (_T.occurred_at >= period.start)
                & (_T.occurred_at < period.end)
            )
            .group_by(_T.name)
        )
        by_name = {row["name"]: int(row["count"]) for row in events}
        submitted = (_W.created_at >= period.start) & (_W.created_at < period.end)
        in_work = await _W.count().where(submitted & _W.assigned_at.is_not_null())
        booked = await _W.count().where(submitted & (_W.status == WaitlistStatus.BOOKED.value))
        paid = await _P.count().where(
            (_P.created_at >= period.start)
            & (_P.created_at < period.end)
            & (_P.status == PaymentStatus.SUCCEEDED.value)
        )
        return FunnelCounts(
            shown_no_slots=by_name.get(SHOW_NO_SLOTS, 0),
            waitlist_submitted=by_name.get(WAITLIST_SUBMITTED, 0),
            in_work=in_work,
            booked=booked,
            paid=paid,
        )

    async def payments_per_day(self, period: ReportPeriod) -> Sequence[PaymentDayCount]:
        zone: Any
        if self._sqlite:
            offset = period.end.astimezone(period.timezone).utcoffset()
            minutes = 0 if offset is None else int(offset.total_seconds() // 60)
            zone = f"{minutes:+d} minutes"
        else:
            zone = period.timezone.key
        rows = await _P.raw(self._payments_per_day_sql, zone, period.start, period.end)
        return [
            PaymentDayCount(
                day=date.fromisoformat(str(row["day"])),
                status=str(row["status"]),
                count=int(row["count"]),
            )
            for row in rows
        ]

    async def new_requests(self) -> NewRequestsSummary:
        row = (
            await _W.select(Count(alias="count"), Min(_W.created_at, alias="oldest"))
            .where(_W.status == WaitlistStatus.NEW.value)
            .first()
        )
        if row is None:
            return NewRequestsSummary(0, None)
        return NewRequestsSummary(int(row["count"]), as_utc_or_none(row["oldest"]))
