"""Per-IP rate limits on the public POST endpoints, in-process and shared through Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from adapters.rate_limiters import InMemoryRateLimiter, RedisRateLimiter
from adapters.settings import load_settings
from api.app import create_app
from api.config import ApiConfig
from api.dependencies import ApiPorts, NoSlotsPorts
from api.rate_limit import RateLimiter
from composition.web import build_rate_limiter
from domain.contacts import ContactNormaliser
from domain.practice_time import MOSCOW
from domain.use_cases.create_waitlist_request import CreateWaitlistRequestUseCase
from domain.use_cases.get_availability import GetAvailabilityUseCase
from domain.use_cases.get_no_slots_page import GetNoSlotsPageUseCase
from domain.use_cases.hold_slot import HoldSlotUseCase
from domain.use_cases.list_services import ListServicesUseCase
from domain.use_cases.record_frontend_event import RecordFrontendEventUseCase
from tests.support.builders import a_service
from tests.support.crm_fakes import FixedConciergeLinks, InMemoryWaitlistSubmissions
from tests.support.fakes import (
    FakeEmailParser,
    FakeEncryptor,
    FakePhoneParser,
    FixedClock,
    InMemoryUnitOfWorkFactory,
)

pytestmark = pytest.mark.anyio

REDIS_URL = "redis://127.0.0.1:6379/0"
SLUG = "family-session"


class Ready:
    async def is_ready(self) -> bool:
        return True


def app_with(
    limiter: RateLimiter | None,
    uow: InMemoryUnitOfWorkFactory | None = None,
    config: ApiConfig | None = None,
) -> Any:
    uow = uow or InMemoryUnitOfWorkFactory()
    service = a_service(SLUG)
    uow.store.services[service.id] = service
    clock = FixedClock()
    encryptor = FakeEncryptor()
    contacts = ContactNormaliser(phone_parser=FakePhoneParser(), email_parser=FakeEmailParser())
    ports = ApiPorts(
        list_services=ListServicesUseCase(uow=uow),
        get_availability=GetAvailabilityUseCase(uow=uow, clock=clock),
        hold_slot=HoldSlotUseCase(uow=uow, clock=clock, encryptor=encryptor, contacts=contacts),
        readiness=Ready(),
        no_slots=NoSlotsPorts(
            get_no_slots_page=GetNoSlotsPageUseCase(
                uow=uow, links=FixedConciergeLinks(), clock=clock, timezone=MOSCOW
            ),
            create_waitlist_request=CreateWaitlistRequestUseCase(
                clock=clock,
                encryptor=encryptor,
                contacts=contacts,
                submissions=InMemoryWaitlistSubmissions(uow.store),
            ),
            record_frontend_event=RecordFrontendEventUseCase(uow=uow, clock=clock),
        ),
    )
    return create_app(ports, config, rate_limiter=limiter)


def client_for(app: Any, ip: str = "198.51.100.7") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(ip, 1234)), base_url="http://testserver"
    )


EVENT = {"name": "show_no_slots", "properties": {"service_slug": SLUG}}


def waitlist(n: int) -> dict[str, Any]:
    return {
        "service_slug": SLUG,
        "preferred_contact_method": "email",
        "contact_value": f"p{n}@example.org",
        "preferred_time_window": "any",
        "consents": {"personal_data": True, "communications": True, "version": "2026-11-01"},
    }


async def test_over_the_limit_a_client_gets_a_429_problem_with_retry_after() -> None:
    app = app_with(InMemoryRateLimiter(3))
    async with client_for(app) as client:
        codes = [
            (await client.post("/api/public/waitlist", json=waitlist(n))).status_code
            for n in range(3)
        ]
        assert codes == [202, 202, 202]
        limited = await client.post("/api/public/waitlist", json=waitlist(9))
        assert limited.status_code == 429
        assert limited.headers["content-type"].startswith("application/problem+json")
        assert limited.json()["code"] == "rate_limited"
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        # GETs are never limited; another endpoint has its own budget
        assert (
            await client.get("/api/public/booking/no-slots", params={"service_slug": SLUG})
        ).status_code == 200
        assert (await client.post("/api/public/events", json=EVENT)).status_code == 202
    async with client_for(app, "198.51.100.8") as other:
        assert (await other.post("/api/public/waitlist", json=waitlist(10))).status_code == 202


async def test_a_forged_forwarded_for_does_not_escape_the_limit() -> None:
    app = app_with(InMemoryRateLimiter(2))
    async with client_for(app) as client:
        codes = [
            (
                await client.post(
                    "/api/public/events", json=EVENT, headers={"X-Forwarded-For": f"10.0.0.{n}"}
                )
            ).status_code
            for n in range(3)
        ]
    assert codes == [202, 202, 429]


async def test_every_public_post_endpoint_is_limited() -> None:
    app = app_with(InMemoryRateLimiter(1))
    async with client_for(app) as client:
        for path in ("/api/public/appointments", "/api/public/waitlist", "/api/public/events"):
            await client.post(path, json={})
            assert (await client.post(path, json={})).status_code == 429, path


async def test_without_a_limiter_nothing_is_limited() -> None:
    app = app_with(None)
    async with client_for(app) as client:
        codes = {
            (await client.post("/api/public/events", json=EVENT)).status_code for _ in range(50)
        }
    assert codes == {202}


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    prefix = f"eb-test:{uuid.uuid4().hex}"
    yield prefix
    client = aioredis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def test_two_processes_share_one_limit_through_redis(redis_prefix: str) -> None:
    first = RedisRateLimiter(REDIS_URL, 3, key_secret=b"k" * 32, prefix=redis_prefix)
    second = RedisRateLimiter(REDIS_URL, 3, key_secret=b"k" * 32, prefix=redis_prefix)
    app_a, app_b = app_with(first), app_with(second)
    try:
        async with client_for(app_a) as a, client_for(app_b) as b:
            codes = []
            for client in (a, b, a, b):
                codes.append((await client.post("/api/public/events", json=EVENT)).status_code)
        assert codes == [202, 202, 202, 429]
        # Redis holds only an HMAC of the key, never the client IP
        client = aioredis.from_url(REDIS_URL)
        keys = [key.decode() async for key in client.scan_iter(f"{redis_prefix}:*")]
        await client.aclose()
        assert keys and not any("198.51.100.7" in key for key in keys)
    finally:
        await first.close()
        await second.close()


async def test_an_unreachable_redis_lets_requests_through(caplog: pytest.LogCaptureFixture) -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", 1, key_secret=b"k" * 32)
    try:
        assert await limiter.check("x") is None
        assert await limiter.check("x") is None
    finally:
        await limiter.close()
    assert "rate limiter unavailable" in caplog.text


def test_main_picks_the_limiter_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "0")
    assert build_rate_limiter(load_settings()) is None
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "5")
    assert isinstance(build_rate_limiter(load_settings()), InMemoryRateLimiter)
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    assert isinstance(build_rate_limiter(load_settings()), RedisRateLimiter)
