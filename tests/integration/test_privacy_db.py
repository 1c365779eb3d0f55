"""Withdrawal and retention on a real database: after either, a dump of every table holds
no plaintext, no ciphertext and no blind index of the person, and no email reaches them."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import pytest
from aiosmtpd.controller import Controller

from adapters.settings import load_settings
from adapters.smtp_mailer import SmtpMailer
from composition.container import Container, build_container
from domain.emails import EmailStatus
from domain.errors import WithdrawalTokenNotFound
from domain.models import ConsentEvidence, StaffRole
from domain.privacy import hash_withdrawal_token
from domain.use_cases.create_waitlist_request import CreateWaitlistRequestCommand
from domain.use_cases.erase_expired_contacts import EraseExpiredContactsUseCase
from domain.use_cases.hold_slot import HoldSlotCommand
from domain.use_cases.record_consent_withdrawal import RecordConsentWithdrawalCommand
from domain.use_cases.send_pending_emails import SendPendingEmailsUseCase
from domain.use_cases.withdraw_consent import WithdrawConsentCommand
from tables.core.tables import AppointmentTable, ConsentRecordTable, SlotTable
from tables.crm.privacy import PiccoloContactRetention
from tables.crm.tables import (
    EmailOutboxTable,
    LeadTable,
    LeadTimelineEventTable,
    WaitlistConfirmationTable,
    WaitlistRequestTable,
    WithdrawalTokenTable,
)
from tables.database import is_sqlite
from tables.demo import seed_demo
from tables.staff.accounts import create_staff_user
from tests.support.crm_fakes import RecordingMailer
from tests.support.live_server import free_port

pytestmark = [pytest.mark.anyio, pytest.mark.db]

ADDRESS = "withdrawing.person@example.org"
OTHER = "staying.person@example.org"
SENDER = "Эмоциональный баланс <noreply@emotional-balance.test>"


@dataclass
class Inbox:
    messages: list[tuple[list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"

    def texts(self) -> list[str]:
        out = []
        for _, content in self.messages:
            parsed = email.message_from_bytes(content, policy=email.policy.default)
            out.append(parsed.get_body(("plain",)).get_content())  # type: ignore[union-attr]
        return out


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def dump() -> str:
    """``SELECT *`` of every table in the database, as one text."""
    engine = WaitlistRequestTable._meta.db
    if is_sqlite(engine):
        names = [
            r["name"]
            for r in await WaitlistRequestTable.raw(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            )
        ]
    else:
        names = [
            r["tablename"]
            for r in await WaitlistRequestTable.raw(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        ]
    assert "withdrawal_tokens" in names and "email_outbox" in names
    rows = []
    for name in sorted(names):
        rows.append(f"{name}: {await WaitlistRequestTable.raw(f'SELECT * FROM {name}')}")
    return "\n".join(rows)


def submission(slug: str, contact: str = ADDRESS) -> CreateWaitlistRequestCommand:
    return CreateWaitlistRequestCommand(
        service_slug=slug,
        preferred_contact_method="email",
        contact_value=contact,
        preferred_time_window="morning",
        personal_data_consent=True,
        communications_consent=True,
        consent_version="2026-11-01",
        evidence=ConsentEvidence(ip="203.0.113.7", user_agent="Test/1.0"),
    )


async def world() -> tuple[Container, list[str]]:
    await seed_demo()
    container = build_container(load_settings())
    slugs = [s.slug for s in await container.list_services.execute()]
    return container, slugs


async def stored_secrets() -> set[str]:
    """Every ciphertext and blind index stored for anybody right now."""
    values: set[str] = set()
    for row in await WaitlistRequestTable.select(
        WaitlistRequestTable.contact_encrypted, WaitlistRequestTable.contact_index
    ):
        values.update(v for v in row.values() if v)
    for row in await LeadTable.select(LeadTable.contact_encrypted, LeadTable.contact_index):
        values.update(v for v in row.values() if v)
    for row in await AppointmentTable.select(
        AppointmentTable.client_name_encrypted,
        AppointmentTable.client_email_encrypted,
        AppointmentTable.client_email_index,
    ):
        values.update(v for v in row.values() if v)
    for row in await EmailOutboxTable.select(
        EmailOutboxTable.recipient_encrypted, EmailOutboxTable.recipient_index
    ):
        values.update(v for v in row.values() if v)
    for row in await WithdrawalTokenTable.select(WithdrawalTokenTable.contact_index):
        values.update(v for v in row.values() if v)
    for row in await WaitlistConfirmationTable.select(WaitlistConfirmationTable.contact_index):
        values.update(v for v in row.values() if v)
    return values


async def hold_an_appointment(container: Container, address: str) -> None:
    slot = await SlotTable.select(SlotTable.id).where(SlotTable.status == "free").first()
    assert slot is not None
    await container.hold_slot.execute(
        HoldSlotCommand(
            slot_id=slot["id"],
            client_name="Анна Отзывающая",
            email=address,
            phone=None,
            personal_data_consent=True,
            communications_consent=True,
            consent_version="2026-11-01",
            evidence=ConsentEvidence(ip=None, user_agent=None),
        )
    )


async def test_after_a_withdrawal_no_trace_of_the_contact_remains_and_nothing_more_is_sent(
    db: object, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    container, slugs = await world()
    sender = SendPendingEmailsUseCase(
        uow=container.uow,  # type: ignore[arg-type]
        clock=container.clock,
        encryptor=container.encryptor,
        mailer=SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER, timeout=5),
        public_site_url="https://balance.example",
    )
    await container.create_waitlist_request.execute(submission(slugs[0], OTHER))
    before = await stored_secrets()
    await container.create_waitlist_request.execute(submission(slugs[0]))
    await hold_an_appointment(container, ADDRESS)
    assert await sender.execute() == 2
    [link] = [
        t for (rcpt, _), t in zip(inbox.messages, inbox.texts(), strict=True) if rcpt == [ADDRESS]
    ]
    token = link.split("?token=", 1)[1].split()[0]
    # Sent: the database holds the token's hash, never the token (not in the outbox's params).
    sent_rows = await dump()
    assert token not in sent_rows and hash_withdrawal_token(token) in sent_rows
    # A second request queues a confirmation; a worker leases it and stalls before sending.
    await container.create_waitlist_request.execute(submission(slugs[1]))
    now = datetime.now(UTC)
    async with container.uow() as uow:
        [claim] = await uow.email_outbox.claim_due(now, now + timedelta(minutes=5), 10)
        await uow.commit()
    theirs = await stored_secrets() - before
    index = container.encryptor.blind_index("email", ADDRESS)
    queued = await EmailOutboxTable.select(EmailOutboxTable.recipient_index).where(
        EmailOutboxTable.status == EmailStatus.PENDING.value
    )
    assert queued == [{"recipient_index": index}]  # both stores write the blind index
    # The blind index, two request ciphertexts (the lead's and the email's are the first's),
    # the appointment's name and email.
    assert len(theirs) == 5
    assert container.encryptor.blind_index("email", ADDRESS) in theirs
    consent_rows = await ConsentRecordTable.count()
    rows_before = await dump()
    assert ADDRESS not in rows_before  # plaintext never reached the database at all

    await container.withdraw_consent.execute(WithdrawConsentCommand(token))
    await container.withdraw_consent.execute(WithdrawConsentCommand(token))  # a repeat

    rows = await dump()
    assert ADDRESS not in rows
    leftovers = [secret for secret in theirs if secret in rows]
    assert leftovers == []
    assert token not in rows
    # The other person is untouched.
    assert (
        await WaitlistRequestTable.count().where(
            (WaitlistRequestTable.status == "new") & (WaitlistRequestTable.contact_encrypted != "")
        )
        == 1
    )
    # Consent records stay, withdrawn.
    assert await ConsentRecordTable.count() == consent_rows
    withdrawn = await ConsentRecordTable.count().where(
        ConsentRecordTable.withdrawn_at.is_not_null()
    )
    assert withdrawn == 2 * 2 + 2  # two requests and the appointment, two consents each
    statuses = {
        r["status"]
        for r in await WaitlistRequestTable.select().where(
            WaitlistRequestTable.contact_encrypted == ""
        )
    }
    assert statuses == {"withdrawn"}
    events = await LeadTimelineEventTable.count().where(
        LeadTimelineEventTable.type == "consent_withdrawn"
    )
    assert events == 1

    # The stalled worker resumes, and later passes run: nothing reaches them.
    assert await sender._deliver(claim) == 0
    assert await sender.execute() == 0
    assert len(inbox.messages) == 2
    assert [rcpt for rcpt, _ in inbox.messages].count([ADDRESS]) == 1
    cancelled = await EmailOutboxTable.select().where(
        EmailOutboxTable.status == EmailStatus.CANCELLED.value
    )
    assert len(cancelled) == 1 and cancelled[0]["recipient_encrypted"] == ""


async def test_an_unknown_token_changes_nothing(db: object) -> None:
    container, slugs = await world()
    await container.create_waitlist_request.execute(submission(slugs[0]))
    rows = await dump()
    with pytest.raises(WithdrawalTokenNotFound):
        await container.withdraw_consent.execute(WithdrawConsentCommand("A" * 43))
    assert await dump() == rows


async def test_after_retention_no_trace_of_a_closed_contact_remains_and_active_ones_stay(
    db: object,
) -> None:
    container, slugs = await world()
    mailer = RecordingMailer()
    sender = SendPendingEmailsUseCase(
        uow=container.uow,  # type: ignore[arg-type]
        clock=container.clock,
        encryptor=container.encryptor,
        mailer=mailer,
    )
    before = await stored_secrets()
    await container.create_waitlist_request.execute(submission(slugs[0]))
    await sender.execute()
    theirs = await stored_secrets() - before
    await container.create_waitlist_request.execute(submission(slugs[0], OTHER))
    consents = await ConsentRecordTable.count()
    long_ago = datetime.now(UTC) - timedelta(days=200)
    w = WaitlistRequestTable
    # The person's request closed 200 days ago; their lead has been idle as long.
    [mine] = [
        r["id"]
        for r in await w.select(w.id, w.contact_encrypted)
        if r["contact_encrypted"] in theirs
    ]
    await w.update({w.status: "declined", w.updated_at: long_ago}).where(w.id == mine)
    await LeadTable.update({LeadTable.last_activity_at: long_ago}).where(
        LeadTable.contact_encrypted.is_in(list(theirs))
    )
    # The other person's request is active: it stays whatever its age.
    retention = EraseExpiredContactsUseCase(
        store=PiccoloContactRetention(),
        clock=container.clock,
        retention=timedelta(days=180),
        batch_size=1,
    )

    assert await retention.execute() == 2  # the request, then its lead
    assert await retention.execute() == 0  # idempotent

    rows = await dump()
    assert ADDRESS not in rows
    assert [secret for secret in theirs if secret in rows] == []
    assert await ConsentRecordTable.count() == consents  # consents stay, as proof
    assert await w.count().where(w.contact_encrypted != "") == 1  # the other person's

    # Closed a moment ago: kept for 180 days, erased at the next pass with ``0``.
    await w.update({w.status: "expired", w.updated_at: datetime.now(UTC)}).where(
        w.contact_encrypted != ""
    )
    assert await retention.execute() == 0
    immediate = EraseExpiredContactsUseCase(
        store=PiccoloContactRetention(), clock=container.clock, retention=timedelta(0)
    )
    assert await immediate.execute() == 2  # the request, then its lead
    assert await w.count().where(w.contact_encrypted != "") == 0
    assert await LeadTable.count().where(LeadTable.contact_encrypted != "") == 0
    assert OTHER not in await dump()


@pytest.mark.postgres
async def test_retention_workers_racing_erase_each_contact_once(db: object) -> None:
    container, slugs = await world()
    for n in range(12):
        await container.create_waitlist_request.execute(
            submission(slugs[n % len(slugs)], f"racer{n}@example.org")
        )
    long_ago = datetime.now(UTC) - timedelta(days=200)
    await WaitlistRequestTable.update(
        {WaitlistRequestTable.status: "expired", WaitlistRequestTable.updated_at: long_ago}
    ).where(WaitlistRequestTable.status == "new")
    await LeadTable.update({LeadTable.last_activity_at: long_ago}).where(
        LeadTable.contact_encrypted != ""
    )

    def worker() -> EraseExpiredContactsUseCase:
        return EraseExpiredContactsUseCase(
            store=PiccoloContactRetention(), clock=container.clock, batch_size=5
        )

    done = 0
    for _ in range(4):
        async with anyio.create_task_group() as group:
            results: list[int] = []

            async def run(results: list[int] = results) -> None:
                results.append(await worker().execute())

            for _ in range(3):
                group.start_soon(run)
        done += sum(results)

    assert done == 24  # twelve requests and twelve leads, each erased by one worker only
    assert (
        await WaitlistRequestTable.count().where(WaitlistRequestTable.contact_encrypted != "") == 0
    )
    assert await LeadTable.count().where(LeadTable.contact_encrypted != "") == 0


@pytest.mark.postgres
async def test_the_link_and_the_staff_form_at_once_withdraw_once(db: object) -> None:

    container, slugs = await world()
    await container.create_waitlist_request.execute(submission(slugs[0]))
    mailer = RecordingMailer()
    await SendPendingEmailsUseCase(
        uow=container.uow,  # type: ignore[arg-type]
        clock=container.clock,
        encryptor=container.encryptor,
        mailer=mailer,
    ).execute()
    token = mailer.sent[0].text.split("?token=", 1)[1].split()[0]
    [request] = await WaitlistRequestTable.select(WaitlistRequestTable.id)
    staff_id = await create_staff_user("olga", "a-long-password-1", StaffRole.OPERATOR)

    async with anyio.create_task_group() as group:
        group.start_soon(container.withdraw_consent.execute, WithdrawConsentCommand(token))
        group.start_soon(
            container.staff.record_withdrawal.execute,
            RecordConsentWithdrawalCommand(staff_id, request["id"]),
        )

    assert (
        await LeadTimelineEventTable.count().where(
            LeadTimelineEventTable.type == "consent_withdrawn"
        )
        == 1
    )
    assert (
        await WaitlistRequestTable.count().where(WaitlistRequestTable.contact_encrypted != "") == 0
    )
