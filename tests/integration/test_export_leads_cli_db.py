"""``python main.py export-leads`` as an operator of the server runs it."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import pytest

from domain.models import StaffRole
from tables.staff.accounts import StaffUser, create_staff_user
from tables.staff.tables import ContactAccessLogTable
from tests.integration.test_staff_queue_db import add_leads
from tests.support.admin_world import PASSWORD, make_world

pytestmark = [pytest.mark.anyio, pytest.mark.db]
ROOT = Path(__file__).resolve().parents[2]


async def export_leads(*args: str, stdin: str = "") -> subprocess.CompletedProcess[bytes]:
    """The command with ``stdin`` piped in (not a terminal: the password is a plain line)."""
    return await anyio.run_process(
        [sys.executable, "main.py", "export-leads", *args],
        cwd=ROOT,
        check=False,
        input=stdin.encode(),
    )


async def test_cli_export_with_contacts_streams_an_audited_formula_safe_csv(
    db: object, tmp_path: Path
) -> None:
    world = await make_world()
    await add_leads(world, 7, datetime(2026, 11, 10, 12, 0, tzinfo=UTC))
    output = tmp_path / "leads.csv"

    result = await export_leads(
        "--output",
        str(output),
        "--include-contacts",
        "--by",
        "manager",
        "--page-size",
        "3",
        stdin=PASSWORD + "\n",
    )

    assert result.returncode == 0, result.stderr.decode()
    data = output.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][-1] == "contact"
    assert sorted(r[-1] for r in rows[1:]) == [f"'=lead{n}@example.com" for n in range(7)]
    assert output.stat().st_mode & 0o077 == 0  # a file with contacts is readable by its owner only
    log = await ContactAccessLogTable.select(
        ContactAccessLogTable.staff_user, ContactAccessLogTable.row_count
    )
    assert log == [{"staff_user": world.users["manager"], "row_count": 7}]


async def test_cli_refuses_contacts_without_a_manager_or_admin(db: object, tmp_path: Path) -> None:
    world = await make_world()
    await add_leads(world, 2, datetime(2026, 11, 10, 12, 0, tzinfo=UTC))
    output = tmp_path / "leads.csv"

    def contacts_by(username: str, password: str = PASSWORD) -> Any:
        return export_leads(
            "--output", str(output), "--include-contacts", "--by", username, stdin=password + "\n"
        )

    without_by = await export_leads("--output", str(output), "--include-contacts")
    assert without_by.returncode == 2

    # A manager who has left (PostgreSQL keeps the last active admin active).
    former = await create_staff_user("former", PASSWORD, StaffRole.MANAGER)
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.id == former)
    refusals = {
        "an operator": await contacts_by("operator"),
        "an account without a role": await contacts_by("none"),
        "a wrong password": await contacts_by("manager", "not-the-password-1"),
        "an empty password": await contacts_by("manager", ""),
        "an unknown username": await contacts_by("nobody-here"),
        "an inactive manager": await contacts_by("former"),
    }
    for why, result in refusals.items():
        said = (result.stdout + result.stderr).decode()
        assert result.returncode == 1, why
        # One answer for every failure, in Russian and English; no password shown or logged.
        assert "Выгрузка с контактами отклонена" in said and "export with contacts refused" in said
        assert "export-leads --include-contacts refused: username=" in said, why
        assert PASSWORD not in said and "not-the-password-1" not in said, why
    assert not output.exists()
    assert not (tmp_path / "leads.csv.partial").exists()
    assert await ContactAccessLogTable.count() == 0


async def test_cli_never_attributes_contacts_to_a_manager_without_their_password(
    db: object, tmp_path: Path
) -> None:
    world = await make_world()
    await add_leads(world, 2, datetime(2026, 11, 10, 12, 0, tzinfo=UTC))
    output = tmp_path / "leads.csv"

    no_password = await export_leads(
        "--output", str(output), "--include-contacts", "--by", "manager"
    )

    assert no_password.returncode == 1
    assert not output.exists()
    assert await ContactAccessLogTable.count() == 0
    assert world.users["manager"]  # the account exists and is a manager: still refused


async def test_cli_export_without_contacts_needs_no_staff_member_and_is_not_audited(
    db: object, tmp_path: Path
) -> None:
    world = await make_world()
    await add_leads(world, 3, datetime(2026, 11, 10, 12, 0, tzinfo=UTC))
    output = tmp_path / "leads.csv"

    result = await export_leads("--output", str(output), "--status", "new")

    assert result.returncode == 0, result.stderr.decode()
    rows = list(csv.reader(io.StringIO(output.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 4
    assert "contact" not in rows[0]
    assert b"@example.com" not in output.read_bytes()
    assert await ContactAccessLogTable.count() == 0
