"""Services, slots, appointments, consent records and the tracking outbox.

Foreign keys to business records never cascade: deleting a service with history is refused.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    ForeignKey,
    Integer,
    Numeric,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

MONEY = (12, 2)


class ServiceTable(Table, tablename="services"):
    id = UUID(primary_key=True)
    slug = Varchar(length=64, unique=True, index=True)
    title = Varchar(length=200)
    duration_minutes = Integer()
    price = Numeric(digits=MONEY)
    deposit = Numeric(digits=MONEY, null=True, default=None)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class SlotTable(Table, tablename="slots"):
    id = UUID(primary_key=True)
    service = ForeignKey(ServiceTable, on_delete=OnDelete.restrict, index=True)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    status = Varchar(length=16, default="free", index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class AppointmentTable(Table, tablename="appointments"):
    id = UUID(primary_key=True)
    slot = ForeignKey(SlotTable, on_delete=OnDelete.restrict, index=True)
    service = ForeignKey(ServiceTable, on_delete=OnDelete.restrict)
    client_name_encrypted = Text()
    client_email_encrypted = Text(null=True, default=None)
    client_phone_encrypted = Text(null=True, default=None)
    client_email_index = Varchar(length=64, null=True, default=None, index=True)
    client_phone_index = Varchar(length=64, null=True, default=None, index=True)
    status = Varchar(length=32, default="pending_payment", index=True)
    hold_expires_at = Timestamptz(index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ConsentRecordTable(Table, tablename="consent_records"):
    id = UUID(primary_key=True)
    subject_type = Varchar(length=32)
    subject_id = UUID(index=True)
    kind = Varchar(length=32)
    text_version = Varchar(length=32)
    channel = Varchar(length=32)
    granted_at = Timestamptz()
    withdrawn_at = Timestamptz(null=True, default=None)
    evidence_encrypted = Text(null=True, default=None)


class TrackingEventTable(Table, tablename="tracking_events"):
    """Outbox: written with the change it describes, delivered at least once by the worker."""

    id = UUID(primary_key=True)
    name = Varchar(length=64)
    source = Varchar(length=16, default="server")
    properties = JSON(default="{}")
    occurred_at = Timestamptz()
    delivered_at = Timestamptz(null=True, default=None, index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=None)
    claimed_until = Timestamptz(null=True, default=None)
