"""The admin's gate attacked as an attacker would: cookies, stale accounts, every endpoint.

Each request carries a hand-made ``Cookie`` header (or several), so the test decides exactly
what the gate and Piccolo each get to parse.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from piccolo.apps.user.tables import BaseUser
from piccolo_admin.endpoints import AdminRouter
from piccolo_api.session_auth.tables import SessionsBase

from tables.staff.tables import StaffRoleTable
from tests.support.admin_world import AdminWorld, login, make_world

pytestmark = [pytest.mark.anyio, pytest.mark.db]

ROLES = ("operator", "manager", "admin")
READ = {
    "waitlist_requests": set(ROLES),
    "payments": set(ROLES),
    "appointments": set(ROLES),
    "leads": set(ROLES),
    "lead_timeline_events": set(ROLES),
    "consent_records": set(ROLES),
    "services": set(ROLES),
    "slots": set(ROLES),
    "piccolo_user": set(ROLES),
    "staff_roles": {"admin"},
    "contact_access_log": {"admin"},
    "staff_access_changes": {"admin"},
    "piccolo_api_sessions": set(),
    "no_such_table": set(),
}
WRITE = {"services": {"admin"}, "slots": {"admin"}}
MISSING = "00000000-0000-0000-0000-000000000001"
# Every endpoint of one Piccolo CRUD table: (method, path under the table, is a write).
ENDPOINTS = (
    ("GET", "", False),
    ("GET", f"{MISSING}/", False),
    ("GET", "ids/", False),
    ("GET", "count/", False),
    ("GET", "references/", False),
    ("GET", "schema/", False),
    ("GET", "new/", False),
    ("POST", "", True),
    ("PATCH", f"{MISSING}/", True),
    ("PUT", f"{MISSING}/", True),
    ("DELETE", f"{MISSING}/", True),
    ("DELETE", "?id=1", True),  # bulk delete
)
READ_ONLY = "Только для чтения."
SECURITY_HEADERS = {
    "cache-control": "no-store",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@pytest.fixture
async def world(db: object) -> AdminWorld:
    return await make_world()


async def session_of(world: AdminWorld, role: str) -> tuple[str, str]:
    """A real session token (and the CSRF token) for this role, from the real login."""
    async with world.client() as client:
        response = await login(client, role)
        assert response.status_code == 200, response.text
        return client.cookies["id"], client.cookies["csrftoken"]


async def call(
    world: AdminWorld,
    method: str,
    path: str,
    cookies: list[str] | list[bytes],
    *,
    csrf: str = "",
    body: Any = None,
) -> httpx.Response:
    headers = [("cookie", value) for value in cookies]
    if csrf:
        headers.append(("x-csrftoken", csrf))
    async with world.client() as client:
        return await client.request(method, path, headers=headers, json=body)


async def role_of(user_id: int) -> list[dict[str, Any]]:
    return await StaffRoleTable.select(StaffRoleTable.role).where(StaffRoleTable.user == user_id)


@pytest.mark.parametrize(
    "cookie",
    [
        'pref={"a":1}; id={session}; csrftoken={csrf}',
        'pref="unterminated; id={session}; csrftoken={csrf}',
        "pref=a,b; id={session}; csrftoken={csrf}",
        "id={session}; csrftoken={csrf}; pref=\\x00",
        "=oops; id={session}; csrftoken={csrf}",
    ],
)
async def test_an_operator_with_odd_cookies_still_cannot_read_or_raise_roles(
    world: AdminWorld, cookie: str
) -> None:
    session, csrf = await session_of(world, "operator")
    header = cookie.replace("{session}", session).replace("{csrf}", csrf)
    listing = await call(world, "GET", "/admin/api/tables/staff_roles/", [header])
    row = await StaffRoleTable.select(StaffRoleTable.id).where(
        StaffRoleTable.user == world.users["operator"]
    )
    patch = await call(
        world,
        "PATCH",
        f"/admin/api/tables/staff_roles/{row[0]['id']}/",
        [header],
        csrf=csrf,
        body={"role": "admin"},
    )
    assert listing.status_code in (401, 403), listing.text
    assert patch.status_code in (401, 403), patch.text
    assert await role_of(world.users["operator"]) == [{"role": "operator"}]


async def test_with_several_cookie_headers_the_gate_and_piccolo_see_the_same_session(
    world: AdminWorld,
) -> None:
    operator, _ = await session_of(world, "operator")
    admin, _ = await session_of(world, "admin")
    for first, second, who in ((operator, admin, "admin"), (admin, operator, "operator")):
        headers = [f'pref={{"x":1}}; id={first}', f"id={second}"]
        me = await call(world, "GET", "/admin/api/user/", headers)
        roles = await call(world, "GET", "/admin/api/tables/staff_roles/", headers)
        assert me.status_code == 200
        assert me.json()["username"] == who
        assert roles.status_code == (200 if who == "admin" else 403)
    split = await call(world, "GET", "/admin/api/tables/staff_roles/", ["pref=1", f"id={operator}"])
    assert split.status_code == 403


@pytest.mark.parametrize(
    "cookies",
    [
        [],
        [""],
        ["id="],
        ["id=not-a-session"],
        ['id="'],
        [";;;"],
        ["id=" + "x" * 5000],
        ["id=caf\u00e9".encode()],
    ],
)
async def test_what_cannot_be_attributed_is_401_from_the_gate_on_every_path(
    world: AdminWorld, cookies: list[str]
) -> None:
    for method, path in (
        ("GET", "/admin/api/tables/"),
        ("GET", "/admin/api/tables/waitlist_requests/"),
        ("GET", "/admin/api/user/"),
        ("GET", "/admin/api/links/"),
        ("GET", "/admin/api/forms/выгрузить-лиды/schema/"),
        ("POST", "/admin/api/change-password/"),
        ("GET", "/admin/api/openapi.json"),
        ("GET", "/admin/api/anything/"),
    ):
        response = await call(world, method, path, cookies)
        assert response.status_code == 401, (method, path, response.text)
        assert response.json() == {"detail": "Войдите в админку."}


async def test_a_deleted_role_row_a_deactivated_user_and_dead_sessions_are_401(
    world: AdminWorld,
) -> None:
    operator, _ = await session_of(world, "operator")
    manager, _ = await session_of(world, "manager")
    admin, _ = await session_of(world, "admin")
    for token in (operator, manager, admin):
        ok = await call(world, "GET", "/admin/api/tables/", [f"id={token}"])
        assert ok.status_code == 200

    await StaffRoleTable.delete().where(StaffRoleTable.user == world.users["operator"])
    await BaseUser.update({BaseUser.active: False}).where(BaseUser.id == world.users["manager"])
    await SessionsBase.update(
        {SessionsBase.max_expiry_date: datetime.now() - timedelta(seconds=1)}
    ).where(SessionsBase.token == admin)

    for token in (operator, manager, admin):
        for path in ("/admin/api/tables/", "/admin/api/tables/waitlist_requests/"):
            response = await call(world, "GET", path, [f"id={token}"])
            assert response.status_code == 401, (path, response.text)


@pytest.mark.parametrize("role", ROLES)
async def test_every_table_endpoint_answers_each_role_as_the_policy_says(
    world: AdminWorld, role: str
) -> None:
    session, csrf = await session_of(world, role)
    cookies = [f"id={session}; csrftoken={csrf}"]
    for table, readers in READ.items():
        for method, rest, is_write in ENDPOINTS:
            path = f"/admin/api/tables/{table}/{rest}"
            response = await call(world, method, path, cookies, csrf=csrf, body={})
            if role not in readers:
                expected: set[int] = {403}
            elif is_write and role not in WRITE.get(table, set()):
                expected = {405}
            else:
                expected = set()  # allowed: whatever Piccolo answers, never a refusal
            if expected:
                assert response.status_code in expected, (role, method, path, response.text)
            else:  # Piccolo may still answer 404, 422 or its own 405 (no bulk delete)
                assert response.status_code not in (401, 403), (method, path, response.text)
                assert READ_ONLY not in response.text, (method, path)
            assert "gAAAA" not in response.text


async def test_operators_see_no_other_staff_members_emails_or_flags(world: AdminWorld) -> None:
    session, _ = await session_of(world, "operator")
    for query in ("", "?__visible_fields=id,email,superuser,admin,active"):
        listing = await call(
            world, "GET", f"/admin/api/tables/piccolo_user/{query}", [f"id={session}"]
        )
        assert listing.status_code == 200
        rows = listing.json()["rows"]
        assert len(rows) == 4
        assert all(set(row) <= {"id", "username"} for row in rows), rows
        if not query:
            assert {row["username"] for row in rows} >= {"operator", "manager", "admin"}
    detail = await call(
        world,
        "GET",
        f"/admin/api/tables/piccolo_user/{world.users['admin']}/?__visible_fields=email",
        [f"id={session}"],
    )
    assert detail.status_code == 200
    assert "email" not in detail.json()
    manager, _ = await session_of(world, "manager")
    managers_view = await call(world, "GET", "/admin/api/tables/piccolo_user/", [f"id={manager}"])
    assert "email" in managers_view.json()["rows"][0]


async def test_piccolo_behind_the_gate_refuses_by_itself_what_the_role_may_not_do(
    db: object,
) -> None:
    """The validators alone: requests sent straight to Piccolo Admin, past the gate."""
    world = await make_world(page_size=25)
    inner = world.admin
    while not isinstance(inner, AdminRouter):  # unwrap down to Piccolo Admin itself
        inner = inner._app
    session, csrf = await session_of(world, "operator")
    request_id = await world.add_request()
    role_row = await StaffRoleTable.select(StaffRoleTable.id).where(
        StaffRoleTable.user == world.users["operator"]
    )
    transport = httpx.ASGITransport(app=inner, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        headers = {"cookie": f"id={session}; csrftoken={csrf}", "x-csrftoken": csrf}
        roles = await client.get("/api/tables/staff_roles/", headers=headers)
        raise_role = await client.patch(
            f"/api/tables/staff_roles/{role_row[0]['id']}/", json={"role": "admin"}, headers=headers
        )
        all_columns = await client.get("/api/tables/waitlist_requests/", headers=headers)
        hidden = await client.get(
            "/api/tables/waitlist_requests/?__visible_fields=id,contact_index", headers=headers
        )
        count_by_index = await client.get(
            "/api/tables/waitlist_requests/count/?contact_index=x", headers=headers
        )
        shown = await client.get(
            f"/api/tables/waitlist_requests/{request_id}/?__visible_fields=id,status",
            headers=headers,
        )
        change = await client.patch(
            f"/api/tables/waitlist_requests/{request_id}/",
            json={"status": "booked"},
            headers=headers,
        )
        export = await client.post("/api/forms/выгрузить-лиды/", json={}, headers=headers)
    assert roles.status_code == 403
    assert raise_role.status_code == 403
    assert all_columns.status_code == 403
    assert hidden.status_code == 403
    assert count_by_index.status_code == 403
    assert shown.status_code == 200, shown.text
    assert change.status_code == 405
    assert export.status_code == 403
    assert await role_of(world.users["operator"]) == [{"role": "operator"}]


async def test_unknown_admin_paths_are_404_and_docs_are_not_served(world: AdminWorld) -> None:
    session, _ = await session_of(world, "admin")
    for path in ("/admin/public/docs/", "/admin/public/openapi.json", "/admin/whatever"):
        assert (await call(world, "GET", path, [])).status_code == 404, path
    for path in ("/admin/api/openapi.json", "/admin/api/docs/", "/admin/api/media/"):
        response = await call(world, "GET", path, [f"id={session}"])
        assert response.status_code == 403, path


async def test_every_admin_answer_forbids_caching_framing_and_referrers(
    world: AdminWorld,
) -> None:
    session, _ = await session_of(world, "operator")
    answers = [
        await call(world, "GET", "/admin/", []),
        await call(world, "GET", "/admin/public/meta/", []),
        await call(world, "GET", "/admin/api/tables/", []),
        await call(world, "GET", "/admin/api/tables/", [f"id={session}"]),
        await call(world, "GET", "/admin/api/tables/waitlist_requests/", [f"id={session}"]),
        await call(world, "GET", "/admin/api/tables/staff_roles/", [f"id={session}"]),
        await call(world, "GET", "/admin/dashboard/", [f"id={session}"]),
        await call(world, "GET", "/admin/nowhere", []),
    ]
    for response in answers:
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get_list(name) == [value], (response.url, name)


async def test_the_dashboard_link_and_page_are_for_managers_and_admins_only(
    world: AdminWorld,
) -> None:
    anonymous = await call(world, "GET", "/admin/dashboard/", [])
    assert anonymous.status_code in (401, 303)
    for role in ROLES:
        session, _ = await session_of(world, role)
        links = await call(world, "GET", "/admin/api/links/", [f"id={session}"])
        page = await call(world, "GET", "/admin/dashboard/", [f"id={session}"])
        if role == "operator":
            assert links.json() == {}
            assert page.status_code == 403
        else:
            assert "/admin/dashboard/" in links.json().values()
            assert page.status_code in (200, 403)
