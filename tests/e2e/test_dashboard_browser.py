"""The managers' dashboard in headless Chromium, reached from the admin's sidebar.

``SAVE_SCREENSHOTS=1`` also writes ``docs/screenshots/admin-dashboard.png`` (shown in
``docs/admin.md``); without it nothing under ``docs/`` changes.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from playwright.async_api import Page, async_playwright

from composition.database import close_database
from tests.support.admin_world import PASSWORD, make_world
from tests.support.browser import launch_chromium
from tests.support.dashboard_world import (
    CIPHERTEXT,
    add_event,
    add_payment,
    add_request,
    add_service,
)
from tests.support.live_server import live_server

pytestmark = [pytest.mark.anyio, pytest.mark.db, pytest.mark.browser]

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "admin-dashboard.png"
WINDOWS = ("morning", "afternoon", "evening", "weekend", "any")


@contextlib.asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    # The live server runs its own event loop in a thread; enter and leave it off our loop.
    manager = live_server(app)
    base = await anyio.to_thread.run_sync(manager.__enter__)
    try:
        yield base
    finally:
        await anyio.to_thread.run_sync(manager.__exit__, None, None, None)


@contextlib.asynccontextmanager
async def laptop_page() -> AsyncIterator[Page]:
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page(locale="ru-RU", viewport={"width": 1366, "height": 768})
            page.set_default_timeout(15_000)
            yield page
        finally:
            await browser.close()


async def log_in(page: Page, base: str, username: str) -> None:
    await page.goto(f"{base}/admin/")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("[data-uitest=login_button]")


async def a_month_of_work() -> None:
    """A practice's month: demand in every window, a funnel, payments on most days."""
    rng = random.Random(20261202)
    now = datetime.now(UTC)
    services = [
        await add_service(title)
        for title in (
            "Индивидуальная консультация",
            "Парная терапия",
            "Консультация для подростков и их родителей",
            "Групповая терапия",
        )
    ]
    for index, service in enumerate(services):
        for window in WINDOWS:
            for _ in range(rng.randint(0, 6 - index)):
                await add_request(service, now - timedelta(hours=rng.randint(1, 26)), window=window)
    await add_request(services[0], now - timedelta(days=1, hours=6), window="evening")
    for _ in range(60):
        await add_event("show_no_slots", now - timedelta(hours=rng.randint(1, 700)))
    for _ in range(18):
        await add_event("waitlist_submitted", now - timedelta(hours=rng.randint(1, 700)))
    for status, count in (("in_progress", 5), ("contacted", 3), ("booked", 6), ("declined", 2)):
        for _ in range(count):
            submitted = now - timedelta(hours=rng.randint(30, 700))
            await add_request(
                services[rng.randrange(2)],
                submitted,
                status=status,
                window=rng.choice(WINDOWS),
                assigned_at=submitted + timedelta(hours=3),
            )
    statuses = ("succeeded",) * 10 + ("pending", "canceled", "canceled", "waiting_for_capture")
    for day in range(30):
        for _ in range(rng.randint(0, 4)):
            created = now - timedelta(days=day, hours=rng.randint(0, 8))
            await add_payment(services[0], created, rng.choice(statuses))


async def test_a_manager_opens_the_dashboard_from_the_sidebar_and_sees_the_charts(
    db: object,
) -> None:
    world = await make_world()
    await a_month_of_work()
    await close_database(db)  # the server opens its own pool in its own event loop

    async with served(world.app) as base, laptop_page() as page:
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        await log_in(page, base, "manager")
        await page.get_by_role("link", name="Панель руководителя").click()
        await page.wait_for_url(f"{base}/admin/dashboard/")

        await page.get_by_role("heading", name="Панель руководителя").wait_for()
        charts = page.locator("svg[role=img]")
        assert await charts.count() == 3
        for chart_id in ("demand-chart", "funnel-chart", "payments-chart"):
            chart = page.locator(f"#{chart_id}")
            assert await chart.is_visible()
            box = await chart.bounding_box()
            assert box is not None and box["width"] > 400, chart_id  # readable, not a thumbnail
        assert await page.get_by_role("img", name="Воронка").count() == 1  # <title> names it
        demand = await page.locator("#demand-chart").text_content() or ""
        assert "Индивидуальная консультация" in demand
        page_text = await page.content()
        assert "gAAAA" not in page_text and CIPHERTEXT not in page_text
        if os.environ.get("SAVE_SCREENSHOTS") == "1":
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SCREENSHOT), full_page=True)

        await page.get_by_role("link", name="← В админку").click()
        await page.wait_for_url(f"{base}/admin/")
        await page.get_by_role("link", name="Панель руководителя").wait_for()

    outside = [url for url in requested if not url.startswith(base)]
    assert outside == []  # no CDN, no web font, nothing but our own server


async def test_an_operator_has_no_dashboard_link_and_is_refused_at_its_address(
    db: object,
) -> None:
    world = await make_world()
    await close_database(db)

    async with served(world.app) as base, laptop_page() as page:
        await log_in(page, base, "operator")
        await page.wait_for_selector("text=Взять заявку в работу")
        assert await page.get_by_role("link", name="Панель руководителя").count() == 0
        response = await page.goto(f"{base}/admin/dashboard/")
        assert response is not None and response.status == 403
        assert await page.locator("svg").count() == 0
