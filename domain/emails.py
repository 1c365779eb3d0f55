"""Outgoing email: the outbox entry, the message in memory, the templates and the retry policy.

The outbox stores the recipient only encrypted and the template's parameters (never personal
or health data: the confirmation does not even name the service). The message with the
plaintext address exists only in memory while it is being sent.
"""

from __future__ import annotations

import enum
import html
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from domain.models import require_aware

MAX_EMAIL_ATTEMPTS = 8
# At most one waitlist confirmation per contact and service in this interval, counted from
# when one was queued, whatever became of it (sent, failed, still pending), and whether the
# submission made a new request or not: so the form cannot be used to flood someone's inbox.
CONFIRMATION_INTERVAL = timedelta(hours=24)
FIRST_RETRY_DELAY = timedelta(seconds=30)
MAX_RETRY_DELAY = timedelta(hours=2)


class EmailStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class EmailTemplate(enum.StrEnum):
    WAITLIST_CONFIRMATION = "waitlist_confirmation"


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    id: UUID
    recipient_ciphertext: str
    template: EmailTemplate
    params: dict[str, str]
    status: EmailStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None = None
    last_error: str | None = None

    @classmethod
    def queue(
        cls,
        *,
        recipient_ciphertext: str,
        template: EmailTemplate,
        now: datetime,
        params: dict[str, str] | None = None,
    ) -> OutgoingEmail:
        require_aware(now)
        return cls(
            id=uuid4(),
            recipient_ciphertext=recipient_ciphertext,
            template=template,
            params=dict(params or {}),
            status=EmailStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )


@dataclass(frozen=True, slots=True)
class ClaimedEmail:
    """An outbox entry this worker holds a lease on; ``claim_token`` proves the lease."""

    email: OutgoingEmail
    claim_token: UUID


@dataclass(frozen=True, slots=True)
class EmailMessage:
    """A rendered message with its plaintext recipient: in memory only, masked in repr."""

    to: str
    subject: str
    text: str
    html: str
    message_id: UUID = field(default_factory=uuid4)

    def __repr__(self) -> str:
        return f"EmailMessage(to='***', subject={self.subject!r}, message_id={self.message_id})"

    __str__ = __repr__


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min ..."""
    exponent = max(0, attempts - 1)
    delay: timedelta = FIRST_RETRY_DELAY * int(2 ** min(exponent, 20))
    return min(delay, MAX_RETRY_DELAY)


def render(template: EmailTemplate, params: dict[str, str]) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a template, in Russian."""
    if template is EmailTemplate.WAITLIST_CONFIRMATION:
        return _waitlist_confirmation(params)
    raise ValueError(f"unknown email template {template!r}")  # pragma: no cover


def _waitlist_confirmation(params: dict[str, str]) -> tuple[str, str, str]:
    # Deliberately generic: no service name, no time window, nothing about a person's reasons.
    request_ref = params.get("request_ref", "")
    subject = "Мы получили вашу заявку — «Эмоциональный баланс»"
    paragraphs = [
        "Здравствуйте!",
        "Спасибо, что оставили заявку в листе ожидания «Эмоционального баланса». "
        "Как только появится подходящее время, администратор свяжется с вами "
        "выбранным способом.",
        "Если вы передумали или оставили заявку по ошибке, просто ответьте на это письмо.",
        f"Номер заявки: {request_ref}" if request_ref else "",
        "С уважением,\nадминистратор «Эмоционального баланса»",
    ]
    text = "\n\n".join(p for p in paragraphs if p) + "\n"
    body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs if p)
    html_doc = (
        '<!doctype html><html lang="ru"><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>"
        f'<body style="font-family: sans-serif; line-height: 1.5">{body}</body></html>'
    )
    return subject, text, html_doc
