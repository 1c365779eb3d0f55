"""Waitlist requests, leads, the lead timeline and the email outbox.

Contacts and recipients are stored only as Fernet ciphertext (registered for key rotation in
``tables/encrypted_columns.py``) beside an HMAC blind index; timeline rows carry typed codes
and references, never free text. Columns staff see carry a Russian ``verbose_name`` and codes
Russian ``choices``; ciphertext and blind indexes are ``secret`` (never in the admin API).
"""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import (
    JSON,
    UUID,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.readable import Readable
from piccolo.table import Table

from tables.core.tables import AppointmentTable, ServiceTable, SlotTable
from tables.labels import (
    ContactMethodChoice,
    LeadSourceChoice,
    LeadStatusChoice,
    OfferChannelChoice,
    OfferStatusChoice,
    StatusOutcomeChoice,
    TimelineEventChoice,
    TimeWindowChoice,
    WaitlistStatusChoice,
    titled,
)


class LeadTable(Table, tablename="leads"):
    """One person as the CRM knows them, deduplicated by the blind index of their contact."""

    id = titled("ID", UUID(primary_key=True))
    contact_method = titled("Способ связи", Varchar(length=16, choices=ContactMethodChoice))
    contact_encrypted = titled("Контакт (зашифрован)", Text(secret=True))
    # The unique constraint is the index: a second one would only cost every insert.
    contact_index = titled("Индекс контакта", Varchar(length=64, unique=True, secret=True))
    source = titled("Источник", Varchar(length=16, choices=LeadSourceChoice))
    status = titled(
        "Статус", Varchar(length=16, default="new", index=True, choices=LeadStatusChoice)
    )
    first_activity_at = titled("Первое обращение", Timestamptz(index=True))
    last_activity_at = titled("Последняя активность", Timestamptz())
    created_at = titled("Создан", Timestamptz(default=TimestamptzNow()))
    updated_at = titled("Изменён", Timestamptz(default=TimestamptzNow()))


class WaitlistRequestTable(Table, tablename="waitlist_requests"):
    """The staff queue works these oldest first (``created_at``), by status and service."""

    id = titled("ID", UUID(primary_key=True))
    service = titled("Услуга", ForeignKey(ServiceTable, on_delete=OnDelete.restrict, index=True))
    lead = titled("Лид", ForeignKey(LeadTable, on_delete=OnDelete.restrict, index=True))
    preferred_contact_method = titled(
        "Способ связи", Varchar(length=16, choices=ContactMethodChoice)
    )
    contact_encrypted = titled("Контакт (зашифрован)", Text(secret=True))
    # Looked up only with the service among active requests: the partial unique index
    # ``waitlist_requests_one_active`` (contact_index, service) serves that.
    contact_index = titled("Индекс контакта", Varchar(length=64, secret=True))
    preferred_time_window = titled("Удобное время", Varchar(length=16, choices=TimeWindowChoice))
    status = titled(
        "Статус", Varchar(length=16, default="new", index=True, choices=WaitlistStatusChoice)
    )
    status_reason = titled(
        "Результат", Varchar(length=32, null=True, default=None, choices=StatusOutcomeChoice)
    )
    assignee = titled(
        "Сотрудник",
        ForeignKey(
            BaseUser,
            on_delete=OnDelete.restrict,
            null=True,
            default=None,
            index=True,
        ),
    )
    assigned_at = titled("Взята в работу", Timestamptz(null=True, default=None))
    created_at = titled("Поступила", Timestamptz(index=True))
    updated_at = titled("Изменена", Timestamptz(default=TimestamptzNow()))

    @classmethod
    def get_readable(cls) -> Readable:
        """Where a request is referenced (the lead timeline): its service's title."""
        return Readable(template="%s", columns=[cls.service.title])


class LeadTimelineEventTable(Table, tablename="lead_timeline_events"):
    """Append-only; a type, references and typed codes, never free text."""

    id = titled("ID", UUID(primary_key=True))
    lead = titled("Лид", ForeignKey(LeadTable, on_delete=OnDelete.restrict, index=True))
    type = titled("Событие", Varchar(length=32, choices=TimelineEventChoice))
    occurred_at = titled("Когда", Timestamptz(index=True))
    waitlist_request = titled(
        "Заявка",
        ForeignKey(
            WaitlistRequestTable,
            on_delete=OnDelete.restrict,
            null=True,
            default=None,
        ),
    )
    appointment = titled(
        "Запись",
        ForeignKey(
            AppointmentTable,
            on_delete=OnDelete.restrict,
            null=True,
            default=None,
        ),
    )
    # No foreign key: payments live in another app; the id is enough to find the payment.
    payment_id = titled("ID платежа", UUID(null=True, default=None, index=True))
    staff_user = titled(
        "Сотрудник", ForeignKey(BaseUser, on_delete=OnDelete.restrict, null=True, default=None)
    )
    waitlist_status = titled(
        "Статус заявки",
        Varchar(
            length=16,
            null=True,
            default=None,
            choices=WaitlistStatusChoice,
        ),
    )
    outcome = titled(
        "Результат", Varchar(length=32, null=True, default=None, choices=StatusOutcomeChoice)
    )


class WaitlistConfirmationTable(Table, tablename="waitlist_confirmations"):
    """When a contact was last queued a waitlist confirmation for a service: the 24-hour rule
    (``CONFIRMATION_INTERVAL``). One row per contact and service (the unique index
    ``waitlist_confirmations_one_per_contact``), moved forward by a conditional upsert, so
    concurrent submissions cannot both queue one. A row older than the interval says nothing
    any more: the worker deletes it."""

    contact_index = titled("Индекс контакта", Varchar(length=64, secret=True))
    service = titled("Услуга", ForeignKey(ServiceTable, on_delete=OnDelete.cascade, null=False))
    queued_at = titled("Подтверждение отправлено", Timestamptz(index=True))


class EmailOutboxTable(Table, tablename="email_outbox"):
    """Outbox of outgoing email; a worker leases a row (``claim_token`` + ``claimed_until``)."""

    id = UUID(primary_key=True)
    recipient_encrypted = Text(secret=True)
    template = Varchar(length=64)
    params = JSON(default="{}")
    status = Varchar(length=16, default="pending", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(index=True)
    claimed_until = Timestamptz(null=True, default=None)
    claim_token = UUID(null=True, default=None)
    last_error = Varchar(length=64, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
    # The recipient's blind index: a withdrawal or the retention job finds the contact's
    # emails by it. Empty for rows queued before it existed (found by ciphertext instead).
    recipient_index = Varchar(length=64, null=True, default=None, index=True, secret=True)


class WithdrawalTokenTable(Table, tablename="withdrawal_tokens"):
    """Withdrawal tokens, only as SHA-256: the token itself is in the email and nowhere else.

    ``contact_index`` binds a token to its contact until the contact is withdrawn or erased
    (then it is emptied and the token withdraws nothing). Not shown in the admin.
    """

    id = UUID(primary_key=True)
    token_hash = Varchar(length=64, unique=True, secret=True)
    contact_index = Varchar(length=64, null=True, default=None, index=True, secret=True)
    created_at = Timestamptz(default=TimestamptzNow())
    withdrawn_at = Timestamptz(null=True, default=None)


class FreedSlotTable(Table, tablename="freed_slots"):
    """Slots that became free, to be offered to the waitlist: written by the database itself.

    Triggers on ``slots`` (migration ``crm_2026_12_02t21_00_00_000000``, on SQLite and
    PostgreSQL) insert a row whenever a slot is inserted free or its status changes to free,
    whoever does it: the admin's CRUD, the bulk form, an expired hold, a cancelled payment,
    an ended offer. The worker job ``offer-freed-slots`` takes (deletes) them oldest first.
    """

    slot = ForeignKey(SlotTable, on_delete=OnDelete.cascade, null=False)


class WaitlistOfferTable(Table, tablename="waitlist_offers"):
    """A freed slot offered to one waitlist request (``domain/offers.py``).

    Partial unique indexes keep one open (``offered``) offer per slot and per request, and
    a slot is offered to a request at most once (migration ``crm_2026_12_02t21_00_00_000000``).
    """

    id = titled("ID", UUID(primary_key=True))
    slot = titled(
        "Время приёма",
        ForeignKey(SlotTable, on_delete=OnDelete.restrict, index=True, null=False),
    )
    waitlist_request = titled(
        "Заявка",
        ForeignKey(WaitlistRequestTable, on_delete=OnDelete.restrict, index=True, null=False),
    )
    lead = titled("Лид", ForeignKey(LeadTable, on_delete=OnDelete.restrict, null=False))
    channel = titled("Как сообщаем", Varchar(length=16, choices=OfferChannelChoice))
    status = titled("Статус", Varchar(length=16, index=True, choices=OfferStatusChoice))
    offered_at = titled("Предложено", Timestamptz())
    expires_at = titled("Время закреплено до", Timestamptz(index=True))
    decided_at = titled("Ответ или истечение", Timestamptz(null=True, default=None))
    appointment = titled(
        "Запись",
        ForeignKey(AppointmentTable, on_delete=OnDelete.restrict, null=True, default=None),
    )
    staff_user = titled(
        "Сотрудник", ForeignKey(BaseUser, on_delete=OnDelete.restrict, null=True, default=None)
    )


class WaitlistOfferTokenTable(Table, tablename="waitlist_offer_tokens"):
    """The tokens of offer links, only as SHA-256: the token itself is in the email only.
    Each sent offer email has its own; every token of an offer leads to it."""

    id = UUID(primary_key=True)
    offer = ForeignKey(WaitlistOfferTable, on_delete=OnDelete.cascade, null=False, index=True)
    token_hash = Varchar(length=64, unique=True, secret=True)
    created_at = Timestamptz()
