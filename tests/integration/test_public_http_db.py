"""The real app (``build_app``) over real HTTP on the real database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from adapters.settings import load_settings
from composition.container import build_container
from composition.database import close_database
from composition.web import build_app
from tables.core.tables import AppointmentTable, ConsentRecordTable, SlotTable
from tables.demo import seed_demo
from tests.conftest import TEST_BLIND_INDEX_KEY, TEST_FERNET_KEYS
from tests.support.live_server import live_server

pytestmark = [pytest.mark.anyio, pytest.mark.db]

NAME = "Секретная Клиентка"
EMAIL = "secret.client@example.org"
PHONE_RAW = "8 (916) 555-12-34"
PHONE_E164 = "+79165551234"
USER_AGENT = "PrivateBrowser/42.0"


def body(slot_id: object, n: int = 0) -> dict[str, Any]:
    return {
        "slot_id": str(slot_id),
        "client": {"name": f"{NAME} {n}", "email": EMAIL, "phone": PHONE_RAW},
        "consents": {"personal_data": True, "communications": True, "version": "2026-11-01"},
    }


@pytest.fixture
async def seeded(db: object) -> list[Any]:
    """Demo data; yields free future slot ids. The test's pool is closed: the server opens one."""
    await seed_demo()
    rows = (
        await SlotTable.select(SlotTable.id)
        .where(
            (SlotTable.status == "free")
            & (SlotTable.starts_at > datetime.now(UTC) + timedelta(hours=1))
        )
        .order_by(SlotTable.starts_at)
        .limit(3)
    )
    assert len(rows) == 3
    await close_database(db)
    return [row["id"] for row in rows]


@contextmanager
def serving() -> Iterator[str]:
    """The real app in uvicorn. The engine (and on PostgreSQL its pool) belongs to the server's
    event loop while it runs, so the test reads the database only before and after."""
    app = build_app(build_container(load_settings()))
    with live_server(app) as url:
        yield url


async def test_eight_concurrent_http_holds_of_one_slot_give_one_201_and_seven_409(
    seeded: list[Any],
) -> None:
    slot_id = seeded[0]
    with serving() as server:
        async with httpx.AsyncClient(base_url=server, timeout=60) as client:
            responses = await asyncio.gather(
                *(client.post("/api/public/appointments", json=body(slot_id, n)) for n in range(8))
            )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 7, [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["code"] == "slot_not_available"
    assert await AppointmentTable.count().where(AppointmentTable.slot == slot_id) == 1
    assert await ConsentRecordTable.count() == 2  # personal data + communications, once
    assert await SlotTable.select(SlotTable.status).where(SlotTable.id == slot_id).first() == {
        "status": "held"
    }


async def test_the_public_endpoints_answer_over_http(seeded: list[Any]) -> None:
    with serving() as server:
        async with httpx.AsyncClient(base_url=server, timeout=30) as client:
            health = await client.get("/health")
            ready = await client.get("/ready")
            services = await client.get("/api/public/services")
            slugs = [s["slug"] for s in services.json()]
            availability = {
                slug: (await client.get(f"/api/public/services/{slug}/availability")).json()
                for slug in slugs
            }
            openapi = await client.get("/schema/openapi.json")

    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert services.status_code == 200
    assert any(not a["no_slots"] for a in availability.values())
    assert any(a["no_slots"] for a in availability.values())
    assert "/api/public/appointments" in openapi.json()["paths"]


async def test_a_bad_hold_over_http_writes_nothing(seeded: list[Any]) -> None:
    slot_id = seeded[0]
    bad = body(slot_id)
    bad["consents"]["personal_data"] = False
    with serving() as server:
        async with httpx.AsyncClient(base_url=server, timeout=30) as client:
            refused = await client.post("/api/public/appointments", json=bad)
            unknown = await client.post("/api/public/appointments", json={**body(slot_id), "x": 1})

    assert refused.status_code == 422 and refused.json()["code"] == "consent_required"
    assert unknown.status_code == 400 and unknown.json()["code"] == "invalid_request"
    assert await AppointmentTable.count() == 0
    assert await ConsentRecordTable.count() == 0
    assert await SlotTable.count().where(SlotTable.status != "free") == 0


async def test_a_hold_through_the_real_app_logs_no_contact_and_no_key_material(
    seeded: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    slot_id = seeded[0]
    invalid = body(seeded[1])
    invalid["client"]["email"] = "not-an-email@@example.org"
    caplog.set_level(logging.DEBUG)
    with serving() as server:
        async with httpx.AsyncClient(base_url=server, timeout=30) as client:
            headers = {"User-Agent": USER_AGENT}
            created = await client.post(
                "/api/public/appointments", json=body(slot_id), headers=headers
            )
            conflict = await client.post(
                "/api/public/appointments", json=body(slot_id), headers=headers
            )
            refused = await client.post("/api/public/appointments", json=invalid)

    assert created.status_code == 201
    assert conflict.status_code == 409
    assert refused.status_code == 422
    logged = caplog.text + "\n".join(str(r.__dict__) for r in caplog.records)
    assert caplog.records, "the DEBUG capture saw nothing: the test would prove nothing"
    for secret in (
        NAME,
        EMAIL,
        "secret.client",
        PHONE_E164,
        PHONE_RAW,
        "9165551234",
        USER_AGENT,
        "not-an-email",
        TEST_FERNET_KEYS,
        TEST_FERNET_KEYS[:16],
        TEST_BLIND_INDEX_KEY,
    ):
        assert secret not in logged, secret
    stored = str(await AppointmentTable.select()) + str(await ConsentRecordTable.select())
    for secret in (NAME, EMAIL, PHONE_E164, USER_AGENT):
        assert secret not in stored
