"""The mounted staff admin over HTTP: every role against every form and table endpoint.

Each client logs in through Piccolo Admin's real login endpoint, with its CSRF cookie and
header, exactly as the browser does.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from piccolo_api.session_auth.tables import SessionsBase

from tables.crm.tables import LeadTable, LeadTimelineEventTable, WaitlistRequestTable
from tables.staff.tables import ContactAccessLogTable
from tests.support.admin_world import ROLES, AdminWorld, csrf, logged_in, login, make_world

pytestmark = [pytest.mark.anyio, pytest.mark.db]

PHONE = "+79990001122"
CLAIM = "/admin/api/forms/взять-заявку-в-работу/"
CHANGE = "/admin/api/forms/изменить-статус-заявки/"
REVEAL = "/admin/api/forms/показать-контакт/"
EXPORT = "/admin/api/forms/выгрузить-лиды/"

# Written out by hand (not derived from the policy) so a policy mistake fails here.
READ = {
    "waitlist_requests": {"operator", "manager", "admin"},
    "waitlist_offers": {"operator", "manager", "admin"},
    "payments": {"operator", "manager", "admin"},
    "appointments": {"operator", "manager", "admin"},
    "leads": {"operator", "manager", "admin"},
    "lead_timeline_events": {"operator", "manager", "admin"},
    "consent_records": {"operator", "manager", "admin"},
    "services": {"operator", "manager", "admin"},
    "slots": {"operator", "manager", "admin"},
    "piccolo_user": {"operator", "manager", "admin"},
    "staff_roles": {"admin"},
    "contact_access_log": {"admin"},
    "staff_access_changes": {"admin"},
    "schedule_changes": {"admin"},
    "piccolo_api_sessions": set(),
}
# Roles change only through the staff access form, never by editing ``staff_roles``.
WRITE = {"services": {"admin"}, "slots": {"admin"}}
MENUS = (
    "/admin/api/tables/",
    "/admin/api/tables/grouped/",
    "/admin/api/forms/",
    "/admin/api/links/",
)
FORMS = {
    "Взять заявку в работу": {"operator", "manager", "admin"},
    "Изменить статус заявки": {"operator", "manager", "admin"},
    "Показать контакт": {"operator", "manager", "admin"},
    "Выгрузить лиды": {"manager", "admin"},
    "Изменить доступ сотрудника": {"admin"},
    "Данные субъекта": {"manager", "admin"},
    "Отозвать согласие": {"operator", "manager", "admin"},
    "Добавить окна": {"admin"},
    "Записать ответ на предложение": {"operator", "manager", "admin"},
}


@pytest.fixture
async def world(db: object) -> AdminWorld:
    return await make_world()


def assert_no_contact_data(body: str) -> None:
    assert "gAAAA" not in body  # a Fernet token
    assert PHONE not in body
    assert "contact_encrypted" not in body
    assert "contact_index" not in body


async def test_without_a_session_the_api_answers_401(world: AdminWorld) -> None:
    async with world.client() as client:
        for path in ("/admin/api/tables/", "/admin/api/tables/waitlist_requests/", CLAIM):
            assert (await client.get(path)).status_code == 401


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_sees_exactly_its_tables_and_forms_in_the_menu(
    world: AdminWorld, role: str
) -> None:
    async with logged_in(world, role) as client:
        tables = (await client.get("/admin/api/tables/")).json()
        grouped = (await client.get("/admin/api/tables/grouped/")).json()
        forms = (await client.get("/admin/api/forms/")).json()
        grouped_forms = (await client.get("/admin/api/forms/grouped/")).json()
        if role == "none":  # an account without a role cannot be attributed: 401 everywhere
            for path in MENUS:
                assert (await client.get(path)).status_code == 401
            return

    assert set(tables) == {t for t, roles in READ.items() if role in roles}
    in_groups = {t for names in grouped["grouped"].values() for t in names}
    assert in_groups | set(grouped["ungrouped"]) == set(tables)
    assert {f["name"] for f in forms} == {f for f, roles in FORMS.items() if role in roles}
    form_names = {f["name"] for group in grouped_forms["grouped"].values() for f in group}
    assert form_names | {f["name"] for f in grouped_forms["ungrouped"]} == {
        f["name"] for f in forms
    }


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_reads_writes_or_is_refused_every_table(
    world: AdminWorld, role: str
) -> None:
    await world.add_request(PHONE)
    async with logged_in(world, role) as client:
        for table in READ:
            listing = await client.get(f"/admin/api/tables/{table}/?__readable=true")
            schema = await client.get(f"/admin/api/tables/{table}/schema/")
            may_read = role in READ[table]
            refused = 401 if role == "none" else 403
            assert listing.status_code == (200 if may_read else refused), (table, listing.text)
            assert schema.status_code == (200 if may_read else refused), table
            assert_no_contact_data(listing.text)

            created = await client.post(
                f"/admin/api/tables/{table}/", json={}, headers=csrf(client)
            )
            if role in WRITE.get(table, set()):
                assert created.status_code not in (401, 403, 405), (table, created.text)
            else:
                assert created.status_code == (405 if may_read else refused), (table, created.text)


@pytest.mark.parametrize("role", ROLES)
async def test_no_table_edit_can_change_a_request_a_payment_or_wipe_a_ciphertext(
    world: AdminWorld, role: str
) -> None:
    request_id = await world.add_request(PHONE)
    before = await WaitlistRequestTable.select().where(WaitlistRequestTable.id == request_id)
    async with logged_in(world, role) as client:
        row = f"/admin/api/tables/waitlist_requests/{request_id}/"
        for method, body in (
            ("PATCH", {"contact_encrypted": "", "status": "booked"}),
            ("PUT", {"contact_encrypted": "", "status": "booked"}),
            ("DELETE", None),
        ):
            response = await client.request(method, row, json=body, headers=csrf(client))
            assert response.status_code in (401, 403, 405), (method, response.text)
        for method in ("PATCH", "DELETE"):
            response = await client.request(
                method,
                "/admin/api/tables/payments/00000000-0000-0000-0000-000000000001/",
                json={"status": "succeeded"},
                headers=csrf(client),
            )
            assert response.status_code in (401, 403, 405)
        log = await client.delete(
            "/admin/api/tables/contact_access_log/?id=x", headers=csrf(client)
        )
        assert log.status_code in (401, 403, 405)
    after = await WaitlistRequestTable.select().where(WaitlistRequestTable.id == request_id)
    assert after == before


@pytest.mark.parametrize("role", ["operator", "manager", "admin"])
async def test_queries_cannot_pull_hidden_columns(world: AdminWorld, role: str) -> None:
    request_id = await world.add_request(PHONE)
    async with logged_in(world, role) as client:
        for query in (
            "__visible_fields=id,contact_encrypted,contact_index",
            "__visible_fields=contact_encrypted",
            "contact_encrypted=x&__order=contact_index",
            "__visible_fields=lead.contact_encrypted",
        ):
            for table in ("waitlist_requests", "leads"):
                response = await client.get(f"/admin/api/tables/{table}/?{query}")
                assert response.status_code in (200, 400), response.text
                assert_no_contact_data(response.text)
        detail = await client.get(
            f"/admin/api/tables/waitlist_requests/{request_id}/?__visible_fields=contact_encrypted"
        )
        assert detail.status_code == 200
        assert_no_contact_data(detail.text)
        assert detail.json()["status"] == "new"


async def post_form(client: Any, path: str, body: dict[str, Any]) -> Any:
    return await client.post(path, json=body, headers=csrf(client))


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_against_every_form(world: AdminWorld, role: str) -> None:
    user_id = world.users[role]
    await world.add_request(minutes_ago=90)
    assigned = await world.add_request(PHONE, status="in_progress", assignee=user_id)
    async with logged_in(world, role) as client:
        schemas = {
            name: await client.get(f"/admin/api/forms/{name.replace(' ', '-').lower()}/schema/")
            for name in FORMS
        }
        claim = await post_form(client, CLAIM, {})
        change = await post_form(
            client,
            CHANGE,
            {"waitlist_request_id": str(assigned), "status": "contacted", "reason": "no_answer"},
        )
        reveal = await post_form(
            client, REVEAL, {"waitlist_request_id": str(assigned), "reason": "call_back_client"}
        )
        export = await post_form(client, EXPORT, {"include_contacts": True, "reason": "reporting"})

    for name, response in schemas.items():
        refused = 401 if role == "none" else 403
        assert response.status_code == (200 if role in FORMS[name] else refused), name
    if role == "none":
        assert {r.status_code for r in (claim, change, reveal, export)} == {401}
        assert await ContactAccessLogTable.count() == 0
        return
    assert claim.status_code == 200, claim.text
    assert change.status_code == 200, change.text
    assert reveal.status_code == 200, reveal.text
    assert PHONE in reveal.json()["custom_form_success"]
    if role == "operator":
        assert export.status_code == 403
        assert PHONE not in export.text
        expected_audit = 1
    else:
        assert export.status_code == 200, export.text
        assert export.headers["content-type"].startswith("text/csv")
        assert export.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
        assert rows[0][-1] == "contact"
        assert sorted(r[-1] for r in rows[1:]) == sorted(["'+79990001122", "'+79990001122"])
        expected_audit = 2
    assert await ContactAccessLogTable.count() == expected_audit
    assert (
        await ContactAccessLogTable.count().where(ContactAccessLogTable.staff_user == user_id)
        == expected_audit
    )


async def test_operator_cannot_reveal_or_change_a_request_assigned_to_someone_else(
    world: AdminWorld,
) -> None:
    theirs = await world.add_request(PHONE, status="in_progress", assignee=world.users["manager"])
    async with logged_in(world, "operator") as client:
        reveal = await post_form(
            client, REVEAL, {"waitlist_request_id": str(theirs), "reason": "call_back_client"}
        )
        change = await post_form(
            client,
            CHANGE,
            {
                "waitlist_request_id": str(theirs),
                "status": "declined",
                "reason": "client_declined",
            },
        )
    assert reveal.status_code == 403
    assert PHONE not in reveal.text
    assert change.status_code == 403
    assert await ContactAccessLogTable.count() == 0
    row = await WaitlistRequestTable.select(WaitlistRequestTable.status).first()
    assert row == {"status": "in_progress"}


async def test_forms_reject_free_text_reasons_and_invalid_transitions(world: AdminWorld) -> None:
    request_id = await world.add_request(status="in_progress", assignee=world.users["operator"])
    async with logged_in(world, "operator") as client:
        free_text = await post_form(
            client, REVEAL, {"waitlist_request_id": str(request_id), "reason": "хочу посмотреть"}
        )
        wrong_outcome = await post_form(
            client,
            CHANGE,
            {"waitlist_request_id": str(request_id), "status": "booked", "reason": "no_answer"},
        )
        back_to_new = await post_form(
            client,
            CHANGE,
            {"waitlist_request_id": str(request_id), "status": "new", "reason": "no_answer"},
        )
        done = await post_form(
            client,
            CHANGE,
            {
                "waitlist_request_id": str(request_id),
                "status": "booked",
                "reason": "session_booked",
            },
        )
        again = await post_form(
            client,
            CHANGE,
            {
                "waitlist_request_id": str(request_id),
                "status": "declined",
                "reason": "client_declined",
            },
        )
    assert free_text.status_code == 422
    assert wrong_outcome.status_code == 422
    assert "не подходит" in wrong_outcome.json()["custom_form_error"]
    assert back_to_new.status_code == 422
    assert done.status_code == 200
    assert again.status_code == 422
    assert "переход" in again.json()["custom_form_error"]
    events = await LeadTimelineEventTable.select(
        LeadTimelineEventTable.type,
        LeadTimelineEventTable.waitlist_status,
        LeadTimelineEventTable.outcome,
    )
    assert events == [
        {
            "type": "waitlist_status_changed",
            "waitlist_status": "booked",
            "outcome": "session_booked",
        }
    ]
    assert await ContactAccessLogTable.count() == 0
    assert await LeadTable.select(LeadTable.status) == [{"status": "converted"}]


async def test_claiming_a_given_request_twice_fails_the_second_time(world: AdminWorld) -> None:
    request_id = await world.add_request()
    async with (
        logged_in(world, "operator") as first,
        logged_in(world, "manager") as second,
    ):
        ok = await post_form(first, CLAIM, {"waitlist_request_id": str(request_id)})
        taken = await post_form(second, CLAIM, {"waitlist_request_id": str(request_id)})
        empty = await post_form(second, CLAIM, {})
    assert ok.status_code == 200
    assert taken.status_code == 422
    assert "уже взял" in taken.json()["custom_form_error"]
    assert empty.status_code == 422
    row = await WaitlistRequestTable.select(WaitlistRequestTable.assignee).first()
    assert row == {"assignee": world.users["operator"]}


async def test_export_without_contacts_writes_no_audit_row_and_has_no_contacts(
    world: AdminWorld,
) -> None:
    await world.add_request(PHONE)
    async with logged_in(world, "manager") as client:
        export = await post_form(client, EXPORT, {"include_contacts": False})
    assert export.status_code == 200
    assert PHONE.encode() not in export.content
    assert await ContactAccessLogTable.count() == 0


async def test_posts_without_the_csrf_token_are_refused(world: AdminWorld) -> None:
    async with logged_in(world, "admin") as client:
        response = await client.post(CLAIM, json={})
    assert response.status_code == 403
    assert "CSRF" in response.text


async def test_expired_sessions_are_refused(world: AdminWorld) -> None:
    async with logged_in(world, "admin") as client:
        assert (await client.get("/admin/api/tables/")).status_code == 200
        await SessionsBase.update(
            {SessionsBase.expiry_date: datetime.now() - timedelta(minutes=1)}, force=True
        )
        assert (await client.get("/admin/api/tables/")).status_code == 401
        assert (await client.get("/admin/api/user/")).status_code == 401


async def test_login_is_rate_limited_and_blocked_for_a_bounded_time(db: object) -> None:
    world = await make_world(
        login_attempts=3, login_window=timedelta(minutes=5), login_block=timedelta(minutes=15)
    )
    async with world.client() as client:
        statuses = [(await login(client, "admin", "wrong-password")).status_code for _ in range(3)]
        blocked = await login(client, "admin")
    assert statuses == [401, 401, 401]
    assert blocked.status_code == 429
    limiter = world.app_admin_limiter()
    assert limiter.block_duration == 15 * 60
    # Once the block has lasted its duration, the same client may log in again.
    for ip in list(limiter.blocked):
        limiter.blocked[ip] -= limiter.block_duration + 1
    limiter.request_dict.clear()
    async with world.client() as client:
        assert (await login(client, "admin")).status_code == 200


async def test_production_admin_sets_secure_session_cookies(db: object) -> None:
    world = await make_world(production=True)
    async with world.client() as client:
        response = await login(client, "admin")
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie


async def test_admins_edit_services_but_no_one_edits_roles_through_the_table(
    world: AdminWorld,
) -> None:
    from tables.core.tables import ServiceTable
    from tables.staff.tables import StaffRoleTable

    service = f"/admin/api/tables/services/{world.service_id}/"
    role_row = await StaffRoleTable.select(StaffRoleTable.id).where(
        StaffRoleTable.user == world.users["operator"]
    )
    role_path = f"/admin/api/tables/staff_roles/{role_row[0]['id']}/"
    async with logged_in(world, "manager") as client:
        refused = await client.patch(service, json={"title": "Другое"}, headers=csrf(client))
    async with logged_in(world, "admin") as client:
        renamed = await client.patch(
            service, json={"title": "Семейная консультация"}, headers=csrf(client)
        )
        bogus = await client.patch(role_path, json={"role": "root"}, headers=csrf(client))
        promoted = await client.patch(role_path, json={"role": "manager"}, headers=csrf(client))

    assert refused.status_code == 405
    assert renamed.status_code == 200, renamed.text
    assert bogus.status_code == 405, bogus.text
    assert promoted.status_code == 405, promoted.text
    title = await ServiceTable.select(ServiceTable.title).where(ServiceTable.id == world.service_id)
    assert title == [{"title": "Семейная консультация"}]
    roles = await StaffRoleTable.select(StaffRoleTable.role).where(
        StaffRoleTable.user == world.users["operator"]
    )
    assert roles == [{"role": "operator"}]


async def test_export_form_takes_empty_optional_fields_and_filters_by_status(
    world: AdminWorld,
) -> None:
    await world.add_request(PHONE)
    async with logged_in(world, "admin") as client:
        everything = await post_form(
            client,
            EXPORT,
            {"status": "", "date_from": "", "date_to": "", "include_contacts": False},
        )
        lost_only = await post_form(client, EXPORT, {"status": "lost"})
        reversed_dates = await post_form(
            client, EXPORT, {"date_from": "2026-11-20", "date_to": "2026-11-01"}
        )
    assert everything.status_code == 200, everything.text
    assert len(everything.content.decode("utf-8-sig").strip().splitlines()) == 2
    assert lost_only.status_code == 200
    assert len(lost_only.content.decode("utf-8-sig").strip().splitlines()) == 1
    assert reversed_dates.status_code == 422
    assert "позже" in reversed_dates.json()["custom_form_error"]


async def test_behind_a_trusted_proxy_the_login_limit_is_per_client_not_per_proxy(
    db: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1")
    world = await make_world(
        login_attempts=3, login_window=timedelta(minutes=5), login_block=timedelta(minutes=15)
    )
    attacker = {"X-Forwarded-For": "203.0.113.9"}
    async with world.client() as client:
        client.headers.update(attacker)
        statuses = [(await login(client, "admin", "wrong-password")).status_code for _ in range(4)]
    async with world.client() as client:
        client.headers.update({"X-Forwarded-For": "198.51.100.20"})
        other_client = await login(client, "admin")
    assert statuses == [401, 401, 401, 429]
    assert other_client.status_code == 200
    assert set(world.app_admin_limiter().blocked) == {"203.0.113.9"}
