"""A fake of the dashboard's queries: fixed aggregates, and a record of what was asked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from domain.dashboard import (
    DemandCount,
    FunnelCounts,
    NewRequestsSummary,
    PaymentDayCount,
    ReportPeriod,
)


@dataclass
class FixedDashboardQueries:
    demand: Sequence[DemandCount] = ()
    funnel_counts: FunnelCounts = field(default_factory=lambda: FunnelCounts(0, 0, 0, 0, 0))
    payments: Sequence[PaymentDayCount] = ()
    new: NewRequestsSummary = field(default_factory=lambda: NewRequestsSummary(0, None))
    asked: list[str] = field(default_factory=list)
    periods: list[ReportPeriod] = field(default_factory=list)

    async def waitlist_demand(self) -> Sequence[DemandCount]:
        self.asked.append("waitlist_demand")
        return self.demand

    async def funnel(self, period: ReportPeriod) -> FunnelCounts:
        self.asked.append("funnel")
        self.periods.append(period)
        return self.funnel_counts

    async def payments_per_day(self, period: ReportPeriod) -> Sequence[PaymentDayCount]:
        self.asked.append("payments_per_day")
        self.periods.append(period)
        return self.payments

    async def new_requests(self) -> NewRequestsSummary:
        self.asked.append("new_requests")
        return self.new
