"""In-memory fakes of the payment ports, with the same rules as the real ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from domain.errors import LivePaymentExists, ProviderRejected, ProviderUnavailable
from domain.models import Appointment, TrackingEvent
from domain.payment_ports import ClaimedTrackingEvent
from domain.payments import (
    LIVE_STATUSES,
    Confirmation,
    ConfirmationType,
    CreateProviderPayment,
    CreateProviderRefund,
    IdempotencyRecord,
    Payment,
    PaymentEventType,
    PaymentStatus,
    ProviderPayment,
    ProviderRefund,
    ProviderRefundStatus,
)


def _copy(payment: Payment) -> Payment:
    return replace(payment)


class InMemoryPayments:
    def __init__(self, store: Any) -> None:
        self._store = store

    @property
    def _rows(self) -> dict[UUID, Payment]:
        rows: dict[UUID, Payment] = self._store.payments
        return rows

    async def add(self, payment: Payment) -> None:
        # The partial unique index: one live payment per appointment, whatever its kind.
        if payment.status in LIVE_STATUSES and self._live(payment.appointment_id) is not None:
            raise LivePaymentExists()
        self._rows[payment.id] = _copy(payment)

    def _live(self, appointment_id: UUID) -> Payment | None:
        for payment in self._rows.values():
            if payment.appointment_id == appointment_id and payment.status in LIVE_STATUSES:
                return payment
        return None

    async def get(self, payment_id: UUID) -> Payment | None:
        found = self._rows.get(payment_id)
        return None if found is None else _copy(found)

    async def has_paid_other(self, appointment_id: UUID, payment_id: UUID) -> bool:
        return any(
            p.appointment_id == appointment_id
            and p.id != payment_id
            and p.status is PaymentStatus.SUCCEEDED
            for p in self._rows.values()
        )

    async def get_by_provider_id(self, provider_payment_id: str) -> Payment | None:
        for payment in self._rows.values():
            if payment.provider_payment_id == provider_payment_id:
                return _copy(payment)
        return None

    async def find_live(self, appointment_id: UUID) -> Payment | None:
        live = self._live(appointment_id)
        return None if live is None else _copy(live)

    async def save(self, payment: Payment, expected: PaymentStatus) -> bool:
        stored = self._rows.get(payment.id)
        if stored is None or stored.status is not expected:
            return False
        self._rows[payment.id] = _copy(payment)
        return True

    async def claim_stale(
        self,
        status: PaymentStatus,
        updated_before: datetime,
        now: datetime,
        lease_until: datetime,
        limit: int,
    ) -> Sequence[Payment]:
        claims: dict[UUID, datetime] = self._store.payment_claims
        won = []
        for payment in sorted(self._rows.values(), key=lambda p: p.updated_at):
            held = claims.get(payment.id)
            if (
                payment.status is status
                and payment.updated_at < updated_before
                and (held is None or held < now)
            ):
                claims[payment.id] = lease_until
                won.append(_copy(payment))
            if len(won) >= limit:
                break
        return won


class InMemoryIdempotencyKeys:
    def __init__(self, store: Any) -> None:
        self._store = store

    @property
    def _rows(self) -> dict[str, IdempotencyRecord]:
        rows: dict[str, IdempotencyRecord] = self._store.idempotency_keys
        return rows

    async def claim(
        self,
        key: str,
        request_hash: str,
        now: datetime,
        locked_until: datetime,
        expires_at: datetime,
    ) -> IdempotencyRecord | None:
        existing = self._rows.get(key)
        fresh = IdempotencyRecord(
            key=key,
            request_hash=request_hash,
            in_flight=True,
            response_body=None,
            locked_until=locked_until,
            expires_at=expires_at,
        )
        if (
            existing is None
            or existing.expires_at <= now
            or (
                existing.in_flight
                and existing.locked_until is not None
                and existing.locked_until < now
                and existing.request_hash == request_hash
            )
        ):
            self._rows[key] = fresh
            return None
        return existing

    async def complete(self, key: str, response_body: str) -> None:
        existing = self._rows[key]
        self._rows[key] = replace(
            existing,
            in_flight=False,
            locked_until=None,
            response_body=response_body,
        )

    async def release(self, key: str) -> None:
        existing = self._rows.get(key)
        if existing is not None and existing.in_flight:
            del self._rows[key]

    async def purge_expired(self, now: datetime, limit: int) -> int:
        expired = [k for k, r in self._rows.items() if r.expires_at <= now][:limit]
        for key in expired:
            del self._rows[key]
        return len(expired)


class FakePaymentGateway:
    """A provider in memory: honours idempotence keys like YooKassa, and can be told to fail."""

    def __init__(self, *, confirmation_url: str = "https://pay.example/confirm/") -> None:
        self.payments: dict[str, ProviderPayment] = {}
        self.by_key: dict[str, str] = {}
        self.create_calls: list[CreateProviderPayment] = []
        self.get_calls: list[str] = []
        self.fail_next: list[Exception] = []
        self.crash_after_create = False
        self._confirmation_url = confirmation_url
        self.refunds: dict[str, ProviderRefund] = {}
        self.refund_by_key: dict[str, tuple[CreateProviderRefund, str]] = {}
        self.refund_calls: list[CreateProviderRefund] = []
        self.fail_next_refund: list[Exception] = []  # refund calls only
        # The status a new refund gets (YooKassa answers pending or succeeded).
        self.refund_status = ProviderRefundStatus.SUCCEEDED

    @property
    def created_count(self) -> int:
        return len(self.payments)

    async def create_payment(self, request: CreateProviderPayment) -> ProviderPayment:
        self.create_calls.append(request)
        if self.fail_next:
            raise self.fail_next.pop(0)
        provider_id = self.by_key.get(request.idempotence_key)
        if provider_id is None:
            provider_id = f"prov-{uuid4()}"
            self.by_key[request.idempotence_key] = provider_id
            confirmation = (
                Confirmation(
                    type=ConfirmationType.REDIRECT,
                    confirmation_url=self._confirmation_url + provider_id,
                )
                if request.confirmation_type is ConfirmationType.REDIRECT
                else Confirmation(
                    type=ConfirmationType.EMBEDDED, confirmation_token=f"ct-{provider_id}"
                )
            )
            self.payments[provider_id] = ProviderPayment(
                provider_payment_id=provider_id,
                status=PaymentStatus.PENDING,
                amount=request.amount,
                confirmation=confirmation,
                metadata=request.metadata,
            )
        if self.crash_after_create:
            self.crash_after_create = False
            raise ProviderUnavailable()
        return self.payments[provider_id]

    async def get_payment(self, provider_payment_id: str) -> ProviderPayment | None:
        self.get_calls.append(provider_payment_id)
        if self.fail_next:
            raise self.fail_next.pop(0)
        return self.payments.get(provider_payment_id)

    async def create_refund(self, request: CreateProviderRefund) -> ProviderRefund:
        """Like YooKassa: the same key and body give the same refund; another body under the
        key, an unknown or unpaid payment, or more than is left to refund is rejected."""
        self.refund_calls.append(request)
        if self.fail_next_refund:
            raise self.fail_next_refund.pop(0)
        known = self.refund_by_key.get(request.idempotence_key)
        if known is not None:
            if known[0] != request:
                raise ProviderRejected()
            refund = self.refunds[known[1]]
        else:
            payment = self.payments.get(request.provider_payment_id)
            if payment is None or payment.status is not PaymentStatus.SUCCEEDED:
                raise ProviderRejected()
            if request.amount.amount > payment.amount.amount - self._refunded(payment):
                raise ProviderRejected()
            refund = ProviderRefund(
                provider_refund_id=f"refund-{uuid4()}",
                provider_payment_id=request.provider_payment_id,
                status=self.refund_status,
                amount=request.amount,
            )
            self.refunds[refund.provider_refund_id] = refund
            self.refund_by_key[request.idempotence_key] = (request, refund.provider_refund_id)
        if self.crash_after_create:
            self.crash_after_create = False
            raise ProviderUnavailable()
        return refund

    async def get_refund(self, provider_refund_id: str) -> ProviderRefund | None:
        if self.fail_next_refund:
            raise self.fail_next_refund.pop(0)
        return self.refunds.get(provider_refund_id)

    def _refunded(self, payment: ProviderPayment) -> Decimal:
        return sum(
            (
                r.amount.amount
                for r in self.refunds.values()
                if r.provider_payment_id == payment.provider_payment_id
                and r.status is not ProviderRefundStatus.CANCELED
            ),
            Decimal(0),
        )

    def settle_refund(self, provider_refund_id: str, status: ProviderRefundStatus) -> None:
        self.refunds[provider_refund_id] = replace(self.refunds[provider_refund_id], status=status)

    def settle(
        self, provider_payment_id: str, status: PaymentStatus, reason: str | None = None
    ) -> None:
        self.payments[provider_payment_id] = replace(
            self.payments[provider_payment_id], status=status, cancellation_reason=reason
        )

    @staticmethod
    def unavailable() -> ProviderUnavailable:
        return ProviderUnavailable()

    @staticmethod
    def rejected() -> ProviderRejected:
        return ProviderRejected()


class RecordingPaymentHook:
    def __init__(self) -> None:
        self.events: list[tuple[PaymentEventType, UUID]] = []

    async def on_payment_event(
        self,
        uow: Any,
        event: PaymentEventType,
        payment: Payment,
        appointment: Appointment | None,
        now: datetime,
    ) -> None:
        self.events.append((event, payment.id))


class InMemoryTrackingQueue:
    """The delivery side of the tracking outbox, over a plain list of events."""

    def __init__(self, events: list[TrackingEvent]) -> None:
        self.events = events
        self.delivered: dict[UUID, datetime] = {}
        self.claims: dict[UUID, datetime] = {}
        self.attempts: dict[UUID, int] = {}
        self.next_attempt: dict[UUID, datetime] = {}

    async def claim(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> Sequence[ClaimedTrackingEvent]:
        won = []
        for event in self.events:
            if event.id in self.delivered:
                continue
            held = self.claims.get(event.id)
            if held is not None and held >= now:
                continue
            due = self.next_attempt.get(event.id)
            if due is not None and due > now:
                continue
            self.claims[event.id] = lease_until
            won.append(ClaimedTrackingEvent(event, self.attempts.get(event.id, 0)))
            if len(won) >= limit:
                break
        return won

    async def mark_delivered(
        self, event_ids: Sequence[UUID], lease_until: datetime, now: datetime
    ) -> int:
        count = 0
        for event_id in event_ids:
            if self.claims.get(event_id) == lease_until and event_id not in self.delivered:
                self.delivered[event_id] = now
                del self.claims[event_id]
                count += 1
        return count

    async def retry_later(
        self, event_id: UUID, lease_until: datetime, next_attempt_at: datetime
    ) -> None:
        if self.claims.get(event_id) == lease_until:
            del self.claims[event_id]
            self.attempts[event_id] = self.attempts.get(event_id, 0) + 1
            self.next_attempt[event_id] = next_attempt_at
