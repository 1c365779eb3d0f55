"""``python main.py export-leads`` as an operator of the server runs it."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest

from tables.staff.tables import ContactAccessLogTable
from tests.integration.test_staff_queue_db import add_leads
from tests.support.admin_world import make_world

pytestmark = [pytest.mark.anyio, pytest.mark.db]
ROOT = Path(__file__).resolve().parents[2]


async def export_leads(*args: str) -> subprocess.CompletedProcess[bytes]:
    return await anyio.run_process(
        [sys.executable, "main.py", "export-leads", *args], cwd=ROOT, check=False
    )


async def test_cli_export_with_contacts_streams_an_audited_formula_safe_csv(
    db: object, tmp_path: Path
) -> None:
    world = await make_world()
    await add_leads(world, 7, datetime(2026, 11, 10, 12, 0, tzinfo=UTC))
    output = tmp_path / "leads.csv"

    result = await export_leads(
        "--output", str(output), "--include-contacts", "--by", "manager", "--page-size", "3"
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

    without_by = await export_leads("--output", str(output), "--include-contacts")
    by_operator = await export_leads(
        "--output", str(output), "--include-contacts", "--by", "operator"
    )
    by_nobody = await export_leads("--output", str(output), "--include-contacts", "--by", "none")

    assert without_by.returncode == 2
    assert by_operator.returncode == 1
    assert b"role_required" in by_operator.stderr + by_operator.stdout
    assert by_nobody.returncode == 2
    assert not output.exists()
    assert not (tmp_path / "leads.csv.partial").exists()
    assert await ContactAccessLogTable.count() == 0


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
