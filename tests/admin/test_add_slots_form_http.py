"""The admin form ``Добавить окна`` over HTTP, on the real database: admins only, no
duplicates (also when submitted twice at once), every addition audited, Russian refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import anyio
import httpx
import pytest

from domain.practice_time import MOSCOW
from tables.core.tables import SlotTable
from tables.staff.tables import ScheduleChangeTable
from tests.support.admin_world import AdminWorld, csrf, logged_in, make_world

pytestmark = [pytest.mark.anyio, pytest.mark.db]

FORM = "/admin/api/forms/добавить-окна/"
FIRST = datetime.now(UTC).astimezone(MOSCOW.zone).date() + timedelta(days=30)
LAST = FIRST + timedelta(days=13)  # two whole weeks: each weekday twice


@pytest.fixture
async def world(db: object) -> AdminWorld:
    return await make_world()


def body(world: AdminWorld, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "service_id": str(world.service_id),
        "date_from": FIRST.isoformat(),
        "date_to": LAST.isoformat(),
        "monday": True,
        "tuesday": False,
        "wednesday": True,
        "thursday": False,
        "friday": False,
        "saturday": False,
        "sunday": False,
        "start_times": "10:00, 14:00",
    }
    values.update(changes)
    return values


async def post(client: httpx.AsyncClient, data: dict[str, Any]) -> httpx.Response:
    return await client.post(FORM, json=data, headers=csrf(client))


async def slots() -> list[dict[str, Any]]:
    return await SlotTable.select(
        SlotTable.service, SlotTable.starts_at, SlotTable.ends_at, SlotTable.status
    ).order_by(SlotTable.starts_at)


async def audit() -> list[dict[str, Any]]:
    return await ScheduleChangeTable.select().order_by(ScheduleChangeTable.occurred_at)


def moscow_starts(rows: list[dict[str, Any]]) -> list[tuple[date, str]]:
    return [
        (MOSCOW.local(r["starts_at"]).date(), f"{MOSCOW.local(r['starts_at']):%a %H:%M}")
        for r in rows
    ]


async def test_an_admin_picks_a_service_by_title_and_adds_slots(world: AdminWorld) -> None:
    async with logged_in(world, "admin") as client:
        forms = (await client.get("/admin/api/forms/")).json()
        schema = (await client.get(f"{FORM}schema/")).json()
        added = await post(client, body(world))

    assert "Добавить окна" in {form["name"] for form in forms}
    choices = schema["properties"]["service_id"]["extra"]["choices"]
    labels = {c["value"]: c["display_name"] for c in choices.values()}
    assert labels == {
        "": "— выберите услугу —",
        str(world.service_id): "Индивидуальная консультация · 50 мин",
    }
    weekday = schema["properties"]["saturday"]
    assert weekday["title"] == "Суббота" and weekday["default"] is False
    assert "Москва" in schema["properties"]["start_times"]["title"]

    assert added.status_code == 200, added.text
    message = added.json()["custom_form_success"]
    assert message.startswith("«Индивидуальная консультация»: создано 8 окон, повторов нет.")
    assert "журнал расписания" in message
    rows = await slots()
    assert len(rows) == 8
    assert {row["status"] for row in rows} == {"free"}
    assert {row["service"] for row in rows} == {world.service_id}
    assert all(row["ends_at"] - row["starts_at"] == timedelta(minutes=50) for row in rows)
    assert {MOSCOW.local(r["starts_at"]).strftime("%H:%M") for r in rows} == {"10:00", "14:00"}
    assert {MOSCOW.local(r["starts_at"]).weekday() for r in rows} == {0, 2}
    assert all(FIRST <= day <= LAST for day, _ in moscow_starts(rows))

    [row] = await audit()
    assert row["actor"] == world.users["admin"]
    assert (row["kind"], row["service"]) == ("slots_added", world.service_id)
    assert (row["date_from"], row["date_to"]) == (FIRST, LAST)
    assert (row["weekdays"], row["start_times"]) == ("пн, ср", "10:00, 14:00")
    assert (row["created_count"], row["existing_count"]) == (8, 0)


async def test_the_same_addition_again_creates_nothing_and_says_so(world: AdminWorld) -> None:
    async with logged_in(world, "admin") as client:
        await post(client, body(world))
        again = await post(client, body(world, start_times="10:00, 16:00"))

    assert again.status_code == 200, again.text
    assert again.json()["custom_form_success"].startswith(
        "«Индивидуальная консультация»: создано 4 окна, уже были в расписании: 4 окна — дубли не созданы."
    )
    assert len(await slots()) == 12
    assert [(r["created_count"], r["existing_count"]) for r in await audit()] == [(8, 0), (4, 4)]


async def test_a_start_already_held_or_booked_counts_as_existing(world: AdminWorld) -> None:
    starts = datetime.combine(FIRST, datetime.min.time(), MOSCOW.zone)
    while starts.weekday() != 0:  # the first Monday of the range, 10:00 Moscow
        starts += timedelta(days=1)
    starts = starts.replace(hour=10).astimezone(UTC)
    await SlotTable.insert(
        SlotTable(
            id=uuid4(),
            service=world.service_id,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=50),
            status="booked",
        )
    )
    async with logged_in(world, "admin") as client:
        added = await post(client, body(world))
    assert (
        "создано 7 окон, уже были в расписании: 1 окно — дубли не созданы."
        in added.json()["custom_form_success"]
    )
    rows = await slots()
    assert len(rows) == 8
    assert [r["status"] for r in rows if r["starts_at"] == starts] == ["booked"]


async def test_a_double_submit_creates_each_slot_once(world: AdminWorld) -> None:
    answers: list[httpx.Response] = []
    async with logged_in(world, "admin") as first, logged_in(world, "admin") as second:

        async def submit(client: httpx.AsyncClient) -> None:
            answers.append(await post(client, body(world)))

        async with anyio.create_task_group() as group:
            group.start_soon(submit, first)
            group.start_soon(submit, second)

    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert len(await slots()) == 8
    counts = sorted((r["created_count"], r["existing_count"]) for r in await audit())
    assert counts == [(0, 8), (8, 0)]


async def test_the_database_itself_refuses_a_second_slot_at_one_start(world: AdminWorld) -> None:
    starts = datetime(2031, 1, 6, 7, 0, tzinfo=UTC)

    def row() -> SlotTable:
        return SlotTable(
            id=uuid4(),
            service=world.service_id,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=50),
            status="free",
        )

    await SlotTable.insert(row())
    with pytest.raises(Exception, match=r"(?i)unique"):
        await SlotTable.insert(row())
    assert await SlotTable.count() == 1


@pytest.mark.parametrize("role", ["operator", "manager", "none"])
async def test_no_other_role_sees_or_uses_the_form(world: AdminWorld, role: str) -> None:
    async with logged_in(world, role) as client:
        forms = await client.get("/admin/api/forms/")
        schema = await client.get(f"{FORM}schema/")
        added = await post(client, body(world))
    if forms.status_code == 200:
        assert "Добавить окна" not in {form["name"] for form in forms.json()}
    assert schema.status_code in (401, 403)
    assert added.status_code in (401, 403)
    assert await slots() == [] and await audit() == []


async def test_anonymous_visitors_are_refused(world: AdminWorld) -> None:
    async with world.client() as client:
        await client.get("/admin/")
        added = await post(client, body(world))
    assert added.status_code == 401
    assert await slots() == []


TODAY = datetime.now(UTC).astimezone(MOSCOW.zone).date()
NO_DAYS = dict.fromkeys(("monday", "wednesday"), False)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"service_id": ""}, "Выберите услугу из списка."),
        ({"service_id": str(uuid4())}, "Такой услуги нет"),
        ({"date_from": ""}, "Укажите первый день."),
        ({"date_to": ""}, "Укажите последний день."),
        ({"date_to": (FIRST - timedelta(days=1)).isoformat()}, "Последний день раньше первого"),
        ({"date_from": (TODAY - timedelta(days=1)).isoformat()}, "Первый день уже прошёл"),
        ({"date_to": (FIRST + timedelta(days=366)).isoformat()}, "не больше 366 дней"),
        (NO_DAYS, "Выберите хотя бы один день недели"),
        ({"start_times": ""}, "Укажите время начала"),
        ({"start_times": "10:00, 25:00"}, "Время «25:00» не похоже на время начала"),
        ({"start_times": "в обед"}, "Время «в» не похоже на время начала"),
        (  # one day, and a weekday that is not that day's
            {
                "date_to": FIRST.isoformat(),
                "monday": FIRST.weekday() != 0,
                "wednesday": FIRST.weekday() == 0,
            },
            "нет ни одного из выбранных дней недели",
        ),
    ],
)
async def test_bad_input_is_refused_in_russian_and_nothing_is_written(
    world: AdminWorld, changes: dict[str, Any], message: str
) -> None:
    async with logged_in(world, "admin") as client:
        refused = await post(client, body(world, **changes))
    assert refused.status_code == 422, refused.text
    assert message in refused.text
    assert str(world.service_id) not in refused.text
    assert await slots() == [] and await audit() == []
