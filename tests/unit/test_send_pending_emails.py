"""Sending the email outbox on fakes: retries, backoff, permanent failures, never twice."""

from __future__ import annotations

import io
from datetime import timedelta
from uuid import uuid4

import pytest

from adapters.smtp_mailer import ConsoleMailer
from domain.emails import (
    EmailMessage,
    EmailStatus,
    EmailTemplate,
    OutgoingEmail,
    render,
    retry_delay,
)
from domain.use_cases.send_pending_emails import SendPendingEmailsUseCase
from tests.support.crm_fakes import RecordingMailer, permanent_failure, temporary_failure
from tests.support.fakes import FakeEncryptor, FixedClock, InMemoryUnitOfWorkFactory

pytestmark = pytest.mark.anyio

ADDRESS = "anna@example.com"


def setup(
    max_attempts: int = 3,
) -> tuple[SendPendingEmailsUseCase, InMemoryUnitOfWorkFactory, FixedClock, RecordingMailer]:
    uow = InMemoryUnitOfWorkFactory()
    clock = FixedClock()
    mailer = RecordingMailer()
    encryptor = FakeEncryptor()
    email = OutgoingEmail.queue(
        recipient_ciphertext=encryptor.encrypt(ADDRESS),
        template=EmailTemplate.WAITLIST_CONFIRMATION,
        params={"request_ref": "abcd1234"},
        now=clock.now(),
    )
    uow.store.emails[email.id] = email
    use_case = SendPendingEmailsUseCase(
        uow=uow, clock=clock, encryptor=encryptor, mailer=mailer, max_attempts=max_attempts
    )
    return use_case, uow, clock, mailer


async def test_a_pending_email_is_sent_once_and_never_again() -> None:
    use_case, uow, clock, mailer = setup()
    assert await use_case.execute() == 1
    clock.advance(timedelta(hours=3))
    assert await use_case.execute() == 0
    [message] = mailer.sent
    assert message.to == ADDRESS
    [email] = uow.store.emails.values()
    assert email.status is EmailStatus.SENT and email.attempts == 1
    assert email.sent_at == clock.now() - timedelta(hours=3)


async def test_a_temporary_failure_is_retried_with_exponential_backoff() -> None:
    use_case, uow, clock, mailer = setup(max_attempts=5)
    mailer.fail_next(temporary_failure(), temporary_failure())
    start = clock.now()

    assert await use_case.execute() == 0
    [email] = uow.store.emails.values()
    assert email.next_attempt_at == start + timedelta(seconds=30)
    assert email.last_error == "MailServerUnavailable"
    assert await use_case.execute() == 0  # not due yet: nothing is tried
    [email] = uow.store.emails.values()
    assert email.attempts == 1

    clock.advance(timedelta(seconds=30))
    assert await use_case.execute() == 0
    [email] = uow.store.emails.values()
    assert email.attempts == 2
    assert email.next_attempt_at == clock.now() + timedelta(minutes=1)

    clock.advance(timedelta(minutes=1))
    assert await use_case.execute() == 1
    assert len(mailer.sent) == 1


async def test_a_permanent_rejection_or_the_last_attempt_fails_the_message() -> None:
    use_case, uow, clock, mailer = setup()
    mailer.fail_next(permanent_failure())
    assert await use_case.execute() == 0
    [email] = uow.store.emails.values()
    assert email.status is EmailStatus.FAILED

    use_case, uow, clock, mailer = setup(max_attempts=2)
    mailer.fail_next(temporary_failure(), temporary_failure(), temporary_failure())
    await use_case.execute()
    clock.advance(timedelta(hours=1))
    await use_case.execute()
    clock.advance(timedelta(hours=1))
    await use_case.execute()
    [email] = uow.store.emails.values()
    assert email.status is EmailStatus.FAILED and email.attempts == 2
    assert mailer.sent == []


async def test_failures_are_logged_with_the_error_class_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    use_case, _, _, mailer = setup()
    mailer.fail_next(RuntimeError(f"boom for {ADDRESS}"))
    with caplog.at_level("DEBUG"):
        await use_case.execute()
    assert "RuntimeError" in caplog.text
    assert ADDRESS not in caplog.text


def test_backoff_doubles_and_is_capped() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay(30) == timedelta(hours=2)


def test_the_confirmation_is_russian_plain_text_and_html_without_health_details() -> None:
    rendered = render(EmailTemplate.WAITLIST_CONFIRMATION, {"request_ref": "abcd1234"})
    subject, text, html = rendered.subject, rendered.text, rendered.html
    assert rendered.attachments == ()
    assert "заявк" in subject
    assert "лист" in text and "abcd1234" in text
    assert html.startswith("<!doctype html>") and 'lang="ru"' in html
    for word in ("консультац", "диагноз", "терап", "тревог", "депресс", "сесси"):
        assert word not in (subject + text + html).lower()


async def test_the_console_sink_shows_the_message_but_never_the_recipient(
    caplog: pytest.LogCaptureFixture,
) -> None:
    out = io.StringIO()
    with caplog.at_level("DEBUG"):
        await ConsoleMailer("noreply@localhost", out).send(
            EmailMessage(
                to=ADDRESS, subject="Тема", text="Текст", html="<p>Текст</p>", message_id=uuid4()
            )
        )
    assert "Тема" in out.getvalue() and "Текст" in out.getvalue()
    assert ADDRESS not in out.getvalue() + caplog.text
    assert ADDRESS not in repr(EmailMessage(to=ADDRESS, subject="s", text="t", html="h"))
