"""Payments and the Idempotency-Key store.

A payment row holds our ids, the provider's id, status, kind, amount and the confirmation
the client needs; never card or payment-method details, never request or response bodies.
"""

from __future__ import annotations

from piccolo.columns import (
    UUID,
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

from tables.core.tables import AppointmentTable

MONEY = (12, 2)


class PaymentTable(Table, tablename="payments"):
    id = UUID(primary_key=True)
    appointment_id = ForeignKey(AppointmentTable, on_delete=OnDelete.restrict, index=True)
    provider = Varchar(length=16, default="yookassa")
    provider_payment_id = Varchar(length=64, null=True, default=None, unique=True)
    status = Varchar(length=32, default="creating", index=True)
    kind = Varchar(length=16)
    amount = Numeric(digits=MONEY)
    currency = Varchar(length=3, default="RUB")
    # The Idempotence-Key we send to YooKassa for this payment, on every retry.
    idempotence_key = Varchar(length=64, unique=True)
    request_fingerprint = Varchar(length=64)
    confirmation_type = Varchar(length=16, null=True, default=None)
    confirmation_url = Text(null=True, default=None)
    confirmation_token = Varchar(length=256, null=True, default=None)
    cancellation_reason = Varchar(length=64, null=True, default=None)
    claimed_until = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)


class IdempotencyKeyTable(Table, tablename="idempotency_keys"):
    """Idempotency-Key records of the public API, kept at least 24 hours."""

    id = UUID(primary_key=True)
    key = Varchar(length=160, unique=True)
    request_hash = Varchar(length=64)
    state = Varchar(length=16, default="in_flight")  # in_flight | completed
    locked_until = Timestamptz(null=True, default=None)
    response_status = Integer(null=True, default=None)
    response_body = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(index=True)
