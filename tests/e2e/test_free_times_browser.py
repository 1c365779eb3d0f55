"""The no-slots page opened for a service that has free times (a stale link): it lists them
in Moscow time and books one through the sandbox payment, in headless Chromium.

``SAVE_SCREENSHOTS=1`` also writes ``docs/screenshots/no-slots-with-free-times.png``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, async_playwright

from adapters.settings import load_settings
from composition.container import build_container
from composition.database import close_database, open_database
from composition.web import build_app
from domain.use_cases.get_availability import GetAvailabilityCommand
from tables.demo import seed_demo
from tests.e2e.test_no_slots_page_browser import count, eventually, query
from tests.e2e.test_payment_browser import save_screenshot
from tests.support.browser import launch_chromium
from tests.support.live_server import free_port, live_server

pytestmark = [pytest.mark.anyio, pytest.mark.db, pytest.mark.browser]


@pytest.fixture
async def site(db: object) -> AsyncIterator[tuple[str, str, list[dict[str, Any]]]]:
    """The development app on its own port (paying through the sandbox it serves), and a
    service of the demo data that has free slots, with them."""
    await seed_demo()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "YOOKASSA_API_URL"}
    container = build_container(load_settings({**env, "PORT": str(port)}))
    slug, free = "", []
    for service in await container.list_services.execute():
        result = await container.get_availability.execute(GetAvailabilityCommand(service.slug))
        if not result.no_slots:
            slug, free = (
                service.slug,
                [{"slot_id": str(slot.id), "starts_at": slot.starts_at} for slot in result.slots],
            )
            break
    assert slug, "the demo data has a service with free slots"
    await close_database(db)  # the server's event loop owns the engine meanwhile
    try:
        # A busy machine may take a while to start it (migrations, the sandbox).
        with live_server(build_app(container), port=port, timeout=60) as url:
            yield url, slug, free
    finally:
        container.payments.gateway.close()
        await open_database(db)


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        context = await browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="ru-RU"
        )
        await context.route(
            lambda url: not url.startswith("http://127.0.0.1"), lambda route: route.abort()
        )
        page = await context.new_page()
        page.set_default_timeout(20_000)
        try:
            yield page
        finally:
            await context.close()
            await browser.close()


async def fill_in(page: Page) -> None:
    await page.fill("#client-name", "Анна")
    await page.fill("#client-email", "anna.free@example.org")
    await page.check("#consent-personal-data")


async def test_a_stale_link_shows_the_free_times_and_books_one_through_payment(
    site: tuple[str, str, list[dict[str, Any]]], page: Page
) -> None:
    url, slug, free = site
    await page.goto(f"{url}/booking/no-slots/?service={slug}")

    heading = await page.inner_text("h1")
    body = await page.inner_text("body")
    assert heading == "Есть свободное время"
    assert "Свободного времени пока нет" not in body
    assert await page.locator("#waitlist-form").count() == 0  # no waitlist form
    assert "Время указано по часовому поясу: Москва." in body
    radios = page.locator("input[name=slot_id]")
    assert await radios.count() == min(len(free), 20)
    assert await radios.first.get_attribute("value") == free[0]["slot_id"]
    first_day = (await page.locator("fieldset.day legend").first.inner_text()).lower()
    assert any(month in first_day for month in ("декабря", "января", "ноября", "февраля"))
    for slot in free:
        assert slot["slot_id"] not in body  # ids stay in the form, never on screen
    await save_screenshot(page, "no-slots-with-free-times.png")

    # Nothing chosen yet: the page asks for a time, in Russian, and books nothing.
    await fill_in(page)
    await page.click("#book-button")
    assert await page.inner_text("#booking-error") == "Выберите время."
    assert await count("appointments") == 0

    await radios.first.check()
    await page.click("#book-button")
    await page.wait_for_url("**/checkout/**")
    [appointment] = await query("SELECT slot, status FROM appointments")
    assert str(appointment["slot"]) == free[0]["slot_id"]
    assert appointment["status"] == "pending_payment"

    await page.click("#pay")
    await page.wait_for_url("**/booking/payment-return/**")
    await eventually(
        lambda: page.locator("#payment-state[data-state=succeeded]").count(), within=20
    )
    assert await page.inner_text("#payment-message") == "Оплата прошла, запись подтверждена"


async def test_a_time_taken_meanwhile_is_said_so_and_struck_out(
    site: tuple[str, str, list[dict[str, Any]]], page: Page
) -> None:
    url, slug, free = site
    await page.goto(f"{url}/booking/no-slots/?service={slug}")
    # Someone else holds the first time while this visitor fills the form.
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        taken = await http.post(
            "/api/public/appointments",
            json={
                "slot_id": free[0]["slot_id"],
                "client": {"name": "Борис", "email": "boris@example.org", "phone": None},
                "consents": {
                    "personal_data": True,
                    "communications": False,
                    "version": "2026-11-01",
                },
            },
        )
    assert taken.status_code == 201, taken.text

    await page.locator("input[name=slot_id]").first.check()
    await fill_in(page)
    await page.click("#book-button")
    await page.locator("#booking-error:not([hidden])").wait_for()
    assert (
        await page.inner_text("#booking-error") == "Это время только что заняли. Выберите другое."
    )
    first = page.locator("input[name=slot_id]").first
    assert await first.is_disabled()
    assert "уже занято" in await page.locator("label.choice").first.inner_text()
    assert await count("appointments") == 1  # only the other person's
