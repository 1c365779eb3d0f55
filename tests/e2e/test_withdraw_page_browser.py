"""The withdrawal link of an email, opened in headless Chromium on a phone, against the real
app on the real database: opening it changes nothing, the button withdraws.

``SAVE_SCREENSHOTS=1`` also writes ``docs/screenshots/privacy-withdraw*.png`` (shown in
``docs/privacy.md``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, Route, async_playwright

from adapters.settings import load_settings
from composition.container import build_container
from composition.database import close_database, open_database
from composition.web import build_app
from domain.models import ConsentEvidence
from domain.use_cases.create_waitlist_request import CreateWaitlistRequestCommand
from domain.use_cases.send_pending_emails import SendPendingEmailsUseCase
from tables.crm.tables import EmailOutboxTable, LeadTimelineEventTable, WaitlistRequestTable
from tables.demo import seed_demo
from tests.support.browser import launch_chromium
from tests.support.crm_fakes import RecordingMailer
from tests.support.live_server import free_port, live_server

pytestmark = [pytest.mark.anyio, pytest.mark.db, pytest.mark.browser]

EMAIL = "worried.person@example.org"
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
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="ru-RU"
        )

        async def block_outside(route: Route) -> None:
            await route.abort()

        await context.route(lambda url: not url.startswith("http://127.0.0.1"), block_outside)
        try:
            yield await context.new_page()
        finally:
            await context.close()
            await browser.close()


async def test_the_link_in_the_email_shows_the_page_and_the_button_withdraws(
    db: object, page: Page
) -> None:
    await seed_demo()
    port = free_port()
    settings = load_settings({**os.environ, "PORT": str(port)})
    container = build_container(settings)
    slug = (await container.list_services.execute())[0].slug
    await container.create_waitlist_request.execute(
        CreateWaitlistRequestCommand(
            service_slug=slug,
            preferred_contact_method="email",
            contact_value=EMAIL,
            preferred_time_window="evening",
            personal_data_consent=True,
            communications_consent=True,
            consent_version="2026-11-01",
            evidence=ConsentEvidence(ip=None, user_agent=None),
        )
    )
    mailer = RecordingMailer()
    await SendPendingEmailsUseCase(
        uow=container.uow,  # type: ignore[arg-type]
        clock=container.clock,
        encryptor=container.encryptor,
        mailer=mailer,
        public_site_url=f"http://127.0.0.1:{port}",
    ).execute()
    [message] = mailer.sent
    link = message.text.split("Если вы передумали", 1)[1].split("\n")[1]
    assert link.startswith(f"http://127.0.0.1:{port}/privacy/withdraw/?token=")
    await close_database(db)  # the server opens its own pool in its own event loop
    try:
        with live_server(build_app(build_container(settings)), port=port) as url:
            # A mail scanner, a link preview and the person open it: nothing happens.
            for _ in range(3):
                await page.goto(link)
            assert await page.title() == "Отзыв согласия — «Эмоциональный баланс»"
            body = await page.inner_text("main")
            assert "Пока вы не нажмёте кнопку, ничего не изменится" in body
            assert "Мы удалим ваш контакт" in body and "больше не пришлём" in body
            button = page.locator("#withdraw-button")
            assert await button.is_visible()
            await save_screenshot(page, "privacy-withdraw.png")

            await button.click()
            done = page.locator("#withdraw-done")
            await done.wait_for(state="visible")
            assert "Готово: согласие отозвано" in await done.inner_text()
            assert not await button.is_visible()
            await save_screenshot(page, "privacy-withdraw-done.png")

            # The same link again (a second click from the email): the same calm answer.
            await page.goto(link)
            await page.locator("#withdraw-button").click()
            await page.locator("#withdraw-done").wait_for(state="visible")

            await page.goto(f"{url}/privacy/withdraw/?token=broken")
            assert await page.locator("#withdraw-invalid").is_visible()
            assert await page.locator("#withdraw-button").count() == 0
    finally:
        await open_database(db)

    [request] = await WaitlistRequestTable.select()
    assert (request["status"], request["contact_encrypted"]) == ("withdrawn", "")
    assert (
        await LeadTimelineEventTable.count().where(
            LeadTimelineEventTable.type == "consent_withdrawn"
        )
        == 1
    )
    [sent] = await EmailOutboxTable.select()
    assert sent["recipient_encrypted"] == "" and sent["status"] == "sent"
