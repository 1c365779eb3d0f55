"""The dashboard's aggregate statements on the real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain.dashboard import (
    PRACTICE_TZ,
    DemandCount,
    FunnelCounts,
    NewRequestsSummary,
    PaymentDayCount,
    ReportPeriod,
)
from tables.staff.dashboard_queries import PiccoloDashboardQueries
from tests.support.dashboard_world import (
    add_event,
    add_payment,
    add_request,
    add_service,
)

pytestmark = [pytest.mark.anyio, pytest.mark.db]

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # 15:00 in Moscow
PERIOD = ReportPeriod.last_days(NOW, 30, PRACTICE_TZ)  # 1-30 November, Moscow days
BEFORE = PERIOD.start - timedelta(seconds=1)  # 31 October, 23:59:59 in Moscow
INSIDE = NOW - timedelta(days=3)


def test_the_period_starts_at_moscow_midnight_thirty_days_back() -> None:
    assert PERIOD.first_day == date(2026, 11, 1)
    assert PERIOD.last_day == date(2026, 11, 30)
    assert PERIOD.start == datetime(2026, 10, 31, 21, 0, tzinfo=UTC)
    assert PERIOD.end == NOW
    assert len(PERIOD.days()) == 30


async def test_demand_counts_active_requests_by_service_and_time_window(db: Any) -> None:
    pairs = await add_service("Парная терапия")
    solo = await add_service("Индивидуальная консультация")
    for _ in range(3):
        await add_request(solo, INSIDE, window="evening")
    await add_request(solo, INSIDE, window="evening", status="in_progress", assigned_at=INSIDE)
    await add_request(solo, BEFORE, window="morning", status="contacted", assigned_at=INSIDE)
    await add_request(pairs, INSIDE, window="weekend")
    # Closed requests are no longer demand.
    for status in ("booked", "declined", "expired", "withdrawn"):
        await add_request(pairs, INSIDE, window="weekend", status=status, assigned_at=INSIDE)

    demand = await PiccoloDashboardQueries(db).waitlist_demand()

    assert sorted(demand, key=lambda d: (d.service_title, d.time_window)) == [
        DemandCount(solo, "Индивидуальная консультация", "evening", 4),
        DemandCount(solo, "Индивидуальная консультация", "morning", 1),
        DemandCount(pairs, "Парная терапия", "weekend", 1),
    ]


async def test_the_funnel_counts_only_what_happened_in_the_period(db: Any) -> None:
    service = await add_service("Индивидуальная консультация")
    for moment in (INSIDE, INSIDE, PERIOD.start, BEFORE, NOW):  # ``NOW`` is past the end
        await add_event("show_no_slots", moment)
    await add_event("waitlist_submitted", INSIDE)
    await add_event("waitlist_submitted", BEFORE)
    await add_event("cta_tg_click", INSIDE)  # not a funnel step
    await add_request(service, INSIDE)  # not claimed yet
    await add_request(service, INSIDE, status="in_progress", assigned_at=INSIDE)
    await add_request(service, INSIDE, status="booked", assigned_at=INSIDE)
    await add_request(service, INSIDE, status="declined", assigned_at=INSIDE)
    await add_request(service, INSIDE, status="expired")  # expired unclaimed: never in work
    await add_request(service, BEFORE, status="booked", assigned_at=INSIDE)  # earlier cohort
    await add_payment(service, INSIDE, "succeeded")
    await add_payment(service, INSIDE, "pending")
    await add_payment(service, INSIDE, "canceled")
    await add_payment(service, BEFORE, "succeeded")

    funnel = await PiccoloDashboardQueries(db).funnel(PERIOD)

    assert funnel == FunnelCounts(
        shown_no_slots=3, waitlist_submitted=1, in_work=3, booked=1, paid=1
    )


async def test_payments_are_counted_per_moscow_day_and_status(db: Any) -> None:
    service = await add_service("Индивидуальная консультация")
    # 20:59 UTC is 23:59 in Moscow; 21:00 UTC is already the next day there.
    late_on_the_10th = datetime(2026, 11, 10, 20, 59, tzinfo=UTC)
    early_on_the_11th = datetime(2026, 11, 10, 21, 0, tzinfo=UTC)
    await add_payment(service, late_on_the_10th, "succeeded")
    await add_payment(service, late_on_the_10th, "succeeded")
    await add_payment(service, late_on_the_10th, "canceled")
    await add_payment(service, early_on_the_11th, "succeeded")
    await add_payment(service, PERIOD.start, "pending")
    await add_payment(service, BEFORE, "succeeded")  # before the period
    await add_payment(service, NOW + timedelta(minutes=1), "succeeded")  # after it

    rows = await PiccoloDashboardQueries(db).payments_per_day(PERIOD)

    assert sorted(rows, key=lambda r: (r.day, r.status)) == [
        PaymentDayCount(date(2026, 11, 1), "pending", 1),
        PaymentDayCount(date(2026, 11, 10), "canceled", 1),
        PaymentDayCount(date(2026, 11, 10), "succeeded", 2),
        PaymentDayCount(date(2026, 11, 11), "succeeded", 1),
    ]


async def test_new_requests_give_their_count_and_the_oldest_submission(db: Any) -> None:
    queries = PiccoloDashboardQueries(db)
    assert await queries.new_requests() == NewRequestsSummary(0, None)

    service = await add_service("Индивидуальная консультация")
    oldest = datetime(2026, 11, 2, 7, 30, 15, 250_000, tzinfo=UTC)
    await add_request(service, oldest + timedelta(hours=5))
    await add_request(service, oldest)
    await add_request(service, oldest - timedelta(days=3), status="in_progress")

    assert await queries.new_requests() == NewRequestsSummary(2, oldest)


async def test_no_statement_reads_a_contact_column(db: Any, capsys: Any) -> None:
    service = await add_service("Индивидуальная консультация")
    await add_request(service, INSIDE)
    await add_payment(service, INSIDE, "succeeded")
    queries = PiccoloDashboardQueries(db)
    db.log_queries = True
    try:
        await queries.waitlist_demand()
        await queries.funnel(PERIOD)
        await queries.payments_per_day(PERIOD)
        await queries.new_requests()
    finally:
        db.log_queries = False

    statements = capsys.readouterr().out
    assert statements.count("SELECT") >= 7  # the log really captured every statement
    for secret in ("encrypted", "contact_index", "gAAAA", "properties", "confirmation"):
        assert secret not in statements
