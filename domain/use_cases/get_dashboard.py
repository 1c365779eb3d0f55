"""The managers' dashboard (``GET /admin/dashboard/``) as aggregates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from domain.dashboard import (
    PRACTICE_TZ,
    REPORT_DAYS,
    DashboardQueries,
    DemandMatrix,
    FunnelCounts,
    PaymentsByDay,
    QueueAge,
    ReportPeriod,
    demand_matrix,
    payments_by_day,
)
from domain.errors import RoleRequired
from domain.models import StaffRole
from domain.ports import Clock
from domain.staff_ports import StaffDirectory
from domain.use_cases.staff_access import require_staff


@dataclass(frozen=True, slots=True)
class GetDashboardCommand:
    staff_user_id: int


@dataclass(frozen=True, slots=True)
class DashboardResult:
    generated_at: datetime
    period: ReportPeriod
    demand: DemandMatrix
    funnel: FunnelCounts
    payments: PaymentsByDay
    queue: QueueAge


class GetDashboardUseCase:
    """Demand, the funnel, payments per day and the queue's age, for managers.

    - Managers and admins only: an operator, or an account without a role, gets
      ``role_required`` and no query runs.
    - The period is the last ``days`` calendar days in the practice's time zone, today
      included: from local midnight ``days - 1`` days ago up to now.
    - Demand: active requests (new, in work, contacted) by service and time window, whatever
      their submission date; services with most demand first.
    - The funnel over the period:
      1. ``show_no_slots``: tracking events of that name (each time the no-slots page was
         shown; a visitor who reloads counts twice);
      2. ``waitlist_submitted``: tracking events of that name (one per new request; a repeat
         by a contact with an active request writes none);
      3. in work: requests submitted in the period that staff have claimed (``assigned_at``
         set by the claim form, whatever their status now);
      4. booked: requests submitted in the period whose status is ``booked``;
      5. paid: payments created in the period whose status is ``succeeded``, from the
         waitlist or not, so this step is not a subset of the one before.
    - Payments per day: payments created on each local day of the period, by their current
      status; every day appears, with zeros.
    - Queue age: how many requests are ``new`` and how long the oldest has waited.
    - Aggregates only: no port returns a contact or a row about one person.
    """

    def __init__(
        self,
        *,
        queries: DashboardQueries,
        staff: StaffDirectory,
        clock: Clock,
        timezone: ZoneInfo = PRACTICE_TZ,
        days: int = REPORT_DAYS,
    ) -> None:
        self._queries = queries
        self._staff = staff
        self._clock = clock
        self._timezone = timezone
        self._days = days

    async def execute(self, command: GetDashboardCommand) -> DashboardResult:
        member = await require_staff(self._staff, command.staff_user_id)
        if not member.role.at_least(StaffRole.MANAGER):
            raise RoleRequired("The dashboard is for managers and admins.")
        now = self._clock.now()
        period = ReportPeriod.last_days(now, self._days, self._timezone)
        demand = await self._queries.waitlist_demand()
        funnel = await self._queries.funnel(period)
        payments = await self._queries.payments_per_day(period)
        new = await self._queries.new_requests()
        oldest = new.oldest_created_at
        return DashboardResult(
            generated_at=now,
            period=period,
            demand=demand_matrix(demand),
            funnel=funnel,
            payments=payments_by_day(period, payments),
            queue=QueueAge(
                new_count=new.count,
                oldest_created_at=oldest,
                # A clock a little behind the database must not show a negative wait.
                oldest_age=None if oldest is None else max(now - oldest, timedelta(0)),
            ),
        )
