"""A person pays (or cancels) on the sandbox's confirmation page in headless Chromium and
lands on our return page, which shows the outcome the webhook recorded."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import httpx
import pytest
from playwright.async_api import Page, async_playwright

from adapters.settings import load_settings
from composition.container import build_container
from composition.database import close_database, open_database
from composition.web import build_app
from tests.support.browser import launch_chromium
from tests.support.live_server import free_port, live_server
from tests.support.payment_world import payments_world, seeded

pytestmark = [pytest.mark.anyio, pytest.mark.db, pytest.mark.browser]


@pytest.fixture
async def site(db: object) -> AsyncIterator[tuple[str, list[str]]]:
    """The development app on its own port, paying through the sandbox it serves."""
    await seeded()
    world = payments_world("http://unused")
    appointments = [str(await world.hold(n)) for n in range(2)]
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
        context = await browser.new_context(locale="ru-RU")
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


async def test_paying_on_the_sandbox_page_confirms_the_booking(
    site: tuple[str, list[str]], page: Page
) -> None:
    url, appointments = site
    created = await create_payment(url, appointments[0])

    await page.goto(created["confirmation"]["confirmation_url"])
    assert "1500.00" in await page.inner_text("body") or "₽" in await page.inner_text("body")
    await page.click("#pay")
    await page.wait_for_url(f"**/booking/payment-return/?payment_id={created['payment_id']}")
    state = page.locator("#payment-state")
    await eventually(lambda: _has_state(state, "succeeded"))


async def test_cancelling_on_the_sandbox_page_shows_the_cancellation(
    site: tuple[str, list[str]], page: Page
) -> None:
    url, appointments = site
    created = await create_payment(url, appointments[1])

    await page.goto(created["confirmation"]["confirmation_url"])
    await page.click("#cancel")
    await page.wait_for_url("**/booking/payment-return/**")
    await eventually(lambda: _has_state(page.locator("#payment-state"), "canceled"))


async def _has_state(locator: Any, value: str) -> bool:
    return bool(await locator.get_attribute("data-state") == value)
