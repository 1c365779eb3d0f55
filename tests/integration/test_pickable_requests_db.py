"""The requests a form offers to pick, read from the real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from domain.crm import TimeWindow
from domain.staff import QueueStatus
from tables.crm.tables import WaitlistRequestTable
from tables.staff.repositories import PiccoloPickableRequests
from tests.support.admin_world import make_world

pytestmark = [pytest.mark.anyio, pytest.mark.db]

IN_WORK = frozenset({QueueStatus.IN_PROGRESS, QueueStatus.CONTACTED})


async def test_requests_come_oldest_first_filtered_by_status_and_assignee_with_their_service(
    db: object,
) -> None:
    world = await make_world()
    operator, manager = world.users["operator"], world.users["manager"]
    young = await world.add_request(minutes_ago=10, status="contacted", assignee=operator)
    old = await world.add_request(minutes_ago=300, status="in_progress", assignee=operator)
    await world.add_request(minutes_ago=200, status="in_progress", assignee=manager)
    await world.add_request(minutes_ago=400, status="booked", assignee=operator)
    await world.add_request(minutes_ago=500)
    await WaitlistRequestTable.update(
        {WaitlistRequestTable.preferred_time_window: "evening"}
    ).where(WaitlistRequestTable.id == old)
    requests = PiccoloPickableRequests()

    mine = await requests.oldest(statuses=IN_WORK, assignee_id=operator, limit=10)
    anyones = await requests.oldest(statuses=IN_WORK, assignee_id=None, limit=2)

    assert [r.id for r in mine] == [old, young]
    assert [(r.status, r.time_window) for r in mine] == [
        (QueueStatus.IN_PROGRESS, TimeWindow.EVENING),
        (QueueStatus.CONTACTED, TimeWindow.ANY),
    ]
    assert {r.service_title for r in mine} == {"Индивидуальная консультация"}
    assert mine[0].created_at.utcoffset() is not None  # aware, whatever the database
    assert anyones[0].id == old
    assert len(anyones) == 2
    assert {r.status for r in anyones} == {QueueStatus.IN_PROGRESS}
