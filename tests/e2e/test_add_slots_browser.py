"""An admin adds slots with the form «Добавить окна» in headless Chromium: the service by its
title, Russian weekdays, the answer in Russian; a bad time is refused in Russian beside the form.

``SAVE_SCREENSHOTS=1`` also writes ``docs/screenshots/admin-add-slots.png``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from composition.database import close_database
from domain.practice_time import MOSCOW
from tables.core.tables import SlotTable
from tables.staff.tables import ScheduleChangeTable
from tests.e2e.test_admin_browser import browser_page, log_in, open_form, save_screenshot, served
from tests.support.admin_world import make_world

pytestmark = [pytest.mark.anyio, pytest.mark.db, pytest.mark.browser]

FORM = "Добавить окна"
SERVICE = "Индивидуальная консультация · 50 мин"
FIRST = datetime.now(UTC).astimezone(MOSCOW.zone).date() + timedelta(days=7)
LAST = FIRST + timedelta(days=27)  # four whole weeks


async def test_an_admin_adds_a_month_of_slots_and_reads_how_many(db: object) -> None:
    world = await make_world()
    await close_database(db)  # the server opens its own pool in its own event loop

    async with served(world.app) as base, browser_page() as page:
        await log_in(page, base, "admin")
        await page.locator(".sidebar").get_by_text(FORM, exact=True).wait_for()
        await open_form(page, base, FORM, f"select[name=service_id] option:text('{SERVICE}')")
        labels = await page.eval_on_selector_all(
            "select[name=service_id] option", "els => els.map(e => e.textContent.trim())"
        )
        assert labels == ["— выберите услугу —", SERVICE]
        form_text = await page.inner_text("body")
        for day in ("Понедельник", "Среда", "Пятница", "Суббота", "Воскресенье"):
            assert day in form_text
        assert "Москва" in form_text

        async def fill(times: str) -> None:
            await page.select_option("select[name=service_id]", label=SERVICE)
            await page.fill("input[name=date_from]", FIRST.isoformat())
            await page.fill("input[name=date_to]", LAST.isoformat())
            for day in ("tuesday", "thursday"):
                await page.select_option(f"select[name={day}]", label="нет")
            await page.fill("input[name=start_times]", times)

        await fill("10:00, 25:00")
        await page.click("[data-uitest=submit_custom_form_button]")
        errors = page.locator(".errors")
        await errors.wait_for()
        refusal = await errors.inner_text()
        await save_screenshot(page, "admin-add-slots-refused.png")

        await open_form(page, base, FORM, f"select[name=service_id] option:text('{SERVICE}')")
        await fill("10:00, 11:30, 14:00")
        await save_screenshot(page, "admin-add-slots.png")
        await page.click("[data-uitest=submit_custom_form_button]")
        message = page.locator("#success_message")
        await message.wait_for()
        answer = await message.inner_text()
        await save_screenshot(page, "admin-add-slots-done.png")

    # Monday, Wednesday, Friday of four weeks, three times a day.
    assert "Время «25:00» не похоже на время начала" in refusal
    assert "«Индивидуальная консультация»: создано 36 окон, повторов нет." in answer
    assert "(Москва)" in answer and "журнал расписания" in answer
    assert str(world.service_id) not in answer + form_text
    rows = await SlotTable.select(SlotTable.starts_at, SlotTable.status)
    assert len(rows) == 36 and {row["status"] for row in rows} == {"free"}
    assert {MOSCOW.local(row["starts_at"]).weekday() for row in rows} == {0, 2, 4}
    # The refused attempt wrote nothing: one addition, audited once.
    assert await ScheduleChangeTable.count() == 1
