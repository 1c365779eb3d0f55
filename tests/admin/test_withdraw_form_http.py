"""The admin form ``Отозвать согласие`` over HTTP: every role, the drop-down, the audit."""

from __future__ import annotations

from typing import Any

import pytest

from tables.crm.tables import LeadTable, LeadTimelineEventTable, WaitlistRequestTable
from tables.staff.tables import ContactAccessLogTable
from tests.support.admin_world import ROLES, AdminWorld, csrf, logged_in, make_world

pytestmark = [pytest.mark.anyio, pytest.mark.db]

PHONE = "+79990003344"
WITHDRAW = "/admin/api/forms/отозвать-согласие/"
REVEAL = "/admin/api/forms/показать-контакт/"


@pytest.fixture
async def world(db: object) -> AdminWorld:
    return await make_world()


async def post_form(client: Any, path: str, body: dict[str, Any]) -> Any:
    return await client.post(path, json=body, headers=csrf(client))


def choices(schema: dict[str, Any]) -> list[tuple[str, str]]:
    options = schema["properties"]["waitlist_request_id"]["extra"]["choices"]
    return [(o["display_name"], o["value"]) for o in options.values()]


@pytest.mark.parametrize("role", ROLES)
async def test_every_role_records_a_withdrawal_and_it_is_audited(
    world: AdminWorld, role: str
) -> None:
    # Someone else's request, already booked: a call may reach any staff member.
    request_id = await world.add_request(PHONE, status="booked", assignee=world.users["admin"])
    async with logged_in(world, role) as client:
        schema = await client.get(WITHDRAW + "schema/")
        answer = await post_form(client, WITHDRAW, {"waitlist_request_id": str(request_id)})
    row = await WaitlistRequestTable.select().where(WaitlistRequestTable.id == request_id).first()
    assert row is not None
    if role == "none":
        assert (schema.status_code, answer.status_code) == (401, 401)
        assert row["contact_encrypted"] and await ContactAccessLogTable.count() == 0
        return
    assert schema.status_code == 200
    listed = choices(schema.json())
    assert [value for _, value in listed] == ["", str(request_id)]
    assert "записан" in listed[1][0] and PHONE not in schema.text
    assert answer.status_code == 200, answer.text
    message = answer.json()["custom_form_success"]
    assert "отозвано" in message and "журнал" in message and PHONE not in message
    # Booked stays booked (it is closed), but the contact is gone everywhere.
    assert row["status"] == "booked"
    assert row["contact_encrypted"] == "" and row["contact_index"] == f"erased:{request_id}"
    lead = await LeadTable.select().where(LeadTable.id == row["lead"]).first()
    assert lead is not None and lead["contact_encrypted"] == ""
    assert (
        await LeadTimelineEventTable.count().where(
            LeadTimelineEventTable.type == "consent_withdrawn"
        )
        == 1
    )
    [entry] = await ContactAccessLogTable.select()
    assert entry["staff_user"] == world.users[role]
    assert (entry["action"], entry["reason"]) == ("consent_withdrawal", "data_subject_request")
    assert (entry["waitlist_request_id"], entry["lead_id"]) == (request_id, row["lead"])


async def test_an_active_request_becomes_withdrawn_and_its_contact_cannot_be_revealed(
    world: AdminWorld,
) -> None:
    request_id = await world.add_request(
        PHONE, status="in_progress", assignee=world.users["operator"]
    )
    async with logged_in(world, "operator") as client:
        first = await post_form(client, WITHDRAW, {"waitlist_request_id": str(request_id)})
        again = await post_form(client, WITHDRAW, {"waitlist_request_id": str(request_id)})
        reveal = await post_form(
            client, REVEAL, {"waitlist_request_id": str(request_id), "reason": "call_back_client"}
        )
        schema = await client.get(WITHDRAW + "schema/")
    assert first.status_code == 200
    assert again.status_code == 200 and "уже удалён" in again.json()["custom_form_success"]
    row = await WaitlistRequestTable.select().where(WaitlistRequestTable.id == request_id).first()
    assert row is not None and (row["status"], row["status_reason"]) == (
        "withdrawn",
        "client_withdrew",
    )
    # A withdrawn request is no longer offered; revealing it says why, in Russian.
    assert [value for _, value in choices(schema.json())] == [""]
    assert reveal.status_code == 422
    assert "Контакт удалён" in reveal.text and PHONE not in reveal.text
    assert await ContactAccessLogTable.count() == 2  # both withdrawal calls; no reveal


async def test_the_form_asks_for_a_request_when_none_is_picked(world: AdminWorld) -> None:
    await world.add_request(PHONE)
    async with logged_in(world, "manager") as client:
        empty = await post_form(client, WITHDRAW, {"waitlist_request_id": ""})
    assert empty.status_code == 422
    assert "Выберите заявку из списка." in empty.text
    assert (
        await WaitlistRequestTable.count().where(WaitlistRequestTable.contact_encrypted == "") == 0
    )
    assert await ContactAccessLogTable.count() == 0
