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
FIRST_RETRY_DELAY = timedelta(seconds=30)
MAX_RETRY_DELAY = timedelta(hours=2)
# The parameter the sending worker fills with the withdrawal link (see ``withdrawal_footer``).
WITHDRAW_URL_PARAM = "withdraw_url"
_FOOTER_STYLE = "font-size: 0.9em; color: #555"


class EmailStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    # The recipient withdrew consent (or their contact was erased): never sent, even when a
    # worker had already leased it.
    CANCELLED = "cancelled"


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
    # The recipient's blind index (namespace ``email``): how a withdrawal or the retention job
    # finds the emails of a contact, to cancel and erase them.
    recipient_index: str | None = None

    @classmethod
    def queue(
        cls,
        *,
        recipient_ciphertext: str,
        template: EmailTemplate,
        now: datetime,
        params: dict[str, str] | None = None,
        recipient_index: str | None = None,
    ) -> OutgoingEmail:
        require_aware(now)
        return cls(
            id=uuid4(),
            recipient_ciphertext=recipient_ciphertext,
            recipient_index=recipient_index,
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


def withdrawal_footer(params: dict[str, str]) -> tuple[str, str]:
    """The last paragraph of every email to a client: how to withdraw consent.

    Returns ``(text, html)``. The link is ``params[WITHDRAW_URL_PARAM]``, which only the
    sending worker puts there, in memory, with a token it has just issued
    (``SendPendingEmailsUseCase``): the outbox never holds a usable token. Without it (a
    preview) the footer names the other ways to withdraw.
    """
    url = params.get(WITHDRAW_URL_PARAM, "")
    lead = (
        "Если вы передумали, вы можете в любой момент отозвать согласие на обработку "
        "персональных данных"
    )
    effect = "Мы удалим ваш контакт, закроем ваши заявки и больше не будем вам писать."
    if not url:
        text = f"{lead}: позвоните или напишите администратору. {effect}"
        return text, f'<p style="{_FOOTER_STYLE}">{html.escape(text)}</p>'
    text = f"{lead} по ссылке:\n{url}\n{effect}"
    link = f'<a href="{html.escape(url, quote=True)}">по этой ссылке</a>'
    return text, (
        f'<p style="{_FOOTER_STYLE}">{html.escape(lead)} {link}. {html.escape(effect)}</p>'
    )


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
        f"Номер заявки: {request_ref}" if request_ref else "",
        "С уважением,\nадминистратор «Эмоционального баланса»",
    ]
    footer_text, footer_html = withdrawal_footer(params)
    text = "\n\n".join(p for p in paragraphs if p) + "\n\n" + footer_text + "\n"
    body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs if p)
    body += footer_html
    html_doc = (
        '<!doctype html><html lang="ru"><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>"
        f'<body style="font-family: sans-serif; line-height: 1.5">{body}</body></html>'
    )
    return subject, text, html_doc
