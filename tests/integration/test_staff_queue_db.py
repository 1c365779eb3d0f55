"""The staff queue and the lead export on the real database."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.errors import NoWaitlistRequestToClaim, WaitlistRequestAlreadyClaimed
from domain.models import StaffRole
from domain.staff import AccessReason, LeadExportFilter
from domain.use_cases.claim_waitlist_request import ClaimWaitlistRequestCommand
from domain.use_cases.export_leads import ExportLeadsCommand
from tables.crm.tables import LeadTable, LeadTimelineEventTable, WaitlistRequestTable
from tables.staff.accounts import create_staff_user
from tables.staff.repositories import PiccoloLeadExportSource
from tables.staff.tables import ContactAccessLogTable
from tests.support.admin_world import AdminWorld, make_world

pytestmark = [pytest.mark.anyio]


async def operators(count: int) -> list[int]:
    return [
        await create_staff_user(f"operator{n}", "correct-horse-battery", StaffRole.OPERATOR)
        for n in range(count)
    ]


@pytest.mark.postgres
async def test_concurrent_claims_never_hand_one_request_to_two_operators(db: object) -> None:
    world = await make_world()
    requests = [await world.add_request(f"+7999000{n:04d}", minutes_ago=100 - n) for n in range(20)]
    staff = await operators(6)
    claim = world.container.staff.claim

    results = await asyncio.gather(
        *(
            claim.execute(ClaimWaitlistRequestCommand(staff_user_id=staff[n % len(staff)]))
            for n in range(30)
        ),
        return_exceptions=True,
    )

    won = [r.item.id for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 20
    assert set(won) == set(requests)
    assert len(lost) == 10
    assert all(isinstance(e, NoWaitlistRequestToClaim) for e in lost), lost
    rows = await WaitlistRequestTable.select(
        WaitlistRequestTable.status, WaitlistRequestTable.assignee
    )
    assert {r["status"] for r in rows} == {"in_progress"}
    assert all(r["assignee"] in staff for r in rows)
    assert (
        await LeadTimelineEventTable.count().where(
            LeadTimelineEventTable.type == "waitlist_claimed"
        )
        == 20
    )


@pytest.mark.postgres
async def test_concurrent_claims_of_one_request_have_exactly_one_winner(db: object) -> None:
    world = await make_world()
    request_id = await world.add_request()
    staff = await operators(8)
    claim = world.container.staff.claim

    results = await asyncio.gather(
        *(
            claim.execute(
                ClaimWaitlistRequestCommand(staff_user_id=s, waitlist_request_id=request_id)
            )
            for s in staff
        ),
        return_exceptions=True,
    )

    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(
        isinstance(r, WaitlistRequestAlreadyClaimed)
        for r in results
        if isinstance(r, BaseException)
    )
    row = await WaitlistRequestTable.select(WaitlistRequestTable.assignee).first()
    assert row == {"assignee": winners[0].item.assignee_id}


@pytest.mark.db
async def test_claims_take_requests_oldest_first(db: object) -> None:
    world = await make_world()
    newest = await world.add_request(minutes_ago=1)
    oldest = await world.add_request(minutes_ago=50)
    middle = await world.add_request(minutes_ago=20)
    claim = world.container.staff.claim
    taken = [
        (await claim.execute(ClaimWaitlistRequestCommand(world.users["operator"]))).item.id
        for _ in range(3)
    ]
    assert taken == [oldest, middle, newest]
    assert {r["status"] for r in await LeadTable.select(LeadTable.status)} == {"in_progress"}


async def add_leads(world: AdminWorld, count: int, at: datetime, status: str = "new") -> list[UUID]:
    encryptor = world.container.encryptor
    ids = []
    for n in range(count):
        lead_id = uuid4()
        ids.append(lead_id)
        await LeadTable.insert(
            LeadTable(
                id=lead_id,
                contact_method="email",
                contact_encrypted=encryptor.encrypt(f"=lead{n}@example.com"),
                contact_index=uuid4().hex,
                source="waitlist",
                status=status,
                first_activity_at=at,  # equal timestamps: the keyset must break ties by id
                last_activity_at=at,
            )
        )
    return ids


@pytest.mark.db
async def test_export_pages_through_equal_timestamps_without_losing_or_repeating_a_lead(
    db: object,
) -> None:
    world = await make_world()
    at = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
    ids = await add_leads(world, 11, at)
    await add_leads(world, 2, at + timedelta(days=1), status="lost")
    source = PiccoloLeadExportSource()
    filters = LeadExportFilter(snapshot_at=datetime.now(UTC), status="new")

    assert await source.count(filters) == 11
    seen: list[UUID] = []
    after = None
    while page := await source.page(filters, after=after, limit=4, with_contacts=False):
        seen.extend(r.lead_id for r in page)
        after = (page[-1].first_activity_at, page[-1].lead_id)
        assert all(r.contact_ciphertext is None for r in page)
    assert sorted(seen, key=str) == sorted(ids, key=str)
    assert len(seen) == len(set(seen))


@pytest.mark.db
async def test_export_with_contacts_decrypts_escapes_and_audits_once(db: object) -> None:
    world = await make_world()
    await add_leads(world, 5, datetime(2026, 11, 10, 12, 0, tzinfo=UTC))
    export = await world.container.staff.export_leads.execute(
        ExportLeadsCommand(
            staff_user_id=world.users["manager"],
            include_contacts=True,
            reason=AccessReason.REPORTING,
            page_size=2,
        )
    )
    data = b"".join([chunk async for chunk in export.chunks()])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert sorted(r[-1] for r in rows[1:]) == [f"'=lead{n}@example.com" for n in range(5)]
    log = await ContactAccessLogTable.select(
        ContactAccessLogTable.action,
        ContactAccessLogTable.row_count,
        ContactAccessLogTable.export_id,
    )
    assert log == [
        {"action": "export_with_contacts", "row_count": 5, "export_id": export.export_id}
    ]


@pytest.mark.postgres
async def test_postgres_refuses_to_update_or_delete_the_contact_access_log(db: object) -> None:
    world = await make_world()
    await add_leads(world, 1, datetime(2026, 11, 10, 12, 0, tzinfo=UTC))
    await world.container.staff.export_leads.execute(
        ExportLeadsCommand(staff_user_id=world.users["admin"], include_contacts=True)
    )
    with pytest.raises(Exception, match="append-only"):
        await ContactAccessLogTable.update({ContactAccessLogTable.row_count: 0}, force=True)
    with pytest.raises(Exception, match="append-only"):
        await ContactAccessLogTable.delete(force=True)
    assert await ContactAccessLogTable.select(ContactAccessLogTable.row_count) == [{"row_count": 1}]
