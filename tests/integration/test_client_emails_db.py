"""The client's payment emails on the real database (SQLite and PostgreSQL): paid through
the real SDK against the sandbox, queued in the payment's transaction, delivered by the worker
to a real SMTP server with a calendar file that says the right time."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from uuid import UUID

import icalendar
import pytest

from adapters.settings import load_settings
from adapters.smtp_mailer import SmtpMailer
from adapters.yookassa.sandbox import YooKassaSandbox
from composition.container import build_payment_event_hook
from domain.emails import EmailTemplate, outbox_id
from domain.models import Slot
from domain.payments import PaymentEventType, PaymentStatus, RefundReason
from domain.use_cases.create_payment_intent import CreatePaymentIntentCommand
from domain.use_cases.handle_payment_notification import PaymentNotification
from domain.use_cases.notify_client_of_payment import NotifyClientOfPaymentUseCase
from domain.use_cases.send_pending_emails import SendPendingEmailsUseCase
from tables.crm.tables import EmailOutboxTable
from tables.uow import PiccoloUnitOfWork
from tests.support.payment_world import (
    CLIENT_EMAIL,
    CLIENT_PHONE,
    PaymentsWorld,
    payments_world,
    seeded,
)
from tests.support.smtp_inbox import Inbox, smtp_inbox

pytestmark = [pytest.mark.anyio, pytest.mark.db]

SENDER = "Эмоциональный баланс <noreply@emotional-balance.test>"


@pytest.fixture
async def world(
    db: object, sandbox_and_url: tuple[YooKassaSandbox, str]
) -> AsyncIterator[PaymentsWorld]:
    sandbox_and_url[0].clear_faults()
    await seeded()
    # The hook exactly as the application composes it: the CRM's, then the client's emails.
    built = payments_world(sandbox_and_url[1], hook=build_payment_event_hook(load_settings()))
    yield built
    built.close()


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_inbox() as served:
        yield served


async def pay(world: PaymentsWorld, sandbox: YooKassaSandbox) -> tuple[UUID, UUID]:
    """Hold, create the payment, pay it in the sandbox, and hear YooKassa's notification
    twice (YooKassa redelivers); returns the appointment and payment ids."""
    appointment_id = await world.hold()
    created = await world.create.execute(CreatePaymentIntentCommand(appointment_id=appointment_id))
    [provider_id] = [
        pid
        for pid in sandbox.payment_ids()
        if sandbox.payment(pid)["metadata"].get("appointment_id") == str(appointment_id)
    ]
    sandbox.settle(provider_id, "succeeded")
    for _ in range(2):
        await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))
    return appointment_id, created.payment_id


async def slot_of(world: PaymentsWorld, appointment_id: UUID) -> Slot:
    async with world.container.uow() as uow:
        appointment = await uow.appointments.get(appointment_id)
        assert appointment is not None
        slot = await uow.slots.get(appointment.slot_id)
    assert slot is not None
    return slot


async def test_paying_in_the_sandbox_queues_exactly_one_confirmation_email(
    world: PaymentsWorld, sandbox_and_url: tuple[YooKassaSandbox, str]
) -> None:
    appointment_id, payment_id = await pay(world, sandbox_and_url[0])

    rows = await EmailOutboxTable.select()
    assert len(rows) == 1
    [row] = rows
    assert row["template"] == EmailTemplate.PAYMENT_CONFIRMATION.value
    assert row["id"] == outbox_id(EmailTemplate.PAYMENT_CONFIRMATION, payment_id)
    assert row["status"] == "pending"
    assert world.container.encryptor.decrypt(row["recipient_encrypted"]) == CLIENT_EMAIL
    params = row["params"] if isinstance(row["params"], dict) else json.loads(row["params"])
    assert params["appointment_id"] == str(appointment_id)
    assert params["kind"] == "deposit"
    stored = repr(rows)
    for secret in (CLIENT_EMAIL, CLIENT_PHONE, CLIENT_PHONE.lstrip("+"), "Анна", "Секретная"):
        assert secret not in stored, secret


async def test_the_delivered_confirmation_carries_a_calendar_file_at_the_slot_s_start(
    world: PaymentsWorld,
    sandbox_and_url: tuple[YooKassaSandbox, str],
    smtp: tuple[Inbox, int],
) -> None:
    inbox, port = smtp
    appointment_id, _ = await pay(world, sandbox_and_url[0])
    slot = await slot_of(world, appointment_id)
    container = world.container
    sender = SendPendingEmailsUseCase(
        uow=container.uow,
        clock=container.clock,
        encryptor=container.encryptor,
        mailer=SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER, timeout=5),
    )

    assert await sender.execute() == 1
    assert await sender.execute() == 0

    [(_, rcpt, content)] = inbox.messages
    assert rcpt == [CLIENT_EMAIL]
    message = email.message_from_bytes(content, policy=email.policy.default)
    assert str(message["Subject"]).startswith("Запись подтверждена: ")
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    when = container.settings.practice_time.describe(slot.starts_at, slot.ends_at)
    assert when in text and "(Москва)" in when
    [attachment] = list(message.iter_attachments())  # type: ignore[attr-defined]
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "PUBLISH"
    raw = attachment.get_payload(decode=True)
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    [event] = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    assert event.decoded("DTSTART") == slot.starts_at
    assert event.decoded("DTEND") == slot.ends_at
    assert event.decoded("DTSTART").utcoffset().total_seconds() == 0
    assert str(event["UID"]) == f"appointment-{appointment_id}@emotional-balance"
    row = await EmailOutboxTable.select().first()
    assert row is not None and row["status"] == "sent"


async def test_a_refund_queues_one_refund_email_in_the_payment_s_transaction(
    world: PaymentsWorld, sandbox_and_url: tuple[YooKassaSandbox, str]
) -> None:
    _, payment_id = await pay(world, sandbox_and_url[0])
    hook = NotifyClientOfPaymentUseCase()
    now = world.clock.now()
    for commit in (False, True, True):
        async with world.container.uow() as uow:
            payment = await uow.payments.get(payment_id)
            assert payment is not None
            appointment = await uow.appointments.get(payment.appointment_id)
            back = replace(
                payment,
                status=PaymentStatus.REFUNDED,
                refund_reason=RefundReason.HOLD_EXPIRED,
                refunded_at=now,
            )
            await hook.on_payment_event(uow, PaymentEventType.REFUNDED, back, appointment, now)
            if commit:
                await uow.commit()

    refunds = await EmailOutboxTable.select().where(
        EmailOutboxTable.template == EmailTemplate.PAYMENT_REFUND.value
    )
    assert len(refunds) == 1
    params = refunds[0]["params"]
    params = params if isinstance(params, dict) else json.loads(params)
    assert params["reason"] == "hold_expired" and params["amount"] == "1500.00"


@pytest.mark.postgres
async def test_concurrent_deliveries_of_one_success_queue_one_email(
    world: PaymentsWorld, sandbox_and_url: tuple[YooKassaSandbox, str]
) -> None:
    _, payment_id = await pay(world, sandbox_and_url[0])
    await EmailOutboxTable.delete(force=True)
    hook = NotifyClientOfPaymentUseCase()
    now = world.clock.now()
    started = asyncio.Event()

    async def hear() -> None:
        async with PiccoloUnitOfWork(world.container.engine) as uow:
            payment = await uow.payments.get(payment_id)
            assert payment is not None
            appointment = await uow.appointments.get(payment.appointment_id)
            await started.wait()
            await hook.on_payment_event(uow, PaymentEventType.SUCCEEDED, payment, appointment, now)
            await asyncio.sleep(0.05)  # hold the transaction open while the others insert
            await uow.commit()

    tasks = [asyncio.create_task(hear()) for _ in range(8)]
    await asyncio.sleep(0.05)
    started.set()
    await asyncio.gather(*tasks)
    assert await EmailOutboxTable.count() == 1


async def test_a_payment_s_status_answer_names_the_service_and_the_moscow_time(
    world: PaymentsWorld, sandbox_and_url: tuple[YooKassaSandbox, str]
) -> None:
    appointment_id, payment_id = await pay(world, sandbox_and_url[0])
    slot = await slot_of(world, appointment_id)
    result = await world.get.execute(payment_id)
    assert result.status is PaymentStatus.SUCCEEDED
    assert result.service_title
    assert result.starts_at == slot.starts_at and result.ends_at == slot.ends_at
    assert result.local_time is not None and result.local_time.endswith("(Москва)")
