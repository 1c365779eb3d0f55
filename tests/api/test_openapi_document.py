"""The OpenAPI document of the whole app: every documented route, and what each one declares.

The fuzzer (``test_openapi_conformance.py``) finds what a route answers but the document
leaves out; these tests hold the rules every route's declaration follows, so a new route
cannot leave out an answer the fuzzer might not reach (a body over the limit, a rate limit).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from adapters.settings import load_settings
from api.errors import (
    PROBLEM_JSON,
    PUBLIC_POST,
    RATE_LIMITED,
    WITH_INPUT,
    Problem,
    problem_responses,
)
from api.rate_limit import LIMITED_PREFIX
from composition.container import build_container
from composition.web import build_app
from domain.errors import (
    Conflict,
    ServiceNotFound,
    SlotNotAvailable,
    TooManyHolds,
    ValidationFailed,
)
from tests.api.public_app import public_app

# Answers that are not problem documents: readiness says so in its own body.
NOT_PROBLEMS = {("GET", "/ready", "503")}


@pytest.fixture(scope="module")
def app() -> Litestar:
    """The whole service as ``serve`` builds it (nothing is served: no database needed)."""
    return build_app(build_container(load_settings()))


@pytest.fixture(scope="module")
def document(app: Litestar) -> dict[str, Any]:
    with TestClient(app) as client:
        response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def documented_routes(app: Litestar) -> Iterator[tuple[str, str, bool]]:
    """(method, path template, documented?) for every HTTP handler of the app."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue  # the mounted admin and sandbox are other apps
        for handler in route.route_handlers:
            for method in handler.http_methods:
                if method in {"OPTIONS", "HEAD"}:
                    continue
                yield method, route.path_format, handler.resolve_include_in_schema()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method.upper(), path, operation


def test_the_document_is_served_where_it_always_was_and_lists_every_documented_route(
    app: Litestar, document: dict[str, Any]
) -> None:
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": "/"}]
    listed = {(method, path) for method, path, _ in operations(document)}
    routes = list(documented_routes(app))
    assert listed == {(method, path) for method, path, shown in routes if shown}
    # What is left out is what must be: pages, static files, the document itself, metrics.
    hidden = {path for _, path, shown in routes if not shown}
    assert all(
        path.startswith(("/booking/", "/privacy/", "/static/", "/schema", "/metrics"))
        for path in hidden
    ), hidden
    assert {path for _, path in listed} >= {
        "/health",
        "/ready",
        "/api/public/services",
        "/api/public/services/{slug}/availability",
        "/api/public/appointments",
        "/api/public/waitlist",
        "/api/public/booking/no-slots",
        "/api/public/events",
        "/api/public/consents/withdraw",
        "/api/public/payments",
        "/api/public/payments/{payment_id}",
        "/api/webhooks/yookassa",
    }


def test_every_error_a_route_declares_is_a_problem_document(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400 or (method, path, status) in NOT_PROBLEMS:
                continue
            content = response["content"]
            assert set(content) == {PROBLEM_JSON}, (method, path, status)
            assert content[PROBLEM_JSON]["schema"] == {"$ref": "#/components/schemas/Problem"}
            examples = content[PROBLEM_JSON]["examples"].values()
            codes = [example["value"]["code"] for example in examples]
            assert codes, (method, path, status)
            assert all(f"`{code}`" in response["description"] for code in codes)


def test_every_route_declares_the_answers_of_the_edge(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        declared = set(operation["responses"])
        if operation.get("parameters") or "requestBody" in operation:
            assert "400" in declared, (method, path)  # malformed input
        if "requestBody" in operation:
            assert "413" in declared, (method, path)  # over the body limit
        if method == "POST" and path.startswith(LIMITED_PREFIX):
            assert "429" in declared, (method, path)  # api/rate_limit.py counts it


def test_the_routes_declare_their_domain_answers(document: dict[str, Any]) -> None:
    def declared(method: str, path: str) -> set[str]:
        return set(document["paths"][path][method]["responses"])

    assert declared("get", "/api/public/services/{slug}/availability") == {
        "200",
        "400",
        "404",
        "422",
    }
    assert declared("post", "/api/public/appointments") == {
        "201",
        "400",
        "404",
        "409",
        "413",
        "422",
        "429",
    }
    assert declared("post", "/api/public/payments") == {
        "201",
        "400",
        "404",
        "409",
        "413",
        "422",
        "429",
        "502",
        "503",
    }
    assert declared("get", "/api/public/payments/{payment_id}") == {"200", "400", "404"}
    assert declared("post", "/api/webhooks/yookassa") == {"200", "400", "403", "413", "502", "503"}
    assert declared("get", "/ready") == {"200", "503"}
    assert declared("get", "/health") == {"200"}


def test_the_problem_schema_is_a_component_with_the_fields_every_problem_has(
    document: dict[str, Any],
) -> None:
    schema = document["components"]["schemas"]["Problem"]
    assert set(schema["required"]) == {"type", "title", "status", "detail", "code"}
    assert set(schema["properties"]) == {"type", "title", "status", "detail", "code", "errors"}


def test_a_request_body_that_refuses_unknown_fields_says_so(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name in ("CreateAppointmentRequest", "ClientRequest", "ConsentsRequest"):
        assert schemas[name]["additionalProperties"] is False, name
    waitlist = next(v for k, v in schemas.items() if k.endswith("CreateWaitlistRequest"))
    assert waitlist["additionalProperties"] is False
    # Answers may grow a field without breaking a client: they stay open.
    assert "additionalProperties" not in schemas["Problem"]


def test_a_real_problem_body_has_only_the_fields_of_the_schema() -> None:
    with TestClient(public_app().app) as client:
        for response in (
            client.get("/api/public/services/unknown/availability"),
            client.get("/api/public/services/BAD/availability"),
            client.post("/api/public/appointments", content=b"{", headers={"content-type": "x"}),
        ):
            assert response.status_code >= 400
            body = response.json()
            assert set(body) <= set(Problem.__struct_fields__), body
            msgspec.convert(body, Problem)


class _NewConflict(Conflict):
    code = "some_new_conflict"
    message = "A conflict added later."


def test_the_responses_follow_the_one_mapping_and_list_each_code_once() -> None:
    responses = problem_responses(
        *WITH_INPUT, ServiceNotFound, SlotNotAvailable, TooManyHolds, _NewConflict, RATE_LIMITED
    )
    assert sorted(responses) == [400, 404, 409, 429]
    conflict = responses[409]
    assert [example.summary for example in conflict.examples or []] == [
        "slot_not_available",
        "too_many_holds",
        "some_new_conflict",
    ]
    assert conflict.data_container is Problem
    assert conflict.media_type == PROBLEM_JSON
    # An error listed twice (a bundle and the route's own list) is one example.
    twice = problem_responses(*PUBLIC_POST, *PUBLIC_POST, ValidationFailed)
    assert len(twice[429].examples or []) == 1
    assert sorted(twice) == [400, 413, 422, 429]
