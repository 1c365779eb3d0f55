"""``rotate-keys`` on the real database: everything re-encrypted, resumable after interruption."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from cryptography.fernet import Fernet

from adapters.fernet_encryptor import FernetEncryptor
from tables.core.tables import AppointmentTable, ConsentRecordTable, ServiceTable, SlotTable
from tables.key_rotation import count_outdated, rotate_all, sample_undecryptable

pytestmark = [pytest.mark.anyio, pytest.mark.db]

ROOT = Path(__file__).resolve().parents[2]
OLD = Fernet.generate_key()
NEW = Fernet.generate_key()
INDEX = bytes.fromhex("6f" * 32)
ROWS = 23

Plain = dict[tuple[str, UUID, str], str]


async def seed_encrypted_rows(encryptor: FernetEncryptor, rows: int = ROWS) -> Plain:
    """Appointments and consent records written under ``encryptor``; returns the plaintexts."""
    service_id = uuid4()
    await ServiceTable.insert(
        ServiceTable(
            id=service_id,
            slug="individual-session",
            title="t",
            duration_minutes=50,
            price=Decimal("5000.00"),
        )
    )
    now = datetime.now(UTC)
    plain: Plain = {}
    for n in range(rows):
        slot_id, appointment_id = uuid4(), uuid4()
        starts = now + timedelta(days=1, hours=n)
        await SlotTable.insert(
            SlotTable(
                id=slot_id,
                service=service_id,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=50),
                status="held",
            )
        )
        name, email = f"Клиент {n}", f"client{n}@example.com"
        phone = f"+7912000{n:04d}" if n % 3 else None  # some rows have no phone
        await AppointmentTable.insert(
            AppointmentTable(
                id=appointment_id,
                slot=slot_id,
                service=service_id,
                client_name_encrypted=encryptor.encrypt(name),
                client_email_encrypted=encryptor.encrypt(email),
                client_phone_encrypted=None if phone is None else encryptor.encrypt(phone),
                hold_expires_at=now + timedelta(minutes=30),
            )
        )
        plain[("appointments", appointment_id, "client_name_encrypted")] = name
        plain[("appointments", appointment_id, "client_email_encrypted")] = email
        if phone is not None:
            plain[("appointments", appointment_id, "client_phone_encrypted")] = phone
        consent_id = uuid4()
        evidence = f"198.51.100.{n}\nMozilla/{n}"
        await ConsentRecordTable.insert(
            ConsentRecordTable(
                id=consent_id,
                subject_type="appointment",
                subject_id=appointment_id,
                kind="personal_data",
                text_version="2026-11-01",
                channel="booking_api",
                granted_at=now,
                evidence_encrypted=encryptor.encrypt(evidence),
            )
        )
        plain[("consent_records", consent_id, "evidence_encrypted")] = evidence
    return plain


async def stored_tokens() -> dict[tuple[str, UUID, str], str | None]:
    tokens: dict[tuple[str, UUID, str], str | None] = {}
    for row in await AppointmentTable.select():
        for column in ("client_name_encrypted", "client_email_encrypted", "client_phone_encrypted"):
            tokens[("appointments", row["id"], column)] = row[column]
    for row in await ConsentRecordTable.select():
        tokens[("consent_records", row["id"], "evidence_encrypted")] = row["evidence_encrypted"]
    return tokens


async def assert_intact(plain: Plain) -> tuple[int, int]:
    """Every value still decrypts to its plaintext; returns (under new key, under old key)."""
    both = FernetEncryptor([NEW, OLD], INDEX)
    new_only = FernetEncryptor([NEW], INDEX)
    tokens = await stored_tokens()
    current = old = 0
    for key, token in tokens.items():
        if key not in plain:
            assert token is None  # a missing phone stays missing
            continue
        assert token is not None
        assert both.decrypt(token) == plain[key]
        if new_only.is_current(token):
            current += 1
        else:
            old += 1
    assert current + old == len(plain)
    return current, old


class InterruptedEncryptor:
    """The real encryptor that fails after ``allowed`` re-encryptions, like a crash mid-batch."""

    def __init__(self, inner: FernetEncryptor, allowed: int) -> None:
        self._inner = inner
        self.allowed = allowed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def rotate(self, token: str) -> str:
        if self.allowed <= 0:
            raise RuntimeError("interrupted")
        self.allowed -= 1
        return self._inner.rotate(token)


async def test_rotation_re_encrypts_every_column_under_the_newest_key(db: object) -> None:
    plain = await seed_encrypted_rows(FernetEncryptor([OLD], INDEX))
    assert await assert_intact(plain) == (0, len(plain))
    batches: list[tuple[str, int]] = []

    report = await rotate_all(
        FernetEncryptor([NEW, OLD], INDEX),
        batch_size=5,
        on_batch=lambda t, n: batches.append((t, n)),
    )

    assert await assert_intact(plain) == (len(plain), 0)
    assert report.values_rotated == len(plain)
    assert report.rows_seen >= 2 * ROWS
    assert report.conflicts == 0 and report.undecryptable == {}
    assert sum(n for t, n in batches if t == "appointments") == ROWS
    assert max(n for _, n in batches) == 5

    again = await rotate_all(FernetEncryptor([NEW, OLD], INDEX), batch_size=5)
    assert again.values_rotated == 0
    assert again.values_already_current == len(plain)


async def test_an_interrupted_run_loses_nothing_and_a_second_run_finishes(db: object) -> None:
    plain = await seed_encrypted_rows(FernetEncryptor([OLD], INDEX))
    before = await stored_tokens()
    failing = InterruptedEncryptor(FernetEncryptor([NEW, OLD], INDEX), allowed=17)

    with pytest.raises(RuntimeError, match="interrupted"):
        await rotate_all(failing, batch_size=4)  # type: ignore[arg-type]

    current, old = await assert_intact(plain)
    assert 0 < current < 17  # finished batches were kept, the failed batch rolled back
    assert old == len(plain) - current
    after_crash = await stored_tokens()
    assert sum(after_crash[k] != before[k] for k in before) == current

    report = await rotate_all(FernetEncryptor([NEW, OLD], INDEX), batch_size=4)

    assert await assert_intact(plain) == (len(plain), 0)
    assert report.values_rotated == old
    assert report.values_already_current == current


async def test_a_run_cancelled_between_batches_can_be_run_again(db: object) -> None:
    plain = await seed_encrypted_rows(FernetEncryptor([OLD], INDEX))
    finished = asyncio.Event()
    batches = 0

    def on_batch(_table: str, _rows: int) -> None:
        nonlocal batches
        batches += 1
        if batches == 2:
            finished.set()

    async def slow_rotation() -> None:
        await rotate_all(FernetEncryptor([NEW, OLD], INDEX), batch_size=3, on_batch=on_batch)

    task = asyncio.create_task(slow_rotation())
    await finished.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    current, old = await assert_intact(plain)
    assert current >= 6 and old > 0

    await rotate_all(FernetEncryptor([NEW, OLD], INDEX), batch_size=3)
    assert await assert_intact(plain) == (len(plain), 0)


async def test_values_no_key_can_read_are_reported_and_left_untouched(db: object) -> None:
    plain = await seed_encrypted_rows(FernetEncryptor([OLD], INDEX), rows=2)
    foreign = FernetEncryptor([Fernet.generate_key()], INDEX).encrypt("lost")
    row = await AppointmentTable.select(AppointmentTable.id).first()
    assert row is not None
    await AppointmentTable.update({AppointmentTable.client_name_encrypted: foreign}).where(
        AppointmentTable.id == row["id"]
    )
    plain.pop(("appointments", row["id"], "client_name_encrypted"))

    report = await rotate_all(FernetEncryptor([NEW, OLD], INDEX))

    assert report.undecryptable == {"appointments.client_name_encrypted": 1}
    tokens = await stored_tokens()
    assert tokens[("appointments", row["id"], "client_name_encrypted")] == foreign
    both = FernetEncryptor([NEW, OLD], INDEX)
    for key, value in plain.items():
        assert both.decrypt(tokens[key] or "") == value


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_the_rotate_keys_command_shows_progress_and_rotates_everything(db: object) -> None:
    plain = await seed_encrypted_rows(FernetEncryptor([OLD], INDEX))
    env = {**os.environ, "CONTACT_ENCRYPTION_KEYS": f"{NEW.decode()},{OLD.decode()}"}

    result = await asyncio.to_thread(run_cli, "rotate-keys", "--batch-size", "4", env=env)

    assert result.returncode == 0, result.stderr
    assert "appointments" in result.stdout and "consent_records" in result.stdout
    assert f"{ROWS}/{ROWS}" in result.stdout  # the progress bar's final count
    assert f"Rotated {len(plain)} values" in result.stdout
    assert "The old keys are no longer needed" in result.stdout
    assert NEW.decode() not in result.stdout + result.stderr
    assert await assert_intact(plain) == (len(plain), 0)

    again = await asyncio.to_thread(run_cli, "rotate-keys", env=env)
    assert again.returncode == 0, again.stderr
    assert "Rotated 0 values" in again.stdout


async def test_the_rotate_keys_command_fails_when_a_value_matches_no_key(db: object) -> None:
    await seed_encrypted_rows(FernetEncryptor([OLD], INDEX), rows=1)
    env = {**os.environ, "CONTACT_ENCRYPTION_KEYS": NEW.decode()}  # the old key was dropped

    result = await asyncio.to_thread(run_cli, "rotate-keys", env=env)

    assert result.returncode == 1
    assert "match no configured key" in result.stderr
    assert "The old keys are still needed" in result.stdout


async def test_old_keys_are_needed_until_every_value_is_under_the_newest(db: object) -> None:
    plain = await seed_encrypted_rows(FernetEncryptor([OLD], INDEX), rows=3)
    both = FernetEncryptor([NEW, OLD], INDEX)
    assert await count_outdated(both, batch_size=2) == len(plain)
    await rotate_all(both)
    assert await count_outdated(both, batch_size=2) == 0


async def test_the_key_sample_finds_keys_that_do_not_match_and_skips_erased_values(
    db: object,
) -> None:
    plain = await seed_encrypted_rows(FernetEncryptor([OLD], INDEX), rows=3)
    await AppointmentTable.update({AppointmentTable.client_name_encrypted: ""}, force=True)
    erased = sum(1 for key in plain if key[2] == "client_name_encrypted")

    matching = await sample_undecryptable(FernetEncryptor([NEW, OLD], INDEX))
    assert matching.undecryptable == 0 and matching.checked == len(plain) - erased

    wrong = await sample_undecryptable(FernetEncryptor([NEW], INDEX))
    assert wrong.undecryptable == wrong.checked == len(plain) - erased


async def test_serve_refuses_keys_that_cannot_open_the_stored_contacts(db: object) -> None:
    from tests.support.live_server import free_port

    await seed_encrypted_rows(FernetEncryptor([OLD], INDEX), rows=2)
    token = (await AppointmentTable.select(AppointmentTable.client_email_encrypted).first()) or {}
    env = {**os.environ, "CONTACT_ENCRYPTION_KEYS": NEW.decode()}  # another installation's key

    result = await asyncio.to_thread(
        run_cli, "serve", "--host", "127.0.0.1", "--port", str(free_port()), env=env
    )

    assert result.returncode == 1
    [line] = [x for x in result.stderr.splitlines() if "CONTACT_ENCRYPTION_KEYS" in x]
    assert "CONTACT_ENCRYPTION_KEYS do not match the stored data" in line
    output = result.stdout + result.stderr
    assert NEW.decode() not in output and OLD.decode() not in output
    assert token["client_email_encrypted"] not in output
    assert "Serving" not in result.stdout
