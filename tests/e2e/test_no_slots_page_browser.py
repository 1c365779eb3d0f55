"""The reference pages in headless Chromium against the real app on the real database."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from playwright.async_api import Browser, Page, Route, async_playwright

from adapters.settings import load_settings
from composition.container import build_container
from composition.database import close_database
from composition.web import build_app
from domain.use_cases.get_availability import GetAvailabilityCommand
from tables.demo import seed_demo
from tests.conftest import DATABASE_URL
from tests.support.browser import launch_chromium
from tests.support.live_server import live_server

pytestmark = [pytest.mark.anyio, pytest.mark.db, pytest.mark.browser]

EMAIL = "browser.person@example.org"


@pytest.fixture
async def site(db: object) -> AsyncIterator[tuple[str, str]]:
    await seed_demo()
    container = build_container(load_settings())
    slug = ""
    for service in await container.list_services.execute():
        if (
            await container.get_availability.execute(GetAvailabilityCommand(service.slug))
        ).no_slots:
            slug = service.slug
    assert slug, "the demo data has a service without free slots"
    await close_database(db)  # the server opens its own pool in its own event loop
    with live_server(build_app(build_container(load_settings()))) as url:
        yield url, slug


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    async with async_playwright() as playwright:
        browser: Browser = await launch_chromium(playwright)
        context = await browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="ru-RU"
        )
        blocked: list[str] = []

        async def block_outside(route: Route) -> None:
            blocked.append(route.request.url)
            await route.abort()

        # Only our loopback server may be reached: t.me (and any CDN) is cut off.
        await context.route(lambda url: not url.startswith("http://127.0.0.1"), block_outside)
        page = await context.new_page()
        page.blocked = blocked  # type: ignore[attr-defined]
        try:
            yield page
        finally:
            await context.close()
            await browser.close()


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 10.0) -> Any:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


async def query(sql: str) -> list[dict[str, Any]]:
    """Read the database beside the server: its pool belongs to the server's event loop."""
    if DATABASE_URL.startswith("postgres"):
        import asyncpg  # type: ignore[import-untyped]

        conn = await asyncpg.connect(DATABASE_URL)
        try:
            return [dict(row) for row in await conn.fetch(sql)]
        finally:
            await conn.close()

    def read() -> list[dict[str, Any]]:
        path = DATABASE_URL.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(row) for row in conn.execute(sql).fetchall()]

    return await asyncio.to_thread(read)


async def count(table: str) -> int:
    return int((await query(f'SELECT COUNT(*) AS n FROM "{table}"'))[0]["n"])


async def events_named(name: str) -> list[dict[str, Any]]:
    rows = await query(f"SELECT * FROM tracking_events WHERE name = '{name}'")
    for row in rows:
        if isinstance(row["properties"], str):
            row["properties"] = json.loads(row["properties"])
    return rows


async def test_a_visitor_joins_the_waitlist_and_every_event_is_tracked(
    site: tuple[str, str], page: Page
) -> None:
    url, slug = site
    response = await page.goto(f"{url}/booking/no-slots/?service={slug}")
    assert response is not None and response.status == 200
    assert await page.get_attribute("html", "lang") == "ru"

    # phone-sized: nothing wider than the 390 px screen, and nothing loaded from outside
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.blocked == []  # type: ignore[attr-defined]

    [shown] = await eventually(lambda: events_named("show_no_slots"))
    assert shown["properties"] == {"service_slug": slug}
    assert shown["source"] == "frontend"

    telegram = page.get_by_role("link", name="Написать в Telegram")
    href = await telegram.get_attribute("href")
    assert (
        href is not None and href.startswith("https://t.me/") and f"start=concierge-{slug}" in href
    )
    await telegram.click()
    [click] = await eventually(lambda: events_named("cta_tg_click"))
    assert click["properties"]["tg_flow"] == "concierge"
    assert click["properties"]["service_slug"] == slug
    blocked = page.blocked  # type: ignore[attr-defined]
    assert blocked and all(u.startswith("https://t.me/") for u in blocked)

    # accessible labels: every control is found by its label
    await page.get_by_label("Электронная почта").first.check()
    await page.get_by_label("Электронная почта", exact=True).last.fill(EMAIL)
    await page.get_by_label("Удобное время").select_option("evening")
    await page.get_by_label("Я даю согласие", exact=False).check()
    await page.get_by_label("Я согласен(на)", exact=False).check()
    await page.get_by_role("button", name="Встать в лист ожидания").click()

    success = page.get_by_role("status").filter(has_text="Заявка принята")
    await success.wait_for(state="visible", timeout=10_000)
    assert await page.locator("#waitlist-form").is_hidden()

    [submitted] = await eventually(lambda: events_named("waitlist_submitted"))
    assert submitted["properties"] == {
        "service_slug": slug,
        "preferred_contact_method": "email",
        "preferred_time_window": "evening",
    }
    assert await count("waitlist_requests") == 1
    assert await count("leads") == 1
    everything = json.dumps(await query("SELECT * FROM tracking_events"), default=str)
    assert EMAIL not in everything


async def test_a_repeat_with_an_internationalised_email_sees_the_same_success(
    site: tuple[str, str], page: Page
) -> None:
    url, slug = site
    shown = []
    for spelling in ("Имя@ПОЧТА.РФ", "имя@почта.рф"):
        await page.goto(f"{url}/booking/no-slots/?service={slug}")
        await page.get_by_label("Электронная почта").first.check()
        await page.get_by_label("Электронная почта", exact=True).last.fill(spelling)
        await page.get_by_label("Я даю согласие", exact=False).check()
        await page.get_by_label("Я согласен(на)", exact=False).check()
        async with page.expect_response("**/api/public/waitlist") as answer:
            await page.get_by_role("button", name="Встать в лист ожидания").click()
        assert (await answer.value).status == 202
        success = page.get_by_role("status").filter(has_text="Заявка принята")
        await success.wait_for(state="visible", timeout=10_000)
        shown.append(await success.inner_text())
        assert await page.get_by_role("alert").is_hidden()

    assert shown[0] == shown[1] and "Спасибо!" in shown[0]
    assert await count("waitlist_requests") == 1  # the second was a repeat
    assert await count("leads") == 1


async def test_without_the_consents_the_form_explains_and_sends_nothing(
    site: tuple[str, str], page: Page
) -> None:
    url, slug = site
    await page.goto(f"{url}/booking/no-slots/?service={slug}")
    await page.get_by_label("Телефон", exact=True).check()
    contact = page.locator("#contact-value")
    assert await contact.get_attribute("type") == "tel"
    await contact.fill("8 (999) 123-45-67")
    await page.get_by_label("Я даю согласие", exact=False).check()
    await page.get_by_role("button", name="Встать в лист ожидания").click()
    alert = page.get_by_role("alert")
    await alert.wait_for(state="visible")
    assert "оба согласия" in (await alert.inner_text())
    [error] = await eventually(lambda: events_named("waitlist_form_error"))
    assert error["properties"]["error_code"] == "consent_required"
    assert await count("waitlist_requests") == 0


async def test_an_unknown_service_page_is_a_clear_404(site: tuple[str, str], page: Page) -> None:
    url, _ = site
    response = await page.goto(f"{url}/booking/no-slots/?service=no-such-service")
    assert response is not None and response.status == 404
    assert "Услуга не найдена" in await page.inner_text("h1")


async def test_the_payment_return_page_shows_a_clear_state_for_an_unknown_payment(
    site: tuple[str, str], page: Page
) -> None:
    url, _ = site
    await page.goto(f"{url}/booking/payment-return/?payment_id={uuid.uuid4()}")
    state = page.locator("#payment-state")
    await eventually(lambda: state_is(state, "not_found"))
    assert "не найден" in await page.inner_text("#payment-message")

    await page.goto(f"{url}/booking/payment-return/?payment_id=garbage")
    await eventually(lambda: state_is(page.locator("#payment-state"), "invalid"))


async def state_is(locator: Any, value: str) -> bool:
    return bool(await locator.get_attribute("data-state") == value)
