"""A person pays (or cancels) on the sandbox's confirmation page in headless Chromium and
lands on our return page, which shows the outcome the webhook recorded: for a paid booking,
the service and its date and time in Moscow.

``SAVE_SCREENSHOTS=1`` also writes the screenshot shown in ``docs/payments.md``."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import anyio
import httpx
import pytest
from playwright.async_api import Page, async_playwright

from adapters.settings import load_settings
from composition.container import build_container
from composition.database import close_database, open_database
from composition.web import build_app
from domain.practice_time import MOSCOW
from tests.support.browser import launch_chromium
from tests.support.live_server import free_port, live_server
from tests.support.payment_world import payments_world, seeded

pytestmark = [pytest.mark.anyio, pytest.mark.db, pytest.mark.browser]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@dataclass(frozen=True)
class Booking:
    appointment_id: str
    service_title: str
    local_time: str  # as a client in Moscow reads it


async def save_screenshot(page: Page, name: str) -> None:
    if os.environ.get("SAVE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


async def booking(world: Any, appointment_id: UUID) -> Booking:
    async with world.container.uow() as uow:
        appointment = await uow.appointments.get(appointment_id)
        slot = await uow.slots.get(appointment.slot_id)
        service = await uow.services.get(appointment.service_id)
    return Booking(
        str(appointment_id), service.title, MOSCOW.describe(slot.starts_at, slot.ends_at)
    )


@pytest.fixture
async def site(db: object) -> AsyncIterator[tuple[str, list[Booking]]]:
    """The development app on its own port, paying through the sandbox it serves."""
    await seeded()
    world = payments_world("http://unused")
    appointments = [await booking(world, await world.hold(n)) for n in range(2)]
    world.close()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "YOOKASSA_API_URL"}
    container = build_container(load_settings({**env, "PORT": str(port)}))
    await close_database(db)  # the server's event loop owns the engine meanwhile
    try:
        with live_server(build_app(container), port=port) as url:
            yield url, appointments
    finally:
        container.payments.gateway.close()
        await open_database(db)


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        # A phone's screen: the return page is where a client lands from the bank's app.
        context = await browser.new_context(
            locale="ru-RU", viewport={"width": 390, "height": 844}, device_scale_factor=2
        )
        await context.route(
            lambda url: not url.startswith("http://127.0.0.1"), lambda route: route.abort()
        )
        try:
            yield await context.new_page()
        finally:
            await context.close()
            await browser.close()


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 15.0) -> None:
    for _ in range(int(within / 0.1)):
        if await check():
            return
        await anyio.sleep(0.1)
    raise AssertionError("the page never reached the expected state")


async def create_payment(url: str, appointment_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        response = await http.post("/api/public/payments", json={"appointment_id": appointment_id})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_paying_on_the_sandbox_page_confirms_the_booking_with_its_moscow_time(
    site: tuple[str, list[Booking]], page: Page
) -> None:
    url, bookings = site
    created = await create_payment(url, bookings[0].appointment_id)

    await page.goto(created["confirmation"]["confirmation_url"])
    assert "1500.00" in await page.inner_text("body") or "₽" in await page.inner_text("body")
    await page.click("#pay")
    await page.wait_for_url(f"**/booking/payment-return/?payment_id={created['payment_id']}")
    state = page.locator("#payment-state")
    await eventually(lambda: _has_state(state, "succeeded"))

    assert await page.inner_text("#payment-message") == "Оплата прошла, запись подтверждена"
    assert bookings[0].local_time.endswith("(Москва)")
    assert await page.inner_text("#payment-when") == bookings[0].local_time
    assert await page.inner_text("#payment-service") == bookings[0].service_title
    assert "1\u00a0500\u00a0₽" in await page.inner_text("#payment-paid")
    assert "администратору" in await page.inner_text("#payment-next")
    body = await page.inner_text("body")
    assert created["payment_id"] not in body
    assert bookings[0].appointment_id not in body
    await save_screenshot(page, "payment-return-confirmed.png")


async def test_cancelling_on_the_sandbox_page_shows_the_cancellation(
    site: tuple[str, list[Booking]], page: Page
) -> None:
    url, bookings = site
    created = await create_payment(url, bookings[1].appointment_id)

    await page.goto(created["confirmation"]["confirmation_url"])
    await page.click("#cancel")
    await page.wait_for_url("**/booking/payment-return/**")
    await eventually(lambda: _has_state(page.locator("#payment-state"), "canceled"))
    assert await page.locator("#payment-details").is_hidden()


REFUND_VIEWS = [
    # (status, refund_reason, appointment_status, the page's words, the amount's label)
    ("refund_pending", "hold_expired", "expired", "не получилось", "Возвращаем"),
    ("refunded", "appointment_cancelled", "cancelled", "вернули оплату полностью", "Вернули"),
    ("refund_failed", None, "expired", "Мы вернём оплату", "Возвращаем"),
    ("refunded", "already_paid", "confirmed", "второй платёж мы вернули", "Вернули"),
]


@pytest.mark.parametrize(("status", "reason", "appointment", "words", "label"), REFUND_VIEWS)
async def test_a_payment_paid_back_is_explained_without_blame_or_ids(
    site: tuple[str, list[Booking]],
    page: Page,
    status: str,
    reason: str | None,
    appointment: str,
    words: str,
    label: str,
) -> None:
    url, bookings = site
    payment_id = "0b7e1f3a-9c2d-4e5f-8a6b-1c2d3e4f5a6b"
    answer = {
        "payment_id": payment_id,
        "status": status,
        "kind": "deposit",
        "amount": {"value": "1500.00", "currency": "RUB"},
        "appointment_status": appointment,
        "service_title": bookings[0].service_title,
        "starts_at": "2026-12-10T11:00:00Z",
        "ends_at": "2026-12-10T11:50:00Z",
        "local_time": "четверг, 10 декабря 2026, 14:00–14:50 (Москва)",
        "refund_reason": reason,
    }
    # The refund flow is another feature's; the page is judged on the answer it reads.
    await page.route(
        f"**/api/public/payments/{payment_id}", lambda route: route.fulfill(json=answer)
    )
    await page.goto(f"{url}/booking/payment-return/?payment_id={payment_id}")
    await eventually(lambda: _has_state(page.locator("#payment-state"), status))

    card = await page.inner_text("#payment-state")
    assert words in card
    assert "14:00–14:50 (Москва)" in await page.inner_text("#payment-when")
    assert await page.inner_text("#payment-paid-label") == label
    assert "1\u00a0500\u00a0₽" in await page.inner_text("#payment-paid")
    assert "администратор" in card.lower() or "остаётся в силе" in card
    if status != "refund_failed":
        assert "до 30 дней" in card
    assert payment_id not in await page.inner_text("body")
    if status == "refunded" and reason == "appointment_cancelled":
        await save_screenshot(page, "payment-return-refunded.png")


async def _has_state(locator: Any, value: str) -> bool:
    return bool(await locator.get_attribute("data-state") == value)
