"""Which requests a staff member may pick in a form, on fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.crm import TimeWindow
from domain.errors import RoleRequired
from domain.models import StaffRole
from domain.staff import PickableRequest, PickPurpose, QueueStatus, StaffMember
from domain.use_cases.list_pickable_requests import (
    ListPickableRequestsCommand,
    ListPickableRequestsUseCase,
)
from tests.support.fakes import FixedClock
from tests.support.staff_fakes import FakeStaffDirectory, InMemoryPickableRequests

pytestmark = pytest.mark.anyio

OPERATOR = StaffMember(1, "olga", StaffRole.OPERATOR)
OTHER_OPERATOR = StaffMember(2, "oleg", StaffRole.OPERATOR)
MANAGER = StaffMember(3, "maria", StaffRole.MANAGER)
ADMIN = StaffMember(4, "anna", StaffRole.ADMIN)
NOBODY = 99
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


class World:
    def __init__(self) -> None:
        self.clock = FixedClock(T0 + timedelta(days=1))
        self.requests = InMemoryPickableRequests()
        self.use_case = ListPickableRequestsUseCase(
            requests=self.requests,
            staff=FakeStaffDirectory(OPERATOR, OTHER_OPERATOR, MANAGER, ADMIN),
            clock=self.clock,
        )

    def request(
        self, status: QueueStatus, *, minutes: int = 0, assignee: StaffMember | None = None
    ) -> UUID:
        request = PickableRequest(
            id=uuid4(),
            status=status,
            service_title="Индивидуальная консультация",
            time_window=TimeWindow.EVENING,
            created_at=T0 + timedelta(minutes=minutes),
        )
        self.requests.add(request, None if assignee is None else assignee.user_id)
        return request.id

    async def ids(self, member: StaffMember, purpose: PickPurpose, limit: int = 200) -> list[UUID]:
        result = await self.use_case.execute(
            ListPickableRequestsCommand(member.user_id, purpose, limit)
        )
        return [item.id for item in result.items]


def a_queue() -> tuple[World, dict[str, UUID]]:
    world = World()
    ids = {
        "new_late": world.request(QueueStatus.NEW, minutes=30),
        "new_early": world.request(QueueStatus.NEW, minutes=10),
        "mine_in_progress": world.request(QueueStatus.IN_PROGRESS, minutes=20, assignee=OPERATOR),
        "mine_contacted": world.request(QueueStatus.CONTACTED, minutes=5, assignee=OPERATOR),
        "mine_booked": world.request(QueueStatus.BOOKED, minutes=1, assignee=OPERATOR),
        "theirs": world.request(QueueStatus.IN_PROGRESS, minutes=2, assignee=OTHER_OPERATOR),
        "theirs_contacted": world.request(
            QueueStatus.CONTACTED, minutes=3, assignee=OTHER_OPERATOR
        ),
        "declined": world.request(QueueStatus.DECLINED, minutes=4, assignee=MANAGER),
    }
    return world, ids


async def test_everyone_claims_from_the_new_requests_oldest_first() -> None:
    world, ids = a_queue()
    for member in (OPERATOR, MANAGER, ADMIN):
        assert await world.ids(member, PickPurpose.CLAIM) == [ids["new_early"], ids["new_late"]]


async def test_an_operator_works_only_their_own_requests_still_in_work() -> None:
    world, ids = a_queue()

    assert await world.ids(OPERATOR, PickPurpose.WORK) == [
        ids["mine_contacted"],
        ids["mine_in_progress"],
    ]
    assert await world.ids(OTHER_OPERATOR, PickPurpose.WORK) == [
        ids["theirs"],
        ids["theirs_contacted"],
    ]


async def test_managers_and_admins_work_every_active_request() -> None:
    world, ids = a_queue()
    active = [
        ids["theirs"],
        ids["theirs_contacted"],
        ids["mine_contacted"],
        ids["new_early"],
        ids["mine_in_progress"],
        ids["new_late"],
    ]
    assert await world.ids(MANAGER, PickPurpose.WORK) == active
    assert await world.ids(ADMIN, PickPurpose.WORK) == active


async def test_the_list_is_cut_at_the_limit_and_says_so() -> None:
    world = World()
    oldest = [world.request(QueueStatus.NEW, minutes=m) for m in range(5)]

    cut = await world.use_case.execute(
        ListPickableRequestsCommand(OPERATOR.user_id, PickPurpose.CLAIM, limit=3)
    )
    whole = await world.use_case.execute(
        ListPickableRequestsCommand(OPERATOR.user_id, PickPurpose.CLAIM, limit=5)
    )

    assert [item.id for item in cut.items] == oldest[:3]
    assert cut.truncated is True
    assert [item.id for item in whole.items] == oldest
    assert whole.truncated is False
    assert whole.now == world.clock.now()


async def test_an_account_without_a_role_gets_no_list_and_nothing_is_read() -> None:
    world, _ = a_queue()
    for purpose in PickPurpose:
        with pytest.raises(RoleRequired):
            await world.use_case.execute(ListPickableRequestsCommand(NOBODY, purpose))
    assert world.requests.asked == []


async def test_every_role_may_pick_any_request_not_yet_withdrawn_to_record_a_withdrawal() -> None:
    world, ids = a_queue()
    world.request(QueueStatus.WITHDRAWN, minutes=0, assignee=OPERATOR)
    everything_but_withdrawn = [
        ids[name]
        for name in (
            "mine_booked",
            "theirs",
            "theirs_contacted",
            "declined",
            "mine_contacted",
            "new_early",
            "mine_in_progress",
            "new_late",
        )
    ]
    for member in (OPERATOR, OTHER_OPERATOR, MANAGER, ADMIN):
        assert await world.ids(member, PickPurpose.WITHDRAW) == everything_but_withdrawn
