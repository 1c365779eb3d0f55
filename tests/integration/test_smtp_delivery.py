"""Email through a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller

import main
from adapters.smtp_mailer import SmtpMailer
from domain.emails import EmailMessage
from domain.errors import MailRejected, MailServerUnavailable
from domain.models import ConsentEvidence
from domain.use_cases.create_waitlist_request import CreateWaitlistRequestCommand
from domain.use_cases.send_pending_emails import SendPendingEmailsUseCase
from tables.crm.tables import EmailOutboxTable
from tables.demo import seed_demo
from tests.support.live_server import free_port

pytestmark = pytest.mark.anyio

SENDER = "Эмоциональный баланс <noreply@emotional-balance.test>"
ADDRESS = "smtp.person@example.org"


@dataclass
class Inbox:
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(  # noqa: N802 - the name aiosmtpd calls
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


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


async def test_a_message_arrives_as_russian_text_and_html(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER, timeout=5)
    await mailer.send(
        EmailMessage(
            to=ADDRESS, subject="Заявка принята", text="Здравствуйте!", html="<p>Здравствуйте!</p>"
        )
    )
    [(mail_from, rcpt, content)] = inbox.messages
    assert mail_from == "noreply@emotional-balance.test" and rcpt == [ADDRESS]
    parsed = email.message_from_bytes(content, policy=email.policy.default)
    assert parsed["Subject"] == "Заявка принята"
    assert parsed.get_body(("plain",)).get_content().strip() == "Здравствуйте!"  # type: ignore[union-attr]
    assert "<p>Здравствуйте!</p>" in parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]


async def test_refused_recipient_is_permanent_and_a_dead_server_is_temporary(
    smtp: tuple[Inbox, int],
) -> None:
    inbox, port = smtp
    inbox.refuse.add(ADDRESS)
    message = EmailMessage(to=ADDRESS, subject="s", text="t", html="<p>t</p>")
    with pytest.raises(MailRejected):
        await SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER, timeout=5).send(message)
    with pytest.raises(MailServerUnavailable):
        await SmtpMailer(f"smtp://127.0.0.1:{free_port()}", SENDER, timeout=5).send(message)
    assert inbox.messages == []


@pytest.mark.db
async def test_the_worker_delivers_the_waitlist_confirmation_once(
    db: object, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await seed_demo()
    container = main.build_container(main.load_settings())
    slug = (await container.list_services.execute())[-1].slug
    await container.create_waitlist_request.execute(
        CreateWaitlistRequestCommand(
            service_slug=slug,
            preferred_contact_method="email",
            contact_value=ADDRESS,
            preferred_time_window="morning",
            personal_data_consent=True,
            communications_consent=True,
            consent_version="2026-11-01",
            evidence=ConsentEvidence(ip=None, user_agent=None),
        )
    )
    sender = SendPendingEmailsUseCase(
        uow=container.uow,
        clock=container.clock,
        encryptor=container.encryptor,
        mailer=SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER, timeout=5),
    )
    assert await sender.execute() == 1
    assert await sender.execute() == 0
    [(_, rcpt, content)] = inbox.messages
    assert rcpt == [ADDRESS]
    parsed = email.message_from_bytes(content, policy=email.policy.default)
    assert "заявк" in str(parsed["Subject"]).lower()
    assert "лист" in parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    row = await EmailOutboxTable.select().first()
    assert row is not None and row["status"] == "sent" and row["attempts"] == 1


@pytest.mark.db
async def test_a_server_outage_is_retried_later_and_then_delivered(
    db: object, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await seed_demo()
    container = main.build_container(main.load_settings())
    slug = (await container.list_services.execute())[-1].slug
    await container.create_waitlist_request.execute(
        CreateWaitlistRequestCommand(
            service_slug=slug,
            preferred_contact_method="email",
            contact_value=ADDRESS,
            preferred_time_window="any",
            personal_data_consent=True,
            communications_consent=True,
            consent_version="2026-11-01",
            evidence=ConsentEvidence(ip=None, user_agent=None),
        )
    )

    def sender(target_port: int) -> SendPendingEmailsUseCase:
        return SendPendingEmailsUseCase(
            uow=container.uow,
            clock=container.clock,
            encryptor=container.encryptor,
            mailer=SmtpMailer(f"smtp://127.0.0.1:{target_port}", SENDER, timeout=5),
        )

    assert await sender(free_port()).execute() == 0
    row = await EmailOutboxTable.select().first()
    assert row is not None and row["status"] == "pending" and row["attempts"] == 1
    assert row["last_error"] == "MailServerUnavailable"
    assert await sender(port).execute() == 0  # backoff: not due yet
    await EmailOutboxTable.update(
        {EmailOutboxTable.next_attempt_at: container.clock.now() - timedelta(seconds=1)}
    ).where(EmailOutboxTable.id == row["id"])
    assert await sender(port).execute() == 1
    assert len(inbox.messages) == 1
