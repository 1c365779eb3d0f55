"""The forms' drop-downs over HTTP: each staff member is offered only what they may pick.

The schema of a form is what the admin's form screen draws; the gate answers it per staff
member, so these tests read it exactly as the browser does, logged in through the real login.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import pytest

from domain.models import StaffRole
from tables.staff.accounts import create_staff_user
from tests.support.admin_world import PASSWORD, AdminWorld, csrf, logged_in, make_world

pytestmark = [pytest.mark.anyio, pytest.mark.db]

PHONE = "+79990001122"
FORMS = "/admin/api/forms/"
CLAIM, CHANGE, REVEAL, EXPORT = (
    "взять-заявку-в-работу",
    "изменить-статус-заявки",
    "показать-контакт",
    "выгрузить-лиды",
)


@pytest.fixture
async def world(db: object) -> AdminWorld:
    world = await make_world()
    world.users["operator2"] = await create_staff_user("operator2", PASSWORD, StaffRole.OPERATOR)
    return world


async def pickable(client: Any, slug: str) -> list[str]:
    """The request ids the form's drop-down offers, in order (without the empty option)."""
    response = await client.get(f"{FORMS}{slug}/schema/")
    assert response.status_code == 200, response.text
    assert PHONE not in response.text
    assert "gAAAA" not in response.text  # no Fernet token either
    field = response.json()["properties"]["waitlist_request_id"]
    return [o["value"] for o in field["extra"]["choices"].values() if o["value"]]


async def test_each_staff_member_is_offered_only_the_requests_they_may_pick(
    world: AdminWorld,
) -> None:
    users = world.users
    new_old = await world.add_request(PHONE, minutes_ago=300)
    new_young = await world.add_request(PHONE, minutes_ago=5)
    mine = await world.add_request(
        PHONE, minutes_ago=200, status="in_progress", assignee=users["operator"]
    )
    mine_contacted = await world.add_request(
        PHONE, minutes_ago=100, status="contacted", assignee=users["operator"]
    )
    await world.add_request(PHONE, minutes_ago=400, status="booked", assignee=users["operator"])
    theirs = await world.add_request(
        PHONE, minutes_ago=250, status="in_progress", assignee=users["operator2"]
    )
    managers = await world.add_request(
        PHONE, minutes_ago=150, status="contacted", assignee=users["manager"]
    )
    await world.add_request(PHONE, minutes_ago=50, status="declined", assignee=users["manager"])
    ids = lambda *requests: [str(r) for r in requests]  # noqa: E731

    async with logged_in(world, "operator") as client:
        assert await pickable(client, CLAIM) == ids(new_old, new_young)
        assert await pickable(client, CHANGE) == ids(mine, mine_contacted)
        assert await pickable(client, REVEAL) == ids(mine, mine_contacted)
    async with logged_in(world, "operator2") as client:
        assert await pickable(client, CLAIM) == ids(new_old, new_young)
        assert await pickable(client, CHANGE) == ids(theirs)
        assert await pickable(client, REVEAL) == ids(theirs)
    active = ids(new_old, theirs, mine, managers, mine_contacted, new_young)
    for role in ("manager", "admin"):
        async with logged_in(world, role) as client:
            assert await pickable(client, CLAIM) == ids(new_old, new_young)
            assert await pickable(client, CHANGE) == active
            assert await pickable(client, REVEAL) == active


async def test_labels_name_the_request_by_short_id_service_window_and_age(
    world: AdminWorld,
) -> None:
    request_id = await world.add_request(PHONE, minutes_ago=185)
    async with logged_in(world, "operator") as client:
        schema = (await client.get(f"{FORMS}{CLAIM}/schema/")).json()
    options = list(schema["properties"]["waitlist_request_id"]["extra"]["choices"].values())
    assert options == [
        {"display_name": "Самая старая новая заявка", "value": ""},
        {
            "display_name": f"#{request_id.hex[:6]} · Индивидуальная консультация"
            " · любое время · 3 ч назад",
            "value": str(request_id),
        },
    ]


async def test_status_and_reason_arrive_as_drop_downs_and_the_export_too(
    world: AdminWorld,
) -> None:
    async with logged_in(world, "manager") as client:
        change = (await client.get(f"{FORMS}{CHANGE}/schema/")).json()["properties"]
        reveal = (await client.get(f"{FORMS}{REVEAL}/schema/")).json()["properties"]
        export = (await client.get(f"{FORMS}{EXPORT}/schema/")).json()["properties"]
    labels = lambda field: [o["display_name"] for o in field["extra"]["choices"].values()]  # noqa: E731
    assert labels(change["status"])[:3] == ["— выберите —", "Связались", "Записан"]
    assert "Дозвонились / ответил" in labels(change["reason"])
    assert "Перезвонить клиенту" in labels(reveal["reason"])
    assert labels(export["include_contacts"]) == [
        "Без контактов",
        "С контактами (запишется в журнал доступа)",
    ]


async def test_an_account_without_a_role_gets_no_form_schema(world: AdminWorld) -> None:
    await world.add_request(PHONE)
    async with logged_in(world, "none") as client:
        for slug in (CLAIM, CHANGE, REVEAL, EXPORT):
            response = await client.get(f"{FORMS}{slug}/schema/")
            assert response.status_code in (401, 403), slug  # the gate: not attributable
            assert "Индивидуальная" not in response.text


async def test_a_drop_down_left_empty_is_answered_in_russian(world: AdminWorld) -> None:
    request_id = await world.add_request(
        PHONE, status="in_progress", assignee=world.users["operator"]
    )
    async with logged_in(world, "operator") as client:
        no_request = await client.post(
            f"{FORMS}{CHANGE}/",
            json={"waitlist_request_id": None, "status": "contacted", "reason": "no_answer"},
            headers=csrf(client),
        )
        no_reason = await client.post(
            f"{FORMS}{REVEAL}/",
            json={"waitlist_request_id": str(request_id), "reason": ""},
            headers=csrf(client),
        )
    assert no_request.status_code == 422
    assert no_request.json()["custom_form_error"] == "Выберите заявку из списка."
    assert no_reason.status_code == 422
    assert no_reason.json()["custom_form_error"] == "Выберите причину доступа к контакту."


async def test_success_messages_name_the_request_by_its_short_id(world: AdminWorld) -> None:
    request_id = await world.add_request(PHONE)
    short = f"#{UUID(str(request_id)).hex[:6]}"
    async with logged_in(world, "operator") as client:
        claim = await client.post(
            f"{FORMS}{CLAIM}/", json={"waitlist_request_id": None}, headers=csrf(client)
        )
        change = await client.post(
            f"{FORMS}{CHANGE}/",
            json={
                "waitlist_request_id": str(request_id),
                "status": "contacted",
                "reason": "no_answer",
            },
            headers=csrf(client),
        )
    assert claim.json()["custom_form_success"] == f"Заявка {short} взята в работу."
    assert change.json()["custom_form_success"] == f"Заявка {short}: статус «Связались»."


async def test_the_admin_serves_the_form_screen_that_draws_the_choices(world: AdminWorld) -> None:
    async with world.client() as client:
        page = await client.get("/admin/")
        script = re.search(r'src="\./(assets/index-[\w-]+\.js)"', page.text)
        assert script is not None
        bundle = await client.get(f"/admin/{script[1]}")
    assert bundle.status_code == 200
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert b"choices:a.extra&&a.extra.choices" in bundle.content
