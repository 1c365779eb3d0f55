"""The link of an offer email, opened in headless Chromium on a phone, against the real app on
the real database: the page shows the service, date and time in Moscow and one button;
opening it changes nothing; the button takes the slot and leads to payment, and paying on the
sandbox's page confirms the booking.

``SAVE_SCREENSHOTS=1`` also writes ``docs/screenshots/offer-page*.png`` (``docs/offers.md``).
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from playwright.async_api import Browser, Page, async_playwright

from adapters.settings import load_settings
from composition.container import build_container
from composition.database import close_database, open_database
from composition.web import build_app
from domain.models import ConsentEvidence
from domain.use_cases.create_waitlist_request import CreateWaitlistRequestCommand
from domain.use_cases.send_pending_emails import SendPendingEmailsUseCase
from tables.core.tables import AppointmentTable, SlotTable
from tables.crm.tables import WaitlistOfferTable
from tables.demo import seed_demo
from tests.support.browser import launch_chromium
from tests.support.crm_fakes import RecordingMailer
from tests.support.live_server import free_port, live_server

pytestmark = [pytest.mark.anyio, pytest.mark.db, pytest.mark.browser]

EMAIL = "waiting.person@example.org"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


async def save_screenshot(page: Page, name: str) -> None:
    if os.environ.get("SAVE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    async with async_playwright() as playwright:
        browser: Browser = await launch_chromium(playwright)
        context = await browser.new_context(
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="ru-RU",
        )
        await context.route(
            lambda url: not url.startswith("http://127.0.0.1"), lambda route: route.abort()
        )
        try:
            yield await context.new_page()
        finally:
            await context.close()
            await browser.close()


async def test_the_offer_link_shows_the_slot_and_the_button_leads_to_a_paid_booking(
    db: object, page: Page
) -> None:
    await seed_demo()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "YOOKASSA_API_URL"}
    settings = load_settings({**env, "PORT": str(port)})
    container = build_container(settings)
    service = (await container.list_services.execute())[0]
    await container.create_waitlist_request.execute(
        CreateWaitlistRequestCommand(
            service_slug=service.slug,
            preferred_contact_method="email",
            contact_value=EMAIL,
            preferred_time_window="any",
            personal_data_consent=True,
            communications_consent=True,
            consent_version="2026-11-01",
            evidence=ConsentEvidence(ip=None, user_agent=None),
        )
    )
    # The demo's slots were recorded as freed when seeded: the worker offers one of them.
    assert await container.offers.offer_freed_slots.execute() == 1
    mailer = RecordingMailer()
    await SendPendingEmailsUseCase(
        uow=container.uow,  # type: ignore[arg-type]
        clock=container.clock,
        encryptor=container.encryptor,
        mailer=mailer,
        public_site_url=f"http://127.0.0.1:{port}",
    ).execute()
    [offer_mail] = [m for m in mailer.sent if m.subject.startswith("Освободилось время")]
    match = re.search(r"http://127\.0\.0\.1:\d+/booking/offer/\?token=\S+", offer_mail.text)
    assert match is not None
    link = match.group(0)
    offer = await WaitlistOfferTable.select().first()
    assert offer is not None
    slot = await SlotTable.select().where(SlotTable.id == offer["slot"]).first()
    assert slot is not None
    tz = settings.practice_time
    date_text = tz.date_text(slot["starts_at"])
    time_text = tz.time_range_text(slot["starts_at"], slot["ends_at"])

    await close_database(db)  # the server's event loop owns the engine meanwhile
    server_container = build_container(settings)
    try:
        with live_server(build_app(server_container), port=port) as url:
            # A mail scanner, a link preview and the person open it: nothing happens.
            for _ in range(3):
                await page.goto(link)
            assert await page.title() == "Освободилось время — «Эмоциональный баланс»"
            assert await page.inner_text("#page-title") == "Для вас освободилось время"
            assert await page.inner_text("#offer-service") == service.title
            assert await page.inner_text("#offer-date") == date_text
            assert await page.inner_text("#offer-time") == time_text
            assert time_text.endswith("(Москва)")
            body = await page.inner_text("main")
            assert "Пока вы не нажмёте кнопку, ничего не изменится" in body
            assert "ваша заявка останется в листе ожидания" in body
            assert EMAIL not in body
            button = page.locator("#offer-accept")
            assert await button.is_visible() and await page.locator("button").count() == 1
            await save_screenshot(page, "offer-page.png")

            await button.click()
            # On to the payment page (the development sandbox stands in for YooKassa).
            await page.wait_for_url(re.compile(r".*/sandbox/.*"), timeout=30_000)
            await page.click("#pay")
            await page.wait_for_url("**/booking/payment-return/**", timeout=30_000)
            state = page.locator("#payment-state")
            for _ in range(150):
                if await state.get_attribute("data-state") == "succeeded":
                    break
                await anyio.sleep(0.1)
            assert await state.get_attribute("data-state") == "succeeded"
            assert await page.inner_text("#payment-service") == service.title

            # The link again, later: the page says the booking is paid and confirmed.
            await page.goto(link)
            assert await page.inner_text("#page-title") == "Вы записаны"
            assert "Запись оплачена и подтверждена" in await page.inner_text("main")
            assert await page.locator("button").count() == 0
            await save_screenshot(page, "offer-page-booked.png")

            await page.goto(f"{url}/booking/offer/?token=broken")
            assert await page.inner_text("#page-title") == "Ссылка не работает"
            assert await page.locator("button").count() == 0
    finally:
        server_container.payments.gateway.close()
        container.payments.gateway.close()
        await open_database(db)
    [appointment] = await AppointmentTable.select().where(AppointmentTable.slot == offer["slot"])
    assert appointment["status"] == "confirmed"
