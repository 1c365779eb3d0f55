"""The form ``Данные субъекта`` over HTTP: every role, the file, the audit row, the headers."""

from __future__ import annotations

import html
import logging
from typing import Any

import httpx
import pytest
from piccolo_admin.endpoints import AdminRouter

from tables.staff.tables import ContactAccessLogTable
from tests.support.admin_world import ROLES, AdminWorld, csrf, logged_in, login, make_world
from tests.support.subject_world import (
    OTHER_NAME,
    OTHER_PHONE,
    SUBJECT_EMAIL,
    SUBJECT_NAME,
    SUBJECT_PHONE,
    seed_subjects,
)

pytestmark = [pytest.mark.anyio, pytest.mark.db]

FORM = "/admin/api/forms/данные-субъекта/"
BODY = {"contact_method": "phone", "contact": "8 (916) 555-00-11"}


@pytest.fixture
async def world(db: object) -> AdminWorld:
    world = await make_world(page_size=25)  # with ``world.admin``, to reach Piccolo itself
    await seed_subjects(world.container)
    return world


async def post(client: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    return await client.post(FORM, json=body, headers=csrf(client))


async def audit_rows() -> list[dict[str, Any]]:
    return await ContactAccessLogTable.select(
        ContactAccessLogTable.staff_user,
        ContactAccessLogTable.action,
        ContactAccessLogTable.reason,
        ContactAccessLogTable.row_count,
    )


@pytest.mark.parametrize("role", ROLES)
async def test_managers_and_admins_get_the_file_operators_403_and_no_role_401(
    world: AdminWorld, role: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with logged_in(world, role) as client:
        menu = (await client.get("/admin/api/forms/")).json()
        schema = await client.get(f"{FORM}schema/")
        answer = await post(client, BODY)

    assert SUBJECT_PHONE not in caplog.text and "555-00-11" not in caplog.text
    if role == "none":
        assert (schema.status_code, answer.status_code) == (401, 401)
        assert await audit_rows() == []
        return
    names = {form["name"] for form in menu}
    if role == "operator":
        assert "Данные субъекта" not in names
        assert (schema.status_code, answer.status_code) == (403, 403)
        assert SUBJECT_PHONE not in answer.text
        assert await audit_rows() == []
        return
    assert "Данные субъекта" in names
    assert schema.status_code == 200
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="subject-data-')
    assert disposition.endswith('.html"')
    assert answer.headers["cache-control"] == "no-store"
    document = html.unescape(answer.content.decode("utf-8"))
    for expected in (SUBJECT_PHONE, SUBJECT_NAME, SUBJECT_EMAIL, "1\u00a0500,00\u00a0₽"):
        assert expected in document
    for foreign in (OTHER_PHONE, OTHER_NAME):
        assert foreign not in document
    assert await audit_rows() == [
        {
            "staff_user": world.users[role],
            "action": "subject_access",
            "reason": "data_subject_request",
            "row_count": 13,
        }
    ]


async def test_without_a_session_the_form_answers_401_and_audits_nothing(
    world: AdminWorld,
) -> None:
    async with world.client() as client:
        await client.get("/admin/")
        answer = await client.post(FORM, json=BODY, headers=csrf(client))
        schema = await client.get(f"{FORM}schema/")
    assert (answer.status_code, schema.status_code) == (401, 401)
    assert await audit_rows() == []


async def test_an_unknown_contact_gets_the_nothing_stored_file_and_the_same_audit(
    world: AdminWorld,
) -> None:
    async with logged_in(world, "manager") as client:
        answer = await post(client, {"contact_method": "email", "contact": "Nobody@Example.org"})
    assert answer.status_code == 200
    assert answer.headers["content-disposition"].startswith("attachment;")
    document = html.unescape(answer.text)
    assert "По этому контакту у нас не хранится никаких данных." in document
    assert SUBJECT_PHONE not in document
    assert await audit_rows() == [
        {
            "staff_user": world.users["manager"],
            "action": "subject_access",
            "reason": "data_subject_request",
            "row_count": 0,
        }
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"contact_method": "", "contact": SUBJECT_PHONE}, "Выберите способ связи."),
        ({"contact_method": "phone", "contact": "  "}, "Введите контакт"),
        ({"contact_method": "telegram", "contact": "не имя"}, "Контакт не подходит"),
    ],
)
async def test_a_form_left_incomplete_or_wrong_is_refused_in_russian_without_an_audit(
    world: AdminWorld, body: dict[str, str], message: str
) -> None:
    async with logged_in(world, "admin") as client:
        answer = await post(client, body)
    assert answer.status_code == 422
    assert message in answer.json()["custom_form_error"]
    assert await audit_rows() == []


async def test_the_schema_offers_the_contact_method_as_a_russian_drop_down(
    world: AdminWorld,
) -> None:
    async with logged_in(world, "manager") as client:
        schema = (await client.get(f"{FORM}schema/")).json()
    method = schema["properties"]["contact_method"]
    labels = [option["display_name"] for option in method["extra"]["choices"].values()]
    assert labels == ["— выберите —", "Электронная почта", "Телефон", "Telegram"]
    assert schema["properties"]["contact"]["title"] == "Контакт (как его назвал человек)"


async def test_piccolo_itself_refuses_an_operator_who_got_past_the_gate(
    world: AdminWorld,
) -> None:
    inner = world.admin
    while not isinstance(inner, AdminRouter):
        inner = inner._app
    async with world.client() as client:
        assert (await login(client, "operator")).status_code == 200
        session, token = client.cookies["id"], client.cookies["csrftoken"]
    transport = httpx.ASGITransport(app=inner, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        answer = await client.post(
            "/api/forms/данные-субъекта/",
            json=BODY,
            headers={"cookie": f"id={session}; csrftoken={token}", "x-csrftoken": token},
        )
    assert answer.status_code == 403
    assert SUBJECT_PHONE not in answer.text
    assert await audit_rows() == []
