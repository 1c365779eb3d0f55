"""Outgoing email: the outbox entry, the message in memory, the templates and the retry policy.

The outbox stores the recipient only encrypted and the template's parameters, never personal
or health data: the waitlist confirmation does not even name the service; the payment emails
name only the service's title, the appointment's date and time and the amount. The message
with the plaintext address exists only in memory while it is being sent.
"""

from __future__ import annotations

import enum
import html
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from domain.ics import CalendarEvent, to_ics
from domain.models import Money, require_aware
from domain.payments import PaymentKind, RefundReason
from domain.practice_time import rubles_text

MAX_EMAIL_ATTEMPTS = 8
# At most one waitlist confirmation per contact and service in this interval, counted from
# when one was queued, whatever became of it (sent, failed, still pending), and whether the
# submission made a new request or not: so the form cannot be used to flood someone's inbox.
CONFIRMATION_INTERVAL = timedelta(hours=24)
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
    PAYMENT_CONFIRMATION = "payment_confirmation"
    PAYMENT_REFUND = "payment_refund"
    WAITLIST_OFFER = "waitlist_offer"


PRACTICE_NAME = "Эмоциональный баланс"
CALENDAR_CONTENT_TYPE = "text/calendar; method=PUBLISH; charset=utf-8"
_OUTBOX_IDS = uuid5(NAMESPACE_URL, "https://emotional-balance/email-outbox")


def outbox_id(template: EmailTemplate, about: UUID) -> UUID:
    """The one outbox id of ``template`` about one thing (a payment): the same every time it
    is asked for, so the outbox's primary key keeps a second copy out, whoever races."""
    return uuid5(_OUTBOX_IDS, f"{template.value}:{about}")


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
        id: UUID | None = None,
        recipient_index: str | None = None,
    ) -> OutgoingEmail:
        """A new pending email; give ``id`` (see :func:`outbox_id`) for one that must be
        queued at most once."""
        require_aware(now)
        return cls(
            id=id or uuid4(),
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
class EmailAttachment:
    filename: str
    content_type: str  # a full MIME type with its parameters
    content: bytes

    def __repr__(self) -> str:
        return f"EmailAttachment({self.filename!r}, {self.content_type!r}, {len(self.content)} B)"


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    """A template filled in: subject, plain text, HTML and attachments, no recipient."""

    subject: str
    text: str
    html: str
    attachments: tuple[EmailAttachment, ...] = ()


@dataclass(frozen=True, slots=True)
class EmailMessage:
    """A rendered message with its plaintext recipient: in memory only, masked in repr."""

    to: str
    subject: str
    text: str
    html: str
    message_id: UUID = field(default_factory=uuid4)
    attachments: tuple[EmailAttachment, ...] = ()

    @classmethod
    def of(cls, rendered: RenderedEmail, *, to: str, message_id: UUID) -> EmailMessage:
        return cls(
            to=to,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            message_id=message_id,
            attachments=rendered.attachments,
        )

    def __repr__(self) -> str:
        return f"EmailMessage(to='***', subject={self.subject!r}, message_id={self.message_id})"

    __str__ = __repr__


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min ..."""
    exponent = max(0, attempts - 1)
    delay: timedelta = FIRST_RETRY_DELAY * int(2 ** min(exponent, 20))
    return min(delay, MAX_RETRY_DELAY)


def payment_confirmation_params(
    *,
    appointment_id: UUID,
    service_title: str,
    starts_at: datetime,
    ends_at: datetime,
    when: str,
    amount: Money,
    kind: PaymentKind,
    price: Money,
    issued_at: datetime,
) -> dict[str, str]:
    """What the payment confirmation is rendered from: nothing about the person."""
    return {
        "appointment_id": str(appointment_id),
        "service_title": service_title,
        "starts_at": _utc_iso(starts_at),
        "ends_at": _utc_iso(ends_at),
        "when": when,
        "amount": amount.value,
        "kind": kind.value,
        "price": price.value,
        "issued_at": _utc_iso(issued_at),
    }


def payment_refund_params(
    *, service_title: str, when: str, amount: Money, reason: RefundReason
) -> dict[str, str]:
    """What the refund email is rendered from: nothing about the person."""
    return {
        "service_title": service_title,
        "when": when,
        "amount": amount.value,
        "reason": reason.value,
    }


def waitlist_offer_params(
    *, offer_id: UUID, service_title: str, when: str, reserved_until: str
) -> dict[str, str]:
    """What the offer email is rendered from: nothing about the person. The link (with its
    token) is added by the sending worker, in memory (``OFFER_URL_PARAM``)."""
    return {
        "offer_id": str(offer_id),
        "service_title": service_title,
        "when": when,
        "reserved_until": reserved_until,
    }


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


def render(template: EmailTemplate, params: dict[str, str]) -> RenderedEmail:
    """Subject, plain text, HTML and attachments of a template, in Russian."""
    if template is EmailTemplate.WAITLIST_CONFIRMATION:
        return _waitlist_confirmation(params)
    if template is EmailTemplate.PAYMENT_CONFIRMATION:
        return _payment_confirmation(params)
    if template is EmailTemplate.PAYMENT_REFUND:
        return _payment_refund(params)
    if template is EmailTemplate.WAITLIST_OFFER:
        return _waitlist_offer(params)
    raise ValueError(f"unknown email template {template!r}")  # pragma: no cover


def _utc_iso(moment: datetime) -> str:
    return require_aware(moment).astimezone(UTC).isoformat()


def _document(subject: str, paragraphs: list[str], params: dict[str, str]) -> tuple[str, str]:
    """Plain text and HTML of the same paragraphs (a newline inside one is a line break),
    ending, as every email to a client does, with how to withdraw consent."""
    kept = [p for p in paragraphs if p]
    footer_text, footer_html = withdrawal_footer(params)
    text = "\n\n".join(kept) + "\n\n" + footer_text + "\n"
    body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in kept)
    body += footer_html
    html_doc = (
        '<!doctype html><html lang="ru"><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>"
        f'<body style="font-family: sans-serif; line-height: 1.5">{body}</body></html>'
    )
    return text, html_doc


_SIGNATURE = "С уважением,\nадминистратор «Эмоционального баланса»"


def _waitlist_confirmation(params: dict[str, str]) -> RenderedEmail:
    # Deliberately generic: no service name, no time window, nothing about a person's reasons.
    request_ref = params.get("request_ref", "")
    subject = f"Мы получили вашу заявку — «{PRACTICE_NAME}»"
    text, html_doc = _document(
        subject,
        [
            "Здравствуйте!",
            "Спасибо, что оставили заявку в листе ожидания «Эмоционального баланса». "
            "Как только появится подходящее время, администратор свяжется с вами "
            "выбранным способом.",
            f"Номер заявки: {request_ref}" if request_ref else "",
            _SIGNATURE,
        ],
        params,
    )
    return RenderedEmail(subject=subject, text=text, html=html_doc)


def _payment_confirmation(params: dict[str, str]) -> RenderedEmail:
    # Only the service's title, the time and the money: never why a person comes.
    service = params["service_title"]
    when = params["when"]
    amount = rubles_text(params["amount"])
    if params["kind"] == PaymentKind.DEPOSIT.value:
        paid = (
            f"{amount} — предоплата (стоимость приёма {rubles_text(params['price'])}; "
            "как оплатить остаток, подскажет администратор)"
        )
    else:
        paid = f"{amount} — полная стоимость"
    # The subject shows in lock-screen previews: the time, not the service.
    subject = f"Запись подтверждена: {when}"
    text, html_doc = _document(
        subject,
        [
            "Здравствуйте!",
            "Оплата прошла, ваша запись в «Эмоциональном балансе» подтверждена.",
            f"Услуга: {service}\nКогда: {when}\nОплачено: {paid}",
            "Что дальше:\n"
            "— Психолог будет ждать вас в назначенное время. Чтобы встреча не потерялась, "
            "добавьте её в календарь: файл во вложении.\n"
            "— Если планы изменятся, ответьте на это письмо или напишите администратору: "
            "мы поможем перенести или отменить запись. Пожалуйста, предупредите нас заранее.",
            "До встречи!\nАдминистратор «Эмоционального баланса»",
        ],
        params,
    )
    event = CalendarEvent(
        appointment_id=UUID(params["appointment_id"]),
        starts_at=datetime.fromisoformat(params["starts_at"]),
        ends_at=datetime.fromisoformat(params["ends_at"]),
        summary=f"{service} — «{PRACTICE_NAME}»",
        description=(
            "Запись оплачена и подтверждена. Перенести или отменить: ответьте на письмо "
            "с подтверждением или напишите администратору."
        ),
        stamp=datetime.fromisoformat(params["issued_at"]),
    )
    attachment = EmailAttachment(
        filename="zapis.ics", content_type=CALENDAR_CONTENT_TYPE, content=to_ics(event)
    )
    return RenderedEmail(subject=subject, text=text, html=html_doc, attachments=(attachment,))


_REFUND_REASONS = {
    RefundReason.HOLD_EXPIRED: (
        "К сожалению, мы не смогли сохранить за вами это время: бронь закончилась раньше, "
        "чем до нас дошла оплата."
    ),
    RefundReason.APPOINTMENT_CANCELLED: (
        "К сожалению, эта запись была отменена раньше, чем до нас дошла оплата."
    ),
    RefundReason.ALREADY_PAID: "Эта запись уже была оплачена, поэтому второй платёж мы вернули.",
    RefundReason.BY_STAFF: "Мы оформили возврат оплаты за вашу запись.",
}
_REFUND_NEXT = {
    RefundReason.HOLD_EXPIRED: (
        "Администратор свяжется с вами, чтобы подобрать другое удобное время. "
        "Можно и просто ответить на это письмо."
    ),
    RefundReason.APPOINTMENT_CANCELLED: (
        "Администратор свяжется с вами, чтобы подобрать другое удобное время. "
        "Можно и просто ответить на это письмо."
    ),
    RefundReason.ALREADY_PAID: "Ваша запись остаётся в силе: ждём вас в назначенное время.",
    RefundReason.BY_STAFF: (
        "Если у вас есть вопросы, ответьте на это письмо: администратор поможет."
    ),
}


def refund_reason_text(reason: RefundReason) -> str:
    return _REFUND_REASONS[reason]


def _payment_refund(params: dict[str, str]) -> RenderedEmail:
    reason = RefundReason(params["reason"])
    amount = rubles_text(params["amount"])
    subject = f"Возврат оплаты {amount} — «{PRACTICE_NAME}»"
    text, html_doc = _document(
        subject,
        [
            "Здравствуйте!",
            _REFUND_REASONS[reason],
            f"Мы вернули вам всю сумму оплаты: {amount}.\n"
            f"Запись: {params['service_title']}, {params['when']}.",
            "Деньги придут туда, откуда была оплата: на карту или счёт. Обычно это занимает "
            "несколько дней, но иногда банку нужно до 30 дней.",
            _REFUND_NEXT[reason],
            _SIGNATURE,
        ],
        params,
    )
    return RenderedEmail(subject=subject, text=text, html=html_doc)


def _waitlist_offer(params: dict[str, str]) -> RenderedEmail:
    # Only the service's title and the time: the subject shows in lock-screen previews.
    url = params.get("offer_url", "")
    subject = f"Освободилось время: {params['when']}"
    text, html_doc = _document(
        subject,
        [
            "Здравствуйте!",
            "Вы оставляли заявку в листе ожидания «Эмоционального баланса». "
            "Освободилось время, которое вам подходит, и мы придержали его для вас.",
            f"Услуга: {params['service_title']}\nКогда: {params['when']}",
            f"Время закреплено за вами до {params['reserved_until']}. Чтобы записаться, "
            "откройте ссылку и нажмите кнопку, затем оплатите запись:\n" + url
            if url
            else "",
            "Если время не подходит, ничего делать не нужно: после этого срока мы предложим "
            "его следующему человеку, а ваша заявка останется в листе ожидания.",
            _SIGNATURE,
        ],
        params,
    )
    if url:  # the link, clickable (it is escaped the same way in the paragraph)
        shown = html.escape(url)
        html_doc = html_doc.replace(
            shown, f'<a href="{html.escape(url, quote=True)}">{shown}</a>', 1
        )
    return RenderedEmail(subject=subject, text=text, html=html_doc)
