"""The public API on the app factory with fake ports: exact shapes and RFC 9457 problems."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.dependencies import ApiPorts
from domain.contacts import ContactNormaliser
from domain.use_cases.get_availability import GetAvailabilityUseCase
from domain.use_cases.hold_slot import HoldSlotUseCase
from domain.use_cases.list_services import ListServicesUseCase
from tests.api.public_app import PublicApp, SwitchableProbe, public_app
from tests.support.fakes import FakeEmailParser, FakeEncryptor, FakePhoneParser, FixedClock

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


@pytest.fixture
def api() -> PublicApp:
    return public_app()


@pytest.fixture
def client(api: PublicApp) -> Iterator[TestClient[Any]]:
    with TestClient(api.app) as test_client:
        yield test_client


def hold_body(slot: object, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "slot_id": str(slot),
        "client": {
            "name": "Анна Петрова",
            "email": "Anna@Example.com",
            "phone": "+7 999 123-45-67",
        },
        "consents": {"personal_data": True, "communications": False, "version": "2026-11-01"},
    }
    for path, value in changes.items():
        target = body
        *parents, leaf = path.split("__")
        for parent in parents:
            target = target[parent]
        if value is _DROP:
            target.pop(leaf)
        else:
            target[leaf] = value
    return body


_DROP = object()


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith(code.replace("_", "-"))
    assert body["title"] and body["detail"]
    return dict(body)


def test_services_lists_active_services_with_money_as_strings(client: TestClient[Any]) -> None:
    response = client.get("/api/public/services")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    # Both fake services share a title, so they come ordered by slug.
    assert response.json() == [
        {
            "slug": "couples-session",
            "title": "Индивидуальная консультация",
            "duration_minutes": 50,
            "price": {"value": "8000.00", "currency": "RUB"},
            "deposit": None,
        },
        {
            "slug": "individual-session",
            "title": "Индивидуальная консультация",
            "duration_minutes": 50,
            "price": {"value": "5000.00", "currency": "RUB"},
            "deposit": {"value": "1500.00", "currency": "RUB"},
        },
    ]


def test_availability_has_the_exact_shape(api: PublicApp, client: TestClient[Any]) -> None:
    slot = api.slots["tomorrow"]

    response = client.get("/api/public/services/individual-session/availability")

    assert response.status_code == 200
    assert response.json() == {
        "service_slug": "individual-session",
        "slots": [
            {
                "slot_id": str(slot.id),
                "starts_at": "2026-11-23T09:00:00Z",
                "ends_at": "2026-11-23T09:50:00Z",
            }
        ],
        "no_slots": False,
        "no_slots_url": "/booking/no-slots/?service=individual-session",
    }


def test_availability_of_a_service_without_slots_says_so(client: TestClient[Any]) -> None:
    response = client.get(
        "/api/public/services/couples-session/availability",
        params={"from": "2026-11-22", "to": "2026-11-30"},
    )
    assert response.status_code == 200
    assert response.json() == {
        "service_slug": "couples-session",
        "slots": [],
        "no_slots": True,
        "no_slots_url": "/booking/no-slots/?service=couples-session",
    }


def test_availability_honours_the_date_range(client: TestClient[Any]) -> None:
    response = client.get(
        "/api/public/services/individual-session/availability",
        params={"from": "2026-11-24", "to": "2026-11-30"},
    )
    assert response.status_code == 200
    assert response.json()["slots"] == []


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/api/public/services/nope/availability", {}, 404, "service_not_found"),
        ("/api/public/services/retired-session/availability", {}, 404, "service_not_found"),
        ("/api/public/services/Bad_Slug!/availability", {}, 400, "invalid_request"),
        (
            "/api/public/services/individual-session/availability",
            {"from": "2026-13-01"},
            400,
            "invalid_request",
        ),
        (
            "/api/public/services/individual-session/availability",
            {"to": "tomorrow"},
            400,
            "invalid_request",
        ),
        (
            "/api/public/services/individual-session/availability",
            {"from": "2026-12-02", "to": "2026-12-01"},
            422,
            "validation_failed",
        ),
        (
            "/api/public/services/individual-session/availability",
            {"from": "2026-12-01", "to": "2027-12-01"},
            422,
            "validation_failed",
        ),
    ],
)
def test_bad_availability_requests_are_problems(
    client: TestClient[Any], path: str, params: dict[str, str], status: int, code: str
) -> None:
    assert_problem(client.get(path, params=params), status, code)


def test_holding_a_slot_answers_201_with_the_exact_shape(
    api: PublicApp, client: TestClient[Any]
) -> None:
    slot = api.slots["tomorrow"]

    response = client.post("/api/public/appointments", json=hold_body(slot.id))

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"appointment_id", "status", "hold_expires_at"}
    appointment_id = UUID(body["appointment_id"])
    assert body["status"] == "pending_payment"
    assert body["hold_expires_at"] == "2026-11-22T09:30:00Z"
    stored = api.uow.store.appointments[appointment_id]
    assert stored.slot_id == slot.id
    assert api.uow.store.slots[slot.id].status.value == "held"
    assert "example.com" not in repr(stored.client)
    assert "Анна" not in repr(stored.client)


def test_a_second_hold_of_the_same_slot_is_a_conflict(
    api: PublicApp, client: TestClient[Any]
) -> None:
    slot = api.slots["tomorrow"]
    assert client.post("/api/public/appointments", json=hold_body(slot.id)).status_code == 201
    before = copy.deepcopy(api.uow.store.__dict__)

    response = client.post("/api/public/appointments", json=hold_body(slot.id))

    assert_problem(response, 409, "slot_not_available")
    assert api.uow.store.__dict__ == before


def test_the_consent_evidence_records_the_client_ip_and_user_agent_encrypted(
    api: PublicApp, client: TestClient[Any]
) -> None:
    response = client.post(
        "/api/public/appointments",
        json=hold_body(api.slots["tomorrow"].id),
        headers={"User-Agent": "Mozilla/5.0 test", "X-Forwarded-For": "203.0.113.9"},
    )
    assert response.status_code == 201
    (record,) = api.uow.store.consents
    evidence = FakeEncryptor().decrypt(record.evidence_ciphertext or "")
    ip, user_agent = evidence.split("\n")
    assert user_agent == "Mozilla/5.0 test"
    # No trusted proxy is configured: the forwarded header is not believed.
    assert ip != "203.0.113.9"


BAD_HOLDS: list[tuple[str, Any, int, str]] = [
    ("unknown top-level field", {"amount": "1.00"}, 400, "invalid_request"),
    ("unknown client field", {"client__telegram": "@anna"}, 400, "invalid_request"),
    ("unknown consent field", {"consents__marketing": True}, 400, "invalid_request"),
    ("malformed slot id", {"slot_id": "not-a-uuid"}, 400, "invalid_request"),
    ("numeric slot id", {"slot_id": 42}, 400, "invalid_request"),
    ("missing slot id", {"slot_id": _DROP}, 400, "invalid_request"),
    ("missing client", {"client": _DROP}, 400, "invalid_request"),
    ("missing consents", {"consents": _DROP}, 400, "invalid_request"),
    ("missing name", {"client__name": _DROP}, 400, "invalid_request"),
    ("too long name", {"client__name": "я" * 201}, 400, "invalid_request"),
    ("blank name", {"client__name": "   "}, 422, "validation_failed"),
    ("no contact at all", {"client__email": None, "client__phone": None}, 422, "contact_required"),
    ("empty contacts", {"client__email": "", "client__phone": " "}, 422, "contact_required"),
    ("invalid email", {"client__email": "anna@@example"}, 422, "invalid_contact"),
    ("invalid phone", {"client__phone": "12345"}, 422, "invalid_contact"),
    ("no personal-data consent", {"consents__personal_data": False}, 422, "consent_required"),
    ("consent as a string", {"consents__personal_data": "yes"}, 400, "invalid_request"),
    (
        "unknown consent version",
        {"consents__version": "1999-01-01"},
        422,
        "unknown_consent_version",
    ),
    ("malformed consent version", {"consents__version": "../../etc"}, 400, "invalid_request"),
    ("unknown slot", {"slot_id": str(uuid4())}, 404, "slot_not_found"),
]


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [(c, s, k) for _, c, s, k in BAD_HOLDS],
    ids=[name for name, *_ in BAD_HOLDS],
)
def test_a_bad_hold_is_a_problem_and_writes_nothing(
    api: PublicApp, client: TestClient[Any], changes: Any, status: int, code: str
) -> None:
    before = copy.deepcopy(api.uow.store.__dict__)
    body = hold_body(api.slots["tomorrow"].id, **changes)

    response = client.post("/api/public/appointments", json=body)

    problem = assert_problem(response, status, code)
    assert api.uow.store.__dict__ == before
    for leaked in ("anna@@example", "12345", "Анна", "example.com"):
        assert leaked not in response.text
    assert "Traceback" not in str(problem)


def test_a_slot_that_has_started_is_a_problem_and_writes_nothing(
    api: PublicApp, client: TestClient[Any]
) -> None:
    before = copy.deepcopy(api.uow.store.__dict__)
    response = client.post("/api/public/appointments", json=hold_body(api.slots["past"].id))
    assert_problem(response, 422, "slot_in_past")
    assert api.uow.store.__dict__ == before


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b"{not json", {"Content-Type": "application/json"}),
        (b"[]", {"Content-Type": "application/json"}),
        (b"", {"Content-Type": "application/json"}),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_problem(
    api: PublicApp, client: TestClient[Any], content: bytes, headers: dict[str, str]
) -> None:
    response = client.post("/api/public/appointments", content=content, headers=headers)
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"]
    assert api.uow.store.appointments == {}


def test_an_oversized_body_is_refused(api: PublicApp, client: TestClient[Any]) -> None:
    body = hold_body(api.slots["tomorrow"].id, client__name="я" * 70_000)
    response = client.post("/api/public/appointments", json=body)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert api.uow.store.appointments == {}


def test_an_unknown_route_is_a_problem(client: TestClient[Any]) -> None:
    assert_problem(client.get("/api/public/nothing-here"), 404, "not_found")
    assert_problem(client.get("/api/public/appointments"), 405, "method_not_allowed")


def test_an_unexpected_error_is_a_generic_problem_without_details(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Boom(RuntimeError):
        pass

    def broken_database() -> Any:
        raise Boom("secret detail anna@example.com")

    ports = ApiPorts(
        list_services=ListServicesUseCase(uow=broken_database),
        get_availability=GetAvailabilityUseCase(uow=broken_database, clock=FixedClock()),
        hold_slot=HoldSlotUseCase(
            uow=broken_database,
            clock=FixedClock(),
            encryptor=FakeEncryptor(),
            contacts=ContactNormaliser(
                phone_parser=FakePhoneParser(), email_parser=FakeEmailParser()
            ),
        ),
        readiness=SwitchableProbe(),
    )
    with (
        caplog.at_level(logging.DEBUG),
        TestClient(create_app(ports), raise_server_exceptions=False) as client,
    ):
        response = client.get("/api/public/services")

    body = assert_problem(response, 500, "internal_error")
    assert "secret" not in response.text and "Boom" not in response.text
    assert body["detail"] == "Something went wrong on our side."
    assert "Boom" in caplog.text  # the class is logged ...
    assert "secret detail" not in caplog.text  # ... never the message
