"""A manager answers a subject access request in headless Chromium and gets the file.

``SAVE_SCREENSHOTS=1`` also writes the form and the document to ``docs/screenshots/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote

import anyio
import pytest

from composition.database import close_database
from tables.staff.tables import ContactAccessLogTable
from tests.e2e.test_admin_browser import browser_page, log_in, save_screenshot, served
from tests.support.admin_world import make_world
from tests.support.subject_world import (
    OTHER_NAME,
    OTHER_PHONE,
    SUBJECT_EMAIL,
    SUBJECT_NAME,
    SUBJECT_PHONE,
    seed_subjects,
)

pytestmark = [pytest.mark.anyio, pytest.mark.db, pytest.mark.browser]

FORM = "Данные субъекта"


async def test_a_manager_fills_the_form_and_downloads_the_subjects_file(
    db: object, tmp_path: Path
) -> None:
    world = await make_world()
    await seed_subjects(world.container)
    await close_database(db)  # the server opens its own pool in its own event loop

    async with served(world.app) as base, browser_page() as page:
        await log_in(page, base, "manager")
        await page.locator(".sidebar").get_by_role("link", name=FORM).first.click()
        await page.wait_for_url(lambda url: "данные-субъекта" in unquote(url))
        await page.wait_for_selector(
            "select[name=contact_method] option:text('Телефон')", state="attached"
        )
        labels = await page.eval_on_selector_all(
            "select[name=contact_method] option", "els => els.map(e => e.textContent.trim())"
        )
        assert labels == ["— выберите —", "Электронная почта", "Телефон", "Telegram"]
        await page.select_option("select[name=contact_method]", label="Телефон")
        await page.fill("input[name=contact]", "8 (916) 555-00-11")
        await save_screenshot(page, "admin-form-subject-access.png")

        async with page.expect_download() as download_info:
            await page.click("[data-uitest=submit_custom_form_button]")
        download = await download_info.value
        assert download.suggested_filename.startswith("subject-data-")
        assert download.suggested_filename.endswith(".html")
        target = tmp_path / "subject.html"
        await download.save_as(target)
        await page.locator("#success_message", has_text="Файл скачан.").wait_for()

        document = await anyio.Path(target).read_text(encoding="utf-8")
        # The file as the person will read it, in the same browser.
        await page.set_content(document)
        shown = await page.locator("main").inner_text()
        await save_screenshot(page, "subject-data-file.png")

    assert "Сведения о персональных данных" in shown
    for expected in (
        SUBJECT_PHONE,
        SUBJECT_NAME,
        SUBJECT_EMAIL,
        "Заявки в лист ожидания",
        "Записи на приём",
        "Оплаты",
        "Согласия",
        "История обращений",
        "Тексты согласий",
        "1 500,00 ₽",
    ):
        assert expected in shown.replace("\u00a0", " "), expected
    for foreign in (OTHER_PHONE, OTHER_NAME):
        assert foreign not in shown
    log: list[dict[str, Any]] = await ContactAccessLogTable.select(
        ContactAccessLogTable.staff_user, ContactAccessLogTable.action
    )
    assert log == [{"staff_user": world.users["manager"], "action": "subject_access"}]


async def test_an_operator_is_not_offered_the_form(db: object) -> None:
    world = await make_world()
    await close_database(db)

    async with served(world.app) as base, browser_page() as page:
        await log_in(page, base, "operator")
        await page.locator(".sidebar").get_by_text("Взять заявку в работу").first.wait_for()
        assert FORM not in await page.locator(".sidebar").inner_text()
