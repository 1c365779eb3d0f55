"""The admin as staff read it, in headless Chromium: Russian table names, Moscow times, a dash
for nothing, no button a role cannot use, and Russian errors beside a form."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Page

from composition.database import close_database
from domain.payments import PaymentStatus, RefundReason
from tables.core.tables import ServiceTable
from tables.crm.tables import WaitlistRequestTable
from tables.payments.tables import PaymentTable
from tests.admin.test_admin_workbench import add_payment
from tests.e2e.test_admin_browser import browser_page, log_in, served
from tests.support.admin_world import make_world

pytestmark = [pytest.mark.anyio, pytest.mark.db, pytest.mark.browser]

MOSCOW = ZoneInfo("Europe/Moscow")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


async def open_table(page: Page, base: str, title: str) -> None:
    """From the sidebar, as staff do, until its rows are shown."""
    await page.locator(".sidebar").get_by_role("link", name=title, exact=True).click()
    await page.locator("h1", has_text=title).wait_for()
    await page.locator("#result_count").wait_for()


async def test_an_operator_reads_the_queue_and_a_request_in_russian_with_nothing_to_change(
    db: object,
) -> None:
    world = await make_world()
    request_id = await world.add_request(minutes_ago=180)
    await world.add_request(minutes_ago=30, status="in_progress", assignee=world.users["operator"])
    created = await WaitlistRequestTable.select(WaitlistRequestTable.created_at).where(
        WaitlistRequestTable.id == request_id
    )
    when = created[0]["created_at"].astimezone(MOSCOW).strftime("%d.%m.%Y %H:%M")
    await close_database(db)

    async with served(world.app) as base, browser_page() as page:
        await log_in(page, base, "operator")
        sidebar = page.locator(".sidebar")
        await sidebar.get_by_text("Оплаты", exact=True).wait_for()
        # The forms are listed by a request of their own, after the tables: wait for them too.
        await sidebar.get_by_text("Взять заявку в работу", exact=True).wait_for()
        menu = await sidebar.inner_text()
        for title in ("Заявки листа ожидания", "Записи", "История лидов", "Окна приёма"):
            assert title in menu
        assert "Взять заявку в работу" in menu  # not "Взять Заявку В Работу"
        for english in ("Waitlist", "Payments", "Piccolo User", "Staff Roles"):
            assert english not in menu

        await open_table(page, base, "Заявки листа ожидания")
        listing = await page.locator(".table_wrapper table").inner_text()
        assert "NULL" not in listing
        assert "—" in listing  # no reason and no assignee yet
        assert when in listing  # Moscow time, to the minute
        assert not re.search(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:", listing)  # no ISO, no UTC
        # Nothing an operator may not do is offered.
        assert await page.get_by_text("Добавить строку").count() == 0
        assert await page.locator(".table_wrapper input[type=checkbox]").count() == 0
        pager = await page.locator(".pagination_wrapper").inner_text()
        assert "из 1" in pager
        sizes = await page.eval_on_selector_all("#page_size option", "els => els.map(e => e.label)")
        assert "15 на странице" in sizes
        assert "of" not in pager.split()

        await page.click("[data-uitest=filter_button]")
        filters = await page.locator("[data-uitest=right_sidebar]").inner_text()
        assert "Равно" in filters and "Все" in filters
        assert "Equals" not in filters and "All" not in filters

        await page.locator("td span.link a").first.click()
        await page.locator("h1", has_text="Заявки листа ожидания").wait_for()
        assert await page.locator("div.header h1").inner_text() == "Заявки листа ожидания"
        assert await page.locator("[data-uitest=save_button]").count() == 0
        assert await page.locator("[data-uitest=drop_down_button]").count() == 0
        assert await page.locator("form[inert]").count() == 1


async def test_an_admin_adds_a_service_and_reads_each_problem_in_russian(db: object) -> None:
    world = await make_world()
    await close_database(db)

    async with served(world.app) as base, browser_page() as page:
        await log_in(page, base, "admin")
        await page.locator(".sidebar").get_by_text("Журнал изменений доступа").wait_for()
        await open_table(page, base, "Услуги")
        assert await page.locator(".table_wrapper input[type=checkbox]").count() > 0
        await page.get_by_text("Добавить строку").click()
        await page.locator("h1", has_text="Добавить: Услуги").wait_for()
        await page.fill("input[name=duration_minutes]", "0")
        await page.get_by_role("button", name="Создать").click()
        errors = page.locator(".errors")
        await errors.wait_for()
        shown = await errors.inner_text()
        assert "Ошибка" in shown
        assert "Адрес на сайте: обязательное поле" in shown
        assert "Название: обязательное поле" in shown
        assert "Длительность, мин: должна быть больше нуля" in shown
        assert "field" not in shown
        await page.get_by_text("В форме есть ошибки.").wait_for()

        await page.fill("input[name=slug]", "pair-therapy")
        await page.fill("input[name=title]", "Парная терапия")
        await page.fill("input[name=duration_minutes]", "80")
        await page.fill("input[name=price]", "7000")
        await page.get_by_role("button", name="Создать").click()
        await page.get_by_text("Строка добавлена.").wait_for()
        await page.get_by_text("Назад").click()
        await page.locator("td", has_text="Парная терапия").wait_for()

        await page.locator("td span.link a", has_text="Парная терапия").click()
        await page.locator("div.header h1", has_text="Изменить: Услуги").wait_for()
        assert await page.locator("[data-uitest=save_button]").count() == 1

    added = await ServiceTable.select(ServiceTable.title, ServiceTable.duration_minutes).where(
        ServiceTable.slug == "pair-therapy"
    )
    assert added == [{"title": "Парная терапия", "duration_minutes": 80}]


async def test_a_manager_reads_a_refund_in_the_payments_view(db: object) -> None:
    """Staff see why money went back and when, in Russian, in «Оплаты»."""
    world = await make_world()
    request_id = await world.add_request()
    payment_id = await add_payment(world, request_id)
    await PaymentTable.update(
        {
            PaymentTable.status: PaymentStatus.REFUNDED.value,
            PaymentTable.refund_reason: RefundReason.HOLD_EXPIRED.value,
            PaymentTable.provider_refund_id: "2f3e0000-000f-5000-9000-refund",
            PaymentTable.refunded_at: datetime(2031, 3, 14, 9, 30, tzinfo=UTC),
        }
    ).where(PaymentTable.id == payment_id)
    await close_database(db)

    async with served(world.app) as base, browser_page() as page:
        await log_in(page, base, "manager")
        await open_table(page, base, "Оплаты")
        listing = await page.locator(".table_wrapper table").inner_text()
        assert "Возвращён клиенту" in listing
        assert "Бронь истекла до оплаты" in listing
        assert "14.03.2031 12:30" in listing  # Moscow time of the refund
        assert "refunded" not in listing and "hold_expired" not in listing
        headers = await page.locator(".table_wrapper thead").inner_text()
        assert "ПРИЧИНА ВОЗВРАТА" in headers.upper() and "ВОЗВРАЩЁН" in headers.upper()
        if os.environ.get("SAVE_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SCREENSHOTS / "admin-payments-refund.png"))
