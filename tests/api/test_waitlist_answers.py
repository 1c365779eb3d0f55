"""``POST /api/public/waitlist`` is no membership oracle: one answer for everyone (fake ports).

Whether a person is already on the waitlist must not show in the answer: not in the status, the
body or any header. Only ``date`` may differ between two answers.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from domain.crm import WaitlistStatus
from tests.api.test_rate_limit import SLUG, app_with, client_for
from tests.support.fakes import InMemoryUnitOfWorkFactory

pytestmark = pytest.mark.anyio

EMAIL = "secret.person@example.org"


def body(contact: str = EMAIL, method: str = "email") -> dict[str, Any]:
    return {
        "service_slug": SLUG,
        "preferred_contact_method": method,
        "contact_value": contact,
        "preferred_time_window": "evening",
        "consents": {"personal_data": True, "communications": True, "version": "2026-11-01"},
    }


def answer(response: httpx.Response) -> tuple[int, bytes, list[tuple[str, str]]]:
    """Everything a client sees but the ``date`` header."""
    headers = [(k.lower(), v) for k, v in response.headers.multi_items() if k.lower() != "date"]
    return response.status_code, response.content, sorted(headers)


async def test_a_new_contact_is_answered_202_accepted_and_nothing_else() -> None:
    async with client_for(app_with(None)) as client:
        response = await client.post("/api/public/waitlist", json=body())

    assert response.status_code == 202
    assert response.content == b'{"status":"accepted"}'
    assert response.headers["content-type"] == "application/json"
    assert not {"location", "etag", "x-request-id"} & set(response.headers)


@pytest.mark.parametrize(
    ("contact", "method"),
    [(EMAIL, "email"), ("+7 999 123-45-67", "phone"), ("@secret_person_42", "telegram")],
)
async def test_a_repeat_is_answered_byte_for_byte_like_a_new_contact(
    contact: str, method: str
) -> None:
    uow = InMemoryUnitOfWorkFactory()
    async with client_for(app_with(None, uow)) as client:
        first = await client.post("/api/public/waitlist", json=body(contact, method))
        repeat = await client.post("/api/public/waitlist", json=body(contact, method))
        stranger = await client.post("/api/public/waitlist", json=body("someone.else@example.org"))

    assert answer(first) == answer(repeat) == answer(stranger)
    # and the test can fail: the repeat really was a repeat, the stranger a new request
    assert len(uow.store.waitlist) == 2


async def test_a_repeat_after_the_request_was_closed_is_answered_alike() -> None:
    uow = InMemoryUnitOfWorkFactory()
    async with client_for(app_with(None, uow)) as client:
        first = await client.post("/api/public/waitlist", json=body())
        for request in uow.store.waitlist.values():
            request.status = WaitlistStatus.DECLINED
        again = await client.post("/api/public/waitlist", json=body())

    assert answer(first) == answer(again)
    assert len(uow.store.waitlist) == 2


async def test_the_openapi_document_promises_202_accepted_only() -> None:
    async with client_for(app_with(None)) as client:
        document = (await client.get("/schema/openapi.json")).json()

    responses = document["paths"]["/api/public/waitlist"]["post"]["responses"]
    assert "202" in responses and not {"200", "201"} & set(responses)
    ref = responses["202"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert schema["properties"] == {"status": {"type": "string", "const": "accepted"}}
    assert schema["required"] == ["status"]


@pytest.mark.parametrize(
    "properties",
    [
        {"tg_flow": "concierge"},
        {"tg_flow": "concierge", "service_slug": SLUG, "placement": "waitlist_success"},
    ],
)
async def test_a_concierge_click_in_the_seeds_shape_is_accepted(
    properties: dict[str, str],
) -> None:
    async with client_for(app_with(None)) as client:
        response = await client.post(
            "/api/public/events", json={"name": "cta_tg_click", "properties": properties}
        )

    assert response.status_code == 202, response.text


@pytest.mark.parametrize(
    "properties", [{}, {"service_slug": SLUG}, {"tg_flow": "booking"}, {"tg_flow": None}]
)
async def test_a_concierge_click_without_an_allowed_tg_flow_is_refused(
    properties: dict[str, Any],
) -> None:
    async with client_for(app_with(None)) as client:
        response = await client.post(
            "/api/public/events", json={"name": "cta_tg_click", "properties": properties}
        )

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_tracking_event"
