"""The dashboard over HTTP, behind the admin's own session: managers and admins only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.admin_world import AdminWorld, login, make_world
from tests.support.dashboard_world import (
    CIPHERTEXT,
    add_event,
    add_payment,
    add_request,
    add_service,
)

pytestmark = [pytest.mark.anyio, pytest.mark.db]

DASHBOARD = "/admin/dashboard/"
LINK = {"Панель руководителя": DASHBOARD}


@pytest.fixture
async def world(db: object) -> AdminWorld:
    world = await make_world()
    now = datetime.now(UTC)
    service = await add_service("Семейная консультация")
    await add_request(service, now - timedelta(days=2), window="evening")
    await add_request(
        service, now - timedelta(days=1), window="evening", status="booked", assigned_at=now
    )
    await add_event("show_no_slots", now - timedelta(days=3))
    await add_event("waitlist_submitted", now - timedelta(days=2))
    await add_payment(service, now - timedelta(hours=5), "succeeded")
    return world


async def test_anonymous_visitors_are_sent_to_the_login(world: AdminWorld) -> None:
    async with world.client() as client:
        response = await client.get(DASHBOARD)
    assert response.status_code in (401, 303)
    if response.status_code == 303:
        assert response.headers["location"] == "/admin/"
    assert "Воронка" not in response.text


async def test_an_operator_gets_403_and_no_figures(world: AdminWorld) -> None:
    async with world.client() as client:
        assert (await login(client, "operator")).status_code == 200
        response = await client.get(DASHBOARD)
        links = (await client.get("/admin/api/links/")).json()
    assert response.status_code == 403
    assert "Воронка" not in response.text
    assert "Семейная консультация" not in response.text
    assert links == {}  # the sidebar does not offer what would be refused


async def test_an_account_without_a_role_gets_nothing(world: AdminWorld) -> None:
    async with world.client() as client:
        await login(client, "none")
        response = await client.get(DASHBOARD)
    assert response.status_code in (401, 403, 303)
    assert "Воронка" not in response.text


@pytest.mark.parametrize("role", ["manager", "admin"])
async def test_managers_and_admins_see_the_dashboard_without_any_contact(
    world: AdminWorld, role: str
) -> None:
    async with world.client() as client:
        assert (await login(client, role)).status_code == 200
        response = await client.get(DASHBOARD)
        links = (await client.get("/admin/api/links/")).json()

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    body = response.text
    assert body.count("<svg ") == 3
    assert "Семейная консультация" in body
    assert "Платежей за период: 1. По статусам: оплачен — 1." in body
    assert "Оставили заявку — 1" in body
    assert "gAAAA" not in body
    assert CIPHERTEXT not in body
    assert links == LINK


async def test_the_dashboard_without_its_slash_redirects_to_it(world: AdminWorld) -> None:
    async with world.client() as client:
        await login(client, "manager")
        response = await client.get(DASHBOARD.rstrip("/"))
    assert response.status_code in (301, 302, 307, 308)
    assert response.headers["location"].endswith(DASHBOARD)
