"""``409 too_many_holds``: the answer a client gets past ``MAX_ACTIVE_HOLDS_PER_CONTACT``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.api.public_app import PublicApp, public_app
from tests.api.test_public_api import assert_problem, hold_body
from tests.support.builders import a_slot


@pytest.fixture
def api() -> PublicApp:
    built = public_app()
    service = built.services["individual-session"]
    for hours in (2, 3, 4):
        slot = a_slot(service, built.clock.now() + timedelta(days=1, hours=hours))
        built.uow.store.slots[slot.id] = slot
        built.slots[f"tomorrow+{hours}h"] = slot
    return built


@pytest.fixture
def client(api: PublicApp) -> Iterator[TestClient[Any]]:
    with TestClient(app=api.app) as client:
        yield client


def test_a_third_hold_by_the_same_client_is_409_too_many_holds_in_russian(
    api: PublicApp, client: TestClient[Any]
) -> None:
    for name in ("tomorrow", "tomorrow+2h"):
        created = client.post("/api/public/appointments", json=hold_body(api.slots[name].id))
        assert created.status_code == 201, created.text

    response = client.post(
        "/api/public/appointments",
        json=hold_body(api.slots["tomorrow+3h"].id, client__email=None),
    )

    body = assert_problem(response, 409, "too_many_holds")
    assert "брон" in body["detail"]
    assert "999" not in response.text and "anna" not in response.text.lower()
    assert len(api.uow.store.appointments) == 2


def test_the_openapi_document_declares_409_too_many_holds() -> None:
    with TestClient(app=public_app().app) as client:
        document = client.get("/schema/openapi.json").json()

    conflict = document["paths"]["/api/public/appointments"]["post"]["responses"]["409"]
    assert "too_many_holds" in str(conflict)
    assert "slot_not_available" in str(conflict)
    assert "application/problem+json" in conflict["content"]
