"""The loop of the two halves: an admin adds slots to a service that had none, and its
no-slots page (a stale link) then lists them to book, in Moscow time, instead of the waitlist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from adapters.settings import load_settings
from composition.container import build_container
from composition.web import build_app
from domain.models import StaffRole
from domain.practice_time import MOSCOW
from domain.schedule import Weekday
from domain.use_cases.add_slots import AddSlotsCommand
from domain.use_cases.get_no_slots_page import GetNoSlotsPageCommand
from tables.core.tables import ServiceTable
from tables.demo import seed_demo
from tables.staff.accounts import create_staff_user

pytestmark = [pytest.mark.anyio, pytest.mark.db]


async def test_slots_added_by_an_admin_appear_on_the_stale_no_slots_page(db: object) -> None:
    await seed_demo()
    container = build_container(load_settings())
    app = build_app(container)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        services: list[dict[str, Any]] = (await client.get("/api/public/services")).json()
        empty = [
            s["slug"]
            for s in services
            if (await client.get(f"/api/public/services/{s['slug']}/availability")).json()[
                "no_slots"
            ]
        ]
        assert empty, "the demo data has a service without free slots"
        slug = empty[0]

        before = await client.get("/booking/no-slots/", params={"service": slug})
        model_before = (
            await client.get("/api/public/booking/no-slots", params={"service_slug": slug})
        ).json()
        assert "Свободного времени пока нет" in before.text
        assert 'id="waitlist-form"' in before.text
        assert model_before["free_slots"] == []

        admin = await create_staff_user("slots-admin", "a-long-password-1", StaffRole.ADMIN)
        row = (
            await ServiceTable.select(ServiceTable.id, ServiceTable.duration_minutes)
            .where(ServiceTable.slug == slug)
            .first()
        )
        assert row is not None
        day = datetime.now(UTC).astimezone(MOSCOW.zone).date() + timedelta(days=2)
        result = await container.add_slots.add.execute(
            AddSlotsCommand(
                staff_user_id=admin,
                service_id=row["id"],
                date_from=day,
                date_to=day,
                weekdays=frozenset(Weekday),
                start_times="15:00, 11:00",
            )
        )
        assert (result.created, result.existing) == (2, 0)

        after = await client.get("/booking/no-slots/", params={"service": slug})
        model = (
            await client.get("/api/public/booking/no-slots", params={"service_slug": slug})
        ).json()

    assert after.status_code == 200
    assert "Есть свободное время" in after.text
    assert "Свободного времени пока нет" not in after.text
    assert 'id="waitlist-form"' not in after.text
    assert "free_times.js" in after.text and "no_slots.js" not in after.text
    length = timedelta(minutes=row["duration_minutes"])
    starts = [
        datetime.combine(day, datetime.min.time(), MOSCOW.zone).replace(hour=h) for h in (11, 15)
    ]
    expected = [f"{s:%H:%M}–{s + length:%H:%M}" for s in starts]
    assert [f["local_time"] for f in model["free_slots"]] == expected
    assert {f["local_date"] for f in model["free_slots"]} == {MOSCOW.date_text(starts[0])}
    assert [datetime.fromisoformat(f["starts_at"]) for f in model["free_slots"]] == starts
    page = await container.get_no_slots_page.execute(GetNoSlotsPageCommand(slug))
    for free, text in zip(page.free_times, expected, strict=True):
        assert f'value="{free.slot_id}"' in after.text
        assert f"> {text}</label>" in after.text
    assert f"<legend>{MOSCOW.date_text(starts[0])}</legend>" in after.text
    assert "Время указано по часовому поясу: Москва." in after.text
