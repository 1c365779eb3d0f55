"""The staff admin in headless Chromium: an operator works one request end to end."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote

import anyio
import pytest
from playwright.async_api import Page, async_playwright

import main
from tables.crm.tables import LeadTimelineEventTable, WaitlistRequestTable
from tables.staff.tables import ContactAccessLogTable
from tests.support.admin_world import PASSWORD, make_world
from tests.support.browser import launch_chromium
from tests.support.live_server import live_server

pytestmark = [pytest.mark.anyio, pytest.mark.db, pytest.mark.browser]

PHONE = "+79995556677"


@contextlib.asynccontextmanager
async def browser_page() -> AsyncIterator[Page]:
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page(locale="ru-RU")
            page.set_default_timeout(15_000)
            yield page
        finally:
            await browser.close()


@contextlib.asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    # The live server runs its own event loop in a thread; enter and leave it off our loop.
    manager = live_server(app)
    base = await anyio.to_thread.run_sync(manager.__enter__)
    try:
        yield base
    finally:
        await anyio.to_thread.run_sync(manager.__exit__, None, None, None)


async def open_form(page: Page, base: str, name: str) -> None:
    """Through the menu, as staff do: the home page lists the forms of one's role."""
    slug = name.replace(" ", "-").lower()
    await page.goto(f"{base}/admin/")
    await page.get_by_role("link", name=name).first.click()
    await page.wait_for_url(lambda url: slug in unquote(url))
    await page.wait_for_selector("[data-uitest=submit_custom_form_button]")
    await page.wait_for_selector("input[name=waitlist_request_id]")


async def submit(page: Page) -> str:
    await page.click("[data-uitest=submit_custom_form_button]")
    message = page.locator("#success_message")
    await message.wait_for()
    return await message.inner_text()


async def test_operator_logs_in_claims_reveals_and_changes_status(db: object) -> None:
    world = await make_world()
    request_id = await world.add_request(PHONE)
    await main.close_database(db)  # the server opens its own pool in its own event loop

    async with served(world.app) as base, browser_page() as page:
        await page.goto(f"{base}/admin/")
        await page.fill("input[name=username]", "operator")
        await page.fill("input[name=password]", PASSWORD)
        await page.click("[data-uitest=login_button]")
        await page.wait_for_selector("text=Взять заявку в работу")
        assert "Выгрузить лиды" not in await page.content()  # not an operator's form

        await open_form(page, base, "Взять заявку в работу")
        claimed = await submit(page)
        assert str(request_id) in claimed

        await open_form(page, base, "Показать контакт")
        await page.fill("input[name=waitlist_request_id]", str(request_id))
        await page.fill("input[name=reason]", "call_back_client")
        revealed = await submit(page)
        assert PHONE in revealed

        await open_form(page, base, "Изменить статус заявки")
        await page.fill("input[name=waitlist_request_id]", str(request_id))
        await page.fill("input[name=status]", "contacted")
        await page.fill("input[name=reason]", "client_reached")
        changed = await submit(page)
        assert "Связались" in changed

        await page.goto(f"{base}/admin/#/waitlist_requests")
        await page.wait_for_selector(f"text={request_id}")
        listing = await page.content()
        assert "gAAAA" not in listing
        assert PHONE not in listing

    row = await WaitlistRequestTable.select(
        WaitlistRequestTable.status,
        WaitlistRequestTable.assignee,
        WaitlistRequestTable.status_reason,
    ).first()
    assert row == {
        "status": "contacted",
        "assignee": world.users["operator"],
        "status_reason": "client_reached",
    }
    log = await ContactAccessLogTable.select(
        ContactAccessLogTable.staff_user,
        ContactAccessLogTable.action,
        ContactAccessLogTable.reason,
        ContactAccessLogTable.waitlist_request_id,
    )
    assert log == [
        {
            "staff_user": world.users["operator"],
            "action": "contact_reveal",
            "reason": "call_back_client",
            "waitlist_request_id": request_id,
        }
    ]
    events = await LeadTimelineEventTable.select(LeadTimelineEventTable.type).order_by(
        LeadTimelineEventTable.occurred_at
    )
    assert [e["type"] for e in events] == ["waitlist_claimed", "waitlist_status_changed"]


async def log_in(page: Page, base: str, username: str) -> None:
    await page.goto(f"{base}/admin/")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("[data-uitest=login_button]")


async def test_manager_downloads_the_lead_export_with_contacts(db: object, tmp_path: Any) -> None:
    world = await make_world()
    await world.add_request(PHONE)
    await main.close_database(db)

    async with served(world.app) as base, browser_page() as page:
        await log_in(page, base, "manager")
        await page.wait_for_selector("text=Выгрузить лиды")
        slug = "выгрузить-лиды"
        await page.get_by_role("link", name="Выгрузить лиды").first.click()
        await page.wait_for_url(lambda url: slug in unquote(url))
        await page.wait_for_selector("[data-uitest=submit_custom_form_button]")
        await page.select_option("select[name=include_contacts]", "true")
        await page.fill("input[name=reason]", "marketing_campaign")
        async with page.expect_download() as download_info:
            await page.click("[data-uitest=submit_custom_form_button]")
        download = await download_info.value
        target = tmp_path / "leads.csv"
        await download.save_as(target)

    data = await anyio.Path(target).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert f"'{PHONE}".encode() in data
    log = await ContactAccessLogTable.select(
        ContactAccessLogTable.staff_user,
        ContactAccessLogTable.action,
        ContactAccessLogTable.row_count,
    )
    assert log == [
        {"staff_user": world.users["manager"], "action": "export_with_contacts", "row_count": 1}
    ]
