"""What the admin's screens are told, over HTTP on both databases: whether a table is
read-only for this staff member, the menu in the order staff work, the Russian page and words,
and a refused table write answered 422 in Russian, named by column title."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tables.core.tables import ServiceTable, SlotTable
from tables.staff.tables import StaffAccessChangeTable
from tests.support.admin_world import ROLES, AdminWorld, csrf, login, make_world

pytestmark = [pytest.mark.anyio, pytest.mark.db]

NOW = "2026-12-02T10:00:00Z"


@pytest.fixture
async def world(db: object) -> AdminWorld:
    return await make_world()


@pytest.fixture
async def admin(world: AdminWorld) -> AsyncIterator[httpx.AsyncClient]:
    async with world.client() as client:
        assert (await login(client, "admin")).status_code == 200
        yield client


def service(**values: Any) -> dict[str, Any]:
    """A new service as the admin's add form posts it: every value a string."""
    return {
        "slug": "pair-therapy",
        "title": "Парная терапия",
        "duration_minutes": "80",
        "price": "7000",
        "deposit": None,
        "active": "true",
        "created_at": NOW,
        "updated_at": NOW,
        **values,
    }


def slot(world: AdminWorld, **values: Any) -> dict[str, Any]:
    return {
        "service": str(world.service_id),
        "starts_at": "2026-12-10T10:00:00Z",
        "ends_at": "2026-12-10T10:50:00Z",
        "status": "free",
        "created_at": NOW,
        **values,
    }


def problems(response: httpx.Response) -> dict[str, str]:
    """Column title -> message, as Piccolo Admin lists them beside the form."""
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    return {(item["loc"][-1] if len(item["loc"]) > 1 else ""): item["msg"] for item in detail}


@pytest.mark.parametrize("role", ["operator", "manager", "admin"])
async def test_each_schema_tells_the_screens_whether_this_member_may_change_the_table(
    world: AdminWorld, role: str
) -> None:
    async with world.client() as client:
        assert (await login(client, role)).status_code == 200
        for table in ("waitlist_requests", "payments", "services", "slots", "piccolo_user"):
            schema = (await client.get(f"/admin/api/tables/{table}/schema/")).json()
            writable = role == "admin" and table in ("services", "slots")
            assert schema["extra"]["staff_read_only"] is (not writable), (role, table)


async def test_the_access_audit_is_the_admins_newest_first_with_roles_in_russian(
    world: AdminWorld, admin: httpx.AsyncClient
) -> None:
    schema = (await admin.get("/admin/api/tables/staff_access_changes/schema/")).json()
    assert schema["extra"]["staff_read_only"] is True
    labels = {
        c["value"]: c["display_name"]
        for c in schema["properties"]["new_value"]["extra"]["choices"].values()
    }
    assert labels["admin"] == "Администратор"
    assert labels["false"] == "Отключён"
    # The list screen asks for this order.
    assert schema["extra"]["order_by"] == [{"column": "occurred_at", "ascending": False}]
    listing = await admin.get("/admin/api/tables/staff_access_changes/?__readable=true")
    assert listing.status_code == 200
    rows = listing.json()["rows"]
    assert len(rows) == await StaffAccessChangeTable.count() == 3  # create-staff, per role
    assert {row["target_user_readable"] for row in rows} == {"operator", "manager", "admin"}
    for role in ("operator", "manager"):
        async with world.client() as client:
            assert (await login(client, role)).status_code == 200
            refused = await client.get("/admin/api/tables/staff_access_changes/")
            assert refused.status_code == 403


async def test_the_menu_lists_the_queue_first_then_appointments_leads_services_and_staff(
    admin: httpx.AsyncClient,
) -> None:
    grouped = (await admin.get("/admin/api/tables/grouped/")).json()["grouped"]
    assert list(grouped) == [
        "Очередь заявок",
        "Записи и оплаты",
        "Лиды",
        "Услуги и расписание",
        "Сотрудники",
    ]
    assert grouped["Очередь заявок"] == ["waitlist_requests", "waitlist_offers"]
    assert grouped["Записи и оплаты"] == ["appointments", "payments"]
    assert grouped["Сотрудники"][-1] == "staff_access_changes"


async def test_the_page_is_russian_and_piccolos_russian_has_the_words_it_lacked(
    admin: httpx.AsyncClient,
) -> None:
    page = await admin.get("/admin/")
    assert page.status_code == 200
    assert '<html lang="ru">' in page.text
    russian = (await admin.get("/admin/public/translations/ru/")).json()["translations"]
    assert russian["per page"] == "на странице"
    assert russian["Equals"] == "Равно"
    assert russian["Save"] == "Сохранить"


@pytest.mark.parametrize("role", ROLES)
async def test_the_served_script_names_tables_in_russian_for_everyone(
    world: AdminWorld, role: str
) -> None:
    async with world.client() as client:
        page = (await client.get("/admin/")).text
        script = page.split('src="./assets/')[1].split('"')[0]
        body = (await client.get(f"/admin/assets/{script}")).text
    assert '"payments": "Оплаты"' in body
    assert "Europe/Moscow" in body


async def test_an_empty_service_is_refused_with_each_missing_column_named_in_russian(
    admin: httpx.AsyncClient,
) -> None:
    refused = await admin.post("/admin/api/tables/services/", json={}, headers=csrf(admin))
    assert problems(refused) == {
        "Адрес на сайте": "обязательное поле",
        "Название": "обязательное поле",
        "Длительность, мин": "обязательное поле",
        "Цена, ₽": "обязательное поле",
        "Доступна для записи": "обязательное поле",
        "Создана": "обязательное поле",
        "Изменена": "обязательное поле",
    }
    assert await ServiceTable.count() == 1  # the world's own


async def test_a_service_as_the_form_posts_it_is_added_and_bad_values_are_each_named(
    world: AdminWorld, admin: httpx.AsyncClient
) -> None:
    url = "/admin/api/tables/services/"
    added = await admin.post(url, json=service(), headers=csrf(admin))
    assert added.status_code == 201, added.text
    again = await admin.post(url, json=service(title="Ещё одна"), headers=csrf(admin))
    assert problems(again) == {"Адрес на сайте": "такое значение уже есть у другой строки"}
    bad = service(
        slug="Парная терапия",
        title="   ",
        duration_minutes="0",
        price="-1",
        deposit="0",
    )
    assert problems(await admin.post(url, json=bad, headers=csrf(admin))) == {
        "Адрес на сайте": "только строчные латинские буквы, цифры и дефис, например individual",
        "Название": "обязательное поле",
        "Длительность, мин": "должна быть больше нуля",
        "Цена, ₽": "не может быть меньше нуля",
        "Предоплата, ₽": "должна быть больше нуля (или оставьте поле пустым)",
    }
    typed = service(slug="other", duration_minutes="час", price="пять")
    assert problems(await admin.post(url, json=typed, headers=csrf(admin))) == {
        "Длительность, мин": "нужно целое число",
        "Цена, ₽": "нужно число, например 5000 или 4999.50",
    }
    assert await ServiceTable.count() == 2


async def test_changing_a_service_badly_is_refused_in_russian_whatever_the_method(
    world: AdminWorld, admin: httpx.AsyncClient
) -> None:
    url = f"/admin/api/tables/services/{world.service_id}/"
    cases: list[tuple[str, Any, dict[str, str]]] = [
        ("PATCH", {"title": None}, {"Название": "обязательное поле"}),
        ("PATCH", {"deposit": "99999"}, {"Предоплата, ₽": "не может быть больше цены"}),
        ("PATCH", {"colour": "red"}, {"colour": "нет такого поля"}),
        ("PUT", service(price="-5"), {"Цена, ₽": "не может быть меньше нуля"}),
    ]
    for method, body, expected in cases:
        response = await admin.request(method, url, json=body, headers=csrf(admin))
        assert problems(response) == expected, (method, body)
    put_empty = await admin.put(url, json={}, headers=csrf(admin))
    assert problems(put_empty)["Название"] == "обязательное поле"  # not Piccolo's 500
    unreadable = await admin.patch(
        url, content=b"{not json", headers={**csrf(admin), "content-type": "application/json"}
    )
    assert list(problems(unreadable).values()) == [
        "Запрос не прочитан: ожидается JSON-объект с полями строки."
    ]
    stored = await ServiceTable.select(ServiceTable.title, ServiceTable.price).first()
    assert stored is not None and stored["title"] == "Индивидуальная консультация"
    fine = await admin.patch(url, json={"title": "Консультация"}, headers=csrf(admin))
    assert fine.status_code == 200, fine.text


async def test_a_slot_must_end_after_it_starts_for_a_service_that_exists(
    world: AdminWorld, admin: httpx.AsyncClient
) -> None:
    url = "/admin/api/tables/slots/"
    assert problems(await admin.post(url, json={}, headers=csrf(admin))) == {
        "Услуга": "обязательное поле",
        "Начало": "обязательное поле",
        "Окончание": "обязательное поле",
        "Статус": "обязательное поле",
        "Добавлено": "обязательное поле",
    }
    backwards = slot(world, ends_at="2026-12-10T09:00:00Z", status="maybe")
    assert problems(await admin.post(url, json=backwards, headers=csrf(admin))) == {
        "Окончание": "должно быть позже начала",
        "Статус": "выберите значение из списка",
    }
    without = slot(world, service=None)
    assert problems(await admin.post(url, json=without, headers=csrf(admin))) == {
        "Услуга": "обязательное поле"
    }
    nowhere = slot(world, service="00000000-0000-0000-0000-000000000000")
    assert problems(await admin.post(url, json=nowhere, headers=csrf(admin))) == {
        "Услуга": "такой строки нет, выберите из списка"
    }
    unreadable = slot(world, service="индивидуальная", starts_at="завтра")
    assert problems(await admin.post(url, json=unreadable, headers=csrf(admin))) == {
        "Услуга": "выберите значение из списка",
        "Начало": "нужны дата и время",
    }
    added = await admin.post(url, json=slot(world), headers=csrf(admin))
    assert added.status_code == 201, added.text
    slot_id = added.json()[0]["id"]
    moved = await admin.patch(
        f"{url}{slot_id}/", json={"starts_at": "2026-12-10T11:00:00Z"}, headers=csrf(admin)
    )
    assert problems(moved) == {"Окончание": "должно быть позже начала"}
    assert await SlotTable.count() == 1


async def test_a_second_slot_of_a_service_at_one_start_is_refused_in_russian(
    world: AdminWorld, admin: httpx.AsyncClient
) -> None:
    url = "/admin/api/tables/slots/"
    added = await admin.post(url, json=slot(world), headers=csrf(admin))
    assert added.status_code == 201, added.text
    again = await admin.post(url, json=slot(world, status="held"), headers=csrf(admin))
    assert problems(again) == {"Начало": "у этой услуги уже есть окно на это время"}
    other = await admin.post(
        url,
        json=slot(world, starts_at="2026-12-10T11:00:00Z", ends_at="2026-12-10T11:50:00Z"),
        headers=csrf(admin),
    )
    assert other.status_code == 201, other.text
    moved = await admin.patch(
        f"{url}{other.json()[0]['id']}/",
        json={"starts_at": "2026-12-10T10:00:00Z"},
        headers=csrf(admin),
    )
    assert problems(moved) == {"Начало": "у этой услуги уже есть окно на это время"}
    itself = await admin.patch(
        f"{url}{added.json()[0]['id']}/", json={"status": "held"}, headers=csrf(admin)
    )
    assert itself.status_code == 200, itself.text
    assert await SlotTable.count() == 2


async def test_an_operator_posting_to_services_is_refused_before_any_row_check(
    world: AdminWorld,
) -> None:
    async with world.client() as client:
        assert (await login(client, "operator")).status_code == 200
        refused = await client.post("/admin/api/tables/services/", json={}, headers=csrf(client))
    assert refused.status_code == 405
    assert refused.json() == {"detail": "Только для чтения."}


async def test_a_service_in_use_is_not_deleted_and_the_answer_says_what_holds_it(
    world: AdminWorld, admin: httpx.AsyncClient
) -> None:
    await world.add_request()
    in_use = await admin.delete(
        f"/admin/api/tables/services/{world.service_id}/", headers=csrf(admin)
    )
    assert problems(in_use) == {
        "": "Нельзя удалить: на эту строку ссылаются «Заявки листа ожидания»."
    }
    added = await admin.post("/admin/api/tables/services/", json=service(), headers=csrf(admin))
    unused = added.json()[0]["id"]
    deleted = await admin.delete(f"/admin/api/tables/services/{unused}/", headers=csrf(admin))
    assert deleted.status_code == 204, deleted.text
    assert await ServiceTable.count() == 1


async def test_a_contact_typed_into_any_field_does_not_come_back_or_reach_the_logs(
    world: AdminWorld, admin: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    contact = "+7 916 555-12-34"
    url = "/admin/api/tables/services/"
    bodies = [service(**{name: contact}) for name in service()]
    bodies += [{**service(), contact: "1"}, {**service(), "leak.me@example.org": "1"}]
    slot_url = "/admin/api/tables/slots/"
    bodies_by_url = [(url, body) for body in bodies]
    bodies_by_url += [(slot_url, {"service": contact, "starts_at": contact, "status": contact})]
    for target, body in bodies_by_url:
        response = await admin.post(target, json=body, headers=csrf(admin))
        assert response.status_code in (201, 422), response.text
        for secret in (contact, "555-12-34", "9165551234", "leak.me"):
            assert secret not in response.text, (body, response.text)
    from composition.logs import QUIET  # kept at WARNING by the service's logging set-up

    logged = "\n".join(
        record.getMessage() for record in caplog.records if not record.name.startswith(QUIET)
    )
    for secret in (contact, "555-12-34", "9165551234", "leak.me"):
        assert secret not in logged
