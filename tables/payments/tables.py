"""Payments and the Idempotency-Key store.

A payment row holds our ids, the provider's id, status, kind, amount and the confirmation
the client needs; never card or payment-method details, never request or response bodies.
Keys and confirmation secrets are ``secret`` columns: the staff admin's API never returns them.
"""

from __future__ import annotations

from piccolo.columns import (
    UUID,
    ForeignKey,
    Numeric,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from tables.core.tables import AppointmentTable
from tables.labels import PaymentKindChoice, PaymentStatusChoice, RefundReasonChoice, titled

MONEY = (12, 2)


class PaymentTable(Table, tablename="payments"):
    id = titled("ID", UUID(primary_key=True))
    appointment_id = titled(
        "Запись", ForeignKey(AppointmentTable, on_delete=OnDelete.restrict, index=True)
    )
    provider = titled("Платёжный сервис", Varchar(length=16, default="yookassa"))
    provider_payment_id = titled(
        "Номер в ЮKassa", Varchar(length=64, null=True, default=None, unique=True)
    )
    status = titled(
        "Статус",
        Varchar(
            length=32,
            default="creating",
            index=True,
            choices=PaymentStatusChoice,
        ),
    )
    kind = titled("Вид оплаты", Varchar(length=16, choices=PaymentKindChoice))
    amount = titled("Сумма, ₽", Numeric(digits=MONEY))
    currency = titled("Валюта", Varchar(length=3, default="RUB"))
    # The Idempotence-Key we send to YooKassa for this payment, on every retry.
    idempotence_key = titled("Ключ идемпотентности", Varchar(length=64, unique=True, secret=True))
    request_fingerprint = titled("Отпечаток запроса", Varchar(length=64))
    confirmation_type = titled("Способ подтверждения", Varchar(length=16, null=True, default=None))
    confirmation_url = titled("Ссылка на оплату", Text(null=True, default=None, secret=True))
    confirmation_token = titled(
        "Токен подтверждения", Varchar(length=256, null=True, default=None, secret=True)
    )
    cancellation_reason = titled("Причина отмены", Varchar(length=64, null=True, default=None))
    refund_reason = titled(
        "Причина возврата",
        Varchar(length=32, null=True, default=None, choices=RefundReasonChoice),
    )
    # Our one refund of this payment (its Idempotence-Key is derived from our id).
    provider_refund_id = titled(
        "Номер возврата в ЮKassa", Varchar(length=64, null=True, default=None)
    )
    refunded_at = titled("Возвращён", Timestamptz(null=True, default=None))
    claimed_until = titled("В обработке до", Timestamptz(null=True, default=None))
    created_at = titled("Создан", Timestamptz(default=TimestamptzNow()))
    updated_at = titled("Изменён", Timestamptz(default=TimestamptzNow(), index=True))


class IdempotencyKeyTable(Table, tablename="idempotency_keys"):
    """Idempotency-Key records of the public API, kept at least 24 hours."""

    id = UUID(primary_key=True)
    key = Varchar(length=160, unique=True, secret=True)
    request_hash = Varchar(length=64)
    state = Varchar(length=16, default="in_flight")  # in_flight | completed
    locked_until = Timestamptz(null=True, default=None)
    # The first answer, replayed to a repeat: it holds the payment's confirmation token.
    response_body = Text(null=True, default=None, secret=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(index=True)
