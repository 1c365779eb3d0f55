"""The managers' dashboard use case on fakes: who may see it and how the aggregates are shaped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from domain.crm import TimeWindow
from domain.dashboard import (
    PRACTICE_TZ,
    DemandCount,
    FunnelCounts,
    NewRequestsSummary,
    PaymentDayCount,
    ReportPeriod,
)
from domain.errors import RoleRequired
from domain.models import StaffRole
from domain.staff import StaffMember
from domain.use_cases.get_dashboard import GetDashboardCommand, GetDashboardUseCase
from tests.support.dashboard_fakes import FixedDashboardQueries
from tests.support.fakes import FixedClock
from tests.support.staff_fakes import FakeStaffDirectory

pytestmark = pytest.mark.anyio

OPERATOR = StaffMember(1, "olga", StaffRole.OPERATOR)
MANAGER = StaffMember(3, "maria", StaffRole.MANAGER)
ADMIN = StaffMember(4, "anna", StaffRole.ADMIN)
NOBODY = 99
NOW = datetime(2026, 11, 30, 22, 30, tzinfo=UTC)  # already 1 December in Moscow


def use_case(queries: FixedDashboardQueries, now: datetime = NOW) -> GetDashboardUseCase:
    return GetDashboardUseCase(
        queries=queries,
        staff=FakeStaffDirectory(OPERATOR, MANAGER, ADMIN),
        clock=FixedClock(now),
    )


@pytest.mark.parametrize("user_id", [OPERATOR.user_id, NOBODY])
async def test_an_operator_or_an_account_without_a_role_is_refused_before_any_query(
    user_id: int,
) -> None:
    queries = FixedDashboardQueries()
    with pytest.raises(RoleRequired):
        await use_case(queries).execute(GetDashboardCommand(staff_user_id=user_id))
    assert queries.asked == []


@pytest.mark.parametrize("member", [MANAGER, ADMIN])
async def test_managers_and_admins_get_the_dashboard(member: StaffMember) -> None:
    queries = FixedDashboardQueries(funnel_counts=FunnelCounts(40, 12, 9, 4, 6))
    result = await use_case(queries).execute(GetDashboardCommand(staff_user_id=member.user_id))
    assert result.funnel == FunnelCounts(40, 12, 9, 4, 6)
    assert result.generated_at == NOW
    assert sorted(queries.asked) == [
        "funnel",
        "new_requests",
        "payments_per_day",
        "waitlist_demand",
    ]


async def test_the_period_is_thirty_moscow_days_up_to_now() -> None:
    queries = FixedDashboardQueries()
    result = await use_case(queries).execute(GetDashboardCommand(MANAGER.user_id))
    period = result.period
    assert (period.first_day, period.last_day) == (date(2026, 11, 2), date(2026, 12, 1))
    assert period.start == datetime(2026, 11, 1, 21, 0, tzinfo=UTC)  # Moscow midnight
    assert period.end == NOW
    assert queries.periods == [period, period]


def test_a_period_has_at_least_one_day() -> None:
    with pytest.raises(ValueError, match="at least one day"):
        ReportPeriod.last_days(NOW, 0, PRACTICE_TZ)


async def test_demand_is_a_matrix_of_services_by_time_window_most_demanded_first() -> None:
    solo, pairs, teens = uuid4(), uuid4(), uuid4()
    queries = FixedDashboardQueries(
        demand=[
            DemandCount(pairs, "Парная терапия", "weekend", 2),
            DemandCount(solo, "Индивидуальная консультация", "evening", 4),
            DemandCount(solo, "Индивидуальная консультация", "morning", 1),
            DemandCount(teens, "Подростки", "any", 2),
            DemandCount(teens, "Подростки", "night", 9),  # a window the domain does not know
        ]
    )
    demand = (await use_case(queries).execute(GetDashboardCommand(MANAGER.user_id))).demand

    assert demand.windows == tuple(TimeWindow)
    assert [(row.service_title, row.counts, row.total) for row in demand.rows] == [
        ("Индивидуальная консультация", (1, 0, 4, 0, 0), 5),
        ("Парная терапия", (0, 0, 0, 2, 0), 2),
        ("Подростки", (0, 0, 0, 0, 2), 2),
    ]
    assert demand.total == 9
    assert demand.largest == 4


async def test_payments_fill_every_day_and_stack_successes_first() -> None:
    queries = FixedDashboardQueries(
        payments=[
            PaymentDayCount(date(2026, 11, 20), "canceled", 1),
            PaymentDayCount(date(2026, 11, 20), "succeeded", 3),
            PaymentDayCount(date(2026, 12, 1), "pending", 2),
            PaymentDayCount(date(2026, 12, 1), "refunded", 1),  # a status added later
        ]
    )
    payments = (await use_case(queries).execute(GetDashboardCommand(MANAGER.user_id))).payments

    assert payments.statuses == ("succeeded", "pending", "canceled", "refunded")
    assert len(payments.days) == 30
    assert payments.days[0].day == date(2026, 11, 2)
    assert payments.days[-1].day == date(2026, 12, 1)
    by_day = {day.day: day.counts for day in payments.days}
    assert by_day[date(2026, 11, 20)] == (3, 0, 1, 0)
    assert by_day[date(2026, 12, 1)] == (0, 2, 0, 1)
    assert by_day[date(2026, 11, 21)] == (0, 0, 0, 0)
    assert payments.total == 7
    assert payments.largest_day == 4
    assert payments.total_of("succeeded") == 3


async def test_the_queue_age_is_how_long_the_oldest_new_request_has_waited() -> None:
    oldest = NOW - timedelta(days=2, hours=3)
    queries = FixedDashboardQueries(new=NewRequestsSummary(5, oldest))
    queue = (await use_case(queries).execute(GetDashboardCommand(MANAGER.user_id))).queue
    assert (queue.new_count, queue.oldest_created_at) == (5, oldest)
    assert queue.oldest_age == timedelta(days=2, hours=3)


async def test_an_empty_queue_has_no_age_and_a_clock_behind_the_database_no_negative_one() -> None:
    empty = await use_case(FixedDashboardQueries()).execute(GetDashboardCommand(ADMIN.user_id))
    assert (empty.queue.new_count, empty.queue.oldest_age) == (0, None)

    ahead = FixedDashboardQueries(new=NewRequestsSummary(1, NOW + timedelta(seconds=2)))
    queue = (await use_case(ahead).execute(GetDashboardCommand(ADMIN.user_id))).queue
    assert queue.oldest_age == timedelta(0)
