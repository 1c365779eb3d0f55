"""Waitlist requests, leads, the lead timeline and the email outbox.

Contacts and recipients are stored only as Fernet ciphertext (registered for key rotation in
``tables/encrypted_columns.py``) beside an HMAC blind index; timeline rows carry typed codes
and references, never free text.
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
from piccolo.table import Table

from tables.core.tables import AppointmentTable, ServiceTable


class LeadTable(Table, tablename="leads"):
    """One person as the CRM knows them, deduplicated by the blind index of their contact."""

    id = UUID(primary_key=True)
    contact_method = Varchar(length=16)
    contact_encrypted = Text()
    # The unique constraint is the index: a second one would only cost every insert.
    contact_index = Varchar(length=64, unique=True)
    source = Varchar(length=16)
    status = Varchar(length=16, default="new", index=True)
    first_activity_at = Timestamptz(index=True)
    last_activity_at = Timestamptz()
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class WaitlistRequestTable(Table, tablename="waitlist_requests"):
    """The staff queue works these oldest first (``created_at``), by status and service."""

    id = UUID(primary_key=True)
    service = ForeignKey(ServiceTable, on_delete=OnDelete.restrict, index=True)
    lead = ForeignKey(LeadTable, on_delete=OnDelete.restrict, index=True)
    preferred_contact_method = Varchar(length=16)
    contact_encrypted = Text()
    # Looked up only with the service among active requests: the partial unique index
    # ``waitlist_requests_one_active`` (contact_index, service) serves that.
    contact_index = Varchar(length=64)
    preferred_time_window = Varchar(length=16)
    status = Varchar(length=16, default="new", index=True)
    status_reason = Varchar(length=32, null=True, default=None)
    assignee = ForeignKey(
        BaseUser, on_delete=OnDelete.restrict, null=True, default=None, index=True
    )
    assigned_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(index=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class LeadTimelineEventTable(Table, tablename="lead_timeline_events"):
    """Append-only; a type, references and typed codes, never free text."""

    id = UUID(primary_key=True)
    lead = ForeignKey(LeadTable, on_delete=OnDelete.restrict, index=True)
    type = Varchar(length=32)
    occurred_at = Timestamptz(index=True)
    waitlist_request = ForeignKey(
        WaitlistRequestTable, on_delete=OnDelete.restrict, null=True, default=None
    )
    appointment = ForeignKey(AppointmentTable, on_delete=OnDelete.restrict, null=True, default=None)
    # No foreign key: payments live in another app; the id is enough to find the payment.
    payment_id = UUID(null=True, default=None, index=True)
    staff_user = ForeignKey(BaseUser, on_delete=OnDelete.restrict, null=True, default=None)
    waitlist_status = Varchar(length=16, null=True, default=None)
    outcome = Varchar(length=32, null=True, default=None)


class EmailOutboxTable(Table, tablename="email_outbox"):
    """Outbox of outgoing email; a worker leases a row (``claim_token`` + ``claimed_until``)."""

    id = UUID(primary_key=True)
    recipient_encrypted = Text()
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
