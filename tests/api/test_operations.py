"""Liveness, readiness, OpenAPI and CORS of the app factory."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from litestar.testing import TestClient

from api.client_ip import resolve_client_ip
from api.config import ApiConfig
from tests.api.public_app import public_app

SITE = "https://emotional-balance.ru"


def test_health_answers_when_the_process_is_up() -> None:
    with TestClient(public_app().app) as client:
        response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_follows_the_readiness_probe() -> None:
    built = public_app()
    with TestClient(built.app) as client:
        assert client.get("/ready").status_code == 200
        assert client.get("/ready").json() == {"status": "ready"}
        built.probe.ready = False
        response = client.get("/ready")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable"}
        assert client.get("/health").status_code == 200  # alive, though not ready


def test_the_openapi_document_lists_every_public_endpoint() -> None:
    with TestClient(public_app().app) as client:
        response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    assert "get" in paths["/api/public/services"]
    assert "get" in paths["/api/public/services/{slug}/availability"]
    assert "post" in paths["/api/public/appointments"]
    assert "get" in paths["/health"]
    assert "get" in paths["/ready"]
    schemas = document["components"]["schemas"]
    request = next(v for k, v in schemas.items() if k.endswith("CreateAppointmentRequest"))
    assert set(request["properties"]) == {"slot_id", "client", "consents"}
    assert "problem+json" in document["info"]["description"]


@pytest.fixture
def cors_client() -> Any:
    config = ApiConfig(cors_allowed_origins=(SITE, "http://localhost:3000"))
    with TestClient(public_app(config).app) as client:
        yield client


def preflight(client: Any, origin: str) -> Any:
    return client.options(
        "/api/public/appointments",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )


def test_a_preflight_from_a_configured_origin_is_allowed(cors_client: Any) -> None:
    response = preflight(cors_client, SITE)
    assert response.status_code in {200, 204}
    assert response.headers["access-control-allow-origin"] == SITE
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "content-type" in response.headers["access-control-allow-headers"].lower()


def test_a_preflight_from_another_origin_is_refused(cors_client: Any) -> None:
    response = preflight(cors_client, "https://evil.example")
    assert response.status_code >= 400
    assert "access-control-allow-origin" not in response.headers


def test_a_simple_request_from_a_configured_origin_carries_the_cors_header(
    cors_client: Any,
) -> None:
    allowed = cors_client.get("/api/public/services", headers={"Origin": SITE})
    assert allowed.headers["access-control-allow-origin"] == SITE
    foreign = cors_client.get("/api/public/services", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in foreign.headers


def test_without_configured_origins_there_is_no_cors() -> None:
    with TestClient(public_app().app) as client:
        response = preflight(client, SITE)
    assert "access-control-allow-origin" not in response.headers


PROXY = (ipaddress.ip_network("10.0.0.0/8"),)


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("198.51.100.1", None, "198.51.100.1"),
        ("198.51.100.1", "203.0.113.9", "198.51.100.1"),  # not a trusted proxy: ignored
        ("10.0.0.5", "203.0.113.9", "203.0.113.9"),
        ("10.0.0.5", "1.2.3.4, 203.0.113.9, 10.0.0.7", "203.0.113.9"),  # left of it is forgeable
        ("10.0.0.5", "garbage", "10.0.0.5"),
        ("::ffff:198.51.100.1", None, "198.51.100.1"),
        ("testclient", None, "0.0.0.0"),
        (None, "203.0.113.9", "0.0.0.0"),
    ],
)
def test_the_client_ip_trusts_forwarded_headers_only_from_proxies(
    peer: str | None, forwarded: str | None, expected: str
) -> None:
    assert resolve_client_ip(peer, forwarded, PROXY) == expected
