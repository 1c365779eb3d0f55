"""``POST /api/public/consents/withdraw`` and the page behind the email's link, on fake ports."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from adapters.rate_limiters import InMemoryRateLimiter
from api.app import create_app
from api.dependencies import ApiPorts, PrivacyPorts
from api.rate_limit import RateLimiter
from domain.crm import WaitlistStatus
from domain.privacy import issue_withdrawal_token
from domain.use_cases.get_availability import GetAvailabilityUseCase
from domain.use_cases.hold_slot import HoldSlotUseCase
from domain.use_cases.list_services import ListServicesUseCase
from domain.use_cases.withdraw_consent import WithdrawConsentUseCase
from tests.support.fakes import FakeEncryptor, InMemoryUnitOfWorkFactory
from tests.support.privacy_world import World

pytestmark = pytest.mark.anyio

ENDPOINT = "/api/public/consents/withdraw"


class Ready:
    async def is_ready(self) -> bool:
        return True


async def app_with_a_person(limiter: RateLimiter | None = None) -> tuple[Any, World, str]:
    """The app over a world where one person is on the waitlist and got one email."""
    world = World()
    await world.submit()
    await world.send.execute()
    token = world.token_in(world.mailer.sent[0].text)
    uow: InMemoryUnitOfWorkFactory = world.uow
    ports = ApiPorts(
        list_services=ListServicesUseCase(uow=uow),
        get_availability=GetAvailabilityUseCase(uow=uow, clock=world.clock),
        hold_slot=HoldSlotUseCase(
            uow=uow,
            clock=world.clock,
            encryptor=FakeEncryptor(),
            contacts=None,  # type: ignore[arg-type]
        ),
        readiness=Ready(),
        privacy=PrivacyPorts(withdraw_consent=WithdrawConsentUseCase(uow=uow, clock=world.clock)),
    )
    return create_app(ports, rate_limiter=limiter), world, token


def client_for(app: Any, ip: str = "198.51.100.7") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(ip, 1234)), base_url="http://testserver"
    )


async def test_the_button_withdraws_and_a_repeat_answers_the_same() -> None:
    app, world, token = await app_with_a_person()
    async with client_for(app) as client:
        first = await client.post(ENDPOINT, json={"token": token})
        world.clock.advance(timedelta(minutes=1))
        again = await client.post(ENDPOINT, json={"token": token})
    assert (first.status_code, first.json()) == (200, {"status": "withdrawn"})
    assert (again.status_code, again.json()) == (200, {"status": "withdrawn"})
    assert first.headers.get("content-type") == again.headers.get("content-type")
    [request] = world.store.waitlist.values()
    assert request.status is WaitlistStatus.WITHDRAWN and request.contact.ciphertext == ""


@pytest.mark.parametrize(
    "token",
    [
        "A" * 43,  # well formed, unknown
        "short",
        "x" * 300,
        "../../admin",
        "",
        "Ж" * 43,
    ],
)
async def test_an_unknown_or_malformed_token_is_a_bare_404(token: str) -> None:
    app, world, _ = await app_with_a_person()
    async with client_for(app) as client:
        answer = await client.post(ENDPOINT, json={"token": token})
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["code"] == "not_found" and body["detail"] == "Not found."
    assert token not in answer.text or token == ""
    [request] = world.store.waitlist.values()
    assert request.status is WaitlistStatus.NEW and request.contact.ciphertext


@pytest.mark.parametrize(
    "body",
    [{}, {"token": 5}, {"token": None}, {"token": "A" * 43, "extra": 1}, [], "token"],
)
async def test_a_body_that_is_not_a_token_is_a_400_that_echoes_nothing(body: Any) -> None:
    app, _, token = await app_with_a_person()
    async with client_for(app) as client:
        answer = await client.post(ENDPOINT, json=body)
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_request"
    assert token not in answer.text


async def test_opening_the_link_shows_the_page_and_changes_nothing() -> None:
    app, world, token = await app_with_a_person()
    before = (
        repr(world.store.waitlist),
        repr(world.store.withdrawal_tokens),
        len(world.store.consents),
    )
    async with client_for(app) as client:
        for _ in range(3):  # a scanner, a preview, the person
            page = await client.get("/privacy/withdraw/", params={"token": token})
            head = await client.head("/privacy/withdraw/", params={"token": token})
    assert page.status_code == 200 and head.status_code in (200, 405)
    assert (
        repr(world.store.waitlist),
        repr(world.store.withdrawal_tokens),
        len(world.store.consents),
    ) == before
    assert all(c.withdrawn_at is None for c in world.store.consents)
    html = page.text
    assert "Отозвать согласие" in html and f'data-token="{token}"' in html
    assert "Пока вы не нажмёте кнопку, ничего не изменится" in html
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "script-src 'self'" in page.headers["content-security-policy"]


@pytest.mark.parametrize(
    "query", [{}, {"token": "short"}, {"token": '"><script>alert(1)</script>'}]
)
async def test_a_page_without_a_usable_token_says_the_link_is_broken(query: dict[str, str]) -> None:
    app, _, _ = await app_with_a_person()
    async with client_for(app) as client:
        page = await client.get("/privacy/withdraw/", params=query)
    assert page.status_code == 200
    assert "Ссылка не работает" in page.text
    assert 'id="withdraw-button"' not in page.text
    assert "<script>alert" not in page.text


async def test_the_endpoint_is_rate_limited_per_client_like_the_other_public_posts() -> None:
    app, _, _ = await app_with_a_person(InMemoryRateLimiter(2))
    async with client_for(app) as client:
        codes = [
            (await client.post(ENDPOINT, json={"token": "A" * 43})).status_code for _ in range(3)
        ]
    assert codes == [404, 404, 429]


async def test_openapi_documents_every_status_of_the_endpoint() -> None:
    app, _, _ = await app_with_a_person()
    async with client_for(app) as client:
        schema = (await client.get("/schema/openapi.json")).json()
    operation = schema["paths"][ENDPOINT]["post"]
    # 413: a body over the app's limit.
    assert set(operation["responses"]) == {"200", "400", "404", "413", "429"}
    assert "/privacy/withdraw/" not in schema["paths"]
    assert operation["requestBody"]["required"] is True


async def test_a_token_of_nobody_left_still_answers_200() -> None:
    """Bound to a contact that retention has since erased: there is nothing to withdraw."""
    app, world, _ = await app_with_a_person()
    token, record = issue_withdrawal_token("gone", world.clock.now())
    world.store.withdrawal_tokens[record.token_hash] = record
    async with client_for(app) as client:
        await client.post(ENDPOINT, json={"token": token})
        again = await client.post(ENDPOINT, json={"token": token})
    assert again.status_code == 200
