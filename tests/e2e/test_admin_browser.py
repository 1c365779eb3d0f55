"""The staff admin in headless Chromium: an operator works one request end to end.

``SAVE_SCREENSHOTS=1`` also writes the screenshots shown in ``docs/admin.md``; without it
nothing under ``docs/`` changes.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import anyio
import pytest
from playwright.async_api import Page, async_playwright

from composition.database import close_database
from tables.crm.tables import LeadTimelineEventTable, WaitlistRequestTable
from tables.staff.tables import ContactAccessLogTable
from tests.support.admin_world import PASSWORD, make_world
from tests.support.browser import launch_chromium
from tests.support.live_server import live_server

pytestmark = [pytest.mark.anyio, pytest.mark.db, pytest.mark.browser]

PHONE = "+79995556677"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


async def save_screenshot(page: Page, name: str) -> None:
    if os.environ.get("SAVE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


@contextlib.asynccontextmanager
async def browser_page() -> AsyncIterator[Page]:
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page(locale="ru-RU", viewport={"width": 1366, "height": 768})
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


async def open_form(page: Page, base: str, name: str, ready: str) -> None:
    """Through the menu, as staff do: the home page lists the forms of one's role.

    ``ready`` is a selector only this form's own schema produces (its drop-downs arrive with
    the schema, after the form's title).
    """
    slug = name.replace(" ", "-").lower()
    await page.goto(f"{base}/admin/")
    await page.get_by_role("link", name=name).first.click()
    await page.wait_for_url(lambda url: slug in unquote(url))
    await page.wait_for_selector("[data-uitest=submit_custom_form_button]")
    await page.wait_for_selector(ready, state="attached")  # an option is never "visible"


async def options(page: Page, field: str) -> dict[str, str]:
    """The drop-down's options, value to label."""
    found = await page.eval_on_selector_all(
        f"select[name={field}] option", "els => els.map(e => [e.value, e.textContent.trim()])"
    )
    return dict(found)


async def submit(page: Page) -> str:
    await page.click("[data-uitest=submit_custom_form_button]")
    message = page.locator("#success_message")
    await message.wait_for()
    return await message.inner_text()


async def test_operator_picks_claims_reveals_and_changes_status_from_drop_downs(
    db: object,
) -> None:
    world = await make_world()
    operator, manager = world.users["operator"], world.users["manager"]
    request_id = await world.add_request(PHONE, minutes_ago=180)
    newer = await world.add_request("+79990000002", minutes_ago=25)
    theirs = await world.add_request("+79990000003", status="in_progress", assignee=manager)
    await world.add_request("+79990000004", minutes_ago=3000, status="booked", assignee=operator)
    await world.add_request("+79990000005", minutes_ago=4000, status="declined", assignee=manager)
    await close_database(db)  # the server opens its own pool in its own event loop
    short = f"#{request_id.hex[:6]}"

    async with served(world.app) as base, browser_page() as page:
        await page.goto(f"{base}/admin/")
        await page.fill("input[name=username]", "operator")
        await page.fill("input[name=password]", PASSWORD)
        await page.click("[data-uitest=login_button]")
        await page.wait_for_selector("text=Взять заявку в работу")
        assert "Выгрузить лиды" not in await page.content()  # not an operator's form

        await open_form(
            page, base, "Взять заявку в работу", "option:text('Самая старая новая заявка')"
        )
        claimable = await options(page, "waitlist_request_id")
        assert list(claimable) == ["", str(request_id), str(newer)]  # the new ones, oldest first
        assert claimable[str(request_id)] == (
            f"{short} · Индивидуальная консультация · любое время · 3 ч назад"
        )
        await page.select_option("select[name=waitlist_request_id]", str(request_id))
        assert await submit(page) == f"Заявка {short} взята в работу."

        await open_form(page, base, "Показать контакт", "option[value=call_back_client]")
        mine = await options(page, "waitlist_request_id")
        assert list(mine) == ["", str(request_id)]  # not the manager's, not a closed one
        assert mine[str(request_id)].startswith(f"{short} · Индивидуальная консультация")
        await page.select_option("select[name=waitlist_request_id]", str(request_id))
        await page.select_option("select[name=reason]", label="Перезвонить клиенту")
        revealed = await submit(page)
        assert revealed == (
            f"Контакт заявки {short} (телефон): {PHONE}. Просмотр записан в журнал."
        )

        await open_form(page, base, "Изменить статус заявки", "select[name=status]")
        assert list(await options(page, "waitlist_request_id")) == ["", str(request_id)]
        assert set(await options(page, "status")) >= {"contacted", "booked", "declined"}
        await page.select_option("select[name=waitlist_request_id]", str(request_id))
        await page.select_option("select[name=status]", label="Связались")
        await page.select_option("select[name=reason]", label="Дозвонились / ответил")
        assert not await page.query_selector("form input[type=text]")  # nothing to type
        await save_screenshot(page, "admin-form-status.png")
        changed = await submit(page)
        assert changed == f"Заявка {short}: статус «Связались»."

        await page.goto(f"{base}/admin/#/waitlist_requests")
        # The changed request's row, whether its status reads as a label or as its code.
        await page.locator("td", has_text=re.compile("Связались|contacted")).first.wait_for()
        listing = await page.content()
        assert "gAAAA" not in listing
        assert PHONE not in listing
        await save_screenshot(page, "admin-queue.png")

    row = await WaitlistRequestTable.select(
        WaitlistRequestTable.status,
        WaitlistRequestTable.assignee,
        WaitlistRequestTable.status_reason,
    ).where(WaitlistRequestTable.id == request_id)
    assert row == [{"status": "contacted", "assignee": operator, "status_reason": "client_reached"}]
    untouched = await WaitlistRequestTable.select(
        WaitlistRequestTable.id, WaitlistRequestTable.status, WaitlistRequestTable.assignee
    ).where(WaitlistRequestTable.id.is_in([newer, theirs]))
    assert sorted(untouched, key=lambda r: r["status"]) == [
        {"id": theirs, "status": "in_progress", "assignee": manager},
        {"id": newer, "status": "new", "assignee": None},
    ]
    log = await ContactAccessLogTable.select(
        ContactAccessLogTable.staff_user,
        ContactAccessLogTable.action,
        ContactAccessLogTable.reason,
        ContactAccessLogTable.waitlist_request_id,
    )
    assert log == [
        {
            "staff_user": operator,
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
    await close_database(db)

    async with served(world.app) as base, browser_page() as page:
        await log_in(page, base, "manager")
        await page.wait_for_selector("text=Выгрузить лиды")
        slug = "выгрузить-лиды"
        await page.get_by_role("link", name="Выгрузить лиды").first.click()
        await page.wait_for_url(lambda url: slug in unquote(url))
        await page.wait_for_selector("[data-uitest=submit_custom_form_button]")
        await page.select_option("select[name=include_contacts]", "true")
        await page.select_option(
            "select[name=reason]", label="Рассылка по согласию на коммуникации"
        )
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
