"""Piccolo repositories of payments and Idempotency-Keys; they run in the current unit of work."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from asyncpg.exceptions import UniqueViolationError  # type: ignore[import-untyped]

from domain.errors import LivePaymentExists
from domain.models import Money
from domain.payments import (
    LIVE_STATUSES,
    Confirmation,
    ConfirmationType,
    IdempotencyRecord,
    Payment,
    PaymentKind,
    PaymentStatus,
    RefundReason,
)
from tables.database import as_utc, as_utc_or_none
from tables.payments.tables import IdempotencyKeyTable, PaymentTable

# One payment in progress per appointment (migration 2026-12-02T13:50:00).
LIVE_INDEX = "payments_one_live_per_appointment"
LIVE = sorted(status.value for status in LIVE_STATUSES)
IN_FLIGHT = "in_flight"
COMPLETED = "completed"


async def _violates_live_index(exc: Exception, appointment_id: UUID) -> bool:
    """Whether a failed insert broke the one-payment-in-progress index, told by the driver's
    exception type and the index, never by message text."""
    if isinstance(exc, UniqueViolationError):  # PostgreSQL names the index
        return bool(exc.constraint_name == LIVE_INDEX)
    if (
        isinstance(exc, sqlite3.IntegrityError)
        and exc.sqlite_errorname == "SQLITE_CONSTRAINT_UNIQUE"
    ):
        # SQLite names columns, never the index; the failed statement alone was undone, so
        # the index's own question can be asked in the same transaction.
        return await _has_payment_in_progress(appointment_id)
    return False


async def _has_payment_in_progress(appointment_id: UUID) -> bool:
    return bool(
        await PaymentTable.exists().where(
            (PaymentTable.appointment_id == appointment_id) & PaymentTable.status.is_in(LIVE)
        )
    )


def payment_from_row(row: dict[str, Any]) -> Payment:
    confirmation = None
    if row["confirmation_type"]:
        confirmation = Confirmation(
            type=ConfirmationType(row["confirmation_type"]),
            confirmation_url=row["confirmation_url"],
            confirmation_token=row["confirmation_token"],
        )
    return Payment(
        id=row["id"],
        appointment_id=row["appointment_id"],
        kind=PaymentKind(row["kind"]),
        amount=Money(Decimal(row["amount"]), row["currency"]),
        status=PaymentStatus(row["status"]),
        idempotence_key=row["idempotence_key"],
        request_fingerprint=row["request_fingerprint"],
        created_at=as_utc(row["created_at"]),
        updated_at=as_utc(row["updated_at"]),
        provider=row["provider"],
        provider_payment_id=row["provider_payment_id"],
        confirmation=confirmation,
        cancellation_reason=row["cancellation_reason"],
        refund_reason=RefundReason(row["refund_reason"]) if row["refund_reason"] else None,
        provider_refund_id=row["provider_refund_id"],
        refunded_at=as_utc_or_none(row["refunded_at"]),
    )


def _mutable_columns(payment: Payment) -> dict[Any, Any]:
    confirmation = payment.confirmation
    return {
        PaymentTable.status: payment.status.value,
        PaymentTable.provider_payment_id: payment.provider_payment_id,
        PaymentTable.confirmation_type: None if confirmation is None else confirmation.type.value,
        PaymentTable.confirmation_url: None
        if confirmation is None
        else confirmation.confirmation_url,
        PaymentTable.confirmation_token: (
            None if confirmation is None else confirmation.confirmation_token
        ),
        PaymentTable.cancellation_reason: payment.cancellation_reason,
        PaymentTable.refund_reason: None
        if payment.refund_reason is None
        else payment.refund_reason.value,
        PaymentTable.provider_refund_id: payment.provider_refund_id,
        PaymentTable.refunded_at: payment.refunded_at,
        PaymentTable.updated_at: payment.updated_at,
    }


class PiccoloPaymentRepository:
    async def add(self, payment: Payment) -> None:
        row = PaymentTable(
            id=payment.id,
            appointment_id=payment.appointment_id,
            provider=payment.provider,
            kind=payment.kind.value,
            amount=payment.amount.amount,
            currency=payment.amount.currency,
            idempotence_key=payment.idempotence_key,
            request_fingerprint=payment.request_fingerprint,
            created_at=payment.created_at,
        )
        for column, value in _mutable_columns(payment).items():
            setattr(row, column._meta.name, value)
        try:
            await PaymentTable.insert(row)
        except Exception as exc:
            if await _violates_live_index(exc, payment.appointment_id):
                raise LivePaymentExists() from None
            raise

    async def get(self, payment_id: UUID) -> Payment | None:
        row = await PaymentTable.select().where(PaymentTable.id == payment_id).first()
        return None if row is None else payment_from_row(row)

    async def get_by_provider_id(self, provider_payment_id: str) -> Payment | None:
        row = (
            await PaymentTable.select()
            .where(PaymentTable.provider_payment_id == provider_payment_id)
            .first()
        )
        return None if row is None else payment_from_row(row)

    async def find_live(self, appointment_id: UUID) -> Payment | None:
        row = (
            await PaymentTable.select()
            .where(
                (PaymentTable.appointment_id == appointment_id) & PaymentTable.status.is_in(LIVE)
            )
            .first()
        )
        return None if row is None else payment_from_row(row)

    async def has_paid_other(self, appointment_id: UUID, payment_id: UUID) -> bool:
        return bool(
            await PaymentTable.exists().where(
                (PaymentTable.appointment_id == appointment_id)
                & (PaymentTable.id != payment_id)
                & (PaymentTable.status == PaymentStatus.SUCCEEDED.value)
            )
        )

    async def save(self, payment: Payment, expected: PaymentStatus) -> bool:
        changed = (
            await PaymentTable.update(_mutable_columns(payment))
            .where((PaymentTable.id == payment.id) & (PaymentTable.status == expected.value))
            .returning(PaymentTable.id)
        )
        return len(changed) == 1

    async def claim_stale(
        self,
        status: PaymentStatus,
        updated_before: datetime,
        now: datetime,
        lease_until: datetime,
        limit: int,
    ) -> Sequence[Payment]:
        free = PaymentTable.claimed_until.is_null() | (PaymentTable.claimed_until < now)
        candidates = (
            await PaymentTable.select(PaymentTable.id)
            .where(
                (PaymentTable.status == status.value)
                & (PaymentTable.updated_at < updated_before)
                & free
            )
            .order_by(PaymentTable.updated_at)
            .limit(limit)
        )
        if not candidates:
            return []
        # The conditional UPDATE decides: of concurrent workers, one claims each row.
        won = (
            await PaymentTable.update({PaymentTable.claimed_until: lease_until})
            .where(
                PaymentTable.id.is_in([row["id"] for row in candidates])
                & (PaymentTable.status == status.value)
                & free
            )
            .returning(PaymentTable.id)
        )
        if not won:
            return []
        rows = await PaymentTable.select().where(PaymentTable.id.is_in([row["id"] for row in won]))
        return [payment_from_row(row) for row in rows]


def _record(row: dict[str, Any]) -> IdempotencyRecord:
    return IdempotencyRecord(
        key=row["key"],
        request_hash=row["request_hash"],
        in_flight=row["state"] == IN_FLIGHT,
        response_body=row["response_body"],
        locked_until=as_utc_or_none(row["locked_until"]),
        expires_at=as_utc(row["expires_at"]),
    )


class PiccoloIdempotencyKeyRepository:
    async def claim(
        self,
        key: str,
        request_hash: str,
        now: datetime,
        locked_until: datetime,
        expires_at: datetime,
    ) -> IdempotencyRecord | None:
        inserted = (
            await IdempotencyKeyTable.insert(
                IdempotencyKeyTable(
                    key=key,
                    request_hash=request_hash,
                    state=IN_FLIGHT,
                    locked_until=locked_until,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
            .on_conflict(target=IdempotencyKeyTable.key, action="DO NOTHING")
            .returning(IdempotencyKeyTable.id)
        )
        if inserted:
            return None
        # Expired keys are free again; a stale claim (its holder died) of the same request
        # may be taken over.
        taken = (
            await IdempotencyKeyTable.update(
                {
                    IdempotencyKeyTable.request_hash: request_hash,
                    IdempotencyKeyTable.state: IN_FLIGHT,
                    IdempotencyKeyTable.locked_until: locked_until,
                    IdempotencyKeyTable.response_body: None,
                    IdempotencyKeyTable.created_at: now,
                    IdempotencyKeyTable.expires_at: expires_at,
                }
            )
            .where(
                (IdempotencyKeyTable.key == key)
                & (
                    (IdempotencyKeyTable.expires_at <= now)
                    | (
                        (IdempotencyKeyTable.state == IN_FLIGHT)
                        & (IdempotencyKeyTable.locked_until < now)
                        & (IdempotencyKeyTable.request_hash == request_hash)
                    )
                )
            )
            .returning(IdempotencyKeyTable.id)
        )
        if taken:
            return None
        row = await IdempotencyKeyTable.select().where(IdempotencyKeyTable.key == key).first()
        if row is None:  # deleted in between (purged): the next attempt will insert
            return IdempotencyRecord(
                key=key,
                request_hash=request_hash,
                in_flight=True,
                response_body=None,
                locked_until=locked_until,
                expires_at=expires_at,
            )
        return _record(row)

    async def complete(self, key: str, response_body: str) -> None:
        await IdempotencyKeyTable.update(
            {
                IdempotencyKeyTable.state: COMPLETED,
                IdempotencyKeyTable.locked_until: None,
                IdempotencyKeyTable.response_body: response_body,
            }
        ).where(IdempotencyKeyTable.key == key)

    async def release(self, key: str) -> None:
        await IdempotencyKeyTable.delete().where(
            (IdempotencyKeyTable.key == key) & (IdempotencyKeyTable.state == IN_FLIGHT)
        )

    async def purge_expired(self, now: datetime, limit: int) -> int:
        rows = (
            await IdempotencyKeyTable.select(IdempotencyKeyTable.id)
            .where(IdempotencyKeyTable.expires_at <= now)
            .limit(limit)
        )
        if not rows:
            return 0
        deleted = (
            await IdempotencyKeyTable.delete()
            .where(
                IdempotencyKeyTable.id.is_in([row["id"] for row in rows])
                & (IdempotencyKeyTable.expires_at <= now)
            )
            .returning(IdempotencyKeyTable.id)
        )
        return len(deleted)
