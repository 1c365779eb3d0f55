"""``create-staff`` and the staff password rule (at least 12 characters), in a subprocess."""

from __future__ import annotations

import asyncio

import pytest

from tables.staff.accounts import StaffUser
from tables.staff.tables import StaffRoleTable
from tests.cli.cli import run_main

pytestmark = [pytest.mark.anyio, pytest.mark.db]


async def create_staff(username: str, password: str) -> tuple[int, str, str]:
    result = await asyncio.to_thread(
        run_main,
        "create-staff",
        username,
        "--role",
        "operator",
        "--password-stdin",
        stdin=password + "\n",
    )
    return result.returncode, result.stdout, result.stderr


async def test_create_staff_refuses_an_eleven_character_password_in_one_line(db: object) -> None:
    password = "Eleven-char"
    assert len(password) == 11
    code, stdout, stderr = await create_staff("petr", password)

    lines = [line for line in stderr.splitlines() if line.strip()]
    assert code != 0
    assert len(lines) == 1, stderr
    assert "12" in lines[0]
    assert "too short" in lines[0] and "слишком короткий" in lines[0]
    assert password not in stdout + stderr
    assert await StaffUser.count() == 0
    assert await StaffRoleTable.count() == 0


async def test_create_staff_takes_a_twelve_character_password_that_then_logs_in(
    db: object,
) -> None:
    password = "Twelve-chars"
    assert len(password) == 12
    code, _, stderr = await create_staff("vera", password)

    assert code == 0, stderr
    user_id = await StaffUser.login(username="vera", password=password)
    assert user_id is not None
    assert await StaffUser.login(username="vera", password=password + "!") is None
