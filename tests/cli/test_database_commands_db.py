"""Database commands in a subprocess on the real database: migrate, seed-demo, create-staff."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from piccolo.apps.user.tables import BaseUser

from tables.core.tables import ServiceTable, SlotTable
from tables.demo import seed_demo
from tables.staff.tables import StaffRoleTable
from tests.cli.cli import run_main
from tests.support.fresh_database import table_names

pytestmark = [pytest.mark.anyio, pytest.mark.db]

EXPECTED_TABLES = {
    "services",
    "slots",
    "appointments",
    "consent_records",
    "tracking_events",
    "staff_roles",
    "piccolo_user",
    "sessions",
    "migration",
}


async def counts() -> tuple[int, int]:
    return int(await ServiceTable.count()), int(await SlotTable.count())


async def test_seed_demo_is_idempotent_with_one_active_service_without_slots(db: object) -> None:
    first = await seed_demo()
    after_first = await counts()
    second = await seed_demo()

    assert first.services_created >= 2 and first.slots_created > 0
    assert (second.services_created, second.slots_created) == (0, 0)
    assert await counts() == after_first

    now = datetime.now(UTC)
    services = await ServiceTable.select().where(ServiceTable.active.eq(True))
    free_by_service = {
        s["slug"]: int(
            await SlotTable.count().where(
                (SlotTable.service == s["id"])
                & (SlotTable.status == "free")
                & (SlotTable.starts_at > now)
                & (SlotTable.starts_at < now + timedelta(days=15))
            )
        )
        for s in services
    }
    assert sum(1 for n in free_by_service.values() if n == 0) >= 1, free_by_service
    assert sum(1 for n in free_by_service.values() if n > 0) >= 1, free_by_service
    empty = next(slug for slug, n in free_by_service.items() if n == 0)
    assert await SlotTable.count().where(SlotTable.service.slug == empty) == 0


async def test_the_seed_demo_command_is_idempotent_too(db: object) -> None:
    first = await asyncio.to_thread(run_main, "seed-demo")
    assert first.returncode == 0, first.stderr
    after_first = await counts()
    second = await asyncio.to_thread(run_main, "seed-demo")
    assert second.returncode == 0, second.stderr
    assert "0 new services, 0 new slots" in second.stdout
    assert await counts() == after_first
    assert after_first[0] >= 3


async def test_create_staff_stores_the_user_with_a_hashed_password_and_its_role(
    db: object,
) -> None:
    password = "Very-Secret-Pa55word"
    result = await asyncio.to_thread(
        run_main,
        "create-staff",
        "olga",
        "--role",
        "manager",
        "--email",
        "olga@emotional-balance.ru",
        "--password-stdin",
        stdin=password + "\n",
    )

    assert result.returncode == 0, result.stderr
    assert "olga" in result.stdout and "manager" in result.stdout
    assert password not in result.stdout + result.stderr
    user = await BaseUser.select().where(BaseUser.username == "olga").first()
    assert user is not None
    assert user["active"] and user["admin"] and not user["superuser"]
    assert user["email"] == "olga@emotional-balance.ru"
    assert password not in user["password"]
    assert await BaseUser.login(username="olga", password=password) == user["id"]
    role = await StaffRoleTable.select(StaffRoleTable.role).where(StaffRoleTable.user == user["id"])
    assert role == [{"role": "manager"}]


async def test_create_staff_refuses_a_duplicate_user_with_a_clear_error(db: object) -> None:
    first = await asyncio.to_thread(
        run_main,
        "create-staff",
        "ivan",
        "--role",
        "operator",
        "--password-stdin",
        stdin="Pa55word-one\n",
    )
    assert first.returncode == 0, first.stderr

    again = await asyncio.to_thread(
        run_main,
        "create-staff",
        "ivan",
        "--role",
        "admin",
        "--password-stdin",
        stdin="Pa55word-two\n",
    )

    assert again.returncode == 1
    assert "Cannot create the staff user" in again.stderr and "already exists" in again.stderr
    assert "Traceback" not in again.stderr
    assert await BaseUser.count().where(BaseUser.username == "ivan") == 1
    assert await StaffRoleTable.select(StaffRoleTable.role) == [{"role": "operator"}]


async def test_create_staff_refuses_a_duplicate_email_with_a_clear_error(db: object) -> None:
    email = "team@emotional-balance.ru"
    first = await asyncio.to_thread(
        run_main,
        "create-staff",
        "anna",
        "--role",
        "operator",
        "--email",
        email,
        "--password-stdin",
        stdin="Pa55word-one\n",
    )
    assert first.returncode == 0, first.stderr
    again = await asyncio.to_thread(
        run_main,
        "create-staff",
        "boris",
        "--role",
        "operator",
        "--email",
        email,
        "--password-stdin",
        stdin="Pa55word-two\n",
    )
    assert again.returncode == 1
    assert "Traceback" not in again.stderr
    assert "email" in again.stderr
    assert await BaseUser.count() == 1


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("--role", "operator", "--password-stdin"), "\n", "password"),
        (("--role", "operator", "--password-stdin"), "abc\n", "too short"),
        (("--role", "owner", "--password-stdin"), "Pa55word-one\n", "invalid choice"),
    ],
)
async def test_create_staff_refuses_bad_input_and_creates_nothing(
    db: object, args: tuple[str, ...], stdin: str, message: str
) -> None:
    result = await asyncio.to_thread(run_main, "create-staff", "petr", *args, stdin=stdin)
    assert result.returncode != 0
    assert message in result.stderr.lower()
    assert "Traceback" not in result.stderr
    assert await BaseUser.count() == 0
    assert await StaffRoleTable.count() == 0


def test_migrations_apply_on_an_empty_database_and_again_as_a_no_op(
    empty_database_url: str,
) -> None:
    import os

    env = {**os.environ, "DATABASE_URL": empty_database_url}
    first = run_main("migrate", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert table_names(empty_database_url) >= EXPECTED_TABLES

    again = run_main("migrate", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Migrations applied" in again.stdout
