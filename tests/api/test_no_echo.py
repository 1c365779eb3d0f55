"""A contact typed into the wrong field never comes back: not in an error body, not in a log.

Every field of the public write endpoints gets a contact-like value (as a string, where a
number, a boolean or an id belongs, as an unknown field's name) and the answer and the logs
are searched for it.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from api.errors import safe_validation_message
from composition.logs import QUIET
from tests.api.test_rate_limit import SLUG, app_with, client_for

pytestmark = pytest.mark.anyio

PHONE = "+7 916 555-12-34"
EMAIL = "leak.me@example.org"
DIGITS = "9165551234"

WAITLIST = {
    "service_slug": SLUG,
    "preferred_contact_method": "email",
    "contact_value": "someone@example.org",
    "preferred_time_window": "any",
    "consents": {"personal_data": True, "communications": True, "version": "2026-11-01"},
}
HOLD = {
    "slot_id": "8a0f5a0e-6e4b-4c36-9a55-3c1f1d7a6b10",
    "client": {"name": "Анна", "email": "anna@example.org", "phone": "+79160000000"},
    "consents": {"personal_data": True, "communications": True, "version": "2026-11-01"},
}
EVENT = {"name": "show_no_slots", "properties": {"service_slug": SLUG}}
ENDPOINTS = {"/api/public/waitlist": WAITLIST, "/api/public/appointments": HOLD}
ENDPOINTS["/api/public/events"] = EVENT


def paths(body: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for key, value in body.items():
        yield (*prefix, key)
        if isinstance(value, dict):
            yield from paths(value, (*prefix, key))


def with_value(body: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


def with_unknown_field(body: dict[str, Any], path: tuple[str, ...], name: str) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[name] = 1
    return changed


def cases() -> Iterator[tuple[str, dict[str, Any]]]:
    for url, body in ENDPOINTS.items():
        for path in paths(body):
            for contact in (PHONE, EMAIL):
                yield url, with_value(body, path, contact)
                yield url, with_value(body, path, [contact])
                yield url, with_value(body, path, {contact: contact})
                yield url, with_unknown_field(body, path, contact)
        yield url, {**body, EMAIL: PHONE}


CASES = list(cases())


@pytest.mark.parametrize(("url", "body"), CASES, ids=[f"{u}-{i}" for i, (u, _) in enumerate(CASES)])
async def test_a_contact_in_any_field_is_not_echoed_in_the_answer_or_the_logs(
    url: str, body: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with client_for(app_with(None)) as client:
        response = await client.post(url, json=body)
    seen = response.text + "\n".join(
        record.getMessage() + repr(record.__dict__)
        for record in caplog.records
        if not record.name.startswith(QUIET)  # kept at WARNING by the service's logging
    )
    for secret in (PHONE, EMAIL, DIGITS, "leak.me", "555-12-34"):
        assert secret not in seen, (response.status_code, response.text)


async def test_a_schema_error_still_says_where_and_what_kind() -> None:
    async with client_for(app_with(None)) as client:
        response = await client.post(
            "/api/public/appointments", json=with_value(HOLD, ("slot_id",), PHONE)
        )
    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == "invalid_request"
    assert problem["errors"][0]["key"] == "slot_id" or "slot_id" in problem["detail"]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Object contains unknown field `+7 916 555-12-34`", "Object contains an unknown field"),
        ("Invalid enum value 'leak.me@example.org'", "Invalid enum value"),
        ("Expected `int`, got `str`", "Expected `int`, got `str`"),
        ("Expected `str` of length <= 64", "Expected `str` of length <= 64"),
        ("Object missing required field `slot_id`", "Object missing required field `slot_id`"),
        ("Unexpected value `+7 916 555-12-34`", "Unexpected value `…`"),
        ("Unexpected value `leak.me@example.org`", "Unexpected value `…`"),
        ("Unexpected value '9165551234'", "Unexpected value '…'"),
    ],
)
def test_validation_messages_keep_the_schema_and_drop_the_value(
    message: str, expected: str
) -> None:
    assert safe_validation_message(message) == expected
